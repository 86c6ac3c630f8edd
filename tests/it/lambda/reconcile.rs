//! A run that died between writing its intent and writing the outcome is
//! settled by the next start, from the resource's real state; nothing is
//! lost from the log.

use chrono::TimeDelta;
use tidegate::estate::Setting;
use tidegate::lambda::scheduler;
use tidegate::ledger::{EventRef, Ledger, LogEntry, LoggedStatus};
use tidegate::plan::{Action, Cause};
use tidegate::policy::{Direction, KnobName, ResourceKind};

use super::{Stack, at, event};
use crate::support::MotoServer;

/// The change the dead run was making: the DB one rung up from its floor.
fn db_step_up(stack: &Stack) -> Action {
    Action {
        policy_id: "app-db".to_owned(),
        identifier: stack.db.clone(),
        kind: ResourceKind::RdsInstance,
        knob: KnobName::InstanceClass,
        from: Setting::Class("db.r6g.xlarge".to_owned()),
        to: Setting::Class("db.r6g.2xlarge".to_owned()),
        direction: Some(Direction::Up),
        cause: Cause::Rule {
            rule: format!("alarm {}", stack.alarm),
            alarm: stack.alarm.clone(),
            critical: false,
        },
        reason: "alarm fired: one step up".to_owned(),
        cost_delta_per_hour: None,
        refused: None,
        notes: Vec::new(),
        prices: Vec::new(),
    }
}

/// Writes the dead run's lease and intent at `t0`; when `called`, its AWS
/// call went through before it died.
async fn die_mid_change(
    stack: &Stack,
    function: &tidegate::lambda::Function,
    called: bool,
) -> LogEntry {
    let t0 = at("2026-11-28T09:00:00Z"); // a Saturday: the group is left alone
    let ledger = function.ledger();
    assert!(
        ledger
            .take_lease(&stack.db, "dead-run", t0, t0 + TimeDelta::minutes(20))
            .await
            .expect("lease")
    );
    let event = EventRef {
        source: "alarm".to_owned(),
        id: Some("alarm/x/Alarm/1".to_owned()),
        summary: "alarm fired".to_owned(),
    };
    let intent = LogEntry::intent(&db_step_up(stack), &event, "dead-run", t0);
    ledger.record_intent(&intent).await.expect("intent");
    if called {
        aws_sdk_rds::Client::new(&stack.sdk)
            .modify_db_instance()
            .db_instance_identifier(&stack.db)
            .db_instance_class("db.r6g.2xlarge")
            .apply_immediately(true)
            .send()
            .await
            .expect("ModifyDBInstance");
    }
    intent
}

/// The log entries of the DB (the scheduler also converges the group).
async fn db_log(
    stack: &Stack,
    function: &tidegate::lambda::Function,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<LogEntry> {
    let mut log = stack.log(function, now).await;
    log.retain(|e| e.action.identifier == stack.db);
    log
}

#[tokio::test]
async fn an_intent_whose_call_took_effect_is_settled_as_applied_and_counts_toward_cooldown() {
    let stack = Stack::new(MotoServer::shared(), "db.r6g.xlarge", 3).await;
    let function = stack.function("scheduler").await;
    let intent = die_mid_change(&stack, &function, true).await;

    // While the dead run's lease lasts, its intent is in flight: left alone.
    let early = at("2026-11-28T09:05:00Z");
    let answer = scheduler::handle(
        &function,
        &event("schedule-eventbridge.json"),
        "req-1",
        early,
    )
    .await
    .expect("run");
    assert_eq!(answer["reconciled"], 0, "{answer:#}");
    let dead_runs = |notices: Vec<serde_json::Value>| -> Vec<serde_json::Value> {
        notices
            .into_iter()
            .filter(|n| n["kind"] == "dead_run")
            .collect()
    };
    assert!(dead_runs(stack.notices().await).is_empty());
    let log = db_log(&stack, &function, early).await;
    assert_eq!(log.len(), 1, "{log:#?}");
    assert!(log[0].outcome.is_none());

    // The next start after the lease lapsed settles it.
    let later = at("2026-11-28T09:25:00Z");
    let answer = scheduler::handle(
        &function,
        &event("schedule-eventbridge.json"),
        "req-2",
        later,
    )
    .await
    .expect("run");
    assert_eq!(answer["reconciled"], 1, "{answer:#}");
    // Issue 21.5: a dead run is critical news, said once, by the run that
    // settled its change.
    let dead = dead_runs(stack.notices().await);
    assert_eq!(dead.len(), 1, "{dead:#?}");
    assert_eq!(dead[0]["category"], "critical");
    assert_eq!(dead[0]["severity"], "high");
    assert_eq!(dead[0]["settled_as"], "applied");
    assert_eq!(dead[0]["dead_run"], intent.holder.as_str());
    let log = db_log(&stack, &function, later).await;
    assert_eq!(log.len(), 1, "nothing lost, nothing added: {log:#?}");
    assert_eq!(log[0].id, intent.id);
    assert_eq!(log[0].event, intent.event);
    let outcome = log[0].outcome.as_ref().expect("settled");
    assert_eq!(outcome.status, LoggedStatus::Applied);
    assert!(outcome.reconciled);
    let history = function.ledger().history(later).await.expect("history");
    let last_up = history.last_change(&stack.db, Some(Direction::Up));
    assert_eq!(
        last_up.map(|a| a.at),
        Some(intent.intent_at),
        "the cooldown clock"
    );
}

#[tokio::test]
async fn an_intent_whose_call_never_happened_is_settled_as_not_applied() {
    let stack = Stack::new(MotoServer::shared(), "db.r6g.xlarge", 3).await;
    let function = stack.function("scheduler").await;
    let intent = die_mid_change(&stack, &function, false).await;
    let later = at("2026-11-28T09:25:00Z");
    let answer = scheduler::handle(&function, &event("schedule-eventbridge.json"), "req", later)
        .await
        .expect("run");
    assert_eq!(answer["reconciled"], 1, "{answer:#}");
    let log = db_log(&stack, &function, later).await;
    assert_eq!(log.len(), 1, "{log:#?}");
    assert_eq!(log[0].id, intent.id);
    let outcome = log[0].outcome.as_ref().expect("settled");
    assert_eq!(outcome.status, LoggedStatus::Skipped);
    assert!(
        outcome.detail.contains("never took effect"),
        "{}",
        outcome.detail
    );
    let history = function.ledger().history(later).await.expect("history");
    assert!(
        history.last_change(&stack.db, None).is_none(),
        "no cooldown from a change that did not happen"
    );
    assert_eq!(stack.db_class().await, "db.r6g.xlarge");
}
