//! The ElastiCache fake.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use async_trait::async_trait;

use super::{lock, refuse};
use crate::ports::{AllowedNodeTypes, ElastiCachePort, Listing, ReplicationGroup, Tags};
use crate::ports::{AwsError, ErrorKind};

/// ElastiCache with state.
#[derive(Debug, Default)]
pub struct FakeElastiCache {
    groups: Mutex<BTreeMap<String, (ReplicationGroup, Tags)>>,
    /// ARNs whose ListTagsForResource is refused.
    tags_refused: Mutex<BTreeSet<String>>,
    /// Per group: what ListAllowedNodeTypeModifications answers (absent:
    /// "unknown", as an endpoint without the operation).
    allowed: Mutex<BTreeMap<String, AllowedNodeTypes>>,
}

impl FakeElastiCache {
    /// Adds or replaces a replication group.
    pub fn put(&self, g: ReplicationGroup, tags: Tags) {
        lock(&self.groups).insert(g.id.clone(), (g, tags));
    }

    /// Refuses ListTagsForResource on `arn` (AccessDenied), as a tag-based
    /// permission boundary does.
    pub fn refuse_tags(&self, arn: &str) {
        lock(&self.tags_refused).insert(arn.to_owned());
    }

    /// Answers ListAllowedNodeTypeModifications for `group` with `allowed`,
    /// and refuses a ModifyReplicationGroup to any other node type
    /// (InvalidParameterCombination, as AWS does).
    pub fn put_allowed_node_types(&self, group: &str, allowed: AllowedNodeTypes) {
        lock(&self.allowed).insert(group.to_owned(), allowed);
    }

    fn modify(
        &self,
        operation: &'static str,
        id: &str,
        f: impl FnOnce(&mut ReplicationGroup),
    ) -> Result<(), AwsError> {
        let mut all = lock(&self.groups);
        let (g, _) = all.get_mut(id).ok_or_else(|| {
            refuse(
                "elasticache",
                operation,
                id,
                ErrorKind::NotFound,
                "ReplicationGroupNotFoundFault",
                "not found",
            )
        })?;
        if g.status != "available" {
            return Err(refuse(
                "elasticache",
                operation,
                id,
                ErrorKind::InvalidState,
                "InvalidReplicationGroupState",
                "not available",
            ));
        }
        f(g);
        g.status = "modifying".to_owned();
        Ok(())
    }
}

#[async_trait]
impl ElastiCachePort for FakeElastiCache {
    async fn replication_groups(&self) -> Result<Listing<ReplicationGroup>, AwsError> {
        Ok(Listing::whole(
            lock(&self.groups)
                .values()
                .map(|(g, _)| g.clone())
                .collect(),
        ))
    }

    async fn tags(&self, arn: &str) -> Result<Tags, AwsError> {
        if lock(&self.tags_refused).contains(arn) {
            return Err(refuse(
                "elasticache",
                "ListTagsForResource",
                arn,
                ErrorKind::AccessDenied,
                "AccessDenied",
                "not authorized to perform: elasticache:ListTagsForResource",
            ));
        }
        Ok(lock(&self.groups)
            .values()
            .find(|(g, _)| g.arn == arn)
            .map(|(_, t)| t.clone())
            .unwrap_or_default())
    }

    async fn allowed_node_types(&self, group: &str) -> Result<Option<AllowedNodeTypes>, AwsError> {
        Ok(lock(&self.allowed).get(group).cloned())
    }

    async fn modify_node_type(&self, group: &str, node_type: &str) -> Result<(), AwsError> {
        let refused = lock(&self.allowed).get(group).is_some_and(|a| {
            !a.scale_up
                .iter()
                .chain(&a.scale_down)
                .any(|t| t == node_type)
        });
        if refused {
            return Err(refuse(
                "elasticache",
                "ModifyReplicationGroup",
                group,
                ErrorKind::Other,
                "InvalidParameterCombination",
                "the requested node type is not an allowed modification",
            ));
        }
        self.modify("ModifyReplicationGroup", group, |g| {
            g.node_type = node_type.to_owned()
        })
    }

    async fn modify_shard_count(&self, group: &str, shards: u32) -> Result<(), AwsError> {
        self.modify("ModifyReplicationGroupShardConfiguration", group, |g| {
            g.shards = shards
        })
    }

    async fn modify_replica_count(&self, group: &str, _from: u32, to: u32) -> Result<(), AwsError> {
        self.modify("IncreaseReplicaCount", group, |g| g.replicas = to)
    }
}
