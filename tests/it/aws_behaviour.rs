//! AWS behaviours moto server does not show (tests/README.md lists them),
//! through the ports' stateful fakes (`tidegate::fake`, feature
//! `test-util`), driving the real engine: `tidegate plan` and `apply` through
//! the runner over a memory ledger (a fresh one per step, so no cooldown
//! hides what AWS shows).
//!
//! - a modification leaves the resource `modifying` (moto applies at once);
//! - `ApplyImmediately=false` leaves it pending until the maintenance window
//!   (moto applies at once);
//! - Serverless v2 refuses min > max (moto accepts it; tidegate checks first);
//! - MSK refuses an update while the cluster is not ACTIVE.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::{DateTime, TimeZone, Utc};
use tidegate::act::{Outcome, Pace, Report};
use tidegate::fake::FakeAws;
use tidegate::plan::{Guard, Plan};
use tidegate::policy::{KnobName, Policy};
use tidegate::ports::{ClusterMember, DbCluster, DbInstance, KafkaCluster};
use tidegate::pricing::SnapshotPriceBook;

use crate::support::OnePath;

static PRICES: LazyLock<SnapshotPriceBook> = LazyLock::new(SnapshotPriceBook::embedded);

const POLICY: &str = r#"
version: 1
estate: fakes
guardrails: { max_actions_per_hour: 10, oscillation_window: 0m, dry_run: false }
resources:
  - id: app-db
    kind: rds_instance
    identifier: app-db
    engine: postgres
    apply_immediately: APPLY
    cooldown: { up: 0m, down: 0m }
    instance_class: { ladder: [db.r6g.large, db.r6g.xlarge, db.r6g.2xlarge] }
    scale_up: [{ alarm: app-db-cpu-high }]
  - id: orders
    kind: aurora_cluster
    identifier: orders
    engine: aurora-mysql
    serverless_v2: { min_acu: 2, max_acu: 16, step_acu: 2 }
    scale_up: [{ alarm: orders-acu-high, scales: serverless_v2 }]
  - id: events
    kind: msk_cluster
    identifier: events
    az_count: 3
    brokers: { min: 3, max: 6 }
    broker_type: { ladder: [kafka.m5.xlarge, kafka.m5.2xlarge] }
    scale_up: [{ alarm: events-cpu-high, scales: brokers }]
"#;

