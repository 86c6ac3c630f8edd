//! Carries out Aurora cluster actions: the Serverless v2 capacity range,
//! the number of readers, and the provisioned writer's class.
//!
//! The cluster is read again (DescribeDBClusters, DescribeDBInstances) just
//! before each action, and nothing is called unless the cluster and every
//! one of its instances are `available`: the frame's observation may be
//! older than a change made earlier in the same plan.
//!
//! - Serverless v2: one ModifyDBCluster with the new min and max ACU
//!   (min > max is refused here, as AWS does).
//! - Readers up: CreateDBInstance `{cluster}-reader-{n}` (n unused), of the
//!   writer's class (`db.serverless` when the policy manages Serverless v2),
//!   promotion tier 15 as Aurora's own replica auto scaling does.
//! - Readers down: DeleteDBInstance of the newest readers (by creation
//!   time), never the writer.
//! - Writer class, step by step, each checked: add an instance of the
//!   target class, wait until it is available, FailoverDBCluster to it, wait
//!   until it is the writer and the cluster is available, then retire the
//!   old writer. A failed check stops the sequence with an error naming the
//!   step and what was left in place.

use std::time::Instant;

use super::Pace;
use crate::aws::{AwsError, ErrorKind};
use crate::estate::{Member, Setting};
use crate::observe::Ports;
use crate::plan::Action;
use crate::policy::{KnobName, Resource};
use crate::ports::{DbCluster, DbInstance};

const SERVICE: &str = "rds";
const SERVERLESS_CLASS: &str = "db.serverless";
/// Statuses an instance never leaves by itself on its way to `available`.
const DEAD_ENDS: &[&str] = &[
    "failed",
    "deleting",
    "incompatible-network",
    "incompatible-option-group",
    "incompatible-parameters",
    "incompatible-restore",
    "inaccessible-encryption-credentials",
    "restore-error",
    "storage-full",
];

/// Applies one planned action; returns the calls made, for the operator.
pub(crate) async fn apply(
    action: &Action,
    resource: &Resource,
    member: &Member,
    ports: Ports<'_>,
    pace: Pace,
) -> Result<String, AwsError> {
    let id = member.identifier.as_str();
    match (action.knob, &action.to) {
        (KnobName::ServerlessV2, Setting::Acu { min, max }) => {
            if min > max {
                return Err(refuse(
                    "ModifyDBCluster",
                    id,
                    ErrorKind::Other,
                    format!("Serverless v2 minimum {min} ACU is above the maximum {max} ACU"),
                ));
            }
            let view = View::read(ports, id, "ModifyDBCluster").await?;
            view.check_available("ModifyDBCluster")?;
            ports.rds.modify_serverless_capacity(id, *min, *max).await?;
            Ok(format!(
                "ModifyDBCluster {id} ServerlessV2ScalingConfiguration {} → {min}–{max} ACU",
                action.from
            ))
        }
        (KnobName::Readers, Setting::Count(n)) => readers(resource, ports, id, *n).await,
        (KnobName::WriterClass, Setting::Class(class)) => {
            resize_writer(ports, id, class, pace).await
        }
        (knob, to) => Err(refuse(
            "ModifyDBCluster",
            id,
            ErrorKind::Other,
            format!("an Aurora cluster has no {knob} setting {to}"),
        )),
    }
}

/// Adds or removes readers until the cluster has `target`.
async fn readers(
    resource: &Resource,
    ports: Ports<'_>,
    id: &str,
    target: u32,
) -> Result<String, AwsError> {
    let view = View::read(ports, id, "DescribeDBClusters").await?;
    let now = view.readers().len();
    let target = target as usize;
    if target > now {
        view.check_available("CreateDBInstance")?;
        let writer = view.writer("CreateDBInstance")?;
        let class = if resource.knob(KnobName::ServerlessV2).is_some() {
            SERVERLESS_CLASS
        } else {
            writer.class.as_str()
        };
        let mut taken = view.all_ids.clone();
        let mut made = Vec::new();
        for _ in now..target {
            let name = free_name(id, "reader", &taken);
            ports
                .rds
                .create_cluster_instance(id, &name, class, &view.cluster.engine)
                .await
                .map_err(|e| after(e, "created", &made))?;
            taken.push(name.clone());
            made.push(name);
        }
        Ok(format!(
            "CreateDBInstance {} ({class}, {}, promotion tier 15) in {id}: {now} → {target} readers",
            made.join(", "),
            view.cluster.engine
        ))
    } else if target < now {
        view.check_available("DeleteDBInstance")?;
        let doomed = newest(view.readers(), now - target);
        let mut gone = Vec::new();
        for r in &doomed {
            ports
                .rds
                .delete_instance(&r.id)
                .await
                .map_err(|e| after(e, "deleted", &gone))?;
            gone.push(r.id.clone());
        }
        Ok(format!(
            "DeleteDBInstance {} (the newest readers; the writer is kept) in {id}: {now} → {target} readers",
            gone.join(", ")
        ))
    } else {
        Ok(format!("nothing called: {id} has {now} readers already"))
    }
}

