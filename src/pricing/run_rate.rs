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
