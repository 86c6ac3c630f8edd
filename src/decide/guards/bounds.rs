//! Bounds and ladders: a step past either end of the scale is refused.

use super::Proposal;
use crate::plan::{Guard, Refusal};

/// Refuses a step off the knob's scale.
pub(crate) fn check(p: &Proposal<'_>) -> Option<Refusal> {
    let step = p.step.as_ref()?;
    let len = step.knob.scale.len() as isize;
    let why = if step.to < 0 {
        "already at the bottom of its range"
    } else if step.to >= len {
        "already at the top of its range"
    } else {
        return None;
    };
    Some(Refusal {
        guard: Guard::Bounds,
        why: format!(
            "{} {why} ({})",
            p.knob,
            super::super::knobs::describe(step.knob, step.from)
        ),
    })
}
