//! The `budgets.anomaly` block: spend anomaly detection's history and
//! thresholds, each bounded (see `crate::budget::anomaly`).

use super::{Ctx, finite};
use crate::policy::model::AnomalySettings;
use crate::policy::raw::AnomalySpec;

/// Fewer weeks cannot give the 3 same-weekday days a baseline needs.
const MIN_WEEKS: u32 = 3;
/// A quarter of history: older spend says little about this week's, and
/// each week is 7 more days in every run's Cost Explorer call.
const MAX_WEEKS: u32 = 12;
/// Above this many MADs nothing but an outage-sized bill would alarm.
const MAX_THRESHOLD_MADS: f64 = 20.0;
/// A floor above ten times the median would hide every anomaly.
const MAX_EXCESS_PERCENT: f64 = 1000.0;

const PATH: &str = "budgets.anomaly";

/// The settings of `spec` (the defaults where it is absent or silent).
pub(super) fn check(cx: &mut Ctx<'_>, spec: Option<&AnomalySpec>) -> AnomalySettings {
    let d = AnomalySettings::default();
    let Some(s) = spec else {
        return d;
    };
    let weeks = s.weeks.unwrap_or(d.weeks);
    if !(MIN_WEEKS..=MAX_WEEKS).contains(&weeks) {
        cx.at(
            &format!("{PATH}.weeks"),
            format!("weeks {weeks} is out of range"),
            format!("{MIN_WEEKS} to {MAX_WEEKS} weeks of same-weekday history"),
        );
    }
    let mads = s.threshold_mads.unwrap_or(d.threshold_mads);
    let path = format!("{PATH}.threshold_mads");
    if finite(cx, &path, mads) && !(mads > 0.0 && mads <= MAX_THRESHOLD_MADS) {
        cx.at(
            &path,
            format!("threshold_mads {mads} is out of range"),
            format!("above 0 and at most {MAX_THRESHOLD_MADS} (3 is usual)"),
        );
    }
    let usd = s.min_excess_usd.unwrap_or(d.min_excess_usd);
    let path = format!("{PATH}.min_excess_usd");
    if finite(cx, &path, usd) && usd < 0.0 {
        cx.at(
            &path,
            format!("min_excess_usd {usd} is negative"),
            "an amount in USD, 0 or more",
        );
    }
    let pct = s.min_excess_percent.unwrap_or(d.min_excess_percent);
    let path = format!("{PATH}.min_excess_percent");
    if finite(cx, &path, pct) && !(0.0..=MAX_EXCESS_PERCENT).contains(&pct) {
        cx.at(
            &path,
            format!("min_excess_percent {pct} is out of range"),
            format!("0 to {MAX_EXCESS_PERCENT} percent of the baseline median"),
        );
    }
    AnomalySettings {
        enabled: s.enabled.unwrap_or(d.enabled),
        weeks,
        threshold_mads: mads,
        min_excess_usd: usd,
        min_excess_percent: pct,
        aws_anomalies: s.aws_anomalies.unwrap_or(d.aws_anomalies),
    }
}
