//! Maps described MSK clusters to members. Pure.
//!
//! Every `msk_cluster` resource of the policy picks the clusters its
//! selector matches (by name or ARN, or by tags). A member carries the
//! broker count, broker type and per-broker storage (GiB), is available
//! only while MSK says `ACTIVE` (every update needs it; anything else is
//! busy, as MSK spells it), and is Multi-AZ when its brokers span more than
//! one AZ. A cluster two resources select is managed by the first in file
//! order; a cluster whose AZ count differs from the policy's `az_count`, or
//! a selector that matches nothing, becomes a note.

use std::collections::BTreeMap;

use super::{Observation, nothing_found, selects};
use crate::estate::{Member, Setting, Status};
use crate::policy::{KnobName, Policy, Resource, ResourceKind};
use crate::ports::KafkaCluster;

/// Adds the members `policy` selects to `obs`.
pub(crate) fn observe(policy: &Policy, clusters: &[KafkaCluster], obs: &mut Observation) {
    // Cluster ARN → the policy resource that took it first.
    let mut taken: BTreeMap<&str, &str> = BTreeMap::new();
    for resource in policy
        .resources
        .iter()
        .filter(|r| r.kind == ResourceKind::MskCluster)
    {
        let mut found = 0;
        for cluster in clusters
            .iter()
            .filter(|c| selects(&resource.selector, &[&c.name, &c.arn], &c.tags))
        {
            found += 1;
            if let Some(first) = taken.get(cluster.arn.as_str()) {
                obs.notes.push(format!(
                    "{}: MSK cluster {} is also selected by {first}, which manages it",
                    resource.id, cluster.name
                ));
                continue;
            }
            taken.insert(&cluster.arn, &resource.id);
            if let Some(want) = resource.az_count
                && want != cluster.az_count
            {
                obs.notes.push(format!(
                    "{}: MSK cluster {} spans {} AZs, the policy says az_count {want}; broker counts must be multiples of {}",
                    resource.id, cluster.name, cluster.az_count, cluster.az_count
                ));
            }
            if cluster.storage_gib.is_none() && resource.storage.is_some() {
                obs.notes.push(format!(
                    "{}: MSK cluster {} reports no EBS volume (Express brokers: AWS manages their storage); its storage rule does not apply",
                    resource.id, cluster.name
                ));
            }
            obs.estate.members.push(member(resource, cluster));
        }
        if found == 0 && !obs.unreadable_named(&resource.selector, ResourceKind::MskCluster) {
            obs.notes.push(format!(
                "{}: {}",
                resource.id,
                nothing_found(&resource.selector, "MSK cluster")
            ));
        }
    }
}

/// The member for `cluster`, selected by `resource`.
fn member(resource: &Resource, cluster: &KafkaCluster) -> Member {
    let mut settings = BTreeMap::from([
        (KnobName::Brokers, Setting::Count(cluster.brokers)),
        (
            KnobName::BrokerType,
            Setting::Class(cluster.broker_type.clone()),
        ),
    ]);
    // Express brokers have no EBS volume: no storage setting to steer.
    if let Some(gib) = cluster.storage_gib {
        settings.insert(KnobName::Storage, Setting::Gib(gib));
    }
    Member {
        policy_id: resource.id.clone(),
        identifier: cluster.name.clone(),
        kind: ResourceKind::MskCluster,
        status: status(&cluster.state),
        // MSK shows an update in flight as the cluster's state (UPDATING),
        // which already makes the member busy.
        pending_changes: false,
        settings,
        multi_az: cluster.az_count > 1,
        spot_mix: None,
        // Disk use comes from CloudWatch (KafkaDataLogsDiskUsed), not from
        // the describe.
        storage_used_percent: None,
        storage: None,
        tags: cluster.tags.clone(),
        // Broker metrics are published per `Broker ID`; MSK numbers brokers
        // from 1.
        parts: (1..=cluster.brokers).map(|b| b.to_string()).collect(),
    }
}

