//! Turning a parser error into a located [`Problem`]: line and column from
//! the error or the field index, the field path, what was found and what
//! was expected (with a "did you mean" hint for a misspelt key or value).
//! The load pipeline (`mod.rs`) calls [`yaml_problem`] once serde refuses
//! the text.

use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::{Error as YamlError, MessageFormatter};

use super::{MAX_DEPTH, POLICY_SHAPE, Vetted, safe_index};
use crate::policy::Problem;
use crate::policy::locate::{self, Index, NodeKind, Pos};
use crate::policy::validate::{clip, hint, keys_of_kind};

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
pub(super) fn yaml_problem(err: &YamlError, text: &str) -> Problem {
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
