//! The guards: small named units, each answering "may this action run?".
//! A refused action stays in the plan with the guard that refused it.
//!
//! [`check`] runs them in a fixed order and reports the first refusal; the
//! rate limit runs last, in [`rate_limit`], once every other guard passed,
//! because it spends a shared allowance.

pub(crate) mod bounds;
pub(crate) mod budget;
pub(crate) mod cooldown;
pub(crate) mod floor;
pub(crate) mod oscillation;
pub(crate) mod profile;
pub(crate) mod rate_limit;
pub(crate) mod status;
pub(crate) mod storage_iops;
pub(crate) mod storage_wait;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::knobs::Window;
use crate::estate::{Member, Setting};
use crate::ledger::{History, PastAction};
use crate::plan::{Cause, Refusal};
use crate::policy::BudgetPeriod;
use crate::policy::{Direction, Knob, KnobName, Policy, Resource};
use crate::signals::PeriodSpend;

/// One proposed change, as the guards see it.
pub(crate) struct Proposal<'a> {
    /// The resource as observed.
    pub member: &'a Member,
    /// Its policy.
    pub resource: &'a Resource,
    /// Which knob.
    pub knob: KnobName,
    /// The setting asked for.
    pub to: &'a Setting,
    /// Up, down or neither.
    pub direction: Option<Direction>,
    /// What asked for it.
    pub cause: &'a Cause,
    /// A critical rule, or storage growth (running out of disk is an outage).
    pub critical: bool,
    /// Hourly cost change, when priced.
    pub cost_delta: Option<f64>,
    /// The move on the knob's scale, for positional knobs.
    pub step: Option<Step<'a>>,
}

/// A move along a knob's scale. `to` may lie off the scale (−1 or `len`)
/// when a rule asks for a step past the end.
pub(crate) struct Step<'a> {
    /// The knob.
    pub knob: &'a Knob,
    /// Current position.
    pub from: usize,
    /// Asked-for position.
    pub to: isize,
    /// The window the profiles in force allow.
    pub window: &'a Window,
}

/// What every guard may read: the clock value, the policy, past actions,
/// spend.
pub(crate) struct Context<'a> {
    /// The instant decided for.
    pub now: DateTime<Utc>,
    /// The policy.
    pub policy: &'a Policy,
    /// Past actions by identifier.
    pub history: HistoryIndex<'a>,
    /// Spend per budget period.
    pub spend: &'a BTreeMap<BudgetPeriod, PeriodSpend>,
    /// Some budget is at its warn threshold or worse.
    pub budget_tight: bool,
    /// The budget emergency profile is in force.
    pub emergency: bool,
}

/// Past actions grouped by identifier, built once per decision so that each
/// guard look-up is proportional to one resource's history.
pub(crate) struct HistoryIndex<'a> {
    by_identifier: HashMap<&'a str, Vec<&'a PastAction>>,
    /// Actions carried out in the hour before `now`.
    pub in_last_hour: usize,
}

impl<'a> HistoryIndex<'a> {
    /// Indexes `history` as seen at `now` (future entries are ignored).
    pub fn new(history: &'a History, now: DateTime<Utc>) -> Self {
        let mut by_identifier: HashMap<&str, Vec<&PastAction>> = HashMap::new();
        for a in history.actions.iter().filter(|a| a.at <= now) {
            by_identifier
                .entry(a.identifier.as_str())
                .or_default()
                .push(a);
        }
        HistoryIndex {
            by_identifier,
            in_last_hour: history.actions_in_hour_before(now),
        }
    }

    /// The latest action on `identifier` matching `keep`.
    pub fn latest(
        &self,
        identifier: &str,
        keep: impl Fn(&PastAction) -> bool,
    ) -> Option<&'a PastAction> {
        self.by_identifier
            .get(identifier)?
            .iter()
            .copied()
            .filter(|a| keep(a))
            .max_by_key(|a| a.at)
    }
}

/// Runs every guard but the rate limit; the first refusal wins.
pub(crate) fn check(p: &Proposal<'_>, ctx: &Context<'_>) -> Option<Refusal> {
    status::check(p)
        .or_else(|| bounds::check(p))
        .or_else(|| floor::check(p))
        .or_else(|| profile::check(p))
        .or_else(|| storage_wait::check(p, ctx))
        .or_else(|| storage_iops::check(p))
        .or_else(|| cooldown::check(p, ctx))
        .or_else(|| oscillation::check(p, ctx))
        .or_else(|| budget::check(p, ctx))
}

/// `TimeDelta` as `1h05m` for refusals.
pub(crate) fn ago(d: chrono::TimeDelta) -> String {
    let mins = d.num_minutes().max(0);
    if mins >= 60 {
        format!("{}h{:02}m", mins / 60, mins % 60)
    } else {
        format!("{mins}m")
    }
}
