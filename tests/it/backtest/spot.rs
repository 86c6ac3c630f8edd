//! The backtest with a trace of spot interruption warnings: the tiny
//! estate's mix moves when worked out by hand; in the shipped replay the api
//! and batch groups' on-demand share rises after the synthetic bursts and
//! comes back after the quiet period, always within its class's bounds;
//! without the trace nothing changes; a bad trace or mapping key is refused
//! naming the file, the line and the column.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, TimeDelta, Utc};
use tidegate::backtest::interruptions::{self, InterruptionsError};
use tidegate::backtest::report::{Report, ResourceReport, SpotMixReport};
use tidegate::backtest::timeline::STEP_SECS;
use tidegate::backtest::{self, BacktestError, Files, InterruptionSource, mapping};
use tidegate::estate::Setting;
use tidegate::policy::{self, Direction, KnobName, Policy};
use tidegate::pricing::{SnapshotPriceBook, hourly_cost};

use super::{close, root};

fn spot_fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/spot").join(name)
}

fn run_with(
    policy: &Path,
    metrics: &Path,
    mapping: Option<PathBuf>,
    interruptions: InterruptionSource,
) -> Result<Report, BacktestError> {
    let files = Files {
        policy: policy.to_path_buf(),
        metrics: metrics.to_path_buf(),
        mapping,
        interruptions,
        limits: backtest::Limits::default(),
    };
    backtest::run_files(
        &files,
        &SnapshotPriceBook::embedded(),
        backtest::DEFAULT_SLO_PERCENT,
        &mut |_| {},
    )
}

fn estate() -> PathBuf {
    root().join("policies/estate.yaml")
}

fn traces() -> PathBuf {
    root().join("policies/traces")
}

fn shipped_with(source: InterruptionSource) -> Report {
    run_with(&estate(), &traces(), None, source)
        .unwrap_or_else(|e| panic!("the shipped backtest should run: {e}"))
}

/// The shipped mapping with its `interruptions:` block replaced by `block`.
fn shipped_mapping_with(block: &str) -> tempfile::NamedTempFile {
    let text = std::fs::read_to_string(traces().join("mapping.yaml")).expect("mapping");
    let start = text
        .find("\ninterruptions:")
        .expect("an interruptions block")
        + 1;
    let end = text.find("\nresources:").expect("resources") + 1;
    let edited = format!("{}{block}{}", &text[..start], &text[end..]);
    let file = tempfile::NamedTempFile::new().expect("temp mapping");
    std::fs::write(file.path(), edited).expect("write mapping");
    file
}

fn resource<'a>(r: &'a Report, id: &str) -> &'a ResourceReport {
    r.resources
        .iter()
        .find(|x| x.id == id)
        .unwrap_or_else(|| panic!("{id} reported"))
}

fn mix<'a>(r: &'a Report, id: &str) -> &'a SpotMixReport {
    resource(r, id)
        .spot_mix
        .as_ref()
        .unwrap_or_else(|| panic!("{id} has a spot mix"))
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("an RFC 3339 instant")
}

fn estate_policy() -> Policy {
    policy::load_file(&estate()).expect("estate validates")
}

// ---------------------------------------------------------------- by hand

