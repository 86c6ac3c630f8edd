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
