//! cli_ledger: the `tidegate` binary's ledger, against moto (RDS,
//! CloudWatch, DynamoDB).
//!
//! - 12.11: `--ledger dynamodb:TABLE` keeps the CLI's records in the
//!   Lambdas' table, in their layout (read back through `DynamoDbLedger`);
//!   two `tidegate apply` processes at once on one ledger file lose
//!   nothing.
//! - 12.15: a run that leaves changes undone because another live run holds
//!   the lease says so and exits 75.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::{TimeDelta, Utc};
use tidegate::aws::DynamoDbLedger;
use tidegate::ledger::file::FileLedger;
use tidegate::ledger::{Ledger, LoggedStatus};

use crate::support::{MotoServer, create_ledger_table, unique};

const POLICY: &str = r#"
version: 1
estate: cli-ledger
guardrails: { max_actions_per_hour: 5, oscillation_window: 1h, dry_run: false }
resources:
  - id: app-db
    kind: rds_instance
    identifier: IDENT
    engine: postgres
    cooldown: { up: 30m, down: 30m }
    instance_class: { ladder: [db.r6g.large, db.r6g.xlarge] }
    scale_up: [{ alarm: IDENT-cpu-high }]
"#;

fn command(moto: &MotoServer, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tidegate"));
    cmd.args(args);
    for (k, v) in moto.cli_env() {
        cmd.env(k, v);
    }
    cmd
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A db.r6g.large instance whose scale-up alarm fires, and a policy for
/// it in `dir`. Returns the identifier and the policy file.
async fn estate(moto: &MotoServer, dir: &Path) -> (String, PathBuf) {
    let ident = unique("cli-ledger-db");
    let config = moto.sdk_config().await;
    crate::aws_estate::fire(
        &aws_sdk_cloudwatch::Client::new(&config),
        &format!("{ident}-cpu-high"),
    )
    .await;
    aws_sdk_rds::Client::new(&config)
        .create_db_instance()
        .db_instance_identifier(&ident)
        .db_instance_class("db.r6g.large")
        .engine("postgres")
        .allocated_storage(20)
        .master_username("admin")
        .master_user_password("not-a-secret-1")
        .send()
        .await
        .expect("create");
    let policy = dir.join(format!("{ident}.yaml"));
    std::fs::write(&policy, POLICY.replace("IDENT", &ident)).expect("write");
    (ident, policy)
}

fn apply_args<'a>(policy: &'a str, ledger: &'a str) -> Vec<&'a str> {
    vec![
        "apply",
        "--policy",
        policy,
        "--ledger",
        ledger,
        "--auto-approve",
        "--live",
        "--offline",
        "--max-attempts",
        "2",
    ]
}

#[tokio::test]
async fn apply_with_a_dynamodb_ledger_keeps_its_records_in_the_lambdas_table() {
    let moto = MotoServer::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let (ident, policy) = estate(moto, dir.path()).await;
    let config = moto.sdk_config().await;
    let table = unique("cli-ledger");
    create_ledger_table(&config, &table).await;
    let spec = format!("dynamodb:{table}");
    let p = policy.to_str().expect("utf-8");

    let out = command(moto, &apply_args(p, &spec)).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("applied   "), "{}", text(&out));

    let now = Utc::now();
    let ledger = DynamoDbLedger::new(&config, &table, TimeDelta::days(30));
    let log = ledger
        .log_since(now - TimeDelta::hours(1), now)
        .await
        .expect("log");
    assert_eq!(log.len(), 1, "{log:#?}");
    assert_eq!(log[0].action.identifier, ident);
    assert!(log[0].holder.starts_with("cli-"), "{}", log[0].holder);
    let outcome = log[0].outcome.as_ref().expect("outcome");
    assert_eq!(outcome.status, LoggedStatus::Applied);
    let history = ledger.history(now).await.expect("history");
    assert!(history.last_change(&ident, None).is_some(), "the clock");

    // A second apply reads the same table: the cooldown holds it.
    let out = command(moto, &apply_args(p, &spec)).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!text(&out).contains("applied   "), "{}", text(&out));
    assert_eq!(
        ledger
            .log_since(now - TimeDelta::hours(1), Utc::now())
            .await
            .expect("log")
            .len(),
        1
    );
}

#[tokio::test]
async fn two_concurrent_applies_on_one_ledger_file_lose_nothing() {
    let moto = MotoServer::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, policy_a) = estate(moto, dir.path()).await;
    let (b, policy_b) = estate(moto, dir.path()).await;
    let ledger = dir.path().join("ledger.json");
    let l = ledger.to_str().expect("utf-8");
    let children: Vec<_> = [&policy_a, &policy_b]
        .iter()
        .map(|p| {
            command(moto, &apply_args(p.to_str().expect("utf-8"), l))
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("wait");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    let state = tidegate::ledger::file::load(&ledger).expect("a whole ledger");
    let mut applied: Vec<&str> = state
        .log
        .values()
        .filter(|e| {
            e.outcome
                .as_ref()
                .is_some_and(|o| o.status == LoggedStatus::Applied)
        })
        .map(|e| e.action.identifier.as_str())
        .collect();
    applied.sort_unstable();
    let mut want = vec![a.as_str(), b.as_str()];
    want.sort_unstable();
    assert_eq!(applied, want, "{state:#?}");
    assert_eq!(state.actions.len(), 2, "both cooldown clocks");
    assert!(state.leases.is_empty(), "{:?}", state.leases);
}

#[tokio::test]
async fn a_change_left_to_a_live_lease_is_said_and_exits_75() {
    let moto = MotoServer::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let (ident, policy) = estate(moto, dir.path()).await;
    let path = dir.path().join("ledger.json");
    let now = Utc::now();
    let other = FileLedger::open(&path, now, TimeDelta::days(30)).expect("open");
    assert!(
        other
            .take_lease(&ident, "lambda-req-1", now, now + TimeDelta::minutes(10))
            .await
            .expect("lease")
    );
    let out = command(
        moto,
        &apply_args(
            policy.to_str().expect("utf-8"),
            path.to_str().expect("utf-8"),
        ),
    )
    .output()
    .expect("run");
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(75), "{shown}");
    assert!(
        shown.contains(&format!(
            "Left undone: 1 resource(s) leased by another live run ({ident})"
        )),
        "{shown}"
    );
    assert!(shown.contains("another run holds its lease"), "{shown}");
    assert!(shown.contains("Apply: 0 applied"), "{shown}");
}
