//! The metrics and alarm states the estate's rules need, read in batches.
//!
//! Contract: one DescribeAlarms pass for the alarm name of every rule of the
//! policy (named alarms and the ones Terraform generates for metric rules),
//! and one GetMetricData pass for every (member, metric rule) pair, both
//! batched by the adapter. Metric series cover the longest evaluation
//! window of the rules read (period × evaluation periods) plus one period,
//! so a datapoint CloudWatch has not published yet does not leave a rule
//! short. Failures become notes: the plan still runs on what was read.
//!
//! Where each kind's metrics live (namespace, dimension):
//!
//! | kind | namespace | dimension |
//! |---|---|---|
//! | RDS instance | `AWS/RDS` | `DBInstanceIdentifier` |
//! | Aurora cluster | `AWS/RDS` | `DBClusterIdentifier` (cluster-wide aggregates, `ACUUtilization`, `ServerlessDatabaseCapacity`) |
//! | MSK cluster | `AWS/Kafka` | `Cluster Name` (only cluster-level metrics such as `ActiveControllerCount`, `GlobalPartitionCount`; broker metrics such as `CpuUser` are per `Cluster Name, Broker ID`) |
//! | ElastiCache replication group | `AWS/ElastiCache` | `ReplicationGroupId` (node-based clusters publish host and engine metrics per `CacheClusterId` / `CacheNodeId`) |
//! | Auto Scaling group | `AWS/EC2` | `AutoScalingGroupName` |

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

use super::Observation;
use crate::estate::Estate;
use crate::policy::{Policy, ResourceKind, Trigger};
use crate::ports::{CloudWatchPort, MetricQuery};
use crate::signals::AlarmState;

/// One query per (member, metric of its rules), with the namespace and
/// dimension of the member's kind and the statistic and period of the
/// first rule (file order, scale-up rules first) that reads the metric.
/// Deduplicated and sorted.
pub fn metric_queries(policy: &Policy, estate: &Estate) -> Vec<MetricQuery> {
    wanted(policy, estate).queries
}

/// The CloudWatch namespace and dimension name a kind's metrics carry.
pub(crate) fn metric_source(kind: ResourceKind) -> (&'static str, &'static str) {
    match kind {
        ResourceKind::RdsInstance => ("AWS/RDS", "DBInstanceIdentifier"),
        ResourceKind::AuroraCluster => ("AWS/RDS", "DBClusterIdentifier"),
        ResourceKind::MskCluster => ("AWS/Kafka", "Cluster Name"),
        ResourceKind::ElasticacheRedis => ("AWS/ElastiCache", "ReplicationGroupId"),
        ResourceKind::AutoscalingGroup => ("AWS/EC2", "AutoScalingGroupName"),
    }
}

/// What to read, over how long, and what the operator should know about it.
struct Wanted {
    queries: Vec<MetricQuery>,
    lookback: TimeDelta,
    notes: Vec<String>,
}

fn wanted(policy: &Policy, estate: &Estate) -> Wanted {
    let mut by_key: BTreeMap<(String, String), MetricQuery> = BTreeMap::new();
    let mut lookback = TimeDelta::zero();
    let mut notes = Vec::new();
    for member in &estate.members {
        let Some(resource) = policy.resource(&member.policy_id) else {
            continue;
        };
        let (namespace, dimension) = metric_source(member.kind);
        for rule in resource.rules() {
            let Trigger::Metric(t) = &rule.trigger else {
                continue;
            };
            let period_secs = u32::try_from(t.period.as_secs()).unwrap_or(u32::MAX);
            let query = MetricQuery {
                identifier: member.identifier.clone(),
                namespace: namespace.to_owned(),
                metric: t.metric.clone(),
                dimension: dimension.to_owned(),
                dimension_value: member.identifier.clone(),
                statistic: t.statistic.clone(),
                period_secs,
            };
            let key = (member.identifier.clone(), t.metric.clone());
            let read = by_key.entry(key).or_insert_with(|| query.clone());
            if read.statistic != query.statistic || read.period_secs != query.period_secs {
                notes.push(format!(
                    "{}: {} is read as {} over {} s; the rule that asks for {} over {} s judges on that series",
                    member.label(),
                    t.metric,
                    read.statistic,
                    read.period_secs,
                    query.statistic,
                    query.period_secs
                ));
            }
            // The rule judges its last N values of the series as read.
            let periods = i64::from(t.evaluation_periods.max(1)) + 1;
            let window = TimeDelta::seconds(i64::from(read.period_secs).saturating_mul(periods));
            lookback = lookback.max(window);
        }
    }
    notes.dedup();
    Wanted {
        queries: by_key.into_values().collect(),
        lookback,
        notes,
    }
}

