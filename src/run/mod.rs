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
mod journal;
mod lease;
mod reconcile;
mod spot;
mod trigger;

#[cfg(all(test, feature = "test-util"))]
mod lease_tests;
#[cfg(all(test, feature = "test-util"))]
mod resume_tests;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};

pub use trigger::{Scope, Trigger};

use crate::act::{Outcome, Pace, Report};
use crate::aws::AwsError;
use crate::budget;
use crate::decide::{Inputs, decide, recheck};
use crate::estate::Estate;
use crate::ledger::{Claim, EventRef, History, Ledger, LedgerError, LimitEpisode, LogEntry};
use crate::notify::{self, Notice};
use crate::observe::{self, Observation, Ports};
use crate::plan::{Action, BudgetLevel, Cause, LimitSide, Plan};
use crate::policy::Policy;
use crate::ports::NotifyPort;
use crate::pricing::{PriceBook, run_rate};

use self::lease::LostLeases;
use self::spot::{reacting_classes, reacts_to_spot};

/// Where a budget run's actual spend comes from, as standings name it.
const SPEND_SOURCE: &str =
    "spend: Cost Explorer, unblended, whole account; forecast adds the estate's run-rate";

/// How long things last.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// A resource lease. Short: a live run renews its leases every quarter
    /// of this (a heartbeat while it acts), so it keeps them however long
    /// it runs, and a dead run's leases lapse within this, after which the
    /// next run reconciles what it left unfinished.
    pub lease: TimeDelta,
    /// Polling in multi-step changes.
    pub pace: Pace,
    /// An unfinished event claim older than this belongs to a run that
    /// died: a re-delivery may take it over.
    pub claim_stale_after: TimeDelta,
    /// How long a handled event is remembered (re-deliveries come within
    /// minutes; a day is ample).
    pub claim_keep: TimeDelta,
    /// How far back open intents are looked for. A dead run's intent is
    /// found by the next run, minutes later; two days also cover a
    /// resource that stays busy long after.
    pub reconcile_within: TimeDelta,
    /// Where a multi-step change's progress is shown as each step is
    /// recorded (the CLI prints it); None: nowhere.
    pub progress: Option<fn(&str)>,
    /// Told before each planned action is carried out: its number (from
    /// 1), how many are planned, and the action (the CLI's progress); None:
    /// nobody.
    pub on_action: Option<fn(usize, usize, &Action)>,
    /// The caller's deadline for the run (a Lambda's, less a margin), if it
    /// has one; the policy's `guardrails.timeouts.run` bounds it anyway.
    pub deadline: Option<Instant>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            lease: TimeDelta::minutes(2),
            pace: Pace::default(),
            claim_stale_after: TimeDelta::minutes(20),
            claim_keep: TimeDelta::days(1),
            reconcile_within: TimeDelta::days(2),
            progress: None,
            on_action: None,
            deadline: None,
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "why")]
pub enum RunStatus {
    /// Decided, and acted on what was planned.
    Done,
    /// The event was handled before (or is being handled now).
    Duplicate,
    /// Nothing in the policy answers this event.
    Ignored(String),
    /// The policy is in dry-run mode: planned, nothing acted on.
    DryRun,
}

/// What a run did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunReport {
    /// The event answered.
    pub event: EventRef,
    /// How it ended.
    pub status: RunStatus,
    /// The plan acted on (the one decided under the leases), if any.
    pub plan: Option<Plan>,
    /// Each planned action's outcome.
    pub outcomes: Vec<Report>,
    /// Intents of earlier runs settled by this one.
    pub reconciled: Vec<LogEntry>,
    /// Resources with a multi-step change still under way after this run
    /// (it carried them on as far as it could): nothing else is decided
    /// for them until it ends.
    pub under_way: BTreeSet<String>,
    /// Notices sent (or attempted).
    pub notices: Vec<Notice>,
    /// Things the operator should know.
    pub notes: Vec<String>,
    /// Resources with planned changes left undone because another live
    /// run holds their lease (the CLI exits non-zero for these).
    pub left_to_others: Vec<String>,
    /// Time spent in the decision core, milliseconds.
    pub decide_ms: f64,
}

impl RunReport {
    fn new(event: &EventRef, status: RunStatus) -> Self {
        RunReport {
            event: event.clone(),
            status,
            plan: None,
            outcomes: Vec::new(),
            reconciled: Vec::new(),
            under_way: BTreeSet::new(),
            notices: Vec::new(),
            notes: Vec::new(),
            left_to_others: Vec::new(),
            decide_ms: 0.0,
        }
    }

