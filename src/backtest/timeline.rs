//! The replay clock: the window every trace covers, cut into 5-minute
//! decision intervals, and each trace's utilisation per interval. Pure.
//!
//! Traces are first moved by their whole-week shift (weekday and UTC time
//! of day stay as recorded, so schedules meet the same hours of the week).
//! The replay runs over the window all of them cover: from the latest first
//! point to the earliest last point. At each interval a trace's value is its
//! latest point at or before the interval's start: a short gap holds the
//! last value; inside a gap longer than the limit (default 1 h) there is no
//! value, and the interval is missing data (not decided, not costed; see
//! [`Replay::missing`]). Points outside the window are counted and not
//! replayed.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::mapping::{TraceSpec, ValueKind};
use super::trace::Trace;

/// Seconds between two decisions.
pub const STEP_SECS: i64 = 300;

/// The replay window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    /// First decision instant.
    pub start: DateTime<Utc>,
    /// Last instant every trace covers.
    pub end: DateTime<Utc>,
    /// Decision intervals (the first at `start`, one every 5 minutes).
    pub intervals: usize,
}

impl Window {
    /// The instant of interval `i`.
    pub fn at(&self, i: usize) -> DateTime<Utc> {
        self.start + step() * i32::try_from(i).unwrap_or(i32::MAX)
    }

    /// Replayed hours (intervals × 5 minutes).
    pub fn hours(&self) -> f64 {
        self.intervals as f64 * STEP_SECS as f64 / 3600.0
    }
}

/// One decision interval.
pub fn step() -> TimeDelta {
    TimeDelta::seconds(STEP_SECS)
}

/// The traces share no instant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the traces share no instant, so nothing can be replayed: {spans} (move them with `shift_weeks` in the mapping)"
)]
pub struct NoOverlap {
    /// Each trace's span after its shift, for a person.
    pub spans: String,
}

/// A trace made ready to replay on one window.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    /// Utilisation (%) at the starting setting, per interval.
    pub percents: Vec<f64>,
    /// Points outside the window, not replayed.
    pub outside: usize,
    /// For count traces: the peak count, scaled to `peak_percent`.
    pub count_peak: Option<f64>,
    /// Per interval: true inside a gap longer than the limit, where the
    /// trace says nothing (its value there is 0, and must not be used).
    pub missing: Vec<bool>,
}

impl Replay {
    /// Intervals of missing data.
    pub fn missing_intervals(&self) -> usize {
        self.missing.iter().filter(|m| **m).count()
    }
}

/// Moves `trace` by its spec's whole weeks.
pub fn shift(trace: Trace, spec: &TraceSpec) -> Trace {
    if spec.shift_weeks == 0 {
        trace
    } else {
        trace.shifted(TimeDelta::weeks(spec.shift_weeks))
    }
}

/// The window all `traces` (already shifted) cover.
pub fn window(traces: &[&Trace]) -> Result<Window, NoOverlap> {
    let start = traces.iter().map(|t| t.start()).max();
    let end = traces.iter().map(|t| t.end()).min();
    match (start, end) {
        (Some(start), Some(end)) if start <= end => {
            let span = (end - start).num_seconds();
            let intervals = usize::try_from(span / STEP_SECS + 1).unwrap_or(usize::MAX);
            Ok(Window {
                start,
                end,
                intervals,
            })
        }
        _ => Err(NoOverlap {
            spans: spans(traces),
        }),
    }
}

/// Each trace's span, `file start … end`, for a person.
pub fn spans(traces: &[&Trace]) -> String {
    traces
        .iter()
        .map(|t| {
            format!(
                "{} {} … {}",
                t.file,
                t.start().format("%Y-%m-%d %H:%M"),
                t.end().format("%Y-%m-%d %H:%M")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `trace` sampled at every interval of `window` (latest point at or before
/// each instant), as utilisation per the spec; intervals inside a gap longer
/// than `max_gap` are missing (value 0, `missing` set).
pub fn replay(trace: &Trace, spec: &TraceSpec, window: &Window, max_gap: TimeDelta) -> Replay {
    let points = &trace.points;
    let mut values = Vec::with_capacity(window.intervals);
    let mut missing = Vec::with_capacity(window.intervals);
    let mut next = 0;
    let mut held = points.first().map_or(0.0, |p| p.value);
    for i in 0..window.intervals {
        let at = window.at(i);
        while next < points.len() && points[next].at <= at {
            held = points[next].value;
            next += 1;
        }
        // Between the point held (next - 1) and the one after it.
        let in_long_gap = next > 0
            && next < points.len()
            && at > points[next - 1].at
            && points[next].at - points[next - 1].at > max_gap;
        values.push(if in_long_gap { 0.0 } else { held });
        missing.push(in_long_gap);
    }
    let outside = points
        .iter()
        .filter(|p| p.at < window.start || p.at > window.end)
        .count();
    match spec.values {
        ValueKind::Utilization => Replay {
            percents: values,
            outside,
            count_peak: None,
            missing,
        },
        ValueKind::Count => {
            let peak = values.iter().copied().fold(0.0, f64::max);
            let scale = if peak > 0.0 {
                spec.peak_percent / peak
            } else {
                0.0
            };
            Replay {
                percents: values.into_iter().map(|v| v * scale).collect(),
                outside,
                count_peak: Some(peak),
                missing,
            }
        }
    }
}
