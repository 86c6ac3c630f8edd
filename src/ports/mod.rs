//! One trait per AWS service the engine touches, in domain words, returning
//! domain structs (never SDK types). Adapters on the AWS SDK live in
//! [`crate::aws`]; stateful fakes for tests in `crate::fake` (feature
//! `test-util`). Every describe paginates inside the adapter and returns the
//! whole account/region: observe filters by selector, so each service is
//! listed once per run, however many resources the policy names (the
//! second look under the leases reads DB instances by identifier).

mod error;
pub use error::{AwsError, ErrorKind, classify_code};

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::policy::SpotMix;
use crate::signals::AlarmState;

/// Tags as key → value.
pub type Tags = BTreeMap<String, String>;

/// What one describe read: the resources it could map whole, and one line
/// for each it listed but could not read (a field every such resource has
/// is missing, a value is out of range). One bad resource is one resource:
/// it is reported, and the rest are used. Reads as a slice of the good ones.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing<T> {
    /// The resources read whole.
    pub items: Vec<T>,
    /// The resources that could not be read.
    pub unreadable: Vec<Unreadable>,
}

/// A listed resource that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// Its identifier (name, id or ARN) as far as the answer says; empty
    /// when it says none.
    pub id: String,
    /// What was wrong, with the call it came from.
    pub why: String,
}

impl<T> Listing<T> {
    /// A listing where every resource was read.
    pub fn whole(items: Vec<T>) -> Self {
        Listing {
            items,
            unreadable: Vec::new(),
        }
    }
}

impl<T> Default for Listing<T> {
    fn default() -> Self {
        Listing::whole(Vec::new())
    }
}

impl<T> std::ops::Deref for Listing<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.items
    }
}

impl<T> IntoIterator for Listing<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// An RDS DB instance (also the members of Aurora clusters).
#[derive(Debug, Clone, PartialEq)]
pub struct DbInstance {
    /// DBInstanceIdentifier.
    pub id: String,
    /// ARN.
    pub arn: String,
    /// DBInstanceClass, e.g. `db.r6g.large` (`db.serverless` for Serverless v2).
    pub class: String,
    /// Engine, e.g. `postgres`, `aurora-mysql`.
    pub engine: String,
    /// DBInstanceStatus as AWS spells it (`available`, `modifying`, `stopped`, ...).
    pub status: String,
    /// Multi-AZ deployment.
    pub multi_az: bool,
    /// PendingModifiedValues is not empty.
    pub pending_modifications: bool,
    /// AllocatedStorage, GiB.
    pub allocated_gib: u32,
    /// MaxAllocatedStorage (storage autoscaling ceiling), GiB.
    pub max_allocated_gib: Option<u32>,
    /// StorageType (`gp2`, `gp3`, `io1`, `io2`, `standard`); empty when AWS
    /// leaves it out.
    pub storage_type: String,
    /// Provisioned IOPS (io1, io2, gp3 at 400 GiB and above).
    pub iops: Option<u32>,
    /// StorageThroughput, MiBps (gp3).
    pub storage_throughput: Option<u32>,
    /// The Aurora cluster it belongs to.
    pub cluster: Option<String>,
    /// InstanceCreateTime.
    pub created: Option<DateTime<Utc>>,
    /// TagList.
    pub tags: Tags,
}

/// An Aurora DB cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct DbCluster {
    /// DBClusterIdentifier.
    pub id: String,
    /// ARN.
    pub arn: String,
    /// Engine (`aurora-mysql`, `aurora-postgresql`).
    pub engine: String,
    /// Status as AWS spells it.
    pub status: String,
    /// Members and their roles.
    pub members: Vec<ClusterMember>,
    /// ServerlessV2ScalingConfiguration (min, max ACU), when set.
    pub serverless_v2: Option<(f64, f64)>,
    /// PendingModifiedValues is not empty.
    pub pending_modifications: bool,
    /// TagList.
    pub tags: Tags,
}

/// One instance of an Aurora cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterMember {
    /// DBInstanceIdentifier.
    pub instance_id: String,
    /// The writer (IsClusterWriter true).
    pub is_writer: bool,
    /// A reader (IsClusterWriter false). A member whose flag AWS did not
    /// report is neither: it might be the writer, so it is never counted
    /// or deleted as a reader.
    pub is_reader: bool,
}

