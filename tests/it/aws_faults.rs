//! aws_faults: against moto server. The harness itself: throttling is
//! retried with the SDK's retry settings and classified as `Throttled` when
//! the retries run out, in each protocol's error shape (query XML, REST-JSON,
//! RPC v2 CBOR); and each operation the launcher adds to moto works through
//! the real SDK (tests/README.md).

use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, Metric, MetricDataQuery, MetricDatum, MetricStat, StandardUnit,
    StateValue, Statistic,
};
use aws_sdk_elasticache::types::ClusterMode;
use aws_sdk_kafka::types::{BrokerEbsVolumeInfo, BrokerNodeGroupInfo, EbsStorageInfo, StorageInfo};
use aws_smithy_types::DateTime;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use tidegate::aws::{AwsError, ErrorKind, RdsAdapter};
use tidegate::ports::RdsPort;

use crate::support::{Fault, MotoServer, unique};

async fn create_db_instance(rds: &aws_sdk_rds::Client, id: &str) {
    rds.create_db_instance()
        .db_instance_identifier(id)
        .db_instance_class("db.t3.micro")
        .engine("postgres")
        .allocated_storage(20)
        .master_username("admin")
        .master_user_password("password123")
        .send()
        .await
        .expect("create DB instance");
}

#[tokio::test]
async fn throttled_describe_is_retried_within_max_attempts() {
    let moto = MotoServer::dedicated();
    let setup = aws_sdk_rds::Client::new(&moto.sdk_config().await);
    create_db_instance(&setup, "throttled-db").await;
    moto.reset_calls();

    moto.inject_fault("DescribeDBInstances", "Throttling", 2);
    let rds = RdsAdapter::new(&moto.sdk_config_with_attempts(3).await);
    let instances = rds
        .db_instances()
        .await
        .expect("two throttles, then an answer, within three attempts");

    let ids: Vec<_> = instances.iter().map(|db| db.id.as_str()).collect();
    assert_eq!(ids, ["throttled-db"]);
    assert_eq!(moto.calls().count("rds", "DescribeDBInstances"), 3);
}

#[tokio::test]
async fn throttling_beyond_max_attempts_is_an_aws_error_of_kind_throttled() {
    let moto = MotoServer::dedicated();
    moto.inject_fault("DescribeDBInstances", "Throttling", 1);
    let rds = RdsAdapter::new(&moto.sdk_config_with_attempts(1).await);

    let err = rds
        .db_instances()
        .await
        .expect_err("one attempt, throttled");

    assert_eq!(err.kind, ErrorKind::Throttled, "{err}");
    assert_eq!(err.code.as_deref(), Some("Throttling"));
    assert_eq!(err.operation, "DescribeDBInstances");
    assert_eq!(moto.calls().count("rds", "DescribeDBInstances"), 1);
    // The fault is used up: the next call goes through.
    rds.db_instances().await.expect("no fault left");
}

#[tokio::test]
async fn msk_rest_json_throttling_is_retried_and_classified() {
    let moto = MotoServer::dedicated();
    moto.inject(
        Fault::new("ListClustersV2", "TooManyRequestsException")
            .service("kafka")
            .count(2),
    );

    let once = aws_sdk_kafka::Client::new(&moto.sdk_config_with_attempts(1).await);
    let err = once.list_clusters_v2().send().await.expect_err("throttled");
    let err = AwsError::from_sdk("kafka", "ListClustersV2", "", err);
    assert_eq!(err.kind, ErrorKind::Throttled, "{err}");
    assert_eq!(err.code.as_deref(), Some("TooManyRequestsException"));

    let twice = aws_sdk_kafka::Client::new(&moto.sdk_config_with_attempts(2).await);
    twice
        .list_clusters_v2()
        .send()
        .await
        .expect("second attempt answers");
    assert_eq!(moto.calls().count("kafka", "ListClustersV2"), 3);
}

#[tokio::test]
async fn cloudwatch_cbor_throttling_is_retried_and_classified() {
    let moto = MotoServer::dedicated();
    moto.inject_fault("DescribeAlarms", "Throttling", 2);

    let once = aws_sdk_cloudwatch::Client::new(&moto.sdk_config_with_attempts(1).await);
    let err = once.describe_alarms().send().await.expect_err("throttled");
    let err = AwsError::from_sdk("cloudwatch", "DescribeAlarms", "", err);
    assert_eq!(err.kind, ErrorKind::Throttled, "{err}");
    assert_eq!(err.code.as_deref(), Some("Throttling"));

    let twice = aws_sdk_cloudwatch::Client::new(&moto.sdk_config_with_attempts(2).await);
    twice
        .describe_alarms()
        .send()
        .await
        .expect("second attempt answers");
    assert_eq!(moto.calls().count("cloudwatch", "DescribeAlarms"), 3);
}

