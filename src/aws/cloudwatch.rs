//! [`CloudWatchPort`] on `aws-sdk-cloudwatch`.
//!
//! Contract: alarm states come from DescribeAlarms by name, 100 names a
//! call (AWS's limit), metric, composite and log alarms alike, paginated;
//! names without an alarm are absent. Metric series come from
//! GetMetricData with one metric query per source (dimension set) of each
//! [`MetricQuery`], 500 a call (AWS's limit), paginated, each given an id
//! unique in its call (`q0`, `q1`, ...: AWS wants `^[a-z][a-zA-Z0-9_]*$`).
//! The datapoints of a query's sources are folded into one series keyed by
//! (identifier, metric): per timestamp the maximum across sources, in time
//! order (oldest first, newest last) whatever order the service sends them
//! in. Sources of one query may fall in different calls; the fold does not
//! care. SDK types never leave this file.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types::{
    AlarmType, Dimension, Metric, MetricDataQuery, MetricDataResult, MetricStat, ScanBy, StateValue,
};
use aws_smithy_types::DateTime as SmithyTime;
use chrono::{DateTime, TimeDelta, Utc};

use super::{AwsError, ErrorKind};
use crate::ports::{AlarmReading, CloudWatchPort, Dimensions, History, MetricQuery};
use crate::signals::AlarmState;

const SERVICE: &str = "cloudwatch";

/// Datapoints of one query: ((epoch seconds, nanoseconds), value).
type Points = Vec<((i64, u32), f64)>;
/// Series being folded across sources: per (identifier, metric), the
/// maximum value per (epoch seconds, nanoseconds).
type Folded = BTreeMap<(String, String), BTreeMap<(i64, u32), f64>>;
const DESCRIBE_ALARMS: &str = "DescribeAlarms";
const GET_METRIC_DATA: &str = "GetMetricData";

/// Alarm names per DescribeAlarms call (AWS's limit).
pub const ALARM_NAMES_PER_CALL: usize = 100;
/// Queries per GetMetricData call (AWS's limit).
pub const QUERIES_PER_CALL: usize = 500;

/// CloudWatch through the AWS SDK.
#[derive(Debug, Clone)]
pub struct CloudWatchAdapter {
    client: Client,
}

impl CloudWatchAdapter {
    /// A client on the shared SDK configuration.
    pub fn new(config: &SdkConfig) -> Self {
        CloudWatchAdapter {
            client: Client::from_conf(
                aws_sdk_cloudwatch::config::Builder::from(config)
                    .interceptor(crate::aws::attempts::Recorder)
                    .build(),
            ),
        }
    }

    async fn alarm_batch(
        &self,
        names: &[String],
        out: &mut BTreeMap<String, AlarmReading>,
    ) -> Result<(), AwsError> {
        let mut pages = self
            .client
            .describe_alarms()
            .set_alarm_names(Some(names.to_vec()))
            .alarm_types(AlarmType::MetricAlarm)
            .alarm_types(AlarmType::CompositeAlarm)
            .alarm_types(AlarmType::LogAlarm)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| AwsError::from_sdk(SERVICE, DESCRIBE_ALARMS, "", e))?;
            let metric = page
                .metric_alarms()
                .iter()
                .map(|a| (a.alarm_name(), a.state_value(), a.state_updated_timestamp()));
            let composite = page
                .composite_alarms()
                .iter()
                .map(|a| (a.alarm_name(), a.state_value(), a.state_updated_timestamp()));
            let log = page
                .log_alarms()
                .iter()
                .map(|a| (a.alarm_name(), a.state_value(), a.state_updated_timestamp()));
            for (name, state, since) in metric.chain(composite).chain(log) {
                if let (Some(name), Some(state)) = (name, state.and_then(alarm_state)) {
                    let since = since.and_then(chrono_time);
                    out.insert(name.to_owned(), AlarmReading { state, since });
                }
            }
        }
        Ok(())
    }

    /// Reads one call's worth of (query, source) pairs and folds each
    /// datapoint into `out` under its query's (identifier, metric), keeping
    /// the maximum per timestamp.
    async fn metric_batch(
        &self,
        batch: &[Source<'_>],
        start: SmithyTime,
        end: SmithyTime,
        out: &mut Folded,
    ) -> Result<(), AwsError> {
        let mut pages = self
            .client
            .get_metric_data()
            .set_metric_data_queries(Some(data_queries(batch)?))
            .start_time(start)
            .end_time(end)
            .scan_by(ScanBy::TimestampAscending)
            .into_paginator()
            .send();
        let mut points: BTreeMap<usize, Points> = BTreeMap::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| AwsError::from_sdk(SERVICE, GET_METRIC_DATA, "", e))?;
            for result in page.metric_data_results() {
                collect(result, batch.len(), &mut points);
            }
        }
        for (index, datapoints) in points {
            if let Some((q, _)) = batch.get(index) {
                merge_max(out, q, datapoints);
            }
        }
        Ok(())
    }

    /// Every source of `queries` from `start` to `end`, 500 a call, folded
    /// per (identifier, metric) and timestamp.
    async fn folded(
        &self,
        queries: &[MetricQuery],
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Folded, AwsError> {
        let mut merged = BTreeMap::new();
        if queries.is_empty() || end <= start {
            return Ok(merged);
        }
        let (start, end) = (smithy_time(start), smithy_time(end));
        let sources = sources(queries);
        for batch in sources.chunks(QUERIES_PER_CALL) {
            self.metric_batch(batch, start, end, &mut merged).await?;
        }
        Ok(merged)
    }
}

