//! The reference estate of `policies/estate.yaml`, created in moto server
//! through the AWS API: plan then apply move each kind of resource one step,
//! observed back through the API; a second apply of the same plan changes
//! nothing; a plan describes each service once; and the `tidegate plan`
//! binary's exit codes.

use std::process::Command;

use aws_sdk_autoscaling::types::{
    InstancesDistribution, LaunchTemplate, LaunchTemplateOverrides, LaunchTemplateSpecification,
    MixedInstancesPolicy,
};
use aws_sdk_cloudwatch::types::{ComparisonOperator, StateValue, Statistic};
use aws_sdk_elasticache::types::ClusterMode;
use aws_sdk_kafka::types::{BrokerNodeGroupInfo, EbsStorageInfo, StorageInfo};
use aws_sdk_rds::types::ServerlessV2ScalingConfiguration;
use chrono::{DateTime, TimeZone, Utc};
use tidegate::act::Outcome;
use tidegate::aws::Adapters;
use tidegate::estate::Setting;
use tidegate::plan::Plan;
use tidegate::policy::{KnobName, Policy};
use tidegate::pricing::SnapshotPriceBook;

use crate::aws_autoscaling::create_launch_template;
use crate::support::{MotoServer, OnePath};

/// Tuesday 10:00 UTC: the `office` schedule's business hours.
fn tuesday_morning() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
        .single()
        .expect("valid instant")
}

fn estate_policy() -> Policy {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/estate.yaml");
    tidegate::policy::load_file(std::path::Path::new(path)).unwrap_or_else(|e| panic!("{e}"))
}

/// The alarm name of `resource`'s scale-up rule on `knob`.
fn up_alarm(policy: &Policy, resource: &str, knob: KnobName) -> String {
    policy
        .resource(resource)
        .and_then(|r| r.scale_up.iter().find(|rule| rule.knob == knob))
        .map(|rule| rule.alarm_name.clone())
        .unwrap_or_else(|| panic!("{resource} has a scale-up rule on {knob}"))
}

pub(crate) async fn fire(cw: &aws_sdk_cloudwatch::Client, alarm: &str) {
    cw.put_metric_alarm()
        .alarm_name(alarm)
        .namespace("AWS/Test")
        .metric_name("Load")
        .statistic(Statistic::Average)
        .period(300)
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .unwrap_or_else(|e| panic!("put alarm {alarm}: {e:?}"));
    cw.set_alarm_state()
        .alarm_name(alarm)
        .state_value(StateValue::Alarm)
        .state_reason("test")
        .send()
        .await
        .unwrap_or_else(|e| panic!("set alarm {alarm}: {e:?}"));
}