#[tokio::test]
async fn elasticache_and_autoscaling_query_throttling_is_classified() {
    let moto = MotoServer::dedicated();
    moto.inject_fault("DescribeReplicationGroups", "Throttling", 1);
    moto.inject_fault("DescribeAutoScalingGroups", "Throttling", 1);
    let config = moto.sdk_config_with_attempts(1).await;

    let err = aws_sdk_elasticache::Client::new(&config)
        .describe_replication_groups()
        .send()
        .await
        .expect_err("throttled");
    let err = AwsError::from_sdk("elasticache", "DescribeReplicationGroups", "", err);
    assert_eq!(err.kind, ErrorKind::Throttled, "{err}");

    let err = aws_sdk_autoscaling::Client::new(&config)
        .describe_auto_scaling_groups()
        .send()
        .await
        .expect_err("throttled");
    let err = AwsError::from_sdk("autoscaling", "DescribeAutoScalingGroups", "", err);
    assert_eq!(err.kind, ErrorKind::Throttled, "{err}");

    let calls = moto.calls();
    assert_eq!(calls.count("elasticache", "DescribeReplicationGroups"), 1);
    assert_eq!(calls.count("autoscaling", "DescribeAutoScalingGroups"), 1);
}

#[tokio::test]
async fn cloudwatch_speaks_rpc_v2_cbor() {
    let moto = MotoServer::shared();
    let cw = aws_sdk_cloudwatch::Client::new(&moto.sdk_config().await);
    let alarm = unique("cbor-alarm");
    let instance = unique("cbor-db");
    let dimension = Dimension::builder()
        .name("DBInstanceIdentifier")
        .value(&instance)
        .build();

    cw.put_metric_alarm()
        .alarm_name(&alarm)
        .namespace("AWS/RDS")
        .metric_name("CPUUtilization")
        .dimensions(dimension.clone())
        .statistic(Statistic::Average)
        .period(60)
        .evaluation_periods(3)
        .threshold(80.5)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .expect("put alarm");
    cw.set_alarm_state()
        .alarm_name(&alarm)
        .state_value(StateValue::Alarm)
        .state_reason("test")
        .send()
        .await
        .expect("set alarm state");

    let out = cw
        .describe_alarms()
        .alarm_names(&alarm)
        .send()
        .await
        .expect("describe alarms");
    let [found] = out.metric_alarms() else {
        panic!("one alarm expected: {out:?}");
    };
    assert_eq!(found.state_value(), Some(&StateValue::Alarm));
    assert_eq!(found.threshold(), Some(80.5));
    assert_eq!(found.evaluation_periods(), Some(3));
    assert_eq!(found.dimensions(), std::slice::from_ref(&dimension));
    let updated = found.state_updated_timestamp().expect("timestamp");
    let now = DateTime::from(std::time::SystemTime::now()).secs();
    assert!(
        (updated.secs() - now).abs() < 300,
        "tag-1 timestamp decoded: {updated}"
    );

    // Metric data in, statistics out.
    let at = DateTime::from_secs(now - 120);
    cw.put_metric_data()
        .namespace("AWS/RDS")
        .metric_data(
            MetricDatum::builder()
                .metric_name("CPUUtilization")
                .dimensions(dimension.clone())
                .timestamp(at)
                .value(42.25)
                .unit(StandardUnit::Percent)
                .build(),
        )
        .send()
        .await
        .expect("put metric data");
    let metric = Metric::builder()
        .namespace("AWS/RDS")
        .metric_name("CPUUtilization")
        .dimensions(dimension)
        .build();
    let out = cw
        .get_metric_data()
        .metric_data_queries(
            MetricDataQuery::builder()
                .id("cpu")
                .metric_stat(
                    MetricStat::builder()
                        .metric(metric)
                        .period(60)
                        .stat("Average")
                        .build(),
                )
                .build(),
        )
        .start_time(DateTime::from_secs(now - 600))
        .end_time(DateTime::from_secs(now + 60))
        .send()
        .await
        .expect("get metric data");
    let [result] = out.metric_data_results() else {
        panic!("one result expected: {out:?}");
    };
    assert_eq!(result.id(), Some("cpu"));
    assert_eq!(result.values(), [42.25]);
    assert_eq!(result.timestamps().len(), 1);

    // A modelled error comes back with its code.
    let err = cw
        .set_alarm_state()
        .alarm_name(unique("no-such-alarm"))
        .state_value(StateValue::Ok)
        .state_reason("test")
        .send()
        .await
        .expect_err("unknown alarm");
    assert_eq!(err.code(), Some("ResourceNotFound"), "{err:?}");
}

