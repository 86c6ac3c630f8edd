//! `cargo bench --bench backtest`: the backtest of an estate of 1,000
//! resources over 14 days of 5-minute traces (4,032 decisions).
//!
//! Target (issue 14): ≤ 1 s for the replay on one core. The estate is the
//! reference estate (`policies/estate.yaml`, one resource of each kind)
//! copied until it has 1,000 resources, each copy under its own id and with
//! its own generated trace: a daily cycle with a per-resource phase, noise
//! and bursts, so rules fire, profiles change and guards hold. Budgets and
//! the hourly action limit grow with the estate, as an operator's would.
//!
//! Plain `main` (no Criterion): one replay takes long enough that a few
//! runs and their median say what is needed. `TIDEGATE_BENCH_RESOURCES`
//! sets the estate's size, `TIDEGATE_BENCH_RUNS` the number of runs.

use std::fmt::Write as _;
use std::time::Instant;

use tidegate::backtest::mapping::ValueKind;
use tidegate::backtest::report::Header;
use tidegate::backtest::trace::{self, Reading};
use tidegate::backtest::{self, Limits};
use tidegate::pricing::SnapshotPriceBook;

/// The reference estate the copies are made of.
const ESTATE: &str = include_str!("../policies/estate.yaml");
/// Resources in the reference estate.
const TEMPLATES: usize = 7;
/// Days replayed.
const DAYS: usize = 14;

/// How each template is driven: metric, values, start (as in
/// `policies/traces/mapping.yaml`).
fn drive(template: &str) -> (&'static str, &'static str, &'static str) {
    match template {
        "orders-aurora" => (
            "ACUUtilization",
            "",
            "{ serverless_v2: { min: 2, max: 8 }, readers: 1 }",
        ),
        "billing-db" => ("CPUUtilization", "", "{ instance_class: db.r6g.2xlarge }"),
        "sessions-redis" => (
            "EngineCPUUtilization",
            "",
            "{ shards: 3, replicas: 2, node_type: cache.r6g.large }",
        ),
        "events-msk" => (
            "CpuUser",
            "",
            "{ brokers: 3, broker_type: kafka.m5.xlarge, storage: 1000 }",
        ),
        "api-fleet" => (
            "CPUUtilization",
            "values: count\n    peak_percent: 90\n    ",
            "{ capacity: 8 }",
        ),
        _ => ("CPUUtilization", "", "{ capacity: 4 }"),
    }
}

