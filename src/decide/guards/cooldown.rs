//! Cooldowns, up and down apart: a scale-up waits `cooldown.up` after the
//! last scale-up; a scale-down waits `cooldown.down` after any scale-up or
//! scale-down (reconfigurations without a direction do not count). The spot
//! mix keeps its own clocks: raising the on-demand share (up) or stepping
//! it back (down) neither waits for nor holds back a change of size.

use super::{Context, Proposal, ago};
use crate::plan::{Guard, Refusal};
use crate::policy::{Direction, KnobName};

/// Refuses a change inside the resource's cooldown for its direction.
pub(crate) fn check(p: &Proposal<'_>, ctx: &Context<'_>) -> Option<Refusal> {
    let direction = p.direction?;
    let mix = p.knob == KnobName::SpotMix;
    let same_clock = |k: KnobName| (k == KnobName::SpotMix) == mix;
    let (wait, last) = match direction {
        Direction::Up => (
            p.resource.cooldown.up,
            ctx.history.latest(&p.member.identifier, |a| {
                a.direction == Some(Direction::Up) && same_clock(a.knob)
            }),
        ),
        Direction::Down => (
            p.resource.cooldown.down,
            ctx.history.latest(&p.member.identifier, |a| {
                a.direction.is_some() && same_clock(a.knob)
            }),
        ),
    };
    let last = last?;
    let since = ctx.now - last.at;
    (since < wait.to_chrono()).then(|| Refusal {
        guard: Guard::Cooldown,
        why: format!(
            "last {} {} ago; {direction} cooldown is {wait}",
            match last.direction {
                Some(Direction::Up) => "scale-up",
                _ => "scale-down",
            },
            ago(since)
        ),
    })
}
