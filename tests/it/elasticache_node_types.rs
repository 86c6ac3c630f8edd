//! Issue 17.3: before a node-type change tidegate asks ElastiCache's
//! ListAllowedNodeTypeModifications and holds a change AWS would refuse,
//! saying what AWS allows. moto 5.2.5 lacks the operation (HTTP 500), so the
//! refusal runs through the fake (`FakeElastiCache::put_allowed_node_types`)
//! driving the real engine, and the moto test shows the adapter reading "not
//! implemented" as "unknown": ModifyReplicationGroup judges, the change goes
//! ahead.

use std::collections::BTreeMap;

use aws_sdk_elasticache::types::ClusterMode;
use chrono::{DateTime, TimeZone, Utc};
use tidegate::act::Outcome;
use tidegate::aws::ElastiCacheAdapter;
use tidegate::fake::FakeAws;
use tidegate::policy::{Policy, load_str};
use tidegate::ports::{AllowedNodeTypes, ElastiCachePort, ReplicationGroup};
use tidegate::pricing::SnapshotPriceBook;

use crate::support::{MotoServer, OnePath, unique};

const POLICY: &str = r#"
version: 1
estate: node-types
guardrails: { max_actions_per_hour: 10, oscillation_window: 0m, dry_run: false }
resources:
  - id: cache
    kind: elasticache_redis
    identifier: cache
    engine: valkey
    cooldown: { up: 0m, down: 0m }
    node_type: { ladder: [cache.r6g.large, cache.r6g.xlarge, cache.r6g.2xlarge] }
    scale_up: [{ alarm: cache-memory-high, scales: node_type }]
"#;

fn policy() -> Policy {
    load_str(POLICY, "node_types.yaml").unwrap_or_else(|e| panic!("{e}"))
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
        .single()
        .expect("valid instant")
}

/// A Valkey group on cache.r6g.large whose scale-up alarm fires.
fn world() -> FakeAws {
    let aws = FakeAws::default();
    aws.elasticache.put(
        ReplicationGroup {
            id: "cache".into(),
            arn: "arn:aws:elasticache:us-east-1:000000000000:replicationgroup:cache".into(),
            status: "available".into(),
            node_type: "cache.r6g.large".into(),
            shards: 1,
            replicas: 1,
            cluster_mode: false,
            multi_az: true,
            pending_modifications: false,
            engine: "valkey".into(),
            member_clusters: vec!["cache-001".into(), "cache-002".into()],
        },
        BTreeMap::new(),
    );
    aws.cloudwatch
        .set_alarm("cache-memory-high", tidegate::signals::AlarmState::Alarm);
    aws
}

/// Plan then apply: the one node-type change's outcome, and the node type
/// the fake holds afterwards.
async fn plan_and_apply(aws: &FakeAws) -> (Outcome, String) {
    let policy = policy();
    let prices = SnapshotPriceBook::embedded();
    let path = OnePath::new(&policy, aws.ports(), &prices);
    let plan = path.plan(now()).await;
    let planned: Vec<_> = plan.planned().collect();
    assert_eq!(planned.len(), 1, "{plan:#?}");
    assert_eq!(planned[0].to.to_string(), "cache.r6g.xlarge");
    let mut outcomes = path.apply(&plan, now()).await.outcomes;
    assert_eq!(outcomes.len(), 1, "{outcomes:#?}");
    let groups = aws.elasticache.replication_groups().await.expect("list");
    (
        outcomes.remove(0).outcome,
        groups.items[0].node_type.clone(),
    )
}

#[tokio::test]
async fn a_node_type_aws_does_not_allow_is_held_with_what_it_allows() {
    let aws = world();
    // AWS offers only a jump to 2xlarge from here (no xlarge in this region).
    aws.elasticache.put_allowed_node_types(
        "cache",
        AllowedNodeTypes {
            scale_up: vec!["cache.r6g.2xlarge".into()],
            scale_down: vec!["cache.t4g.medium".into()],
        },
    );
    let (outcome, node_type) = plan_and_apply(&aws).await;
    let Outcome::Failed { error, .. } = outcome else {
        panic!("held: {outcome:?}");
    };
    assert!(
        error.contains(
            "AWS allows scale-up to cache.r6g.2xlarge / scale-down to cache.t4g.medium only, not cache.r6g.xlarge"
        ),
        "{error}"
    );
    assert_eq!(node_type, "cache.r6g.large", "nothing was sent");
}

#[tokio::test]
async fn a_node_type_aws_lists_goes_ahead() {
    let aws = world();
    aws.elasticache.put_allowed_node_types(
        "cache",
        AllowedNodeTypes {
            scale_up: vec!["cache.r6g.xlarge".into(), "cache.r6g.2xlarge".into()],
            scale_down: Vec::new(),
        },
    );
    let (outcome, node_type) = plan_and_apply(&aws).await;
    assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
    assert_eq!(node_type, "cache.r6g.xlarge");
}

#[tokio::test]
async fn without_the_operation_modify_replication_group_judges() {
    let config = MotoServer::shared().sdk_config().await;
    let sdk = aws_sdk_elasticache::Client::new(&config);
    let id = unique("allowed-types");
    sdk.create_replication_group()
        .replication_group_id(&id)
        .replication_group_description("tidegate test")
        .engine("valkey")
        .cache_node_type("cache.r6g.large")
        .cluster_mode(ClusterMode::Enabled)
        .num_node_groups(1)
        .replicas_per_node_group(1)
        .automatic_failover_enabled(true)
        .send()
        .await
        .expect("create replication group");
    // moto 5.2.5 lacks the operation and answers a bare HTTP 500 page (no
    // AWS error code, nothing that says "not implemented"): the adapter
    // reports the failed call, naming it; the act path treats a failed
    // lookup as "unknown" and lets ModifyReplicationGroup judge, which
    // aws_valkey shows end to end (its node-type change goes ahead on moto).
    let adapter = ElastiCacheAdapter::new(&config);
    let err = adapter
        .allowed_node_types(&id)
        .await
        .expect_err("moto has no ListAllowedNodeTypeModifications");
    assert_eq!(err.operation, "ListAllowedNodeTypeModifications");
    assert_eq!(err.resource, id);
}
