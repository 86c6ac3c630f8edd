//! The files `record` writes, as text: traces in the format
//! [`crate::backtest::trace`] reads and the mapping
//! [`crate::backtest::mapping`] reads. Pure.

use chrono::{DateTime, Utc};

use crate::backtest::mapping::ValueKind;
use crate::backtest::trace::{HEADER, TIMESTAMP_FORMAT};
use crate::estate::{Member, Setting};
use crate::policy::{Knob, KnobName, Policy, Resource, Scale};

/// One trace file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileOut {
    /// File name inside the output folder.
    pub file: String,
    /// Policy resource id.
    pub resource: String,
    /// The metric it holds.
    pub metric: String,
    /// What its values are.
    pub values: ValueKind,
    /// Datapoints written.
    pub points: usize,
    /// The CSV text.
    pub text: String,
}

/// How a metric's values are read by the backtest: a percent metric
/// (`…Utilization`, `…Percent…`, `…%`, MSK's `Cpu…`) is utilisation,
/// anything else (requests, bytes, connections) a count the backtest scales
/// to its peak.
pub fn value_kind(metric: &str) -> ValueKind {
    let percent = metric.ends_with("Utilization")
        || metric.contains("Percent")
        || metric.ends_with('%')
        // MSK's broker CPU metrics are percents.
        || matches!(metric, "CpuUser" | "CpuSystem" | "CpuIdle");
    if percent {
        ValueKind::Utilization
    } else {
        ValueKind::Count
    }
}

/// `timestamp,value` lines, UTC, oldest first; percents are clamped into
/// 0–100 (the trace reader refuses anything outside). Returns the text and
/// how many values were clamped.
pub fn csv_text(points: &[(DateTime<Utc>, f64)], values: ValueKind) -> (String, usize) {
    let mut text = String::with_capacity(points.len() * 32 + HEADER.len() + 1);
    text.push_str(HEADER);
    text.push('\n');
    let mut clamped = 0;
    for (at, value) in points {
        let mut v = value.max(0.0);
        if values == ValueKind::Utilization && v > 100.0 {
            v = 100.0;
        }
        if v != *value {
            clamped += 1;
        }
        text.push_str(&format!("{},{v}\n", at.format(TIMESTAMP_FORMAT)));
    }
    (text, clamped)
}

/// The trace of `metric` of `resource`, and how many values were clamped.
pub(super) fn trace(
    resource: &Resource,
    metric: &str,
    points: &[(DateTime<Utc>, f64)],
) -> (FileOut, usize) {
    let values = value_kind(metric);
    let (text, clamped) = csv_text(points, values);
    let file = format!("{}.{}.csv", safe(&resource.id), safe(metric));
    (
        FileOut {
            file,
            resource: resource.id.clone(),
            metric: metric.to_owned(),
            values,
            points: points.len(),
            text,
        },
        clamped,
    )
}

