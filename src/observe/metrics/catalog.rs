//! The metric names each kind's CloudWatch namespace publishes, so policy
//! validation can refuse a rule on a metric AWS never emits (a rule on
//! `CPUUtilisation` would otherwise validate and never fire).
//!
//! The namespaces are [`super::queries`]'s (the one table of where each
//! kind's metrics live); the names come from AWS's metric references, cited
//! per list. The lists name the metrics AWS publishes by default or on an
//! opt-in level (MSK `PER_BROKER`, Performance Insights counters); a name
//! missing here is refused, so a list errs on the side of completeness.

use super::queries::{MSK_CLUSTER_METRICS, namespace};
use crate::policy::ResourceKind;

/// Instance metrics of `AWS/RDS`.
/// Source: Amazon RDS User Guide, "Amazon CloudWatch metrics for Amazon RDS"
/// (<https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-metrics.html>),
/// instance-level metrics and the Performance Insights counters published to
/// `AWS/RDS` (`DBLoad*`).
const RDS: &[&str] = &[
    "BinLogDiskUsage",
    "BurstBalance",
    "CheckpointLag",
    "ConnectionAttempts",
    "CPUCreditBalance",
    "CPUCreditUsage",
    "CPUSurplusCreditBalance",
    "CPUSurplusCreditsCharged",
    "CPUUtilization",
    "DatabaseConnections",
    "DBLoad",
    "DBLoadCPU",
    "DBLoadNonCPU",
    "DBLoadRelativeToNumVCPUs",
    "DiskQueueDepth",
    "DiskQueueDepthLogVolume",
    "EBSByteBalance%",
    "EBSIOBalance%",
    "FailedSQLServerAgentJobsCount",
    "FreeableMemory",
    "FreeLocalStorage",
    "FreeLocalStoragePercent",
    "FreeStorageSpace",
    "FreeStorageSpaceLogVolume",
    "MaximumUsedTransactionIDs",
    "NetworkReceiveThroughput",
    "NetworkTransmitThroughput",
    "OldestLogicalReplicationSlotLag",
    "OldestReplicationSlotLag",
    "ReadIOPS",
    "ReadIOPSLocalStorage",
    "ReadIOPSLogVolume",
    "ReadLatency",
    "ReadLatencyLocalStorage",
    "ReadLatencyLogVolume",
    "ReadThroughput",
    "ReadThroughputLocalStorage",
    "ReadThroughputLogVolume",
    "ReplicaLag",
    "ReplicationChannelLag",
    "ReplicationSlotDiskUsage",
    "SwapUsage",
    "TransactionLogsDiskUsage",
    "TransactionLogsGeneration",
    "WriteIOPS",
    "WriteIOPSLocalStorage",
    "WriteIOPSLogVolume",
    "WriteLatency",
    "WriteLatencyLocalStorage",
    "WriteLatencyLogVolume",
    "WriteThroughput",
    "WriteThroughputLocalStorage",
    "WriteThroughputLogVolume",
];

