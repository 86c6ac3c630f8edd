//! Maps described Aurora clusters (and their instances) to the members of
//! `aurora_cluster` resources. Pure: same policy, clusters and instances,
//! same members and notes.
//!
//! A cluster is available only when it and every one of its instances are:
//! a reader still `creating` makes the whole cluster busy, and the status
//! names it. Pending modifications of the cluster or of any instance count.

use std::collections::BTreeMap;

use super::{Observation, describe, selects};
use crate::estate::{Member, Power, Setting, Status};
use crate::policy::{KnobName, Policy, Resource, ResourceKind};
use crate::ports::{DbCluster, DbInstance};

/// The class AWS gives Serverless v2 instances.
pub(crate) const SERVERLESS_CLASS: &str = "db.serverless";

/// Adds the members `policy` selects to `obs`.
pub(crate) fn observe(
    policy: &Policy,
    clusters: &[DbCluster],
    instances: &[DbInstance],
    obs: &mut Observation,
) {
    let by_id: BTreeMap<&str, &DbInstance> = instances.iter().map(|i| (i.id.as_str(), i)).collect();
    for resource in policy
        .resources
        .iter()
        .filter(|r| r.kind == ResourceKind::AuroraCluster)
    {
        let picked: Vec<&DbCluster> = clusters
            .iter()
            .filter(|c| selects(&resource.selector, &[&c.id, &c.arn], &c.tags))
            .collect();
        if picked.is_empty()
            && !obs.unreadable_named(&resource.selector, ResourceKind::AuroraCluster)
        {
            obs.notes.push(format!(
                "{}: {} matched no Aurora DB cluster",
                resource.id,
                describe(&resource.selector)
            ));
        }
        for c in picked {
            if !c.engine.starts_with("aurora") {
                obs.notes.push(format!(
                    "{}: {} is a {} DB cluster, not Aurora; left alone",
                    resource.id, c.id, c.engine
                ));
                continue;
            }
            if let Some(engine) = &resource.engine
                && engine != &c.engine
            {
                obs.notes.push(format!(
                    "{}: {} runs {}, not {engine} as the policy says; left alone",
                    resource.id, c.id, c.engine
                ));
                continue;
            }
            if let Some(owner) = obs
                .estate
                .members
                .iter()
                .find(|m| m.identifier == c.id && m.kind == ResourceKind::AuroraCluster)
            {
                let owner = owner.policy_id.clone();
                obs.notes.push(format!(
                    "{}: {} is already managed by {owner}; left to it",
                    resource.id, c.id
                ));
                continue;
            }
            let (member, notes) = member(resource, c, &by_id);
            obs.estate.members.push(member);
            obs.notes.extend(notes);
        }
    }
}

/// The member `resource` makes of cluster `c`, and what the operator should
/// know about it.
pub(crate) fn member(
    resource: &Resource,
    c: &DbCluster,
    instances: &BTreeMap<&str, &DbInstance>,
) -> (Member, Vec<String>) {
    let mut notes = Vec::new();
    let mut settings = BTreeMap::new();
    match c.serverless_v2 {
        Some((min, max)) => {
            settings.insert(KnobName::ServerlessV2, Setting::Acu { min, max });
        }
        None if resource.knob(KnobName::ServerlessV2).is_some() => notes.push(format!(
            "{}: {} has no Serverless v2 scaling configuration; serverless_v2 left alone",
            resource.id, c.id
        )),
        None => {}
    }
    // A member whose role AWS did not report might be the writer: while
    // one is there the reader count is not known, and readers are left alone.
    let unknown: Vec<&str> = c
        .members
        .iter()
        .filter(|m| !m.is_writer && !m.is_reader)
        .map(|m| m.instance_id.as_str())
        .collect();
    if unknown.is_empty() {
        let readers = c.members.iter().filter(|m| m.is_reader).count();
        settings.insert(
            KnobName::Readers,
            Setting::Count(u32::try_from(readers).unwrap_or(u32::MAX)),
        );
    } else {
        notes.push(format!(
            "{}: AWS did not say whether {} of {} is the writer (IsClusterWriter missing); readers left alone",
            resource.id,
            unknown.join(", "),
            c.id
        ));
    }
    if resource.knob(KnobName::WriterClass).is_some() {
        let writer = c
            .members
            .iter()
            .find(|m| m.is_writer)
            .and_then(|m| instances.get(m.instance_id.as_str()));
        match writer {
            Some(w) if w.class == SERVERLESS_CLASS => notes.push(format!(
                "{}: writer {} of {} is {SERVERLESS_CLASS} (Serverless v2), not on the provisioned writer_class ladder; writer_class left alone",
                resource.id, w.id, c.id
            )),
            Some(w) => {
                settings.insert(KnobName::WriterClass, Setting::Class(w.class.clone()));
            }
            None => notes.push(format!(
                "{}: {} has no writer instance; writer_class left alone",
                resource.id, c.id
            )),
        }
    }
    if resource.allow_stop {
        let power = match c.status.as_str() {
            "stopped" | "stopping" => Power::Stopped,
            _ => Power::Running,
        };
        settings.insert(KnobName::Power, Setting::Power(power));
    }
    let pending = c.pending_modifications
        || c.members.iter().any(|m| {
            instances
                .get(m.instance_id.as_str())
                .is_some_and(|i| i.pending_modifications)
        });
    let member = Member {
        policy_id: resource.id.clone(),
        identifier: c.id.clone(),
        kind: ResourceKind::AuroraCluster,
        status: status(c, instances),
        pending_changes: pending,
        settings,
        multi_az: c.members.len() > 1,
        spot_mix: None,
        storage_used_percent: None,
        storage: None,
        parts: Vec::new(),
        tags: c.tags.clone(),
    };
    (member, notes)
}

