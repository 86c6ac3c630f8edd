//! Carries out ElastiCache actions: node type (ModifyReplicationGroup),
//! shard count (ModifyReplicationGroupShardConfiguration; a shrink removes
//! the last node groups) and replicas per shard (IncreaseReplicaCount /
//! DecreaseReplicaCount), all applied immediately.
//!
//! The frame has already checked the group is available, nothing is
//! pending and it still stands where the plan started. Here the target is
//! checked against ElastiCache's limits (1–90 shards, 0–5 replicas per
//! shard) before the call, so an out-of-range target fails with a clear
//! error rather than AWS's.

use crate::estate::{Member, Setting};
use crate::observe::Ports;
use crate::plan::Action;
use crate::policy::KnobName;
use crate::ports::AllowedNodeTypes;
use crate::ports::{AwsError, ErrorKind};

const SERVICE: &str = "elasticache";
/// ElastiCache's shard range (cluster mode).
const SHARDS: std::ops::RangeInclusive<u32> = 1..=90;
/// ElastiCache's replicas-per-shard range.
const REPLICAS: std::ops::RangeInclusive<u32> = 0..=5;

/// Applies one planned action; returns the calls made, for the operator.
pub(crate) async fn apply(
    action: &Action,
    member: &Member,
    ports: Ports<'_>,
) -> Result<String, AwsError> {
    let id = member.identifier.as_str();
    match check(action, id)? {
        Change::NodeType { from, to } => {
            // A failed lookup does not hold the change: it only saves a call
            // AWS would refuse, and ModifyReplicationGroup is still the judge.
            if let Ok(Some(allowed)) = ports.elasticache.allowed_node_types(id).await {
                check_allowed(id, to, &allowed)?;
            }
            ports.elasticache.modify_node_type(id, to).await?;
            Ok(format!(
                "ModifyReplicationGroup {id} CacheNodeType {from} → {to}, ApplyImmediately"
            ))
        }
        Change::Shards { from, to } => {
            ports.elasticache.modify_shard_count(id, to).await?;
            let removing = if to < from {
                format!(" (removing the last {} node groups)", from - to)
            } else {
                String::new()
            };
            Ok(format!(
                "ModifyReplicationGroupShardConfiguration {id} NodeGroupCount {from} → {to}{removing}, ApplyImmediately"
            ))
        }
        Change::Replicas { from, to } => {
            ports.elasticache.modify_replica_count(id, from, to).await?;
            Ok(format!(
                "{} {id} NewReplicaCount {from} → {to} per shard, ApplyImmediately",
                replica_operation(from, to)
            ))
        }
    }
}

/// One ElastiCache change, checked.
#[derive(Debug, Clone, PartialEq)]
enum Change<'a> {
    /// A new CacheNodeType.
    NodeType {
        /// Current node type.
        from: &'a str,
        /// Target node type.
        to: &'a str,
    },
    /// A new node group count.
    Shards {
        /// Current count.
        from: u32,
        /// Target count.
        to: u32,
    },
    /// A new replica count per shard.
    Replicas {
        /// Current count.
        from: u32,
        /// Target count.
        to: u32,
    },
}

fn replica_operation(from: u32, to: u32) -> &'static str {
    if to < from {
        "DecreaseReplicaCount"
    } else {
        "IncreaseReplicaCount"
    }
}

/// The change `action` asks of group `id`, or why ElastiCache cannot make
/// it. Pure.
fn check<'a>(action: &'a Action, id: &str) -> Result<Change<'a>, AwsError> {
    match (action.knob, &action.from, &action.to) {
        (KnobName::NodeType, Setting::Class(from), Setting::Class(to)) => {
            Ok(Change::NodeType { from, to })
        }
        (KnobName::Shards, Setting::Count(from), Setting::Count(to)) => {
            let (from, to) = (*from, *to);
            if !SHARDS.contains(&to) {
                return Err(refuse(
                    "ModifyReplicationGroupShardConfiguration",
                    id,
                    format!(
                        "{to} shards is outside ElastiCache's {}–{}",
                        SHARDS.start(),
                        SHARDS.end()
                    ),
                ));
            }
            Ok(Change::Shards { from, to })
        }
        (KnobName::Replicas, Setting::Count(from), Setting::Count(to)) => {
            let (from, to) = (*from, *to);
            if !REPLICAS.contains(&to) {
                return Err(refuse(
                    replica_operation(from, to),
                    id,
                    format!(
                        "{to} replicas per shard is outside ElastiCache's {}–{}",
                        REPLICAS.start(),
                        REPLICAS.end()
                    ),
                ));
            }
            Ok(Change::Replicas { from, to })
        }
        (knob, _, to) => Err(refuse(
            "apply",
            id,
            format!("a replication group has no {knob} setting {to}"),
        )),
    }
}

