//! The report's shape: every type `--json` serialises, field by field,
//! and the header facts the builder takes in.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{SpotMixReport, WarningsReport};
use crate::backtest::Limits;
use crate::backtest::baseline::Baseline;
use crate::backtest::mapping::ValueKind;
use crate::backtest::sim::{Subject, Tally};
use crate::backtest::trace::TraceQuality;
use crate::plan::{Guard, PriceUsed};
use crate::policy::{Direction, KnobName, ResourceKind};

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Policy file.
    pub policy: String,
    /// Estate name from the policy.
    pub estate: String,
    /// Mapping file.
    pub mapping: String,
    /// The replayed period.
    pub period: Period,
    /// The load model, one point per line.
    pub load_model: Vec<String>,
    /// Where prices came from.
    pub price_source: String,
    /// What is costed, and how.
    pub cost_model: String,
    /// What the baseline is.
    pub baseline: String,
    /// Utilisation above this percent is an SLO breach.
    pub slo_percent: f64,
    /// The spot interruption warnings replayed, if any.
    pub spot_warnings: Option<WarningsReport>,
    /// Per resource, in policy order.
    pub resources: Vec<ResourceReport>,
    /// Sums over the resources.
    pub totals: Totals,
    /// Budget standing over the replay.
    pub budgets: BudgetReport,
    /// The estate over time (cost, budgets), for charts.
    pub series: super::ReportSeries,
}

/// The replayed period (UTC).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Period {
    /// First decision.
    pub start: DateTime<Utc>,
    /// Last instant every trace covers.
    pub end: DateTime<Utc>,
    /// Days replayed.
    pub days: f64,
    /// Hours replayed (decisions × 5 minutes).
    pub hours: f64,
    /// Decisions made.
    pub decisions: usize,
    /// Intervals of missing data (a trace gap longer than the limit): not
    /// decided, not costed, in no figure.
    pub missing_intervals: usize,
    /// Minutes between decisions.
    pub step_minutes: i64,
}

/// One resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceReport {
    /// Policy id.
    pub id: String,
    /// Kind.
    pub kind: ResourceKind,
    /// The trace driving it, if any.
    pub trace: Option<TraceReport>,
    /// Starting settings, for a person.
    pub start: String,
    /// Lowest and highest setting held, per knob.
    pub visited: Vec<KnobRange>,
    /// Settings at the end, for a person.
    pub end: String,
    /// The static-peak baseline's settings, for a person.
    pub static_peak: String,
    /// Cost with tidegate vs static peak.
    pub cost: CostCompare,
    /// SLO breaches (traced resources only).
    pub slo: Option<SloCompare>,
    /// Actions taken and refused.
    pub actions: ActionCounts,
    /// The largest single change.
    pub largest_step: Option<StepReport>,
    /// Things worth knowing.
    pub notes: Vec<String>,
    /// What the operator should know about the actions taken (from the
    /// plans), with how many actions carried each note.
    pub action_notes: Vec<NoteCount>,
    /// Every action taken, in order.
    pub log: Vec<StepReport>,
    /// The spot mix over the replay (Auto Scaling groups).
    pub spot_mix: Option<SpotMixReport>,
    /// The prices its replayed cost was computed from, each with its source
    /// and date.
    pub priced_from: Vec<PriceUsed>,
    /// The resource over time (utilisation, capacity, cost), for charts.
    pub series: super::ResourceSeries,
    /// The forecast's scores and effect (resources with `predictive`).
    pub prediction: Option<super::PredictionReport>,
}

/// A note and how many actions carried it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoteCount {
    /// Actions that carried it.
    pub actions: usize,
    /// The note.
    pub note: String,
}

/// A trace and what was done with its data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceReport {
    /// File, as the mapping names it.
    pub file: String,
    /// The metric its values stand for.
    pub metric: String,
    /// Utilisation or a count.
    pub values: ValueKind,
    /// For counts: the peak count, and the utilisation it was scaled to.
    pub count_peak: Option<f64>,
    /// For counts: the utilisation the peak stands for.
    pub peak_percent: Option<f64>,
    /// Whole weeks the trace was moved by.
    pub shift_weeks: i64,
    /// Gaps, duplicates, out-of-order rows.
    pub quality: TraceQuality,
    /// The same, in words.
    pub quality_text: String,
    /// Points outside the replayed window.
    pub points_outside_window: usize,
}

/// A knob's lowest and highest setting over the replay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KnobRange {
    /// Knob.
    pub knob: KnobName,
    /// Lowest.
    pub low: String,
    /// Highest.
    pub high: String,
}

