//! An invalid policy: every function refuses to act, says why in its log
//! (file, line, field), and notifies once per cold start.

use tidegate::aws::CostExplorerAdapter;
use tidegate::lambda::{alarm, budget, scheduler};

use super::{Stack, alarm_event, at, capture_logs, event};
use crate::support::MotoServer;

#[tokio::test]
async fn every_handler_refuses_to_act_on_an_invalid_policy_and_logs_why() {
    let stack = Stack::with_policy(MotoServer::shared(), "db.r6g.large", 12, |p| {
        p.replace("floor: db.r6g.xlarge", "floor: db.r6g.huge")
    })
    .await;
    let (logs, guard) = capture_logs();
    let now = at("2026-11-23T17:05:00Z"); // evening: the scheduler would cap the group
    let alarm_fn = stack.function("alarm").await;
    let scheduler_fn = stack.function("scheduler").await;
    let budget_fn = stack.function("budget").await;
    let cost = CostExplorerAdapter::new(&stack.sdk);

    let answers = [
        alarm::handle(
            &alarm_fn,
            &alarm_event(&stack.alarm, "ALARM", "2026-11-23T17:04:00.000+0000"),
            "req-a",
            now,
        )
        .await
        .expect("answered"),
        scheduler::handle(
            &scheduler_fn,
            &event("schedule-eventbridge.json"),
            "req-s",
            now,
        )
        .await
        .expect("answered"),
        budget::handle(
            &budget_fn,
            &cost,
            &event("schedule-eventbridge.json"),
            "req-b",
            now,
        )
        .await
        .expect("answered"),
    ];
    drop(guard);
    for a in &answers {
        assert_eq!(a["status"], "policy_invalid", "{a:#}");
        assert_eq!(a["applied"], serde_json::json!([]));
    }
    assert_eq!(stack.db_class().await, "db.r6g.large");
    assert_eq!(stack.capacity().await.2, 12);

    // The log line names the file, the line and the field.
    let source = stack.config.policy_source();
    let refusals: Vec<_> = logs
        .lines()
        .into_iter()
        .filter(|l| l["message"] == "policy invalid: refusing to act")
        .collect();
    assert_eq!(refusals.len(), 3, "{:#?}", logs.lines());
    for r in &refusals {
        let error = r["error"].as_str().unwrap_or_default();
        assert!(error.starts_with(&format!("{source}:")), "{error}");
        assert!(error.contains("db.r6g.huge"), "{error}");
        assert!(error.contains("floor"), "{error}");
    }
    // One notice per function.
    let notices = stack.notices().await;
    let kinds: Vec<&str> = notices.iter().filter_map(|n| n["kind"].as_str()).collect();
    assert_eq!(kinds, ["policy_invalid"; 3], "{notices:#?}");
}

#[tokio::test]
async fn a_policy_that_cannot_be_read_is_refused_the_same_way() {
    let mut stack = Stack::new(MotoServer::shared(), "db.r6g.large", 12).await;
    stack.config.policy_key = "nowhere.yaml".to_owned();
    let function = stack.function("scheduler").await;
    let answer = scheduler::handle(
        &function,
        &event("schedule-eventbridge.json"),
        "req",
        at("2026-11-23T17:05:00Z"),
    )
    .await
    .expect("answered");
    assert_eq!(answer["status"], "policy_invalid", "{answer:#}");
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|e| e.contains("nowhere.yaml")),
        "{answer:#}"
    );
    assert_eq!(stack.capacity().await.2, 12);
}

/// A policy for another region than the function's: refused like an
/// invalid policy (nothing observed or changed), naming both regions.
#[tokio::test]
async fn a_policy_for_another_region_is_refused_naming_both() {
    let stack = Stack::with_policy(MotoServer::shared(), "db.r6g.large", 12, |p| {
        p.replace("region: us-east-1", "region: eu-west-1")
    })
    .await;
    let function = stack.function("scheduler").await;
    let error = function.policy.as_ref().expect_err("refused");
    assert!(
        error.contains("region eu-west-1") && error.contains("runs in us-east-1"),
        "{error}"
    );
    let answer = scheduler::handle(
        &function,
        &event("schedule-eventbridge.json"),
        "req-r",
        at("2026-11-23T17:05:00Z"),
    )
    .await
    .expect("answered");
    assert_eq!(answer["status"], "policy_invalid", "{answer:#}");
    assert_eq!(stack.capacity().await.2, 12, "nothing changed");
}
