//! Prices: the [`PriceBook`] trait the decision core reads (an input, not a
//! call) and its sources: the snapshot built into the binary, and the AWS
//! Price List Query API (`price_list` parses its products; the adapter is
//! `crate::aws::PricingAdapter`) with its answer cached between runs
//! ([`CachedPrices`]) and the snapshot as per-key fallback in
//! [`LivePriceBook`]. [`wanted_keys`] says which prices a policy needs.
//! Every [`Quote`] names its [`Origin`] and date, so plans, budget
//! forecasts and backtests can say where each figure came from.

mod acu;
mod cache;
mod cost;
mod live;
mod price_list;
mod run_rate;
mod snapshot;
mod wanted;

pub use acu::{at_running_acu, readers, running_acu};
pub use cache::{CachedPrices, CachedQuote, CachedUnpriced};
pub use cost::{
    Cost, CostChange, CostLine, HOURS_PER_MONTH, SPOT_ESTIMATE_FRACTION, Unpriced, hourly_change,
    hourly_cost, monthly,
};
pub use live::{LivePriceBook, Standing};
pub use price_list::{
    PriceListAnswer, PriceListError, ProductSpec, Unquoted, answer_from_items, parse_product,
};
pub use run_rate::{RunRate, run_rate};
pub use snapshot::{
    COLUMNS, Column, EMBEDDED_NAME, SERVICES, SnapshotError, SnapshotPriceBook, SnapshotProblem,
    to_csv,
};
pub use wanted::wanted_keys;

use serde::Serialize;

/// Which price to look up.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PriceKey {
    /// `ec2`, `rds`, `aurora`, `elasticache`, `msk`.
    pub service: &'static str,
    /// Instance type, or `storage` / `acu` style pseudo-types as the CSV has them.
    pub instance_type: String,
    /// Engine column (`postgresql`, `aurora-mysql`, `redis`, `linux`, ...).
    pub engine: String,
    /// Deployment column (`single-az`, `multi-az`, `node`, `broker`, ...).
    pub deployment: String,
}

impl PriceKey {
    /// The key of `service`'s `instance_type` price for `engine` and
    /// `deployment` (the snapshot's columns).
    pub fn new(service: &'static str, instance_type: &str, engine: &str, deployment: &str) -> Self {
        PriceKey {
            service,
            instance_type: instance_type.to_string(),
            engine: engine.to_string(),
            deployment: deployment.to_string(),
        }
    }
}

/// A price and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quote {
    /// Price in `unit`.
    pub usd: f64,
    /// `USD/hour`, `USD/ACU-hour`, `USD/GB-month`, ...
    pub unit: String,
    /// Which kind of source gave it.
    pub origin: Origin,
    /// Where the number came from, in detail (SKU, file, row source).
    pub source: String,
    /// Date of the price data (`YYYY-MM-DD`).
    pub as_of: String,
}

/// The kind of source a [`Quote`] came from, as plans name it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The Price List Query API, asked during this run.
    Api,
    /// The Price List Query API's answer of an earlier run, from the cache
    /// in the ledger.
    Cache,
    /// A CSV snapshot (the built-in one or a file).
    Snapshot,
    /// Not a list price: derived from one (spot as a share of on-demand).
    Estimate,
}

impl Origin {
    /// The name plans and reports give it.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Api => "Pricing API",
            Origin::Cache => "price cache",
            Origin::Snapshot => "snapshot",
            Origin::Estimate => "estimate",
        }
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A source of prices. Implementations do their I/O before the decision;
/// lookups are pure.
pub trait PriceBook {
    /// The price for `key`, if known.
    fn quote(&self, key: &PriceKey) -> Option<Quote>;

    /// A one-line description of the source (shown in reports).
    fn describe(&self) -> String;

    /// What an operator must know about these prices before trusting a
    /// figure (the API could not be reached, a cache is stale, ...): plans
    /// list them among their notes. None by default.
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }
}
