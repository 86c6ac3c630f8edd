//! ledger_runs: the Runner against the ledgers (memory, file, DynamoDB on
//! moto server), the fakes as the estate.
//!
//! - 12.12: twenty runs at once on twenty resources, with a limit of five
//!   actions an hour, carry out exactly five; the rest are refused by
//!   `rate_limit` (each run's decision alone saw an empty hour).
//! - 12.15: a run killed mid-call leaves a lease that lapses within one
//!   (short) lease; until then the next run leaves the resource alone and
//!   says so, after it that run reconciles the dead run's intent at once. A
//!   live run that acts for longer than one lease keeps its lease (the
//!   heartbeat), so a second run cannot act on the same resource.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use tidegate::act::Pace;
use tidegate::aws::{AwsError, DynamoDbLedger};
use tidegate::fake::{FakeAws, FakeRds};
use tidegate::ledger::file::FileLedger;
use tidegate::ledger::{Ledger, LoggedStatus, MemoryLedger};
use tidegate::observe::Ports;
use tidegate::plan::Guard;
use tidegate::policy::Policy;
use tidegate::ports::{DbCluster, DbInstance, Listing, RdsPort};
use tidegate::pricing::SnapshotPriceBook;
use tidegate::run::{RunReport, Runner, Settings, Trigger};
use tidegate::signals::AlarmState;

use crate::support::{MotoServer, create_ledger_table, unique};

static PRICES: LazyLock<SnapshotPriceBook> = LazyLock::new(SnapshotPriceBook::embedded);

fn id(i: usize) -> String {
    format!("db-{i:02}")
}

/// `n` PostgreSQL instances, each stepped up by its own alarm, no
/// cooldowns, at most `limit` actions an hour.
fn policy(n: usize, limit: u32) -> Policy {
    let mut text = format!(
        "version: 1\nestate: runs\nguardrails: {{ max_actions_per_hour: {limit}, oscillation_window: 0m, dry_run: false }}\nresources:\n"
    );
    for i in 0..n {
        let id = id(i);
        text.push_str(&format!(
            "  - {{ id: {id}, kind: rds_instance, identifier: {id}, engine: postgres, apply_immediately: true, cooldown: {{ up: 0m, down: 0m }}, instance_class: {{ ladder: [db.r6g.large, db.r6g.xlarge, db.r6g.2xlarge] }}, scale_up: [{{ alarm: {id}-cpu-high }}] }}\n"
        ));
    }
    tidegate::policy::load_str(&text, "runs.yaml").unwrap_or_else(|e| panic!("{e}"))
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
        .single()
        .expect("valid instant")
}

/// The estate: `n` db.r6g.large instances whose alarms fire.
fn world(n: usize) -> FakeAws {
    let aws = FakeAws::default();
    for i in 0..n {
        let id = id(i);
        aws.rds.put_instance(crate::support::db_instance(
            &id,
            "db.r6g.large",
            None,
            now(),
        ));
        aws.cloudwatch
            .set_alarm(&format!("{id}-cpu-high"), AlarmState::Alarm);
    }
    aws
}

fn trigger(i: usize) -> Trigger {
    Trigger::alarm(None, &format!("{}-cpu-high", id(i)), AlarmState::Alarm, "")
}

fn settings() -> Settings {
    Settings {
        pace: Pace {
            poll: Duration::from_millis(10),
            timeout: Duration::from_secs(5),
            deadline: None,
        },
        ..Settings::default()
    }
}

fn runner<'a>(
    policy: &'a Policy,
    ports: Ports<'a>,
    ledger: &'a dyn Ledger,
    holder: &'a str,
    settings: Settings,
) -> Runner<'a> {
    Runner {
        policy,
        ports,
        ledger,
        notify: None,
        prices: &*PRICES,
        holder,
        settings,
    }
}

async fn dynamodb() -> DynamoDbLedger {
    let config = MotoServer::shared().sdk_config().await;
    let table = unique("runs-ledger");
    create_ledger_table(&config, &table).await;
    DynamoDbLedger::new(&config, table, TimeDelta::days(30))
}

fn modifies(aws: &FakeAws) -> usize {
    aws.rds
        .calls()
        .iter()
        .filter(|c| c.starts_with("ModifyDBInstance"))
        .count()
}

/// RDS whose class change stalls: carried out and then never answered
/// (the run hangs until killed), or answered only after a while.
struct Stalling<'a> {
    inner: &'a FakeRds,
    /// None: hang after the call; Some: wait this long before it.
    delay: Option<Duration>,
}

