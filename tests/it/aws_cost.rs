//! aws_cost: the Cost Explorer adapter against a dedicated moto server,
//! with GetCostAndUsage answers queued through moto's own API (moto tracks
//! no cost; every request with a new body pops the next queued answer, so
//! these tests cannot share a server).

use chrono::NaiveDate;
use serde_json::{Value, json};
use tidegate::aws::CostExplorerAdapter;
use tidegate::ports::CostPort;

use crate::support::MotoServer;

fn date(text: &str) -> NaiveDate {
    text.parse().expect("a date")
}

/// One day of a GetCostAndUsage answer.
fn day(start: &str, end: &str, amount: &str) -> Value {
    json!({
        "TimePeriod": { "Start": start, "End": end },
        "Total": { "UnblendedCost": { "Amount": amount, "Unit": "USD" } },
        "Groups": [],
        "Estimated": false
    })
}

#[tokio::test]
async fn sums_the_daily_unblended_cost_over_every_page() {
    let moto = MotoServer::dedicated();
    moto.queue_cost_and_usage(vec![
        json!({
            "ResultsByTime": [
                day("2026-11-01", "2026-11-02", "10.5"),
                day("2026-11-02", "2026-11-03", "2.2500000001"),
            ],
            "NextPageToken": "page-2",
            "DimensionValueAttributes": []
        }),
        json!({
            "ResultsByTime": [day("2026-11-03", "2026-11-04", "1.25")],
            "DimensionValueAttributes": []
        }),
    ]);
    let ce = CostExplorerAdapter::new(&moto.sdk_config().await);

    let spend = ce
        .spend_usd(date("2026-11-01"), date("2026-11-04"))
        .await
        .expect("GetCostAndUsage");
    assert!((spend - 14.0000000001).abs() < 1e-9, "{spend}");
    assert_eq!(moto.calls().count("ce", "GetCostAndUsage"), 2);

    // An empty range is zero without a call.
    let none = ce
        .spend_usd(date("2026-11-04"), date("2026-11-04"))
        .await
        .expect("empty range");
    assert_eq!(none, 0.0);
    let backwards = ce
        .spend_usd(date("2026-11-05"), date("2026-11-01"))
        .await
        .expect("backwards range");
    assert_eq!(backwards, 0.0);
    assert_eq!(moto.calls().count("ce", "GetCostAndUsage"), 2);
}

#[tokio::test]
async fn an_amount_that_is_not_a_number_is_an_error() {
    let moto = MotoServer::dedicated();
    moto.queue_cost_and_usage(vec![json!({
        "ResultsByTime": [day("2026-11-01", "2026-11-02", "n/a")],
        "DimensionValueAttributes": []
    })]);
    let ce = CostExplorerAdapter::new(&moto.sdk_config().await);
    let err = ce
        .spend_usd(date("2026-11-01"), date("2026-11-02"))
        .await
        .expect_err("unparsable amount");
    assert_eq!(
        (err.service, err.operation, err.resource.as_str()),
        ("ce", "GetCostAndUsage", "2026-11-01..2026-11-02")
    );
    assert!(err.message.contains("n/a"), "{err}");
}

/// One day of a grouped answer (Total is empty when grouping, as in AWS).
fn grouped(start: &str, end: &str, groups: &[(&str, &str)]) -> Value {
    let groups: Vec<Value> = groups
        .iter()
        .map(|(service, amount)| {
            json!({
                "Keys": [service],
                "Metrics": { "UnblendedCost": { "Amount": amount, "Unit": "USD" } }
            })
        })
        .collect();
    json!({
        "TimePeriod": { "Start": start, "End": end },
        "Total": {},
        "Groups": groups,
        "Estimated": false
    })
}

#[tokio::test]
async fn daily_spend_by_service_merges_the_days_of_every_page() {
    let moto = MotoServer::dedicated();
    // AWS may split one day's groups over two pages.
    moto.queue_cost_and_usage(vec![
        json!({
            "ResultsByTime": [
                grouped("2026-11-01", "2026-11-02", &[("Amazon Relational Database Service", "40"), ("AWS Lambda", "0.25")]),
                grouped("2026-11-02", "2026-11-03", &[]),
            ],
            "NextPageToken": "page-2",
            "GroupDefinitions": [{ "Type": "DIMENSION", "Key": "SERVICE" }],
            "DimensionValueAttributes": []
        }),
        json!({
            "ResultsByTime": [grouped("2026-11-01", "2026-11-02", &[("Amazon Simple Storage Service", "1.5")])],
            "GroupDefinitions": [{ "Type": "DIMENSION", "Key": "SERVICE" }],
            "DimensionValueAttributes": []
        }),
    ]);
    let ce = CostExplorerAdapter::new(&moto.sdk_config().await);
    let days = ce
        .daily_spend(date("2026-11-01"), date("2026-11-03"))
        .await
        .expect("GetCostAndUsage by service");
    assert_eq!(moto.calls().count("ce", "GetCostAndUsage"), 2);
    let dates: Vec<String> = days.iter().map(|d| d.date.to_string()).collect();
    assert_eq!(dates, ["2026-11-01", "2026-11-02"]);
    assert_eq!(days[0].total_usd, 41.75);
    assert_eq!(days[0].by_service.len(), 3);
    assert_eq!(days[0].by_service["Amazon Simple Storage Service"], 1.5);
    // A day without groups spent nothing, and is kept.
    assert_eq!(days[1].total_usd, 0.0);
    assert!(days[1].by_service.is_empty());
}

#[tokio::test]
async fn moto_has_no_get_anomalies_and_the_adapter_says_which_call_failed() {
    // moto 5.2.5 does not implement Cost Anomaly Detection's GetAnomalies;
    // its mapping is tested on SDK output in src/aws/costexplorer.rs and
    // the budget run's use of it through `tidegate::fake::FakeCost`.
    let moto = MotoServer::dedicated();
    let ce = CostExplorerAdapter::new(&moto.sdk_config().await);
    let err = ce
        .cost_anomalies(date("2026-11-01"), date("2026-11-04"))
        .await
        .expect_err("moto has no GetAnomalies");
    assert_eq!((err.service, err.operation), ("ce", "GetAnomalies"));
    assert_eq!(err.resource, "2026-11-01..2026-11-04");
}
