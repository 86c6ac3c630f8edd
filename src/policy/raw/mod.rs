//! The policy file as written: serde types for YAML version 1.
//!
//! These types mirror the file one to one and reject unknown keys. They carry
//! no invariants beyond their shape; `validate` turns them into a
//! [`crate::policy::Policy`] the engine can trust. The JSON Schema in
//! `policies/schema.json` is derived from them.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::duration::Span;

mod predictive;
mod prices;
mod spot;
mod timeouts;

pub use predictive::{PredictiveModeSpec, PredictiveSpec};
pub use prices::PricesSpec;
pub use spot::{InstanceRefreshSpec, InterruptionsSpec, SpotClassSpec};
pub use timeouts::TimeoutsSpec;

/// The whole policy file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "tidegate policy, version 1")]
pub struct PolicyFile {
    /// Format version. Only `1` exists.
    pub version: u32,
    /// A name for the estate, used in notifications and reports.
    pub estate: String,
    /// The AWS region the estate lives in (prices and API calls use it).
    #[serde(default)]
    pub region: Option<String>,
    /// Limits that hold for every action, whatever caused it.
    pub guardrails: Guardrails,
    /// The profiles resources can be put in (e.g. `business_hours`, `evening`,
    /// `weekend`, `emergency`). A resource says what each profile means for it.
    #[serde(default)]
    pub profiles: BTreeMap<String, ProfileDecl>,
    /// Calendars that pick the profile in force at any instant.
    #[serde(default)]
    pub schedules: Vec<ScheduleSpec>,
    /// Spot/on-demand mix per workload class, for Auto Scaling groups.
    #[serde(default)]
    pub spot_mix: BTreeMap<String, SpotClassSpec>,
    /// Spend limits and what to do near them.
    #[serde(default)]
    pub budgets: Option<BudgetsSpec>,
    /// Where prices come from (the AWS Price List Query API by default).
    #[serde(default)]
    pub prices: Option<PricesSpec>,
    /// The managed resources.
    pub resources: Vec<ResourceSpec>,
}

/// Limits that hold for every action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Guardrails {
    /// At most this many actions are planned across the estate in any
    /// rolling hour (refused actions do not count).
    pub max_actions_per_hour: u32,
    /// A scale-up within this long after a scale-down of the same resource is
    /// held, so a resource does not flap. `0m` turns damping off.
    pub oscillation_window: Span,
    /// When true (the default), `apply` and the Lambdas only report what they
    /// would do.
    #[serde(default = "default_true")]
    pub dry_run: bool,
    /// Cooldowns for resources that do not set their own.
    #[serde(default)]
    pub default_cooldown: Option<CooldownSpec>,
    /// `tidegate apply --plan FILE` refuses a saved plan decided longer ago
    /// than this (default `15m`, from `1m` to `24h`): the estate it was
    /// decided on has moved since.
    #[serde(default)]
    pub max_plan_age: Option<Span>,
    /// How long an AWS call, and a whole run, may take (defaults suit AWS).
    #[serde(default)]
    pub timeouts: Option<TimeoutsSpec>,
    /// How many resources a run changes at once (default 8, from 1 to 64;
    /// 1 changes one resource at a time). Each resource's own steps stay in
    /// order.
    #[serde(default)]
    pub max_concurrent_actions: Option<u32>,
}

pub(crate) fn default_true() -> bool {
    true
}

/// A declared profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ProfileDecl {
    /// What the profile is for, in a sentence.
    #[serde(default)]
    pub description: Option<String>,
}

/// A calendar: cron transitions in one time zone, with holidays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSpec {
    /// Name that resources refer to.
    pub name: String,
    /// IANA time zone the cron expressions are read in, e.g. `Europe/Berlin`.
    pub timezone: String,
    /// Each transition puts its profile in force from the instant its cron
    /// expression fires until the next transition fires. Standard 5-field
    /// cron (`minute hour day-of-month month day-of-week`, `1-5` = Mon–Fri).
    pub transitions: Vec<TransitionSpec>,
    /// Dates (`YYYY-MM-DD`, in the schedule's time zone) on which the
    /// holiday profile is in force all day instead.
    #[serde(default)]
    pub holidays: Vec<HolidaySpec>,
    /// Profile in force on holidays. Required when `holidays` is not empty.
    #[serde(default)]
    pub holiday_profile: Option<String>,
}

