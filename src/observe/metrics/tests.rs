//! Tests of the metric reads: queries, storage, signals.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};

use super::queries::{metric_queries, wanted};
use super::storage::{GIB, StorageRead, Used};
use super::{Observation, alarm_names, read};
use crate::estate::{Estate, Member, Setting, Status, StorageFacts};
use crate::policy::{KnobName, Policy, ResourceKind, load_str};
use crate::ports::{AwsError, ErrorKind};
use crate::ports::{CloudWatchPort, Dimensions, MetricQuery};
use crate::signals::AlarmState;

const POLICY: &str = r#"
version: 1
estate: t
guardrails: { max_actions_per_hour: 4, oscillation_window: 1h }
spot_mix:
  web: { spot_percent: 50, on_demand_base: 1, allocation_strategy: price-capacity-optimized, instance_types: [m6i.large] }
resources:
  - id: db
    kind: rds_instance
    identifier: db
    engine: postgres
    instance_class: { ladder: [db.r6g.large, db.r6g.xlarge], floor: db.r6g.large }
    scale_up:
      - { metric: CPUUtilization, above: 80 }
      - { metric: FreeableMemory, below: 1000, statistic: Minimum, period: 1m }
      - { alarm: db-latency-high }
    scale_down:
      - { metric: CPUUtilization, below: 20, evaluation_periods: 6 }
      - { metric: FreeableMemory, above: 5000, statistic: Maximum }
  - id: fleet
    kind: autoscaling_group
    workload_class: web
    tags: { team: web }
    capacity: { min: 1, max: 10, floor: 1 }
    scale_up:
      - { metric: CPUUtilization, above: 70 }
  - id: orders
    kind: aurora_cluster
    identifier: orders
    engine: aurora-mysql
    serverless_v2: { min_acu: 2, max_acu: 16, floor_acu: 4, step_acu: 2 }
    scale_up:
      - { metric: ACUUtilization, above: 80 }
  - id: cache
    kind: elasticache_redis
    identifier: cache
    engine: redis
    node_type: { ladder: [cache.r6g.large, cache.r6g.xlarge], floor: cache.r6g.large }
    scale_up:
      - { metric: DatabaseMemoryUsagePercentage, above: 85 }
  - id: events
    kind: msk_cluster
    identifier: events
    az_count: 3
    brokers: { min: 3, max: 6, step: 3 }
    broker_type: { ladder: [kafka.m5.large], floor: kafka.m5.large }
    scale_up:
      - { metric: ActiveControllerCount, below: 1, scales: brokers }
"#;

fn member(policy_id: &str, identifier: &str, kind: ResourceKind) -> Member {
    Member {
        policy_id: policy_id.to_owned(),
        identifier: identifier.to_owned(),
        kind,
        status: Status::Available,
        pending_changes: false,
        settings: BTreeMap::new(),
        multi_az: false,
        spot_mix: None,
        storage_used_percent: None,
        storage: None,
        parts: Vec::new(),
        tags: BTreeMap::new(),
    }
}

fn estate() -> Estate {
    Estate {
        members: vec![
            member("db", "db", ResourceKind::RdsInstance),
            member("fleet", "web-a", ResourceKind::AutoscalingGroup),
            member("fleet", "web-b", ResourceKind::AutoscalingGroup),
            member("orders", "orders", ResourceKind::AuroraCluster),
            Member {
                parts: vec!["cache-0001-001".to_owned(), "cache-0001-002".to_owned()],
                ..member("cache", "cache", ResourceKind::ElasticacheRedis)
            },
            member("events", "events", ResourceKind::MskCluster),
        ],
    }
}

fn policy() -> Policy {
    load_str(POLICY, "t.yaml").expect("valid policy")
}

fn find<'a>(qs: &'a [MetricQuery], id: &str, metric: &str) -> &'a MetricQuery {
    qs.iter()
        .find(|q| q.identifier == id && q.metric == metric)
        .unwrap_or_else(|| panic!("no query for {id} {metric}: {qs:?}"))
}

