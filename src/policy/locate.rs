//! Where each field of a policy file is written: field path ↔ line and
//! column. Built once per file from the YAML text; never fails (an index of
//! text that does not parse is empty, and lookups then return `None`).
//!
//! Paths look like `resources[1].instance_class.ladder[2]`. Mapping keys that
//! are not plain words (letters, digits, `_`, `-`) are quoted:
//! `resources[0].tags["app.kubernetes.io/name"]`. Use [`key`] and [`item`] to
//! build paths that match the index.

use std::collections::HashMap;

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
}

impl Pos {
    fn from_marker(m: saphyr::Marker) -> Pos {
        Pos {
            line: m.line(),
            column: m.col() + 1,
        }
    }
}

/// What kind of node a path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    /// A mapping.
    Mapping,
    /// A sequence.
    Sequence,
    /// A scalar, with its text as written (after YAML unquoting).
    Scalar(String),
    /// Anything else (null, alias, bad value).
    Other,
}

/// One located node.
#[derive(Debug, Clone)]
struct Entry {
    path: String,
    depth: usize,
    /// Where the key starts, for mapping entries.
    key: Option<(Pos, Pos)>,
    /// The value's span (end exclusive).
    start: Pos,
    end: Pos,
    kind: NodeKind,
    /// The value's span as character offsets into the text.
    chars: (usize, usize),
    /// Keys of a mapping node, in file order, with their positions.
    children: Vec<(String, Pos)>,
}

/// Field paths and their positions in one YAML text.
#[derive(Debug, Clone, Default)]
pub struct Index {
    entries: Vec<Entry>,
    /// Entry of each path (the first, should a quoted key collide).
    by_path: HashMap<String, usize>,
}

/// The path of key `name` under `parent` (`""` for the document root).
pub fn key(parent: &str, name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (parent.is_empty(), plain) {
        (true, true) => name.to_owned(),
        (false, true) => format!("{parent}.{name}"),
        (_, false) => format!("{parent}[{name:?}]"),
    }
}

/// The path of item `i` of the sequence at `parent`.
pub fn item(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

/// The parent of a path (`a.b[2]` → `a.b`, `a.b` → `a`, `a` → ``).
pub fn parent(path: &str) -> &str {
    let bytes = path.as_bytes();
    // `["quoted.key"]` may contain dots itself; rfind of `[` is still the
    // bracket that opens the last segment unless the quoted key contains `[`
    // (rare enough to accept).
    if bytes.last() == Some(&b']')
        && let Some(open) = path.rfind('[')
    {
        return &path[..open];
    }
    match path.rfind('.') {
        Some(dot) => &path[..dot],
        None => "",
    }
}

impl Index {
    /// Index `text`. Text that does not parse as YAML gives an empty index.
    pub fn build(text: &str) -> Index {
        let mut index = Index::default();
        let Ok(docs) = MarkedYaml::load_from_str(text) else {
            return index;
        };
        if let Some(root) = docs.first() {
            index.visit(root, String::new(), 0, None);
        }
        for (i, e) in index.entries.iter().enumerate() {
            index.by_path.entry(e.path.clone()).or_insert(i);
        }
        index
    }

    /// An index with no entries (every lookup returns `None`).
    pub fn empty() -> Index {
        Index::default()
    }

    /// True when nothing is indexed.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn visit(
        &mut self,
        node: &MarkedYaml<'_>,
        path: String,
        depth: usize,
        key: Option<(Pos, Pos)>,
    ) {
        let start = Pos::from_marker(node.span.start);
        let end = Pos::from_marker(node.span.end);
        let slot = self.entries.len();
        self.entries.push(Entry {
            path: path.clone(),
            depth,
            key,
            start,
            end,
            kind: NodeKind::Other,
            chars: (node.span.start.index(), node.span.end.index()),
            children: Vec::new(),
        });
        let kind = match &node.data {
            YamlData::Mapping(map) => {
                let mut children = Vec::with_capacity(map.len());
                for (k, v) in map.iter() {
                    let name = scalar_text(k).unwrap_or_else(|| "?".to_owned());
                    let kpos = (Pos::from_marker(k.span.start), Pos::from_marker(k.span.end));
                    children.push((name.clone(), kpos.0));
                    self.visit(v, self::key(&path, &name), depth + 1, Some(kpos));
                }
                if let Some(e) = self.entries.get_mut(slot) {
                    e.children = children;
                }
                NodeKind::Mapping
            }
            YamlData::Sequence(items) => {
                for (i, v) in items.iter().enumerate() {
                    self.visit(v, item(&path, i), depth + 1, None);
                }
                NodeKind::Sequence
            }
            YamlData::Tagged(_, inner) => {
                // Index the tagged node's content under the same path.
                self.entries.truncate(slot);
                self.visit(inner, path, depth, key);
                return;
            }
            _ => match scalar_text(node) {
                Some(t) => NodeKind::Scalar(t),
                None => NodeKind::Other,
            },
        };
        if let Some(e) = self.entries.get_mut(slot) {
            e.kind = kind;
        }
    }

    fn entry(&self, path: &str) -> Option<&Entry> {
        self.by_path.get(path).and_then(|i| self.entries.get(*i))
    }

    /// Where `path` is written: its key for a mapping entry, the item itself
    /// for a sequence item, the first key for the document.
    pub fn position(&self, path: &str) -> Option<Pos> {
        let e = self.entry(path)?;
        Some(e.key.map_or(e.start, |k| k.0))
    }

    /// Where the value of `path` starts.
    #[cfg(test)]
    pub fn value_position(&self, path: &str) -> Option<Pos> {
        self.entry(path).map(|e| e.start)
    }

    /// [`Self::position`] of `path`, or of its nearest ancestor that is
    /// written (a missing field is reported where its parent is).
    pub fn nearest_position(&self, path: &str) -> Option<Pos> {
        let mut p = path;
        loop {
            if let Some(pos) = self.position(p) {
                return Some(pos);
            }
            if p.is_empty() {
                return None;
            }
            p = parent(p);
        }
    }

    /// The scalar at `path` exactly as written in `text` (the text the index
    /// was built from), e.g. `1.0` where the parsed value reads `1`. (For
    /// collections the span stops before the closing bracket.)
    pub fn source(&self, path: &str, text: &str) -> Option<String> {
        let (start, end) = self.entry(path)?.chars;
        let s: String = text
            .chars()
            .skip(start)
            .take(end.saturating_sub(start))
            .collect();
        (!s.is_empty()).then_some(s)
    }

    /// The kind of node written at `path`.
    pub fn kind(&self, path: &str) -> Option<&NodeKind> {
        self.entry(path).map(|e| &e.kind)
    }

    /// Keys of the mapping at `path`, in file order, with their positions.
    pub fn keys(&self, path: &str) -> &[(String, Pos)] {
        self.entry(path).map_or(&[], |e| e.children.as_slice())
    }

    /// The deepest path whose key or value contains `pos`.
    pub fn path_at(&self, pos: Pos) -> Option<&str> {
        let mut best: Option<&Entry> = None;
        for e in &self.entries {
            let in_key = e
                .key
                .is_some_and(|(s, end)| s <= pos && pos < end.max(next(s)));
            let in_value = e.start <= pos && pos < e.end.max(next(e.start));
            if (in_key || in_value) && best.is_none_or(|b| e.depth > b.depth) {
                best = Some(e);
            }
        }
        best.map(|e| e.path.as_str())
    }

    /// The path whose key starts exactly at `pos`, if any.
    pub fn key_at(&self, pos: Pos) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| e.key.is_some_and(|(s, _)| s == pos))
            .map(|e| e.path.as_str())
    }
}