/// `ACTIVE` is the only state MSK accepts updates in.
fn status(state: &str) -> Status {
    if state == "ACTIVE" {
        Status::Available
    } else {
        Status::Busy(state.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::load_str;

    const POLICY: &str = r#"
version: 1
estate: t
guardrails: { max_actions_per_hour: 4, oscillation_window: 1h }
resources:
  - id: events
    kind: msk_cluster
    identifier: events-msk
    az_count: 3
    brokers: { min: 3, max: 6, step: 3 }
    broker_type: { ladder: [kafka.m5.xlarge] }
  - id: streams
    kind: msk_cluster
    tags: { team: streams }
    az_count: 2
    brokers: { min: 2, max: 8, step: 2 }
    broker_type: { ladder: [kafka.m5.xlarge] }
  - id: by-arn
    kind: msk_cluster
    identifier: "arn:aws:kafka:us-east-1:1:cluster/logs/3"
    az_count: 3
    brokers: { min: 3, max: 6, step: 3 }
    broker_type: { ladder: [kafka.m5.xlarge] }
  - id: ghost
    kind: msk_cluster
    identifier: gone-msk
    az_count: 3
    brokers: { min: 3, max: 6, step: 3 }
    broker_type: { ladder: [kafka.m5.xlarge] }
"#;

    fn cluster(n: u32, name: &str, state: &str, azs: u32, tags: &[(&str, &str)]) -> KafkaCluster {
        KafkaCluster {
            name: name.to_owned(),
            arn: format!("arn:aws:kafka:us-east-1:1:cluster/{name}/{n}"),
            state: state.to_owned(),
            current_version: "K1".to_owned(),
            brokers: 3,
            broker_type: "kafka.m5.xlarge".to_owned(),
            storage_gib: Some(1000),
            az_count: azs,
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    fn observed(clusters: &[KafkaCluster]) -> Observation {
        let policy = load_str(POLICY, "t.yaml").expect("valid policy");
        let mut obs = Observation::default();
        observe(&policy, clusters, &mut obs);
        obs
    }

    fn picked(obs: &Observation, policy_id: &str) -> Vec<String> {
        obs.estate
            .members_of(policy_id)
            .map(|m| m.identifier.clone())
            .collect()
    }

    #[test]
    fn maps_settings_status_and_multi_az() {
        let obs = observed(&[cluster(1, "events-msk", "ACTIVE", 3, &[("team", "events")])]);
        let m = obs.estate.members_of("events").next().expect("selected");
        assert_eq!(m.kind, ResourceKind::MskCluster);
        assert_eq!(m.status, Status::Available);
        assert!(m.multi_az);
        assert!(!m.pending_changes);
        assert_eq!(m.settings.get(&KnobName::Brokers), Some(&Setting::Count(3)));
        assert_eq!(
            m.settings.get(&KnobName::BrokerType),
            Some(&Setting::Class("kafka.m5.xlarge".into()))
        );
        assert_eq!(
            m.settings.get(&KnobName::Storage),
            Some(&Setting::Gib(1000))
        );
        assert_eq!(m.tags.get("team").map(String::as_str), Some("events"));
        assert_eq!(m.parts, ["1", "2", "3"], "one broker id per broker");
    }

    #[test]
    fn any_state_but_active_is_busy_as_msk_spells_it() {
        for state in [
            "CREATING",
            "UPDATING",
            "MAINTENANCE",
            "REBOOTING_BROKER",
            "HEALING",
        ] {
            let obs = observed(&[cluster(1, "events-msk", state, 3, &[])]);
            let m = obs.estate.members_of("events").next().expect("selected");
            assert_eq!(m.status, Status::Busy(state.to_owned()), "{state}");
        }
    }

    #[test]
    fn selects_by_name_arn_and_tags_exactly() {
        let obs = observed(&[
            cluster(1, "events-msk", "ACTIVE", 3, &[]),
            cluster(2, "s-1", "ACTIVE", 2, &[("team", "streams")]),
            cluster(3, "logs", "ACTIVE", 3, &[("team", "logs")]),
            cluster(
                4,
                "s-2",
                "ACTIVE",
                2,
                &[("team", "streams"), ("env", "prod")],
            ),
            cluster(5, "other", "ACTIVE", 2, &[("team", "other")]),
        ]);
        assert_eq!(picked(&obs, "events"), ["events-msk"]);
        assert_eq!(picked(&obs, "streams"), ["s-1", "s-2"]);
        assert_eq!(picked(&obs, "by-arn"), ["logs"]);
        assert_eq!(obs.estate.members.len(), 4);
    }

    #[test]
    fn a_selector_matching_nothing_is_a_note() {
        let obs = observed(&[cluster(1, "events-msk", "ACTIVE", 3, &[])]);
        assert!(picked(&obs, "ghost").is_empty());
        assert!(
            obs.notes
                .iter()
                .any(|n| n == "ghost: no MSK cluster named gone-msk"),
            "{:?}",
            obs.notes
        );
        assert!(
            obs.notes
                .iter()
                .any(|n| n == "streams: no MSK cluster tagged team=streams"),
            "{:?}",
            obs.notes
        );
    }

    #[test]
    fn an_az_count_unlike_the_policy_is_a_note() {
        let obs = observed(&[cluster(1, "events-msk", "ACTIVE", 2, &[])]);
        assert_eq!(picked(&obs, "events"), ["events-msk"]);
        assert!(
            obs.notes
                .iter()
                .any(|n| n.starts_with("events: MSK cluster events-msk spans 2 AZs")),
            "{:?}",
            obs.notes
        );
    }

    #[test]
    fn a_cluster_selected_twice_is_managed_by_the_first() {
        let obs = observed(&[cluster(
            1,
            "events-msk",
            "ACTIVE",
            3,
            &[("team", "streams")],
        )]);
        assert_eq!(picked(&obs, "events"), ["events-msk"]);
        assert!(picked(&obs, "streams").is_empty());
        assert!(
            obs.notes
                .iter()
                .any(|n| n.contains("also selected by events")),
            "{:?}",
            obs.notes
        );
    }
}
