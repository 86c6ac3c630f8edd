//! Metric traces: `timestamp,value` CSV files as CloudWatch exports them.
//! Parsing is strict about what each line says and forgiving about order:
//! points are sorted by time, a duplicated timestamp keeps its last value,
//! and gaps, duplicates and out-of-order lines are counted, never hidden.
//!
//! Timestamps are `YYYY-MM-DD HH:MM:SS` with no zone, years 1970–9999;
//! they are read as UTC, or as wall-clock time in the mapping's `timezone:`
//! (an hour a DST switch repeats is read in file order: first the earlier
//! instant, then the later). Utilisation traces hold percents, 0–100; a
//! value outside is refused with its line (a byte count read as percent is
//! a wrong mapping, not a load).

use std::fmt;
use std::path::Path;

use chrono::offset::LocalResult;
use chrono::{DateTime, Datelike, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::input::{self, InputError};
use super::mapping::ValueKind;

/// The header every trace starts with.
pub const HEADER: &str = "timestamp,value";

/// The timestamp format of a trace line (naive, read as UTC).
pub const TIMESTAMP_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// The years a timestamp may name.
pub const YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;

/// How to read a trace's lines.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Reading {
    /// What a value is: utilisation must lie in 0–100.
    pub values: ValueKind,
    /// The zone the timestamps' wall-clock time is in; None for UTC.
    pub timezone: Option<Tz>,
}

/// One sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    /// When (UTC).
    pub at: DateTime<Utc>,
    /// The value as written.
    pub value: f64,
}

/// A parsed trace: points in time order, one per timestamp.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// The file as named by the caller.
    pub file: String,
    /// Points, strictly increasing in time; never empty.
    pub points: Vec<Point>,
    /// What was wrong with the data and what was done about it.
    pub quality: TraceQuality,
}

impl Trace {
    /// First sample's instant.
    pub fn start(&self) -> DateTime<Utc> {
        self.points
            .first()
            .map_or(DateTime::<Utc>::MIN_UTC, |p| p.at)
    }

    /// Last sample's instant.
    pub fn end(&self) -> DateTime<Utc> {
        self.points
            .last()
            .map_or(DateTime::<Utc>::MIN_UTC, |p| p.at)
    }

    /// The largest value.
    pub fn peak(&self) -> f64 {
        self.points.iter().map(|p| p.value).fold(0.0, f64::max)
    }

    /// The same trace moved by `by` (every point and nothing else).
    pub fn shifted(mut self, by: TimeDelta) -> Trace {
        for p in &mut self.points {
            p.at += by;
        }
        self
    }
}

/// Data-quality findings of one trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TraceQuality {
    /// Lines read (data rows, header excluded).
    pub rows: usize,
    /// Median interval between consecutive points, seconds.
    pub median_step_secs: i64,
    /// Intervals longer than 1.5× the median step.
    pub gaps: usize,
    /// The longest such interval, seconds (0 when there is none).
    pub longest_gap_secs: i64,
    /// Rows whose timestamp an earlier row already had (the last one wins).
    pub duplicates: usize,
    /// Rows whose timestamp is earlier than the row before them.
    pub out_of_order: usize,
}

impl TraceQuality {
    /// True when nothing needed fixing.
    pub fn is_clean(&self) -> bool {
        self.gaps == 0 && self.duplicates == 0 && self.out_of_order == 0
    }
}

impl fmt::Display for TraceQuality {
    /// e.g. `2 gaps (longest 20m) held the last value; 0 duplicates; 0 out of order`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.gaps {
            0 => f.write_str("no gaps")?,
            n => write!(
                f,
                "{n} gap{} (longest {}) held the last value",
                if n == 1 { "" } else { "s" },
                human_span(self.longest_gap_secs)
            )?,
        }
        write!(f, "; {} duplicate", self.duplicates)?;
        if self.duplicates != 1 {
            f.write_str("s")?;
        }
        if self.duplicates > 0 {
            f.write_str(" (last value kept)")?;
        }
        write!(f, "; {} out of order", self.out_of_order)?;
        if self.out_of_order > 0 {
            f.write_str(" (sorted)")?;
        }
        Ok(())
    }
}

/// `20m`, `1h5m`, `2d3h`: a span of seconds, for a person.
pub fn human_span(secs: i64) -> String {
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3_600,
        secs % 3_600 / 60,
        secs % 60,
    );
    let mut out = String::new();
    for (n, unit) in [(d, "d"), (h, "h"), (m, "m"), (s, "s")] {
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    if out.is_empty() {
        out.push_str("0m");
    }
    out
}

/// Why a trace could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The file could not be read (or may not be: outside the folder, not
    /// a regular file, too large, not UTF-8).
    #[error(transparent)]
    Input(#[from] InputError),
    /// The first line is not the header. What it says is not repeated: a
    /// file that is not a trace may hold anything.
    #[error("{file}:1: the first line is not the header; expected `{HEADER}`")]
    Header {
        /// The file.
        file: String,
    },
    /// A line that does not parse.
    #[error("{file}:{line}: `{found}` is not a trace line; expected {expected}")]
    Line {
        /// The file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The line as written (shortened).
        found: String,
        /// What was expected.
        expected: String,
    },
    /// The file has a header and no data.
    #[error("{file}: the trace has no data rows; expected at least one `timestamp,value` line")]
    Empty {
        /// The file.
        file: String,
    },
}

