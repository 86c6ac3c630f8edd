//! aws_pricing: the Price List Query API adapter through the real SDK
//! client, against the launcher's Pricing route (moto has none), which
//! answers `GetProducts` from the recorded products in
//! `tests/fixtures/pricing/`.

use chrono::{DateTime, TimeDelta, Utc};
use tidegate::aws::{ErrorKind, PricingAdapter};
use tidegate::ledger::{MemoryLedger, PriceCache};
use tidegate::observe::{PriceApi, PriceSources, price_book};
use tidegate::policy::Policy;
use tidegate::ports::PricingPort;
use tidegate::pricing::{
    Origin, PriceBook, PriceKey, PriceListError, SnapshotPriceBook, Standing, Unquoted,
};

use crate::support::MotoServer;

const REGION: &str = "us-east-1";

#[tokio::test]
async fn prices_every_service_and_says_why_not_for_the_rest() {
    let moto = MotoServer::shared();
    let pricing = PricingAdapter::new(&moto.sdk_config().await).with_page_size(1);
    let priced = [
        PriceKey::new("rds", "db.r6g.large", "postgresql", "single-az"),
        PriceKey::new("rds", "db.r6g.large", "postgresql", "multi-az"),
        PriceKey::new("rds", "storage-gp3", "postgresql", "multi-az"),
        PriceKey::new(
            "aurora",
            "db.r6g.large",
            "aurora-mysql",
            "provisioned-instance",
        ),
        PriceKey::new(
            "aurora",
            "db.serverless(ACU)",
            "aurora-mysql",
            "serverless-v2-standard",
        ),
        PriceKey::new(
            "aurora",
            "db.serverless(ACU)",
            "aurora-mysql",
            "serverless-v2-io-optimized",
        ),
        PriceKey::new("elasticache", "cache.r6g.large", "valkey", "node"),
        PriceKey::new("msk", "kafka.m7g.large", "kafka", "broker"),
        PriceKey::new("msk", "storage-ebs", "kafka", "broker-storage"),
        PriceKey::new("ec2", "m5.large", "linux", "on-demand"),
    ];
    let no_product = PriceKey::new("ec2", "c6i.large", "linux", "on-demand");
    let unsupported = PriceKey::new("ec2", "m5.large", "linux", "spot-max-az");
    let mut keys = priced.to_vec();
    keys.extend([no_product.clone(), unsupported.clone()]);

    let answer = pricing.quotes(REGION, &keys).await.expect("GetProducts");

    let snapshot = SnapshotPriceBook::embedded();
    assert_eq!(answer.quotes.len(), priced.len(), "{answer:?}");
    for k in &priced {
        let q = &answer.quotes[k];
        let s = snapshot.quote(k).expect("in the snapshot");
        assert_eq!((q.usd, &q.unit), (s.usd, &s.unit), "{k:?}");
        assert!(
            q.source.starts_with("aws-pricing-api:Amazon"),
            "{}",
            q.source
        );
    }
    assert_eq!(answer.unpriced.len(), 2, "{:?}", answer.unpriced);
    assert_eq!(answer.unpriced[&no_product], Unquoted::NoProduct);
    assert!(matches!(
        answer.unpriced[&unsupported],
        Unquoted::Unsupported(PriceListError::Unsupported { .. })
    ));
}

#[tokio::test]
async fn reads_every_page_once_per_filter_set() {
    let moto = MotoServer::dedicated();
    let pricing = PricingAdapter::new(&moto.sdk_config().await).with_page_size(1);
    // The three MSK keys share one filter set (service code and region):
    // one query, three products, one per page.
    let keys = [
        PriceKey::new("msk", "kafka.m5.large", "kafka", "broker"),
        PriceKey::new("msk", "kafka.m7g.large", "kafka", "broker"),
        PriceKey::new("msk", "storage-ebs", "kafka", "broker-storage"),
    ];
    let answer = pricing.quotes(REGION, &keys).await.expect("GetProducts");
    assert_eq!(answer.quotes.len(), 3, "{answer:?}");
    assert_eq!(answer.quotes[&keys[0]].usd, 0.21);
    assert_eq!(answer.quotes[&keys[2]].unit, "USD/GB-month");
    assert_eq!(moto.calls().count("pricing", "GetProducts"), 3);
}

