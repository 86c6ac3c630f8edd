//! aws_ledger: the DynamoDB ledger against moto server. Each test creates a
//! table of its own with the schema Terraform creates (`pk` S, `sk` S, TTL on
//! `expires_at`) and drives the `Ledger` port through `DynamoDbLedger`; the
//! rules checked are `LedgerState`'s, which the memory and file ledgers use.
//!
//! moto never deletes expired items (AWS does within about 48 hours); the
//! ledger treats an expired item as absent either way, which the claim test
//! shows.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use tidegate::aws::DynamoDbLedger;
use tidegate::estate::Setting;
use tidegate::ledger::{
    Claim, EventRef, Ledger, LogEntry, LoggedOutcome, LoggedStatus, PriceCache, SpotWarning,
    SpotWarningKind,
};
use tidegate::plan::{Action, BudgetLevel, Cause};
use tidegate::policy::{Direction, KnobName, ResourceKind};
use tidegate::pricing::{CachedPrices, Origin, PriceKey, PriceListAnswer, Quote, Unquoted};

use crate::support::{MotoServer, create_ledger_table, unique};

const RETENTION: TimeDelta = TimeDelta::days(30);
const STALE: TimeDelta = TimeDelta::minutes(15);
const KEEP: TimeDelta = TimeDelta::days(2);

/// A fresh table on the shared server and the ledger in it.
async fn ledger() -> DynamoDbLedger {
    let moto = MotoServer::shared();
    let config = moto.sdk_config().await;
    let table = unique("tidegate-ledger");
    create_ledger_table(&config, &table).await;
    DynamoDbLedger::new(&config, table, RETENTION)
}

fn action(identifier: &str, direction: Option<Direction>) -> Action {
    Action {
        policy_id: identifier.to_owned(),
        identifier: identifier.to_owned(),
        kind: ResourceKind::RdsInstance,
        knob: KnobName::InstanceClass,
        from: Setting::Class("db.r6g.large".into()),
        to: Setting::Class("db.r6g.xlarge".into()),
        direction,
        cause: Cause::Schedule {
            schedule: "office".into(),
            profile: "day".into(),
        },
        reason: "the day profile asks for db.r6g.xlarge".into(),
        cost_delta_per_hour: Some(0.25),
        refused: None,
        notes: Vec::new(),
        prices: Vec::new(),
    }
}

fn intent(identifier: &str, direction: Option<Direction>, at: DateTime<Utc>) -> LogEntry {
    let event = EventRef {
        source: "schedule".into(),
        id: Some(unique("event")),
        summary: "office → day".into(),
    };
    LogEntry::intent(&action(identifier, direction), &event, "run-1", at)
}

