//! The end of a run: the budget latch and the at-limit episodes recorded,
//! notices sent, the plan put into the report.

use chrono::{DateTime, TimeDelta, Utc};

use crate::act::Outcome;
use crate::budget;
use crate::ledger::{History, LimitEpisode};
use crate::notify::{self, Notice};
use crate::plan::{BudgetLevel, Cause, LimitSide, Plan};

use super::{RunError, RunReport, RunStatus, Runner, Trigger};

/// Where a budget run's actual spend comes from, as standings name it.
pub(super) const SPEND_SOURCE: &str =
    "spend: Cost Explorer, unblended, whole account; forecast adds the estate's run-rate";

impl Runner<'_> {
    /// Latches, notices, and the plan into the report.
    pub(super) async fn finish(
        &self,
        plan: Plan,
        history: &History,
        trigger: &Trigger,
        now: DateTime<Utc>,
        report: &mut RunReport,
    ) -> Result<(), RunError> {
        let acting = report.status == RunStatus::Done;
        let was_latched = history.emergency_since.is_some();
        // The actions carried out are in the log already (intent and
        // outcome); what the ledger keeps beside them is the latch.
        let mut after = history.clone();
        after.record(&plan, report.applied().map(|r| &r.action), now);
        if acting && after.emergency_since != history.emergency_since {
            self.ledger.set_emergency(after.emergency_since).await?;
        }
        let estate = &self.policy.estate;
        let mut notices = Vec::new();
        if acting {
            // One notice per at-ceiling episode, when it begins; the ledger
            // keeps the open ones so the next run says "since T".
            let begun = after
                .at_limit
                .iter()
                .filter(|e| !history.at_limit.iter().any(|h| h.same_place(e)));
            for episode in begun {
                self.ledger.set_limit_episode(episode, true).await?;
                if let Some(a) = plan.at_limit.iter().find(|a| {
                    a.side == LimitSide::Ceiling && LimitEpisode::of(a).same_place(episode)
                }) {
                    notices.push(notify::at_ceiling(estate, a, &trigger.event, now));
                }
            }
            let ended = history
                .at_limit
                .iter()
                .filter(|h| !after.at_limit.iter().any(|e| e.same_place(h)));
            for episode in ended {
                self.ledger.set_limit_episode(episode, false).await?;
            }
        }
        for r in &report.outcomes {
            match &r.outcome {
                Outcome::Applied { detail } => notices.push(notify::applied(
                    estate,
                    &r.action,
                    detail,
                    &trigger.event,
                    now,
                )),
                Outcome::Failed { error, .. } => notices.push(notify::failed(
                    estate,
                    &r.action,
                    error,
                    &trigger.event,
                    now,
                )),
                _ => {}
            }
        }
        // A change a dead run left open, settled by this run's reconcile.
        notices.extend(
            report
                .reconciled
                .iter()
                .map(|entry| notify::dead_run(estate, entry, now)),
        );
        if trigger.notify_refusals {
            notices.extend(
                plan.refused()
                    .map(|a| notify::refused(estate, a, &trigger.event, now)),
            );
        }
        if trigger.spend.is_some() {
            self.budget_notices(&plan, was_latched, now, &mut notices, report)
                .await?;
        }
        for n in &notices {
            if let Some(port) = self.notify
                && let Err(e) = port.publish_notice(n).await
            {
                report
                    .notes
                    .push(format!("notice `{}` not sent: {e}", n.subject));
            }
        }
        report.notices.extend(notices);
        report.notes.extend(plan.notes.iter().cloned());
        report.plan = Some(plan);
        Ok(())
    }

    /// A notice when a budget climbs to a new level in its period (once per
    /// period and level, not every hour), and when the emergency profile is
    /// released.
    async fn budget_notices(
        &self,
        plan: &Plan,
        was_latched: bool,
        now: DateTime<Utc>,
        notices: &mut Vec<Notice>,
        report: &RunReport,
    ) -> Result<(), RunError> {
        let estate = &self.policy.estate;
        let shed: Vec<_> = report
            .applied()
            .filter(|r| matches!(r.action.cause, Cause::Budget { .. }))
            .map(|r| &r.action)
            .collect();
        for standing in &plan.budget {
            let (start, end) = budget::period_bounds(standing.period, now);
            let key = format!("{}#{}", standing.period, start.format("%Y-%m-%d"));
            let keep = end - start + TimeDelta::days(1);
            let before = self
                .ledger
                .swap_budget_level(&key, standing.level, now, keep)
                .await?;
            if standing.level > before.unwrap_or(BudgetLevel::Ok) {
                notices.push(notify::budget(estate, standing, before, &shed, now));
            }
        }
        if was_latched
            && !plan.emergency
            && let Some(worst) = plan
                .budget
                .iter()
                .max_by(|a, b| a.forecast_percent.total_cmp(&b.forecast_percent))
        {
            notices.push(notify::budget(
                estate,
                worst,
                Some(BudgetLevel::Emergency),
                &[],
                now,
            ));
        }
        Ok(())
    }
}
