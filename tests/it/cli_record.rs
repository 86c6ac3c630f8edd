//! cli_record: `tidegate record` against moto (RDS, Auto Scaling,
//! CloudWatch GetMetricData over the real protocol), then `tidegate
//! backtest` on the folder it wrote: the round trip a user makes before
//! turning `dry_run` off.

use std::path::Path;

use aws_sdk_autoscaling::types::LaunchTemplateSpecification;
use aws_sdk_cloudwatch::primitives::DateTime as SmithyTime;
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
use chrono::{TimeDelta, Utc};

use crate::aws_autoscaling::create_launch_template;
use crate::cli_prices::tidegate;
use crate::support::{MotoServer, unique};

const POLICY: &str = r#"
version: 1
estate: recorded
region: us-east-1
guardrails: { max_actions_per_hour: 5, oscillation_window: 1h, dry_run: true }
prices: { pricing_api: false }
spot_mix:
  web:
    spot_percent: 0
    on_demand_base: 0
    allocation_strategy: price-capacity-optimized
    instance_types: [m6i.large]
resources:
  - id: orders-db
    kind: rds_instance
    identifier: DB
    engine: postgres
    instance_class:
      ladder: [db.r6g.large, db.r6g.xlarge, db.r6g.2xlarge]
      floor: db.r6g.large
    scale_up: [{ metric: CPUUtilization, above: 70 }]
    scale_down: [{ metric: CPUUtilization, below: 20, evaluation_periods: 6 }]
  - id: web
    kind: autoscaling_group
    identifier: ASG
    workload_class: web
    capacity: { min: 1, max: 10, floor: 1 }
    scale_up: [{ metric: CPUUtilization, above: 75 }]
    scale_down: [{ metric: CPUUtilization, below: 20 }]
"#;

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