/// The writer resize, one checked step at a time.
async fn resize_writer(
    ports: Ports<'_>,
    id: &str,
    class: &str,
    pace: Pace,
) -> Result<String, AwsError> {
    // Step 1: the cluster as it is now.
    let view = View::read(ports, id, "DescribeDBClusters")
        .await
        .map_err(|e| step(1, "check the cluster", e))?;
    view.check_available("CreateDBInstance")
        .map_err(|e| step(1, "check the cluster", e))?;
    let old = view
        .writer("CreateDBInstance")
        .map_err(|e| step(1, "check the cluster", e))?
        .clone();
    if old.class == class {
        return Ok(format!(
            "nothing called: writer {} of {id} is {class} already",
            old.id
        ));
    }
    if old.class == SERVERLESS_CLASS {
        return Err(step(
            1,
            "check the cluster",
            refuse(
                "CreateDBInstance",
                id,
                ErrorKind::Other,
                format!(
                    "writer {} is {SERVERLESS_CLASS}; its capacity is the Serverless v2 range, not a class",
                    old.id
                ),
            ),
        ));
    }

    // Step 2: an instance of the target class.
    let new = free_name(id, "writer", &view.all_ids);
    ports
        .rds
        .create_cluster_instance(id, &new, class, &view.cluster.engine)
        .await
        .map_err(|e| step(2, &format!("create {new} ({class})"), e))?;

    // Step 3: wait until it is available.
    let label = format!("wait until {new} is available; it is left in place as a reader");
    wait(ports, id, pace, "DescribeDBInstances", |v| {
        match v.instances.iter().find(|i| i.id == new) {
            Some(i)
                if i.status == "available"
                    && v.cluster.members.iter().any(|m| m.instance_id == new) =>
            {
                Ok(true)
            }
            Some(i) if DEAD_ENDS.contains(&i.status.as_str()) => {
                Err(format!("{new} is {}", i.status))
            }
            _ => Ok(false),
        }
    })
    .await
    .map_err(|e| step(3, &label, e))?;

    // Step 4: fail over to it.
    ports.rds.failover_cluster(id, &new).await.map_err(|e| {
        step(
            4,
            &format!("fail over to {new}; it is left in place as a reader"),
            e,
        )
    })?;

    // Step 5: wait until it is the writer and the cluster is available again.
    let label = format!("wait until {new} is the writer; {} is kept", old.id);
    wait(ports, id, pace, "DescribeDBClusters", |v| {
        let writer = v
            .cluster
            .members
            .iter()
            .find(|m| m.is_writer)
            .map(|m| m.instance_id.as_str());
        Ok(writer == Some(new.as_str()) && v.unavailable().is_none())
    })
    .await
    .map_err(|e| step(5, &label, e))?;

    // Step 6: retire the old writer, once it is a reader.
    let retire = format!("retire {}", old.id);
    let view = View::read(ports, id, "DescribeDBClusters")
        .await
        .map_err(|e| step(6, &retire, e))?;
    if view
        .cluster
        .members
        .iter()
        .any(|m| m.instance_id == old.id && m.is_writer)
    {
        return Err(step(
            6,
            &retire,
            refuse(
                "DeleteDBInstance",
                &old.id,
                ErrorKind::InvalidState,
                "it is the writer again; kept".to_owned(),
            ),
        ));
    }
    ports
        .rds
        .delete_instance(&old.id)
        .await
        .map_err(|e| step(6, &retire, e))?;
    Ok(format!(
        "CreateDBInstance {new} ({class}), waited until available, FailoverDBCluster {id} to {new}, waited until it was the writer, DeleteDBInstance {} ({}, the old writer)",
        old.id, old.class
    ))
}

