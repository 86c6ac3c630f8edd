//! Stateful fakes of every port (feature `test-util`), for the AWS
//! behaviours moto server does not show: a modification leaves the resource
//! `modifying` until it settles, `ApplyImmediately=false` leaves it pending
//! until the maintenance window, Serverless v2 refuses min > max, MSK refuses
//! updates while not `ACTIVE` or with a stale current version. Apply, then
//! observe, shows the change — these are real code with state, not mocks.
//! The AWS protocol itself is tested against moto server (`tests/`).

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::aws::{AwsError, ErrorKind};
use crate::policy::SpotMix;
use crate::ports::{
    AutoScalingGroup, AutoScalingPort, CloudWatchPort, DbCluster, DbInstance, ElastiCachePort,
    KafkaCluster, KafkaPort, MetricQuery, RdsPort, ReplicationGroup, Tags,
};
use crate::signals::AlarmState;

fn refuse(
    service: &'static str,
    operation: &'static str,
    resource: &str,
    kind: ErrorKind,
    code: &str,
    message: &str,
) -> AwsError {
    AwsError {
        service,
        operation,
        resource: resource.to_owned(),
        kind,
        code: Some(code.to_owned()),
        message: message.to_owned(),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned fake means a test already panicked; keep going with its state.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// RDS and Aurora, as AWS behaves.
#[derive(Debug, Default)]
pub struct FakeRds {
    state: Mutex<RdsState>,
}

#[derive(Debug, Default)]
struct RdsState {
    instances: BTreeMap<String, DbInstance>,
    clusters: BTreeMap<String, DbCluster>,
    /// Class changes waiting for the maintenance window.
    deferred: BTreeMap<String, String>,
    calls: Vec<String>,
}

impl FakeRds {
    /// Adds or replaces an instance.
    pub fn put_instance(&self, i: DbInstance) {
        lock(&self.state).instances.insert(i.id.clone(), i);
    }

    /// Adds or replaces a cluster.
    pub fn put_cluster(&self, c: DbCluster) {
        lock(&self.state).clusters.insert(c.id.clone(), c);
    }

    /// Every modification in progress finishes: statuses back to `available`.
    pub fn settle(&self) {
        let mut s = lock(&self.state);
        for i in s.instances.values_mut() {
            if i.status == "modifying" {
                i.status = "available".to_owned();
            }
        }
        for c in s.clusters.values_mut() {
            if c.status == "modifying" {
                c.status = "available".to_owned();
            }
        }
    }

    /// The maintenance window passes: deferred class changes are applied.
    pub fn maintenance_window(&self) {
        let mut s = lock(&self.state);
        let deferred = std::mem::take(&mut s.deferred);
        for (id, class) in deferred {
            if let Some(i) = s.instances.get_mut(&id) {
                i.class = class;
                i.pending_modifications = false;
            }
        }
    }

    /// The instance as the fake holds it.
    pub fn instance(&self, id: &str) -> Option<DbInstance> {
        lock(&self.state).instances.get(id).cloned()
    }

    /// The cluster as the fake holds it.
    pub fn cluster(&self, id: &str) -> Option<DbCluster> {
        lock(&self.state).clusters.get(id).cloned()
    }

    /// Mutating calls made, in order (`Operation id`).
    pub fn calls(&self) -> Vec<String> {
        lock(&self.state).calls.clone()
    }

    fn with_instance<R>(
        &self,
        operation: &'static str,
        id: &str,
        f: impl FnOnce(&mut DbInstance, &mut BTreeMap<String, String>) -> Result<R, AwsError>,
    ) -> Result<R, AwsError> {
        let mut s = lock(&self.state);
        s.calls.push(format!("{operation} {id}"));
        let RdsState {
            instances,
            deferred,
            ..
        } = &mut *s;
        let i = instances.get_mut(id).ok_or_else(|| {
            refuse(
                "rds",
                operation,
                id,
                ErrorKind::NotFound,
                "DBInstanceNotFound",
                &format!("DBInstance {id} not found."),
            )
        })?;
        if i.status != "available" && operation != "StartDBInstance" {
            return Err(refuse(
                "rds",
                operation,
                id,
                ErrorKind::InvalidState,
                "InvalidDBInstanceState",
                &format!("Instance {id} is not in available state."),
            ));
        }
        f(i, deferred)
    }
}

#[async_trait]
impl RdsPort for FakeRds {
    async fn db_instances(&self) -> Result<Vec<DbInstance>, AwsError> {
        Ok(lock(&self.state).instances.values().cloned().collect())
    }

    async fn db_clusters(&self) -> Result<Vec<DbCluster>, AwsError> {
        Ok(lock(&self.state).clusters.values().cloned().collect())
    }

    async fn modify_instance_class(
        &self,
        id: &str,
        class: &str,
        apply_immediately: bool,
    ) -> Result<(), AwsError> {
        self.with_instance("ModifyDBInstance", id, |i, deferred| {
            if apply_immediately {
                i.class = class.to_owned();
                i.status = "modifying".to_owned();
            } else {
                i.pending_modifications = true;
                deferred.insert(id.to_owned(), class.to_owned());
            }
            Ok(())
        })
    }

    async fn modify_storage_ceiling(&self, id: &str, max_gib: u32) -> Result<(), AwsError> {
        self.with_instance("ModifyDBInstance", id, |i, _| {
            if max_gib <= i.allocated_gib {
                return Err(refuse(
                    "rds",
                    "ModifyDBInstance",
                    id,
                    ErrorKind::Other,
                    "InvalidParameterCombination",
                    "Max storage size must be greater than storage size",
                ));
            }
            i.max_allocated_gib = Some(max_gib);
            Ok(())
        })
    }

    async fn stop_instance(&self, id: &str) -> Result<(), AwsError> {
        self.with_instance("StopDBInstance", id, |i, _| {
            i.status = "stopped".to_owned();
            Ok(())
        })
    }

    async fn start_instance(&self, id: &str) -> Result<(), AwsError> {
        self.with_instance("StartDBInstance", id, |i, _| {
            if i.status != "stopped" {
                return Err(refuse(
                    "rds",
                    "StartDBInstance",
                    id,
                    ErrorKind::InvalidState,
                    "InvalidDBInstanceState",
                    "Instance is not stopped.",
                ));
            }
            i.status = "available".to_owned();
            Ok(())
        })
    }

    async fn modify_serverless_capacity(
        &self,
        cluster: &str,
        min_acu: f64,
        max_acu: f64,
    ) -> Result<(), AwsError> {
        let mut s = lock(&self.state);
        s.calls.push(format!("ModifyDBCluster {cluster}"));
        let c = s.clusters.get_mut(cluster).ok_or_else(|| {
            refuse(
                "rds",
                "ModifyDBCluster",
                cluster,
                ErrorKind::NotFound,
                "DBClusterNotFoundFault",
                "DBCluster not found.",
            )
        })?;
        // AWS refuses what moto accepts.
        if min_acu > max_acu {
            return Err(refuse(
                "rds",
                "ModifyDBCluster",
                cluster,
                ErrorKind::Other,
                "InvalidParameterCombination",
                "The maximum capacity must be greater than or equal to the minimum capacity.",
            ));
        }
        c.serverless_v2 = Some((min_acu, max_acu));
        c.status = "modifying".to_owned();
        Ok(())
    }

    async fn create_cluster_instance(
        &self,
        cluster: &str,
        id: &str,
        class: &str,
        engine: &str,
    ) -> Result<(), AwsError> {
        let mut s = lock(&self.state);
        s.calls.push(format!("CreateDBInstance {id}"));
        let c = s.clusters.get_mut(cluster).ok_or_else(|| {
            refuse(
                "rds",
                "CreateDBInstance",
                cluster,
                ErrorKind::NotFound,
                "DBClusterNotFoundFault",
                "DBCluster not found.",
            )
        })?;
        c.members.push(crate::ports::ClusterMember {
            instance_id: id.to_owned(),
            is_writer: false,
        });
        let created = Utc::now();
        s.instances.insert(
            id.to_owned(),
            DbInstance {
                id: id.to_owned(),
                arn: format!("arn:aws:rds:us-east-1:000000000000:db:{id}"),
                class: class.to_owned(),
                engine: engine.to_owned(),
                status: "available".to_owned(),
                multi_az: false,
                pending_modifications: false,
                allocated_gib: 1,
                max_allocated_gib: None,
                cluster: Some(cluster.to_owned()),
                created: Some(created),
                tags: Tags::new(),
            },
        );
        Ok(())
    }

    async fn delete_instance(&self, id: &str) -> Result<(), AwsError> {
        let mut s = lock(&self.state);
        s.calls.push(format!("DeleteDBInstance {id}"));
        if s.instances.remove(id).is_none() {
            return Err(refuse(
                "rds",
                "DeleteDBInstance",
                id,
                ErrorKind::NotFound,
                "DBInstanceNotFound",
                "not found",
            ));
        }
        for c in s.clusters.values_mut() {
            c.members.retain(|m| m.instance_id != id);
        }
        Ok(())
    }

    async fn failover_cluster(&self, cluster: &str, target: &str) -> Result<(), AwsError> {
        let mut s = lock(&self.state);
        s.calls.push(format!("FailoverDBCluster {cluster}"));
        let c = s.clusters.get_mut(cluster).ok_or_else(|| {
            refuse(
                "rds",
                "FailoverDBCluster",
                cluster,
                ErrorKind::NotFound,
                "DBClusterNotFoundFault",
                "DBCluster not found.",
            )
        })?;
        if !c.members.iter().any(|m| m.instance_id == target) {
            return Err(refuse(
                "rds",
                "FailoverDBCluster",
                cluster,
                ErrorKind::Other,
                "InvalidParameterValue",
                "target is not a member",
            ));
        }
        for m in &mut c.members {
            m.is_writer = m.instance_id == target;
        }
        Ok(())
    }
}

/// MSK, as AWS behaves: one update at a time, only while `ACTIVE`, only
/// with the current version.
#[derive(Debug, Default)]
pub struct FakeKafka {
    clusters: Mutex<BTreeMap<String, KafkaCluster>>,
}

impl FakeKafka {
    /// Adds or replaces a cluster (keyed by ARN).
    pub fn put(&self, c: KafkaCluster) {
        lock(&self.clusters).insert(c.arn.clone(), c);
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
    async fn clusters(&self) -> Result<Vec<KafkaCluster>, AwsError> {
        Ok(lock(&self.clusters).values().cloned().collect())
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
            c.storage_gib = gib
        })
    }
}

/// ElastiCache with state.
#[derive(Debug, Default)]
pub struct FakeElastiCache {
    groups: Mutex<BTreeMap<String, (ReplicationGroup, Tags)>>,
}

impl FakeElastiCache {
    /// Adds or replaces a replication group.
    pub fn put(&self, g: ReplicationGroup, tags: Tags) {
        lock(&self.groups).insert(g.id.clone(), (g, tags));
    }

    fn modify(
        &self,
        operation: &'static str,
        id: &str,
        f: impl FnOnce(&mut ReplicationGroup),
    ) -> Result<(), AwsError> {
        let mut all = lock(&self.groups);
        let (g, _) = all.get_mut(id).ok_or_else(|| {
            refuse(
                "elasticache",
                operation,
                id,
                ErrorKind::NotFound,
                "ReplicationGroupNotFoundFault",
                "not found",
            )
        })?;
        if g.status != "available" {
            return Err(refuse(
                "elasticache",
                operation,
                id,
                ErrorKind::InvalidState,
                "InvalidReplicationGroupState",
                "not available",
            ));
        }
        f(g);
        g.status = "modifying".to_owned();
        Ok(())
    }
}

#[async_trait]
impl ElastiCachePort for FakeElastiCache {
    async fn replication_groups(&self) -> Result<Vec<ReplicationGroup>, AwsError> {
        Ok(lock(&self.groups)
            .values()
            .map(|(g, _)| g.clone())
            .collect())
    }

    async fn tags(&self, arn: &str) -> Result<Tags, AwsError> {
        Ok(lock(&self.groups)
            .values()
            .find(|(g, _)| g.arn == arn)
            .map(|(_, t)| t.clone())
            .unwrap_or_default())
    }

    async fn modify_node_type(&self, group: &str, node_type: &str) -> Result<(), AwsError> {
        self.modify("ModifyReplicationGroup", group, |g| {
            g.node_type = node_type.to_owned()
        })
    }

    async fn modify_shard_count(&self, group: &str, shards: u32) -> Result<(), AwsError> {
        self.modify("ModifyReplicationGroupShardConfiguration", group, |g| {
            g.shards = shards
        })
    }

    async fn modify_replica_count(&self, group: &str, _from: u32, to: u32) -> Result<(), AwsError> {
        self.modify("IncreaseReplicaCount", group, |g| g.replicas = to)
    }
}

/// Auto Scaling with state.
#[derive(Debug, Default)]
pub struct FakeAutoScaling {
    groups: Mutex<BTreeMap<String, AutoScalingGroup>>,
}

impl FakeAutoScaling {
    /// Adds or replaces a group.
    pub fn put(&self, g: AutoScalingGroup) {
        lock(&self.groups).insert(g.name.clone(), g);
    }
}

#[async_trait]
impl AutoScalingPort for FakeAutoScaling {
    async fn groups(&self) -> Result<Vec<AutoScalingGroup>, AwsError> {
        Ok(lock(&self.groups).values().cloned().collect())
    }

    async fn set_capacity(
        &self,
        name: &str,
        min: u32,
        max: u32,
        desired: u32,
    ) -> Result<(), AwsError> {
        let mut all = lock(&self.groups);
        let g = all.get_mut(name).ok_or_else(|| {
            refuse(
                "autoscaling",
                "UpdateAutoScalingGroup",
                name,
                ErrorKind::NotFound,
                "ValidationError",
                "AutoScalingGroup name not found",
            )
        })?;
        if min > desired || desired > max {
            return Err(refuse(
                "autoscaling",
                "UpdateAutoScalingGroup",
                name,
                ErrorKind::Other,
                "ValidationError",
                "Desired capacity must be between min and max",
            ));
        }
        (g.min, g.max, g.desired) = (min, max, desired);
        Ok(())
    }

    async fn set_spot_mix(&self, name: &str, mix: &SpotMix) -> Result<(), AwsError> {
        let mut all = lock(&self.groups);
        let g = all.get_mut(name).ok_or_else(|| {
            refuse(
                "autoscaling",
                "UpdateAutoScalingGroup",
                name,
                ErrorKind::NotFound,
                "ValidationError",
                "AutoScalingGroup name not found",
            )
        })?;
        g.mix = Some(mix.clone());
        Ok(())
    }
}

/// CloudWatch with alarm states and metric series set by the test.
#[derive(Debug, Default)]
pub struct FakeCloudWatch {
    alarms: Mutex<BTreeMap<String, AlarmState>>,
    series: Mutex<BTreeMap<(String, String), Vec<f64>>>,
}

impl FakeCloudWatch {
    /// Sets an alarm's state.
    pub fn set_alarm(&self, name: &str, state: AlarmState) {
        lock(&self.alarms).insert(name.to_owned(), state);
    }

    /// Sets the recent values of a metric for an identifier.
    pub fn set_series(&self, identifier: &str, metric: &str, values: Vec<f64>) {
        lock(&self.series).insert((identifier.to_owned(), metric.to_owned()), values);
    }
}

#[async_trait]
impl CloudWatchPort for FakeCloudWatch {
    async fn alarm_states(
        &self,
        names: &[String],
    ) -> Result<BTreeMap<String, AlarmState>, AwsError> {
        let alarms = lock(&self.alarms);
        Ok(names
            .iter()
            .filter_map(|n| alarms.get(n).map(|s| (n.clone(), *s)))
            .collect())
    }

    async fn recent_values(
        &self,
        queries: &[MetricQuery],
        _now: DateTime<Utc>,
        _lookback: chrono::TimeDelta,
    ) -> Result<BTreeMap<(String, String), Vec<f64>>, AwsError> {
        let series = lock(&self.series);
        Ok(queries
            .iter()
            .filter_map(|q| {
                let key = (q.identifier.clone(), q.metric.clone());
                series.get(&key).map(|v| (key, v.clone()))
            })
            .collect())
    }
}

/// One fake per port, with the ports borrowed from them.
#[derive(Debug, Default)]
pub struct FakeAws {
    /// RDS and Aurora.
    pub rds: FakeRds,
    /// ElastiCache.
    pub elasticache: FakeElastiCache,
    /// MSK.
    pub kafka: FakeKafka,
    /// Auto Scaling.
    pub autoscaling: FakeAutoScaling,
    /// CloudWatch.
    pub cloudwatch: FakeCloudWatch,
}

impl FakeAws {
    /// The ports.
    pub fn ports(&self) -> crate::observe::Ports<'_> {
        crate::observe::Ports {
            rds: &self.rds,
            elasticache: &self.elasticache,
            kafka: &self.kafka,
            autoscaling: &self.autoscaling,
            cloudwatch: &self.cloudwatch,
        }
    }
}
