//! Carrying out a plan's actions: different resources at once, up to the
//! policy's `guardrails.max_concurrent_actions`, each resource's own actions
//! one after the other in plan order. The results come back in plan order,
//! so the report (and what it prints) does not depend on which call
//! answered first.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use futures::StreamExt as _;

use super::leases::LostLeases;
use super::{RunError, Runner, clock, journal};
use crate::act::{self, Outcome};
use crate::estate::Estate;
use crate::ledger::{EventRef, LogEntry, LoggedOutcome};
use crate::plan::{Action, Guard, Refusal};
use crate::policy::Policy;

/// What became of one planned action.
pub(super) enum Step {
    /// Refused at the last moment: concurrent runs spent the hourly
    /// allowance.
    Refused(Refusal),
    /// Carried out, skipped or left under way.
    Done(Outcome),
}

/// What acting works with, shared by every resource's task.
pub(super) struct Acting<'r, 'a> {
    /// The run.
    pub runner: &'r Runner<'a>,
    /// The policy acted on.
    pub policy: &'r Policy,
    /// The estate as observed under the leases.
    pub fresh: &'r Estate,
    /// The event answered.
    pub event: &'r EventRef,
    /// The run's `now`.
    pub now: DateTime<Utc>,
    /// When the run started (for the outcome's clock).
    pub started: std::time::Instant,
    /// Leases the heartbeat found lost: their resources get no further
    /// action or step.
    pub lost: &'r LostLeases,
    /// Actions started so far (for the progress callback).
    pub done: AtomicUsize,
}

impl Acting<'_, '_> {
    /// Carries out `actions` (those not refused), resources in parallel up
    /// to the policy's bound; returns each action's index and step, in plan
    /// order. A ledger failure stops the acting: without the ledger nothing
    /// more is promised.
    pub(super) async fn each_resource(
        &self,
        actions: &[Action],
    ) -> Result<Vec<(usize, Step)>, RunError> {
        let pool = usize::try_from(self.policy.guardrails.max_concurrent_actions)
            .unwrap_or(1)
            .max(1);
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut group_of: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, a) in actions.iter().enumerate() {
            if a.refused.is_some() {
                continue;
            }
            let g = *group_of.entry(a.identifier.as_str()).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[g].push(i);
        }
        let planned = groups.iter().map(Vec::len).sum();
        let mut tasks = futures::stream::iter(groups)
            .map(|indices| self.one_resource(actions, indices, planned))
            .buffer_unordered(pool);
        let mut steps = Vec::with_capacity(actions.len());
        while let Some(done) = tasks.next().await {
            steps.extend(done?);
        }
        steps.sort_by_key(|(i, _)| *i);
        Ok(steps)
    }

    /// One resource's actions, in plan order: after one failed or is left
    /// under way, the rest are skipped.
    async fn one_resource(
        &self,
        actions: &[Action],
        indices: Vec<usize>,
        planned: usize,
    ) -> Result<Vec<(usize, Step)>, RunError> {
        let mut steps = Vec::with_capacity(indices.len());
        let mut blocked = false;
        for i in indices {
            if let Some(tell) = self.runner.settings.on_action {
                let n = self.done.fetch_add(1, Ordering::Relaxed) + 1;
                tell(n, planned, &actions[i]);
            }
            let step = self.one_action(&actions[i], blocked).await?;
            if let Step::Done(Outcome::Failed { .. } | Outcome::InProgress { .. }) = &step {
                blocked = true;
            }
            steps.push((i, step));
        }
        Ok(steps)
    }

    /// One action: a share of the hourly allowance, intent, AWS call,
    /// outcome (`blocked`: an earlier change to the resource failed, so
    /// this one is skipped and recorded so).
    async fn one_action(&self, action: &Action, blocked: bool) -> Result<Step, RunError> {
        let runner = self.runner;
        let ledger = runner.ledger;
        let limit = self.policy.guardrails.max_actions_per_hour;
        let entry = LogEntry::intent(action, self.event, runner.holder, self.now);
        let journal =
            journal::LogJournal::new(ledger, &entry, runner.settings.progress).watching(self.lost);
        let outcome = if let Err(why) = self.lost.lease_still_held(&action.identifier) {
            Outcome::Skipped { why }
        } else if blocked {
            Outcome::Skipped {
                why: "an earlier change to this resource failed or is still under way".to_owned(),
            }
        } else if !ledger.take_allowance(&entry.id, self.now, limit).await? {
            // The decision counted the hour before this run acted;
            // concurrent runs spent the rest of the allowance since.
            return Ok(Step::Refused(Refusal {
                guard: Guard::RateLimit,
                why: format!(
                    "the hourly allowance ({limit} per hour) was spent by runs acting at the same time"
                ),
            }));
        } else {
            // No intent, no call: an unrecorded change could not be
            // reconciled or counted toward its cooldown.
            ledger.record_intent(&entry).await?;
            act::apply_recorded(
                action,
                self.policy,
                runner.ports,
                self.fresh,
                runner.settings.pace,
                &journal,
            )
            .await
        };
        // Under way: the intent stays open, steps and all, for a later run
        // to carry on or settle; its share of the allowance stays spent.
        if !matches!(outcome, Outcome::InProgress { .. }) {
            let at = clock(self.now, self.started);
            let done = journal
                .entry()
                .finished(LoggedOutcome::from_act(&outcome, at));
            ledger.record_outcome(&done).await?;
            if !matches!(outcome, Outcome::Applied { .. }) {
                // Nothing changed in AWS: the share is not spent.
                ledger.return_allowance(&entry.id).await?;
            }
        }
        Ok(Step::Done(outcome))
    }
}
