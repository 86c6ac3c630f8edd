//! Storage performance: a larger RDS volume must keep its provisioned IOPS
//! valid. io1 and io2 need at least 0.5 IOPS per GiB (1 per GiB on SQL
//! Server), so a fixed IOPS figure caps how far the storage (and so the
//! ceiling storage autoscaling grows to) may go; past that, raising the
//! ceiling would let AWS grow into a size it refuses, and the change is held
//! until IOPS is raised. gp3 has no IOPS or throughput floor per GiB (at
//! 400 GiB and above its baseline rises by itself), gp2 and magnetic have
//! no provisioned figures: nothing to keep valid.

use super::Proposal;
use crate::estate::{Setting, StorageFacts};
use crate::plan::{Guard, Refusal};
use crate::policy::KnobName;

/// The largest storage, GiB, `facts` keeps valid; None when the storage
/// type sets no such limit. An io1/io2 volume whose IOPS were not described
/// has a limit of 0: nothing can be shown valid.
pub(crate) fn max_gib(facts: &StorageFacts) -> Option<u32> {
    if !matches!(facts.storage_type.as_str(), "io1" | "io2") {
        return None;
    }
    let iops = f64::from(facts.iops.unwrap_or(0));
    Some((iops / min_iops_per_gib(facts)).floor() as u32)
}

/// IOPS per GiB an io1/io2 volume needs at least.
fn min_iops_per_gib(facts: &StorageFacts) -> f64 {
    if facts.engine.starts_with("sqlserver") {
        1.0
    } else {
        0.5
    }
}

/// Refuses RDS storage growth past what the provisioned IOPS allow.
pub(crate) fn check(p: &Proposal<'_>) -> Option<Refusal> {
    if p.knob != KnobName::Storage {
        return None;
    }
    let facts = p.member.storage.as_ref()?;
    let limit = max_gib(facts)?;
    let Setting::Gib(to) = p.to else {
        return None;
    };
    (*to > limit).then(|| Refusal {
        guard: Guard::StorageIops,
        why: match facts.iops {
            Some(iops) => format!(
                "{} storage with {iops} IOPS stays valid up to {limit} GiB ({} IOPS per GiB at least); raise IOPS before the storage ceiling",
                facts.storage_type,
                min_iops_per_gib(facts)
            ),
            None => format!(
                "{} storage with no IOPS described; the ceiling is not raised until its IOPS are known",
                facts.storage_type
            ),
        },
    })
}