/// Polls the cluster every `pace.poll` until `done` says so, `done` finds a
/// dead end, or `pace.timeout` passes.
async fn wait(
    ports: Ports<'_>,
    id: &str,
    pace: Pace,
    operation: &'static str,
    done: impl Fn(&View) -> Result<bool, String>,
) -> Result<(), AwsError> {
    let start = Instant::now();
    loop {
        let view = View::read(ports, id, operation).await?;
        match done(&view) {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(why) => return Err(refuse(operation, id, ErrorKind::InvalidState, why)),
        }
        if start.elapsed() >= pace.timeout {
            return Err(refuse(
                operation,
                id,
                ErrorKind::Transient,
                format!("gave up after {} s", pace.timeout.as_secs()),
            ));
        }
        tokio::time::sleep(pace.poll).await;
    }
}

/// One cluster and its instances, as just described.
#[derive(Debug, Clone)]
struct View {
    cluster: DbCluster,
    /// The cluster's instances that were described.
    instances: Vec<DbInstance>,
    /// Every instance identifier in the region (names must be unique).
    all_ids: Vec<String>,
}

impl View {
    async fn read(ports: Ports<'_>, id: &str, operation: &'static str) -> Result<View, AwsError> {
        let clusters = ports.rds.db_clusters().await?;
        let Some(cluster) = clusters.into_iter().find(|c| c.id == id) else {
            return Err(refuse(
                operation,
                id,
                ErrorKind::NotFound,
                "the cluster is gone".to_owned(),
            ));
        };
        let all = ports.rds.db_instances().await?;
        let all_ids = all.iter().map(|i| i.id.clone()).collect();
        let instances = all
            .into_iter()
            .filter(|i| cluster.members.iter().any(|m| m.instance_id == i.id))
            .collect();
        Ok(View {
            cluster,
            instances,
            all_ids,
        })
    }

    /// Why the cluster may not be changed now, if it may not.
    fn unavailable(&self) -> Option<String> {
        if self.cluster.status != "available" {
            return Some(format!("the cluster is {}", self.cluster.status));
        }
        self.cluster.members.iter().find_map(|m| {
            match self.instances.iter().find(|i| i.id == m.instance_id) {
                Some(i) if i.status == "available" => None,
                Some(i) => Some(format!("instance {} is {}", i.id, i.status)),
                None => Some(format!("instance {} was not described", m.instance_id)),
            }
        })
    }

    fn check_available(&self, operation: &'static str) -> Result<(), AwsError> {
        match self.unavailable() {
            None => Ok(()),
            Some(why) => Err(refuse(
                operation,
                &self.cluster.id,
                ErrorKind::InvalidState,
                format!(
                    "{why}; Aurora changes are made only while the cluster and all its instances are available"
                ),
            )),
        }
    }

    fn writer(&self, operation: &'static str) -> Result<&DbInstance, AwsError> {
        self.cluster
            .members
            .iter()
            .find(|m| m.is_writer)
            .and_then(|m| self.instances.iter().find(|i| i.id == m.instance_id))
            .ok_or_else(|| {
                refuse(
                    operation,
                    &self.cluster.id,
                    ErrorKind::InvalidState,
                    "the cluster has no writer".to_owned(),
                )
            })
    }

    fn readers(&self) -> Vec<&DbInstance> {
        self.cluster
            .members
            .iter()
            .filter(|m| !m.is_writer)
            .filter_map(|m| self.instances.iter().find(|i| i.id == m.instance_id))
            .collect()
    }
}

/// The identifier `{cluster}-{role}-{n}` with the smallest n ≥ 1 not in `taken`.
fn free_name(cluster: &str, role: &str, taken: &[String]) -> String {
    let mut n = 1_u32;
    loop {
        let name = format!("{cluster}-{role}-{n}");
        if !taken.contains(&name) {
            return name;
        }
        n += 1;
    }
}

/// The `count` newest readers, newest first: by creation time, an instance
/// without one (still being created) counting as newest, ties by identifier.
fn newest(mut readers: Vec<&DbInstance>, count: usize) -> Vec<&DbInstance> {
    readers.sort_by(|a, b| match (a.created, b.created) {
        (Some(x), Some(y)) => y.cmp(&x).then_with(|| b.id.cmp(&a.id)),
        (None, Some(_)) => std::cmp::Ordering::Less,
        (Some(_), None) => std::cmp::Ordering::Greater,
        (None, None) => b.id.cmp(&a.id),
    });
    readers.truncate(count);
    readers
}

