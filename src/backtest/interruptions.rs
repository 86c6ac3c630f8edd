//! The interruption trace: spot interruption warnings and rebalance
//! recommendations per workload class, read from a CSV so the backtest can
//! drive the reactive spot mix ([`crate::spot`]). Every error names the
//! file, the line and the column, and says what was expected.
//!
//! Format: the header `timestamp,workload_class,kind`, then one warning a
//! line (blank lines are skipped):
//! - `timestamp`: an RFC 3339 instant, e.g. `2014-04-14T04:09:02Z` (an
//!   offset other than `Z` is converted to UTC);
//! - `workload_class`: a class of the policy's `spot_mix` (the trace names
//!   classes, not groups: every group of the class sees the warning);
//! - `kind`: `interruption` (EC2 Spot Instance Interruption Warning) or
//!   `rebalance` (EC2 Instance Rebalance Recommendation). Both count as a
//!   warning, as they do in the ledger.
//!
//! Rows out of time order are sorted and counted; a row equal to an earlier
//! one (same instant, class and kind) is the same event delivered twice: it
//! counts once, and is counted as a duplicate.
//!
//! Alignment with the replay: the timestamps are instants on the replay's
//! clock, i.e. the time the metric traces show *after* their `shift_weeks`
//! (the report's period). The mapping's `interruptions.shift_weeks` moves
//! the whole trace by whole weeks first, as a metric trace's does. A
//! decision sees the warnings at or before its own instant, never later
//! ones; warnings before the window are history the first decisions see,
//! warnings after it are never seen.

use std::path::Path;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

/// The header every interruption trace starts with.
pub const HEADER: &str = "timestamp,workload_class,kind";

/// The columns, in order.
const COLUMNS: [&str; 3] = ["timestamp", "workload_class", "kind"];

/// What AWS sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// EC2 Spot Instance Interruption Warning.
    Interruption,
    /// EC2 Instance Rebalance Recommendation.
    Rebalance,
}

impl WarningKind {
    /// As written in the trace.
    pub fn as_str(self) -> &'static str {
        match self {
            WarningKind::Interruption => "interruption",
            WarningKind::Rebalance => "rebalance",
        }
    }
}

/// One warning.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Warning {
    /// When EventBridge delivered it (UTC).
    pub at: DateTime<Utc>,
    /// The workload class whose groups it concerns.
    pub class: String,
    /// Interruption warning or rebalance recommendation.
    pub kind: WarningKind,
}

/// A parsed interruption trace.
#[derive(Debug, Clone, PartialEq)]
pub struct InterruptionTrace {
    /// The file as named by the caller.
    pub file: String,
    /// Warnings in time order (then class, then kind), each once.
    pub warnings: Vec<Warning>,
    /// Data rows read (header excluded).
    pub rows: usize,
    /// Rows equal to an earlier row, counted once.
    pub duplicates: usize,
    /// Rows earlier than the row before them (sorted).
    pub out_of_order: usize,
}

impl InterruptionTrace {
    /// The same trace moved by `by`.
    pub fn shifted(mut self, by: TimeDelta) -> InterruptionTrace {
        for w in &mut self.warnings {
            w.at += by;
        }
        self
    }

    /// The instants of `class`'s warnings, in time order.
    pub fn times(&self, class: &str) -> Vec<DateTime<Utc>> {
        self.warnings
            .iter()
            .filter(|w| w.class == class)
            .map(|w| w.at)
            .collect()
    }
}

