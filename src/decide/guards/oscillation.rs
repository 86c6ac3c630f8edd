//! Oscillation damping: a rule's scale-up within the window after a
//! scale-down of the same resource is held, so a resource does not flap.
//! Schedules and the budget are not damped: a profile's minimum is a
//! commitment, not a reaction. Nor is a scale-up from nothing (zero
//! instances, readers, ...): with nothing running, waiting is an outage.

use super::{Context, Proposal, ago};
use crate::plan::{Cause, Guard, Refusal};
use crate::policy::{Direction, KnobName};

/// Refuses a rule-driven scale-up too soon after a scale-down.
pub(crate) fn check(p: &Proposal<'_>, ctx: &Context<'_>) -> Option<Refusal> {
    if p.direction != Some(Direction::Up) || !matches!(p.cause, Cause::Rule { .. }) {
        return None;
    }
    if p.step.as_ref().is_some_and(|s| from_nothing(s)) {
        return None;
    }
    let window = ctx.policy.guardrails.oscillation_window;
    if window.as_secs() == 0 {
        return None;
    }
    // A step back of the spot mix is not a scale-down of the resource's size.
    let last_down = ctx.history.latest(&p.member.identifier, |a| {
        a.direction == Some(Direction::Down) && a.knob != KnobName::SpotMix
    })?;
    let since = ctx.now - last_down.at;
    (since < window.to_chrono()).then(|| Refusal {
        guard: Guard::Oscillation,
        why: format!(
            "scaled down {} ago; an up within {window} of a down is held",
            ago(since)
        ),
    })
}

/// True when the step starts from a count of zero.
fn from_nothing(step: &super::Step<'_>) -> bool {
    match &step.knob.scale {
        crate::policy::Scale::Counts(counts) => counts.get(step.from) == Some(&0),
        _ => false,
    }
}
