//! Emulated CloudWatch alarms: the alarm Terraform creates for each metric
//! rule, fed with the backtest's own utilisation samples. Pure.
//!
//! An alarm is in ALARM when each of its last `evaluation_periods` periods
//! (the average of the samples in the period) crosses the threshold, OK
//! otherwise, and INSUFFICIENT_DATA until enough samples exist, as
//! CloudWatch evaluates a rule with `datapoints to alarm` = `evaluation
//! periods`. The judgement itself is [`crate::decide::breaches`], the one
//! the live rules use.

use std::collections::VecDeque;

use crate::policy::{Comparison, Resource, Trigger};
use crate::signals::AlarmState;

/// The alarms of one resource's rules on one metric.
#[derive(Debug, Clone)]
pub struct Alarms {
    rules: Vec<Emulated>,
    samples: VecDeque<f64>,
    keep: usize,
    /// Samples per datapoint of the series the live observer would read
    /// (the first rule's period); None when no series is given to the rules.
    series_steps: Option<usize>,
}

#[derive(Debug, Clone)]
struct Emulated {
    alarm: String,
    above: bool,
    threshold: f64,
    period_steps: usize,
    periods: usize,
    evaluation_periods: u32,
}

impl Alarms {
    /// The alarms of `resource`'s rules on `metric`, sampled every
    /// `step_secs`. Returns notes on rules that cannot be emulated.
    pub fn new(resource: &Resource, metric: &str, step_secs: u64) -> (Alarms, Vec<String>) {
        let mut notes = Vec::new();
        let mut rules = Vec::new();
        // A rule on max_connections reads connections, which a utilisation
        // series is not: with one on this metric, the rules get no series.
        let mut series = true;
        for rule in resource.rules() {
            let Trigger::Metric(m) = &rule.trigger else {
                continue;
            };
            if m.metric != metric {
                // One trace drives a resource: a rule on another metric
                // has nothing to read in the replay. Said, not skipped.
                notes.push(format!(
                    "rule `{}` reads `{}`, which this trace ({metric}) is not: it never fires in the replay",
                    m.describe(),
                    m.metric
                ));
                continue;
            }
            let (above, threshold) = match m.comparison {
                Comparison::Above(v) => (true, v),
                Comparison::Below(v) => (false, v),
                Comparison::AbovePercentOfMaxConnections(_) => {
                    series = false;
                    notes.push(format!(
                        "rule `{}` compares with max_connections, which a utilisation trace cannot say; not emulated",
                        m.describe()
                    ));
                    continue;
                }
            };
            let step = step_secs.max(1);
            let period_steps = usize::try_from(m.period.as_secs().div_ceil(step))
                .unwrap_or(usize::MAX)
                .max(1);
            rules.push(Emulated {
                alarm: rule.alarm_name.clone(),
                above,
                threshold,
                period_steps,
                periods: usize::try_from(m.evaluation_periods.max(1)).unwrap_or(usize::MAX),
                evaluation_periods: m.evaluation_periods,
            });
        }
        let keep = rules
            .iter()
            .map(|r| r.period_steps.saturating_mul(r.periods))
            .max()
            .unwrap_or(1);
        let series_steps = rules.first().filter(|_| series).map(|r| r.period_steps);
        (
            Alarms {
                rules,
                samples: VecDeque::with_capacity(keep.min(4096)),
                keep,
                series_steps,
            },
            notes,
        )
    }

    /// Records the latest sample.
    pub fn push(&mut self, value: f64) {
        if self.samples.len() == self.keep {
            self.samples.pop_front();
        }
        self.samples.push_back(value);
    }

    /// Each emulated alarm's name and state now.
    pub fn states(&self) -> impl Iterator<Item = (&str, AlarmState)> + '_ {
        self.rules.iter().map(|r| (r.alarm.as_str(), self.state(r)))
    }

    /// The metric's datapoints as the live observer reads them for the
    /// rules: one per period of the first rule (its average), oldest first,
    /// whole periods only; None when the rules get no series.
    pub fn series(&self) -> Option<Vec<f64>> {
        let steps = self.series_steps?;
        Some(self.datapoints(steps, self.samples.len() / steps))
    }

    /// The averages of the last `periods` whole periods of `steps` samples,
    /// oldest first.
    fn datapoints(&self, steps: usize, periods: usize) -> Vec<f64> {
        let mut out: Vec<f64> = self
            .samples
            .iter()
            .rev()
            .take(steps.saturating_mul(periods))
            .copied()
            .collect::<Vec<_>>()
            .chunks(steps)
            .map(|period| period.iter().sum::<f64>() / period.len() as f64)
            .collect();
        out.reverse();
        out
    }

    fn state(&self, r: &Emulated) -> AlarmState {
        let need = r.period_steps.saturating_mul(r.periods);
        if self.samples.len() < need {
            return AlarmState::InsufficientData;
        }
        // One datapoint per period, judged as the live rules judge theirs.
        let datapoints = self.datapoints(r.period_steps, r.periods);
        let (above, threshold) = (r.above, r.threshold);
        let crossed = crate::decide::breaches(&datapoints, r.evaluation_periods, |v| {
            if above { v > threshold } else { v < threshold }
        });
        if crossed {
            AlarmState::Alarm
        } else {
            AlarmState::Ok
        }
    }
}