/// One cron transition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionSpec {
    /// 5-field cron expression, e.g. `0 8 * * 1-5`.
    pub cron: String,
    /// Profile that comes into force when the expression fires.
    pub profile: String,
}

/// A holiday: a bare date, or a date with a name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum HolidaySpec {
    /// `2026-12-25`
    Date(String),
    /// `{ date: 2026-12-25, name: Christmas Day }`
    Named {
        /// `YYYY-MM-DD`
        date: String,
        /// What the day is.
        name: String,
    },
}

impl HolidaySpec {
    /// The date as written.
    pub fn date(&self) -> &str {
        match self {
            HolidaySpec::Date(d) => d,
            HolidaySpec::Named { date, .. } => date,
        }
    }
}

/// Spend limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetsSpec {
    /// Limit per UTC day, USD.
    #[serde(default)]
    pub daily_usd: Option<f64>,
    /// Limit per week (AWS Budgets weeks start Sunday 00:00 UTC), USD.
    #[serde(default)]
    pub weekly_usd: Option<f64>,
    /// Limit per calendar month (UTC), USD.
    #[serde(default)]
    pub monthly_usd: Option<f64>,
    /// Notify when the forecast for a period reaches this percent of its limit.
    pub warn_at_percent: f64,
    /// Apply the emergency profile when the forecast reaches this percent.
    pub emergency_at_percent: f64,
    /// Profile applied in a budget emergency (scale-downs only, never below a
    /// protected floor).
    pub emergency_profile: String,
    /// Spend anomaly detection (on by default).
    #[serde(default)]
    pub anomaly: Option<AnomalySpec>,
}

/// Spend anomaly detection: each day's spend against the same weekday of
/// the last weeks (median and MAD), and AWS Cost Anomaly Detection's own
/// anomalies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnomalySpec {
    /// Look for anomalies on each budget run (default true).
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Weeks of same-weekday history that make a day's baseline (3 to 12,
    /// default 4).
    #[serde(default)]
    pub weeks: Option<u32>,
    /// A day is anomalous when over its baseline median by more than this
    /// many MADs (median absolute deviations; above 0, at most 20, default
    /// 3)...
    #[serde(default)]
    pub threshold_mads: Option<f64>,
    /// ...and by at least this many USD (default 1)...
    #[serde(default)]
    pub min_excess_usd: Option<f64>,
    /// ...and by at least this percent of the median (default 20).
    #[serde(default)]
    pub min_excess_percent: Option<f64>,
    /// Read AWS Cost Anomaly Detection's anomalies too (default true).
    #[serde(default)]
    pub aws_anomalies: Option<bool>,
}

/// Cooldowns, up and down apart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CooldownSpec {
    /// Minimum time between two scale-ups of the resource.
    pub up: Span,
    /// Minimum time after any change of the resource before a scale-down.
    pub down: Span,
}

/// The kinds of resource tidegate manages.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    /// An RDS DB instance (not Aurora).
    RdsInstance,
    /// An Aurora cluster: Serverless v2 and/or provisioned writer, readers.
    AuroraCluster,
    /// An Amazon MSK (provisioned) cluster.
    MskCluster,
    /// An ElastiCache Redis OSS / Valkey replication group.
    ElasticacheRedis,
    /// An EC2 Auto Scaling group.
    AutoscalingGroup,
}

impl ResourceKind {
    /// Every kind, in the order the policy reference lists them.
    pub const ALL: [ResourceKind; 5] = [
        ResourceKind::RdsInstance,
        ResourceKind::AuroraCluster,
        ResourceKind::MskCluster,
        ResourceKind::ElasticacheRedis,
        ResourceKind::AutoscalingGroup,
    ];

    /// The kind as written in the policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::RdsInstance => "rds_instance",
            ResourceKind::AuroraCluster => "aurora_cluster",
            ResourceKind::MskCluster => "msk_cluster",
            ResourceKind::ElasticacheRedis => "elasticache_redis",
            ResourceKind::AutoscalingGroup => "autoscaling_group",
        }
    }
}