/// A file-name-safe form of `s`.
fn safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A YAML scalar for any string (JSON's double-quoted form is YAML).
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// One resource's mapping entry (its first recorded metric drives it; the
/// others are named in a comment), and a warning per knob whose current
/// setting is off the policy's scale (that knob starts at its floor).
pub(super) fn entry(
    resource: &Resource,
    member: &Member,
    recorded: &[FileOut],
) -> (String, Vec<String>) {
    let mut warnings = Vec::new();
    let mut out = String::new();
    let Some(first) = recorded.first() else {
        return (out, warnings);
    };
    out.push_str(&format!(
        "  # {} ({}), now at the settings below.\n",
        resource.id, member.identifier
    ));
    for other in &recorded[1..] {
        out.push_str(&format!(
            "  # also recorded: {} ({}); point `trace:`/`metric:` at it to replay that one\n",
            other.file, other.metric
        ));
    }
    out.push_str(&format!("  - resource: {}\n", quoted(&resource.id)));
    out.push_str(&format!("    trace: {}\n", quoted(&first.file)));
    out.push_str(&format!("    metric: {}\n", quoted(&first.metric)));
    if first.values == ValueKind::Count {
        out.push_str("    values: count\n");
    }
    let mut starts = Vec::new();
    for knob in &resource.knobs {
        let Some(setting) = member.settings.get(&knob.name) else {
            continue;
        };
        match start_value(knob, setting) {
            Some(v) => starts.push(format!("{}: {v}", knob.name)),
            None => warnings.push(format!(
                "{}: {} is {setting} now, which the policy's {} scale does not hold; the backtest starts it at its floor",
                resource.id, knob.name, knob.name
            )),
        }
    }
    if resource.storage.is_some()
        && let Some(Setting::Gib(gib)) = member.settings.get(&KnobName::Storage)
    {
        starts.push(format!("storage: {gib}"));
    }
    if !starts.is_empty() {
        out.push_str(&format!("    start: {{ {} }}\n", starts.join(", ")));
    }
    (out, warnings)
}

/// The mapping's `start:` value of a knob at `setting`, when the knob's
/// scale holds it.
fn start_value(knob: &Knob, setting: &Setting) -> Option<String> {
    match (&knob.scale, setting) {
        (Scale::Classes(ladder), Setting::Class(c)) if ladder.contains(c) => Some(quoted(c)),
        (Scale::Counts(counts), Setting::Count(n))
        | (Scale::Counts(counts), Setting::Capacity { desired: n, .. })
            if counts.contains(n) =>
        {
            Some(n.to_string())
        }
        (
            Scale::Acu {
                max_values,
                min_acu,
            },
            Setting::Acu { min, max },
        ) if max_values.iter().any(|m| (m - max).abs() < 1e-9) && min >= min_acu && min <= max => {
            Some(format!("{{ min: {min}, max: {max} }}"))
        }
        _ => None,
    }
}

/// The whole mapping file.
pub fn mapping_text(
    policy: &Policy,
    entries: &[String],
    days: u32,
    period_secs: u32,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> String {
    let mut out = format!(
        "# Written by `tidegate record` for estate {}: {days} days of CloudWatch\n\
         # history at {period_secs} s, {} to {} UTC. Replay with\n\
         #\n\
         #   tidegate backtest --policy POLICY --metrics THIS_FOLDER\n\
         #\n\
         # Each resource starts at the settings AWS reported when it was recorded\n\
         # (the values were measured there). The format is policies/traces/mapping.yaml's.\n\n\
         resources:\n",
        policy.estate,
        start.format("%Y-%m-%d %H:%M"),
        end.format("%Y-%m-%d %H:%M"),
    );
    for e in entries {
        out.push_str(e);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_metrics_are_utilisation_and_the_rest_counts() {
        for m in [
            "CPUUtilization",
            "ACUUtilization",
            "EngineCPUUtilization",
            "DatabaseMemoryUsagePercentage",
            "FreeLocalStoragePercent",
            "EBSByteBalance%",
            "CpuUser",
        ] {
            assert_eq!(value_kind(m), ValueKind::Utilization, "{m}");
        }
        for m in ["DatabaseConnections", "FreeableMemory", "RequestCount"] {
            assert_eq!(value_kind(m), ValueKind::Count, "{m}");
        }
    }

    #[test]
    fn csv_lines_are_utc_seconds_and_clamped_percents() {
        let t = DateTime::<Utc>::from_timestamp(1_397_174_400, 0).expect("valid");
        let (text, clamped) = csv_text(&[(t, 42.5), (t, 130.0), (t, -1.0)], ValueKind::Utilization);
        assert_eq!(
            text,
            "timestamp,value\n2014-04-11 00:00:00,42.5\n2014-04-11 00:00:00,100\n2014-04-11 00:00:00,0\n"
        );
        assert_eq!(clamped, 2);
        let (text, clamped) = csv_text(&[(t, 656.0)], ValueKind::Count);
        assert!(text.ends_with(",656\n"));
        assert_eq!(clamped, 0);
    }
}
