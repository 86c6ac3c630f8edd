//! observe → decide → act without the ledger, for single callers (tests,
//! embedding), and the SDK adapters. The CLI's `plan` and `apply` and the
//! Lambdas go through [`crate::run::Runner`]. The only place that reads the clock's
//! value into the pure core is the caller, which passes `now` in.

use chrono::{DateTime, Utc};

use crate::act::{self, Pace, Report};
use crate::aws::{
    AutoScalingAdapter, AwsError, CloudWatchAdapter, ElastiCacheAdapter, KafkaAdapter, RdsAdapter,
};
use crate::decide::{Inputs, decide};
use crate::ledger::{History, PastAction};
use crate::observe::{self, Observation, Ports};
use crate::plan::Plan;
use crate::policy::Policy;
use crate::pricing::PriceBook;

/// One SDK adapter per port, built once from one SDK configuration.
pub struct Adapters {
    rds: RdsAdapter,
    elasticache: ElastiCacheAdapter,
    kafka: KafkaAdapter,
    autoscaling: AutoScalingAdapter,
    cloudwatch: CloudWatchAdapter,
}

impl Adapters {
    /// Builds every adapter from `config` (clients are cheap; the config is not).
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Adapters {
            rds: RdsAdapter::new(config),
            elasticache: ElastiCacheAdapter::new(config),
            kafka: KafkaAdapter::new(config),
            autoscaling: AutoScalingAdapter::new(config),
            cloudwatch: CloudWatchAdapter::new(config),
        }
    }

    /// The ports, borrowed.
    pub fn ports(&self) -> Ports<'_> {
        Ports {
            rds: &self.rds,
            elasticache: &self.elasticache,
            kafka: &self.kafka,
            autoscaling: &self.autoscaling,
            cloudwatch: &self.cloudwatch,
        }
    }
}

/// Observes the estate and decides what should change at `now`.
pub async fn plan(
    policy: &Policy,
    ports: Ports<'_>,
    prices: &dyn PriceBook,
    history: &History,
    now: DateTime<Utc>,
) -> Result<(Plan, Observation), AwsError> {
    let observation = observe::observe(policy, ports, now).await;
    if let Some(e) = observation.blind() {
        return Err(e.clone());
    }
    let mut plan = decide(&Inputs {
        policy,
        estate: &observation.estate,
        signals: &observation.signals,
        history,
        prices,
        now,
    });
    plan.notes.extend(observation.notes.iter().cloned());
    Ok((plan, observation))
}

/// Carries `plan` out against a fresh observation (so a change that already
/// took effect is reported as such, not made twice), and records what was
/// applied into `history`. No leases, no action log: for a single caller
/// that holds the whole history in memory (tests, embedding). The CLI and
/// the Lambdas go through [`crate::run::Runner`].
pub async fn apply(
    plan: &Plan,
    policy: &Policy,
    ports: Ports<'_>,
    history: &mut History,
    pace: Pace,
    now: DateTime<Utc>,
) -> Result<Vec<Report>, AwsError> {
    let fresh = observe::observe(policy, ports, now).await;
    if let Some(e) = fresh.blind() {
        return Err(e.clone());
    }
    let reports = act::apply(plan, policy, ports, &fresh.estate, pace).await;
    for r in &reports {
        if matches!(r.outcome, act::Outcome::Applied { .. }) {
            history.actions.push(PastAction {
                identifier: r.action.identifier.clone(),
                knob: r.action.knob,
                direction: r.action.direction,
                at: now,
            });
        }
    }
    if plan.emergency {
        history.emergency_since.get_or_insert(now);
    } else {
        history.emergency_since = None;
    }
    Ok(reports)
}
