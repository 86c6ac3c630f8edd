use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

use super::*;
use crate::backtest::mapping::{self, ValueKind};
use crate::backtest::trace::{self, Reading};
use crate::estate::Setting;
use crate::fake::FakeAws;
use crate::policy::{KnobName, load_str};
use crate::ports::DbInstance;

const POLICY: &str = r#"
version: 1
estate: rec
region: us-east-1
guardrails: { max_actions_per_hour: 5, oscillation_window: 1h, dry_run: true }
prices: { pricing_api: false }
resources:
  - id: billing-db
    kind: rds_instance
    identifier: billing
    engine: postgres
    instance_class:
      ladder: [db.r6g.large, db.r6g.xlarge, db.r6g.2xlarge]
      floor: db.r6g.large
    scale_up: [{ metric: CPUUtilization, above: 70 }]
    scale_down: [{ metric: DatabaseConnections, below: 5 }]
  - id: other-db
    kind: rds_instance
    identifier: other
    engine: postgres
    instance_class:
      ladder: [db.r6g.large, db.r6g.xlarge]
      floor: db.r6g.large
    scale_up: [{ metric: CPUUtilization, above: 70 }]
"#;

fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_780_000_000, 0).expect("valid")
}

fn instance(id: &str, class: &str) -> DbInstance {
    DbInstance {
        id: id.into(),
        arn: format!("arn:aws:rds:us-east-1:000000000000:db:{id}"),
        class: class.into(),
        engine: "postgres".into(),
        status: "available".into(),
        multi_az: false,
        pending_modifications: false,
        allocated_gib: 100,
        max_allocated_gib: None,
        storage_type: String::new(),
        iops: None,
        storage_throughput: None,
        cluster: None,
        created: None,
        tags: BTreeMap::new(),
    }
}

/// `n` points 5 minutes apart ending an hour before `now()`.
fn series(n: i64, value: impl Fn(i64) -> f64) -> Vec<(DateTime<Utc>, f64)> {
    let last = now() - TimeDelta::hours(1);
    (0..n)
        .map(|i| (last - TimeDelta::minutes(5 * (n - 1 - i)), value(i)))
        .collect()
}

fn run(aws: &FakeAws, days: u32) -> Result<Recording, RecordError> {
    let policy = load_str(POLICY, "policy.yaml").expect("policy");
    let mut lines = Vec::new();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let out = rt.block_on(record(&policy, aws.ports(), days, now(), &mut |l| {
        lines.push(l)
    }));
    if let Ok(r) = &out {
        assert_eq!(lines.len(), r.batches, "one progress line per batch");
    }
    out
}

#[test]
fn writes_a_trace_per_metric_with_data_and_a_mapping_that_loads() {
    let aws = FakeAws::default();
    aws.rds.put_instance(instance("billing", "db.r6g.xlarge"));
    aws.rds.put_instance(instance("other", "db.r6g.large"));
    aws.cloudwatch
        .set_history("billing", "CPUUtilization", series(12, |i| 10.0 * i as f64));
    aws.cloudwatch
        .set_history("billing", "DatabaseConnections", series(12, |_| 40.0));
    let rec = run(&aws, 14).expect("records");
    let files: Vec<&str> = rec.traces.iter().map(|t| t.file.as_str()).collect();
    assert_eq!(
        files,
        [
            "billing-db.CPUUtilization.csv",
            "billing-db.DatabaseConnections.csv"
        ]
    );
    // 110% is no utilisation: clamped, and said.
    let cpu = trace::parse("cpu", &rec.traces[0].text, Reading::default()).expect("parses");
    assert_eq!(cpu.points.len(), 12);
    assert_eq!(cpu.peak(), 100.0);
    assert!(rec.warnings.iter().any(|w| w.contains("1 values outside")));
    assert_eq!(rec.traces[1].values, ValueKind::Count);
    // other-db has no data: warned, not written.
    assert!(
        rec.warnings
            .iter()
            .any(|w| w.starts_with("other-db (other): CPUUtilization has no data")),
        "{:?}",
        rec.warnings
    );
    let policy = load_str(POLICY, "policy.yaml").expect("policy");
    let m = mapping::parse("mapping.yaml", &rec.mapping, &policy).expect("mapping loads");
    let e = m.entry("billing-db").expect("entry");
    let spec = e.trace.as_ref().expect("trace");
    assert_eq!(
        (spec.file.as_str(), spec.metric.as_str()),
        ("billing-db.CPUUtilization.csv", "CPUUtilization")
    );
    // It starts where AWS has it now, not at the floor.
    assert_eq!(
        e.start.get(&KnobName::InstanceClass),
        Some(&Setting::Class("db.r6g.xlarge".into()))
    );
    assert!(m.entry("other-db").is_some_and(|e| e.trace.is_none()));
}