async fn create_estate(moto: &MotoServer, config: &aws_config::SdkConfig) {
    let rds = aws_sdk_rds::Client::new(config);
    rds.create_db_instance()
        .db_instance_identifier("billing-db")
        .db_instance_class("db.r6g.large")
        .engine("postgres")
        .allocated_storage(500)
        .max_allocated_storage(1000)
        .multi_az(true)
        .master_username("admin")
        .master_user_password("not-a-secret-1")
        .send()
        .await
        .expect("create billing-db");
    rds.create_db_cluster()
        .db_cluster_identifier("orders-aurora")
        .engine("aurora-mysql")
        .master_username("admin")
        .master_user_password("not-a-secret-1")
        .serverless_v2_scaling_configuration(
            ServerlessV2ScalingConfiguration::builder()
                .min_capacity(2.0)
                .max_capacity(8.0)
                .build(),
        )
        .send()
        .await
        .expect("create orders-aurora");
    for id in ["orders-aurora-writer", "orders-aurora-reader-1"] {
        rds.create_db_instance()
            .db_instance_identifier(id)
            .db_cluster_identifier("orders-aurora")
            .db_instance_class("db.serverless")
            .engine("aurora-mysql")
            .send()
            .await
            .unwrap_or_else(|e| panic!("create {id}: {e:?}"));
    }

    aws_sdk_elasticache::Client::new(config)
        .create_replication_group()
        .replication_group_id("sessions-redis")
        .replication_group_description("reference estate")
        .engine("redis")
        .cache_node_type("cache.r6g.large")
        .cluster_mode(ClusterMode::Enabled)
        .num_node_groups(1)
        .replicas_per_node_group(2)
        .automatic_failover_enabled(true)
        .send()
        .await
        .expect("create sessions-redis");

    aws_sdk_kafka::Client::new(config)
        .create_cluster()
        .cluster_name("events-msk")
        .kafka_version("3.6.0")
        .number_of_broker_nodes(3)
        .broker_node_group_info(
            BrokerNodeGroupInfo::builder()
                .instance_type("kafka.m5.xlarge")
                .client_subnets("subnet-a")
                .client_subnets("subnet-b")
                .client_subnets("subnet-c")
                .storage_info(
                    StorageInfo::builder()
                        .ebs_storage_info(EbsStorageInfo::builder().volume_size(1000).build())
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("create events-msk");

    let asg = aws_sdk_autoscaling::Client::new(config);
    let template = create_launch_template(moto, "estate-template");
    let policy = estate_policy();
    for (name, class, min, max, desired) in [
        ("batch-workers", "batch", 1, 40, 1),
        ("api-fleet", "api", 2, 30, 2),
        ("pgbouncer-fleet", "database", 2, 6, 2),
    ] {
        // Each group already runs its class's spot mix, so the plan moves capacity.
        let mix = policy.spot_mix[class].distribution();
        let mut lt = LaunchTemplate::builder().launch_template_specification(
            LaunchTemplateSpecification::builder()
                .launch_template_id(&template)
                .version("$Latest")
                .build(),
        );
        for t in &mix.instance_types {
            lt = lt.overrides(LaunchTemplateOverrides::builder().instance_type(t).build());
        }
        let mixed = MixedInstancesPolicy::builder()
            .launch_template(lt.build())
            .instances_distribution(
                InstancesDistribution::builder()
                    .on_demand_base_capacity(mix.on_demand_base as i32)
                    .on_demand_percentage_above_base_capacity(
                        mix.on_demand_percent_above_base as i32,
                    )
                    .spot_allocation_strategy(&mix.allocation_strategy)
                    .build(),
            )
            .build();
        asg.create_auto_scaling_group()
            .auto_scaling_group_name(name)
            .min_size(min)
            .max_size(max)
            .desired_capacity(desired)
            .availability_zones("us-east-1a")
            .mixed_instances_policy(mixed)
            .send()
            .await
            .unwrap_or_else(|e| panic!("create {name}: {e:?}"));
    }
}

fn planned(plan: &Plan, identifier: &str) -> (KnobName, Setting, Setting) {
    let a = plan
        .planned()
        .find(|a| a.identifier == identifier)
        .unwrap_or_else(|| panic!("no planned action on {identifier}: {plan:#?}"));
    (a.knob, a.from.clone(), a.to.clone())
}

#[tokio::test]
async fn the_reference_estate_moves_one_step_per_resource_and_a_second_apply_changes_nothing() {
    let moto = MotoServer::dedicated();
    let config = moto.sdk_config().await;
    create_estate(&moto, &config).await;
    let mut policy = estate_policy();
    // `tidegate apply --live`: the shipped policy is a dry run.
    policy.guardrails.dry_run = false;
    let cw = aws_sdk_cloudwatch::Client::new(&config);
    fire(&cw, &up_alarm(&policy, "sessions-redis", KnobName::Shards)).await;
    fire(&cw, &up_alarm(&policy, "events-msk", KnobName::Brokers)).await;
    fire(&cw, &up_alarm(&policy, "batch-workers", KnobName::Capacity)).await;

    let adapters = Adapters::new(&config);
    let prices = SnapshotPriceBook::embedded();
    let now = tuesday_morning();
    let path = OnePath::new(&policy, adapters.ports(), &prices);
    moto.reset_calls();
    let plan = path.plan(now).await;

    // One batched describe per service per run.
    let calls = moto.calls();
    for (service, operation) in [
        ("rds", "DescribeDBInstances"),
        ("rds", "DescribeDBClusters"),
        ("elasticache", "DescribeReplicationGroups"),
        ("kafka", "ListClustersV2"),
        ("autoscaling", "DescribeAutoScalingGroups"),
        ("cloudwatch", "DescribeAlarms"),
    ] {
        assert_eq!(
            calls.count(service, operation),
            1,
            "{service} {operation}: {:?}",
            calls.all()
        );
    }
    assert!(
        calls.count("cloudwatch", "GetMetricData") <= 1,
        "{:?}",
        calls.all()
    );

    // Business hours raise the floors of the database and the API fleet;
    // the fired alarms move Redis, MSK and the batch fleet.
    let class = |c: &str| Setting::Class(c.to_owned());
    assert_eq!(
        planned(&plan, "billing-db"),
        (
            KnobName::InstanceClass,
            class("db.r6g.large"),
            class("db.r6g.xlarge")
        )
    );
    assert_eq!(
        planned(&plan, "orders-aurora"),
        (KnobName::Readers, Setting::Count(1), Setting::Count(2))
    );
    assert_eq!(
        planned(&plan, "sessions-redis"),
        (KnobName::Shards, Setting::Count(1), Setting::Count(2))
    );
    assert_eq!(
        planned(&plan, "events-msk"),
        (KnobName::Brokers, Setting::Count(3), Setting::Count(6))
    );
    let desired = |id: &str| match planned(&plan, id).2 {
        Setting::Capacity { desired, .. } => desired,
        other => panic!("{id}: {other:?}"),
    };
    assert_eq!(desired("batch-workers"), 2);
    assert_eq!(desired("api-fleet"), 6);

    let reports = path.apply(&plan, now).await.outcomes;
    assert_eq!(reports.len(), plan.planned().count(), "{reports:#?}");
    for r in &reports {
        assert!(
            matches!(r.outcome, Outcome::Applied { .. }),
            "{}: {:?}",
            r.action.identifier,
            r.outcome
        );
    }
    let history = path.ledger.snapshot().history();
    assert_eq!(
        history.actions.len(),
        reports.len(),
        "every applied action is recorded"
    );

    // Observed back through the API.
    let rds = aws_sdk_rds::Client::new(&config);
    let db = rds
        .describe_db_instances()
        .db_instance_identifier("billing-db")
        .send()
        .await
        .expect("describe");
    assert_eq!(
        db.db_instances()[0].db_instance_class(),
        Some("db.r6g.xlarge")
    );
    let cluster = rds
        .describe_db_clusters()
        .db_cluster_identifier("orders-aurora")
        .send()
        .await
        .expect("describe");
    assert_eq!(
        cluster.db_clusters()[0].db_cluster_members().len(),
        3,
        "writer + 2 readers"
    );
    let redis = aws_sdk_elasticache::Client::new(&config)
        .describe_replication_groups()
        .replication_group_id("sessions-redis")
        .send()
        .await
        .expect("describe");
    assert_eq!(redis.replication_groups()[0].node_groups().len(), 2);
    let kafka = aws_sdk_kafka::Client::new(&config);
    let msk = kafka.list_clusters_v2().send().await.expect("list");
    let brokers = msk.cluster_info_list()[0]
        .provisioned()
        .and_then(|p| p.number_of_broker_nodes());
    assert_eq!(brokers, Some(6));
    let groups = aws_sdk_autoscaling::Client::new(&config)
        .describe_auto_scaling_groups()
        .auto_scaling_group_names("api-fleet")
        .auto_scaling_group_names("batch-workers")
        .send()
        .await
        .expect("describe");
    let desired_of = |name: &str| {
        groups
            .auto_scaling_groups()
            .iter()
            .find(|g| g.auto_scaling_group_name() == Some(name))
            .and_then(|g| g.desired_capacity())
    };
    assert_eq!(desired_of("api-fleet"), Some(6));
    assert_eq!(desired_of("batch-workers"), Some(2));

    // The same plan again: everything is already in effect, nothing changes.
    let again = path.apply(&plan, now).await.outcomes;
    for r in &again {
        assert_eq!(
            r.outcome,
            Outcome::AlreadyInEffect,
            "{}",
            r.action.identifier
        );
    }
    let cluster = rds
        .describe_db_clusters()
        .db_cluster_identifier("orders-aurora")
        .send()
        .await
        .expect("describe");
    assert_eq!(
        cluster.db_clusters()[0].db_cluster_members().len(),
        3,
        "no third reader"
    );
}

const SMALL_POLICY: &str = r#"
version: 1
estate: cli
guardrails: { max_actions_per_hour: 5, oscillation_window: 1h, dry_run: false }
resources:
  - id: cli-db
    kind: rds_instance
    identifier: IDENT
    engine: postgres
    instance_class: { ladder: [db.r6g.large, db.r6g.xlarge] }
    scale_up: [{ alarm: ALARM }]
"#;

#[tokio::test]
async fn the_plan_command_exits_0_without_changes_2_with_changes_and_1_on_error() {
    let moto = MotoServer::shared();
    let config = moto.sdk_config().await;
    let ident = crate::support::unique("cli-db");
    let alarm = format!("{ident}-cpu-high");
    aws_sdk_rds::Client::new(&config)
        .create_db_instance()
        .db_instance_identifier(&ident)
        .db_instance_class("db.r6g.large")
        .engine("postgres")
        .allocated_storage(20)
        .master_username("admin")
        .master_user_password("not-a-secret-1")
        .send()
        .await
        .expect("create");
    let dir = tempfile::tempdir().expect("temp dir");
    let policy = dir.path().join("policy.yaml");
    std::fs::write(
        &policy,
        SMALL_POLICY
            .replace("IDENT", &ident)
            .replace("ALARM", &alarm),
    )
    .expect("write");
    let ledger = dir.path().join("ledger.json");
    let plan = |extra: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tidegate"));
        cmd.arg("plan")
            .arg("--policy")
            .arg(&policy)
            .arg("--ledger")
            .arg(&ledger);
        cmd.args(extra);
        for (k, v) in moto.cli_env() {
            cmd.env(k, v);
        }
        cmd.output().expect("run tidegate plan")
    };

    let quiet = plan(&[]);
    assert_eq!(
        quiet.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
    assert!(String::from_utf8_lossy(&quiet.stdout).contains("No changes"));

    fire(&aws_sdk_cloudwatch::Client::new(&config), &alarm).await;
    let busy = plan(&[]);
    let text = String::from_utf8_lossy(&busy.stdout);
    assert_eq!(busy.status.code(), Some(2), "{text}");
    assert!(
        text.contains("instance_class: db.r6g.large → db.r6g.xlarge"),
        "{text}"
    );
    assert!(text.contains("/month"), "cost per month shown: {text}");

    let broken = plan(&["--endpoint-url", "http://127.0.0.1:9"]);
    assert_eq!(broken.status.code(), Some(1));
    let err = String::from_utf8_lossy(&broken.stderr);
    assert!(
        err.contains("rds DescribeDBInstances"),
        "names the call: {err}"
    );
}
