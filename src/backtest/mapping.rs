//! The mapping file: which trace drives which policy resource, what the
//! trace's values stand for, where each resource starts, and (optionally)
//! which interruption trace drives the workload classes' spot mix. Loaded
//! and checked against the policy before anything runs; every error names
//! the file and line.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::estate::{Power, Setting};
use crate::policy::{Knob, KnobName, Policy, Resource, ResourceKind, Scale, Trigger};

/// A checked mapping file.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    /// The file as named by the caller.
    pub file: String,
    /// One entry per policy resource, in policy order (resources the file
    /// does not name get an entry with no trace and default starts).
    pub entries: Vec<Entry>,
    /// The interruption trace, when the file names one.
    pub interruptions: Option<InterruptionsSpec>,
}

/// The mapping's `interruptions:` key: a trace of spot interruption warnings
/// per workload class (see [`super::interruptions`]).
#[derive(Debug, Clone, PartialEq)]
pub struct InterruptionsSpec {
    /// File name, relative to the metrics directory (as a `trace:` is).
    pub file: String,
    /// Whole weeks the warnings are moved by, as a trace's `shift_weeks`.
    pub shift_weeks: i64,
    /// Where the warnings come from, for the report (e.g. that they are
    /// synthetic).
    pub note: Option<String>,
}

impl Mapping {
    /// The entry for the policy resource `id`.
    pub fn entry(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.resource == id)
    }
}

/// What drives one policy resource, and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Policy resource id.
    pub resource: String,
    /// The trace, when one drives the resource.
    pub trace: Option<TraceSpec>,
    /// Starting setting of every knob of the resource.
    pub start: BTreeMap<KnobName, Setting>,
}

/// A trace and how to read it.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceSpec {
    /// File name, relative to the metrics directory.
    pub file: String,
    /// The CloudWatch metric the values stand for (as the policy's rules
    /// name it, e.g. `CPUUtilization`).
    pub metric: String,
    /// What a value is.
    pub values: ValueKind,
    /// For [`ValueKind::Count`]: the utilisation the trace's peak is scaled
    /// to at the starting setting.
    pub peak_percent: f64,
    /// Whole weeks the trace is moved by (weekday and time of day are kept).
    pub shift_weeks: i64,
    /// The zone the trace's timestamps are wall-clock time in (`timezone:`);
    /// None for UTC.
    pub timezone: Option<chrono_tz::Tz>,
}

impl TraceSpec {
    /// How the trace's lines are read.
    pub fn reading(&self) -> super::trace::Reading {
        super::trace::Reading {
            values: self.values,
            timezone: self.timezone,
        }
    }
}

/// What the numbers in a trace are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    /// Utilisation in percent, measured at the starting setting.
    #[default]
    Utilization,
    /// A count (requests, messages) per period; scaled so the peak is
    /// `peak_percent` utilisation at the starting setting.
    Count,
}