/// The cluster's status, and its instances': available only when all are.
pub(crate) fn status(c: &DbCluster, instances: &BTreeMap<&str, &DbInstance>) -> Status {
    match c.status.as_str() {
        "available" => {}
        "stopped" => return Status::Stopped,
        other => return Status::Busy(other.to_owned()),
    }
    let busy: Vec<String> = c
        .members
        .iter()
        .filter_map(|m| match instances.get(m.instance_id.as_str()) {
            Some(i) if i.status == "available" => None,
            Some(i) => Some(format!("{} ({})", i.status, i.id)),
            None => Some(format!("not described ({})", m.instance_id)),
        })
        .collect();
    if busy.is_empty() {
        Status::Available
    } else {
        Status::Busy(busy.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::load_str;
    use crate::ports::ClusterMember;

    const POLICY: &str = r#"
version: 1
estate: t
guardrails: { max_actions_per_hour: 10, oscillation_window: 1h, dry_run: false }
resources:
  - id: orders-aurora
    kind: aurora_cluster
    identifier: orders-aurora
    engine: aurora-mysql
    serverless_v2: { min_acu: 2, max_acu: 16, floor_acu: 4, step_acu: 2 }
    readers: { min: 0, max: 15, floor: 1 }
    scale_up: [{ metric: ACUUtilization, above: 80, scales: serverless_v2 }]
  - id: ledger
    kind: aurora_cluster
    tags: { app: ledger }
    engine: aurora-mysql
    writer_class: { ladder: [db.r6g.large, db.r6g.xlarge], floor: db.r6g.large }
    readers: { min: 1, max: 4, floor: 1 }
    scale_up: [{ metric: CPUUtilization, above: 80, scales: writer_class }]
"#;

    fn instance(id: &str, cluster: &str, class: &str, status: &str) -> DbInstance {
        DbInstance {
            id: id.to_owned(),
            arn: format!("arn:aws:rds:us-east-1:123456789012:db:{id}"),
            class: class.to_owned(),
            engine: "aurora-mysql".to_owned(),
            status: status.to_owned(),
            multi_az: false,
            pending_modifications: false,
            allocated_gib: 1,
            max_allocated_gib: None,
            storage_type: String::new(),
            iops: None,
            storage_throughput: None,
            cluster: Some(cluster.to_owned()),
            created: None,
            tags: Default::default(),
        }
    }

    fn cluster(id: &str, members: &[(&str, bool)], tags: &[(&str, &str)]) -> DbCluster {
        DbCluster {
            id: id.to_owned(),
            arn: format!("arn:aws:rds:us-east-1:123456789012:cluster:{id}"),
            engine: "aurora-mysql".to_owned(),
            status: "available".to_owned(),
            members: members
                .iter()
                .map(|(i, w)| ClusterMember {
                    instance_id: (*i).to_owned(),
                    is_writer: *w,
                    is_reader: !*w,
                })
                .collect(),
            serverless_v2: None,
            pending_modifications: false,
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    fn run(clusters: &[DbCluster], instances: &[DbInstance]) -> Observation {
        let policy = load_str(POLICY, "t.yaml").expect("valid policy");
        let mut obs = Observation::default();
        observe(&policy, clusters, instances, &mut obs);
        obs
    }

    fn orders() -> (DbCluster, Vec<DbInstance>) {
        let mut c = cluster(
            "orders-aurora",
            &[("o-w", true), ("o-r1", false), ("o-r2", false)],
            &[],
        );
        c.serverless_v2 = Some((2.0, 8.0));
        let i = vec![
            instance("o-w", "orders-aurora", SERVERLESS_CLASS, "available"),
            instance("o-r1", "orders-aurora", SERVERLESS_CLASS, "available"),
            instance("o-r2", "orders-aurora", SERVERLESS_CLASS, "available"),
        ];
        (c, i)
    }

    #[test]
    fn serverless_range_and_readers_without_the_writer() {
        let (c, i) = orders();
        let obs = run(&[c], &i);
        let m = obs
            .estate
            .members_of("orders-aurora")
            .next()
            .expect("observed");
        assert_eq!(m.status, Status::Available);
        assert!(!m.pending_changes);
        assert!(m.multi_az);
        assert_eq!(
            m.settings.get(&KnobName::ServerlessV2),
            Some(&Setting::Acu { min: 2.0, max: 8.0 })
        );
        assert_eq!(m.settings.get(&KnobName::Readers), Some(&Setting::Count(2)));
        // No writer ladder: no writer class, and no note about it.
        assert_eq!(m.settings.get(&KnobName::WriterClass), None);
        assert_eq!(
            obs.notes,
            vec!["ledger: tags {app=ledger} matched no Aurora DB cluster".to_owned()]
        );
    }

    #[test]
    fn a_busy_member_makes_the_cluster_busy_and_names_it() {
        let (c, mut i) = orders();
        i[2].status = "creating".into();
        i[1].pending_modifications = true;
        let obs = run(std::slice::from_ref(&c), &i);
        let m = &obs.estate.members[0];
        assert_eq!(m.status, Status::Busy("creating (o-r2)".into()));
        assert!(m.pending_changes);

        let obs = run(std::slice::from_ref(&c), &i[..2]);
        assert_eq!(
            obs.estate.members[0].status,
            Status::Busy("not described (o-r2)".into())
        );

        let mut modifying = c;
        modifying.status = "modifying".into();
        let obs = run(&[modifying], &i);
        assert_eq!(
            obs.estate.members[0].status,
            Status::Busy("modifying".into())
        );
    }

    #[test]
    fn the_cluster_pending_flag_counts() {
        let (mut c, i) = orders();
        c.pending_modifications = true;
        assert!(run(&[c], &i).estate.members[0].pending_changes);
    }

    #[test]
    fn a_writer_ladder_reads_the_writer_class_and_tags_select() {
        let c = cluster(
            "ledger-1",
            &[("l-r", false), ("l-w", true)],
            &[("app", "ledger")],
        );
        let i = vec![
            instance("l-w", "ledger-1", "db.r6g.large", "available"),
            instance("l-r", "ledger-1", "db.r6g.xlarge", "available"),
        ];
        let obs = run(&[c], &i);
        let m = obs
            .estate
            .members_of("ledger")
            .next()
            .expect("selected by tag");
        assert_eq!(m.identifier, "ledger-1");
        assert_eq!(
            m.settings.get(&KnobName::WriterClass),
            Some(&Setting::Class("db.r6g.large".into()))
        );
        assert_eq!(m.settings.get(&KnobName::Readers), Some(&Setting::Count(1)));
        assert_eq!(m.settings.get(&KnobName::ServerlessV2), None);
    }

    #[test]
    fn a_member_without_a_writer_flag_leaves_the_readers_alone() {
        let (mut c, i) = orders();
        c.members[1].is_reader = false; // IsClusterWriter missing for o-r1
        let obs = run(&[c], &i);
        let m = &obs.estate.members[0];
        assert_eq!(m.settings.get(&KnobName::Readers), None);
        assert!(
            obs.notes.iter().any(|n| n
                == "orders-aurora: AWS did not say whether o-r1 of orders-aurora is the writer (IsClusterWriter missing); readers left alone"),
            "{:?}",
            obs.notes
        );
    }

    #[test]
    fn a_serverless_writer_is_not_on_a_provisioned_ladder() {
        let c = cluster("ledger-2", &[("s-w", true)], &[("app", "ledger")]);
        let i = vec![instance("s-w", "ledger-2", SERVERLESS_CLASS, "available")];
        let obs = run(&[c], &i);
        let m = obs
            .estate
            .members_of("ledger")
            .next()
            .expect("selected by tag");
        assert_eq!(m.settings.get(&KnobName::WriterClass), None);
        assert_eq!(m.settings.get(&KnobName::Readers), Some(&Setting::Count(0)));
        assert!(!m.multi_az);
        assert!(
            obs.notes
                .iter()
                .any(|n| n.contains("writer s-w of ledger-2 is db.serverless"))
        );
    }

    #[test]
    fn a_missing_serverless_range_wrong_engine_and_stopped_cluster() {
        let (mut c, i) = orders();
        c.serverless_v2 = None;
        c.status = "stopped".into();
        let obs = run(&[c.clone()], &i);
        assert_eq!(obs.estate.members[0].status, Status::Stopped);
        assert!(
            obs.notes
                .iter()
                .any(|n| n.contains("no Serverless v2 scaling configuration"))
        );

        c.engine = "aurora-postgresql".into();
        let obs = run(&[c.clone()], &i);
        assert!(obs.estate.members.is_empty());
        assert!(
            obs.notes
                .iter()
                .any(|n| n.contains("runs aurora-postgresql, not aurora-mysql"))
        );

        c.engine = "postgres".into();
        let obs = run(&[c], &i);
        assert!(
            obs.notes
                .iter()
                .any(|n| n.contains("is a postgres DB cluster, not Aurora"))
        );
    }
}
