//! Spend anomalies: each recent day's spend, and today's run-rate, against
//! a seasonal baseline. Pure: the series and the instant are parameters.
//!
//! The baseline of a day is the spend of the same weekday over the last
//! `weeks` weeks (policy `budgets.anomaly.weeks`, default 4): estates cost
//! less at weekends and on quiet weekdays, and comparing a Saturday with
//! last Saturdays keeps that cycle out of the alarm. Its statistic is the
//! median and the median absolute deviation (MAD, scaled by 1.4826 so it
//! estimates a standard deviation for normal noise): one earlier spike in
//! the baseline moves neither, where a mean and a standard deviation would
//! let it hide the next one.
//!
//! A day is anomalous when its spend is over the baseline's median by more
//! than each of `threshold_mads` × MAD, `min_excess_usd` and
//! `min_excess_percent` of the median. The two floors are why a flat
//! series (MAD 0) does not alarm on a few cents. With fewer than
//! [`MIN_BASELINE_DAYS`] baseline days there is not enough history: no
//! alarm.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use serde::Serialize;

use crate::policy::AnomalySettings;

/// Scales a MAD to estimate the standard deviation of normal noise
/// (1 / Φ⁻¹(3/4)).
pub const MAD_SCALE: f64 = 1.4826;

/// Fewer baseline days than this is not enough history to judge a day.
pub const MIN_BASELINE_DAYS: usize = 3;

/// Today's run-rate is judged only once Cost Explorer has counted this many
/// hours of it: a day's first hours, scaled to 24, are mostly noise.
pub const MIN_COUNTED_HOURS: f64 = 6.0;

/// How many services a finding names: those that moved most.
pub const TOP_SERVICES: usize = 3;

/// Complete days judged on each run, counting back from yesterday: Cost
/// Explorer revises its last days' figures as late usage arrives, so a day
/// can turn anomalous after the run that first saw it.
pub const RECENT_DAYS: u64 = 3;

/// One UTC day's spend, in USD.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct DaySpend {
    /// The UTC day.
    pub date: NaiveDate,
    /// Total unblended cost.
    pub total_usd: f64,
    /// Unblended cost per service (Cost Explorer's SERVICE dimension).
    pub by_service: BTreeMap<String, f64>,
}

/// The median of a baseline and its spread.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Baseline {
    /// Median spend of the baseline days.
    pub median_usd: f64,
    /// Their MAD, scaled by [`MAD_SCALE`].
    pub mad_usd: f64,
    /// How many days it was made of.
    pub days: usize,
}

/// What was measured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "measure")]
pub enum Measure {
    /// A complete day's spend.
    Day,
    /// Today's partial spend scaled to 24 hours.
    RunRate {
        /// The hours of today the partial spend covers.
        counted_hours: f64,
    },
}

/// A service that moved: its spend against its own same-weekday median.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceMove {
    /// Cost Explorer's service name, e.g. `Amazon Relational Database Service`.
    pub service: String,
    /// Its spend on the day (scaled to 24 h for a run-rate).
    pub spend_usd: f64,
    /// Its median on the baseline days (0 where it had none).
    pub baseline_usd: f64,
    /// `spend_usd − baseline_usd`.
    pub excess_usd: f64,
}

/// A day whose spend is over its baseline's threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Anomaly {
    /// The UTC day.
    pub date: NaiveDate,
    /// A complete day or today's run-rate.
    #[serde(flatten)]
    pub measure: Measure,
    /// The day's spend (scaled to 24 h for a run-rate).
    pub spend_usd: f64,
    /// The same-weekday baseline.
    pub baseline: Baseline,
    /// The spend over which the day is anomalous.
    pub threshold_usd: f64,
    /// USD over the baseline median.
    pub excess_usd: f64,
    /// Percent over the baseline median; None when the median is 0.
    pub excess_percent: Option<f64>,
    /// Excess in MADs; None when the MAD is 0.
    pub robust_z: Option<f64>,
    /// The services that moved most, most first (at most [`TOP_SERVICES`]).
    pub services: Vec<ServiceMove>,
}

/// The verdict on one day.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "verdict")]
pub enum Verdict {
    /// Fewer than [`MIN_BASELINE_DAYS`] same-weekday days to compare with.
    NotEnoughHistory {
        /// The baseline days there were.
        days: usize,
    },
    /// Within the threshold.
    Usual {
        /// The spend judged.
        spend_usd: f64,
        /// The spend over which it would have been anomalous.
        threshold_usd: f64,
    },
    /// Over it.
    Anomalous(Anomaly),
}

/// The median of the finite values of `xs`; None when there are none.
pub fn median(xs: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    })
}

/// The median absolute deviation of the finite values of `xs` from their
/// median, scaled by [`MAD_SCALE`]; None when there are none.
pub fn mad(xs: &[f64]) -> Option<f64> {
    let m = median(xs)?;
    let deviations: Vec<f64> = xs
        .iter()
        .filter(|x| x.is_finite())
        .map(|x| (x - m).abs())
        .collect();
    median(&deviations).map(|d| d * MAD_SCALE)
}

/// The baseline of `values`: None with fewer than [`MIN_BASELINE_DAYS`].
pub fn baseline(values: &[f64]) -> Option<Baseline> {
    let days = values.iter().filter(|x| x.is_finite()).count();
    if days < MIN_BASELINE_DAYS {
        return None;
    }
    Some(Baseline {
        median_usd: median(values)?,
        mad_usd: mad(values)?,
        days,
    })
}

