//! What every handler does after a run: a JSON log line per action, one
//! EMF line, and the invocation's answer.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::emf;
use super::events::EventError;
use crate::act::Outcome;
use crate::ports::AwsError;
use crate::run::{RunError, RunReport};

/// Why an invocation failed (Lambda then reports an error, and an
/// asynchronous event is retried).
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The function's environment is incomplete.
    #[error("configuration: {0}")]
    Config(String),
    /// The event is not one this function reads.
    #[error(transparent)]
    Event(#[from] EventError),
    /// The run could not finish (ledger or observation failed).
    #[error(transparent)]
    Run(#[from] RunError),
    /// Spend could not be read.
    #[error("reading spend: {0}")]
    Spend(AwsError),
}

/// Logs `report` (a line per action, one summary) and prints its EMF line.
pub(super) fn log(function: &str, estate: &str, report: &RunReport, at: DateTime<Utc>) {
    for r in &report.outcomes {
        let a = &r.action;
        let change = format!("{} {}: {} → {}", a.identifier, a.knob, a.from, a.to);
        match &r.outcome {
            Outcome::Applied { detail } => {
                tracing::info!(function, %change, reason = %a.reason, %detail, "applied")
            }
            Outcome::AlreadyInEffect => {
                tracing::info!(function, %change, "already in effect")
            }
            Outcome::Skipped { why } => tracing::info!(function, %change, %why, "skipped"),
            Outcome::Failed { error, .. } => {
                tracing::error!(function, %change, %error, "failed")
            }
            Outcome::InProgress { detail } => {
                tracing::info!(function, %change, %detail, "under way")
            }
        }
    }
    if let Some(plan) = &report.plan {
        for a in plan.refused() {
            let (guard, why) = a
                .refused
                .as_ref()
                .map_or(("", ""), |r| (r.guard.as_str(), r.why.as_str()));
            tracing::info!(
                function,
                change = %format!("{} {}: {} → {}", a.identifier, a.knob, a.from, a.to),
                guard,
                %why,
                "refused by guard"
            );
        }
    }
    for e in &report.reconciled {
        if let Some(o) = &e.outcome {
            tracing::warn!(
                function,
                resource = %e.action.identifier,
                intent = %e.id,
                detail = %o.detail,
                "reconciled an unfinished change"
            );
        }
    }
    for note in &report.notes {
        tracing::info!(function, %note, "note");
    }
    tracing::info!(
        function,
        event = %report.event.summary,
        event_id = report.event.id.as_deref().unwrap_or(""),
        status = ?report.status,
        applied = report.applied().count(),
        refused = report.refused(),
        failed = report.failed().count(),
        decide_ms = report.decide_ms,
        "run finished"
    );
    let figures = emf::Figures {
        applied: report.applied().count(),
        refused: report.refused(),
        failed: report.failed().count(),
        decide_ms: report.decide_ms,
    };
    // EMF goes to stdout as its own line, where CloudWatch Logs reads it.
    println!("{}", emf::line(function, estate, figures, at));
}

/// The invocation's answer: what happened, compactly.
pub(super) fn answer(report: &RunReport) -> Value {
    let change =
        |a: &crate::plan::Action| format!("{} {}: {} → {}", a.identifier, a.knob, a.from, a.to);
    json!({
        "status": report.status,
        "event": report.event,
        "applied": report.applied().map(|r| change(&r.action)).collect::<Vec<_>>(),
        "failed": report.failed().map(|r| change(&r.action)).collect::<Vec<_>>(),
        "refused": report.plan.iter().flat_map(|p| p.refused()).map(change).collect::<Vec<_>>(),
        "reconciled": report.reconciled.len(),
        "notices": report.notices.iter().map(|n| n.subject.as_str()).collect::<Vec<_>>(),
        "notes": report.notes,
        "left_to_others": report.left_to_others,
    })
}

/// The answer when the policy is invalid: nothing was done.
pub(super) fn refused_invalid_policy(function: &str, source: &str, error: &str) -> Value {
    json!({
        "status": "policy_invalid",
        "function": function,
        "policy": source,
        "error": error,
        "applied": [],
    })
}
