//! Prices: the [`PriceBook`] trait the decision core reads (an input, not a
//! call) and its sources: the snapshot built into the binary, and the AWS
//! Price List Query API (`price_list` parses its products; the adapter is
//! `crate::aws::PricingAdapter`, feature `pricing-api`) with the snapshot
//! as per-key fallback in [`LivePriceBook`].

mod cost;
mod live;
mod price_list;
mod run_rate;
mod snapshot;

pub use cost::{
    Cost, CostChange, CostLine, HOURS_PER_MONTH, SPOT_ESTIMATE_FRACTION, Unpriced, hourly_change,
    hourly_cost, monthly,
};
pub use live::{LivePriceBook, PriceSource};
pub use price_list::{
    PriceListAnswer, PriceListError, ProductSpec, Unquoted, answer_from_items, parse_product,
};
pub use run_rate::{RunRate, run_rate};
pub use snapshot::{
    COLUMNS, Column, EMBEDDED_NAME, SERVICES, SnapshotError, SnapshotPriceBook, SnapshotProblem,
};

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

/// A price and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quote {
    /// Price in `unit`.
    pub usd: f64,
    /// `USD/hour`, `USD/ACU-hour`, `USD/GB-month`, ...
    pub unit: String,
    /// Where the number came from.
    pub source: String,
    /// Date of the price data.
    pub as_of: String,
}

/// A source of prices. Implementations do their I/O before the decision;
/// lookups are pure.
pub trait PriceBook {
    /// The price for `key`, if known.
    fn quote(&self, key: &PriceKey) -> Option<Quote>;

    /// A one-line description of the source (shown in reports).
    fn describe(&self) -> String;
}
