//! Issue 12.14: what happened is what is recorded. Each mutating call is
//! carried out by the fakes and its answer lost (or the SDK's retry hears
//! "already done"); the resource is read back and the outcome follows what
//! AWS did, and so do the cooldown clock and the hourly count.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use tidegate::act::tap::{Heard, Tap, Tapped};
use tidegate::act::{Outcome, Pace, apply_action};
use tidegate::aws::{AwsError, ErrorKind};
use tidegate::estate::Setting;
use tidegate::fake::FakeAws;
use tidegate::ledger::{Ledger, LoggedStatus, MemoryLedger};
use tidegate::observe::{Ports, observe};
use tidegate::plan::{Action, Cause};
use tidegate::policy::{Direction, KnobName, Policy, ResourceKind, SpotMix};
use tidegate::ports::{
    AutoScalingGroup, AutoScalingPort, ClusterMember, DbCluster, DbInstance, KafkaCluster, Listing,
    ReplicationGroup,
};
use tidegate::pricing::SnapshotPriceBook;
use tidegate::run::{Runner, Settings, Trigger};
use tidegate::signals::AlarmState;

const POLICY: &str = r#"
version: 1
estate: fakes
guardrails: { max_actions_per_hour: 10, oscillation_window: 0m, dry_run: false }
spot_mix:
  web: { spot_percent: 0, on_demand_base: 1, allocation_strategy: price-capacity-optimized, instance_types: [m6i.large] }
resources:
  - id: app-db
    kind: rds_instance
    identifier: app-db
    engine: postgres
    apply_immediately: true
    cooldown: { up: 30m, down: 30m }
    instance_class: { ladder: [db.r6g.large, db.r6g.xlarge, db.r6g.2xlarge] }
    scale_up: [{ alarm: app-db-cpu-high }]
  - id: orders
    kind: aurora_cluster
    identifier: orders
    engine: aurora-mysql
    writer_class: { ladder: [db.r6g.large, db.r6g.xlarge] }
    readers: { min: 0, max: 5 }
    scale_up: [{ alarm: orders-high, scales: readers }]
  - id: events
    kind: msk_cluster
    identifier: events
    az_count: 3
    brokers: { min: 3, max: 6 }
    broker_type: { ladder: [kafka.m5.xlarge, kafka.m5.2xlarge] }
    scale_up: [{ alarm: events-cpu-high, scales: brokers }]
  - id: sessions
    kind: elasticache_redis
    identifier: sessions
    engine: redis
    node_type: { ladder: [cache.r6g.large, cache.r6g.xlarge] }
    scale_up: [{ alarm: sessions-high, scales: node_type }]
  - id: fleet
    kind: autoscaling_group
    identifier: fleet
    workload_class: web
    capacity: { min: 1, max: 10 }
    scale_up: [{ alarm: fleet-high, scales: capacity }]
"#;

const PACE: Pace = Pace {
    poll: std::time::Duration::from_millis(1),
    timeout: std::time::Duration::from_millis(50),
    deadline: None,
};

fn policy() -> Policy {
    tidegate::policy::load_str(POLICY, "fakes.yaml").unwrap_or_else(|e| panic!("{e}"))
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
        .single()
        .expect("valid instant")
}

fn instance(id: &str, class: &str, cluster: Option<&str>) -> DbInstance {
    crate::support::db_instance(id, class, cluster, now())
}

fn world() -> FakeAws {
    let aws = FakeAws::default();
    aws.rds
        .put_instance(instance("app-db", "db.r6g.large", None));
    for id in ["orders-w", "orders-r"] {
        aws.rds
            .put_instance(instance(id, "db.r6g.large", Some("orders")));
    }
    aws.rds.put_cluster(DbCluster {
        id: "orders".into(),
        arn: "arn:aws:rds:us-east-1:000000000000:cluster:orders".into(),
        engine: "aurora-mysql".into(),
        status: "available".into(),
        members: vec![
            ClusterMember {
                instance_id: "orders-w".into(),
                is_writer: true,
                is_reader: false,
            },
            ClusterMember {
                instance_id: "orders-r".into(),
                is_writer: false,
                is_reader: true,
            },
        ],
        serverless_v2: None,
        pending_modifications: false,
        tags: BTreeMap::new(),
    });
    aws.kafka.put(KafkaCluster {
        name: "events".into(),
        arn: "arn:aws:kafka:us-east-1:000000000000:cluster/events/1".into(),
        state: "ACTIVE".into(),
        current_version: "K1".into(),
        brokers: 3,
        broker_type: "kafka.m5.xlarge".into(),
        storage_gib: Some(1000),
        az_count: 3,
        tags: BTreeMap::new(),
    });
    aws.elasticache.put(
        ReplicationGroup {
            id: "sessions".into(),
            arn: "arn:aws:elasticache:us-east-1:000000000000:replicationgroup:sessions".into(),
            status: "available".into(),
            node_type: "cache.r6g.large".into(),
            shards: 1,
            replicas: 1,
            cluster_mode: false,
            multi_az: true,
            pending_modifications: false,
            engine: "redis".into(),
            member_clusters: vec!["sessions-001".into(), "sessions-002".into()],
        },
        BTreeMap::new(),
    );
    aws.autoscaling.put(AutoScalingGroup {
        name: "fleet".into(),
        arn: "arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:u:autoScalingGroupName/fleet"
            .into(),
        min: 2,
        max: 10,
        desired: 4,
        status: None,
        mix: None,
        tags: BTreeMap::new(),
    });
    aws
}

