//! The CloudWatch fake.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::lock;
use crate::ports::AwsError;
use crate::ports::{AlarmReading, CloudWatchPort, History, MetricQuery};
use crate::signals::AlarmState;

/// CloudWatch with alarm states and metric series set by the test.
#[derive(Debug, Default)]
pub struct FakeCloudWatch {
    alarms: Mutex<BTreeMap<String, AlarmState>>,
    since: Mutex<BTreeMap<String, DateTime<Utc>>>,
    series: Mutex<BTreeMap<(String, String), Vec<f64>>>,
    history: Mutex<History>,
}

impl FakeCloudWatch {
    /// Sets an alarm's state.
    pub fn set_alarm(&self, name: &str, state: AlarmState) {
        lock(&self.alarms).insert(name.to_owned(), state);
    }

    /// Sets an alarm's state and when it entered it.
    pub fn set_alarm_since(&self, name: &str, state: AlarmState, since: DateTime<Utc>) {
        self.set_alarm(name, state);
        lock(&self.since).insert(name.to_owned(), since);
    }

    /// Sets the recent values of a metric for an identifier.
    pub fn set_series(&self, identifier: &str, metric: &str, values: Vec<f64>) {
        lock(&self.series).insert((identifier.to_owned(), metric.to_owned()), values);
    }

    /// Sets the timestamped history of a metric for an identifier (what
    /// [`CloudWatchPort::history`] reads, filtered to its window).
    pub fn set_history(&self, identifier: &str, metric: &str, points: Vec<(DateTime<Utc>, f64)>) {
        lock(&self.history).insert((identifier.to_owned(), metric.to_owned()), points);
    }
}

#[async_trait]
impl CloudWatchPort for FakeCloudWatch {
    async fn alarm_states(
        &self,
        names: &[String],
    ) -> Result<BTreeMap<String, AlarmState>, AwsError> {
        let alarms = lock(&self.alarms);
        Ok(names
            .iter()
            .filter_map(|n| alarms.get(n).map(|s| (n.clone(), *s)))
            .collect())
    }

    async fn alarm_readings(
        &self,
        names: &[String],
    ) -> Result<BTreeMap<String, AlarmReading>, AwsError> {
        let states = self.alarm_states(names).await?;
        let since = lock(&self.since);
        Ok(states
            .into_iter()
            .map(|(name, state)| {
                let since = since.get(&name).copied();
                (name, AlarmReading { state, since })
            })
            .collect())
    }

    async fn recent_values(
        &self,
        queries: &[MetricQuery],
        _now: DateTime<Utc>,
        _lookback: chrono::TimeDelta,
    ) -> Result<BTreeMap<(String, String), Vec<f64>>, AwsError> {
        let series = lock(&self.series);
        Ok(queries
            .iter()
            .filter_map(|q| {
                let key = (q.identifier.clone(), q.metric.clone());
                series.get(&key).map(|v| (key, v.clone()))
            })
            .collect())
    }

    async fn history(
        &self,
        queries: &[MetricQuery],
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<History, AwsError> {
        let history = lock(&self.history);
        Ok(queries
            .iter()
            .filter_map(|q| {
                let key = (q.identifier.clone(), q.metric.clone());
                let points: Vec<_> = history
                    .get(&key)?
                    .iter()
                    .filter(|(t, _)| *t >= start && *t < end)
                    .copied()
                    .collect();
                (!points.is_empty()).then_some((key, points))
            })
            .collect())
    }
}
