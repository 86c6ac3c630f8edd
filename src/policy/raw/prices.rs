//! The `prices` block: where prices come from.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::default_true;
use crate::policy::Span;

/// Where the prices in plans, budget forecasts and backtests come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PricesSpec {
    /// Ask the AWS Price List Query API for the estate's region (default
    /// true). Its answer is cached in the ledger; when it cannot be reached,
    /// or with `false`, prices come from that cache and the built-in
    /// snapshot, and plans say so.
    #[serde(default = "default_true")]
    pub pricing_api: bool,
    /// How long an answer of the Pricing API is used before it is asked
    /// again (default `24h`; at most `30d`). AWS changes list prices rarely.
    #[serde(default)]
    pub cache_ttl: Option<Span>,
    /// Price spot capacity as on-demand less this percent (e.g. `65`),
    /// labelled as an estimate in plans. Without it, the built-in
    /// snapshot's spot prices are used (one window in 2022), else 35% of
    /// on-demand. The Pricing API publishes no spot prices.
    #[serde(default)]
    pub spot_discount_percent: Option<f64>,
}
