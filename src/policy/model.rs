//! The validated policy: what the engine trusts.
//!
//! Built only by `validate` from a [`super::raw::PolicyFile`]. Every ladder is
//! ordered and known, every range is non-empty and contains its floor, every
//! name a resource refers to exists. The decision core never re-checks these.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::duration::Span;
pub use super::raw::{KnobName, ResourceKind};

/// A validated policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Estate name.
    pub estate: String,
    /// AWS region (defaults to `us-east-1`).
    pub region: String,
    /// Global limits.
    pub guardrails: Guardrails,
    /// Declared profile names.
    pub profiles: BTreeSet<String>,
    /// Schedules by name.
    pub schedules: BTreeMap<String, Schedule>,
    /// Spot mix per workload class.
    pub spot_mix: BTreeMap<String, SpotClass>,
    /// Budgets, if any.
    pub budgets: Option<Budgets>,
    /// Where prices come from.
    pub prices: PriceSettings,
    /// Managed resources, in file order.
    pub resources: Vec<Resource>,
    /// Parts of the file that validate but can never take effect (a profile
    /// nothing puts in force, a resource nothing changes), in file order.
    pub warnings: Vec<super::Problem>,
}

/// Where prices come from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PriceSettings {
    /// Ask the Price List Query API.
    pub pricing_api: bool,
    /// How long the API's answer is used before asking again.
    pub cache_ttl: Span,
    /// Spot as on-demand less this percent (an estimate), when stated.
    pub spot_discount_percent: Option<f64>,
}

impl PriceSettings {
    /// How long the API's answer is used when the policy does not say.
    pub const DEFAULT_CACHE_TTL: Span = Span::from_secs(24 * 3600);
}

impl Default for PriceSettings {
    fn default() -> Self {
        PriceSettings {
            pricing_api: true,
            cache_ttl: Self::DEFAULT_CACHE_TTL,
            spot_discount_percent: None,
        }
    }
}

impl Policy {
    /// The resource with this policy id.
    pub fn resource(&self, id: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.id == id)
    }

    /// Every (resource, rule) that a CloudWatch alarm of this name drives.
    pub fn rules_for_alarm<'a>(
        &'a self,
        alarm: &'a str,
    ) -> impl Iterator<Item = (&'a Resource, &'a Rule)> + 'a {
        self.resources.iter().flat_map(move |r| {
            r.rules()
                .filter(move |rule| rule.alarm_name == alarm)
                .map(move |rule| (r, rule))
        })
    }
}

/// Global limits.
#[derive(Debug, Clone, PartialEq)]
pub struct Guardrails {
    /// Planned actions allowed in any rolling hour, estate-wide.
    pub max_actions_per_hour: u32,
    /// An up within this long after a down is held.
    pub oscillation_window: Span,
    /// Report only, do not act.
    pub dry_run: bool,
    /// A saved plan older than this is refused whole by `apply --plan`.
    pub max_plan_age: Span,
    /// How long AWS calls and a run may take.
    pub timeouts: super::Timeouts,
    /// How many resources a run changes at once (1..=64).
    pub max_concurrent_actions: u32,
}

impl Guardrails {
    /// Resources changed at once when the policy does not say.
    pub const DEFAULT_MAX_CONCURRENT_ACTIONS: u32 = 8;
    /// The most resources a policy may have changed at once: beyond this a
    /// run mostly meets AWS's rate limits.
    pub const MOST_CONCURRENT_ACTIONS: u32 = 64;
    /// How old a saved plan may be when the policy does not say.
    pub const DEFAULT_MAX_PLAN_AGE: Span = Span::from_mins(15);
    /// The longest `max_plan_age` a policy may set.
    pub const LONGEST_MAX_PLAN_AGE: Span = Span::from_secs(24 * 3600);
}

/// A calendar that picks a profile.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Name.
    pub name: String,
    /// Time zone the crons and holidays are read in.
    pub timezone: Tz,
    /// Transitions, in file order (the first wins when two fire at once).
    pub transitions: Vec<Transition>,
    /// Holiday dates in `timezone`.
    pub holidays: BTreeMap<NaiveDate, String>,
    /// Profile in force on holidays.
    pub holiday_profile: Option<String>,
}

