//! Rate limit: at most `max_actions_per_hour` actions across the estate in
//! any rolling hour, counting those already carried out.

use crate::plan::{Guard, Refusal};

/// Refuses when `used` actions already spent the hourly allowance `limit`.
pub(crate) fn check(used: usize, limit: u32) -> Option<Refusal> {
    (used >= limit as usize).then(|| Refusal {
        guard: Guard::RateLimit,
        why: format!("{used} actions in the last hour; the limit is {limit} per hour"),
    })
}