fn reset(operation: &'static str, resource: &str) -> AwsError {
    AwsError {
        service: "test",
        operation,
        resource: resource.to_owned(),
        kind: ErrorKind::Transient,
        code: None,
        message: "connection reset after the request was sent".to_owned(),
    }
}

/// The call is carried out; its answer is lost.
struct Lose;

impl Tap for Lose {
    fn after(&self, operation: &'static str, resource: &str, _carried_out: bool) -> Heard {
        Heard::Lost(reset(operation, resource))
    }
}

/// The call is carried out, its answer lost, and the SDK's retry heard.
struct Retry;

impl Tap for Retry {
    fn after(&self, _operation: &'static str, _resource: &str, _carried_out: bool) -> Heard {
        Heard::Retry
    }
}

fn action(
    policy_id: &str,
    kind: ResourceKind,
    knob: KnobName,
    from: Setting,
    to: Setting,
) -> Action {
    Action {
        policy_id: policy_id.into(),
        identifier: policy_id.into(),
        kind,
        knob,
        from,
        to,
        direction: Some(Direction::Up),
        cause: Cause::StorageGrowth { used_percent: 0.0 },
        reason: "test".into(),
        cost_delta_per_hour: None,
        refused: None,
        notes: Vec::new(),
        prices: Vec::new(),
    }
}

async fn act(aws: &FakeAws, ports: Ports<'_>, a: &Action) -> Outcome {
    let policy = policy();
    let fresh = observe(&policy, aws.ports(), now()).await;
    apply_action(a, &policy, ports, &fresh.estate, PACE).await
}

fn cases() -> Vec<Action> {
    use ResourceKind as K;
    vec![
        action(
            "app-db",
            K::RdsInstance,
            KnobName::InstanceClass,
            Setting::Class("db.r6g.large".into()),
            Setting::Class("db.r6g.xlarge".into()),
        ),
        action(
            "orders",
            K::AuroraCluster,
            KnobName::Readers,
            Setting::Count(1),
            Setting::Count(2),
        ),
        action(
            "orders",
            K::AuroraCluster,
            KnobName::Readers,
            Setting::Count(1),
            Setting::Count(0),
        ),
        action(
            "events",
            K::MskCluster,
            KnobName::Brokers,
            Setting::Count(3),
            Setting::Count(6),
        ),
        action(
            "sessions",
            K::ElasticacheRedis,
            KnobName::NodeType,
            Setting::Class("cache.r6g.large".into()),
            Setting::Class("cache.r6g.xlarge".into()),
        ),
        action(
            "fleet",
            K::AutoscalingGroup,
            KnobName::Capacity,
            Setting::Capacity {
                min: 2,
                max: 10,
                desired: 4,
            },
            Setting::Capacity {
                min: 3,
                max: 10,
                desired: 6,
            },
        ),
    ]
}

#[tokio::test]
async fn a_lost_answer_to_a_call_aws_carried_out_is_applied_for_every_kind() {
    for a in cases() {
        let aws = world();
        let tap = Tapped::new(aws.ports(), Lose);
        let outcome = act(&aws, tap.ports(), &a).await;
        match &outcome {
            Outcome::Applied { detail } => assert!(
                detail.contains("the change took effect"),
                "{} {}: {detail}",
                a.identifier,
                a.knob
            ),
            other => panic!(
                "{} {}: expected applied, got {other:?}",
                a.identifier, a.knob
            ),
        }
    }
}

#[tokio::test]
async fn already_done_answers_to_the_sdks_retry_are_applied_for_every_kind() {
    for a in cases() {
        let aws = world();
        let tap = Tapped::new(aws.ports(), Retry);
        let outcome = act(&aws, tap.ports(), &a).await;
        assert!(
            matches!(outcome, Outcome::Applied { .. }),
            "{} {}: expected applied, got {outcome:?}",
            a.identifier,
            a.knob
        );
    }
    // The retried Aurora create heard DBInstanceAlreadyExists, the retried
    // delete DBInstanceNotFound: both are done, and said so.
    let aws = world();
    let tap = Tapped::new(aws.ports(), Retry);
    let Outcome::Applied { detail } = act(&aws, tap.ports(), &cases()[1]).await else {
        panic!("applied");
    };
    assert!(
        detail.contains("orders-reader-1 already exists"),
        "{detail}"
    );
    assert_eq!(
        aws.rds.cluster("orders").map(|c| c.members.len()),
        Some(3),
        "one reader added, not two"
    );
}

/// Auto Scaling whose capacity updates fail without being carried out.
struct Refusing<'a>(&'a dyn AutoScalingPort);

