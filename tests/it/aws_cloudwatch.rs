//! aws_cloudwatch: the CloudWatch adapter and observe's signal reading
//! against moto server (CloudWatch over Smithy RPC v2 CBOR, as the current
//! SDK speaks it; the harness teaches moto the protocol).
//!
//! moto never evaluates alarms from data (SetAlarmState puts one in ALARM)
//! and starts new alarms in OK where AWS starts them in INSUFFICIENT_DATA.

use aws_sdk_cloudwatch::primitives::DateTime as SmithyTime;
use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, MetricDatum, StateValue, Statistic,
};
use chrono::{DateTime, TimeDelta, Utc};
use tidegate::aws::{
    AutoScalingAdapter, CloudWatchAdapter, ElastiCacheAdapter, KafkaAdapter, RdsAdapter,
};
use tidegate::observe::{self, Ports};
use tidegate::policy::{Direction, generated_alarm_name, load_str};
use tidegate::ports::{CloudWatchPort, MetricQuery};
use tidegate::signals::AlarmState;

use crate::aws_autoscaling::create_launch_template;
use crate::support::{MotoServer, unique};

async fn clients(moto: &MotoServer) -> (CloudWatchAdapter, aws_sdk_cloudwatch::Client) {
    let config = moto.sdk_config().await;
    (
        CloudWatchAdapter::new(&config),
        aws_sdk_cloudwatch::Client::new(&config),
    )
}

