//! Leases held while a run works, and lost ones respected: a dead run's
//! change carried on keeps its lease however long AWS takes, and a run
//! whose heartbeat finds a lease lost starts nothing more on that resource
//! (issue 12, the holes left in item 15).

use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::Notify;

use super::resume_tests::{HangAfterCall, POLICY, estate, instance, settings, settling, t0};
use super::{Runner, Settings, Trigger};
use crate::act::tap::Tapped;
use crate::act::{Outcome, Pace};
use crate::fake::FakeAws;
use crate::ledger::{Ledger, MemoryLedger};
use crate::observe::Ports;
use crate::policy::{Policy, load_str};
use crate::ports::{ClusterMember, DbCluster};
use crate::pricing::SnapshotPriceBook;

/// Short leases (a heartbeat every 50 ms) and a patient pace.
fn short_leases() -> Settings {
    Settings {
        lease: TimeDelta::milliseconds(200),
        pace: Pace {
            poll: Duration::from_millis(5),
            timeout: Duration::from_secs(10),
            deadline: None,
        },
        ..Settings::default()
    }
}

fn runner<'a>(
    policy: &'a Policy,
    ports: Ports<'a>,
    ledger: &'a dyn Ledger,
    prices: &'a SnapshotPriceBook,
    holder: &'a str,
    settings: Settings,
) -> Runner<'a> {
    Runner {
        policy,
        ports,
        ledger,
        notify: None,
        prices,
        holder,
        settings,
    }
}

/// `at` plus the time since `since`: the clock the runs read.
fn later(at: DateTime<Utc>, since: Instant) -> DateTime<Utc> {
    at + TimeDelta::from_std(since.elapsed()).unwrap_or_default()
}

#[tokio::test]
async fn a_dead_runs_change_carried_on_keeps_its_lease_while_aws_works() {
    let aws = estate();
    let ledger = MemoryLedger::default();
    let policy = load_str(POLICY, "t.yaml").expect("valid policy");
    let prices = SnapshotPriceBook::embedded();
    // run-1 dies right after its first call (the reader's resize): the
    // change is left open, its steps recorded.
    let tap = Tapped::new(
        aws.ports(),
        HangAfterCall {
            at: 1,
            calls: AtomicUsize::new(0),
            hung: Notify::new(),
        },
    );
    let dying = runner(&policy, tap.ports(), &ledger, &prices, "run-1", settings());
    let first = Trigger::schedule(None);
    tokio::select! {
        _ = dying.run(&first, t0()) => panic!("run-1 was to die at its first call"),
        () = tap.tap.hung.notified() => {}
    }
    // AWS is still resizing the reader when run-2 comes.
    let mut reader = aws.rds.instance("c-reader-1").expect("reader");
    reader.status = "modifying".to_owned();
    aws.rds.put_instance(reader);

    let now = t0() + TimeDelta::minutes(25);
    let second = runner(
        &policy,
        aws.ports(),
        &ledger,
        &prices,
        "run-2",
        short_leases(),
    );
    let started = Instant::now();
    let trigger = Trigger::schedule(None);
    let mut run = std::pin::pin!(second.run(&trigger, now));
    // Three leases' worth of waiting on the reader.
    tokio::select! {
        _ = &mut run => panic!("run-2 ended while AWS was still resizing the reader"),
        () = tokio::time::sleep(Duration::from_millis(600)) => {}
    }
    let at = later(now, started);
    let taken = ledger
        .take_lease("c", "intruder", at, at + TimeDelta::minutes(2))
        .await
        .expect("ledger");
    assert!(
        !taken,
        "the lease of the change being carried on lapsed while run-2 worked"
    );
    let report = settling(&aws, &Notify::new(), run)
        .await
        .expect("run-2 ends")
        .expect("without an error");
    assert!(
        report.reconciled.iter().any(|e| e.action.identifier == "c"),
        "{:?}",
        report.notes
    );
}

