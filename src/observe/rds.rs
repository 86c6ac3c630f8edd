//! Maps described DB instances to the members of `rds_instance` resources.
//! Pure: same policy and instances, same members and notes.
//!
//! Aurora cluster members are never picked here (they belong to their
//! cluster); an instance already claimed by an earlier policy resource is
//! left to it, with a note, so two resources never steer one instance.

use std::collections::BTreeMap;

use super::{Observation, describe, selects};
use crate::estate::{Member, Power, Setting, Status, StorageFacts};
use crate::policy::{KnobName, Policy, Resource, ResourceKind};
use crate::ports::DbInstance;

/// Adds the members `policy` selects to `obs`.
pub(crate) fn observe(policy: &Policy, instances: &[DbInstance], obs: &mut Observation) {
    for resource in policy
        .resources
        .iter()
        .filter(|r| r.kind == ResourceKind::RdsInstance)
    {
        let picked: Vec<&DbInstance> = instances
            .iter()
            .filter(|i| selects(&resource.selector, &[&i.id, &i.arn], &i.tags))
            .collect();
        if picked.is_empty() && !obs.unreadable_named(&resource.selector, ResourceKind::RdsInstance)
        {
            obs.notes.push(format!(
                "{}: {} matched no RDS DB instance",
                resource.id,
                describe(&resource.selector)
            ));
        }
        for i in picked {
            if let Some(cluster) = &i.cluster {
                obs.notes.push(format!(
                    "{}: {} is a member of Aurora cluster {cluster}; manage it as an aurora_cluster resource",
                    resource.id, i.id
                ));
                continue;
            }
            if let Some(owner) = claimed_by(obs, &i.id) {
                obs.notes.push(format!(
                    "{}: {} is already managed by {owner}; left to it",
                    resource.id, i.id
                ));
                continue;
            }
            if let Some(engine) = &resource.engine
                && engine != &i.engine
            {
                obs.notes.push(format!(
                    "{}: {} runs {}, not {engine} as the policy says; left alone",
                    resource.id, i.id, i.engine
                ));
                continue;
            }
            obs.estate.members.push(member(resource, i));
        }
    }
}

/// The member `resource` makes of instance `i`.
pub(crate) fn member(resource: &Resource, i: &DbInstance) -> Member {
    let mut settings = BTreeMap::new();
    settings.insert(KnobName::InstanceClass, Setting::Class(i.class.clone()));
    if resource.storage.is_some() {
        settings.insert(
            KnobName::Storage,
            Setting::Gib(i.max_allocated_gib.unwrap_or(i.allocated_gib)),
        );
    }
    if resource.allow_stop {
        let power = match i.status.as_str() {
            "stopped" | "stopping" => Power::Stopped,
            _ => Power::Running,
        };
        settings.insert(KnobName::Power, Setting::Power(power));
    }
    Member {
        policy_id: resource.id.clone(),
        identifier: i.id.clone(),
        kind: ResourceKind::RdsInstance,
        status: status(&i.status),
        pending_changes: i.pending_modifications,
        settings,
        multi_az: i.multi_az,
        spot_mix: None,
        storage_used_percent: None,
        storage: resource.storage.map(|_| StorageFacts {
            allocated_gib: i.allocated_gib,
            storage_type: i.storage_type.clone(),
            iops: i.iops,
            throughput_mibps: i.storage_throughput,
            engine: i.engine.clone(),
        }),
        parts: Vec::new(),
        tags: i.tags.clone(),
    }
}

/// An RDS status, normalised.
pub(crate) fn status(aws: &str) -> Status {
    match aws {
        "available" => Status::Available,
        "stopped" => Status::Stopped,
        other => Status::Busy(other.to_owned()),
    }
}

