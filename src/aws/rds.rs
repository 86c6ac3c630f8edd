//! The [`RdsPort`] adapter on `aws-sdk-rds`: RDS instances and Aurora
//! clusters.
//!
//! Describes paginate with the SDK's paginators and return the whole region
//! (observe filters). Every SDK failure goes through [`AwsError::from_sdk`]
//! with the call and the resource it was about. SDK types never leave this
//! file.

use async_trait::async_trait;
use aws_sdk_rds::Client;
use aws_sdk_rds::types::{
    ClusterPendingModifiedValues, DbCluster as SdkCluster, DbInstance as SdkInstance, Filter,
    PendingModifiedValues, ServerlessV2ScalingConfiguration, Tag,
};
use chrono::{DateTime, Utc};

use super::AwsError;
use crate::ports::{ClusterMember, DbCluster, DbInstance, Listing, RdsPort, Tags, Unreadable};

const SERVICE: &str = "rds";

/// Promotion tier of readers tidegate creates: the last to be promoted, as
/// Aurora's own replica auto scaling does.
const READER_PROMOTION_TIER: i32 = 15;

/// Identifiers per `db-instance-id` filter in one describe (RDS bounds a
/// filter's values; 100 stays well within it).
const FILTER_VALUES: usize = 100;

/// The smallest and largest `MaxRecords` RDS accepts on its describes.
const PAGE_SIZE_RANGE: (i32, i32) = (20, 100);

/// RDS and Aurora through the AWS SDK.
#[derive(Debug, Clone)]
pub struct RdsAdapter {
    client: Client,
    page_size: Option<i32>,
}

impl RdsAdapter {
    /// A client on the shared configuration (region, credentials, endpoint,
    /// retries).
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        RdsAdapter {
            client: Client::from_conf(
                aws_sdk_rds::config::Builder::from(config)
                    .interceptor(crate::aws::attempts::Recorder)
                    .build(),
            ),
            page_size: None,
        }
    }

    /// Asks for pages of `records` items (`MaxRecords`, clamped to the
    /// 20–100 RDS accepts); the service default (100) otherwise. Tests use
    /// small pages to show that every page is read.
    pub fn with_page_size(mut self, records: i32) -> Self {
        self.page_size = Some(records.clamp(PAGE_SIZE_RANGE.0, PAGE_SIZE_RANGE.1));
        self
    }
}

#[async_trait]
impl RdsPort for RdsAdapter {
    async fn db_instances(&self) -> Result<Listing<DbInstance>, AwsError> {
        let mut pages = self.client.describe_db_instances().into_paginator();
        if let Some(n) = self.page_size {
            pages = pages.page_size(n);
        }
        let mut stream = pages.send();
        let mut out = Listing::default();
        while let Some(page) = stream.next().await {
            let page =
                page.map_err(|e| AwsError::from_sdk(SERVICE, "DescribeDBInstances", "", e))?;
            for i in page.db_instances() {
                // One instance the answer cannot give is that instance's
                // problem, not the others'.
                match instance(i) {
                    Ok(i) => out.items.push(i),
                    Err(e) => out.unreadable.push(unreadable(i.db_instance_arn(), &e)),
                }
            }
        }
        Ok(out)
    }

    async fn db_instances_named(&self, ids: &[String]) -> Result<Listing<DbInstance>, AwsError> {
        let mut out = Listing::default();
        // A filter takes a bounded list of values: ask for them in chunks.
        for chunk in ids.chunks(FILTER_VALUES) {
            let filter = Filter::builder()
                .name("db-instance-id")
                .set_values(Some(chunk.to_vec()))
                .build();
            let mut pages = self
                .client
                .describe_db_instances()
                .filters(filter)
                .into_paginator();
            if let Some(n) = self.page_size {
                pages = pages.page_size(n);
            }
            let mut stream = pages.send();
            while let Some(page) = stream.next().await {
                let page =
                    page.map_err(|e| AwsError::from_sdk(SERVICE, "DescribeDBInstances", "", e))?;
                for i in page.db_instances() {
                    match instance(i) {
                        Ok(i) => out.items.push(i),
                        Err(e) => out.unreadable.push(unreadable(i.db_instance_arn(), &e)),
                    }
                }
            }
        }
        Ok(out)
    }