/// [`POLICY`] with a second cluster `d` like `c`.
fn two_clusters() -> (Policy, FakeAws) {
    // One action at a time: the second cluster's change must not have
    // started when its lease is taken away (with a pool, both start at once
    // and the step journal is what stops the second).
    let text = POLICY.replace("dry_run: false }", "dry_run: false, max_concurrent_actions: 1 }").replace(
        "\n  - { id: c,",
        "\n  - { id: d, kind: aurora_cluster, identifier: d, engine: aurora-mysql, writer_class: { ladder: [db.r6g.large, db.r6g.xlarge] }, readers: { min: 0, max: 5 }, scale_up: [{ alarm: hi, scales: writer_class }] }\n  - { id: c,",
    );
    let policy = load_str(&text, "t.yaml").expect("valid policy");
    let aws = estate();
    for (id, minute) in [("d-w", 3), ("d-reader-1", 4)] {
        let mut i = instance(id, minute);
        i.arn = format!("arn:aws:rds:us-east-1:1:db:{id}");
        i.cluster = Some("d".into());
        aws.rds.put_instance(i);
    }
    let member = |id: &str, is_writer: bool| ClusterMember {
        instance_id: id.into(),
        is_writer,
        is_reader: !is_writer,
    };
    aws.rds.put_cluster(DbCluster {
        id: "d".into(),
        arn: "arn:aws:rds:us-east-1:1:cluster:d".into(),
        engine: "aurora-mysql".into(),
        status: "available".into(),
        members: vec![member("d-w", true), member("d-reader-1", false)],
        serverless_v2: None,
        pending_modifications: false,
        tags: Default::default(),
    });
    (policy, aws)
}

#[tokio::test]
async fn a_lease_lost_mid_run_stops_the_run_acting_on_that_resource() {
    let (policy, aws) = two_clusters();
    let ledger = MemoryLedger::default();
    let prices = SnapshotPriceBook::embedded();
    let run = runner(
        &policy,
        aws.ports(),
        &ledger,
        &prices,
        "run-1",
        short_leases(),
    );
    let now = t0();
    let trigger = Trigger::schedule(None);
    let mut acting = std::pin::pin!(run.run(&trigger, now));
    // The first resize waits on AWS (nothing settles yet).
    tokio::select! {
        _ = &mut acting => panic!("the run ended while AWS was still resizing"),
        () = tokio::time::sleep(Duration::from_millis(300)) => {}
    }
    let touched = |cluster: &str| {
        aws.rds
            .calls()
            .iter()
            .any(|c| c.ends_with(&format!(" {cluster}")) || c.contains(&format!(" {cluster}-")))
    };
    let first = if touched("c") { "c" } else { "d" };
    let second = if first == "c" { "d" } else { "c" };
    assert!(!touched(second), "{:?}", aws.rds.calls());
    // Another run takes the second resource's lease as if it had lapsed
    // (run-1 stalled past it): run-1's next heartbeat finds it lost.
    let far = now + TimeDelta::hours(1);
    assert!(
        ledger
            .take_lease(second, "run-2", far, far + TimeDelta::minutes(2))
            .await
            .expect("ledger")
    );
    tokio::select! {
        _ = &mut acting => panic!("the run ended while AWS was still resizing"),
        () = tokio::time::sleep(Duration::from_millis(150)) => {}
    }
    let report = settling(&aws, &Notify::new(), acting)
        .await
        .expect("the run ends")
        .expect("without an error");

    assert!(!touched(second), "{:?}", aws.rds.calls());
    let outcome = |id: &str| {
        report
            .outcomes
            .iter()
            .find(|r| r.action.identifier == id)
            .map(|r| r.outcome.clone())
    };
    assert!(
        matches!(outcome(first), Some(Outcome::Applied { .. })),
        "{:?}",
        report.outcomes
    );
    match outcome(second) {
        Some(Outcome::Skipped { why }) => assert!(why.contains("lost to another run"), "{why}"),
        other => panic!("{second}: {other:?}"),
    }
    assert_eq!(report.left_to_others, vec![second.to_owned()]);
}
