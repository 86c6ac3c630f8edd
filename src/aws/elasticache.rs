//! [`ElastiCachePort`] on `aws-sdk-elasticache`: DescribeReplicationGroups
//! (paginated), ListTagsForResource, and the node type, shard and replica
//! changes, all applied immediately. SDK output never leaves this file:
//! every group becomes a [`ReplicationGroup`]; every failure an [`AwsError`].
//!
//! The engine comes from the group's own `Engine` field. Groups described
//! without it (responses from before Valkey, older compatible endpoints) are
//! Redis OSS: replication groups exist only for Redis OSS and Valkey, and
//! Valkey groups always carry the field. No DescribeCacheClusters call is
//! needed for it.

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_elasticache::Client;
use aws_sdk_elasticache::types::{
    ClusterMode, MultiAzStatus, ReplicationGroup as SdkGroup, ReplicationGroupPendingModifiedValues,
};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::AwsError;
use crate::ports::{
    AllowedNodeTypes, ElastiCachePort, Listing, ReplicationGroup, Tags, Unreadable,
};

const SERVICE: &str = "elasticache";
const DESCRIBE: &str = "DescribeReplicationGroups";

/// ElastiCache through the AWS SDK.
#[derive(Debug, Clone)]
pub struct ElastiCacheAdapter {
    client: Client,
}

impl ElastiCacheAdapter {
    /// A client on the shared configuration (cheap; build the config once).
    pub fn new(config: &SdkConfig) -> Self {
        ElastiCacheAdapter {
            client: Client::from_conf(
                aws_sdk_elasticache::config::Builder::from(config)
                    .interceptor(crate::aws::attempts::Recorder)
                    .build(),
            ),
        }
    }

    /// One group, described by id (for the node group ids a shrink removes).
    async fn describe_one(&self, group: &str) -> Result<SdkGroup, AwsError> {
        let out = self
            .client
            .describe_replication_groups()
            .replication_group_id(group)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(SERVICE, DESCRIBE, group, e))?;
        out.replication_groups()
            .iter()
            .find(|g| g.replication_group_id() == Some(group))
            .cloned()
            .ok_or_else(|| AwsError {
                resource: group.to_owned(),
                kind: super::ErrorKind::NotFound,
                ..AwsError::malformed(SERVICE, DESCRIBE, "the group is not in the response")
            })
    }
}

#[async_trait]
impl ElastiCachePort for ElastiCacheAdapter {
    async fn replication_groups(&self) -> Result<Listing<ReplicationGroup>, AwsError> {
        let mut pages = self
            .client
            .describe_replication_groups()
            .into_paginator()
            .send();
        let mut out = Listing::default();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| AwsError::from_sdk(SERVICE, DESCRIBE, "", e))?;
            for g in page.replication_groups() {
                // One group the answer half-describes is that group's
                // problem, not the others'.
                match to_group(g) {
                    Ok(group) => out.items.push(group),
                    Err(e) => out.unreadable.push(Unreadable {
                        id: g.replication_group_id().unwrap_or_default().to_owned(),
                        why: e.to_string(),
                    }),
                }
            }
        }
        Ok(out)
    }

    async fn tags(&self, arn: &str) -> Result<Tags, AwsError> {
        const OP: &str = "ListTagsForResource";
        let out = self
            .client
            .list_tags_for_resource()
            .resource_name(arn)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(SERVICE, OP, arn, e))?;
        Ok(out
            .tag_list()
            .iter()
            .filter_map(|t| {
                Some((
                    t.key()?.to_owned(),
                    t.value().unwrap_or_default().to_owned(),
                ))
            })
            .collect())
    }

    /// ListAllowedNodeTypeModifications by ReplicationGroupId. An endpoint
    /// that says it lacks the operation is "unknown" (None): then
    /// ModifyReplicationGroup judges the change.
    async fn allowed_node_types(&self, group: &str) -> Result<Option<AllowedNodeTypes>, AwsError> {
        const OP: &str = "ListAllowedNodeTypeModifications";
        let out = match self
            .client
            .list_allowed_node_type_modifications()
            .replication_group_id(group)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if not_implemented(&e) => return Ok(None),
            Err(e) => return Err(AwsError::from_sdk(SERVICE, OP, group, e)),
        };
        Ok(Some(AllowedNodeTypes {
            scale_up: out.scale_up_modifications().to_vec(),
            scale_down: out.scale_down_modifications().to_vec(),
        }))
    }

    async fn modify_node_type(&self, group: &str, node_type: &str) -> Result<(), AwsError> {
        const OP: &str = "ModifyReplicationGroup";
        self.client
            .modify_replication_group()
            .replication_group_id(group)
            .cache_node_type(node_type)
            .apply_immediately(true)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(SERVICE, OP, group, e))?;
        Ok(())
    }

    async fn modify_shard_count(&self, group: &str, shards: u32) -> Result<(), AwsError> {
        const OP: &str = "ModifyReplicationGroupShardConfiguration";
        let described = self.describe_one(group).await?;
        if !cluster_mode(&described) {
            return Err(AwsError {
                resource: group.to_owned(),
                ..AwsError::malformed(
                    SERVICE,
                    OP,
                    "cluster mode is disabled: the group has one shard and cannot be resharded",
                )
            });
        }
        let ids: Vec<&str> = described
            .node_groups()
            .iter()
            .filter_map(|n| n.node_group_id())
            .collect();
        let mut call = self
            .client
            .modify_replication_group_shard_configuration()
            .replication_group_id(group)
            .node_group_count(to_i32(OP, group, shards)?)
            .apply_immediately(true);
        for id in node_groups_to_remove(&ids, shards) {
            call = call.node_groups_to_remove(id);
        }
        call.send()
            .await
            .map_err(|e| AwsError::from_sdk(SERVICE, OP, group, e))?;
        Ok(())
    }

    async fn modify_replica_count(&self, group: &str, from: u32, to: u32) -> Result<(), AwsError> {
        if to > from {
            const OP: &str = "IncreaseReplicaCount";
            self.client
                .increase_replica_count()
                .replication_group_id(group)
                .new_replica_count(to_i32(OP, group, to)?)
                .apply_immediately(true)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(SERVICE, OP, group, e))?;
        } else if to < from {
            const OP: &str = "DecreaseReplicaCount";
            self.client
                .decrease_replica_count()
                .replication_group_id(group)
                .new_replica_count(to_i32(OP, group, to)?)
                .apply_immediately(true)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(SERVICE, OP, group, e))?;
        }
        Ok(())
    }
}