/// Names the writer-resize step an error stopped at.
fn step(n: u8, what: &str, mut e: AwsError) -> AwsError {
    e.message = format!(
        "writer resize stopped at step {n} of 6 ({what}): {}",
        e.message
    );
    e
}

/// Says what was done before a call in a series failed.
fn after(mut e: AwsError, verb: &str, done: &[String]) -> AwsError {
    if !done.is_empty() {
        e.message = format!("{} (already {verb}: {})", e.message, done.join(", "));
    }
    e
}

/// An error found before or between calls, named like AWS's own.
fn refuse(operation: &'static str, resource: &str, kind: ErrorKind, message: String) -> AwsError {
    AwsError {
        service: SERVICE,
        operation,
        resource: resource.to_owned(),
        kind,
        code: None,
        message,
    }
}

#[cfg(all(test, feature = "test-util"))]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use async_trait::async_trait;
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::estate::Status;
    use crate::fake::{FakeAws, FakeRds};
    use crate::plan::Cause;
    use crate::policy::{Direction, Policy, ResourceKind, load_str};
    use crate::ports::{ClusterMember, RdsPort};

    const POLICY: &str = r#"
version: 1
estate: t
guardrails: { max_actions_per_hour: 10, oscillation_window: 1h, dry_run: false }
resources:
  - id: sv2
    kind: aurora_cluster
    identifier: c
    engine: aurora-mysql
    serverless_v2: { min_acu: 0.5, max_acu: 16, floor_acu: 1.5, step_acu: 1 }
    readers: { min: 0, max: 5, floor: 0 }
    scale_up: [{ metric: ACUUtilization, above: 80, scales: serverless_v2 }]
  - id: prov
    kind: aurora_cluster
    identifier: c
    engine: aurora-mysql
    writer_class: { ladder: [db.r6g.large, db.r6g.xlarge], floor: db.r6g.large }
    readers: { min: 0, max: 5, floor: 0 }
    scale_up: [{ metric: CPUUtilization, above: 80, scales: writer_class }]
