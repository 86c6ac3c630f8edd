//! The profile in force: a rule may move a resource only within the range
//! its profile (scheduled, or the budget emergency) allows.

use super::Proposal;
use crate::decide::knobs::describe;
use crate::plan::{Guard, Refusal};

/// Refuses a rule's step outside the window of the profiles in force.
pub(crate) fn check(p: &Proposal<'_>) -> Option<Refusal> {
    let step = p.step.as_ref()?;
    let w = step.window;
    let to = step.to;
    if to > w.hi as isize && to > step.from as isize {
        let who = w.capped_by.as_deref().unwrap_or("the policy");
        return Some(Refusal {
            guard: Guard::Profile,
            why: format!("{who} allows at most {}", describe(step.knob, w.hi)),
        });
    }
    if to < w.lo as isize && to < step.from as isize {
        let who = w.raised_by.as_deref().unwrap_or("the policy");
        return Some(Refusal {
            guard: Guard::Profile,
            why: format!("{who} keeps at least {}", describe(step.knob, w.lo)),
        });
    }
    None
}