/// Why an interruption trace could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InterruptionsError {
    /// The file could not be read (or may not be: outside the folder, not
    /// a regular file, too large, not UTF-8).
    #[error(transparent)]
    Input(#[from] super::input::InputError),
    /// The first line is not the header. What it says is not repeated: a
    /// file that is not a trace may hold anything.
    #[error("{file}:1: the first line is not the header; expected `{HEADER}`")]
    Header {
        /// The file.
        file: String,
    },
    /// A line with the wrong number of fields.
    #[error(
        "{file}:{line}: `{found}` has {fields} comma-separated field{plural}; expected 3: `{HEADER}`",
        plural = if *fields == 1 { "" } else { "s" }
    )]
    Fields {
        /// The file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The line as written (shortened).
        found: String,
        /// How many fields it has.
        fields: usize,
    },
    /// A field that does not parse.
    #[error("{file}:{line}: column {column} (`{name}`) is `{found}`; expected {expected}")]
    Field {
        /// The file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// 1-based column (field) number.
        column: usize,
        /// The column's name.
        name: &'static str,
        /// The field as written (shortened).
        found: String,
        /// What was expected.
        expected: String,
    },
    /// The file has a header and no warning.
    #[error(
        "{file}: the interruption trace has no data rows; expected at least one `{HEADER}` line"
    )]
    Empty {
        /// The file.
        file: String,
    },
}

/// Reads and parses the interruption trace at `path`; `classes` are the
/// policy's workload classes. Errors name the file as `path` shows it.
pub fn load(path: &Path, classes: &[&str]) -> Result<InterruptionTrace, InterruptionsError> {
    let file = path.display().to_string();
    let text = super::input::read_text(path)?;
    parse(&file, &text, classes)
}

/// Parses interruption-trace text; `file` names it in errors, `classes`
/// are the workload classes a line may name.
pub fn parse(
    file: &str,
    text: &str,
    classes: &[&str],
) -> Result<InterruptionTrace, InterruptionsError> {
    let mut lines = text.lines().enumerate();
    let header = lines.next().map(|(_, l)| clean(l)).unwrap_or_default();
    let header_fields: Vec<&str> = header.split(',').map(str::trim).collect();
    if header_fields.len() != COLUMNS.len()
        || !header_fields
            .iter()
            .zip(COLUMNS)
            .all(|(a, b)| a.eq_ignore_ascii_case(b))
    {
        return Err(InterruptionsError::Header {
            file: file.to_owned(),
        });
    }

    let mut raw: Vec<Warning> = Vec::new();
    let mut out_of_order = 0;
    for (index, line) in lines {
        let line = clean(line);
        if line.is_empty() {
            continue;
        }
        let warning = parse_line(line, classes).map_err(|e| e.at(file, index + 1, line))?;
        if raw.last().is_some_and(|prev| warning.at < prev.at) {
            out_of_order += 1;
        }
        raw.push(warning);
    }
    if raw.is_empty() {
        return Err(InterruptionsError::Empty {
            file: file.to_owned(),
        });
    }
    let rows = raw.len();
    raw.sort();
    raw.dedup();
    Ok(InterruptionTrace {
        file: file.to_owned(),
        duplicates: rows - raw.len(),
        warnings: raw,
        rows,
        out_of_order,
    })
}

/// What is wrong with one line, before the file and line are known.
enum LineError {
    Fields(usize),
    Field {
        column: usize,
        found: String,
        expected: String,
    },
}

impl LineError {
    fn at(self, file: &str, line: usize, text: &str) -> InterruptionsError {
        match self {
            LineError::Fields(fields) => InterruptionsError::Fields {
                file: file.to_owned(),
                line,
                found: shorten(text),
                fields,
            },
            LineError::Field {
                column,
                found,
                expected,
            } => InterruptionsError::Field {
                file: file.to_owned(),
                line,
                column,
                name: COLUMNS[column - 1],
                found: shorten(&found),
                expected,
            },
        }
    }
}