/// The position just after `p` on the same line (so empty spans still
/// contain their start).
fn next(p: Pos) -> Pos {
    Pos {
        line: p.line,
        column: p.column + 1,
    }
}

fn scalar_text(node: &MarkedYaml<'_>) -> Option<String> {
    match &node.data {
        YamlData::Value(s) => Some(match s {
            Scalar::Null => String::new(),
            Scalar::Boolean(b) => b.to_string(),
            Scalar::Integer(i) => i.to_string(),
            Scalar::FloatingPoint(f) => f.to_string(),
            Scalar::String(s) => s.to_string(),
        }),
        YamlData::Representation(s, _, _) => Some(s.to_string()),
        YamlData::Tagged(_, inner) => scalar_text(inner),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
version: 1
guardrails:
  max_actions_per_hour: 4
resources:
  - id: a
    ladder: [x, y, z]
    tags: { app.name: web }
  - id: b
";

    fn pos(line: usize, column: usize) -> Pos {
        Pos { line, column }
    }

    #[test]
    fn paths_map_to_key_positions() {
        let ix = Index::build(TEXT);
        assert_eq!(ix.position("version"), Some(pos(1, 1)));
        assert_eq!(
            ix.position("guardrails.max_actions_per_hour"),
            Some(pos(3, 3))
        );
        assert_eq!(ix.position("resources[0]"), Some(pos(5, 5)));
        assert_eq!(ix.position("resources[0].ladder[2]"), Some(pos(6, 20)));
        assert_eq!(ix.position("resources[1].id"), Some(pos(8, 5)));
        assert_eq!(
            ix.position("resources[0].tags[\"app.name\"]"),
            Some(pos(7, 13))
        );
        assert_eq!(
            ix.value_position("guardrails.max_actions_per_hour"),
            Some(pos(3, 25))
        );
        let tag = ix.source("resources[0].tags[\"app.name\"]", TEXT);
        assert_eq!(tag.as_deref(), Some("web"));
        let rung = ix.source("resources[0].ladder[1]", TEXT);
        assert_eq!(rung.as_deref(), Some("y"));
    }

    #[test]
    fn positions_map_back_to_the_deepest_path() {
        let ix = Index::build(TEXT);
        assert_eq!(ix.path_at(pos(6, 20)), Some("resources[0].ladder[2]"));
        assert_eq!(
            ix.path_at(pos(3, 25)),
            Some("guardrails.max_actions_per_hour")
        );
        assert_eq!(ix.path_at(pos(8, 5)), Some("resources[1].id"));
        assert_eq!(ix.key_at(pos(1, 1)), Some("version"));
        assert_eq!(ix.key_at(pos(1, 2)), None);
    }

    #[test]
    fn missing_paths_fall_back_to_the_nearest_ancestor() {
        let ix = Index::build(TEXT);
        assert_eq!(ix.nearest_position("resources[1].engine"), Some(pos(8, 5)));
        assert_eq!(ix.position("resources[1].engine"), None);
        let keys: Vec<_> = ix
            .keys("resources[0]")
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(keys, ["id", "ladder", "tags"]);
    }

    #[test]
    fn path_helpers() {
        assert_eq!(key("", "a"), "a");
        assert_eq!(key("a", "b-c_1"), "a.b-c_1");
        assert_eq!(key("a", "x.y"), "a[\"x.y\"]");
        assert_eq!(item("a", 3), "a[3]");
        assert_eq!(parent("a.b[2]"), "a.b");
        assert_eq!(parent("a.b"), "a");
        assert_eq!(parent("a"), "");
    }

    #[test]
    fn bad_yaml_gives_an_empty_index() {
        let ix = Index::build("a: [1, 2");
        assert!(ix.is_empty());
        assert_eq!(ix.path_at(pos(1, 1)), None);
    }
}
