//! Replay CloudWatch metric traces through the engine on an in-process
//! estate, and compare what tidegate would have spent and breached with
//! static peak provisioning. Deterministic: same files, same report.
//!
//! - [`trace`]: read `timestamp,value` CSVs, with their data quality.
//! - [`mapping`]: which trace drives which resource, and the starts.
//! - [`interruptions`]: spot interruption warnings per workload class,
//!   which drive the reactive spot mix of the classes' groups.
//! - [`timeline`]: the common window, 5-minute intervals, held values.
//! - [`load`]: the load model (utilisation → demand → utilisation).
//! - [`alarms`]: the CloudWatch alarms the rules would have.
//! - [`costing`]: hourly cost per interval from the price book.
//! - [`sim`]: the replay loop around [`crate::decide::decide`].
//! - [`baseline`]: static peak provisioning.
//! - [`report`] and [`render`]: the result, as data and as text.

pub mod alarms;
pub mod baseline;
pub mod costing;
pub mod honesty;
pub mod input;
pub mod interruptions;
pub mod load;
pub mod mapping;
pub mod predict;
pub mod render;
pub mod report;
pub mod sim;
pub mod timeline;
pub mod trace;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::TimeDelta;

use crate::policy::{self, Policy, PolicyError, Selector};
use crate::pricing::PriceBook;

use self::interruptions::{InterruptionTrace, InterruptionsError};
use self::mapping::{Mapping, MappingError, TraceSpec};
use self::report::{Header, Report, SubjectFacts, TraceReport, WarningsReport};
use self::sim::{Driven, SimError, Subject};
use self::timeline::NoOverlap;
use self::trace::{Trace, TraceError};

/// Default SLO threshold: utilisation above this percent is a breach.
pub const DEFAULT_SLO_PERCENT: f64 = 90.0;

/// Bounds on one replay, so a mistyped timestamp cannot turn into years of
/// made-up decisions (or an allocation the machine does not have).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Limits {
    /// The longest replay window, days (`--max-window-days`).
    pub max_window_days: u32,
    /// The longest interval between two points of a trace that is still
    /// replayed (the last value held), seconds (`--max-gap-minutes`); inside
    /// a longer gap the replay has no data, and decides and costs nothing.
    pub max_gap_secs: i64,
}

impl Limits {
    /// The default longest window: 93 days (a quarter).
    pub const DEFAULT_MAX_WINDOW_DAYS: u32 = 93;
    /// The most `--max-window-days` may lift it to: ten years.
    pub const MAX_WINDOW_DAYS: u32 = 3_660;
    /// The default longest gap held: one hour.
    pub const DEFAULT_MAX_GAP_SECS: i64 = 3_600;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_window_days: Limits::DEFAULT_MAX_WINDOW_DAYS,
            max_gap_secs: Limits::DEFAULT_MAX_GAP_SECS,
        }
    }
}

/// The files a backtest reads.
#[derive(Debug, Clone)]
pub struct Files {
    /// The policy.
    pub policy: PathBuf,
    /// The directory the traces are in.
    pub metrics: PathBuf,
    /// The mapping file; `metrics/mapping.yaml` when None.
    pub mapping: Option<PathBuf>,
    /// Where the spot interruption warnings come from.
    pub interruptions: InterruptionSource,
    /// Bounds on the replay.
    pub limits: Limits,
}

/// Where a backtest's spot interruption warnings come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum InterruptionSource {
    /// The mapping's `interruptions:` key, when it has one (none otherwise).
    #[default]
    Mapping,
    /// This file, as given (e.g. `--interruptions FILE`), not moved; the
    /// mapping's key is not read.
    File(PathBuf),
    /// None, whatever the mapping says: no group's warnings are known, so
    /// every group keeps its class's own mix.
    Off,
}

/// An interruption trace for one replay, as read (not yet moved).
#[derive(Debug, Clone)]
pub struct SpotWarnings {
    /// The warnings.
    pub trace: InterruptionTrace,
    /// Who named the file, for the report (`the mapping`, `--interruptions`).
    pub given_by: String,
    /// Whole weeks to move the warnings by before the replay.
    pub shift_weeks: i64,
    /// What the mapping says about the warnings (e.g. synthetic).
    pub note: Option<String>,
}

impl Files {
    /// The mapping file in effect.
    pub fn mapping_path(&self) -> PathBuf {
        self.mapping
            .clone()
            .unwrap_or_else(|| self.metrics.join("mapping.yaml"))
    }
}