/// The policy resource that already holds a member with this identifier.
pub(crate) fn claimed_by(obs: &Observation, identifier: &str) -> Option<String> {
    obs.estate
        .members
        .iter()
        .find(|m| m.identifier == identifier && m.kind == ResourceKind::RdsInstance)
        .map(|m| m.policy_id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::load_str;
    use crate::ports::Tags;

    const POLICY: &str = r#"
version: 1
estate: t
guardrails: { max_actions_per_hour: 10, oscillation_window: 1h, dry_run: false }
resources:
  - id: billing-db
    kind: rds_instance
    identifier: billing-db
    engine: postgres
    instance_class: { ladder: [db.r6g.large, db.r6g.xlarge], floor: db.r6g.large }
    storage: { grow_when_used_percent: 85, grow_by_percent: 20, min_grow_gib: 50, max_gib: 2000 }
    scale_up: [{ metric: CPUUtilization, above: 80 }]
  - id: dev-dbs
    kind: rds_instance
    tags: { env: dev }
    engine: postgres
    allow_stop: true
    instance_class: { ladder: [db.t4g.medium, db.t4g.large], floor: db.t4g.medium }
    scale_up: [{ metric: CPUUtilization, above: 80 }]
"#;

    fn instance(id: &str, status: &str, tags: &[(&str, &str)]) -> DbInstance {
        DbInstance {
            id: id.to_owned(),
            arn: format!("arn:aws:rds:us-east-1:123456789012:db:{id}"),
            class: "db.r6g.large".to_owned(),
            engine: "postgres".to_owned(),
            status: status.to_owned(),
            multi_az: false,
            pending_modifications: false,
            allocated_gib: 100,
            max_allocated_gib: None,
            storage_type: String::new(),
            iops: None,
            storage_throughput: None,
            cluster: None,
            created: None,
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<Tags>(),
        }
    }

    fn run(instances: &[DbInstance]) -> Observation {
        let policy = load_str(POLICY, "t.yaml").expect("valid policy");
        let mut obs = Observation::default();
        observe(&policy, instances, &mut obs);
        obs
    }

    fn get<'a>(obs: &'a Observation, id: &str) -> &'a Member {
        obs.estate
            .members
            .iter()
            .find(|m| m.identifier == id)
            .unwrap_or_else(|| panic!("{id} observed"))
    }

    #[test]
    fn an_identifier_maps_class_storage_ceiling_status_and_flags() {
        let mut billing = instance("billing-db", "available", &[]);
        billing.multi_az = true;
        billing.pending_modifications = true;
        billing.max_allocated_gib = Some(500);
        billing.storage_type = "io1".into();
        billing.iops = Some(3000);
        let obs = run(&[billing, instance("other", "available", &[])]);
        let m = get(&obs, "billing-db");
        assert_eq!(m.policy_id, "billing-db");
        assert_eq!(m.status, Status::Available);
        assert!(m.multi_az && m.pending_changes);
        assert_eq!(
            m.settings.get(&KnobName::InstanceClass),
            Some(&Setting::Class("db.r6g.large".into()))
        );
        assert_eq!(m.settings.get(&KnobName::Storage), Some(&Setting::Gib(500)));
        // What the storage rule judges the ceiling by (12.8).
        assert_eq!(
            m.storage,
            Some(StorageFacts {
                allocated_gib: 100,
                storage_type: "io1".into(),
                iops: Some(3000),
                throughput_mibps: None,
                engine: "postgres".into(),
            })
        );
        // No allow_stop: no power setting, so no schedule ever stops it.
        assert_eq!(m.settings.get(&KnobName::Power), None);
        assert!(obs.estate.members.iter().all(|m| m.identifier != "other"));
    }

    #[test]
    fn storage_without_a_ceiling_is_the_allocated_size() {
        let obs = run(&[instance("billing-db", "available", &[])]);
        assert_eq!(
            get(&obs, "billing-db").settings.get(&KnobName::Storage),
            Some(&Setting::Gib(100))
        );
    }

    #[test]
    fn a_tag_selector_picks_the_tagged_and_maps_power_and_status() {
        let obs = run(&[
            instance("billing-db", "available", &[]),
            instance("dev-a", "stopped", &[("env", "dev")]),
            instance("dev-b", "backing-up", &[("env", "dev"), ("team", "x")]),
            instance("prod-c", "available", &[("env", "prod")]),
        ]);
        let dev: Vec<&str> = obs
            .estate
            .members_of("dev-dbs")
            .map(|m| m.identifier.as_str())
            .collect();
        assert_eq!(dev, vec!["dev-a", "dev-b"]);
        let a = get(&obs, "dev-a");
        assert_eq!(a.status, Status::Stopped);
        assert_eq!(
            a.settings.get(&KnobName::Power),
            Some(&Setting::Power(Power::Stopped))
        );
        assert_eq!(a.settings.get(&KnobName::Storage), None);
        let b = get(&obs, "dev-b");
        assert_eq!(b.status, Status::Busy("backing-up".into()));
        assert_eq!(
            b.settings.get(&KnobName::Power),
            Some(&Setting::Power(Power::Running))
        );
        assert_eq!(b.tags.get("team").map(String::as_str), Some("x"));
        assert!(obs.notes.is_empty(), "{:?}", obs.notes);
    }

    #[test]
    fn an_unmatched_selector_and_a_cluster_member_become_notes() {
        let mut member = instance("billing-db", "available", &[]);
        member.cluster = Some("orders-aurora".into());
        let obs = run(&[member]);
        assert!(obs.estate.members.is_empty());
        assert!(
            obs.notes
                .iter()
                .any(|n| n.contains("member of Aurora cluster orders-aurora"))
        );
        assert!(
            obs.notes
                .iter()
                .any(|n| n == "dev-dbs: tags {env=dev} matched no RDS DB instance")
        );
        assert_eq!(obs.notes.len(), 2, "{:?}", obs.notes);

        let obs = run(&[]);
        assert!(
            obs.notes
                .iter()
                .any(|n| n == "billing-db: identifier billing-db matched no RDS DB instance")
        );
    }

    #[test]
    fn a_wrong_engine_or_a_second_claim_is_left_alone_with_a_note() {
        let mut mysql = instance("billing-db", "available", &[("env", "dev")]);
        mysql.engine = "mysql".into();
        let obs = run(&[mysql]);
        assert!(obs.estate.members.is_empty());
        assert_eq!(
            obs.notes,
            vec![
                "billing-db: billing-db runs mysql, not postgres as the policy says; left alone"
                    .to_owned(),
                "dev-dbs: billing-db runs mysql, not postgres as the policy says; left alone"
                    .to_owned(),
            ]
        );

        let obs = run(&[instance("billing-db", "available", &[("env", "dev")])]);
        assert_eq!(obs.estate.members.len(), 1);
        assert_eq!(obs.estate.members[0].policy_id, "billing-db");
        assert_eq!(
            obs.notes,
            vec!["dev-dbs: billing-db is already managed by billing-db; left to it".to_owned()]
        );
    }
}
