//! Cooldowns, up and down apart: a scale-up waits `cooldown.up` after the
//! last scale-up; a scale-down waits `cooldown.down` after any change.

use super::{Context, Proposal, ago};
use crate::plan::{Guard, Refusal};
use crate::policy::Direction;

/// Refuses a change inside the resource's cooldown for its direction.
pub(crate) fn check(p: &Proposal<'_>, ctx: &Context<'_>) -> Option<Refusal> {
    let direction = p.direction?;
    let (wait, last) = match direction {
        Direction::Up => (
            p.resource.cooldown.up,
            ctx.history
                .latest(&p.member.identifier, |a| a.direction == Direction::Up),
        ),
        Direction::Down => (
            p.resource.cooldown.down,
            ctx.history.latest(&p.member.identifier, |_| true),
        ),
    };
    let last = last?;
    let since = ctx.now - last.at;
    (since < wait.to_chrono()).then(|| Refusal {
        guard: Guard::Cooldown,
        why: format!(
            "last {} {} ago; {direction} cooldown is {wait}",
            match last.direction {
                Direction::Up => "scale-up",
                Direction::Down => "scale-down",
            },
            ago(since)
        ),
    })
}
