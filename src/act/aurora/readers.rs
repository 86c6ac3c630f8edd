//! Readers up and down.
//!
//! Up: CreateDBInstance `{cluster}-reader-{n}` (n unused), of the writer's
//! class (`db.serverless` when the policy manages Serverless v2), promotion
//! tier 15 as Aurora's own replica auto scaling does. Down: DeleteDBInstance
//! of the newest readers (by creation time), only members AWS says are
//! readers: one whose role is not reported might be the writer.
//!
//! "Already done" answers (`DBInstanceAlreadyExists` on a create, the
//! SDK's retry of a call whose answer was lost; `DBInstanceNotFound` on a
//! delete) count as done; a create so answered is checked to be a member
//! of this cluster.

use super::view::{View, free_name, newest};
use super::{SERVERLESS_CLASS, after, refuse};
use crate::observe::Ports;
use crate::policy::{KnobName, Resource};
use crate::ports::{AwsError, ErrorKind};

const ALREADY_EXISTS: &str = "DBInstanceAlreadyExists";
const NOT_FOUND: &str = "DBInstanceNotFound";

/// Adds or removes readers until the cluster has `target`.
pub(super) async fn readers(
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
    let operation = if target > now {
        "CreateDBInstance"
    } else {
        "DeleteDBInstance"
    };
    view.check_available(operation)?;
    if let Some(unknown) = view.unknown_roles().first() {
        return Err(refuse(
            operation,
            id,
            ErrorKind::InvalidState,
            format!(
                "AWS did not say whether {unknown} is the writer (IsClusterWriter missing); readers are left alone"
            ),
        ));
    }
    if target > now {
        add(resource, ports, &view, now, target).await
    } else {
        remove(ports, &view, now, target).await
    }
}

async fn add(
    resource: &Resource,
    ports: Ports<'_>,
    view: &View,
    now: usize,
    target: usize,
) -> Result<String, AwsError> {
    let id = view.cluster.id.as_str();
    let writer = view.writer("CreateDBInstance")?;
    let class = if resource.knob(KnobName::ServerlessV2).is_some() {
        SERVERLESS_CLASS
    } else {
        writer.class.as_str()
    };
    let mut taken = view.all_ids.clone();
    let mut made = Vec::new();
    let mut answered_already = Vec::new();
    for _ in now..target {
        let name = free_name(id, "reader", &taken);
        match ports
            .rds
            .create_cluster_instance(id, &name, class, &view.cluster.engine)
            .await
        {
            Ok(()) => {}
            Err(e) if e.code.as_deref() == Some(ALREADY_EXISTS) => {
                answered_already.push(name.clone());
            }
            Err(e) => return Err(after(e, "created", &made)),
        }
        taken.push(name.clone());
        made.push(name);
    }
    if !answered_already.is_empty() {
        // Ours only if it is in this cluster now.
        let again = View::read(ports, id, "DescribeDBClusters").await?;
        if let Some(stranger) = answered_already.iter().find(|n| !again.has_member(n)) {
            return Err(refuse(
                "CreateDBInstance",
                stranger,
                ErrorKind::Other,
                format!("{stranger} exists but is not a member of {id}"),
            ));
        }
    }
    let already = if answered_already.is_empty() {
        String::new()
    } else {
        format!(
            "; AWS answered {} already exists (a retried call that had been carried out)",
            answered_already.join(", ")
        )
    };
    Ok(format!(
        "CreateDBInstance {} ({class}, {}, promotion tier 15) in {id}: {now} → {target} readers{already}",
        made.join(", "),
        view.cluster.engine
    ))
}

async fn remove(
    ports: Ports<'_>,
    view: &View,
    now: usize,
    target: usize,
) -> Result<String, AwsError> {
    let id = view.cluster.id.as_str();
    let doomed = newest(view.readers(), now - target);
    let mut gone = Vec::new();
    for r in &doomed {
        match ports.rds.delete_instance(&r.id).await {
            Ok(()) => {}
            // Gone is what was wanted (a retried delete that had been carried out).
            Err(e) if e.code.as_deref() == Some(NOT_FOUND) => {}
            Err(e) => return Err(after(e, "deleted", &gone)),
        }
        gone.push(r.id.clone());
    }
    Ok(format!(
        "DeleteDBInstance {} (the newest readers; the writer is kept) in {id}: {now} → {target} readers",
        gone.join(", ")
    ))
}
