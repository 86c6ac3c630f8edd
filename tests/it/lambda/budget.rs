//! The budget function: spend from Cost Explorer (queued in moto), plus the
//! estate's run-rate, against a $1,000 daily budget (warn 80%, emergency
//! 95%). Each run is on its own day: moto answers a GetCostAndUsage body it
//! has seen before with the same result, and each day's request differs.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde_json::{Value, json};
use tidegate::aws::CostExplorerAdapter;
use tidegate::lambda::budget;
use tidegate::ledger::Ledger;

use super::{Stack, at, event};
use crate::support::MotoServer;

/// One GetCostAndUsage answer: `usd` spent on one day.
fn spent(day: &str, next: &str, usd: f64) -> Value {
    json!({
        "ResultsByTime": [{
            "TimePeriod": { "Start": day, "End": next },
            "Total": { "UnblendedCost": { "Amount": format!("{usd:.2}"), "Unit": "USD" } },
            "Groups": [],
            "Estimated": true
        }],
        "DimensionValueAttributes": []
    })
}

#[tokio::test]
async fn warn_notifies_only_emergency_scales_down_to_the_floors_and_recovery_releases() {
    let moto = MotoServer::dedicated();
    // The DB one rung above its floor; the group at 12 (evening allows 6,
    // but the scheduler has not run: only the budget acts here).
    let stack = Stack::new(&moto, "db.r6g.2xlarge", 12).await;
    let function = stack.function("budget").await;
    let cost = CostExplorerAdapter::new(&stack.sdk);
    // 23:30 UTC: half an hour of run-rate left in each day, a few dollars
    // against a $1,000 budget, so the percentages are the spend's.
    moto.queue_cost_and_usage(vec![
        spent("2026-11-23", "2026-11-24", 810.0),
        spent("2026-11-24", "2026-11-25", 960.0),
        spent("2026-11-25", "2026-11-26", 500.0),
    ]);
    let scheduled = event("schedule-eventbridge.json");

    // Day 1: 81% → a warning, nothing changed.
    let answer = budget::handle(
        &function,
        &cost,
        &scheduled,
        "req-1",
        at("2026-11-23T23:30:00Z"),
    )
    .await
    .expect("the budget run");
    assert_eq!(answer["budget"][0]["level"], "warn", "{answer:#}");
    assert_eq!(answer["applied"], json!([]), "{answer:#}");
    assert_eq!(answer["emergency"], false);
    assert_eq!(stack.db_class().await, "db.r6g.2xlarge");
    assert_eq!(stack.capacity().await.2, 12);
    let notices = stack.notices().await;
    let kinds: Vec<&str> = notices.iter().filter_map(|n| n["kind"].as_str()).collect();
    assert_eq!(kinds, ["budget_warning"], "{notices:#?}");
    assert_eq!(notices[0]["period"], "daily");

    // The same warning an hour later is not sent again.
    let mut again = scheduled.clone();
    again["id"] = Value::from("another-hourly-event");
    budget::handle(
        &function,
        &cost,
        &again,
        "req-1b",
        at("2026-11-23T23:45:00Z"),
    )
    .await
    .expect("the budget run");
    assert!(stack.notices().await.is_empty(), "a warning repeated");

    // Day 2: 96% → the emergency profile: both resources down to their
    // floors (the DB's floor is xlarge; the group's emergency cap is its
    // floor, 2), biggest saving first, and a notice of each.
    let answer = budget::handle(
        &function,
        &cost,
        &scheduled,
        "req-2",
        at("2026-11-24T23:30:00Z"),
    )
    .await
    .expect("the budget run");
    assert_eq!(answer["emergency"], true, "{answer:#}");
    assert_eq!(answer["budget"][0]["level"], "emergency");
    assert_eq!(stack.db_class().await, "db.r6g.xlarge");
    assert_eq!(stack.capacity().await, (2, 2, 2));
    assert_eq!(answer["failed"], json!([]), "{answer:#}");
    let applied = answer["applied"].as_array().cloned().unwrap_or_default();
    assert_eq!(applied.len(), 2, "{answer:#}");
    let notices = stack.notices().await;
    let kinds: Vec<&str> = notices.iter().filter_map(|n| n["kind"].as_str()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "applied").count(),
        2,
        "{notices:#?}"
    );
    assert!(kinds.contains(&"budget_emergency"), "{notices:#?}");
    let history = function
        .ledger()
        .history(at("2026-11-24T23:30:00Z"))
        .await
        .expect("history");
    assert!(history.emergency_since.is_some(), "the latch is set");

    // Day 3: 50% → released: the latch cleared, a notice says so.
    let answer = budget::handle(
        &function,
        &cost,
        &scheduled,
        "req-3",
        at("2026-11-25T23:30:00Z"),
    )
    .await
    .expect("the budget run");
    assert_eq!(answer["emergency"], false, "{answer:#}");
    let notices = stack.notices().await;
    let kinds: Vec<&str> = notices.iter().filter_map(|n| n["kind"].as_str()).collect();
    assert!(kinds.contains(&"budget_released"), "{notices:#?}");
    let history = function
        .ledger()
        .history(at("2026-11-25T23:30:00Z"))
        .await
        .expect("history");
    assert_eq!(history.emergency_since, None, "the latch is released");
    // Nothing went below a floor at any point.
    assert_eq!(stack.db_class().await, "db.r6g.xlarge");
    assert!(stack.capacity().await.2 >= 2);
}

