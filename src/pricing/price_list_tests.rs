//! Tests of `price_list.rs`, on the GetProducts fixtures in
//! `tests/fixtures/pricing/` (provenance in their README).

use serde_json::Value;

use super::*;
use crate::pricing::{PriceBook, SnapshotPriceBook};

const REGION: &str = "us-east-1";

fn key(service: &'static str, instance_type: &str, engine: &str, deployment: &str) -> PriceKey {
    PriceKey {
        service,
        instance_type: instance_type.to_string(),
        engine: engine.to_string(),
        deployment: deployment.to_string(),
    }
}

/// The `PriceList` items of one fixture.
fn items(fixture: &str) -> Vec<String> {
    let body: Value = serde_json::from_str(fixture).expect("fixture is JSON");
    body["PriceList"]
        .as_array()
        .expect("a PriceList")
        .iter()
        .map(|v| v.as_str().expect("items are JSON strings").to_string())
        .collect()
}

fn all_items() -> Vec<String> {
    [
        include_str!("../../tests/fixtures/pricing/rds.json"),
        include_str!("../../tests/fixtures/pricing/aurora.json"),
        include_str!("../../tests/fixtures/pricing/elasticache.json"),
        include_str!("../../tests/fixtures/pricing/msk.json"),
        include_str!("../../tests/fixtures/pricing/ec2.json"),
    ]
    .into_iter()
    .flat_map(items)
    .collect()
}

fn awkward() -> Vec<String> {
    items(include_str!("../../tests/fixtures/pricing/awkward.json"))
}

/// The quotes every fixture item gives for `key`; errors other than
/// "not the product" fail the test.
fn quotes(key: &PriceKey) -> Vec<Quote> {
    let mut out = Vec::new();
    for item in all_items() {
        match parse_product(&item, key, REGION) {
            Ok(q) => out.push(q),
            Err(PriceListError::NotTheProduct { .. }) => {}
            Err(e) => panic!("{}: {e}", describe_key(key)),
        }
    }
    out
}

#[test]
fn each_service_is_priced_in_its_unit_and_matches_the_snapshot() {
    let snapshot = SnapshotPriceBook::embedded();
    let cases = [
        (
            key("rds", "db.r6g.large", "postgresql", "single-az"),
            0.225,
            "USD/hour",
        ),
        (
            key("rds", "db.r6g.large", "postgresql", "multi-az"),
            0.45,
            "USD/hour",
        ),
        (
            key("rds", "db.r6g.large", "mysql", "single-az"),
            0.215,
            "USD/hour",
        ),
        (
            key("rds", "db.r6g.large", "mysql", "multi-az"),
            0.43,
            "USD/hour",
        ),
        (
            key("rds", "db.t4g.micro", "postgresql", "single-az"),
            0.016,
            "USD/hour",
        ),
        (
            key("rds", "storage-gp3", "postgresql", "single-az"),
            0.115,
            "USD/GB-month",
        ),
        (
            key("rds", "storage-gp3", "postgresql", "multi-az"),
            0.23,
            "USD/GB-month",
        ),
        (
            key(
                "aurora",
                "db.r6g.large",
                "aurora-postgresql",
                "provisioned-instance",
            ),
            0.26,
            "USD/hour",
        ),
        (
            key(
                "aurora",
                "db.r6g.large",
                "aurora-mysql",
                "provisioned-instance",
            ),
            0.26,
            "USD/hour",
        ),
        (
            key(
                "aurora",
                "db.serverless(ACU)",
                "aurora-mysql",
                "serverless-v2-standard",
            ),
            0.12,
            "USD/ACU-hour",
        ),
        (
            key(
                "aurora",
                "db.serverless(ACU)",
                "aurora-mysql",
                "serverless-v2-io-optimized",
            ),
            0.16,
            "USD/ACU-hour",
        ),
        (
            key("elasticache", "cache.r6g.large", "redis", "node"),
            0.206,
            "USD/hour",
        ),
        (
            key("elasticache", "cache.r6g.large", "valkey", "node"),
            0.1648,
            "USD/hour",
        ),
        (
            key("elasticache", "cache.r6g.large", "memcached", "node"),
            0.206,
            "USD/hour",
        ),
        (
            key("msk", "kafka.m5.large", "kafka", "broker"),
            0.21,
            "USD/hour",
        ),
        (
            key("msk", "kafka.m7g.large", "kafka", "broker"),
            0.204,
            "USD/hour",
        ),
        (
            key("msk", "storage-ebs", "kafka", "broker-storage"),
            0.1,
            "USD/GB-month",
        ),
        (
            key("ec2", "m5.large", "linux", "on-demand"),
            0.096,
            "USD/hour",
        ),
        (
            key("ec2", "m6g.large", "linux", "on-demand"),
            0.077,
            "USD/hour",
        ),
    ];
    for (key, usd, unit) in cases {
        let found = quotes(&key);
        assert_eq!(found.len(), 1, "{}: {found:?}", describe_key(&key));
        let q = &found[0];
        assert_eq!(
            (q.usd, q.unit.as_str()),
            (usd, unit),
            "{}",
            describe_key(&key)
        );
        assert!(
            q.source.starts_with("aws-pricing-api:Amazon"),
            "{}",
            q.source
        );
        let snap = snapshot.quote(&key).expect("the snapshot has the key");
        assert_eq!(
            (snap.usd, snap.unit.as_str(), snap.as_of.as_str()),
            (q.usd, unit, q.as_of.as_str()),
            "{}",
            describe_key(&key)
        );
    }
}