/// Every alarm name the policy's rules map to, sorted, once each.
fn alarm_names(policy: &Policy) -> Vec<String> {
    let mut names: Vec<String> = policy
        .resources
        .iter()
        .flat_map(|r| r.rules().map(|rule| rule.alarm_name.clone()))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Reads alarm states and metric series into `obs.signals`; failures become notes.
pub(crate) async fn read(
    policy: &Policy,
    cloudwatch: &dyn CloudWatchPort,
    now: DateTime<Utc>,
    obs: &mut Observation,
) {
    let names = alarm_names(policy);
    if !names.is_empty() {
        match cloudwatch.alarm_states(&names).await {
            Ok(states) => {
                note_missing_alarms(policy, &states, &mut obs.notes);
                obs.signals.alarms.extend(states);
            }
            Err(e) => obs.notes.push(format!(
                "alarm states could not be read, rules judge on metrics only: {e}"
            )),
        }
    }
    let wanted = wanted(policy, &obs.estate);
    obs.notes.extend(wanted.notes);
    if wanted.queries.is_empty() {
        return;
    }
    match cloudwatch
        .recent_values(&wanted.queries, now, wanted.lookback)
        .await
    {
        Ok(series) => {
            for ((identifier, metric), values) in series {
                obs.signals.set_series(&identifier, &metric, values);
            }
        }
        Err(e) => obs.notes.push(format!(
            "metrics could not be read, rules judge on alarm states only: {e}"
        )),
    }
}

/// A rule on a named alarm that does not exist can never fire: say so.
/// (A metric rule's generated alarm may be missing until Terraform creates
/// it; the rule still judges on the metric.)
fn note_missing_alarms(
    policy: &Policy,
    states: &BTreeMap<String, AlarmState>,
    notes: &mut Vec<String>,
) {
    for resource in &policy.resources {
        for rule in resource.rules() {
            if matches!(rule.trigger, Trigger::Alarm) && !states.contains_key(&rule.alarm_name) {
                notes.push(format!(
                    "{}: alarm {} does not exist; its rule cannot fire",
                    resource.id, rule.alarm_name
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;

    use super::*;
    use crate::aws::{AwsError, ErrorKind};
    use crate::estate::{Member, Status};
    use crate::policy::load_str;

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
                member("cache", "cache", ResourceKind::ElasticacheRedis),
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
        assert_eq!(
            (
                web.namespace.as_str(),
                web.dimension.as_str(),
                web.dimension_value.as_str()
            ),
            ("AWS/EC2", "AutoScalingGroupName", "web-b")
        );
        let db = find(&qs, "db", "CPUUtilization");
        assert_eq!(
            (db.namespace.as_str(), db.dimension.as_str()),
            ("AWS/RDS", "DBInstanceIdentifier")
        );
        assert_eq!((db.statistic.as_str(), db.period_secs), ("Average", 300));
        assert_eq!(
            find(&qs, "orders", "ACUUtilization").dimension,
            "DBClusterIdentifier"
        );
        assert_eq!(
            find(&qs, "cache", "DatabaseMemoryUsagePercentage").namespace,
            "AWS/ElastiCache"
        );
        assert_eq!(
            find(&qs, "events", "ActiveControllerCount").dimension,
            "Cluster Name"
        );
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
        async fn alarm_states(
            &self,
            _: &[String],
        ) -> Result<BTreeMap<String, AlarmState>, AwsError> {
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
}