#[test]
fn a_class_off_the_ladder_starts_at_the_floor_with_a_warning() {
    let aws = FakeAws::default();
    aws.rds.put_instance(instance("billing", "db.m5.large"));
    aws.cloudwatch
        .set_history("billing", "CPUUtilization", series(3, |_| 20.0));
    let rec = run(&aws, 1).expect("records");
    assert!(!rec.mapping.contains("start:"), "{}", rec.mapping);
    assert!(
        rec.warnings
            .iter()
            .any(|w| w.contains("db.m5.large") && w.contains("floor"))
    );
}

#[test]
fn days_out_of_range_are_refused() {
    let aws = FakeAws::default();
    for days in [0, MAX_DAYS + 1] {
        let err = run(&aws, days).expect_err("refused");
        assert!(matches!(err, RecordError::Days(d) if d == days));
        assert!(err.to_string().contains("expected 1 to 455"));
    }
}

#[test]
fn no_resource_in_aws_and_no_data_are_errors() {
    let aws = FakeAws::default();
    let err = run(&aws, 14).expect_err("nothing managed");
    assert!(matches!(err, RecordError::NoResources(_)), "{err}");
    aws.rds.put_instance(instance("billing", "db.r6g.large"));
    let err = run(&aws, 14).expect_err("no data");
    assert!(matches!(err, RecordError::NoData(14)), "{err}");
}

#[test]
fn data_older_than_the_window_is_not_read() {
    let aws = FakeAws::default();
    aws.rds.put_instance(instance("billing", "db.r6g.large"));
    let old = now() - TimeDelta::days(3);
    aws.cloudwatch
        .set_history("billing", "CPUUtilization", vec![(old, 50.0)]);
    assert!(matches!(run(&aws, 2), Err(RecordError::NoData(2))));
    assert_eq!(run(&aws, 4).expect("records").traces[0].points, 1);
}

#[test]
fn period_is_five_minutes_up_to_fifteen_days_then_an_hour() {
    assert_eq!(period_secs(1), 300);
    assert_eq!(period_secs(15), 300);
    assert_eq!(period_secs(16), 3600);
    assert_eq!(period_secs(MAX_DAYS), 3600);
}

#[test]
fn batches_hold_at_most_500_metric_queries_and_never_split_one() {
    let q = |sources: usize| MetricQuery {
        identifier: "x".into(),
        namespace: "AWS/Kafka".into(),
        metric: "CpuUser".into(),
        sources: vec![Vec::new(); sources],
        statistic: "Average".into(),
        period_secs: 300,
    };
    let queries: Vec<MetricQuery> = (0..1001).map(|_| q(1)).collect();
    let sizes: Vec<usize> = batches(&queries).iter().map(Vec::len).collect();
    assert_eq!(sizes, [500, 500, 1]);
    let queries = vec![q(300), q(300), q(100)];
    let sources: Vec<usize> = batches(&queries)
        .iter()
        .map(|b| b.iter().map(|q| q.sources.len()).sum())
        .collect();
    assert_eq!(sources, [300, 400]);
}
