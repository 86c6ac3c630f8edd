//! 12.13: bad input to the backtest gets a clear error naming the file (and
//! line), never a panic, a hang or a made-up result. Each case is a copy of
//! the tiny fixture with one thing wrong.

use std::path::Path;

use tidegate::backtest::mapping::{self, ValueKind};
use tidegate::backtest::trace::{self, Reading};
use tidegate::backtest::{self, BacktestError, Files, InterruptionSource, Limits};
use tidegate::policy;
use tidegate::pricing::SnapshotPriceBook;

use super::fixture;

/// A metrics folder with the tiny policy, `mapping` and `web.csv` holding
/// `trace`.
fn folder(mapping: &str, trace: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(fixture("tiny/policy.yaml"), dir.path().join("policy.yaml"))
        .expect("copy policy");
    std::fs::write(dir.path().join("mapping.yaml"), mapping).expect("write mapping");
    std::fs::write(dir.path().join("web.csv"), trace).expect("write trace");
    dir
}

const MAPPING: &str = "resources:\n  - resource: web\n    trace: web.csv\n    metric: CPUUtilization\n    start: { capacity: 2 }\n";

fn run_in(dir: &Path, limits: Limits) -> Result<backtest::report::Report, BacktestError> {
    let files = Files {
        policy: dir.join("policy.yaml"),
        metrics: dir.to_path_buf(),
        mapping: None,
        interruptions: InterruptionSource::Mapping,
        limits,
    };
    backtest::run_files(&files, &SnapshotPriceBook::embedded(), 90.0, &mut |_| {})
}

/// Every 5 minutes from 2014-04-10 00:00 for `rows` rows, at `value`.
fn steady(rows: usize, value: f64) -> String {
    let start = chrono::NaiveDate::from_ymd_opt(2014, 4, 10)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("valid start");
    let mut text = "timestamp,value\n".to_owned();
    for i in 0..rows {
        let at = start + chrono::TimeDelta::minutes(5 * i as i64);
        text.push_str(&format!("{},{value}\n", at.format("%Y-%m-%d %H:%M:%S")));
    }
    text
}

#[test]
fn a_duration_past_366_days_fails_validation() {
    let text = std::fs::read_to_string(fixture("tiny/policy.yaml"))
        .expect("tiny policy")
        .replace(
            "    capacity: { min: 1, max: 4 }",
            "    cooldown: { down: 100000000d }\n    capacity: { min: 1, max: 4 }",
        );
    let err = policy::load_str(&text, "p.yaml").expect_err("refused at validation");
    let msg = err.to_string();
    assert!(msg.contains("366 days"), "{msg}");
    assert!(msg.contains("p.yaml"), "{msg}");
}

#[test]
fn a_year_typed_wrong_is_refused_not_replayed_for_decades() {
    // 300 rows of 2014 and one of 2041: 27 years, "saves $190,750.78" before.
    let mut text = steady(300, 50.0);
    text.push_str("2041-04-11 01:00:00,50\n");
    let dir = folder(MAPPING, &text);
    let err = run_in(dir.path(), Limits::default()).expect_err("window too long");
    assert!(
        matches!(err, BacktestError::WindowTooLong { limit: 93, .. }),
        "{err}"
    );
    let msg = err.to_string();
    assert!(msg.contains("web.csv"), "{msg}");
    assert!(msg.contains("--max-window-days"), "{msg}");
    // Lifting the limit is an explicit choice (and bounded).
    let err = run_in(
        dir.path(),
        Limits {
            max_window_days: 20_000,
            ..Limits::default()
        },
    )
    .expect_err("out of range");
    assert!(matches!(err, BacktestError::WindowLimit(20_000)), "{err}");
}

#[test]
fn rows_far_apart_are_an_error_not_an_allocation() {
    let text = "timestamp,value\n1970-01-01 00:00:00,10\n9999-12-31 23:55:00,10\n";
    let dir = folder(MAPPING, text);
    let err = run_in(
        dir.path(),
        Limits {
            max_window_days: Limits::MAX_WINDOW_DAYS,
            ..Limits::default()
        },
    )
    .expect_err("too long even at the highest limit");
    assert!(matches!(err, BacktestError::WindowTooLong { .. }), "{err}");
}