/// Why a mapping file was refused.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    /// The file could not be read (or may not be: not a regular file, too
    /// large, not UTF-8).
    #[error(transparent)]
    Input(#[from] super::input::InputError),
    /// The file is not a mapping document.
    #[error(
        "{file}: {message} (a mapping file is `resources:` and a list of entries, and optionally `interruptions: {{ file, shift_weeks, note }}`; see policies/traces/mapping.yaml)"
    )]
    Yaml {
        /// The file.
        file: String,
        /// What the YAML reader said (with line and column).
        message: String,
    },
    /// The `interruptions:` key is wrong.
    #[error("{file}:{line}: interruptions: {message}; expected {expected}")]
    Interruptions {
        /// The file.
        file: String,
        /// 1-based line of its `file:` value.
        line: u64,
        /// What is wrong.
        message: String,
        /// What was expected.
        expected: String,
    },
    /// An entry is wrong.
    #[error("{file}:{line}: resource `{resource}`: {message}; expected {expected}")]
    Entry {
        /// The file.
        file: String,
        /// 1-based line of the entry's `resource:` value.
        line: u64,
        /// The resource it names.
        resource: String,
        /// What is wrong.
        message: String,
        /// What was expected.
        expected: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    resources: Vec<RawEntry>,
    #[serde(default)]
    interruptions: Option<RawInterruptions>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInterruptions {
    file: Spanned<String>,
    #[serde(default)]
    shift_weeks: i64,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    resource: Spanned<String>,
    #[serde(default)]
    trace: Option<String>,
    #[serde(default)]
    metric: Option<String>,
    #[serde(default)]
    values: ValueKind,
    #[serde(default)]
    peak_percent: Option<f64>,
    #[serde(default)]
    shift_weeks: i64,
    #[serde(default)]
    timezone: Option<String>,
    #[serde(default)]
    start: BTreeMap<KnobName, StartValue>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum StartValue {
    Number(f64),
    Name(String),
    Range { min: f64, max: f64 },
}

impl std::fmt::Display for StartValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartValue::Number(n) => write!(f, "{n}"),
            StartValue::Name(s) => f.write_str(s),
            StartValue::Range { min, max } => write!(f, "{{ min: {min}, max: {max} }}"),
        }
    }
}

/// Default utilisation a count trace's peak is scaled to.
pub const DEFAULT_PEAK_PERCENT: f64 = 90.0;

/// Reads the mapping at `path` and checks it against `policy`.
pub fn load(path: &Path, policy: &Policy) -> Result<Mapping, MappingError> {
    let file = path.display().to_string();
    let text = super::input::read_text(path)?;
    parse(&file, &text, policy)
}

/// Parses mapping text; `file` names it in errors.
pub fn parse(file: &str, text: &str, policy: &Policy) -> Result<Mapping, MappingError> {
    let mut options = serde_saphyr::Options::default();
    options.with_snippet = false;
    let raw: RawMapping =
        serde_saphyr::from_str_with_options(text, options).map_err(|e| MappingError::Yaml {
            file: file.to_owned(),
            message: e.to_string(),
        })?;

    let mut named: BTreeMap<String, Entry> = BTreeMap::new();
    for entry in raw.resources {
        let id = entry.resource.value.clone();
        let fail = |message: String, expected: String| MappingError::Entry {
            file: file.to_owned(),
            line: entry.resource.referenced.line(),
            resource: id.clone(),
            message,
            expected,
        };
        let Some(resource) = policy.resource(&id) else {
            let known: Vec<&str> = policy.resources.iter().map(|r| r.id.as_str()).collect();
            return Err(fail(
                "the policy has no such resource".to_owned(),
                format!("one of: {}", known.join(", ")),
            ));
        };
        if named.contains_key(&id) {
            return Err(fail(
                "named twice".to_owned(),
                "one entry per resource".to_owned(),
            ));
        }
        let trace = trace_spec(&entry, resource).map_err(|(m, e)| fail(m, e))?;
        let start = starts(&entry.start, resource).map_err(|(m, e)| fail(m, e))?;
        named.insert(
            id.clone(),
            Entry {
                resource: id,
                trace,
                start,
            },
        );
    }

    let interruptions = raw
        .interruptions
        .map(|i| interruptions_spec(file, i))
        .transpose()?;
    let entries = policy
        .resources
        .iter()
        .map(|r| {
            named.remove(&r.id).unwrap_or_else(|| Entry {
                resource: r.id.clone(),
                trace: None,
                start: default_starts(r),
            })
        })
        .collect();
    Ok(Mapping {
        file: file.to_owned(),
        entries,
        interruptions,
    })
}

