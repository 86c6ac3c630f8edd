//! The RDS and Aurora fake.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::Utc;

use super::{lock, refuse};
use crate::ports::{AwsError, ErrorKind};
use crate::ports::{DbCluster, DbInstance, Listing, RdsPort, Tags};

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
    /// When set, every describe fails with it (an outage, a missing permission).
    describe_failure: Option<AwsError>,
    /// Per cluster: its engine version's ServerlessV2FeaturesSupport (min, max).
    serverless_limits: BTreeMap<String, (f64, f64)>,
    /// Per cluster: SecondsUntilAutoPause in force (only while min is 0).
    auto_pause: BTreeMap<String, u32>,
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

    /// Gives `cluster`'s engine version the Serverless v2 limits `(min, max)`
    /// (e.g. `(0.5, 128.0)` for an older version without auto-pause).
    pub fn put_serverless_limits(&self, cluster: &str, limits: (f64, f64)) {
        lock(&self.state)
            .serverless_limits
            .insert(cluster.to_owned(), limits);
    }

    /// SecondsUntilAutoPause in force on `cluster` (None unless its minimum is 0).
    pub fn auto_pause_seconds(&self, cluster: &str) -> Option<u32> {
        lock(&self.state).auto_pause.get(cluster).copied()
    }

    /// Makes every describe fail with `e` from now on (None: answer again).
    pub fn fail_describes(&self, e: Option<AwsError>) {
        lock(&self.state).describe_failure = e;
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

    fn power_cluster(
        &self,
        operation: &'static str,
        cluster: &str,
        from: &str,
        to: &str,
    ) -> Result<(), AwsError> {
        let mut s = lock(&self.state);
        s.calls.push(format!("{operation} {cluster}"));
        let Some(c) = s.clusters.get_mut(cluster) else {
            return Err(refuse(
                "rds",
                operation,
                cluster,
                ErrorKind::NotFound,
                "DBClusterNotFoundFault",
                "DBCluster not found.",
            ));
        };
        if c.status != from {
            return Err(refuse(
                "rds",
                operation,
                cluster,
                ErrorKind::InvalidState,
                "InvalidDBClusterStateFault",
                &format!("DbCluster {cluster} is in {} state.", c.status),
            ));
        }
        c.status = to.to_owned();
        Ok(())
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
    async fn db_instances(&self) -> Result<Listing<DbInstance>, AwsError> {
        let state = lock(&self.state);
        if let Some(e) = &state.describe_failure {
            return Err(e.clone());
        }
        Ok(Listing::whole(state.instances.values().cloned().collect()))
    }

    async fn db_clusters(&self) -> Result<Listing<DbCluster>, AwsError> {
        let state = lock(&self.state);
        if let Some(e) = &state.describe_failure {
            return Err(e.clone());
        }
        Ok(Listing::whole(state.clusters.values().cloned().collect()))
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

    /// AWS: a cluster stops only from `available` and starts only from
    /// `stopped` (InvalidDBClusterStateFault otherwise).
    async fn stop_cluster(&self, cluster: &str) -> Result<(), AwsError> {
        self.power_cluster("StopDBCluster", cluster, "available", "stopped")
    }

    async fn start_cluster(&self, cluster: &str) -> Result<(), AwsError> {
        self.power_cluster("StartDBCluster", cluster, "stopped", "available")
    }

    async fn modify_serverless_capacity(
        &self,
        cluster: &str,
        min_acu: f64,
        max_acu: f64,
        seconds_until_auto_pause: Option<u32>,
    ) -> Result<(), AwsError> {
        let mut s = lock(&self.state);
        s.calls.push(format!("ModifyDBCluster {cluster}"));
        if !s.clusters.contains_key(cluster) {
            return Err(refuse(
                "rds",
                "ModifyDBCluster",
                cluster,
                ErrorKind::NotFound,
                "DBClusterNotFoundFault",
                "DBCluster not found.",
            ));
        }
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
        // AWS refuses a range outside the engine version's limits, and an
        // auto-pause delay outside 300–86,400 s.
        if let Some(&(lo, hi)) = s.serverless_limits.get(cluster)
            && (min_acu < lo || max_acu > hi)
        {
            return Err(refuse(
                "rds",
                "ModifyDBCluster",
                cluster,
                ErrorKind::Other,
                "InvalidParameterValue",
                &format!("The engine version supports capacity from {lo} to {hi} ACUs."),
            ));
        }
        if seconds_until_auto_pause.is_some_and(|v| !(300..=86_400).contains(&v)) {
            return Err(refuse(
                "rds",
                "ModifyDBCluster",
                cluster,
                ErrorKind::Other,
                "InvalidParameterValue",
                "SecondsUntilAutoPause must be between 300 and 86400.",
            ));
        }
        let Some(c) = s.clusters.get_mut(cluster) else {
            return Ok(());
        };
        c.serverless_v2 = Some((min_acu, max_acu));
        c.status = "modifying".to_owned();
        // AWS shows SecondsUntilAutoPause only while the minimum is 0
        // (default 300 when not given).
        if min_acu == 0.0 {
            let secs = seconds_until_auto_pause.unwrap_or(300);
            s.auto_pause.insert(cluster.to_owned(), secs);
        } else {
            s.auto_pause.remove(cluster);
        }
        Ok(())
    }

    async fn serverless_v2_limits(&self, cluster: &str) -> Result<Option<(f64, f64)>, AwsError> {
        Ok(lock(&self.state).serverless_limits.get(cluster).copied())
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
        if s.instances.contains_key(id) {
            return Err(refuse(
                "rds",
                "CreateDBInstance",
                id,
                ErrorKind::Other,
                "DBInstanceAlreadyExists",
                "DB instance already exists",
            ));
        }
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
            is_reader: true,
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
                storage_type: String::new(),
                iops: None,
                storage_throughput: None,
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
            m.is_reader = !m.is_writer;
        }
        Ok(())
    }
}
