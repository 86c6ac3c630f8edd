//! What the world says right now: alarm states, metric values and spend.
//!
//! Gathered by the observers; an input to the decision core like the rest.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::policy::BudgetPeriod;

/// Signals for one decision.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Signals {
    /// CloudWatch alarm states by alarm name.
    pub alarms: BTreeMap<String, AlarmState>,
    /// Latest metric values: AWS identifier → metric name → value.
    pub metrics: BTreeMap<String, BTreeMap<String, f64>>,
    /// Spend so far and forecast per budget period, if known.
    pub spend: BTreeMap<BudgetPeriod, PeriodSpend>,
}

impl Signals {
    /// The latest value of `metric` for the resource `identifier`.
    pub fn metric(&self, identifier: &str, metric: &str) -> Option<f64> {
        self.metrics.get(identifier)?.get(metric).copied()
    }

    /// Records a metric value.
    pub fn set_metric(&mut self, identifier: &str, metric: &str, value: f64) {
        self.metrics
            .entry(identifier.to_owned())
            .or_default()
            .insert(metric.to_owned(), value);
    }
}

/// CloudWatch alarm state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlarmState {
    /// Threshold breached.
    Alarm,
    /// Within threshold.
    Ok,
    /// Not enough data.
    InsufficientData,
}

/// Spend in one budget period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PeriodSpend {
    /// Spent since the period began, USD.
    pub actual_usd: f64,
    /// Forecast at the period's end, USD: actual plus the estate's live
    /// run-rate over the hours left.
    pub forecast_usd: f64,
}
