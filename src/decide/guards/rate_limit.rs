//! Rate limit: at most `max_actions_per_hour` actions across the estate in
//! any rolling hour, counting those already carried out.

use crate::plan::{Guard, Refusal};

/// The hourly allowance as one decision sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Allowance {
    /// `max_actions_per_hour`.
    pub limit: u32,
    /// Actions carried out in the rolling hour before this plan.
    pub before: usize,
    /// Actions this plan would take were there no limit (one per resource).
    pub wanted: usize,
}

/// Refuses when `used` actions (those before this plan plus those this plan
/// already took) spent the hourly allowance. The refusal says what the plan
/// wanted and what the limit left it, so 130 held of 150 does not read as if
/// 20 had already run this hour.
pub(crate) fn check(used: usize, a: Allowance) -> Option<Refusal> {
    let limit = a.limit as usize;
    (used >= limit).then(|| {
        let left = limit.saturating_sub(a.before);
        Refusal {
            guard: Guard::RateLimit,
            why: format!(
                "this plan would take {} actions and the limit of {limit} per hour leaves {left} \
                 ({} already taken in the last hour)",
                a.wanted, a.before
            ),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_says_what_the_plan_wanted_and_what_was_left() {
        let a = Allowance {
            limit: 20,
            before: 0,
            wanted: 150,
        };
        assert_eq!(check(19, a), None);
        let r = check(20, a).expect("refused");
        assert_eq!(
            r.why,
            "this plan would take 150 actions and the limit of 20 per hour leaves 20 \
             (0 already taken in the last hour)"
        );
        let r = check(
            25,
            Allowance {
                limit: 20,
                before: 25,
                wanted: 3,
            },
        )
        .expect("refused");
        assert!(r.why.contains("leaves 0 (25 already"), "{}", r.why);
    }
}