fn policy(apply_immediately: bool) -> Policy {
    let text = POLICY.replace("APPLY", if apply_immediately { "true" } else { "false" });
    tidegate::policy::load_str(&text, "fakes.yaml").unwrap_or_else(|e| panic!("{e}"))
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
    aws.rds
        .put_instance(instance("orders-writer", "db.serverless", Some("orders")));
    aws.rds.put_cluster(DbCluster {
        id: "orders".into(),
        arn: "arn:aws:rds:us-east-1:000000000000:cluster:orders".into(),
        engine: "aurora-mysql".into(),
        status: "available".into(),
        members: vec![ClusterMember {
            instance_id: "orders-writer".into(),
            is_writer: true,
            is_reader: false,
        }],
        serverless_v2: Some((2.0, 4.0)),
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
    aws
}

fn fire(aws: &FakeAws, alarm: &str) {
    aws.cloudwatch
        .set_alarm(alarm, tidegate::signals::AlarmState::Alarm);
}

async fn plan(aws: &FakeAws, policy: &Policy) -> Plan {
    OnePath::new(policy, aws.ports(), &*PRICES)
        .plan(now())
        .await
}

/// `tidegate apply` of `plan`: each planned action's outcome.
async fn apply(aws: &FakeAws, policy: &Policy, plan: &Plan) -> Vec<Report> {
    OnePath::new(policy, aws.ports(), &*PRICES)
        .apply(plan, now())
        .await
        .outcomes
}

fn guard_for(plan: &Plan, identifier: &str) -> Option<Guard> {
    plan.actions
        .iter()
        .find(|a| a.identifier == identifier)
        .and_then(|a| a.refused.as_ref().map(|r| r.guard))
}

#[tokio::test]
async fn a_modifying_instance_is_left_alone_until_it_settles() {
    let aws = world();
    let policy = policy(true);
    fire(&aws, "app-db-cpu-high");
    let first = plan(&aws, &policy).await;
    let reports = apply(&aws, &policy, &first).await;
    assert!(
        reports.iter().any(
            |r| r.action.identifier == "app-db" && matches!(r.outcome, Outcome::Applied { .. })
        )
    );
    assert_eq!(
        aws.rds.instance("app-db").map(|i| i.status),
        Some("modifying".to_owned())
    );

    // Still in ALARM, but AWS is busy: the plan holds it and says why.
    let second = plan(&aws, &policy).await;
    assert_eq!(guard_for(&second, "app-db"), Some(Guard::ResourceStatus));
    let why = second
        .actions
        .iter()
        .find(|a| a.identifier == "app-db")
        .and_then(|a| a.refused.clone())
        .map(|r| r.why);
    assert!(
        why.as_deref().is_some_and(|w| w.contains("modifying")),
        "{why:?}"
    );

    aws.rds.settle();
    let third = plan(&aws, &policy).await;
    assert_eq!(
        guard_for(&third, "app-db"),
        None,
        "planned again once available"
    );
}

#[tokio::test]
async fn a_deferred_change_is_pending_until_the_maintenance_window() {
    let aws = world();
    let policy = policy(false);
    fire(&aws, "app-db-cpu-high");
    let first = plan(&aws, &policy).await;
    let note = first
        .actions
        .iter()
        .find(|a| a.identifier == "app-db")
        .map(|a| a.notes.join("; "));
    assert!(
        note.as_deref()
            .is_some_and(|n| n.contains("maintenance window")),
        "{note:?}"
    );
    apply(&aws, &policy, &first).await;
    let held = aws.rds.instance("app-db").expect("exists");
    assert_eq!(held.class, "db.r6g.large", "not applied yet");
    assert!(held.pending_modifications);

    let second = plan(&aws, &policy).await;
    assert_eq!(guard_for(&second, "app-db"), Some(Guard::ResourceStatus));

    aws.rds.maintenance_window();
    assert_eq!(
        aws.rds.instance("app-db").map(|i| i.class),
        Some("db.r6g.xlarge".to_owned())
    );
}

#[tokio::test]
async fn an_aws_refusal_fails_one_action_and_the_rest_of_the_plan_runs() {
    let aws = world();
    let policy = policy(true);
    fire(&aws, "orders-acu-high");
    fire(&aws, "events-cpu-high");
    // A saved plan edited by hand asks for min 12 / max 4 ACU: AWS refuses
    // that (moto would accept it); tidegate refuses it before the call.
    let plan = plan(&aws, &policy).await;
    let mut planned: Vec<_> = plan.planned().map(|a| a.identifier.clone()).collect();
    planned.sort();
    assert_eq!(planned, ["events", "orders"]);
    let mut tampered = plan.clone();
    for a in &mut tampered.actions {
        if a.knob == KnobName::ServerlessV2 {
            a.to = tidegate::estate::Setting::Acu {
                min: 12.0,
                max: 4.0,
            };
        }
    }
    // The runner decides again and never carries a hand-edited change (see
    // tests/it/recheck.rs), so the tampered plan goes through the step the
    // runner calls per action, in the runner's order; the untouched change
    // still runs after the refused one.
    let fresh = tidegate::observe::observe(&policy, aws.ports(), now()).await;
    let mut reports = Vec::new();
    for a in tampered.planned() {
        let outcome =
            tidegate::act::apply_action(a, &policy, aws.ports(), &fresh.estate, Pace::default())
                .await;
        reports.push(Report {
            action: a.clone(),
            outcome,
        });
    }
    let outcome = |id: &str| {
        reports
            .iter()
            .find(|r| r.action.identifier == id)
            .map(|r| r.outcome.clone())
    };
    match outcome("orders") {
        Some(Outcome::Failed { error, .. }) => {
            assert!(error.contains("ModifyDBCluster"), "{error}");
            assert!(error.contains("orders"), "{error}");
            assert!(error.contains("above the maximum"), "{error}");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    assert!(
        matches!(outcome("events"), Some(Outcome::Applied { .. })),
        "{reports:#?}"
    );
}

#[tokio::test]
async fn msk_is_never_updated_while_not_active() {
    let aws = world();
    let policy = policy(true);
    fire(&aws, "events-cpu-high");
    let first = plan(&aws, &policy).await;
    apply(&aws, &policy, &first).await;
    // The broker-count update is running: UPDATING until it settles.
    // 6 brokers is the top: nothing is proposed (at ceiling), and nothing
    // planned while UPDATING.
    let second = plan(&aws, &policy).await;
    assert!(
        second.planned().all(|a| a.identifier != "events"),
        "{:#?}",
        second.actions
    );
    // Applying the first plan again while UPDATING changes nothing.
    let again = apply(&aws, &policy, &first).await;
    // Decided again, the change is held (UPDATING): nothing is carried out.
    assert!(
        again.iter().all(|r| r.action.identifier != "events"
            || matches!(
                r.outcome,
                Outcome::AlreadyInEffect | Outcome::Skipped { .. }
            )),
        "{again:?}"
    );
    assert_eq!(
        aws.kafka.cluster("events").map(|c| c.brokers),
        Some(6),
        "no second update"
    );
    aws.kafka.settle();
    let settled = plan(&aws, &policy).await;
    assert_eq!(guard_for(&settled, "events"), None, "{settled:#?}");
    assert!(
        settled
            .at_limit
            .iter()
            .any(|a| a.identifier == "events" && a.side == tidegate::plan::LimitSide::Ceiling),
        "6 brokers is the top: at ceiling, {:#?}",
        settled.at_limit
    );
}

/// 12.4: one bad resource is one resource. RDS answers nothing at all (an
/// outage of one service) and one of two MSK clusters is listed half
/// described; the good cluster is still decided on and moved, and the plan
/// says, for each of the others, that it was not observed and why.
#[tokio::test]
async fn a_failed_describe_and_a_malformed_cluster_stop_only_themselves() {
    let policy = tidegate::policy::load_str(
        &format!(
            "{POLICY}{}",
            r#"
  - id: events-b
    kind: msk_cluster
    identifier: events-b
    az_count: 3
    brokers: { min: 3, max: 6 }
    broker_type: { ladder: [kafka.m5.xlarge, kafka.m5.2xlarge] }
    scale_up: [{ alarm: events-b-cpu-high, scales: brokers }]
"#
        )
        .replace("APPLY", "true"),
        "partial.yaml",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let aws = world();
    aws.kafka.put_unreadable(tidegate::ports::Unreadable {
        id: "events-b".into(),
        why: "kafka ListClustersV2: cluster \"events-b\" has no CurrentVersion in the response"
            .into(),
    });
    aws.rds.fail_describes(Some(tidegate::aws::AwsError {
        service: "rds",
        operation: "DescribeDBInstances",
        resource: String::new(),
        kind: tidegate::aws::ErrorKind::Transient,
        code: Some("InternalFailure".into()),
        message: "service unavailable".into(),
    }));
    for alarm in [
        "app-db-cpu-high",
        "orders-acu-high",
        "events-cpu-high",
        "events-b-cpu-high",
    ] {
        fire(&aws, alarm);
    }

    let plan = plan(&aws, &policy).await;
    let planned: Vec<&str> = plan.planned().map(|a| a.identifier.as_str()).collect();
    assert_eq!(planned, ["events"], "{:#?}", plan.actions);
    for (what, who) in [
        ("every rds_instance", "app-db"),
        ("every aurora_cluster", "orders"),
        ("msk_cluster events-b", "events-b"),
    ] {
        assert!(
            plan.notes
                .iter()
                .any(|n| n.starts_with(&format!("not observed: {what} ({who})"))),
            "{what}: {:#?}",
            plan.notes
        );
    }
    assert!(
        plan.notes.iter().any(|n| n.contains("service unavailable")),
        "the cause is given: {:#?}",
        plan.notes
    );
    assert!(
        !plan.notes.iter().any(|n| n.contains("matched no")),
        "a resource that could not be read is not one that does not exist: {:#?}",
        plan.notes
    );

    let reports = apply(&aws, &policy, &plan).await;
    assert!(
        reports.iter().any(
            |r| r.action.identifier == "events" && matches!(r.outcome, Outcome::Applied { .. })
        ),
        "{reports:#?}"
    );
}
