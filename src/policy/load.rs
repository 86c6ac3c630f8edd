//! Read a policy file: size and emptiness checks, YAML → [`raw::PolicyFile`]
//! under strict parser budgets, then [`super::validate`]. Every failure is a
//! [`PolicyError`] whose problems carry line, column, field path and what was
//! expected; nothing here panics on outside input.
//!
//! Parser budgets: a policy nests at most [`MAX_DEPTH`] levels, holds at most
//! 100 000 nodes, and its YAML aliases may replay at most 10 000 events, so a
//! deeply nested document or an alias bomb fails in milliseconds.

use std::io::Read;
use std::path::Path;

use serde_saphyr::budget::{BudgetBreach, EnforcingPolicy};
use serde_saphyr::{Budget, Error as YamlError, MessageFormatter, Options};

use super::locate::{self, Index, NodeKind, Pos};
use super::validate::{clip, hint, keys_of_kind, validate};
use super::{Policy, PolicyError, Problem, raw};

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

fn pos_of(loc: serde_saphyr::Location) -> Option<Pos> {
    let (line, column) = (
        usize::try_from(loc.line()).ok()?,
        usize::try_from(loc.column()).ok()?,
    );
    (line > 0).then_some(Pos {
        line,
        column: column.max(1),
    })
}

fn problem(
    pos: Option<Pos>,
    path: String,
    message: String,
    expected: impl Into<String>,
) -> Problem {
    Problem {
        line: pos.map(|p| p.line),
        column: pos.map(|p| p.column),
        path,
        message: clip(message),
        expected: expected.into(),
    }
}