fn interruptions_spec(
    file: &str,
    raw: RawInterruptions,
) -> Result<InterruptionsSpec, MappingError> {
    let fail = |message: String, expected: &str| MappingError::Interruptions {
        file: file.to_owned(),
        line: raw.file.referenced.line(),
        message,
        expected: expected.to_owned(),
    };
    if raw.file.value.trim().is_empty() {
        return Err(fail(
            "`file` is empty".to_owned(),
            "a CSV file name, relative to the metrics directory",
        ));
    }
    if raw.shift_weeks.abs() > 520 {
        return Err(fail(
            format!("shift_weeks {} is more than ten years", raw.shift_weeks),
            "a whole number of weeks between -520 and 520",
        ));
    }
    Ok(InterruptionsSpec {
        file: raw.file.value,
        shift_weeks: raw.shift_weeks,
        note: raw.note,
    })
}

type Why = (String, String);

fn trace_spec(entry: &RawEntry, resource: &Resource) -> Result<Option<TraceSpec>, Why> {
    let Some(file) = &entry.trace else {
        if entry.metric.is_some()
            || entry.peak_percent.is_some()
            || entry.shift_weeks != 0
            || entry.timezone.is_some()
        {
            return Err((
                "`metric`, `peak_percent`, `shift_weeks` and `timezone` describe a trace, and no `trace` is given".to_owned(),
                "a `trace:` file name, or none of those keys".to_owned(),
            ));
        }
        return Ok(None);
    };
    let watched = watched_metrics(resource);
    let Some(metric) = &entry.metric else {
        return Err((
            format!("trace `{file}` says no `metric`"),
            format!(
                "`metric:` naming what the values stand for, one of: {}",
                watched.join(", ")
            ),
        ));
    };
    if !watched.contains(&metric.as_str()) {
        let expected = if watched.is_empty() {
            "a resource with metric rules (this one has none)".to_owned()
        } else {
            format!("a metric its rules watch: {}", watched.join(", "))
        };
        return Err((
            format!("no rule of the resource watches `{metric}`"),
            expected,
        ));
    }
    let peak_percent = match (entry.values, entry.peak_percent) {
        (ValueKind::Count, Some(p)) if !(p > 0.0 && p <= 100.0) => {
            return Err((
                format!("peak_percent {p} is out of range"),
                "a percent above 0 and at most 100".to_owned(),
            ));
        }
        (ValueKind::Utilization, Some(_)) => {
            return Err((
                "`peak_percent` only applies to `values: count`".to_owned(),
                "`values: count`, or no `peak_percent`".to_owned(),
            ));
        }
        (_, p) => p.unwrap_or(DEFAULT_PEAK_PERCENT),
    };
    if entry.shift_weeks.abs() > 520 {
        return Err((
            format!("shift_weeks {} is more than ten years", entry.shift_weeks),
            "a whole number of weeks between -520 and 520".to_owned(),
        ));
    }
    let timezone = entry
        .timezone
        .as_deref()
        .map(|name| {
            name.parse::<chrono_tz::Tz>().map_err(|_| {
                (
                    format!("timezone `{name}` is not a time zone"),
                    "an IANA zone name such as `Europe/Berlin` or `America/New_York`".to_owned(),
                )
            })
        })
        .transpose()?;
    Ok(Some(TraceSpec {
        file: file.clone(),
        metric: metric.clone(),
        values: entry.values,
        peak_percent,
        shift_weeks: entry.shift_weeks,
        timezone,
    }))
}

/// Metric names the resource's metric rules watch, in file order, once each.
pub fn watched_metrics(resource: &Resource) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for rule in resource.rules() {
        if let Trigger::Metric(m) = &rule.trigger
            && !out.contains(&m.metric.as_str())
        {
            out.push(m.metric.as_str());
        }
    }
    out
}