/// RDS and Aurora.
#[async_trait]
pub trait RdsPort: Send + Sync {
    /// Every DB instance (DescribeDBInstances, paginated).
    async fn db_instances(&self) -> Result<Listing<DbInstance>, AwsError>;
    /// The DB instances named `ids` (by identifier), for the second look
    /// under the leases, which re-reads only what it may change; an id not
    /// found is absent. By default the whole listing, filtered here.
    async fn db_instances_named(&self, ids: &[String]) -> Result<Listing<DbInstance>, AwsError> {
        let mut listing = self.db_instances().await?;
        listing.items.retain(|i| ids.contains(&i.id));
        listing.unreadable.retain(|u| {
            ids.iter()
                .any(|id| u.id == *id || u.id.ends_with(&format!(":{id}")))
        });
        Ok(listing)
    }
    /// Every DB cluster (DescribeDBClusters, paginated).
    async fn db_clusters(&self) -> Result<Listing<DbCluster>, AwsError>;
    /// ModifyDBInstance DBInstanceClass.
    async fn modify_instance_class(
        &self,
        id: &str,
        class: &str,
        apply_immediately: bool,
    ) -> Result<(), AwsError>;
    /// ModifyDBInstance MaxAllocatedStorage (the storage ceiling).
    async fn modify_storage_ceiling(&self, id: &str, max_gib: u32) -> Result<(), AwsError>;
    /// StopDBInstance.
    async fn stop_instance(&self, id: &str) -> Result<(), AwsError>;
    /// StartDBInstance.
    async fn start_instance(&self, id: &str) -> Result<(), AwsError>;
    /// StopDBCluster.
    async fn stop_cluster(&self, cluster: &str) -> Result<(), AwsError>;
    /// StartDBCluster.
    async fn start_cluster(&self, cluster: &str) -> Result<(), AwsError>;
    /// ModifyDBCluster ServerlessV2ScalingConfiguration; with a minimum of 0
    /// ACU, `seconds_until_auto_pause` goes with it.
    async fn modify_serverless_capacity(
        &self,
        cluster: &str,
        min_acu: f64,
        max_acu: f64,
        seconds_until_auto_pause: Option<u32>,
    ) -> Result<(), AwsError>;
    /// The Serverless v2 capacity limits (lowest minimum, highest maximum
    /// ACU) of the cluster's engine version: DescribeDBEngineVersions'
    /// ServerlessV2FeaturesSupport. None when AWS does not say.
    async fn serverless_v2_limits(&self, _cluster: &str) -> Result<Option<(f64, f64)>, AwsError> {
        Ok(None)
    }
    /// CreateDBInstance into a cluster (a reader).
    async fn create_cluster_instance(
        &self,
        cluster: &str,
        id: &str,
        class: &str,
        engine: &str,
    ) -> Result<(), AwsError>;
    /// DeleteDBInstance (skip final snapshot: cluster members have none).
    async fn delete_instance(&self, id: &str) -> Result<(), AwsError>;
    /// FailoverDBCluster to `target` instance.
    async fn failover_cluster(&self, cluster: &str, target: &str) -> Result<(), AwsError>;
}

/// An ElastiCache replication group (Redis OSS / Valkey).
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicationGroup {
    /// ReplicationGroupId.
    pub id: String,
    /// ARN.
    pub arn: String,
    /// Status as AWS spells it.
    pub status: String,
    /// CacheNodeType.
    pub node_type: String,
    /// Number of node groups (shards).
    pub shards: u32,
    /// Replicas per shard (members of the first node group minus its primary).
    pub replicas: u32,
    /// Cluster mode enabled.
    pub cluster_mode: bool,
    /// Multi-AZ enabled.
    pub multi_az: bool,
    /// PendingModifiedValues is not empty.
    pub pending_modifications: bool,
    /// Engine (`redis`, `valkey`).
    pub engine: String,
    /// MemberClusters: the cache cluster ids of the group's nodes (e.g.
    /// `sessions-redis-0001-001`), under which CloudWatch publishes node
    /// metrics (`CacheClusterId`).
    pub member_clusters: Vec<String>,
}

/// The node types a replication group may move to, as
/// ListAllowedNodeTypeModifications answers ("the value of the CacheNodeType
/// parameter must be one of the node types returned by this operation",
/// ElastiCache API Reference,
/// <https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_ListAllowedNodeTypeModifications.html>).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedNodeTypes {
    /// ScaleUpModifications: larger node types.
    pub scale_up: Vec<String>,
    /// ScaleDownModifications: smaller node types.
    pub scale_down: Vec<String>,
}