#[async_trait]
impl AutoScalingPort for Refusing<'_> {
    async fn groups(&self) -> Result<Listing<AutoScalingGroup>, AwsError> {
        self.0.groups().await
    }
    async fn set_capacity(&self, name: &str, _: u32, _: u32, _: u32) -> Result<(), AwsError> {
        Err(reset("UpdateAutoScalingGroup", name))
    }
    async fn set_spot_mix(&self, name: &str, mix: &SpotMix) -> Result<(), AwsError> {
        self.0.set_spot_mix(name, mix).await
    }
    async fn group_of_instance(&self, id: &str) -> Result<Option<String>, AwsError> {
        self.0.group_of_instance(id).await
    }
    async fn start_instance_refresh(&self, name: &str, healthy: u32) -> Result<String, AwsError> {
        self.0.start_instance_refresh(name, healthy).await
    }
}

#[tokio::test]
async fn an_unmet_intent_is_a_failure_and_a_busy_read_back_is_left_open() {
    let aws = world();
    let refusing = Refusing(&aws.autoscaling);
    let ports = Ports {
        autoscaling: &refusing,
        ..aws.ports()
    };
    let fleet = cases().pop().expect("fleet");
    let Outcome::Failed { error, .. } = act(&aws, ports, &fleet).await else {
        panic!("failed");
    };
    assert!(
        error.ends_with("connection reset after the request was sent; read back: capacity is desired 4 (min 2, max 10)"),
        "{error}"
    );

    // The answer is lost and AWS shows the cluster updating, not yet at
    // the target: under way, for a later run to settle.
    struct LoseAndHold<'a>(&'a FakeAws);
    impl Tap for LoseAndHold<'_> {
        fn after(&self, operation: &'static str, resource: &str, _: bool) -> Heard {
            let mut c = self.0.kafka.cluster("events").expect("cluster");
            c.brokers = 3; // AWS shows the old count while it updates
            self.0.kafka.put(c);
            Heard::Lost(reset(operation, resource))
        }
    }
    let aws = world();
    let tap = Tapped::new(aws.ports(), LoseAndHold(&aws));
    let outcome = act(&aws, tap.ports(), &cases()[3]).await;
    assert!(
        matches!(&outcome, Outcome::InProgress { detail } if detail.contains("AWS may be carrying the change out")),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn the_cooldown_clock_follows_what_aws_did_not_what_was_heard() {
    let aws = world();
    aws.cloudwatch
        .set_alarm("app-db-cpu-high", AlarmState::Alarm);
    let policy = policy();
    let prices = SnapshotPriceBook::embedded();
    let ledger = MemoryLedger::default();
    let tap = Tapped::new(aws.ports(), Lose);
    let run = |ports, holder, at| {
        let runner = Runner {
            policy: &policy,
            ports,
            ledger: &ledger,
            notify: None,
            prices: &prices,
            holder,
            settings: Settings {
                pace: PACE,
                ..Settings::default()
            },
        };
        async move { runner.run(&Trigger::schedule(None), at).await.expect("run") }
    };
    let first = run(tap.ports(), "run-1", now()).await;
    let db: Vec<_> = first
        .outcomes
        .iter()
        .filter(|r| r.action.identifier == "app-db")
        .collect();
    assert!(matches!(db[0].outcome, Outcome::Applied { .. }), "{db:?}");
    let log = ledger
        .log_since(now() - TimeDelta::hours(1), now() + TimeDelta::hours(1))
        .await
        .expect("log");
    let entry = log
        .iter()
        .find(|e| e.action.identifier == "app-db")
        .expect("logged");
    assert_eq!(
        entry.outcome.as_ref().map(|o| o.status),
        Some(LoggedStatus::Applied)
    );
    let history = ledger.history(now()).await.expect("history");
    // The clock starts, and the hourly count includes it.
    assert_eq!(
        history
            .last_knob_change("app-db", KnobName::InstanceClass)
            .map(|a| a.at),
        Some(now())
    );
    let counted = history
        .actions
        .iter()
        .filter(|a| a.identifier == "app-db")
        .count();
    assert_eq!(counted, 1);
    assert!(history.actions_in_hour_before(now()) >= 1);

    // Two minutes later the alarm still fires: the cooldown holds.
    aws.rds.settle();
    let second = run(aws.ports(), "run-2", now() + TimeDelta::minutes(2)).await;
    // Every change of the first run was read back as applied.
    assert!(
        first
            .outcomes
            .iter()
            .all(|r| matches!(r.outcome, Outcome::Applied { .. })),
        "{:?}",
        first.outcomes
    );
    let again = second
        .applied()
        .filter(|r| r.action.identifier == "app-db")
        .count();
    assert_eq!(again, 0, "{:?}", second.outcomes);
    // Nothing of app-db is planned or applied while its cooldown runs
    // (before, the change was recorded failed, with no clock, and made again).
    let plan = second.plan.expect("plan");
    assert!(
        plan.planned().all(|a| a.identifier != "app-db"),
        "{:?}",
        plan.actions
    );
}
