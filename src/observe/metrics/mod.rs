//! The metrics and alarm states the estate's rules need, read in batches.
//!
//! Contract: one DescribeAlarms pass for the alarm name of every rule of the
//! policy (named alarms and the ones Terraform generates for metric rules),
//! and one GetMetricData pass for every (member, metric rule) pair, both
//! batched by the adapter. Metric series cover the longest evaluation
//! window of the rules read (period × evaluation periods) plus one period,
//! so a datapoint CloudWatch has not published yet does not leave a rule
//! short. Failures become notes: the plan still runs on what was read.
//!
//! Where each kind's metrics live (namespace, dimensions). A metric
//! published per sub-resource is read once per sub-resource (a *source*)
//! and the adapter keeps the maximum across them per period (see
//! [`MetricQuery`] for why max):
//!
//! | kind | namespace | sources |
//! |---|---|---|
//! | RDS instance | `AWS/RDS` | `DBInstanceIdentifier` |
//! | Aurora cluster | `AWS/RDS` | `DBClusterIdentifier` (cluster-wide aggregates, `ACUUtilization`, `ServerlessDatabaseCapacity`) |
//! | MSK cluster | `AWS/Kafka` | cluster-level metrics (`ActiveControllerCount`, `GlobalPartitionCount`, `GlobalTopicCount`, `OfflinePartitionsCount`): `Cluster Name`; every other metric (`CpuUser`, `KafkaDataLogsDiskUsed`, ...): one source per broker, `Cluster Name` + `Broker ID` 1..=n ([`Member::parts`], else the Brokers setting) |
//! | ElastiCache replication group | `AWS/ElastiCache` | one source per member cluster, `CacheClusterId` ([`Member::parts`]); there is no `ReplicationGroupId` dimension for node metrics |
//! | Auto Scaling group | `AWS/EC2` | `AutoScalingGroupName` |
//!
//! Storage use: for members whose resource has a storage rule, the same
//! pass reads the latest `FreeStorageSpace` (RDS, bytes, Minimum) or
//! `KafkaDataLogsDiskUsed` (MSK, percent, Maximum across brokers) and sets
//! [`Member::storage_used_percent`] (see [`storage`]).
//!
//! Split by concern: [`catalog`] lists the metric names each kind's
//! namespace publishes (for validation), [`queries`] says what to read, [`storage`] turns the
//! storage metrics into a used percent, [`terraform`] writes the
//! namespace/dimension table for the Terraform module's alarms, this file
//! reads and files the answers.

pub(crate) mod catalog;
mod queries;
mod storage;
mod terraform;
#[cfg(test)]
mod tests;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::Observation;
use crate::policy::{Policy, Trigger};
use crate::ports::CloudWatchPort;
use crate::signals::AlarmState;

pub use queries::metric_queries;
pub use terraform::{TERRAFORM_METRICS_FILE, terraform_metrics};

/// Every alarm name the policy's rules map to, sorted, once each.
fn alarm_names(policy: &Policy) -> Vec<String> {
    let mut names: Vec<String> = policy
        .resources
        .iter()
        .flat_map(|r| r.rules().map(|rule| rule.alarm_name.clone()))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}
/// Reads alarm states and metric series into `obs.signals`; failures become notes.
pub(crate) async fn read(
    policy: &Policy,
    cloudwatch: &dyn CloudWatchPort,
    now: DateTime<Utc>,
    obs: &mut Observation,
) {
    let names = alarm_names(policy);
    if !names.is_empty() {
        match cloudwatch.alarm_readings(&names).await {
            Ok(readings) => {
                let states: BTreeMap<String, AlarmState> = readings
                    .iter()
                    .map(|(name, r)| (name.clone(), r.state))
                    .collect();
                note_missing_alarms(policy, &states, &mut obs.notes);
                obs.signals.alarms.extend(states);
                obs.alarm_since.extend(
                    readings
                        .into_iter()
                        .filter_map(|(name, r)| r.since.map(|t| (name, t))),
                );
            }
            Err(e) => obs.notes.push(format!(
                "alarm states could not be read, rules judge on metrics only: {e}"
            )),
        }
    }
    let wanted = queries::wanted(policy, &obs.estate);
    obs.notes.extend(wanted.notes);
    if wanted.queries.is_empty() {
        return;
    }
    match cloudwatch
        .recent_values(&wanted.queries, now, wanted.lookback)
        .await
    {
        Ok(series) => {
            storage::apply(&wanted.storage, &series, obs);
            for ((identifier, metric), values) in series {
                obs.signals.set_series(&identifier, &metric, values);
            }
        }
        Err(e) => obs.notes.push(format!(
            "metrics could not be read, rules judge on alarm states only: {e}"
        )),
    }
}
/// A rule on a named alarm that does not exist can never fire: say so.
/// (A metric rule's generated alarm may be missing until Terraform creates
/// it; the rule still judges on the metric.)
fn note_missing_alarms(
    policy: &Policy,
    states: &BTreeMap<String, AlarmState>,
    notes: &mut Vec<String>,
) {
    for resource in &policy.resources {
        for rule in resource.rules() {
            if matches!(rule.trigger, Trigger::Alarm) && !states.contains_key(&rule.alarm_name) {
                notes.push(format!(
                    "{}: alarm {} does not exist; its rule cannot fire",
                    resource.id, rule.alarm_name
                ));
            }
        }
    }
}
