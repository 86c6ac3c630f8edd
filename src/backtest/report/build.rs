//! Building the report from the replay's own tallies: per resource, then
//! the totals as sums of the rounded per-resource figures.

use super::WarningsReport;
use super::format::{at_position, cents, change_text, summary, tenths};
use super::schema::*;
use super::series::{Buckets, report_series, resource_series};
use super::spot::spot_mix_report;
use crate::backtest::sim::{BudgetTally, Taken, Tally};
use crate::backtest::timeline::{STEP_SECS, Window};
use crate::plan::PriceUsed;
use crate::policy::Direction;

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
    let buckets = Buckets::new(window);
    let slo = header.slo_percent;
    let resources: Vec<ResourceReport> = facts
        .into_iter()
        .map(|f| resource(f, buckets, window, slo))
        .collect();
    let totals = totals(&resources);
    let per_resource: Vec<_> = resources.iter().map(|r| r.series.clone()).collect();
    let series = report_series(buckets, window, &per_resource, budget, budgets);
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
        load_model: crate::backtest::load::LOAD_MODEL
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        price_source: header.price_source,
        cost_model: crate::backtest::costing::COST_MODEL.to_owned(),
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
        series,
    }
}

fn resource(f: SubjectFacts<'_>, buckets: Buckets, window: &Window, slo: f64) -> ResourceReport {
    let r = f.subject.resource;
    let series = resource_series(buckets, window, f.subject, f.tally, f.baseline, slo);
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
    let prediction = super::prediction::report(r, t, f.without);
    if let Some(p) = &prediction {
        notes.push(p.describe(t));
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
        series,
        prediction,
    }
}

fn counts(t: &Tally) -> ActionCounts {
    let mut c = ActionCounts {
        taken: t.taken.len(),
        refused: t.refused.values().sum(),
        refused_by_guard: t.refused.clone(),
        refused_decisions: t.refused_decisions,
        at_ceiling: t.at_ceiling.episodes,
        at_ceiling_decisions: t.at_ceiling.decisions,
        at_floor: t.at_floor.episodes,
        at_floor_decisions: t.at_floor.decisions,
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

impl Breaches {
    fn new(intervals: usize) -> Self {
        Breaches {
            intervals,
            minutes: i64::try_from(intervals).unwrap_or(i64::MAX) * STEP_SECS / 60,
        }
    }
}

impl ActionCounts {
    fn add(&mut self, other: &ActionCounts) {
        self.taken += other.taken;
        self.up += other.up;
        self.down += other.down;
        self.reconfigured += other.reconfigured;
        self.refused += other.refused;
        self.refused_decisions += other.refused_decisions;
        self.at_ceiling += other.at_ceiling;
        self.at_ceiling_decisions += other.at_ceiling_decisions;
        self.at_floor += other.at_floor;
        self.at_floor_decisions += other.at_floor_decisions;
        for (g, n) in &other.refused_by_guard {
            *self.refused_by_guard.entry(*g).or_insert(0) += n;
        }
    }
}

impl StepReport {
    fn new(a: &Taken) -> Self {
        StepReport {
            at: a.at,
            knob: a.knob,
            change: change_text(a.knob, &a.from, &a.to),
            cause: a.cause.clone(),
            reason: a.reason.clone(),
            direction: a.direction,
        }
    }
}
