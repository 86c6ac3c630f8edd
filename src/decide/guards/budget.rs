//! Budget headroom: a change whose cost would push a budget period's
//! forecast to its emergency threshold is refused, unless its rule is
//! critical (or it is storage growth: running out of disk is an outage).
//! While the emergency profile is in force, no scale-up runs but a critical
//! rule's. A change that cannot be priced is held while any budget is at
//! its warn threshold or worse, whatever its direction: headroom that
//! cannot be shown is not assumed. The emergency profile's own moves are
//! the exception: they are how the budget sheds cost.

use super::{Context, Proposal};
use crate::plan::{Cause, Guard, Refusal};
use crate::policy::Direction;

/// Refuses a costly change that would cross an emergency threshold, and an
/// unpriced one while a budget is tight.
pub(crate) fn check(p: &Proposal<'_>, ctx: &Context<'_>) -> Option<Refusal> {
    if p.critical {
        return None;
    }
    let budgets = ctx.policy.budgets.as_ref()?;
    if ctx.emergency && p.direction == Some(Direction::Up) {
        return Some(Refusal {
            guard: Guard::BudgetHeadroom,
            why: format!(
                "budget emergency in force ({}): scale-downs only unless a rule is critical",
                budgets.emergency_profile
            ),
        });
    }
    let Some(delta) = p.cost_delta else {
        let remedy = matches!(p.cause, Cause::Budget { .. });
        return (ctx.budget_tight && !remedy).then(|| Refusal {
            guard: Guard::BudgetHeadroom,
            why: "a budget is at its warn threshold or above and this change has no price \
                  (the price book lacks one); held"
                .to_owned(),
        });
    };
    // Anything that costs more is weighed, a reconfiguration (a profile's
    // minimum ACU) as much as a scale-up.
    if delta <= 0.0 {
        return None;
    }
    let (_, why) = crate::budget::headroom_refusal(budgets, ctx.spend, ctx.now, delta)?;
    Some(Refusal {
        guard: Guard::BudgetHeadroom,
        why,
    })
}
