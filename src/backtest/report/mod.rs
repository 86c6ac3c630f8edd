//! The backtest report: what tidegate did to each resource, what it cost
//! against static peak provisioning, and where load per unit of capacity
//! went past the SLO. Built from the run's own tallies, never from
//! constants; serialised as-is for `--json`, rendered by
//! [`super::render`] for people.
//!
//! Money is rounded to cents and percentages to one decimal place. Savings
//! (and the extra cost of a raised on-demand share) are computed from the
//! rounded figures, and totals add up the rounded per-resource figures, so
//! every row and the totals agree to the cent.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::baseline::Baseline;
use super::mapping::ValueKind;
use super::sim::{BudgetTally, Subject, Taken, Tally};
use super::spot_report::spot_mix_report;
pub use super::spot_report::{ClassWarnings, MixChange, MixLevel, SpotMixReport, WarningsReport};
use super::timeline::{STEP_SECS, Window};
use super::trace::TraceQuality;
use crate::estate::Setting;
use crate::plan::{Guard, PriceUsed};
use crate::policy::{Direction, Knob, KnobName, ResourceKind, Scale};

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

impl CostCompare {
    fn new(tidegate: f64, static_peak: f64) -> Self {
        let (t, s) = (cents(tidegate), cents(static_peak));
        let savings = cents(s - t);
        CostCompare {
            tidegate_usd: t,
            static_peak_usd: s,
            savings_usd: savings,
            savings_percent: (s > 0.0).then(|| tenths(savings / s * 100.0)),
        }
    }
}

/// Intervals over the SLO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Breaches {
    /// Decision intervals.
    pub intervals: usize,
    /// Minutes (intervals × 5).
    pub minutes: i64,
}

impl Breaches {
    fn new(intervals: usize) -> Self {
        Breaches {
            intervals,
            minutes: i64::try_from(intervals).unwrap_or(i64::MAX) * STEP_SECS / 60,
        }
    }
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
}

impl ActionCounts {
    fn add(&mut self, other: &ActionCounts) {
        self.taken += other.taken;
        self.up += other.up;
        self.down += other.down;
        self.reconfigured += other.reconfigured;
        self.refused += other.refused;
        self.refused_decisions += other.refused_decisions;
        for (g, n) in &other.refused_by_guard {
            *self.refused_by_guard.entry(*g).or_insert(0) += n;
        }
    }
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
}

impl StepReport {
    fn new(a: &Taken) -> Self {
        StepReport {
            at: a.at,
            knob: a.knob,
            change: change_text(a.knob, &a.from, &a.to),
            cause: a.cause.clone(),
            reason: a.reason.clone(),
        }
    }
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
    pub limits: super::Limits,
}

/// The baseline in the words the report uses.
pub const BASELINE: &str = "static peak: each resource held all the time at the smallest setting that keeps the trace's peak under the SLO and meets every scheduled profile's minimum (e.g. business_hours readers ≥ 2)";

