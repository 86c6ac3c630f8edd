//! The scheduler function: invoked on a fixed rate, level-triggered. Each
//! run computes the profile in force now for every managed resource (time
//! zones and holidays from the policy) and converges to it, so a missed or
//! doubled invocation is harmless.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::Function;
use super::respond::{self, HandlerError};
use crate::run::Trigger;

/// The scheduler function, for [`super::serve`].
pub struct Scheduler;

impl super::Handler for Scheduler {
    async fn handle(
        &self,
        function: &Function,
        event: &Value,
        request_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Value, HandlerError> {
        handle(function, event, request_id, now).await
    }
}

/// Answers one scheduler invocation. The event is not read: whatever
/// invoked the function, the answer is the same convergence run. (No
/// idempotency record either: running twice converges to the same state.)
pub async fn handle(
    function: &Function,
    _event: &Value,
    request_id: &str,
    now: DateTime<Utc>,
) -> Result<Value, HandlerError> {
    let prices = function.prices_for(now, |_| true).await;
    let Some(runner) = function.runner(request_id, &prices, now).await else {
        return Ok(function.refusal());
    };
    let report = runner.run(&Trigger::schedule(None), now).await?;
    respond::log(function.name, &runner.policy.estate, &report, now);
    let mut answer = respond::answer(&report);
    if let Some(plan) = &report.plan {
        answer["profiles"] = serde_json::to_value(&plan.profiles).unwrap_or_default();
    }
    Ok(answer)
}
