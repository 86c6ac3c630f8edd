//! Settles intents that an earlier run wrote but never finished: it died
//! (timeout, crash) between the intent and the outcome. The resource's real
//! state says what happened; the intent stays in the log with that outcome,
//! so nothing is lost and an applied change still counts toward its
//! cooldown.

use chrono::{DateTime, Utc};

use super::{RunError, Runner};
use crate::act::current_setting;
use crate::estate::Status;
use crate::ledger::{LogEntry, LoggedOutcome, LoggedStatus};
use crate::observe;

/// Reconciles the open intents of the last `reconcile_within`. An intent
/// whose resource is leased by a live run is in flight, not abandoned: left
/// alone. One whose resource is still busy is left for a later run.
pub(super) async fn open_intents(
    runner: &Runner<'_>,
    now: DateTime<Utc>,
    notes: &mut Vec<String>,
) -> Result<Vec<LogEntry>, RunError> {
    let ledger = runner.ledger;
    let open: Vec<LogEntry> = ledger
        .log_since(now - runner.settings.reconcile_within, now)
        .await?
        .into_iter()
        .filter(|e| e.outcome.is_none())
        .collect();
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let mut mine = Vec::new();
    for entry in open {
        let id = &entry.action.identifier;
        if ledger
            .take_lease(id, runner.holder, now, now + runner.settings.lease)
            .await?
        {
            mine.push(entry);
        }
    }
    let settled = settle(runner, &mine, now, notes).await;
    for entry in &mine {
        // Expires by itself if this fails; the outcome is what matters.
        let _ = ledger
            .release_lease(&entry.action.identifier, runner.holder)
            .await;
    }
    settled
}

async fn settle(
    runner: &Runner<'_>,
    open: &[LogEntry],
    now: DateTime<Utc>,
    notes: &mut Vec<String>,
) -> Result<Vec<LogEntry>, RunError> {
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let fresh = observe::observe(runner.policy, runner.ports, now).await;
    let mut settled = Vec::new();
    for entry in open {
        let a = &entry.action;
        let member = fresh
            .estate
            .members
            .iter()
            .find(|m| m.identifier == a.identifier && m.kind == a.kind);
        let (status, detail) = match member {
            // Not read this run (a failed describe, a half-described
            // resource): its absence proves nothing; ask again next run.
            None if !fresh.could_read(a.kind, &a.identifier) => {
                notes.push(format!(
                    "{}: an unfinished change ({} → {}) waits: the resource could not be read",
                    a.identifier, a.from, a.to
                ));
                continue;
            }
            None => (
                LoggedStatus::Unknown,
                format!("{} was not found when reconciling", a.identifier),
            ),
            Some(m) if m.status != Status::Available && m.status != Status::Stopped => {
                notes.push(format!(
                    "{}: an unfinished change ({} → {}) waits for the resource ({}) to settle",
                    a.identifier, a.from, a.to, m.status
                ));
                continue;
            }
            Some(m) if m.pending_changes => {
                notes.push(format!(
                    "{}: an unfinished change ({} → {}) waits for pending modifications",
                    a.identifier, a.from, a.to
                ));
                continue;
            }
            Some(m) => match current_setting(m, a.knob) {
                Some(s) if s == a.to => (
                    LoggedStatus::Applied,
                    format!("found at {} when reconciling: the change took effect", a.to),
                ),
                Some(s) if s == a.from => (
                    LoggedStatus::Skipped,
                    format!(
                        "found still at {} when reconciling: the change never took effect",
                        a.from
                    ),
                ),
                other => (
                    LoggedStatus::Unknown,
                    format!(
                        "found at {} when reconciling: neither end of the change",
                        other.map_or_else(|| "nothing".to_owned(), |s| s.to_string())
                    ),
                ),
            },
        };
        let done = entry.finished(LoggedOutcome {
            at: now,
            status,
            detail,
            reconciled: true,
        });
        runner.ledger.record_outcome(&done).await?;
        settled.push(done);
    }
    Ok(settled)
}