#[test]
fn a_product_that_is_not_the_one_asked_for_is_refused() {
    let rds = items(include_str!("../../tests/fixtures/pricing/rds.json"));
    // Item 1 is db.r6g.large PostgreSQL Multi-AZ.
    let single = key("rds", "db.r6g.large", "postgresql", "single-az");
    let e = parse_product(&rds[1], &single, REGION).expect_err("Multi-AZ for Single-AZ");
    assert!(
        matches!(&e, PriceListError::NotTheProduct { field, expected, found, .. }
            if field == "deploymentOption" && expected == "Single-AZ" && found == "Multi-AZ"),
        "{e}"
    );
    // The right product, asked for in another region.
    let e = parse_product(&rds[0], &single, "eu-west-1").expect_err("another region");
    assert!(
        matches!(&e, PriceListError::NotTheProduct { field, .. } if field == "regionCode"),
        "{e}"
    );
    // Another service altogether.
    let ec2 = items(include_str!("../../tests/fixtures/pricing/ec2.json"));
    let e = parse_product(&ec2[0], &single, REGION).expect_err("EC2 for RDS");
    assert!(
        matches!(&e, PriceListError::NotTheProduct { field, .. } if field == "servicecode"),
        "{e}"
    );
    // EC2: the unused capacity reservation of the same type is another product.
    let m5 = key("ec2", "m5.large", "linux", "on-demand");
    let e = parse_product(&ec2[1], &m5, REGION).expect_err("unused reservation");
    assert!(
        matches!(&e, PriceListError::NotTheProduct { field, .. } if field == "capacitystatus"),
        "{e}"
    );
    // Serverless v2: the I/O-optimized product is not the standard one.
    let aurora = items(include_str!("../../tests/fixtures/pricing/aurora.json"));
    let standard = key(
        "aurora",
        "db.serverless(ACU)",
        "aurora-mysql",
        "serverless-v2-standard",
    );
    let e = parse_product(&aurora[3], &standard, REGION).expect_err("I/O-optimized");
    assert!(
        matches!(&e, PriceListError::NotTheProduct { field, .. } if field == "usagetype"),
        "{e}"
    );
    // MSK: a broker of another size is another product.
    let msk = items(include_str!("../../tests/fixtures/pricing/msk.json"));
    let m7g = key("msk", "kafka.m7g.large", "kafka", "broker");
    let e = parse_product(&msk[0], &m7g, REGION).expect_err("m5 for m7g");
    assert!(e.to_string().contains("`Kafka.m7g.large`"), "{e}");
}

