//! The whole ledger as one value: what the memory and file backends keep.
//! Its rules are the DynamoDB backend's conditional writes, in plain code.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::{Claim, History, LogEntry, PastAction};
use crate::plan::BudgetLevel;

/// Every record of a ledger. The first two fields are [`History`]'s, so a
/// ledger file written before the action log existed still reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LedgerState {
    /// Changes carried out (cooldown clocks, hourly limit).
    #[serde(default)]
    pub actions: Vec<PastAction>,
    /// The budget emergency latch.
    #[serde(default)]
    pub emergency_since: Option<DateTime<Utc>>,
    /// The action log, by entry id.
    #[serde(default)]
    pub log: BTreeMap<String, LogEntry>,
    /// Live leases: resource → (holder, until).
    #[serde(default)]
    pub leases: BTreeMap<String, Lease>,
    /// Idempotency records by event id.
    #[serde(default)]
    pub events: BTreeMap<String, EventClaim>,
    /// Budget levels last seen, by period key.
    #[serde(default)]
    pub budget_levels: BTreeMap<String, BudgetLevel>,
}

/// A lease on one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// Who holds it.
    pub holder: String,
    /// Until when.
    pub until: DateTime<Utc>,
}

/// An idempotency record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventClaim {
    /// The run that claimed it.
    pub holder: String,
    /// When.
    pub at: DateTime<Utc>,
    /// True once that run finished.
    pub done: bool,
    /// Forgotten after this.
    pub expires: DateTime<Utc>,
}

impl LedgerState {
    /// The guards' view.
    pub fn history(&self) -> History {
        History {
            actions: self.actions.clone(),
            emergency_since: self.emergency_since,
        }
    }

    /// See [`super::Ledger::claim_event`].
    pub fn claim_event(
        &mut self,
        id: &str,
        holder: &str,
        now: DateTime<Utc>,
        stale_after: TimeDelta,
        keep: TimeDelta,
    ) -> Claim {
        self.events.retain(|_, c| c.expires > now);
        if let Some(c) = self.events.get(id)
            && (c.done || c.at + stale_after > now)
        {
            return Claim::Duplicate;
        }
        self.events.insert(
            id.to_owned(),
            EventClaim {
                holder: holder.to_owned(),
                at: now,
                done: false,
                expires: now + keep,
            },
        );
        Claim::Claimed
    }

    /// See [`super::Ledger::finish_event`].
    pub fn finish_event(&mut self, id: &str, holder: &str) {
        if let Some(c) = self.events.get_mut(id).filter(|c| c.holder == holder) {
            c.done = true;
        }
    }

    /// See [`super::Ledger::take_lease`].
    pub fn take_lease(
        &mut self,
        identifier: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> bool {
        if let Some(l) = self.leases.get(identifier)
            && l.holder != holder
            && l.until > now
        {
            return false;
        }
        self.leases.insert(
            identifier.to_owned(),
            Lease {
                holder: holder.to_owned(),
                until,
            },
        );
        true
    }

    /// See [`super::Ledger::release_lease`].
    pub fn release_lease(&mut self, identifier: &str, holder: &str) {
        if self
            .leases
            .get(identifier)
            .is_some_and(|l| l.holder == holder)
        {
            self.leases.remove(identifier);
        }
    }

    /// See [`super::Ledger::record_intent`] and
    /// [`super::Ledger::record_outcome`].
    pub fn record(&mut self, entry: &LogEntry) {
        if let Some(done) = entry.past_action()
            && !self.actions.contains(&done)
        {
            self.actions.push(done);
        }
        self.log.insert(entry.id.clone(), entry.clone());
    }

    /// See [`super::Ledger::log_since`].
    pub fn log_since(&self, since: DateTime<Utc>) -> Vec<LogEntry> {
        let mut entries: Vec<LogEntry> = self
            .log
            .values()
            .filter(|e| e.intent_at >= since)
            .cloned()
            .collect();
        entries.sort_by(|a, b| a.intent_at.cmp(&b.intent_at).then(a.id.cmp(&b.id)));
        entries
    }

    /// See [`super::Ledger::swap_budget_level`].
    pub fn swap_budget_level(&mut self, key: &str, level: BudgetLevel) -> Option<BudgetLevel> {
        self.budget_levels.insert(key.to_owned(), level)
    }

    /// Forgets what no guard or audit needs any more: actions and log
    /// entries older than `keep`, expired leases and claims.
    pub fn prune(&mut self, now: DateTime<Utc>, keep: TimeDelta) {
        let since = now - keep;
        self.actions.retain(|a| a.at >= since);
        self.log.retain(|_, e| e.intent_at >= since);
        self.leases.retain(|_, l| l.until > now);
        self.events.retain(|_, c| c.expires > now);
    }
}
