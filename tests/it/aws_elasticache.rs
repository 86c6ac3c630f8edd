//! aws_elasticache: against moto server. Each test creates its own
//! replication group through the SDK, runs the adapter → observe → act, and
//! describes the group again to see what AWS (moto) now holds.
//!
//! moto applies every change at once: the group never shows `modifying`
//! and nothing is ever pending.

use aws_sdk_elasticache::types::{ClusterMode, Tag};
use chrono::Utc;
use tidegate::act::{Outcome, Pace, Report};
use tidegate::aws::{
    AutoScalingAdapter, CloudWatchAdapter, ElastiCacheAdapter, ErrorKind, KafkaAdapter, RdsAdapter,
};
use tidegate::estate::{Setting, Status};
use tidegate::observe::{self, Observation, Ports};
use tidegate::plan::{Action, Cause};
use tidegate::policy::{Direction, KnobName, Policy, ResourceKind, load_str};
use tidegate::ports::ElastiCachePort;

use crate::support::{MotoServer, act_each, unique};

/// Every adapter on one configuration, for `Ports`.
struct Adapters {
    rds: RdsAdapter,
    elasticache: ElastiCacheAdapter,
    kafka: KafkaAdapter,
    autoscaling: AutoScalingAdapter,
    cloudwatch: CloudWatchAdapter,
    sdk: aws_sdk_elasticache::Client,
}

/// How a test group is made.
struct Shape {
    engine: &'static str,
    node_type: &'static str,
    cluster_mode: bool,
    shards: i32,
    replicas: i32,
}

/// What a group holds, described again.
#[derive(Debug, PartialEq)]
struct Described {
    node_type: String,
    node_groups: Vec<String>,
    replicas: Vec<usize>,
}

impl Adapters {
    async fn new() -> Self {
        let config = MotoServer::shared().sdk_config().await;
        Adapters {
            rds: RdsAdapter::new(&config),
            elasticache: ElastiCacheAdapter::new(&config),
            kafka: KafkaAdapter::new(&config),
            autoscaling: AutoScalingAdapter::new(&config),
            cloudwatch: CloudWatchAdapter::new(&config),
            sdk: aws_sdk_elasticache::Client::new(&config),
        }
    }

    fn ports(&self) -> Ports<'_> {
        Ports {
            rds: &self.rds,
            elasticache: &self.elasticache,
            kafka: &self.kafka,
            autoscaling: &self.autoscaling,
            cloudwatch: &self.cloudwatch,
        }
    }

    async fn create(&self, id: &str, shape: Shape, tag: Option<(&str, &str)>) {
        let mut call = self
            .sdk
            .create_replication_group()
            .replication_group_id(id)
            .replication_group_description("tidegate test")
            .engine(shape.engine)
            .cache_node_type(shape.node_type)
            .replicas_per_node_group(shape.replicas)
            .automatic_failover_enabled(shape.replicas > 0);
        if shape.cluster_mode {
            call = call
                .cluster_mode(ClusterMode::Enabled)
                .num_node_groups(shape.shards);
        }
        if let Some((k, v)) = tag {
            call = call.tags(Tag::builder().key(k).value(v).build());
        }
        call.send().await.expect("create replication group");
    }

    async fn describe(&self, id: &str) -> Described {
        let out = self
            .sdk
            .describe_replication_groups()
            .replication_group_id(id)
            .send()
            .await
            .expect("describe replication group");
        let g = out.replication_groups().first().expect("the group");
        Described {
            node_type: g.cache_node_type().expect("node type").to_owned(),
            node_groups: g
                .node_groups()
                .iter()
                .map(|n| n.node_group_id().expect("node group id").to_owned())
                .collect(),
            replicas: g
                .node_groups()
                .iter()
                .map(|n| n.node_group_members().len() - 1)
                .collect(),
        }
    }

    async fn observe(&self, policy: &Policy) -> Observation {
        observe::observe(policy, self.ports(), Utc::now()).await
    }

    /// Observes, then carries out one action from `from` to `to` on `knob`.
    async fn act(
        &self,
        policy: &Policy,
        id: &str,
        knob: KnobName,
        from: Setting,
        to: Setting,
    ) -> Report {
        let obs = self.observe(policy).await;
        let mut reports = act_each(
            vec![action(id, knob, from, to)],
            policy,
            self.ports(),
            &obs.estate,
            Pace::default(),
        )
        .await;
        assert_eq!(reports.len(), 1);
        reports.remove(0)
    }
}

fn policy(selector: &str) -> Policy {
    let yaml = format!(
        r#"
version: 1
estate: aws-elasticache
guardrails: {{ max_actions_per_hour: 10, oscillation_window: 1h }}
resources:
  - id: sessions
    kind: elasticache_redis
    {selector}
    engine: redis
    node_type: {{ ladder: [cache.r6g.large, cache.r6g.xlarge], floor: cache.r6g.large }}
    shards: {{ min: 1, max: 3, floor: 1 }}
    replicas: {{ min: 1, max: 3 }}
"#
    );
    load_str(&yaml, "aws_elasticache.yaml").expect("valid policy")
}

