//! Maps described replication groups to members; reads tags only when a
//! tag selector needs them.
//!
//! Every `elasticache_redis` resource of the policy picks the groups its
//! selector matches (by id or ARN, or by tags). A member carries the node
//! type, the shard count (cluster mode only: a group without cluster mode
//! has one shard that cannot be resharded, so it gets no `shards` setting
//! and the operator is told when the policy asks for one) and the replicas
//! per shard; it is available only while ElastiCache says `available`.
//!
//! DescribeReplicationGroups carries no tags. When any resource selects by
//! tags, ListTagsForResource is called once per described group (there is
//! no batched form), and only then; members of identifier selectors carry
//! no tags otherwise. The mapping itself is pure (`select`).

use std::collections::BTreeMap;

use super::{Observation, nothing_found, selects};
use crate::estate::{Member, Setting, Status};
use crate::policy::{KnobName, Policy, Resource, ResourceKind, Selector};
use crate::ports::ErrorKind;
use crate::ports::{ElastiCachePort, ReplicationGroup, Tags};

/// Adds the members `policy` selects to `obs`. Returns the groups whose
/// tags could not be read (id, why): tag selectors cannot match them, the
/// other groups are selected as usual.
pub(crate) async fn observe(
    policy: &Policy,
    groups: &[ReplicationGroup],
    port: &dyn ElastiCachePort,
    obs: &mut Observation,
) -> Vec<(String, String)> {
    let needs_tags = managed(policy).any(|r| matches!(r.selector, Selector::Tags(_)));
    let mut tags: BTreeMap<String, Tags> = BTreeMap::new();
    let mut untagged = Vec::new();
    if needs_tags {
        // One ListTagsForResource per group: the API has no batched form.
        for g in groups {
            match port.tags(&g.arn).await {
                Ok(t) => {
                    tags.insert(g.id.clone(), t);
                }
                // Deleted between the describe and now: it has no tags to
                // match.
                Err(e) if e.kind == ErrorKind::NotFound => {}
                // One group's tags are that group's problem, not the others'.
                Err(e) => untagged.push((g.id.clone(), e.to_string())),
            }
        }
    }
    select(policy, groups, &tags, obs);
    untagged
}

/// Adds the members `policy` selects to `obs`, with `tags` by group id
/// (empty when no selector needs them). Pure.
fn select(
    policy: &Policy,
    groups: &[ReplicationGroup],
    tags: &BTreeMap<String, Tags>,
    obs: &mut Observation,
) {
    let none = Tags::new();
    // Group id → the policy resource that took it first.
    let mut taken: BTreeMap<&str, &str> = BTreeMap::new();
    for resource in managed(policy) {
        let mut found = 0;
        for group in groups {
            let group_tags = tags.get(&group.id).unwrap_or(&none);
            if !selects(&resource.selector, &[&group.id, &group.arn], group_tags) {
                continue;
            }
            found += 1;
            if let Some(first) = taken.get(group.id.as_str()) {
                obs.notes.push(format!(
                    "{}: replication group {} is also selected by {first}, which manages it",
                    resource.id, group.id
                ));
                continue;
            }
            taken.insert(&group.id, &resource.id);
            if !group.cluster_mode && resource.knob(KnobName::Shards).is_some() {
                obs.notes.push(format!(
                    "{}: replication group {} has cluster mode disabled; its shard count cannot change",
                    resource.id, group.id
                ));
            }
            if let Some(want) = &resource.engine
                && want != &group.engine
            {
                obs.notes.push(format!(
                    "{}: replication group {} runs {}, the policy says {want}",
                    resource.id, group.id, group.engine
                ));
            }
            obs.estate
                .members
                .push(member(resource, group, group_tags.clone()));
        }
        if found == 0 && !obs.unreadable_named(&resource.selector, ResourceKind::ElasticacheRedis) {
            obs.notes.push(format!(
                "{}: {}",
                resource.id,
                nothing_found(&resource.selector, "replication group")
            ));
        }
    }
}

fn managed(policy: &Policy) -> impl Iterator<Item = &Resource> {
    policy
        .resources
        .iter()
        .filter(|r| r.kind == ResourceKind::ElasticacheRedis)
}