impl std::fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One managed resource. Which blocks are allowed depends on `kind`:
///
/// | kind | blocks |
/// |---|---|
/// | `rds_instance` | `instance_class`, `storage`, `apply_immediately`, `allow_stop` |
/// | `aurora_cluster` | `serverless_v2`, `writer_class`, `readers`, `allow_stop` |
/// | `msk_cluster` | `az_count`, `brokers`, `broker_type`, `storage` |
/// | `elasticache_redis` | `node_type`, `shards`, `replicas` |
/// | `autoscaling_group` | `capacity`, `workload_class` |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceSpec {
    /// Unique name of the resource within the policy.
    pub id: String,
    /// What it is.
    pub kind: ResourceKind,
    /// The AWS identifier (DB instance id, cluster id or ARN, replication
    /// group id, ASG name). Give this or `tags`.
    #[serde(default)]
    pub identifier: Option<String>,
    /// Tag selector: every resource of this kind carrying all these tags.
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
    /// Database engine: `postgres` / `mysql` (RDS), `aurora-postgresql` /
    /// `aurora-mysql` (Aurora), `redis` / `valkey` (ElastiCache).
    #[serde(default)]
    pub engine: Option<String>,
    /// Multi-AZ deployment (RDS). Prices and the failover note depend on it.
    #[serde(default)]
    pub multi_az: Option<bool>,
    /// Name of the schedule that picks this resource's profile.
    #[serde(default)]
    pub schedule: Option<String>,
    /// Cooldowns; the guardrails' default when absent.
    #[serde(default)]
    pub cooldown: Option<CooldownSpec>,
    /// Conditions that mean "one step up". Any one firing is enough.
    #[serde(default)]
    pub scale_up: Vec<RuleSpec>,
    /// Conditions that mean "one step down". Any one firing is enough, and
    /// only when no scale-up condition fires.
    #[serde(default)]
    pub scale_down: Vec<RuleSpec>,
    /// What each profile allows for this resource.
    #[serde(default)]
    pub profiles: BTreeMap<String, OverridesSpec>,

    /// RDS: the instance-class ladder.
    #[serde(default)]
    pub instance_class: Option<LadderSpec>,
    /// RDS: apply class changes now (true) or in the maintenance window.
    #[serde(default)]
    pub apply_immediately: Option<bool>,
    /// RDS, Aurora: the instance or cluster may be stopped by a profile
    /// (non-production only).
    #[serde(default)]
    pub allow_stop: Option<bool>,
    /// RDS storage ceiling / MSK broker storage: grow-only rule.
    #[serde(default)]
    pub storage: Option<StorageSpec>,

    /// Aurora: Serverless v2 capacity range (ACUs).
    #[serde(default)]
    pub serverless_v2: Option<AcuSpec>,
    /// Aurora: provisioned writer class ladder.
    #[serde(default)]
    pub writer_class: Option<LadderSpec>,
    /// Aurora: reader count range (0–15).
    #[serde(default)]
    pub readers: Option<CountSpec>,

    /// MSK: number of availability zones the cluster spans.
    #[serde(default)]
    pub az_count: Option<u32>,
    /// MSK: broker count range (multiples of `az_count`).
    #[serde(default)]
    pub brokers: Option<CountSpec>,
    /// MSK: broker instance type ladder.
    #[serde(default)]
    pub broker_type: Option<LadderSpec>,

    /// ElastiCache: node type ladder.
    #[serde(default)]
    pub node_type: Option<LadderSpec>,
    /// ElastiCache: shard (node group) range, cluster mode.
    #[serde(default)]
    pub shards: Option<CountSpec>,
    /// ElastiCache: replicas per shard range (0–5).
    #[serde(default)]
    pub replicas: Option<CountSpec>,

    /// ASG: desired-capacity range.
    #[serde(default)]
    pub capacity: Option<CountSpec>,
    /// ASG: the workload class whose spot mix applies (a key of `spot_mix`).
    #[serde(default)]
    pub workload_class: Option<String>,
    /// Predictive pre-scaling on a seasonal forecast (opt-in).
    #[serde(default)]
    pub predictive: Option<PredictiveSpec>,
}

/// An ordered ladder of instance classes, smallest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LadderSpec {
    /// Classes from smallest to largest.
    pub ladder: Vec<String>,
    /// Protected floor: never scaled below this class. Defaults to the
    /// ladder's first rung.
    #[serde(default)]
    pub floor: Option<String>,
    /// How many positions one decision may move this knob (default: no
    /// cap up, one down).
    #[serde(default)]
    pub max_step: Option<MaxStepSpec>,
}