#[tokio::test]
async fn an_aws_budgets_notification_triggers_a_check_once() {
    let moto = MotoServer::dedicated();
    let stack = Stack::new(&moto, "db.r6g.xlarge", 4).await;
    let function = stack.function("budget").await;
    let cost = CostExplorerAdapter::new(&stack.sdk);
    moto.queue_cost_and_usage(vec![spent("2026-11-23", "2026-11-24", 850.0)]);
    let notification = event("budget-sns.json");
    let now = at("2026-11-23T23:30:00Z");
    let answer = budget::handle(&function, &cost, &notification, "req-1", now)
        .await
        .expect("the budget run");
    assert_eq!(answer["budget"][0]["level"], "warn", "{answer:#}");
    let again = budget::handle(&function, &cost, &notification, "req-2", now)
        .await
        .expect("the re-delivery");
    assert_eq!(again["status"]["status"], "duplicate", "{again:#}");
}

/// A grouped GetCostAndUsage answer: each day from `first` for `days`
/// days, a Wednesday costing `wednesday` (EC2 the difference over $100 of
/// RDS), every other day $300 (EC2 $200, RDS $100); the last day holds
/// only `last_share` of that.
fn by_service(
    first: NaiveDate,
    days: u64,
    wednesday: impl Fn(NaiveDate) -> f64,
    last_share: f64,
) -> Value {
    let results: Vec<Value> = (0..days)
        .map(|i| {
            let d = first + Days::new(i);
            let total = if d.weekday() == Weekday::Wed { wednesday(d) } else { 300.0 };
            let share = if i + 1 == days { last_share } else { 1.0 };
            let group = |service: &str, usd: f64| {
                json!({
                    "Keys": [service],
                    "Metrics": { "UnblendedCost": { "Amount": format!("{:.2}", usd * share), "Unit": "USD" } }
                })
            };
            json!({
                "TimePeriod": { "Start": d.to_string(), "End": (d + Days::new(1)).to_string() },
                "Total": {},
                "Groups": [group("Amazon Elastic Compute Cloud - Compute", total - 100.0), group("Amazon Relational Database Service", 100.0)],
                "Estimated": false
            })
        })
        .collect();
    json!({ "ResultsByTime": results, "DimensionValueAttributes": [], "GroupDefinitions": [] })
}

#[tokio::test]
async fn spend_anomalies_are_notified_once_each() {
    let moto = MotoServer::dedicated();
    let stack = Stack::with_policy(&moto, "db.r6g.xlarge", 4, |p| {
        p.replace("anomaly: { enabled: false }", "anomaly: { enabled: true }")
    })
    .await;
    let function = stack.function("budget").await;
    let cost = CostExplorerAdapter::new(&stack.sdk);
    // Thursday 09:00: yesterday, a Wednesday, cost $700 against $300 on
    // the four before. The check reads 31 days back and today so far.
    let now = at("2026-11-26T09:00:00Z");
    let first: NaiveDate = "2026-10-26".parse().expect("date");
    let spike: NaiveDate = "2026-11-25".parse().expect("date");
    moto.queue_cost_and_usage(vec![
        spent("2026-11-26", "2026-11-27", 120.0),
        by_service(
            first,
            32,
            |d| if d == spike { 700.0 } else { 300.0 },
            9.0 / 24.0,
        ),
    ]);
    let scheduled = event("schedule-eventbridge.json");
    let answer = budget::handle(&function, &cost, &scheduled, "req-1", now)
        .await
        .expect("the budget run");
    assert_eq!(answer["budget"][0]["level"], "ok", "{answer:#}");
    let days = answer["anomalies"]["days"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let verdicts: Vec<(&str, &str)> = days
        .iter()
        .filter_map(|d| Some((d["date"].as_str()?, d["verdict"].as_str()?)))
        .collect();
    assert_eq!(
        verdicts,
        [
            ("2026-11-23", "usual"),
            ("2026-11-24", "usual"),
            ("2026-11-25", "anomalous"),
            ("2026-11-26", "usual"),
        ],
        "{answer:#}"
    );
    // moto 5.2.5 has no GetAnomalies: the run says so and goes on.
    let notes = answer["anomalies"]["notes"].to_string();
    assert!(
        notes.contains("AWS Cost Anomaly Detection not read"),
        "{answer:#}"
    );
    let notices = stack.notices().await;
    let anomalies: Vec<&Value> = notices
        .iter()
        .filter(|n| n["kind"] == "spend_anomaly")
        .collect();
    assert_eq!(anomalies.len(), 1, "{notices:#?}");
    let n = anomalies[0];
    assert_eq!(
        (n["category"].as_str(), n["severity"].as_str()),
        (Some("cost"), Some("high"))
    );
    assert_eq!(n["date"], "2026-11-25");
    assert_eq!(n["excess_usd"], 400.0);
    assert_eq!(
        n["services"][0]["service"],
        "Amazon Elastic Compute Cloud - Compute"
    );
    assert_eq!(n["services"][0]["excess_usd"], 400.0);

    // The next hour's run (same answers from moto) tells nothing again.
    let mut again = scheduled.clone();
    again["id"] = Value::from("the-next-hourly-event");
    let answer = budget::handle(
        &function,
        &cost,
        &again,
        "req-2",
        now + chrono::TimeDelta::hours(1),
    )
    .await
    .expect("the budget run");
    assert_eq!(
        answer["anomalies"]["days"][2]["verdict"], "anomalous",
        "{answer:#}"
    );
    let repeated: Vec<Value> = stack
        .notices()
        .await
        .into_iter()
        .filter(|n| n["kind"] == "spend_anomaly")
        .collect();
    assert!(repeated.is_empty(), "{repeated:#?}");
}
