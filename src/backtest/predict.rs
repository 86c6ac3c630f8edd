//! Walk-forward forecasting in the replay: each resource with `predictive`
//! in the policy keeps the demand its rule metric showed so far (what
//! CloudWatch would hold: the metric as read, capped at 100%, times the
//! capacity in force then), and before each decision asks
//! [`crate::forecast::outlook`] with that history only. Nothing of the trace
//! after the decision is seen. Pure.

use super::timeline::STEP_SECS;
use crate::forecast::{self, Outlook, Score};
use crate::policy::Resource;

/// How often (intervals) the gate re-scores the model: daily. Its window
/// is two days, so a daily score always covers the recent past.
const RESCORE_EVERY: usize = 288;

/// One resource's forecaster over the replay.
#[derive(Debug, Clone)]
pub struct Forecaster {
    metric: String,
    history: usize,
    lead: usize,
    quantile: f64,
    demand: Vec<f64>,
    score: Option<Score>,
    scored_at: Option<usize>,
    /// What it did, for the report.
    pub tally: PredictTally,
}

/// How the forecaster did over the replay.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PredictTally {
    /// The latest gate score (WAPE, MASE, coverage).
    pub score: Option<Score>,
    /// Decisions in which the forecast was trusted.
    pub trusted_intervals: usize,
    /// Decisions with too little history to forecast.
    pub warming_intervals: usize,
}

impl Forecaster {
    /// A forecaster for `resource` driven by a trace of `metric`, when the
    /// policy opts in and forecasts that metric.
    pub fn new(resource: &Resource, metric: &str) -> Option<Forecaster> {
        let p = resource.predictive.as_ref()?;
        (p.metric == metric).then(|| Forecaster {
            metric: p.metric.clone(),
            history: points(p.history.as_secs()),
            lead: points(p.lead.as_secs()).max(1),
            quantile: p.quantile,
            demand: Vec::new(),
            score: None,
            scored_at: None,
            tally: PredictTally::default(),
        })
    }

    /// Records interval `i`'s demand as the metric showed it and returns
    /// the outlook for the decision that follows (None while warming up).
    pub fn step(&mut self, i: usize, seen_demand: f64, units_now: f64) -> Option<Outlook> {
        self.demand.push(seen_demand);
        if self.demand.len() > self.history {
            // Keep a bounded window: drop in blocks, not every interval.
            let drop = self.demand.len() - self.history;
            if drop >= RESCORE_EVERY {
                self.demand.drain(..drop);
            }
        }
        let from = self.demand.len().saturating_sub(self.history);
        let history = &self.demand[from..];
        let stale = self.scored_at.is_none_or(|at| i >= at + RESCORE_EVERY);
        if stale {
            self.score = forecast::evaluate(history, self.quantile);
            if self.score.is_some() {
                self.scored_at = Some(i);
            }
        }
        let Some((outlook, score)) = forecast::outlook(
            &self.metric,
            history,
            (self.lead, self.quantile),
            units_now,
            self.score.as_ref(),
        ) else {
            self.tally.warming_intervals += 1;
            return None;
        };
        self.tally.trusted_intervals += usize::from(outlook.trusted);
        self.tally.score = Some(score);
        Some(outlook)
    }
}

/// Replay intervals in `secs` (rounded up).
fn points(secs: u64) -> usize {
    let step = STEP_SECS.unsigned_abs();
    usize::try_from(secs.div_ceil(step)).unwrap_or(usize::MAX)
}
