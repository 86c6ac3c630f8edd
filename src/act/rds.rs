//! Carries out RDS instance actions: the instance class along the ladder
//! (ModifyDBInstance, `ApplyImmediately` as the policy says), the storage
//! ceiling (ModifyDBInstance MaxAllocatedStorage, grow only) and power
//! (StopDBInstance / StartDBInstance).
//!
//! The frame in [`super`] has already checked the instance against a fresh
//! observation (at the plan's starting point, available, nothing pending),
//! so each action is one call. What would be refused by AWS for a reason we
//! can see first (a shrinking ceiling, a setting of the wrong shape) fails
//! before any call, named like AWS's own errors.

use crate::estate::{Member, Power, Setting};
use crate::observe::Ports;
use crate::plan::Action;
use crate::policy::{KnobName, Resource};
use crate::ports::{AwsError, ErrorKind};

const SERVICE: &str = "rds";

/// Applies one planned action; returns the calls made, for the operator.
pub(crate) async fn apply(
    action: &Action,
    resource: &Resource,
    member: &Member,
    ports: Ports<'_>,
) -> Result<String, AwsError> {
    let id = member.identifier.as_str();
    match call(action, resource, member)? {
        Call::Class { class, immediately } => {
            ports
                .rds
                .modify_instance_class(id, class, immediately)
                .await?;
            Ok(format!(
                "ModifyDBInstance {id} DBInstanceClass {} → {class}, ApplyImmediately={immediately}; {}",
                action.from,
                class_note(member.multi_az, immediately)
            ))
        }
        Call::Ceiling(gib) => {
            ports.rds.modify_storage_ceiling(id, gib).await?;
            Ok(format!(
                "ModifyDBInstance {id} MaxAllocatedStorage {} → {gib} GiB (the storage autoscaling ceiling; allocated storage grows up to it)",
                action.from
            ))
        }
        Call::Stop => {
            ports.rds.stop_instance(id).await?;
            Ok(format!(
                "StopDBInstance {id}; AWS starts a stopped instance again after 7 days, and the schedule stops it again when it finds it running"
            ))
        }
        Call::Start => {
            ports.rds.start_instance(id).await?;
            Ok(format!("StartDBInstance {id}"))
        }
    }
}

/// The one RDS call an action needs.
#[derive(Debug, Clone, PartialEq)]
enum Call<'a> {
    /// ModifyDBInstance DBInstanceClass.
    Class {
        /// Target class.
        class: &'a str,
        /// ApplyImmediately.
        immediately: bool,
    },
    /// ModifyDBInstance MaxAllocatedStorage.
    Ceiling(u32),
    /// StopDBInstance.
    Stop,
    /// StartDBInstance.
    Start,
}

/// The call `action` needs, or why none can be made. Pure.
fn call<'a>(
    action: &'a Action,
    resource: &Resource,
    member: &Member,
) -> Result<Call<'a>, AwsError> {
    let id = member.identifier.as_str();
    match (action.knob, &action.to) {
        (KnobName::InstanceClass, Setting::Class(class)) => Ok(Call::Class {
            class,
            immediately: resource.apply_immediately,
        }),
        (KnobName::Storage, Setting::Gib(to)) => match &action.from {
            Setting::Gib(from) if to > from => Ok(Call::Ceiling(*to)),
            from => Err(refuse(
                "ModifyDBInstance",
                id,
                format!("the storage ceiling only grows ({from} → {to} GiB)"),
            )),
        },
        (KnobName::Power, Setting::Power(Power::Stopped)) => Ok(Call::Stop),
        (KnobName::Power, Setting::Power(Power::Running)) => Ok(Call::Start),
        (knob, to) => Err(refuse(
            "ModifyDBInstance",
            id,
            format!("an RDS instance has no {knob} setting {to}"),
        )),
    }
}

/// What a class change means for availability.
fn class_note(multi_az: bool, immediately: bool) -> &'static str {
    match (immediately, multi_az) {
        (false, _) => "RDS applies it in the next maintenance window",
        (true, true) => "Multi-AZ: RDS modifies the standby first, then fails over to it",
        (true, false) => "Single-AZ: the instance is unavailable while its class changes",
    }
}

