//! The report over time, for charts (`--html`) and for `--json` alike:
//! the replay cut into at most [`MAX_POINTS`] equal buckets, each point
//! the bucket's worst (highest utilisation, share, forecast) or its end
//! (capacity, cumulative cost); breaches, settings in force and the
//! emergency as exact spans.
//!
//! Cumulative costs are summed in the replay's own order and rounded to
//! cents, so each last point equals the report's cost figure to the cent.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::format::{cents, summary, tenths};
use crate::backtest::baseline::Baseline;
use crate::backtest::sim::{BudgetTally, Subject, Tally};
use crate::backtest::timeline::{STEP_SECS, Window};
use crate::estate::Setting;
use crate::policy::{BudgetPeriod, Budgets, Comparison, Direction, Trigger};

/// Most points a series has; longer replays are bucketed.
pub const MAX_POINTS: usize = 2000;

/// The estate-wide series, and the instants every series is drawn at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportSeries {
    /// Minutes per point (a multiple of the decision step).
    pub bucket_minutes: i64,
    /// Each point's first instant.
    pub at: Vec<DateTime<Utc>>,
    /// Cumulative cost over every resource, USD at each point's end.
    pub cost: CostSeries,
    /// Per budget period, the forecast against the warn and emergency lines.
    pub budgets: Vec<BudgetSeries>,
    /// When the budget emergency profile was in force.
    pub emergency: Vec<Span>,
}

/// Cumulative cost, tidegate against static peak, USD.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct CostSeries {
    /// With tidegate.
    pub tidegate_usd: Vec<f64>,
    /// Static peak.
    pub static_peak_usd: Vec<f64>,
}

/// One budget period's standing over time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetSeries {
    /// Period.
    pub period: BudgetPeriod,
    /// Limit, USD.
    pub limit_usd: f64,
    /// Warn line, percent of the limit.
    pub warn_percent: f64,
    /// Emergency line, percent of the limit.
    pub emergency_percent: f64,
    /// Highest forecast in each bucket, percent of the limit (None: no
    /// interval of it was replayed).
    pub forecast_percent: Vec<Option<f64>>,
}

/// A stretch of decision intervals, `[start, end)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Span {
    /// First instant.
    pub start: DateTime<Utc>,
    /// The instant after the last interval.
    pub end: DateTime<Utc>,
    /// Decision intervals in it.
    pub intervals: usize,
}

/// One resource over time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceSeries {
    /// Highest uncapped utilisation in each bucket, percent (None: no
    /// trace, no data, or load with no capacity).
    pub utilisation_percent: Vec<Option<f64>>,
    /// Capacity units in force at each bucket's end (see the load model).
    pub capacity_units: Vec<Option<f64>>,
    /// Cumulative cost, USD at each bucket's end.
    pub cost: CostSeries,
    /// The thresholds of the rules on the traced metric, percent.
    pub thresholds: Vec<Threshold>,
    /// Intervals over the SLO with tidegate.
    pub breaches: Vec<Span>,
    /// The settings in force, each from when it took effect.
    pub held: Vec<Held>,
    /// Highest on-demand share in each bucket, percent above the base
    /// (groups with a spot mix).
    pub on_demand_percent: Option<Vec<Option<u32>>>,
    /// The spot interruption warnings the group saw inside the window.
    pub spot_warnings: Option<Vec<DateTime<Utc>>>,
}

/// A rule's threshold on the traced metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Threshold {
    /// The rule, e.g. `CPUUtilization > 80`.
    pub rule: String,
    /// Which way it moves the knob.
    pub direction: Direction,
    /// The threshold, percent.
    pub percent: f64,
}

/// The settings in force from an instant on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Held {
    /// When they took effect (the window's start for the first).
    pub from: DateTime<Utc>,
    /// The settings, for a person.
    pub settings: String,
}

/// How the window is cut into buckets.
#[derive(Debug, Clone, Copy)]
pub(super) struct Buckets {
    per: usize,
    count: usize,
}

