//! Read a policy file: size and emptiness checks, YAML → [`raw::PolicyFile`]
//! under strict parser budgets, then [`super::validate`]. Every failure is a
//! [`PolicyError`] whose problems carry line, column, field path and what was
//! expected (`problems.rs` locates parser errors); nothing here panics on
//! outside input.
//!
//! Parser budgets: a policy nests at most [`MAX_DEPTH`] levels, holds at most
//! 100 000 nodes, and its YAML aliases may replay at most 10 000 events, so a
//! deeply nested document or an alias bomb fails in milliseconds.

use std::io::Read;
use std::path::Path;

use serde_saphyr::budget::EnforcingPolicy;
use serde_saphyr::{Budget, Options};

use super::locate::Index;
use super::validate::validate;
use super::{Policy, PolicyError, Problem, raw};
use problems::yaml_problem;

mod problems;

/// Largest policy file accepted, in bytes (4 MiB). A policy with hundreds of
/// resources is well under 1 MiB; anything larger is refused before parsing.
pub const MAX_POLICY_BYTES: u64 = 4 * 1024 * 1024;

/// Deepest nesting of mappings and sequences accepted (the schema itself
/// nests 7 levels).
pub const MAX_DEPTH: usize = 24;

/// What a policy file should look like, for "the file is empty".
const POLICY_SHAPE: &str = "a policy with `version: 1`, `estate`, `guardrails` and `resources` \
                            (see policies/minimal.yaml)";

/// Load, parse and validate the policy file at `path`.
pub fn load_file(path: &Path) -> Result<Policy, PolicyError> {
    let name = path.display().to_string();
    let whole = |message: String, expected: &str| PolicyError {
        file: name.clone(),
        problems: vec![Problem {
            line: None,
            column: None,
            path: String::new(),
            message,
            expected: expected.to_owned(),
        }],
    };
    let file = std::fs::File::open(path).map_err(|e| {
        whole(
            format!("cannot read the file: {e}"),
            "a readable policy file",
        )
    })?;
    // Read at most one byte past the limit, so a huge (or growing) file is
    // refused without being read whole.
    let mut bytes = Vec::new();
    file.take(MAX_POLICY_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            whole(
                format!("cannot read the file: {e}"),
                "a readable policy file",
            )
        })?;
    if bytes.len() as u64 > MAX_POLICY_BYTES {
        return Err(too_large(&name, None));
    }
    let text = match std::str::from_utf8(&bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = String::from_utf8_lossy(&bytes[..e.valid_up_to()]).into_owned();
            let line = valid.matches('\n').count() + 1;
            let column = valid.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            let byte = bytes.get(e.valid_up_to()).copied().unwrap_or(0);
            return Err(PolicyError {
                file: name,
                problems: vec![Problem {
                    line: Some(line),
                    column: Some(column),
                    path: String::new(),
                    message: format!("the file is not UTF-8 text (byte 0x{byte:02X})"),
                    expected: "a UTF-8 encoded YAML policy file".to_owned(),
                }],
            });
        }
    };
    load_str(text, &name)
}

/// Parse and validate policy `text`; `file_name` names it in problems.
pub fn load_str(text: &str, file_name: &str) -> Result<Policy, PolicyError> {
    if text.len() as u64 > MAX_POLICY_BYTES {
        return Err(too_large(file_name, Some(text.len())));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(problem) = empty_problem(text) {
        return Err(PolicyError {
            file: file_name.to_owned(),
            problems: vec![problem],
        });
    }
    match serde_saphyr::from_str_with_options::<raw::PolicyFile>(text, options()) {
        Ok(raw) => {
            let index = safe_index(text, Vetted::Whole);
            validate(&raw, &index, file_name)
        }
        Err(err) => Err(PolicyError {
            file: file_name.to_owned(),
            problems: vec![yaml_problem(&err, text)],
        }),
    }
}

/// Validate an in-memory [`raw::PolicyFile`] (built in code rather than read
/// from YAML). Problems carry field paths but no line numbers.
pub fn validate_raw(raw: &raw::PolicyFile, file_name: &str) -> Result<Policy, PolicyError> {
    validate(raw, &Index::empty(), file_name)
}

fn too_large(file: &str, size: Option<usize>) -> PolicyError {
    let size = size.map_or_else(|| "over 4 MiB".to_owned(), |s| format!("{s} bytes"));
    PolicyError {
        file: file.to_owned(),
        problems: vec![Problem {
            line: None,
            column: None,
            path: String::new(),
            message: format!(
                "the file is too large ({size}); policy files are refused above {MAX_POLICY_BYTES} bytes"
            ),
            expected: "a policy file under 4 MiB".to_owned(),
        }],
    }
}

fn empty_problem(text: &str) -> Option<Problem> {
    let lines = || text.lines().map(str::trim).filter(|l| !l.is_empty());
    if lines().any(|l| !l.starts_with('#') && l != "---" && l != "...") {
        return None;
    }
    let message = if lines().next().is_some() {
        "the file is empty (only comments)"
    } else {
        "the file is empty"
    };
    Some(Problem {
        line: Some(1),
        column: Some(1),
        path: String::new(),
        message: message.to_owned(),
        expected: POLICY_SHAPE.to_owned(),
    })
}

fn budget() -> Budget {
    let mut b = Budget::default();
    b.max_depth = MAX_DEPTH;
    b.flow_nesting_limit = MAX_DEPTH;
    b.max_events = 250_000;
    b.max_nodes = 100_000;
    b.max_aliases = 1_000;
    b.max_anchors = 1_000;
    b.max_recorded_anchor_events = 100_000;
    b.max_total_scalar_bytes = usize::try_from(MAX_POLICY_BYTES).unwrap_or(usize::MAX);
    b
}

fn options() -> Options {
    let mut o = Options::default();
    o.budget = Some(budget());
    o.alias_limits.max_total_replayed_events = 10_000;
    o.alias_limits.max_replay_stack_depth = 16;
    o
}

/// Most aliases in a file whose deserialization failed for the location
/// index still to be built (see [`safe_index`]).
const MAX_INDEX_ALIASES: usize = 32;

/// How much of the text serde has vetted before the index is built.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Vetted {
    /// Deserialized whole under [`options`]: alias replays nest at most 16
    /// deep, so the expanded tree is at most ~400 levels deep.
    Whole,
    /// Deserialization stopped early; the rest is unvetted.
    Partly,
}

/// The location index, built only when it is safe to: the text is within the
/// parser budgets and, unless serde vetted all of it, uses at most
/// [`MAX_INDEX_ALIASES`] aliases. The index loader expands aliases into a
/// tree and walks it recursively, so chained aliases could otherwise nest
/// thousands of levels deep and overflow the stack. Without an index,
/// problems still carry paths from validation but no line numbers.
fn safe_index(text: &str, vetted: Vetted) -> Index {
    match serde_saphyr::budget::check_yaml_budget(text, budget(), EnforcingPolicy::AllContent) {
        Ok(report)
            if report.breached.is_none()
                && (vetted == Vetted::Whole || report.aliases <= MAX_INDEX_ALIASES) =>
        {
            Index::build(text)
        }
        _ => Index::empty(),
    }
}
