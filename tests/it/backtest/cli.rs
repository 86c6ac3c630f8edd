//! The `tidegate backtest` command: `--json` prints the library's report
//! as JSON, and bad input fails with the file and line on stderr, nothing on
//! stdout and a failing exit code.

use std::path::Path;
use std::process::Command;

use super::{fixture, root, run};

fn tidegate(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tidegate"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("tidegate runs")
}

#[test]
fn json_report_parses_and_matches_the_library() {
    let out = tidegate(&[
        "backtest",
        "--policy",
        "tests/fixtures/traces/tiny/policy.yaml",
        "--metrics",
        "tests/fixtures/traces/tiny",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let dir = fixture("tiny");
    let r = run(&dir.join("policy.yaml"), &dir, 90.0).expect("runs");
    assert_eq!(
        json["totals"]["cost"]["tidegate_usd"].as_f64(),
        Some(r.totals.cost.tidegate_usd)
    );
    assert_eq!(json["resources"][0]["id"], "web");
    assert_eq!(json["resources"][0]["slo"]["tidegate"]["intervals"], 1);
    assert_eq!(json["period"]["decisions"], 6);
    assert!(json["load_model"].as_array().is_some_and(|a| !a.is_empty()));
}

/// A metrics directory with the tiny policy's mapping and a trace of
/// `trace_text`.
fn scratch(mapping: &str, trace_text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("mapping.yaml"), mapping).expect("write mapping");
    std::fs::write(dir.path().join("web.csv"), trace_text).expect("write trace");
    dir
}

const TINY_MAPPING: &str = "resources:\n  - resource: web\n    trace: web.csv\n    metric: CPUUtilization\n    start: { capacity: 2 }\n";

fn backtest_in(dir: &Path) -> std::process::Output {
    let policy = fixture("tiny/policy.yaml");
    tidegate(&[
        "backtest",
        "--policy",
        &policy.display().to_string(),
        "--metrics",
        &dir.display().to_string(),
    ])
}

#[test]
fn cli_fails_on_a_bad_trace_naming_file_and_line() {
    let dir = scratch(
        TINY_MAPPING,
        "timestamp,value\n2014-04-10 00:00:00,50\n2014-04-10 00:05:00,fifty\n",
    );
    let out = backtest_in(dir.path());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("web.csv:3:"), "{err}");
    assert!(err.contains("trace for `web`"), "{err}");
    assert!(out.stdout.is_empty(), "no report on failure");
}

#[test]
fn cli_fails_on_missing_mapping_unknown_resource_and_missing_trace() {
    // No mapping.yaml in the directory.
    let empty = tempfile::tempdir().expect("tempdir");
    let out = backtest_in(empty.path());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mapping.yaml does not exist"), "{err}");

    // A mapping naming a resource the policy does not have, on line 3.
    let dir = scratch(
        "resources:\n  - resource: web\n  - resource: wbe\n    trace: web.csv\n    metric: CPUUtilization\n",
        "timestamp,value\n2014-04-10 00:00:00,50\n",
    );
    let out = backtest_in(dir.path());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("mapping.yaml:3: resource `wbe`: the policy has no such resource"),
        "{err}"
    );
    assert!(err.contains("expected one of: web"), "{err}");

    // A trace file that is not there.
    let dir = scratch(
        &TINY_MAPPING.replace("web.csv", "gone.csv"),
        "timestamp,value\n2014-04-10 00:00:00,50\n",
    );
    let out = backtest_in(dir.path());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("gone.csv: cannot read the file"), "{err}");
}