/// ElastiCache.
#[async_trait]
pub trait ElastiCachePort: Send + Sync {
    /// Every replication group (DescribeReplicationGroups, paginated).
    async fn replication_groups(&self) -> Result<Listing<ReplicationGroup>, AwsError>;
    /// Tags of one resource (ListTagsForResource); only called for tag
    /// selectors, as DescribeReplicationGroups carries no tags.
    async fn tags(&self, arn: &str) -> Result<Tags, AwsError>;
    /// The node types the group may move to (ListAllowedNodeTypeModifications).
    /// None when AWS does not say (the operation is not available): then
    /// ModifyReplicationGroup itself judges the change.
    async fn allowed_node_types(&self, _group: &str) -> Result<Option<AllowedNodeTypes>, AwsError> {
        Ok(None)
    }
    /// ModifyReplicationGroup CacheNodeType, ApplyImmediately.
    async fn modify_node_type(&self, group: &str, node_type: &str) -> Result<(), AwsError>;
    /// ModifyReplicationGroupShardConfiguration NodeGroupCount (removing the
    /// last node groups when shrinking).
    async fn modify_shard_count(&self, group: &str, shards: u32) -> Result<(), AwsError>;
    /// IncreaseReplicaCount / DecreaseReplicaCount NewReplicaCount.
    async fn modify_replica_count(&self, group: &str, from: u32, to: u32) -> Result<(), AwsError>;
}

/// An Amazon MSK provisioned cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct KafkaCluster {
    /// ClusterName.
    pub name: String,
    /// ClusterArn.
    pub arn: String,
    /// State (`ACTIVE`, `UPDATING`, `CREATING`, ...).
    pub state: String,
    /// CurrentVersion (required by every update).
    pub current_version: String,
    /// NumberOfBrokerNodes.
    pub brokers: u32,
    /// BrokerNodeGroupInfo.InstanceType.
    pub broker_type: String,
    /// EBS volume size per broker, GiB; None for Express brokers, whose
    /// storage AWS manages (no EBS volume info, no storage knob).
    pub storage_gib: Option<u32>,
    /// Number of client subnets (one per AZ).
    pub az_count: u32,
    /// Tags.
    pub tags: Tags,
}

/// Amazon MSK.
#[async_trait]
pub trait KafkaPort: Send + Sync {
    /// Every provisioned cluster (ListClustersV2, paginated).
    async fn clusters(&self) -> Result<Listing<KafkaCluster>, AwsError>;
    /// UpdateBrokerCount.
    async fn update_broker_count(
        &self,
        arn: &str,
        current_version: &str,
        brokers: u32,
    ) -> Result<(), AwsError>;
    /// UpdateBrokerType.
    async fn update_broker_type(
        &self,
        arn: &str,
        current_version: &str,
        broker_type: &str,
    ) -> Result<(), AwsError>;
    /// UpdateBrokerStorage (all brokers).
    async fn update_broker_storage(
        &self,
        arn: &str,
        current_version: &str,
        gib: u32,
    ) -> Result<(), AwsError>;
}

/// An EC2 Auto Scaling group.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoScalingGroup {
    /// AutoScalingGroupName.
    pub name: String,
    /// ARN.
    pub arn: String,
    /// MinSize.
    pub min: u32,
    /// MaxSize.
    pub max: u32,
    /// DesiredCapacity.
    pub desired: u32,
    /// Status (set while the group is being deleted); None when healthy.
    pub status: Option<String>,
    /// MixedInstancesPolicy instances distribution and overrides, if any.
    pub mix: Option<SpotMix>,
    /// Tags.
    pub tags: Tags,
}

