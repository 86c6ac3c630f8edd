//! Emulated CloudWatch alarms: the alarm Terraform creates for each metric
//! rule, fed with the backtest's own utilisation samples. Pure.
//!
//! An alarm is in ALARM when each of its last `evaluation_periods` periods
//! (the average of the samples in the period) crosses the threshold, OK
//! otherwise, and INSUFFICIENT_DATA until enough samples exist, as
//! CloudWatch evaluates a rule with `datapoints to alarm` = `evaluation
//! periods`.

use std::collections::VecDeque;

use crate::policy::{Comparison, Resource, Trigger};
use crate::signals::AlarmState;

/// The alarms of one resource's rules on one metric.
#[derive(Debug, Clone)]
pub struct Alarms {
    rules: Vec<Emulated>,
    samples: VecDeque<f64>,
    keep: usize,
}

#[derive(Debug, Clone)]
struct Emulated {
    alarm: String,
    above: bool,
    threshold: f64,
    period_steps: usize,
    periods: usize,
}

impl Alarms {
    /// The alarms of `resource`'s rules on `metric`, sampled every
    /// `step_secs`. Returns notes on rules that cannot be emulated.
    pub fn new(resource: &Resource, metric: &str, step_secs: u64) -> (Alarms, Vec<String>) {
        let mut notes = Vec::new();
        let mut rules = Vec::new();
        for rule in resource.rules() {
            let Trigger::Metric(m) = &rule.trigger else {
                continue;
            };
            if m.metric != metric {
                continue;
            }
            let (above, threshold) = match m.comparison {
                Comparison::Above(v) => (true, v),
                Comparison::Below(v) => (false, v),
                Comparison::AbovePercentOfMaxConnections(_) => {
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
            });
        }
        let keep = rules
            .iter()
            .map(|r| r.period_steps.saturating_mul(r.periods))
            .max()
            .unwrap_or(1);
        (
            Alarms {
                rules,
                samples: VecDeque::with_capacity(keep.min(4096)),
                keep,
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

    fn state(&self, r: &Emulated) -> AlarmState {
        let need = r.period_steps.saturating_mul(r.periods);
        if self.samples.len() < need {
            return AlarmState::InsufficientData;
        }
        let recent: Vec<f64> = self.samples.iter().rev().take(need).copied().collect();
        let crossed = recent.chunks(r.period_steps).all(|period| {
            let avg = period.iter().sum::<f64>() / period.len() as f64;
            if r.above {
                avg > r.threshold
            } else {
                avg < r.threshold
            }
        });
        if crossed {
            AlarmState::Alarm
        } else {
            AlarmState::Ok
        }
    }
}
