//! What one resource costs per hour during one replayed interval, from the
//! price book through [`crate::pricing::hourly_cost`]. Pure.
//!
//! One departure from the list-price model: Aurora Serverless v2 bills the
//! ACUs an instance runs at, not its minimum. When the backtest knows the
//! demand, each instance runs at demand ÷ instances, rounded up to the
//! 0.5-ACU step Aurora scales in and held between the minimum and maximum
//! ACU in force; the interval is priced with the range pinned there. Without
//! demand (no trace) it is priced at the minimum, as the list model does.

use std::collections::BTreeMap;

use crate::estate::Setting;
use crate::policy::{KnobName, Resource, SpotMix};
use crate::pricing::{PriceBook, PriceKey, Quote, Unpriced, hourly_cost};

/// The cost model in the words the report uses.
pub const COST_MODEL: &str = "list prices of the settings in force, per 5-minute interval; Auto Scaling groups at their workload class's spot mix (static peak too); Serverless v2 at the ACUs it runs at (demand ÷ instances in 0.5-ACU steps, within the min–max in force); storage only where the mapping gives a size";

/// Memoises hourly costs per configuration: settings change far less often
/// than the replay asks.
#[derive(Debug, Default)]
pub struct CostCache {
    entries: Vec<(BTreeMap<KnobName, Setting>, Option<SpotMix>, f64)>,
    /// Every price used, so the report can name where each came from.
    used: BTreeMap<PriceKey, Quote>,
}

/// Entries kept before the cache starts over (a few hundred configurations
/// is more than any shipped replay visits).
const CACHE_LIMIT: usize = 512;

impl CostCache {
    /// USD per hour of `resource` at `settings`, with `demand` capacity units
    /// when the trace gives one (see the module docs).
    pub fn hourly(
        &mut self,
        resource: &Resource,
        settings: &BTreeMap<KnobName, Setting>,
        spot_mix: Option<&SpotMix>,
        demand: Option<f64>,
        prices: &dyn PriceBook,
    ) -> Result<f64, Unpriced> {
        let billed = billed_settings(resource, settings, demand);
        let settings = billed.as_ref().unwrap_or(settings);
        if let Some((_, _, usd)) = self
            .entries
            .iter()
            .find(|(s, m, _)| s == settings && m.as_ref() == spot_mix)
        {
            return Ok(*usd);
        }
        let cost = hourly_cost(resource, settings, resource.multi_az, spot_mix, prices)?;
        for line in cost.lines {
            self.used.entry(line.key).or_insert(line.quote);
        }
        let usd = cost.usd_per_hour;
        if self.entries.len() >= CACHE_LIMIT {
            self.entries.clear();
        }
        self.entries
            .push((settings.clone(), spot_mix.cloned(), usd));
        Ok(usd)
    }

    /// Every price used so far, by key.
    pub fn used(&self) -> &BTreeMap<PriceKey, Quote> {
        &self.used
    }
}

/// For a Serverless v2 cluster with known demand, the settings with the
/// ACU range pinned at what each instance runs at; None otherwise.
fn billed_settings(
    resource: &Resource,
    settings: &BTreeMap<KnobName, Setting>,
    demand: Option<f64>,
) -> Option<BTreeMap<KnobName, Setting>> {
    crate::pricing::at_running_acu(resource, settings, demand?)
}
