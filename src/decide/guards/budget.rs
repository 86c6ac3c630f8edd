//! Budget headroom: a scale-up whose cost would push a budget period's
//! forecast to its emergency threshold is refused, unless its rule is
//! critical (or it is storage growth: running out of disk is an outage).

use super::{Context, Proposal};
use crate::plan::{Guard, Refusal};
use crate::policy::Direction;

/// Refuses a costly scale-up that would cross an emergency threshold.
pub(crate) fn check(p: &Proposal<'_>, ctx: &Context<'_>) -> Option<Refusal> {
    if p.critical || p.direction != Some(Direction::Up) {
        return None;
    }
    let delta = p.cost_delta.filter(|d| *d > 0.0)?;
    let budgets = ctx.policy.budgets.as_ref()?;
    let (_, why) = crate::budget::headroom_refusal(budgets, ctx.spend, ctx.now, delta)?;
    Some(Refusal {
        guard: Guard::BudgetHeadroom,
        why,
    })
}
