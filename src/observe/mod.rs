//! Observe: describe the managed resources and read the signals their rules
//! need, into an [`Estate`] and [`Signals`] for the decision core.
//!
//! One batched describe per service per run (only for services the policy
//! uses), however many resources the policy names; selectors (identifier or
//! tags) are matched here, on the described lists. Mapping a described
//! resource to a [`crate::estate::Member`] is pure and lives in one file per
//! kind.

mod aurora;
mod autoscaling;
mod elasticache;
mod kafka;
mod metrics;
mod prices;
mod rds;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::aws::AwsError;
use crate::estate::Estate;
use crate::policy::{Policy, ResourceKind, Selector};
use crate::ports::{AutoScalingPort, CloudWatchPort, ElastiCachePort, KafkaPort, RdsPort, Tags};
use crate::signals::Signals;

pub use metrics::metric_queries;
pub use prices::{PRICE_CACHE_KEEP, PriceApi, PriceSources, price_book, price_book_for};

/// The ports observe and act go through.
#[derive(Clone, Copy)]
pub struct Ports<'a> {
    /// RDS and Aurora.
    pub rds: &'a dyn RdsPort,
    /// ElastiCache.
    pub elasticache: &'a dyn ElastiCachePort,
    /// MSK.
    pub kafka: &'a dyn KafkaPort,
    /// Auto Scaling.
    pub autoscaling: &'a dyn AutoScalingPort,
    /// CloudWatch.
    pub cloudwatch: &'a dyn CloudWatchPort,
}

/// What one observation found.
#[derive(Debug, Clone, Default)]
pub struct Observation {
    /// The managed resources found.
    pub estate: Estate,
    /// Alarm states and metric values for their rules.
    pub signals: Signals,
    /// Things the operator should know (a selector that matched nothing, a
    /// resource of the wrong shape, ...).
    pub notes: Vec<String>,
    /// When each alarm read back entered its state, where CloudWatch said
    /// (an alarm event older than this is stale news).
    pub alarm_since: BTreeMap<String, DateTime<Utc>>,
}

/// Observes every resource `policy` manages, and the signals of its rules.
/// A describe that fails fails the observation (nothing is decided on a
/// partial view of a service); metric reads that fail become notes.
pub async fn observe(
    policy: &Policy,
    ports: Ports<'_>,
    now: DateTime<Utc>,
) -> Result<Observation, AwsError> {
    let mut obs = Observation::default();
    let uses = |k: ResourceKind| policy.resources.iter().any(|r| r.kind == k);

    if uses(ResourceKind::RdsInstance) || uses(ResourceKind::AuroraCluster) {
        let instances = ports.rds.db_instances().await?;
        if uses(ResourceKind::RdsInstance) {
            rds::observe(policy, &instances, &mut obs);
        }
        if uses(ResourceKind::AuroraCluster) {
            let clusters = ports.rds.db_clusters().await?;
            aurora::observe(policy, &clusters, &instances, &mut obs);
        }
    }
    if uses(ResourceKind::ElasticacheRedis) {
        let groups = ports.elasticache.replication_groups().await?;
        elasticache::observe(policy, &groups, ports.elasticache, &mut obs).await?;
    }
    if uses(ResourceKind::MskCluster) {
        let clusters = ports.kafka.clusters().await?;
        kafka::observe(policy, &clusters, &mut obs);
    }
    if uses(ResourceKind::AutoscalingGroup) {
        let groups = ports.autoscaling.groups().await?;
        autoscaling::observe(policy, &groups, &mut obs);
    }
    metrics::read(policy, ports.cloudwatch, now, &mut obs).await;
    Ok(obs)
}

/// True when `selector` picks a resource with this identifier (or name /
/// ARN) and these tags.
pub(crate) fn selects(selector: &Selector, ids: &[&str], tags: &Tags) -> bool {
    match selector {
        Selector::Identifier(want) => ids.iter().any(|id| id == want),
        Selector::Tags(want) => want.iter().all(|(k, v)| tags.get(k) == Some(v)),
    }
}

/// A selector as the operator wrote it, for notes: `identifier X` or
/// `tags {k=v, ...}`.
pub(crate) fn describe(selector: &Selector) -> String {
    match selector {
        Selector::Identifier(id) => format!("identifier {id}"),
        Selector::Tags(tags) => format!("tags {{{}}}", tag_list(tags)),
    }
}

/// The note for a selector that matched nothing: `no NOUN named X` or
/// `no NOUN tagged k=v, ...`.
pub(crate) fn nothing_found(selector: &Selector, noun: &str) -> String {
    match selector {
        Selector::Identifier(id) => format!("no {noun} named {id}"),
        Selector::Tags(tags) => format!("no {noun} tagged {}", tag_list(tags)),
    }
}

fn tag_list(tags: &BTreeMap<String, String>) -> String {
    let pairs: Vec<String> = tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.join(", ")
}