/// tests/fixtures/spot/tiny: 2 instances at a steady 50% (no rule fires),
/// class `spotty` at 30% on-demand reacting to 2 warnings within 10 minutes
/// with +30 points (ceiling 60%) and a 30-minute quiet period. Decisions
/// every 5 minutes from 00:00 to 01:30 (19).
/// - 00:05 sees one warning; 00:10 sees the second (at 00:10:00 exactly,
///   "at or before now"): raised to 60%, m5.large added;
/// - 00:40 is 30 minutes after the last warning: back to 30%;
/// - the single warnings at 00:50 and 01:10 are 20 minutes apart: no raise.
///
/// So 6 intervals (00:10 … 00:35) at 60% and 13 at 30%.
#[test]
fn tiny_spot_mix_moves_as_worked_out_by_hand() {
    let dir = spot_fixture("tiny");
    let policy_path = dir.join("policy.yaml");
    let r = run_with(&policy_path, &dir, None, InterruptionSource::Mapping).expect("tiny runs");
    assert_eq!(r.period.decisions, 19);
    let m = mix(&r, "web");
    assert!(m.reacts);
    assert_eq!(m.warnings_seen, Some(4));
    assert_eq!(
        (m.class_on_demand_percent, m.ceiling_on_demand_percent),
        (30, 60)
    );

    let moves: Vec<(String, u32, u32, Option<Direction>)> = m
        .changes
        .iter()
        .map(|c| {
            (
                c.at.format("%H:%M").to_string(),
                c.from_percent,
                c.to_percent,
                c.direction,
            )
        })
        .collect();
    assert_eq!(
        moves,
        vec![
            ("00:10".to_owned(), 30, 60, Some(Direction::Up)),
            ("00:40".to_owned(), 60, 30, Some(Direction::Down)),
        ]
    );
    assert_eq!(m.changes[0].added_types, vec!["m5.large".to_owned()]);
    assert_eq!(m.changes[1].removed_types, vec!["m5.large".to_owned()]);
    assert!(
        m.changes[1].reason.contains("since 2014-04-14 00:10 UTC"),
        "{}",
        m.changes[1].reason
    );

    let levels: Vec<(u32, usize)> = m
        .time_at
        .iter()
        .map(|l| (l.on_demand_percent, l.intervals))
        .collect();
    assert_eq!(levels, vec![(30, 13), (60, 6)]);
    assert_eq!(m.average_on_demand_percent, 39.5, "(13 × 30 + 6 × 60) / 19");
    assert_eq!(m.raised_hours, 0.5);

    // The same 2 instances priced at each share.
    let p = policy::load_file(&policy_path).expect("validates");
    let res = p.resource("web").expect("web");
    let class = &p.spot_mix["spotty"];
    let two: BTreeMap<KnobName, Setting> = [(
        KnobName::Capacity,
        Setting::Capacity {
            min: 1,
            max: 4,
            desired: 2,
        },
    )]
    .into();
    let prices = SnapshotPriceBook::embedded();
    let per_hour = |level| {
        let mix = tidegate::spot::level_mix(class, level);
        hourly_cost(res, &two, false, Some(&mix), &prices)
            .expect("m6i.large is priced")
            .usd_per_hour
    };
    let (own, raised) = (per_hour(0), per_hour(1));
    assert!(raised > own, "on-demand costs more than spot");
    let h = STEP_SECS as f64 / 3600.0;
    let web = resource(&r, "web");
    assert!(close(
        web.cost.tidegate_usd,
        (13.0 * own + 6.0 * raised) * h
    ));
    assert!(close(m.class_mix_usd, 19.0 * own * h));
    assert!(close(m.extra_usd, web.cost.tidegate_usd - m.class_mix_usd));
    assert!(m.extra_usd > 0.0);
    assert_eq!(r.totals.spot_mix_extra_usd, m.extra_usd);
    assert_eq!((web.actions.up, web.actions.down), (1, 1));

    let w = r.spot_warnings.as_ref().expect("warnings reported");
    assert_eq!((w.warnings, w.before_window, w.after_window), (4, 0, 0));
    assert_eq!(w.note.as_deref(), Some("synthetic, for a test"));
    assert_eq!(w.classes.len(), 1);
    let c = &w.classes[0];
    assert_eq!((c.interruption, c.rebalance, c.reacts), (3, 1, true));
    assert_eq!(c.groups, vec!["web".to_owned()]);

    let text = backtest::render::text(&r);
    assert!(text.contains("mix change"), "{text}");
    assert!(text.contains("30% → 60% (+m5.large)"), "{text}");
    assert!(text.contains("synthetic, for a test"), "{text}");
}

#[test]
fn tiny_without_warnings_keeps_the_class_mix() {
    let dir = spot_fixture("tiny");
    let r = run_with(
        &dir.join("policy.yaml"),
        &dir,
        None,
        InterruptionSource::Off,
    )
    .expect("tiny runs");
    assert!(r.spot_warnings.is_none());
    let m = mix(&r, "web");
    assert_eq!(m.warnings_seen, None);
    assert!(m.changes.is_empty());
    assert_eq!(m.time_at.len(), 1);
    assert_eq!(
        (m.time_at[0].on_demand_percent, m.time_at[0].intervals),
        (30, 19)
    );
    assert_eq!(m.extra_usd, 0.0);
    assert_eq!(resource(&r, "web").actions.taken, 0);
}

// ---------------------------------------------------------------- shipped

