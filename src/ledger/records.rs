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
    /// A multi-step change's steps and how far each got (the Aurora writer
    /// resize), written over the open intent before each step is taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<Steps>,
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
            steps: None,
        }
    }

    /// This entry, still open, with `steps` as recorded now.
    pub fn with_steps(&self, steps: &Steps) -> Self {
        LogEntry {
            steps: Some(steps.clone()),
            ..self.clone()
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
            // Not an end: a run leaves such an intent open. Should one be
            // recorded anyway, it is neither applied nor failed.
            Outcome::InProgress { detail } => (LoggedStatus::Unknown, detail.clone()),
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

/// The steps of a multi-step change, fixed (instance names included) and
/// written before the first is taken, so a later run resumes the same
/// sequence and creates nothing twice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Steps {
    /// In the order they are taken.
    pub steps: Vec<Step>,
}

impl Steps {
    /// The first step not done, if any (its index and the step).
    pub fn next(&self) -> Option<(usize, &Step)> {
        self.steps
            .iter()
            .enumerate()
            .find(|(_, s)| s.state != StepState::Done)
    }

    /// One line: `2/4 done; next: create c-writer-1 (db.r6g.xlarge), started`.
    pub fn summary(&self) -> String {
        let done = self
            .steps
            .iter()
            .filter(|s| s.state == StepState::Done)
            .count();
        match self.next() {
            None => format!("{done}/{} steps done", self.steps.len()),
            Some((_, s)) => format!(
                "{done}/{} steps done; next: {} ({})",
                self.steps.len(),
                s.op,
                s.state
            ),
        }
    }
}

/// One step and how far it got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// What the step does.
    pub op: StepOp,
    /// How far it got.
    pub state: StepState,
    /// What the last run to take it found or did.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// When its state last changed.
    pub at: Option<DateTime<Utc>>,
}

/// The steps of the Aurora provisioned writer resize.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "op")]
pub enum StepOp {
    /// ModifyDBInstance a reader of the old writer's class to `class`
    /// (ApplyImmediately), then wait until it is available.
    MoveReader {
        /// The reader.
        instance: String,
        /// The target class.
        class: String,
    },
    /// CreateDBInstance the new writer (a reader until the failover), then
    /// wait until it is available.
    CreateWriter {
        /// The new instance's identifier, chosen when the change started.
        instance: String,
        /// Its class.
        class: String,
    },
    /// FailoverDBCluster to the new writer, then wait until it is the
    /// writer and the cluster is available.
    Failover {
        /// The new writer.
        to: String,
    },
    /// DeleteDBInstance the old writer, once it is a reader.
    Retire {
        /// The old writer.
        instance: String,
    },
}

impl std::fmt::Display for StepOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StepOp::MoveReader { instance, class } => {
                write!(f, "move reader {instance} to {class}")
            }
            StepOp::CreateWriter { instance, class } => {
                write!(f, "create the new writer {instance} ({class})")
            }
            StepOp::Failover { to } => write!(f, "fail over to {to}"),
            StepOp::Retire { instance } => write!(f, "retire the old writer {instance}"),
        }
    }
}

/// How far a step got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    /// Not begun.
    Pending,
    /// Its call is about to be made or was made; AWS shows whether it took
    /// effect.
    Started,
    /// AWS shows it done.
    Done,
    /// It cannot be done (a dead end); the change stopped there.
    Failed,
}

impl std::fmt::Display for StepState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StepState::Pending => "pending",
            StepState::Started => "started",
            StepState::Done => "done",
            StepState::Failed => "failed",
        })
    }
}