/// True when the endpoint says it does not have the operation (AWS's
/// query protocol: `InvalidAction`). moto 5.2.5 answers a bare HTTP 500
/// page instead, which is reported as the failed call it is.
fn not_implemented<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> bool {
    matches!(
        e,
        SdkError::ServiceError(s) if matches!(s.err().code(), Some("InvalidAction" | "NotImplemented"))
    )
}

/// Maps one described group. A group missing a field every group has is an
/// error naming it (nothing is decided on a half-read group).
fn to_group(g: &SdkGroup) -> Result<ReplicationGroup, AwsError> {
    let id = g.replication_group_id().unwrap_or_default();
    let missing = |what: &str| {
        AwsError::malformed(
            SERVICE,
            DESCRIBE,
            format!("replication group {id:?} has no {what} in the response"),
        )
    };
    if id.is_empty() {
        return Err(missing("ReplicationGroupId"));
    }
    let arn = g.arn().ok_or_else(|| missing("ARN"))?;
    let status = g.status().ok_or_else(|| missing("Status"))?;
    let node_type = g
        .cache_node_type()
        .ok_or_else(|| missing("CacheNodeType"))?;
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    // Every shard has the same number of replicas once a change settles;
    // the first one stands for all. Cluster-mode-enabled members carry no
    // CurrentRole, so the primary is counted out rather than looked for.
    let replicas = g
        .node_groups()
        .first()
        .map_or(0, |n| n.node_group_members().len().saturating_sub(1));
    Ok(ReplicationGroup {
        id: id.to_owned(),
        arn: arn.to_owned(),
        status: status.to_owned(),
        node_type: node_type.to_owned(),
        shards: count(g.node_groups().len()),
        replicas: count(replicas),
        cluster_mode: cluster_mode(g),
        multi_az: matches!(g.multi_az(), Some(MultiAzStatus::Enabled)),
        pending_modifications: g.pending_modified_values().is_some_and(pending),
        engine: g.engine().unwrap_or("redis").to_owned(),
        member_clusters: g.member_clusters().to_vec(),
    })
}

/// Cluster mode enabled (sharded), by either of the fields AWS sends.
fn cluster_mode(g: &SdkGroup) -> bool {
    g.cluster_enabled().unwrap_or(false) || matches!(g.cluster_mode(), Some(ClusterMode::Enabled))
}

/// True when any pending modification is set (AWS may send the element
/// empty).
fn pending(p: &ReplicationGroupPendingModifiedValues) -> bool {
    p.primary_cluster_id().is_some()
        || p.automatic_failover_status().is_some()
        || p.resharding().is_some()
        || p.auth_token_status().is_some()
        || p.user_groups().is_some()
        || !p.log_delivery_configurations().is_empty()
        || p.transit_encryption_enabled().is_some()
        || p.transit_encryption_mode().is_some()
        || p.cluster_mode().is_some()
}

