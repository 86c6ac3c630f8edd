//! The action log's records: an intent written before the AWS call, its
//! outcome after, and the event that caused both.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::act::Outcome;
use crate::ledger::PastAction;
use crate::plan::Action;

/// The event a run answered, as the log names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRef {
    /// What kind of trigger: `alarm`, `schedule`, `budget`, `cli`.
    pub source: String,
    /// The event's own id (EventBridge id, SNS message id, ...), when it has one.
    pub id: Option<String>,
    /// One line for a person: the alarm and its new state, the schedule run, ...
    pub summary: String,
}

/// One line of the action log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Unique within the log; sorts by time.
    pub id: String,
    /// When the intent was written (the run's `now`).
    pub intent_at: DateTime<Utc>,
    /// The run (Lambda request id, CLI process) that wrote it.
    pub holder: String,
    /// What caused it.
    pub event: EventRef,
    /// The change.
    pub action: Action,
    /// None until the AWS call returned (or a later run reconciled it).
    pub outcome: Option<LoggedOutcome>,
}

impl LogEntry {
    /// A new intent for `action`, written at `now` by `holder`.
    pub fn intent(action: &Action, event: &EventRef, holder: &str, now: DateTime<Utc>) -> Self {
        LogEntry {
            id: format!(
                "{}#{}#{}#{}",
                now.format("%Y-%m-%dT%H:%M:%S%.6fZ"),
                action.identifier,
                action.knob,
                holder
            ),
            intent_at: now,
            holder: holder.to_owned(),
            event: event.clone(),
            action: action.clone(),
            outcome: None,
        }
    }

    /// This entry with `outcome` recorded.
    pub fn finished(&self, outcome: LoggedOutcome) -> Self {
        LogEntry {
            outcome: Some(outcome),
            ..self.clone()
        }
    }

    /// The cooldown clock an applied entry sets, if it was applied.
    pub fn past_action(&self) -> Option<PastAction> {
        let applied = self
            .outcome
            .as_ref()
            .is_some_and(|o| o.status == LoggedStatus::Applied);
        applied.then(|| PastAction {
            identifier: self.action.identifier.clone(),
            knob: self.action.knob,
            direction: self.action.direction,
            at: self.intent_at,
        })
    }
}

/// How an intent ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedOutcome {
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// What happened.
    pub status: LoggedStatus,
    /// The calls made, the reason skipped, or the error.
    pub detail: String,
    /// True when a later run found the intent without an outcome and
    /// settled it from the resource's real state.
    #[serde(default)]
    pub reconciled: bool,
}

impl LoggedOutcome {
    /// The log's view of an act outcome.
    pub fn from_act(outcome: &Outcome, at: DateTime<Utc>) -> Self {
        let (status, detail) = match outcome {
            Outcome::Applied { detail } => (LoggedStatus::Applied, detail.clone()),
            Outcome::AlreadyInEffect => (
                LoggedStatus::AlreadyInEffect,
                "already in effect".to_owned(),
            ),
            Outcome::Skipped { why } => (LoggedStatus::Skipped, why.clone()),
            Outcome::Failed { error, .. } => (LoggedStatus::Failed, error.clone()),
        };
        LoggedOutcome {
            at,
            status,
            detail,
            reconciled: false,
        }
    }
}

/// The end of an intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoggedStatus {
    /// AWS accepted the change.
    Applied,
    /// The resource was already at the target.
    AlreadyInEffect,
    /// Not attempted.
    Skipped,
    /// AWS refused or the call failed.
    Failed,
    /// Reconciled, but the resource is at neither end of the change.
    Unknown,
}