#[tokio::test]
async fn a_refused_call_is_a_classified_error() {
    let moto = MotoServer::dedicated();
    moto.inject_fault("GetProducts", "ThrottlingException", 1);
    let pricing = PricingAdapter::new(&moto.sdk_config_with_attempts(1).await);
    let err = pricing
        .quotes(
            REGION,
            &[PriceKey::new("ec2", "m5.large", "linux", "on-demand")],
        )
        .await
        .expect_err("throttled");
    assert_eq!(
        (err.service, err.operation, err.kind, err.code.as_deref()),
        (
            "pricing",
            "GetProducts",
            ErrorKind::Throttled,
            Some("ThrottlingException")
        )
    );
    // With retries, the next attempt answers.
    moto.inject_fault("GetProducts", "ThrottlingException", 1);
    let pricing = PricingAdapter::new(&moto.sdk_config_with_attempts(3).await);
    let answer = pricing
        .quotes(
            REGION,
            &[PriceKey::new("ec2", "m5.large", "linux", "on-demand")],
        )
        .await
        .expect("retried");
    assert_eq!(answer.quotes.len(), 1);
}

/// A policy with one RDS instance on a two-class ladder (the fixtures
/// price `db.r6g.large` PostgreSQL; `db.r6g.xlarge` is not in them).
fn policy(extra: &str) -> Policy {
    let text = format!(
        "version: 1
estate: prices
region: us-east-1
guardrails: {{ max_actions_per_hour: 4, oscillation_window: 30m }}
{extra}
resources:
  - id: orders-db
    kind: rds_instance
    identifier: orders-db
    engine: postgres
    instance_class: {{ ladder: [db.r6g.large, db.r6g.xlarge] }}
"
    );
    tidegate::policy::load_str(&text, "prices.yaml").expect("policy")
}

fn sources<'a>(api: &'a dyn PricingPort, cache: &'a MemoryLedger) -> PriceSources<'a> {
    PriceSources {
        api: PriceApi::Ask(api),
        cache: Some(cache),
        fallback: SnapshotPriceBook::embedded(),
    }
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("time")
}