/// One datapoint every 5 minutes over the last `hours` for `metric` under
/// one dimension, `value(i)` for the i-th (oldest first).
async fn put_series(
    cw: &aws_sdk_cloudwatch::Client,
    namespace: &str,
    dimension: (&str, &str),
    hours: i64,
    value: impl Fn(i64) -> f64,
) {
    let now = Utc::now();
    let n = hours * 12;
    let points: Vec<MetricDatum> = (0..n)
        .map(|i| {
            let at = now - TimeDelta::minutes(5 * (n - i)) - TimeDelta::minutes(5);
            MetricDatum::builder()
                .metric_name("CPUUtilization")
                .dimensions(
                    Dimension::builder()
                        .name(dimension.0)
                        .value(dimension.1)
                        .build(),
                )
                .timestamp(SmithyTime::from_secs(at.timestamp()))
                .value(value(i))
                .build()
        })
        .collect();
    for chunk in points.chunks(500) {
        cw.put_metric_data()
            .namespace(namespace)
            .set_metric_data(Some(chunk.to_vec()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("put metric data: {e:?}"));
    }
}

/// A PostgreSQL instance `id` of `class`.
async fn create_db(config: &aws_config::SdkConfig, id: &str, class: &str) {
    aws_sdk_rds::Client::new(config)
        .create_db_instance()
        .db_instance_identifier(id)
        .db_instance_class(class)
        .engine("postgres")
        .allocated_storage(20)
        .master_username("admin")
        .master_user_password("password123")
        .send()
        .await
        .expect("create db");
}

/// An RDS instance at db.r6g.xlarge and a group at 3 instances, with 2 days
/// of CPU each in CloudWatch; the policy for them written to `dir`.
async fn estate(moto: &MotoServer, dir: &Path) -> (String, String) {
    let config = moto.sdk_config().await;
    let (db, asg) = (unique("rec-db"), unique("rec-asg"));
    create_db(&config, &db, "db.r6g.xlarge").await;
    let template = create_launch_template(moto, &unique("lt-rec"));
    aws_sdk_autoscaling::Client::new(&config)
        .create_auto_scaling_group()
        .auto_scaling_group_name(&asg)
        .availability_zones("us-east-1a")
        .min_size(1)
        .max_size(10)
        .desired_capacity(3)
        .launch_template(
            LaunchTemplateSpecification::builder()
                .launch_template_id(template)
                .build(),
        )
        .send()
        .await
        .expect("create group");
    let cw = aws_sdk_cloudwatch::Client::new(&config);
    // A daily shape: busy in one half of each day, quiet in the other.
    put_series(&cw, "AWS/RDS", ("DBInstanceIdentifier", &db), 48, |i| {
        if (i / 72) % 2 == 0 { 85.0 } else { 10.0 }
    })
    .await;
    put_series(&cw, "AWS/EC2", ("AutoScalingGroupName", &asg), 48, |i| {
        30.0 + (i % 12) as f64
    })
    .await;
    let policy = POLICY.replace("identifier: DB", &format!("identifier: {db}"));
    let policy = policy.replace("identifier: ASG", &format!("identifier: {asg}"));
    std::fs::write(dir.join("policy.yaml"), policy).expect("write policy");
    (db, asg)
}

#[tokio::test(flavor = "multi_thread")]
async fn record_writes_what_backtest_replays() {
    let moto = MotoServer::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let (db, _) = estate(moto, dir.path()).await;
    let policy = dir.path().join("policy.yaml");
    let out = dir.path().join("recorded");
    let (policy_arg, out_arg) = (policy.to_string_lossy(), out.to_string_lossy());

    let rec = tidegate(
        moto,
        &[
            "record",
            "--policy",
            &policy_arg,
            "--days",
            "3",
            "--out",
            &out_arg,
        ],
    );
    let stderr = text(&rec.stderr);
    assert!(rec.status.success(), "record failed: {stderr}");
    assert!(stderr.contains("batch 1/1: 2 metrics"), "{stderr}");
    let mapping = std::fs::read_to_string(out.join("mapping.yaml")).expect("mapping");
    assert!(
        mapping.contains("instance_class: \"db.r6g.xlarge\"") && mapping.contains("capacity: 3"),
        "starts where AWS has them: {mapping}"
    );
    let cpu = std::fs::read_to_string(out.join("orders-db.CPUUtilization.csv")).expect("trace");
    // 48 h at 5 minutes, as put.
    assert_eq!(cpu.lines().count(), 1 + 48 * 12, "{db}");
    assert!(cpu.contains(",85\n") && cpu.contains(",10\n"));

    let bt = tidegate(
        moto,
        &[
            "backtest",
            "--policy",
            &policy_arg,
            "--metrics",
            &out_arg,
            "--json",
        ],
    );
    assert!(bt.status.success(), "backtest failed: {}", text(&bt.stderr));
    let report: serde_json::Value = serde_json::from_slice(&bt.stdout).expect("json report");
    // Both resources replayed, each on its recorded trace.
    let ids: Vec<&str> = report["resources"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .filter(|r| !r["trace"].is_null())
                .filter_map(|r| r["id"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(ids, ["orders-db", "web"], "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn record_says_what_it_cannot_do() {
    let moto = MotoServer::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let policy = dir.path().join("policy.yaml");
    let out = dir.path().join("recorded");
    let (policy_arg, out_arg) = (policy.to_string_lossy(), out.to_string_lossy());

    // Resources AWS does not have.
    let absent = POLICY
        .replace(
            "identifier: DB",
            &format!("identifier: {}", unique("no-db")),
        )
        .replace(
            "identifier: ASG",
            &format!("identifier: {}", unique("no-asg")),
        );
    std::fs::write(&policy, absent).expect("write policy");
    let none = tidegate(
        moto,
        &["record", "--policy", &policy_arg, "--out", &out_arg],
    );
    assert!(!none.status.success());
    assert!(
        text(&none.stderr).contains("no managed resource was found in AWS"),
        "{}",
        text(&none.stderr)
    );

    let days = tidegate(
        moto,
        &[
            "record",
            "--policy",
            &policy_arg,
            "--days",
            "456",
            "--out",
            &out_arg,
        ],
    );
    assert!(!days.status.success());
    assert!(text(&days.stderr).contains("--days 456 is out of range"));
    assert!(!out.exists(), "nothing written");

    // A resource with no data: warned, and no file for it.
    let config = moto.sdk_config().await;
    let quiet = unique("rec-quiet");
    create_db(&config, &quiet, "db.r6g.large").await;
    let (db, asg) = estate(moto, dir.path()).await;
    let with_quiet = std::fs::read_to_string(&policy).expect("policy").replace(
        &format!("identifier: {db}"),
        &format!("identifier: {quiet}"),
    );
    std::fs::write(&policy, with_quiet).expect("write policy");
    let rec = tidegate(
        moto,
        &["record", "--policy", &policy_arg, "--out", &out_arg],
    );
    let stderr = text(&rec.stderr);
    assert!(rec.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "warning: orders-db ({quiet}): CPUUtilization has no data in the last 14 days"
        )),
        "{stderr}"
    );
    assert!(!out.join("orders-db.CPUUtilization.csv").exists());
    assert!(out.join("web.CPUUtilization.csv").exists(), "{asg}");
}
