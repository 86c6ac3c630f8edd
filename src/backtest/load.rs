//! The load model: how a trace value becomes demand, and demand becomes
//! utilisation on whatever capacity the estate has now. Pure.
//!
//! - A trace value is utilisation (%) measured at the resource's *starting*
//!   setting. A count trace (requests per period) is first scaled so that
//!   its peak is `peak_percent` (default 90%) at the starting setting.
//! - Demand = utilisation × the capacity units of the starting setting.
//! - Capacity units, per kind:
//!   - RDS instance: the class's vCPUs (0 while stopped).
//!   - Aurora: (writer + readers) × per-instance units, where an instance is
//!     the Serverless v2 *maximum* ACU in force (CloudWatch's
//!     `ACUUtilization` is capacity used ÷ maximum ACU), or the provisioned
//!     writer class's vCPUs.
//!   - MSK: brokers × the broker type's vCPUs.
//!   - ElastiCache Redis: shards × the node type's vCPUs (writes and
//!     `EngineCPUUtilization` live on each shard's primary; replicas are
//!     for failover and are costed, not counted).
//!   - Auto Scaling group: desired capacity (one unit per instance; the
//!     instance type is the same before and after, so its size cancels).
//! - Utilisation after a change = demand ÷ the new capacity units. The
//!   signal the rules see is capped at 100%; the SLO-breach counter sees the
//!   uncapped value. No capacity with some demand is an unbounded
//!   utilisation (a breach) and a 100% signal. At no capacity, demand under
//!   [`IDLE_UNITS`] of one unit is an idle machine's own background (the
//!   EC2 traces never go to 0), not work waiting: utilisation 0.

use std::collections::BTreeMap;

use crate::catalog;
use crate::estate::{Power, Setting};
use crate::policy::{KnobName, Resource, ResourceKind};

/// The load model in the words the report and README use, one point a line.
pub const LOAD_MODEL: &[&str] = &[
    "a trace value is utilisation (%) at the resource's starting setting; a request-count trace is scaled so its peak is 90% (or the mapping's peak_percent) there",
    "demand = utilisation × the starting setting's capacity units; utilisation after a change = demand ÷ the new capacity units",
    "capacity units: RDS = class vCPUs; Aurora = (writer + readers) × max ACU in force (or writer-class vCPUs); MSK = brokers × broker vCPUs; Redis = shards × node vCPUs; ASG = desired instances",
    "rules see the utilisation capped at 100%; SLO breaches count the uncapped value; at zero capacity any work (demand of 1% of a unit or more) is a breach and the rules see 100%",
    "metric rules fire as their CloudWatch alarm would: every one of the last N periods (period average) past the threshold; rules on other metrics or named alarms get no data",
];

/// Why capacity units could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{resource}: {why}")]
pub struct LoadModelError {
    /// Policy resource id.
    pub resource: String,
    /// What is missing.
    pub why: String,
}

/// The capacity units of `resource` at `settings` (see the module docs).
pub fn capacity_units(
    resource: &Resource,
    settings: &BTreeMap<KnobName, Setting>,
) -> Result<f64, LoadModelError> {
    let count = |knob: KnobName, default: u32| match settings.get(&knob) {
        Some(Setting::Count(n)) => f64::from(*n),
        Some(Setting::Capacity { desired, .. }) => f64::from(*desired),
        _ => f64::from(default),
    };
    let vcpus = |knob: KnobName| -> Result<Option<f64>, LoadModelError> {
        match settings.get(&knob) {
            Some(Setting::Class(class)) => catalog::lookup(class)
                .map(|info| Some(f64::from(info.vcpus)))
                .ok_or_else(|| LoadModelError {
                    resource: resource.id.clone(),
                    why: format!(
                        "instance class {class} is not in the catalog (its vCPUs are unknown)"
                    ),
                }),
            _ => Ok(None),
        }
    };
    let missing = |what: &str| LoadModelError {
        resource: resource.id.clone(),
        why: format!("no {what} setting to size the load by"),
    };

    Ok(match resource.kind {
        ResourceKind::RdsInstance => {
            if settings.get(&KnobName::Power) == Some(&Setting::Power(Power::Stopped)) {
                0.0
            } else {
                vcpus(KnobName::InstanceClass)?.ok_or_else(|| missing("instance_class"))?
            }
        }
        ResourceKind::AuroraCluster => {
            let per_instance = match settings.get(&KnobName::ServerlessV2) {
                Some(Setting::Acu { max, .. }) => *max,
                _ => vcpus(KnobName::WriterClass)?
                    .ok_or_else(|| missing("serverless_v2 or writer_class"))?,
            };
            (1.0 + count(KnobName::Readers, 0)) * per_instance
        }
        ResourceKind::MskCluster => {
            count(KnobName::Brokers, 1) * vcpus(KnobName::BrokerType)?.unwrap_or(1.0)
        }
        ResourceKind::ElasticacheRedis => {
            count(KnobName::Shards, 1) * vcpus(KnobName::NodeType)?.unwrap_or(1.0)
        }
        ResourceKind::AutoscalingGroup => count(KnobName::Capacity, 0),
    })
}

/// Demand below this many capacity units is idle background, not work,
/// when a resource has no capacity at all.
pub const IDLE_UNITS: f64 = 0.01;

/// Utilisation (%) of `demand` units on `capacity` units: unbounded when
/// there is work (at least [`IDLE_UNITS`]) and no capacity, 0 when there is
/// neither.
pub fn utilisation(demand: f64, capacity: f64) -> f64 {
    if capacity > 0.0 {
        demand / capacity * 100.0
    } else if demand >= IDLE_UNITS {
        f64::INFINITY
    } else {
        0.0
    }
}

/// The value the rules see: utilisation capped at 100%.
pub fn signal(utilisation: f64) -> f64 {
    utilisation.min(100.0)
}

/// Demand (capacity units) of a trace value `percent` at `start_units`.
pub fn demand(percent: f64, start_units: f64) -> f64 {
    percent / 100.0 * start_units
}
