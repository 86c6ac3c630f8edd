//! The scheduler function: level-triggered convergence to the profile in
//! force, in the schedule's time zone, holidays included.
//!
//! The workers group's profiles (Europe/Berlin): business hours 8–20
//! instances, evening 3–6, weekend and holidays 2–4.

use tidegate::lambda::scheduler;
use tidegate::ledger::PriceCache;

use super::{Stack, at, event};
use crate::support::MotoServer;

/// Runs the scheduler at `now` on a group of `desired` instances; returns
/// the group's (min, max, desired) after, and the profile the run saw.
async fn converge(desired: i32, now: &str) -> ((i32, i32, i32), String, Stack) {
    let moto = MotoServer::shared();
    let stack = Stack::new(moto, "db.r6g.xlarge", desired).await;
    let function = stack.function("scheduler").await;
    let answer = scheduler::handle(
        &function,
        &event("schedule-eventbridge.json"),
        "req-1",
        at(now),
    )
    .await
    .expect("the scheduler run");
    let profile = answer["profiles"][stack.asg.as_str()]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (stack.capacity().await, profile, stack)
}

#[tokio::test]
async fn at_18_05_on_a_weekday_the_evening_profile_caps_the_group() {
    // Monday 2026-11-23 18:05 in Berlin (CET, UTC+1) is 17:05 UTC.
    let (capacity, profile, _) = converge(12, "2026-11-23T17:05:00Z").await;
    assert_eq!(profile, "evening");
    assert_eq!(capacity, (3, 6, 6));
}

#[tokio::test]
async fn at_10_00_on_a_saturday_the_weekend_profile_applies() {
    let (capacity, profile, _) = converge(12, "2026-11-28T09:00:00Z").await;
    assert_eq!(profile, "weekend");
    assert_eq!(capacity, (2, 4, 4));
}

#[tokio::test]
async fn on_a_holiday_the_holiday_profile_applies_on_a_weekday() {
    // Thursday 2026-12-24, 11:00 in Berlin: business hours but for the holiday.
    let (capacity, profile, _) = converge(12, "2026-12-24T10:00:00Z").await;
    assert_eq!(profile, "weekend");
    assert_eq!(capacity, (2, 4, 4));
}

#[tokio::test]
async fn business_hours_raise_the_group_to_their_minimum() {
    let (capacity, profile, _) = converge(2, "2026-11-24T09:00:00Z").await;
    assert_eq!(profile, "business_hours");
    assert_eq!(capacity, (8, 20, 8));
}

#[tokio::test]
async fn just_after_the_autumn_dst_switch_local_time_decides() {
    // Berlin left summer time on Sunday 2026-10-25 (UTC+2 → UTC+1). On
    // Monday 06:30 UTC it is 07:30 local: still the weekend profile (with
    // the summer offset it would be 08:30, business hours).
    let (capacity, profile, _) = converge(12, "2026-10-26T06:30:00Z").await;
    assert_eq!(profile, "weekend");
    assert_eq!(capacity, (2, 4, 4));
    // And at 07:05 UTC it is 08:05 local: business hours.
    let (capacity, profile, _) = converge(2, "2026-10-26T07:05:00Z").await;
    assert_eq!(profile, "business_hours");
    assert_eq!(capacity, (8, 20, 8));
}

#[tokio::test]
async fn two_runs_in_a_row_change_nothing_the_second_time() {
    let (capacity, _, stack) = converge(12, "2026-11-23T17:05:00Z").await;
    assert_eq!(capacity, (3, 6, 6));
    let function = stack.function("scheduler").await;
    let second = scheduler::handle(
        &function,
        &event("schedule-eventbridge.json"),
        "req-2",
        at("2026-11-23T17:10:00Z"),
    )
    .await
    .expect("the second run");
    assert_eq!(second["applied"], serde_json::json!([]), "{second:#}");
    assert_eq!(second["refused"], serde_json::json!([]), "{second:#}");
    assert_eq!(stack.capacity().await, (3, 6, 6));
    // One applied change in the log: the first run's.
    let log = stack.log(&function, at("2026-11-23T17:10:00Z")).await;
    assert_eq!(log.len(), 1, "{log:#?}");
    // The first run asked the Pricing API and kept its answer in the
    // ledger; the second, within the cache's day, used it.
    let cached = function
        .ledger()
        .cached_prices("us-east-1")
        .await
        .expect("read the price cache")
        .expect("the first run's answer");
    assert_eq!(cached.fetched_at, at("2026-11-23T17:05:00Z"));
    assert!(!cached.quotes.is_empty(), "{cached:?}");
}