impl Buckets {
    pub(super) fn new(window: &Window) -> Buckets {
        let per = window.intervals.div_ceil(MAX_POINTS).max(1);
        Buckets {
            per,
            count: window.intervals.div_ceil(per),
        }
    }

    fn of(&self, interval: usize) -> usize {
        (interval / self.per).min(self.count.saturating_sub(1))
    }

    /// Per bucket, the fold of the values of its intervals.
    fn fold<T: Copy>(
        &self,
        values: impl Iterator<Item = (usize, T)>,
        pick: impl Fn(T, T) -> T,
    ) -> Vec<Option<T>> {
        let mut out = vec![None; self.count];
        for (i, v) in values {
            let slot = &mut out[self.of(i)];
            *slot = Some(slot.map_or(v, |old| pick(old, v)));
        }
        out
    }

    /// Per bucket, the running sum of `usd` at its end.
    fn cumulative(&self, usd: impl Iterator<Item = (usize, f64)>) -> Vec<f64> {
        let mut out = vec![0.0; self.count];
        let mut sum = 0.0;
        let mut filled = 0;
        for (i, v) in usd {
            let b = self.of(i);
            while filled < b {
                out[filled] = cents(sum);
                filled += 1;
            }
            sum += v;
        }
        for slot in &mut out[filled.min(self.count)..] {
            *slot = cents(sum);
        }
        out
    }
}

/// The series of one resource.
pub(super) fn resource_series(
    buckets: Buckets,
    window: &Window,
    subject: &Subject<'_>,
    tally: &Tally,
    baseline: &Baseline,
    slo_percent: f64,
) -> ResourceSeries {
    let s = &tally.samples;
    let finite = |u: Option<f64>| u.filter(|u| u.is_finite()).map(tenths);
    let thresholds = match &subject.driven {
        Some(d) => subject
            .resource
            .rules()
            .filter_map(|r| match &r.trigger {
                Trigger::Metric(m) if m.metric == d.metric => match m.comparison {
                    Comparison::Above(v) | Comparison::Below(v) => Some(Threshold {
                        rule: m.describe(),
                        direction: r.direction,
                        percent: v,
                    }),
                    Comparison::AbovePercentOfMaxConnections(_) => None,
                },
                _ => None,
            })
            .collect(),
        None => Vec::new(),
    };
    ResourceSeries {
        utilisation_percent: buckets.fold(
            s.iter()
                .filter_map(|x| Some((x.interval, finite(x.utilisation)?))),
            f64::max,
        ),
        capacity_units: buckets.fold(
            s.iter().filter_map(|x| Some((x.interval, x.units?))),
            |_, new| new,
        ),
        cost: CostSeries {
            tidegate_usd: buckets.cumulative(s.iter().map(|x| (x.interval, x.usd))),
            static_peak_usd: buckets.cumulative(baseline.interval_usd.iter().copied().enumerate()),
        },
        thresholds,
        breaches: spans(
            window,
            s.iter()
                .filter(|x| x.utilisation.is_some_and(|u| u > slo_percent))
                .map(|x| x.interval),
        ),
        held: held(window, subject, tally),
        on_demand_percent: tally.spot.as_ref().map(|_| {
            buckets.fold(
                s.iter()
                    .filter_map(|x| Some((x.interval, x.on_demand_percent?))),
                u32::max,
            )
        }),
        spot_warnings: subject.spot_warnings.as_ref().map(|w| {
            w.iter()
                .filter(|t| **t >= window.start && **t <= window.end)
                .copied()
                .collect()
        }),
    }
}

