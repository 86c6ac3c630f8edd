//! Serverless v2 from 0 to 256 ACU at act time (issue 17.1): a minimum of
//! 0 carries the policy's SecondsUntilAutoPause, and a range the cluster's
//! engine version cannot take (ServerlessV2FeaturesSupport) is refused
//! before any call, with AWS's limits in the reason.

use super::*;

const PAUSING: &str = "version: 1\nestate: t\nguardrails: { max_actions_per_hour: 9, oscillation_window: 1h, dry_run: false }\nresources:\n  - { id: c, kind: aurora_cluster, identifier: c, engine: aurora-mysql, serverless_v2: { min_acu: 0, max_acu: 256, step_acu: 64, seconds_until_auto_pause: 900 } }\n";

/// The estate of the other Aurora act tests, its cluster on Serverless v2
/// at 1–64 ACU.
fn serverless() -> FakeAws {
    let aws = estate();
    let mut c = aws.rds.cluster("c").expect("cluster");
    c.serverless_v2 = Some((1.0, 64.0));
    aws.rds.put_cluster(c);
    aws
}

async fn set(aws: &FakeAws, min: f64, max: f64) -> Result<Outcome, AwsError> {
    let policy = load_str(PAUSING, "t.yaml").expect("valid policy");
    let obs = crate::observe::observe(&policy, aws.ports(), Utc::now()).await;
    let action = action(KnobName::ServerlessV2, Setting::Acu { min, max });
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
    let aws = serverless();
    aws.rds.put_serverless_limits("c", (0.0, 256.0));
    let out = set(&aws, 0.0, 64.0).await.expect("applied");
    let Outcome::Applied { detail } = out else {
        panic!("{out:?}")
    };
    assert!(detail.contains("auto-pause after 900 s"), "{detail}");
    let c = aws.rds.cluster("c").expect("cluster");
    assert_eq!(c.serverless_v2, Some((0.0, 64.0)));
    assert_eq!(aws.rds.auto_pause_seconds("c"), Some(900));
    // Back above 0: AWS drops the delay, and tidegate sends none.
    aws.rds.settle();
    set(&aws, 1.0, 64.0).await.expect("applied");
    assert_eq!(aws.rds.auto_pause_seconds("c"), None);
}

#[tokio::test]
async fn an_engine_version_without_auto_pause_is_refused_before_any_call() {
    let aws = serverless();
    // An older version: no auto-pause, at most 128 ACU.
    aws.rds.put_serverless_limits("c", (0.5, 128.0));
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
    assert_eq!(aws.rds.calls(), vec!["ModifyDBCluster c"]);
}

#[tokio::test]
async fn a_recent_engine_version_takes_256_acu() {
    let aws = serverless();
    aws.rds.put_serverless_limits("c", (0.0, 256.0));
    set(&aws, 1.0, 256.0).await.expect("applied");
    let c = aws.rds.cluster("c").expect("cluster");
    assert_eq!(c.serverless_v2, Some((1.0, 256.0)));
}