/// EC2 Auto Scaling.
#[async_trait]
pub trait AutoScalingPort: Send + Sync {
    /// Every group (DescribeAutoScalingGroups, paginated).
    async fn groups(&self) -> Result<Listing<AutoScalingGroup>, AwsError>;
    /// UpdateAutoScalingGroup MinSize, MaxSize, DesiredCapacity.
    async fn set_capacity(
        &self,
        name: &str,
        min: u32,
        max: u32,
        desired: u32,
    ) -> Result<(), AwsError>;
    /// UpdateAutoScalingGroup MixedInstancesPolicy (instances distribution
    /// and instance-type overrides; the launch template is kept).
    async fn set_spot_mix(&self, name: &str, mix: &SpotMix) -> Result<(), AwsError>;
    /// The group an EC2 instance belongs to (DescribeAutoScalingInstances);
    /// None when it belongs to none (an unknown instance is not an error).
    async fn group_of_instance(&self, instance_id: &str) -> Result<Option<String>, AwsError>;
    /// StartInstanceRefresh with `min_healthy_percent` of the capacity kept
    /// in service; the refresh's id. A refresh already in progress is an
    /// error with code `InstanceRefreshInProgress`.
    async fn start_instance_refresh(
        &self,
        name: &str,
        min_healthy_percent: u32,
    ) -> Result<String, AwsError>;
}

/// The CloudWatch dimensions one series is published under: (name, value)
/// pairs, e.g. `[("Cluster Name", "events"), ("Broker ID", "1")]`.
pub type Dimensions = Vec<(String, String)>;

/// One metric to read for one resource.
///
/// A resource's metric may be published under several dimension sets, its
/// *sources*: an RDS instance or an Auto Scaling group has one, an MSK
/// cluster's broker metrics have one per broker (`Cluster Name`, `Broker
/// ID`), an ElastiCache replication group's node metrics one per member
/// cluster (`CacheClusterId`). The series read is the **maximum across
/// sources, period by period**. Max is right in both directions a rule can
/// look: an "above" rule fires when any broker or node is hot (the hottest
/// one is where the resource runs out first), and a "below" rule fires only
/// when the maximum is low, that is when every broker or node is cool, so
/// a scale-down never starves the busiest one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MetricQuery {
    /// The AWS identifier the value belongs to (key in `Signals`).
    pub identifier: String,
    /// CloudWatch namespace, e.g. `AWS/RDS`.
    pub namespace: String,
    /// Metric name.
    pub metric: String,
    /// One dimension set per place the metric is published for this
    /// resource (at least one; a query with none reads nothing). The series
    /// is the maximum across them per period.
    pub sources: Vec<Dimensions>,
    /// Statistic, e.g. `Average`.
    pub statistic: String,
    /// Period in seconds.
    pub period_secs: u32,
}

/// An alarm's state as DescribeAlarms reads it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlarmReading {
    /// The state.
    pub state: AlarmState,
    /// When the alarm entered it, when known.
    pub since: Option<DateTime<Utc>>,
}

/// CloudWatch.
#[async_trait]
pub trait CloudWatchPort: Send + Sync {
    /// States of the named alarms (DescribeAlarms, batched by 100). Alarms
    /// that do not exist are absent from the result.
    async fn alarm_states(
        &self,
        names: &[String],
    ) -> Result<BTreeMap<String, AlarmState>, AwsError>;
    /// As [`CloudWatchPort::alarm_states`], with when each alarm entered its
    /// state (`StateUpdatedTimestamp`), so an event's older news can be told
    /// from the current state. Ports that cannot say when give None.
    async fn alarm_readings(
        &self,
        names: &[String],
    ) -> Result<BTreeMap<String, AlarmReading>, AwsError> {
        Ok(self
            .alarm_states(names)
            .await?
            .into_iter()
            .map(|(name, state)| (name, AlarmReading { state, since: None }))
            .collect())
    }
    /// The datapoints of each query over the `lookback` before `now`, one
    /// per period, oldest first (newest last), keyed by (identifier, metric)
    /// (GetMetricData, one metric query per source, batched by 500,
    /// paginated). A query with several sources yields, per period, the
    /// maximum of the sources that have a datapoint in it. Queries without
    /// data are absent.
    async fn recent_values(
        &self,
        queries: &[MetricQuery],
        now: DateTime<Utc>,
        lookback: chrono::TimeDelta,
    ) -> Result<BTreeMap<(String, String), Vec<f64>>, AwsError>;
    /// The timestamped datapoints of each query from `start` up to `end`,
    /// oldest first, keyed by (identifier, metric), folded across sources
    /// as [`CloudWatchPort::recent_values`] does (GetMetricData, batched by
    /// 500, paginated). For history a caller keeps (`tidegate record`, a
    /// forecaster's training window): the times say where data is missing.
    /// Queries without data are absent. Ports that keep no history refuse.
    async fn history(
        &self,
        queries: &[MetricQuery],
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<History, AwsError> {
        let _ = (queries, start, end);
        Err(AwsError {
            service: "cloudwatch",
            operation: "GetMetricData",
            resource: String::new(),
            kind: crate::ports::ErrorKind::Other,
            code: None,
            message: "this CloudWatch port keeps no metric history".to_owned(),
        })
    }
}

/// Metric history: per (identifier, metric), (time, value) oldest first.
pub type History = BTreeMap<(String, String), Vec<(DateTime<Utc>, f64)>>;

/// SNS: notices for the people who run the estate.
#[async_trait]
pub trait NotifyPort: Send + Sync {
    /// Publishes one message (`subject` for an inbox, `message` the body).
    async fn publish(&self, subject: &str, message: &str) -> Result<(), AwsError>;

