//! fleet (issue 14): one run over many resources.
//!
//! - 14.2: one apply lists the region once; the second look under the
//!   leases re-reads only the leased DB instances, by identifier (moto).
//! - 14.3: a pool of 8 ends in the same AWS state and the same ledger
//!   records as a pool of 1 (50 instances, moto); the pool bounds the
//!   changes in flight (fake RDS that answers slowly).
//! - 14.4: ledger writes per action do not depend on the ledger's size
//!   (10 and 1,000 records; the file ledger and DynamoDB on moto).

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use tidegate::aws::{Adapters, AwsError, DynamoDbLedger, RdsAdapter};
use tidegate::fake::{FakeAws, FakeRds};
use tidegate::ledger::file::FileLedger;
use tidegate::ledger::{Ledger, MemoryLedger};
use tidegate::observe::Ports;
use tidegate::policy::Policy;
use tidegate::ports::{DbCluster, DbInstance, Listing, RdsPort};
use tidegate::pricing::SnapshotPriceBook;
use tidegate::run::{RunReport, Runner, Settings, Trigger};

use crate::support::{MotoServer, create_ledger_table, db_instance};

static PRICES: LazyLock<SnapshotPriceBook> = LazyLock::new(SnapshotPriceBook::embedded);

/// Dev instances capped one class down by a schedule profile always in
/// force (as `bench/fleet.py` runs it), `pool` resources at once.
fn policy(pool: u32) -> Policy {
    let text = format!(
        r#"
version: 1
estate: fleet
guardrails: {{ max_actions_per_hour: 10000, oscillation_window: 1h, dry_run: false, max_concurrent_actions: {pool} }}
profiles: {{ off_hours: {{}} }}
schedules:
  - {{ name: always, timezone: UTC, transitions: [{{ cron: "0 0 * * *", profile: off_hours }}] }}
resources:
  - id: dev-dbs
    kind: rds_instance
    tags: {{ env: dev }}
    engine: postgres
    schedule: always
    instance_class: {{ ladder: [db.r6g.large, db.r6g.xlarge], floor: db.r6g.large }}
    profiles: {{ off_hours: {{ instance_class: {{ max: db.r6g.large }} }} }}
"#
    );
    tidegate::policy::load_str(&text, "fleet.yaml").unwrap_or_else(|e| panic!("{e}"))
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0)
        .single()
        .expect("valid instant")
}

fn runner<'a>(policy: &'a Policy, ports: Ports<'a>, ledger: &'a dyn Ledger) -> Runner<'a> {
    Runner {
        policy,
        ports,
        ledger,
        notify: None,
        prices: &*PRICES,
        holder: "fleet-test",
        settings: Settings::default(),
    }
}

async fn apply(runner: &Runner<'_>) -> RunReport {
    runner
        .run(&Trigger::cli("tidegate apply", None), now())
        .await
        .unwrap_or_else(|e| panic!("apply failed: {e}"))
}

/// `n` db.r6g.xlarge PostgreSQL instances in moto, the first `dev` of them
/// tagged env=dev.
async fn seed(rds: &aws_sdk_rds::Client, n: usize, dev: usize) {
    for i in 0..n {
        let env = if i < dev { "dev" } else { "prod" };
        rds.create_db_instance()
            .db_instance_identifier(format!("fleet-{i:03}"))
            .db_instance_class("db.r6g.xlarge")
            .engine("postgres")
            .allocated_storage(20)
            .master_username("admin")
            .master_user_password("password123")
            .tags(
                aws_sdk_rds::types::Tag::builder()
                    .key("env")
                    .value(env)
                    .build(),
            )
            .send()
            .await
            .expect("CreateDBInstance");
    }
}

async fn classes(rds: &aws_sdk_rds::Client) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut pages = rds.describe_db_instances().into_paginator().send();
    while let Some(page) = pages.next().await {
        for i in page.expect("DescribeDBInstances").db_instances() {
            out.insert(
                i.db_instance_identifier().unwrap_or_default().to_owned(),
                i.db_instance_class().unwrap_or_default().to_owned(),
            );
        }
    }
    out
}

