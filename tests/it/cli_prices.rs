//! cli_prices: the `tidegate` binary's prices, against moto (RDS) and the
//! launcher's Pricing route (moto has no Pricing API; the route answers
//! `GetProducts` from the recorded products in `tests/fixtures/pricing/`).
//! Plans name the source of each price; with the API down a plan still
//! prints, priced from the cache or the snapshot, and says so; `prices
//! refresh` writes a snapshot the engine reads back; `prices show` prints
//! what the engine would use.

use std::path::Path;
use std::process::{Command, Output};

use tidegate::pricing::{PriceBook, PriceKey, SnapshotPriceBook};

use crate::support::{Fault, MotoServer};

const POLICY: &str = r#"
version: 1
estate: prices
guardrails: { max_actions_per_hour: 5, oscillation_window: 1h }
resources:
  - id: prices-db
    kind: rds_instance
    identifier: IDENT
    engine: postgres
    instance_class: { ladder: [db.r6g.large, db.r6g.xlarge] }
    scale_up: [{ alarm: IDENT-cpu-high }]
"#;

/// Runs the `tidegate` binary with `args` against `moto`.
pub(crate) fn tidegate(moto: &MotoServer, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tidegate"));
    cmd.args(args);
    for (k, v) in moto.cli_env() {
        cmd.env(k, v);
    }
    cmd.output().expect("run tidegate")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A db.r6g.large PostgreSQL instance whose scale-up alarm fires: every
/// plan proposes one resize, priced from both classes.
async fn estate(moto: &MotoServer, dir: &Path) -> std::path::PathBuf {
    let ident = crate::support::unique("prices-db");
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
    let policy = dir.join("policy.yaml");
    std::fs::write(&policy, POLICY.replace("IDENT", &ident)).expect("write");
    policy
}

#[tokio::test]
async fn a_plan_names_each_price_source_and_falls_back_when_the_api_is_down() {
    let moto = MotoServer::dedicated();
    let dir = tempfile::tempdir().expect("temp dir");
    let policy = estate(&moto, dir.path()).await;
    let ledger = dir.path().join("ledger.json");
    let p = policy.to_str().expect("utf-8");
    let l = ledger.to_str().expect("utf-8");
    let plan = |extra: &[&str]| {
        let mut args = vec!["plan", "--policy", p, "--ledger", l, "--max-attempts", "1"];
        args.extend(extra);
        tidegate(&moto, &args)
    };

    // The API answers: the large class is priced from it (it is in the
    // recorded products), the xlarge from the snapshot (it is not).
    let out = plan(&[]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stdout.contains("instance_class: db.r6g.large → db.r6g.xlarge"),
        "{stdout}"
    );
    assert!(
        stdout.contains("priced from: Pricing API, as of 2024-09-28: rds db.r6g.large postgresql single-az $0.225/h"),
        "{stdout}"
    );
    assert!(
        stdout.contains("priced from: snapshot, as of 2024-09-28: rds db.r6g.xlarge postgresql single-az $0.45/h"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Prices: Pricing API (us-east-1, "),
        "{stdout}"
    );
    assert!(!stdout.contains("note: prices:"), "{stdout}");
    let asked = moto.calls().count("pricing", "GetProducts");
    assert!(asked > 0);
    // The answer is kept in the ledger file (its base and journal).
    let kept =
        serde_json::to_value(tidegate::ledger::file::load(&ledger).expect("ledger")).expect("json");
    assert!(
        kept["price_caches"]["us-east-1"]["fetched_at"].is_string(),
        "{kept}"
    );

    // Within the cache's day the API is not asked again.
    let out = plan(&[]);
    let (stdout, _) = text(&out);
    assert_eq!(moto.calls().count("pricing", "GetProducts"), asked);
    assert!(
        stdout.contains("priced from: price cache, as of 2024-09-28"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Prices: price cache (us-east-1, "),
        "{stdout}"
    );

    // No ledger (a fresh one) and the API down: the plan still prints,
    // priced from the snapshot, and says so.
    moto.inject(Fault::new("GetProducts", "ServiceUnavailable").count(50));
    let fresh = dir.path().join("fresh.json");
    let out = tidegate(
        &moto,
        &[
            "plan",
            "--policy",
            p,
            "--ledger",
            fresh.to_str().expect("utf-8"),
            "--max-attempts",
            "1",
        ],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stdout.contains("instance_class: db.r6g.large → db.r6g.xlarge"),
        "{stdout}"
    );
    assert!(
        stdout.contains("note: prices: Pricing API unreachable: pricing GetProducts"),
        "{stdout}"
    );
    assert!(
        stdout.contains("every price is from the fallback built-in snapshot"),
        "{stdout}"
    );
    assert!(
        stdout.contains("priced from: snapshot, as of 2024-09-28: rds db.r6g.large postgresql single-az $0.225/h, rds db.r6g.xlarge"),
        "{stdout}"
    );

    // With the first ledger and the API still down, the cache stands in
    // (fresh, so the API is not even asked).
    let before = moto.calls().count("pricing", "GetProducts");
    let (stdout, _) = text(&plan(&[]));
    assert!(stdout.contains("priced from: price cache"), "{stdout}");
    assert_eq!(moto.calls().count("pricing", "GetProducts"), before);

    // --offline never asks the API.
    moto.clear_faults();
    let before = moto.calls().count("pricing", "GetProducts");
    let (stdout, _) = text(&tidegate(
        &moto,
        &[
            "plan",
            "--policy",
            p,
            "--ledger",
            fresh.to_str().expect("utf-8"),
            "--offline",
        ],
    ));
    assert_eq!(moto.calls().count("pricing", "GetProducts"), before);
    assert!(stdout.contains("Prices: the built-in snapshot"), "{stdout}");
    assert!(
        stdout.contains("(Pricing API not asked (--offline))"),
        "{stdout}"
    );
}

#[tokio::test]
async fn prices_refresh_writes_a_snapshot_the_engine_reads_back_and_nothing_when_down() {
    let moto = MotoServer::dedicated();
    let dir = tempfile::tempdir().expect("temp dir");
    let out_file = dir.path().join("prices.csv");
    let o = out_file.to_str().expect("utf-8");

    let out = tidegate(
        &moto,
        &["prices", "refresh", "--region", "us-east-1", "--out", o],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("asking the Price List Query API for"),
        "{stderr}"
    );
    assert!(stderr.contains("  rds: "), "progress per service: {stderr}");
    let written = std::fs::read_to_string(&out_file).expect("written");
    let book = SnapshotPriceBook::from_csv(&written, o).expect("a snapshot the engine reads");
    // Every price the recorded products hold, at the snapshot's price (the
    // fixtures were assembled from it), with the API as its source.
    let large = PriceKey {
        service: "rds",
        instance_type: "db.r6g.large".into(),
        engine: "postgresql".into(),
        deployment: "single-az".into(),
    };
    let q = book.quote(&large).expect("refreshed");
    assert_eq!(q.usd, 0.225);
    assert!(
        q.source.starts_with("aws-pricing-api:AmazonRDS:"),
        "{}",
        q.source
    );
    assert!(book.len() >= 10, "{}", book.len());
    assert!(
        written.starts_with(
            "service,instance_type,engine,deployment,region,usd_per_hour,unit,source,as_of\n"
        ),
        "the shared snapshot's header"
    );

    // The API down: exit 1, the earlier file untouched.
    moto.inject(Fault::new("GetProducts", "ServiceUnavailable").count(50));
    let out = tidegate(
        &moto,
        &[
            "prices",
            "refresh",
            "--region",
            "us-east-1",
            "--out",
            o,
            "--max-attempts",
            "1",
        ],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("nothing written"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&out_file).expect("kept"), written);
    moto.clear_faults();

    // A plan can fall back on the refreshed snapshot.
    let (_, stderr) = text(&tidegate(
        &moto,
        &[
            "prices",
            "show",
            "m5.large",
            "--offline",
            "--price-snapshot",
            o,
        ],
    ));
    assert!(
        stderr.contains(&format!("price snapshot {o} (us-east-1")),
        "{stderr}"
    );
}

#[tokio::test]
async fn prices_show_prints_each_price_with_its_source_and_date() {
    let moto = MotoServer::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let policy = dir.path().join("policy.yaml");
    std::fs::write(&policy, POLICY.replace("IDENT", "any-db")).expect("write");
    let ledger = dir.path().join("ledger.json");
    let out = tidegate(
        moto,
        &[
            "prices",
            "show",
            "db.r6g.xlarge",
            "--policy",
            policy.to_str().expect("utf-8"),
            "--ledger",
            ledger.to_str().expect("utf-8"),
        ],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.starts_with("db.r6g.xlarge in us-east-1:\n"),
        "{stdout}"
    );
    // The policy's key: not in the recorded products, so the snapshot's,
    // with the API's reason.
    let line = stdout
        .lines()
        .find(|l| l.contains("postgresql") && l.contains("single-az"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        line.contains("0.45 USD/hour") && line.contains("snapshot, as of 2024-09-28"),
        "{line}"
    );
    assert!(
        stdout.contains("not from the Pricing API: Pricing API: no product in the price list"),
        "{stdout}"
    );

    let out = tidegate(moto, &["prices", "show", "db.nope", "--offline"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("no price for `db.nope`"), "{stderr}");
}
