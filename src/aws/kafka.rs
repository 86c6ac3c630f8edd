//! [`KafkaPort`] on `aws-sdk-kafka`: ListClustersV2 (paginated, provisioned
//! clusters only) and the three broker updates, each with the cluster's
//! CurrentVersion as MSK requires. SDK output never leaves this file: every
//! cluster becomes a [`KafkaCluster`]; every failure an [`AwsError`].

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_kafka::Client;
use aws_sdk_kafka::types::{BrokerEbsVolumeInfo, Cluster, ClusterType};

use super::AwsError;
use crate::ports::{KafkaCluster, KafkaPort, Listing, Tags, Unreadable};

const SERVICE: &str = "kafka";
const LIST: &str = "ListClustersV2";

/// Amazon MSK through the AWS SDK.
#[derive(Debug, Clone)]
pub struct KafkaAdapter {
    client: Client,
}

impl KafkaAdapter {
    /// A client on the shared configuration (cheap; build the config once).
    pub fn new(config: &SdkConfig) -> Self {
        KafkaAdapter {
            client: Client::from_conf(
                aws_sdk_kafka::config::Builder::from(config)
                    .interceptor(crate::aws::attempts::Recorder)
                    .build(),
            ),
        }
    }
}

#[async_trait]
impl KafkaPort for KafkaAdapter {
    async fn clusters(&self) -> Result<Listing<KafkaCluster>, AwsError> {
        let mut pages = self
            .client
            .list_clusters_v2()
            .cluster_type_filter(ClusterType::Provisioned.as_str())
            .into_paginator()
            .send();
        let mut out = Listing::default();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| AwsError::from_sdk(SERVICE, LIST, "", e))?;
            for cluster in page.cluster_info_list() {
                // The filter is a request; some endpoints ignore it. Serverless
                // clusters have no brokers to size: leave them out either way.
                match to_cluster(cluster) {
                    Ok(Some(c)) => out.items.push(c),
                    Ok(None) => {}
                    // One cluster the answer leaves half-described is that
                    // cluster's problem, not the other clusters'.
                    Err(e) => out.unreadable.push(Unreadable {
                        id: cluster
                            .cluster_arn()
                            .or(cluster.cluster_name())
                            .unwrap_or_default()
                            .to_owned(),
                        why: e.to_string(),
                    }),
                }
            }
        }
        Ok(out)
    }

    async fn update_broker_count(
        &self,
        arn: &str,
        current_version: &str,
        brokers: u32,
    ) -> Result<(), AwsError> {
        const OP: &str = "UpdateBrokerCount";
        self.client
            .update_broker_count()
            .cluster_arn(arn)
            .current_version(current_version)
            .target_number_of_broker_nodes(to_i32(OP, arn, brokers)?)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(SERVICE, OP, arn, e))?;
        Ok(())
    }

    async fn update_broker_type(
        &self,
        arn: &str,
        current_version: &str,
        broker_type: &str,
    ) -> Result<(), AwsError> {
        const OP: &str = "UpdateBrokerType";
        self.client
            .update_broker_type()
            .cluster_arn(arn)
            .current_version(current_version)
            .target_instance_type(broker_type)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(SERVICE, OP, arn, e))?;
        Ok(())
    }

    async fn update_broker_storage(
        &self,
        arn: &str,
        current_version: &str,
        gib: u32,
    ) -> Result<(), AwsError> {
        const OP: &str = "UpdateBrokerStorage";
        // "ALL": every broker gets the same volume size, as tidegate
        // observes and plans one size per cluster.
        let all = BrokerEbsVolumeInfo::builder()
            .kafka_broker_node_id("ALL")
            .volume_size_gb(to_i32(OP, arn, gib)?)
            .build();
        self.client
            .update_broker_storage()
            .cluster_arn(arn)
            .current_version(current_version)
            .target_broker_ebs_volume_info(all)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(SERVICE, OP, arn, e))?;
        Ok(())
    }
}

/// Maps one listed cluster; None for a serverless cluster. A provisioned
/// cluster missing a field every provisioned cluster has is an error naming
/// it (nothing is decided on a half-read cluster). No EBS volume size is not
/// such a field: Express brokers have none (AWS manages their storage), so
/// the cluster is read without a storage size.
fn to_cluster(c: &Cluster) -> Result<Option<KafkaCluster>, AwsError> {
    if matches!(c.cluster_type(), Some(ClusterType::Serverless)) {
        return Ok(None);
    }
    let Some(p) = c.provisioned() else {
        return Ok(None);
    };
    let name = c.cluster_name().unwrap_or_default();
    let missing = |what: &str| {
        AwsError::malformed(
            SERVICE,
            LIST,
            format!("cluster {name:?} has no {what} in the response"),
        )
    };
    if name.is_empty() {
        return Err(missing("ClusterName"));
    }
    let arn = c.cluster_arn().ok_or_else(|| missing("ClusterArn"))?;
    let current_version = c
        .current_version()
        .ok_or_else(|| missing("CurrentVersion"))?;
    let state = c.state().ok_or_else(|| missing("State"))?;
    let group = p
        .broker_node_group_info()
        .ok_or_else(|| missing("BrokerNodeGroupInfo"))?;
    let brokers = p
        .number_of_broker_nodes()
        .ok_or_else(|| missing("NumberOfBrokerNodes"))?;
    let broker_type = group
        .instance_type()
        .ok_or_else(|| missing("BrokerNodeGroupInfo.InstanceType"))?;
    let volume = group
        .storage_info()
        .and_then(|s| s.ebs_storage_info())
        .and_then(|e| e.volume_size());
    let non_negative = |what: &str, v: i32| {
        u32::try_from(v).map_err(|_| {
            AwsError::malformed(SERVICE, LIST, format!("cluster {name:?} has {what} {v}"))
        })
    };
    let tags: Tags = c
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    Ok(Some(KafkaCluster {
        name: name.to_owned(),
        arn: arn.to_owned(),
        state: state.as_str().to_owned(),
        current_version: current_version.to_owned(),
        brokers: non_negative("NumberOfBrokerNodes", brokers)?,
        broker_type: broker_type.to_owned(),
        storage_gib: volume.map(|v| non_negative("VolumeSize", v)).transpose()?,
        az_count: u32::try_from(group.client_subnets().len()).unwrap_or(u32::MAX),
        tags,
    }))
}