/// One problem from a YAML or serde error, located with the field index.
fn yaml_problem(err: &YamlError, text: &str) -> Problem {
    // Alias errors wrap the original; report it where the alias is used.
    let mut err = err.without_snippet();
    let mut at = err.location().and_then(pos_of);
    while let YamlError::AliasError {
        error, locations, ..
    } = err
    {
        at = pos_of(locations.reference_location).or(at);
        err = error.without_snippet();
    }
    let resource_error = matches!(
        err,
        YamlError::Budget { .. }
            | YamlError::AliasReplayLimitExceeded { .. }
            | YamlError::AliasExpansionLimitExceeded { .. }
            | YamlError::AliasReplayStackDepthExceeded { .. }
            | YamlError::AliasReplayCounterOverflow { .. }
    );
    let index = if resource_error {
        Index::empty()
    } else {
        safe_index(text, Vetted::Partly)
    };
    let here = |pos: Option<Pos>| pos.and_then(|p| index.path_at(p)).unwrap_or("").to_owned();
    let found = |path: &str| describe(index.kind(path));
    match err {
        YamlError::SerdeUnknownField {
            field, expected, ..
        } => {
            let (path, pos) = find_key(&index, at, field);
            // A resource accepts every kind's keys in serde's eyes; offer
            // only those of the kind it names.
            let owner = locate::parent(&path);
            let is_resource = owner
                .strip_prefix("resources[")
                .and_then(|r| r.strip_suffix(']'))
                .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()));
            let of_kind = match index.kind(&locate::key(owner, "kind")) {
                Some(NodeKind::Scalar(kind)) if is_resource => keys_of_kind(expected, kind),
                _ => None,
            };
            let expected = of_kind.unwrap_or_else(|| expected.to_vec());
            let tip = hint(field, expected.iter().copied());
            problem(
                pos,
                path,
                format!("unknown key `{field}`{tip}"),
                format!("one of: {}", expected.join(", ")),
            )
        }
        YamlError::SerdeUnknownVariant {
            variant, expected, ..
        } => {
            let tip = hint(variant, expected.iter().copied());
            problem(
                at,
                here(at),
                format!("unknown value `{variant}`{tip}"),
                format!("one of: {}", expected.join(", ")),
            )
        }
        YamlError::SerdeMissingField { field, .. } => {
            let mapping = enclosing_mapping(&index, at);
            let pos = index.position(&mapping).or(at);
            let within = if mapping.is_empty() {
                "the document".to_owned()
            } else {
                format!("`{mapping}`")
            };
            problem(
                pos,
                locate::key(&mapping, field),
                format!("missing required key `{field}`"),
                format!("a `{field}:` entry in {within}"),
            )
        }
        YamlError::InvalidScalar { ty, .. } => {
            let path = here(at);
            let text = match (index.source(&path, text), index.kind(&path)) {
                (Some(raw), Some(NodeKind::Scalar(_))) => format!("`{raw}`"),
                (_, Some(NodeKind::Scalar(t))) => format!("`{t}`"),
                (_, other) => describe(other),
            };
            let (noun, expected) = match *ty {
                "u32" | "u64" | "usize" | "u16" | "u8" => {
                    ("whole number", "a whole number, 0 or more")
                }
                "bool" => ("boolean", "true or false"),
                t if t.contains("float") || t.starts_with('f') => ("number", "a number"),
                t if t.starts_with('i') => ("whole number", "a whole number"),
                t => (t, "a value of the documented type (see `tidegate schema`)"),
            };
            problem(at, path, format!("{text} is not a {noun}"), expected)
        }
        YamlError::SerdeInvalidType {
            unexpected,
            expected,
            ..
        } => problem(
            at,
            here(at),
            format!("wrong type: found {unexpected}"),
            expected.clone(),
        ),
        YamlError::SerdeInvalidValue {
            unexpected,
            expected,
            ..
        } => problem(
            at,
            here(at),
            format!("invalid value: {unexpected}"),
            expected.clone(),
        ),
        YamlError::Unexpected { expected, .. } => {
            let path = here(at);
            let want = match *expected {
                "mapping start" => "a mapping of `key: value` entries",
                "sequence start" => "a list (`- item` lines or `[a, b]`)",
                "string scalar" => "a string",
                other => other,
            };
            if path.is_empty() && *expected == "mapping start" {
                problem(
                    at,
                    path,
                    match index.kind("") {
                        Some(_) => format!("the document is {}, not a policy mapping", found("")),
                        None => "the document is not a policy mapping".to_owned(),
                    },
                    POLICY_SHAPE,
                )
            } else {
                let message = match index.kind(&path) {
                    Some(_) => format!("wrong type: found {}", found(&path)),
                    None => "wrong type".to_owned(),
                };
                problem(at, path, message, want)
            }
        }
        YamlError::NullIntoString { .. } => {
            problem(at, here(at), "the value is empty".to_owned(), "a string")
        }
        YamlError::Message { msg, .. } => message_problem(&index, at, msg),
        YamlError::DuplicateMappingKey { key, .. } => {
            let name = key.clone().unwrap_or_default();
            let path = at
                .and_then(|p| duplicate_key_path(text, p, &name))
                .unwrap_or_default();
            problem(
                at,
                path,
                format!("duplicate key `{name}`"),
                "each key at most once in a mapping",
            )
        }
        YamlError::MultipleDocuments { .. } => problem(
            at,
            String::new(),
            "the file holds more than one YAML document (a second `---`)".to_owned(),
            "exactly one policy document per file",
        ),
        YamlError::Eof { .. } => problem(
            at,
            String::new(),
            "the file ends in the middle of a value".to_owned(),
            POLICY_SHAPE,
        ),
        YamlError::UnknownAnchor { .. } => problem(
            at,
            here(at),
            "the alias refers to an anchor that is not defined before it".to_owned(),
            "`&name` defined earlier in the file than `*name`",
        ),
        YamlError::Budget { breach, .. } => budget_problem(at, breach),
        YamlError::AliasReplayLimitExceeded { .. }
        | YamlError::AliasExpansionLimitExceeded { .. }
        | YamlError::AliasReplayStackDepthExceeded { .. }
        | YamlError::AliasReplayCounterOverflow { .. } => problem(
            at,
            String::new(),
            "YAML aliases expand to too much data (an alias bomb?)".to_owned(),
            "aliases (`*name`) that expand to a few thousand values at most",
        ),
        YamlError::ExternalMessage { msg, .. } if msg.contains("recursion limit") => problem(
            at,
            String::new(),
            format!("the document nests deeper than {MAX_DEPTH} levels"),
            "a policy nested like the schema (about 7 levels)",
        ),
        YamlError::ExternalMessage { msg, .. } => problem(
            at,
            here(at),
            format!("YAML syntax error: {msg}"),
            "well-formed YAML (check indentation, quotes, brackets and tabs)",
        ),
        other => {
            let msg = serde_saphyr::DefaultMessageFormatter.format_message(other);
            problem(
                at,
                here(at),
                msg.into_owned(),
                "a value as documented in the schema (`tidegate schema`)",
            )
        }
    }
}

/// A free-form serde message: duration parse errors, untagged holidays.
fn message_problem(index: &Index, at: Option<Pos>, msg: &str) -> Problem {
    let path = at.and_then(|p| index.path_at(p)).unwrap_or("").to_owned();
    if msg.contains("untagged enum HolidaySpec") {
        // Say what is wrong with the holiday mapping, if it is one.
        if let Some(NodeKind::Mapping) = index.kind(&path) {
            let keys = index.keys(&path);
            if let Some((k, pos)) = keys.iter().find(|(k, _)| k != "date" && k != "name") {
                let tip = hint(k, ["date", "name"]);
                return problem(
                    Some(*pos),
                    locate::key(&path, k),
                    format!("unknown key `{k}`{tip}"),
                    "one of: date, name",
                );
            }
            for need in ["date", "name"] {
                if !keys.iter().any(|(k, _)| k == need) {
                    return problem(
                        index.position(&path).or(at),
                        locate::key(&path, need),
                        format!("missing required key `{need}`"),
                        "a holiday as `{ date: YYYY-MM-DD, name: ... }`",
                    );
                }
            }
        }
        return problem(
            at,
            path,
            "not a holiday".to_owned(),
            "a date `YYYY-MM-DD` or `{ date: YYYY-MM-DD, name: ... }`",
        );
    }
    // Our own parse errors end with "(expected ...)".
    if let Some((message, rest)) = msg.rsplit_once(" (expected ") {
        let expected = rest.strip_suffix(')').unwrap_or(rest);
        return problem(at, path, message.to_owned(), expected);
    }
    problem(
        at,
        path,
        msg.to_owned(),
        "a value as documented in the schema (`tidegate schema`)",
    )
}

