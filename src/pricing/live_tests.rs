use super::*;
use crate::pricing::answer_from_items;

fn rds_answer(keys: &[PriceKey]) -> PriceListAnswer {
    let body: serde_json::Value =
        serde_json::from_str(include_str!("../../tests/fixtures/pricing/rds.json")).expect("JSON");
    let items: Vec<String> = body["PriceList"]
        .as_array()
        .expect("PriceList")
        .iter()
        .map(|v| v.as_str().expect("string").to_string())
        .collect();
    answer_from_items("us-east-1", keys, items.iter().map(String::as_str))
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("time")
}

#[test]
fn api_quotes_first_then_the_snapshot_named_per_key() {
    let api_key = PriceKey::new("rds", "db.r6g.large", "postgresql", "single-az");
    let missing = PriceKey::new("rds", "db.r6g.xlarge", "postgresql", "single-az");
    let answer = rds_answer(&[api_key.clone(), missing.clone()]);
    let fetched = at("2026-11-23T10:00:00Z");
    let book = LivePriceBook::from_api("us-east-1", answer, fetched, SnapshotPriceBook::embedded());

    let q = book.quote(&api_key).expect("API quote");
    assert_eq!(q.origin, Origin::Api);
    assert!(
        q.source.starts_with("aws-pricing-api:AmazonRDS:"),
        "{}",
        q.source
    );
    assert_eq!(q.as_of, "2024-09-28");
    assert_eq!(book.why_not_primary(&api_key), None);

    let q = book.quote(&missing).expect("snapshot quote");
    assert_eq!((q.usd, q.origin), (0.45, Origin::Snapshot));
    assert!(
        q.source
            .starts_with("snapshot data/prices/aws-us-east-1.csv: github:yeo/ec2.shop@"),
        "{}",
        q.source
    );
    assert_eq!(
        book.why_not_primary(&missing).as_deref(),
        Some("Pricing API: no product in the price list")
    );
    // Not asked, and not in the snapshot either.
    let neither = PriceKey::new("rds", "db.x9.huge", "postgresql", "single-az");
    assert_eq!(book.quote(&neither), None);
    assert_eq!(
        book.why_not_primary(&neither).as_deref(),
        Some("Pricing API: not asked for this price")
    );
    assert!(book.warnings().is_empty(), "{:?}", book.warnings());
    assert!(
        book.describe().starts_with(
            "Pricing API (us-east-1, 1 prices, fetched 2026-11-23 10:00 UTC), else the built-in snapshot"
        ),
        "{}",
        book.describe()
    );
}

#[test]
fn an_unreachable_api_without_a_cache_prices_from_the_snapshot_and_warns() {
    let book = LivePriceBook::snapshot_only(
        "us-east-1",
        "Pricing API unreachable: pricing GetProducts failed: timed out".into(),
        true,
        SnapshotPriceBook::embedded(),
    );
    let k = PriceKey::new("ec2", "m5.large", "linux", "on-demand");
    let q = book.quote(&k).expect("snapshot");
    assert_eq!((q.usd, q.origin), (0.096, Origin::Snapshot));
    assert_eq!(
        book.warnings(),
        vec![format!(
            "prices: Pricing API unreachable: pricing GetProducts failed: timed out; every price is from the fallback {}",
            SnapshotPriceBook::embedded().describe()
        )]
    );
    assert!(
        book.describe().starts_with("the built-in snapshot"),
        "{}",
        book.describe()
    );
}

#[test]
fn offline_on_purpose_is_described_but_not_a_warning() {
    let book = LivePriceBook::snapshot_only(
        "us-east-1",
        "Pricing API not asked (--offline)".into(),
        false,
        SnapshotPriceBook::embedded(),
    );
    assert!(book.warnings().is_empty());
    assert!(
        book.describe()
            .ends_with("only (Pricing API not asked (--offline))"),
        "{}",
        book.describe()
    );
}

#[test]
fn a_cache_stands_in_for_a_failed_api_and_the_warning_names_its_age() {
    let api_key = PriceKey::new("rds", "db.r6g.large", "postgresql", "single-az");
    let fetched = at("2026-11-20T06:00:00Z");
    let cache = CachedPrices::from_answer(
        "us-east-1",
        &rds_answer(std::slice::from_ref(&api_key)),
        fetched,
    );
    let book = LivePriceBook::from_cache(
        &cache,
        Some("Pricing API unreachable: connection refused".into()),
        SnapshotPriceBook::embedded(),
    );
    let q = book.quote(&api_key).expect("cached");
    assert_eq!(q.origin, Origin::Cache);
    assert!(
        q.source
            .starts_with("price cache fetched 2026-11-20 06:00 UTC: aws-pricing-api:AmazonRDS:"),
        "{}",
        q.source
    );
    let w = book.warnings();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].starts_with(
            "prices: Pricing API unreachable: connection refused; priced from the price cache fetched 2026-11-20 06:00 UTC"
        ),
        "{}",
        w[0]
    );

    // A fresh cache used on purpose is not a warning.
    let fresh = LivePriceBook::from_cache(&cache, None, SnapshotPriceBook::embedded());
    assert!(fresh.warnings().is_empty());
    assert!(
        fresh
            .describe()
            .starts_with("price cache (us-east-1, 1 prices"),
        "{}",
        fresh.describe()
    );
}

#[test]
fn a_policy_spot_discount_prices_spot_as_a_labelled_share_of_on_demand() {
    let spot = PriceKey::new("ec2", "m5.large", "linux", "spot-max-az");
    let plain = LivePriceBook::snapshot_only(
        "us-east-1",
        "offline".into(),
        false,
        SnapshotPriceBook::embedded(),
    );
    // Without a discount the snapshot's (2022) spot row is used.
    let q = plain.quote(&spot).expect("snapshot spot");
    assert_eq!(q.origin, Origin::Snapshot);

    let book = plain.with_spot_discount(Some(60.0));
    let q = book.quote(&spot).expect("estimate");
    assert_eq!(q.origin, Origin::Estimate);
    assert!((q.usd - 0.096 * 0.4).abs() < 1e-12, "{}", q.usd);
    assert!(
        q.source
            .starts_with("estimate: on-demand less the policy's spot_discount_percent 60% (on-demand from the snapshot: "),
        "{}",
        q.source
    );
    // On-demand itself is untouched.
    let od = PriceKey::new("ec2", "m5.large", "linux", "on-demand");
    assert_eq!(book.quote(&od).map(|q| q.usd), Some(0.096));
    assert!(
        book.describe()
            .ends_with("; spot estimated at on-demand less 60% (policy)")
    );
}

#[test]
fn another_region_than_the_snapshot_is_warned_about() {
    let book = LivePriceBook::from_api(
        "eu-west-1",
        PriceListAnswer {
            quotes: BTreeMap::new(),
            unpriced: BTreeMap::new(),
        },
        at("2026-11-23T10:00:00Z"),
        SnapshotPriceBook::embedded(),
    );
    assert_eq!(
        book.warnings(),
        vec!["prices: the fallback snapshot holds us-east-1 prices, the estate is in eu-west-1: prices not from the Pricing API are another region's".to_string()]
    );
}