/// Refuses a node type ListAllowedNodeTypeModifications does not list: "the
/// value of the CacheNodeType parameter must be one of the node types
/// returned by this operation" (ElastiCache API Reference,
/// ListAllowedNodeTypeModifications). Pure.
fn check_allowed(id: &str, to: &str, allowed: &AllowedNodeTypes) -> Result<(), AwsError> {
    if allowed
        .scale_up
        .iter()
        .chain(&allowed.scale_down)
        .any(|t| t == to)
    {
        return Ok(());
    }
    let list = |types: &[String]| {
        if types.is_empty() {
            "nothing".to_owned()
        } else {
            types.join(", ")
        }
    };
    Err(refuse(
        "ModifyReplicationGroup",
        id,
        format!(
            "AWS allows scale-up to {} / scale-down to {} only, not {to} (ListAllowedNodeTypeModifications)",
            list(&allowed.scale_up),
            list(&allowed.scale_down)
        ),
    ))
}

/// An error found before calling AWS, named like AWS's own.
fn refuse(operation: &'static str, group: &str, message: String) -> AwsError {
    AwsError {
        service: SERVICE,
        operation,
        resource: group.to_owned(),
        kind: ErrorKind::Other,
        code: None,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Cause;
    use crate::policy::{Direction, ResourceKind};

    fn action(knob: KnobName, from: Setting, to: Setting) -> Action {
        Action {
            policy_id: "sessions".into(),
            identifier: "sessions-redis".into(),
            kind: ResourceKind::ElasticacheRedis,
            knob,
            from,
            to,
            direction: Some(Direction::Up),
            cause: Cause::Schedule {
                schedule: "office".into(),
                profile: "weekend".into(),
            },
            reason: "test".into(),
            cost_delta_per_hour: None,
            refused: None,
            notes: Vec::new(),
            prices: Vec::new(),
        }
    }

    #[test]
    fn each_knob_maps_to_its_change() {
        let a = action(
            KnobName::NodeType,
            Setting::Class("cache.r6g.large".into()),
            Setting::Class("cache.r6g.xlarge".into()),
        );
        assert_eq!(
            check(&a, "g"),
            Ok(Change::NodeType {
                from: "cache.r6g.large",
                to: "cache.r6g.xlarge"
            })
        );
        let a = action(KnobName::Shards, Setting::Count(3), Setting::Count(2));
        assert_eq!(check(&a, "g"), Ok(Change::Shards { from: 3, to: 2 }));
        let a = action(KnobName::Replicas, Setting::Count(2), Setting::Count(1));
        assert_eq!(check(&a, "g"), Ok(Change::Replicas { from: 2, to: 1 }));
    }

    #[test]
    fn targets_outside_elasticache_limits_fail_before_the_call() {
        let a = action(KnobName::Replicas, Setting::Count(5), Setting::Count(6));
        let err = check(&a, "sessions-redis").expect_err("too many");
        assert_eq!(err.operation, "IncreaseReplicaCount");
        assert_eq!(err.resource, "sessions-redis");
        assert!(err.message.contains("outside ElastiCache's 0–5"), "{err}");

        let a = action(KnobName::Shards, Setting::Count(1), Setting::Count(0));
        let err = check(&a, "sessions-redis").expect_err("no shards");
        assert_eq!(err.operation, "ModifyReplicationGroupShardConfiguration");
    }

    #[test]
    fn a_node_type_aws_does_not_list_is_refused_with_what_it_allows() {
        let allowed = AllowedNodeTypes {
            scale_up: vec!["cache.r6g.xlarge".into(), "cache.r6g.2xlarge".into()],
            scale_down: vec![],
        };
        assert_eq!(check_allowed("g", "cache.r6g.2xlarge", &allowed), Ok(()));
        let err = check_allowed("g", "cache.r7g.large", &allowed).expect_err("not listed");
        assert_eq!(err.operation, "ModifyReplicationGroup");
        assert_eq!(
            err.message,
            "AWS allows scale-up to cache.r6g.xlarge, cache.r6g.2xlarge / scale-down to nothing only, not cache.r7g.large (ListAllowedNodeTypeModifications)"
        );
    }

    #[test]
    fn replica_changes_pick_increase_or_decrease() {
        assert_eq!(replica_operation(1, 2), "IncreaseReplicaCount");
        assert_eq!(replica_operation(2, 1), "DecreaseReplicaCount");
    }

    #[test]
    fn a_knob_redis_does_not_have_is_an_error() {
        let a = action(KnobName::Brokers, Setting::Count(3), Setting::Count(6));
        let err = check(&a, "g").expect_err("wrong knob");
        assert!(err.message.contains("no brokers setting"), "{err}");
    }
}
