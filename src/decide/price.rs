//! The hourly cost change of a proposal. Pure.
//!
//! A Serverless v2 cluster is priced by the ACUs it is expected to run at,
//! as the backtest's cost model bills it ([`crate::pricing::at_running_acu`]),
//! not at its MinCapacity: a raise of the maximum ACU costs what the extra
//! room lets the cluster use. The demand is read from the signals
//! (`ServerlessDatabaseCapacity`, else `ACUUtilization` × the maximum ACU
//! in force); a saturated cluster (at its maximum) is taken to fill any
//! new room. Without a reading, the change is priced at the worst the two
//! ranges allow: the largest cost change over every demand.

use std::collections::BTreeMap;

use crate::estate::{Member, Setting};
use crate::plan::PriceUsed;
use crate::policy::{KnobName, Resource, SpotMix};
use crate::pricing::{Cost, PriceBook, Unpriced, at_running_acu, hourly_cost, readers};
use crate::signals::Signals;

/// ACUs per instance, averaged over the cluster's instances.
const CAPACITY_METRIC: &str = "ServerlessDatabaseCapacity";
/// ACUs used as a percent of the maximum ACU.
const UTILISATION_METRIC: &str = "ACUUtilization";

/// One side of a change: settings and spot mix.
pub(crate) struct Side<'a> {
    /// Every knob's setting.
    pub settings: &'a BTreeMap<KnobName, Setting>,
    /// The instances distribution (ASG).
    pub mix: Option<&'a SpotMix>,
}

/// The hourly cost change from `before` to `after` and the prices behind
/// it, or None when either side cannot be priced.
pub(crate) fn change(
    resource: &Resource,
    member: &Member,
    signals: &Signals,
    (before, after): (Side<'_>, Side<'_>),
    prices: &dyn PriceBook,
) -> Option<(f64, Vec<PriceUsed>)> {
    let cost = |side: &Side<'_>, demand: f64| -> Result<Cost, Unpriced> {
        let pinned = at_running_acu(resource, side.settings, demand);
        let settings = pinned.as_ref().unwrap_or(side.settings);
        hourly_cost(resource, settings, member.multi_az, side.mix, prices)
    };
    let priced = |demand: f64| -> Option<(f64, Cost, Cost)> {
        let (b, a) = (cost(&before, demand).ok()?, cost(&after, demand).ok()?);
        Some((a.usd_per_hour - b.usd_per_hour, b, a))
    };
    let candidates = match acu_demand(member, signals) {
        Some(demand) => vec![demand],
        None => worst_case_demands(&[before.settings, after.settings]),
    };
    let mut best: Option<(f64, Cost, Cost)> = None;
    for demand in candidates {
        let found = priced(demand)?;
        if best.as_ref().is_none_or(|(d, _, _)| found.0 > *d) {
            best = Some(found);
        }
    }
    let (delta, b, a) = best?;
    Some((delta, prices_used(&b, &a)))
}

/// The cluster's demand in ACUs across its instances, from the signals;
/// `f64::INFINITY` when it is saturated (at its maximum: what it would use
/// with more room is unknown, so it is taken to fill it), None when there
/// is no reading (or the member is not Serverless v2).
fn acu_demand(member: &Member, signals: &Signals) -> Option<f64> {
    let Some(Setting::Acu { max, .. }) = member.settings.get(&KnobName::ServerlessV2) else {
        return None;
    };
    let instances = 1.0 + readers(&member.settings);
    let finite = |v: &f64| v.is_finite() && *v >= 0.0;
    if let Some(acu) = signals
        .metric(&member.identifier, CAPACITY_METRIC)
        .filter(finite)
    {
        return Some(if acu >= *max {
            f64::INFINITY
        } else {
            acu * instances
        });
    }
    let percent = signals
        .metric(&member.identifier, UTILISATION_METRIC)
        .filter(finite)?;
    Some(if percent >= 100.0 {
        f64::INFINITY
    } else {
        percent / 100.0 * max * instances
    })
}

/// With the demand unknown, the demands at which the cost change of two
/// ACU ranges is largest: the change is piecewise linear in demand, with
/// its corners at the ranges' ends. One (any) demand for other resources.
fn worst_case_demands(sides: &[&BTreeMap<KnobName, Setting>]) -> Vec<f64> {
    let mut out = vec![f64::INFINITY];
    for settings in sides {
        if let Some(Setting::Acu { min, max }) = settings.get(&KnobName::ServerlessV2) {
            let instances = 1.0 + readers(settings);
            out.extend([0.0, min * instances, max * instances]);
        }
    }
    out
}

/// The distinct prices behind a cost change, before's first.
fn prices_used(before: &Cost, after: &Cost) -> Vec<PriceUsed> {
    let mut out: Vec<PriceUsed> = Vec::new();
    for line in before.lines.iter().chain(&after.lines) {
        let used = PriceUsed::new(&line.key, &line.quote);
        if !out.contains(&used) {
            out.push(used);
        }
    }
    out
}
