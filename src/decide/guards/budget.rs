//! Budget headroom: a scale-up whose cost would push a budget period's
//! forecast to its emergency threshold is refused, unless its rule is
//! critical (or it is storage growth: running out of disk is an outage).
//! While the emergency profile is in force, no scale-up runs but a critical
//! rule's. A scale-up that cannot be priced is held while any budget is at its warn
//! threshold or worse: headroom that cannot be shown is not assumed.

use super::{Context, Proposal};
use crate::plan::{Guard, Refusal};
use crate::policy::Direction;

/// Refuses a costly scale-up that would cross an emergency threshold.
pub(crate) fn check(p: &Proposal<'_>, ctx: &Context<'_>) -> Option<Refusal> {
    if p.critical || p.direction != Some(Direction::Up) {
        return None;
    }
    let budgets = ctx.policy.budgets.as_ref()?;
    if ctx.emergency {
        return Some(Refusal {
            guard: Guard::BudgetHeadroom,
            why: format!(
                "budget emergency in force ({}): scale-downs only unless a rule is critical",
                budgets.emergency_profile
            ),
        });
    }
    let Some(delta) = p.cost_delta else {
        return ctx.budget_tight.then(|| Refusal {
            guard: Guard::BudgetHeadroom,
            why: "a budget is at its warn threshold and this scale-up has no price; held"
                .to_owned(),
        });
    };
    if delta <= 0.0 {
        return None;
    }
    let (_, why) = crate::budget::headroom_refusal(budgets, ctx.spend, ctx.now, delta)?;
    Some(Refusal {
        guard: Guard::BudgetHeadroom,
        why,
    })
}