/// The reference estate with `n` resources: its resource blocks copied in
/// turn, each copy's id (and the names derived from it) suffixed `-i`.
fn policy_yaml(n: usize) -> (String, Vec<(String, String)>) {
    let Some((head, body)) = ESTATE.split_once("\nresources:\n") else {
        panic!("policies/estate.yaml has no resources: section");
    };
    let scale = n as f64 / TEMPLATES as f64;
    let mut out = String::new();
    for line in head.lines() {
        let key = line.trim_start().split(':').next().unwrap_or("");
        let limit = match key {
            "max_actions_per_hour" => Some(20.0),
            "daily_usd" => Some(500.0),
            "weekly_usd" => Some(3000.0),
            "monthly_usd" => Some(12000.0),
            _ => None,
        };
        match limit {
            Some(v) => {
                let indent = &line[..line.len() - line.trim_start().len()];
                let _ = writeln!(out, "{indent}{key}: {}", (v * scale).ceil());
            }
            None => {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    out.push_str("\nresources:\n");
    let blocks: Vec<(&str, String)> = body
        .split("\n  - id: ")
        .map(|b| b.trim_start_matches("  - id: "))
        .filter(|b| !b.trim().is_empty())
        .map(|b| {
            let id = b.lines().next().unwrap_or("").trim();
            (id, format!("  - id: {}", b.trim_end()))
        })
        .collect();
    assert_eq!(blocks.len(), TEMPLATES, "the reference estate changed");
    let mut ids = Vec::new();
    for i in 0..n {
        let (id, block) = &blocks[i % TEMPLATES];
        let copy = format!("{id}-{i}");
        out.push_str(&block.replace(id, &copy));
        out.push('\n');
        ids.push(((*id).to_owned(), copy));
    }
    (out, ids)
}

/// A small deterministic generator (xorshift), so every run replays the
/// same traces.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// 14 days of 5-minute points from Monday 2026-03-02 00:00 UTC: a daily
/// cycle peaking at a per-resource hour, noise, and a burst now and then.
fn trace_csv(i: usize, count: bool) -> String {
    let mut rng = Noise(0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1).wrapping_mul(0x2545_F491));
    let start = chrono::NaiveDate::from_ymd_opt(2026, 3, 2)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("valid start");
    let phase = (i % 24) as f64;
    let base = 20.0 + (i % 5) as f64 * 8.0;
    let mut csv = String::from("timestamp,value\n");
    let mut burst = 0;
    for k in 0..DAYS * 288 {
        let at = start + chrono::TimeDelta::minutes(5 * k as i64);
        let hour = k as f64 / 12.0;
        let cycle = ((hour - phase) / 24.0 * std::f64::consts::TAU).cos();
        if burst == 0 && rng.next() < 0.004 {
            burst = 3 + (rng.next() * 8.0) as usize;
        }
        let mut v = base + 25.0 * cycle + rng.next() * 10.0;
        if burst > 0 {
            burst -= 1;
            v = 85.0 + rng.next() * 15.0;
        }
        let v = v.clamp(0.0, 100.0);
        let v = if count { (v * 6.0).round() } else { v };
        let _ = writeln!(csv, "{},{v:.2}", at.format(trace::TIMESTAMP_FORMAT));
    }
    csv
}

fn main() {
    let n: usize = std::env::var("TIDEGATE_BENCH_RESOURCES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    let runs: usize = std::env::var("TIDEGATE_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let (yaml, ids) = policy_yaml(n);
    let policy = match tidegate::policy::load_str(&yaml, "bench.yaml") {
        Ok(p) => p,
        Err(e) => panic!("bench policy is invalid: {e}"),
    };
    let mut mapping_yaml = String::from("resources:\n");
    let mut traces = Vec::new();
    for (i, (template, id)) in ids.iter().enumerate() {
        let (metric, values, start) = drive(template);
        let file = format!("{id}.csv");
        let _ = write!(
            mapping_yaml,
            "  - resource: {id}\n    trace: {file}\n    metric: {metric}\n    {values}start: {start}\n"
        );
        let reading = Reading {
            values: if values.is_empty() {
                ValueKind::Utilization
            } else {
                ValueKind::Count
            },
            timezone: None,
        };
        let t = match trace::parse(&file, &trace_csv(i, !values.is_empty()), reading) {
            Ok(t) => t,
            Err(e) => panic!("generated trace {file} is invalid: {e}"),
        };
        traces.push((id.clone(), t));
    }
    let mapping = match backtest::mapping::parse("bench-mapping.yaml", &mapping_yaml, &policy) {
        Ok(m) => m,
        Err(e) => panic!("bench mapping is invalid: {e}"),
    };
    let prices = SnapshotPriceBook::embedded();
    let header = || Header {
        policy: "bench.yaml".into(),
        estate: policy.estate.clone(),
        mapping: mapping.file.clone(),
        price_source: "embedded snapshot".into(),
        slo_percent: backtest::DEFAULT_SLO_PERCENT,
        limits: Limits::default(),
    };

    let mut times = Vec::new();
    let mut summary = String::new();
    for _ in 0..runs {
        let t = Instant::now();
        let report = match backtest::run(&policy, &mapping, traces.clone(), None, &prices, header())
        {
            Ok(r) => r,
            Err(e) => panic!("backtest failed: {e}"),
        };
        times.push(t.elapsed());
        summary = backtest::render::text(&report)
            .lines()
            .filter(|l| l.contains("saved") || l.contains("SLO"))
            .take(3)
            .collect::<Vec<_>>()
            .join("\n");
    }
    times.sort();
    let median = times[times.len() / 2];
    let decisions = n * DAYS * 288;
    println!("{summary}");
    println!(
        "backtest of {n} resources × {DAYS} days at 5 min ({decisions} resource-decisions): \
         median {:.3} s of {runs} runs (min {:.3} s, max {:.3} s), {:.2} µs per resource-decision",
        median.as_secs_f64(),
        times[0].as_secs_f64(),
        times[times.len() - 1].as_secs_f64(),
        median.as_secs_f64() * 1e6 / decisions as f64
    );
}