/// A cron transition into a profile.
#[derive(Debug, Clone)]
pub struct Transition {
    /// The expression as written.
    pub expression: String,
    /// The parsed expression.
    pub cron: croner::Cron,
    /// Profile it puts in force.
    pub profile: String,
}

/// A workload class's spot mix.
#[derive(Debug, Clone, PartialEq)]
pub struct SpotClass {
    /// Class name.
    pub name: String,
    /// Percent of capacity above the base on spot (0–100).
    pub spot_percent: f64,
    /// On-demand instances before percentages apply.
    pub on_demand_base: u32,
    /// EC2 spot allocation strategy.
    pub allocation_strategy: String,
    /// Instance types to diversify over.
    pub instance_types: Vec<String>,
    /// How the mix reacts to spot interruption warnings, if it does.
    pub interruptions: Option<SpotReaction>,
}

/// A workload class's reaction to spot interruption warnings (see
/// `crate::spot` for what it does).
#[derive(Debug, Clone, PartialEq)]
pub struct SpotReaction {
    /// Warnings within `within` (after the last raise) that raise the
    /// on-demand share one step.
    pub warnings: u32,
    /// The counting window.
    pub within: Span,
    /// Percentage points of on-demand per step.
    pub step_percent: u32,
    /// The highest on-demand share.
    pub max_on_demand_percent: u32,
    /// No warning for this long: one step back down.
    pub quiet_period: Span,
    /// Instance types added one per step.
    pub diversify_with: Vec<String>,
    /// Minimum healthy percent of the instance refresh started when a step
    /// adds instance types; None: no refresh is started.
    pub instance_refresh: Option<u32>,
}

impl SpotClass {
    /// The instances distribution this class asks for.
    pub fn distribution(&self) -> SpotMix {
        SpotMix {
            on_demand_base: self.on_demand_base,
            on_demand_percent_above_base: (100.0 - self.spot_percent).round() as u32,
            allocation_strategy: self.allocation_strategy.clone(),
            instance_types: self.instance_types.clone(),
        }
    }
}

/// Budget limits and thresholds.
#[derive(Debug, Clone, PartialEq)]
pub struct Budgets {
    /// Limits that are set, per period.
    pub limits: BTreeMap<BudgetPeriod, f64>,
    /// Warn at this percent of a limit.
    pub warn_at_percent: f64,
    /// Emergency at this percent of a limit.
    pub emergency_at_percent: f64,
    /// Profile applied in an emergency.
    pub emergency_profile: String,
    /// Spend anomaly detection on each budget run.
    pub anomaly: AnomalySettings,
}

/// Spend anomaly detection (see `crate::budget::anomaly`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnomalySettings {
    /// Whether the budget run looks for anomalies at all.
    pub enabled: bool,
    /// Same-weekday days of this many past weeks make a day's baseline.
    pub weeks: u32,
    /// A day is anomalous only this many MADs over its baseline median...
    pub threshold_mads: f64,
    /// ...and at least this many USD over it...
    pub min_excess_usd: f64,
    /// ...and at least this percent over it.
    pub min_excess_percent: f64,
    /// Whether AWS Cost Anomaly Detection's own anomalies are read too.
    pub aws_anomalies: bool,
}

impl Default for AnomalySettings {
    /// On; 4 weeks; 3 MADs, at least $1 and 20% over the median; AWS's
    /// anomalies read.
    fn default() -> Self {
        AnomalySettings {
            enabled: true,
            weeks: 4,
            threshold_mads: 3.0,
            min_excess_usd: 1.0,
            min_excess_percent: 20.0,
            aws_anomalies: true,
        }
    }
}

/// A budget period (UTC, as AWS Budgets counts them).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum BudgetPeriod {
    /// A UTC day.
    Daily,
    /// Sunday 00:00 UTC to the next Sunday.
    Weekly,
    /// A calendar month, UTC.
    Monthly,
}

impl std::fmt::Display for BudgetPeriod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BudgetPeriod::Daily => "daily",
            BudgetPeriod::Weekly => "weekly",
            BudgetPeriod::Monthly => "monthly",
        })
    }
}

