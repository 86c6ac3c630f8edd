//! The observed world: one [`Member`] per AWS resource a policy resource
//! selects, with its current settings, status and pending changes.
//!
//! Built by the observers (AWS adapters, or the backtest's in-process estate).
//! Plain data: the decision core reads it and never changes it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::policy::{KnobName, ResourceKind, SpotMix};

/// Everything observed in one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Estate {
    /// Observed resources, any order.
    pub members: Vec<Member>,
}

impl Estate {
    /// Members selected by the policy resource `policy_id`.
    pub fn members_of<'a>(&'a self, policy_id: &'a str) -> impl Iterator<Item = &'a Member> + 'a {
        self.members
            .iter()
            .filter(move |m| m.policy_id == policy_id)
    }
}

/// One AWS resource, as observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// The policy resource that selected it.
    pub policy_id: String,
    /// Its AWS identifier (DB instance id, cluster name, group name, ...).
    pub identifier: String,
    /// Kind.
    pub kind: ResourceKind,
    /// Lifecycle status as AWS reports it, normalised.
    pub status: Status,
    /// AWS reports modifications not yet applied (RDS pending modified
    /// values, an MSK operation in flight, ...).
    pub pending_changes: bool,
    /// Current value of each knob.
    pub settings: BTreeMap<KnobName, Setting>,
    /// Multi-AZ (RDS) or more than one AZ.
    pub multi_az: bool,
    /// Current instances distribution (ASG with a MixedInstancesPolicy).
    pub spot_mix: Option<SpotMix>,
    /// Storage in use, percent (drives growth): of the allocated storage
    /// for RDS (`FreeStorageSpace` is free space of `AllocatedStorage`), of
    /// the volume for MSK.
    pub storage_used_percent: Option<f64>,
    /// RDS only: the storage behind the ceiling (the Storage setting), which
    /// the growth rule needs to judge whether and how far the ceiling may rise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageFacts>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// The AWS sub-resources CloudWatch publishes this member's metrics
    /// for: an ElastiCache group's member clusters (`CacheClusterId`), an
    /// MSK cluster's broker ids (`Broker ID`). Empty for kinds whose metrics
    /// are published for the resource itself.
    #[serde(default)]
    pub parts: Vec<String>,
}

/// An RDS instance's storage as described.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StorageFacts {
    /// AllocatedStorage, GiB.
    pub allocated_gib: u32,
    /// StorageType (`gp2`, `gp3`, `io1`, `io2`, `standard`).
    pub storage_type: String,
    /// Provisioned IOPS, when set.
    pub iops: Option<u32>,
    /// StorageThroughput, MiBps, when set (gp3).
    pub throughput_mibps: Option<u32>,
    /// The engine (SQL Server asks more IOPS per GiB than the others).
    pub engine: String,
}

impl Member {
    /// The instances distribution as tidegate compares it: a group
    /// without a MixedInstancesPolicy runs all on-demand, no overrides.
    pub fn spot_mix_or_on_demand(&self) -> SpotMix {
        self.spot_mix.clone().unwrap_or_else(|| SpotMix {
            on_demand_base: 0,
            on_demand_percent_above_base: 100,
            allocation_strategy: "none".to_owned(),
            instance_types: Vec::new(),
        })
    }

    /// A readable reference: `policy-id` or `policy-id/identifier` when a
    /// tag selector picked it.
    pub fn label(&self) -> String {
        if self.identifier == self.policy_id {
            self.identifier.clone()
        } else {
            format!("{}/{}", self.policy_id, self.identifier)
        }
    }
}

/// Lifecycle status, normalised across services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "detail")]
pub enum Status {
    /// `available` / `ACTIVE` / `InService`: may be changed.
    Available,
    /// Stopped (RDS); may only be started.
    Stopped,
    /// Any other status, as AWS spells it (`modifying`, `CREATING`,
    /// `storage-optimization`, ...).
    Busy(String),
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Available => f.write_str("available"),
            Status::Stopped => f.write_str("stopped"),
            Status::Busy(s) => f.write_str(s),
        }
    }
}

/// The value of one knob.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Setting {
    /// An instance class / node type / broker type.
    Class(String),
    /// A count (readers, brokers, shards, replicas, desired capacity).
    Count(u32),
    /// A Serverless v2 capacity range.
    Acu {
        /// MinCapacity.
        min: f64,
        /// MaxCapacity.
        max: f64,
    },
    /// An ASG's size: min, max and desired together.
    Capacity {
        /// MinSize.
        min: u32,
        /// MaxSize.
        max: u32,
        /// DesiredCapacity.
        desired: u32,
    },
    /// Storage in GiB (MSK per-broker volume, RDS storage ceiling).
    Gib(u32),
    /// RDS running or stopped.
    Power(Power),
    /// An ASG's instances distribution.
    Mix(SpotMix),
}

/// Running or stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Power {
    /// Running.
    Running,
    /// Stopped.
    Stopped,
}

impl std::fmt::Display for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Setting::Class(c) => f.write_str(c),
            Setting::Count(n) => write!(f, "{n}"),
            Setting::Acu { min, max } => write!(f, "{min}–{max} ACU"),
            Setting::Capacity { min, max, desired } => {
                write!(f, "desired {desired} (min {min}, max {max})")
            }
            Setting::Gib(g) => write!(f, "{g} GiB"),
            Setting::Power(Power::Running) => f.write_str("running"),
            Setting::Power(Power::Stopped) => f.write_str("stopped"),
            Setting::Mix(mix) => write!(f, "{mix}"),
        }
    }
}