/// Why a backtest could not run.
#[derive(Debug, thiserror::Error)]
pub enum BacktestError {
    /// The policy was refused.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The mapping was refused.
    #[error(transparent)]
    Mapping(#[from] MappingError),
    /// A trace could not be read.
    #[error("trace for `{resource}`: {error}")]
    Trace {
        /// The resource it drives.
        resource: String,
        /// What went wrong.
        error: TraceError,
    },
    /// The mapping drives nothing.
    #[error(
        "{mapping}: no resource has a `trace`, so there is no load to replay; expected at least one entry with `trace:` and `metric:`"
    )]
    NoTrace {
        /// The mapping file.
        mapping: String,
    },
    /// The traces do not overlap.
    #[error(transparent)]
    NoOverlap(#[from] NoOverlap),
    /// A traced resource starts with no capacity, so its demand is unknown.
    #[error(
        "{mapping}: `{resource}` starts at {start}, which has no capacity to measure its trace against; expected a `start:` with capacity above zero"
    )]
    NoStartCapacity {
        /// The mapping file.
        mapping: String,
        /// The resource.
        resource: String,
        /// Its starting settings.
        start: String,
    },
    /// The SLO threshold is not a percent.
    #[error("SLO threshold {0} is not a percent; expected a number above 0")]
    Slo(f64),
    /// The traces span more than the replay window may.
    #[error(
        "the replay window is {days} days ({spans}), more than the {limit}-day limit; a mistyped timestamp (a year, a month) stretches a trace: check the traces, or lift the limit with --max-window-days (at most {max})",
        max = Limits::MAX_WINDOW_DAYS
    )]
    WindowTooLong {
        /// Days the window would cover.
        days: i64,
        /// The limit in force.
        limit: u32,
        /// Each trace's span, for a person.
        spans: String,
    },
    /// The window limit asked for is out of range.
    #[error(
        "a replay window limit of {0} days is out of range; expected 1 to {max}",
        max = Limits::MAX_WINDOW_DAYS
    )]
    WindowLimit(u32),
    /// The interruption trace could not be read.
    #[error(transparent)]
    Interruptions(#[from] InterruptionsError),
    /// The replay stopped.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// The load model could not size a resource.
    #[error(transparent)]
    Load(#[from] load::LoadModelError),
}

/// Loads the policy, mapping, traces and interruption trace named by
/// `files` and runs the backtest. `progress` hears one line per file loaded.
pub fn run_files(
    files: &Files,
    prices: &dyn PriceBook,
    slo_percent: f64,
    progress: &mut dyn FnMut(&str),
) -> Result<Report, BacktestError> {
    run_files_observed(files, prices, slo_percent, progress, &mut |_, _| {})
}

/// [`run_files`], telling `tick` the decision intervals done and the total
/// as the replay goes (for a progress bar).
pub fn run_files_observed(
    files: &Files,
    prices: &dyn PriceBook,
    slo_percent: f64,
    progress: &mut dyn FnMut(&str),
    tick: &mut dyn FnMut(usize, usize),
) -> Result<Report, BacktestError> {
    let policy = policy::load_file(&files.policy)?;
    let mapping = mapping::load(&files.mapping_path(), &policy)?;
    let mut traces = Vec::new();
    for entry in &mapping.entries {
        let Some(spec) = &entry.trace else {
            continue;
        };
        let trace = load_trace(&files.metrics, spec).map_err(|error| BacktestError::Trace {
            resource: entry.resource.clone(),
            error,
        })?;
        progress(&format!(
            "loaded {} → {} ({} points, {} … {}; {})",
            spec.file,
            entry.resource,
            trace.points.len(),
            trace.start().format("%Y-%m-%d %H:%M"),
            trace.end().format("%Y-%m-%d %H:%M"),
            trace.quality
        ));
        traces.push((entry.resource.clone(), trace));
    }
    let warnings = spot_warnings(files, &mapping, &policy)?;
    if let Some(w) = &warnings {
        let t = &w.trace;
        let span = match (t.warnings.first(), t.warnings.last()) {
            (Some(a), Some(b)) => format!(
                "{} … {}",
                a.at.format("%Y-%m-%d %H:%M"),
                b.at.format("%Y-%m-%d %H:%M")
            ),
            _ => String::new(),
        };
        progress(&format!(
            "loaded {} → spot warnings, from {} ({} warnings, {span})",
            t.file,
            w.given_by,
            t.warnings.len()
        ));
    }
    let header = Header {
        policy: files.policy.display().to_string(),
        estate: policy.estate.clone(),
        mapping: mapping.file.clone(),
        price_source: prices.describe(),
        slo_percent,
        limits: files.limits,
    };
    run_observed(&policy, &mapping, traces, warnings, prices, header, tick)
}

/// The interruption trace `files` asks for, read.
fn spot_warnings(
    files: &Files,
    mapping: &Mapping,
    policy: &Policy,
) -> Result<Option<SpotWarnings>, InterruptionsError> {
    let classes: Vec<&str> = policy.spot_mix.keys().map(String::as_str).collect();
    Ok(match &files.interruptions {
        InterruptionSource::Off => None,
        InterruptionSource::File(path) => Some(SpotWarnings {
            trace: interruptions::load(path, &classes)?,
            given_by: "--interruptions".to_owned(),
            shift_weeks: 0,
            note: None,
        }),
        InterruptionSource::Mapping => match &mapping.interruptions {
            None => None,
            Some(spec) => Some(SpotWarnings {
                trace: interruptions::load(&input::inside(&files.metrics, &spec.file)?, &classes)?,
                given_by: format!("the mapping {}", mapping.file),
                shift_weeks: spec.shift_weeks,
                note: spec.note.clone(),
            }),
        },
    })
}

/// The trace `spec` names, in `dir` (and nowhere else).
fn load_trace(dir: &Path, spec: &TraceSpec) -> Result<Trace, TraceError> {
    trace::load(&input::inside(dir, &spec.file)?, spec.reading())
}

/// Runs the backtest of `policy` with `mapping` over `traces` (resource id,
/// parsed trace, unshifted), every trace the mapping names present, and the
/// spot interruption `warnings` if any (not yet moved).
pub fn run(
    policy: &Policy,
    mapping: &Mapping,
    traces: Vec<(String, Trace)>,
    warnings: Option<SpotWarnings>,
    prices: &dyn PriceBook,
    header: Header,
) -> Result<Report, BacktestError> {
    run_observed(
        policy,
        mapping,
        traces,
        warnings,
        prices,
        header,
        &mut |_, _| {},
    )
}

/// [`run`], telling `tick` the decision intervals done and the total.
pub fn run_observed(
    policy: &Policy,
    mapping: &Mapping,
    traces: Vec<(String, Trace)>,
    warnings: Option<SpotWarnings>,
    prices: &dyn PriceBook,
    header: Header,
    tick: &mut dyn FnMut(usize, usize),
) -> Result<Report, BacktestError> {
    let slo_percent = header.slo_percent;
    if !(slo_percent.is_finite() && slo_percent > 0.0) {
        return Err(BacktestError::Slo(slo_percent));
    }
    let mut shifted: Vec<(String, Trace, &TraceSpec)> = Vec::new();
    for (id, t) in traces {
        let Some(spec) = mapping.entry(&id).and_then(|e| e.trace.as_ref()) else {
            continue;
        };
        shifted.push((id, timeline::shift(t, spec), spec));
    }
    if shifted.is_empty() {
        return Err(BacktestError::NoTrace {
            mapping: mapping.file.clone(),
        });
    }
    let refs: Vec<&Trace> = shifted.iter().map(|(_, t, _)| t).collect();
    let limit = header.limits.max_window_days;
    if !(1..=Limits::MAX_WINDOW_DAYS).contains(&limit) {
        return Err(BacktestError::WindowLimit(limit));
    }
    let window = timeline::window(&refs)?;
    // Before any interval is replayed (or allocated for).
    let days = (window.end - window.start).num_days();
    if days > i64::from(limit) {
        return Err(BacktestError::WindowTooLong {
            days,
            limit,
            spans: timeline::spans(&refs),
        });
    }
    let warnings = warnings.map(|mut w| {
        if w.shift_weeks != 0 {
            w.trace = w.trace.shifted(TimeDelta::weeks(w.shift_weeks));
        }
        w
    });

    // The first trace of each resource, as a scan from the front finds it
    // (a scan per mapping entry was quadratic in the estate).
    let mut trace_of: HashMap<&str, usize> = HashMap::new();
    for (k, (id, _, _)) in shifted.iter().enumerate() {
        trace_of.entry(id.as_str()).or_insert(k);
    }
    let max_gap = TimeDelta::seconds(header.limits.max_gap_secs.max(timeline::STEP_SECS));
    // An interval any trace has no data for is decided and costed for none.
    let mut missing = vec![false; window.intervals];
    let mut subjects = Vec::new();
    let mut trace_reports = Vec::new();
    let mut notes = Vec::new();
    for entry in &mapping.entries {
        let Some(resource) = policy.resource(&entry.resource) else {
            continue;
        };
        let identifier = match &resource.selector {
            Selector::Identifier(id) => id.clone(),
            Selector::Tags(_) => resource.id.clone(),
        };
        let spot_class = resource
            .workload_class
            .as_deref()
            .and_then(|c| policy.spot_mix.get(c));
        let spot_mix = spot_class.map(|c| c.distribution());
        // Each group of a reacting class sees its class's warnings.
        let spot_warnings = match (spot_class, &warnings) {
            (Some(class), Some(w)) if class.interruptions.is_some() => {
                Some(w.trace.times(&class.name))
            }
            _ => None,
        };
        let mut resource_notes = Vec::new();
        let (driven, trace_report) = match trace_of
            .get(entry.resource.as_str())
            .map(|&k| &shifted[k])
        {
            Some((_, t, spec)) => {
                let replay = timeline::replay(t, spec, &window, max_gap);
                for (all, this) in missing.iter_mut().zip(&replay.missing) {
                    *all |= *this;
                }
                if replay.missing_intervals() > 0 {
                    resource_notes.push(format!(
                        "{}: {} decision intervals fall in gaps longer than {}; they are missing data, not replayed (no decisions, no cost)",
                        spec.file,
                        replay.missing_intervals(),
                        trace::human_span(max_gap.num_seconds())
                    ));
                }
                let start_units = load::capacity_units(resource, &entry.start)?;
                if start_units <= 0.0 {
                    return Err(BacktestError::NoStartCapacity {
                        mapping: mapping.file.clone(),
                        resource: resource.id.clone(),
                        start: report::summary(&entry.start),
                    });
                }
                let (_, alarm_notes) = alarms::Alarms::new(resource, &spec.metric, 300);
                resource_notes.extend(alarm_notes);
                resource_notes.extend(honesty::warnings(
                    &replay.percents,
                    replay.count_peak.map(|_| spec.peak_percent),
                    slo_percent,
                ));
                let tr = TraceReport {
                    file: spec.file.clone(),
                    metric: spec.metric.clone(),
                    values: spec.values,
                    count_peak: replay.count_peak,
                    peak_percent: replay.count_peak.map(|_| spec.peak_percent),
                    shift_weeks: spec.shift_weeks,
                    quality: t.quality,
                    quality_text: t.quality.to_string(),
                    points_outside_window: replay.outside,
                };
                (
                    Some(Driven {
                        metric: spec.metric.clone(),
                        percents: replay.percents,
                        start_units,
                    }),
                    Some(tr),
                )
            }
            None => (None, None),
        };
        subjects.push(Subject {
            resource,
            identifier,
            start: entry.start.clone(),
            spot_mix,
            spot_class,
            spot_warnings,
            driven,
        });
        trace_reports.push(trace_report);
        notes.push(resource_notes);
    }

    let total = window.intervals;
    let outcome = sim::run_observed(
        policy,
        &subjects,
        &window,
        &missing,
        prices,
        slo_percent,
        &mut |done| tick(done, total),
    )?;
    // One run, two replays: the same traces without prediction, so the
    // report can set what the forecast changed beside it.
    let without = if policy.resources.iter().any(|r| r.predictive.is_some()) {
        let mut plain = policy.clone();
        for r in &mut plain.resources {
            r.predictive = None;
        }
        Some(sim::run(
            &plain,
            &subjects,
            &window,
            &missing,
            prices,
            slo_percent,
        )?)
    } else {
        None
    };
    let baselines = subjects
        .iter()
        .map(|s| baseline::choose(policy, s, &window, &missing, prices, slo_percent))
        .collect::<Result<Vec<_>, _>>()?;
    let facts = subjects
        .iter()
        .zip(trace_reports)
        .zip(notes)
        .zip(outcome.tallies.iter().zip(&baselines))
        .enumerate()
        .map(
            |(k, (((subject, trace), notes), (tally, baseline)))| SubjectFacts {
                subject,
                trace,
                tally,
                baseline,
                notes,
                without: without.as_ref().and_then(|w| w.tallies.get(k)),
            },
        )
        .collect();
    let warnings = warnings.map(|w| WarningsReport::new(&w, policy, &subjects, &window));
    Ok(report::build(
        header,
        &window,
        facts,
        warnings,
        &outcome.budget,
        policy.budgets.as_ref(),
        missing.iter().filter(|m| **m).count(),
    ))
}
