//! What a run works with and gives back: its durations ([`Settings`]), how
//! it ended ([`RunStatus`]), what it did ([`RunReport`]) and why it stopped
//! early ([`RunError`]).

use std::collections::BTreeSet;
use std::time::Instant;

use chrono::TimeDelta;

use crate::act::{Outcome, Pace, Report};
use crate::ledger::{EventRef, LedgerError, LogEntry};
use crate::notify::Notice;
use crate::plan::{Action, Plan};
use crate::ports::AwsError;

use super::deadline;

/// How long things last.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// A resource lease. Short: a live run renews its leases every quarter
    /// of this (a heartbeat while it acts), so it keeps them however long
    /// it runs, and a dead run's leases lapse within this, after which the
    /// next run reconciles what it left unfinished.
    pub lease: TimeDelta,
    /// Polling in multi-step changes.
    pub pace: Pace,
    /// An unfinished event claim older than this belongs to a run that
    /// died: a re-delivery may take it over.
    pub claim_stale_after: TimeDelta,
    /// How long a handled event is remembered (re-deliveries come within
    /// minutes; a day is ample).
    pub claim_keep: TimeDelta,
    /// How far back open intents are looked for. A dead run's intent is
    /// found by the next run, minutes later; two days also cover a
    /// resource that stays busy long after.
    pub reconcile_within: TimeDelta,
    /// Where a multi-step change's progress is shown as each step is
    /// recorded (the CLI prints it); None: nowhere.
    pub progress: Option<fn(&str)>,
    /// Told before each planned action is carried out: its number (from
    /// 1), how many are planned, and the action (the CLI's progress); None:
    /// nobody.
    pub on_action: Option<fn(usize, usize, &Action)>,
    /// The caller's deadline for the run (a Lambda's, less a margin), if it
    /// has one; the policy's `guardrails.timeouts.run` bounds it anyway.
    pub deadline: Option<Instant>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            lease: TimeDelta::minutes(2),
            pace: Pace::default(),
            claim_stale_after: TimeDelta::minutes(20),
            claim_keep: TimeDelta::days(1),
            reconcile_within: TimeDelta::days(2),
            progress: None,
            on_action: None,
            deadline: None,
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "why")]
pub enum RunStatus {
    /// Decided, and acted on what was planned.
    Done,
    /// The event was handled before (or is being handled now).
    Duplicate,
    /// Nothing in the policy answers this event.
    Ignored(String),
    /// The policy is in dry-run mode: planned, nothing acted on.
    DryRun,
}

/// What a run did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunReport {
    /// The event answered.
    pub event: EventRef,
    /// How it ended.
    pub status: RunStatus,
    /// The plan acted on (the one decided under the leases), if any.
    pub plan: Option<Plan>,
    /// Each planned action's outcome.
    pub outcomes: Vec<Report>,
    /// Intents of earlier runs settled by this one.
    pub reconciled: Vec<LogEntry>,
    /// Resources with a multi-step change still under way after this run
    /// (it carried them on as far as it could): nothing else is decided
    /// for them until it ends.
    pub under_way: BTreeSet<String>,
    /// Notices sent (or attempted).
    pub notices: Vec<Notice>,
    /// Things the operator should know.
    pub notes: Vec<String>,
    /// Resources with planned changes left undone because another live
    /// run holds their lease (the CLI exits non-zero for these).
    pub left_to_others: Vec<String>,
    /// Time spent in the decision core, milliseconds.
    pub decide_ms: f64,
}

impl RunReport {
    pub(super) fn new(event: &EventRef, status: RunStatus) -> Self {
        RunReport {
            event: event.clone(),
            status,
            plan: None,
            outcomes: Vec::new(),
            reconciled: Vec::new(),
            under_way: BTreeSet::new(),
            notices: Vec::new(),
            notes: Vec::new(),
            left_to_others: Vec::new(),
            decide_ms: 0.0,
        }
    }

    /// Actions AWS accepted.
    pub fn applied(&self) -> impl Iterator<Item = &Report> {
        self.outcomes
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Applied { .. }))
    }

    /// Actions that failed.
    pub fn failed(&self) -> impl Iterator<Item = &Report> {
        self.outcomes
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Failed { .. }))
    }

    /// Actions the guards held back.
    pub fn refused(&self) -> usize {
        self.plan.as_ref().map_or(0, |p| p.refused().count())
    }
}

/// Why a run stopped before its end. Nothing is acted on after either:
/// without the ledger tidegate cannot promise cooldowns or leases, and
/// without a complete observation it does not decide.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The ledger could not be read or written.
    #[error("ledger: {0}")]
    Ledger(LedgerError),
    /// Observing the estate failed.
    #[error("observing the estate: {0}")]
    Aws(AwsError),
    /// The run's deadline passed before it finished.
    #[error(
        "the run's deadline passed after {}: stopped; an unfinished change is settled by the next run",
        deadline::shown(.after)
    )]
    Deadline {
        /// How long the run had.
        after: std::time::Duration,
    },
}

impl From<LedgerError> for RunError {
    fn from(e: LedgerError) -> Self {
        RunError::Ledger(e)
    }
}

// By hand rather than `#[from]`: the message already carries the cause,
// and a `source` too would print it twice in an error chain.
impl From<AwsError> for RunError {
    fn from(e: AwsError) -> Self {
        RunError::Aws(e)
    }
}
