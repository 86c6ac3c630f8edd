//! One cluster and its instances as just described, and the choices made
//! on them (free names, the newest readers). Pure but for [`View::read`].

use super::refuse;
use crate::observe::Ports;
use crate::ports::{AwsError, ErrorKind};
use crate::ports::{DbCluster, DbInstance};

/// Statuses an instance never leaves by itself on its way to `available`.
pub(super) const DEAD_ENDS: &[&str] = &[
    "failed",
    "deleting",
    "incompatible-network",
    "incompatible-option-group",
    "incompatible-parameters",
    "incompatible-restore",
    "inaccessible-encryption-credentials",
    "restore-error",
    "storage-full",
];

/// One cluster and its instances, as just described.
#[derive(Debug, Clone)]
pub(super) struct View {
    pub(super) cluster: DbCluster,
    /// The cluster's instances that were described.
    pub(super) instances: Vec<DbInstance>,
    /// Every instance identifier in the region (names must be unique).
    pub(super) all_ids: Vec<String>,
}

impl View {
    /// Describes cluster `id` and the region's instances.
    pub(super) async fn read(
        ports: Ports<'_>,
        id: &str,
        operation: &'static str,
    ) -> Result<View, AwsError> {
        let clusters = ports.rds.db_clusters().await?;
        let Some(cluster) = clusters.into_iter().find(|c| c.id == id) else {
            return Err(refuse(
                operation,
                id,
                ErrorKind::NotFound,
                "the cluster is gone".to_owned(),
            ));
        };
        let all = ports.rds.db_instances().await?;
        let all_ids = all.iter().map(|i| i.id.clone()).collect();
        let instances = all
            .into_iter()
            .filter(|i| cluster.members.iter().any(|m| m.instance_id == i.id))
            .collect();
        Ok(View {
            cluster,
            instances,
            all_ids,
        })
    }

    /// Why the cluster may not be changed now, if it may not.
    pub(super) fn unavailable(&self) -> Option<String> {
        if self.cluster.status != "available" {
            return Some(format!("the cluster is {}", self.cluster.status));
        }
        self.cluster.members.iter().find_map(|m| {
            match self.instances.iter().find(|i| i.id == m.instance_id) {
                Some(i) if i.status == "available" => None,
                Some(i) => Some(format!("instance {} is {}", i.id, i.status)),
                None => Some(format!("instance {} was not described", m.instance_id)),
            }
        })
    }

    /// An error naming why the cluster may not be changed now, if so.
    pub(super) fn check_available(&self, operation: &'static str) -> Result<(), AwsError> {
        match self.unavailable() {
            None => Ok(()),
            Some(why) => Err(refuse(
                operation,
                &self.cluster.id,
                ErrorKind::InvalidState,
                format!(
                    "{why}; Aurora changes are made only while the cluster and all its instances are available"
                ),
            )),
        }
    }

    /// The writer's identifier, when AWS names one.
    pub(super) fn writer_id(&self) -> Option<&str> {
        let writer = self.cluster.members.iter().find(|m| m.is_writer);
        writer.map(|m| m.instance_id.as_str())
    }

    /// The writer instance.
    pub(super) fn writer(&self, operation: &'static str) -> Result<&DbInstance, AwsError> {
        self.writer_id()
            .and_then(|w| self.instances.iter().find(|i| i.id == w))
            .ok_or_else(|| {
                refuse(
                    operation,
                    &self.cluster.id,
                    ErrorKind::InvalidState,
                    "the cluster has no writer".to_owned(),
                )
            })
    }

    /// Members whose role AWS did not report (they might be the writer).
    pub(super) fn unknown_roles(&self) -> Vec<&str> {
        self.cluster
            .members
            .iter()
            .filter(|m| !m.is_writer && !m.is_reader)
            .map(|m| m.instance_id.as_str())
            .collect()
    }

    /// The instance `id`, if it was described.
    pub(super) fn instance(&self, id: &str) -> Option<&DbInstance> {
        self.instances.iter().find(|i| i.id == id)
    }

    /// True when `id` is one of the cluster's members.
    pub(super) fn has_member(&self, id: &str) -> bool {
        self.cluster.members.iter().any(|m| m.instance_id == id)
    }

    /// The instances AWS says are readers.
    pub(super) fn readers(&self) -> Vec<&DbInstance> {
        self.cluster
            .members
            .iter()
            // Known readers only: a member without a writer flag might be the writer.
            .filter(|m| m.is_reader)
            .filter_map(|m| self.instances.iter().find(|i| i.id == m.instance_id))
            .collect()
    }
}

/// The identifier `{cluster}-{role}-{n}` with the smallest n ≥ 1 not in `taken`.
pub(super) fn free_name(cluster: &str, role: &str, taken: &[String]) -> String {
    let mut n = 1_u32;
    loop {
        let name = format!("{cluster}-{role}-{n}");
        if !taken.contains(&name) {
            return name;
        }
        n += 1;
    }
}

/// The `count` newest readers, newest first: by creation time, an instance
/// without one (still being created) counting as newest, ties by identifier.
pub(super) fn newest(mut readers: Vec<&DbInstance>, count: usize) -> Vec<&DbInstance> {
    readers.sort_by(|a, b| match (a.created, b.created) {
        (Some(x), Some(y)) => y.cmp(&x).then_with(|| b.id.cmp(&a.id)),
        (None, Some(_)) => std::cmp::Ordering::Less,
        (Some(_), None) => std::cmp::Ordering::Greater,
        (None, None) => b.id.cmp(&a.id),
    });
    readers.truncate(count);
    readers
}