#[async_trait]
impl RdsPort for Stalling<'_> {
    async fn db_instances(&self) -> Result<Listing<DbInstance>, AwsError> {
        self.inner.db_instances().await
    }
    async fn db_clusters(&self) -> Result<Listing<DbCluster>, AwsError> {
        self.inner.db_clusters().await
    }
    async fn modify_instance_class(
        &self,
        id: &str,
        class: &str,
        apply_immediately: bool,
    ) -> Result<(), AwsError> {
        match self.delay {
            None => {
                self.inner
                    .modify_instance_class(id, class, apply_immediately)
                    .await?;
                std::future::pending().await
            }
            Some(d) => {
                tokio::time::sleep(d).await;
                self.inner
                    .modify_instance_class(id, class, apply_immediately)
                    .await
            }
        }
    }
    async fn modify_storage_ceiling(&self, id: &str, max_gib: u32) -> Result<(), AwsError> {
        self.inner.modify_storage_ceiling(id, max_gib).await
    }
    async fn stop_instance(&self, id: &str) -> Result<(), AwsError> {
        self.inner.stop_instance(id).await
    }
    async fn start_instance(&self, id: &str) -> Result<(), AwsError> {
        self.inner.start_instance(id).await
    }
    async fn stop_cluster(&self, cluster: &str) -> Result<(), AwsError> {
        self.inner.stop_cluster(cluster).await
    }
    async fn start_cluster(&self, cluster: &str) -> Result<(), AwsError> {
        self.inner.start_cluster(cluster).await
    }
    async fn modify_serverless_capacity(
        &self,
        cluster: &str,
        min_acu: f64,
        max_acu: f64,
        seconds_until_auto_pause: Option<u32>,
    ) -> Result<(), AwsError> {
        self.inner
            .modify_serverless_capacity(cluster, min_acu, max_acu, seconds_until_auto_pause)
            .await
    }
    async fn create_cluster_instance(
        &self,
        cluster: &str,
        id: &str,
        class: &str,
        engine: &str,
    ) -> Result<(), AwsError> {
        self.inner
            .create_cluster_instance(cluster, id, class, engine)
            .await
    }
    async fn delete_instance(&self, id: &str) -> Result<(), AwsError> {
        self.inner.delete_instance(id).await
    }
    async fn failover_cluster(&self, cluster: &str, target: &str) -> Result<(), AwsError> {
        self.inner.failover_cluster(cluster, target).await
    }
}

fn refused_by(report: &RunReport, guard: Guard) -> usize {
    report.plan.as_ref().map_or(0, |p| {
        p.refused()
            .filter(|a| a.refused.as_ref().is_some_and(|r| r.guard == guard))
            .count()
    })
}

// ---- 12.12 ----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_runs_on_twenty_resources_carry_out_exactly_the_hourly_limit() {
    const N: usize = 20;
    const LIMIT: u32 = 5;
    let ledger = dynamodb().await;
    let policy = policy(N, LIMIT);
    let aws = world(N);
    let holders: Vec<String> = (0..N).map(|i| format!("run-{i}")).collect();
    let triggers: Vec<Trigger> = (0..N).map(trigger).collect();
    let runners: Vec<Runner<'_>> = holders
        .iter()
        .map(|h| runner(&policy, aws.ports(), &ledger, h, settings()))
        .collect();
    let reports =
        futures::future::join_all(runners.iter().zip(&triggers).map(|(r, t)| r.run(t, now())))
            .await;
    let reports: Vec<RunReport> = reports
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| panic!("run: {e}")))
        .collect();

    let applied: usize = reports.iter().map(|r| r.applied().count()).sum();
    let rate_limited: usize = reports
        .iter()
        .map(|r| refused_by(r, Guard::RateLimit))
        .sum();
    assert_eq!(applied, LIMIT as usize, "actions carried out");
    assert_eq!(rate_limited, N - LIMIT as usize, "refused by rate_limit");
    assert_eq!(modifies(&aws), LIMIT as usize, "what AWS saw");
    let history = ledger.history(now()).await.expect("history");
    assert_eq!(history.actions_in_hour_before(now()), LIMIT as usize);

    // An hour later the allowance is free again.
    aws.rds.settle();
    let later = now() + TimeDelta::minutes(61);
    let h = "run-later".to_owned();
    let again = runner(&policy, aws.ports(), &ledger, &h, settings())
        .run(&trigger(N - 1), later)
        .await
        .expect("run");
    assert_eq!(again.applied().count(), 1, "{:?}", again.plan);
}

// ---- 12.15 ----------------------------------------------------------------

