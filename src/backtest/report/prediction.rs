//! The prediction part of a resource's report: how the walk-forward
//! forecast scored, what it caused, and the same resource replayed without
//! it (one run, two replays).

use serde::Serialize;

use super::format::{cents, tenths};
use crate::backtest::sim::Tally;
use crate::policy::{PredictiveMode, Resource};

/// How a resource's forecast did over the replay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PredictionReport {
    /// `forecast_only` or `forecast_and_scale`.
    pub mode: String,
    /// The forecast metric.
    pub metric: String,
    /// Weighted absolute percentage error of the latest gate score.
    pub wape_percent: Option<f64>,
    /// Model MAE ÷ seasonal-naive MAE (below 1 beats it).
    pub mase: Option<f64>,
    /// Percent of actuals under the interval's upper bound.
    pub coverage_percent: Option<f64>,
    /// The nominal coverage (the quantile).
    pub nominal_percent: f64,
    /// Decisions in which the gate let the forecast act.
    pub trusted_decisions: usize,
    /// Decisions with too little history to forecast (walk-forward: the
    /// first 9 days of a replay).
    pub warming_decisions: usize,
    /// Actions the forecast caused (pre-scales).
    pub forecast_actions: usize,
    /// The same resource replayed without prediction.
    pub without: Option<Without>,
}

/// A resource's figures in the replay without prediction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Without {
    /// USD spent.
    pub cost_usd: f64,
    /// Intervals over the SLO.
    pub breach_intervals: usize,
    /// Actions taken.
    pub actions: usize,
}

/// The report for `resource` (None without `predictive`).
pub fn report(
    resource: &Resource,
    with: &Tally,
    without: Option<&Tally>,
) -> Option<PredictionReport> {
    let p = resource.predictive.as_ref()?;
    let tally = with.prediction.clone().unwrap_or_default();
    let score = tally.score.as_ref();
    Some(PredictionReport {
        mode: match p.mode {
            PredictiveMode::ForecastOnly => "forecast_only",
            PredictiveMode::ForecastAndScale => "forecast_and_scale",
        }
        .to_owned(),
        metric: p.metric.clone(),
        wape_percent: score.map(|s| tenths(s.wape)),
        mase: score.map(|s| (s.mase * 100.0).round() / 100.0),
        coverage_percent: score.map(|s| tenths(s.coverage)),
        nominal_percent: p.quantile,
        trusted_decisions: tally.trusted_intervals,
        warming_decisions: tally.warming_intervals,
        forecast_actions: with
            .taken
            .iter()
            .filter(|t| t.cause.starts_with("forecast "))
            .count(),
        without: without.map(|t| Without {
            cost_usd: cents(t.cost_usd),
            breach_intervals: t.breach_intervals,
            actions: t.taken.len(),
        }),
    })
}

impl PredictionReport {
    /// One line for the text report.
    pub fn describe(&self, with: &Tally) -> String {
        let score = match (self.mase, self.wape_percent, self.coverage_percent) {
            (Some(m), Some(w), Some(c)) => format!(
                "MASE {m:.2} vs seasonal naive, WAPE {w:.1}%, {c:.1}% under the p{:.0} bound",
                self.nominal_percent
            ),
            _ => "never scored (too little history)".to_owned(),
        };
        let without = self.without.as_ref().map_or(String::new(), |w| {
            format!(
                "; with prediction ${:.2}, {} over SLO, {} actions; without ${:.2}, {} over SLO, {} actions",
                cents(with.cost_usd),
                with.breach_intervals,
                with.taken.len(),
                w.cost_usd,
                w.breach_intervals,
                w.actions
            )
        });
        format!(
            "prediction ({}, {}): {score}; trusted in {} decisions ({} warming up); {} pre-scales{without}",
            self.mode,
            self.metric,
            self.trusted_decisions,
            self.warming_decisions,
            self.forecast_actions
        )
    }
}
