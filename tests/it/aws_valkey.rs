//! aws_valkey (issue 17.4): a Valkey replication group, created in moto
//! server with `Engine=valkey`, moved through `tidegate plan` and `apply`
//! (the runner over a memory ledger): node type, then shards, then replicas,
//! each read back through DescribeReplicationGroups, and each priced with
//! the snapshot's Valkey node prices, not Redis OSS's.
//!
//! moto 5.2.5 accepts `Engine=valkey` on CreateReplicationGroup and answers
//! it back in `Engine`; the shard and replica changes are the launcher's
//! (tests/README.md), which do not look at the engine either.

use aws_sdk_cloudwatch::types::StateValue;
use aws_sdk_elasticache::types::ClusterMode;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use tidegate::act::Outcome;
use tidegate::aws::Adapters;
use tidegate::estate::Setting;
use tidegate::plan::Plan;
use tidegate::policy::{KnobName, Policy, load_str};
use tidegate::pricing::SnapshotPriceBook;

use crate::aws_estate::fire;
use crate::support::{MotoServer, OnePath, unique};

/// The snapshot's on-demand node-hour prices in us-east-1
/// (data/prices/aws-us-east-1.csv): Valkey is 20% under Redis OSS.
const VALKEY_LARGE: f64 = 0.1648;
const VALKEY_XLARGE: f64 = 0.3288;
const REDIS_LARGE: f64 = 0.206;
const REDIS_XLARGE: f64 = 0.411;

/// A Valkey group with one named scale-up alarm per knob, so each round
/// fires exactly the knob it moves. No cooldown: the rounds are an hour apart.
fn policy(id: &str) -> Policy {
    let yaml = format!(
        r#"
version: 1
estate: aws-valkey
guardrails:
  max_actions_per_hour: 10
  oscillation_window: 0s
  dry_run: false
  default_cooldown: {{ up: 0s, down: 0s }}
resources:
  - id: cache
    kind: elasticache_redis
    identifier: {id}
    engine: valkey
    node_type: {{ ladder: [cache.r6g.large, cache.r6g.xlarge], floor: cache.r6g.large }}
    shards: {{ min: 1, max: 2, floor: 1 }}
    replicas: {{ min: 1, max: 2 }}
    scale_up:
      - {{ alarm: {id}-memory, scales: node_type }}
      - {{ alarm: {id}-cpu, scales: shards }}
      - {{ alarm: {id}-reads, scales: replicas }}
"#
    );
    load_str(&yaml, "aws_valkey.yaml").unwrap_or_else(|e| panic!("valid policy: {e}"))
}

/// What the group holds, described again through the SDK.
async fn described(sdk: &aws_sdk_elasticache::Client, id: &str) -> (String, String, Vec<usize>) {
    let out = sdk
        .describe_replication_groups()
        .replication_group_id(id)
        .send()
        .await
        .expect("describe replication group");
    let g = out.replication_groups().first().expect("the group");
    (
        g.engine().unwrap_or_default().to_owned(),
        g.cache_node_type().unwrap_or_default().to_owned(),
        g.node_groups()
            .iter()
            .map(|n| n.node_group_members().len().saturating_sub(1))
            .collect(),
    )
}

