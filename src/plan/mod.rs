//! The decision core's output: what would change, why, at what price, and
//! what a guard held back. Serialisable both ways, so a saved plan can be
//! applied later (`tidegate plan --out`, `tidegate apply --plan`).

mod render;
mod saved;

pub(crate) use render::priced_from;
pub use render::{render, render_compact};
pub use saved::{SavedPlanError, check_saved, policy_hash, read_saved};

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::estate::Setting;
use crate::policy::{BudgetPeriod, Direction, KnobName, ResourceKind};
use crate::pricing::{Origin, PriceKey, Quote};

/// A plan: every action considered in one decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The instant decided for.
    pub at: DateTime<Utc>,
    /// Actions, planned and refused, in the order they would run.
    pub actions: Vec<Action>,
    /// Profile in force per AWS identifier.
    pub profiles: BTreeMap<String, String>,
    /// Budget standing, when the policy has budgets and spend is known.
    pub budget: Vec<BudgetStanding>,
    /// True while the budget emergency profile is in force.
    pub emergency: bool,
    /// Things worth knowing that are not actions (resources off their
    /// ladder, rules without data, prices not from the Pricing API, ...).
    pub notes: Vec<String>,
    /// The price book the plan was priced with, in one line (source,
    /// region, dates). Empty in plans saved by earlier versions.
    #[serde(default)]
    pub prices: String,
    /// The hash of the policy the plan was decided under ([`policy_hash`]),
    /// set by `tidegate plan`: `apply --plan` refuses a plan made for
    /// another policy. Empty in plans not made to be saved.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub policy_hash: String,
    /// Knobs a firing rule wants past the end of their ladder or the
    /// profile's bounds: a state shown once (with when it began), not a
    /// refusal in every decision.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub at_limit: Vec<AtLimit>,
}

/// Which end of its range a knob is held at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitSide {
    /// A scale-up rule fires at the top: capacity can grow no further
    /// (raise the ladder or the profile's maximum, or look at the load).
    Ceiling,
    /// A scale-down rule fires at the bottom: nothing more to save there.
    Floor,
}

impl LimitSide {
    /// `at ceiling` or `at floor`.
    pub fn words(self) -> &'static str {
        match self {
            LimitSide::Ceiling => "at ceiling",
            LimitSide::Floor => "at floor",
        }
    }
}

/// A knob held at the end of its range while a rule still fires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AtLimit {
    /// Policy resource id.
    pub policy_id: String,
    /// AWS identifier.
    pub identifier: String,
    /// Which knob.
    pub knob: KnobName,
    /// Top or bottom.
    pub side: LimitSide,
    /// The setting it is held at.
    pub setting: Setting,
    /// The rule still firing (its label).
    pub rule: String,
    /// Why the rule fires, in words.
    pub evidence: String,
    /// What bounds it: the ladder's end or the profile in force.
    pub bound: String,
    /// When this episode began (the first decision that found it so).
    pub since: DateTime<Utc>,
}

impl AtLimit {
    /// One line: `orders-db instance class at ceiling (db.r6g.4xlarge, the
    /// ladder's top) since 2026-12-04 10:00 UTC (alarm X still firing)`.
    pub fn line(&self) -> String {
        format!(
            "{} {} {} ({}, {}) since {} ({} still firing: {})",
            self.identifier,
            self.knob,
            self.side.words(),
            self.setting,
            self.bound,
            self.since.format("%Y-%m-%d %H:%M UTC"),
            self.rule,
            self.evidence
        )
    }
}

impl Plan {
    /// Actions that would run.
    pub fn planned(&self) -> impl Iterator<Item = &Action> {
        self.actions.iter().filter(|a| a.refused.is_none())
    }

    /// Actions a guard held back.
    pub fn refused(&self) -> impl Iterator<Item = &Action> {
        self.actions.iter().filter(|a| a.refused.is_some())
    }

    /// True when nothing would change.
    pub fn is_empty(&self) -> bool {
        self.planned().next().is_none()
    }

    /// Sum of the hourly cost deltas of planned actions that are priced.
    pub fn cost_delta_per_hour(&self) -> f64 {
        self.planned().filter_map(|a| a.cost_delta_per_hour).sum()
    }
}

/// One change to one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// Policy resource id.
    pub policy_id: String,
    /// AWS identifier.
    pub identifier: String,
    /// Kind.
    pub kind: ResourceKind,
    /// What changes.
    pub knob: KnobName,
    /// From.
    pub from: Setting,
    /// To.
    pub to: Setting,
    /// Up, down, or neither (a reconfiguration such as the spot mix).
    pub direction: Option<Direction>,
    /// What asked for it.
    pub cause: Cause,
    /// One line, for a person.
    pub reason: String,
    /// Change in hourly cost, USD (None when a price is missing).
    pub cost_delta_per_hour: Option<f64>,
    /// Set when a guard held the action back.
    pub refused: Option<Refusal>,
    /// Things the operator should know (failover, maintenance window, ...).
    pub notes: Vec<String>,
    /// The prices the cost change was computed from, each with its source
    /// and date (before and after, in the order used).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prices: Vec<PriceUsed>,
}

