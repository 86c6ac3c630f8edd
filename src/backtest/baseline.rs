//! The static-peak baseline tidegate is compared with: each resource held
//! all the time at the smallest setting that keeps the trace's peak demand
//! at or under the SLO. Pure.
//!
//! The knob sized is the one the rules on the traced metric move; the
//! others stay at their starting settings. A static deployment must still
//! meet what the operator requires at all times, so every knob starts at
//! least at its protected floor and at the highest minimum any scheduled
//! profile sets (e.g. `business_hours: readers min 2`), and Serverless v2
//! at the highest minimum ACU one sets; the budget emergency profile does
//! not count. When even the top of the scale breaches, the baseline is the
//! top. A resource with no trace holds its starting settings, raised to
//! those minimums. The baseline is costed with the same price book
//! and the same Serverless v2 billing as the replay.

use std::collections::BTreeMap;

use super::costing::CostCache;
use super::load;
use super::sim::{SimError, Subject, position};
use super::timeline::{STEP_SECS, Window};
use crate::estate::Setting;
use crate::policy::{Knob, KnobName, Policy, Resource, Scale, Trigger};
use crate::pricing::PriceBook;

/// One resource's static-peak baseline.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// Settings held all the time.
    pub settings: BTreeMap<KnobName, Setting>,
    /// The knob that was sized, when one was.
    pub knob: Option<KnobName>,
    /// USD over the replay.
    pub cost_usd: f64,
    /// Intervals over the SLO.
    pub breach_intervals: usize,
    /// True when even the top of the scale cannot hold the peak.
    pub peak_exceeds_scale: bool,
    /// USD per interval of the window (0 for missing ones), for the
    /// report's cumulative cost chart.
    pub interval_usd: Vec<f64>,
}

/// The baseline for `subject` over `window`, costed over the same
/// intervals as the replay (none of those `missing` marks).
pub fn choose(
    policy: &Policy,
    subject: &Subject<'_>,
    window: &Window,
    missing: &[bool],
    prices: &dyn PriceBook,
    slo_percent: f64,
) -> Result<Baseline, SimError> {
    let resource = subject.resource;
    let profiles = scheduled_profiles(policy, resource);
    let mut settings = subject.start.clone();
    for knob in &resource.knobs {
        let (lo, min_acu) = required(knob, resource, &profiles);
        let Some(current) = settings.get(&knob.name) else {
            continue;
        };
        let pos = position(knob, current).unwrap_or(lo).max(lo);
        if let Some(mut s) = setting_at(knob, pos, Some(current)) {
            if let (Setting::Acu { min, max }, Some(need)) = (&mut s, min_acu) {
                *min = min.max(need).min(*max);
            }
            settings.insert(knob.name, s);
        }
    }
    let mut knob_sized = None;
    let mut peak_exceeds_scale = false;
    if let (Some(driven), Some(knob)) = (&subject.driven, sized_knob(subject)) {
        let peak = driven.peak_demand();
        let (lo, _) = required(knob, resource, &profiles);
        let held = settings.get(&knob.name).cloned();
        let mut fits = None;
        let top = knob.scale.len().saturating_sub(1);
        for pos in lo.min(top)..=top {
            let Some(setting) = setting_at(knob, pos, held.as_ref()) else {
                continue;
            };
            settings.insert(knob.name, setting);
            let units = load::capacity_units(subject.resource, &settings)?;
            if load::utilisation(peak, units) <= slo_percent {
                fits = Some(pos);
                break;
            }
        }
        peak_exceeds_scale = fits.is_none();
        knob_sized = Some(knob.name);
    }

    let mut cache = CostCache::default();
    let hours = STEP_SECS as f64 / 3600.0;
    let units = load::capacity_units(subject.resource, &settings)?;
    let mut cost_usd = 0.0;
    let mut breach_intervals = 0;
    let mut interval_usd = vec![0.0; window.intervals];
    for (i, slot) in interval_usd.iter_mut().enumerate() {
        if missing.get(i).copied().unwrap_or(false) {
            continue;
        }
        let demand = subject.driven.as_ref().map(|d| d.demand(i));
        let usd = cache
            .hourly(
                subject.resource,
                &settings,
                subject.spot_mix.as_ref(),
                demand,
                prices,
            )
            .map_err(|error| SimError::unpriced(subject.resource, &settings, error))?;
        cost_usd += usd * hours;
        *slot = usd * hours;
        if demand.is_some_and(|d| load::utilisation(d, units) > slo_percent) {
            breach_intervals += 1;
        }
    }
    Ok(Baseline {
        settings,
        knob: knob_sized,
        cost_usd,
        breach_intervals,
        peak_exceeds_scale,
        interval_usd,
    })
}

/// Profiles the resource's schedule can put in force (not the emergency).
fn scheduled_profiles<'p>(policy: &'p Policy, resource: &Resource) -> Vec<&'p str> {
    let Some(schedule) = resource
        .schedule
        .as_deref()
        .and_then(|s| policy.schedules.get(s))
    else {
        return Vec::new();
    };
    schedule
        .transitions
        .iter()
        .map(|t| t.profile.as_str())
        .chain(schedule.holiday_profile.as_deref())
        .collect()
}

/// The lowest position a static deployment may hold on `knob`, and the
/// Serverless v2 minimum ACU it must keep.
fn required(knob: &Knob, resource: &Resource, profiles: &[&str]) -> (usize, Option<f64>) {
    let mut lo = knob.floor;
    let mut min_acu: Option<f64> = None;
    for name in profiles {
        let Some(limits) = resource.profile(name) else {
            continue;
        };
        if let Some((plo, _)) = limits.ranges.get(&knob.name) {
            lo = lo.max(*plo);
        }
        if let Some(m) = limits.min_acu {
            min_acu = Some(min_acu.map_or(m, |x| x.max(m)));
        }
    }
    (lo.min(knob.scale.len().saturating_sub(1)), min_acu)
}

/// The knob the first rule on the traced metric moves.
fn sized_knob<'p>(subject: &Subject<'p>) -> Option<&'p Knob> {
    let metric = &subject.driven.as_ref()?.metric;
    let resource = subject.resource;
    resource
        .rules()
        .find(|r| matches!(&r.trigger, Trigger::Metric(m) if &m.metric == metric))
        .and_then(|r| resource.knob(r.knob))
}

/// The setting at `pos`, shaped like `start` (an ASG keeps its widest
/// bounds; Serverless v2 keeps its starting minimum ACU where it fits).
pub fn setting_at(knob: &Knob, pos: usize, start: Option<&Setting>) -> Option<Setting> {
    match &knob.scale {
        Scale::Classes(ladder) => ladder.get(pos).cloned().map(Setting::Class),
        Scale::Counts(counts) => {
            let n = *counts.get(pos)?;
            Some(match knob.name {
                KnobName::Capacity => Setting::Capacity {
                    min: counts.first().copied().unwrap_or(n).min(n),
                    max: counts.last().copied().unwrap_or(n).max(n),
                    desired: n,
                },
                _ => Setting::Count(n),
            })
        }
        Scale::Acu {
            max_values,
            min_acu,
        } => {
            let max = *max_values.get(pos)?;
            let min = match start {
                Some(Setting::Acu { min, .. }) => *min,
                _ => *min_acu,
            };
            Some(Setting::Acu {
                min: min.min(max),
                max,
            })
        }
    }
}