fn parse_line(line: &str, classes: &[&str]) -> Result<Warning, LineError> {
    let fields: Vec<&str> = line.split(',').map(str::trim).collect();
    let [ts, class, kind] = fields.as_slice() else {
        return Err(LineError::Fields(fields.len()));
    };
    let field = |column: usize, found: &str, expected: String| LineError::Field {
        column,
        found: found.to_owned(),
        expected,
    };
    let at = DateTime::parse_from_rfc3339(ts)
        .map_err(|_| {
            field(
                1,
                ts,
                "an RFC 3339 instant such as `2014-04-14T04:09:02Z`".to_owned(),
            )
        })?
        .with_timezone(&Utc);
    if !classes.contains(class) {
        let expected = if classes.is_empty() {
            "a workload class of the policy's `spot_mix` (it has none)".to_owned()
        } else {
            format!(
                "a workload class of the policy's `spot_mix`: {}",
                classes.join(", ")
            )
        };
        return Err(field(2, class, expected));
    }
    let kind = match kind.to_ascii_lowercase().as_str() {
        "interruption" => WarningKind::Interruption,
        "rebalance" => WarningKind::Rebalance,
        _ => {
            return Err(field(3, kind, "`interruption` or `rebalance`".to_owned()));
        }
    };
    Ok(Warning {
        at,
        class: (*class).to_owned(),
        kind,
    })
}

/// A line without its BOM, carriage return and surrounding blanks.
fn clean(line: &str) -> &str {
    line.trim_start_matches('\u{feff}').trim()
}

/// At most 60 characters, for error messages.
fn shorten(line: &str) -> String {
    match line.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLASSES: &[&str] = &["api", "batch"];

    fn refused(text: &str) -> String {
        match parse("w.csv", text, CLASSES) {
            Ok(t) => panic!("should be refused: {text:?} → {t:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn warnings_are_sorted_and_a_repeated_event_counts_once() {
        let t = parse(
            "w.csv",
            "timestamp,workload_class,kind\n\
             2014-04-14T04:10:00Z,batch,interruption\n\
             2014-04-14T04:09:00Z,batch,rebalance\n\
             \n\
             2014-04-14T06:09:00+02:00,batch,rebalance\n\
             2014-04-14T04:09:00Z,api,interruption\n",
            CLASSES,
        )
        .expect("parses");
        assert_eq!(t.rows, 4);
        assert_eq!(t.out_of_order, 1);
        assert_eq!(t.duplicates, 1, "06:09+02:00 is 04:09Z, already there");
        assert_eq!(t.warnings.len(), 3);
        assert!(t.warnings.windows(2).all(|w| w[0].at <= w[1].at));
        assert_eq!(t.times("batch").len(), 2);
        assert_eq!(t.times("api").len(), 1);
        let later = t.clone().shifted(TimeDelta::weeks(1));
        assert_eq!(later.warnings[0].at - t.warnings[0].at, TimeDelta::weeks(1));
    }

    #[test]
    fn bad_lines_name_file_line_column_and_what_was_expected() {
        let head = "timestamp,workload_class,kind\n";
        let cases: [(String, &str); 6] = [
            (
                "time,class,kind\n".to_owned(),
                "w.csv:1: the first line is not the header; expected `timestamp,workload_class,kind`",
            ),
            (head.to_owned(), "no data rows"),
            (
                format!("{head}2014-04-14T04:10:00Z,batch\n"),
                "w.csv:2: `2014-04-14T04:10:00Z,batch` has 2 comma-separated fields; expected 3",
            ),
            (
                format!(
                    "{head}2014-04-14T04:10:00Z,batch,interruption\n2014-04-14 04:11:00,batch,interruption\n"
                ),
                "w.csv:3: column 1 (`timestamp`) is `2014-04-14 04:11:00`; expected an RFC 3339 instant",
            ),
            (
                format!("{head}2014-04-14T04:10:00Z,bacth,interruption\n"),
                "w.csv:2: column 2 (`workload_class`) is `bacth`; expected a workload class of the policy's `spot_mix`: api, batch",
            ),
            (
                format!("{head}2014-04-14T04:10:00Z,batch,terminated\n"),
                "w.csv:2: column 3 (`kind`) is `terminated`; expected `interruption` or `rebalance`",
            ),
        ];
        for (text, expected) in cases {
            let msg = refused(&text);
            assert!(msg.contains(expected), "{text:?}:\n{msg}");
        }
    }
}