/// How a policy resource finds its AWS resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// Exactly this identifier.
    Identifier(String),
    /// Every resource of the kind carrying all these tags.
    Tags(BTreeMap<String, String>),
}

/// Cooldowns, up and down apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cooldown {
    /// Between two scale-ups.
    pub up: Span,
    /// After any change, before a scale-down.
    pub down: Span,
}

/// A managed resource.
#[derive(Debug, Clone)]
pub struct Resource {
    /// Policy id.
    pub id: String,
    /// Kind.
    pub kind: ResourceKind,
    /// How to find it in AWS.
    pub selector: Selector,
    /// Engine (`postgres`, `aurora-mysql`, `redis`, ...), where it applies.
    pub engine: Option<String>,
    /// Multi-AZ (RDS).
    pub multi_az: bool,
    /// Schedule name.
    pub schedule: Option<String>,
    /// Cooldowns.
    pub cooldown: Cooldown,
    /// Scale-up rules.
    pub scale_up: Vec<Rule>,
    /// Scale-down rules.
    pub scale_down: Vec<Rule>,
    /// The dimensions that may change, in the order the kind lists them; the
    /// first positional one is the default target of rules.
    pub knobs: Vec<Knob>,
    /// Storage growth rule, if any.
    pub storage: Option<StorageRule>,
    /// What each profile allows.
    pub profiles: BTreeMap<String, ProfileLimits>,
    /// RDS: apply class changes immediately.
    pub apply_immediately: bool,
    /// RDS, Aurora: may be stopped by a profile.
    pub allow_stop: bool,
    /// MSK: availability zones.
    pub az_count: Option<u32>,
    /// ASG: workload class.
    pub workload_class: Option<String>,
    /// Aurora: SecondsUntilAutoPause sent with a minimum of 0 ACU (set when
    /// the resource's `min_acu` is 0; AWS's default 300 when not written).
    pub auto_pause_seconds: Option<u32>,
    /// Predictive pre-scaling, when the policy opts in.
    pub predictive: Option<super::Predictive>,
}

impl Resource {
    /// All rules, up then down.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.scale_up.iter().chain(self.scale_down.iter())
    }

    /// The knob of this name.
    pub fn knob(&self, name: KnobName) -> Option<&Knob> {
        self.knobs.iter().find(|k| k.name == name)
    }

    /// The limits the named profile sets, if the resource mentions it.
    pub fn profile(&self, name: &str) -> Option<&ProfileLimits> {
        self.profiles.get(name)
    }
}

/// A dimension that moves along ordered positions.
#[derive(Debug, Clone, PartialEq)]
pub struct Knob {
    /// Which dimension.
    pub name: KnobName,
    /// The allowed positions, smallest first.
    pub scale: Scale,
    /// Protected floor: index into `scale`; never planned below.
    pub floor: usize,
    /// How far one decision may move it (target tracking).
    pub max_step: MaxStep,
}

/// How many positions one decision may move a knob. Scale-up is not capped
/// by default: under-provisioning is an outage, so it sizes to demand in one
/// step. Scale-down moves one rung by default: being wrong about falling
/// load costs a little money, being wrong the other way costs breaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxStep {
    /// Most positions up per decision; None: as far as demand needs.
    pub up: Option<usize>,
    /// Most positions down per decision.
    pub down: usize,
}

impl Default for MaxStep {
    fn default() -> Self {
        MaxStep { up: None, down: 1 }
    }
}

/// Ordered positions of a knob.
#[derive(Debug, Clone, PartialEq)]
pub enum Scale {
    /// An instance-class ladder, smallest first.
    Classes(Vec<String>),
    /// Allowed counts, ascending (step already applied).
    Counts(Vec<u32>),
    /// Allowed maximum ACU values, ascending; `min_acu` is the lowest
    /// minimum ACU the resource allows.
    Acu {
        /// Allowed maximum ACU values.
        max_values: Vec<f64>,
        /// Lowest minimum ACU.
        min_acu: f64,
    },
}

impl Scale {
    /// Number of positions.
    pub fn len(&self) -> usize {
        match self {
            Scale::Classes(v) => v.len(),
            Scale::Counts(v) => v.len(),
            Scale::Acu { max_values, .. } => max_values.len(),
        }
    }