/// Cluster metrics of `AWS/RDS` for Aurora, read by `DBClusterIdentifier`.
/// Source: Amazon Aurora User Guide, "Amazon CloudWatch metrics for Amazon
/// Aurora"
/// (<https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.AuroraMonitoring.Metrics.html>):
/// cluster-level metrics (incl. Serverless v2 `ServerlessDatabaseCapacity`
/// and `ACUUtilization`) and the instance-level metrics CloudWatch also
/// aggregates per cluster.
const AURORA: &[&str] = &[
    "AbortedClients",
    "ACUUtilization",
    "ActiveTransactions",
    "AuroraBinlogReplicaLag",
    "AuroraEstimatedSharedMemoryBytes",
    "AuroraGlobalDBDataTransferBytes",
    "AuroraGlobalDBProgressLag",
    "AuroraGlobalDBReplicatedWriteIO",
    "AuroraGlobalDBReplicationLag",
    "AuroraGlobalDBRPOLag",
    "AuroraReplicaLag",
    "AuroraReplicaLagMaximum",
    "AuroraReplicaLagMinimum",
    "AuroraVolumeBytesLeftTotal",
    "BacktrackChangeRecordsCreationRate",
    "BacktrackChangeRecordsStored",
    "BacktrackWindowActual",
    "BacktrackWindowAlert",
    "BackupRetentionPeriodStorageUsed",
    "BlockedTransactions",
    "BufferCacheHitRatio",
    "CommitLatency",
    "CommitThroughput",
    "ConnectionAttempts",
    "CPUCreditBalance",
    "CPUCreditUsage",
    "CPUUtilization",
    "DatabaseConnections",
    "DBLoad",
    "DBLoadCPU",
    "DBLoadNonCPU",
    "DBLoadRelativeToNumVCPUs",
    "DDLLatency",
    "DDLThroughput",
    "Deadlocks",
    "DeleteLatency",
    "DeleteThroughput",
    "DiskQueueDepth",
    "DMLLatency",
    "DMLThroughput",
    "EngineUptime",
    "FreeableMemory",
    "FreeLocalStorage",
    "InsertLatency",
    "InsertThroughput",
    "LoginFailures",
    "MaximumUsedTransactionIDs",
    "NetworkReceiveThroughput",
    "NetworkThroughput",
    "NetworkTransmitThroughput",
    "NumBinaryLogFiles",
    "Queries",
    "ReadIOPS",
    "ReadLatency",
    "ReadThroughput",
    "ReplicationSlotDiskUsage",
    "ResultSetCacheHitRatio",
    "RollbackSegmentHistoryListLength",
    "RowLockTime",
    "SelectLatency",
    "SelectThroughput",
    "ServerlessDatabaseCapacity",
    "SnapshotStorageUsed",
    "StorageNetworkReceiveThroughput",
    "StorageNetworkThroughput",
    "StorageNetworkTransmitThroughput",
    "SumBinaryLogSize",
    "SwapUsage",
    "TempStorageIOPS",
    "TempStorageThroughput",
    "TotalBackupStorageBilled",
    "TransactionLogsDiskUsage",
    "UpdateLatency",
    "UpdateThroughput",
    "VolumeBytesUsed",
    "VolumeReadIOPs",
    "VolumeWriteIOPs",
    "WriteIOPS",
    "WriteLatency",
    "WriteThroughput",
];

/// Broker metrics of `AWS/Kafka` (the cluster-level ones are
/// [`MSK_CLUSTER_METRICS`]). Source: Amazon MSK Developer Guide, "Metrics
/// for monitoring Standard brokers with CloudWatch"
/// (<https://docs.aws.amazon.com/msk/latest/developerguide/metrics-details.html>),
/// `DEFAULT` and `PER_BROKER` levels.
const MSK_BROKER: &[&str] = &[
    "BurstBalance",
    "BwInAllowanceExceeded",
    "BwOutAllowanceExceeded",
    "BytesInPerSec",
    "BytesOutPerSec",
    "ClientConnectionCount",
    "ConnectionCloseRate",
    "ConnectionCount",
    "ConnectionCreationRate",
    "ConnTrackAllowanceExceeded",
    "CPUCreditBalance",
    "CpuCreditUsage",
    "CpuIdle",
    "CpuIoWait",
    "CpuSystem",
    "CpuUser",
    "EstimatedMaxTimeLag",
    "FetchConsumerLocalTimeMsMean",
    "FetchConsumerRequestQueueTimeMsMean",
    "FetchConsumerResponseQueueTimeMsMean",
    "FetchConsumerResponseSendTimeMsMean",
    "FetchConsumerTotalTimeMsMean",
    "FetchFollowerLocalTimeMsMean",
    "FetchFollowerRequestQueueTimeMsMean",
    "FetchFollowerResponseQueueTimeMsMean",
    "FetchFollowerResponseSendTimeMsMean",
    "FetchFollowerTotalTimeMsMean",
    "FetchMessageConversionsPerSec",
    "FetchThrottleByteRate",
    "FetchThrottleQueueSize",
    "FetchThrottleTime",
    "HeapMemoryAfterGC",
    "KafkaAppLogsDiskUsed",
    "KafkaDataLogsDiskUsed",
    "LeaderCount",
    "MaxOffsetLag",
    "MemoryBuffered",
    "MemoryCached",
    "MemoryFree",
    "MemoryUsed",
    "MessagesInPerSec",
    "NetworkProcessorAvgIdlePercent",
    "NetworkRxDropped",
    "NetworkRxErrors",
    "NetworkRxPackets",
    "NetworkTxDropped",
    "NetworkTxErrors",
    "NetworkTxPackets",
    "PartitionCount",
    "PpsAllowanceExceeded",
    "ProduceLocalTimeMsMean",
    "ProduceMessageConversionsPerSec",
    "ProduceMessageConversionsTimeMsMean",
    "ProduceRequestQueueTimeMsMean",
    "ProduceResponseQueueTimeMsMean",
    "ProduceResponseSendTimeMsMean",
    "ProduceThrottleByteRate",
    "ProduceThrottleQueueSize",
    "ProduceThrottleTime",
    "ProduceTotalTimeMsMean",
    "ReplicationBytesInPerSec",
    "ReplicationBytesOutPerSec",
    "RequestBytesMean",
    "RequestExemptFromThrottleTime",
    "RequestHandlerAvgIdlePercent",
    "RequestThrottleQueueSize",
    "RequestThrottleTime",
    "RequestTime",
    "RootDiskUsed",
    "SumOffsetLag",
    "SwapFree",
    "SwapUsed",
    "TcpConnections",
    "TrafficBytes",
    "TrafficShaping",
    "UnderMinIsrPartitionCount",
    "UnderReplicatedPartitions",
    "VolumeQueueLength",
    "VolumeReadBytes",
    "VolumeReadOps",
    "VolumeTotalReadTime",
    "VolumeTotalWriteTime",
    "VolumeWriteBytes",
    "VolumeWriteOps",
    "ZooKeeperRequestLatencyMsMean",
    "ZooKeeperSessionState",
];

