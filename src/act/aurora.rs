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
//! - Writer class, step by step, each checked: add an instance
//!   `{cluster}-writer-{n}` of the target class, wait until it is available, FailoverDBCluster to it, wait
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
    if target == now {
        return Ok(format!("nothing called: {id} has {now} readers already"));
    }
    view.check_available(if target > now {
        "CreateDBInstance"
    } else {
        "DeleteDBInstance"
    })?;
    if target > now {
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
    } else {
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
    let first = |e| step(1, "check the cluster", e);
    let view = View::read(ports, id, "DescribeDBClusters")
        .await
        .map_err(first)?;
    let Some(old) = writer_to_replace(&view, class).map_err(first)? else {
        return Ok(format!(
            "nothing called: the writer of {id} is {class} already"
        ));
    };

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
        Ok(v.writer_id() == Some(new.as_str()) && v.unavailable().is_none())
    })
    .await
    .map_err(|e| step(5, &label, e))?;

    // Step 6: retire the old writer, once it is a reader.
    let retire = format!("retire {}", old.id);
    let view = View::read(ports, id, "DescribeDBClusters")
        .await
        .map_err(|e| step(6, &retire, e))?;
    if view.writer_id() == Some(old.id.as_str()) {
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

/// The writer to replace by one of `class`: None when it is of `class`
/// already; an error when the cluster may not be changed now or its writer
/// is Serverless v2. Pure.
fn writer_to_replace(view: &View, class: &str) -> Result<Option<DbInstance>, AwsError> {
    view.check_available("CreateDBInstance")?;
    let old = view.writer("CreateDBInstance")?;
    if old.class == SERVERLESS_CLASS {
        return Err(refuse(
            "CreateDBInstance",
            &view.cluster.id,
            ErrorKind::Other,
            format!(
                "writer {} is {SERVERLESS_CLASS}: its capacity is the Serverless v2 range, not a class",
                old.id
            ),
        ));
    }
    Ok((old.class != class).then(|| old.clone()))
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
                format!("gave up after {:?}", pace.timeout),
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

    fn writer_id(&self) -> Option<&str> {
        let writer = self.cluster.members.iter().find(|m| m.is_writer);
        writer.map(|m| m.instance_id.as_str())
    }

    fn writer(&self, operation: &'static str) -> Result<&DbInstance, AwsError> {
        self.writer_id()
            .and_then(|w| self.instances.iter().find(|i| i.id == w))
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
    //! The moto tests (tests/it/aws_rds.rs) cover the calls end to end;
    //! these cover what moto cannot show (a busy cluster, an instance that
    //! never comes up) and the choices in between.

    use std::time::Duration;

    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::fake::FakeAws;
    use crate::plan::Cause;
    use crate::policy::{Direction, ResourceKind, load_str};
    use crate::ports::ClusterMember;

    const POLICY: &str = "version: 1\nestate: t\nguardrails: { max_actions_per_hour: 9, oscillation_window: 1h, dry_run: false }\nresources:\n  - { id: c, kind: aurora_cluster, identifier: c, engine: aurora-mysql, writer_class: { ladder: [db.r6g.large, db.r6g.xlarge] }, readers: { min: 0, max: 5 }, scale_up: [{ alarm: hi, scales: readers }] }\n";

    const PACE: Pace = Pace {
        poll: Duration::from_millis(1),
        timeout: Duration::from_millis(20),
    };

    fn instance(id: &str, minute: Option<u32>) -> DbInstance {
        DbInstance {
            id: id.into(),
            arn: format!("arn:aws:rds:us-east-1:1:db:{id}"),
            class: "db.r6g.large".into(),
            engine: "aurora-mysql".into(),
            status: "available".into(),
            multi_az: false,
            pending_modifications: false,
            allocated_gib: 1,
            max_allocated_gib: None,
            storage_type: String::new(),
            iops: None,
            storage_throughput: None,
            cluster: Some("c".into()),
            created: minute.and_then(|m| Utc.with_ymd_and_hms(2026, 1, 1, 0, m, 0).single()),
            tags: Default::default(),
        }
    }

    /// Cluster `c`: writer `w`, reader `c-reader-1`, both db.r6g.large.
    fn estate() -> FakeAws {
        let aws = FakeAws::default();
        aws.rds.put_instance(instance("w", Some(1)));
        aws.rds.put_instance(instance("c-reader-1", Some(2)));
        let member = |id: &str, is_writer| ClusterMember {
            instance_id: id.into(),
            is_writer,
        };
        aws.rds.put_cluster(DbCluster {
            id: "c".into(),
            arn: "arn:aws:rds:us-east-1:1:cluster:c".into(),
            engine: "aurora-mysql".into(),
            status: "available".into(),
            members: vec![member("w", true), member("c-reader-1", false)],
            serverless_v2: None,
            pending_modifications: false,
            tags: Default::default(),
        });
        aws
    }

    /// Applies a change of `knob` to `to` (the plan's starting point is
    /// not checked here: that is the frame's job).
    async fn run(aws: &FakeAws, knob: KnobName, to: Setting) -> Result<String, AwsError> {
        let policy = load_str(POLICY, "t.yaml").expect("valid policy");
        let action = Action {
            policy_id: "c".into(),
            identifier: "c".into(),
            kind: ResourceKind::AuroraCluster,
            knob,
            from: to.clone(),
            to,
            direction: Some(Direction::Up),
            cause: Cause::StorageGrowth { used_percent: 0.0 },
            reason: "test".into(),
            cost_delta_per_hour: None,
            refused: None,
            notes: Vec::new(),
            prices: Vec::new(),
        };
        let obs = crate::observe::observe(&policy, aws.ports(), Utc::now()).await;
        apply(
            &action,
            &policy.resources[0],
            &obs.estate.members[0],
            aws.ports(),
            PACE,
        )
        .await
    }

    #[test]
    fn names_skip_the_taken_and_the_newest_readers_go_first() {
        let taken = vec!["c-reader-1".to_owned(), "c-reader-3".to_owned()];
        assert_eq!(free_name("c", "reader", &taken), "c-reader-2");
        let (a, b, creating) = (
            instance("a", Some(1)),
            instance("b", Some(5)),
            instance("n", None),
        );
        let ids: Vec<&str> = newest(vec![&a, &b, &creating], 2)
            .iter()
            .map(|i| i.id.as_str())
            .collect();
        assert_eq!(ids, vec!["n", "b"]);
    }

    #[tokio::test]
    async fn a_provisioned_reader_takes_the_writers_class_and_a_free_name() {
        let aws = estate();
        let detail = run(&aws, KnobName::Readers, Setting::Count(2)).await;
        let detail = detail.expect("applied");
        assert_eq!(aws.rds.calls(), vec!["CreateDBInstance c-reader-2"]);
        assert_eq!(
            aws.rds.instance("c-reader-2").map(|i| i.class).as_deref(),
            Some("db.r6g.large")
        );
        assert!(detail.contains("1 → 2 readers"), "{detail}");
    }

    #[tokio::test]
    async fn a_busy_cluster_or_an_inverted_range_is_refused_before_any_call() {
        let aws = estate();
        let mut creating = instance("c-reader-1", Some(2));
        creating.status = "creating".into();
        aws.rds.put_instance(creating);
        let bigger = Setting::Class("db.r6g.xlarge".into());
        let e = run(&aws, KnobName::WriterClass, bigger)
            .await
            .expect_err("busy");
        assert_eq!(e.kind, ErrorKind::InvalidState);
        assert!(e.message.starts_with("writer resize stopped at step 1 of 6 (check the cluster): instance c-reader-1 is creating"), "{}", e.message);
        let inverted = Setting::Acu { min: 8.0, max: 4.0 };
        let e = run(&aws, KnobName::ServerlessV2, inverted).await;
        let e = e.expect_err("min > max");
        assert_eq!(e.operation, "ModifyDBCluster");
        assert!(aws.rds.calls().is_empty(), "{:?}", aws.rds.calls());
    }

    #[tokio::test]
    async fn a_wait_gives_up_at_its_timeout_or_at_a_dead_end_and_names_its_step() {
        let aws = estate();
        let e = wait(aws.ports(), "c", PACE, "DescribeDBInstances", |_| Ok(false))
            .await
            .expect_err("never");
        assert_eq!(
            (e.operation, e.kind),
            ("DescribeDBInstances", ErrorKind::Transient)
        );
        assert_eq!(e.message, "gave up after 20ms");
        let e = wait(aws.ports(), "c", PACE, "DescribeDBInstances", |_| {
            Err("x is failed".into())
        })
        .await
        .expect_err("dead end");
        assert_eq!(
            (e.kind, e.message.as_str()),
            (ErrorKind::InvalidState, "x is failed")
        );
        let e = step(3, "wait until x is available", e);
        assert_eq!(
            e.message,
            "writer resize stopped at step 3 of 6 (wait until x is available): x is failed"
        );
    }
}
