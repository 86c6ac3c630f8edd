//! The provisioned writer's class, as a recorded sequence of steps.
//!
//! 1. Each reader of the old writer's class is moved to the target class
//!    (ModifyDBInstance, ApplyImmediately), one at a time, so the readers
//!    and the failover target match.
//! 2. The new writer `{cluster}-writer-{n}` is created (a reader until the
//!    failover) and waited for.
//! 3. FailoverDBCluster to it, waited for until it is the writer.
//! 4. The old writer, a reader now, is deleted.
//!
//! The steps, with every instance name, are fixed and written to the
//! journal before anything is called; each step is written `started`
//! before its call and `done` when AWS shows it done. Whether a step needs
//! its call is always read from AWS, never assumed: a run that died after
//! a call (or whose answer was lost) is followed by one that finds the
//! step done and goes on; nothing is created or failed over twice. A run
//! goes as far as its deadline allows; the rest is left recorded, and a
//! later run carries it on ([`carry_on`]).

use std::time::Instant;

use chrono::Utc;

use super::view::{DEAD_ENDS, View, free_name};
use super::{SERVERLESS_CLASS, refuse};
use crate::act::{Journal, Outcome, Pace};
use crate::ledger::{Step, StepOp, StepState, Steps};
use crate::observe::Ports;
use crate::ports::DbInstance;
use crate::ports::{AwsError, ErrorKind};

/// Starts the resize of cluster `id`'s writer to `class`: the steps are
/// planned from the cluster as it is now, recorded, then taken.
pub(super) async fn resize(
    ports: Ports<'_>,
    id: &str,
    class: &str,
    pace: Pace,
    journal: &dyn Journal,
) -> Result<Outcome, AwsError> {
    let view = View::read(ports, id, "DescribeDBClusters").await?;
    let Some(old) = writer_to_replace(&view, class)? else {
        return Ok(Outcome::Applied {
            detail: format!("nothing called: the writer of {id} is {class} already"),
        });
    };
    let steps = plan(&view, &old, class);
    // Nothing is called before the steps and their names are recorded.
    if let Err(why) = journal.record(&steps).await {
        return Ok(Outcome::Failed {
            error: format!(
                "writer resize of {id} not started: the ledger could not record its steps ({why}); nothing was called"
            ),
            source: None,
        });
    }
    carry_on(ports, id, steps, pace, journal).await
}

/// Takes the steps not done yet, in order, as far as `pace` allows.
pub(super) async fn carry_on(
    ports: Ports<'_>,
    id: &str,
    mut steps: Steps,
    pace: Pace,
    journal: &dyn Journal,
) -> Result<Outcome, AwsError> {
    while let Some((i, _)) = steps.next() {
        if let Some(why) = advance(ports, id, &mut steps, i, pace, journal).await? {
            return Ok(Outcome::InProgress {
                detail: format!(
                    "writer resize of {id}: {}; {why}; a later run carries it on",
                    steps.summary()
                ),
            });
        }
    }
    Ok(Outcome::Applied {
        detail: story(id, &steps),
    })
}

/// What one look at the cluster says of a step.
#[derive(Debug, Clone, PartialEq)]
enum Check {
    /// AWS shows it done (and what was found).
    Done(String),
    /// Under way, or the cluster is busy: wait (and why).
    Wait(String),
    /// Its call is needed.
    Call,
    /// It can never be done (and why).
    Dead(String),
}

