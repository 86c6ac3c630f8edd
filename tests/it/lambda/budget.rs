//! The budget function: spend from Cost Explorer (queued in moto), plus the
//! estate's run-rate, against a $1,000 daily budget (warn 80%, emergency
//! 95%). Each run is on its own day: moto answers a GetCostAndUsage body it
//! has seen before with the same result, and each day's request differs.

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
