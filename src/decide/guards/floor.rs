//! Protected floor: nothing is ever planned below it.

use super::Proposal;
use crate::plan::{Guard, Refusal};

/// Refuses a step below the knob's protected floor.
pub(crate) fn check(p: &Proposal<'_>) -> Option<Refusal> {
    let step = p.step.as_ref()?;
    let floor = step.knob.floor as isize;
    (step.to < floor && step.to < step.from as isize).then(|| Refusal {
        guard: Guard::ProtectedFloor,
        why: format!(
            "{} is at its protected floor {}",
            p.knob,
            super::super::knobs::describe(step.knob, step.knob.floor)
        ),
    })
}
