//! Carries out Aurora cluster actions: the Serverless v2 capacity range,
//! the number of readers ([`readers`]), and the provisioned writer's class
//! ([`writer`], a recorded sequence of steps that later runs resume).
//!
//! The cluster is read again (DescribeDBClusters, DescribeDBInstances) just
//! before each action, and nothing is called unless the cluster and every
//! one of its instances are `available`: the frame's observation may be
//! older than a change made earlier in the same plan. A member whose role
//! AWS did not report (IsClusterWriter missing) might be the writer: it is
//! never taken for a reader.
//!
//! - Serverless v2: one ModifyDBCluster with the new min and max ACU
//!   (min > max is refused here, as AWS does; so is a range the engine
//!   version cannot take, see [`check_version_limits`]). A minimum of 0
//!   carries the policy's SecondsUntilAutoPause.
//! - Power: StopDBCluster / StartDBCluster (a profile's `stopped`).

mod readers;
mod view;
mod writer;

#[cfg(all(test, feature = "test-util"))]
mod tests;

use super::{Journal, Outcome, Pace};
use crate::estate::{Member, Power, Setting};
use crate::ledger::Steps;
use crate::observe::Ports;
use crate::plan::Action;
use crate::policy::{KnobName, Resource};
use crate::ports::{AwsError, ErrorKind};

use self::view::View;

const SERVICE: &str = "rds";
const SERVERLESS_CLASS: &str = "db.serverless";

/// Applies one planned action: the calls made (applied), or how far a
/// writer resize got (in progress).
pub(crate) async fn apply(
    action: &Action,
    resource: &Resource,
    member: &Member,
    ports: Ports<'_>,
    pace: Pace,
    journal: &dyn Journal,
) -> Result<Outcome, AwsError> {
    let id = member.identifier.as_str();
    let applied = |detail| Outcome::Applied { detail };
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
            check_version_limits(ports, id, *min, *max).await?;
            // AWS keeps SecondsUntilAutoPause only while the minimum is 0.
            let pause = resource.auto_pause_seconds.filter(|_| *min == 0.0);
            ports
                .rds
                .modify_serverless_capacity(id, *min, *max, pause)
                .await?;
            let paused = pause
                .map(|s| format!(" (auto-pause after {s} s idle)"))
                .unwrap_or_default();
            Ok(applied(format!(
                "ModifyDBCluster {id} ServerlessV2ScalingConfiguration {} → {min}–{max} ACU{paused}",
                action.from
            )))
        }
        // A stopped cluster is not `available`: the stop needs it so, the
        // start needs it stopped (AWS refuses otherwise, and says so).
        (KnobName::Power, Setting::Power(Power::Stopped)) => {
            let view = View::read(ports, id, "StopDBCluster").await?;
            view.check_available("StopDBCluster")?;
            ports.rds.stop_cluster(id).await?;
            Ok(applied(format!("StopDBCluster {id}")))
        }
        (KnobName::Power, Setting::Power(Power::Running)) => {
            ports.rds.start_cluster(id).await?;
            Ok(applied(format!("StartDBCluster {id}")))
        }
        (KnobName::Readers, Setting::Count(n)) => {
            readers::readers(resource, ports, id, *n).await.map(applied)
        }
        (KnobName::WriterClass, Setting::Class(class)) => {
            writer::resize(ports, id, class, pace, journal).await
        }
        (knob, to) => Err(refuse(
            "ModifyDBCluster",
            id,
            ErrorKind::Other,
            format!("an Aurora cluster has no {knob} setting {to}"),
        )),
    }
}

/// Highest maximum ACU every Serverless v2 version accepts ("256 for recent
/// Aurora versions, or 128 for older versions", RDS API Reference,
/// ServerlessV2ScalingConfiguration.MaxCapacity).
const OLDER_VERSION_MAX_ACU: f64 = 128.0;

/// Refuses, before any call, a range the cluster's engine version does not
/// allow: a minimum of 0 ACU (auto-pause) or a maximum above 128 ACU needs
/// a recent version, which only the cluster knows (ServerlessV2FeaturesSupport).
/// Asked only then, so an ordinary range costs no extra call; when AWS does
/// not say (or the lookup fails), ModifyDBCluster itself is the judge.
async fn check_version_limits(
    ports: Ports<'_>,
    id: &str,
    min: f64,
    max: f64,
) -> Result<(), AwsError> {
    if min > 0.0 && max <= OLDER_VERSION_MAX_ACU {
        return Ok(());
    }
    // The lookup only saves a call AWS would refuse: when it fails (moto
    // answers DescribeDBEngineVersions with HTTP 500), ModifyDBCluster is
    // still the judge, so a failed lookup does not hold the change.
    let Ok(Some((lo, hi))) = ports.rds.serverless_v2_limits(id).await else {
        return Ok(());
    };
    if min < lo {
        return Err(refuse(
            "ModifyDBCluster",
            id,
            ErrorKind::Other,
            format!(
                "the cluster's engine version has no Serverless v2 auto-pause: its lowest minimum is {lo} ACU, not {min} (upgrade the engine for min_acu 0)"
            ),
        ));
    }
    if max > hi {
        return Err(refuse(
            "ModifyDBCluster",
            id,
            ErrorKind::Other,
            format!(
                "the cluster's engine version allows at most {hi} ACU, not {max} (256 needs a recent Aurora version)"
            ),
        ));
    }
    Ok(())
}

/// Carries on the recorded `steps` of `action` (a writer resize an earlier
/// run left unfinished).
pub(crate) async fn resume(
    action: &Action,
    steps: &Steps,
    ports: Ports<'_>,
    pace: Pace,
    journal: &dyn Journal,
) -> Result<Outcome, AwsError> {
    writer::carry_on(ports, &action.identifier, steps.clone(), pace, journal).await
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