#[test]
fn the_shipped_warnings_are_the_synthetic_fixture_inside_the_replayed_window() {
    let shipped = std::fs::read(traces().join("synthetic/interruptions.csv")).expect("copy");
    let fixture = std::fs::read(spot_fixture("interruptions.csv")).expect("fixture");
    assert_eq!(shipped, fixture, "the shipped copy is byte-identical");
    let readme = std::fs::read_to_string(traces().join("synthetic/README.md")).expect("README");
    assert!(readme.contains("synthetic"), "labelled synthetic");

    let p = estate_policy();
    let m = mapping::load(&traces().join("mapping.yaml"), &p).expect("mapping");
    let spec = m.interruptions.as_ref().expect("the mapping names it");
    assert_eq!(spec.file, "synthetic/interruptions.csv");
    assert_eq!(spec.shift_weeks, 0);
    assert!(
        spec.note
            .as_deref()
            .is_some_and(|n| n.contains("SYNTHETIC")),
        "the report says it is synthetic"
    );

    let r = shipped_with(InterruptionSource::Mapping);
    let w = r.spot_warnings.as_ref().expect("replayed by default");
    assert_eq!(w.warnings, 44);
    assert_eq!(
        (w.before_window, w.after_window),
        (0, 0),
        "every warning falls in {} … {}",
        r.period.start,
        r.period.end
    );
    let reacting: Vec<(&str, bool, usize)> = w
        .classes
        .iter()
        .map(|c| (c.class.as_str(), c.reacts, c.interruption + c.rebalance))
        .collect();
    assert_eq!(reacting, vec![("api", true, 13), ("batch", true, 31)]);
}

/// Each reacting group: every raise follows `warnings` warnings of its
/// class within `within` (after the previous raise), every step back comes
/// a full quiet period after the last warning, raises and step backs
/// alternate, the share ends at the class's own, and it never leaves
/// [class share, ceiling].
#[test]
fn api_and_batch_shares_rise_after_a_burst_and_come_back_within_their_bounds() {
    let p = estate_policy();
    let trace = interruptions::load(
        &spot_fixture("interruptions.csv"),
        &p.spot_mix.keys().map(String::as_str).collect::<Vec<_>>(),
    )
    .expect("fixture parses");
    let r = shipped_with(InterruptionSource::Mapping);

    for (id, class_name) in [("batch-workers", "batch"), ("api-fleet", "api")] {
        let class = &p.spot_mix[class_name];
        let reaction = class.interruptions.as_ref().expect("the class reacts");
        let own = class.distribution().on_demand_percent_above_base;
        let ceiling = reaction.max_on_demand_percent;
        let times = trace.times(class_name);
        let m = mix(&r, id);
        assert_eq!(
            (m.class_on_demand_percent, m.ceiling_on_demand_percent),
            (own, ceiling)
        );
        assert_eq!(m.warnings_seen, Some(times.len()));
        assert!(!m.changes.is_empty(), "{id}: the bursts move its mix");

        let mut share = own;
        let mut last_raise: Option<DateTime<Utc>> = None;
        for (n, c) in m.changes.iter().enumerate() {
            assert_eq!(c.from_percent, share, "{id}: changes chain");
            for pct in [c.from_percent, c.to_percent] {
                assert!((own..=ceiling).contains(&pct), "{id}: {pct}% out of bounds");
            }
            let expected = if n % 2 == 0 {
                Direction::Up
            } else {
                Direction::Down
            };
            assert_eq!(c.direction, Some(expected), "{id}: change {n} at {}", c.at);
            match expected {
                Direction::Up => {
                    assert!(c.to_percent > c.from_percent);
                    let since = (c.at - reaction.within.to_chrono())
                        .max(last_raise.unwrap_or(DateTime::<Utc>::MIN_UTC));
                    let seen = times.iter().filter(|t| **t > since && **t <= c.at).count();
                    assert!(
                        seen >= reaction.warnings as usize,
                        "{id}: raise at {} after only {seen} warnings",
                        c.at
                    );
                    last_raise = Some(c.at);
                }
                Direction::Down => {
                    assert!(c.to_percent < c.from_percent);
                    let last = times
                        .iter()
                        .filter(|t| **t <= c.at)
                        .max()
                        .expect("a warning came before");
                    assert!(
                        c.at - *last >= reaction.quiet_period.to_chrono(),
                        "{id}: back at {} only {} after a warning",
                        c.at,
                        c.at - *last
                    );
                }
            }
            share = c.to_percent;
        }
        assert_eq!(share, own, "{id}: back at the class's own share at the end");

        let intervals: usize = m.time_at.iter().map(|l| l.intervals).sum();
        assert_eq!(intervals, r.period.decisions);
        assert!(
            m.time_at
                .iter()
                .all(|l| (own..=ceiling).contains(&l.on_demand_percent))
        );
        assert!(m.time_at.len() >= 2, "{id}: time above its own share");
        assert!(m.raised_hours > 0.0);
        assert!(m.average_on_demand_percent > f64::from(own));
        assert!(m.average_on_demand_percent < f64::from(ceiling));
        assert!(m.extra_usd > 0.0, "{id}: on-demand costs more than spot");
        let res = resource(&r, id);
        assert!(close(m.extra_usd, res.cost.tidegate_usd - m.class_mix_usd));
        let logged = res
            .log
            .iter()
            .filter(|s| s.knob == KnobName::SpotMix)
            .count();
        assert_eq!(logged, m.changes.len(), "{id}: every change is in the log");
    }

    // api: three warnings within 10 minutes on Monday afternoon (the third
    // at 14:43:10) raise it at the next decision; the single one at 10:21
    // does not.
    let api = mix(&r, "api-fleet");
    let first = &api.changes[0];
    assert!(
        first.at >= at("2014-04-14T14:43:10Z")
            && first.at < at("2014-04-14T14:43:10Z") + TimeDelta::minutes(5),
        "{}",
        first.at
    );

    let sum: f64 = r
        .resources
        .iter()
        .filter_map(|x| x.spot_mix.as_ref())
        .map(|m| m.extra_usd)
        .sum();
    assert!(close(r.totals.spot_mix_extra_usd, sum));
}