/// Cost with tidegate against static peak provisioning, USD.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CostCompare {
    /// With tidegate.
    pub tidegate_usd: f64,
    /// Static peak.
    pub static_peak_usd: f64,
    /// Static peak − tidegate.
    pub savings_usd: f64,
    /// Savings as percent of static peak (None when static peak is 0).
    pub savings_percent: Option<f64>,
}

/// Intervals over the SLO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Breaches {
    /// Decision intervals.
    pub intervals: usize,
    /// Minutes (intervals × 5).
    pub minutes: i64,
}

/// SLO breaches with tidegate and with static peak.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SloCompare {
    /// With tidegate.
    pub tidegate: Breaches,
    /// Static peak.
    pub static_peak: Breaches,
    /// Highest utilisation under tidegate, percent (None: demand with no
    /// capacity at some point).
    pub tidegate_peak_percent: Option<f64>,
}

/// Actions taken and refused.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ActionCounts {
    /// Carried out.
    pub taken: usize,
    /// Of which up.
    pub up: usize,
    /// Of which down.
    pub down: usize,
    /// Of which reconfigurations (ASG bounds, ACU minimum, spot mix).
    pub reconfigured: usize,
    /// Refused: a streak of consecutive decisions in which the same guard
    /// held back the same change counts once.
    pub refused: usize,
    /// Refused, per guard (counted the same way).
    pub refused_by_guard: BTreeMap<Guard, usize>,
    /// Decisions in which a guard held something back.
    pub refused_decisions: usize,
    /// At-ceiling episodes: a scale-up rule firing on a knob at the top of
    /// its range, counted once per stay (not refusals).
    pub at_ceiling: usize,
    /// Decisions spent at ceiling.
    pub at_ceiling_decisions: usize,
    /// At-floor episodes: a scale-down rule firing at the bottom.
    pub at_floor: usize,
    /// Decisions spent at floor.
    pub at_floor_decisions: usize,
}

/// One change carried out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepReport {
    /// When.
    pub at: DateTime<Utc>,
    /// Knob.
    pub knob: KnobName,
    /// e.g. `db.r6g.large → db.r6g.2xlarge` or `readers 1 → 3 (+2)`.
    pub change: String,
    /// What asked for it.
    pub cause: String,
    /// The plan's reason.
    pub reason: String,
    /// Up, down, or None for a reconfiguration.
    pub direction: Option<Direction>,
}

/// Sums over every resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Totals {
    /// Cost.
    pub cost: CostCompare,
    /// SLO breaches over the traced resources.
    pub slo: SloTotals,
    /// Actions.
    pub actions: ActionCounts,
    /// What the raised on-demand shares cost over every group, USD (the
    /// sum of the groups' `spot_mix.extra_usd`).
    pub spot_mix_extra_usd: f64,
}

/// SLO breaches summed over the traced resources.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SloTotals {
    /// With tidegate.
    pub tidegate: Breaches,
    /// Static peak.
    pub static_peak: Breaches,
}

/// Budget standing over the replay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetReport {
    /// Per budgeted period.
    pub periods: Vec<BudgetLine>,
    /// Decisions with the emergency profile in force.
    pub emergency_decisions: usize,
}

/// One budget period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetLine {
    /// Period.
    pub period: crate::policy::BudgetPeriod,
    /// Limit, USD.
    pub limit_usd: f64,
    /// Highest forecast seen, percent of the limit.
    pub peak_forecast_percent: f64,
}

/// What the report needs to know about one subject beyond its tallies.
pub struct SubjectFacts<'a> {
    /// The subject.
    pub subject: &'a Subject<'a>,
    /// Its trace, if any.
    pub trace: Option<TraceReport>,
    /// Its replay tally.
    pub tally: &'a Tally,
    /// Its baseline.
    pub baseline: &'a Baseline,
    /// Notes gathered while preparing it.
    pub notes: Vec<String>,
    /// Its tally in the replay without prediction (when one ran).
    pub without: Option<&'a Tally>,
}

/// Header facts.
pub struct Header {
    /// Policy file.
    pub policy: String,
    /// Estate name.
    pub estate: String,
    /// Mapping file.
    pub mapping: String,
    /// The price book's description.
    pub price_source: String,
    /// SLO threshold.
    pub slo_percent: f64,
    /// Bounds on the replay.
    pub limits: Limits,
}

/// The baseline in the words the report uses.
pub const BASELINE: &str = "static peak: each resource held all the time at the smallest setting that keeps the trace's peak under the SLO and meets every scheduled profile's minimum (e.g. business_hours readers ≥ 2)";
