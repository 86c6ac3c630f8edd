//! What a resource's kind allows (its keys and knobs) and the context of
//! one resource that its rules and profiles are checked in. Apart from
//! `resources.rs` so that `rules.rs` and `profiles.rs` take it without a
//! circle back through `resources`.

use crate::policy::model::{Knob, ResourceKind};

/// Keys each kind accepts beyond the common ones (`id`, `kind`,
/// `identifier`, `tags`, `schedule`, `cooldown`, `scale_up`, `scale_down`,
/// `profiles`).
pub fn kind_keys(kind: ResourceKind) -> &'static [&'static str] {
    match kind {
        ResourceKind::RdsInstance => &[
            "engine",
            "multi_az",
            "instance_class",
            "storage",
            "apply_immediately",
            "allow_stop",
        ],
        ResourceKind::AuroraCluster => &[
            "engine",
            "serverless_v2",
            "writer_class",
            "readers",
            "allow_stop",
        ],
        ResourceKind::MskCluster => &["az_count", "brokers", "broker_type", "storage"],
        ResourceKind::ElasticacheRedis => &["engine", "node_type", "shards", "replicas"],
        ResourceKind::AutoscalingGroup => &["capacity", "workload_class"],
    }
}

/// The knobs a kind can have, in positional order.
pub fn kind_knobs(kind: ResourceKind) -> &'static [&'static str] {
    match kind {
        ResourceKind::RdsInstance => &["instance_class"],
        ResourceKind::AuroraCluster => &["serverless_v2", "writer_class", "readers"],
        ResourceKind::MskCluster => &["brokers", "broker_type"],
        ResourceKind::ElasticacheRedis => &["node_type", "shards", "replicas"],
        ResourceKind::AutoscalingGroup => &["capacity"],
    }
}

/// Does the kind accept the key (or knob) `name`?
pub fn applies_to(kind: ResourceKind, name: &str) -> bool {
    kind_keys(kind).contains(&name)
}

/// Context of the resource whose rules and profiles are checked.
pub(super) struct Owner<'a> {
    pub path: &'a str,
    pub id: &'a str,
    pub kind: ResourceKind,
    pub knobs: &'a [Knob],
    /// Kind-specific keys written on the resource (a knob whose block is
    /// written but invalid is already reported; references to it are not).
    pub written: &'a [&'a str],
}

impl Owner<'_> {
    /// The knobs to offer in messages: the resource's, or when none could be
    /// built, every knob key of the kind.
    pub fn knob_names(&self) -> String {
        let have: Vec<&str> = self.knobs.iter().map(|k| k.name.as_str()).collect();
        if have.is_empty() {
            kind_knobs(self.kind).join(", ")
        } else {
            have.join(", ")
        }
    }
}

/// Of the keys a resource mapping accepts (`expected`, every kind's), the
/// ones a resource of kind `kind` (as written) may have: the common keys and
/// its own. `None` when `kind` is no kind, so the caller keeps them all.
pub fn keys_of_kind<'e>(expected: &[&'e str], kind: &str) -> Option<Vec<&'e str>> {
    const KINDS: [ResourceKind; 5] = ResourceKind::ALL;
    let own = KINDS.into_iter().find(|k| k.as_str() == kind)?;
    let foreign = |key: &str| KINDS.iter().any(|k| kind_keys(*k).contains(&key));
    Some(
        expected
            .iter()
            .copied()
            .filter(|key| kind_keys(own).contains(key) || !foreign(key))
            .collect(),
    )
}