/// The one planned action: its knob, target and hourly cost change.
fn only_planned(plan: &Plan) -> (KnobName, Setting, f64) {
    let planned: Vec<_> = plan.planned().collect();
    assert_eq!(planned.len(), 1, "{plan:#?}");
    let a = planned[0];
    let delta = a
        .cost_delta_per_hour
        .unwrap_or_else(|| panic!("priced: {a:#?}"));
    (a.knob, a.to.clone(), delta)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

/// Tuesday 10:00 UTC, and an hour later per round.
fn round(n: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
        .single()
        .expect("valid instant")
        + TimeDelta::hours(n)
}

#[tokio::test]
async fn a_valkey_group_moves_node_type_shards_and_replicas_through_plan_and_apply() {
    let moto = MotoServer::shared();
    let config = moto.sdk_config().await;
    let sdk = aws_sdk_elasticache::Client::new(&config);
    let cw = aws_sdk_cloudwatch::Client::new(&config);
    let id = unique("valkey-e2e");
    sdk.create_replication_group()
        .replication_group_id(&id)
        .replication_group_description("tidegate valkey test")
        .engine("valkey")
        .cache_node_type("cache.r6g.large")
        .cluster_mode(ClusterMode::Enabled)
        .num_node_groups(1)
        .replicas_per_node_group(1)
        .automatic_failover_enabled(true)
        .send()
        .await
        .expect("moto creates a Valkey replication group");
    assert_eq!(
        described(&sdk, &id).await,
        ("valkey".into(), "cache.r6g.large".into(), vec![1])
    );

    let policy = policy(&id);
    let adapters = Adapters::new(&config);
    let prices = SnapshotPriceBook::embedded();
    let path = OnePath::new(&policy, adapters.ports(), &prices);

    // 1. Node type: 2 nodes (1 shard × (1 + 1)) from large to xlarge.
    fire_alone(&cw, None, &format!("{id}-memory")).await;
    let plan = path.plan(round(0)).await;
    let (knob, to, delta) = only_planned(&plan);
    assert_eq!(
        (knob, to.clone()),
        (
            KnobName::NodeType,
            Setting::Class("cache.r6g.xlarge".into())
        )
    );
    assert!(
        close(delta, 2.0 * (VALKEY_XLARGE - VALKEY_LARGE)),
        "Valkey's prices, not Redis OSS's ({}): {delta}",
        2.0 * (REDIS_XLARGE - REDIS_LARGE)
    );
    apply_all(&path, &plan, round(0)).await;
    assert_eq!(
        described(&sdk, &id).await,
        ("valkey".into(), "cache.r6g.xlarge".into(), vec![1])
    );

    // 2. Shards: 1 → 2, two more xlarge nodes.
    fire_alone(&cw, Some(&format!("{id}-memory")), &format!("{id}-cpu")).await;
    let plan = path.plan(round(1)).await;
    let (knob, to, delta) = only_planned(&plan);
    assert_eq!((knob, to), (KnobName::Shards, Setting::Count(2)));
    assert!(close(delta, 2.0 * VALKEY_XLARGE), "{delta}");
    apply_all(&path, &plan, round(1)).await;
    assert_eq!(
        described(&sdk, &id).await,
        ("valkey".into(), "cache.r6g.xlarge".into(), vec![1, 1])
    );

    // 3. Replicas: 1 → 2 per shard, one more xlarge node in each of 2 shards.
    fire_alone(&cw, Some(&format!("{id}-cpu")), &format!("{id}-reads")).await;
    let plan = path.plan(round(2)).await;
    let (knob, to, delta) = only_planned(&plan);
    assert_eq!((knob, to), (KnobName::Replicas, Setting::Count(2)));
    assert!(close(delta, 2.0 * VALKEY_XLARGE), "{delta}");
    apply_all(&path, &plan, round(2)).await;
    assert_eq!(
        described(&sdk, &id).await,
        ("valkey".into(), "cache.r6g.xlarge".into(), vec![2, 2])
    );

    let history = path.ledger.snapshot().history();
    assert_eq!(history.actions.len(), 3, "every applied change recorded");
}

/// Applies `plan` and checks that every planned change was carried out.
async fn apply_all(path: &OnePath<'_>, plan: &Plan, now: DateTime<Utc>) {
    let reports = path.apply(plan, now).await.outcomes;
    assert_eq!(reports.len(), 1, "{reports:#?}");
    for r in &reports {
        assert!(
            matches!(r.outcome, Outcome::Applied { .. }),
            "{}: {:?}",
            r.action.identifier,
            r.outcome
        );
    }
}

/// Puts `previous` (the last round's alarm) back to OK and fires `alarm`,
/// so a round's plan moves exactly one knob.
async fn fire_alone(cw: &aws_sdk_cloudwatch::Client, previous: Option<&str>, alarm: &str) {
    if let Some(previous) = previous {
        cw.set_alarm_state()
            .alarm_name(previous)
            .state_value(StateValue::Ok)
            .state_reason("test: next round")
            .send()
            .await
            .unwrap_or_else(|e| panic!("clear {previous}: {e:?}"));
    }
    fire(cw, alarm).await;
}