fn outcome(entry: &LogEntry, status: LoggedStatus) -> LogEntry {
    entry.finished(LoggedOutcome {
        at: entry.intent_at + TimeDelta::seconds(2),
        status,
        detail: "ModifyDBInstance".into(),
        reconciled: false,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lease_raced_by_twenty_runs_is_won_by_exactly_one() {
    let ledger = Arc::new(ledger().await);
    let now = Utc::now();
    let until = now + TimeDelta::minutes(5);
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let ledger = Arc::clone(&ledger);
            tokio::spawn(async move {
                let holder = format!("run-{i}");
                let won = ledger
                    .take_lease("billing-db", &holder, now, until)
                    .await
                    .expect("TakeLease");
                (holder, won)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        let (holder, won) = task.await.expect("task");
        if won {
            winners.push(holder);
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");

    // The winner may extend it; the others still may not take it.
    let winner = &winners[0];
    let later = now + TimeDelta::minutes(1);
    assert!(
        ledger
            .take_lease("billing-db", winner, later, later + TimeDelta::minutes(5))
            .await
            .expect("extend")
    );
    let other = if winner == "run-0" { "run-1" } else { "run-0" };
    assert!(
        !ledger
            .take_lease("billing-db", other, later, later + TimeDelta::minutes(5))
            .await
            .expect("take")
    );
}

#[tokio::test]
async fn a_released_lease_can_be_retaken_and_a_lapsed_one_taken_over() {
    let ledger = ledger().await;
    let now = Utc::now();
    let minutes = |m| now + TimeDelta::minutes(m);
    let take = |holder: &'static str, at, until| {
        let ledger = &ledger;
        async move {
            ledger
                .take_lease("orders-db", holder, at, until)
                .await
                .expect("TakeLease")
        }
    };

    assert!(take("a", now, minutes(5)).await);
    assert!(!take("b", now, minutes(5)).await);
    // Only the holder can give it back.
    ledger
        .release_lease("orders-db", "b")
        .await
        .expect("release");
    assert!(!take("b", minutes(1), minutes(6)).await);
    ledger
        .release_lease("orders-db", "a")
        .await
        .expect("release");
    assert!(take("b", minutes(1), minutes(6)).await);
    // Releasing a lease one no longer holds, or one nobody holds, is fine.
    ledger
        .release_lease("orders-db", "a")
        .await
        .expect("release");
    ledger
        .release_lease("nobody-db", "a")
        .await
        .expect("release");

    // b's lease ends at minute 6: live just before, lapsed from then on.
    assert!(!take("c", minutes(6) - TimeDelta::milliseconds(1), minutes(10)).await);
    assert!(take("c", minutes(6), minutes(10)).await);
    assert!(!take("b", minutes(7), minutes(12)).await);
}

#[tokio::test]
async fn an_event_is_claimed_once_and_a_dead_runs_claim_is_taken_over() {
    let ledger = ledger().await;
    let now = Utc::now();
    let claim = |id: &'static str, holder: &'static str, at: DateTime<Utc>| {
        let ledger = &ledger;
        async move {
            ledger
                .claim_event(id, holder, at, STALE, KEEP)
                .await
                .expect("ClaimEvent")
        }
    };

    // First claim wins; a re-delivery while the run works is a duplicate.
    assert_eq!(claim("evt-1", "a", now).await, Claim::Claimed);
    assert_eq!(
        claim("evt-1", "b", now + TimeDelta::seconds(1)).await,
        Claim::Duplicate
    );

    // Unfinished and older than stale_after: its run died, take it over.
    assert_eq!(claim("evt-2", "a", now).await, Claim::Claimed);
    assert_eq!(
        claim("evt-2", "b", now + STALE - TimeDelta::seconds(1)).await,
        Claim::Duplicate
    );
    assert_eq!(claim("evt-2", "b", now + STALE).await, Claim::Claimed);
    assert_eq!(claim("evt-2", "c", now + STALE).await, Claim::Duplicate);

    // Finished: a duplicate however late, until the record expires.
    assert_eq!(claim("evt-3", "a", now).await, Claim::Claimed);
    ledger.finish_event("evt-3", "a").await.expect("finish");
    assert_eq!(
        claim("evt-3", "b", now + STALE * 10).await,
        Claim::Duplicate
    );
    // Expired (moto keeps the item; the condition treats it as absent).
    // The TTL is whole seconds rounded up, so one second later at most.
    assert_eq!(
        claim("evt-3", "b", now + KEEP + TimeDelta::seconds(1)).await,
        Claim::Claimed
    );

    // Only the holder's finish counts: b's does not mark a's claim done.
    assert_eq!(claim("evt-4", "a", now).await, Claim::Claimed);
    ledger.finish_event("evt-4", "b").await.expect("finish");
    assert_eq!(claim("evt-4", "c", now + STALE).await, Claim::Claimed);

    // Finishing an event never claimed creates nothing.
    ledger.finish_event("evt-5", "a").await.expect("finish");
    assert_eq!(claim("evt-5", "b", now).await, Claim::Claimed);
}

#[tokio::test]
async fn an_intent_and_its_outcome_round_trip_through_log_since() {
    let ledger = ledger().await;
    let now = Utc::now();
    let old = intent(
        "billing-db",
        Some(Direction::Up),
        now - TimeDelta::hours(30),
    );
    let first = intent(
        "billing-db",
        Some(Direction::Up),
        now - TimeDelta::minutes(20),
    );
    let second = intent(
        "orders-db",
        Some(Direction::Down),
        now - TimeDelta::minutes(10),
    );
    for e in [&second, &old, &first] {
        ledger.record_intent(e).await.expect("intent");
    }

    let log = ledger
        .log_since(now - TimeDelta::hours(1), now)
        .await
        .expect("log");
    assert_eq!(log, vec![first.clone(), second.clone()]);
    assert!(log.iter().all(|e| e.outcome.is_none()));

    let done = outcome(&first, LoggedStatus::Applied);
    ledger.record_outcome(&done).await.expect("outcome");
    // A retried intent write does not clobber the outcome.
    ledger.record_intent(&first).await.expect("intent again");
    let log = ledger
        .log_since(now - TimeDelta::hours(1), now)
        .await
        .expect("log");
    assert_eq!(log, vec![done.clone(), second.clone()]);

    // Across day partitions, oldest first; `since` is inclusive.
    let log = ledger.log_since(old.intent_at, now).await.expect("log");
    assert_eq!(log, vec![old, done, second.clone()]);
    let log = ledger.log_since(second.intent_at, now).await.expect("log");
    assert_eq!(log, vec![second]);
}

#[tokio::test]
async fn an_applied_outcome_shows_in_history_once_and_older_clocks_still_show() {
    let ledger = ledger().await;
    let now = Utc::now();

    // Applied three hours ago: outside the log window, kept by its clock.
    let old = intent(
        "billing-db",
        Some(Direction::Down),
        now - TimeDelta::hours(3),
    );
    // Applied ten minutes ago: both a clock and a log entry of the hour.
    let recent = intent(
        "billing-db",
        Some(Direction::Up),
        now - TimeDelta::minutes(10),
    );
    // Failed: neither.
    let failed = intent(
        "orders-db",
        Some(Direction::Up),
        now - TimeDelta::minutes(5),
    );
    for (e, status) in [
        (&old, LoggedStatus::Applied),
        (&recent, LoggedStatus::Applied),
        (&failed, LoggedStatus::Failed),
    ] {
        ledger.record_intent(e).await.expect("intent");
        ledger
            .record_outcome(&outcome(e, status))
            .await
            .expect("outcome");
    }
    // An older action's late outcome does not move the clock back.
    let older = intent("billing-db", Some(Direction::Up), now - TimeDelta::hours(5));
    ledger
        .record_outcome(&outcome(&older, LoggedStatus::Applied))
        .await
        .expect("outcome");

    let history = ledger.history(now).await.expect("history");
    let mut actions = history.actions.clone();
    actions.sort_by_key(|a| a.at);
    let expected: Vec<_> = [&old, &recent]
        .iter()
        .map(|e| {
            outcome(e, LoggedStatus::Applied)
                .past_action()
                .expect("applied")
        })
        .collect();
    assert_eq!(actions, expected);
    assert_eq!(history.actions_in_hour_before(now), 1);
    assert_eq!(
        history
            .last_change("billing-db", Some(Direction::Up))
            .map(|a| a.at),
        Some(recent.intent_at)
    );
    assert_eq!(
        history
            .last_change("billing-db", Some(Direction::Down))
            .map(|a| a.at),
        Some(old.intent_at)
    );
    assert_eq!(history.last_change("orders-db", None), None);
    assert_eq!(history.emergency_since, None);
}

#[tokio::test]
async fn the_emergency_latch_is_set_read_and_cleared() {
    let ledger = ledger().await;
    let now = Utc::now();
    let since = now - TimeDelta::minutes(42);
    ledger.set_emergency(Some(since)).await.expect("set");
    assert_eq!(
        ledger.history(now).await.expect("history").emergency_since,
        Some(since)
    );
    ledger.set_emergency(None).await.expect("clear");
    assert_eq!(
        ledger.history(now).await.expect("history").emergency_since,
        None
    );
    // Clearing a cleared latch is fine.
    ledger.set_emergency(None).await.expect("clear again");
}

#[tokio::test]
async fn swapping_a_budget_level_returns_the_one_before() {
    let ledger = ledger().await;
    let swap = |key: &'static str, level| {
        let ledger = &ledger;
        async move {
            ledger
                .swap_budget_level(key, level, Utc::now(), TimeDelta::days(2))
                .await
                .expect("swap")
        }
    };
    assert_eq!(swap("daily#2026-11-23", BudgetLevel::Ok).await, None);
    assert_eq!(
        swap("daily#2026-11-23", BudgetLevel::Warn).await,
        Some(BudgetLevel::Ok)
    );
    assert_eq!(
        swap("daily#2026-11-23", BudgetLevel::Emergency).await,
        Some(BudgetLevel::Warn)
    );
    assert_eq!(
        swap("daily#2026-11-23", BudgetLevel::Emergency).await,
        Some(BudgetLevel::Emergency)
    );
    // Another period has its own level.
    assert_eq!(swap("monthly#2026-11", BudgetLevel::Warn).await, None);
    // A level whose record has expired counts as none.
    assert_eq!(
        ledger
            .swap_budget_level(
                "weekly#2026-W48",
                BudgetLevel::Warn,
                Utc::now(),
                TimeDelta::seconds(-1),
            )
            .await
            .expect("swap"),
        None
    );
    assert_eq!(swap("weekly#2026-W48", BudgetLevel::Ok).await, None);
}

#[tokio::test]
async fn the_price_cache_is_one_item_per_region_replaced_whole() {
    let ledger = ledger().await;
    assert_eq!(ledger.cached_prices("us-east-1").await.expect("read"), None);
    let at: DateTime<Utc> = "2026-11-23T08:00:00Z".parse().expect("time");
    let key = |instance_type: &str| PriceKey {
        service: "rds",
        instance_type: instance_type.into(),
        engine: "postgresql".into(),
        deployment: "single-az".into(),
    };
    let quote = Quote {
        usd: 0.225,
        unit: "USD/hour".into(),
        origin: Origin::Api,
        source: "aws-pricing-api:AmazonRDS:SKU1".into(),
        as_of: "2024-09-28".into(),
    };
    let answer = PriceListAnswer {
        quotes: [(key("db.r6g.large"), quote)].into(),
        unpriced: [(key("db.x9.huge"), Unquoted::NoProduct)].into(),
    };
    let cache = CachedPrices::from_answer("us-east-1", &answer, at);
    ledger.store_prices(&cache, KEEP).await.expect("store");
    assert_eq!(
        ledger.cached_prices("us-east-1").await.expect("read"),
        Some(cache.clone())
    );
    // Another region is another item.
    assert_eq!(ledger.cached_prices("eu-west-1").await.expect("read"), None);

    // A newer answer replaces the old one whole.
    let newer = CachedPrices::from_answer(
        "us-east-1",
        &PriceListAnswer::default(),
        at + TimeDelta::days(1),
    );
    ledger.store_prices(&newer, KEEP).await.expect("store");
    let read = ledger.cached_prices("us-east-1").await.expect("read");
    assert_eq!(read, Some(newer));
    // A stale cache is still read (the fallback when the API is down),
    // even after its record's TTL.
    assert!(read.is_some_and(|c| !c.is_fresh(at + TimeDelta::days(10), TimeDelta::hours(24))));
}

#[tokio::test]
async fn spot_warnings_are_kept_per_group_once_each_and_read_by_window() {
    let ledger = ledger().await;
    let t0: DateTime<Utc> = "2026-11-23T10:00:00Z".parse().expect("time");
    let warning = |group: &str, instance: &str, minutes: i64, kind| SpotWarning {
        group: group.into(),
        instance: instance.into(),
        kind,
        at: t0 + TimeDelta::minutes(minutes),
    };
    let a = warning("web", "i-1", 0, SpotWarningKind::Interruption);
    let b = warning("web", "i-2", 5, SpotWarningKind::Rebalance);
    let c = warning("web", "i-3", 20, SpotWarningKind::Interruption);
    let other = warning("batch", "i-9", 6, SpotWarningKind::Interruption);
    for w in [&a, &b, &c, &other, &a] {
        ledger
            .record_spot_warning(w, TimeDelta::days(2))
            .await
            .expect("record");
    }
    let now = t0 + TimeDelta::minutes(30);
    // All of web's, oldest first, the re-delivered one once.
    let all = ledger
        .spot_warnings("web", t0 - TimeDelta::hours(1), now)
        .await
        .expect("read");
    assert_eq!(all, vec![a.clone(), b.clone(), c.clone()]);
    // The window starts at `since`.
    let recent = ledger
        .spot_warnings("web", t0 + TimeDelta::minutes(5), now)
        .await
        .expect("read");
    assert_eq!(recent, vec![b, c]);
    assert_eq!(
        ledger.spot_warnings("batch", t0, now).await.expect("read"),
        vec![other]
    );
    // Past its keep, a warning is gone even before DynamoDB deletes it.
    let later = t0 + TimeDelta::days(3);
    assert_eq!(
        ledger
            .spot_warnings("web", t0 - TimeDelta::hours(1), later)
            .await
            .expect("read"),
        Vec::<SpotWarning>::new()
    );
}