/// Nothing listens on port 1: every call fails at once, no retry.
async fn unreachable() -> PricingAdapter {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .endpoint_url("http://127.0.0.1:1")
        .credentials_provider(aws_sdk_rds::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
        .load()
        .await;
    PricingAdapter::new(&config)
}

#[tokio::test]
async fn the_api_is_asked_once_per_ttl_and_its_answer_cached_in_the_ledger() {
    let moto = MotoServer::dedicated();
    let pricing = PricingAdapter::new(&moto.sdk_config().await);
    let ledger = MemoryLedger::default();
    let policy = policy("prices: { cache_ttl: 6h }");
    let api_key = PriceKey::new("rds", "db.r6g.large", "postgresql", "single-az");
    let fallback_key = PriceKey::new("rds", "db.r6g.xlarge", "postgresql", "single-az");
    let t0 = at("2026-11-23T08:00:00Z");

    let book = price_book(&policy, None, sources(&pricing, &ledger), t0).await;
    assert_eq!(book.standing(), &Standing::Api { fetched_at: t0 });
    let asked = moto.calls().count("pricing", "GetProducts");
    assert!(asked > 0);
    let q = book.quote(&api_key).expect("API quote");
    assert_eq!((q.origin, q.as_of.as_str()), (Origin::Api, "2024-09-28"));
    let q = book.quote(&fallback_key).expect("snapshot quote");
    assert_eq!(q.origin, Origin::Snapshot);
    assert_eq!(
        book.why_not_primary(&fallback_key).as_deref(),
        Some("Pricing API: no product in the price list")
    );
    let cached = ledger
        .cached_prices(REGION)
        .await
        .expect("read")
        .expect("cached");
    assert_eq!(cached.fetched_at, t0);

    // Within the TTL: the cache answers, the API is not asked.
    let later = t0 + TimeDelta::hours(5);
    let book = price_book(&policy, None, sources(&pricing, &ledger), later).await;
    assert_eq!(
        book.standing(),
        &Standing::Cache {
            fetched_at: t0,
            api_not_used: None
        }
    );
    assert_eq!(moto.calls().count("pricing", "GetProducts"), asked);
    let q = book.quote(&api_key).expect("cached quote");
    assert_eq!(q.origin, Origin::Cache);
    assert!(book.warnings().is_empty(), "{:?}", book.warnings());

    // A policy that needs a price the cache has not seen (Multi-AZ) asks
    // again.
    let mut more = policy.clone();
    more.resources[0].multi_az = true;
    let book = price_book(&more, None, sources(&pricing, &ledger), later).await;
    assert_eq!(book.standing(), &Standing::Api { fetched_at: later });
    assert!(moto.calls().count("pricing", "GetProducts") > asked);

    // Past the TTL: asked again.
    let asked = moto.calls().count("pricing", "GetProducts");
    let stale = later + TimeDelta::hours(7);
    let book = price_book(&policy, None, sources(&pricing, &ledger), stale).await;
    assert_eq!(book.standing(), &Standing::Api { fetched_at: stale });
    assert!(moto.calls().count("pricing", "GetProducts") > asked);
}

#[tokio::test]
async fn an_unreachable_api_falls_back_on_the_stale_cache_then_the_snapshot_and_says_so() {
    let moto = MotoServer::shared();
    let pricing = PricingAdapter::new(&moto.sdk_config().await);
    let down = unreachable().await;
    let ledger = MemoryLedger::default();
    let policy = policy("");
    let k = PriceKey::new("rds", "db.r6g.large", "postgresql", "single-az");
    let t0 = at("2026-11-20T06:00:00Z");

    // No cache yet: every price is the snapshot's, and the book warns.
    let book = price_book(&policy, None, sources(&down, &ledger), t0).await;
    assert!(
        matches!(book.standing(), Standing::SnapshotOnly { failed: true, why } if why.starts_with("Pricing API unreachable: pricing GetProducts")),
        "{:?}",
        book.standing()
    );
    assert_eq!(book.quote(&k).map(|q| q.origin), Some(Origin::Snapshot));
    let warnings = book.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("every price is from the fallback built-in snapshot"),
        "{warnings:?}"
    );

    // A reachable API fills the cache; three days later it is down again:
    // the stale cache stands in and the warning says how old it is.
    price_book(&policy, None, sources(&pricing, &ledger), t0).await;
    let t1 = t0 + TimeDelta::days(3);
    let book = price_book(&policy, None, sources(&down, &ledger), t1).await;
    assert!(
        matches!(book.standing(), Standing::Cache { fetched_at, api_not_used: Some(_) } if *fetched_at == t0),
        "{:?}",
        book.standing()
    );
    let q = book.quote(&k).expect("cached");
    assert_eq!(q.origin, Origin::Cache);
    let warnings = book.warnings();
    assert!(
        warnings.len() == 1
            && warnings[0].starts_with("prices: Pricing API unreachable: ")
            && warnings[0].contains("priced from the price cache fetched 2026-11-20 06:00 UTC"),
        "{warnings:?}"
    );
}

#[tokio::test]
async fn a_policy_that_turns_the_api_off_never_asks_it() {
    let moto = MotoServer::dedicated();
    let ledger = MemoryLedger::default();
    let policy = policy("prices: { pricing_api: false, spot_discount_percent: 70 }");
    let book = price_book(
        &policy,
        None,
        PriceSources {
            api: PriceApi::turned_off(),
            cache: Some(&ledger),
            fallback: SnapshotPriceBook::embedded(),
        },
        at("2026-11-23T08:00:00Z"),
    )
    .await;
    assert_eq!(moto.calls().count("pricing", "GetProducts"), 0);
    assert!(book.warnings().is_empty());
    assert!(
        book.describe()
            .contains("(Pricing API not asked (prices.pricing_api: false in the policy))"),
        "{}",
        book.describe()
    );
    let spot = book
        .quote(&PriceKey::new("ec2", "m5.large", "linux", "spot-max-az"))
        .expect("estimate");
    assert_eq!(spot.origin, Origin::Estimate);
    assert!((spot.usd - 0.096 * 0.3).abs() < 1e-12);
}