async fn create_msk_cluster(kafka: &aws_sdk_kafka::Client, name: &str) -> String {
    let brokers = BrokerNodeGroupInfo::builder()
        .instance_type("kafka.m5.large")
        .client_subnets("subnet-a")
        .client_subnets("subnet-b")
        .client_subnets("subnet-c")
        .storage_info(
            StorageInfo::builder()
                .ebs_storage_info(EbsStorageInfo::builder().volume_size(100).build())
                .build(),
        )
        .build();
    let out = kafka
        .create_cluster()
        .cluster_name(name)
        .kafka_version("3.6.0")
        .number_of_broker_nodes(3)
        .broker_node_group_info(brokers)
        .send()
        .await
        .expect("create MSK cluster");
    out.cluster_arn().expect("cluster ARN").to_owned()
}

async fn current_version(kafka: &aws_sdk_kafka::Client, arn: &str) -> String {
    let out = kafka
        .describe_cluster()
        .cluster_arn(arn)
        .send()
        .await
        .expect("describe");
    let info = out.cluster_info().expect("cluster info");
    info.current_version().expect("current version").to_owned()
}

#[tokio::test]
async fn msk_broker_updates_check_the_version_and_take_effect() {
    let moto = MotoServer::shared();
    let kafka = aws_sdk_kafka::Client::new(&moto.sdk_config().await);
    let arn = create_msk_cluster(&kafka, &unique("msk")).await;

    // ACTIVE at once, and creationTime parses (it carries a UTC offset).
    let out = kafka
        .describe_cluster_v2()
        .cluster_arn(&arn)
        .send()
        .await
        .expect("describe v2");
    let info = out.cluster_info().expect("cluster info");
    assert_eq!(info.state().map(|s| s.as_str()), Some("ACTIVE"));
    assert!(info.creation_time().is_some());

    let v1 = current_version(&kafka, &arn).await;
    let done = kafka
        .update_broker_count()
        .cluster_arn(&arn)
        .current_version(&v1)
        .target_number_of_broker_nodes(6)
        .send()
        .await
        .expect("update broker count");
    assert_eq!(done.cluster_arn(), Some(arn.as_str()));
    assert!(done.cluster_operation_arn().is_some());

    // The old version is stale now, as on MSK.
    let err = kafka
        .update_broker_type()
        .cluster_arn(&arn)
        .current_version(&v1)
        .target_instance_type("kafka.m5.xlarge")
        .send()
        .await
        .expect_err("stale version");
    assert_eq!(err.code(), Some("BadRequestException"), "{err:?}");

    let v2 = current_version(&kafka, &arn).await;
    assert_ne!(v1, v2);
    kafka
        .update_broker_storage()
        .cluster_arn(&arn)
        .current_version(&v2)
        .target_broker_ebs_volume_info(
            BrokerEbsVolumeInfo::builder()
                .kafka_broker_node_id("ALL")
                .volume_size_gb(200)
                .build(),
        )
        .send()
        .await
        .expect("update broker storage");
    let v3 = current_version(&kafka, &arn).await;
    kafka
        .update_broker_type()
        .cluster_arn(&arn)
        .current_version(&v3)
        .target_instance_type("kafka.m5.xlarge")
        .send()
        .await
        .expect("update broker type");

    let out = kafka
        .describe_cluster()
        .cluster_arn(&arn)
        .send()
        .await
        .expect("describe");
    let info = out.cluster_info().expect("cluster info");
    assert_eq!(info.number_of_broker_nodes(), Some(6));
    let brokers = info.broker_node_group_info().expect("broker node group");
    assert_eq!(brokers.instance_type(), Some("kafka.m5.xlarge"));
    let volume = brokers
        .storage_info()
        .and_then(|s| s.ebs_storage_info())
        .and_then(|e| e.volume_size());
    assert_eq!(volume, Some(200));

    let ops = kafka
        .list_cluster_operations()
        .cluster_arn(&arn)
        .send()
        .await
        .expect("operations");
    let kinds: Vec<_> = ops
        .cluster_operation_info_list()
        .iter()
        .filter_map(|op| op.operation_type())
        .collect();
    assert_eq!(
        kinds,
        [
            "UPDATE_BROKER_TYPE",
            "UPDATE_BROKER_STORAGE",
            "INCREASE_BROKER_COUNT"
        ]
    );

    // Not ACTIVE: refused, as MSK does.
    moto.set_msk_state(&arn, "UPDATING");
    let v4 = current_version(&kafka, &arn).await;
    let err = kafka
        .update_broker_count()
        .cluster_arn(&arn)
        .current_version(&v4)
        .target_number_of_broker_nodes(9)
        .send()
        .await
        .expect_err("cluster is UPDATING");
    assert_eq!(err.code(), Some("BadRequestException"), "{err:?}");
}