#[test]
fn one_query_per_member_and_metric_with_the_kinds_dimension() {
    let qs = metric_queries(&policy(), &estate());
    let keys: Vec<_> = qs
        .iter()
        .map(|q| (q.identifier.as_str(), q.metric.as_str()))
        .collect();
    assert_eq!(
        keys,
        [
            ("cache", "DatabaseMemoryUsagePercentage"),
            ("db", "CPUUtilization"),
            ("db", "FreeableMemory"),
            ("events", "ActiveControllerCount"),
            ("orders", "ACUUtilization"),
            ("web-a", "CPUUtilization"),
            ("web-b", "CPUUtilization"),
        ]
    );
    let web = find(&qs, "web-b", "CPUUtilization");
    assert_eq!(web.namespace, "AWS/EC2");
    assert_eq!(web.sources, [dims(&[("AutoScalingGroupName", "web-b")])]);
    let db = find(&qs, "db", "CPUUtilization");
    assert_eq!(db.namespace, "AWS/RDS");
    assert_eq!(db.sources, [dims(&[("DBInstanceIdentifier", "db")])]);
    assert_eq!((db.statistic.as_str(), db.period_secs), ("Average", 300));
    assert_eq!(
        find(&qs, "orders", "ACUUtilization").sources,
        [dims(&[("DBClusterIdentifier", "orders")])]
    );
    let cache = find(&qs, "cache", "DatabaseMemoryUsagePercentage");
    assert_eq!(cache.namespace, "AWS/ElastiCache");
    assert_eq!(
        cache.sources,
        [
            dims(&[("CacheClusterId", "cache-0001-001")]),
            dims(&[("CacheClusterId", "cache-0001-002")])
        ],
        "one source per member cluster, no ReplicationGroupId"
    );
    assert_eq!(
        find(&qs, "events", "ActiveControllerCount").sources,
        [dims(&[("Cluster Name", "events")])],
        "a cluster-level MSK metric has no Broker ID"
    );
}

