//! The backtest: traces are read with their faults counted, the load model
//! gives the cost and breaches worked out by hand on a tiny estate, the
//! shipped backtest finishes with totals that add up, the CLI reports bad
//! input with the file and line and a failing exit code, and an
//! interruption trace drives the spot mix (`spot`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tidegate::backtest::mapping::{self, ValueKind};
use tidegate::backtest::report::Report;
use tidegate::backtest::timeline::{self, STEP_SECS};
use tidegate::backtest::trace::{self, Reading, TraceError};
use tidegate::backtest::{self, BacktestError, Files, InterruptionSource, load, render};
use tidegate::estate::Setting;
use tidegate::policy::{self, KnobName};
use tidegate::pricing::{SnapshotPriceBook, hourly_cost};
use tidegate::signals::AlarmState;

mod aurora;
mod bad_input;
mod cli;
mod html;
mod progress;
mod spot;
mod valkey;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/traces").join(name)
}

fn run(policy: &Path, metrics: &Path, slo: f64) -> Result<Report, BacktestError> {
    let files = Files {
        policy: policy.to_path_buf(),
        metrics: metrics.to_path_buf(),
        mapping: None,
        interruptions: InterruptionSource::Mapping,
        limits: backtest::Limits::default(),
    };
    backtest::run_files(&files, &SnapshotPriceBook::embedded(), slo, &mut |_| {})
}