/// Replicas per node group, in node group order.
async fn replicas(ec: &aws_sdk_elasticache::Client, id: &str) -> (Vec<usize>, usize) {
    let out = ec
        .describe_replication_groups()
        .replication_group_id(id)
        .send()
        .await
        .expect("describe replication group");
    let group = &out.replication_groups()[0];
    let per_group = group
        .node_groups()
        .iter()
        .map(|ng| ng.node_group_members().len() - 1)
        .collect();
    (per_group, group.member_clusters().len())
}

#[tokio::test]
async fn elasticache_replica_and_shard_changes_take_effect() {
    let moto = MotoServer::shared();
    let ec = aws_sdk_elasticache::Client::new(&moto.sdk_config().await);
    let id = unique("redis");
    ec.create_replication_group()
        .replication_group_id(&id)
        .replication_group_description("test")
        .engine("redis")
        .cache_node_type("cache.r6g.large")
        .cluster_mode(ClusterMode::Enabled)
        .num_node_groups(2)
        .replicas_per_node_group(1)
        .automatic_failover_enabled(true)
        .send()
        .await
        .expect("create replication group");
    assert_eq!(replicas(&ec, &id).await, (vec![1, 1], 4));

    ec.increase_replica_count()
        .replication_group_id(&id)
        .new_replica_count(2)
        .apply_immediately(true)
        .send()
        .await
        .expect("increase replicas");
    assert_eq!(replicas(&ec, &id).await, (vec![2, 2], 6));

    ec.decrease_replica_count()
        .replication_group_id(&id)
        .new_replica_count(1)
        .apply_immediately(true)
        .send()
        .await
        .expect("decrease replicas");
    assert_eq!(replicas(&ec, &id).await, (vec![1, 1], 4));

    let err = ec
        .decrease_replica_count()
        .replication_group_id(&id)
        .new_replica_count(1)
        .apply_immediately(true)
        .send()
        .await
        .expect_err("nothing to do");
    assert_eq!(err.code(), Some("NoOperationFault"), "{err:?}");

    ec.modify_replication_group_shard_configuration()
        .replication_group_id(&id)
        .node_group_count(3)
        .apply_immediately(true)
        .send()
        .await
        .expect("add a shard");
    assert_eq!(replicas(&ec, &id).await, (vec![1, 1, 1], 6));

    let err = ec
        .modify_replication_group_shard_configuration()
        .replication_group_id(&id)
        .node_group_count(2)
        .apply_immediately(true)
        .send()
        .await
        .expect_err("AWS wants to know which shard goes");
    assert_eq!(err.code(), Some("InvalidParameterValue"), "{err:?}");

    let out = ec
        .modify_replication_group_shard_configuration()
        .replication_group_id(&id)
        .node_group_count(2)
        .apply_immediately(true)
        .node_groups_to_remove("0002")
        .send()
        .await
        .expect("remove a shard");
    let group = out.replication_group().expect("replication group");
    let shards: Vec<_> = group
        .node_groups()
        .iter()
        .map(|ng| (ng.node_group_id().unwrap_or(""), ng.slots().unwrap_or("")))
        .collect();
    assert_eq!(shards, [("0001", "0-8191"), ("0003", "8192-16383")]);
    assert_eq!(replicas(&ec, &id).await, (vec![1, 1], 4));
}

#[tokio::test]
async fn elasticache_replicas_without_cluster_mode() {
    let moto = MotoServer::shared();
    let ec = aws_sdk_elasticache::Client::new(&moto.sdk_config().await);
    let id = unique("redis-single");
    ec.create_replication_group()
        .replication_group_id(&id)
        .replication_group_description("test")
        .engine("redis")
        .cache_node_type("cache.t4g.small")
        .num_cache_clusters(2)
        .send()
        .await
        .expect("create replication group");
    assert_eq!(replicas(&ec, &id).await, (vec![1], 2));

    ec.increase_replica_count()
        .replication_group_id(&id)
        .new_replica_count(3)
        .apply_immediately(true)
        .send()
        .await
        .expect("increase replicas");
    assert_eq!(replicas(&ec, &id).await, (vec![3], 4));

    ec.decrease_replica_count()
        .replication_group_id(&id)
        .new_replica_count(0)
        .apply_immediately(true)
        .send()
        .await
        .expect("decrease replicas");
    assert_eq!(replicas(&ec, &id).await, (vec![0], 1));
}

#[tokio::test]
async fn rds_modify_of_a_missing_cluster_is_not_found() {
    let moto = MotoServer::shared();
    let rds = aws_sdk_rds::Client::new(&moto.sdk_config().await);
    let err = rds
        .modify_db_cluster()
        .db_cluster_identifier(unique("no-such-cluster"))
        .apply_immediately(true)
        .send()
        .await
        .expect_err("no such cluster");
    assert_eq!(err.code(), Some("DBClusterNotFoundFault"), "{err:?}");
}
