//! The price flags `plan`, `apply` and `prices show` share. Apart from
//! `prices.rs` so that `live.rs` can take them without a circle through
//! `prices`.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use tidegate::aws::PricingAdapter;
use tidegate::ledger::PriceCache;
use tidegate::observe::{PriceApi, PriceSources, price_book};
use tidegate::policy::Policy;
use tidegate::pricing::{LivePriceBook, SnapshotPriceBook};

/// Where plan and apply take prices from.
#[derive(Debug, clap::Args)]
pub struct PriceFlags {
    /// Do not ask the AWS Price List Query API: price from the ledger's
    /// price cache (its last answer, of any age) and the fallback snapshot.
    #[arg(long)]
    pub offline: bool,
    /// Fall back on this snapshot CSV (e.g. one written by `tidegate prices
    /// refresh`) instead of the built-in us-east-1 snapshot.
    #[arg(long, value_name = "FILE")]
    pub price_snapshot: Option<PathBuf>,
    /// Region of the Price List Query API endpoint (it is served from
    /// us-east-1, eu-central-1 and ap-south-1, whatever the estate's region).
    #[arg(long, value_name = "REGION", default_value = "us-east-1")]
    pub pricing_region: String,
}

impl PriceFlags {
    /// The snapshot to fall back on.
    pub fn fallback(&self) -> anyhow::Result<SnapshotPriceBook> {
        crate::snapshot::snapshot(self.price_snapshot.as_deref())
    }

    /// The book a plan of `policy` is priced with: the API (unless
    /// `--offline` or the policy turns it off) through `cache`, then the
    /// fallback snapshot. Where the prices come from is said once, by the
    /// plan's `Prices:` line (and its JSON `prices`), not here too.
    pub async fn book(
        &self,
        policy: &Policy,
        sdk: &aws_config::SdkConfig,
        cache: Option<&dyn PriceCache>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<LivePriceBook> {
        let adapter =
            PricingAdapter::new(&tidegate::aws::pricing_config(sdk, &self.pricing_region));
        let api = if self.offline {
            PriceApi::offline()
        } else {
            PriceApi::for_policy(policy, &adapter)
        };
        let sources = PriceSources {
            api,
            cache,
            fallback: self.fallback()?,
        };
        Ok(price_book(policy, None, sources, now).await)
    }
}