#[tokio::test]
async fn one_apply_lists_the_region_once_and_rereads_the_leased_by_identifier() {
    let moto = MotoServer::dedicated();
    let config = moto.sdk_config().await;
    let sdk = aws_sdk_rds::Client::new(&config);
    // 60 instances in pages of 20: a listing is three describes.
    seed(&sdk, 60, 10).await;
    let adapters = Adapters::new(&config);
    let rds = RdsAdapter::new(&config).with_page_size(20);
    let ports = Ports {
        rds: &rds,
        ..adapters.ports()
    };
    let p = policy(8);
    let ledger = MemoryLedger::default();
    moto.reset_calls();
    let report = apply(&runner(&p, ports, &ledger)).await;
    assert_eq!(report.applied().count(), 10, "{:?}", report.notes);
    let calls = moto.calls();
    // The first look lists the region (3 pages); the second, under the
    // leases, asks for the 10 leased instances by identifier (1 call), not
    // the region again (3 more).
    assert_eq!(calls.count("rds", "DescribeDBInstances"), 3 + 1);
    assert_eq!(calls.count("rds", "ModifyDBInstance"), 10);
    assert!(
        report.notes.iter().all(|n| !n.contains("matched no")),
        "{:?}",
        report.notes
    );
}

/// What a ledger record says, without its times, ids and run.
async fn records(ledger: &MemoryLedger) -> Vec<String> {
    let log = ledger
        .log_since(now() - TimeDelta::days(1), now() + TimeDelta::days(1))
        .await
        .expect("log");
    let mut out: Vec<String> = log
        .iter()
        .map(|e| {
            format!(
                "{} {} {} → {}: {:?} {}",
                e.action.identifier,
                e.action.knob,
                e.action.from,
                e.action.to,
                e.outcome.as_ref().map(|o| o.status),
                e.outcome.as_ref().map_or("", |o| o.detail.as_str()),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn a_pool_of_eight_ends_as_a_pool_of_one() {
    let mut ends = Vec::new();
    for pool in [1, 8] {
        // One new (empty) server per round: moto's reset walks every
        // backend and took over 30 s on a loaded 2-core machine.
        let moto = MotoServer::dedicated();
        let config = moto.sdk_config().await;
        let sdk = aws_sdk_rds::Client::new(&config);
        let adapters = Adapters::new(&config);
        seed(&sdk, 50, 50).await;
        let p = policy(pool);
        let ledger = MemoryLedger::default();
        let report = apply(&runner(&p, adapters.ports(), &ledger)).await;
        assert_eq!(
            report.applied().count(),
            50,
            "pool {pool}: {:?}",
            report.notes
        );
        // Outcomes in plan order, whatever answered first.
        let order: Vec<&str> = report
            .outcomes
            .iter()
            .map(|r| r.action.identifier.as_str())
            .collect();
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(order, sorted, "pool {pool}");
        ends.push((classes(&sdk).await, records(&ledger).await));
    }
    let (state, log) = &ends[0];
    assert!(state.values().all(|c| c == "db.r6g.large"), "{state:?}");
    assert_eq!(log.len(), 50);
    assert_eq!(ends[0], ends[1]);
}

/// RDS whose class changes take a while, counting how many are in flight.
struct Slow<'a> {
    inner: &'a FakeRds,
    in_flight: AtomicUsize,
    most: AtomicUsize,
}

#[async_trait]
impl RdsPort for Slow<'_> {
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
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.inner
            .modify_instance_class(id, class, apply_immediately)
            .await
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
    async fn stop_cluster(&self, cluster: &str) -> Result<(), AwsError> {
        self.inner.stop_cluster(cluster).await
    }
    async fn start_cluster(&self, cluster: &str) -> Result<(), AwsError> {
        self.inner.start_cluster(cluster).await
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

/// A fake estate of `n` dev instances at db.r6g.xlarge.
fn dev_fleet(n: usize) -> FakeAws {
    let aws = FakeAws::default();
    for i in 0..n {
        let mut db = db_instance(&format!("fleet-{i:03}"), "db.r6g.xlarge", None, now());
        db.tags.insert("env".into(), "dev".into());
        aws.rds.put_instance(db);
    }
    aws
}

#[tokio::test]
async fn the_pool_bounds_the_changes_in_flight() {
    for (pool, most) in [(1, 1), (8, 8)] {
        let aws = dev_fleet(24);
        let slow = Slow {
            inner: &aws.rds,
            in_flight: AtomicUsize::new(0),
            most: AtomicUsize::new(0),
        };
        let ports = Ports {
            rds: &slow,
            ..aws.ports()
        };
        let p = policy(pool);
        let ledger = MemoryLedger::default();
        let report = apply(&runner(&p, ports, &ledger)).await;
        assert_eq!(report.applied().count(), 24);
        assert_eq!(slow.most.load(Ordering::SeqCst), most, "pool {pool}");
    }
}

/// Fills `ledger` with `n` finished records of other resources, two days
/// old (outside every window the guards read).
async fn fill(ledger: &dyn Ledger, n: usize) {
    let aws = dev_fleet(1);
    let p = policy(1);
    let scratch = MemoryLedger::default();
    let report = runner(&p, aws.ports(), &scratch)
        .run(&Trigger::cli("fill", None), now() - TimeDelta::days(2))
        .await
        .expect("fill run");
    assert_eq!(report.applied().count(), 1);
    let template = scratch
        .log_since(now() - TimeDelta::days(3), now())
        .await
        .expect("log")
        .remove(0);
    for i in 0..n {
        let mut e = template.clone();
        e.id = format!("{}-{i:05}", e.id);
        e.action.identifier = format!("old-{i:05}");
        ledger.record_intent(&e).await.expect("intent");
        ledger.record_outcome(&e).await.expect("outcome");
    }
}

/// Lines appended to the file ledger's journal by one apply of one change
/// (the base file is not rewritten), after a ledger of `size` records.
async fn file_writes(size: usize) -> (usize, bool) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ledger.json");
    {
        let ledger = FileLedger::open(&path, now(), TimeDelta::days(30)).expect("open");
        fill(&ledger, size).await;
    }
    let ledger = FileLedger::open(&path, now(), TimeDelta::days(30)).expect("reopen");
    let journal = dir.path().join("ledger.json.journal");
    let lines = |p: &std::path::Path| std::fs::read_to_string(p).map_or(0, |t| t.lines().count());
    let base = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
    let before = lines(&journal);
    let aws = dev_fleet(1);
    let p = policy(1);
    let report = apply(&runner(&p, aws.ports(), &ledger)).await;
    assert_eq!(report.applied().count(), 1);
    let rewritten = std::fs::metadata(&path).and_then(|m| m.modified()).ok() != base;
    (lines(&journal) - before, rewritten)
}

#[tokio::test]
async fn file_ledger_writes_per_action_do_not_grow_with_its_size() {
    let small = file_writes(10).await;
    let large = file_writes(1000).await;
    assert_eq!(small, large, "journal lines appended, base rewritten");
    assert!(!large.1, "the base file was rewritten for one action");
    // Lease, allowance, intent, outcome, lease released.
    assert!(large.0 <= 6, "{} journal lines for one action", large.0);
}

/// DynamoDB requests (writes, and reads) of one apply of one change, after
/// a ledger of `size` records, on a server of its own.
async fn dynamodb_requests(size: usize) -> BTreeMap<String, u32> {
    let moto = MotoServer::dedicated();
    let config = moto.sdk_config().await;
    create_ledger_table(&config, "fleet-ledger").await;
    let ledger = DynamoDbLedger::new(&config, "fleet-ledger", TimeDelta::days(30));
    fill(&ledger, size).await;
    let aws = dev_fleet(1);
    let p = policy(1);
    moto.reset_calls();
    let report = apply(&runner(&p, aws.ports(), &ledger)).await;
    assert_eq!(report.applied().count(), 1);
    moto.calls().service("dynamodb")
}

#[tokio::test]
async fn dynamodb_ledger_calls_per_action_do_not_grow_with_its_size() {
    let writes = |calls: &BTreeMap<String, u32>| -> BTreeMap<String, u32> {
        calls
            .iter()
            .filter(|(op, _)| !matches!(op.as_str(), "Query" | "GetItem" | "Scan"))
            .map(|(op, n)| (op.clone(), *n))
            .collect()
    };
    let small = dynamodb_requests(10).await;
    let large = dynamodb_requests(1000).await;
    // Writes are the same; the history's Query pages do grow with the
    // ledger (11 at 10 records, 13 at 1,000, measured): a read, noted in
    // the issue.
    assert_eq!(writes(&small), writes(&large), "{small:?} vs {large:?}");
    assert!(writes(&large).values().sum::<u32>() <= 6, "{large:?}");
}
