//! Progress is drawn only on a terminal: with stderr piped (logs, CI) a
//! backtest long enough for a bar writes only its usual lines, with no
//! carriage returns, escape codes or bar text.

use std::process::{Command, Stdio};

use super::root;

#[test]
fn piped_stderr_carries_no_progress_bar() {
    let out = Command::new(env!("CARGO_BIN_EXE_tidegate"))
        .args([
            "backtest",
            "--policy",
            "policies/estate.yaml",
            "--metrics",
            "policies/traces",
            "--json",
        ])
        .current_dir(root())
        .env_remove("TIDEGATE_NO_PROGRESS")
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .output()
        .expect("tidegate runs");
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    assert!(!stderr.contains('\r'), "no carriage returns: {stderr:?}");
    assert!(!stderr.contains('\x1b'), "no escape codes: {stderr:?}");
    assert!(!stderr.contains("ETA"), "no bar: {stderr}");
    // Only the lines a backtest has always printed.
    for line in stderr.lines() {
        assert!(
            line.starts_with("loaded ") || line.starts_with("replayed "),
            "unexpected stderr line: {line}"
        );
    }
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("replayed 3455 decisions"))
    );
}

#[test]
fn a_terminal_gets_the_replay_bar() {
    // `script` (util-linux) runs the command on a pseudo-terminal and
    // copies what it draws to its own stdout.
    let bin = env!("CARGO_BIN_EXE_tidegate");
    let cmd = format!(
        "{bin} backtest --policy policies/estate.yaml --metrics policies/traces --json > /dev/null"
    );
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(root())
        .env("TIDEGATE_PROGRESS_DELAY_MS", "0")
        .env_remove("TIDEGATE_NO_PROGRESS")
        .stdin(Stdio::null())
        .output()
        .expect("script (util-linux) runs");
    assert!(out.status.success(), "{out:?}");
    let drawn = String::from_utf8_lossy(&out.stdout);
    assert!(
        drawn.contains("decisions") && drawn.contains("ETA"),
        "the bar is drawn on a terminal: {drawn}"
    );
}
