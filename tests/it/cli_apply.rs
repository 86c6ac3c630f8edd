//! cli_apply: the `tidegate apply` binary end to end against moto (RDS,
//! CloudWatch). The dry-run gate and its exit code, `--live`, and a saved
//! plan: fresh (applied, once), stale or made for another policy (refused
//! whole), edited (off-ladder or below-floor `to:`, held by the guard that
//! refuses it now), overtaken (the alarm is OK again: held by `recheck`),
//! and an edited emergency flag that sets no latch. Each asserts the
//! rendered "held by GUARD" line, the outcome lines and what moto shows.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use aws_sdk_cloudwatch::types::StateValue;

use crate::support::{MotoServer, unique};

const POLICY: &str = r#"
version: 1
estate: apply
guardrails: { max_actions_per_hour: 5, oscillation_window: 1h DRY }
prices: { pricing_api: false }
resources:
  - id: apply-db
    kind: rds_instance
    identifier: IDENT
    engine: postgres
    instance_class:
      ladder: [db.r6g.large, db.r6g.xlarge, db.r6g.2xlarge]
      floor: db.r6g.xlarge
    scale_up: [{ alarm: IDENT-cpu-high }]
"#;

/// One instance at db.r6g.xlarge (its floor) whose scale-up alarm fires,
/// a policy for it, a ledger: every plan proposes xlarge → 2xlarge.
struct Estate<'a> {
    moto: &'a MotoServer,
    ident: String,
    dir: tempfile::TempDir,
    policy: PathBuf,
}

impl<'a> Estate<'a> {
    async fn new(dry_run: bool) -> Self {
        Self::on(MotoServer::shared(), dry_run).await
    }

    async fn on(moto: &'a MotoServer, dry_run: bool) -> Self {
        let ident = unique("apply-db");
        let config = moto.sdk_config().await;
        crate::aws_estate::fire(
            &aws_sdk_cloudwatch::Client::new(&config),
            &format!("{ident}-cpu-high"),
        )
        .await;
        aws_sdk_rds::Client::new(&config)
            .create_db_instance()
            .db_instance_identifier(&ident)
            .db_instance_class("db.r6g.xlarge")
            .engine("postgres")
            .allocated_storage(20)
            .master_username("admin")
            .master_user_password("not-a-secret-1")
            .send()
            .await
            .expect("create");
        let dir = tempfile::tempdir().expect("temp dir");
        let policy = dir.path().join("policy.yaml");
        let estate = Estate {
            moto,
            ident,
            dir,
            policy,
        };
        estate.write_policy(if dry_run { "" } else { ", dry_run: false" });
        estate
    }

    fn write_policy(&self, dry: &str) {
        let text = POLICY.replace("IDENT", &self.ident).replace(" DRY", dry);
        std::fs::write(&self.policy, text).expect("write policy");
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn tidegate(&self, command: &str, extra: &[&str]) -> Run {
        let ledger = self.path("ledger.json");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tidegate"));
        cmd.arg(command)
            .arg("--policy")
            .arg(&self.policy)
            .arg("--ledger")
            .arg(&ledger)
            .args(["--max-attempts", "1"])
            .args(extra);
        for (k, v) in self.moto.cli_env() {
            cmd.env(k, v);
        }
        Run(cmd.output().expect("run tidegate"))
    }

    /// `tidegate plan --out plan.json`, which plans the one resize.
    fn save_plan(&self) -> PathBuf {
        let out = self.path("plan.json");
        let run = self.tidegate("plan", &["--out", out.to_str().expect("utf-8")]);
        assert_eq!(run.code(), 2, "changes planned\n{run}");
        out
    }

    async fn class(&self) -> String {
        let config = self.moto.sdk_config().await;
        let got = aws_sdk_rds::Client::new(&config)
            .describe_db_instances()
            .db_instance_identifier(&self.ident)
            .send()
            .await
            .expect("describe");
        got.db_instances()[0]
            .db_instance_class()
            .expect("a class")
            .to_owned()
    }

    async fn cool_down_the_alarm(&self) {
        let config = self.moto.sdk_config().await;
        aws_sdk_cloudwatch::Client::new(&config)
            .set_alarm_state()
            .alarm_name(format!("{}-cpu-high", self.ident))
            .state_value(StateValue::Ok)
            .state_reason("test")
            .send()
            .await
            .expect("set alarm OK");
    }

    fn resize(&self) -> String {
        format!(
            "{} instance_class: db.r6g.xlarge → db.r6g.2xlarge",
            self.ident
        )
    }
}

struct Run(Output);

impl Run {
    fn code(&self) -> i32 {
        self.0.status.code().expect("exited")
    }
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code(),
            self.stdout(),
            self.stderr()
        )
    }
}