/// Node metrics of `AWS/ElastiCache` for Redis OSS / Valkey, read per
/// member cluster. Source: Amazon ElastiCache User Guide, "Host-Level
/// Metrics" and "Metrics for Valkey and Redis OSS"
/// (<https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheMetrics.HostLevel.html>,
/// <https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheMetrics.Redis.html>).
const ELASTICACHE: &[&str] = &[
    "ActiveDefragHits",
    "AuthenticationFailures",
    "BytesUsedForCache",
    "CacheHitRate",
    "CacheHits",
    "CacheMisses",
    "ChannelAuthorizationFailures",
    "ClusterBasedCmds",
    "ClusterBasedCmdsLatency",
    "CommandAuthorizationFailures",
    "CPUCreditBalance",
    "CPUCreditUsage",
    "CPUUtilization",
    "CurrConnections",
    "CurrItems",
    "CurrVolatileItems",
    "DatabaseCapacityUsageCountedForEvictPercentage",
    "DatabaseCapacityUsagePercentage",
    "DatabaseMemoryUsageCountedForEvictPercentage",
    "DatabaseMemoryUsagePercentage",
    "DB0AverageTTL",
    "EngineCPUUtilization",
    "ErrorCount",
    "EvalBasedCmds",
    "EvalBasedCmdsLatency",
    "Evictions",
    "FreeableMemory",
    "GeoSpatialBasedCmds",
    "GeoSpatialBasedCmdsLatency",
    "GetTypeCmds",
    "GetTypeCmdsLatency",
    "GlobalDatastoreReplicationLag",
    "HashBasedCmds",
    "HashBasedCmdsLatency",
    "HyperLogLogBasedCmds",
    "HyperLogLogBasedCmdsLatency",
    "IamAuthenticationExpirations",
    "IamAuthenticationThrottling",
    "IsMaster",
    "JsonBasedCmds",
    "JsonBasedCmdsLatency",
    "JsonBasedGetCmds",
    "JsonBasedGetCmdsLatency",
    "JsonBasedSetCmds",
    "JsonBasedSetCmdsLatency",
    "KeyAuthorizationFailures",
    "KeyBasedCmds",
    "KeyBasedCmdsLatency",
    "KeysTracked",
    "ListBasedCmds",
    "ListBasedCmdsLatency",
    "MasterLinkHealthStatus",
    "MemoryFragmentationRatio",
    "NetworkBandwidthInAllowanceExceeded",
    "NetworkBandwidthOutAllowanceExceeded",
    "NetworkBytesIn",
    "NetworkBytesOut",
    "NetworkConntrackAllowanceExceeded",
    "NetworkLinkLocalAllowanceExceeded",
    "NetworkMaxBytesIn",
    "NetworkMaxBytesOut",
    "NetworkMaxPacketsIn",
    "NetworkMaxPacketsOut",
    "NetworkPacketsIn",
    "NetworkPacketsOut",
    "NetworkPacketsPerSecondAllowanceExceeded",
    "NewConnections",
    "NonKeyTypeCmds",
    "NonKeyTypeCmdsLatency",
    "NumItemsReadFromDisk",
    "NumItemsWrittenToDisk",
    "PubSubBasedCmds",
    "PubSubBasedCmdsLatency",
    "Reclaimed",
    "ReplicationBytes",
    "ReplicationLag",
    "SaveInProgress",
    "SetBasedCmds",
    "SetBasedCmdsLatency",
    "SetTypeCmds",
    "SetTypeCmdsLatency",
    "SortedSetBasedCmds",
    "SortedSetBasedCmdsLatency",
    "StreamBasedCmds",
    "StreamBasedCmdsLatency",
    "StringBasedCmds",
    "StringBasedCmdsLatency",
    "SuccessfulReadRequestLatency",
    "SuccessfulWriteRequestLatency",
    "SwapUsage",
    "TrafficManagementActive",
];

