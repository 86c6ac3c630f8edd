//! Storage waiting period: AWS allows one storage change per resource every
//! six hours (RDS and MSK alike).

use super::{Context, Proposal, ago};
use crate::plan::{Guard, Refusal};
use crate::policy::KnobName;

/// Hours AWS makes a resource wait between two storage changes.
pub const STORAGE_WAIT_HOURS: i64 = 6;

/// Refuses a storage change within six hours of the last one.
pub(crate) fn check(p: &Proposal<'_>, ctx: &Context<'_>) -> Option<Refusal> {
    if p.knob != KnobName::Storage {
        return None;
    }
    let last = ctx
        .history
        .latest(&p.member.identifier, |a| a.knob == KnobName::Storage)?;
    let since = ctx.now - last.at;
    (since < chrono::TimeDelta::hours(STORAGE_WAIT_HOURS)).then(|| Refusal {
        guard: Guard::StorageWait,
        why: format!(
            "storage changed {} ago; AWS allows one storage change per {STORAGE_WAIT_HOURS} h",
            ago(since)
        ),
    })
}
