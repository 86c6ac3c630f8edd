//! The alarm function: one step per alarm state change, once.

use futures::future::join_all;
use serde_json::Value;
use tidegate::lambda::alarm;
use tidegate::ledger::{Ledger, LoggedStatus, PriceCache};

use super::{Stack, alarm_event, at, capture_logs, event};
use crate::support::MotoServer;

#[tokio::test]
async fn an_alarm_scales_its_resource_one_step_and_a_redelivery_does_nothing_more() {
    let moto = MotoServer::shared();
    let stack = Stack::new(moto, "db.r6g.large", 8).await;
    let function = stack.function("alarm").await;
    let now = at("2026-11-23T10:00:00Z");
    let fired = alarm_event(&stack.alarm, "ALARM", "2026-11-23T09:59:58.000+0000");

    let answer = alarm::handle(&function, &fired, "req-1", now)
        .await
        .expect("handled");
    assert_eq!(answer["status"]["status"], "done", "{answer:#}");
    assert_eq!(stack.db_class().await, "db.r6g.xlarge");
    let notices = stack.notices().await;
    assert_eq!(notices.len(), 1, "{notices:#?}");
    assert_eq!(notices[0]["kind"], "applied");
    assert_eq!(notices[0]["resource"], stack.db.as_str());
    assert_eq!(notices[0]["to"], "db.r6g.xlarge");

    // The same event again, a minute later (EventBridge delivers at least once).
    let again = alarm::handle(
        &function,
        &fired,
        "req-2",
        now + chrono::TimeDelta::minutes(1),
    )
    .await
    .expect("handled");
    assert_eq!(again["status"]["status"], "duplicate", "{again:#}");
    assert_eq!(stack.db_class().await, "db.r6g.xlarge");
    assert!(stack.notices().await.is_empty());

    // The log holds the one change, intent and outcome, with its cause.
    let log = stack.log(&function, now).await;
    assert_eq!(log.len(), 1, "{log:#?}");
    let outcome = log[0].outcome.as_ref().expect("an outcome");
    assert_eq!(outcome.status, LoggedStatus::Applied);
    assert_eq!(log[0].event.source, "alarm");
    assert_eq!(
        log[0].event.id.as_deref(),
        Some(format!("alarm/{}/Alarm/2026-11-23T09:59:58.000+0000", stack.alarm).as_str())
    );
}

#[tokio::test]
async fn the_three_delivery_shapes_each_scale_the_resource() {
    let moto = MotoServer::shared();
    for (shape, at_time) in [
        ("alarm-eventbridge.json", "2026-11-23T11:00:00.000+0000"),
        ("alarm-lambda-action.json", "2026-11-23T11:00:01.000+0000"),
        ("alarm-sns.json", "2026-11-23T11:00:02.000+0000"),
    ] {
        let stack = Stack::new(moto, "db.r6g.large", 8).await;
        let function = stack.function("alarm").await;
        let mut e = event(shape);
        match shape {
            "alarm-eventbridge.json" => {
                e["detail"]["alarmName"] = Value::from(stack.alarm.as_str());
                e["detail"]["state"]["timestamp"] = Value::from(at_time);
            }
            "alarm-lambda-action.json" => {
                e["alarmData"]["alarmName"] = Value::from(stack.alarm.as_str());
                e["alarmData"]["state"]["timestamp"] = Value::from(at_time);
            }
            _ => {
                let mut message: Value = serde_json::from_str(
                    e["Records"][0]["Sns"]["Message"].as_str().expect("message"),
                )
                .expect("alarm JSON");
                message["AlarmName"] = Value::from(stack.alarm.as_str());
                message["StateChangeTime"] = Value::from(at_time);
                e["Records"][0]["Sns"]["Message"] = Value::from(message.to_string());
            }
        }
        let answer = alarm::handle(&function, &e, "req", at("2026-11-23T11:00:05Z"))
            .await
            .unwrap_or_else(|err| panic!("{shape}: {err}"));
        assert_eq!(
            answer["applied"].as_array().map(Vec::len),
            Some(1),
            "{shape}: {answer:#}"
        );
        assert_eq!(stack.db_class().await, "db.r6g.xlarge", "{shape}");
    }
}

