//! aws_pricing: the Price List Query API adapter through the real SDK
//! client, against the launcher's Pricing route (moto has none), which
//! answers `GetProducts` from the recorded products in
//! `tests/fixtures/pricing/`.

use tidegate::aws::{ErrorKind, PricingAdapter};
use tidegate::pricing::{
    PriceBook, PriceKey, PriceListError, PriceSource, SnapshotPriceBook, Unquoted,
};

use crate::support::MotoServer;

const REGION: &str = "us-east-1";

fn key(service: &'static str, instance_type: &str, engine: &str, deployment: &str) -> PriceKey {
    PriceKey {
        service,
        instance_type: instance_type.to_string(),
        engine: engine.to_string(),
        deployment: deployment.to_string(),
    }
}

#[tokio::test]
async fn prices_every_service_and_says_why_not_for_the_rest() {
    let moto = MotoServer::shared();
    let pricing = PricingAdapter::new(&moto.sdk_config().await).with_page_size(1);
    let priced = [
        key("rds", "db.r6g.large", "postgresql", "single-az"),
        key("rds", "db.r6g.large", "postgresql", "multi-az"),
        key("rds", "storage-gp3", "postgresql", "multi-az"),
        key(
            "aurora",
            "db.r6g.large",
            "aurora-mysql",
            "provisioned-instance",
        ),
        key(
            "aurora",
            "db.serverless(ACU)",
            "aurora-mysql",
            "serverless-v2-standard",
        ),
        key(
            "aurora",
            "db.serverless(ACU)",
            "aurora-mysql",
            "serverless-v2-io-optimized",
        ),
        key("elasticache", "cache.r6g.large", "valkey", "node"),
        key("msk", "kafka.m7g.large", "kafka", "broker"),
        key("msk", "storage-ebs", "kafka", "broker-storage"),
        key("ec2", "m5.large", "linux", "on-demand"),
    ];
    let no_product = key("ec2", "c6i.large", "linux", "on-demand");
    let unsupported = key("ec2", "m5.large", "linux", "spot-max-az");
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
        key("msk", "kafka.m5.large", "kafka", "broker"),
        key("msk", "kafka.m7g.large", "kafka", "broker"),
        key("msk", "storage-ebs", "kafka", "broker-storage"),
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
        .quotes(REGION, &[key("ec2", "m5.large", "linux", "on-demand")])
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
        .quotes(REGION, &[key("ec2", "m5.large", "linux", "on-demand")])
        .await
        .expect("retried");
    assert_eq!(answer.quotes.len(), 1);
}

#[tokio::test]
async fn a_price_book_prefers_the_api_and_falls_back_per_key() {
    let moto = MotoServer::shared();
    let pricing = PricingAdapter::new(&moto.sdk_config().await);
    let api_key = key("elasticache", "cache.r6g.large", "redis", "node");
    let fallback_key = key("elasticache", "cache.r6g.xlarge", "redis", "node");
    let book = pricing
        .price_book(
            REGION,
            &[api_key.clone(), fallback_key.clone()],
            SnapshotPriceBook::embedded(),
        )
        .await;
    assert!(!book.api_unreachable());
    let q = book.quote(&api_key).expect("API quote");
    assert!(
        q.source.starts_with("aws-pricing-api:AmazonElastiCache:"),
        "{}",
        q.source
    );
    assert_eq!(
        book.source_of(&api_key),
        Some(PriceSource::Api {
            as_of: "2025-03-14".into()
        })
    );
    let q = book.quote(&fallback_key).expect("snapshot quote");
    assert!(
        q.source
            .starts_with("snapshot data/prices/aws-us-east-1.csv: "),
        "{}",
        q.source
    );
    assert!(matches!(
        book.source_of(&fallback_key),
        Some(PriceSource::Snapshot { why, .. }) if why == "Pricing API: no product in the price list"
    ));
}

#[tokio::test]
async fn with_the_api_unreachable_every_price_is_the_snapshot_and_it_says_so() {
    // Nothing listens on port 1: the call fails at once, no retry.
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .endpoint_url("http://127.0.0.1:1")
        .credentials_provider(aws_sdk_rds::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
        .load()
        .await;
    let pricing = PricingAdapter::new(&config);
    let k = key("rds", "db.r6g.large", "postgresql", "multi-az");
    let err = pricing
        .quotes(REGION, std::slice::from_ref(&k))
        .await
        .expect_err("unreachable");
    assert_eq!(err.kind, ErrorKind::Transient);

    let book = pricing
        .price_book(
            REGION,
            std::slice::from_ref(&k),
            SnapshotPriceBook::embedded(),
        )
        .await;
    assert!(book.api_unreachable());
    assert_eq!(book.quote(&k).map(|q| q.usd), Some(0.45));
    assert!(
        book.describe()
            .starts_with("Pricing API unreachable (pricing GetProducts on AmazonRDS failed: "),
        "{}",
        book.describe()
    );
    assert!(matches!(
        book.source_of(&k),
        Some(PriceSource::Snapshot { as_of, why, .. })
            if as_of == "2024-09-28" && why.starts_with("Pricing API unreachable: ")
    ));
}
