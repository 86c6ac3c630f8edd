//! The [`PriceBook`] the CLI and the Lambdas price with: the Price List
//! Query API's quotes (asked during this run, or cached by an earlier one),
//! and, key by key, a snapshot where those have none. Pure: the API's
//! answer or the cache is fetched before (see `crate::observe::prices`);
//! lookups do no I/O.
//!
//! Every quote names its [`Origin`] and date: an API quote's source is
//! `aws-pricing-api:<service code>:<sku>` with the product's publication
//! date; a cached one adds when it was fetched; a snapshot one is
//! `snapshot <name>: <row source>` with the row's date. When the policy
//! states a spot discount, spot prices are that share of on-demand, labelled
//! as an [`Origin::Estimate`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::cache::CachedPrices;
use super::price_list::PriceListAnswer;
use super::{Origin, PriceBook, PriceKey, Quote, SnapshotPriceBook};

/// Where the book's primary prices come from, and what went wrong getting
/// them.
#[derive(Debug, Clone, PartialEq)]
pub enum Standing {
    /// The API answered during this run.
    Api {
        /// When.
        fetched_at: DateTime<Utc>,
    },
    /// The cache of an earlier run's answer.
    Cache {
        /// When that run asked the API.
        fetched_at: DateTime<Utc>,
        /// Why not the API now: None when the cache was fresh (by design),
        /// else the failed call or the reason the API was not asked.
        api_not_used: Option<String>,
    },
    /// Neither the API nor a cache: every price is the snapshot's.
    SnapshotOnly {
        /// Why: the failed call, or why the API was not asked.
        why: String,
        /// True when the API was asked and failed (a warning), false when
        /// it was not asked on purpose (offline).
        failed: bool,
    },
}

/// The API's (or the cache's) quotes where there is one, the snapshot's
/// elsewhere.
#[derive(Debug, Clone, PartialEq)]
pub struct LivePriceBook {
    region: String,
    primary: BTreeMap<PriceKey, Quote>,
    unquoted: BTreeMap<PriceKey, String>,
    standing: Standing,
    fallback: SnapshotPriceBook,
    spot_discount_percent: Option<f64>,
}

impl LivePriceBook {
    /// A book on the API's `answer` for `region`, fetched at `fetched_at`.
    pub fn from_api(
        region: &str,
        answer: PriceListAnswer,
        fetched_at: DateTime<Utc>,
        fallback: SnapshotPriceBook,
    ) -> Self {
        LivePriceBook {
            region: region.to_string(),
            primary: answer.quotes,
            unquoted: answer
                .unpriced
                .into_iter()
                .map(|(k, why)| (k, why.to_string()))
                .collect(),
            standing: Standing::Api { fetched_at },
            fallback,
            spot_discount_percent: None,
        }
    }

    /// A book on an earlier answer kept in the cache. `api_not_used` is None
    /// when the cache was fresh, else why the API could not stand in for it.
    pub fn from_cache(
        cache: &CachedPrices,
        api_not_used: Option<String>,
        fallback: SnapshotPriceBook,
    ) -> Self {
        LivePriceBook {
            region: cache.region.clone(),
            primary: cache.quotes(),
            unquoted: cache.unpriced(),
            standing: Standing::Cache {
                fetched_at: cache.fetched_at,
                api_not_used,
            },
            fallback,
            spot_discount_percent: None,
        }
    }

    /// A book on the snapshot alone: the API failed (`failed`) or was not
    /// asked, for the reason `why`, and there is no cache.
    pub fn snapshot_only(
        region: &str,
        why: String,
        failed: bool,
        fallback: SnapshotPriceBook,
    ) -> Self {
        LivePriceBook {
            region: region.to_string(),
            primary: BTreeMap::new(),
            unquoted: BTreeMap::new(),
            standing: Standing::SnapshotOnly { why, failed },
            fallback,
            spot_discount_percent: None,
        }
    }

    /// Prices spot as on-demand less `percent` (the policy's
    /// `prices.spot_discount_percent`), labelled as an estimate, instead of
    /// the snapshot's spot rows.
    pub fn with_spot_discount(mut self, percent: Option<f64>) -> Self {
        self.spot_discount_percent = percent;
        self
    }

