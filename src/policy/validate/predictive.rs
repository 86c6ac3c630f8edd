//! A resource's `predictive` block: the metric a target-tracked scale-up
//! rule names, bounded history, lead and quantile.

use super::{Ctx, finite};
use crate::policy::locate;
use crate::policy::model::{ResourceKind, Rule, Trigger};
use crate::policy::raw::{PredictiveModeSpec, PredictiveSpec};
use crate::policy::{Predictive, PredictiveMode, Span};

/// Shortest history: a week for seasonal naive and a day to score on.
const MIN_HISTORY: Span = Span::from_secs(8 * 86_400);
/// Longest history: what GetMetricData keeps at 5-minute resolution is 63
/// days; five weeks is plenty for two seasonalities.
const MAX_HISTORY: Span = Span::from_secs(35 * 86_400);
/// Longest lead: a forecast reads nothing newer than a day back.
const MAX_LEAD: Span = Span::from_secs(12 * 3600);

pub(super) fn check(
    cx: &mut Ctx<'_>,
    path: &str,
    spec: Option<&PredictiveSpec>,
    kind: ResourceKind,
    scale_up: &[Rule],
) -> Option<Predictive> {
    let spec = spec?;
    let p = locate::key(path, "predictive");
    let before = cx.count();
    let tracked: Vec<&str> = scale_up
        .iter()
        .filter(|r| r.target.is_some())
        .filter_map(|r| match &r.trigger {
            Trigger::Metric(m) => Some(m.metric.as_str()),
            Trigger::Alarm => None,
        })
        .collect();
    let metric = match (&spec.metric, tracked.first()) {
        (Some(m), _) if tracked.contains(&m.as_str()) => Some(m.clone()),
        (None, Some(m)) => Some((*m).to_owned()),
        (m, _) => {
            cx.at(
                &locate::key(&p, "metric"),
                match m {
                    Some(m) => format!("no scale_up rule with a target names `{m}`"),
                    None => "no scale_up rule has a target to size a forecast to".to_owned(),
                },
                "the metric of a scale_up rule with a target (a `target`, or an opposite scale_down rule on the same metric and knob)",
            );
            None
        }
    };
    let history = spec.history.unwrap_or(Predictive::DEFAULT_HISTORY);
    if history < MIN_HISTORY || history > MAX_HISTORY {
        cx.at(
            &locate::key(&p, "history"),
            format!("history {history} is outside 8d-35d"),
            "8d to 35d (a week for seasonal naive, more to score on)",
        );
    }
    let lead = spec.lead.unwrap_or_else(|| Predictive::default_lead(kind));
    if lead.as_secs() == 0 || lead > MAX_LEAD {
        cx.at(
            &locate::key(&p, "lead"),
            format!("lead {lead} is outside (0, 12h]"),
            "how long the change takes, up to 12h",
        );
    }
    let quantile = spec.quantile.unwrap_or(Predictive::DEFAULT_QUANTILE);
    let qp = locate::key(&p, "quantile");
    if finite(cx, &qp, quantile) && !(50.0..=99.0).contains(&quantile) {
        cx.at(
            &qp,
            format!("quantile {quantile} is outside 50-99"),
            "a percent from 50 to 99",
        );
    }
    let mode = match spec.mode {
        PredictiveModeSpec::ForecastOnly => PredictiveMode::ForecastOnly,
        PredictiveModeSpec::ForecastAndScale => PredictiveMode::ForecastAndScale,
    };
    (cx.count() == before).then_some(Predictive {
        mode,
        metric: metric?,
        history,
        lead,
        quantile,
    })
}
