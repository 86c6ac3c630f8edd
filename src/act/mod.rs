//! Act: carry out one planned action through the ports, idempotently. The
//! runner ([`crate::run::Runner`]) calls it for each action of a plan, in
//! turn, around the ledger's intent and outcome.
//!
//! Before each action the resource is looked up in a fresh observation:
//! already at the target → nothing to do, and the outcome says so; no longer
//! at the plan's starting point → skipped (someone else changed it); busy →
//! skipped. An action AWS rejects fails with the call, the resource and
//! AWS's code and message (the runner goes on with the rest of the plan and
//! skips later actions on the same resource).
//!
//! An error does not say what AWS did: an answer lost after AWS carried the
//! call out looks like any other failure (and the SDK's retry then hears
//! "already done"). So after an error the resource is read back
//! ([`readback`]): at the target, the change is applied; busy, AWS may still
//! be carrying it out and a later run settles it; only an unmet intent is a
//! failure.
//!
//! A change of several steps (the Aurora writer resize) records its steps
//! through a [`Journal`] before taking each, goes as far as the run's
//! deadline allows ([`Pace::deadline`]), and is carried on by a later run
//! from the recorded step ([`resume`]).

mod aurora;
mod autoscaling;
mod elasticache;
mod kafka;
mod rds;
mod readback;
pub mod tap;

use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::Serialize;

use crate::estate::{Estate, Member, Setting, Status};
use crate::ledger::Steps;
use crate::observe::Ports;
use crate::plan::Action;
use crate::policy::{KnobName, Policy, Resource, ResourceKind};
use crate::ports::AwsError;

/// How long to wait between polls, and at most, in multi-step changes
/// (Aurora writer resize).
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// Between two polls.
    pub poll: Duration,
    /// At most, per step and run: a step still under way then is left to a
    /// later run.
    pub timeout: Duration,
    /// When the run must stop waiting (a Lambda's end, less a margin): a
    /// multi-step change goes no further, its steps stay recorded, and a
    /// later run carries it on. None: wait (the CLI).
    pub deadline: Option<Instant>,
}

impl Default for Pace {
    fn default() -> Self {
        Pace {
            poll: Duration::from_secs(15),
            timeout: Duration::from_secs(45 * 60),
            deadline: None,
        }
    }
}

impl Pace {
    /// True once the deadline has passed.
    pub fn out_of_time(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

/// Where a multi-step change records its steps: over its open intent in
/// the action log, before each step is taken.
#[async_trait]
pub trait Journal: Send + Sync {
    /// Records `steps` as they stand now. An error stops the change before
    /// its next step (nothing unrecorded is done).
    async fn record(&self, steps: &Steps) -> Result<(), String>;
}

/// A journal that keeps nothing, for callers without an action log (tests
/// of one kind's changes): a change is carried out in one go or stops.
pub struct NoJournal;

#[async_trait]
impl Journal for NoJournal {
    async fn record(&self, _steps: &Steps) -> Result<(), String> {
        Ok(())
    }
}

/// What happened to one action.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Outcome {
    /// AWS accepted the change.
    Applied {
        /// The calls made, for the operator.
        detail: String,
    },
    /// The resource was already at the target: nothing to do.
    AlreadyInEffect,
    /// Not attempted, and why.
    Skipped {
        /// Why.
        why: String,
    },
    /// Under way: a multi-step change that stopped at the run's deadline,
    /// or a change whose answer was lost while AWS shows the resource busy.
    /// Its intent stays open; a later run carries it on or settles it from
    /// what AWS shows then.
    InProgress {
        /// How far it got, for the operator.
        detail: String,
    },
    /// AWS refused or the call failed, and reading the resource back shows
    /// the change did not take effect.
    Failed {
        /// The error, as the operator should read it.
        error: String,
        /// The classified error.
        #[serde(skip)]
        source: Option<AwsError>,
    },
}

/// One action and its outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The action.
    pub action: Action,
    /// What happened.
    pub outcome: Outcome,
}

/// Carries out one action against the resource as `fresh` shows it: the
/// drift, status and idempotency checks above, then the AWS calls. A
/// multi-step change records nothing and runs to its end or stops: see
/// [`apply_recorded`].
pub async fn apply_action(
    action: &Action,
    policy: &Policy,
    ports: Ports<'_>,
    fresh: &Estate,
    pace: Pace,
) -> Outcome {
    apply_recorded(action, policy, ports, fresh, pace, &NoJournal).await
}