/// The estate-wide series.
pub(super) fn report_series(
    buckets: Buckets,
    window: &Window,
    resources: &[ResourceSeries],
    budget: &BudgetTally,
    budgets: Option<&Budgets>,
) -> ReportSeries {
    let mut cost = CostSeries {
        tidegate_usd: vec![0.0; buckets.count],
        static_peak_usd: vec![0.0; buckets.count],
    };
    for r in resources {
        for (sum, v) in cost.tidegate_usd.iter_mut().zip(&r.cost.tidegate_usd) {
            *sum += v;
        }
        for (sum, v) in cost.static_peak_usd.iter_mut().zip(&r.cost.static_peak_usd) {
            *sum += v;
        }
    }
    for v in cost
        .tidegate_usd
        .iter_mut()
        .chain(cost.static_peak_usd.iter_mut())
    {
        *v = cents(*v);
    }
    let empty = Vec::new();
    ReportSeries {
        bucket_minutes: i64::try_from(buckets.per).unwrap_or(i64::MAX) * STEP_SECS / 60,
        at: (0..buckets.count)
            .map(|b| window.at(b * buckets.per))
            .collect(),
        cost,
        budgets: budgets
            .map(|b| {
                b.limits
                    .iter()
                    .map(|(p, limit)| BudgetSeries {
                        period: *p,
                        limit_usd: *limit,
                        warn_percent: b.warn_at_percent,
                        emergency_percent: b.emergency_at_percent,
                        forecast_percent: buckets
                            .fold(
                                budget
                                    .forecast_percent
                                    .get(p)
                                    .unwrap_or(&empty)
                                    .iter()
                                    .copied(),
                                f64::max,
                            )
                            .into_iter()
                            .map(|v| v.map(tenths))
                            .collect(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        emergency: spans(window, budget.emergency_at.iter().copied()),
    }
}

/// Consecutive intervals (ascending) merged into spans.
fn spans(window: &Window, intervals: impl Iterator<Item = usize>) -> Vec<Span> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for i in intervals {
        match out.last_mut() {
            Some((_, end)) if *end == i => *end = i + 1,
            _ => out.push((i, i + 1)),
        }
    }
    out.into_iter()
        .map(|(a, b)| Span {
            start: window.at(a),
            end: window.at(b),
            intervals: b - a,
        })
        .collect()
}

/// The settings in force: the start, then after each instant with actions.
fn held(window: &Window, subject: &Subject<'_>, tally: &Tally) -> Vec<Held> {
    let mut settings: BTreeMap<_, _> = subject.start.clone();
    let mut out = vec![Held {
        from: window.start,
        settings: summary(&settings),
    }];
    for a in &tally.taken {
        if matches!(a.to, Setting::Mix(_)) {
            continue;
        }
        settings.insert(a.knob, a.to.clone());
        let now = summary(&settings);
        match out.last_mut() {
            Some(last) if last.from == a.at => last.settings = now,
            _ => out.push(Held {
                from: a.at,
                settings: now,
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(intervals: usize) -> Window {
        let start = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        Window {
            start,
            end: start + crate::backtest::timeline::step() * (intervals as i32 - 1),
            intervals,
        }
    }

    #[test]
    fn long_replays_are_bucketed_to_at_most_max_points() {
        let b = Buckets::new(&window(26_784));
        assert!(b.count <= MAX_POINTS);
        assert_eq!(b.per, 14);
        let short = Buckets::new(&window(10));
        assert_eq!((short.per, short.count), (1, 10));
    }

    #[test]
    fn cumulative_cost_ends_at_the_sum_and_fills_empty_buckets() {
        let b = Buckets { per: 2, count: 3 };
        let got = b.cumulative([(0, 1.0), (1, 2.0), (4, 0.5)].into_iter());
        assert_eq!(got, vec![3.0, 3.0, 3.5]);
    }

    #[test]
    fn consecutive_intervals_merge_into_one_span() {
        let w = window(10);
        let got = spans(&w, [1, 2, 3, 7].into_iter());
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].intervals, 3);
        assert_eq!(got[0].start, w.at(1));
        assert_eq!(got[0].end, w.at(4));
        assert_eq!(got[1].intervals, 1);
    }
}