    /// True when the scale has no positions (never true after validation).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Grow-only storage rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StorageRule {
    /// Grow when used percent reaches this.
    pub grow_when_used_percent: f64,
    /// Grow by this percent of the current size...
    pub grow_by_percent: f64,
    /// ...but at least this many GiB.
    pub min_grow_gib: u32,
    /// Never past this size.
    pub max_gib: u32,
}

/// What one profile allows for one resource: a position range per knob.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProfileLimits {
    /// Inclusive position range per knob (indices into the knob's scale).
    pub ranges: BTreeMap<KnobName, (usize, usize)>,
    /// Serverless v2 minimum ACU while in force.
    pub min_acu: Option<f64>,
    /// RDS, Aurora: stopped while in force.
    pub stopped: Option<bool>,
}

/// Up or down.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// More capacity, more cost.
    Up,
    /// Less capacity, less cost.
    Down,
}

impl std::fmt::Display for Direction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Direction::Up => "up",
            Direction::Down => "down",
        })
    }
}

/// A scale rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// The CloudWatch alarm whose ALARM state fires the rule: the named
    /// alarm, or the one Terraform generates for a metric threshold.
    pub alarm_name: String,
    /// What fires it.
    pub trigger: Trigger,
    /// Up or down.
    pub direction: Direction,
    /// Which knob it moves.
    pub knob: KnobName,
    /// Critical rules may pass the budget headroom guard.
    pub critical: bool,
    /// Target tracking: the utilisation a move sizes the knob to (percent
    /// of the rule's metric). None: the rule moves one position.
    pub target: Option<f64>,
}

impl Rule {
    /// A short label for plans: the alarm name, or the threshold.
    pub fn label(&self) -> String {
        match &self.trigger {
            Trigger::Alarm => format!("alarm {}", self.alarm_name),
            Trigger::Metric(m) => m.describe(),
        }
    }
}

/// What fires a rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// An existing alarm (looked up, not created).
    Alarm,
    /// A metric threshold (Terraform creates the alarm).
    Metric(MetricThreshold),
}

/// A metric threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricThreshold {
    /// CloudWatch metric name.
    pub metric: String,
    /// Comparison.
    pub comparison: Comparison,
    /// Statistic, e.g. `Average`.
    pub statistic: String,
    /// Period.
    pub period: Span,
    /// Periods in a row.
    pub evaluation_periods: u32,
    /// Where a metric outside the kind's namespace lives (`namespace:`,
    /// `dimensions:`); None: the kind's own namespace and dimensions.
    pub custom: Option<CustomMetric>,
}

/// A metric a rule names with its own namespace and dimensions.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomMetric {
    /// CloudWatch namespace.
    pub namespace: String,
    /// Dimension name and value pairs, sorted by name.
    pub dimensions: Vec<(String, String)>,
}

impl MetricThreshold {
    /// e.g. `CPUUtilization > 80`.
    pub fn describe(&self) -> String {
        match self.comparison {
            Comparison::Above(v) => format!("{} > {}", self.metric, v),
            Comparison::Below(v) => format!("{} < {}", self.metric, v),
            Comparison::AbovePercentOfMaxConnections(p) => {
                format!("{} > {}% of max_connections", self.metric, p)
            }
        }
    }
}

/// A threshold comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Comparison {
    /// Fires above the value.
    Above(f64),
    /// Fires below the value.
    Below(f64),
    /// Fires above this percent of the class's max_connections.
    AbovePercentOfMaxConnections(f64),
}

/// An Auto Scaling group's instances distribution.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SpotMix {
    /// On-demand base capacity.
    pub on_demand_base: u32,
    /// On-demand percent above the base.
    pub on_demand_percent_above_base: u32,
    /// Spot allocation strategy.
    pub allocation_strategy: String,
    /// Instance-type overrides, in order.
    pub instance_types: Vec<String>,
}

impl std::fmt::Display for SpotMix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}% spot (base {} on-demand, {}, {} types)",
            100 - self.on_demand_percent_above_base.min(100),
            self.on_demand_base,
            self.allocation_strategy,
            self.instance_types.len()
        )
    }
}