#[test]
fn the_database_class_is_never_touched() {
    let r = shipped_with(InterruptionSource::Mapping);
    let m = mix(&r, "pgbouncer-fleet");
    assert!(!m.reacts);
    assert_eq!(m.warnings_seen, None, "left out of the signal");
    assert!(m.changes.is_empty());
    assert_eq!(m.time_at.len(), 1);
    assert_eq!(m.time_at[0].on_demand_percent, 100);
    assert_eq!(m.extra_usd, 0.0);
}

#[test]
fn without_the_trace_nothing_changes() {
    let off = shipped_with(InterruptionSource::Off);
    let no_key = shipped_mapping_with("");
    let plain = run_with(
        &estate(),
        &traces(),
        Some(no_key.path().to_path_buf()),
        InterruptionSource::Mapping,
    )
    .expect("a mapping without `interruptions:` runs");
    assert!(off.spot_warnings.is_none() && plain.spot_warnings.is_none());
    assert_eq!(off.resources, plain.resources);
    assert_eq!(off.totals, plain.totals);
    assert_eq!(off.totals.spot_mix_extra_usd, 0.0);
    for x in &off.resources {
        assert!(
            x.log.iter().all(|s| s.knob != KnobName::SpotMix),
            "{}: no spot-mix change",
            x.id
        );
        if let Some(m) = &x.spot_mix {
            assert!(m.changes.is_empty());
            assert_eq!(m.time_at.len(), 1, "{}", x.id);
            assert_eq!(m.time_at[0].on_demand_percent, m.class_on_demand_percent);
            assert_eq!(m.extra_usd, 0.0);
        }
    }

    // With the trace, only the reacting groups differ.
    let on = shipped_with(InterruptionSource::Mapping);
    for (a, b) in off.resources.iter().zip(&on.resources) {
        if !matches!(a.id.as_str(), "batch-workers" | "api-fleet") {
            assert_eq!(a, b, "{} is not a group of a reacting class", a.id);
        }
    }
}

/// The warnings are instants on the replay's clock: moved two weeks they
/// fall after the window, are never seen, and change nothing.
#[test]
fn warnings_moved_past_the_window_are_counted_and_not_seen() {
    let moved = shipped_mapping_with(
        "interruptions:\n  file: synthetic/interruptions.csv\n  shift_weeks: 2\n",
    );
    let r = run_with(
        &estate(),
        &traces(),
        Some(moved.path().to_path_buf()),
        InterruptionSource::Mapping,
    )
    .expect("runs");
    let w = r.spot_warnings.as_ref().expect("given");
    assert_eq!((w.shift_weeks, w.after_window, w.before_window), (2, 44, 0));
    for id in ["batch-workers", "api-fleet"] {
        assert!(mix(&r, id).changes.is_empty(), "{id}");
    }
    let off = shipped_with(InterruptionSource::Off);
    assert_eq!(r.totals.cost, off.totals.cost);
}

// ---------------------------------------------------------------- bad input