    /// Where the primary prices come from.
    pub fn standing(&self) -> &Standing {
        &self.standing
    }

    /// The region the book prices.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The API's (or cache's) quotes, in key order.
    pub fn primary_quotes(&self) -> impl Iterator<Item = (&PriceKey, &Quote)> {
        self.primary.iter()
    }

    /// Why `key` is not priced by the API or the cache (None when it is).
    pub fn why_not_primary(&self, key: &PriceKey) -> Option<String> {
        if self.primary.contains_key(key) {
            return None;
        }
        let source = match &self.standing {
            Standing::Api { .. } => "Pricing API",
            Standing::Cache { .. } => "Pricing API (cached answer)",
            Standing::SnapshotOnly { why, .. } => return Some(why.clone()),
        };
        Some(match self.unquoted.get(key) {
            Some(why) => format!("{source}: {why}"),
            None => format!("{source}: not asked for this price"),
        })
    }

    fn spot_estimate(&self, key: &PriceKey, percent: f64) -> Option<Quote> {
        let od_key = PriceKey {
            deployment: "on-demand".to_string(),
            ..key.clone()
        };
        let od = self.listed(&od_key)?;
        Some(Quote {
            usd: od.usd * (1.0 - percent / 100.0),
            unit: od.unit,
            origin: Origin::Estimate,
            source: format!(
                "estimate: on-demand less the policy's spot_discount_percent {percent}% (on-demand from the {}: {})",
                od.origin, od.source
            ),
            as_of: od.as_of,
        })
    }

    /// The list price: primary, else the snapshot's.
    fn listed(&self, key: &PriceKey) -> Option<Quote> {
        if let Some(q) = self.primary.get(key) {
            return Some(q.clone());
        }
        let q = self.fallback.quote(key)?;
        Some(Quote {
            source: format!("snapshot {}: {}", self.fallback.name(), q.source),
            ..q
        })
    }
}

impl PriceBook for LivePriceBook {
    fn quote(&self, key: &PriceKey) -> Option<Quote> {
        match self.spot_discount_percent {
            Some(p) if key.service == "ec2" && key.deployment.starts_with("spot") => {
                self.spot_estimate(key, p)
            }
            _ => self.listed(key),
        }
    }

    fn describe(&self) -> String {
        let fallback = self.fallback.describe();
        let spot = match self.spot_discount_percent {
            Some(p) => format!("; spot estimated at on-demand less {p}% (policy)"),
            None => String::new(),
        };
        let main = match &self.standing {
            Standing::Api { fetched_at } => format!(
                "Pricing API ({}, {} prices, fetched {}), else the {fallback}",
                self.region,
                self.primary.len(),
                fetched_at.format("%Y-%m-%d %H:%M UTC")
            ),
            Standing::Cache { fetched_at, .. } => format!(
                "price cache ({}, {} prices from the Pricing API, fetched {}), else the {fallback}",
                self.region,
                self.primary.len(),
                fetched_at.format("%Y-%m-%d %H:%M UTC")
            ),
            Standing::SnapshotOnly { why, .. } => format!("the {fallback} only ({why})"),
        };
        format!("{main}{spot}")
    }

    fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        match &self.standing {
            Standing::Api { .. } | Standing::Cache { api_not_used: None, .. } => {}
            Standing::Cache {
                fetched_at,
                api_not_used: Some(why),
            } => out.push(format!(
                "prices: {why}; priced from the price cache fetched {} and, where it has none, the {}",
                fetched_at.format("%Y-%m-%d %H:%M UTC"),
                self.fallback.describe()
            )),
            Standing::SnapshotOnly { why, failed: true } => out.push(format!(
                "prices: {why}; every price is from the fallback {}",
                self.fallback.describe()
            )),
            Standing::SnapshotOnly { failed: false, .. } => {}
        }
        if self.fallback.region() != self.region {
            out.push(format!(
                "prices: the fallback snapshot holds {} prices, the estate is in {}: prices not from the Pricing API are another region's",
                self.fallback.region(),
                self.region
            ));
        }
        out
    }
}

#[cfg(test)]
#[path = "live_tests.rs"]
mod tests;