/// An error found before calling AWS, named like AWS's own.
fn refuse(operation: &'static str, id: &str, message: String) -> AwsError {
    AwsError {
        service: SERVICE,
        operation,
        resource: id.to_owned(),
        kind: ErrorKind::Other,
        code: None,
        message,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::estate::Status;
    use crate::plan::Cause;
    use crate::policy::{Direction, ResourceKind, load_str};

    const POLICY: &str = r#"
version: 1
estate: t
guardrails: { max_actions_per_hour: 10, oscillation_window: 1h, dry_run: false }
resources:
  - id: billing-db
    kind: rds_instance
    identifier: billing-db
    engine: postgres
    apply_immediately: false
    instance_class: { ladder: [db.r6g.large, db.r6g.xlarge], floor: db.r6g.large }
    scale_up: [{ metric: CPUUtilization, above: 80 }]
"#;

    fn action(knob: KnobName, from: Setting, to: Setting) -> Action {
        Action {
            policy_id: "billing-db".into(),
            identifier: "billing-db".into(),
            kind: ResourceKind::RdsInstance,
            knob,
            from,
            to,
            direction: Some(Direction::Up),
            cause: Cause::StorageGrowth { used_percent: 90.0 },
            reason: "test".into(),
            cost_delta_per_hour: None,
            refused: None,
            notes: Vec::new(),
            prices: Vec::new(),
        }
    }

    fn member() -> Member {
        Member {
            policy_id: "billing-db".into(),
            identifier: "billing-db".into(),
            kind: ResourceKind::RdsInstance,
            status: Status::Available,
            pending_changes: false,
            settings: BTreeMap::new(),
            multi_az: true,
            spot_mix: None,
            storage_used_percent: None,
            storage: None,
            parts: Vec::new(),
            tags: BTreeMap::new(),
        }
    }

    #[test]
    fn each_knob_maps_to_its_call() {
        let policy = load_str(POLICY, "t.yaml").expect("valid policy");
        let r = &policy.resources[0];
        let m = member();
        let class = action(
            KnobName::InstanceClass,
            Setting::Class("db.r6g.large".into()),
            Setting::Class("db.r6g.xlarge".into()),
        );
        assert_eq!(
            call(&class, r, &m).expect("a call"),
            Call::Class {
                class: "db.r6g.xlarge",
                immediately: false
            }
        );
        let grow = action(KnobName::Storage, Setting::Gib(100), Setting::Gib(150));
        assert_eq!(call(&grow, r, &m).expect("a call"), Call::Ceiling(150));
        let stop = action(
            KnobName::Power,
            Setting::Power(Power::Running),
            Setting::Power(Power::Stopped),
        );
        assert_eq!(call(&stop, r, &m).expect("a call"), Call::Stop);
        let start = action(
            KnobName::Power,
            Setting::Power(Power::Stopped),
            Setting::Power(Power::Running),
        );
        assert_eq!(call(&start, r, &m).expect("a call"), Call::Start);
    }

    #[test]
    fn a_shrinking_ceiling_or_a_foreign_knob_fails_before_any_call() {
        let policy = load_str(POLICY, "t.yaml").expect("valid policy");
        let r = &policy.resources[0];
        let shrink = action(KnobName::Storage, Setting::Gib(200), Setting::Gib(150));
        let e = call(&shrink, r, &member()).expect_err("refused");
        assert_eq!(
            (e.operation, e.resource.as_str()),
            ("ModifyDBInstance", "billing-db")
        );
        assert!(
            e.message.contains("only grows (200 GiB → 150 GiB)"),
            "{}",
            e.message
        );
        let foreign = action(KnobName::Readers, Setting::Count(1), Setting::Count(2));
        assert!(call(&foreign, r, &member()).is_err());
    }

    #[test]
    fn the_class_note_says_what_availability_to_expect() {
        assert!(class_note(true, true).starts_with("Multi-AZ"));
        assert!(class_note(false, true).starts_with("Single-AZ"));
        assert!(class_note(true, false).contains("maintenance window"));
    }
}
