//! The budget function: invoked hourly and by AWS Budgets notifications.
//! Reads spend so far for each budgeted period from Cost Explorer; the run
//! adds the estate's live run-rate to forecast each period's end. At the
//! warn threshold it notifies; at the emergency threshold the emergency
//! profile comes into force (scale-downs only, never below a protected
//! floor, biggest saving first) and it notifies again; when spend falls
//! back under warn, the profile is released. Each run then looks for spend
//! anomalies ([`anomaly`]) and notifies each once.

pub mod anomaly;

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

/// The budget function, for [`super::serve`]: spend read through `cost`
/// (Cost Explorer in the Lambda, built from the function's SDK
/// configuration).
pub struct Budget<C>(pub C);

impl<C: CostPort> super::Handler for Budget<C> {
    async fn handle(
        &self,
        function: &Function,
        event: &Value,
        request_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Value, HandlerError> {
        handle(function, &self.0, event, request_id, now).await
    }
}

/// Answers one budget event, reading spend through `cost`.
pub async fn handle(
    function: &Function,
    cost: &dyn CostPort,
    event: &Value,
    request_id: &str,
    now: DateTime<Utc>,
) -> Result<Value, HandlerError> {
    let invocation = budget_invocation(event)?;
    let prices = function
        .prices_for(now, |policy| policy.budgets.is_some())
        .await;
    let Some(runner) = function.runner(request_id, &prices, now).await else {
        return Ok(function.refusal());
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
    // After the run: the budgets are guarded first, whatever the anomaly
    // check finds or fails to read.
    let estate = &runner.policy.estate;
    let mut found = anomaly::check(cost, runner.ledger, estate, &budgets.anomaly, now).await;
    for n in &found.notices {
        tracing::info!(
            function = function.name,
            kind = n.kind,
            severity = n.severity.as_str(),
            subject = %n.subject,
            "Spend anomaly."
        );
        if let Some(port) = runner.notify
            && let Err(e) = port.publish_notice(n).await
        {
            found
                .notes
                .push(format!("notice `{}` not sent: {e}", n.subject));
        }
    }
    for note in &found.notes {
        tracing::warn!(function = function.name, note = %note, "Anomaly check incomplete.");
    }
    answer["anomalies"] = serde_json::to_value(&found).unwrap_or_default();
    answer["anomalies"]["notified"] = found.notices.iter().map(|n| n.subject.clone()).collect();
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