#[tokio::test]
async fn an_unknown_alarm_does_nothing_and_says_so() {
    let moto = MotoServer::shared();
    let stack = Stack::new(moto, "db.r6g.large", 8).await;
    let function = stack.function("alarm").await;
    let (logs, guard) = capture_logs();
    let answer = alarm::handle(
        &function,
        &alarm_event(
            "somebody-elses-alarm",
            "ALARM",
            "2026-11-23T12:00:00.000+0000",
        ),
        "req-1",
        at("2026-11-23T12:00:01Z"),
    )
    .await
    .expect("an unknown alarm is not an error");
    drop(guard);
    assert_eq!(answer["status"]["status"], "ignored", "{answer:#}");
    assert!(
        answer["status"]["why"]
            .as_str()
            .is_some_and(|w| w.contains("somebody-elses-alarm")),
        "{answer:#}"
    );
    assert_eq!(stack.db_class().await, "db.r6g.large");
    assert!(stack.notices().await.is_empty());
    // Nothing to decide, so nothing priced: the Pricing API was not asked
    // (a run that asks keeps its answer in the ledger's price cache).
    let cached = function
        .ledger()
        .cached_prices("us-east-1")
        .await
        .expect("read the price cache");
    assert!(cached.is_none(), "{cached:?}");
    let warned = logs
        .lines()
        .into_iter()
        .any(|l| l["message"] == "unknown alarm: ignored" && l["alarm"] == "somebody-elses-alarm");
    assert!(
        warned,
        "no log line says the alarm was ignored: {:#?}",
        logs.lines()
    );
}

#[tokio::test]
async fn twenty_concurrent_invocations_for_one_alarm_make_one_modification() {
    // Dedicated server: the test counts ModifyDBInstance calls.
    let moto = MotoServer::dedicated();
    let stack = Stack::new(&moto, "db.r6g.large", 8).await;
    // Twenty cold starts, as twenty Lambda instances would have.
    let mut functions = Vec::new();
    for _ in 0..20 {
        functions.push(stack.function("alarm").await);
    }
    moto.reset_calls();
    let now = at("2026-11-23T13:00:00Z");
    // Twenty deliveries: different state changes (so idempotency alone
    // cannot explain the outcome; the lease and the cooldown must).
    let events: Vec<Value> = (0..20)
        .map(|i| {
            alarm_event(
                &stack.alarm,
                "ALARM",
                &format!("2026-11-23T12:59:{i:02}.000+0000"),
            )
        })
        .collect();
    let runs = functions
        .iter()
        .zip(&events)
        .enumerate()
        .map(|(i, (f, e))| {
            let id = format!("req-{i}");
            async move { alarm::handle(f, e, &id, now).await }
        });
    let answers = join_all(runs).await;
    let applied: usize = answers
        .iter()
        .map(|a| {
            let a = a.as_ref().expect("every invocation answers");
            a["applied"].as_array().map_or(0, Vec::len)
        })
        .sum();
    assert_eq!(applied, 1, "{answers:#?}");
    assert_eq!(moto.calls().count("rds", "ModifyDBInstance"), 1);
    assert_eq!(stack.db_class().await, "db.r6g.xlarge");
}

/// An alarm timestamp as CloudWatch writes it in events.
fn cloudwatch_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

#[tokio::test]
async fn a_forty_minute_old_alarm_redelivered_after_the_alarm_went_ok_changes_nothing() {
    use aws_sdk_cloudwatch::types::StateValue;
    let moto = MotoServer::shared();
    // At the policy's floor (xlarge), so only the alarm can move it.
    let stack = Stack::new(moto, "db.r6g.xlarge", 8).await;
    let function = stack.function("alarm").await;
    // The alarm fired 40 minutes ago and is OK again now (moto stamps each
    // state with the wall clock, as CloudWatch does).
    let cw = aws_sdk_cloudwatch::Client::new(&stack.sdk);
    crate::aws_cloudwatch::put_alarm(&cw, &stack.alarm, Some(StateValue::Alarm)).await;
    cw.set_alarm_state()
        .alarm_name(&stack.alarm)
        .state_value(StateValue::Ok)
        .state_reason("recovered")
        .send()
        .await
        .expect("SetAlarmState OK");
    let now = chrono::Utc::now() + chrono::TimeDelta::seconds(1);

    let stale = alarm_event(
        &stack.alarm,
        "ALARM",
        &cloudwatch_time(now - chrono::TimeDelta::minutes(40)),
    );
    let answer = alarm::handle(&function, &stale, "req-stale", now)
        .await
        .expect("handled");
    assert_eq!(answer["applied"], serde_json::json!([]), "{answer:#}");
    assert_eq!(answer["refused"], serde_json::json!([]), "{answer:#}");
    assert_eq!(stack.db_class().await, "db.r6g.xlarge");
    assert!(stack.notices().await.is_empty());
    let said = answer["notes"].as_array().is_some_and(|notes| {
        notes.iter().any(|n| {
            n.as_str()
                .is_some_and(|n| n.contains("older than its current state Ok"))
        })
    });
    assert!(said, "no note says the event was stale: {answer:#}");
    assert!(stack.log(&function, now).await.is_empty());

    // The same alarm entering ALARM after that OK does act.
    let fresh = alarm_event(&stack.alarm, "ALARM", &cloudwatch_time(now));
    let answer = alarm::handle(&function, &fresh, "req-fresh", now)
        .await
        .expect("handled");
    assert_eq!(
        answer["applied"].as_array().map(Vec::len),
        Some(1),
        "{answer:#}"
    );
    assert_eq!(stack.db_class().await, "db.r6g.2xlarge");
}