fn dims(pairs: &[(&str, &str)]) -> Dimensions {
    pairs
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

const STORAGE_POLICY: &str = r#"
version: 1
estate: t
guardrails: { max_actions_per_hour: 4, oscillation_window: 1h }
resources:
  - id: db
    kind: rds_instance
    identifier: db
    engine: postgres
    instance_class: { ladder: [db.r6g.large, db.r6g.xlarge], floor: db.r6g.large }
    storage: { grow_when_used_percent: 80, grow_by_percent: 10, max_gib: 2000 }
  - id: plain
    kind: rds_instance
    identifier: plain
    engine: postgres
    instance_class: { ladder: [db.r6g.large, db.r6g.xlarge], floor: db.r6g.large }
  - id: events
    kind: msk_cluster
    identifier: events
    az_count: 3
    brokers: { min: 3, max: 6, step: 3 }
    broker_type: { ladder: [kafka.m5.large], floor: kafka.m5.large }
    storage: { grow_when_used_percent: 75, grow_by_percent: 10, max_gib: 4000 }
    scale_up:
      - { metric: CpuUser, above: 60, scales: brokers }
  - id: sessions
    kind: elasticache_redis
    identifier: sessions
    engine: redis
    node_type: { ladder: [cache.r6g.large, cache.r6g.xlarge], floor: cache.r6g.large }
    scale_up:
      - { metric: EngineCPUUtilization, above: 80 }
"#;

/// db (500 GiB allocated, ceiling 1000 GiB), plain (no storage rule),
/// events (3 brokers), sessions (2 member clusters).
fn storage_estate() -> Estate {
    let mut db = member("db", "db", ResourceKind::RdsInstance);
    db.settings.insert(KnobName::Storage, Setting::Gib(1000));
    db.storage = Some(StorageFacts {
        allocated_gib: 500,
        storage_type: "gp3".into(),
        iops: Some(12_000),
        throughput_mibps: Some(500),
        engine: "postgres".into(),
    });
    let mut events = member("events", "events", ResourceKind::MskCluster);
    events.settings.insert(KnobName::Brokers, Setting::Count(3));
    events.settings.insert(KnobName::Storage, Setting::Gib(500));
    events.parts = vec!["1".into(), "2".into(), "3".into()];
    let mut sessions = member("sessions", "sessions", ResourceKind::ElasticacheRedis);
    sessions.parts = vec!["sessions-0001-001".into(), "sessions-0001-002".into()];
    Estate {
        members: vec![
            db,
            member("plain", "plain", ResourceKind::RdsInstance),
            events,
            sessions,
        ],
    }
}

fn storage_policy() -> Policy {
    load_str(STORAGE_POLICY, "t.yaml").expect("valid policy")
}

fn broker(cluster: &str, id: &str) -> Dimensions {
    dims(&[("Cluster Name", cluster), ("Broker ID", id)])
}

#[test]
fn msk_broker_metrics_read_one_source_per_broker() {
    let qs = metric_queries(&storage_policy(), &storage_estate());
    let cpu = find(&qs, "events", "CpuUser");
    assert_eq!(cpu.namespace, "AWS/Kafka");
    assert_eq!(
        cpu.sources,
        [
            broker("events", "1"),
            broker("events", "2"),
            broker("events", "3")
        ]
    );
    // Without parts (a backtest member), the Brokers setting numbers them.
    let mut e = storage_estate();
    e.members[2].parts.clear();
    e.members[2]
        .settings
        .insert(KnobName::Brokers, Setting::Count(2));
    let qs = metric_queries(&storage_policy(), &e);
    assert_eq!(
        find(&qs, "events", "CpuUser").sources,
        [broker("events", "1"), broker("events", "2")]
    );
}

#[test]
fn elasticache_metrics_read_one_source_per_member_cluster_or_are_noted() {
    let w = wanted(&storage_policy(), &storage_estate());
    assert_eq!(
        find(&w.queries, "sessions", "EngineCPUUtilization").sources,
        [
            dims(&[("CacheClusterId", "sessions-0001-001")]),
            dims(&[("CacheClusterId", "sessions-0001-002")])
        ]
    );
    let mut e = storage_estate();
    e.members[3].parts.clear();
    let w = wanted(&storage_policy(), &e);
    assert!(
        !w.queries.iter().any(|q| q.identifier == "sessions"),
        "{:?}",
        w.queries
    );
    assert!(
        w.notes.iter().any(
            |n| n.starts_with("sessions: EngineCPUUtilization is published per member cluster")
        ),
        "{:?}",
        w.notes
    );
}

#[test]
fn storage_is_read_only_for_members_with_a_storage_rule() {
    let w = wanted(&storage_policy(), &storage_estate());
    let free = find(&w.queries, "db", "FreeStorageSpace");
    assert_eq!(free.sources, [dims(&[("DBInstanceIdentifier", "db")])]);
    assert_eq!(
        (free.statistic.as_str(), free.period_secs),
        ("Minimum", 300)
    );
    let disk = find(&w.queries, "events", "KafkaDataLogsDiskUsed");
    assert_eq!(disk.sources.len(), 3);
    assert_eq!(disk.statistic, "Maximum");
    assert!(!w.queries.iter().any(|q| q.identifier == "plain"));
    assert!(
        !w.queries
            .iter()
            .any(|q| q.identifier == "sessions" && q.metric != "EngineCPUUtilization")
    );
    assert_eq!(w.queries.len(), 4, "{:?}", w.queries);
    assert_eq!(
        w.storage,
        [
            StorageRead {
                member: 0,
                metric: "FreeStorageSpace",
                used: Used::FreeBytesOf(500)
            },
            StorageRead {
                member: 2,
                metric: "KafkaDataLogsDiskUsed",
                used: Used::Percent
            },
        ]
    );
    // Storage wants three 5-minute periods; the rules' default is 3 + 1.
    assert_eq!(w.lookback, TimeDelta::minutes(20));
    assert!(w.notes.is_empty(), "{:?}", w.notes);
}

#[test]
fn used_percent_is_of_the_allocated_storage_for_rds_and_as_read_for_msk() {
    // 100 GiB free of 500 GiB allocated (the ceiling, 1000 GiB, plays no
    // part): 80% used, not the 90% a percent of the ceiling made of it.
    assert_eq!(Used::FreeBytesOf(500).percent(100.0 * GIB), Some(80.0));
    assert_eq!(Used::FreeBytesOf(1000).percent(250.0 * GIB), Some(75.0));
    assert_eq!(Used::FreeBytesOf(1000).percent(2000.0 * GIB), Some(0.0));
    assert_eq!(Used::FreeBytesOf(0).percent(1.0), None);
    assert_eq!(Used::Percent.percent(81.5), Some(81.5));
    assert_eq!(Used::Percent.percent(f64::NAN), None);
}

#[tokio::test]
async fn storage_use_lands_on_members_from_the_latest_value() {
    let cw = Canned {
        alarms: Some(BTreeMap::new()),
        series: Some(BTreeMap::from([
            (
                ("db".to_owned(), "FreeStorageSpace".to_owned()),
                vec![500.0 * GIB, 100.0 * GIB],
            ),
            (
                ("events".to_owned(), "CpuUser".to_owned()),
                vec![40.0, 70.0],
            ),
        ])),
        ..Canned::default()
    };
    let mut obs = Observation {
        estate: storage_estate(),
        ..Observation::default()
    };
    read(&storage_policy(), &cw, Utc::now(), &mut obs).await;
    let used: Vec<Option<f64>> = obs
        .estate
        .members
        .iter()
        .map(|m| m.storage_used_percent)
        .collect();
    // 100 GiB free of 500 allocated.
    assert_eq!(used, [Some(80.0), None, None, None]);
    assert!(
        obs.notes
            .iter()
            .any(|n| n.starts_with("events: no recent KafkaDataLogsDiskUsed datapoint")),
        "{:?}",
        obs.notes
    );
    assert_eq!(obs.signals.metric("events", "CpuUser"), Some(70.0));
}

#[test]
fn the_first_rule_sets_statistic_and_period_and_a_conflict_is_noted() {
    let w = wanted(&policy(), &estate());
    let mem = find(&w.queries, "db", "FreeableMemory");
    assert_eq!((mem.statistic.as_str(), mem.period_secs), ("Minimum", 60));
    assert_eq!(w.notes.len(), 1, "{:?}", w.notes);
    assert!(
        w.notes[0].contains("FreeableMemory") && w.notes[0].contains("Maximum"),
        "{:?}",
        w.notes
    );
}

#[test]
fn lookback_is_the_longest_evaluation_window_plus_one_period() {
    // CPUUtilization below 20 for 6 periods of 5 minutes: 35 minutes.
    assert_eq!(
        wanted(&policy(), &estate()).lookback,
        TimeDelta::minutes(35)
    );
    let only_fleet = Estate {
        members: vec![member("fleet", "web-a", ResourceKind::AutoscalingGroup)],
    };
    // Default 3 periods of 5 minutes, plus one.
    assert_eq!(
        wanted(&policy(), &only_fleet).lookback,
        TimeDelta::minutes(20)
    );
}

#[test]
fn members_of_unknown_resources_ask_for_nothing() {
    let e = Estate {
        members: vec![member("gone", "x", ResourceKind::RdsInstance)],
    };
    assert!(metric_queries(&policy(), &e).is_empty());
}

#[test]
fn every_rules_alarm_name_is_read_once() {
    let names = alarm_names(&policy());
    assert!(names.contains(&"db-latency-high".to_owned()));
    assert!(
        names.contains(&"tidegate-db-up-cpuutilization".to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&"tidegate-db-down-cpuutilization".to_owned()),
        "{names:?}"
    );
    let mut sorted = names.clone();
    sorted.dedup();
    assert_eq!(sorted, names);
    assert_eq!(names.len(), 9, "{names:?}");
}

/// Answers from fixed maps and records what it was asked.
#[derive(Default)]
struct Canned {
    alarms: Option<BTreeMap<String, AlarmState>>,
    series: Option<BTreeMap<(String, String), Vec<f64>>>,
    asked: Mutex<Vec<(usize, TimeDelta)>>,
}

fn failure(op: &'static str) -> AwsError {
    AwsError {
        service: "cloudwatch",
        operation: op,
        resource: String::new(),
        kind: ErrorKind::AccessDenied,
        code: Some("AccessDenied".into()),
        message: "not allowed".into(),
    }
}

#[async_trait]
impl CloudWatchPort for Canned {
    async fn alarm_states(&self, _: &[String]) -> Result<BTreeMap<String, AlarmState>, AwsError> {
        self.alarms.clone().ok_or_else(|| failure("DescribeAlarms"))
    }

    async fn recent_values(
        &self,
        queries: &[MetricQuery],
        _: DateTime<Utc>,
        lookback: TimeDelta,
    ) -> Result<BTreeMap<(String, String), Vec<f64>>, AwsError> {
        if let Ok(mut asked) = self.asked.lock() {
            asked.push((queries.len(), lookback));
        }
        self.series.clone().ok_or_else(|| failure("GetMetricData"))
    }
}

fn observation() -> Observation {
    Observation {
        estate: estate(),
        ..Observation::default()
    }
}

#[tokio::test]
async fn states_and_series_land_in_signals() {
    let cw = Canned {
        alarms: Some(BTreeMap::from([(
            "db-latency-high".to_owned(),
            AlarmState::Alarm,
        )])),
        series: Some(BTreeMap::from([(
            ("db".to_owned(), "CPUUtilization".to_owned()),
            vec![70.0, 85.0, 90.0],
        )])),
        ..Canned::default()
    };
    let mut obs = observation();
    read(&policy(), &cw, Utc::now(), &mut obs).await;
    assert_eq!(
        obs.signals.alarms.get("db-latency-high"),
        Some(&AlarmState::Alarm)
    );
    assert_eq!(
        obs.signals.series("db", "CPUUtilization"),
        Some(&[70.0, 85.0, 90.0][..])
    );
    assert_eq!(obs.signals.metric("db", "CPUUtilization"), Some(90.0));
    let asked = cw.asked.lock().map(|a| a.clone()).unwrap_or_default();
    assert_eq!(asked, [(7, TimeDelta::minutes(35))]);
}

#[tokio::test]
async fn a_named_alarm_that_does_not_exist_is_noted() {
    let cw = Canned {
        alarms: Some(BTreeMap::new()),
        series: Some(BTreeMap::new()),
        ..Canned::default()
    };
    let mut obs = observation();
    read(&policy(), &cw, Utc::now(), &mut obs).await;
    assert!(
        obs.notes
            .iter()
            .any(|n| n == "db: alarm db-latency-high does not exist; its rule cannot fire"),
        "{:?}",
        obs.notes
    );
    assert!(
        !obs.notes.iter().any(|n| n.contains("tidegate-db-up")),
        "generated alarms may be missing"
    );
}

#[tokio::test]
async fn failures_become_notes_and_the_rest_is_kept() {
    let cw = Canned {
        alarms: Some(BTreeMap::from([(
            "db-latency-high".to_owned(),
            AlarmState::Ok,
        )])),
        series: None,
        ..Canned::default()
    };
    let mut obs = observation();
    read(&policy(), &cw, Utc::now(), &mut obs).await;
    assert_eq!(
        obs.signals.alarms.get("db-latency-high"),
        Some(&AlarmState::Ok)
    );
    assert!(obs.signals.metrics.is_empty());
    assert!(
        obs.notes
            .iter()
            .any(|n| n.starts_with("metrics could not be read") && n.contains("GetMetricData")),
        "{:?}",
        obs.notes
    );

    let cw = Canned::default();
    let mut obs = observation();
    read(&policy(), &cw, Utc::now(), &mut obs).await;
    assert!(
        obs.notes
            .iter()
            .any(|n| n.starts_with("alarm states could not be read")),
        "{:?}",
        obs.notes
    );
}

#[tokio::test]
async fn nothing_to_read_calls_nothing() {
    let policy = load_str(
            "version: 1\nestate: t\nguardrails: { max_actions_per_hour: 1, oscillation_window: 1h }\nspot_mix:\n  w: { spot_percent: 0, on_demand_base: 0, allocation_strategy: lowest-price, instance_types: [m5.large] }\nresources:\n  - { id: f, kind: autoscaling_group, identifier: f, workload_class: w, capacity: { min: 1, max: 2, floor: 1 } }\n",
            "t.yaml",
        )
        .expect("valid policy");
    let cw = Canned::default(); // would fail if called
    let mut obs = Observation::default();
    read(&policy, &cw, Utc::now(), &mut obs).await;
    assert!(obs.notes.is_empty(), "{:?}", obs.notes);
}