#[async_trait]
impl CloudWatchPort for CloudWatchAdapter {
    async fn alarm_states(
        &self,
        names: &[String],
    ) -> Result<BTreeMap<String, AlarmState>, AwsError> {
        Ok(self
            .alarm_readings(names)
            .await?
            .into_iter()
            .map(|(name, r)| (name, r.state))
            .collect())
    }

    async fn alarm_readings(
        &self,
        names: &[String],
    ) -> Result<BTreeMap<String, AlarmReading>, AwsError> {
        let mut out = BTreeMap::new();
        for batch in names.chunks(ALARM_NAMES_PER_CALL) {
            self.alarm_batch(batch, &mut out).await?;
        }
        Ok(out)
    }

    async fn recent_values(
        &self,
        queries: &[MetricQuery],
        now: DateTime<Utc>,
        lookback: TimeDelta,
    ) -> Result<BTreeMap<(String, String), Vec<f64>>, AwsError> {
        if lookback <= TimeDelta::zero() {
            return Ok(BTreeMap::new());
        }
        let merged = self.folded(queries, now - lookback, now).await?;
        // BTreeMap order: oldest first.
        Ok(merged
            .into_iter()
            .filter(|(_, by_time)| !by_time.is_empty())
            .map(|(key, by_time)| (key, by_time.into_values().collect()))
            .collect())
    }

    async fn history(
        &self,
        queries: &[MetricQuery],
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<History, AwsError> {
        let merged = self.folded(queries, start, end).await?;
        Ok(merged
            .into_iter()
            .map(|(key, by_time)| {
                let points: Vec<(DateTime<Utc>, f64)> = by_time
                    .into_iter()
                    .filter_map(|((secs, nanos), v)| {
                        DateTime::<Utc>::from_timestamp(secs, nanos).map(|t| (t, v))
                    })
                    .collect();
                (key, points)
            })
            .filter(|(_, points)| !points.is_empty())
            .collect())
    }
}

/// One (query, source) pair: one GetMetricData metric query.
type Source<'a> = (&'a MetricQuery, &'a Dimensions);

/// Every source of every query, in query order.
fn sources(queries: &[MetricQuery]) -> Vec<Source<'_>> {
    queries
        .iter()
        .flat_map(|q| q.sources.iter().map(move |d| (q, d)))
        .collect()
}

/// Folds one source's datapoints into its query's series: per timestamp,
/// the maximum across sources (see [`MetricQuery`] for why max).
fn merge_max(out: &mut Folded, q: &MetricQuery, datapoints: Points) {
    let series = out
        .entry((q.identifier.clone(), q.metric.clone()))
        .or_default();
    for (t, v) in datapoints {
        series
            .entry(t)
            .and_modify(|old| *old = old.max(v))
            .or_insert(v);
    }
}

/// The id of the `index`-th query of a call: unique in the call, and of the
/// form AWS requires (`^[a-z][a-zA-Z0-9_]*$`).
fn query_id(index: usize) -> String {
    format!("q{index}")
}

/// The index a query id stands for.
fn query_index(id: &str) -> Option<usize> {
    id.strip_prefix('q')?.parse().ok()
}

