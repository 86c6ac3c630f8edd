//! A [`PriceBook`] that prefers the Price List Query API's quotes and falls
//! back, key by key, on a snapshot. Pure: the API answer (or the reason
//! there is none) is fetched before, by `tidegate::aws::PricingAdapter`;
//! lookups do no I/O.
//!
//! Every quote says where it came from: an API quote's source is
//! `aws-pricing-api:<service code>:<sku>` with the product's publication
//! date; a fallback quote's source is `snapshot <name>: <row source>` with
//! the row's date, so a plan that lists its quotes names the snapshot.
//! [`LivePriceBook::source_of`] gives the same as a [`PriceSource`].

use std::collections::BTreeMap;

use super::price_list::{PriceListAnswer, Unquoted};
use super::{PriceBook, PriceKey, Quote, SnapshotPriceBook};

/// Where a quote came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PriceSource {
    /// The Price List Query API.
    Api {
        /// The product's publication date (`YYYY-MM-DD`).
        as_of: String,
    },
    /// The fallback snapshot.
    Snapshot {
        /// The snapshot's name.
        name: String,
        /// The row's date (`YYYY-MM-DD`).
        as_of: String,
        /// Why not the API: the API's refusal for the key, or the failed call.
        why: String,
    },
}

/// The API's quotes where it gave one, the snapshot's elsewhere.
#[derive(Debug, Clone, PartialEq)]
pub struct LivePriceBook {
    region: String,
    api: BTreeMap<PriceKey, Quote>,
    unquoted: BTreeMap<PriceKey, Unquoted>,
    /// Why the API gave nothing at all (call failed), when it did not answer.
    unreachable: Option<String>,
    fallback: SnapshotPriceBook,
}

impl LivePriceBook {
    /// A book on the API's `answer` for `region` (the error text when the
    /// call failed), falling back on `fallback` for every key the API did
    /// not price.
    pub fn new(
        region: &str,
        answer: Result<PriceListAnswer, String>,
        fallback: SnapshotPriceBook,
    ) -> Self {
        let (api, unquoted, unreachable) = match answer {
            Ok(a) => (a.quotes, a.unpriced, None),
            Err(e) => (BTreeMap::new(), BTreeMap::new(), Some(e)),
        };
        LivePriceBook {
            region: region.to_string(),
            api,
            unquoted,
            unreachable,
            fallback,
        }
    }

    /// Where the quote for `key` comes from; None when neither source has one.
    pub fn source_of(&self, key: &PriceKey) -> Option<PriceSource> {
        if let Some(q) = self.api.get(key) {
            return Some(PriceSource::Api {
                as_of: q.as_of.clone(),
            });
        }
        let q = self.fallback.quote(key)?;
        Some(PriceSource::Snapshot {
            name: self.fallback.name().to_string(),
            as_of: q.as_of,
            why: self.why_not_api(key),
        })
    }

    /// True when the API call failed and every quote is the snapshot's.
    pub fn api_unreachable(&self) -> bool {
        self.unreachable.is_some()
    }

    /// Keys the API priced.
    pub fn api_quotes(&self) -> impl Iterator<Item = (&PriceKey, &Quote)> {
        self.api.iter()
    }

    fn why_not_api(&self, key: &PriceKey) -> String {
        match (&self.unreachable, self.unquoted.get(key)) {
            (Some(e), _) => format!("Pricing API unreachable: {e}"),
            (None, Some(why)) => format!("Pricing API: {why}"),
            (None, None) => "not asked of the Pricing API".to_string(),
        }
    }
}

impl PriceBook for LivePriceBook {
    fn quote(&self, key: &PriceKey) -> Option<Quote> {
        if let Some(q) = self.api.get(key) {
            return Some(q.clone());
        }
        let q = self.fallback.quote(key)?;
        Some(Quote {
            source: format!("snapshot {}: {}", self.fallback.name(), q.source),
            ..q
        })
    }

    fn describe(&self) -> String {
        let fallback = self.fallback.describe();
        match &self.unreachable {
            Some(e) => {
                format!("Pricing API unreachable ({e}); every price from the fallback {fallback}")
            }
            None => format!(
                "Pricing API ({}, {} prices), else the fallback {fallback}",
                self.region,
                self.api.len()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::answer_from_items;

    fn key(service: &'static str, instance_type: &str, engine: &str, deployment: &str) -> PriceKey {
        PriceKey {
            service,
            instance_type: instance_type.to_string(),
            engine: engine.to_string(),
            deployment: deployment.to_string(),
        }
    }

    fn items() -> Vec<String> {
        let body: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/fixtures/pricing/rds.json"))
                .expect("JSON");
        body["PriceList"]
            .as_array()
            .expect("PriceList")
            .iter()
            .map(|v| v.as_str().expect("string").to_string())
            .collect()
    }

    #[test]
    fn api_quotes_first_then_the_snapshot_named_per_key() {
        let api_key = key("rds", "db.r6g.large", "postgresql", "single-az");
        let missing = key("rds", "db.r6g.xlarge", "postgresql", "single-az");
        let items = items();
        let answer = answer_from_items(
            "us-east-1",
            &[api_key.clone(), missing.clone()],
            items.iter().map(String::as_str),
        );
        let book = LivePriceBook::new("us-east-1", Ok(answer), SnapshotPriceBook::embedded());

        let q = book.quote(&api_key).expect("API quote");
        assert!(
            q.source.starts_with("aws-pricing-api:AmazonRDS:"),
            "{}",
            q.source
        );
        assert_eq!(
            book.source_of(&api_key),
            Some(PriceSource::Api {
                as_of: "2024-09-28".into()
            })
        );

        let q = book.quote(&missing).expect("snapshot quote");
        assert_eq!(q.usd, 0.45);
        assert!(
            q.source
                .starts_with("snapshot data/prices/aws-us-east-1.csv: github:yeo/ec2.shop@"),
            "{}",
            q.source
        );
        assert_eq!(
            book.source_of(&missing),
            Some(PriceSource::Snapshot {
                name: "data/prices/aws-us-east-1.csv".into(),
                as_of: "2024-09-28".into(),
                why: "Pricing API: no product in the price list".into(),
            })
        );
        // Not asked, and not in the snapshot either.
        let neither = key("rds", "db.x9.huge", "postgresql", "single-az");
        assert_eq!(
            (book.quote(&neither), book.source_of(&neither)),
            (None, None)
        );
        assert!(!book.api_unreachable());
        assert!(
            book.describe().starts_with(
                "Pricing API (us-east-1, 1 prices), else the fallback built-in snapshot"
            ),
            "{}",
            book.describe()
        );
    }

    #[test]
    fn an_unreachable_api_prices_everything_from_the_snapshot_and_says_so() {
        let book = LivePriceBook::new(
            "us-east-1",
            Err("pricing GetProducts failed: timed out".into()),
            SnapshotPriceBook::embedded(),
        );
        let k = key("ec2", "m5.large", "linux", "on-demand");
        assert_eq!(book.quote(&k).map(|q| q.usd), Some(0.096));
        assert!(book.api_unreachable());
        assert!(
            matches!(book.source_of(&k), Some(PriceSource::Snapshot { why, .. })
                if why == "Pricing API unreachable: pricing GetProducts failed: timed out")
        );
        assert!(
            book.describe().starts_with(
                "Pricing API unreachable (pricing GetProducts failed: timed out); every price from the fallback built-in snapshot"
            ),
            "{}",
            book.describe()
        );
    }
}