/// Takes step `i` until AWS shows it done: Ok(None). Ok(Some(why)) when
/// the run must leave it (deadline, step timeout, the ledger); Err when it
/// can never be done, or its call failed and AWS shows it not taken.
async fn advance(
    ports: Ports<'_>,
    id: &str,
    steps: &mut Steps,
    i: usize,
    pace: Pace,
    journal: &dyn Journal,
) -> Result<Option<String>, AwsError> {
    let op = steps.steps[i].op.clone();
    let start = Instant::now();
    let mut sent = false;
    let mut call_error: Option<AwsError> = None;
    loop {
        let view = match View::read(ports, id, "DescribeDBClusters").await {
            Ok(v) => v,
            // A read that fails stops this run here, not the change.
            Err(e) => return Ok(Some(format!("reading the cluster failed ({e})"))),
        };
        let waiting = match check(&op, &view) {
            Check::Done(found) => {
                mark(steps, i, StepState::Done, found);
                return match journal.record(steps).await {
                    Ok(()) => Ok(None),
                    Err(why) => Ok(Some(format!(
                        "the ledger could not record {op} done ({why})"
                    ))),
                };
            }
            Check::Dead(why) => {
                mark(steps, i, StepState::Failed, why.clone());
                // The error below says it all, recorded or not.
                let _ = journal.record(steps).await;
                return Err(stopped(id, &op, steps, call_error, why));
            }
            Check::Call if sent => match call_error.take() {
                // AWS shows the step not taken: the intent is unmet.
                Some(e) => {
                    let why = format!("{e}; read back: the step was not taken");
                    mark(steps, i, StepState::Failed, why.clone());
                    let _ = journal.record(steps).await;
                    return Err(stopped(id, &op, steps, Some(e), why));
                }
                None => format!("{op} was called; AWS does not show it yet"),
            },
            Check::Call => {
                mark(
                    steps,
                    i,
                    StepState::Started,
                    format!("calling {}", call_name(&op)),
                );
                if let Err(why) = journal.record(steps).await {
                    return Ok(Some(format!(
                        "the ledger could not record {op} ({why}); it was not taken"
                    )));
                }
                sent = true;
                if let Err(e) = call(ports, id, &view, &op).await
                    && !already_done(&op, &e)
                {
                    // Read back at once: it may have been carried out.
                    call_error = Some(e);
                }
                continue;
            }
            Check::Wait(why) => why,
        };
        if pace.out_of_time() {
            return Ok(Some(format!("the run's deadline came while {waiting}")));
        }
        if start.elapsed() >= pace.timeout {
            return Ok(Some(format!("{waiting}, still after {:?}", pace.timeout)));
        }
        tokio::time::sleep(pace.poll).await;
    }
}

/// What the cluster as just read says of `op`. Pure.
fn check(op: &StepOp, v: &View) -> Check {
    match op {
        StepOp::MoveReader { instance, class } => {
            let Some(i) = v.instance(instance) else {
                return Check::Done(format!("{instance} is no longer in the cluster"));
            };
            if v.writer_id() == Some(instance.as_str()) {
                return Check::Dead(format!("{instance} became the writer"));
            }
            if let Some(why) = dead_end(i) {
                return Check::Dead(why);
            }
            if i.status != "available" || i.pending_modifications {
                return Check::Wait(busy(i));
            }
            if i.class == *class {
                return Check::Done(format!("{instance} is {class}"));
            }
            match v.unavailable() {
                Some(why) => Check::Wait(why),
                None => Check::Call,
            }
        }
        StepOp::CreateWriter { instance, class } => match v.instance(instance) {
            Some(i) => {
                if let Some(why) = dead_end(i) {
                    Check::Dead(why)
                } else if i.status != "available" {
                    Check::Wait(busy(i))
                } else if i.class != *class {
                    Check::Dead(format!("{instance} is {}, not {class}", i.class))
                } else {
                    Check::Done(format!("{instance} ({class}) is available"))
                }
            }
            // Described in the region, not (yet) a member of the cluster.
            None if v.all_ids.contains(instance) => {
                Check::Wait(format!("{instance} is not a member of the cluster yet"))
            }
            None => match v.unavailable() {
                Some(why) => Check::Wait(why),
                None => Check::Call,
            },
        },
        StepOp::Failover { to } => {
            if !v.has_member(to) {
                return Check::Dead(format!("{to} is not in the cluster"));
            }
            let roles = v.unknown_roles();
            match (v.writer_id() == Some(to.as_str()), v.unavailable()) {
                (_, Some(why)) => Check::Wait(why),
                (true, None) => Check::Done(format!("{to} is the writer")),
                (false, None) if !roles.is_empty() => Check::Wait(format!(
                    "AWS does not say which of {} is the writer",
                    roles.join(", ")
                )),
                (false, None) => Check::Call,
            }
        }
        StepOp::Retire { instance } => {
            if !v.all_ids.contains(instance) {
                return Check::Done(format!("{instance} is gone"));
            }
            let Some(i) = v.instance(instance) else {
                return Check::Dead(format!("{instance} is not a member of the cluster; kept"));
            };
            if i.status == "deleting" {
                return Check::Done(format!("{instance} is being deleted"));
            }
            if v.writer_id() == Some(instance.as_str()) {
                return Check::Dead(format!("{instance} is the writer again; kept"));
            }
            if !v.readers().iter().any(|r| r.id == *instance) {
                return Check::Wait(format!("AWS does not say {instance} is a reader"));
            }
            match v.unavailable() {
                Some(why) => Check::Wait(why),
                None => Check::Call,
            }
        }
    }
}

