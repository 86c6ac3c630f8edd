//! The `spot_mix` classes: spot share, allocation strategy, instance types,
//! and the reaction to spot interruption warnings.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::policy::Span;

/// How an Auto Scaling group of a workload class mixes spot and on-demand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpotClassSpec {
    /// Share of capacity above the on-demand base that runs on spot, 0–100.
    pub spot_percent: f64,
    /// Instances always on-demand, before the percentages apply.
    #[serde(default)]
    pub on_demand_base: u32,
    /// EC2 spot allocation strategy.
    #[serde(default = "default_allocation")]
    pub allocation_strategy: String,
    /// Instance types to spread over, most preferred first (diversification).
    #[serde(default)]
    pub instance_types: Vec<String>,
    /// How the mix bends when spot capacity gets scarce (EC2 spot
    /// interruption warnings and rebalance recommendations for the class's
    /// groups). Without it the mix is static.
    #[serde(default)]
    pub interruptions: Option<InterruptionsSpec>,
}

/// A workload class's reaction to spot interruption warnings: enough
/// warnings in a window raise its groups' on-demand share one step (and add
/// the next instance type to diversify over); a quiet period with none
/// brings it back one step at a time, never below the class's own mix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InterruptionsSpec {
    /// Warnings for one group (interruption warnings and rebalance
    /// recommendations alike) that raise its on-demand share one step.
    pub warnings: u32,
    /// ... when they arrive within this long (and after the last raise).
    pub within: Span,
    /// Percentage points of on-demand added per step, e.g. `20` (30% →
    /// 50% → 70% on-demand).
    pub step_percent: u32,
    /// The on-demand share never goes above this percent.
    pub max_on_demand_percent: u32,
    /// With no warning for this long, the share steps back down one step
    /// per run (cooldowns permitting), to the class's own mix.
    pub quiet_period: Span,
    /// Instance types added to the overrides one per step, in order, so a
    /// raised group also draws on more spot pools.
    #[serde(default)]
    pub diversify_with: Vec<String>,
    /// Start an instance refresh when a step adds instance types, so
    /// running instances move to them now (Auto Scaling reaches a new
    /// on-demand share by itself, gradually). Without it no refresh is
    /// started and the added types are used as instances are replaced.
    #[serde(default)]
    pub instance_refresh: Option<InstanceRefreshSpec>,
}

/// How an instance refresh may run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InstanceRefreshSpec {
    /// Percent of the group's capacity that must stay in service during
    /// the refresh (AWS's `MinHealthyPercentage`), 0–100, e.g. `90`.
    pub min_healthy_percent: u32,
}

fn default_allocation() -> String {
    "price-capacity-optimized".to_owned()
}
