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
    /// Recent metric values, one per period, oldest first: AWS identifier →
    /// metric name → values. Observers read at least as many periods as
    /// the longest `evaluation_periods` of the rules; a rule fires when each
    /// of its last `evaluation_periods` values is past its threshold, and
    /// never on fewer values or a missing one (NaN): see
    /// [`crate::decide::breaches`].
    pub metrics: BTreeMap<String, BTreeMap<String, Vec<f64>>>,
    /// Spend so far and forecast per budget period, if known.
    pub spend: BTreeMap<BudgetPeriod, PeriodSpend>,
    /// Where the spend figures come from (Cost Explorer, the prices the
    /// run-rate was computed from, with their dates), for budget standings
    /// to name.
    #[serde(default)]
    pub spend_sources: Vec<String>,
    /// Spot interruption warnings and rebalance recommendations seen for
    /// each Auto Scaling group whose workload class reacts to them (AWS
    /// identifier → instants, any order), as far back as the class looks.
    /// A group absent here has unknown warnings: its raised mix is held.
    #[serde(default)]
    pub spot_warnings: BTreeMap<String, Vec<chrono::DateTime<chrono::Utc>>>,
    /// Forecast outlooks of the resources with `predictive` in the policy
    /// (AWS identifier → outlook), from [`crate::forecast::outlook`]. A
    /// resource absent here is scaled reactively.
    #[serde(default)]
    pub forecasts: BTreeMap<String, crate::forecast::Outlook>,
}

impl Signals {
    /// The latest value of `metric` for the resource `identifier`.
    pub fn metric(&self, identifier: &str, metric: &str) -> Option<f64> {
        self.series(identifier, metric)?.last().copied()
    }

    /// The recent values of `metric` for `identifier`, oldest first.
    pub fn series(&self, identifier: &str, metric: &str) -> Option<&[f64]> {
        self.metrics
            .get(identifier)?
            .get(metric)
            .map(Vec::as_slice)
            .filter(|s| !s.is_empty())
    }

    /// Records one value of a metric (one period: enough only for a rule
    /// of one evaluation period).
    pub fn set_metric(&mut self, identifier: &str, metric: &str, value: f64) {
        self.set_series(identifier, metric, vec![value]);
    }

    /// Records recent values of a metric, oldest first.
    pub fn set_series(&mut self, identifier: &str, metric: &str, values: Vec<f64>) {
        // Keys are copied only when new: the backtest sets every series
        // again each interval.
        let Some(by_metric) = self.metrics.get_mut(identifier) else {
            self.metrics.insert(
                identifier.to_owned(),
                BTreeMap::from([(metric.to_owned(), values)]),
            );
            return;
        };
        match by_metric.get_mut(metric) {
            Some(v) => *v = values,
            None => {
                by_metric.insert(metric.to_owned(), values);
            }
        }
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