/// The call a step makes.
async fn call(ports: Ports<'_>, id: &str, v: &View, op: &StepOp) -> Result<(), AwsError> {
    match op {
        StepOp::MoveReader { instance, class } => {
            ports.rds.modify_instance_class(instance, class, true).await
        }
        StepOp::CreateWriter { instance, class } => {
            ports
                .rds
                .create_cluster_instance(id, instance, class, &v.cluster.engine)
                .await
        }
        StepOp::Failover { to } => ports.rds.failover_cluster(id, to).await,
        StepOp::Retire { instance } => ports.rds.delete_instance(instance).await,
    }
}

fn call_name(op: &StepOp) -> &'static str {
    match op {
        StepOp::MoveReader { .. } => "ModifyDBInstance",
        StepOp::CreateWriter { .. } => "CreateDBInstance",
        StepOp::Failover { .. } => "FailoverDBCluster",
        StepOp::Retire { .. } => "DeleteDBInstance",
    }
}

/// AWS saying the step's call was carried out before (a retry of a call
/// whose answer was lost).
fn already_done(op: &StepOp, e: &AwsError) -> bool {
    matches!(
        (op, e.code.as_deref()),
        (StepOp::CreateWriter { .. }, Some("DBInstanceAlreadyExists"))
            | (StepOp::Retire { .. }, Some("DBInstanceNotFound"))
    )
}

fn dead_end(i: &DbInstance) -> Option<String> {
    DEAD_ENDS
        .contains(&i.status.as_str())
        .then(|| format!("{} is {}", i.id, i.status))
}

fn busy(i: &DbInstance) -> String {
    if i.pending_modifications {
        format!("{} is {} with pending modifications", i.id, i.status)
    } else {
        format!("{} is {}", i.id, i.status)
    }
}

fn mark(steps: &mut Steps, i: usize, state: StepState, detail: String) {
    let step = &mut steps.steps[i];
    step.state = state;
    step.detail = detail;
    step.at = Some(Utc::now());
}

/// The writer to replace by one of `class`: None when it is of `class`
/// already; an error when the cluster may not be changed now, AWS does not
/// say which member is the writer, or the writer is Serverless v2. Pure.
pub(super) fn writer_to_replace(view: &View, class: &str) -> Result<Option<DbInstance>, AwsError> {
    view.check_available("CreateDBInstance")?;
    if let Some(unknown) = view.unknown_roles().first() {
        return Err(refuse(
            "CreateDBInstance",
            &view.cluster.id,
            ErrorKind::InvalidState,
            format!("AWS did not say whether {unknown} is the writer (IsClusterWriter missing)"),
        ));
    }
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

/// The steps from writer `old` to one of `class`, names chosen now. Pure.
pub(super) fn plan(view: &View, old: &DbInstance, class: &str) -> Steps {
    let mut readers: Vec<&DbInstance> = view
        .readers()
        .into_iter()
        .filter(|r| r.class == old.class)
        .collect();
    readers.sort_by(|a, b| a.id.cmp(&b.id));
    let new = free_name(&view.cluster.id, "writer", &view.all_ids);
    let ops = readers
        .into_iter()
        .map(|r| StepOp::MoveReader {
            instance: r.id.clone(),
            class: class.to_owned(),
        })
        .chain([
            StepOp::CreateWriter {
                instance: new.clone(),
                class: class.to_owned(),
            },
            StepOp::Failover { to: new },
            StepOp::Retire {
                instance: old.id.clone(),
            },
        ]);
    Steps {
        steps: ops
            .map(|op| Step {
                op,
                state: StepState::Pending,
                detail: String::new(),
                at: None,
            })
            .collect(),
    }
}

/// The finished sequence, for the operator: each step and what was found.
fn story(id: &str, steps: &Steps) -> String {
    let each: Vec<String> = steps
        .steps
        .iter()
        .map(|s| match &s.op {
            StepOp::Failover { to } => format!("FailoverDBCluster {id} to {to}: {}", s.detail),
            op => format!("{} ({op}): {}", call_name(op), s.detail),
        })
        .collect();
    format!(
        "writer of {id} resized in {} steps: {}",
        steps.steps.len(),
        each.join("; ")
    )
}

/// The error a stopped sequence ends with: the step, what was found, and
/// what is left in place.
fn stopped(
    id: &str,
    op: &StepOp,
    steps: &Steps,
    source: Option<AwsError>,
    why: String,
) -> AwsError {
    let done = steps
        .steps
        .iter()
        .filter(|s| s.state == StepState::Done)
        .count();
    let message = format!(
        "writer resize stopped at {op} ({done} of {} steps done, left in place): {why}",
        steps.steps.len()
    );
    match source {
        Some(mut e) => {
            e.message = message;
            e
        }
        None => refuse(call_name(op), id, ErrorKind::InvalidState, message),
    }
}