/// Reads and parses the trace at `path` (a regular file, see
/// [`input::read_text`]); errors name the file as `path` shows it.
pub fn load(path: &Path, reading: Reading) -> Result<Trace, TraceError> {
    let file = path.display().to_string();
    let text = input::read_text(path)?;
    parse(&file, &text, reading)
}

/// Parses trace text. `file` names it in errors.
pub fn parse(file: &str, text: &str, reading: Reading) -> Result<Trace, TraceError> {
    let mut lines = text.lines().enumerate();
    let header = lines.next().map(|(_, l)| clean(l)).unwrap_or_default();
    if !header.eq_ignore_ascii_case(HEADER) {
        return Err(TraceError::Header {
            file: file.to_owned(),
        });
    }

    let mut raw: Vec<Point> = Vec::new();
    let mut out_of_order = 0;
    for (index, line) in lines {
        let line = clean(line);
        if line.is_empty() {
            continue;
        }
        let previous = raw.last().map(|p| p.at);
        let point = parse_line(line, reading, previous).map_err(|expected| TraceError::Line {
            file: file.to_owned(),
            line: index + 1,
            found: shorten(line),
            expected,
        })?;
        if previous.is_some_and(|prev| point.at < prev) {
            out_of_order += 1;
        }
        raw.push(point);
    }
    if raw.is_empty() {
        return Err(TraceError::Empty {
            file: file.to_owned(),
        });
    }
    let rows = raw.len();

    // Stable: equal timestamps keep file order, so the last one written wins.
    raw.sort_by_key(|p| p.at);
    let mut points: Vec<Point> = Vec::with_capacity(rows);
    let mut duplicates = 0;
    for p in raw {
        match points.last_mut() {
            Some(last) if last.at == p.at => {
                *last = p;
                duplicates += 1;
            }
            _ => points.push(p),
        }
    }

    let (median_step_secs, gaps, longest_gap_secs) = gaps(&points);
    Ok(Trace {
        file: file.to_owned(),
        points,
        quality: TraceQuality {
            rows,
            median_step_secs,
            gaps,
            longest_gap_secs,
            duplicates,
            out_of_order,
        },
    })
}

/// A line without its BOM, carriage return and surrounding blanks.
fn clean(line: &str) -> &str {
    line.trim_start_matches('\u{feff}').trim()
}

/// One data line, or what was expected instead. `previous` is the instant
/// of the line before, which settles an hour a DST switch repeats.
fn parse_line(
    line: &str,
    reading: Reading,
    previous: Option<DateTime<Utc>>,
) -> Result<Point, String> {
    let Some((ts, value)) = line.split_once(',') else {
        return Err("two comma-separated fields, `YYYY-MM-DD HH:MM:SS,value`".to_owned());
    };
    let (ts, value) = (ts.trim(), value.trim());
    let zone = reading
        .timezone
        .map_or_else(|| "UTC".to_owned(), |tz| tz.name().to_owned());
    let naive = NaiveDateTime::parse_from_str(ts, TIMESTAMP_FORMAT).map_err(|_| {
        format!("a timestamp `YYYY-MM-DD HH:MM:SS` ({zone}) in the first field, found `{ts}`")
    })?;
    // chrono reads `+262142-12-31` as a year; no trace is from then.
    if !ts.starts_with(|c: char| c.is_ascii_digit()) || !YEARS.contains(&naive.year()) {
        return Err(format!(
            "a timestamp in the years {}–{}, found `{ts}`",
            YEARS.start(),
            YEARS.end()
        ));
    }
    let at = match reading.timezone {
        None => naive.and_utc(),
        Some(tz) => match tz.from_local_datetime(&naive) {
            LocalResult::Single(t) => t.with_timezone(&Utc),
            // The hour a switch back to standard time repeats: the earlier
            // instant first, the later once the file has passed it.
            LocalResult::Ambiguous(early, late) => {
                let (early, late) = (early.with_timezone(&Utc), late.with_timezone(&Utc));
                if previous.is_some_and(|p| p >= early) {
                    late
                } else {
                    early
                }
            }
            LocalResult::None => {
                return Err(format!(
                    "a wall-clock time that exists in {zone}, found `{ts}` (skipped by a switch to summer time)"
                ));
            }
        },
    };
    let value: f64 = value
        .parse()
        .map_err(|_| format!("a number in the second field, found `{value}`"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!(
            "a finite, non-negative value in the second field, found `{value}`"
        ));
    }
    if reading.values == ValueKind::Utilization && value > 100.0 {
        return Err(format!(
            "a utilisation in percent, 0–100, in the second field, found `{value}` (a count trace says `values: count` in the mapping)"
        ));
    }
    Ok(Point { at, value })
}

/// (median step, gaps, longest gap), seconds. A gap is an interval longer
/// than 1.5× the median step.
fn gaps(points: &[Point]) -> (i64, usize, i64) {
    let mut steps: Vec<i64> = points
        .windows(2)
        .map(|w| (w[1].at - w[0].at).num_seconds())
        .collect();
    if steps.is_empty() {
        return (0, 0, 0);
    }
    let intervals = steps.clone();
    steps.sort_unstable();
    let median = steps[steps.len() / 2];
    // Integer form of `step > 1.5 × median`.
    let long: Vec<i64> = intervals
        .into_iter()
        .filter(|s| 2 * s > 3 * median)
        .collect();
    (median, long.len(), long.iter().copied().max().unwrap_or(0))
}

/// At most 60 characters of a line, for error messages.
fn shorten(line: &str) -> String {
    match line.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_owned(),
    }
}