fn shipped() -> Report {
    match run(
        &root().join("policies/estate.yaml"),
        &root().join("policies/traces"),
        backtest::DEFAULT_SLO_PERCENT,
    ) {
        Ok(r) => r,
        Err(e) => panic!("the shipped backtest should run: {e}"),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.005
}

// ---------------------------------------------------------------- traces

#[test]
fn messy_trace_is_sorted_deduplicated_and_its_faults_counted() {
    let t = trace::load(&fixture("messy.csv"), Reading::default()).expect("messy.csv parses");
    let q = t.quality;
    assert_eq!(q.rows, 10);
    assert_eq!(t.points.len(), 9, "one duplicate folded away");
    assert_eq!(q.out_of_order, 1);
    assert_eq!(q.duplicates, 1);
    assert_eq!(q.median_step_secs, 300);
    assert_eq!(q.gaps, 2, "20 and 15 minutes are gaps at a 5-minute median");
    assert_eq!(q.longest_gap_secs, 1200);
    assert!(t.points.windows(2).all(|w| w[0].at < w[1].at));
    let at_15 = t
        .points
        .iter()
        .find(|p| p.at.format("%H:%M").to_string() == "00:15")
        .expect("00:15 kept");
    assert_eq!(at_15.value, 40.0, "the last value of a duplicate wins");
    assert_eq!(
        q.to_string(),
        "2 gaps (longest 20m) held the last value; 1 duplicate (last value kept); 1 out of order (sorted)"
    );
}

#[test]
fn replay_holds_the_last_value_across_a_gap() {
    let t = trace::load(&fixture("messy.csv"), Reading::default()).expect("parses");
    let spec = mapping::TraceSpec {
        file: "messy.csv".into(),
        metric: "CPUUtilization".into(),
        values: ValueKind::Utilization,
        peak_percent: 90.0,
        shift_weeks: 0,
        timezone: None,
    };
    let w = timeline::window(&[&t]).expect("one trace covers itself");
    assert_eq!(w.intervals, 14, "00:00 to 01:05 every 5 minutes");
    let r = timeline::replay(&t, &spec, &w, chrono::TimeDelta::hours(1));
    assert_eq!(
        r.percents,
        vec![
            1.0, 2.0, 3.0, 40.0, 5.0, 5.0, 5.0, 5.0, 6.0, 7.0, 7.0, 7.0, 8.0, 9.0
        ]
    );
    assert_eq!(r.outside, 0);
}

#[test]
fn count_traces_are_scaled_so_their_peak_is_the_given_percent() {
    let t = trace::parse(
        "c.csv",
        "timestamp,value\n2014-01-01 00:00:00,10\n2014-01-01 00:05:00,40\n2014-01-01 00:10:00,20\n",
        Reading::default(),
    )
    .expect("parses");
    let spec = mapping::TraceSpec {
        file: "c.csv".into(),
        metric: "CPUUtilization".into(),
        values: ValueKind::Count,
        peak_percent: 80.0,
        shift_weeks: 0,
        timezone: None,
    };
    let w = timeline::window(&[&t]).expect("window");
    let r = timeline::replay(&t, &spec, &w, chrono::TimeDelta::hours(1));
    assert_eq!(r.count_peak, Some(40.0));
    assert_eq!(r.percents, vec![20.0, 80.0, 40.0]);
}

#[test]
fn unparsable_line_names_file_line_and_expectation() {
    let path = fixture("bad_line.csv");
    let err = trace::load(&path, Reading::default()).expect_err("line 4 is not a number");
    match &err {
        TraceError::Line { line, .. } => assert_eq!(*line, 4),
        other => panic!("expected a line error, got {other}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("bad_line.csv:4:"), "{msg}");
    assert!(
        msg.contains("a number in the second field, found `abc`"),
        "{msg}"
    );
}

#[test]
fn bad_trace_text_is_refused_with_the_reason() {
    let cases: [(&str, &str); 6] = [
        (
            "time,v\n2014-01-01 00:00:00,1\n",
            "the first line is not the header; expected `timestamp,value`",
        ),
        ("timestamp,value\n", "no data rows"),
        (
            "timestamp,value\n2014-01-01T00:00:00,1\n",
            "a timestamp `YYYY-MM-DD HH:MM:SS`",
        ),
        (
            "timestamp,value\n2014-01-01 00:00:00;1\n",
            "two comma-separated fields",
        ),
        (
            "timestamp,value\n2014-01-01 00:00:00,-3\n",
            "finite, non-negative",
        ),
        (
            "timestamp,value\n2014-01-01 00:00:00,NaN\n",
            "finite, non-negative",
        ),
    ];
    for (text, expected) in cases {
        let msg = match trace::parse("t.csv", text, Reading::default()) {
            Ok(_) => panic!("should be refused: {text:?}"),
            Err(e) => e.to_string(),
        };
        assert!(msg.starts_with("t.csv"), "{msg}");
        assert!(msg.contains(expected), "{text:?}: {msg}");
    }
}

// ---------------------------------------------------------------- load model

#[test]
fn capacity_units_follow_the_stated_model() {
    let p = policy::load_file(&root().join("policies/estate.yaml")).expect("estate validates");
    let units = |id: &str, settings: &[(KnobName, Setting)]| {
        let r = p.resource(id).expect("resource");
        let s: BTreeMap<KnobName, Setting> = settings.iter().cloned().collect();
        load::capacity_units(r, &s).expect("sized")
    };
    let class = |c: &str| Setting::Class(c.to_owned());
    // db.r6g.2xlarge has 8 vCPUs, twice the xlarge's.
    let big = units(
        "billing-db",
        &[(KnobName::InstanceClass, class("db.r6g.2xlarge"))],
    );
    let small = units(
        "billing-db",
        &[(KnobName::InstanceClass, class("db.r6g.xlarge"))],
    );
    assert_eq!(big, 2.0 * small);
    // Aurora: (writer + readers) × max ACU.
    let aurora = units(
        "orders-aurora",
        &[
            (KnobName::ServerlessV2, Setting::Acu { min: 2.0, max: 8.0 }),
            (KnobName::Readers, Setting::Count(2)),
        ],
    );
    assert_eq!(aurora, 24.0);
    // Redis: shards × node vCPUs; replicas do not count.
    let redis = |shards, replicas| {
        units(
            "sessions-redis",
            &[
                (KnobName::NodeType, class("cache.r6g.large")),
                (KnobName::Shards, Setting::Count(shards)),
                (KnobName::Replicas, Setting::Count(replicas)),
            ],
        )
    };
    assert_eq!(redis(3, 2), 1.5 * redis(2, 2));
    assert_eq!(redis(2, 2), redis(2, 5));
    // Demand at the start, utilisation after a change; zero capacity.
    let demand = load::demand(90.0, 4.0);
    assert!(close(load::utilisation(demand, 6.0), 60.0));
    assert_eq!(load::utilisation(demand, 0.0), f64::INFINITY);
    assert_eq!(load::signal(load::utilisation(demand, 2.0)), 100.0);
    assert_eq!(
        load::utilisation(0.001, 0.0),
        0.0,
        "idle background is not work"
    );
}

#[test]
fn emulated_alarms_average_each_period_and_need_every_period() {
    let text = std::fs::read_to_string(fixture("tiny/policy.yaml"))
        .expect("tiny policy")
        .replace(
            "evaluation_periods: 2 }",
            "evaluation_periods: 2, period: 10m }",
        );
    let p = policy::load_str(&text, "tiny.yaml").expect("validates");
    let web = p.resource("web").expect("web");
    let (mut alarms, notes) = backtest::alarms::Alarms::new(web, "CPUUtilization", 300);
    assert!(notes.is_empty());
    let state = |a: &backtest::alarms::Alarms| a.states().next().map(|(_, s)| s);
    // Two 10-minute periods are four samples; three are not enough.
    for v in [90.0, 70.0, 90.0] {
        alarms.push(v);
    }
    assert_eq!(state(&alarms), Some(AlarmState::InsufficientData));
    // Samples 90, 70 | 90, 90: the periods average 80 and 90, and 80 is not
    // over 80.
    alarms.push(90.0);
    assert_eq!(state(&alarms), Some(AlarmState::Ok));
    // 70, 90 | 90, 95 → 80 and 92.5: still not every period.
    alarms.push(95.0);
    assert_eq!(state(&alarms), Some(AlarmState::Ok));
    // 90, 90 | 95, 95 → 90 and 95: every period over 80.
    alarms.push(95.0);
    assert_eq!(state(&alarms), Some(AlarmState::Alarm));
    // 90, 95 | 95, 50 → 92.5 and 72.5: one low sample pulls its period under.
    alarms.push(50.0);
    assert_eq!(state(&alarms), Some(AlarmState::Ok));
}

#[test]
fn a_rule_on_a_metric_the_trace_is_not_is_said_to_never_fire() {
    let p = policy::load_str(
        &std::fs::read_to_string(fixture("tiny/policy.yaml")).expect("tiny policy"),
        "tiny.yaml",
    )
    .expect("validates");
    let web = p.resource("web").expect("web");
    // The tiny policy's rules read CPUUtilization; a trace of another
    // metric drives none of them, and each is named.
    let (alarms, notes) = backtest::alarms::Alarms::new(web, "NetworkIn", 300);
    assert_eq!(alarms.states().count(), 0);
    assert_eq!(notes.len(), web.rules().count(), "{notes:?}");
    assert!(
        notes
            .iter()
            .all(|n| n.contains("reads `CPUUtilization`, which this trace (NetworkIn) is not")),
        "{notes:?}"
    );
}

/// tiny/web.csv on 2 instances: 50, 50, 100, 100, 50, 50 (%).
/// Demand 1, 1, 2, 2, 1, 1 instances. The up rule needs 2 periods over 80%:
/// interval 2 runs at 100% on 2 (a breach), interval 3 fires it and runs at
/// 67% on 3. Tidegate: 2 instances for 3 intervals, 3 for 3 = 15
/// instance-intervals. Static peak: peak demand 2 needs 3 instances (67%)
/// for all 6 = 18 instance-intervals, no breach.
#[test]
fn tiny_estate_costs_and_breaches_as_worked_out_by_hand() {
    let dir = fixture("tiny");
    let r = run(&dir.join("policy.yaml"), &dir, 90.0).expect("tiny runs");
    let web = &r.resources[0];

    let p = policy::load_file(&dir.join("policy.yaml")).expect("validates");
    let res = p.resource("web").expect("web");
    let mix = p.spot_mix["on_demand"].distribution();
    let one: BTreeMap<KnobName, Setting> = [(
        KnobName::Capacity,
        Setting::Capacity {
            min: 1,
            max: 4,
            desired: 1,
        },
    )]
    .into();
    let prices = SnapshotPriceBook::embedded();
    let per_instance = hourly_cost(res, &one, false, Some(&mix), &prices)
        .expect("m6i.large is priced")
        .usd_per_hour;
    let interval_hours = STEP_SECS as f64 / 3600.0;

    assert_eq!(r.period.decisions, 6);
    assert!(close(
        web.cost.tidegate_usd,
        15.0 * per_instance * interval_hours
    ));
    assert!(close(
        web.cost.static_peak_usd,
        18.0 * per_instance * interval_hours
    ));
    assert!(close(
        web.cost.savings_usd,
        web.cost.static_peak_usd - web.cost.tidegate_usd
    ));
    let slo = web.slo.expect("traced");
    assert_eq!(slo.tidegate.intervals, 1);
    assert_eq!(slo.tidegate.minutes, 5);
    assert_eq!(slo.static_peak.intervals, 0);
    assert_eq!(slo.tidegate_peak_percent, Some(100.0));
    assert_eq!(web.actions.taken, 1);
    assert_eq!(web.actions.up, 1);
    assert_eq!(web.static_peak, "desired 3 (sized on capacity)");
    let step = web.largest_step.as_ref().expect("one step");
    assert_eq!(step.change, "desired 2 → 3 (+1)");
    assert_eq!(step.at.format("%H:%M").to_string(), "00:15");

    // A looser SLO: 100% is not over 100, so nothing breaches and the
    // static peak needs only 2 instances.
    let loose = run(&dir.join("policy.yaml"), &dir, 100.0).expect("runs");
    assert_eq!(
        loose.resources[0].slo.expect("traced").tidegate.intervals,
        0
    );
    assert!(close(
        loose.resources[0].cost.static_peak_usd,
        12.0 * per_instance * interval_hours
    ));
}

// ---------------------------------------------------------------- shipped

#[test]
fn shipped_backtest_totals_add_up() {
    let r = shipped();
    let p = policy::load_file(&root().join("policies/estate.yaml")).expect("estate");
    let m = mapping::load(&root().join("policies/traces/mapping.yaml"), &p).expect("mapping");
    assert_eq!(
        r.resources.len(),
        p.resources.len(),
        "every resource reported"
    );
    assert!(r.period.decisions > 0);
    for x in &r.resources {
        let traced = m.entry(&x.id).is_some_and(|e| e.trace.is_some());
        assert_eq!(
            x.trace.is_some(),
            traced,
            "{}: a trace exactly where the mapping gives one",
            x.id
        );
        assert_eq!(
            x.slo.is_some(),
            traced,
            "{}: SLO figures exactly for traced resources",
            x.id
        );
    }

    let (mut t, mut s, mut taken, mut refused, mut bt, mut bs) = (0.0, 0.0, 0, 0, 0, 0);
    for x in &r.resources {
        assert!(close(
            x.cost.savings_usd,
            x.cost.static_peak_usd - x.cost.tidegate_usd
        ));
        assert_eq!(
            x.actions.taken,
            x.actions.up + x.actions.down + x.actions.reconfigured
        );
        assert_eq!(x.actions.taken, x.log.len());
        assert_eq!(
            x.actions.refused,
            x.actions.refused_by_guard.values().sum::<usize>()
        );
        if let Some(slo) = x.slo {
            assert_eq!(slo.tidegate.minutes, slo.tidegate.intervals as i64 * 5);
            assert!(slo.tidegate.intervals <= r.period.decisions);
            bt += slo.tidegate.intervals;
            bs += slo.static_peak.intervals;
        }
        t += x.cost.tidegate_usd;
        s += x.cost.static_peak_usd;
        taken += x.actions.taken;
        refused += x.actions.refused;
    }
    let tot = &r.totals;
    assert!(close(tot.cost.tidegate_usd, t));
    assert!(close(tot.cost.static_peak_usd, s));
    assert!(close(
        tot.cost.savings_usd,
        tot.cost.static_peak_usd - tot.cost.tidegate_usd
    ));
    assert_eq!(tot.actions.taken, taken);
    assert_eq!(tot.actions.refused, refused);
    assert_eq!(tot.slo.tidegate.intervals, bt);
    assert_eq!(tot.slo.static_peak.intervals, bs);
    assert!(tot.cost.tidegate_usd > 0.0 && tot.cost.static_peak_usd > 0.0);
    assert!(taken > 0, "the traces move something");

    // The static peak keeps what a scheduled profile requires at all times
    // (estate.yaml: business_hours keeps at least 2 Aurora readers).
    let aurora = r
        .resources
        .iter()
        .find(|x| x.id == "orders-aurora")
        .expect("orders-aurora");
    assert!(
        aurora.static_peak.contains("2 readers"),
        "{}",
        aurora.static_peak
    );

    let text = render::text(&r);
    assert!(text.contains("Load model"));
    // Header lines are wrapped: compare with runs of blanks folded.
    let fold = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(fold(&text).contains(&fold(&r.price_source)));
    assert!(fold(&text).contains(&fold(&r.load_model[1])));
    for x in &r.resources {
        assert!(text.contains(&format!("{} ({})", x.id, x.kind)), "{}", x.id);
    }
}

#[test]
fn shipped_backtest_is_deterministic() {
    assert_eq!(shipped(), shipped());
}

#[test]
fn mapping_is_checked_against_the_policy() {
    let p = policy::load_file(&fixture("tiny/policy.yaml")).expect("validates");
    let refused = |text: &str| match mapping::parse("m.yaml", text, &p) {
        Ok(_) => panic!("should be refused:\n{text}"),
        Err(e) => e.to_string(),
    };
    let msg =
        refused("resources:\n  - resource: web\n    trace: web.csv\n    metric: CPUUtilisation\n");
    assert!(
        msg.contains("no rule of the resource watches `CPUUtilisation`"),
        "{msg}"
    );
    assert!(msg.contains("CPUUtilization"), "{msg}");
    let msg = refused("resources:\n  - resource: web\n    start: { capacity: 9 }\n");
    assert!(msg.contains("m.yaml:2"), "{msg}");
    assert!(msg.contains("one of: 1, 2, 3, 4"), "{msg}");
    let msg = refused("resources:\n  - resource: web\n    trace: web.csv\n");
    assert!(msg.contains("says no `metric`"), "{msg}");
    let msg = refused("resources:\n  - resource: web\n    colour: blue\n");
    assert!(msg.starts_with("m.yaml"), "{msg}");

    // Resources the mapping leaves out start at their floor, with no trace.
    let m = mapping::parse("m.yaml", "resources: []\n", &p).expect("empty mapping is fine");
    let web = m.entry("web").expect("every resource has an entry");
    assert!(web.trace.is_none());
    assert_eq!(
        web.start.get(&KnobName::Capacity),
        Some(&Setting::Capacity {
            min: 1,
            max: 4,
            desired: 1
        })
    );
}

#[test]
fn a_mapping_without_traces_is_refused() {
    let dir = fixture("tiny");
    let p = policy::load_file(&dir.join("policy.yaml")).expect("validates");
    let m = mapping::parse("m.yaml", "resources: []\n", &p).expect("parses");
    let header = backtest::report::Header {
        policy: "p".into(),
        estate: "tiny".into(),
        mapping: "m.yaml".into(),
        price_source: "test".into(),
        slo_percent: 90.0,
        limits: backtest::Limits::default(),
    };
    let err = backtest::run(
        &p,
        &m,
        Vec::new(),
        None,
        &SnapshotPriceBook::embedded(),
        header,
    )
    .expect_err("nothing to replay");
    assert!(
        err.to_string().contains("no resource has a `trace`"),
        "{err}"
    );
}

/// The run's own spend feeds the budget: a daily limit the tiny estate's
/// run-rate forecasts past puts the emergency profile in force, and the
/// group is cut to the profile's cap.
#[test]
fn the_runs_own_spend_drives_the_budget_emergency() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tiny = std::fs::read_to_string(fixture("tiny/policy.yaml")).expect("tiny policy");
    let policy_text = tiny
        .replace(
            "spot_mix:",
            "profiles:\n  emergency: {}\nbudgets:\n  daily_usd: 1\n  warn_at_percent: 80\n  emergency_at_percent: 95\n  emergency_profile: emergency\nspot_mix:",
        )
        .replace(
            "    scale_up:",
            "    profiles:\n      emergency: { capacity: { max: 1 } }\n    scale_up:",
        );
    let policy_path = dir.path().join("policy.yaml");
    std::fs::write(&policy_path, policy_text).expect("write policy");
    std::fs::write(
        dir.path().join("mapping.yaml"),
        std::fs::read_to_string(fixture("tiny/mapping.yaml")).expect("mapping"),
    )
    .expect("write mapping");
    std::fs::copy(fixture("tiny/web.csv"), dir.path().join("web.csv")).expect("copy trace");

    let r = run(&policy_path, dir.path(), 90.0).expect("runs");
    let web = &r.resources[0];
    assert!(
        r.budgets.emergency_decisions > 0,
        "2 × m6i.large for a day is over $0.95"
    );
    let daily = &r.budgets.periods[0];
    assert!(daily.peak_forecast_percent >= 95.0);
    let first = web.log.first().expect("an action");
    assert!(
        first.cause.starts_with("budget daily emergency"),
        "{}",
        first.cause
    );
    assert_eq!(first.change, "desired 2 → 1 (-1)");
    assert!(
        web.visited.iter().all(|k| k.high != "desired 3"),
        "the emergency cap holds against the up rule"
    );
}
