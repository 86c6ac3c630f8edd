//! Serverless v2 from 0 to 256 ACU at act time (issue 17.1): a minimum of
//! 0 carries the policy's SecondsUntilAutoPause, and a range the cluster's
//! engine version cannot take (ServerlessV2FeaturesSupport) is refused
//! before any call, with AWS's limits in the reason.

use chrono::Utc;

use super::*;
use crate::act::{NoJournal, Pace};
use crate::fake::FakeAws;
use crate::plan::Cause;
use crate::policy::{Direction, ResourceKind, load_str};
use crate::ports::{ClusterMember, DbCluster, DbInstance};

const POLICY: &str = "version: 1\nestate: t\nguardrails: { max_actions_per_hour: 9, oscillation_window: 1h, dry_run: false }\nresources:\n  - { id: dev, kind: aurora_cluster, identifier: dev, engine: aurora-postgresql, serverless_v2: { min_acu: 0, max_acu: 256, step_acu: 64, seconds_until_auto_pause: 900 } }\n";

const PACE: Pace = Pace {
    poll: std::time::Duration::from_millis(1),
    timeout: std::time::Duration::from_millis(50),
    deadline: None,
};

/// Cluster `dev` with one serverless writer at 1–64 ACU.
fn estate() -> FakeAws {
    let aws = FakeAws::default();
    aws.rds.put_instance(DbInstance {
        id: "dev-w".into(),
        arn: "arn:aws:rds:us-east-1:1:db:dev-w".into(),
        class: "db.serverless".into(),
        engine: "aurora-postgresql".into(),
        status: "available".into(),
        multi_az: false,
        pending_modifications: false,
        allocated_gib: 1,
        max_allocated_gib: None,
        storage_type: String::new(),
        iops: None,
        storage_throughput: None,
        cluster: Some("dev".into()),
        created: None,
        tags: Default::default(),
    });
    aws.rds.put_cluster(DbCluster {
        id: "dev".into(),
        arn: "arn:aws:rds:us-east-1:1:cluster:dev".into(),
        engine: "aurora-postgresql".into(),
        status: "available".into(),
        members: vec![ClusterMember {
            instance_id: "dev-w".into(),
            is_writer: true,
            is_reader: false,
        }],
        serverless_v2: Some((1.0, 64.0)),
        pending_modifications: false,
        tags: Default::default(),
    });
    aws
}

async fn set(aws: &FakeAws, min: f64, max: f64) -> Result<Outcome, AwsError> {
    let policy = load_str(POLICY, "t.yaml").expect("valid policy");
    let obs = crate::observe::observe(&policy, aws.ports(), Utc::now()).await;
    let to = Setting::Acu { min, max };
    let action = Action {
        policy_id: "dev".into(),
        identifier: "dev".into(),
        kind: ResourceKind::AuroraCluster,
        knob: KnobName::ServerlessV2,
        from: Setting::Acu {
            min: 1.0,
            max: 64.0,
        },
        to,
        direction: Some(Direction::Down),
        cause: Cause::StorageGrowth { used_percent: 0.0 },
        reason: "test".into(),
        cost_delta_per_hour: None,
        refused: None,
        notes: Vec::new(),
        prices: Vec::new(),
    };
    let member = &obs.estate.members[0];
    apply(
        &action,
        &policy.resources[0],
        member,
        aws.ports(),
        PACE,
        &NoJournal,
    )
    .await
}

#[tokio::test]
async fn a_minimum_of_zero_sends_the_policys_auto_pause_delay() {
    let aws = estate();
    aws.rds.put_serverless_limits("dev", (0.0, 256.0));
    let out = set(&aws, 0.0, 64.0).await.expect("applied");
    let Outcome::Applied { detail } = out else {
        panic!("{out:?}")
    };
    assert!(detail.contains("auto-pause after 900 s"), "{detail}");
    let c = aws.rds.cluster("dev").expect("cluster");
    assert_eq!(c.serverless_v2, Some((0.0, 64.0)));
    assert_eq!(aws.rds.auto_pause_seconds("dev"), Some(900));
    // Back above 0: AWS drops the delay, and tidegate sends none.
    aws.rds.settle();
    set(&aws, 1.0, 64.0).await.expect("applied");
    assert_eq!(aws.rds.auto_pause_seconds("dev"), None);
}

#[tokio::test]
async fn an_engine_version_without_auto_pause_is_refused_before_any_call() {
    let aws = estate();
    // An older version: no auto-pause, at most 128 ACU.
    aws.rds.put_serverless_limits("dev", (0.5, 128.0));
    let e = set(&aws, 0.0, 64.0).await.expect_err("no auto-pause");
    assert_eq!(e.operation, "ModifyDBCluster");
    assert!(
        e.message.contains("no Serverless v2 auto-pause"),
        "{}",
        e.message
    );
    assert!(e.message.contains("0.5 ACU"), "{}", e.message);
    let e = set(&aws, 1.0, 256.0).await.expect_err("above 128");
    assert!(e.message.contains("at most 128 ACU"), "{}", e.message);
    assert!(aws.rds.calls().is_empty(), "{:?}", aws.rds.calls());
    // Within the version's limits, the change goes through.
    set(&aws, 1.0, 128.0).await.expect("within limits");
    assert_eq!(aws.rds.calls(), vec!["ModifyDBCluster dev"]);
}

#[tokio::test]
async fn a_recent_engine_version_takes_256_acu() {
    let aws = estate();
    aws.rds.put_serverless_limits("dev", (0.0, 256.0));
    set(&aws, 1.0, 256.0).await.expect("applied");
    let c = aws.rds.cluster("dev").expect("cluster");
    assert_eq!(c.serverless_v2, Some((1.0, 256.0)));
}