    /// Actions AWS accepted.
    pub fn applied(&self) -> impl Iterator<Item = &Report> {
        self.outcomes
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Applied { .. }))
    }

    /// Actions that failed.
    pub fn failed(&self) -> impl Iterator<Item = &Report> {
        self.outcomes
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Failed { .. }))
    }

    /// Actions the guards held back.
    pub fn refused(&self) -> usize {
        self.plan.as_ref().map_or(0, |p| p.refused().count())
    }
}

/// Why a run stopped before its end. Nothing is acted on after either:
/// without the ledger tidegate cannot promise cooldowns or leases, and
/// without a complete observation it does not decide.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The ledger could not be read or written.
    #[error("ledger: {0}")]
    Ledger(LedgerError),
    /// Observing the estate failed.
    #[error("observing the estate: {0}")]
    Aws(AwsError),
    /// The run's deadline passed before it finished.
    #[error(
        "the run's deadline passed after {}: stopped; an unfinished change is settled by the next run",
        deadline::shown(.after)
    )]
    Deadline {
        /// How long the run had.
        after: std::time::Duration,
    },
}

impl From<LedgerError> for RunError {
    fn from(e: LedgerError) -> Self {
        RunError::Ledger(e)
    }
}

// By hand rather than `#[from]`: the message already carries the cause,
// and a `source` too would print it twice in an error chain.
impl From<AwsError> for RunError {
    fn from(e: AwsError) -> Self {
        RunError::Aws(e)
    }
}

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

    /// Takes the lease of each resource in `wanted`; the ones another run
    /// holds are left to it (said so in the notes, and listed in
    /// [`RunReport::left_to_others`]).
    async fn take_leases(
        &self,
        wanted: &BTreeSet<String>,
        now: DateTime<Utc>,
        started: Instant,
        report: &mut RunReport,
    ) -> Result<BTreeSet<String>, RunError> {
        let mut leased = BTreeSet::new();
        let at = clock(now, started);
        for id in wanted {
            if self
                .ledger
                .take_lease(id, self.holder, at, at + self.settings.lease)
                .await?
            {
                leased.insert(id.clone());
            } else {
                report.notes.push(format!(
                    "{id}: another run holds its lease; its changes are left undone, to that run"
                ));
                report.left_to_others.push(id.clone());
            }
        }
        Ok(leased)
    }

    /// Runs `work` while renewing `leased` every quarter lease, so a run
    /// that acts for longer than one lease keeps its leases (and a run
    /// that dies stops renewing them: they lapse within one lease). A lease
    /// found lost (it lapsed and another run took it) goes into `lost`.
    async fn with_heartbeat<T>(
        &self,
        leased: &BTreeSet<String>,
        now: DateTime<Utc>,
        started: Instant,
        lost: &LostLeases,
        work: impl std::future::Future<Output = T>,
    ) -> T {
        let every = (self.settings.lease / 4)
            .to_std()
            .unwrap_or(Duration::from_secs(30))
            .max(Duration::from_millis(10));
        let mut work = std::pin::pin!(work);
        loop {
            tokio::select! {
                out = &mut work => return out,
                () = tokio::time::sleep(every), if !leased.is_empty() => {
                    self.renew_leases(leased, clock(now, started), lost).await;
                }
            }
        }
    }

    /// One heartbeat: extends each lease still held to `at` + one lease.
    async fn renew_leases(&self, leased: &BTreeSet<String>, at: DateTime<Utc>, lost: &LostLeases) {
        for id in leased {
            if lost.lease_still_held(id).is_err() {
                continue;
            }
            match self
                .ledger
                .take_lease(id, self.holder, at, at + self.settings.lease)
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    lost.lose(id);
                    tracing::warn!(
                        resource = %id,
                        holder = self.holder,
                        "Lease lost: another run took it over after it lapsed; nothing more is started on it."
                    );
                }
                Err(e) => tracing::warn!(
                    resource = %id,
                    error = %e,
                    "Lease not renewed; tried again at the next heartbeat."
                ),
            }
        }
    }

    /// Gives the leases back. One that cannot be released expires on its
    /// own: said in `notes` rather than failing the run.
    async fn release_leases(&self, leased: &BTreeSet<String>, notes: &mut Vec<String>) {
        for id in leased {
            if let Err(e) = self.ledger.release_lease(id, self.holder).await {
                notes.push(format!(
                    "{id}: lease not released ({e}); it expires by itself"
                ));
            }
        }
    }

    /// Latches, notices, and the plan into the report.
    async fn finish(
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

/// The run's clock: its `now` plus the time it has been running (tests
/// and replays pass a `now` of their own; the elapsed part is real).
fn clock(now: DateTime<Utc>, started: Instant) -> DateTime<Utc> {
    now + TimeDelta::from_std(started.elapsed()).unwrap_or_default()
}
