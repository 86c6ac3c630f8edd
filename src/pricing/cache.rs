//! The Price List Query API's answer kept between runs, so the Lambdas do
//! not ask the API on every invocation. Plain data: the ledger keeps it
//! (DynamoDB in AWS, the ledger file locally, see
//! [`crate::ledger::PriceCache`]); this module only says what it holds,
//! whether it is fresh, and what it answers.
//!
//! One cache per region: every quote the API gave for the keys asked, and
//! every key it gave none for, with why, so a key the API cannot price is
//! not asked again until the cache expires.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::price_list::PriceListAnswer;
use super::{Origin, PriceKey, Quote, SERVICES};

/// The API's answer for one region, as fetched at one instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedPrices {
    /// The region the prices are for.
    pub region: String,
    /// When the API gave them.
    pub fetched_at: DateTime<Utc>,
    /// One price per key the API priced.
    pub quotes: Vec<CachedQuote>,
    /// The keys the API gave no price for, with why.
    #[serde(default)]
    pub unpriced: Vec<CachedUnpriced>,
}

/// One cached price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedQuote {
    /// [`PriceKey::service`].
    pub service: String,
    /// [`PriceKey::instance_type`].
    pub instance_type: String,
    /// [`PriceKey::engine`].
    pub engine: String,
    /// [`PriceKey::deployment`].
    pub deployment: String,
    /// Price in `unit`.
    pub usd: f64,
    /// `USD/hour`, ...
    pub unit: String,
    /// The API's source (`aws-pricing-api:<service code>:<sku>`).
    pub source: String,
    /// The product's publication date.
    pub as_of: String,
}

/// One key the API gave no price for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedUnpriced {
    /// [`PriceKey::service`].
    pub service: String,
    /// [`PriceKey::instance_type`].
    pub instance_type: String,
    /// [`PriceKey::engine`].
    pub engine: String,
    /// [`PriceKey::deployment`].
    pub deployment: String,
    /// Why the API gave none.
    pub why: String,
}

impl CachedPrices {
    /// The cache of `answer`, fetched for `region` at `fetched_at`.
    pub fn from_answer(region: &str, answer: &PriceListAnswer, fetched_at: DateTime<Utc>) -> Self {
        let quotes = answer
            .quotes
            .iter()
            .map(|(k, q)| CachedQuote {
                service: k.service.to_string(),
                instance_type: k.instance_type.clone(),
                engine: k.engine.clone(),
                deployment: k.deployment.clone(),
                usd: q.usd,
                unit: q.unit.clone(),
                source: q.source.clone(),
                as_of: q.as_of.clone(),
            })
            .collect();
        let unpriced = answer
            .unpriced
            .iter()
            .map(|(k, why)| CachedUnpriced {
                service: k.service.to_string(),
                instance_type: k.instance_type.clone(),
                engine: k.engine.clone(),
                deployment: k.deployment.clone(),
                why: why.to_string(),
            })
            .collect();
        CachedPrices {
            region: region.to_string(),
            fetched_at,
            quotes,
            unpriced,
        }
    }

    /// True while younger than `ttl` at `now`. A cache from the future
    /// (clock skew between writers) counts as fresh.
    pub fn is_fresh(&self, now: DateTime<Utc>, ttl: TimeDelta) -> bool {
        now - self.fetched_at < ttl
    }

    /// True when every one of `keys` is either priced or known unpriced:
    /// asking the API again would learn nothing new for them.
    pub fn answers(&self, keys: &[PriceKey]) -> bool {
        // Only the keys: no quote is built (their sources are formatted).
        let quoted = self
            .quotes
            .iter()
            .filter_map(|q| key(&q.service, &q.instance_type, &q.engine, &q.deployment));
        let unpriced = self
            .unpriced
            .iter()
            .filter_map(|u| key(&u.service, &u.instance_type, &u.engine, &u.deployment));
        let seen: BTreeSet<PriceKey> = quoted.chain(unpriced).collect();
        keys.iter().all(|k| seen.contains(k))
    }