/// [`apply_action`], with a multi-step change's steps recorded in `journal`
/// before each is taken.
pub async fn apply_recorded(
    action: &Action,
    policy: &Policy,
    ports: Ports<'_>,
    fresh: &Estate,
    pace: Pace,
    journal: &dyn Journal,
) -> Outcome {
    let Some(member) = fresh
        .members
        .iter()
        .find(|m| m.identifier == action.identifier && m.kind == action.kind)
    else {
        return Outcome::Skipped {
            why: format!("{} was not found when applying", action.identifier),
        };
    };
    let Some(resource) = policy.resource(&action.policy_id) else {
        return Outcome::Skipped {
            why: format!("policy resource {} is gone", action.policy_id),
        };
    };
    let current = current_setting(member, action.knob);
    if current.as_ref() == Some(&action.to) {
        return Outcome::AlreadyInEffect;
    }
    if current.as_ref() != Some(&action.from) {
        return Outcome::Skipped {
            why: format!(
                "changed since the plan: expected {} {}, found {}",
                action.knob,
                action.from,
                current.map_or_else(|| "nothing".to_owned(), |c| c.to_string())
            ),
        };
    }
    let startable = member.status == Status::Stopped && action.knob == KnobName::Power;
    if (member.status != Status::Available && !startable) || member.pending_changes {
        return Outcome::Skipped {
            why: format!(
                "{} is {}{}",
                member.label(),
                member.status,
                if member.pending_changes {
                    " with pending modifications"
                } else {
                    ""
                }
            ),
        };
    }
    let applied = |detail| Outcome::Applied { detail };
    let tapped = tap::Tapped::new(ports, tap::Count::default());
    let result = {
        let ports = tapped.ports();
        match action.kind {
            ResourceKind::RdsInstance => rds::apply(action, resource, member, ports)
                .await
                .map(applied),
            ResourceKind::AuroraCluster => {
                aurora::apply(action, resource, member, ports, pace, journal).await
            }
            ResourceKind::ElasticacheRedis => {
                elasticache::apply(action, member, ports).await.map(applied)
            }
            ResourceKind::MskCluster => kafka::apply(action, member, ports).await.map(applied),
            ResourceKind::AutoscalingGroup => autoscaling::apply(
                action,
                member,
                refresh(policy, resource, member, action),
                ports,
            )
            .await
            .map(applied),
        }
    };
    match result {
        Ok(outcome) => outcome,
        // Refused before any call: nothing to read back.
        Err(e) if tapped.tap.sent() == 0 => failed(e),
        // The writer resize reads each step back itself.
        Err(e) if action.knob == KnobName::WriterClass => failed(e),
        Err(e) => readback::after_error(action, policy, resource, ports, e).await,
    }
}

/// Carries on a multi-step change an earlier run recorded (`steps`) and
/// left unfinished, from its first step not done, as far as `pace` allows.
pub async fn resume(
    action: &Action,
    steps: &Steps,
    ports: Ports<'_>,
    pace: Pace,
    journal: &dyn Journal,
) -> Outcome {
    match aurora::resume(action, steps, ports, pace, journal).await {
        Ok(outcome) => outcome,
        Err(e) => failed(e),
    }
}

fn failed(e: AwsError) -> Outcome {
    Outcome::Failed {
        error: e.to_string(),
        source: Some(e),
    }
}

/// The member's current value of `knob` (the spot mix lives beside the
/// knobs).
pub fn current_setting(member: &Member, knob: KnobName) -> Option<Setting> {
    match knob {
        // A group without a mix is compared as all on-demand, as the plan
        // described it.
        KnobName::SpotMix => Some(Setting::Mix(member.spot_mix_or_on_demand())),
        other => member.settings.get(&other).cloned(),
    }
}

/// The minimum healthy percent of the instance refresh to start after
/// `action` (a spot-mix change that adds instance types, for a class that
/// asks for refreshes), if any.
fn refresh(policy: &Policy, resource: &Resource, member: &Member, action: &Action) -> Option<u32> {
    let Setting::Mix(to) = &action.to else {
        return None;
    };
    let class = policy.spot_mix.get(resource.workload_class.as_deref()?)?;
    crate::spot::refresh_to_start(class, member.spot_mix.as_ref(), to)
}
