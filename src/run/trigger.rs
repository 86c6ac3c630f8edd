//! What started a run, in the engine's words: which resources it concerns,
//! what it says about the world, and how to name it in the log.

use std::collections::BTreeMap;

use crate::ledger::{EventRef, SpotWarning, SpotWarningKind};
use crate::plan::{Action, Cause};
use crate::policy::{BudgetPeriod, KnobName};
use crate::signals::AlarmState;

/// What a run answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    /// How the log and the notices name it; its `id`, when present, makes
    /// a re-delivery of the same event a no-op.
    pub event: EventRef,
    /// Which resources the run may touch.
    pub scope: Scope,
    /// An alarm's new state, fresher than a DescribeAlarms would be.
    pub alarm: Option<(String, AlarmState)>,
    /// Spend so far per budget period (Cost Explorer), when the run reads
    /// it. The run adds the estate's run-rate to forecast each period's end.
    pub spend: Option<BTreeMap<BudgetPeriod, f64>>,
    /// Only the budget's own changes (the emergency profile): a budget
    /// run leaves schedules and rules to the scheduler and the alarms.
    pub budget_only: bool,
    /// Whether a guard's refusal is worth a notice. An alarm that fired
    /// and was held back is; the scheduler's every-five-minutes view of
    /// the same held-back move is not (it is logged and counted instead).
    pub notify_refusals: bool,
    /// A spot warning to record before deciding (a spot run).
    pub spot: Option<SpotWarning>,
    /// The changes an operator approved (`tidegate apply`, a saved plan's
    /// planned actions): the run decides again and carries out only those
    /// the decision also makes ([`crate::decide::recheck`]).
    pub proposed: Option<Vec<Action>>,
}

/// The resources a run may touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every resource of the policy.
    All,
    /// Only the resources whose rules name this alarm.
    Alarm(String),
    /// Only this Auto Scaling group's spot mix (a spot warning for it).
    SpotMix(String),
}

impl Trigger {
    /// A scheduler run: every resource, level-triggered.
    pub fn schedule(id: Option<String>) -> Self {
        Trigger {
            event: EventRef {
                source: "schedule".to_owned(),
                id,
                summary: "scheduled convergence run".to_owned(),
            },
            scope: Scope::All,
            alarm: None,
            spend: None,
            budget_only: false,
            notify_refusals: false,
            spot: None,
            proposed: None,
        }
    }

    /// An alarm that changed state.
    pub fn alarm(id: Option<String>, alarm: &str, state: AlarmState, reason: &str) -> Self {
        let summary = if reason.is_empty() {
            format!("alarm {alarm} is {state:?}")
        } else {
            format!("alarm {alarm} is {state:?}: {reason}")
        };
        Trigger {
            event: EventRef {
                source: "alarm".to_owned(),
                id,
                summary,
            },
            scope: Scope::Alarm(alarm.to_owned()),
            alarm: Some((alarm.to_owned(), state)),
            spend: None,
            budget_only: false,
            notify_refusals: true,
            spot: None,
            proposed: None,
        }
    }

    /// A budget run with the spend read so far.
    pub fn budget(id: Option<String>, spend: BTreeMap<BudgetPeriod, f64>, why: &str) -> Self {
        Trigger {
            event: EventRef {
                source: "budget".to_owned(),
                id,
                summary: why.to_owned(),
            },
            scope: Scope::All,
            alarm: None,
            spend: Some(spend),
            budget_only: true,
            notify_refusals: false,
            spot: None,
            proposed: None,
        }
    }

    /// A spot warning for the Auto Scaling group `warning.group`: the run
    /// records it and judges only that group's spot mix.
    pub fn spot(id: Option<String>, warning: SpotWarning) -> Self {
        let what = match warning.kind {
            SpotWarningKind::Interruption => "spot interruption warning",
            SpotWarningKind::Rebalance => "rebalance recommendation",
        };
        Trigger {
            event: EventRef {
                source: "spot".to_owned(),
                id,
                summary: format!("{what} for {} in {}", warning.instance, warning.group),
            },
            scope: Scope::SpotMix(warning.group.clone()),
            alarm: None,
            spend: None,
            budget_only: false,
            notify_refusals: true,
            spot: Some(warning),
            proposed: None,
        }
    }

    /// `tidegate apply`: every resource; with `proposed`, only the changes
    /// an operator approved, each decided again.
    pub fn cli(summary: &str, proposed: Option<Vec<Action>>) -> Self {
        Trigger {
            event: EventRef {
                source: "cli".to_owned(),
                id: None,
                summary: summary.to_owned(),
            },
            scope: Scope::All,
            alarm: None,
            spend: None,
            budget_only: false,
            notify_refusals: false,
            spot: None,
            proposed,
        }
    }

    /// Whether this run carries out `action`.
    pub fn keeps(&self, action: &Action) -> bool {
        match &self.scope {
            Scope::SpotMix(group) => {
                action.knob == KnobName::SpotMix && &action.identifier == group
            }
            _ => !self.budget_only || matches!(action.cause, Cause::Budget { .. }),
        }
    }
}
