//! Carries out MSK actions: broker count (grow only, in multiples of the
//! cluster's AZ count), broker type, and per-broker storage (grow only).
//!
//! Every MSK update needs the cluster `ACTIVE` and its CurrentVersion, which
//! changes with each update. The observation the plan was made on may be
//! seconds old, so the cluster is read again (ListClustersV2) just before
//! the call, and the call carries the version read then; its state and
//! settings are checked again on that reading. A change MSK cannot make
//! this way (fewer brokers, smaller volumes) fails with a clear error
//! before any call.

use crate::estate::{Member, Setting};
use crate::observe::Ports;
use crate::plan::Action;
use crate::policy::KnobName;
use crate::ports::KafkaCluster;
use crate::ports::{AwsError, ErrorKind};

const SERVICE: &str = "kafka";

/// Applies one planned action; returns the calls made, for the operator.
pub(crate) async fn apply(
    action: &Action,
    member: &Member,
    ports: Ports<'_>,
) -> Result<String, AwsError> {
    let op = operation(action.knob);
    let name = member.identifier.as_str();
    // Errors name the resource as the policy does (and the cluster), not
    // the whole-region list nor the ARN the calls carry.
    let label = if member.policy_id == name {
        name.to_owned()
    } else {
        format!("{} (cluster {name})", member.policy_id)
    };
    let named = |e: AwsError| AwsError {
        resource: label.clone(),
        ..e
    };
    let clusters = ports.kafka.clusters().await.map_err(named)?;
    let Some(cluster) = clusters.iter().find(|c| c.name == name) else {
        return Err(refuse(
            op,
            name,
            ErrorKind::NotFound,
            "the cluster is gone".to_owned(),
        ));
    };
    let update = match check(action, cluster)? {
        Some(update) => update,
        None => {
            return Ok(format!(
                "{op} not called: {name} reached {} {} meanwhile",
                action.knob, action.to
            ));
        }
    };
    let version = cluster.current_version.as_str();
    let arn = cluster.arn.as_str();
    let change = match update {
        Update::Brokers(n) => {
            ports
                .kafka
                .update_broker_count(arn, version, n)
                .await
                .map_err(named)?;
            format!("{} → {n} brokers", cluster.brokers)
        }
        Update::BrokerType(t) => {
            ports
                .kafka
                .update_broker_type(arn, version, t)
                .await
                .map_err(named)?;
            format!("{} → {t}", cluster.broker_type)
        }
        Update::Storage(gib) => {
            ports
                .kafka
                .update_broker_storage(arn, version, gib)
                .await
                .map_err(named)?;
            format!(
                "{} → {gib} GiB per broker (all brokers)",
                cluster.storage_gib.unwrap_or(0)
            )
        }
    };
    Ok(format!("{op} {name} {change} (CurrentVersion {version})"))
}

/// One MSK update, checked.
#[derive(Debug, Clone, PartialEq)]
enum Update<'a> {
    /// UpdateBrokerCount to this many brokers.
    Brokers(u32),
    /// UpdateBrokerType to this type.
    BrokerType(&'a str),
    /// UpdateBrokerStorage to this many GiB per broker.
    Storage(u32),
}

/// The MSK call for a knob.
fn operation(knob: KnobName) -> &'static str {
    match knob {
        KnobName::Brokers => "UpdateBrokerCount",
        KnobName::BrokerType => "UpdateBrokerType",
        KnobName::Storage => "UpdateBrokerStorage",
        _ => "apply",
    }
}

/// Checks `action` against the cluster as just read: the update to make,
/// None when the cluster is already at the target, or why MSK cannot make
/// it. Pure.
fn check<'a>(action: &'a Action, cluster: &KafkaCluster) -> Result<Option<Update<'a>>, AwsError> {
    let op = operation(action.knob);
    let name = cluster.name.as_str();
    if cluster.state != "ACTIVE" {
        return Err(refuse(
            op,
            name,
            ErrorKind::InvalidState,
            format!(
                "the cluster is {}; MSK updates need it ACTIVE",
                cluster.state
            ),
        ));
    }
    match (action.knob, &action.to) {
        (KnobName::Brokers, Setting::Count(to)) => {
            let (to, now, azs) = (*to, cluster.brokers, cluster.az_count);
            if to == now {
                return Ok(None);
            }
            if to < now {
                return Err(refuse(
                    op,
                    name,
                    ErrorKind::Other,
                    format!(
                        "MSK cannot remove brokers with UpdateBrokerCount ({now} → {to}); \
                         removing brokers means moving partitions off them first"
                    ),
                ));
            }
            if azs == 0 || to % azs != 0 {
                return Err(refuse(
                    op,
                    name,
                    ErrorKind::Other,
                    format!("{to} brokers is not a multiple of the cluster's {azs} AZs"),
                ));
            }
            Ok(Some(Update::Brokers(to)))
        }
        (KnobName::BrokerType, Setting::Class(to)) => {
            Ok((*to != cluster.broker_type).then_some(Update::BrokerType(to)))
        }
        (KnobName::Storage, Setting::Gib(to)) => {
            let Some(now) = cluster.storage_gib else {
                return Err(refuse(
                    op,
                    name,
                    ErrorKind::Other,
                    "the cluster reports no EBS volume (Express brokers: AWS manages their storage)"
                        .to_owned(),
                ));
            };
            let to = *to;
            if to < now {
                return Err(refuse(
                    op,
                    name,
                    ErrorKind::Other,
                    format!("MSK storage only grows ({now} GiB → {to} GiB per broker)"),
                ));
            }
            Ok((to > now).then_some(Update::Storage(to)))
        }
        (knob, to) => Err(refuse(
            op,
            name,
            ErrorKind::Other,
            format!("an MSK cluster has no {knob} setting {to}"),
        )),
    }
}