#[test]
fn several_dimensions_pick_the_unit_or_refuse_ambiguity() {
    let items = awkward();
    // GB-Mo and MBps-Mo in one product: storage takes the GB-Mo one.
    let storage = key("msk", "storage-ebs", "kafka", "broker-storage");
    let q = parse_product(&items[0], &storage, REGION).expect("the GB-Mo dimension");
    assert_eq!((q.usd, q.unit.as_str()), (0.1, "USD/GB-month"));
    // Two hourly prices for the same range: no guess.
    let redis = key("elasticache", "cache.r6g.large", "redis", "node");
    let e = parse_product(&items[1], &redis, REGION).expect_err("ambiguous");
    assert_eq!(
        e,
        PriceListError::Ambiguous {
            sku: e_sku(&e),
            unit: "USD/hour",
            prices: "0.2060000000, 0.1648000000".into(),
        }
    );
}

fn e_sku(e: &PriceListError) -> String {
    match e {
        PriceListError::Ambiguous { sku, .. }
        | PriceListError::Tiered { sku, .. }
        | PriceListError::NoPrice { sku, .. }
        | PriceListError::NotTheProduct { sku, .. } => sku.clone(),
        other => panic!("no sku in {other}"),
    }
}

#[test]
fn tiers_with_different_prices_are_refused_and_equal_tiers_are_one_price() {
    let items = awkward();
    let single = key("rds", "storage-gp3", "postgresql", "single-az");
    let e = parse_product(&items[2], &single, REGION).expect_err("tiered");
    assert!(
        matches!(
            e,
            PriceListError::Tiered {
                unit: "USD/GB-month",
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("0–10240: 0.1150000000, 10240–inf: 0.2300000000"),
        "{e}"
    );
    let multi = key("rds", "storage-gp3", "postgresql", "multi-az");
    let q = parse_product(&items[3], &multi, REGION).expect("equal tiers");
    assert_eq!((q.usd, q.unit.as_str()), (0.23, "USD/GB-month"));
}

#[test]
fn a_price_in_another_unit_is_no_price() {
    let items = awkward();
    let mut text: Value = serde_json::from_str(&items[0]).expect("JSON");
    // Keep only the MBps-Mo dimension.
    let term = text["terms"]["OnDemand"]
        .as_object_mut()
        .and_then(|o| o.values_mut().next())
        .and_then(|t| t.as_object_mut())
        .and_then(|o| o.values_mut().next())
        .expect("one term");
    let dims = term["priceDimensions"].as_object_mut().expect("dimensions");
    dims.retain(|_, d| d["unit"] == "MBps-Mo");
    let storage = key("msk", "storage-ebs", "kafka", "broker-storage");
    let e = parse_product(&text.to_string(), &storage, REGION).expect_err("no GB-Mo");
    assert!(
        matches!(&e, PriceListError::NoPrice { unit: "USD/GB-month", found, .. } if found == "MBps-Mo"),
        "{e}"
    );
}

#[test]
fn unsupported_keys_and_malformed_text_are_typed_errors() {
    for k in [
        key("ec2", "m5.large", "linux", "spot-max-az"),
        key("msk", "provisioned-throughput", "kafka", "broker-storage"),
        key("rds", "db.r6g.large", "oracle-se2", "single-az"),
        key(
            "aurora",
            "db.serverless(ACU)",
            "postgresql",
            "serverless-v2-standard",
        ),
        key("elasticache", "cache.r6g.large", "redis", "cluster"),
    ] {
        let e = ProductSpec::for_key(&k, REGION).expect_err("unsupported");
        assert!(matches!(e, PriceListError::Unsupported { .. }), "{e}");
    }
    let k = key("ec2", "m5.large", "linux", "on-demand");
    for text in ["", "[]", "{\"product\": 3}"] {
        let e = parse_product(text, &k, REGION).expect_err("malformed");
        assert!(matches!(e, PriceListError::Malformed { .. }), "{text}: {e}");
    }
    let ec2 = items(include_str!("../../tests/fixtures/pricing/ec2.json"));
    let bad = ec2[0].replace("\"USD\":\"0.0960000000\"", "\"USD\":\"-1\"");
    let e = parse_product(&bad, &k, REGION).expect_err("negative price");
    assert!(e.to_string().contains("`-1` is not a price"), "{e}");
}

#[test]
fn specs_carry_the_filters_and_the_region() {
    let spec = ProductSpec::for_key(
        &key("rds", "db.r6g.large", "postgresql", "multi-az"),
        "eu-west-1",
    )
    .expect("supported");
    assert_eq!(spec.service_code, "AmazonRDS");
    assert_eq!(
        spec.attributes,
        vec![
            ("databaseEngine", "PostgreSQL".to_string()),
            ("deploymentOption", "Multi-AZ".to_string()),
            ("instanceType", "db.r6g.large".to_string()),
            ("locationType", "AWS Region".to_string()),
            ("regionCode", "eu-west-1".to_string()),
        ]
    );
    assert_eq!(spec.usage_type, "Multi-AZUsage:db.r6g.large");
    assert!(spec.usage_type_matches("EU-Multi-AZUsage:db.r6g.large"));
    assert!(!spec.usage_type_matches("Multi-AZUsage:db.r6g.large2"));
    assert!(!spec.usage_type_matches("Multi-AZ-Multi-AZUsage:db.r6g.large"));
}

#[test]
fn an_answer_prices_what_it_can_and_says_why_not_for_the_rest() {
    let mut items = all_items();
    items.extend(awkward());
    let keys = [
        key("rds", "db.r6g.large", "postgresql", "single-az"),
        key("ec2", "m5.large", "linux", "on-demand"),
        key("ec2", "c6i.large", "linux", "on-demand"),
        key("ec2", "m5.large", "linux", "spot-max-az"),
        key("rds", "storage-gp3", "postgresql", "single-az"),
        key("elasticache", "cache.r6g.large", "redis", "node"),
    ];
    let answer = answer_from_items(REGION, &keys, items.iter().map(String::as_str));
    assert_eq!(answer.quotes.len(), 2, "{answer:?}");
    assert_eq!(answer.quotes[&keys[0]].usd, 0.225);
    assert_eq!(answer.quotes[&keys[1]].usd, 0.096);
    assert_eq!(answer.unpriced[&keys[2]], Unquoted::NoProduct);
    assert!(matches!(
        answer.unpriced[&keys[3]],
        Unquoted::Unsupported(_)
    ));
    // The real storage product plus the tiered one: the tiered one refuses,
    // the real one prices, so two answers disagree: refused, not guessed.
    assert!(
        matches!(
            &answer.unpriced[&keys[4]],
            Unquoted::Refused(PriceListError::Tiered { .. })
        ),
        "{:?}",
        answer.unpriced[&keys[4]]
    );
    // Two Redis products: one with a single price, one ambiguous.
    assert!(matches!(
        &answer.unpriced[&keys[5]],
        Unquoted::Refused(PriceListError::Ambiguous { .. })
    ));
}

#[test]
fn two_products_with_different_prices_are_several_products() {
    let items = all_items();
    let cheaper = items[0].replace("0.2250000000", "0.2000000000");
    let keys = [key("rds", "db.r6g.large", "postgresql", "single-az")];
    let answer = answer_from_items(REGION, &keys, [items[0].as_str(), cheaper.as_str()]);
    let why = &answer.unpriced[&keys[0]];
    assert!(
        matches!(why, Unquoted::SeveralProducts { quotes } if quotes.len() == 2),
        "{why}"
    );
    // The same product twice is one price.
    let answer = answer_from_items(REGION, &keys, [items[0].as_str(), items[0].as_str()]);
    assert_eq!(answer.quotes[&keys[0]].usd, 0.225);
}
