//! The whole ledger as one value: what the memory and file backends keep.
//! Its rules are the DynamoDB backend's conditional writes, in plain code.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::{Claim, History, LimitEpisode, LogEntry, PastAction, SpotWarning};
use crate::plan::BudgetLevel;
use crate::pricing::CachedPrices;

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
    /// Open at-ceiling / at-floor episodes, by [`LimitEpisode::key`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub at_limit: BTreeMap<String, LimitEpisode>,
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
    /// The Price List API's last answer, by region.
    #[serde(default)]
    pub price_caches: BTreeMap<String, CachedPrices>,
    /// Spot warnings per Auto Scaling group, by [`SpotWarning::key`].
    #[serde(default)]
    pub spot_warnings: BTreeMap<String, BTreeMap<String, SpotWarning>>,
    /// The hourly allowance: slot number → the action that took it.
    #[serde(default)]
    pub allowance: BTreeMap<u32, AllowanceSlot>,
}

/// One action's share of the hourly allowance (see
/// [`super::Ledger::take_allowance`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowanceSlot {
    /// The log entry id of the action that took it.
    pub entry: String,
    /// When (the action's intent time); free again an hour later.
    pub at: DateTime<Utc>,
}

/// How long a slot of the hourly allowance stays taken.
pub(crate) const ALLOWANCE_WINDOW: TimeDelta = TimeDelta::hours(1);

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
            at_limit: self.at_limit.values().cloned().collect(),
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

    /// See [`super::Ledger::release_event`].
    pub fn release_event(&mut self, id: &str, holder: &str) {
        if self
            .events
            .get(id)
            .is_some_and(|c| c.holder == holder && !c.done)
        {
            self.events.remove(id);
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

    /// See [`super::Ledger::set_limit_episode`].
    pub fn set_limit_episode(&mut self, episode: &LimitEpisode, open: bool) {
        if open {
            self.at_limit.insert(episode.key(), episode.clone());
        } else {
            self.at_limit.remove(&episode.key());
        }
    }

    /// See [`super::Ledger::swap_budget_level`].
    pub fn swap_budget_level(&mut self, key: &str, level: BudgetLevel) -> Option<BudgetLevel> {
        self.budget_levels.insert(key.to_owned(), level)
    }

    /// See [`super::Ledger::take_allowance`]: the first of slots
    /// `0..limit` that is free (never taken, or taken an hour or more
    /// before `at`) is taken for `entry`; one `entry` already holds is kept.
    pub fn take_allowance(&mut self, entry: &str, at: DateTime<Utc>, limit: u32) -> bool {
        if self.allowance.values().any(|s| s.entry == entry) {
            return true;
        }
        let since = at - ALLOWANCE_WINDOW;
        let free = (0..limit).find(|i| self.allowance.get(i).is_none_or(|s| s.at <= since));
        if let Some(i) = free {
            let slot = AllowanceSlot {
                entry: entry.to_owned(),
                at,
            };
            self.allowance.insert(i, slot);
        }
        free.is_some()
    }

    /// See [`super::Ledger::return_allowance`].
    pub fn return_allowance(&mut self, entry: &str) {
        self.allowance.retain(|_, s| s.entry != entry);
    }

    /// Records `warning` (once per key).
    pub fn record_spot_warning(&mut self, warning: &SpotWarning) {
        self.spot_warnings
            .entry(warning.group.clone())
            .or_default()
            .insert(warning.key(), warning.clone());
    }

    /// The warnings for `group` at or after `since`, oldest first.
    pub fn spot_warnings(&self, group: &str, since: DateTime<Utc>) -> Vec<SpotWarning> {
        self.spot_warnings
            .get(group)
            .map(|w| w.values().filter(|w| w.at >= since).cloned().collect())
            .unwrap_or_default()
    }

    /// Forgets what no guard or audit needs any more: actions, log entries
    /// and spot warnings older than `keep`, expired leases and claims.
    pub fn prune(&mut self, now: DateTime<Utc>, keep: TimeDelta) {
        let since = now - keep;
        for warnings in self.spot_warnings.values_mut() {
            warnings.retain(|_, w| w.at >= since);
        }
        self.spot_warnings.retain(|_, w| !w.is_empty());
        self.actions.retain(|a| a.at >= since);
        self.log.retain(|_, e| e.intent_at >= since);
        self.leases.retain(|_, l| l.until > now);
        self.events.retain(|_, c| c.expires > now);
        self.allowance.retain(|_, s| s.at > now - ALLOWANCE_WINDOW);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estate::Setting;
    use crate::ledger::{EventRef, LoggedOutcome, LoggedStatus};
    use crate::plan::{Action, Cause};
    use crate::policy::{Direction, KnobName, ResourceKind};

    fn t(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_000_000, 0).unwrap_or_default() + TimeDelta::minutes(minutes)
    }

    fn entry(at: DateTime<Utc>, status: Option<LoggedStatus>) -> LogEntry {
        let action = Action {
            policy_id: "db".to_owned(),
            identifier: "orders-db".to_owned(),
            kind: ResourceKind::RdsInstance,
            knob: KnobName::InstanceClass,
            from: Setting::Class("db.r6g.large".to_owned()),
            to: Setting::Class("db.r6g.xlarge".to_owned()),
            direction: Some(Direction::Up),
            cause: Cause::Rule {
                rule: "cpu".to_owned(),
                alarm: "cpu".to_owned(),
                critical: false,
            },
            reason: "cpu high".to_owned(),
            cost_delta_per_hour: None,
            refused: None,
            notes: Vec::new(),
            prices: Vec::new(),
        };
        let event = EventRef {
            source: "alarm".to_owned(),
            id: None,
            summary: "cpu".to_owned(),
        };
        let e = LogEntry::intent(&action, &event, "run-1", at);
        match status {
            None => e,
            Some(status) => e.finished(LoggedOutcome {
                at,
                status,
                detail: String::new(),
                reconciled: false,
            }),
        }
    }

    #[test]
    fn a_lease_is_held_until_it_lapses_and_extends_for_its_holder() {
        let mut s = LedgerState::default();
        assert!(s.take_lease("db", "a", t(0), t(20)));
        assert!(!s.take_lease("db", "b", t(5), t(25)), "held by a");
        assert!(s.take_lease("db", "a", t(5), t(25)), "a extends");
        assert!(!s.take_lease("db", "b", t(24), t(44)));
        assert!(s.take_lease("db", "b", t(25), t(45)), "lapsed at 25");
        s.release_lease("db", "a");
        assert!(
            !s.take_lease("db", "c", t(26), t(46)),
            "a cannot release b's lease"
        );
        s.release_lease("db", "b");
        assert!(s.take_lease("db", "c", t(26), t(46)));
    }

    #[test]
    fn an_event_is_claimed_once_and_a_dead_claim_is_taken_over() {
        let mut s = LedgerState::default();
        let (stale, keep) = (TimeDelta::minutes(20), TimeDelta::days(1));
        assert_eq!(s.claim_event("e1", "a", t(0), stale, keep), Claim::Claimed);
        assert_eq!(
            s.claim_event("e1", "b", t(1), stale, keep),
            Claim::Duplicate
        );
        // a died: after `stale`, a re-delivery takes over.
        assert_eq!(s.claim_event("e1", "b", t(21), stale, keep), Claim::Claimed);
        s.finish_event("e1", "b");
        assert_eq!(
            s.claim_event("e1", "c", t(60), stale, keep),
            Claim::Duplicate
        );
        // Forgotten after `keep`.
        assert_eq!(
            s.claim_event("e1", "c", t(21) + keep, stale, keep),
            Claim::Claimed
        );
    }

    #[test]
    fn a_failed_runs_claim_is_released_and_a_finished_one_is_not() {
        let mut s = LedgerState::default();
        let (stale, keep) = (TimeDelta::minutes(20), TimeDelta::days(1));
        assert_eq!(s.claim_event("e1", "a", t(0), stale, keep), Claim::Claimed);
        s.release_event("e1", "b");
        assert_eq!(
            s.claim_event("e1", "b", t(1), stale, keep),
            Claim::Duplicate,
            "b cannot release a's claim"
        );
        // a's run failed: the retry a minute later runs again.
        s.release_event("e1", "a");
        assert_eq!(s.claim_event("e1", "b", t(1), stale, keep), Claim::Claimed);
        s.finish_event("e1", "b");
        // A finished claim stays: its duplicates stay duplicates.
        s.release_event("e1", "b");
        assert_eq!(
            s.claim_event("e1", "c", t(2), stale, keep),
            Claim::Duplicate
        );
    }

    #[test]
    fn only_applied_outcomes_set_cooldown_clocks_and_each_once() {
        let mut s = LedgerState::default();
        let intent = entry(t(0), None);
        s.record(&intent);
        assert!(s.history().actions.is_empty(), "an intent is not a change");
        let applied = entry(t(0), Some(LoggedStatus::Applied));
        s.record(&applied);
        s.record(&applied);
        assert_eq!(s.history().actions.len(), 1);
        assert_eq!(s.log.len(), 1, "the outcome replaced its intent");
        s.record(&entry(t(5), Some(LoggedStatus::Failed)));
        assert_eq!(s.history().actions.len(), 1, "a failure sets no clock");
        assert_eq!(s.log_since(t(1)).len(), 1);
        assert_eq!(s.log_since(t(0)).len(), 2);
    }

    #[test]
    fn the_hourly_allowance_is_limit_slots_each_free_again_an_hour_later() {
        let mut s = LedgerState::default();
        for i in 0..3 {
            assert!(s.take_allowance(&format!("e{i}"), t(i), 3), "slot {i}");
        }
        assert!(!s.take_allowance("e3", t(10), 3), "all three taken");
        assert!(s.take_allowance("e1", t(10), 3), "a retry keeps its slot");
        s.return_allowance("e2");
        assert!(s.take_allowance("e3", t(10), 3), "a returned slot is free");
        assert!(!s.take_allowance("e4", t(59), 3));
        assert!(s.take_allowance("e4", t(60), 3), "e0's slot lapsed at 60");
        assert!(!s.take_allowance("e5", t(60), 3));
    }

    #[test]
    fn a_history_file_from_before_the_log_still_reads() {
        let old = r#"{"actions":[{"identifier":"orders-db","knob":"instance_class","direction":"up","at":"2026-11-20T10:00:00Z"}],"emergency_since":null}"#;
        let state: LedgerState = serde_json::from_str(old).unwrap_or_default();
        assert_eq!(state.actions.len(), 1);
        assert!(state.log.is_empty());
    }
}
