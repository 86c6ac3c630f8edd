//! A multi-step change's journal in the action log: its steps are written
//! over its open intent (the same entry, still without an outcome) before
//! each step is taken, so a run that dies leaves the whole sequence, and
//! how far it got, for the next run to carry on.

use std::sync::Mutex;

use async_trait::async_trait;

use super::leases::LostLeases;
use crate::act::Journal;
use crate::ledger::{Ledger, LogEntry, Steps};

/// Records one intent's steps in `ledger`.
pub(super) struct LogJournal<'a> {
    ledger: &'a dyn Ledger,
    entry: Mutex<LogEntry>,
    progress: Option<fn(&str)>,
    lost: Option<&'a LostLeases>,
}

impl<'a> LogJournal<'a> {
    /// The journal of `entry` (an intent already in the ledger).
    pub(super) fn new(
        ledger: &'a dyn Ledger,
        entry: &LogEntry,
        progress: Option<fn(&str)>,
    ) -> Self {
        LogJournal {
            ledger,
            entry: Mutex::new(entry.clone()),
            progress,
            lost: None,
        }
    }

    /// This journal, refusing every step once the heartbeat finds the
    /// resource's lease lost: the run that took it over owns the change.
    pub(super) fn watching(mut self, lost: &'a LostLeases) -> Self {
        self.lost = Some(lost);
        self
    }

    /// The entry with the steps as last recorded: what its outcome is
    /// written over.
    pub(super) fn entry(&self) -> LogEntry {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LogEntry> {
        // A poisoned lock only means a panic elsewhere; the entry is whole.
        self.entry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl Journal for LogJournal<'_> {
    async fn record(&self, steps: &Steps) -> Result<(), String> {
        let entry = self.lock().with_steps(steps);
        if let Some(lost) = self.lost {
            lost.lease_still_held(&entry.action.identifier)?;
        }
        // An entry without an outcome written over its intent: still open.
        self.ledger
            .record_outcome(&entry)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(show) = self.progress {
            show(&format!(
                "{} {}: {}",
                entry.action.identifier,
                entry.action.knob,
                steps.summary()
            ));
        }
        *self.lock() = entry;
        Ok(())
    }
}
