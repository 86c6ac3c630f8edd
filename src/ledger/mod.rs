//! What tidegate did before: the history the guards read (cooldown clocks,
//! the hourly action count, oscillation, storage waiting periods, the budget
//! emergency latch).
//!
//! [`History`] is the decision core's read-only view. The [`Ledger`] trait
//! is where it is kept, with what the Lambdas need beside it: the action
//! log (intent before the AWS call, outcome after), a lease per resource, an
//! idempotency record per event, the budget latches and the spot
//! warnings per group; [`PriceCache`]
//! keeps the Price List API's last answer beside them. Backends: DynamoDB
//! for the Lambdas (`crate::aws::DynamoDbLedger`), a JSON file for the CLI
//! ([`file::FileLedger`]), memory for tests ([`MemoryLedger`]).

mod memory;
mod port;
mod records;
mod spot;
mod state;

pub mod file;

pub use memory::MemoryLedger;
pub use port::{Claim, Ledger, LedgerError, PriceCache};
pub use records::{
    EventRef, LogEntry, LoggedOutcome, LoggedStatus, Step, StepOp, StepState, Steps,
};
pub use spot::{SpotWarning, SpotWarningKind};

// The DynamoDB ledger counts the hourly allowance with the same window.
#[cfg(feature = "aws")]
pub(crate) use state::ALLOWANCE_WINDOW;
pub use state::LedgerState;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::plan::{Action, AtLimit, LimitSide, Plan};
use crate::policy::{Direction, KnobName};

/// Past actions and latches, as the guards need them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// Actions carried out (not refused, not failed), any order.
    pub actions: Vec<PastAction>,
    /// When the budget emergency profile came into force, while it is.
    pub emergency_since: Option<DateTime<Utc>>,
    /// Knobs held at the end of their range while a rule fires, each since
    /// its episode began (so a plan says "since T" and one notice is sent
    /// per episode).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub at_limit: Vec<LimitEpisode>,
}

/// One knob's stay at the end of its range (see [`crate::plan::AtLimit`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitEpisode {
    /// AWS identifier.
    pub identifier: String,
    /// Which knob.
    pub knob: KnobName,
    /// Top or bottom.
    pub side: LimitSide,
    /// When it began.
    pub since: DateTime<Utc>,
}

impl LimitEpisode {
    /// The episode a plan's entry belongs to.
    pub fn of(a: &AtLimit) -> Self {
        LimitEpisode {
            identifier: a.identifier.clone(),
            knob: a.knob,
            side: a.side,
            since: a.since,
        }
    }

    /// Its key in a ledger: `{identifier}#{knob}#{side}`.
    pub fn key(&self) -> String {
        let side = match self.side {
            LimitSide::Ceiling => "ceiling",
            LimitSide::Floor => "floor",
        };
        format!("{}#{}#{side}", self.identifier, self.knob.as_str())
    }

    /// True when both are about the same knob's same end (whenever begun).
    pub fn same_place(&self, other: &LimitEpisode) -> bool {
        self.identifier == other.identifier && self.knob == other.knob && self.side == other.side
    }
}

/// One action carried out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PastAction {
    /// AWS identifier of the resource.
    pub identifier: String,
    /// Which knob moved.
    pub knob: KnobName,
    /// Which way; None for a reconfiguration (spot mix, ASG min/max,
    /// Serverless v2 minimum) that counts toward the hourly limit only.
    pub direction: Option<Direction>,
    /// When it was carried out.
    pub at: DateTime<Utc>,
}

impl History {
    /// The latest action on `identifier`, optionally only in `direction`.
    pub fn last_change(
        &self,
        identifier: &str,
        direction: Option<Direction>,
    ) -> Option<&PastAction> {
        self.actions
            .iter()
            .filter(|a| a.identifier == identifier)
            .filter(|a| direction.is_none_or(|d| a.direction == Some(d)))
            .max_by_key(|a| a.at)
    }

    /// The latest action on `identifier`'s `knob`.
    pub fn last_knob_change(&self, identifier: &str, knob: KnobName) -> Option<&PastAction> {
        self.actions
            .iter()
            .filter(|a| a.identifier == identifier && a.knob == knob)
            .max_by_key(|a| a.at)
    }

    /// Actions carried out in the hour up to `now` (exclusive of the future).
    pub fn actions_in_hour_before(&self, now: DateTime<Utc>) -> usize {
        let since = now - chrono::TimeDelta::hours(1);
        self.actions
            .iter()
            .filter(|a| a.at > since && a.at <= now)
            .count()
    }

    /// What acting on `plan` at `now` leaves for the next decision: each of
    /// `applied` (the plan's actions carried out; a reconfiguration too,
    /// for the hourly limit) as done at `now`, and the budget emergency
    /// latch as the plan leaves it (set when it comes into force, kept from
    /// its start while it stays, cleared when it ends). The one
    /// bookkeeping of the runner and of the backtest.
    pub fn record<'a>(
        &mut self,
        plan: &Plan,
        applied: impl IntoIterator<Item = &'a Action>,
        now: DateTime<Utc>,
    ) {
        self.actions.extend(applied.into_iter().map(|a| PastAction {
            identifier: a.identifier.clone(),
            knob: a.knob,
            direction: a.direction,
            at: now,
        }));
        if plan.emergency {
            self.emergency_since.get_or_insert(now);
        } else {
            self.emergency_since = None;
        }
        // The plan says every episode of the resources it decided for: one
        // it no longer lists has ended. Others' episodes stand.
        self.at_limit
            .retain(|e| !plan.profiles.contains_key(&e.identifier));
        self.at_limit
            .extend(plan.at_limit.iter().map(LimitEpisode::of));
    }

    /// When the episode of `identifier`'s `knob` at `side` began, if one is
    /// open.
    pub fn at_limit_since(
        &self,
        identifier: &str,
        knob: KnobName,
        side: LimitSide,
    ) -> Option<DateTime<Utc>> {
        self.at_limit
            .iter()
            .find(|e| e.identifier == identifier && e.knob == knob && e.side == side)
            .map(|e| e.since)
    }

    /// Forgets actions older than `keep` before `now` (they no longer
    /// matter to any guard).
    pub fn prune(&mut self, now: DateTime<Utc>, keep: chrono::TimeDelta) {
        let since = now - keep;
        self.actions.retain(|a| a.at >= since);
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::History;
    use crate::plan::Plan;

    fn plan(emergency: bool) -> Plan {
        Plan {
            at: Utc::now(),
            actions: Vec::new(),
            profiles: Default::default(),
            budget: Vec::new(),
            emergency,
            notes: Vec::new(),
            prices: String::new(),
            policy_hash: String::new(),
            at_limit: Vec::new(),
        }
    }

    #[test]
    fn record_keeps_the_emergency_latch_from_its_start_and_clears_it_after() {
        let t = |h| {
            Utc.with_ymd_and_hms(2026, 11, 24, h, 0, 0)
                .single()
                .expect("time")
        };
        let mut h = History::default();
        h.record(&plan(true), [], t(1));
        h.record(&plan(true), [], t(2));
        assert_eq!(h.emergency_since, Some(t(1)), "kept from its start");
        h.record(&plan(false), [], t(3));
        assert_eq!(h.emergency_since, None);
    }
}
