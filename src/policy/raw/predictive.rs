//! The `predictive` block of a resource: pre-scaling on a forecast.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::policy::Span;

/// Opt-in predictive pre-scaling: a seasonal forecast of one rule metric
/// raises the resource before a forecast rise, while the forecast beats
/// seasonal naive on its own recent history. It never scales down.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PredictiveSpec {
    /// `forecast_only` reports what the forecast would do and how it
    /// scores; `forecast_and_scale` also pre-scales.
    pub mode: PredictiveModeSpec,
    /// The metric to forecast: one a `scale_up` rule of the resource names
    /// with a target (default: the first such rule's metric).
    #[serde(default)]
    pub metric: Option<String>,
    /// How much history the forecaster reads (default `14d`; 8 to 35 days:
    /// a week for seasonal naive, more for the gate to score on).
    #[serde(default)]
    pub history: Option<Span>,
    /// How long the change takes, so how far ahead to size (default per
    /// kind: see `crate::policy::Predictive::default_lead`).
    #[serde(default)]
    pub lead: Option<Span>,
    /// The forecast quantile to size for, percent (default 90; 50 to 99).
    #[serde(default)]
    pub quantile: Option<f64>,
}

/// What the forecaster may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PredictiveModeSpec {
    /// Report only.
    ForecastOnly,
    /// Report and pre-scale.
    ForecastAndScale,
}