/// A count or size for the wire (the SDK takes i32).
fn to_i32(operation: &'static str, arn: &str, n: u32) -> Result<i32, AwsError> {
    i32::try_from(n).map_err(|_| AwsError {
        resource: arn.to_owned(),
        ..AwsError::malformed(SERVICE, operation, format!("{n} is out of range"))
    })
}

#[cfg(test)]
mod tests {
    use aws_sdk_kafka::types::{
        BrokerNodeGroupInfo, ClusterState, EbsStorageInfo, Provisioned, Serverless, StorageInfo,
    };

    use super::*;

    fn provisioned(brokers: i32, subnets: usize, volume: Option<i32>) -> Cluster {
        let mut group = BrokerNodeGroupInfo::builder().instance_type("kafka.m5.xlarge");
        for i in 0..subnets {
            group = group.client_subnets(format!("subnet-{i}"));
        }
        if let Some(v) = volume {
            group = group.storage_info(
                StorageInfo::builder()
                    .ebs_storage_info(EbsStorageInfo::builder().volume_size(v).build())
                    .build(),
            );
        }
        Cluster::builder()
            .cluster_type(ClusterType::Provisioned)
            .cluster_name("events-msk")
            .cluster_arn("arn:aws:kafka:us-east-1:123456789012:cluster/events-msk/abc")
            .current_version("K3AEGXETSR30VB")
            .state(ClusterState::Active)
            .tags("team", "data")
            .provisioned(
                Provisioned::builder()
                    .number_of_broker_nodes(brokers)
                    .broker_node_group_info(group.build())
                    .build(),
            )
            .build()
    }

    #[test]
    fn maps_a_provisioned_cluster() {
        let c = to_cluster(&provisioned(6, 3, Some(1000)))
            .expect("well formed")
            .expect("provisioned");
        assert_eq!(c.name, "events-msk");
        assert_eq!(c.state, "ACTIVE");
        assert_eq!(c.current_version, "K3AEGXETSR30VB");
        assert_eq!(c.brokers, 6);
        assert_eq!(c.broker_type, "kafka.m5.xlarge");
        assert_eq!(c.storage_gib, Some(1000));
        assert_eq!(c.az_count, 3);
        assert_eq!(c.tags.get("team").map(String::as_str), Some("data"));
    }

    #[test]
    fn leaves_serverless_clusters_out() {
        let c = Cluster::builder()
            .cluster_type(ClusterType::Serverless)
            .cluster_name("s")
            .serverless(Serverless::builder().build())
            .build();
        assert_eq!(to_cluster(&c).expect("no error"), None);
    }

    #[test]
    fn a_cluster_without_ebs_volume_info_is_read_without_a_storage_size() {
        // Express brokers: AWS manages the storage and reports no volume.
        let c = to_cluster(&provisioned(3, 3, None))
            .expect("an Express cluster is well formed")
            .expect("provisioned");
        assert_eq!((c.brokers, c.storage_gib), (3, None));
    }

    #[test]
    fn a_missing_current_version_is_an_error_naming_the_cluster() {
        let mut c = provisioned(3, 3, Some(100));
        c.current_version = None;
        let err = to_cluster(&c).expect_err("malformed");
        assert_eq!(err.operation, LIST);
        assert!(err.message.contains("events-msk"), "{err}");
        assert!(err.message.contains("CurrentVersion"), "{err}");
    }

    #[test]
    fn a_negative_broker_count_is_an_error() {
        let err = to_cluster(&provisioned(-1, 3, Some(100))).expect_err("malformed");
        assert!(err.message.contains("NumberOfBrokerNodes -1"), "{err}");
    }

    #[test]
    fn sizes_beyond_i32_are_refused_before_the_call() {
        let err = to_i32("UpdateBrokerStorage", "arn:x", u32::MAX).expect_err("too big");
        assert_eq!(err.resource, "arn:x");
        assert_eq!(to_i32("UpdateBrokerStorage", "arn:x", 16_384), Ok(16_384));
    }
}
