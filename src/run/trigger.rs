//! What started a run, in the engine's words: which resources it concerns,
//! what it says about the world, and how to name it in the log.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::ledger::{EventRef, SpotWarning, SpotWarningKind};
use crate::observe::Observation;
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
    /// An alarm's new state, as the event tells it. It overrides the
    /// state read back only when it is not older than that (see
    /// [`Trigger::alarm_at`]).
    pub alarm: Option<(String, AlarmState)>,
    /// When the alarm entered the event's state, as the event says. An
    /// event redelivered after the alarm moved on is older than the state
    /// read back, and the read-back wins; without a time the event is
    /// trusted only when nothing was read back.
    pub alarm_at: Option<DateTime<Utc>>,
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
            alarm_at: None,
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
            alarm_at: None,
            spend: None,
            budget_only: false,
            notify_refusals: true,
            spot: None,
            proposed: None,
        }
    }

    /// The same trigger, saying when the alarm entered its state.
    pub fn changed_at(mut self, at: Option<DateTime<Utc>>) -> Self {
        self.alarm_at = at;
        self
    }

    /// Puts the event's alarm state into `obs`, unless the state read back
    /// from CloudWatch is newer (a redelivered or delayed event is old news:
    /// acting on it would scale for a state the alarm has left). Says in
    /// `obs.notes` when the event lost.
    pub(super) fn read_alarm(&self, obs: &mut Observation) {
        let Some((alarm, state)) = &self.alarm else {
            return;
        };
        let current = obs.signals.alarms.get(alarm).copied();
        let since = obs.alarm_since.get(alarm).copied();
        let event_wins = match (current, since, self.alarm_at) {
            // Nothing read back (the alarm could not be read): the event is
            // all there is.
            (None, _, _) => true,
            (Some(now), _, _) if now == *state => true,
            (Some(_), Some(since), Some(at)) => at >= since,
            // Read back without a time: the event's own time cannot be
            // compared, and the read-back is the one that can be re-checked.
            (Some(_), _, _) => false,
        };
        if event_wins {
            obs.signals.alarms.insert(alarm.clone(), *state);
            return;
        }
        let told = self
            .alarm_at
            .map_or_else(|| "with no time".to_owned(), |t| format!("at {}", stamp(t)));
        let current = current.map_or_else(String::new, |c| format!("{c:?}"));
        let since = since.map_or_else(String::new, |t| format!(" since {}", stamp(t)));
        obs.notes.push(format!(
            "alarm {alarm}: the event's {state:?} ({told}) is older than its current state {current}{since}; the current state is used"
        ));
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
            alarm_at: None,
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
            alarm_at: None,
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
            alarm_at: None,
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

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(minute: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_795_000_000 + minute * 60, 0).unwrap_or_default()
    }

    /// What the run judges on: `read` (state, since) read back, then an
    /// ALARM event that entered its state at `at`.
    fn judged(
        read: Option<(AlarmState, Option<DateTime<Utc>>)>,
        at: Option<DateTime<Utc>>,
    ) -> (Option<AlarmState>, Vec<String>) {
        let mut obs = Observation::default();
        if let Some((state, since)) = read {
            obs.signals.alarms.insert("hot".to_owned(), state);
            if let Some(since) = since {
                obs.alarm_since.insert("hot".to_owned(), since);
            }
        }
        Trigger::alarm(None, "hot", AlarmState::Alarm, "")
            .changed_at(at)
            .read_alarm(&mut obs);
        (obs.signals.alarms.get("hot").copied(), obs.notes)
    }

    #[test]
    fn an_alarm_event_older_than_the_state_read_back_loses_to_it() {
        // 40 minutes old, the alarm went OK since: OK stands, and says why.
        let (state, notes) = judged(Some((AlarmState::Ok, Some(t(0)))), Some(t(-40)));
        assert_eq!(state, Some(AlarmState::Ok));
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].contains("older than its current state Ok"),
            "{notes:?}"
        );
        // No time in the event, a different state read back: the read-back.
        let (state, _) = judged(Some((AlarmState::Ok, Some(t(0)))), None);
        assert_eq!(state, Some(AlarmState::Ok));
        // A read-back without a time cannot be compared: the read-back.
        let (state, _) = judged(Some((AlarmState::Ok, None)), Some(t(5)));
        assert_eq!(state, Some(AlarmState::Ok));
    }

    #[test]
    fn an_alarm_event_not_older_than_the_read_back_or_alone_wins() {
        // Newer than the read-back (CloudWatch's read lags its events).
        let (state, notes) = judged(Some((AlarmState::Ok, Some(t(0)))), Some(t(1)));
        assert_eq!((state, notes.len()), (Some(AlarmState::Alarm), 0));
        // Exactly as old.
        let (state, _) = judged(Some((AlarmState::Ok, Some(t(0)))), Some(t(0)));
        assert_eq!(state, Some(AlarmState::Alarm));
        // Nothing read back (DescribeAlarms failed): the event is all there is.
        let (state, _) = judged(None, Some(t(-40)));
        assert_eq!(state, Some(AlarmState::Alarm));
        // Old, but the alarm is still in that state: nothing to say.
        let (state, notes) = judged(Some((AlarmState::Alarm, Some(t(0)))), Some(t(-40)));
        assert_eq!((state, notes.len()), (Some(AlarmState::Alarm), 0));
    }
}
