//! One run of the engine, as the Lambdas (and the CLI) carry it out:
//! observe → decide → guard → act → record, with what running unattended
//! and concurrently needs around it.
//!
//! 1. **Idempotency**: an event with an id is claimed in the ledger first; a
//!    re-delivered event does nothing.
//! 2. **Reconcile**: intents an earlier run wrote but never finished (it
//!    died mid-call) are settled against the resources' real state.
//! 3. **Decide** on a first look, unlocked, to learn which resources would
//!    change.
//! 4. **Lease** those resources (a conditional write each): a resource
//!    another run holds is skipped (and the report says so,
//!    [`RunReport::left_to_others`]), so two runs never modify one
//!    resource. Leases are short and renewed while the run lives (a
//!    heartbeat), so a dead run's leases lapse within one lease; a lapsed
//!    lease's open intents are reconciled as soon as it is taken.
//! 5. **Decide again** under the leases, from a fresh history and a fresh
//!    observation (another run may just have changed things), and act on
//!    that plan: a share of the hourly allowance taken (a conditional
//!    write, so concurrent runs cannot together pass the limit), intent
//!    written before each AWS call, outcome after.
//! 6. **Record** the budget latch, release the leases, send notices.

mod acting;
mod deadline;
mod finish;
mod journal;
mod leases;
mod reconcile;
mod report;
mod spot;
mod trigger;

#[cfg(all(test, feature = "test-util"))]
mod lease_tests;
#[cfg(all(test, feature = "test-util"))]
mod resume_tests;

use std::collections::BTreeSet;
use std::time::Instant;

use chrono::{DateTime, TimeDelta, Utc};

pub use report::{RunError, RunReport, RunStatus, Settings};
pub use trigger::{Scope, Trigger};

use crate::act::{Outcome, Report};
use crate::budget;
use crate::decide::{Inputs, decide, recheck};
use crate::estate::Estate;
use crate::ledger::{Claim, EventRef, History, Ledger};
use crate::observe::{self, Observation, Ports};
use crate::plan::Plan;
use crate::policy::Policy;
use crate::ports::NotifyPort;
use crate::pricing::{PriceBook, run_rate};

use self::finish::SPEND_SOURCE;
use self::leases::LostLeases;
use self::spot::{reacting_classes, reacts_to_spot};

/// Everything a run works with.
pub struct Runner<'a> {
    /// The validated policy.
    pub policy: &'a Policy,
    /// The AWS services.
    pub ports: Ports<'a>,
    /// Cooldowns, log, leases, idempotency.
    pub ledger: &'a dyn Ledger,
    /// Where notices go; none from the CLI.
    pub notify: Option<&'a dyn NotifyPort>,
    /// Prices for the plan and the budget run-rate.
    pub prices: &'a dyn PriceBook,
    /// This run's name in leases and the log (the Lambda request id).
    pub holder: &'a str,
    /// Durations.
    pub settings: Settings,
}