    /// Publishes a notice with its routing attributes (`category`,
    /// `severity`, `kind`); a port that has no attributes sends subject and
    /// message only.
    async fn publish_notice(&self, notice: &crate::notify::Notice) -> Result<(), AwsError> {
        self.publish(&notice.subject, &notice.message()).await
    }
}

/// Cost Explorer: what the account has spent.
#[async_trait]
pub trait CostPort: Send + Sync {
    /// Unblended cost in USD of the UTC days from `start` up to (not
    /// including) `end` (GetCostAndUsage, daily, summed over pages).
    async fn spend_usd(
        &self,
        start: chrono::NaiveDate,
        end: chrono::NaiveDate,
    ) -> Result<f64, AwsError>;

    /// Unblended cost of each UTC day from `start` up to (not including)
    /// `end`, in total and per service, oldest first (GetCostAndUsage,
    /// daily, grouped by the SERVICE dimension, summed over pages). A
    /// source that cannot break spend down answers [`not_available`].
    async fn daily_spend(
        &self,
        start: chrono::NaiveDate,
        end: chrono::NaiveDate,
    ) -> Result<Vec<crate::budget::anomaly::DaySpend>, AwsError> {
        let _ = (start, end);
        Err(not_available("GetCostAndUsage"))
    }

    /// AWS Cost Anomaly Detection's anomalies detected from `start` to
    /// `end` (GetAnomalies, every page); empty when the account has no
    /// monitor. A source without them answers [`not_available`].
    async fn cost_anomalies(
        &self,
        start: chrono::NaiveDate,
        end: chrono::NaiveDate,
    ) -> Result<Vec<CostAnomaly>, AwsError> {
        let _ = (start, end);
        Err(not_available("GetAnomalies"))
    }
}

/// The answer of a [`CostPort`] that does not serve `operation`.
pub fn not_available(operation: &'static str) -> AwsError {
    AwsError {
        service: "ce",
        operation,
        resource: String::new(),
        kind: crate::ports::ErrorKind::Other,
        code: Some(NOT_AVAILABLE.to_owned()),
        message: "this cost source does not serve it".to_owned(),
    }
}

/// The error code of [`not_available`].
pub const NOT_AVAILABLE: &str = "NotAvailable";

/// One anomaly found by AWS Cost Anomaly Detection (GetAnomalies).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CostAnomaly {
    /// Its AnomalyId.
    pub id: String,
    /// The first day it was detected, when AWS says.
    pub start: Option<chrono::NaiveDate>,
    /// Its last day; None while it goes on.
    pub end: Option<chrono::NaiveDate>,
    /// Spend over what AWS expected, USD, over its days.
    pub total_impact_usd: f64,
    /// That as a percent of the expected spend, when AWS says.
    pub total_impact_percent: Option<f64>,
    /// The services AWS names as its root causes, without repeats.
    pub services: Vec<String>,
}

/// S3: where Terraform puts the shared policy file.
#[async_trait]
pub trait PolicyStorePort: Send + Sync {
    /// The text of the object `key` in `bucket` (GetObject), UTF-8.
    async fn read(&self, bucket: &str, key: &str) -> Result<String, AwsError>;
}

/// The Price List Query API: AWS's own list prices.
#[async_trait]
pub trait PricingPort: Send + Sync {
    /// The on-demand list price of each of `keys` in `region` (GetProducts,
    /// every page), and why there is none for the others.
    async fn quotes(
        &self,
        region: &str,
        keys: &[crate::pricing::PriceKey],
    ) -> Result<crate::pricing::PriceListAnswer, AwsError>;
}
