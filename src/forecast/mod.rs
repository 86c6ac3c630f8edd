//! Forecasting a resource's metric for predictive pre-scaling. Pure: no
//! clock, no I/O; every function takes the history it may see and nothing
//! after it, so a walk-forward replay cannot look ahead.
//!
//! Two forecasters, both on a series at a fixed step (5 minutes: 288 a
//! day, 2,016 a week), oldest first:
//!
//! - **Seasonal naive** (always computed, the baseline the other must beat):
//!   the value at the same time last week.
//! - **Seasonal median** (the model): the median of the values at the same
//!   time of day on each of the last [`DAYS`] days, plus a weekly
//!   adjustment: the median, over the last [`WEEKS`] weeks around the same
//!   time of the week, of how far the series sat from its own daily median.
//!   A forecast at `t` reads nothing newer than a day before `t`, so it is
//!   the same for any lead under a day. Why this and not Holt-Winters
//!   or ETS with two seasonalities (Grafana's `augurs-mstl` + `augurs-ets`):
//!   the traces this forecasts are bursty (a database idling at 3% with
//!   one-point spikes to 100%, batch bursts of 10-35 minutes); a least-
//!   squares model smears one spike over every later day's forecast and
//!   needs weeks of history to settle, while a median ignores a one-off
//!   and keeps a burst that recurs at the same time. It is a few lines,
//!   fast enough to re-fit at every decision, and has no dependency.
//!
//! The prediction interval is empirical: the forecast plus the `quantile`
//! of the model's own walk-forward errors over its recent history. The
//! gate ([`evaluate`]) lets the model act only while, over that recent
//! history, it beats seasonal naive (MASE < 1: the model's mean absolute
//! error over the naive one's on the same points) and its interval covers
//! the actual values within [`COVERAGE_SLACK`] points of nominal.

#[cfg(test)]
mod tests;

/// Datapoints per day at a 5-minute step.
pub const DAY: usize = 288;
/// Datapoints per week at a 5-minute step.
pub const WEEK: usize = 7 * DAY;
/// Days of same-time-of-day values the seasonal median looks at.
pub const DAYS: usize = 7;
/// Weeks of same-time-of-week values the weekly adjustment reads (weekday
/// and weekend load differ: it shifts the daily median to the day type).
pub const WEEKS: usize = 2;
/// How far (points) the interval's coverage may stray from nominal before
/// the gate closes.
pub const COVERAGE_SLACK: f64 = 10.0;
/// Walk-forward points the gate scores the model on: the last two days.
pub const EVAL_POINTS: usize = 2 * DAY;

/// Seasonal naive: the value at `t` one week earlier (None before a week
/// of history). `t` may be at or after `history.len()` (a forecast): it
/// reads only `history`.
pub fn seasonal_naive(history: &[f64], t: usize) -> Option<f64> {
    let v = *history.get(t.checked_sub(WEEK)?)?;
    v.is_finite().then_some(v)
}

/// Seasonal median at `t` from `history` (see the module docs): the
/// median of the same time of day over the last [`DAYS`] days, shifted by
/// the weekly adjustment (how far the same time of the week sat from its
/// own daily median, over the last [`WEEKS`] weeks and [`SMOOTH`] points
/// either side: weekday and weekend levels differ, and smoothing keeps one
/// noisy point from steering it). None when no same-time value exists.
pub fn seasonal_median(history: &[f64], t: usize) -> Option<f64> {
    let daily = daily_median(history, t)?;
    let mut residuals = Vec::with_capacity(WEEKS * (2 * SMOOTH + 1));
    for k in 1..=WEEKS {
        let Some(centre) = t.checked_sub(k * WEEK) else {
            break;
        };
        for u in centre.saturating_sub(SMOOTH)..=centre + SMOOTH {
            let (Some(x), Some(d)) = (history.get(u), daily_median(history, u)) else {
                continue;
            };
            if x.is_finite() {
                residuals.push(x - d);
            }
        }
    }
    Some(daily + median(&mut residuals).unwrap_or(0.0))
}

/// Points either side of the same time last week the weekly adjustment
/// reads (an hour at a 5-minute step).
pub const SMOOTH: usize = 6;

/// The median of the values at `t` less 1..=[`DAYS`] days that `history`
/// holds.
fn daily_median(history: &[f64], t: usize) -> Option<f64> {
    let mut seen: Vec<f64> = (1..=DAYS)
        .filter_map(|k| history.get(t.checked_sub(k * DAY)?).copied())
        .filter(|v| v.is_finite())
        .collect();
    median(&mut seen)
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// The `q`-th percentile (0-100) of `v` (nearest rank, upper).
fn percentile(v: &mut [f64], q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let rank = ((q / 100.0) * v.len() as f64).ceil() as usize;
    Some(v[rank.clamp(1, v.len()) - 1])
}

/// How the model scored on its recent history, and whether it may act.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// Points scored.
    pub points: usize,
    /// Model MAE ÷ seasonal-naive MAE on the same points.
    pub mase: f64,
    /// Weighted absolute percentage error: Σ|error| ÷ Σ|actual| × 100.
    pub wape: f64,
    /// Percent of actuals at or under the interval's upper bound.
    pub coverage: f64,
    /// The nominal coverage (the quantile).
    pub nominal: f64,
    /// The error quantile added to a point forecast for its upper bound.
    pub margin: f64,
    /// MASE < 1 and coverage within [`COVERAGE_SLACK`] of nominal.
    pub trusted: bool,
}