/// Instance metrics of `AWS/EC2`, aggregated by `AutoScalingGroupName`.
/// Source: Amazon EC2 User Guide, "CloudWatch metrics that are available for
/// your instances"
/// (<https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/viewing_metrics_with_cloudwatch.html>).
const EC2: &[&str] = &[
    "CPUCreditBalance",
    "CPUCreditUsage",
    "CPUSurplusCreditBalance",
    "CPUSurplusCreditsCharged",
    "CPUUtilization",
    "DiskReadBytes",
    "DiskReadOps",
    "DiskWriteBytes",
    "DiskWriteOps",
    "EBSByteBalance%",
    "EBSIOBalance%",
    "EBSReadBytes",
    "EBSReadOps",
    "EBSWriteBytes",
    "EBSWriteOps",
    "MetadataNoToken",
    "MetadataNoTokenRejected",
    "NetworkIn",
    "NetworkOut",
    "NetworkPacketsIn",
    "NetworkPacketsOut",
    "StatusCheckFailed",
    "StatusCheckFailed_AttachedEBS",
    "StatusCheckFailed_Instance",
    "StatusCheckFailed_System",
];

/// The CloudWatch namespace a kind's rules read (see the module table in
/// [`super`]).
pub(crate) fn kind_namespace(kind: ResourceKind) -> &'static str {
    namespace(kind)
}

/// Every metric name `kind`'s namespace publishes for it, in no particular
/// order (MSK: the cluster-level ones and the per-broker ones).
pub(crate) fn known_metrics(kind: ResourceKind) -> impl Iterator<Item = &'static str> {
    let (main, cluster): (&'static [&'static str], &'static [&'static str]) = match kind {
        ResourceKind::RdsInstance => (RDS, &[]),
        ResourceKind::AuroraCluster => (AURORA, &[]),
        ResourceKind::MskCluster => (MSK_BROKER, &MSK_CLUSTER_METRICS),
        ResourceKind::ElasticacheRedis => (ELASTICACHE, &[]),
        ResourceKind::AutoscalingGroup => (EC2, &[]),
    };
    main.iter().chain(cluster.iter()).copied()
}

/// True when `metric` (case-sensitive, as CloudWatch is) is published for `kind`.
pub(crate) fn is_known(kind: ResourceKind, metric: &str) -> bool {
    known_metrics(kind).any(|m| m == metric)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_knows_the_metrics_the_engine_itself_reads() {
        assert!(is_known(ResourceKind::RdsInstance, "CPUUtilization"));
        assert!(is_known(ResourceKind::RdsInstance, "FreeStorageSpace"));
        assert!(!is_known(ResourceKind::RdsInstance, "CPUUtilisation"));
        assert!(!is_known(ResourceKind::RdsInstance, "cpuutilization"));
        assert!(is_known(ResourceKind::AuroraCluster, "ACUUtilization"));
        assert!(is_known(
            ResourceKind::AuroraCluster,
            "ServerlessDatabaseCapacity"
        ));
        assert!(!is_known(ResourceKind::RdsInstance, "ACUUtilization"));
        assert!(is_known(ResourceKind::MskCluster, "KafkaDataLogsDiskUsed"));
        assert!(is_known(ResourceKind::MskCluster, "ActiveControllerCount"));
        assert!(is_known(
            ResourceKind::ElasticacheRedis,
            "EngineCPUUtilization"
        ));
        assert!(is_known(ResourceKind::AutoscalingGroup, "CPUUtilization"));
        assert!(!is_known(ResourceKind::AutoscalingGroup, "FreeableMemory"));
        assert_eq!(kind_namespace(ResourceKind::MskCluster), "AWS/Kafka");
    }

    #[test]
    fn lists_hold_each_name_once() {
        for kind in ResourceKind::ALL {
            let mut names: Vec<&str> = known_metrics(kind).collect();
            let n = names.len();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), n, "{kind}");
        }
    }
}