    async fn db_clusters(&self) -> Result<Listing<DbCluster>, AwsError> {
        let mut pages = self.client.describe_db_clusters().into_paginator();
        if let Some(n) = self.page_size {
            pages = pages.page_size(n);
        }
        let mut stream = pages.send();
        let mut out = Listing::default();
        while let Some(page) = stream.next().await {
            let page =
                page.map_err(|e| AwsError::from_sdk(SERVICE, "DescribeDBClusters", "", e))?;
            for c in page.db_clusters() {
                match cluster(c) {
                    Ok(c) => out.items.push(c),
                    Err(e) => out.unreadable.push(unreadable(c.db_cluster_arn(), &e)),
                }
            }
        }
        Ok(out)
    }

    async fn modify_instance_class(
        &self,
        id: &str,
        class: &str,
        apply_immediately: bool,
    ) -> Result<(), AwsError> {
        self.client
            .modify_db_instance()
            .db_instance_identifier(id)
            .db_instance_class(class)
            .apply_immediately(apply_immediately)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(SERVICE, "ModifyDBInstance", id, e))?;
        Ok(())
    }

    async fn modify_storage_ceiling(&self, id: &str, max_gib: u32) -> Result<(), AwsError> {
        let gib = i32::try_from(max_gib).map_err(|_| {
            let mut e = AwsError::malformed(
                SERVICE,
                "ModifyDBInstance",
                format!("a storage ceiling of {max_gib} GiB is out of range"),
            );
            e.resource = id.to_owned();
            e
        })?;
        // The ceiling alone: it takes effect at once and causes no outage.
        self.client
            .modify_db_instance()
            .db_instance_identifier(id)
            .max_allocated_storage(gib)
            .apply_immediately(true)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(SERVICE, "ModifyDBInstance", id, e))?;
        Ok(())
    }

    async fn stop_instance(&self, id: &str) -> Result<(), AwsError> {
        self.client
            .stop_db_instance()
            .db_instance_identifier(id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(SERVICE, "StopDBInstance", id, e))?;
        Ok(())
    }

    async fn start_instance(&self, id: &str) -> Result<(), AwsError> {
        self.client
            .start_db_instance()
            .db_instance_identifier(id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(SERVICE, "StartDBInstance", id, e))?;
        Ok(())
    }

    async fn stop_cluster(&self, cluster: &str) -> Result<(), AwsError> {
        self.client
            .stop_db_cluster()
            .db_cluster_identifier(cluster)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(SERVICE, "StopDBCluster", cluster, e))?;
        Ok(())
    }

    async fn start_cluster(&self, cluster: &str) -> Result<(), AwsError> {
        self.client
            .start_db_cluster()
            .db_cluster_identifier(cluster)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(SERVICE, "StartDBCluster", cluster, e))?;
        Ok(())
    }

    async fn modify_serverless_capacity(
        &self,
        cluster: &str,
        min_acu: f64,
        max_acu: f64,
        seconds_until_auto_pause: Option<u32>,
    ) -> Result<(), AwsError> {
        let scaling = ServerlessV2ScalingConfiguration::builder()
            .min_capacity(min_acu)
            .max_capacity(max_acu)
            .set_seconds_until_auto_pause(
                seconds_until_auto_pause.and_then(|s| i32::try_from(s).ok()),
            )
            .build();
        self.client
            .modify_db_cluster()
            .db_cluster_identifier(cluster)
            .serverless_v2_scaling_configuration(scaling)
            .apply_immediately(true)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(SERVICE, "ModifyDBCluster", cluster, e))?;
        Ok(())
    }

    /// DescribeDBClusters for the engine and version, then
    /// DescribeDBEngineVersions' ServerlessV2FeaturesSupport ("Specifies any
    /// Aurora Serverless v2 properties or limits that differ between Aurora
    /// engine versions": MinCapacity 0 means auto-pause, MaxCapacity 256 or
    /// 128).
    async fn serverless_v2_limits(&self, cluster: &str) -> Result<Option<(f64, f64)>, AwsError> {
        let out = self
            .client
            .describe_db_clusters()
            .db_cluster_identifier(cluster)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(SERVICE, "DescribeDBClusters", cluster, e))?;
        let Some(c) = out.db_clusters().first() else {
            return Ok(None);
        };
        let (Some(engine), Some(version)) = (c.engine(), c.engine_version()) else {
            return Ok(None);
        };
        let out = self
            .client
            .describe_db_engine_versions()
            .engine(engine)
            .engine_version(version)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(SERVICE, "DescribeDBEngineVersions", cluster, e))?;
        let support = out
            .db_engine_versions()
            .iter()
            .find_map(|v| v.serverless_v2_features_support());
        Ok(support.and_then(|s| Some((s.min_capacity()?, s.max_capacity()?))))
    }

    /// Creates the instance with promotion tier [`READER_PROMOTION_TIER`].
    async fn create_cluster_instance(
        &self,
        cluster: &str,
        id: &str,
        class: &str,
        engine: &str,
    ) -> Result<(), AwsError> {
        self.client
            .create_db_instance()
            .db_cluster_identifier(cluster)
            .db_instance_identifier(id)
            .db_instance_class(class)
            .engine(engine)
            .promotion_tier(READER_PROMOTION_TIER)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(SERVICE, "CreateDBInstance", id, e))?;
        Ok(())
    }

    async fn delete_instance(&self, id: &str) -> Result<(), AwsError> {
        self.client
            .delete_db_instance()
            .db_instance_identifier(id)
            .skip_final_snapshot(true)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(SERVICE, "DeleteDBInstance", id, e))?;
        Ok(())
    }

    async fn failover_cluster(&self, cluster: &str, target: &str) -> Result<(), AwsError> {
        self.client
            .failover_db_cluster()
            .db_cluster_identifier(cluster)
            .target_db_instance_identifier(target)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(SERVICE, "FailoverDBCluster", cluster, e))?;
        Ok(())
    }
}