/// One price a figure was computed from, and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceUsed {
    /// Which price: `service instance_type engine deployment`.
    pub price: String,
    /// The price, in `unit`.
    pub usd: f64,
    /// `USD/hour`, `USD/ACU-hour`, `USD/GB-month`, ...
    pub unit: String,
    /// Pricing API, price cache, snapshot or estimate.
    pub origin: Origin,
    /// In detail: SKU, cache fetch time, snapshot file and row source.
    pub source: String,
    /// Date of the price data (`YYYY-MM-DD`).
    pub as_of: String,
}

impl PriceUsed {
    /// The price of `key` as `quote` gave it.
    pub fn new(key: &PriceKey, quote: &Quote) -> Self {
        PriceUsed {
            price: format!(
                "{} {} {} {}",
                key.service, key.instance_type, key.engine, key.deployment
            ),
            usd: quote.usd,
            unit: quote.unit.clone(),
            origin: quote.origin,
            source: quote.source.clone(),
            as_of: quote.as_of.clone(),
        }
    }
}

/// What asked for an action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Cause {
    /// A scale rule fired.
    Rule {
        /// The rule's label (alarm name or threshold).
        rule: String,
        /// The alarm name it maps to.
        alarm: String,
        /// Critical rules may pass the budget headroom guard.
        critical: bool,
    },
    /// The profile in force asks for it.
    Schedule {
        /// Schedule name (or `budget` for the emergency profile).
        schedule: String,
        /// Profile in force.
        profile: String,
    },
    /// The budget emergency profile asks for it.
    Budget {
        /// The emergency profile.
        profile: String,
        /// The period that crossed its threshold.
        period: BudgetPeriod,
    },
    /// Storage use crossed its growth threshold.
    StorageGrowth {
        /// Used percent observed.
        used_percent: f64,
    },
    /// The resource differs from its workload class's spot mix.
    SpotMix {
        /// Workload class.
        class: String,
    },
}

impl Cause {
    /// The cause in a few words: `schedule office/evening`, a rule's label,
    /// `budget daily emergency/emergency`, `spot mix api`.
    pub fn label(&self) -> String {
        match self {
            Cause::Rule { rule, .. } => rule.clone(),
            Cause::Schedule { schedule, profile } if schedule.is_empty() => {
                format!("profile {profile}")
            }
            Cause::Schedule { schedule, profile } => format!("schedule {schedule}/{profile}"),
            Cause::Budget { profile, period } => format!("budget {period} emergency/{profile}"),
            Cause::StorageGrowth { used_percent } => format!("storage {used_percent:.0}% used"),
            Cause::SpotMix { class } => format!("spot mix {class}"),
        }
    }
}

/// A guard's refusal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refusal {
    /// Which guard.
    pub guard: Guard,
    /// Why, for a person.
    pub why: String,
}

/// The guards, each a small named unit in `decide::guards`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Guard {
    /// The target is off the ladder or outside the policy bounds.
    Bounds,
    /// The target is below the protected floor.
    ProtectedFloor,
    /// The profile in force does not allow the target.
    Profile,
    /// The resource is not available or has pending changes.
    ResourceStatus,
    /// Too soon after the last change in that direction.
    Cooldown,
    /// An up too soon after a down.
    Oscillation,
    /// The estate-wide hourly limit is used up.
    RateLimit,
    /// The scale-up would push a budget past its emergency threshold.
    BudgetHeadroom,
    /// Storage changed too recently (AWS waiting period).
    StorageWait,
    /// The larger storage would leave its provisioned IOPS invalid.
    StorageIops,
    /// Another change to the same resource runs first in this plan.
    OneAtATime,
    /// A saved plan's change that the current decision does not make.
    Recheck,
}

impl Guard {
    /// The guard's name as shown in plans.
    pub fn as_str(self) -> &'static str {
        match self {
            Guard::Bounds => "bounds",
            Guard::ProtectedFloor => "protected_floor",
            Guard::Profile => "profile",
            Guard::ResourceStatus => "resource_status",
            Guard::Cooldown => "cooldown",
            Guard::Oscillation => "oscillation",
            Guard::RateLimit => "rate_limit",
            Guard::BudgetHeadroom => "budget_headroom",
            Guard::StorageWait => "storage_wait",
            Guard::StorageIops => "storage_iops",
            Guard::OneAtATime => "one_at_a_time",
            Guard::Recheck => "recheck",
        }
    }
}

impl std::fmt::Display for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where spend stands against one budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetStanding {
    /// Period.
    pub period: BudgetPeriod,
    /// Limit, USD.
    pub limit_usd: f64,
    /// Spent so far, USD.
    pub actual_usd: f64,
    /// Forecast at period end, USD.
    pub forecast_usd: f64,
    /// Forecast as percent of the limit.
    pub forecast_percent: f64,
    /// Ok, warn or emergency.
    pub level: BudgetLevel,
    /// Where the figures come from: the spend's source, and the sources of
    /// the prices the run-rate was computed from, each with its date.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
}

/// How close to a budget limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetLevel {
    /// Under the warn threshold.
    Ok,
    /// At or over warn, under emergency.
    Warn,
    /// At or over the emergency threshold.
    Emergency,
}