/// An error found before calling AWS, named like AWS's own.
fn refuse(operation: &'static str, cluster: &str, kind: ErrorKind, message: String) -> AwsError {
    AwsError {
        service: SERVICE,
        operation,
        resource: cluster.to_owned(),
        kind,
        code: None,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Cause;
    use crate::policy::{Direction, ResourceKind};
    use crate::ports::Tags;

    fn cluster(state: &str) -> KafkaCluster {
        KafkaCluster {
            name: "events-msk".into(),
            arn: "arn:aws:kafka:us-east-1:1:cluster/events-msk/1".into(),
            state: state.into(),
            current_version: "K2".into(),
            brokers: 3,
            broker_type: "kafka.m5.xlarge".into(),
            storage_gib: Some(1000),
            az_count: 3,
            tags: Tags::new(),
        }
    }

    fn action(knob: KnobName, from: Setting, to: Setting) -> Action {
        Action {
            policy_id: "events".into(),
            identifier: "events-msk".into(),
            kind: ResourceKind::MskCluster,
            knob,
            from,
            to,
            direction: Some(Direction::Up),
            cause: Cause::StorageGrowth { used_percent: 80.0 },
            reason: "test".into(),
            cost_delta_per_hour: None,
            refused: None,
            notes: Vec::new(),
            prices: Vec::new(),
        }
    }

    #[test]
    fn grows_brokers_in_multiples_of_the_az_count() {
        let a = action(KnobName::Brokers, Setting::Count(3), Setting::Count(6));
        assert_eq!(check(&a, &cluster("ACTIVE")), Ok(Some(Update::Brokers(6))));

        let a = action(KnobName::Brokers, Setting::Count(3), Setting::Count(4));
        let err = check(&a, &cluster("ACTIVE")).expect_err("not a multiple");
        assert_eq!(err.operation, "UpdateBrokerCount");
        assert!(
            err.message
                .contains("not a multiple of the cluster's 3 AZs"),
            "{err}"
        );
    }

    #[test]
    fn never_removes_brokers() {
        let mut c = cluster("ACTIVE");
        c.brokers = 6;
        let a = action(KnobName::Brokers, Setting::Count(6), Setting::Count(3));
        let err = check(&a, &c).expect_err("down");
        assert_eq!(err.resource, "events-msk");
        assert!(
            err.message.starts_with("MSK cannot remove brokers"),
            "{err}"
        );
    }

    #[test]
    fn storage_only_grows() {
        let a = action(KnobName::Storage, Setting::Gib(1000), Setting::Gib(1100));
        assert_eq!(
            check(&a, &cluster("ACTIVE")),
            Ok(Some(Update::Storage(1100)))
        );
        let a = action(KnobName::Storage, Setting::Gib(1000), Setting::Gib(900));
        let err = check(&a, &cluster("ACTIVE")).expect_err("shrink");
        assert_eq!(err.operation, "UpdateBrokerStorage");
        assert!(err.message.contains("only grows"), "{err}");
    }

    #[test]
    fn changes_the_broker_type() {
        let to = Setting::Class("kafka.m5.2xlarge".into());
        let a = action(
            KnobName::BrokerType,
            Setting::Class("kafka.m5.xlarge".into()),
            to,
        );
        assert_eq!(
            check(&a, &cluster("ACTIVE")),
            Ok(Some(Update::BrokerType("kafka.m5.2xlarge")))
        );
    }

    #[test]
    fn a_cluster_already_at_the_target_needs_no_call() {
        let a = action(KnobName::Brokers, Setting::Count(0), Setting::Count(3));
        assert_eq!(check(&a, &cluster("ACTIVE")), Ok(None));
        let a = action(KnobName::Storage, Setting::Gib(900), Setting::Gib(1000));
        assert_eq!(check(&a, &cluster("ACTIVE")), Ok(None));
    }

    #[test]
    fn nothing_starts_while_the_cluster_is_not_active() {
        let a = action(KnobName::Brokers, Setting::Count(3), Setting::Count(6));
        let err = check(&a, &cluster("UPDATING")).expect_err("busy");
        assert_eq!(err.kind, ErrorKind::InvalidState);
        assert!(err.message.contains("UPDATING"), "{err}");
    }

    #[test]
    fn a_knob_msk_does_not_have_is_an_error() {
        let a = action(KnobName::Shards, Setting::Count(1), Setting::Count(2));
        let err = check(&a, &cluster("ACTIVE")).expect_err("wrong knob");
        assert_eq!(err.operation, "apply");
        assert!(err.message.contains("no shards setting"), "{err}");
    }
}