pub(crate) async fn put_alarm(
    cw: &aws_sdk_cloudwatch::Client,
    name: &str,
    state: Option<StateValue>,
) {
    cw.put_metric_alarm()
        .alarm_name(name)
        .namespace("AWS/EC2")
        .metric_name("CPUUtilization")
        .statistic(Statistic::Average)
        .period(300)
        .evaluation_periods(3)
        .threshold(80.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .unwrap_or_else(|e| panic!("put alarm {name}: {e:?}"));
    if let Some(state) = state {
        cw.set_alarm_state()
            .alarm_name(name)
            .state_value(state)
            .state_reason("test")
            .send()
            .await
            .unwrap_or_else(|e| panic!("set alarm state {name}: {e:?}"));
    }
}

/// One datapoint per (minutes ago, value) for `metric` of the group `group`.
async fn put_points(
    cw: &aws_sdk_cloudwatch::Client,
    now: DateTime<Utc>,
    group: &str,
    points: &[(i64, f64)],
) {
    let mut call = cw.put_metric_data().namespace("AWS/EC2");
    for (minutes_ago, value) in points {
        let at = now - TimeDelta::minutes(*minutes_ago);
        call = call.metric_data(
            MetricDatum::builder()
                .metric_name("CPUUtilization")
                .dimensions(
                    Dimension::builder()
                        .name("AutoScalingGroupName")
                        .value(group)
                        .build(),
                )
                .timestamp(SmithyTime::from_secs(at.timestamp()))
                .value(*value)
                .build(),
        );
    }
    call.send()
        .await
        .unwrap_or_else(|e| panic!("put metric data {group}: {e:?}"));
}

fn cpu_query(group: &str) -> MetricQuery {
    MetricQuery {
        identifier: group.to_owned(),
        namespace: "AWS/EC2".to_owned(),
        metric: "CPUUtilization".to_owned(),
        sources: vec![vec![("AutoScalingGroupName".to_owned(), group.to_owned())]],
        statistic: "Average".to_owned(),
        period_secs: 300,
    }
}

fn key(group: &str) -> (String, String) {
    (group.to_owned(), "CPUUtilization".to_owned())
}

#[tokio::test]
async fn alarm_states_read_the_state_set_and_leave_out_missing_alarms() {
    let moto = MotoServer::shared();
    let (adapter, cw) = clients(moto).await;
    let (firing, quiet, missing) = (
        unique("cw-firing"),
        unique("cw-quiet"),
        unique("cw-missing"),
    );
    put_alarm(&cw, &firing, Some(StateValue::Alarm)).await;
    put_alarm(&cw, &quiet, None).await;

    let states = adapter
        .alarm_states(&[firing.clone(), quiet.clone(), missing.clone()])
        .await
        .expect("alarm states");
    assert_eq!(states.get(&firing), Some(&AlarmState::Alarm));
    assert!(
        matches!(
            states.get(&quiet),
            Some(AlarmState::Ok | AlarmState::InsufficientData)
        ),
        "{states:?}"
    );
    assert!(!states.contains_key(&missing));
    assert_eq!(states.len(), 2, "only the names asked for: {states:?}");
}

#[tokio::test]
async fn recent_values_read_one_value_per_period_oldest_first() {
    let moto = MotoServer::shared();
    let (adapter, cw) = clients(moto).await;
    let now = Utc::now();
    let (group, neighbour, silent) = (
        unique("cw-series"),
        unique("cw-neighbour"),
        unique("cw-silent"),
    );
    // Sent newest first; one point in each 5-minute period of the window.
    put_points(&cw, now, &group, &[(4, 30.0), (9, 20.0), (14, 10.0)]).await;
    put_points(&cw, now, &neighbour, &[(4, 99.0)]).await;

    let series = adapter
        .recent_values(
            &[cpu_query(&group), cpu_query(&silent)],
            now,
            TimeDelta::minutes(15),
        )
        .await
        .expect("recent values");
    assert_eq!(series.get(&key(&group)), Some(&vec![10.0, 20.0, 30.0]));
    assert!(
        !series.contains_key(&key(&silent)),
        "no data, no entry: {series:?}"
    );
    assert!(
        !series.contains_key(&key(&neighbour)),
        "not asked for: {series:?}"
    );

    // A shorter window leaves the oldest period out.
    let recent = adapter
        .recent_values(&[cpu_query(&group)], now, TimeDelta::minutes(10))
        .await
        .expect("recent values");
    assert_eq!(recent.get(&key(&group)), Some(&vec![20.0, 30.0]));
}

/// Batching, counted on a server of its own: 150 alarm names take two
/// DescribeAlarms calls, 501 queries two GetMetricData calls, and what
/// the second call of each finds is kept.
#[tokio::test]
async fn alarm_names_go_by_100_and_queries_by_500() {
    let moto = MotoServer::dedicated();
    let (adapter, cw) = clients(&moto).await;
    let now = Utc::now();
    put_alarm(&cw, "first", Some(StateValue::Alarm)).await;
    put_alarm(&cw, "last", Some(StateValue::Alarm)).await;
    put_points(&cw, now, "group-500", &[(2, 42.0)]).await;
    let mut names: Vec<String> = (0..148).map(|i| format!("absent-{i}")).collect();
    names.insert(0, "first".to_owned());
    names.push("last".to_owned());
    let queries: Vec<MetricQuery> = (0..=500)
        .map(|i| cpu_query(&format!("group-{i}")))
        .collect();

    moto.reset_calls();
    let states = adapter.alarm_states(&names).await.expect("alarm states");
    let series = adapter
        .recent_values(&queries, now, TimeDelta::minutes(10))
        .await
        .expect("recent values");

    assert_eq!(states.get("first"), Some(&AlarmState::Alarm));
    assert_eq!(states.get("last"), Some(&AlarmState::Alarm));
    assert_eq!(series.len(), 1, "{series:?}");
    assert_eq!(series.get(&key("group-500")), Some(&vec![42.0]));
    let calls = moto.calls();
    assert_eq!(calls.count("cloudwatch", "DescribeAlarms"), 2, "{calls:?}");
    assert_eq!(calls.count("cloudwatch", "GetMetricData"), 2, "{calls:?}");
}

/// observe → signals: the alarm Terraform generates for a metric rule, and
/// the metric's series for the group the rule's resource selects.
#[tokio::test]
async fn observe_reads_rule_alarms_and_series_into_signals() {
    let moto = MotoServer::shared();
    let config = moto.sdk_config().await;
    let (adapter, cw) = clients(moto).await;
    let asg = AutoScalingAdapter::new(&config);
    let (rds, elasticache, kafka) = (
        RdsAdapter::new(&config),
        ElastiCacheAdapter::new(&config),
        KafkaAdapter::new(&config),
    );
    let ports = Ports {
        rds: &rds,
        elasticache: &elasticache,
        kafka: &kafka,
        autoscaling: &asg,
        cloudwatch: &adapter,
    };
    let (id, group) = (unique("cw-fleet"), unique("cw-group"));
    let template = create_launch_template(moto, &unique("lt-cw"));
    aws_sdk_autoscaling::Client::new(&config)
        .create_auto_scaling_group()
        .auto_scaling_group_name(&group)
        .availability_zones("us-east-1a")
        .min_size(0)
        .max_size(4)
        .desired_capacity(0)
        .launch_template(
            aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder()
                .launch_template_id(template)
                .build(),
        )
        .send()
        .await
        .expect("create group");
    let policy = load_str(
        &format!(
            r#"
version: 1
estate: cw-test
guardrails: {{ max_actions_per_hour: 10, oscillation_window: 1h }}
spot_mix:
  web: {{ spot_percent: 0, on_demand_base: 0, allocation_strategy: lowest-price, instance_types: [m6i.large] }}
resources:
  - id: {id}
    kind: autoscaling_group
    identifier: {group}
    workload_class: web
    capacity: {{ min: 0, max: 4, floor: 0 }}
    scale_up:
      - {{ metric: CPUUtilization, above: 75, evaluation_periods: 2 }}
    scale_down:
      - {{ metric: CPUUtilization, below: 20 }}
"#
        ),
        "cw-test.yaml",
    )
    .expect("valid policy");
    let up = generated_alarm_name(&id, Direction::Up, "CPUUtilization", 1);
    put_alarm(&cw, &up, Some(StateValue::Alarm)).await;
    let now = Utc::now();
    put_points(&cw, now, &group, &[(3, 80.0), (8, 90.0), (13, 85.0)]).await;

    let obs = observe::observe(&policy, ports, now).await;
    assert_eq!(obs.signals.alarms.get(&up), Some(&AlarmState::Alarm));
    let down = generated_alarm_name(&id, Direction::Down, "CPUUtilization", 1);
    assert!(
        !obs.signals.alarms.contains_key(&down),
        "not created, not read"
    );
    // Longest window: 3 periods of 5 minutes (the down rule's default) + 1.
    assert_eq!(
        obs.signals.series(&group, "CPUUtilization"),
        Some(&[85.0, 90.0, 80.0][..])
    );
    assert!(obs.notes.is_empty(), "{:?}", obs.notes);
}

/// A rule with its own `namespace:` and `dimensions:` reads its metric
/// there (issue 21.1): PgBouncer's waiting clients, published by the
/// operator under `PgBouncer` with a `Pool` dimension, not the group's.
#[tokio::test]
async fn a_rule_with_its_own_namespace_reads_its_metric_there() {
    let moto = MotoServer::shared();
    let config = moto.sdk_config().await;
    let (adapter, cw) = clients(moto).await;
    let asg = AutoScalingAdapter::new(&config);
    let (rds, elasticache, kafka) = (
        RdsAdapter::new(&config),
        ElastiCacheAdapter::new(&config),
        KafkaAdapter::new(&config),
    );
    let ports = Ports {
        rds: &rds,
        elasticache: &elasticache,
        kafka: &kafka,
        autoscaling: &asg,
        cloudwatch: &adapter,
    };
    let (id, group, pool) = (unique("pgb"), unique("pgb-group"), unique("pool"));
    let template = create_launch_template(moto, &unique("lt-pgb"));
    aws_sdk_autoscaling::Client::new(&config)
        .create_auto_scaling_group()
        .auto_scaling_group_name(&group)
        .availability_zones("us-east-1a")
        .min_size(0)
        .max_size(4)
        .desired_capacity(0)
        .launch_template(
            aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder()
                .launch_template_id(template)
                .build(),
        )
        .send()
        .await
        .expect("create group");
    let policy = load_str(
        &format!(
            r#"
version: 1
estate: cw-custom
guardrails: {{ max_actions_per_hour: 10, oscillation_window: 1h }}
spot_mix:
  web: {{ spot_percent: 0, on_demand_base: 0, allocation_strategy: lowest-price, instance_types: [m6i.large] }}
resources:
  - id: {id}
    kind: autoscaling_group
    identifier: {group}
    workload_class: web
    capacity: {{ min: 0, max: 4, floor: 0 }}
    scale_up:
      - {{ metric: cl_waiting, above: 5, evaluation_periods: 2, statistic: Maximum, namespace: PgBouncer, dimensions: {{ Pool: {pool} }} }}
"#
        ),
        "cw-custom.yaml",
    )
    .expect("a custom metric validates");
    let now = Utc::now();
    let mut call = cw.put_metric_data().namespace("PgBouncer");
    for (minutes_ago, value) in [(13, 1.0), (8, 7.0), (3, 9.0)] {
        let at = now - TimeDelta::minutes(minutes_ago);
        call = call.metric_data(
            MetricDatum::builder()
                .metric_name("cl_waiting")
                .dimensions(Dimension::builder().name("Pool").value(&pool).build())
                .timestamp(SmithyTime::from_secs(at.timestamp()))
                .value(value)
                .build(),
        );
    }
    call.send().await.expect("put PgBouncer points");
    // The same name under the group's own dimension must not be what is read.
    let mut decoy = cw.put_metric_data().namespace("AWS/EC2");
    decoy = decoy.metric_data(
        MetricDatum::builder()
            .metric_name("cl_waiting")
            .dimensions(
                Dimension::builder()
                    .name("AutoScalingGroupName")
                    .value(&group)
                    .build(),
            )
            .timestamp(SmithyTime::from_secs(
                (now - TimeDelta::minutes(3)).timestamp(),
            ))
            .value(100.0)
            .build(),
    );
    decoy.send().await.expect("put decoy point");

    let obs = observe::observe(&policy, ports, now).await;
    assert_eq!(
        obs.signals.series(&group, "cl_waiting"),
        Some(&[1.0, 7.0, 9.0][..]),
        "{:?}",
        obs.notes
    );
}

/// A broker metric read from two brokers' series is, per period, the
/// hotter broker's value: AWS publishes `CpuUser` per `Cluster Name` +
/// `Broker ID`, and the adapter folds the sources by max.
#[tokio::test]
async fn broker_sources_fold_to_the_maximum_per_period() {
    let moto = MotoServer::shared();
    let (adapter, cw) = clients(moto).await;
    let now = Utc::now();
    let cluster = unique("cw-msk");
    let broker = |id: &str| {
        vec![
            ("Cluster Name".to_owned(), cluster.clone()),
            ("Broker ID".to_owned(), id.to_owned()),
        ]
    };
    // Broker 1 is hot in the oldest period, broker 2 in the newest; only
    // broker 1 has a point in the middle one.
    for (id, points) in [
        ("1", &[(14, 90.0), (9, 40.0), (4, 20.0)][..]),
        ("2", &[(14, 30.0), (4, 70.0)][..]),
    ] {
        let mut call = cw.put_metric_data().namespace("AWS/Kafka");
        for (minutes_ago, value) in points {
            let at = now - TimeDelta::minutes(*minutes_ago);
            let mut datum = MetricDatum::builder()
                .metric_name("CpuUser")
                .timestamp(SmithyTime::from_secs(at.timestamp()))
                .value(*value);
            for (name, v) in broker(id) {
                datum = datum.dimensions(Dimension::builder().name(name).value(v).build());
            }
            call = call.metric_data(datum.build());
        }
        call.send()
            .await
            .unwrap_or_else(|e| panic!("put metric data broker {id}: {e:?}"));
    }
    let query = MetricQuery {
        identifier: cluster.clone(),
        namespace: "AWS/Kafka".to_owned(),
        metric: "CpuUser".to_owned(),
        sources: vec![broker("1"), broker("2"), broker("3")],
        statistic: "Average".to_owned(),
        period_secs: 300,
    };

    let series = adapter
        .recent_values(&[query], now, TimeDelta::minutes(15))
        .await
        .expect("recent values");
    assert_eq!(
        series.get(&(cluster.clone(), "CpuUser".to_owned())),
        Some(&vec![90.0, 40.0, 70.0]),
        "{series:?}"
    );
    assert_eq!(series.len(), 1, "one series per (identifier, metric)");
}