/// The spend over which a day is anomalous: the median plus the largest of
/// `threshold_mads` × MAD, `min_excess_usd` and `min_excess_percent` of
/// the median.
pub fn threshold_usd(settings: &AnomalySettings, b: &Baseline) -> f64 {
    let spread = settings.threshold_mads * b.mad_usd;
    let floor_pct = b.median_usd.abs() * settings.min_excess_percent / 100.0;
    b.median_usd + spread.max(settings.min_excess_usd).max(floor_pct)
}

/// Judges every recent complete day (the [`RECENT_DAYS`] before today) and
/// today's run-rate, in date order. `history` holds the days Cost Explorer
/// returned, today's partial one included; `now` says which day is today
/// and how much of it has passed.
///
/// The hours of today Cost Explorer counted are taken as the hours since
/// 00:00 UTC. Cost Explorer lags by hours, so that is an upper bound: the
/// run-rate it gives can be too low (an anomaly found later, from the
/// complete day), never too high (a false alarm).
pub fn detect(
    history: &[DaySpend],
    now: DateTime<Utc>,
    settings: &AnomalySettings,
) -> Vec<(NaiveDate, Verdict)> {
    let today = now.date_naive();
    let by_date: BTreeMap<NaiveDate, &DaySpend> = history.iter().map(|d| (d.date, d)).collect();
    let mut verdicts = Vec::new();
    for back in (1..=RECENT_DAYS).rev() {
        let Some(date) = today.checked_sub_days(Days::new(back)) else {
            continue;
        };
        if let Some(day) = by_date.get(&date) {
            verdicts.push((date, judge(&by_date, day, Measure::Day, 1.0, settings)));
        }
    }
    let midnight = today.and_time(NaiveTime::MIN).and_utc();
    let counted_hours = (now - midnight).num_milliseconds() as f64 / 3_600_000.0;
    if let Some(v) = run_rate(history, today, counted_hours, settings) {
        verdicts.push((today, v));
    }
    verdicts
}

/// Judges today's partial spend in `history`, scaled from `counted_hours`
/// to 24 h. None when today is not in `history` or fewer than
/// [`MIN_COUNTED_HOURS`] are counted.
pub fn run_rate(
    history: &[DaySpend],
    today: NaiveDate,
    counted_hours: f64,
    settings: &AnomalySettings,
) -> Option<Verdict> {
    if !(MIN_COUNTED_HOURS..=24.0).contains(&counted_hours) {
        return None;
    }
    let by_date: BTreeMap<NaiveDate, &DaySpend> = history.iter().map(|d| (d.date, d)).collect();
    let day = by_date.get(&today)?;
    let measure = Measure::RunRate { counted_hours };
    Some(judge(
        &by_date,
        day,
        measure,
        24.0 / counted_hours,
        settings,
    ))
}

/// Judges `day` (its spend times `scale`) against the same weekday of the
/// `settings.weeks` weeks before it.
fn judge(
    by_date: &BTreeMap<NaiveDate, &DaySpend>,
    day: &DaySpend,
    measure: Measure,
    scale: f64,
    settings: &AnomalySettings,
) -> Verdict {
    let earlier: Vec<&DaySpend> = (1..=u64::from(settings.weeks))
        .filter_map(|w| day.date.checked_sub_days(Days::new(7 * w)))
        .filter_map(|d| by_date.get(&d).copied())
        .collect();
    let totals: Vec<f64> = earlier.iter().map(|d| d.total_usd).collect();
    let Some(b) = baseline(&totals) else {
        return Verdict::NotEnoughHistory {
            days: earlier.len(),
        };
    };
    let spend_usd = day.total_usd * scale;
    let threshold = threshold_usd(settings, &b);
    if spend_usd.is_nan() || spend_usd <= threshold {
        return Verdict::Usual {
            spend_usd,
            threshold_usd: threshold,
        };
    }
    let excess_usd = spend_usd - b.median_usd;
    Verdict::Anomalous(Anomaly {
        date: day.date,
        measure,
        spend_usd,
        baseline: b,
        threshold_usd: threshold,
        excess_usd,
        excess_percent: (b.median_usd > 0.0).then(|| excess_usd / b.median_usd * 100.0),
        robust_z: (b.mad_usd > 0.0).then(|| excess_usd / b.mad_usd),
        services: movers(day, &earlier, scale),
    })
}

/// The services of `day` that rose most over their own median on the
/// `earlier` days (a service absent on one of them spent 0 there).
fn movers(day: &DaySpend, earlier: &[&DaySpend], scale: f64) -> Vec<ServiceMove> {
    let mut moves: Vec<ServiceMove> = day
        .by_service
        .iter()
        .filter_map(|(service, &usd)| {
            let past: Vec<f64> = earlier
                .iter()
                .map(|d| d.by_service.get(service).copied().unwrap_or(0.0))
                .collect();
            let baseline_usd = median(&past).unwrap_or(0.0);
            let spend_usd = usd * scale;
            let excess_usd = spend_usd - baseline_usd;
            (excess_usd > 0.0).then(|| ServiceMove {
                service: service.clone(),
                spend_usd,
                baseline_usd,
                excess_usd,
            })
        })
        .collect();
    moves.sort_by(|a, b| b.excess_usd.total_cmp(&a.excess_usd));
    moves.truncate(TOP_SERVICES);
    moves
}

#[cfg(test)]
#[path = "anomaly_tests.rs"]
mod tests;