#[test]
fn a_year_out_of_range_is_a_line_error_not_a_panic() {
    // chrono reads `+262142`; moving it by a week overflowed before.
    let mapping = MAPPING.replace("    start:", "    shift_weeks: 1\n    start:");
    let dir = folder(
        &mapping,
        "timestamp,value\n2014-04-10 00:00:00,50\n+262142-12-31 23:00:00,50\n",
    );
    let msg = run_in(dir.path(), Limits::default())
        .expect_err("refused")
        .to_string();
    assert!(msg.contains("web.csv:3:"), "{msg}");
    assert!(msg.contains("1970–9999"), "{msg}");
}

#[test]
fn a_long_gap_is_missing_data_not_the_last_value_held() {
    // One day of data, a 30-day gap, one more day.
    let mut text = steady(288, 50.0);
    let restart = chrono::NaiveDate::from_ymd_opt(2014, 5, 11)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("valid");
    for i in 0..288 {
        let at = restart + chrono::TimeDelta::minutes(5 * i);
        text.push_str(&format!("{},50\n", at.format("%Y-%m-%d %H:%M:%S")));
    }
    let dir = folder(MAPPING, &text);
    let r = run_in(dir.path(), Limits::default()).expect("runs");
    // 576 intervals of data; the rest of the 31-day window is missing.
    assert_eq!(r.period.decisions, 576, "{:?}", r.period);
    assert!(r.period.missing_intervals > 8_000, "{:?}", r.period);
    // Two days at 2 instances (50% never fires the rule): the cost of 576
    // intervals, not of 31 days.
    let held = run_in(
        dir.path(),
        Limits {
            max_gap_secs: 60 * 86_400,
            ..Limits::default()
        },
    )
    .expect("runs with the gap held");
    assert_eq!(held.period.missing_intervals, 0);
    let ratio = held.totals.cost.tidegate_usd / r.totals.cost.tidegate_usd;
    assert!(
        (ratio - held.period.decisions as f64 / 576.0).abs() < 0.01,
        "cost follows the intervals replayed: {ratio}"
    );
    assert!(
        r.resources[0]
            .notes
            .iter()
            .any(|n| n.contains("missing data")),
        "{:?}",
        r.resources[0].notes
    );
}

#[test]
fn utilisation_outside_0_to_100_is_refused_with_file_and_line() {
    let dir = folder(
        MAPPING,
        "timestamp,value\n2014-04-10 00:00:00,50\n2014-04-10 00:05:00,1000000\n",
    );
    let msg = run_in(dir.path(), Limits::default())
        .expect_err("refused")
        .to_string();
    assert!(msg.contains("web.csv:3:"), "{msg}");
    assert!(msg.contains("0–100"), "{msg}");
    // The same numbers as a count trace are fine.
    let t = trace::parse(
        "bytes.csv",
        "timestamp,value\n2014-04-10 00:00:00,65366933\n",
        Reading {
            values: ValueKind::Count,
            timezone: None,
        },
    );
    assert!(t.is_ok(), "{t:?}");
}

#[test]
fn a_trace_path_outside_the_folder_is_refused_and_never_echoed() {
    let outside = tempfile::tempdir().expect("tempdir");
    let secret = outside.path().join("secret.csv");
    std::fs::write(&secret, "root:x:0:0:SECRET-CONTENT\n").expect("write secret");
    for name in [
        "../../../../../../../../etc/passwd".to_owned(),
        secret.display().to_string(),
    ] {
        let dir = folder(
            &MAPPING.replace("trace: web.csv", &format!("trace: \"{name}\"")),
            &steady(10, 50.0),
        );
        let msg = run_in(dir.path(), Limits::default())
            .expect_err("refused")
            .to_string();
        assert!(msg.contains("inside it"), "{name}: {msg}");
        assert!(!msg.contains("root:"), "{name}: {msg}");
        assert!(!msg.contains("SECRET"), "{name}: {msg}");
    }
    // A file inside that is not a trace: named, not quoted.
    let dir = folder(MAPPING, "root:x:0:0:SECRET-CONTENT\n");
    let msg = run_in(dir.path(), Limits::default())
        .expect_err("refused")
        .to_string();
    assert!(
        msg.contains("web.csv:1: the first line is not the header"),
        "{msg}"
    );
    assert!(!msg.contains("SECRET"), "{msg}");
}