/// An integer range with a protected floor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CountSpec {
    /// Lowest allowed value.
    pub min: u32,
    /// Highest allowed value.
    pub max: u32,
    /// Protected floor; defaults to `min`.
    #[serde(default)]
    pub floor: Option<u32>,
    /// Size of one step (default 1; for MSK brokers, `az_count`).
    #[serde(default)]
    pub step: Option<u32>,
    /// How many positions one decision may move this knob (default: no
    /// cap up, one down).
    #[serde(default)]
    pub max_step: Option<MaxStepSpec>,
}

/// Aurora Serverless v2 capacity range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AcuSpec {
    /// Lowest minimum ACU a profile may set (0.5 steps; 0 only with auto-pause).
    pub min_acu: f64,
    /// Highest maximum ACU a profile may set (at most 256).
    pub max_acu: f64,
    /// Protected floor for the maximum ACU; defaults to `min_acu`.
    #[serde(default)]
    pub floor_acu: Option<f64>,
    /// How far one scale step moves the maximum ACU (default 2).
    #[serde(default)]
    pub step_acu: Option<f64>,
    /// With `min_acu: 0`: idle seconds before Aurora pauses an instance
    /// (300–86,400; AWS's default 300).
    #[serde(default)]
    pub seconds_until_auto_pause: Option<u32>,
    /// How many positions one decision may move this knob (default: no
    /// cap up, one down).
    #[serde(default)]
    pub max_step: Option<MaxStepSpec>,
}

/// Per-knob cap on one decision's move, in positions of the knob's scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MaxStepSpec {
    /// Most positions up per decision (default: as many as demand needs).
    #[serde(default)]
    pub up: Option<u32>,
    /// Most positions down per decision (default 1).
    #[serde(default)]
    pub down: Option<u32>,
}

/// Grow-only storage rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StorageSpec {
    /// Grow when used storage passes this percent (RDS: of the ceiling; MSK: of
    /// broker volume).
    pub grow_when_used_percent: f64,
    /// Grow by this percent of the current size...
    pub grow_by_percent: f64,
    /// ...but by at least this many GiB.
    #[serde(default)]
    pub min_grow_gib: Option<u32>,
    /// Never grow past this size (GiB).
    pub max_gib: u32,
}

/// A condition that asks for one step up or down.
///
/// Either an existing CloudWatch alarm by name (`alarm`), or a metric
/// threshold (`metric` with `above` / `below` /
/// `above_percent_of_max_connections`) that Terraform turns into an alarm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Name of an existing CloudWatch alarm; ALARM state means "fire".
    #[serde(default)]
    pub alarm: Option<String>,
    /// CloudWatch metric name, e.g. `CPUUtilization`.
    #[serde(default)]
    pub metric: Option<String>,
    /// A metric outside the kind's own namespace (your application's, or
    /// another AWS service's such as `AWS/ApplicationELB`): its CloudWatch
    /// namespace. With it, `metric` is not checked against the kind's
    /// metric list, and is read (and alarmed on) under `dimensions`.
    #[serde(default)]
    pub namespace: Option<String>,
    /// The dimensions of a `namespace:` metric, name → value (e.g.
    /// `{ TargetGroup: targetgroup/api/0123456789abcdef }`); none by default.
    #[serde(default)]
    pub dimensions: Option<BTreeMap<String, String>>,
    /// Fire when the metric is above this value.
    #[serde(default)]
    pub above: Option<f64>,
    /// Fire when the metric is below this value.
    #[serde(default)]
    pub below: Option<f64>,
    /// RDS `DatabaseConnections`: fire above this percent of the instance
    /// class's `max_connections`.
    #[serde(default)]
    pub above_percent_of_max_connections: Option<f64>,
    /// Statistic for the generated alarm (default `Average`).
    #[serde(default)]
    pub statistic: Option<String>,
    /// Period of the generated alarm (default 5m).
    #[serde(default)]
    pub period: Option<Span>,
    /// Consecutive periods before the generated alarm fires (default 3).
    #[serde(default)]
    pub evaluation_periods: Option<u32>,
    /// A critical rule may scale up past the budget headroom guard.
    #[serde(default)]
    pub critical: bool,
    /// Which dimension the rule moves; each kind has a default.
    #[serde(default)]
    pub scales: Option<KnobName>,
    /// Target tracking: a move sizes the knob so the metric's projected
    /// value is under this. Default: halfway between this rule's threshold
    /// and the opposite rule's on the same metric and knob (so the next
    /// decision does not move back); without such a pair, one step.
    #[serde(default)]
    pub target: Option<f64>,
}

