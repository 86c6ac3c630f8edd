//! The MSK fake.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::{lock, refuse};
use crate::ports::{AwsError, ErrorKind};
use crate::ports::{KafkaCluster, KafkaPort, Listing, Unreadable};

/// MSK, as AWS behaves: one update at a time, only while `ACTIVE`, only
/// with the current version.
#[derive(Debug, Default)]
pub struct FakeKafka {
    clusters: Mutex<BTreeMap<String, KafkaCluster>>,
    /// Clusters listed that the answer does not describe whole.
    unreadable: Mutex<Vec<Unreadable>>,
}

impl FakeKafka {
    /// Adds or replaces a cluster (keyed by ARN).
    pub fn put(&self, c: KafkaCluster) {
        lock(&self.clusters).insert(c.arn.clone(), c);
    }

    /// The cluster named `name`, as the fake holds it.
    pub fn cluster(&self, name: &str) -> Option<KafkaCluster> {
        lock(&self.clusters)
            .values()
            .find(|c| c.name == name)
            .cloned()
    }

    /// Lists a cluster the answer does not describe whole (as the adapter
    /// reports one missing a field every provisioned cluster has).
    pub fn put_unreadable(&self, u: Unreadable) {
        lock(&self.unreadable).push(u);
    }

    /// Every update finishes: `UPDATING` clusters become `ACTIVE`.
    pub fn settle(&self) {
        for c in lock(&self.clusters).values_mut() {
            if c.state == "UPDATING" {
                c.state = "ACTIVE".to_owned();
            }
        }
    }

    fn update(
        &self,
        operation: &'static str,
        arn: &str,
        version: &str,
        f: impl FnOnce(&mut KafkaCluster),
    ) -> Result<(), AwsError> {
        let mut all = lock(&self.clusters);
        let c = all.get_mut(arn).ok_or_else(|| {
            refuse(
                "kafka",
                operation,
                arn,
                ErrorKind::NotFound,
                "NotFoundException",
                "cluster not found",
            )
        })?;
        if c.state != "ACTIVE" {
            return Err(refuse(
                "kafka",
                operation,
                arn,
                ErrorKind::InvalidState,
                "BadRequestException",
                &format!(
                    "The request is not valid because the cluster is in {} state.",
                    c.state
                ),
            ));
        }
        if c.current_version != version {
            return Err(refuse(
                "kafka",
                operation,
                arn,
                ErrorKind::Other,
                "BadRequestException",
                "The provided current version doesn't match the cluster's current version.",
            ));
        }
        f(c);
        c.state = "UPDATING".to_owned();
        c.current_version = format!("{}-next", c.current_version);
        Ok(())
    }
}

#[async_trait]
impl KafkaPort for FakeKafka {
    async fn clusters(&self) -> Result<Listing<KafkaCluster>, AwsError> {
        Ok(Listing {
            items: lock(&self.clusters).values().cloned().collect(),
            unreadable: lock(&self.unreadable).clone(),
        })
    }

    async fn update_broker_count(
        &self,
        arn: &str,
        current_version: &str,
        brokers: u32,
    ) -> Result<(), AwsError> {
        self.update("UpdateBrokerCount", arn, current_version, |c| {
            c.brokers = brokers
        })
    }

    async fn update_broker_type(
        &self,
        arn: &str,
        current_version: &str,
        broker_type: &str,
    ) -> Result<(), AwsError> {
        self.update("UpdateBrokerType", arn, current_version, |c| {
            c.broker_type = broker_type.to_owned()
        })
    }

    async fn update_broker_storage(
        &self,
        arn: &str,
        current_version: &str,
        gib: u32,
    ) -> Result<(), AwsError> {
        self.update("UpdateBrokerStorage", arn, current_version, |c| {
            c.storage_gib = Some(gib)
        })
    }
}