/// One described instance in domain words. Only the identifier is required;
/// anything else AWS leaves out reads as empty or zero.
fn instance(i: &SdkInstance) -> Result<DbInstance, AwsError> {
    let id = i.db_instance_identifier().ok_or_else(|| {
        AwsError::malformed(
            SERVICE,
            "DescribeDBInstances",
            "a DB instance without DBInstanceIdentifier",
        )
    })?;
    let gib = |v: Option<i32>| v.and_then(|n| u32::try_from(n).ok());
    Ok(DbInstance {
        id: id.to_owned(),
        arn: i.db_instance_arn().unwrap_or_default().to_owned(),
        class: i.db_instance_class().unwrap_or_default().to_owned(),
        engine: i.engine().unwrap_or_default().to_owned(),
        status: i.db_instance_status().unwrap_or_default().to_owned(),
        multi_az: i.multi_az().unwrap_or(false),
        pending_modifications: i
            .pending_modified_values()
            .is_some_and(|p| *p != PendingModifiedValues::builder().build()),
        allocated_gib: gib(i.allocated_storage()).unwrap_or(0),
        max_allocated_gib: gib(i.max_allocated_storage()),
        storage_type: i.storage_type().unwrap_or_default().to_owned(),
        iops: gib(i.iops()),
        storage_throughput: gib(i.storage_throughput()),
        cluster: i.db_cluster_identifier().map(str::to_owned),
        created: i.instance_create_time().and_then(utc),
        tags: tags(i.tag_list()),
    })
}

/// One described cluster in domain words.
fn cluster(c: &SdkCluster) -> Result<DbCluster, AwsError> {
    let id = c.db_cluster_identifier().ok_or_else(|| {
        AwsError::malformed(
            SERVICE,
            "DescribeDBClusters",
            "a DB cluster without DBClusterIdentifier",
        )
    })?;
    let members = c
        .db_cluster_members()
        .iter()
        .filter_map(|m| {
            // A missing flag is unknown, not "reader": readers-down deletes
            // readers, and this one might be the writer.
            let flag = m.is_cluster_writer();
            Some(ClusterMember {
                instance_id: m.db_instance_identifier()?.to_owned(),
                is_writer: flag == Some(true),
                is_reader: flag == Some(false),
            })
        })
        .collect();
    let serverless_v2 = c
        .serverless_v2_scaling_configuration()
        .and_then(|s| Some((s.min_capacity()?, s.max_capacity()?)));
    Ok(DbCluster {
        id: id.to_owned(),
        arn: c.db_cluster_arn().unwrap_or_default().to_owned(),
        engine: c.engine().unwrap_or_default().to_owned(),
        status: c.status().unwrap_or_default().to_owned(),
        members,
        serverless_v2,
        pending_modifications: c
            .pending_modified_values()
            .is_some_and(|p| *p != ClusterPendingModifiedValues::builder().build()),
        tags: tags(c.tag_list()),
    })
}