/// The member for `group`, selected by `resource`.
fn member(resource: &Resource, group: &ReplicationGroup, tags: Tags) -> Member {
    let mut settings = BTreeMap::from([
        (KnobName::NodeType, Setting::Class(group.node_type.clone())),
        (KnobName::Replicas, Setting::Count(group.replicas)),
    ]);
    if group.cluster_mode {
        settings.insert(KnobName::Shards, Setting::Count(group.shards));
    }
    Member {
        policy_id: resource.id.clone(),
        identifier: group.id.clone(),
        kind: ResourceKind::ElasticacheRedis,
        status: if group.status == "available" {
            Status::Available
        } else {
            Status::Busy(group.status.clone())
        },
        pending_changes: group.pending_modifications,
        settings,
        multi_az: group.multi_az,
        spot_mix: None,
        storage_used_percent: None,
        storage: None,
        tags,
        parts: group.member_clusters.clone(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;

    use super::*;
    use crate::policy::load_str;
    use crate::ports::AwsError;
    use crate::ports::Listing;

    const POLICY: &str = r#"
version: 1
estate: t
guardrails: { max_actions_per_hour: 4, oscillation_window: 1h }
resources:
  - id: sessions
    kind: elasticache_redis
    identifier: sessions-redis
    engine: redis
    node_type: { ladder: [cache.r6g.large, cache.r6g.xlarge], floor: cache.r6g.large }
    shards: { min: 1, max: 3, floor: 1 }
    replicas: { min: 1, max: 2 }
  - id: caches
    kind: elasticache_redis
    tags: { team: web }
    engine: redis
    node_type: { ladder: [cache.r6g.large, cache.r6g.xlarge], floor: cache.r6g.large }
"#;

    const BY_ID_ONLY: &str = r#"
version: 1
estate: t
guardrails: { max_actions_per_hour: 4, oscillation_window: 1h }
resources:
  - id: sessions
    kind: elasticache_redis
    identifier: sessions-redis
    engine: redis
    node_type: { ladder: [cache.r6g.large, cache.r6g.xlarge], floor: cache.r6g.large }
"#;

    fn group(id: &str, status: &str, cluster_mode: bool) -> ReplicationGroup {
        ReplicationGroup {
            id: id.to_owned(),
            arn: format!("arn:aws:elasticache:us-east-1:1:replicationgroup:{id}"),
            status: status.to_owned(),
            node_type: "cache.r6g.large".to_owned(),
            shards: 2,
            replicas: 2,
            cluster_mode,
            multi_az: true,
            pending_modifications: false,
            engine: "redis".to_owned(),
            member_clusters: vec![format!("{id}-0001-001"), format!("{id}-0002-001")],
        }
    }

    /// Answers ListTagsForResource from a table and counts the calls.
    struct TagTable {
        tags: BTreeMap<String, Tags>,
        calls: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl ElastiCachePort for TagTable {
        async fn replication_groups(&self) -> Result<Listing<ReplicationGroup>, AwsError> {
            Ok(Listing::default())
        }
        async fn tags(&self, arn: &str) -> Result<Tags, AwsError> {
            self.calls
                .lock()
                .expect("not poisoned")
                .push(arn.to_owned());
            self.tags.get(arn).cloned().ok_or_else(|| AwsError {
                kind: ErrorKind::NotFound,
                ..AwsError::malformed("elasticache", "ListTagsForResource", "gone")
            })
        }
        async fn modify_node_type(&self, _: &str, _: &str) -> Result<(), AwsError> {
            Ok(())
        }
        async fn modify_shard_count(&self, _: &str, _: u32) -> Result<(), AwsError> {
            Ok(())
        }
        async fn modify_replica_count(&self, _: &str, _: u32, _: u32) -> Result<(), AwsError> {
            Ok(())
        }
    }

    fn table(entries: &[(&str, &[(&str, &str)])]) -> TagTable {
        TagTable {
            tags: entries
                .iter()
                .map(|(id, t)| {
                    (
                        format!("arn:aws:elasticache:us-east-1:1:replicationgroup:{id}"),
                        t.iter()
                            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                            .collect(),
                    )
                })
                .collect(),
            calls: Mutex::new(Vec::new()),
        }
    }

    async fn observed(policy: &str, groups: &[ReplicationGroup], port: &TagTable) -> Observation {
        let policy = load_str(policy, "t.yaml").expect("valid policy");
        let mut obs = Observation::default();
        let untagged = observe(&policy, groups, port, &mut obs).await;
        assert!(untagged.is_empty(), "{untagged:?}");
        obs
    }

    fn picked(obs: &Observation, policy_id: &str) -> Vec<String> {
        obs.estate
            .members_of(policy_id)
            .map(|m| m.identifier.clone())
            .collect()
    }

    #[tokio::test]
    async fn maps_settings_and_status() {
        let mut busy = group("sessions-redis", "modifying", true);
        busy.pending_modifications = true;
        let port = table(&[]);
        let obs = observed(BY_ID_ONLY, &[busy], &port).await;
        let m = obs.estate.members_of("sessions").next().expect("selected");
        assert_eq!(m.status, Status::Busy("modifying".into()));
        assert!(m.pending_changes && m.multi_az);
        assert_eq!(
            m.settings.get(&KnobName::NodeType),
            Some(&Setting::Class("cache.r6g.large".into()))
        );
        assert_eq!(m.settings.get(&KnobName::Shards), Some(&Setting::Count(2)));
        assert_eq!(
            m.settings.get(&KnobName::Replicas),
            Some(&Setting::Count(2))
        );
        assert_eq!(
            m.parts,
            ["sessions-redis-0001-001", "sessions-redis-0002-001"],
            "member clusters carry the node metrics"
        );

        let obs = observed(
            BY_ID_ONLY,
            &[group("sessions-redis", "available", true)],
            &port,
        )
        .await;
        let m = obs.estate.members_of("sessions").next().expect("selected");
        assert_eq!(m.status, Status::Available);
        assert!(!m.pending_changes);
    }

    #[tokio::test]
    async fn identifier_selectors_read_no_tags() {
        let port = table(&[("sessions-redis", &[("team", "web")])]);
        let obs = observed(
            BY_ID_ONLY,
            &[group("sessions-redis", "available", true)],
            &port,
        )
        .await;
        assert_eq!(picked(&obs, "sessions"), ["sessions-redis"]);
        assert!(port.calls.lock().expect("not poisoned").is_empty());
        assert!(obs.notes.is_empty(), "{:?}", obs.notes);
    }

    #[tokio::test]
    async fn a_tag_selector_reads_tags_once_per_group_and_picks_exactly() {
        let port = table(&[
            ("sessions-redis", &[("team", "core")]),
            ("web-1", &[("team", "web")]),
            ("web-2", &[("team", "web"), ("env", "prod")]),
            ("batch", &[("team", "batch")]),
        ]);
        let groups = [
            group("sessions-redis", "available", true),
            group("web-1", "available", true),
            group("web-2", "available", false),
            group("batch", "available", true),
            group("deleted-meanwhile", "deleting", true),
        ];
        let obs = observed(POLICY, &groups, &port).await;
        assert_eq!(picked(&obs, "caches"), ["web-1", "web-2"]);
        assert_eq!(picked(&obs, "sessions"), ["sessions-redis"]);
        assert_eq!(port.calls.lock().expect("not poisoned").len(), groups.len());
        let web = obs.estate.members_of("caches").next().expect("selected");
        assert_eq!(web.tags.get("team").map(String::as_str), Some("web"));
    }

    #[tokio::test]
    async fn a_selector_matching_nothing_is_a_note() {
        let port = table(&[]);
        let obs = observed(POLICY, &[], &port).await;
        assert!(obs.estate.members.is_empty());
        assert_eq!(
            obs.notes,
            [
                "sessions: no replication group named sessions-redis",
                "caches: no replication group tagged team=web"
            ]
        );
    }

    #[tokio::test]
    async fn without_cluster_mode_there_is_no_shards_setting_and_a_note() {
        let port = table(&[]);
        let mut g = group("sessions-redis", "available", false);
        g.engine = "valkey".into();
        let obs = observed(POLICY, &[g], &port).await;
        let m = obs.estate.members_of("sessions").next().expect("selected");
        assert_eq!(m.settings.get(&KnobName::Shards), None);
        assert!(
            obs.notes
                .iter()
                .any(|n| n.contains("cluster mode disabled")),
            "{:?}",
            obs.notes
        );
        assert!(
            obs.notes
                .iter()
                .any(|n| n.contains("runs valkey, the policy says redis")),
            "{:?}",
            obs.notes
        );
    }

    #[tokio::test]
    async fn a_tag_read_that_fails_leaves_out_that_group_only() {
        // 12.4: web-1's tags are refused; web-2 is still matched by tags.
        struct DeniedOne;
        #[async_trait]
        impl ElastiCachePort for DeniedOne {
            async fn replication_groups(&self) -> Result<Listing<ReplicationGroup>, AwsError> {
                Ok(Listing::default())
            }
            async fn tags(&self, arn: &str) -> Result<Tags, AwsError> {
                if arn.ends_with(":web-1") {
                    return Err(AwsError {
                        kind: ErrorKind::AccessDenied,
                        ..AwsError::malformed("elasticache", "ListTagsForResource", "denied")
                    });
                }
                Ok(Tags::from([("team".to_owned(), "web".to_owned())]))
            }
            async fn modify_node_type(&self, _: &str, _: &str) -> Result<(), AwsError> {
                Ok(())
            }
            async fn modify_shard_count(&self, _: &str, _: u32) -> Result<(), AwsError> {
                Ok(())
            }
            async fn modify_replica_count(&self, _: &str, _: u32, _: u32) -> Result<(), AwsError> {
                Ok(())
            }
        }
        let policy = load_str(POLICY, "t.yaml").expect("valid policy");
        let mut obs = Observation::default();
        let untagged = observe(
            &policy,
            &[
                group("web-1", "available", true),
                group("web-2", "available", true),
            ],
            &DeniedOne,
            &mut obs,
        )
        .await;
        assert_eq!(picked(&obs, "caches"), ["web-2"]);
        assert_eq!(untagged.len(), 1, "{untagged:?}");
        assert_eq!(untagged[0].0, "web-1");
        assert!(untagged[0].1.contains("denied"), "{untagged:?}");
    }
}
