//! A writer resize killed at every point, then a fresh run: one writer of
//! the target class, no stray instance, every call made once, and the log
//! telling the whole story. A kill is a run that hangs (after a ledger
//! write, or after AWS carried a call out) and is dropped there, as
//! `kill -9` leaves it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use tokio::sync::Notify;

use super::{Runner, Settings, Trigger};
use crate::act::Pace;
use crate::act::tap::{Heard, Tap, Tapped};
use crate::fake::FakeAws;
use crate::ledger::{
    Claim, History, Ledger, LedgerError, LogEntry, LoggedStatus, MemoryLedger, SpotWarning,
    StepState,
};
use crate::observe::Ports;
use crate::plan::BudgetLevel;
use crate::policy::{KnobName, load_str};
use crate::ports::{AwsError, ErrorKind};
use crate::ports::{ClusterMember, DbCluster, DbInstance};
use crate::pricing::SnapshotPriceBook;
use crate::signals::AlarmState;

pub(super) const POLICY: &str = "version: 1\nestate: t\nguardrails: { max_actions_per_hour: 9, oscillation_window: 1h, dry_run: false }\nresources:\n  - { id: c, kind: aurora_cluster, identifier: c, engine: aurora-mysql, writer_class: { ladder: [db.r6g.large, db.r6g.xlarge] }, readers: { min: 0, max: 5 }, scale_up: [{ alarm: hi, scales: writer_class }] }\n";

const BIG: &str = "db.r6g.xlarge";

pub(super) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
        .single()
        .expect("a time")
}

pub(super) fn instance(id: &str, minute: u32) -> DbInstance {
    DbInstance {
        id: id.into(),
        arn: format!("arn:aws:rds:us-east-1:1:db:{id}"),
        class: "db.r6g.large".into(),
        engine: "aurora-mysql".into(),
        status: "available".into(),
        multi_az: false,
        pending_modifications: false,
        allocated_gib: 1,
        max_allocated_gib: None,
        storage_type: String::new(),
        iops: None,
        storage_throughput: None,
        cluster: Some("c".into()),
        created: Utc.with_ymd_and_hms(2026, 1, 1, 0, minute, 0).single(),
        tags: Default::default(),
    }
}

/// Cluster `c`: writer `w` and reader `c-reader-1`, db.r6g.large; alarm
/// `hi` firing, so every run wants the writer one class up.
pub(super) fn estate() -> FakeAws {
    let aws = FakeAws::default();
    aws.rds.put_instance(instance("w", 1));
    aws.rds.put_instance(instance("c-reader-1", 2));
    let member = |id: &str, is_writer: bool| ClusterMember {
        instance_id: id.into(),
        is_writer,
        is_reader: !is_writer,
    };
    aws.rds.put_cluster(DbCluster {
        id: "c".into(),
        arn: "arn:aws:rds:us-east-1:1:cluster:c".into(),
        engine: "aurora-mysql".into(),
        status: "available".into(),
        members: vec![member("w", true), member("c-reader-1", false)],
        serverless_v2: None,
        pending_modifications: false,
        tags: Default::default(),
    });
    aws.cloudwatch.set_alarm("hi", AlarmState::Alarm);
    aws
}

/// Where the first run dies.
#[derive(Debug, Clone, Copy)]
enum Kill {
    /// Right after its n-th log write (intent, steps, outcome), 1-based.
    AfterWrite(usize),
    /// Right after AWS carried out its n-th mutating call, 1-based.
    AfterCall(usize),
}

/// Hangs the run after the n-th mutating call, and says so.
pub(super) struct HangAfterCall {
    pub(super) at: usize,
    pub(super) calls: AtomicUsize,
    pub(super) hung: Notify,
}

impl Tap for HangAfterCall {
    fn after(&self, _operation: &'static str, _resource: &str, _carried_out: bool) -> Heard {
        if self.calls.fetch_add(1, Ordering::SeqCst) + 1 == self.at {
            self.hung.notify_one();
            Heard::Hang
        } else {
            Heard::Answer
        }
    }
}

/// A ledger that hangs its run after the n-th log write (the write done).
struct HangAfterWrite<'a> {
    inner: &'a MemoryLedger,
    at: usize,
    writes: AtomicUsize,
    hung: &'a Notify,
}

impl HangAfterWrite<'_> {
    async fn wrote(&self) {
        if self.writes.fetch_add(1, Ordering::SeqCst) + 1 == self.at {
            self.hung.notify_one();
            std::future::pending::<()>().await;
        }
    }
}

