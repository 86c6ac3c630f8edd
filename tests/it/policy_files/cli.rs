//! The `validate` and `schema` commands, run as the built binary.

use std::process::Command;

use super::root;
use tidegate::policy;

fn tidegate(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tidegate"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run tidegate")
}

#[test]
fn cli_validate_reports_ok_files() {
    let out = tidegate(&["validate", "policies/estate.yaml", "policies/minimal.yaml"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert_eq!(
        stdout,
        "policies/estate.yaml: ok — 7 resources, 1 schedule\npolicies/minimal.yaml: ok — 1 resource, 0 schedules\n"
    );
}

#[test]
fn cli_validate_prints_every_problem_and_fails() {
    let bad = "tests/fixtures/policies/bad/multiple_problems.yaml";
    let out = tidegate(&["validate", "policies/minimal.yaml", bad]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 9, "{stdout}");
    assert_eq!(
        lines[0],
        "policies/minimal.yaml: ok — 1 resource, 0 schedules"
    );
    assert!(
        lines[1].starts_with(&format!("{bad}:5:3: guardrails.max_actions_per_hour: ")),
        "{}",
        lines[1]
    );
}

#[test]
fn cli_validate_json() {
    let bad = "tests/fixtures/policies/bad/not_yaml.yaml";
    let out = tidegate(&["validate", "--json", "policies/minimal.yaml", bad]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let docs: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0]["ok"], true);
    assert_eq!(docs[0]["resources"], 1);
    assert_eq!(docs[1]["ok"], false);
    assert_eq!(docs[1]["problems"][0]["line"], 1);
    assert_eq!(docs[1]["problems"][0]["path"], "");
    let message = docs[1]["problems"][0]["message"].as_str().expect("message");
    assert!(message.contains("not a policy mapping"), "{message}");
}

#[test]
fn cli_schema_prints_and_writes_the_schema() {
    let out = tidegate(&["schema"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        policy::schema::json_schema()
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("schema.json");
    let target_s = target.display().to_string();
    let out = tidegate(&["schema", "--out", &target_s]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let written = std::fs::read_to_string(&target).expect("schema written");
    assert_eq!(written, policy::schema::json_schema());
}

#[test]
fn cli_help_explains_the_commands() {
    let out = tidegate(&["validate", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("FILE:LINE:COL: PATH: MESSAGE; expected"),
        "{help}"
    );
    assert!(help.contains("--json"), "{help}");
    let out = tidegate(&["schema", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("--out"), "{help}");
    assert!(help.contains("policies/schema.json"), "{help}");
}

#[test]
fn cli_validate_prints_warnings_and_strict_makes_them_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("idle.yaml");
    std::fs::write(&file, super::rds("")).expect("write policy");
    let name = file.display().to_string();
    let out = tidegate(&["validate", &name]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[1].starts_with(&format!(
            "{name}:10:5: resources[0]: warning: nothing could ever change db"
        )),
        "{stdout}"
    );
    let strict = tidegate(&["validate", "--strict", &name]);
    assert_eq!(strict.status.code(), Some(1), "{strict:?}");
    let json = tidegate(&["validate", "--json", &name]);
    let doc: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&json.stdout).trim()).expect("JSON");
    assert_eq!(doc["warnings"][0]["line"], 10);
}
