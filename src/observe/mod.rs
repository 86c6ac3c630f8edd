//! Observe: describe the managed resources and read the signals their rules
//! need, into an [`Estate`] and [`Signals`] for the decision core.
//!
//! One batched describe per service (only for services the policy uses,
//! the services at once), however many resources the policy names;
//! selectors (identifier or tags) are matched here, on the described lists.
//! A second look under the leases ([`observe_only`]) reads DB instances by
//! identifier. Mapping a described
//! resource to a [`crate::estate::Member`] is pure and lives in one file per
//! kind.
//!
//! One bad resource is one resource: a describe that fails leaves its
//! service's resources not observed, a resource the answer half-describes
//! (or whose tags cannot be read) is not observed, and everything else is
//! observed as usual. Each is a [`NotObserved`], a note in the plan and a
//! log line; nothing is decided for it, and its absence is not taken to
//! mean it is gone.

mod aurora;
mod autoscaling;
mod elasticache;
mod kafka;
pub(crate) mod metrics;
mod prices;
mod rds;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use crate::estate::Estate;
use crate::policy::{Policy, ResourceKind, Selector};
use crate::ports::AwsError;
use crate::ports::{
    AutoScalingPort, CloudWatchPort, ElastiCachePort, KafkaPort, Listing, RdsPort, Tags,
};
use crate::signals::Signals;

pub use metrics::{TERRAFORM_METRICS_FILE, metric_queries, terraform_metrics};
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
    /// resource of the wrong shape, what could not be read, ...).
    pub notes: Vec<String>,
    /// When each alarm read back entered its state, where CloudWatch said
    /// (an alarm event older than this is stale news).
    pub alarm_since: BTreeMap<String, DateTime<Utc>>,
    /// What could not be read this run: nothing is decided or done for it,
    /// and nothing is concluded from its absence.
    pub not_observed: Vec<NotObserved>,
}

/// A resource, or every resource of a kind, that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotObserved {
    /// The kind it would be managed as.
    pub kind: ResourceKind,
    /// Its AWS identifier (or ARN); None when the whole describe failed.
    pub identifier: Option<String>,
    /// Why, for a person.
    pub why: String,
    /// The failed call, when a whole describe failed.
    pub cause: Option<AwsError>,
}

impl Observation {
    /// The failure that left nothing at all observed: no resource was found
    /// and a whole describe failed (an unreachable endpoint, missing
    /// credentials). There is nothing to decide on; the caller fails the run
    /// rather than report an empty estate.
    pub fn blind(&self) -> Option<&AwsError> {
        if !self.estate.members.is_empty() {
            return None;
        }
        self.not_observed.iter().find_map(|n| n.cause.as_ref())
    }

    /// False when `identifier` of `kind` could not be read this run (itself,
    /// or its whole service): its absence from the estate says nothing.
    pub fn could_read(&self, kind: ResourceKind, identifier: &str) -> bool {
        !self.not_observed.iter().any(|n| {
            n.kind == kind
                && n.identifier
                    .as_deref()
                    .is_none_or(|id| id == identifier || arn_names(id, identifier))
        })
    }

    /// True when `selector` names, by identifier, a resource of `kind` that
    /// could not be read (so "matched nothing" would be wrong).
    pub(crate) fn unreadable_named(&self, selector: &Selector, kind: ResourceKind) -> bool {
        match selector {
            Selector::Identifier(id) => !self.could_read(kind, id),
            Selector::Tags(_) => false,
        }
    }

    /// Records that `identifier` (None: every resource) of `kind` could not
    /// be read, with a note in the plan and a log line, when the policy may
    /// manage it.
    fn not_read(
        &mut self,
        policy: &Policy,
        kind: ResourceKind,
        identifier: Option<&str>,
        why: String,
    ) {
        self.not_read_because(policy, kind, identifier, why, None);
    }

    /// [`Observation::not_read`] for a whole describe that failed with `e`.
    fn describe_failed(&mut self, policy: &Policy, kind: ResourceKind, e: &AwsError) {
        self.not_read_because(policy, kind, None, e.to_string(), Some(e.clone()));
    }

    fn not_read_because(
        &mut self,
        policy: &Policy,
        kind: ResourceKind,
        identifier: Option<&str>,
        why: String,
        cause: Option<AwsError>,
    ) {
        let managed: Vec<&str> = policy
            .resources
            .iter()
            .filter(|r| r.kind == kind)
            .filter(|r| match (&r.selector, identifier) {
                (Selector::Identifier(want), Some(id)) => want == id || arn_names(id, want),
                _ => true,
            })
            .map(|r| r.id.as_str())
            .collect();
        // A resource no policy resource can select is nobody's business.
        if managed.is_empty() {
            tracing::debug!(kind = %kind, identifier, %why, "unmanaged resource not read");
            return;
        }
        let what = match identifier {
            Some(id) => format!("{kind} {id}"),
            None => format!("every {kind}"),
        };
        tracing::warn!(kind = %kind, identifier, resources = ?managed, %why, "not observed");
        self.notes.push(format!(
            "not observed: {what} ({}); nothing is decided for it this run: {why}",
            managed.join(", ")
        ));
        self.not_observed.push(NotObserved {
            kind,
            identifier: identifier.map(str::to_owned),
            why,
            cause,
        });
    }

    /// Records the resources `listing` could not read.
    fn unreadable<T>(&mut self, policy: &Policy, kind: ResourceKind, listing: &Listing<T>) {
        for u in &listing.unreadable {
            let id = (!u.id.is_empty()).then_some(u.id.as_str());
            self.not_read(policy, kind, id, u.why.clone());
        }
    }
}