fn action(id: &str, knob: KnobName, from: Setting, to: Setting) -> Action {
    Action {
        policy_id: "sessions".into(),
        identifier: id.into(),
        kind: ResourceKind::ElasticacheRedis,
        knob,
        from,
        to,
        direction: Some(Direction::Up),
        cause: Cause::Rule {
            rule: "EngineCPUUtilization > 70".into(),
            alarm: "sessions-cpu-high".into(),
            critical: false,
        },
        reason: "test".into(),
        cost_delta_per_hour: None,
        refused: None,
        notes: Vec::new(),
        prices: Vec::new(),
    }
}

fn applied(report: &Report) -> &str {
    match &report.outcome {
        Outcome::Applied { detail } => detail,
        other => panic!("expected the change to be applied, got {other:?}"),
    }
}

#[tokio::test]
async fn observes_a_group_by_id_and_by_tags() {
    let a = Adapters::new().await;
    let id = unique("redis-observe");
    let team = unique("team");
    a.create(
        &id,
        Shape {
            engine: "redis",
            node_type: "cache.r6g.large",
            cluster_mode: true,
            shards: 2,
            replicas: 1,
        },
        Some(("team", &team)),
    )
    .await;
    let other = unique("valkey-other");
    a.create(
        &other,
        Shape {
            engine: "valkey",
            node_type: "cache.r6g.large",
            cluster_mode: false,
            shards: 1,
            replicas: 1,
        },
        Some(("team", "someone-else")),
    )
    .await;

    let obs = a.observe(&policy(&format!("identifier: {id}"))).await;
    let m = obs.estate.members_of("sessions").next().expect("selected");
    assert_eq!(m.identifier, id);
    assert_eq!(m.status, Status::Available);
    assert!(!m.pending_changes);
    assert_eq!(
        m.settings.get(&KnobName::NodeType),
        Some(&Setting::Class("cache.r6g.large".into()))
    );
    assert_eq!(m.settings.get(&KnobName::Shards), Some(&Setting::Count(2)));
    assert_eq!(
        m.settings.get(&KnobName::Replicas),
        Some(&Setting::Count(1))
    );
    assert!(m.tags.is_empty(), "an identifier selector reads no tags");
    // Node metrics are published per member cluster: 2 shards × (1 + 1).
    assert_eq!(m.parts.len(), 4, "{:?}", m.parts);
    assert!(m.parts.iter().all(|c| c.starts_with(&id)), "{:?}", m.parts);

    let obs = a
        .observe(&policy(&format!("tags: {{ team: {team} }}")))
        .await;
    let picked: Vec<_> = obs
        .estate
        .members_of("sessions")
        .map(|m| m.identifier.clone())
        .collect();
    assert_eq!(picked, std::slice::from_ref(&id));
    let m = obs.estate.members_of("sessions").next().expect("selected");
    assert_eq!(m.tags.get("team"), Some(&team));

    let groups = a.elasticache.replication_groups().await.expect("describe");
    let g = groups.iter().find(|g| g.id == id).expect("described");
    assert_eq!(g.engine, "redis");
    assert!(g.cluster_mode);
    let g = groups.iter().find(|g| g.id == other).expect("described");
    assert_eq!(g.engine, "valkey", "read from the group's Engine field");
    assert!(!g.cluster_mode);
    assert_eq!((g.shards, g.replicas), (1, 1));
}

#[tokio::test]
async fn a_selector_matching_nothing_is_a_note() {
    let a = Adapters::new().await;
    let id = unique("redis-absent");
    let obs = a.observe(&policy(&format!("identifier: {id}"))).await;
    assert_eq!(obs.estate.members_of("sessions").count(), 0);
    assert!(
        obs.notes
            .contains(&format!("sessions: no replication group named {id}")),
        "{:?}",
        obs.notes
    );
}

#[tokio::test]
async fn node_type_changes() {
    let a = Adapters::new().await;
    let id = unique("redis-type");
    a.create(
        &id,
        Shape {
            engine: "redis",
            node_type: "cache.r6g.large",
            cluster_mode: false,
            shards: 1,
            replicas: 1,
        },
        None,
    )
    .await;

    let r = a
        .act(
            &policy(&format!("identifier: {id}")),
            &id,
            KnobName::NodeType,
            Setting::Class("cache.r6g.large".into()),
            Setting::Class("cache.r6g.xlarge".into()),
        )
        .await;
    assert_eq!(
        applied(&r),
        format!(
            "ModifyReplicationGroup {id} CacheNodeType cache.r6g.large → cache.r6g.xlarge, ApplyImmediately"
        )
    );
    assert_eq!(a.describe(&id).await.node_type, "cache.r6g.xlarge");
}

