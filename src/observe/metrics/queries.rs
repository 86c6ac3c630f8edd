//! What to read: one query per (member, metric of its rules) with the
//! namespace and sources of the member's kind, plus the storage queries.

use std::collections::BTreeMap;

use chrono::TimeDelta;

use super::storage::{self, StorageRead};
use crate::estate::{Estate, Member, Setting};
use crate::policy::{CustomMetric, KnobName, Policy, ResourceKind, Trigger};
use crate::ports::{Dimensions, MetricQuery};

/// MSK metrics published per cluster (`Cluster Name` alone); every other
/// MSK metric is published per broker.
pub(super) const MSK_CLUSTER_METRICS: [&str; 4] = [
    "ActiveControllerCount",
    "GlobalPartitionCount",
    "GlobalTopicCount",
    "OfflinePartitionsCount",
];

/// One query per (member, metric of its rules), with the namespace and
/// sources (dimension sets) of the member's kind and the statistic and
/// period of the first rule (file order, scale-up rules first) that reads
/// the metric; plus one storage query per member whose resource has a
/// storage rule. Deduplicated and sorted.
pub fn metric_queries(policy: &Policy, estate: &Estate) -> Vec<MetricQuery> {
    wanted(policy, estate).queries
}

/// The CloudWatch namespace of a kind's metrics.
pub(super) fn namespace(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::RdsInstance | ResourceKind::AuroraCluster => "AWS/RDS",
        ResourceKind::MskCluster => "AWS/Kafka",
        ResourceKind::ElasticacheRedis => "AWS/ElastiCache",
        ResourceKind::AutoscalingGroup => "AWS/EC2",
    }
}

/// The dimension that names a resource of `kind` in its namespace (for
/// MSK's per-broker metrics, beside `Broker ID`); None for ElastiCache,
/// whose node metrics are per member cluster (`CacheClusterId`), with no
/// replication-group dimension.
pub(super) fn dimension_name(kind: ResourceKind) -> Option<&'static str> {
    match kind {
        ResourceKind::RdsInstance => Some("DBInstanceIdentifier"),
        ResourceKind::AuroraCluster => Some("DBClusterIdentifier"),
        ResourceKind::AutoscalingGroup => Some("AutoScalingGroupName"),
        ResourceKind::MskCluster => Some("Cluster Name"),
        ResourceKind::ElasticacheRedis => None,
    }
}

/// The dimension sets `metric` of `member` is published under (see the
/// module table); empty when its sub-resources are not known.
fn sources(member: &Member, metric: &str) -> Vec<Dimensions> {
    let id = &member.identifier;
    let one = |name: &str| vec![vec![(name.to_owned(), id.clone())]];
    match (member.kind, dimension_name(member.kind)) {
        (ResourceKind::MskCluster, Some(cluster)) if !MSK_CLUSTER_METRICS.contains(&metric) => {
            broker_ids(member)
                .into_iter()
                .map(|b| {
                    vec![
                        (cluster.to_owned(), id.clone()),
                        ("Broker ID".to_owned(), b),
                    ]
                })
                .collect()
        }
        (_, Some(name)) => one(name),
        (_, None) => member
            .parts
            .iter()
            .map(|c| vec![("CacheClusterId".to_owned(), c.clone())])
            .collect(),
    }
}

/// An MSK member's broker ids: its parts, else 1..=its Brokers setting.
fn broker_ids(member: &Member) -> Vec<String> {
    if !member.parts.is_empty() {
        return member.parts.clone();
    }
    match member.settings.get(&KnobName::Brokers) {
        Some(Setting::Count(n)) => (1..=*n).map(|b| b.to_string()).collect(),
        _ => Vec::new(),
    }
}
/// What to read, over how long, and what the operator should know about it.
pub(super) struct Wanted {
    pub queries: Vec<MetricQuery>,
    pub lookback: TimeDelta,
    pub storage: Vec<StorageRead>,
    pub notes: Vec<String>,
}

/// Queries keyed by (identifier, metric), with the lookback they need and
/// the notes raised while building them.
#[derive(Default)]
struct Builder {
    by_key: BTreeMap<(String, String), MetricQuery>,
    lookback: TimeDelta,
    notes: Vec<String>,
}

impl Builder {
    /// Adds a query for `metric` of `member` (the first one for a key
    /// decides statistic and period; a different ask is noted) covering
    /// `periods` of its period. False when there is nothing to read it from.
    fn add(
        &mut self,
        member: &Member,
        metric: &str,
        custom: Option<&CustomMetric>,
        statistic: &str,
        period_secs: u32,
        periods: i64,
    ) -> bool {
        // A metric the rule places itself is read there, once.
        let (namespace, sources) = match custom {
            Some(c) => (c.namespace.as_str(), vec![c.dimensions.clone()]),
            None => (namespace(member.kind), sources(member, metric)),
        };
        if sources.is_empty() {
            let what = match member.kind {
                ResourceKind::ElasticacheRedis => "member cluster",
                _ => "broker",
            };
            self.notes.push(format!(
                "{}: {metric} is published per {what} and none is known; it is not read",
                member.label()
            ));
            return false;
        }
        let query = MetricQuery {
            identifier: member.identifier.clone(),
            namespace: namespace.to_owned(),
            metric: metric.to_owned(),
            sources,
            statistic: statistic.to_owned(),
            period_secs,
        };
        let key = (member.identifier.clone(), metric.to_owned());
        let read = self.by_key.entry(key).or_insert_with(|| query.clone());
        if read.statistic != query.statistic || read.period_secs != query.period_secs {
            self.notes.push(format!(
                "{}: {} is read as {} over {} s; the rule that asks for {} over {} s judges on that series",
                member.label(),
                metric,
                read.statistic,
                read.period_secs,
                query.statistic,
                query.period_secs
            ));
        }
        let window = TimeDelta::seconds(i64::from(read.period_secs).saturating_mul(periods));
        self.lookback = self.lookback.max(window);
        true
    }
}

pub(super) fn wanted(policy: &Policy, estate: &Estate) -> Wanted {
    let mut b = Builder::default();
    let mut reads = Vec::new();
    for (index, member) in estate.members.iter().enumerate() {
        let Some(resource) = policy.resource(&member.policy_id) else {
            continue;
        };
        for rule in resource.rules() {
            let Trigger::Metric(t) = &rule.trigger else {
                continue;
            };
            let period_secs = u32::try_from(t.period.as_secs()).unwrap_or(u32::MAX);
            // The rule judges its last N values of the series as read.
            let periods = i64::from(t.evaluation_periods.max(1)) + 1;
            let custom = t.custom.as_ref();
            b.add(
                member,
                &t.metric,
                custom,
                &t.statistic,
                period_secs,
                periods,
            );
        }
        if resource.storage.is_none() {
            continue;
        }
        let read = storage::metric_of(member);
        if let Some((metric, statistic, used)) = read {
            // A rule reading the same metric keeps its statistic; the
            // storage reading takes the latest value of that series.
            if b.add(
                member,
                metric,
                None,
                statistic,
                storage::STORAGE_PERIOD_SECS,
                storage::STORAGE_PERIODS,
            ) {
                reads.push(StorageRead {
                    member: index,
                    metric,
                    used,
                });
            }
        }
    }
    let mut notes = b.notes;
    notes.dedup();
    Wanted {
        queries: b.by_key.into_values().collect(),
        lookback: b.lookback,
        storage: reads,
        notes,
    }
}