/// True when `arn` is an ARN naming `name` (`…:db:NAME`, `…:cluster:NAME`,
/// `…:cluster/NAME/uuid`, `…autoScalingGroupName/NAME`).
fn arn_names(arn: &str, name: &str) -> bool {
    arn.starts_with("arn:")
        && (arn.ends_with(&format!(":{name}"))
            || arn.ends_with(&format!("/{name}"))
            || arn.contains(&format!("/{name}/")))
}

/// Observes every resource `policy` manages, and the signals of its rules.
/// One bad resource is one resource: a describe that fails leaves that
/// service's resources (and only those) not observed; a resource the answer
/// cannot give whole is not observed, the others are; metric reads that
/// fail become notes. Each is a note in the plan and a log line.
pub async fn observe(policy: &Policy, ports: Ports<'_>, now: DateTime<Utc>) -> Observation {
    observe_in(policy, ports, now, None).await
}

/// [`observe`] for a second look at resources already found: RDS DB
/// instances are read by identifier (`only`), not the whole region; the
/// other kinds' services are read whole, and only those `policy` uses (the
/// caller narrows it to the resources concerned).
pub async fn observe_only(
    policy: &Policy,
    ports: Ports<'_>,
    now: DateTime<Utc>,
    only: &BTreeSet<String>,
) -> Observation {
    observe_in(policy, ports, now, Some(only)).await
}

async fn observe_in(
    policy: &Policy,
    ports: Ports<'_>,
    now: DateTime<Utc>,
    only: Option<&BTreeSet<String>>,
) -> Observation {
    let mut obs = Observation::default();
    let uses = |k: ResourceKind| policy.resources.iter().any(|r| r.kind == k);
    let rds = uses(ResourceKind::RdsInstance);
    let aurora = uses(ResourceKind::AuroraCluster);

    // The services are described at once (each one's pages in sequence);
    // what they answer is mapped in a fixed order below.
    let named: Option<Vec<String>> = only
        .filter(|_| !aurora)
        .map(|o| o.iter().cloned().collect());
    let (instances, clusters, groups, kafka, asgs) = futures::join!(
        async {
            if !(rds || aurora) {
                None
            } else if let Some(ids) = &named {
                Some(ports.rds.db_instances_named(ids).await)
            } else {
                Some(ports.rds.db_instances().await)
            }
        },
        async {
            if aurora {
                Some(ports.rds.db_clusters().await)
            } else {
                None
            }
        },
        async {
            if uses(ResourceKind::ElasticacheRedis) {
                Some(ports.elasticache.replication_groups().await)
            } else {
                None
            }
        },
        async {
            if uses(ResourceKind::MskCluster) {
                Some(ports.kafka.clusters().await)
            } else {
                None
            }
        },
        async {
            if uses(ResourceKind::AutoscalingGroup) {
                Some(ports.autoscaling.groups().await)
            } else {
                None
            }
        },
    );

    match instances {
        None => {}
        Some(Ok(instances)) => {
            if rds {
                obs.unreadable(policy, ResourceKind::RdsInstance, &instances);
                rds::observe(policy, &instances, &mut obs);
            }
            match clusters {
                None => {}
                Some(Ok(clusters)) => {
                    obs.unreadable(policy, ResourceKind::AuroraCluster, &clusters);
                    aurora::observe(policy, &clusters, &instances, &mut obs);
                }
                Some(Err(e)) => obs.describe_failed(policy, ResourceKind::AuroraCluster, &e),
            }
        }
        // Aurora members are DB instances too: neither kind can be read.
        Some(Err(e)) => {
            for kind in [ResourceKind::RdsInstance, ResourceKind::AuroraCluster] {
                if uses(kind) {
                    obs.describe_failed(policy, kind, &e);
                }
            }
        }
    }
    match groups {
        None => {}
        Some(Ok(groups)) => {
            obs.unreadable(policy, ResourceKind::ElasticacheRedis, &groups);
            let untagged = elasticache::observe(policy, &groups, ports.elasticache, &mut obs).await;
            for (id, why) in untagged {
                // An identifier selector picked it without its tags.
                if obs.estate.members.iter().any(|m| m.identifier == id) {
                    continue;
                }
                let why =
                    format!("its tags could not be read, so no tag selector can match it: {why}");
                obs.not_read(policy, ResourceKind::ElasticacheRedis, Some(&id), why);
            }
        }
        Some(Err(e)) => obs.describe_failed(policy, ResourceKind::ElasticacheRedis, &e),
    }
    match kafka {
        None => {}
        Some(Ok(clusters)) => {
            obs.unreadable(policy, ResourceKind::MskCluster, &clusters);
            kafka::observe(policy, &clusters, &mut obs);
        }
        Some(Err(e)) => obs.describe_failed(policy, ResourceKind::MskCluster, &e),
    }
    match asgs {
        None => {}
        Some(Ok(groups)) => {
            obs.unreadable(policy, ResourceKind::AutoscalingGroup, &groups);
            autoscaling::observe(policy, &groups, &mut obs);
        }
        Some(Err(e)) => obs.describe_failed(policy, ResourceKind::AutoscalingGroup, &e),
    }
    metrics::read(policy, ports.cloudwatch, now, &mut obs).await;
    obs
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

#[cfg(test)]
mod tests {
    use super::arn_names;

    #[test]
    fn an_arn_names_the_resource_at_its_end_or_in_its_path() {
        assert!(arn_names(
            "arn:aws:rds:us-east-1:1:db:billing-db",
            "billing-db"
        ));
        assert!(arn_names(
            "arn:aws:kafka:us-east-1:1:cluster/events/9f1c-2",
            "events"
        ));
        assert!(!arn_names(
            "arn:aws:rds:us-east-1:1:db:billing-db-2",
            "billing-db"
        ));
        assert!(!arn_names("billing-db", "billing-db"), "not an ARN");
    }
}