/// A listed resource that could not be read, by its ARN when it has one.
fn unreadable(arn: Option<&str>, e: &AwsError) -> Unreadable {
    Unreadable {
        id: arn.unwrap_or_default().to_owned(),
        why: e.to_string(),
    }
}

fn tags(list: &[Tag]) -> Tags {
    list.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

fn utc(t: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

#[cfg(test)]
mod tests {
    use aws_sdk_rds::types::{DbClusterMember, ServerlessV2ScalingConfigurationInfo};

    use super::*;

    #[test]
    fn maps_an_instance_with_its_tags_pending_values_and_creation_time() {
        let sdk = SdkInstance::builder()
            .db_instance_identifier("billing-db")
            .db_instance_arn("arn:aws:rds:us-east-1:123456789012:db:billing-db")
            .db_instance_class("db.r6g.large")
            .engine("postgres")
            .db_instance_status("available")
            .multi_az(true)
            .allocated_storage(100)
            .max_allocated_storage(500)
            .storage_type("gp3")
            .iops(12_000)
            .storage_throughput(500)
            .instance_create_time(aws_smithy_types::DateTime::from_secs(1_700_000_000))
            .pending_modified_values(
                PendingModifiedValues::builder()
                    .db_instance_class("db.r6g.xlarge")
                    .build(),
            )
            .tag_list(Tag::builder().key("team").value("billing").build())
            .build();
        let i = instance(&sdk).expect("maps");
        assert_eq!(i.id, "billing-db");
        assert_eq!(i.class, "db.r6g.large");
        assert!(i.multi_az);
        assert!(i.pending_modifications);
        assert_eq!((i.allocated_gib, i.max_allocated_gib), (100, Some(500)));
        assert_eq!(
            (i.storage_type.as_str(), i.iops, i.storage_throughput),
            ("gp3", Some(12_000), Some(500))
        );
        assert_eq!(i.created.map(|t| t.timestamp()), Some(1_700_000_000));
        assert_eq!(i.tags.get("team").map(String::as_str), Some("billing"));
        assert_eq!(i.cluster, None);
    }

    #[test]
    fn empty_pending_values_are_not_pending_and_missing_id_is_an_error() {
        let sdk = SdkInstance::builder()
            .db_instance_identifier("a")
            .pending_modified_values(PendingModifiedValues::builder().build())
            .build();
        assert!(!instance(&sdk).expect("maps").pending_modifications);
        let err = instance(&SdkInstance::builder().build()).expect_err("no id");
        assert_eq!(err.operation, "DescribeDBInstances");
    }

    #[test]
    fn maps_a_cluster_and_a_member_without_a_writer_flag_is_not_a_reader() {
        let sdk = SdkCluster::builder()
            .db_cluster_identifier("orders-aurora")
            .engine("aurora-mysql")
            .status("available")
            .db_cluster_members(
                DbClusterMember::builder()
                    .db_instance_identifier("w")
                    .is_cluster_writer(true)
                    .build(),
            )
            .db_cluster_members(
                DbClusterMember::builder()
                    .db_instance_identifier("r")
                    .is_cluster_writer(false)
                    .build(),
            )
            .db_cluster_members(
                DbClusterMember::builder()
                    .db_instance_identifier("u")
                    .build(),
            )
            .serverless_v2_scaling_configuration(
                ServerlessV2ScalingConfigurationInfo::builder()
                    .min_capacity(0.5)
                    .max_capacity(16.0)
                    .build(),
            )
            .build();
        let c = cluster(&sdk).expect("maps");
        assert_eq!(c.serverless_v2, Some((0.5, 16.0)));
        assert_eq!(
            c.members
                .iter()
                .map(|m| (m.instance_id.as_str(), m.is_writer, m.is_reader))
                .collect::<Vec<_>>(),
            // A member without IsClusterWriter might be the writer: not a reader.
            vec![("w", true, false), ("r", false, true), ("u", false, false)]
        );
        assert!(!c.pending_modifications);
    }
}