/// One MetricStat query per (query, source) pair, ids by position in the
/// call.
fn data_queries(batch: &[Source<'_>]) -> Result<Vec<MetricDataQuery>, AwsError> {
    batch
        .iter()
        .enumerate()
        .map(|(i, (q, dimensions))| {
            let period = i32::try_from(q.period_secs).map_err(|_| AwsError {
                service: SERVICE,
                operation: GET_METRIC_DATA,
                resource: q.identifier.clone(),
                kind: ErrorKind::Other,
                code: None,
                message: format!("period {} s is out of range", q.period_secs),
            })?;
            let dimensions = dimensions
                .iter()
                .map(|(name, value)| Dimension::builder().name(name).value(value).build())
                .collect();
            let metric = Metric::builder()
                .namespace(&q.namespace)
                .metric_name(&q.metric)
                .set_dimensions(Some(dimensions))
                .build();
            Ok(MetricDataQuery::builder()
                .id(query_id(i))
                .metric_stat(
                    MetricStat::builder()
                        .metric(metric)
                        .period(period)
                        .stat(&q.statistic)
                        .build(),
                )
                .return_data(true)
                .build())
        })
        .collect()
}

/// Adds one result's datapoints to those of its query (results of one query
/// may span pages).
fn collect(result: &MetricDataResult, query_count: usize, points: &mut BTreeMap<usize, Points>) {
    let Some(index) = result
        .id()
        .and_then(query_index)
        .filter(|i| *i < query_count)
    else {
        return;
    };
    let entry = points.entry(index).or_default();
    for (t, v) in result.timestamps().iter().zip(result.values()) {
        if v.is_finite() {
            entry.push(((t.secs(), t.subsec_nanos()), *v));
        }
    }
}

fn alarm_state(s: &StateValue) -> Option<AlarmState> {
    match s {
        StateValue::Alarm => Some(AlarmState::Alarm),
        StateValue::Ok => Some(AlarmState::Ok),
        StateValue::InsufficientData => Some(AlarmState::InsufficientData),
        _ => None,
    }
}

/// A time the service sent, as chrono's; None when out of chrono's range.
fn chrono_time(t: &SmithyTime) -> Option<DateTime<Utc>> {
    DateTime::<Utc>::from_timestamp(t.secs(), t.subsec_nanos())
}

fn smithy_time(t: DateTime<Utc>) -> SmithyTime {
    SmithyTime::from_secs_and_nanos(t.timestamp(), t.timestamp_subsec_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dims(pairs: &[(&str, &str)]) -> Dimensions {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn query(id: &str, metric: &str) -> MetricQuery {
        MetricQuery {
            identifier: id.to_owned(),
            namespace: "AWS/RDS".to_owned(),
            metric: metric.to_owned(),
            sources: vec![dims(&[("DBInstanceIdentifier", id)])],
            statistic: "Average".to_owned(),
            period_secs: 300,
        }
    }

    fn brokers(cluster: &str, n: u32) -> MetricQuery {
        MetricQuery {
            identifier: cluster.to_owned(),
            namespace: "AWS/Kafka".to_owned(),
            metric: "CpuUser".to_owned(),
            sources: (1..=n)
                .map(|b| dims(&[("Cluster Name", cluster), ("Broker ID", &b.to_string())]))
                .collect(),
            statistic: "Average".to_owned(),
            period_secs: 300,
        }
    }

    fn is_aws_id(id: &str) -> bool {
        let mut c = id.chars();
        c.next().is_some_and(|f| f.is_ascii_lowercase())
            && c.all(|c| c.is_ascii_alphanumeric() || c == '_')
    }

    #[test]
    fn ids_are_unique_and_of_the_form_aws_requires() {
        let queries: Vec<_> = (0..QUERIES_PER_CALL)
            .map(|i| query(&format!("db-{i}"), "CPUUtilization"))
            .collect();
        let sources = sources(&queries);
        let built = data_queries(&sources).expect("builds");
        let mut ids: Vec<_> = built.iter().filter_map(|q| q.id()).collect();
        assert!(ids.iter().all(|id| is_aws_id(id)), "{ids:?}");
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), QUERIES_PER_CALL);
        assert_eq!(query_index(&query_id(437)), Some(437));
        assert_eq!(query_index("x1"), None);
    }

    #[test]
    fn queries_carry_namespace_dimension_statistic_and_period() {
        let q = [query("billing-db", "FreeableMemory")];
        let built = data_queries(&sources(&q)).expect("builds");
        let stat = built[0].metric_stat().expect("metric stat");
        let metric = stat.metric().expect("metric");
        assert_eq!(metric.namespace(), Some("AWS/RDS"));
        assert_eq!(metric.metric_name(), Some("FreeableMemory"));
        let d = &metric.dimensions()[0];
        assert_eq!(
            (d.name(), d.value()),
            (Some("DBInstanceIdentifier"), Some("billing-db"))
        );
        assert_eq!((stat.stat(), stat.period()), (Some("Average"), Some(300)));
    }

    #[test]
    fn every_source_is_one_metric_query_with_all_its_dimensions() {
        let queries = [query("db", "CPUUtilization"), brokers("events", 3)];
        let sources = sources(&queries);
        assert_eq!(sources.len(), 4);
        let built = data_queries(&sources).expect("builds");
        let ids: Vec<_> = built.iter().filter_map(|q| q.id()).collect();
        assert_eq!(ids, ["q0", "q1", "q2", "q3"]);
        let broker_dims: Vec<Vec<(Option<&str>, Option<&str>)>> = built[1..]
            .iter()
            .map(|q| {
                q.metric_stat()
                    .and_then(|s| s.metric())
                    .map(|m| {
                        m.dimensions()
                            .iter()
                            .map(|d| (d.name(), d.value()))
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(
            broker_dims,
            ["1", "2", "3"]
                .iter()
                .map(|b| vec![
                    (Some("Cluster Name"), Some("events")),
                    (Some("Broker ID"), Some(*b))
                ])
                .collect::<Vec<_>>()
        );
        assert!(built[1..].iter().all(|q| {
            q.metric_stat()
                .and_then(|s| s.metric())
                .and_then(|m| m.metric_name())
                == Some("CpuUser")
        }));
    }

    #[test]
    fn sources_fold_to_the_maximum_per_timestamp_oldest_first() {
        let q = brokers("events", 2);
        let mut out = BTreeMap::new();
        // Broker 1 is hot early, broker 2 late; broker 2 misses one period.
        merge_max(
            &mut out,
            &q,
            vec![((900, 0), 10.0), ((300, 0), 80.0), ((600, 0), 50.0)],
        );
        merge_max(&mut out, &q, vec![((300, 0), 20.0), ((900, 0), 95.0)]);
        let series: Vec<f64> = out
            .remove(&("events".to_owned(), "CpuUser".to_owned()))
            .expect("series")
            .into_values()
            .collect();
        assert_eq!(series, [80.0, 50.0, 95.0]);
        assert!(out.is_empty());
    }

    #[test]
    fn datapoints_are_merged_across_pages_and_put_in_time_order() {
        let mut points = BTreeMap::new();
        let page = |ts: &[i64], vs: &[f64]| {
            MetricDataResult::builder()
                .id("q1")
                .set_timestamps(Some(ts.iter().map(|t| SmithyTime::from_secs(*t)).collect()))
                .set_values(Some(vs.to_vec()))
                .build()
        };
        // Newest first, as moto and CloudWatch's default order send them.
        collect(&page(&[900, 600], &[3.0, 2.0]), 2, &mut points);
        collect(&page(&[300], &[1.0]), 2, &mut points);
        collect(&page(&[300], &[9.0]), 1, &mut points); // q1 out of range for 1 query: ignored
        let mut got = points.remove(&1).expect("q1");
        got.sort_by_key(|(t, _)| *t);
        assert_eq!(
            got.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
            [1.0, 2.0, 3.0]
        );
    }

    #[test]
    fn alarm_states_map_and_unknown_states_drop() {
        assert_eq!(alarm_state(&StateValue::Alarm), Some(AlarmState::Alarm));
        assert_eq!(alarm_state(&StateValue::Ok), Some(AlarmState::Ok));
        assert_eq!(
            alarm_state(&StateValue::InsufficientData),
            Some(AlarmState::InsufficientData)
        );
        assert_eq!(alarm_state(&StateValue::from("SOMETHING_NEW")), None);
    }

    #[test]
    fn times_convert_to_the_same_instant() {
        let t = DateTime::<Utc>::from_timestamp(1_700_000_123, 456_000_000).expect("valid");
        let s = smithy_time(t);
        assert_eq!((s.secs(), s.subsec_nanos()), (1_700_000_123, 456_000_000));
    }
}
