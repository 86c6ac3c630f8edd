//! The spot warnings a run reads: the trigger's own warning recorded for its
//! group, then each reacting group's warnings read from the ledger into the
//! signals, as far back as its class looks (`crate::spot`).

use std::collections::BTreeSet;

use chrono::{DateTime, TimeDelta, Utc};

use super::{RunError, Runner, Trigger};
use crate::observe::Observation;
use crate::policy::{Policy, Resource};

impl Runner<'_> {
    /// Records the trigger's spot warning (its group is managed: it was
    /// observed), then reads each reacting group's warnings into the
    /// signals, as far back as its class looks.
    pub(super) async fn read_spot_warnings(
        &self,
        policy: &Policy,
        trigger: &Trigger,
        obs: &mut Observation,
        now: DateTime<Utc>,
    ) -> Result<(), RunError> {
        for member in &obs.estate.members {
            let Some(reaction) = policy
                .resource(&member.policy_id)
                .and_then(|r| r.workload_class.as_ref())
                .and_then(|c| policy.spot_mix.get(c))
                .and_then(|c| c.interruptions.as_ref())
            else {
                continue;
            };
            let lookback = reaction
                .within
                .to_chrono()
                .max(reaction.quiet_period.to_chrono());
            if let Some(w) = &trigger.spot
                && w.group == member.identifier
            {
                let keep = (lookback * 2).max(TimeDelta::days(2));
                self.ledger.record_spot_warning(w, keep).await?;
            }
            let warnings = self
                .ledger
                .spot_warnings(&member.identifier, now - lookback, now)
                .await?;
            obs.signals.spot_warnings.insert(
                member.identifier.clone(),
                warnings.into_iter().map(|w| w.at).collect(),
            );
        }
        Ok(())
    }
}

/// The workload classes that react to spot interruptions.
pub(super) fn reacting_classes(policy: &Policy) -> BTreeSet<&str> {
    policy
        .spot_mix
        .values()
        .filter(|c| c.interruptions.is_some())
        .map(|c| c.name.as_str())
        .collect()
}

/// Whether `resource` is an Auto Scaling group of one of `classes`.
pub(super) fn reacts_to_spot(classes: &BTreeSet<&str>, resource: &Resource) -> bool {
    resource
        .workload_class
        .as_deref()
        .is_some_and(|c| classes.contains(c))
}
