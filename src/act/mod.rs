//! Act: carry out a plan's planned actions through the ports, one resource
//! at a time, each idempotent.
//!
//! Before each action the resource is looked up in a fresh observation:
//! already at the target → nothing to do, and the outcome says so; no longer
//! at the plan's starting point → skipped (someone else changed it); busy →
//! skipped. An action AWS rejects fails with the call, the resource and
//! AWS's code and message, and the rest of the plan goes on; later actions
//! on the same resource are skipped.

mod aurora;
mod autoscaling;
mod elasticache;
mod kafka;
mod rds;

use std::collections::HashSet;
use std::time::Duration;

use serde::Serialize;

use crate::aws::AwsError;
use crate::estate::{Estate, Member, Setting, Status};
use crate::observe::Ports;
use crate::plan::{Action, Plan};
use crate::policy::{KnobName, Policy, Resource, ResourceKind};

/// How long to wait between polls, and at most, in multi-step changes
/// (Aurora writer resize).
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// Between two polls.
    pub poll: Duration,
    /// At most, per step.
    pub timeout: Duration,
}

impl Default for Pace {
    fn default() -> Self {
        Pace {
            poll: Duration::from_secs(15),
            timeout: Duration::from_secs(45 * 60),
        }
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
    /// AWS refused or the call failed.
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

/// Carries out `plan`'s planned actions against the resources as `fresh`
/// (an observation taken just before) shows them.
pub async fn apply(
    plan: &Plan,
    policy: &Policy,
    ports: Ports<'_>,
    fresh: &Estate,
    pace: Pace,
) -> Vec<Report> {
    let mut failed: HashSet<String> = HashSet::new();
    let mut reports = Vec::new();
    for action in plan.planned() {
        let outcome = if failed.contains(&action.identifier) {
            Outcome::Skipped {
                why: "an earlier change to this resource failed".to_owned(),
            }
        } else {
            let o = apply_action(action, policy, ports, fresh, pace).await;
            if matches!(o, Outcome::Failed { .. }) {
                failed.insert(action.identifier.clone());
            }
            o
        };
        reports.push(Report {
            action: action.clone(),
            outcome,
        });
    }
    reports
}

/// Carries out one action against the resource as `fresh` shows it: the
/// drift, status and idempotency checks above, then the AWS calls.
pub async fn apply_action(
    action: &Action,
    policy: &Policy,
    ports: Ports<'_>,
    fresh: &Estate,
    pace: Pace,
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
    let result = match action.kind {
        ResourceKind::RdsInstance => rds::apply(action, resource, member, ports).await,
        ResourceKind::AuroraCluster => aurora::apply(action, resource, member, ports, pace).await,
        ResourceKind::ElasticacheRedis => elasticache::apply(action, member, ports).await,
        ResourceKind::MskCluster => kafka::apply(action, member, ports).await,
        ResourceKind::AutoscalingGroup => {
            autoscaling::apply(
                action,
                member,
                refresh(policy, resource, member, action),
                ports,
            )
            .await
        }
    };
    match result {
        Ok(detail) => Outcome::Applied { detail },
        Err(e) => Outcome::Failed {
            error: e.to_string(),
            source: Some(e),
        },
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