fn starts(
    given: &BTreeMap<KnobName, StartValue>,
    resource: &Resource,
) -> Result<BTreeMap<KnobName, Setting>, Why> {
    let mut out = default_starts(resource);
    for (name, value) in given {
        let setting = match (resource.knob(*name), name) {
            (Some(knob), _) => start_on_scale(knob, value)?,
            (None, KnobName::Storage) if resource.storage.is_some() => match value {
                StartValue::Number(n)
                    if n.fract() == 0.0 && *n >= 1.0 && *n <= f64::from(u32::MAX) =>
                {
                    Setting::Gib(*n as u32)
                }
                other => {
                    return Err((
                        format!("start.storage is `{other}`"),
                        "a whole number of GiB".to_owned(),
                    ));
                }
            },
            (None, _) => {
                let knobs: Vec<&str> = resource.knobs.iter().map(|k| k.name.as_str()).collect();
                return Err((
                    format!("start.{name}: the resource has no such knob"),
                    format!("one of: {}", knobs.join(", ")),
                ));
            }
        };
        out.insert(*name, setting);
    }
    Ok(out)
}

fn start_on_scale(knob: &Knob, value: &StartValue) -> Result<Setting, Why> {
    let name = knob.name;
    match (&knob.scale, value) {
        (Scale::Classes(ladder), StartValue::Name(class)) if ladder.contains(class) => {
            Ok(Setting::Class(class.clone()))
        }
        (Scale::Classes(ladder), other) => Err((
            format!("start.{name} `{other}` is not on the ladder"),
            format!("one of: {}", ladder.join(", ")),
        )),
        (Scale::Counts(counts), StartValue::Number(n))
            if counts.iter().any(|c| f64::from(*c) == *n) =>
        {
            let n = *n as u32;
            Ok(match name {
                KnobName::Capacity => capacity_setting(counts, n),
                _ => Setting::Count(n),
            })
        }
        (Scale::Counts(counts), other) => {
            let list: Vec<String> = counts.iter().map(u32::to_string).collect();
            Err((
                format!("start.{name} `{other}` is not an allowed count"),
                format!("one of: {}", list.join(", ")),
            ))
        }
        (
            Scale::Acu {
                max_values,
                min_acu,
            },
            value,
        ) => {
            let (min, max) = match value {
                StartValue::Number(max) => (*min_acu, *max),
                StartValue::Range { min, max } => (*min, *max),
                StartValue::Name(_) => (f64::NAN, f64::NAN),
            };
            let on_scale = max_values.iter().any(|m| (m - max).abs() < 1e-9);
            if on_scale && min >= *min_acu && min <= max {
                Ok(Setting::Acu { min, max })
            } else {
                let list: Vec<String> = max_values.iter().map(f64::to_string).collect();
                Err((
                    format!("start.{name} `{value}` is not an allowed ACU range"),
                    format!(
                        "a maximum ACU among {} (alone, or as {{ min, max }} with min at least {min_acu})",
                        list.join(", ")
                    ),
                ))
            }
        }
    }
}

/// An ASG size with the group's widest bounds and `desired`.
fn capacity_setting(counts: &[u32], desired: u32) -> Setting {
    Setting::Capacity {
        min: counts.first().copied().unwrap_or(0).min(desired),
        max: counts.last().copied().unwrap_or(desired).max(desired),
        desired,
    }
}

/// Where a resource starts when the mapping does not say: every knob at its
/// protected floor (an ASG with its widest bounds, Serverless v2 with its
/// lowest minimum ACU), an RDS instance running.
pub fn default_starts(resource: &Resource) -> BTreeMap<KnobName, Setting> {
    let mut out = BTreeMap::new();
    for knob in &resource.knobs {
        let setting = match &knob.scale {
            Scale::Classes(ladder) => ladder.get(knob.floor).cloned().map(Setting::Class),
            Scale::Counts(counts) => counts.get(knob.floor).map(|n| match knob.name {
                KnobName::Capacity => capacity_setting(counts, *n),
                _ => Setting::Count(*n),
            }),
            Scale::Acu {
                max_values,
                min_acu,
            } => max_values.get(knob.floor).map(|max| Setting::Acu {
                min: min_acu.min(*max),
                max: *max,
            }),
        };
        if let Some(s) = setting {
            out.insert(knob.name, s);
        }
    }
    if resource.kind == ResourceKind::RdsInstance {
        out.insert(KnobName::Power, Setting::Power(Power::Running));
    }
    out
}
