//! cli_output: what `tidegate plan` and `tidegate apply` print for many
//! alike changes, against moto (RDS): `--compact` groups identical changes
//! on one line with their count (the whole plan still goes to `--out`),
//! per-change cost figures add up to the printed total, the price source is
//! said once (stdout, not stderr too), a schedule's reason names its profile
//! once, and an empty plan's total is `+$0.00/h`.

use std::process::{Command, Output};

use crate::support::{MotoServer, unique};

/// Three instances capped by a profile in force all day: three identical
/// downsizes, each −$0.225/h from the built-in snapshot (postgresql
/// single-az: db.r6g.xlarge $0.45/h, db.r6g.large $0.225/h).
const POLICY: &str = r#"
version: 1
estate: output
guardrails: { max_actions_per_hour: 50, oscillation_window: 1h, dry_run: false }
prices: { pricing_api: false }
profiles:
  off_hours: {}
schedules:
  - name: nightly
    timezone: UTC
    transitions:
      - { cron: "0 0 * * *", profile: off_hours }
resources:
RESOURCES"#;

const RESOURCE: &str = r#"  - id: ID
    kind: rds_instance
    identifier: ID
    engine: postgres
    schedule: nightly
    instance_class: { ladder: [db.r6g.large, db.r6g.xlarge] }
    profiles:
      off_hours: { instance_class: { max: db.r6g.large } }
"#;

fn tidegate(moto: &MotoServer, args: &[&str]) -> (String, String, i32) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tidegate"));
    cmd.args(args).args(["--max-attempts", "1"]);
    for (k, v) in moto.cli_env() {
        cmd.env(k, v);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("run tidegate");
    (
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
        status.code().expect("exited"),
    )
}

#[tokio::test]
async fn alike_changes_print_as_one_line_and_their_figures_add_up() {
    let moto = MotoServer::shared();
    let config = moto.sdk_config().await;
    let rds = aws_sdk_rds::Client::new(&config);
    let mut resources = String::new();
    for _ in 0..3 {
        let id = unique("out-db");
        rds.create_db_instance()
            .db_instance_identifier(&id)
            .db_instance_class("db.r6g.xlarge")
            .engine("postgres")
            .allocated_storage(20)
            .master_username("admin")
            .master_user_password("not-a-secret-1")
            .send()
            .await
            .expect("create");
        resources.push_str(&RESOURCE.replace("ID", &id));
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let policy = dir.path().join("policy.yaml");
    std::fs::write(&policy, POLICY.replace("RESOURCES", &resources)).expect("write policy");
    let ledger = dir.path().join("ledger.json");
    let saved = dir.path().join("plan.json");
    let (p, l, o) = (
        policy.to_str().expect("utf-8"),
        ledger.to_str().expect("utf-8"),
        saved.to_str().expect("utf-8"),
    );
    let common = ["--policy", p, "--ledger", l];

    // The full plan: each change's figure is the exact one, so three of
    // them make the total; the reason names the profile once.
    let (full, err, code) = tidegate(moto, &[&["plan"][..], &common].concat());
    assert_eq!(code, 2, "{full}{err}");
    assert_eq!(full.matches("cost: -$0.225/h").count(), 3, "{full}");
    assert!(full.contains("Cost change if applied: -$0.675/h"), "{full}");
    assert!(
        full.contains("reason: off_hours since ")
            && full.contains("UTC) allows at most db.r6g.large"),
        "{full}"
    );
    assert!(!full.contains("off_hours (off_hours"), "{full}");
    // The price source is said once, on stdout.
    assert_eq!(full.matches("Prices: ").count(), 1, "{full}");
    assert!(!err.to_lowercase().contains("prices:"), "{err}");

    // Compact: one line for the three; the whole plan still in --out.
    let (compact, err, code) = tidegate(
        moto,
        &[&["plan", "--compact", "--out", o][..], &common].concat(),
    );
    assert_eq!(code, 2, "{compact}{err}");
    assert!(
        compact.contains(
            "~ 3 × rds_instance instance_class: db.r6g.xlarge → db.r6g.large \
             (schedule nightly/off_hours): -$0.225/h each, -$0.675/h in all"
        ),
        "{compact}"
    );
    assert!(!compact.contains("reason:"), "{compact}");
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&saved).expect("saved")).expect("json");
    assert_eq!(plan["actions"].as_array().map(Vec::len), Some(3), "{plan}");

    // Apply in summary: the outcomes grouped too.
    let (applied, err, code) = tidegate(
        moto,
        &[&["apply", "--auto-approve", "--compact"][..], &common].concat(),
    );
    assert_eq!(code, 0, "{applied}{err}");
    assert!(
        applied.contains("applied   3 × rds_instance instance_class: db.r6g.xlarge → db.r6g.large"),
        "{applied}"
    );
    assert!(
        applied.contains("Apply: 3 applied, 0 already in effect, 0 skipped, 0 failed, 0 held."),
        "{applied}"
    );

    // Nothing left to do: an empty sum is +$0.00, never +$-0.00.
    let (empty, err, code) = tidegate(moto, &[&["plan", "--compact"][..], &common].concat());
    assert_eq!(code, 0, "{empty}{err}");
    assert!(
        empty.contains("Plan: 0 to change, 0 held back by a guard. Cost change if applied: +$0.00/h (+$0.00/month)."),
        "{empty}"
    );
}

/// `plan` prints the policy's warnings to stderr as `validate` does, with
/// file, line and column: a resource nothing could change is not silent.
#[tokio::test]
async fn plan_prints_the_policy_warnings_to_stderr() {
    let moto = MotoServer::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let policy = dir.path().join("policy.yaml");
    let id = unique("quiet-db");
    let text = format!(
        "version: 1\nestate: warned\nguardrails: {{ max_actions_per_hour: 5, oscillation_window: 1h, dry_run: false }}\n\
         prices: {{ pricing_api: false }}\nresources:\n  \
         - id: {id}\n    kind: rds_instance\n    identifier: {id}\n    engine: postgres\n    \
         instance_class: {{ ladder: [db.r6g.large, db.r6g.xlarge] }}\n"
    );
    std::fs::write(&policy, text).expect("write policy");
    let ledger = dir.path().join("ledger.json");
    let (p, l) = (
        policy.to_str().expect("utf-8"),
        ledger.to_str().expect("utf-8"),
    );
    let (out, err, _) = tidegate(moto, &["plan", "--policy", p, "--ledger", l]);
    let expected = format!("{p}:6:5: resources[0]: warning: nothing could ever change {id}");
    assert!(
        err.contains(&expected),
        "{expected}\nstderr:\n{err}\nstdout:\n{out}"
    );
    assert!(!out.contains("warning:"), "{out}");
}
