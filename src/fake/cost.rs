//! A fake Cost Explorer: the spend of each day and the anomalies AWS Cost
//! Anomaly Detection would report, set by the test. moto serves
//! GetCostAndUsage only from queued answers and has no GetAnomalies; this
//! serves both from one series, so a run that reads spend several ways
//! sees one consistent account.

use std::sync::Mutex;

use async_trait::async_trait;
use chrono::NaiveDate;

use super::lock;
use crate::budget::anomaly::DaySpend;
use crate::ports::AwsError;
use crate::ports::{CostAnomaly, CostPort, not_available};

/// The account's spend, day by day, and its Cost Anomaly Detection.
#[derive(Debug, Default)]
pub struct FakeCost {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    days: Vec<DaySpend>,
    /// None: the account has no Cost Anomaly Detection to read.
    anomalies: Option<Vec<CostAnomaly>>,
    calls: u32,
}

impl FakeCost {
    /// An account that spent `days` (any order; a later entry for the same
    /// date replaces an earlier one).
    pub fn with_days(days: Vec<DaySpend>) -> Self {
        let fake = FakeCost::default();
        for d in days {
            fake.set_day(d);
        }
        fake
    }

    /// Sets one day's spend.
    pub fn set_day(&self, day: DaySpend) {
        let mut s = lock(&self.state);
        s.days.retain(|d| d.date != day.date);
        s.days.push(day);
        s.days.sort_by_key(|d| d.date);
    }

    /// Sets what GetAnomalies answers (None: not available).
    pub fn set_anomalies(&self, anomalies: Option<Vec<CostAnomaly>>) {
        lock(&self.state).anomalies = anomalies;
    }

    /// How many calls were answered.
    pub fn calls(&self) -> u32 {
        lock(&self.state).calls
    }
}

#[async_trait]
impl CostPort for FakeCost {
    async fn spend_usd(&self, start: NaiveDate, end: NaiveDate) -> Result<f64, AwsError> {
        let mut s = lock(&self.state);
        s.calls += 1;
        Ok(s.days
            .iter()
            .filter(|d| start <= d.date && d.date < end)
            .map(|d| d.total_usd)
            .sum())
    }

    async fn daily_spend(
        &self,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<DaySpend>, AwsError> {
        let mut s = lock(&self.state);
        s.calls += 1;
        Ok(s.days
            .iter()
            .filter(|d| start <= d.date && d.date < end)
            .cloned()
            .collect())
    }

    /// The anomalies whose last day (or first, while one goes on) lies in
    /// `[start, end]`, as GetAnomalies filters on the end date.
    async fn cost_anomalies(
        &self,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<CostAnomaly>, AwsError> {
        let mut s = lock(&self.state);
        s.calls += 1;
        let Some(all) = &s.anomalies else {
            return Err(not_available("GetAnomalies"));
        };
        Ok(all
            .iter()
            .filter(|a| a.end.or(a.start).is_some_and(|d| start <= d && d <= end))
            .cloned()
            .collect())
    }
}