fn budget_problem(at: Option<Pos>, breach: &BudgetBreach) -> Problem {
    let (message, expected) = match breach {
        BudgetBreach::Depth { .. } => (
            format!("the document nests deeper than {MAX_DEPTH} levels"),
            "a policy nested like the schema (about 7 levels)",
        ),
        BudgetBreach::Aliases { .. }
        | BudgetBreach::Anchors { .. }
        | BudgetBreach::AliasAnchorRatio { .. }
        | BudgetBreach::RecordedAnchorEvents { .. }
        | BudgetBreach::RecordedAnchorBytes { .. }
        | BudgetBreach::MergeKeys { .. } => (
            "the document uses too many YAML anchors or aliases".to_owned(),
            "a policy with a handful of `&anchor` / `*alias` uses at most",
        ),
        BudgetBreach::Documents { .. } => (
            "the file holds too many YAML documents".to_owned(),
            "exactly one policy document per file",
        ),
        other => (
            format!("the document is too large to be a policy ({other:?})"),
            "a policy file of ordinary size",
        ),
    };
    problem(at, String::new(), message, expected)
}

/// The path and position of key `field` at or near `at`: serde reports an
/// unknown key at the key, but sometimes at the start of its mapping.
fn find_key(index: &Index, at: Option<Pos>, field: &str) -> (String, Option<Pos>) {
    let Some(pos) = at else {
        return (String::new(), None);
    };
    if let Some(p) = index.key_at(pos)
        && p == locate::key(locate::parent(p), field)
    {
        return (p.to_owned(), Some(pos));
    }
    let mut base = index.path_at(pos).unwrap_or("");
    loop {
        if let Some((_, kpos)) = index.keys(base).iter().find(|(k, _)| k == field) {
            return (locate::key(base, field), Some(*kpos));
        }
        if base.is_empty() {
            break;
        }
        base = locate::parent(base);
    }
    (index.path_at(pos).unwrap_or("").to_owned(), Some(pos))
}

/// The mapping a "missing field" error is about: serde reports it at the
/// last key it read from that mapping (or at the mapping itself).
fn enclosing_mapping(index: &Index, at: Option<Pos>) -> String {
    let Some(pos) = at else {
        return String::new();
    };
    let mut p = match index.key_at(pos) {
        Some(k) => locate::parent(k),
        None => index.path_at(pos).unwrap_or(""),
    };
    while !p.is_empty() && index.kind(p) != Some(&NodeKind::Mapping) {
        p = locate::parent(p);
    }
    p.to_owned()
}

/// Path of a duplicate key: the index cannot be built from a file with
/// duplicate keys, so index a copy with this occurrence renamed.
fn duplicate_key_path(text: &str, at: Pos, name: &str) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    let line_start: usize = text
        .split_inclusive('\n')
        .take(at.line.checked_sub(1)?)
        .map(str::len)
        .sum();
    let line = text.get(line_start..)?;
    let offset = line_start
        + line
            .char_indices()
            .nth(at.column.checked_sub(1)?)
            .map(|(i, _)| i)?;
    if !text.get(offset..)?.starts_with(name) {
        return None;
    }
    let placeholder: String = "~".repeat(name.chars().count());
    let mut copy = String::with_capacity(text.len());
    copy.push_str(text.get(..offset)?);
    copy.push_str(&placeholder);
    copy.push_str(text.get(offset + name.len()..)?);
    let index = safe_index(&copy, Vetted::Partly);
    let path = index.key_at(at)?;
    Some(locate::key(locate::parent(path), name))
}

fn describe(kind: Option<&NodeKind>) -> String {
    match kind {
        Some(NodeKind::Mapping) => "a mapping".to_owned(),
        Some(NodeKind::Sequence) => "a list".to_owned(),
        Some(NodeKind::Scalar(t)) if t.is_empty() => "an empty value".to_owned(),
        Some(NodeKind::Scalar(t)) => {
            let short: String = t.chars().take(40).collect();
            let more = if t.chars().count() > 40 { "..." } else { "" };
            format!("the text `{short}{more}`")
        }
        Some(NodeKind::Other) | None => "a value of another kind".to_owned(),
    }
}