/// A run killed in the middle of its AWS call (the call went through),
/// then runs 30 s and 3 min later.
async fn a_killed_runs_lease_lapses_and_its_intent_is_reconciled_at_once(ledger: &dyn Ledger) {
    let policy = policy(1, 10);
    let aws = world(1);
    let t0 = now();
    let hang = Stalling {
        inner: &aws.rds,
        delay: None,
    };
    let dead = runner(
        &policy,
        Ports {
            rds: &hang,
            ..aws.ports()
        },
        ledger,
        "run-dead",
        settings(),
    );
    // Killed (dropped) once its call went through; it never answers.
    {
        let t = trigger(0);
        let mut run = std::pin::pin!(dead.run(&t, t0));
        let finished = tokio::select! {
            r = &mut run => Some(r),
            () = async {
                while modifies(&aws) == 0 {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            } => None,
        };
        assert!(finished.is_none(), "the run hung in its call: {finished:?}");
    }
    assert_eq!(modifies(&aws), 1, "its call went through");
    aws.rds.settle();

    // Its lease is live for a little while: the next run leaves the
    // resource alone and says so.
    let early = runner(&policy, aws.ports(), ledger, "run-early", settings())
        .run(&trigger(0), t0 + TimeDelta::seconds(30))
        .await
        .expect("run");
    assert_eq!(
        early.left_to_others,
        vec![id(0)],
        "{:?} {:#?}",
        early.notes,
        early.plan
    );
    assert!(early.reconciled.is_empty());
    assert_eq!(early.applied().count(), 0);

    // Three minutes on, nobody renewed it: the next run reconciles the
    // dead run's intent at once and acts.
    let next = runner(&policy, aws.ports(), ledger, "run-next", settings())
        .run(&trigger(0), t0 + TimeDelta::minutes(3))
        .await
        .expect("run");
    assert!(next.left_to_others.is_empty(), "{:?}", next.notes);
    assert_eq!(next.reconciled.len(), 1, "{:?}", next.notes);
    let settled = next.reconciled[0].outcome.as_ref().expect("settled");
    assert_eq!(settled.status, LoggedStatus::Applied, "{}", settled.detail);
    assert!(settled.reconciled);
    assert_eq!(next.applied().count(), 1, "the next step up");
    let open = ledger
        .log_since(t0 - TimeDelta::minutes(1), t0 + TimeDelta::minutes(4))
        .await
        .expect("log")
        .into_iter()
        .filter(|e| e.outcome.is_none())
        .count();
    assert_eq!(open, 0, "no intent left open");
}

#[tokio::test]
async fn a_killed_run_does_not_freeze_the_estate_memory() {
    a_killed_runs_lease_lapses_and_its_intent_is_reconciled_at_once(&MemoryLedger::default()).await;
}

#[tokio::test]
async fn a_killed_run_does_not_freeze_the_estate_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ledger = FileLedger::open(&dir.path().join("ledger.json"), now(), TimeDelta::days(30))
        .expect("open");
    a_killed_runs_lease_lapses_and_its_intent_is_reconciled_at_once(&ledger).await;
}

#[tokio::test]
async fn a_killed_run_does_not_freeze_the_estate_dynamodb() {
    a_killed_runs_lease_lapses_and_its_intent_is_reconciled_at_once(&dynamodb().await).await;
}

/// Run A acts for three leases' length; run B starts meanwhile on the same
/// resource and must find A's lease live.
async fn a_live_run_keeps_its_lease_past_one_lease_length(ledger: &dyn Ledger) {
    let policy = policy(1, 10);
    let aws = world(1);
    let short = Settings {
        lease: TimeDelta::seconds(1),
        ..settings()
    };
    let slow = Stalling {
        inner: &aws.rds,
        delay: Some(Duration::from_secs(3)),
    };
    let a = runner(
        &policy,
        Ports {
            rds: &slow,
            ..aws.ports()
        },
        ledger,
        "run-a",
        short,
    );
    let b = runner(&policy, aws.ports(), ledger, "run-b", short);
    let t = trigger(0);
    let (ra, rb) = tokio::join!(a.run(&t, Utc::now()), async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        b.run(&t, Utc::now()).await
    });
    let (ra, rb) = (ra.expect("run a"), rb.expect("run b"));
    assert_eq!(ra.applied().count(), 1, "{:?}", ra.notes);
    assert_eq!(rb.applied().count(), 0, "{:?}", rb.notes);
    assert_eq!(rb.left_to_others, vec![id(0)]);
    assert_eq!(modifies(&aws), 1, "one change, by one run");
}

#[tokio::test]
async fn a_live_run_keeps_its_lease_memory() {
    a_live_run_keeps_its_lease_past_one_lease_length(&MemoryLedger::default()).await;
}

#[tokio::test]
async fn a_live_run_keeps_its_lease_dynamodb() {
    a_live_run_keeps_its_lease_past_one_lease_length(&dynamodb().await).await;
}