/// Builds the report.
pub fn build(
    header: Header,
    window: &Window,
    facts: Vec<SubjectFacts<'_>>,
    spot_warnings: Option<WarningsReport>,
    budget: &BudgetTally,
    budgets: Option<&crate::policy::Budgets>,
    missing_intervals: usize,
) -> Report {
    let resources: Vec<ResourceReport> = facts.into_iter().map(resource).collect();
    let totals = totals(&resources);
    Report {
        policy: header.policy,
        estate: header.estate,
        mapping: header.mapping,
        period: Period {
            start: window.start,
            end: window.end,
            days: tenths(window.hours() / 24.0),
            hours: tenths(window.hours()),
            decisions: window.intervals - missing_intervals.min(window.intervals),
            missing_intervals,
            step_minutes: STEP_SECS / 60,
        },
        load_model: super::load::LOAD_MODEL
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        price_source: header.price_source,
        cost_model: super::costing::COST_MODEL.to_owned(),
        baseline: BASELINE.to_owned(),
        slo_percent: header.slo_percent,
        spot_warnings,
        resources,
        totals,
        budgets: BudgetReport {
            periods: budgets
                .map(|b| {
                    b.limits
                        .iter()
                        .map(|(p, limit)| BudgetLine {
                            period: *p,
                            limit_usd: *limit,
                            peak_forecast_percent: tenths(
                                budget.peak_forecast_percent.get(p).copied().unwrap_or(0.0),
                            ),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            emergency_decisions: budget.emergency_intervals,
        },
    }
}

fn resource(f: SubjectFacts<'_>) -> ResourceReport {
    let r = f.subject.resource;
    let t = f.tally;
    let mut notes = f.notes;
    let slo = f.subject.driven.as_ref().map(|_| SloCompare {
        tidegate: Breaches::new(t.breach_intervals),
        static_peak: Breaches::new(f.baseline.breach_intervals),
        tidegate_peak_percent: t
            .peak_utilisation
            .is_finite()
            .then(|| tenths(t.peak_utilisation)),
    });
    if f.baseline.peak_exceeds_scale {
        notes.push("even the top of the scale cannot hold the trace's peak under the SLO; static peak is the top".to_owned());
    }
    if !t.peak_utilisation.is_finite() {
        notes.push("had load while at zero capacity (counted as breaches)".to_owned());
    }
    let visited = r
        .knobs
        .iter()
        .filter_map(|k| {
            let (lo, hi) = t.visited.get(&k.name)?;
            Some(KnobRange {
                knob: k.name,
                low: at_position(k, *lo),
                high: at_position(k, *hi),
            })
        })
        .collect();
    ResourceReport {
        id: r.id.clone(),
        kind: r.kind,
        trace: f.trace,
        start: summary(&f.subject.start),
        visited,
        end: summary(&t.end),
        static_peak: match f.baseline.knob {
            Some(k) => format!("{} (sized on {k})", summary(&f.baseline.settings)),
            None => format!("{} (no trace: held)", summary(&f.baseline.settings)),
        },
        cost: CostCompare::new(t.cost_usd, f.baseline.cost_usd),
        slo,
        actions: counts(t),
        largest_step: largest(&t.taken),
        notes,
        action_notes: t
            .action_notes
            .iter()
            .map(|(note, n)| NoteCount {
                actions: *n,
                note: note.clone(),
            })
            .collect(),
        log: t.taken.iter().map(StepReport::new).collect(),
        spot_mix: match (&t.spot, f.subject.spot_class) {
            (Some(spot), Some(class)) => Some(spot_mix_report(f.subject, t, spot, class)),
            _ => None,
        },
        priced_from: t.prices.iter().map(|(k, q)| PriceUsed::new(k, q)).collect(),
    }
}

fn counts(t: &Tally) -> ActionCounts {
    let mut c = ActionCounts {
        taken: t.taken.len(),
        refused: t.refused.values().sum(),
        refused_by_guard: t.refused.clone(),
        refused_decisions: t.refused_decisions,
        ..ActionCounts::default()
    };
    for a in &t.taken {
        match a.direction {
            Some(Direction::Up) => c.up += 1,
            Some(Direction::Down) => c.down += 1,
            None => c.reconfigured += 1,
        }
    }
    c
}

fn largest(taken: &[Taken]) -> Option<StepReport> {
    // The first of the biggest moves on a scale wins.
    let best =
        taken
            .iter()
            .filter(|a| a.positions > 0)
            .fold(None::<&Taken>, |best, a| match best {
                Some(b) if b.positions >= a.positions => Some(b),
                _ => Some(a),
            })?;
    Some(StepReport::new(best))
}

fn totals(resources: &[ResourceReport]) -> Totals {
    let (mut t, mut s) = (0.0, 0.0);
    let (mut bt, mut bs) = (0, 0);
    let mut actions = ActionCounts::default();
    let mut extra = 0.0;
    for r in resources {
        extra += r.spot_mix.as_ref().map_or(0.0, |m| m.extra_usd);
        t += r.cost.tidegate_usd;
        s += r.cost.static_peak_usd;
        if let Some(slo) = &r.slo {
            bt += slo.tidegate.intervals;
            bs += slo.static_peak.intervals;
        }
        actions.add(&r.actions);
    }
    Totals {
        cost: CostCompare::new(t, s),
        slo: SloTotals {
            tidegate: Breaches::new(bt),
            static_peak: Breaches::new(bs),
        },
        actions,
        spot_mix_extra_usd: cents(extra),
    }
}

/// `db.r6g.large → db.r6g.2xlarge`, `readers 1 → 3 (+2)`, `desired 8 → 3 (−5)`.
pub fn change_text(knob: KnobName, from: &Setting, to: &Setting) -> String {
    match (from, to) {
        (Setting::Count(a), Setting::Count(b))
        | (Setting::Capacity { desired: a, .. }, Setting::Capacity { desired: b, .. }) => {
            let label = if knob == KnobName::Capacity {
                "desired".to_owned()
            } else {
                knob.to_string()
            };
            let d = i64::from(*b) - i64::from(*a);
            let sign = if d >= 0 { "+" } else { "-" };
            format!("{label} {a} → {b} ({sign}{})", d.unsigned_abs())
        }
        (Setting::Acu { max: a, .. }, Setting::Acu { max: b, .. }) => {
            format!("max ACU {a} → {b}")
        }
        _ => format!("{from} → {to}"),
    }
}

/// One knob's setting in a few words.
pub fn short(knob: KnobName, s: &Setting) -> String {
    match s {
        Setting::Class(c) => c.clone(),
        Setting::Count(n) => count_of(*n, knob),
        Setting::Capacity { desired, .. } => format!("desired {desired}"),
        Setting::Acu { min, max } => format!("{min}–{max} ACU"),
        Setting::Gib(g) => format!("{g} GiB {knob}"),
        other => other.to_string(),
    }
}

/// Every sized setting in a few words, knob order (power and spot mix left out).
pub fn summary(settings: &BTreeMap<KnobName, Setting>) -> String {
    settings
        .iter()
        .filter(|(k, _)| !matches!(k, KnobName::Power | KnobName::SpotMix))
        .map(|(k, s)| short(*k, s))
        .collect::<Vec<_>>()
        .join(", ")
}

fn at_position(knob: &Knob, pos: usize) -> String {
    match &knob.scale {
        Scale::Classes(l) => l.get(pos).cloned().unwrap_or_default(),
        Scale::Counts(c) => c
            .get(pos)
            .map(|n| {
                if knob.name == KnobName::Capacity {
                    format!("desired {n}")
                } else {
                    count_of(*n, knob.name)
                }
            })
            .unwrap_or_default(),
        Scale::Acu { max_values, .. } => max_values
            .get(pos)
            .map(|m| format!("max {m} ACU"))
            .unwrap_or_default(),
    }
}

/// `1 reader`, `3 readers`.
fn count_of(n: u32, knob: KnobName) -> String {
    let name = knob.as_str();
    match (n, name.strip_suffix('s')) {
        (1, Some(one)) => format!("1 {one}"),
        _ => format!("{n} {name}"),
    }
}

/// Rounded to cents.
pub fn cents(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Rounded to one decimal place.
pub fn tenths(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}
