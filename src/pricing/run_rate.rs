//! The estate's live run-rate: what it costs per hour as observed, the
//! figure a budget forecast extends to the end of its period.

use std::collections::{BTreeMap, BTreeSet};

use crate::estate::Estate;
use crate::policy::Policy;
use crate::pricing::{Origin, PriceBook, PriceKey, hourly_cost};

/// What the observed estate costs per hour.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunRate {
    /// USD per hour of every member that could be priced.
    pub usd_per_hour: f64,
    /// Members left out, with why (a missing price understates the rate).
    pub unpriced: Vec<String>,
    /// Where the prices came from: one line per origin and date, e.g.
    /// `Pricing API, as of 2026-11-01 (4 prices)`.
    pub sources: Vec<String>,
}

/// Prices every member of `estate` as it stands.
pub fn run_rate(policy: &Policy, estate: &Estate, prices: &dyn PriceBook) -> RunRate {
    let mut rate = RunRate::default();
    let mut used: BTreeMap<(Origin, String), BTreeSet<PriceKey>> = BTreeMap::new();
    for member in &estate.members {
        let Some(resource) = policy.resource(&member.policy_id) else {
            continue;
        };
        match hourly_cost(
            resource,
            &member.settings,
            member.multi_az,
            member.spot_mix.as_ref(),
            prices,
        ) {
            Ok(cost) => {
                rate.usd_per_hour += cost.usd_per_hour;
                for line in cost.lines {
                    let at = (line.quote.origin, line.quote.as_of);
                    used.entry(at).or_default().insert(line.key);
                }
            }
            Err(why) => rate.unpriced.push(format!("{}: {why}", member.identifier)),
        }
    }
    rate.sources = used
        .into_iter()
        .map(|((origin, as_of), keys)| format!("{origin}, as of {as_of} ({} prices)", keys.len()))
        .collect();
    rate
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::estate::{Member, Setting, Status};
    use crate::policy::KnobName;
    use crate::pricing::{LivePriceBook, SnapshotPriceBook};

    #[test]
    fn the_run_rate_names_where_its_prices_came_from() {
        let policy = crate::policy::load_str(
            include_str!("../../policies/minimal.yaml"),
            "policies/minimal.yaml",
        )
        .expect("policy");
        let db = &policy.resources[0];
        let member = Member {
            policy_id: db.id.clone(),
            identifier: "app-db".into(),
            kind: db.kind,
            status: Status::Available,
            pending_changes: false,
            settings: BTreeMap::from([(
                KnobName::InstanceClass,
                Setting::Class("db.r6g.large".into()),
            )]),
            multi_az: false,
            spot_mix: None,
            storage_used_percent: None,
            storage: None,
            tags: BTreeMap::new(),
            parts: Vec::new(),
        };
        let estate = Estate {
            members: vec![member],
        };
        let book = LivePriceBook::snapshot_only(
            "us-east-1",
            "offline".into(),
            false,
            SnapshotPriceBook::embedded(),
        );
        let rate = run_rate(&policy, &estate, &book);
        assert!(rate.usd_per_hour > 0.0, "{rate:?}");
        assert_eq!(rate.sources, ["snapshot, as of 2024-09-28 (1 prices)"]);
    }
}
