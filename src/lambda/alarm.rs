//! The alarm function: a CloudWatch alarm changed state. Maps the alarm
//! through the policy to its resources and rules, observes just those,
//! decides, acts, records. An alarm the policy does not know is logged and
//! ignored.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::Function;
use super::events::alarm_changes;
use super::respond::{self, HandlerError};
use crate::run::{RunStatus, Trigger};

/// The alarm function, for [`super::serve`].
pub struct Alarm;

impl super::Handler for Alarm {
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

/// Answers one alarm event (an SNS event may carry several changes; each
/// is its own run). `request_id` names this invocation in leases and the
/// log.
pub async fn handle(
    function: &Function,
    event: &Value,
    request_id: &str,
    now: DateTime<Utc>,
) -> Result<Value, HandlerError> {
    let changes = alarm_changes(event)?;
    let prices = function
        .prices_for(now, |policy| {
            changes
                .iter()
                .any(|c| policy.rules_for_alarm(&c.alarm).next().is_some())
        })
        .await;
    let Some(runner) = function.runner(request_id, &prices, now).await else {
        return Ok(function.refusal());
    };
    let mut answers = Vec::new();
    for change in changes {
        let trigger = Trigger::alarm(
            Some(change.id.clone()),
            &change.alarm,
            change.state,
            &change.reason,
        )
        .changed_at(change.at);
        let report = runner.run(&trigger, now).await?;
        match &report.status {
            RunStatus::Ignored(why) => tracing::warn!(
                function = function.name,
                alarm = %change.alarm,
                via = change.via,
                %why,
                "unknown alarm: ignored"
            ),
            RunStatus::Duplicate => tracing::info!(
                function = function.name,
                alarm = %change.alarm,
                event_id = %change.id,
                "already handled: nothing to do"
            ),
            _ => {}
        }
        respond::log(function.name, &runner.policy.estate, &report, now);
        answers.push(respond::answer(&report));
    }
    Ok(match answers.len() {
        1 => answers.remove(0),
        _ => json!({ "runs": answers }),
    })
}