/// The dimensions of a resource that can change.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum KnobName {
    /// RDS instance class.
    InstanceClass,
    /// Aurora Serverless v2 ACU range.
    ServerlessV2,
    /// Aurora provisioned writer class.
    WriterClass,
    /// Aurora reader count.
    Readers,
    /// MSK broker count.
    Brokers,
    /// MSK broker type.
    BrokerType,
    /// Storage (MSK broker volume, RDS storage ceiling). Grow only.
    Storage,
    /// ElastiCache node type.
    NodeType,
    /// ElastiCache shard count.
    Shards,
    /// ElastiCache replicas per shard.
    Replicas,
    /// ASG desired capacity.
    Capacity,
    /// RDS instance or Aurora cluster running or stopped (set by a profile's `stopped`, never by a rule).
    Power,
    /// ASG instances distribution (set from the workload class, never by a rule).
    SpotMix,
}

impl KnobName {
    /// The name as written in the policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            KnobName::InstanceClass => "instance_class",
            KnobName::ServerlessV2 => "serverless_v2",
            KnobName::WriterClass => "writer_class",
            KnobName::Readers => "readers",
            KnobName::Brokers => "brokers",
            KnobName::BrokerType => "broker_type",
            KnobName::Storage => "storage",
            KnobName::NodeType => "node_type",
            KnobName::Shards => "shards",
            KnobName::Replicas => "replicas",
            KnobName::Capacity => "capacity",
            KnobName::Power => "power",
            KnobName::SpotMix => "spot_mix",
        }
    }
}

impl std::fmt::Display for KnobName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one profile allows for one resource. Every field narrows the
/// resource's own range; none may reach outside it or below its floor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct OverridesSpec {
    /// Class range for `instance_class` (RDS).
    #[serde(default)]
    pub instance_class: Option<ClassRangeSpec>,
    /// Class range for `writer_class` (Aurora).
    #[serde(default)]
    pub writer_class: Option<ClassRangeSpec>,
    /// Class range for `broker_type` (MSK).
    #[serde(default)]
    pub broker_type: Option<ClassRangeSpec>,
    /// Class range for `node_type` (ElastiCache).
    #[serde(default)]
    pub node_type: Option<ClassRangeSpec>,
    /// ACU range (Aurora Serverless v2).
    #[serde(default)]
    pub serverless_v2: Option<AcuRangeSpec>,
    /// Reader count range (Aurora).
    #[serde(default)]
    pub readers: Option<RangeSpec>,
    /// Broker count range (MSK).
    #[serde(default)]
    pub brokers: Option<RangeSpec>,
    /// Shard range (ElastiCache).
    #[serde(default)]
    pub shards: Option<RangeSpec>,
    /// Replicas-per-shard range (ElastiCache).
    #[serde(default)]
    pub replicas: Option<RangeSpec>,
    /// Desired-capacity range (ASG).
    #[serde(default)]
    pub capacity: Option<RangeSpec>,
    /// RDS, Aurora: stop the instance or cluster while this profile is in
    /// force (needs `allow_stop: true`). ElastiCache and MSK cannot be stopped.
    #[serde(default)]
    pub stopped: Option<bool>,
}

/// A class range within a ladder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ClassRangeSpec {
    /// Smallest class allowed in the profile.
    #[serde(default)]
    pub min: Option<String>,
    /// Largest class allowed in the profile.
    #[serde(default)]
    pub max: Option<String>,
}

/// An integer range within a resource's range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RangeSpec {
    /// Lowest value allowed in the profile.
    #[serde(default)]
    pub min: Option<u32>,
    /// Highest value allowed in the profile.
    #[serde(default)]
    pub max: Option<u32>,
}

/// An ACU range within a resource's Serverless v2 range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct AcuRangeSpec {
    /// Minimum ACU while the profile is in force.
    #[serde(default)]
    pub min_acu: Option<f64>,
    /// Maximum ACU while the profile is in force.
    #[serde(default)]
    pub max_acu: Option<f64>,
}
