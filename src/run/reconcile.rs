//! Settles intents that an earlier run wrote but never finished: it died
//! (timeout, crash) between the intent and the outcome. The resource's real
//! state says what happened; the intent stays in the log with that outcome,
//! so nothing is lost and an applied change still counts toward its
//! cooldown.
//!
//! An intent with recorded steps (a multi-step change that ran out of time,
//! or whose run died between two steps) is carried on from its first step
//! not done, as far as this run's deadline allows: the steps say what to do
//! and AWS says what is done already.

use std::collections::BTreeSet;
use std::time::Instant;

use chrono::{DateTime, Utc};

use super::journal::LogJournal;
use super::leases::LostLeases;
use super::{RunError, RunReport, Runner};
use crate::act::{self, Outcome, current_setting};
use crate::estate::Status;
use crate::ledger::{LogEntry, LoggedOutcome, LoggedStatus};
use crate::observe;

/// Reconciles the open intents of the last `reconcile_within` into
/// `report` (settled ones, multi-step changes still under way, notes). An
/// intent whose resource is leased by a live run is in flight, not
/// abandoned: left alone. One whose resource is still busy is left for a
/// later run.
pub(super) async fn open_intents(
    runner: &Runner<'_>,
    now: DateTime<Utc>,
    started: Instant,
    report: &mut RunReport,
) -> Result<(), RunError> {
    let ledger = runner.ledger;
    let open: Vec<LogEntry> = ledger
        .log_since(now - runner.settings.reconcile_within, now)
        .await?
        .into_iter()
        .filter(|e| e.outcome.is_none())
        .collect();
    if open.is_empty() {
        return Ok(());
    }
    let mut mine = Vec::new();
    for entry in open {
        let id = &entry.action.identifier;
        if ledger
            .take_lease(id, runner.holder, now, now + runner.settings.lease)
            .await?
        {
            mine.push(entry);
        } else {
            // Said, so a caller that would otherwise see nothing to do
            // knows to run again once that lease has lapsed or been given
            // back (a dead run's unfinished change is settled then).
            report.notes.push(format!(
                "{id}: an unfinished change ({} {} → {}) waits: another run holds its lease",
                entry.action.knob, entry.action.from, entry.action.to
            ));
        }
    }
    let (stepped, plain): (Vec<LogEntry>, Vec<LogEntry>) =
        mine.iter().cloned().partition(|e| e.steps.is_some());
    // Carrying a change on can wait on AWS for minutes: the leases are
    // renewed meanwhile, and a step on one found lost is not taken.
    let held: BTreeSet<String> = mine.iter().map(|e| e.action.identifier.clone()).collect();
    let lost = LostLeases::default();
    let settled = runner
        .with_heartbeat(&held, now, started, &lost, async {
            carry_on(runner, &stepped, &lost, now, report).await?;
            settle(runner, &plain, now, &mut report.notes).await
        })
        .await;
    for entry in &mine {
        // Expires by itself if this fails; the outcome is what matters.
        let _ = ledger
            .release_lease(&entry.action.identifier, runner.holder)
            .await;
    }
    report.reconciled.extend(settled?);
    Ok(())
}

/// Carries on the multi-step changes `open` (each with its steps) that
/// earlier runs left unfinished.
async fn carry_on(
    runner: &Runner<'_>,
    open: &[LogEntry],
    lost: &LostLeases,
    now: DateTime<Utc>,
    report: &mut RunReport,
) -> Result<(), RunError> {
    for entry in open {
        let a = &entry.action;
        let Some(steps) = &entry.steps else { continue };
        let left = if runner.policy.guardrails.dry_run {
            Some("the policy is in dry-run mode")
        } else if runner.policy.resource(&a.policy_id).is_none() {
            Some("its policy resource is gone")
        } else {
            None
        };
        if let Some(why) = left {
            report.under_way.insert(a.identifier.clone());
            report.notes.push(format!(
                "{}: a {} change ({} → {}) is under way, {}; left as it is: {why}",
                a.identifier,
                a.knob,
                a.from,
                a.to,
                steps.summary()
            ));
            continue;
        }
        let journal =
            LogJournal::new(runner.ledger, entry, runner.settings.progress).watching(lost);
        let outcome = act::resume(a, steps, runner.ports, runner.settings.pace, &journal).await;
        if let Outcome::InProgress { detail } = &outcome {
            report.under_way.insert(a.identifier.clone());
            report.notes.push(format!("{}: {detail}", a.identifier));
            continue;
        }
        let mut done = journal
            .entry()
            .finished(LoggedOutcome::from_act(&outcome, now));
        if let Some(o) = done.outcome.as_mut() {
            o.reconciled = true;
        }
        runner.ledger.record_outcome(&done).await?;
        report.reconciled.push(done);
    }
    Ok(())
}

/// Settles the open intents other runs left on the resources of `leased`,
/// whose leases this run has just taken: a run that held one of them is
/// dead (a live run renews its lease), so what it left is reconciled at
/// once rather than after the next run starts.
pub(super) async fn taken_over(
    runner: &Runner<'_>,
    leased: &BTreeSet<String>,
    now: DateTime<Utc>,
    notes: &mut Vec<String>,
) -> Result<Vec<LogEntry>, RunError> {
    if leased.is_empty() {
        return Ok(Vec::new());
    }
    let open: Vec<LogEntry> = runner
        .ledger
        .log_since(now - runner.settings.reconcile_within, now)
        .await?
        .into_iter()
        .filter(|e| {
            e.outcome.is_none()
                && e.holder != runner.holder
                && leased.contains(&e.action.identifier)
        })
        .collect();
    settle(runner, &open, now, notes).await
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