/// Rewrites the saved plan's JSON with `edit`.
fn edit_plan(file: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let text = std::fs::read_to_string(file).expect("read plan");
    let mut plan: serde_json::Value = serde_json::from_str(&text).expect("plan JSON");
    edit(&mut plan);
    std::fs::write(file, serde_json::to_string_pretty(&plan).expect("JSON")).expect("write plan");
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

#[tokio::test]
async fn on_a_dry_run_policy_apply_changes_nothing_says_so_and_exits_3_until_live() {
    let estate = Estate::new(true).await;
    let dry = estate.tidegate("apply", &["--auto-approve"]);
    assert_eq!(dry.code(), 3, "{dry}");
    assert!(
        dry.stdout()
            .contains("dry run: nothing was changed (guardrails.dry_run is true; add --live)"),
        "{dry}"
    );
    assert!(
        dry.stdout().contains(&format!("~ {}", estate.ident)),
        "{dry}"
    );
    assert_eq!(estate.class().await, "db.r6g.xlarge", "nothing changed");

    let live = estate.tidegate("apply", &["--auto-approve", "--live"]);
    assert_eq!(live.code(), 0, "{live}");
    assert!(
        live.stdout()
            .contains(&format!("applied   {}", estate.resize())),
        "{live}"
    );
    assert!(
        live.stdout()
            .contains("Apply: 1 applied, 0 already in effect, 0 skipped, 0 failed, 0 held."),
        "{live}"
    );
    assert_eq!(estate.class().await, "db.r6g.2xlarge");
}

#[tokio::test]
async fn a_fresh_saved_plan_is_applied_once_and_its_edited_emergency_flag_sets_no_latch() {
    let estate = Estate::new(false).await;
    let plan = estate.save_plan();
    // The latch is the ledger's and the budget's to say, not the file's.
    edit_plan(&plan, |p| p["emergency"] = serde_json::Value::Bool(true));
    let run = estate.tidegate("apply", &["--plan", path_str(&plan), "--auto-approve"]);
    assert_eq!(run.code(), 0, "{run}");
    assert!(run.stdout().contains("Decided again now"), "{run}");
    assert!(
        !run.stdout().contains("BUDGET EMERGENCY"),
        "the file's emergency flag is not shown as in force\n{run}"
    );
    assert!(
        run.stdout()
            .contains(&format!("applied   {}", estate.resize())),
        "{run}"
    );
    assert!(run.stdout().contains("Apply: 1 applied"), "{run}");
    assert_eq!(estate.class().await, "db.r6g.2xlarge");
    // The file ledger is a base file and a journal: read both, as tidegate does.
    let ledger = tidegate::ledger::file::load(&estate.path("ledger.json")).expect("ledger");
    let ledger = serde_json::to_value(ledger).expect("ledger JSON");
    assert!(
        ledger["emergency_since"].is_null(),
        "no latch from the file: {ledger:#}"
    );

    // The same plan again: the change is in effect, nothing runs.
    let again = estate.tidegate("apply", &["--plan", path_str(&plan), "--auto-approve"]);
    assert_eq!(again.code(), 0, "{again}");
    assert!(
        again.stdout().contains("the saved change is in effect"),
        "{again}"
    );
    assert!(again.stdout().contains("Nothing to apply."), "{again}");
}

#[tokio::test]
async fn a_stale_saved_plan_is_refused_whole() {
    let estate = Estate::new(false).await;
    let plan = estate.save_plan();
    edit_plan(&plan, |p| {
        p["at"] = serde_json::Value::String("1970-01-01T00:00:00Z".into());
    });
    let run = estate.tidegate("apply", &["--plan", path_str(&plan), "--auto-approve"]);
    assert_eq!(run.code(), 4, "{run}");
    assert!(run.stderr().contains("is refused"), "{run}");
    assert!(
        run.stderr().contains("guardrails.max_plan_age is 15m"),
        "{run}"
    );
    assert!(!run.stdout().contains("applied"), "{run}");
    assert_eq!(estate.class().await, "db.r6g.xlarge");
}

#[tokio::test]
async fn a_saved_plan_for_another_policy_is_refused_whole() {
    let estate = Estate::new(false).await;
    let plan = estate.save_plan();
    // The policy changed since the plan was made.
    estate.write_policy(", dry_run: false, max_plan_age: 30m");
    let run = estate.tidegate("apply", &["--plan", path_str(&plan), "--auto-approve"]);
    assert_eq!(run.code(), 4, "{run}");
    assert!(run.stderr().contains("made for another policy"), "{run}");
    assert_eq!(estate.class().await, "db.r6g.xlarge");
}

#[tokio::test]
async fn an_edited_saved_plan_is_held_by_the_guard_that_refuses_it_now() {
    for (to, guard) in [
        ("db.x2g.16xlarge", "bounds"),
        ("db.r6g.large", "protected_floor"),
    ] {
        let estate = Estate::new(false).await;
        let plan = estate.save_plan();
        edit_plan(&plan, |p| {
            let a = &mut p["actions"][0];
            a["to"] = serde_json::json!({ "class": to });
            a["cost_delta_per_hour"] = serde_json::json!(0.0);
        });
        let run = estate.tidegate("apply", &["--plan", path_str(&plan), "--auto-approve"]);
        assert_eq!(run.code(), 5, "{to}: held, documented code\n{run}");
        let out = run.stdout();
        assert!(
            out.contains(&format!(
                "! {} (apply-db) [rds_instance]  held by {guard}",
                estate.ident
            )),
            "{to}: rendered held-by line\n{run}"
        );
        assert!(out.contains(&format!("guard {guard}: ")), "{to}\n{run}");
        assert!(out.contains("Nothing to apply."), "{to}\n{run}");
        assert!(
            out.contains(
                "Plan: 0 to change, 1 held back by a guard. Cost change if applied: +$0.00/h"
            ),
            "{to}: an empty sum is +$0.00, not +$-0.00\n{run}"
        );
        assert_eq!(estate.class().await, "db.r6g.xlarge", "{to}: not applied");
    }
}

#[tokio::test]
async fn a_saved_change_the_policy_no_longer_proposes_is_held_by_recheck() {
    let estate = Estate::new(false).await;
    let plan = estate.save_plan();
    estate.cool_down_the_alarm().await;
    let run = estate.tidegate("apply", &["--plan", path_str(&plan), "--auto-approve"]);
    assert_eq!(run.code(), 5, "{run}");
    assert!(run.stdout().contains("held by recheck"), "{run}");
    assert!(
        run.stdout()
            .contains("the policy proposes no change to instance_class now"),
        "{run}"
    );
    assert_eq!(estate.class().await, "db.r6g.xlarge");
}

#[tokio::test]
async fn a_change_aws_refuses_is_reported_failed_and_exits_1() {
    let moto = MotoServer::dedicated();
    let estate = Estate::on(&moto, false).await;
    moto.inject_fault("ModifyDBInstance", "InvalidParameterCombination", 1);
    let run = estate.tidegate("apply", &["--auto-approve"]);
    assert_eq!(run.code(), 1, "{run}");
    assert!(
        run.stdout()
            .contains(&format!("FAILED    {}: ", estate.resize())),
        "{run}"
    );
    assert!(
        run.stdout()
            .contains("Apply: 0 applied, 0 already in effect, 0 skipped, 1 failed, 0 held."),
        "{run}"
    );
    assert_eq!(estate.class().await, "db.r6g.xlarge");
}

#[test]
fn apply_help_documents_its_exit_codes() {
    let out = Command::new(env!("CARGO_BIN_EXE_tidegate"))
        .args(["apply", "--help"])
        .output()
        .expect("run tidegate");
    let help = String::from_utf8_lossy(&out.stdout);
    for line in [
        "Exit codes:",
        "3  dry run: nothing was changed",
        "4  the saved plan was refused whole",
        "5  an approved change was held",
    ] {
        assert!(help.contains(line), "{line:?} in\n{help}");
    }
}