#[tokio::test]
async fn a_run_that_fails_after_claiming_its_event_is_run_again_by_the_retry() {
    // Dedicated server: the test injects a fault.
    let moto = MotoServer::dedicated();
    let stack = Stack::new(&moto, "db.r6g.large", 8).await;
    let function = stack.function("alarm").await;
    let now = at("2026-11-23T14:00:00Z");
    let fired = alarm_event(&stack.alarm, "ALARM", "2026-11-23T13:59:58.000+0000");

    // The ledger fails once after the event is claimed (the first Query is
    // the look for unfinished intents): the invocation fails.
    moto.inject(
        crate::support::Fault::new("Query", "AccessDeniedException")
            .service("dynamodb")
            .message("not now"),
    );
    let failed = alarm::handle(&function, &fired, "req-1", now).await;
    let err = failed.expect_err("the run fails, so Lambda retries the event");
    assert!(err.to_string().contains("not now"), "{err}");
    assert_eq!(stack.db_class().await, "db.r6g.large");

    // Lambda's retry, a minute later, runs again and acts.
    let retried = alarm::handle(
        &function,
        &fired,
        "req-2",
        now + chrono::TimeDelta::minutes(1),
    )
    .await
    .expect("the retry runs");
    assert_eq!(retried["status"]["status"], "done", "{retried:#}");
    assert_eq!(
        retried["applied"].as_array().map(Vec::len),
        Some(1),
        "{retried:#}"
    );
    assert_eq!(stack.db_class().await, "db.r6g.xlarge");

    // A re-delivery of the event the retry completed stays a duplicate.
    let again = alarm::handle(
        &function,
        &fired,
        "req-3",
        now + chrono::TimeDelta::minutes(2),
    )
    .await
    .expect("handled");
    assert_eq!(again["status"]["status"], "duplicate", "{again:#}");
    assert_eq!(stack.log(&function, now).await.len(), 1);
}

/// Issue 21.4: an alarm on an instance already at the top of its ladder is
/// at ceiling: no change, no bounds refusal, one critical notice for the
/// episode (not one per alarm delivery), and the DynamoDB ledger keeps the
/// episode with when it began.
#[tokio::test]
async fn an_alarm_at_the_top_of_the_ladder_raises_one_at_ceiling_notice_per_episode() {
    let moto = MotoServer::shared();
    let stack = Stack::new(moto, "db.r6g.2xlarge", 8).await;
    let function = stack.function("alarm").await;
    let now = at("2026-11-23T10:00:00Z");
    let fired = alarm_event(&stack.alarm, "ALARM", "2026-11-23T09:59:58.000+0000");
    let answer = alarm::handle(&function, &fired, "req-1", now)
        .await
        .expect("handled");
    assert_eq!(answer["status"]["status"], "done", "{answer:#}");
    assert_eq!(stack.db_class().await, "db.r6g.2xlarge");
    let notices = stack.notices().await;
    assert_eq!(notices.len(), 1, "{notices:#?}");
    assert_eq!(notices[0]["kind"], "at_ceiling");
    assert_eq!(notices[0]["category"], "critical");
    assert_eq!(notices[0]["resource"], stack.db.as_str());
    assert_eq!(notices[0]["setting"], "db.r6g.2xlarge");

    let history = function.ledger().history(now).await.expect("history");
    assert_eq!(history.at_limit.len(), 1, "{history:?}");
    assert_eq!(history.at_limit[0].since, now);

    // The alarm again (a new state change: a new event), ten minutes on:
    // the same episode, no second notice, the start kept.
    let later = now + chrono::TimeDelta::minutes(10);
    let again = alarm_event(&stack.alarm, "ALARM", "2026-11-23T10:09:58.000+0000");
    alarm::handle(&function, &again, "req-2", later)
        .await
        .expect("handled");
    assert!(stack.notices().await.is_empty(), "one notice per episode");
    let history = function.ledger().history(later).await.expect("history");
    assert_eq!(history.at_limit.len(), 1, "{history:?}");
    assert_eq!(history.at_limit[0].since, now);
}
