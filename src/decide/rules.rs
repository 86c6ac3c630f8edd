//! Which scale rules fire for one resource, and on what evidence. Pure.

use std::collections::BTreeMap;

use crate::catalog;
use crate::estate::{Member, Setting};
use crate::policy::{Comparison, KnobName, Resource, Rule, Trigger};
use crate::signals::{AlarmState, Signals};

/// One member's signals, its metrics looked up once per decision: the
/// estate-wide map is keyed by identifier, and a look-up per rule was most
/// of decide()'s time at 10,000 resources (string compares down the tree).
pub(crate) struct Seen<'a> {
    /// Every signal.
    pub signals: &'a Signals,
    /// The member's metrics, by name.
    metrics: Option<&'a BTreeMap<String, Vec<f64>>>,
}

impl<'a> Seen<'a> {
    /// The signals as `identifier` sees them.
    pub fn new(signals: &'a Signals, identifier: &str) -> Self {
        Seen {
            signals,
            metrics: signals.metrics.get(identifier),
        }
    }

    /// As [`Signals::series`], for this member.
    fn series(&self, metric: &str) -> Option<&'a [f64]> {
        self.metrics?
            .get(metric)
            .map(Vec::as_slice)
            .filter(|s| !s.is_empty())
    }
}

/// A rule that fired, with the evidence in words.
#[derive(Debug, Clone)]
pub(crate) struct Fired<'p> {
    /// The rule.
    pub rule: &'p Rule,
    /// e.g. `CPUUtilization 86.2 > 80` or `alarm orders-high is ALARM`.
    pub evidence: String,
}

/// The first rule of `rules` that fires for `knob` of `member`, if any.
/// File order decides between several: the operator wrote the most
/// important first.
pub(crate) fn first_firing<'p>(
    rules: &'p [Rule],
    knob: KnobName,
    resource: &Resource,
    member: &Member,
    seen: &Seen<'_>,
) -> Option<Fired<'p>> {
    rules.iter().filter(|r| r.knob == knob).find_map(|rule| {
        evidence(rule, resource, member, seen).map(|e| Fired { rule, evidence: e })
    })
}

/// Why `rule` fires now, or None when it does not.
fn evidence(rule: &Rule, resource: &Resource, member: &Member, seen: &Seen<'_>) -> Option<String> {
    // Most policies name no alarm the estate has: skip the look-up then.
    let alarms = &seen.signals.alarms;
    if !alarms.is_empty() && alarms.get(&rule.alarm_name) == Some(&AlarmState::Alarm) {
        return Some(format!("alarm {} is in ALARM", rule.alarm_name));
    }
    let Trigger::Metric(threshold) = &rule.trigger else {
        return None;
    };
    let series = seen.series(&threshold.metric)?;
    // The words are written only for a rule that fires: most do not.
    let (above, limit) = match threshold.comparison {
        Comparison::Above(limit) => (true, limit),
        Comparison::Below(limit) => (false, limit),
        Comparison::AbovePercentOfMaxConnections(percent) => {
            (true, max_connections(resource, member)? * percent / 100.0)
        }
    };
    let beyond = |v: f64| if above { v > limit } else { v < limit };
    if !breaches(series, threshold.evaluation_periods, beyond) {
        return None;
    }
    let bound = match threshold.comparison {
        Comparison::Above(limit) => format!("> {}", round(limit)),
        Comparison::Below(limit) => format!("< {}", round(limit)),
        Comparison::AbovePercentOfMaxConnections(percent) => format!(
            "> {}% of max_connections {}",
            round(percent),
            max_connections(resource, member)?.round()
        ),
    };
    let latest = *series.last()?;
    let n = threshold.evaluation_periods.max(1);
    let periods = if n > 1 {
        format!(" for {n} periods")
    } else {
        String::new()
    };
    Some(format!(
        "{} {} {}{periods}",
        threshold.metric,
        round(latest),
        bound
    ))
}

/// Whether a metric rule's datapoints (one per period, oldest first) breach
/// it: each of the last `periods` is past the threshold (`past`). Fewer
/// datapoints than `periods` do not breach, nor does a missing one (NaN):
/// one reading is not N periods of evidence. The live rules and the
/// backtest's emulated alarms both judge with this one function.
pub fn breaches(datapoints: &[f64], periods: u32, past: impl Fn(f64) -> bool) -> bool {
    let n = usize::try_from(periods.max(1)).unwrap_or(usize::MAX);
    datapoints.len() >= n
        && datapoints[datapoints.len() - n..]
            .iter()
            .all(|v| !v.is_nan() && past(*v))
}

/// The default `max_connections` of the member's current instance class.
fn max_connections(resource: &Resource, member: &Member) -> Option<f64> {
    let Some(Setting::Class(class)) = member.settings.get(&KnobName::InstanceClass) else {
        return None;
    };
    let info = catalog::lookup(class)?;
    catalog::max_connections(info, resource.engine.as_deref()?)
}

/// Two decimals at most, no trailing zeros: `86.2`, `80`.
fn round(v: f64) -> String {
    let r = (v * 100.0).round() / 100.0;
    format!("{r}")
}
