//! The budget function: invoked hourly and by AWS Budgets notifications.
//! Reads spend so far for each budgeted period from Cost Explorer; the run
//! adds the estate's live run-rate to forecast each period's end. At the
//! warn threshold it notifies; at the emergency threshold the emergency
//! profile comes into force (scale-downs only, never below a protected
//! floor, biggest saving first) and it notifies again; when spend falls
//! back under warn, the profile is released.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, Utc};
use serde_json::Value;

use super::Function;
use super::events::budget_invocation;
use super::respond::{self, HandlerError};
use crate::budget::period_bounds;
use crate::policy::BudgetPeriod;
use crate::ports::CostPort;
use crate::run::Trigger;

/// Answers one budget event, reading spend through `cost`.
pub async fn handle(
    function: &Function,
    cost: &dyn CostPort,
    event: &Value,
    request_id: &str,
    now: DateTime<Utc>,
) -> Result<Value, HandlerError> {
    let invocation = budget_invocation(event)?;
    let prices = function.price_book(now).await;
    let Some(runner) = function.runner(request_id, &prices, now).await else {
        return Ok(respond::refused_invalid_policy(
            function.name,
            &function.policy_source,
            function.policy.as_ref().err().map_or("", String::as_str),
        ));
    };
    let Some(budgets) = &runner.policy.budgets else {
        tracing::info!(
            function = function.name,
            "the policy sets no budgets: nothing to check"
        );
        return Ok(serde_json::json!({ "status": "no_budgets" }));
    };
    let spend = spend_so_far(cost, budgets.limits.keys().copied(), now).await?;
    let trigger = Trigger::budget(invocation.id, spend, &invocation.why);
    let report = runner.run(&trigger, now).await?;
    respond::log(function.name, &runner.policy.estate, &report, now);
    let mut answer = respond::answer(&report);
    if let Some(plan) = &report.plan {
        answer["budget"] = serde_json::to_value(&plan.budget).unwrap_or_default();
        answer["emergency"] = Value::from(plan.emergency);
    }
    Ok(answer)
}

/// Spend from the start of each period up to the end of today (Cost
/// Explorer's days are UTC; today's figure is partial and lags by hours,
/// which the run-rate forecast covers).
async fn spend_so_far(
    cost: &dyn CostPort,
    periods: impl Iterator<Item = BudgetPeriod>,
    now: DateTime<Utc>,
) -> Result<BTreeMap<BudgetPeriod, f64>, HandlerError> {
    let today = now.date_naive();
    let tomorrow = today.checked_add_days(Days::new(1)).unwrap_or(today);
    let mut spend = BTreeMap::new();
    for period in periods {
        let (start, _) = period_bounds(period, now);
        let usd = cost
            .spend_usd(start.date_naive(), tomorrow)
            .await
            .map_err(HandlerError::Spend)?;
        spend.insert(period, usd);
    }
    Ok(spend)
}
