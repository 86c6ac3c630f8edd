//! Storage use as a percent, from the latest value of a storage metric.
//!
//! RDS: `FreeStorageSpace` is free space of the *allocated* storage
//! (AllocatedStorage), so used percent is `1 − free ÷ allocated` (500 GiB
//! allocated, 100 GiB free: 80% used, whatever the ceiling). Whether the
//! ceiling (MaxAllocatedStorage, the Storage setting) must rise is the
//! decision core's call, from the allocated size it is given beside it.
//! MSK: `KafkaDataLogsDiskUsed` is already a percent of the volume.

use std::collections::BTreeMap;

use super::Observation;
use crate::estate::Member;
use crate::policy::ResourceKind;

/// RDS free storage, bytes.
pub(super) const RDS_FREE_STORAGE: &str = "FreeStorageSpace";
/// MSK data log disk use per broker, percent.
pub(super) const MSK_DISK_USED: &str = "KafkaDataLogsDiskUsed";
/// Storage metrics are read over this period...
pub(super) const STORAGE_PERIOD_SECS: u32 = 300;
/// ...and this many periods back, so the latest published one is in range.
pub(super) const STORAGE_PERIODS: i64 = 3;
/// Bytes in a GiB.
pub(super) const GIB: f64 = 1_073_741_824.0;

/// How a storage metric's latest value becomes a used percent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Used {
    /// Free bytes (RDS `FreeStorageSpace`) of this many allocated GiB.
    FreeBytesOf(u32),
    /// Already a percent (MSK `KafkaDataLogsDiskUsed`).
    Percent,
}

impl Used {
    /// Percent used, 0–100, for the metric's value; None when it cannot be
    /// said (nothing allocated, a value that is not a number).
    pub(super) fn percent(self, value: f64) -> Option<f64> {
        let p = match self {
            Used::FreeBytesOf(0) => return None,
            Used::FreeBytesOf(gib) => 100.0 * (1.0 - value / (f64::from(gib) * GIB)),
            Used::Percent => value,
        };
        p.is_finite().then(|| p.clamp(0.0, 100.0))
    }
}

/// A storage reading to apply to one member of the estate.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct StorageRead {
    /// Index of the member in `Estate::members`.
    pub member: usize,
    /// The metric whose latest value is read.
    pub metric: &'static str,
    /// How it becomes a percent.
    pub used: Used,
}

/// The storage metric of `member`, its statistic and how it becomes a
/// percent; None for a kind without one, or an RDS member whose allocated
/// storage was not described (its free space means nothing without it).
pub(super) fn metric_of(member: &Member) -> Option<(&'static str, &'static str, Used)> {
    match member.kind {
        ResourceKind::RdsInstance => {
            let allocated = member.storage.as_ref()?.allocated_gib;
            Some((RDS_FREE_STORAGE, "Minimum", Used::FreeBytesOf(allocated)))
        }
        ResourceKind::MskCluster => Some((MSK_DISK_USED, "Maximum", Used::Percent)),
        _ => None,
    }
}
/// Sets each storage-read member's `storage_used_percent` from the latest
/// value of its storage metric; a member without one is noted, as its
/// storage rule cannot fire.
pub(super) fn apply(
    reads: &[StorageRead],
    series: &BTreeMap<(String, String), Vec<f64>>,
    obs: &mut Observation,
) {
    for read in reads {
        let Some(member) = obs.estate.members.get_mut(read.member) else {
            continue;
        };
        let latest = series
            .get(&(member.identifier.clone(), read.metric.to_owned()))
            .and_then(|values| values.last())
            .and_then(|v| read.used.percent(*v));
        match latest {
            Some(percent) => member.storage_used_percent = Some(percent),
            None => obs.notes.push(format!(
                "{}: no recent {} datapoint; storage growth cannot fire until CloudWatch has one",
                member.label(),
                read.metric
            )),
        }
    }
}