impl Score {
    /// Why the gate is open or closed, for a plan.
    pub fn describe(&self) -> String {
        let verdict = if self.trusted {
            "forecast in use"
        } else {
            "forecast not trusted: reactive rules only"
        };
        format!(
            "{verdict} (MASE {:.2} vs seasonal naive, WAPE {:.0}%, {:.0}% of actuals under the p{:.0} bound over {} points)",
            self.mase, self.wape, self.coverage, self.nominal, self.points
        )
    }
}

/// Scores the seasonal median walk-forward on the last [`EVAL_POINTS`] of
/// `history`: each point is forecast from the values before it only. The
/// interval margin is the `quantile` of the errors of the points before
/// each one (split half: the first half calibrates, the second half is
/// scored), so coverage is measured out of sample. None with too little
/// history (a week and two evaluation windows).
pub fn evaluate(history: &[f64], quantile: f64) -> Option<Score> {
    let n = history.len();
    let start = n.checked_sub(EVAL_POINTS)?;
    if start < WEEK {
        return None;
    }
    let mut errors = Vec::with_capacity(EVAL_POINTS);
    let (mut model_abs, mut naive_abs, mut actual_abs) = (0.0, 0.0, 0.0);
    let mut pairs = Vec::with_capacity(EVAL_POINTS);
    for t in start..n {
        let actual = history[t];
        let past = &history[..t];
        let (Some(f), Some(b)) = (seasonal_median(past, t), seasonal_naive(past, t)) else {
            continue;
        };
        if !actual.is_finite() {
            continue;
        }
        errors.push(actual - f);
        pairs.push((f, actual));
        model_abs += (actual - f).abs();
        naive_abs += (actual - b).abs();
        actual_abs += actual.abs();
    }
    let half = pairs.len() / 2;
    if half == 0 {
        return None;
    }
    let margin = percentile(&mut errors[..half].to_vec(), quantile)?.max(0.0);
    let scored = &pairs[half..];
    let covered = scored.iter().filter(|(f, a)| *a <= f + margin).count();
    let coverage = covered as f64 / scored.len() as f64 * 100.0;
    // A naive forecast with no error at all cannot be beaten.
    let mase = if naive_abs > 0.0 {
        model_abs / naive_abs
    } else if model_abs > 0.0 {
        f64::INFINITY
    } else {
        1.0
    };
    let wape = if actual_abs > 0.0 {
        model_abs / actual_abs * 100.0
    } else {
        0.0
    };
    // The final margin uses every error seen, for the next forecast.
    let margin_now = percentile(&mut errors, quantile)?.max(0.0);
    Some(Score {
        points: pairs.len(),
        mase,
        wape,
        coverage,
        nominal: quantile,
        margin: margin_now.max(margin),
        trusted: mase < 1.0 && (coverage - quantile).abs() <= COVERAGE_SLACK,
    })
}

/// The highest upper bound (forecast + `margin`) over the next `lead`
/// points after `history`: what pre-scaling must be sized for. None when no
/// point of the horizon can be forecast.
pub fn peak_ahead(history: &[f64], lead: usize, margin: f64) -> Option<f64> {
    let n = history.len();
    (n..n + lead.max(1))
        .filter_map(|t| seasonal_median(history, t))
        .map(|f| f + margin)
        .reduce(f64::max)
}

/// What the forecaster says about one resource for one decision: the input
/// the decision core reads (`Signals::forecasts`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Outlook {
    /// The forecast metric (a target-tracked scale-up rule's).
    pub metric: String,
    /// The highest upper bound over the lead, as that metric would read at
    /// the resource's current settings (percent).
    pub peak: f64,
    /// The gate is open: the forecast may act.
    pub trusted: bool,
    /// The gate's verdict and scores, for the plan.
    pub note: String,
}

/// The outlook from `demand`: the metric's history as demand (the value ×
/// the capacity units in force at the time ÷ 100), one point per 5
/// minutes, oldest first, ending now. `units_now` converts the forecast
/// back to the metric at the current settings. This is the one function
/// the live path and the backtest both call; the gate is scored on the
/// same history (pass `score` to reuse a recent one). None with too little
/// history to score.
pub fn outlook(
    metric: &str,
    demand: &[f64],
    (lead, quantile): (usize, f64),
    units_now: f64,
    score: Option<&Score>,
) -> Option<(Outlook, Score)> {
    let score = match score {
        Some(s) => s.clone(),
        None => evaluate(demand, quantile)?,
    };
    let peak_units = peak_ahead(demand, lead, score.margin)?;
    let peak = if units_now > 0.0 {
        peak_units / units_now * 100.0
    } else {
        f64::INFINITY
    };
    Some((
        Outlook {
            metric: metric.to_owned(),
            peak,
            trusted: score.trusted,
            note: score.describe(),
        },
        score,
    ))
}
