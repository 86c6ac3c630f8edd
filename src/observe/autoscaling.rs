//! Maps described Auto Scaling groups to members. Pure.
//!
//! Every `autoscaling_group` resource of the policy picks the groups its
//! selector matches (by name or ARN, or by tags). A member carries the
//! group's size as one `capacity` setting (min, max and desired together),
//! its instances distribution beside the knobs, and its tags. A group is
//! available unless AWS reports a Status (which it only sets while the
//! group is being deleted). A group two resources select is managed by the
//! first in file order; the operator is told.

use std::collections::BTreeMap;

use super::{Observation, nothing_found, selects};
use crate::estate::{Member, Setting, Status};
use crate::policy::{KnobName, Policy, ResourceKind};
use crate::ports::AutoScalingGroup;

/// Adds the members `policy` selects to `obs`.
pub(crate) fn observe(policy: &Policy, groups: &[AutoScalingGroup], obs: &mut Observation) {
    // Group name → the policy resource that took it first.
    let mut taken: BTreeMap<&str, &str> = BTreeMap::new();
    for resource in policy
        .resources
        .iter()
        .filter(|r| r.kind == ResourceKind::AutoscalingGroup)
    {
        let mut found = 0;
        for group in groups
            .iter()
            .filter(|g| selects(&resource.selector, &[&g.name, &g.arn], &g.tags))
        {
            found += 1;
            if let Some(first) = taken.get(group.name.as_str()) {
                obs.notes.push(format!(
                    "{}: Auto Scaling group {} is also selected by {first}, which manages it",
                    resource.id, group.name
                ));
                continue;
            }
            taken.insert(&group.name, &resource.id);
            obs.estate.members.push(member(&resource.id, group));
        }
        if found == 0 && !obs.unreadable_named(&resource.selector, ResourceKind::AutoscalingGroup) {
            obs.notes.push(format!(
                "{}: {}",
                resource.id,
                nothing_found(&resource.selector, "Auto Scaling group")
            ));
        }
    }
}

/// The member for `group`, selected by the policy resource `policy_id`.
fn member(policy_id: &str, group: &AutoScalingGroup) -> Member {
    let settings = BTreeMap::from([(
        KnobName::Capacity,
        Setting::Capacity {
            min: group.min,
            max: group.max,
            desired: group.desired,
        },
    )]);
    Member {
        policy_id: policy_id.to_owned(),
        identifier: group.name.clone(),
        kind: ResourceKind::AutoscalingGroup,
        status: match &group.status {
            None => Status::Available,
            Some(s) => Status::Busy(s.clone()),
        },
        pending_changes: false,
        settings,
        multi_az: false,
        spot_mix: group.mix.clone(),
        storage_used_percent: None,
        storage: None,
        parts: Vec::new(),
        tags: group.tags.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{SpotMix, load_str};

    const POLICY: &str = r#"
version: 1
estate: t
guardrails: { max_actions_per_hour: 4, oscillation_window: 1h }
spot_mix:
  web: { spot_percent: 50, on_demand_base: 1, allocation_strategy: price-capacity-optimized, instance_types: [m6i.large] }
resources:
  - id: api
    kind: autoscaling_group
    workload_class: web
    identifier: api-fleet
    capacity: { min: 1, max: 10, floor: 1 }
  - id: batch
    kind: autoscaling_group
    workload_class: web
    tags: { team: batch, env: prod }
    capacity: { min: 0, max: 10, floor: 0 }
  - id: again
    kind: autoscaling_group
    workload_class: web
    tags: { team: api }
    capacity: { min: 0, max: 10, floor: 0 }
"#;

    fn group(name: &str, tags: &[(&str, &str)]) -> AutoScalingGroup {
        AutoScalingGroup {
            name: name.to_owned(),
            arn: format!(
                "arn:aws:autoscaling:us-east-1:1:autoScalingGroup:u:autoScalingGroupName/{name}"
            ),
            min: 1,
            max: 10,
            desired: 3,
            status: None,
            mix: None,
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    fn observed(groups: &[AutoScalingGroup]) -> Observation {
        let policy = load_str(POLICY, "t.yaml").expect("valid policy");
        let mut obs = Observation::default();
        observe(&policy, groups, &mut obs);
        obs
    }

    fn picked(obs: &Observation, policy_id: &str) -> Vec<String> {
        obs.estate
            .members_of(policy_id)
            .map(|m| m.identifier.clone())
            .collect()
    }

    #[test]
    fn identifier_and_tag_selectors_pick_exactly_their_groups() {
        let obs = observed(&[
            group("api-fleet", &[("team", "api")]),
            group("batch-a", &[("team", "batch"), ("env", "prod")]),
            group("batch-dev", &[("team", "batch"), ("env", "dev")]),
            group("batch-b", &[("team", "batch"), ("env", "prod"), ("x", "y")]),
        ]);
        assert_eq!(picked(&obs, "api"), ["api-fleet"]);
        assert_eq!(picked(&obs, "batch"), ["batch-a", "batch-b"]);
        assert!(picked(&obs, "again").is_empty(), "api-fleet belongs to api");
        assert!(
            obs.notes
                .iter()
                .any(|n| n.contains("again") && n.contains("also selected by api")),
            "{:?}",
            obs.notes
        );
    }

    #[test]
    fn identifier_matches_the_arn_too() {
        let g = group("api-fleet-x", &[]);
        let policy = load_str(
            &POLICY.replace(
                "identifier: api-fleet",
                &format!("identifier: \"{}\"", g.arn),
            ),
            "t.yaml",
        )
        .expect("valid policy");
        let mut obs = Observation::default();
        observe(&policy, &[g], &mut obs);
        assert_eq!(picked(&obs, "api"), ["api-fleet-x"]);
    }

    #[test]
    fn member_carries_capacity_mix_tags_and_status() {
        let mut g = group("api-fleet", &[("team", "api")]);
        g.mix = Some(SpotMix {
            on_demand_base: 2,
            on_demand_percent_above_base: 70,
            allocation_strategy: "price-capacity-optimized".into(),
            instance_types: vec!["m6i.large".into()],
        });
        let obs = observed(&[g.clone()]);
        let m = obs.estate.members_of("api").next().expect("member");
        assert_eq!(m.kind, ResourceKind::AutoscalingGroup);
        assert_eq!(
            m.settings.get(&KnobName::Capacity),
            Some(&Setting::Capacity {
                min: 1,
                max: 10,
                desired: 3
            })
        );
        assert_eq!(m.spot_mix, g.mix);
        assert_eq!(m.tags.get("team").map(String::as_str), Some("api"));
        assert_eq!(m.status, Status::Available);
        assert!(!m.pending_changes);
    }

    #[test]
    fn a_group_being_deleted_is_busy() {
        let mut g = group("api-fleet", &[]);
        g.status = Some("Delete in progress".into());
        let obs = observed(&[g]);
        let m = obs.estate.members_of("api").next().expect("member");
        assert_eq!(m.status, Status::Busy("Delete in progress".into()));
    }

    #[test]
    fn selectors_that_match_nothing_are_noted() {
        let obs = observed(&[]);
        assert!(obs.estate.members.is_empty());
        assert!(
            obs.notes
                .iter()
                .any(|n| n == "api: no Auto Scaling group named api-fleet"),
            "{:?}",
            obs.notes
        );
        assert!(
            obs.notes
                .iter()
                .any(|n| n == "batch: no Auto Scaling group tagged env=prod, team=batch"),
            "{:?}",
            obs.notes
        );
    }
}