#[test]
fn a_malformed_warning_line_is_refused_with_file_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "timestamp,workload_class,kind\n2014-04-14T04:09:02Z,batch,interruption\n\n2014-04-14T04:10:41Z,batch,interrupted\n",
    )
    .expect("write");
    let err = run_with(
        &estate(),
        &traces(),
        None,
        InterruptionSource::File(bad.clone()),
    )
    .expect_err("line 4 has no known kind");
    let msg = err.to_string();
    assert!(
        msg.contains(&format!(
            "{}:4: column 3 (`kind`) is `interrupted`; expected `interruption` or `rebalance`",
            bad.display()
        )),
        "{msg}"
    );
    match err {
        BacktestError::Interruptions(InterruptionsError::Field { line, column, .. }) => {
            assert_eq!((line, column), (4, 3));
        }
        other => panic!("expected a field error, got {other}"),
    }

    // Through the CLI: the error on stderr, nothing on stdout, a failure.
    std::fs::write(
        &bad,
        "timestamp,workload_class,kind\n2014-04-14T04:09:02Z,bacth,interruption\n",
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_tidegate"))
        .args(["backtest", "--policy", "policies/estate.yaml"])
        .args(["--metrics", "policies/traces", "--interruptions"])
        .arg(&bad)
        .current_dir(root())
        .output()
        .expect("tidegate runs");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "no report on failure");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.csv:2: column 2 (`workload_class`) is `bacth`; expected a workload class of the policy's `spot_mix`: api, batch, database"),
        "{err}"
    );
}

#[test]
fn a_bad_interruptions_key_names_the_mapping_line() {
    let p = estate_policy();
    let refused = |text: &str| match mapping::parse("m.yaml", text, &p) {
        Ok(_) => panic!("should be refused:\n{text}"),
        Err(e) => e.to_string(),
    };
    let msg = refused("resources: []\ninterruptions:\n  file: w.csv\n  shift_weeks: 999\n");
    assert!(
        msg.contains("m.yaml:3: interruptions: shift_weeks 999 is more than ten years"),
        "{msg}"
    );
    let msg = refused("resources: []\ninterruptions:\n  flie: w.csv\n");
    assert!(msg.starts_with("m.yaml"), "{msg}");
    assert!(msg.contains("flie"), "{msg}");

    // A missing file is an error naming it.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("mapping.yaml"),
        std::fs::read_to_string(spot_fixture("tiny/mapping.yaml"))
            .expect("mapping")
            .replace("warnings.csv", "gone.csv"),
    )
    .expect("write mapping");
    std::fs::copy(spot_fixture("tiny/web.csv"), dir.path().join("web.csv")).expect("copy");
    let err = run_with(
        &spot_fixture("tiny/policy.yaml"),
        dir.path(),
        None,
        InterruptionSource::Mapping,
    )
    .expect_err("no such file");
    assert!(
        err.to_string().contains("gone.csv: cannot read the file"),
        "{err}"
    );
}

/// `--interruptions` replaces the mapping's file; a class without
/// `interruptions` is reported as ignored; `--no-interruptions` turns the
/// mapping's file off; the two together are refused.
#[test]
fn cli_interruptions_flags() {
    let tidegate = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_tidegate"))
            .args(["backtest", "--json"])
            .args(args)
            .current_dir(root())
            .output()
            .expect("tidegate runs")
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let warnings = dir.path().join("w.csv");
    std::fs::write(
        &warnings,
        "timestamp,workload_class,kind\n2014-04-10T00:07:00Z,on_demand,interruption\n",
    )
    .expect("write");
    let out = tidegate(&[
        "--policy",
        "tests/fixtures/traces/tiny/policy.yaml",
        "--metrics",
        "tests/fixtures/traces/tiny",
        "--interruptions",
        &warnings.display().to_string(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let w = &json["spot_warnings"];
    assert_eq!(w["given_by"], "--interruptions");
    assert_eq!(w["classes"][0]["class"], "on_demand");
    assert_eq!(w["classes"][0]["reacts"], false);
    assert_eq!(
        json["resources"][0]["spot_mix"]["warnings_seen"],
        serde_json::Value::Null
    );

    let out = tidegate(&[
        "--policy",
        "tests/fixtures/spot/tiny/policy.yaml",
        "--metrics",
        "tests/fixtures/spot/tiny",
        "--no-interruptions",
    ]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["spot_warnings"], serde_json::Value::Null);
    assert_eq!(
        json["resources"][0]["spot_mix"]["changes"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );

    let out = tidegate(&[
        "--policy",
        "tests/fixtures/spot/tiny/policy.yaml",
        "--metrics",
        "tests/fixtures/spot/tiny",
        "--no-interruptions",
        "--interruptions",
        "x.csv",
    ]);
    assert!(!out.status.success(), "the two flags conflict");
}
