//! Builders for what the ports' fakes hold, shared by the tests that seed them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use tidegate::estate::{Member, Setting, Status};
use tidegate::policy::{KnobName, ResourceKind};
use tidegate::ports::DbInstance;

/// An available DB instance `id` of `class` with 100 GiB of storage, created
/// at `created`: a member of `cluster` (Aurora MySQL) or, with None, a
/// PostgreSQL instance of its own.
pub fn db_instance(
    id: &str,
    class: &str,
    cluster: Option<&str>,
    created: DateTime<Utc>,
) -> DbInstance {
    DbInstance {
        id: id.into(),
        arn: format!("arn:aws:rds:us-east-1:000000000000:db:{id}"),
        class: class.into(),
        engine: if cluster.is_some() {
            "aurora-mysql"
        } else {
            "postgres"
        }
        .into(),
        status: "available".into(),
        multi_az: false,
        pending_modifications: false,
        allocated_gib: 100,
        max_allocated_gib: None,
        storage_type: String::new(),
        iops: None,
        storage_throughput: None,
        cluster: cluster.map(str::to_owned),
        created: Some(created),
        tags: BTreeMap::new(),
    }
}

/// Aurora cluster `id` (policy id and identifier alike) in `status`, with
/// `settings` and nothing else: what observe makes of a cluster, for the
/// decision tests.
pub fn aurora_member(id: &str, status: Status, settings: BTreeMap<KnobName, Setting>) -> Member {
    Member {
        policy_id: id.into(),
        identifier: id.into(),
        kind: ResourceKind::AuroraCluster,
        status,
        pending_changes: false,
        settings,
        multi_az: false,
        spot_mix: None,
        storage_used_percent: None,
        storage: None,
        parts: Vec::new(),
        tags: BTreeMap::new(),
    }
}