"#;

    const PACE: Pace = Pace {
        poll: Duration::from_millis(1),
        timeout: Duration::from_millis(30),
    };

    fn policy() -> Policy {
        load_str(POLICY, "t.yaml").expect("valid policy")
    }

    fn instance(id: &str, class: &str, minute: Option<u32>) -> DbInstance {
        DbInstance {
            id: id.into(),
            arn: format!("arn:aws:rds:us-east-1:1:db:{id}"),
            class: class.into(),
            engine: "aurora-mysql".into(),
            status: "available".into(),
            multi_az: false,
            pending_modifications: false,
            allocated_gib: 1,
            max_allocated_gib: None,
            cluster: Some("c".into()),
            created: minute.and_then(|m| Utc.with_ymd_and_hms(2026, 1, 1, 0, m, 0).single()),
            tags: BTreeMap::new(),
        }
    }

    /// Cluster `c`: writer `w` (created last), readers `c-reader-1` (oldest), `r-b`.
    fn estate(class: &str) -> FakeAws {
        let aws = FakeAws::default();
        for i in [
            instance("w", class, Some(30)),
            instance("c-reader-1", class, Some(1)),
            instance("r-b", class, Some(2)),
        ] {
            aws.rds.put_instance(i);
        }
        aws.rds.put_cluster(DbCluster {
            id: "c".into(),
            arn: "arn:aws:rds:us-east-1:1:cluster:c".into(),
            engine: "aurora-mysql".into(),
            status: "available".into(),
            members: [("w", true), ("c-reader-1", false), ("r-b", false)]
                .into_iter()
                .map(|(i, w)| ClusterMember {
                    instance_id: i.into(),
                    is_writer: w,
                })
                .collect(),
            serverless_v2: Some((0.5, 4.0)),
            pending_modifications: false,
            tags: BTreeMap::new(),
        });
        aws
    }

    fn action(knob: KnobName, from: Setting, to: Setting) -> Action {
        Action {
            policy_id: "sv2".into(),
            identifier: "c".into(),
            kind: ResourceKind::AuroraCluster,
            knob,
            from,
            to,
            direction: Some(Direction::Up),
            cause: Cause::StorageGrowth { used_percent: 0.0 },
            reason: "test".into(),
            cost_delta_per_hour: None,
            refused: None,
            notes: Vec::new(),
        }
    }

    fn member() -> Member {
        Member {
            policy_id: "sv2".into(),
            identifier: "c".into(),
            kind: ResourceKind::AuroraCluster,
            status: Status::Available,
            pending_changes: false,
            settings: BTreeMap::new(),
            multi_az: true,
            spot_mix: None,
            storage_used_percent: None,
            tags: BTreeMap::new(),
        }
    }

    fn class_of(rds: &FakeRds, id: &str) -> Option<String> {
        rds.instance(id).map(|i| i.class)
    }

    #[test]
    fn names_skip_the_taken_and_the_newest_readers_go_first() {
        let taken = vec!["c-reader-1".to_owned(), "c-reader-3".to_owned()];
        assert_eq!(free_name("c", "reader", &taken), "c-reader-2");
        let (a, b, fresh) = (
            instance("a", "x", Some(1)),
            instance("b", "x", Some(5)),
            instance("n", "x", None),
        );
        let ids: Vec<&str> = newest(vec![&a, &b, &fresh], 2)
            .iter()
            .map(|i| i.id.as_str())
            .collect();
        assert_eq!(ids, vec!["n", "b"]);
    }

    #[tokio::test]
    async fn readers_up_take_free_names_and_the_serverless_class() {
        let aws = estate(SERVERLESS_CLASS);
        let p = policy();
        let a = action(KnobName::Readers, Setting::Count(2), Setting::Count(4));
        let detail = apply(&a, &p.resources[0], &member(), aws.ports(), PACE)
            .await
            .expect("applied");
        assert_eq!(
            aws.rds.calls(),
            vec!["CreateDBInstance c-reader-2", "CreateDBInstance c-reader-3"]
        );
        assert_eq!(
            class_of(&aws.rds, "c-reader-3").as_deref(),
            Some(SERVERLESS_CLASS)
        );
        assert!(detail.contains("2 → 4 readers"), "{detail}");
    }

    #[tokio::test]
    async fn a_provisioned_reader_takes_the_writers_class() {
        let aws = estate("db.r6g.large");
        let a = action(KnobName::Readers, Setting::Count(2), Setting::Count(3));
        apply(&a, &policy().resources[1], &member(), aws.ports(), PACE)
            .await
            .expect("applied");
        assert_eq!(
            class_of(&aws.rds, "c-reader-2").as_deref(),
            Some("db.r6g.large")
        );
    }

    #[tokio::test]
    async fn readers_down_delete_the_newest_reader_never_the_newer_writer() {
        let aws = estate(SERVERLESS_CLASS);
        let a = action(KnobName::Readers, Setting::Count(2), Setting::Count(1));
        apply(&a, &policy().resources[0], &member(), aws.ports(), PACE)
            .await
            .expect("applied");
        assert_eq!(aws.rds.calls(), vec!["DeleteDBInstance r-b"]);
        let a = action(KnobName::Readers, Setting::Count(1), Setting::Count(0));
        apply(&a, &policy().resources[0], &member(), aws.ports(), PACE)
            .await
            .expect("applied");
        assert!(aws.rds.instance("w").is_some());
        assert_eq!(aws.rds.cluster("c").map(|c| c.members.len()), Some(1));
    }

    #[tokio::test]
    async fn a_busy_cluster_or_an_inverted_range_is_refused_before_any_call() {
        let aws = estate(SERVERLESS_CLASS);
        let mut r = instance("r-b", SERVERLESS_CLASS, Some(2));
        r.status = "creating".into();
        aws.rds.put_instance(r);
        let a = action(KnobName::Readers, Setting::Count(2), Setting::Count(3));
        let e = apply(&a, &policy().resources[0], &member(), aws.ports(), PACE)
            .await
            .expect_err("busy");
        assert_eq!(e.kind, ErrorKind::InvalidState);
        assert!(
            e.message.starts_with("instance r-b is creating"),
            "{}",
            e.message
        );
        let a = action(
            KnobName::ServerlessV2,
            Setting::Acu { min: 0.5, max: 4.0 },
            Setting::Acu { min: 8.0, max: 4.0 },
        );
        let e = apply(&a, &policy().resources[0], &member(), aws.ports(), PACE)
            .await
            .expect_err("min > max");
        assert_eq!(e.operation, "ModifyDBCluster");
        assert!(aws.rds.calls().is_empty(), "{:?}", aws.rds.calls());
    }

    #[tokio::test]
    async fn the_writer_moves_to_a_new_instance_of_the_target_class() {
        let aws = estate("db.r6g.large");
        let a = action(
            KnobName::WriterClass,
            Setting::Class("db.r6g.large".into()),
            Setting::Class("db.r6g.xlarge".into()),
        );
        let detail = apply(&a, &policy().resources[1], &member(), aws.ports(), PACE)
            .await
            .expect("applied");
        assert_eq!(
            aws.rds.calls(),
            vec![
                "CreateDBInstance c-writer-1",
                "FailoverDBCluster c",
                "DeleteDBInstance w"
            ]
        );
        let c = aws.rds.cluster("c").expect("cluster");
        let writer = c
            .members
            .iter()
            .find(|m| m.is_writer)
            .map(|m| m.instance_id.clone());
        assert_eq!(writer.as_deref(), Some("c-writer-1"));
        assert_eq!(
            class_of(&aws.rds, "c-writer-1").as_deref(),
            Some("db.r6g.xlarge")
        );
        assert!(
            detail.contains("DeleteDBInstance w (db.r6g.large, the old writer)"),
            "{detail}"
        );
    }

    /// The fake, except that new instances never become available.
    struct Stuck(FakeRds);

    #[async_trait]
    impl RdsPort for Stuck {
        async fn db_instances(&self) -> Result<Vec<DbInstance>, AwsError> {
            let mut all = self.0.db_instances().await?;
            for i in all.iter_mut().filter(|i| i.id.contains("-writer-")) {
                i.status = "creating".into();
            }
            Ok(all)
        }
        async fn db_clusters(&self) -> Result<Vec<DbCluster>, AwsError> {
            self.0.db_clusters().await
        }
        async fn modify_instance_class(
            &self,
            id: &str,
            class: &str,
            now: bool,
        ) -> Result<(), AwsError> {
            self.0.modify_instance_class(id, class, now).await
        }
        async fn modify_storage_ceiling(&self, id: &str, gib: u32) -> Result<(), AwsError> {
            self.0.modify_storage_ceiling(id, gib).await
        }
        async fn stop_instance(&self, id: &str) -> Result<(), AwsError> {
            self.0.stop_instance(id).await
        }
        async fn start_instance(&self, id: &str) -> Result<(), AwsError> {
            self.0.start_instance(id).await
        }
        async fn modify_serverless_capacity(
            &self,
            c: &str,
            min: f64,
            max: f64,
        ) -> Result<(), AwsError> {
            self.0.modify_serverless_capacity(c, min, max).await
        }
        async fn create_cluster_instance(
            &self,
            c: &str,
            id: &str,
            class: &str,
            engine: &str,
        ) -> Result<(), AwsError> {
            self.0.create_cluster_instance(c, id, class, engine).await
        }
        async fn delete_instance(&self, id: &str) -> Result<(), AwsError> {
            self.0.delete_instance(id).await
        }
        async fn failover_cluster(&self, c: &str, target: &str) -> Result<(), AwsError> {
            self.0.failover_cluster(c, target).await
        }
    }

    #[tokio::test]
    async fn a_new_instance_that_never_comes_up_stops_the_resize_at_step_3() {
        let mut aws = estate("db.r6g.large");
        let stuck = Stuck(std::mem::take(&mut aws.rds));
        let ports = Ports {
            rds: &stuck,
            ..aws.ports()
        };
        let a = action(
            KnobName::WriterClass,
            Setting::Class("db.r6g.large".into()),
            Setting::Class("db.r6g.xlarge".into()),
        );
        let e = apply(&a, &policy().resources[1], &member(), ports, PACE)
            .await
            .expect_err("stuck");
        assert!(
            e.message.starts_with(
                "writer resize stopped at step 3 of 6 (wait until c-writer-1 is available"
            ),
            "{}",
            e.message
        );
        assert!(e.message.contains("gave up after"), "{}", e.message);
        assert_eq!(stuck.0.calls(), vec!["CreateDBInstance c-writer-1"]);
        assert!(stuck.0.instance("w").is_some());
    }
}