#[tokio::test]
async fn shards_grow_from_one_to_two_and_shrink_by_removing_the_last() {
    let a = Adapters::new().await;
    let id = unique("redis-shards");
    a.create(
        &id,
        Shape {
            engine: "redis",
            node_type: "cache.r6g.large",
            cluster_mode: true,
            shards: 1,
            replicas: 1,
        },
        None,
    )
    .await;
    let policy = policy(&format!("identifier: {id}"));
    let before = a.describe(&id).await;
    assert_eq!(before.node_groups.len(), 1);

    let r = a
        .act(
            &policy,
            &id,
            KnobName::Shards,
            Setting::Count(1),
            Setting::Count(2),
        )
        .await;
    assert!(
        applied(&r).starts_with("ModifyReplicationGroupShardConfiguration"),
        "{r:?}"
    );
    let grown = a.describe(&id).await;
    assert_eq!(grown.node_groups.len(), 2);
    assert_eq!(grown.replicas, [1, 1], "new shards get the same replicas");

    let again = a
        .act(
            &policy,
            &id,
            KnobName::Shards,
            Setting::Count(1),
            Setting::Count(2),
        )
        .await;
    assert_eq!(again.outcome, Outcome::AlreadyInEffect);

    let r = a
        .act(
            &policy,
            &id,
            KnobName::Shards,
            Setting::Count(2),
            Setting::Count(1),
        )
        .await;
    assert!(
        applied(&r).contains("removing the last 1 node groups"),
        "{r:?}"
    );
    let shrunk = a.describe(&id).await;
    let mut ids = grown.node_groups.clone();
    ids.sort();
    assert_eq!(
        shrunk.node_groups,
        ids[..1].to_vec(),
        "the first node group stays"
    );
}

#[tokio::test]
async fn resharding_a_group_without_cluster_mode_is_a_clear_error() {
    let a = Adapters::new().await;
    let id = unique("redis-noshard");
    a.create(
        &id,
        Shape {
            engine: "redis",
            node_type: "cache.r6g.large",
            cluster_mode: false,
            shards: 1,
            replicas: 1,
        },
        None,
    )
    .await;
    let err = a
        .elasticache
        .modify_shard_count(&id, 2)
        .await
        .expect_err("not sharded");
    assert_eq!(err.operation, "ModifyReplicationGroupShardConfiguration");
    assert_eq!(err.resource, id);
    assert!(err.message.contains("cluster mode is disabled"), "{err}");
    assert_eq!(a.describe(&id).await.node_groups.len(), 1);
}

#[tokio::test]
async fn replicas_go_from_two_to_one_and_back() {
    let a = Adapters::new().await;
    let id = unique("redis-replicas");
    a.create(
        &id,
        Shape {
            engine: "redis",
            node_type: "cache.r6g.large",
            cluster_mode: true,
            shards: 2,
            replicas: 2,
        },
        None,
    )
    .await;
    let policy = policy(&format!("identifier: {id}"));

    let r = a
        .act(
            &policy,
            &id,
            KnobName::Replicas,
            Setting::Count(2),
            Setting::Count(1),
        )
        .await;
    assert_eq!(
        applied(&r),
        format!("DecreaseReplicaCount {id} NewReplicaCount 2 → 1 per shard, ApplyImmediately")
    );
    assert_eq!(a.describe(&id).await.replicas, [1, 1]);

    let r = a
        .act(
            &policy,
            &id,
            KnobName::Replicas,
            Setting::Count(1),
            Setting::Count(2),
        )
        .await;
    assert!(applied(&r).starts_with("IncreaseReplicaCount"), "{r:?}");
    assert_eq!(a.describe(&id).await.replicas, [2, 2]);
}

#[tokio::test]
async fn a_missing_group_is_not_found() {
    let a = Adapters::new().await;
    let id = unique("redis-missing");

    let err = a
        .elasticache
        .modify_node_type(&id, "cache.r6g.xlarge")
        .await
        .expect_err("no such group");
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert_eq!(
        (err.service, err.operation),
        ("elasticache", "ModifyReplicationGroup")
    );
    assert_eq!(err.resource, id);
    assert_eq!(err.code.as_deref(), Some("ReplicationGroupNotFoundFault"));

    let err = a
        .elasticache
        .modify_replica_count(&id, 1, 2)
        .await
        .expect_err("no such group");
    assert_eq!(
        (err.kind, err.operation),
        (ErrorKind::NotFound, "IncreaseReplicaCount")
    );

    let err = a
        .elasticache
        .modify_shard_count(&id, 2)
        .await
        .expect_err("no such group");
    assert_eq!(
        (err.kind, err.operation),
        (ErrorKind::NotFound, "DescribeReplicationGroups")
    );
}
