//! CloudWatch Embedded Metric Format: one JSON line per invocation on
//! stdout, which CloudWatch Logs turns into metrics (no PutMetricData call,
//! no extra latency). Namespace `Tidegate`, dimensions function and estate.

use chrono::{DateTime, Utc};
use serde_json::json;

/// The figures of one invocation.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Figures {
    /// Actions AWS accepted.
    pub applied: usize,
    /// Actions the guards held back.
    pub refused: usize,
    /// Actions that failed.
    pub failed: usize,
    /// Time in the decision core, ms.
    pub decide_ms: f64,
}

/// The EMF line for `figures`.
pub fn line(function: &str, estate: &str, figures: Figures, at: DateTime<Utc>) -> String {
    json!({
        "_aws": {
            "Timestamp": at.timestamp_millis(),
            "CloudWatchMetrics": [{
                "Namespace": "Tidegate",
                "Dimensions": [["Function", "Estate"]],
                "Metrics": [
                    {"Name": "ActionsApplied", "Unit": "Count"},
                    {"Name": "ActionsRefused", "Unit": "Count"},
                    {"Name": "ActionsFailed", "Unit": "Count"},
                    {"Name": "DecisionTime", "Unit": "Milliseconds"},
                ],
            }],
        },
        "Function": function,
        "Estate": estate,
        "ActionsApplied": figures.applied,
        "ActionsRefused": figures.refused,
        "ActionsFailed": figures.failed,
        "DecisionTime": figures.decide_ms,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_declared_metric_has_a_value_and_the_dimensions_are_present() {
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let figures = Figures {
            applied: 2,
            refused: 1,
            failed: 0,
            decide_ms: 0.5,
        };
        let v: serde_json::Value =
            serde_json::from_str(&line("alarm", "shop", figures, at)).unwrap_or_default();
        assert_eq!(v["_aws"]["Timestamp"], 1_700_000_000_000_i64);
        let spec = &v["_aws"]["CloudWatchMetrics"][0];
        for dims in spec["Dimensions"][0].as_array().into_iter().flatten() {
            assert!(v.get(dims.as_str().unwrap_or("?")).is_some(), "{dims}");
        }
        let names: Vec<&str> = spec["Metrics"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["Name"].as_str())
            .collect();
        assert_eq!(names.len(), 4);
        for name in names {
            assert!(v[name].is_number(), "{name} has no value");
        }
        assert_eq!(v["ActionsApplied"], 2);
        assert_eq!(v["DecisionTime"], 0.5);
    }
}