#[cfg(unix)]
#[test]
fn a_device_or_a_link_out_is_not_read() {
    let dir = folder(MAPPING, &steady(10, 50.0));
    std::fs::remove_file(dir.path().join("web.csv")).expect("remove");
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("web.csv")).expect("link");
    let started = std::time::Instant::now();
    let msg = run_in(dir.path(), Limits::default())
        .expect_err("refused")
        .to_string();
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(msg.contains("web.csv"), "{msg}");
}

#[test]
fn text_that_is_not_utf8_names_the_file_and_line() {
    let dir = folder(MAPPING, "");
    std::fs::write(
        dir.path().join("web.csv"),
        b"timestamp,value\n2014-04-10 00:00:00,50\n2014-04-10 00:05:00,5\xb0\n",
    )
    .expect("write");
    let msg = run_in(dir.path(), Limits::default())
        .expect_err("refused")
        .to_string();
    assert!(msg.contains("web.csv:3:"), "{msg}");
    assert!(msg.contains("not UTF-8"), "{msg}");
    // The mapping file too.
    std::fs::write(
        dir.path().join("mapping.yaml"),
        b"resources:\n  - resource: w\xe9b\n",
    )
    .expect("write");
    let msg = run_in(dir.path(), Limits::default())
        .expect_err("refused")
        .to_string();
    assert!(msg.contains("mapping.yaml:2:"), "{msg}");
}

#[test]
fn a_mapping_timezone_reads_wall_clock_time_through_a_repeated_hour() {
    // Europe/Berlin leaves summer time at 03:00 on 2014-10-26: 02:00–02:55
    // happen twice. Read in order, 24 rows make 24 distinct instants.
    let mut text = "timestamp,value\n".to_owned();
    for (h, m) in (0..12).map(|i| (1 + i / 12, i % 12 * 5)) {
        text.push_str(&format!("2014-10-26 {h:02}:{m:02}:00,10\n"));
    }
    for i in 0..12 {
        text.push_str(&format!("2014-10-26 02:{:02}:00,20\n", i * 5));
    }
    for i in 0..12 {
        text.push_str(&format!("2014-10-26 02:{:02}:00,30\n", i * 5));
    }
    let berlin = Reading {
        values: ValueKind::Utilization,
        timezone: Some(chrono_tz::Europe::Berlin),
    };
    let t = trace::parse("berlin.csv", &text, berlin).expect("parses");
    assert_eq!(t.points.len(), 36, "no hour folded onto another");
    assert_eq!(t.quality.duplicates, 0);
    assert_eq!(t.quality.out_of_order, 0);
    assert!(
        t.points
            .windows(2)
            .all(|w| (w[1].at - w[0].at).num_minutes() == 5)
    );
    assert_eq!(t.start().format("%H:%M").to_string(), "23:00", "01:00 CEST");
    // Without the zone, the repeated hour is read as duplicates.
    let utc = trace::parse("berlin.csv", &text, Reading::default()).expect("parses");
    assert_eq!(utc.quality.duplicates, 12);

    // The mapping names it; a name that is not a zone is refused.
    let p = policy::load_file(&fixture("tiny/policy.yaml")).expect("tiny validates");
    let m = mapping::parse(
        "m.yaml",
        &MAPPING.replace("    start:", "    timezone: Europe/Berlin\n    start:"),
        &p,
    )
    .expect("parses");
    let spec = m.entry("web").and_then(|e| e.trace.clone()).expect("trace");
    assert_eq!(spec.timezone, Some(chrono_tz::Europe::Berlin));
    let err = mapping::parse(
        "m.yaml",
        &MAPPING.replace("    start:", "    timezone: Mars/Olympus\n    start:"),
        &p,
    )
    .expect_err("not a zone");
    assert!(err.to_string().contains("m.yaml:2:"), "{err}");
}
