//! Ports with a hand on every mutating call: [`Tapped`] passes each read
//! through and tells a [`Tap`] about each call that changes something,
//! which may change what the caller hears.
//!
//! Act counts the calls it makes this way (an error before any call is a
//! refusal, with nothing to read back); tests lose answers after AWS (a
//! fake) carried a call out, or hang a run at a chosen call to kill it
//! there.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;

use crate::observe::Ports;
use crate::policy::SpotMix;
use crate::ports::AwsError;
use crate::ports::{
    AllowedNodeTypes, AutoScalingGroup, AutoScalingPort, DbCluster, DbInstance, ElastiCachePort,
    KafkaCluster, KafkaPort, Listing, RdsPort, ReplicationGroup, Tags,
};

/// What the caller of a mutating call hears.
#[derive(Debug, Clone)]
pub enum Heard {
    /// AWS's answer.
    Answer,
    /// The call is sent again (the SDK's retry after a lost answer) and the
    /// second answer is heard.
    Retry,
    /// This error, whatever AWS answered (the answer was lost).
    Lost(AwsError),
    /// Nothing, ever: the run hangs here (a test drops it: killed).
    Hang,
}

/// Told about each mutating call.
pub trait Tap: Send + Sync {
    /// Before `operation` on `resource` is sent.
    fn before(&self, _operation: &'static str, _resource: &str) {}

    /// After AWS answered (`carried_out`: without an error): what the
    /// caller hears.
    fn after(&self, _operation: &'static str, _resource: &str, _carried_out: bool) -> Heard {
        Heard::Answer
    }
}

/// Counts the mutating calls sent.
#[derive(Debug, Default)]
pub struct Count(AtomicUsize);

impl Count {
    /// Calls sent so far.
    pub fn sent(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Tap for Count {
    fn before(&self, _operation: &'static str, _resource: &str) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// `inner`'s ports, with `tap` on every mutating call.
pub struct Tapped<'a, T> {
    /// The ports called.
    pub inner: Ports<'a>,
    /// Told about each mutating call.
    pub tap: T,
}

impl<'a, T: Tap> Tapped<'a, T> {
    /// Taps `inner`.
    pub fn new(inner: Ports<'a>, tap: T) -> Self {
        Tapped { inner, tap }
    }

    /// The tapped ports (CloudWatch only reads: passed as it is).
    pub fn ports(&self) -> Ports<'_> {
        Ports {
            rds: self,
            elasticache: self,
            kafka: self,
            autoscaling: self,
            cloudwatch: self.inner.cloudwatch,
        }
    }

    async fn call<R, F, Fut>(
        &self,
        operation: &'static str,
        resource: &str,
        send: F,
    ) -> Result<R, AwsError>
    where
        F: Fn() -> Fut + Send,
        Fut: Future<Output = Result<R, AwsError>> + Send,
        R: Send,
    {
        self.tap.before(operation, resource);
        let answer = send().await;
        match self.tap.after(operation, resource, answer.is_ok()) {
            Heard::Answer => answer,
            Heard::Retry => send().await,
            Heard::Lost(e) => Err(e),
            Heard::Hang => std::future::pending().await,
        }
    }
}

#[async_trait]
impl<T: Tap> RdsPort for Tapped<'_, T> {
    async fn db_instances(&self) -> Result<Listing<DbInstance>, AwsError> {
        self.inner.rds.db_instances().await
    }

    async fn db_clusters(&self) -> Result<Listing<DbCluster>, AwsError> {
        self.inner.rds.db_clusters().await
    }

    async fn modify_instance_class(
        &self,
        id: &str,
        class: &str,
        apply_immediately: bool,
    ) -> Result<(), AwsError> {
        let rds = self.inner.rds;
        self.call("ModifyDBInstance", id, || {
            rds.modify_instance_class(id, class, apply_immediately)
        })
        .await
    }

    async fn modify_storage_ceiling(&self, id: &str, max_gib: u32) -> Result<(), AwsError> {
        let rds = self.inner.rds;
        self.call("ModifyDBInstance", id, || {
            rds.modify_storage_ceiling(id, max_gib)
        })
        .await
    }

    async fn stop_instance(&self, id: &str) -> Result<(), AwsError> {
        let rds = self.inner.rds;
        self.call("StopDBInstance", id, || rds.stop_instance(id))
            .await
    }

    async fn start_instance(&self, id: &str) -> Result<(), AwsError> {
        let rds = self.inner.rds;
        self.call("StartDBInstance", id, || rds.start_instance(id))
            .await
    }

    async fn stop_cluster(&self, cluster: &str) -> Result<(), AwsError> {
        let rds = self.inner.rds;
        self.call("StopDBCluster", cluster, || rds.stop_cluster(cluster))
            .await
    }

    async fn start_cluster(&self, cluster: &str) -> Result<(), AwsError> {
        let rds = self.inner.rds;
        self.call("StartDBCluster", cluster, || rds.start_cluster(cluster))
            .await
    }

    async fn modify_serverless_capacity(
        &self,
        cluster: &str,
        min_acu: f64,
        max_acu: f64,
        seconds_until_auto_pause: Option<u32>,
    ) -> Result<(), AwsError> {
        let rds = self.inner.rds;
        self.call("ModifyDBCluster", cluster, || {
            rds.modify_serverless_capacity(cluster, min_acu, max_acu, seconds_until_auto_pause)
        })
        .await
    }

    async fn serverless_v2_limits(&self, cluster: &str) -> Result<Option<(f64, f64)>, AwsError> {
        self.inner.rds.serverless_v2_limits(cluster).await
    }

    async fn create_cluster_instance(
        &self,
        cluster: &str,
        id: &str,
        class: &str,
        engine: &str,
    ) -> Result<(), AwsError> {
        let rds = self.inner.rds;
        self.call("CreateDBInstance", id, || {
            rds.create_cluster_instance(cluster, id, class, engine)
        })
        .await
    }

    async fn delete_instance(&self, id: &str) -> Result<(), AwsError> {
        let rds = self.inner.rds;
        self.call("DeleteDBInstance", id, || rds.delete_instance(id))
            .await
    }

    async fn failover_cluster(&self, cluster: &str, target: &str) -> Result<(), AwsError> {
        let rds = self.inner.rds;
        self.call("FailoverDBCluster", cluster, || {
            rds.failover_cluster(cluster, target)
        })
        .await
    }
}

#[async_trait]
impl<T: Tap> ElastiCachePort for Tapped<'_, T> {
    async fn replication_groups(&self) -> Result<Listing<ReplicationGroup>, AwsError> {
        self.inner.elasticache.replication_groups().await
    }