    /// The cached prices as quotes of [`Origin::Cache`] whose source says
    /// when they were fetched. Rows of a service this version does not know
    /// are left out (asked again).
    pub fn quotes(&self) -> BTreeMap<PriceKey, Quote> {
        let fetched = self.fetched_at.format("%Y-%m-%d %H:%M UTC");
        self.quotes
            .iter()
            .filter_map(|q| {
                let key = key(&q.service, &q.instance_type, &q.engine, &q.deployment)?;
                let quote = Quote {
                    usd: q.usd,
                    unit: q.unit.clone(),
                    origin: Origin::Cache,
                    source: format!("price cache fetched {fetched}: {}", q.source),
                    as_of: q.as_of.clone(),
                };
                Some((key, quote))
            })
            .collect()
    }

    /// The keys the API gave no price for, with why.
    pub fn unpriced(&self) -> BTreeMap<PriceKey, String> {
        self.unpriced
            .iter()
            .filter_map(|u| {
                let key = key(&u.service, &u.instance_type, &u.engine, &u.deployment)?;
                Some((key, u.why.clone()))
            })
            .collect()
    }
}

/// The key these columns mean, if the service is one tidegate prices.
fn key(service: &str, instance_type: &str, engine: &str, deployment: &str) -> Option<PriceKey> {
    let service = SERVICES.iter().copied().find(|s| *s == service)?;
    Some(PriceKey {
        service,
        instance_type: instance_type.to_string(),
        engine: engine.to_string(),
        deployment: deployment.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::Unquoted;

    fn k(instance_type: &str) -> PriceKey {
        PriceKey {
            service: "rds",
            instance_type: instance_type.into(),
            engine: "postgresql".into(),
            deployment: "single-az".into(),
        }
    }

    fn answer() -> PriceListAnswer {
        let quote = Quote {
            usd: 0.225,
            unit: "USD/hour".into(),
            origin: Origin::Api,
            source: "aws-pricing-api:AmazonRDS:SKU1".into(),
            as_of: "2026-11-01".into(),
        };
        PriceListAnswer {
            quotes: BTreeMap::from([(k("db.r6g.large"), quote)]),
            unpriced: BTreeMap::from([(k("db.x9.huge"), Unquoted::NoProduct)]),
        }
    }

    #[test]
    fn a_cache_round_trips_and_names_its_fetch_time() {
        let at = "2026-11-23T10:00:00Z".parse().expect("time");
        let cache = CachedPrices::from_answer("eu-west-1", &answer(), at);
        let text = serde_json::to_string(&cache).expect("json");
        let back: CachedPrices = serde_json::from_str(&text).expect("parse");
        assert_eq!(back, cache);

        let quotes = back.quotes();
        let q = &quotes[&k("db.r6g.large")];
        assert_eq!((q.usd, q.origin), (0.225, Origin::Cache));
        assert_eq!(
            q.source,
            "price cache fetched 2026-11-23 10:00 UTC: aws-pricing-api:AmazonRDS:SKU1"
        );
        assert_eq!(
            back.unpriced()[&k("db.x9.huge")],
            "no product in the price list"
        );
    }

    #[test]
    fn fresh_until_the_ttl_and_answers_only_keys_it_has_seen() {
        let at: DateTime<Utc> = "2026-11-23T10:00:00Z".parse().expect("time");
        let cache = CachedPrices::from_answer("us-east-1", &answer(), at);
        let day = TimeDelta::hours(24);
        assert!(cache.is_fresh(at + TimeDelta::hours(23), day));
        assert!(!cache.is_fresh(at + day, day));
        assert!(cache.is_fresh(at - TimeDelta::minutes(5), day));

        assert!(cache.answers(&[k("db.r6g.large"), k("db.x9.huge")]));
        assert!(!cache.answers(&[k("db.r6g.large"), k("db.r6g.xlarge")]));
    }

    #[test]
    fn rows_of_an_unknown_service_are_left_out() {
        let mut cache = CachedPrices::from_answer(
            "us-east-1",
            &answer(),
            "2026-11-23T10:00:00Z".parse().expect("t"),
        );
        cache.quotes[0].service = "lightsail".into();
        assert!(cache.quotes().is_empty());
        assert!(!cache.answers(&[k("db.r6g.large")]));
    }
}