/// The node groups a shrink to `target` removes: the last ones, by id
/// (`0001`, `0002`, ...; shorter ids first so `10` follows `9`). None when
/// not shrinking.
fn node_groups_to_remove<'a>(ids: &[&'a str], target: u32) -> Vec<&'a str> {
    let mut sorted = ids.to_vec();
    sorted.sort_by(|a, b| a.len().cmp(&b.len()).then(a.cmp(b)));
    let keep = usize::try_from(target).unwrap_or(usize::MAX);
    sorted.into_iter().skip(keep).collect()
}

/// A count for the wire (the SDK takes i32).
fn to_i32(operation: &'static str, group: &str, n: u32) -> Result<i32, AwsError> {
    i32::try_from(n).map_err(|_| AwsError {
        resource: group.to_owned(),
        ..AwsError::malformed(SERVICE, operation, format!("{n} is out of range"))
    })
}

#[cfg(test)]
mod tests {
    use aws_sdk_elasticache::types::{NodeGroup, NodeGroupMember, ReshardingStatus};

    use super::*;

    fn shard(id: &str, members: usize) -> NodeGroup {
        let mut n = NodeGroup::builder().node_group_id(id);
        for i in 0..members {
            n = n.node_group_members(
                NodeGroupMember::builder()
                    .cache_cluster_id(format!("{id}-{i}"))
                    .build(),
            );
        }
        n.build()
    }

    fn group() -> aws_sdk_elasticache::types::builders::ReplicationGroupBuilder {
        SdkGroup::builder()
            .replication_group_id("sessions-redis")
            .arn("arn:aws:elasticache:us-east-1:123456789012:replicationgroup:sessions-redis")
            .status("available")
            .cache_node_type("cache.r6g.large")
    }

    #[test]
    fn maps_a_sharded_group() {
        let g = group()
            .node_groups(shard("0001", 3))
            .node_groups(shard("0002", 3))
            .cluster_enabled(true)
            .multi_az(MultiAzStatus::Enabled)
            .engine("valkey")
            .member_clusters("sessions-redis-0001-001")
            .member_clusters("sessions-redis-0002-001")
            .build();
        let r = to_group(&g).expect("well formed");
        assert_eq!(
            r.member_clusters,
            ["sessions-redis-0001-001", "sessions-redis-0002-001"]
        );
        assert_eq!(r.id, "sessions-redis");
        assert_eq!(r.status, "available");
        assert_eq!(r.node_type, "cache.r6g.large");
        assert_eq!((r.shards, r.replicas), (2, 2));
        assert!(r.cluster_mode && r.multi_az);
        assert!(!r.pending_modifications);
        assert_eq!(r.engine, "valkey");
    }

    #[test]
    fn a_group_without_engine_is_redis_and_empty_pending_values_are_nothing() {
        let g = group()
            .node_groups(shard("0001", 1))
            .pending_modified_values(ReplicationGroupPendingModifiedValues::builder().build())
            .build();
        let r = to_group(&g).expect("well formed");
        assert_eq!(r.engine, "redis");
        assert_eq!((r.shards, r.replicas), (1, 0));
        assert!(!r.cluster_mode && !r.multi_az);
        assert!(!r.pending_modifications);
    }

    #[test]
    fn resharding_in_progress_is_pending() {
        let g = group()
            .pending_modified_values(
                ReplicationGroupPendingModifiedValues::builder()
                    .resharding(ReshardingStatus::builder().build())
                    .build(),
            )
            .build();
        assert!(to_group(&g).expect("well formed").pending_modifications);
    }

    #[test]
    fn a_missing_node_type_is_an_error_naming_the_group() {
        let g = SdkGroup::builder()
            .replication_group_id("sessions-redis")
            .arn("arn:x")
            .status("available")
            .build();
        let err = to_group(&g).expect_err("malformed");
        assert!(err.message.contains("sessions-redis"), "{err}");
        assert!(err.message.contains("CacheNodeType"), "{err}");
    }

    #[test]
    fn a_shrink_removes_the_last_node_groups() {
        let ids = ["0003", "0001", "0002"];
        assert_eq!(node_groups_to_remove(&ids, 1), vec!["0002", "0003"]);
        assert_eq!(node_groups_to_remove(&["1", "10", "9"], 2), vec!["10"]);
        assert_eq!(node_groups_to_remove(&["0001", "0002"], 1), vec!["0002"]);
        assert!(node_groups_to_remove(&["0001", "0002"], 2).is_empty());
        assert!(node_groups_to_remove(&["0001"], 3).is_empty());
    }
}