#[async_trait]
impl Ledger for HangAfterWrite<'_> {
    async fn history(&self, now: DateTime<Utc>) -> Result<History, LedgerError> {
        self.inner.history(now).await
    }
    async fn claim_event(
        &self,
        event_id: &str,
        holder: &str,
        now: DateTime<Utc>,
        stale_after: TimeDelta,
        keep: TimeDelta,
    ) -> Result<Claim, LedgerError> {
        self.inner
            .claim_event(event_id, holder, now, stale_after, keep)
            .await
    }
    async fn finish_event(&self, event_id: &str, holder: &str) -> Result<(), LedgerError> {
        self.inner.finish_event(event_id, holder).await
    }
    async fn release_event(&self, event_id: &str, holder: &str) -> Result<(), LedgerError> {
        self.inner.release_event(event_id, holder).await
    }
    async fn take_lease(
        &self,
        identifier: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, LedgerError> {
        self.inner.take_lease(identifier, holder, now, until).await
    }
    async fn release_lease(&self, identifier: &str, holder: &str) -> Result<(), LedgerError> {
        self.inner.release_lease(identifier, holder).await
    }
    async fn take_allowance(
        &self,
        entry: &str,
        at: DateTime<Utc>,
        limit: u32,
    ) -> Result<bool, LedgerError> {
        self.inner.take_allowance(entry, at, limit).await
    }
    async fn return_allowance(&self, entry: &str) -> Result<(), LedgerError> {
        self.inner.return_allowance(entry).await
    }
    async fn record_intent(&self, entry: &LogEntry) -> Result<(), LedgerError> {
        self.inner.record_intent(entry).await?;
        self.wrote().await;
        Ok(())
    }
    async fn record_outcome(&self, entry: &LogEntry) -> Result<(), LedgerError> {
        self.inner.record_outcome(entry).await?;
        self.wrote().await;
        Ok(())
    }
    async fn log_since(
        &self,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<LogEntry>, LedgerError> {
        self.inner.log_since(since, now).await
    }
    async fn set_emergency(&self, since: Option<DateTime<Utc>>) -> Result<(), LedgerError> {
        self.inner.set_emergency(since).await
    }
    async fn set_limit_episode(
        &self,
        episode: &crate::ledger::LimitEpisode,
        open: bool,
    ) -> Result<(), LedgerError> {
        self.inner.set_limit_episode(episode, open).await
    }
    async fn swap_budget_level(
        &self,
        key: &str,
        level: BudgetLevel,
        now: DateTime<Utc>,
        keep: TimeDelta,
    ) -> Result<Option<BudgetLevel>, LedgerError> {
        self.inner.swap_budget_level(key, level, now, keep).await
    }
    async fn record_spot_warning(
        &self,
        warning: &SpotWarning,
        keep: TimeDelta,
    ) -> Result<(), LedgerError> {
        self.inner.record_spot_warning(warning, keep).await
    }
    async fn spot_warnings(
        &self,
        group: &str,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<SpotWarning>, LedgerError> {
        self.inner.spot_warnings(group, since, now).await
    }
}

pub(super) fn settings() -> Settings {
    Settings {
        pace: Pace {
            poll: Duration::from_millis(1),
            timeout: Duration::from_secs(5),
            deadline: None,
        },
        ..Settings::default()
    }
}

/// `work`, with every modification in the fake settling a moment later,
/// until it ends or `hung` says it hangs (None: killed).
pub(super) async fn settling<F: std::future::Future>(
    aws: &FakeAws,
    hung: &Notify,
    work: F,
) -> Option<F::Output> {
    let settle = async {
        loop {
            tokio::time::sleep(Duration::from_millis(2)).await;
            aws.rds.settle();
        }
    };
    tokio::select! {
        out = work => Some(out),
        () = hung.notified() => None,
        () = settle => None,
    }
}

/// One run of `holder` at `now` through `ports` and `ledger`.
async fn one_run(
    aws: &FakeAws,
    ports: Ports<'_>,
    ledger: &dyn Ledger,
    holder: &str,
    now: DateTime<Utc>,
    hung: &Notify,
) -> Option<super::RunReport> {
    let policy = load_str(POLICY, "t.yaml").expect("valid policy");
    let prices = SnapshotPriceBook::embedded();
    let runner = Runner {
        policy: &policy,
        ports,
        ledger,
        notify: None,
        prices: &prices,
        holder,
        settings: settings(),
    };
    settling(aws, hung, runner.run(&Trigger::schedule(None), now))
        .await
        .map(|r| r.expect("the run ends without an error"))
}

/// The first run killed at `kill`, then fresh runs. False when the first
/// run ended before reaching the kill point.
async fn killed_then_resumed(kill: Kill) -> bool {
    let aws = estate();
    let ledger = MemoryLedger::default();
    let hung = Notify::new();
    let (write_at, call_at) = match kill {
        Kill::AfterWrite(n) => (n, 0),
        Kill::AfterCall(n) => (0, n),
    };
    let dying = HangAfterWrite {
        inner: &ledger,
        at: write_at,
        writes: AtomicUsize::new(0),
        hung: &hung,
    };
    let tap = Tapped::new(
        aws.ports(),
        HangAfterCall {
            at: call_at,
            calls: AtomicUsize::new(0),
            hung: Notify::new(),
        },
    );
    let first = {
        let hung_call = &tap.tap.hung;
        let work = one_run(&aws, tap.ports(), &dying, "run-1", t0(), &hung);
        tokio::select! {
            out = work => out,
            () = hung_call.notified() => None,
        }
    };
    if first.is_some() {
        return false;
    }
    // The dead run's lease has lapsed by then.
    let fresh = Notify::new();
    let later = t0() + TimeDelta::minutes(25);
    let second = one_run(&aws, aws.ports(), &ledger, "run-2", later, &fresh)
        .await
        .expect("not killed");
    assert!(second.under_way.is_empty(), "{kill:?}: {:?}", second.notes);
    // Level-triggered: the alarm still fires, and nothing more is done.
    let calls = aws.rds.calls();
    let third = one_run(
        &aws,
        aws.ports(),
        &ledger,
        "run-3",
        later + TimeDelta::minutes(5),
        &fresh,
    )
    .await
    .expect("not killed");
    assert_eq!(third.applied().count(), 0, "{kill:?}");
    assert_eq!(
        aws.rds.calls(),
        calls,
        "{kill:?}: the third run called nothing"
    );

    check_invariants(&aws, &ledger, kill, later).await;
    true
}

async fn check_invariants(aws: &FakeAws, ledger: &MemoryLedger, kill: Kill, now: DateTime<Utc>) {
    let c = aws.rds.cluster("c").expect("cluster");
    let writers: Vec<&ClusterMember> = c.members.iter().filter(|m| m.is_writer).collect();
    assert_eq!(writers.len(), 1, "{kill:?}: one writer");
    let writer = aws.rds.instance(&writers[0].instance_id).expect("writer");
    assert_eq!(
        writer.class, BIG,
        "{kill:?}: the writer is of the target class"
    );
    let mut ids: Vec<String> = c.members.iter().map(|m| m.instance_id.clone()).collect();
    ids.sort();
    assert_eq!(
        ids,
        vec!["c-reader-1", "c-writer-1"],
        "{kill:?}: no stray instance"
    );
    assert_eq!(
        aws.rds.instance("c-reader-1").map(|i| i.class).as_deref(),
        Some(BIG),
        "{kill:?}: the reader moved too"
    );
    assert!(
        aws.rds.instance("w").is_none(),
        "{kill:?}: the old writer retired"
    );
    for call in [
        "ModifyDBInstance c-reader-1",
        "CreateDBInstance c-writer-1",
        "FailoverDBCluster c",
        "DeleteDBInstance w",
    ] {
        let n = aws.rds.calls().iter().filter(|c| *c == call).count();
        assert_eq!(n, 1, "{kill:?}: {call} made once: {:?}", aws.rds.calls());
    }

    // The log: every intent closed; one resize applied, its four steps
    // done with the names used; any other one never took effect.
    let log = ledger
        .log_since(now - TimeDelta::days(1), now)
        .await
        .expect("log");
    let resizes: Vec<&LogEntry> = log
        .iter()
        .filter(|e| e.action.knob == KnobName::WriterClass)
        .collect();
    assert!(
        resizes.iter().all(|e| e.outcome.is_some()),
        "{kill:?}: {resizes:#?}"
    );
    let applied: Vec<&&LogEntry> = resizes
        .iter()
        .filter(|e| e.outcome.as_ref().map(|o| o.status) == Some(LoggedStatus::Applied))
        .collect();
    assert_eq!(applied.len(), 1, "{kill:?}: {resizes:#?}");
    let steps = applied[0].steps.as_ref().expect("steps recorded");
    assert_eq!(steps.steps.len(), 4);
    assert!(
        steps.steps.iter().all(|s| s.state == StepState::Done),
        "{steps:#?}"
    );
    for other in resizes.iter().filter(|e| !std::ptr::eq(**e, *applied[0])) {
        let o = other.outcome.as_ref().expect("closed");
        assert_eq!(o.status, LoggedStatus::Skipped, "{kill:?}: {other:#?}");
        assert!(
            other.steps.is_none(),
            "{kill:?}: only a resize that never began: {other:#?}"
        );
    }
    // Its cooldown clock counts.
    let history = ledger.history(now).await.expect("history");
    assert!(
        history
            .last_knob_change("c", KnobName::WriterClass)
            .is_some(),
        "{kill:?}"
    );
}

#[tokio::test]
async fn a_writer_resize_killed_between_any_two_steps_is_finished_once_by_the_next_run() {
    let mut points = 0;
    for n in 1.. {
        if !killed_then_resumed(Kill::AfterWrite(n)).await {
            break;
        }
        points += 1;
    }
    for n in 1.. {
        if !killed_then_resumed(Kill::AfterCall(n)).await {
            break;
        }
        points += 1;
    }
    // 11 log writes (intent, steps, started and done of 4 steps, outcome)
    // and 4 calls.
    assert_eq!(points, 15);
}

#[tokio::test]
async fn a_run_out_of_time_leaves_the_resize_under_way_and_the_next_carries_it_on() {
    let aws = estate();
    let ledger = MemoryLedger::default();
    let policy = load_str(POLICY, "t.yaml").expect("valid policy");
    let prices = SnapshotPriceBook::embedded();
    let mut s = settings();
    // The reader never settles within this run's step timeout.
    s.pace.timeout = Duration::from_millis(20);
    let runner = Runner {
        policy: &policy,
        ports: aws.ports(),
        ledger: &ledger,
        notify: None,
        prices: &prices,
        holder: "run-1",
        settings: s,
    };
    let first = runner
        .run(&Trigger::schedule(None), t0())
        .await
        .expect("run");
    assert!(first.under_way.contains("c"), "{:?}", first.notes);
    assert!(
        first
            .notes
            .iter()
            .any(|n| n.contains("next: move reader c-reader-1 to db.r6g.xlarge (started)")),
        "{:?}",
        first.notes
    );
    let open = ledger
        .log_since(t0() - TimeDelta::hours(1), t0())
        .await
        .expect("log");
    assert!(
        open[0].outcome.is_none() && open[0].steps.is_some(),
        "{open:#?}"
    );

    // The next run (a minute later, lease released) resumes, finishes, and
    // decides nothing new for the cluster meanwhile.
    let hung = Notify::new();
    let later = t0() + TimeDelta::minutes(1);
    let second = one_run(&aws, aws.ports(), &ledger, "run-2", later, &hung)
        .await
        .expect("ran");
    assert!(second.under_way.is_empty(), "{:?}", second.notes);
    assert_eq!(second.reconciled.len(), 1);
    check_invariants(&aws, &ledger, Kill::AfterWrite(0), later).await;
}

#[tokio::test]
async fn every_answer_lost_after_aws_carried_the_call_out_still_ends_in_one_applied_resize() {
    /// Every mutating call is carried out, and its answer lost.
    struct LoseAll;
    impl Tap for LoseAll {
        fn after(&self, operation: &'static str, resource: &str, _carried_out: bool) -> Heard {
            Heard::Lost(AwsError {
                service: "rds",
                operation,
                resource: resource.to_owned(),
                kind: ErrorKind::Transient,
                code: None,
                message: "connection reset after the request was sent".to_owned(),
            })
        }
    }
    let aws = estate();
    let ledger = MemoryLedger::default();
    let tap = Tapped::new(aws.ports(), LoseAll);
    let hung = Notify::new();
    let report = one_run(&aws, tap.ports(), &ledger, "run-1", t0(), &hung)
        .await
        .expect("ran");
    assert_eq!(report.applied().count(), 1, "{:?}", report.outcomes);
    check_invariants(&aws, &ledger, Kill::AfterCall(0), t0()).await;
}

#[tokio::test]
async fn an_unfinished_change_behind_a_live_lease_is_left_and_said() {
    let aws = estate();
    let ledger = MemoryLedger::default();
    let hung = Notify::new();
    let tap = Tapped::new(
        aws.ports(),
        HangAfterCall {
            at: 1,
            calls: AtomicUsize::new(0),
            hung: Notify::new(),
        },
    );
    let first = {
        let work = one_run(&aws, tap.ports(), &ledger, "run-1", t0(), &hung);
        tokio::select! {
            out = work => out,
            () = tap.tap.hung.notified() => None,
        }
    };
    assert!(first.is_none(), "killed after its first call");
    // Within the dead run's lease: nothing is settled, and the note says
    // why, so a caller with nothing else to do knows to run again.
    let soon = t0() + TimeDelta::seconds(30);
    let second = one_run(&aws, aws.ports(), &ledger, "run-2", soon, &Notify::new())
        .await
        .expect("not killed");
    assert!(second.reconciled.is_empty(), "{:?}", second.reconciled);
    assert!(
        second.notes.iter().any(
            |n| n.contains("an unfinished change") && n.contains("another run holds its lease")
        ),
        "{:?}",
        second.notes
    );
    let open = ledger.log_since(t0(), soon).await.expect("log");
    assert!(
        open.iter().any(|e| e.outcome.is_none()),
        "the intent stays open"
    );
}