    async fn tags(&self, arn: &str) -> Result<Tags, AwsError> {
        self.inner.elasticache.tags(arn).await
    }

    async fn allowed_node_types(&self, group: &str) -> Result<Option<AllowedNodeTypes>, AwsError> {
        self.inner.elasticache.allowed_node_types(group).await
    }

    async fn modify_node_type(&self, group: &str, node_type: &str) -> Result<(), AwsError> {
        let ec = self.inner.elasticache;
        self.call("ModifyReplicationGroup", group, || {
            ec.modify_node_type(group, node_type)
        })
        .await
    }

    async fn modify_shard_count(&self, group: &str, shards: u32) -> Result<(), AwsError> {
        let ec = self.inner.elasticache;
        self.call("ModifyReplicationGroupShardConfiguration", group, || {
            ec.modify_shard_count(group, shards)
        })
        .await
    }

    async fn modify_replica_count(&self, group: &str, from: u32, to: u32) -> Result<(), AwsError> {
        let ec = self.inner.elasticache;
        let operation = if to > from {
            "IncreaseReplicaCount"
        } else {
            "DecreaseReplicaCount"
        };
        self.call(operation, group, || {
            ec.modify_replica_count(group, from, to)
        })
        .await
    }
}

#[async_trait]
impl<T: Tap> KafkaPort for Tapped<'_, T> {
    async fn clusters(&self) -> Result<Listing<KafkaCluster>, AwsError> {
        self.inner.kafka.clusters().await
    }

    async fn update_broker_count(
        &self,
        arn: &str,
        current_version: &str,
        brokers: u32,
    ) -> Result<(), AwsError> {
        let kafka = self.inner.kafka;
        self.call("UpdateBrokerCount", arn, || {
            kafka.update_broker_count(arn, current_version, brokers)
        })
        .await
    }

    async fn update_broker_type(
        &self,
        arn: &str,
        current_version: &str,
        broker_type: &str,
    ) -> Result<(), AwsError> {
        let kafka = self.inner.kafka;
        self.call("UpdateBrokerType", arn, || {
            kafka.update_broker_type(arn, current_version, broker_type)
        })
        .await
    }

    async fn update_broker_storage(
        &self,
        arn: &str,
        current_version: &str,
        gib: u32,
    ) -> Result<(), AwsError> {
        let kafka = self.inner.kafka;
        self.call("UpdateBrokerStorage", arn, || {
            kafka.update_broker_storage(arn, current_version, gib)
        })
        .await
    }
}

#[async_trait]
impl<T: Tap> AutoScalingPort for Tapped<'_, T> {
    async fn groups(&self) -> Result<Listing<AutoScalingGroup>, AwsError> {
        self.inner.autoscaling.groups().await
    }

    async fn set_capacity(
        &self,
        name: &str,
        min: u32,
        max: u32,
        desired: u32,
    ) -> Result<(), AwsError> {
        let asg = self.inner.autoscaling;
        self.call("UpdateAutoScalingGroup", name, || {
            asg.set_capacity(name, min, max, desired)
        })
        .await
    }

    async fn set_spot_mix(&self, name: &str, mix: &SpotMix) -> Result<(), AwsError> {
        let asg = self.inner.autoscaling;
        self.call("UpdateAutoScalingGroup", name, || {
            asg.set_spot_mix(name, mix)
        })
        .await
    }

    async fn group_of_instance(&self, instance_id: &str) -> Result<Option<String>, AwsError> {
        self.inner.autoscaling.group_of_instance(instance_id).await
    }

    async fn start_instance_refresh(
        &self,
        name: &str,
        min_healthy_percent: u32,
    ) -> Result<String, AwsError> {
        let asg = self.inner.autoscaling;
        self.call("StartInstanceRefresh", name, || {
            asg.start_instance_refresh(name, min_healthy_percent)
        })
        .await
    }
}
