//! The spot function: EventBridge's `EC2 Spot Instance Interruption
//! Warning` and `EC2 Instance Rebalance Recommendation`. Each warning is
//! mapped to its Auto Scaling group (DescribeAutoScalingInstances: the
//! instance may be gone in two minutes, and the `aws:autoscaling:groupName`
//! tag would need the EC2 API), recorded in the ledger for the group, and
//! the group's spot mix judged at once: enough warnings in the class's
//! window raise its on-demand share one step (`crate::spot`). Stepping back
//! down is the scheduler's, level-triggered, after the quiet period.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::Function;
use super::events::spot_event;
use super::respond::{self, HandlerError};
use crate::ledger::SpotWarning;
use crate::policy::ResourceKind;
use crate::run::{RunStatus, Trigger};

/// The spot function, for [`super::serve`].
pub struct Spot;

impl super::Handler for Spot {
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

/// Answers one spot warning.
pub async fn handle(
    function: &Function,
    event: &Value,
    request_id: &str,
    now: DateTime<Utc>,
) -> Result<Value, HandlerError> {
    let warning = spot_event(event)?;
    let group = function
        .ports()
        .autoscaling
        .group_of_instance(&warning.instance)
        .await
        .map_err(|e| HandlerError::Run(e.into()))?;
    let Some(group) = group else {
        let why = format!(
            "instance {} belongs to no Auto Scaling group",
            warning.instance
        );
        tracing::info!(function = function.name, instance = %warning.instance, %why, "spot warning ignored");
        // The same shape as a run's answer (`RunStatus::Ignored`).
        return Ok(json!({ "status": { "status": "ignored", "why": why }, "applied": [] }));
    };
    let prices = function
        .prices_for(now, |policy| {
            policy
                .resources
                .iter()
                .any(|r| r.kind == ResourceKind::AutoscalingGroup)
        })
        .await;
    let Some(runner) = function.runner(request_id, &prices, now).await else {
        return Ok(function.refusal());
    };
    let trigger = Trigger::spot(
        Some(warning.id.clone()),
        SpotWarning {
            group: group.clone(),
            instance: warning.instance.clone(),
            kind: warning.kind,
            at: warning.at,
        },
    );
    let report = runner.run(&trigger, now).await?;
    if let RunStatus::Ignored(why) = &report.status {
        tracing::info!(function = function.name, %group, instance = %warning.instance, %why, "spot warning ignored");
    }
    respond::log(function.name, &runner.policy.estate, &report, now);
    Ok(respond::answer(&report))
}
