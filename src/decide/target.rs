//! Target tracking: how far a firing rule moves its knob. Pure.
//!
//! Kubernetes' HPA sizes with `desired = ceil(current × value / target)`;
//! here the knob's scale is a ladder of settings, so a move goes to the
//! nearest setting whose *projected* value (the rule's latest datapoint ×
//! the capacity units now ÷ the units there, by the backtest's load model)
//! is under the rule's target, capped by the knob's `max_step`. Live and
//! backtest call this one function with the rule's metric from the signals.
//!
//! A datapoint is a lower bound when the metric saturates (CPU cannot read
//! above 100%): the move then undershoots and the next decision, after its
//! cooldown, sizes again from the new reading.

use super::knobs::{self, Window};
use super::propose::settings_after;
use crate::backtest::load;
use crate::estate::Member;
use crate::policy::{Direction, Knob, Resource, Rule, Trigger};
use crate::signals::Signals;

/// Where a target-tracked move goes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sized {
    /// The position to move to (equal to the current one: hold).
    pub to: usize,
    /// The metric's projected value there.
    pub projected: f64,
    /// The rule's target.
    pub target: f64,
}

impl Sized {
    /// `projected 47.5 < target 52.5`, for reasons.
    pub fn describe(&self) -> String {
        format!(
            "projected {:.1} vs target {:.1}",
            self.projected, self.target
        )
    }
}

/// The position `rule` (fired, moving `direction`) sizes `knob` to from
/// `pos` inside `reach`; None when target tracking does not apply (no
/// target, an alarm rule, no datapoint, no capacity model, or no room to
/// move), and the caller moves one position as before.
///
/// Up: the lowest position above `pos` whose projected value is under the
/// target, or the highest `max_step.up` allows. Down: the lowest position
/// `max_step.down` allows whose projected value stays under the target;
/// `pos` itself (hold) when even one step down would not, so the next
/// decision does not scale straight back up.
pub(crate) fn destination(
    resource: &Resource,
    member: &Member,
    signals: &Signals,
    (knob, pos, reach): (&Knob, usize, &Window),
    rule: &Rule,
    direction: Direction,
) -> Option<Sized> {
    let target = rule.target?;
    let Trigger::Metric(threshold) = &rule.trigger else {
        return None;
    };
    let value = signals
        .series(&member.identifier, &threshold.metric)?
        .iter()
        .rev()
        .find(|v| v.is_finite())
        .copied()?;
    let units = |p: usize| units_at(resource, member, (knob, p, reach));
    let now = units(pos)?;
    let projected = |p: usize| -> Option<f64> { Some(value * now / units(p)?) };
    match direction {
        Direction::Up => up(knob, pos, reach, target, projected),
        Direction::Down => {
            let first = reach.lo.max(pos.saturating_sub(knob.max_step.down));
            if first >= pos {
                return None;
            }
            let mut best = Sized {
                to: pos,
                projected: value,
                target,
            };
            for p in (first..pos).rev() {
                let v = projected(p)?;
                if v >= target {
                    break;
                }
                best = Sized {
                    to: p,
                    projected: v,
                    target,
                };
            }
            Some(best)
        }
    }
}

/// The lowest position above `pos` (within `reach` and `max_step.up`)
/// whose projected value is under `target`, or the highest allowed.
fn up(
    knob: &Knob,
    pos: usize,
    reach: &Window,
    target: f64,
    projected: impl Fn(usize) -> Option<f64>,
) -> Option<Sized> {
    let last = knob
        .max_step
        .up
        .map_or(reach.hi, |m| reach.hi.min(pos.saturating_add(m)));
    let mut best = None;
    for p in pos + 1..=last {
        let v = projected(p)?;
        best = Some(Sized {
            to: p,
            projected: v,
            target,
        });
        if v < target {
            break;
        }
    }
    best
}

/// Capacity units (the load model's) of `member` with `knob` at `pos`;
/// None when unknown or zero (nothing to scale a value by).
fn units_at(
    resource: &Resource,
    member: &Member,
    (knob, pos, reach): (&Knob, usize, &Window),
) -> Option<f64> {
    let setting = knobs::setting_at(knob, pos, reach)?;
    load::capacity_units(resource, &settings_after(member, knob.name, &setting))
        .ok()
        .filter(|u| *u > 0.0)
}

/// A pre-scale before a forecast rise: the scale-up rule on the forecast
/// `metric` for `knob` (with a target), and the position that keeps the
/// forecast `peak` (the metric at the current settings) under its target.
/// None when the peak is under the target already, or nothing applies.
/// Only ever up: schedules and reactive rules scale down.
pub(crate) fn ahead<'r>(
    resource: &'r Resource,
    member: &Member,
    (knob, pos, reach): (&Knob, usize, &Window),
    metric: &str,
    peak: f64,
) -> Option<(&'r Rule, Sized)> {
    let rule = resource.scale_up.iter().find(|r| {
        r.knob == knob.name
            && r.target.is_some()
            && matches!(&r.trigger, Trigger::Metric(m) if m.metric == metric)
    })?;
    let target = rule.target?;
    if peak.is_nan() || peak < target {
        return None;
    }
    let now = units_at(resource, member, (knob, pos, reach))?;
    let projected = |p: usize| -> Option<f64> {
        Some(peak * now / units_at(resource, member, (knob, p, reach))?)
    };
    up(knob, pos, reach, target, projected).map(|s| (rule, s))
}

#[cfg(test)]
#[path = "target_tests.rs"]
mod tests;