impl Runner<'_> {
    /// Answers `trigger` at `now`.
    pub async fn run(&self, trigger: &Trigger, now: DateTime<Utc>) -> Result<RunReport, RunError> {
        let s = &self.settings;
        if let Some(id) = &trigger.event.id {
            let claim = self
                .ledger
                .claim_event(id, self.holder, now, s.claim_stale_after, s.claim_keep)
                .await?;
            if claim == Claim::Duplicate {
                return Ok(RunReport::new(&trigger.event, RunStatus::Duplicate));
            }
        }
        let started = Instant::now();
        let limit = self.policy.guardrails.timeouts.durations()[4];
        let end = deadline::deadline(started, limit, s.deadline);
        let work = self.run_claimed(trigger, now, end);
        let report = match deadline::bounded(started, end, work).await {
            Ok(report) => report,
            Err(e) => {
                // A failed run gives its claim back, so Lambda's retry runs
                // again (and, when every retry fails, the event reaches the
                // failure destination) instead of answering "duplicate".
                if let Some(id) = &trigger.event.id {
                    self.release_claim(id, &e).await;
                }
                return Err(e);
            }
        };
        if let Some(id) = &trigger.event.id {
            self.ledger.finish_event(id, self.holder).await?;
        }
        Ok(report)
    }

    /// Releases the claim on `id` of a run that failed with `failure`. When
    /// even that fails, the claim turns stale after `claim_stale_after` and
    /// a later delivery takes it over.
    async fn release_claim(&self, id: &str, failure: &RunError) {
        if let Err(e) = self.ledger.release_event(id, self.holder).await {
            tracing::error!(
                event_id = id,
                error = %e,
                run_error = %failure,
                "the failed run's event claim could not be released; a retry within the stale period answers duplicate"
            );
        }
    }

    async fn run_claimed(
        &self,
        trigger: &Trigger,
        now: DateTime<Utc>,
        end: Instant,
    ) -> Result<RunReport, RunError> {
        let started = Instant::now();
        let mut report = RunReport::new(&trigger.event, RunStatus::Done);
        reconcile::open_intents(self, now, started, &mut report).await?;

        let scoped = match &trigger.scope {
            Scope::All => self.policy.clone(),
            Scope::Alarm(alarm) => {
                let ids: BTreeSet<&str> = self
                    .policy
                    .rules_for_alarm(alarm)
                    .map(|(r, _)| r.id.as_str())
                    .collect();
                if ids.is_empty() {
                    report.status = RunStatus::Ignored(format!(
                        "alarm {alarm} drives no rule of the policy `{}`",
                        self.policy.estate
                    ));
                    return Ok(report);
                }
                let mut p = self.policy.clone();
                p.resources.retain(|r| ids.contains(r.id.as_str()));
                p
            }
            Scope::SpotMix(group) => {
                let classes = reacting_classes(self.policy);
                let mut p = self.policy.clone();
                p.resources.retain(|r| reacts_to_spot(&classes, r));
                if p.resources.is_empty() {
                    report.status = RunStatus::Ignored(format!(
                        "no Auto Scaling group of the policy `{}` has a workload class that reacts to spot interruptions (group {group})",
                        self.policy.estate
                    ));
                    return Ok(report);
                }
                p
            }
        };

        let history = self.ledger.history(now).await?;
        let (first, estate) = self
            .decide(&scoped, trigger, &history, None, None, now, &mut report)
            .await?;
        if let Scope::SpotMix(group) = &trigger.scope
            && estate.members.is_empty()
        {
            report.status = RunStatus::Ignored(format!(
                "Auto Scaling group {group} is not managed by the policy `{}` with a workload class that reacts to spot interruptions",
                self.policy.estate
            ));
            return Ok(report);
        }
        let wanted = self.not_under_way(&first, &mut report);
        if wanted.is_empty() || self.policy.guardrails.dry_run {
            if !wanted.is_empty() {
                report.status = RunStatus::DryRun;
            }
            self.finish(first, &history, trigger, now, &mut report)
                .await?;
            return Ok(report);
        }

        let leased = self.take_leases(&wanted, now, started, &mut report).await?;
        let lost = LostLeases::default();
        // Acting stops a little before the run's end, so the leases are
        // given back rather than left to expire.
        let acting = self.with_heartbeat(&leased, now, started, &lost, async {
            // A lease just taken may have lapsed from a dead run: settle its
            // intents before deciding on the resource.
            let settled = reconcile::taken_over(self, &leased, now, &mut report.notes).await?;
            report.reconciled.extend(settled);
            self.act_leased(
                &scoped,
                trigger,
                &leased,
                &lost,
                &estate,
                now,
                started,
                &mut report,
            )
            .await
        });
        let acted = deadline::bounded(started, deadline::before(started, end), acting).await;
        self.release_leases(&leased, &mut report.notes).await;
        let (plan, history) = acted?;
        self.finish(plan, &history, trigger, now, &mut report)
            .await?;
        Ok(report)
    }

    /// Observes `policy`'s resources (only `only`, when given: re-read by
    /// identifier, of the resources they were members of in `first`),
    /// reads the trigger's signals into the observation, and decides.
    /// Returns the plan and the estate it was decided on.
    #[allow(clippy::too_many_arguments)]
    async fn decide(
        &self,
        policy: &Policy,
        trigger: &Trigger,
        history: &History,
        only: Option<&BTreeSet<String>>,
        first: Option<&Estate>,
        now: DateTime<Utc>,
        report: &mut RunReport,
    ) -> Result<(Plan, Estate), RunError> {
        let mut obs = match only.filter(|_| trigger.spend.is_none()) {
            // The second look: only what is leased, by identifier. (A budget
            // run's forecast needs the whole estate's run-rate: read whole.)
            Some(only) => {
                let mut focus = policy.clone();
                focus.resources.retain(|r| {
                    first.is_some_and(|e| {
                        e.members
                            .iter()
                            .any(|m| m.policy_id == r.id && only.contains(&m.identifier))
                    })
                });
                observe::observe_only(&focus, self.ports, now, only).await
            }
            None => observe::observe(policy, self.ports, now).await,
        };
        if let Some(e) = obs.blind() {
            return Err(e.clone().into());
        }
        if let Scope::SpotMix(group) = &trigger.scope {
            obs.estate.members.retain(|m| &m.identifier == group);
        }
        self.read_trigger(policy, trigger, &mut obs, now);
        if let Some(only) = only {
            obs.estate.members.retain(|m| only.contains(&m.identifier));
        }
        self.read_spot_warnings(policy, trigger, &mut obs, now)
            .await?;
        let clock = Instant::now();
        let inputs = Inputs {
            policy,
            estate: &obs.estate,
            signals: &obs.signals,
            history,
            prices: self.prices,
            now,
        };
        let mut plan = match &trigger.proposed {
            Some(saved) => recheck(&inputs, saved),
            None => decide(&inputs),
        };
        report.decide_ms += clock.elapsed().as_secs_f64() * 1000.0;
        plan.notes.extend(obs.notes);
        plan.actions.retain(|a| trigger.keeps(a));
        Ok((plan, obs.estate))
    }

    /// The trigger's own news: an alarm's new state, spend forecasts.
    fn read_trigger(
        &self,
        policy: &Policy,
        trigger: &Trigger,
        obs: &mut Observation,
        now: DateTime<Utc>,
    ) {
        trigger.read_alarm(obs);
        if let Some(spend) = &trigger.spend {
            let rate = run_rate(policy, &obs.estate, self.prices);
            for why in &rate.unpriced {
                obs.notes
                    .push(format!("run-rate leaves out {why}; forecasts run low"));
            }
            for (&period, &actual) in spend {
                let f = budget::forecast(period, now, actual, rate.usd_per_hour);
                obs.signals.spend.insert(period, f);
            }
            obs.signals.spend_sources = std::iter::once(SPEND_SOURCE.to_string())
                .chain(rate.sources.iter().map(|s| format!("run-rate prices: {s}")))
                .collect();
        }
    }

    /// Decides again under the leases, on a fresh look at the leased
    /// resources (`first`: what the first look found), and acts: intent,
    /// AWS call, outcome.
    #[allow(clippy::too_many_arguments)]
    async fn act_leased(
        &self,
        policy: &Policy,
        trigger: &Trigger,
        leased: &BTreeSet<String>,
        lost: &LostLeases,
        first: &Estate,
        now: DateTime<Utc>,
        started: Instant,
        report: &mut RunReport,
    ) -> Result<(Plan, History), RunError> {
        let history = self.ledger.history(now).await?;
        let (mut plan, fresh) = self
            .decide(
                policy,
                trigger,
                &history,
                Some(leased),
                Some(first),
                now,
                report,
            )
            .await?;

        self.carry_out(
            &mut plan,
            policy,
            &fresh,
            &trigger.event,
            lost,
            now,
            started,
            report,
        )
        .await?;
        // `finish` reads only the emergency latch, which acting does not
        // move: the history loaded under the leases serves, no re-read.
        Ok((plan, history))
    }

    /// The planned actions, resources in parallel (see [`acting`]): a share
    /// of the hourly allowance, intent, AWS call, outcome. An action whose
    /// share another run took meanwhile is refused by `rate_limit` in
    /// `plan`. The caller holds the leases of the resources concerned;
    /// one whose lease its heartbeat found lost gets no further action or
    /// step (`lost`).
    #[allow(clippy::too_many_arguments)]
    async fn carry_out(
        &self,
        plan: &mut Plan,
        policy: &Policy,
        fresh: &Estate,
        event: &EventRef,
        lost: &LostLeases,
        now: DateTime<Utc>,
        started: Instant,
        report: &mut RunReport,
    ) -> Result<(), RunError> {
        let acting = acting::Acting {
            runner: self,
            policy,
            fresh,
            event,
            now,
            started,
            lost,
            done: Default::default(),
        };
        for (i, step) in acting.each_resource(&plan.actions).await? {
            let action = &mut plan.actions[i];
            let outcome = match step {
                acting::Step::Refused(refusal) => {
                    action.refused = Some(refusal);
                    continue;
                }
                acting::Step::Done(outcome) => outcome,
            };
            if lost.lease_still_held(&action.identifier).is_err()
                && !report.left_to_others.contains(&action.identifier)
            {
                // Another run holds it now: what is left is that run's.
                report.left_to_others.push(action.identifier.clone());
            }
            if let Outcome::InProgress { detail } = &outcome {
                // A later run carries it on or settles it from what AWS shows.
                report.under_way.insert(action.identifier.clone());
                report
                    .notes
                    .push(format!("{}: {detail}", action.identifier));
            }
            report.outcomes.push(Report {
                action: action.clone(),
                outcome,
            });
        }
        Ok(())
    }

    /// What a run of `trigger` would do at `now`, decided on the run's own
    /// path (observe, the trigger's signals, decide or [`recheck`]) and
    /// acted on by nothing: the plan `tidegate apply` shows before asking.
    /// Writes to the ledger only what the trigger itself records (a spot
    /// warning).
    pub async fn preview(&self, trigger: &Trigger, now: DateTime<Utc>) -> Result<Plan, RunError> {
        let mut report = RunReport::new(&trigger.event, RunStatus::DryRun);
        let history = self.ledger.history(now).await?;
        let (mut plan, _) = self
            .decide(self.policy, trigger, &history, None, None, now, &mut report)
            .await?;
        plan.notes.extend(report.notes);
        Ok(plan)
    }

    /// The resources `plan` would change, less those with a multi-step
    /// change still under way (said in the notes): that change ends first.
    fn not_under_way(&self, plan: &Plan, report: &mut RunReport) -> BTreeSet<String> {
        let mut wanted = BTreeSet::new();
        for a in plan.planned() {
            if report.under_way.contains(&a.identifier) {
                report.notes.push(format!(
                    "{}: {} {} → {} waits: a multi-step change of it is under way",
                    a.identifier, a.knob, a.from, a.to
                ));
            } else {
                wanted.insert(a.identifier.clone());
            }
        }
        wanted
    }
}

/// The run's clock: its `now` plus the time it has been running (tests
/// and replays pass a `now` of their own; the elapsed part is real).
fn clock(now: DateTime<Utc>, started: Instant) -> DateTime<Utc> {
    now + TimeDelta::from_std(started.elapsed()).unwrap_or_default()
}
