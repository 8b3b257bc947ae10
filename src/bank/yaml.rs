//! A YAML 1.2 loader that remembers where every node came from.
//!
//! Built on yaml-rust2's marked event parser: it produces a tree of [`Node`]s, each with its 1-based line and
//! column, resolves plain scalars with the YAML 1.2 *core* schema (so `yes`/`no` stay strings, quoted scalars are
//! always strings), expands aliases, converts to `serde_json::Value`, and maps a JSON path such as
//! `items[3].options[1].text` back to the best position in the file. JSON files go through the same parser: JSON
//! is YAML 1.2.

use serde_json::{Map, Number, Value};
use std::collections::HashMap;
use std::fmt;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// The most nodes a document may expand to through aliases (a guard against "billion laughs" files).
const MAX_NODES: usize = 1_000_000;

/// The YAML core schema's tag prefix (what `!!` stands for).
const CORE_TAG_PREFIX: &str = "tag:yaml.org,2002:";

/// A node of a loaded YAML document, with where it starts in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// True for a literal block scalar (`|`): line `i` of its text is line `line + i` of the file.
    pub literal_block: bool,
    pub value: NodeValue,
}

/// The content of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer above `i64::MAX` that still fits 64 bits.
    UInt(u64),
    Float(f64),
    String(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// One `key: value` pair of a mapping; keys are scalars, kept as the text that was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    /// 1-based line of the key.
    pub line: usize,
    /// 1-based column of the key.
    pub column: usize,
    pub value: Node,
}

/// A problem found while loading: a syntax error, or a construct the loader does not accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for YamlError {}

/// A loaded document: its root, and the problems that did not stop loading (duplicate keys, extra documents …).
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub root: Node,
    pub problems: Vec<YamlError>,
}

/// One step of a JSON path: a mapping key or a list index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSeg {
    Key(String),
    Index(usize),
}

/// Parses one YAML (or JSON) document.
///
/// A syntax error is returned as `Err` with its position. An empty document (or a file of comments) is a
/// `Null` root. Other problems (a duplicate key, a second document, an unsupported tag, a non-scalar key, an
/// alias that expands too much) are returned in [`Loaded::problems`] alongside the tree.
pub fn parse(text: &str) -> Result<Loaded, YamlError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, true).map_err(|e| YamlError {
        line: e.marker().line().max(1),
        column: e.marker().col() + 1,
        message: format!("syntax error: {}", e.info()),
    })?;
    let root = builder.root.unwrap_or(Node {
        line: 1,
        column: 1,
        literal_block: false,
        value: NodeValue::Null,
    });
    Ok(Loaded {
        root,
        problems: builder.problems,
    })
}

/// Parses a path as serde_path_to_error prints it (`items[3].options[1].text`, `answer.s1`).
///
/// A `?` segment (serde's "unknown") ends the path.
pub fn parse_path(path: &str) -> Vec<PathSeg> {
    let mut segs = Vec::new();
    if path == "." {
        return segs;
    }
    for part in path.split('.') {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if name == "?" {
            break;
        }
        if !name.is_empty() {
            segs.push(PathSeg::Key(name.to_owned()));
        }
        while let Some(stripped) = rest.strip_prefix('[') {
            let Some(end) = stripped.find(']') else { break };
            match stripped[..end].parse::<usize>() {
                Ok(i) => segs.push(PathSeg::Index(i)),
                Err(_) => return segs,
            }
            rest = &stripped[end + 1..];
        }
    }
    segs
}

/// Converts serde_path_to_error's path into segments.
pub fn path_segments(path: &serde_path_to_error::Path) -> Vec<PathSeg> {
    let mut segs = Vec::new();
    for seg in path.iter() {
        match seg {
            serde_path_to_error::Segment::Seq { index } => segs.push(PathSeg::Index(*index)),
            serde_path_to_error::Segment::Map { key } => segs.push(PathSeg::Key(key.clone())),
            serde_path_to_error::Segment::Enum { .. } => {}
            serde_path_to_error::Segment::Unknown => break,
        }
    }
    segs
}

/// Formats segments the way serde_path_to_error does (`options[1].text`).
pub fn format_path(segs: &[PathSeg]) -> String {
    let mut out = String::new();
    for seg in segs {
        match seg {
            PathSeg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            PathSeg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

impl Node {
    /// The value of `key` when this node is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The entry of `key` when this node is a mapping (the first one, if the key is duplicated).
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            NodeValue::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// The scalar string when this node is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The node's data as JSON. A duplicated key keeps its last value, as JSON parsers do; a float that JSON
    /// cannot hold (`.inf`, `.nan`) becomes `null`.
    pub fn to_json(&self) -> Value {
        match &self.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::Bool(*b),
            NodeValue::Int(i) => Value::Number(Number::from(*i)),
            NodeValue::UInt(u) => Value::Number(Number::from(*u)),
            NodeValue::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
            NodeValue::String(s) => Value::String(s.clone()),
            NodeValue::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeValue::Map(entries) => {
                let mut map = Map::new();
                for e in entries {
                    map.insert(e.key.clone(), e.value.to_json());
                }
                Value::Object(map)
            }
        }
    }

    /// The best (line, column) for a path below this node: the deepest node the path reaches; when the path's
    /// last step that could be followed is a mapping key, the key's own position (the line of the field).
    pub fn locate(&self, path: &[PathSeg]) -> (usize, usize) {
        let mut node = self;
        let mut pos = (self.line, self.column);
        for seg in path {
            match (seg, &node.value) {
                (PathSeg::Key(k), NodeValue::Map(_)) => match node.entry(k) {
                    Some(e) => {
                        pos = (e.line, e.column);
                        node = &e.value;
                    }
                    None => break,
                },
                (PathSeg::Index(i), NodeValue::Seq(items)) => match items.get(*i) {
                    Some(n) => {
                        pos = (n.line, n.column);
                        node = n;
                    }
                    None => break,
                },
                _ => break,
            }
        }
        pos
    }

    /// [`Node::locate`] for a path written as text (`items[3].options[1].text`).
    pub fn locate_str(&self, path: &str) -> (usize, usize) {
        self.locate(&parse_path(path))
    }

    /// The node at `path`, if the path exists.
    pub fn at(&self, path: &[PathSeg]) -> Option<&Node> {
        let mut node = self;
        for seg in path {
            node = match (seg, &node.value) {
                (PathSeg::Key(k), NodeValue::Map(_)) => node.get(k)?,
                (PathSeg::Index(i), NodeValue::Seq(items)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// The position of the character at byte `offset` of this string node's text: exact for literal blocks,
    /// the node's own position otherwise (folded and quoted scalars do not keep their line breaks).
    pub fn text_position(&self, offset: usize) -> (usize, usize) {
        let Some(text) = self.as_str() else {
            return (self.line, self.column);
        };
        if !self.literal_block || offset > text.len() || !text.is_char_boundary(offset) {
            return (self.line, self.column);
        }
        let before = &text[..offset];
        let line_index = before.matches('\n').count();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].chars().count();
        (self.line + line_index, self.column + col)
    }

    fn count(&self) -> usize {
        match &self.value {
            NodeValue::Seq(items) => 1 + items.iter().map(Node::count).sum::<usize>(),
            NodeValue::Map(entries) => 1 + entries.iter().map(|e| e.value.count()).sum::<usize>(),
            _ => 1,
        }
    }
}

/// Resolves a plain scalar with the YAML 1.2 core schema.
fn resolve_plain(s: &str) -> NodeValue {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return NodeValue::Null,
        "true" | "True" | "TRUE" => return NodeValue::Bool(true),
        "false" | "False" | "FALSE" => return NodeValue::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return NodeValue::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return NodeValue::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return NodeValue::Float(f64::NAN),
        _ => {}
    }
    if let Some(int) = resolve_int(s) {
        return int;
    }
    if is_core_float(s) {
        if let Ok(f) = s.parse::<f64>() {
            return NodeValue::Float(f);
        }
    }
    NodeValue::String(s.to_owned())
}

fn resolve_int(s: &str) -> Option<NodeValue> {
    if let Some(oct) = s.strip_prefix("0o") {
        if !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            return i64::from_str_radix(oct, 8).ok().map(NodeValue::Int);
        }
        return None;
    }
    if let Some(hex) = s.strip_prefix("0x") {
        if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return i64::from_str_radix(hex, 16).ok().map(NodeValue::Int);
        }
        return None;
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Ok(i) = s.parse::<i64>() {
        return Some(NodeValue::Int(i));
    }
    if let Ok(u) = digits.parse::<u64>() {
        if !s.starts_with('-') {
            return Some(NodeValue::UInt(u));
        }
    }
    // Too big for 64 bits: a float, as JSON parsers read it.
    s.parse::<f64>().ok().map(NodeValue::Float)
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn is_core_float(s: &str) -> bool {
    let b = s.strip_prefix(['-', '+']).unwrap_or(s).as_bytes();
    let mut i = 0;
    let int_digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    i += int_digits;
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        i += frac_digits;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let exp_digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if exp_digits == 0 {
            return false;
        }
        i += exp_digits;
    }
    i == b.len()
}

/// Resolves a scalar that carries an explicit core tag (`!!str 12`, `!!int "3"`).
fn resolve_tagged(s: &str, suffix: &str) -> Result<NodeValue, String> {
    let plain = resolve_plain(s);
    match suffix {
        "str" => Ok(NodeValue::String(s.to_owned())),
        "null" if plain == NodeValue::Null => Ok(plain),
        "bool" if matches!(plain, NodeValue::Bool(_)) => Ok(plain),
        "int" if matches!(plain, NodeValue::Int(_) | NodeValue::UInt(_)) => Ok(plain),
        "float" => match plain {
            NodeValue::Float(_) => Ok(plain),
            NodeValue::Int(i) => Ok(NodeValue::Float(i as f64)),
            NodeValue::UInt(u) => Ok(NodeValue::Float(u as f64)),
            _ => Err(format!("`{s}` is not a valid !!float")),
        },
        "null" | "bool" | "int" => Err(format!("`{s}` is not a valid !!{suffix}")),
        other => Err(format!("unsupported tag `!!{other}` on a scalar")),
    }
}

enum Frame {
    Seq {
        start: Marker,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: Marker,
        anchor: usize,
        entries: Vec<Entry>,
        key: Option<(String, usize, usize)>,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Node>,
    anchors: HashMap<usize, Node>,
    problems: Vec<YamlError>,
    documents: usize,
    nodes: usize,
}

fn problem(mark: Marker, message: impl Into<String>) -> YamlError {
    YamlError {
        line: mark.line().max(1),
        column: mark.col() + 1,
        message: message.into(),
    }
}

fn node_at(mark: Marker, value: NodeValue) -> Node {
    Node {
        line: mark.line().max(1),
        column: mark.col() + 1,
        literal_block: false,
        value,
    }
}

impl Builder {
    fn ignoring(&self) -> bool {
        self.documents > 1
    }

    /// Where a finished node goes: into its parent, or as the document's root.
    fn insert(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => {
                    // A collection or an alias used as a key.
                    let mark_line = node.line;
                    let mark_col = node.column;
                    self.problems.push(YamlError {
                        line: mark_line,
                        column: mark_col,
                        message: "a mapping key must be a scalar".to_owned(),
                    });
                    *key = Some((String::new(), mark_line, mark_col));
                }
                Some((k, line, column)) => {
                    if let Some(first) = entries.iter().find(|e| e.key == k) {
                        self.problems.push(YamlError {
                            line,
                            column,
                            message: format!("duplicate key `{k}` (first at line {})", first.line),
                        });
                    }
                    entries.push(Entry {
                        key: k,
                        line,
                        column,
                        value: node,
                    });
                }
            },
        }
    }

    /// A scalar in key position becomes the pending key; returns false when it is a value.
    fn take_as_key(&mut self, text: &str, mark: Marker) -> bool {
        if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
            if key.is_none() {
                *key = Some((text.to_owned(), mark.line().max(1), mark.col() + 1));
                return true;
            }
        }
        false
    }

    fn on_scalar(
        &mut self,
        text: String,
        style: TScalarStyle,
        anchor: usize,
        tag: Option<yaml_rust2::parser::Tag>,
        mark: Marker,
    ) {
        if anchor == 0 && self.take_as_key(&text, mark) {
            return;
        }
        let value = match (&tag, style) {
            (Some(t), _) if t.handle == CORE_TAG_PREFIX => match resolve_tagged(&text, &t.suffix) {
                Ok(v) => v,
                Err(message) => {
                    self.problems.push(problem(mark, message));
                    NodeValue::String(text.clone())
                }
            },
            // The non-specific tag `!` makes a plain scalar a string.
            (Some(t), _) if t.handle.is_empty() && t.suffix == "!" => {
                NodeValue::String(text.clone())
            }
            (Some(t), _) => {
                self.problems.push(problem(
                    mark,
                    format!("unsupported tag `{}{}`", t.handle, t.suffix),
                ));
                NodeValue::String(text.clone())
            }
            (None, TScalarStyle::Plain) => resolve_plain(&text),
            (None, _) => NodeValue::String(text.clone()),
        };
        let mut node = node_at(mark, value);
        node.literal_block = style == TScalarStyle::Literal;
        self.nodes += 1;
        if anchor != 0 && self.take_as_key(&text, mark) {
            self.anchors.insert(anchor, node);
            return;
        }
        self.insert(node, anchor);
    }

    fn on_alias(&mut self, id: usize, mark: Marker) {
        let node = match self.anchors.get(&id) {
            Some(n) => {
                let size = n.count();
                if self.nodes + size > MAX_NODES {
                    self.problems
                        .push(problem(mark, "aliases expand to too many nodes"));
                    node_at(mark, NodeValue::Null)
                } else {
                    self.nodes += size;
                    let mut copy = n.clone();
                    copy.line = mark.line().max(1);
                    copy.column = mark.col() + 1;
                    copy
                }
            }
            None => {
                self.problems
                    .push(problem(mark, "alias to an unknown anchor"));
                node_at(mark, NodeValue::Null)
            }
        };
        if let Some(text) = node.as_str().map(str::to_owned) {
            if self.take_as_key(&text, mark) {
                return;
            }
        }
        self.insert(node, 0);
    }

    fn check_collection_tag(
        &mut self,
        tag: Option<&yaml_rust2::parser::Tag>,
        expected: &str,
        mark: Marker,
    ) {
        if let Some(t) = tag {
            if !(t.handle == CORE_TAG_PREFIX && t.suffix == expected) {
                self.problems.push(problem(
                    mark,
                    format!("unsupported tag `{}{}`", t.handle, t.suffix),
                ));
            }
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if let Event::DocumentStart = ev {
            self.documents += 1;
            if self.documents == 2 {
                self.problems.push(problem(
                    mark,
                    "a file holds one YAML document; this second one is ignored",
                ));
            }
            return;
        }
        if self.ignoring() {
            return;
        }
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                self.on_scalar(text, style, anchor, tag, mark)
            }
            Event::Alias(id) => self.on_alias(id, mark),
            Event::SequenceStart(anchor, tag) => {
                self.check_collection_tag(tag.as_ref(), "seq", mark);
                self.stack.push(Frame::Seq {
                    start: mark,
                    anchor,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(anchor, tag) => {
                self.check_collection_tag(tag.as_ref(), "map", mark);
                self.stack.push(Frame::Map {
                    start: mark,
                    anchor,
                    entries: Vec::new(),
                    key: None,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Seq {
                        start,
                        anchor,
                        items,
                    }) => {
                        self.nodes += 1;
                        (node_at(start, NodeValue::Seq(items)), anchor)
                    }
                    Some(Frame::Map {
                        start,
                        anchor,
                        entries,
                        ..
                    }) => {
                        self.nodes += 1;
                        // A block mapping's start mark is unreliable; its first key is where it begins.
                        let mut node = node_at(start, NodeValue::Map(Vec::new()));
                        if let Some(first) = entries.first() {
                            node.line = first.line;
                            node.column = first.column;
                        }
                        node.value = NodeValue::Map(entries);
                        (node, anchor)
                    }
                    None => return,
                };
                // A collection in key position: report it, and drop the entry it would have keyed.
                if let Some(Frame::Map { key: None, .. }) = self.stack.last() {
                    self.problems.push(YamlError {
                        line: node.line,
                        column: node.column,
                        message: "a mapping key must be a scalar".to_owned(),
                    });
                    if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
                        *key = Some((String::new(), node.line, node.column));
                    }
                    return;
                }
                self.insert(node, anchor);
            }
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentEnd
            | Event::DocumentStart => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn json(text: &str) -> Value {
        parse(text).expect("parses").root.to_json()
    }

    #[test]
    fn core_schema_keeps_yes_and_no_as_strings() {
        let v = json("a: yes\nb: no\nc: true\nd: FALSE\ne: ~\nf: on\n");
        assert_eq!(
            v,
            serde_json::json!({"a": "yes", "b": "no", "c": true, "d": false, "e": null, "f": "on"})
        );
    }

    #[test]
    fn numbers_resolve_and_quoted_scalars_stay_strings() {
        let v = json("a: 12\nb: -3\nc: 1.5\nd: \"12\"\ne: '1.5'\nf: 0x1F\ng: 0o17\nh: 1e3\ni: 1.2.3\nj: 18446744073709551615\n");
        assert_eq!(
            v,
            serde_json::json!({"a": 12, "b": -3, "c": 1.5, "d": "12", "e": "1.5", "f": 31, "g": 15, "h": 1000.0,
                "i": "1.2.3", "j": 18446744073709551615u64})
        );
    }

    #[test]
    fn explicit_core_tags_override_resolution() {
        let v = json("a: !!str 12\nb: !!float 3\n");
        assert_eq!(v, serde_json::json!({"a": "12", "b": 3.0}));
        let loaded = parse("a: !!int x\n").expect("parses");
        assert_eq!(loaded.problems.len(), 1);
        assert!(loaded.problems[0].message.contains("!!int"));
    }

    #[test]
    fn nodes_carry_one_based_lines_and_columns() {
        let loaded =
            parse("items:\n  - id: a\n    options:\n      - { id: x, text: y }\n").expect("parses");
        let root = &loaded.root;
        assert_eq!(root.locate_str("items"), (1, 1));
        assert_eq!(root.locate_str("items[0]"), (2, 5));
        assert_eq!(root.locate_str("items[0].id"), (2, 5));
        assert_eq!(root.locate_str("items[0].options"), (3, 5));
        assert_eq!(root.locate_str("items[0].options[0].text"), (4, 18));
    }

    #[test]
    fn locate_stops_at_the_deepest_existing_node() {
        let loaded = parse("items:\n  - id: a\n    stem: b\n").expect("parses");
        assert_eq!(loaded.root.locate_str("items[0].answer"), (2, 5));
        assert_eq!(loaded.root.locate_str("items[7].answer"), (1, 1));
        assert_eq!(loaded.root.locate_str("items[0].?"), (2, 5));
    }

    #[test]
    fn parse_path_reads_serde_path_to_error_paths() {
        assert_eq!(
            parse_path("items[3].options[1].text"),
            vec![
                PathSeg::Key("items".into()),
                PathSeg::Index(3),
                PathSeg::Key("options".into()),
                PathSeg::Index(1),
                PathSeg::Key("text".into())
            ]
        );
        assert_eq!(parse_path("."), vec![]);
        assert_eq!(format_path(&parse_path("a[0][1].b")), "a[0][1].b");
    }

    #[test]
    fn a_syntax_error_is_one_error_with_its_position() {
        let err = parse("a: [1, 2\nb: 3\n").expect_err("fails");
        assert_eq!(err.line, 2);
        assert!(err.message.starts_with("syntax error"));
    }

    #[test]
    fn duplicate_keys_are_reported_and_the_last_value_wins() {
        let loaded = parse("a: 1\nb: 2\na: 3\n").expect("parses");
        assert_eq!(loaded.problems.len(), 1);
        assert_eq!((loaded.problems[0].line, loaded.problems[0].column), (3, 1));
        assert_eq!(loaded.root.to_json(), serde_json::json!({"a": 3, "b": 2}));
    }

    #[test]
    fn aliases_expand_to_a_copy_of_their_anchor() {
        let loaded = parse("base: &b { x: 1 }\ncopy: *b\nk: &s key\n*s : v\n").expect("parses");
        assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
        assert_eq!(
            loaded.root.to_json(),
            serde_json::json!({"base": {"x": 1}, "copy": {"x": 1}, "k": "key", "key": "v"})
        );
    }

    #[test]
    fn a_second_document_is_reported() {
        let loaded = parse("a: 1\n---\nb: 2\n").expect("parses");
        assert_eq!(loaded.problems.len(), 1);
        assert_eq!(loaded.root.to_json(), serde_json::json!({"a": 1}));
    }

    #[test]
    fn an_empty_file_is_null() {
        assert_eq!(json(""), Value::Null);
        assert_eq!(json("# only a comment\n"), Value::Null);
    }

    #[test]
    fn a_collection_as_key_is_reported() {
        let loaded = parse("? [a, b]\n: c\nd: e\n").expect("parses");
        assert_eq!(loaded.problems.len(), 1);
        assert_eq!(loaded.root.get("d").and_then(Node::as_str), Some("e"));
    }

    #[test]
    fn literal_block_text_positions_map_to_file_lines() {
        let loaded = parse("t: |\n  first\n  second [[x]]\n").expect("parses");
        let t = loaded.root.get("t").expect("t");
        let offset = t
            .as_str()
            .and_then(|s| s.find("[[x]]"))
            .expect("placeholder");
        assert_eq!(t.text_position(offset), (3, 10));
    }

    #[test]
    fn compact_json_parses() {
        assert_eq!(
            json("{\"a\":1,\"b\":[true,null,\"x\\u00e9\"],\"c\":{\"d\":-2.5}}"),
            serde_json::json!({"a": 1, "b": [true, null, "xé"], "c": {"d": -2.5}})
        );
    }

    fn values_match(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
                match (x.as_f64(), y.as_f64()) {
                    (Some(x), Some(y)) => {
                        x == y
                            || (
                                // serde_json (without `float_roundtrip`) may be a few ulps off; the loader uses Rust's exact parse.
                                (x - y).abs() <= 1e-12 * x.abs().max(y.abs())
                            )
                    }
                    _ => false,
                }
            }
            (Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(x, y)| values_match(x, y))
            }
            (Value::Object(x), Value::Object(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .all(|(k, v)| y.get(k).is_some_and(|w| values_match(v, w)))
            }
            _ => a == b,
        }
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|i| Value::Number(i.into())),
            any::<u64>().prop_map(|u| Value::Number(u.into())),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
            any::<String>().prop_map(Value::String),
            "[a-z :#&*!|>'\"{}\\[\\],-]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map("[a-zA-Z0-9 _:#-]{0,8}|\\PC{0,6}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        // Failures are not persisted: the crate root is not this module's to write to.
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn the_loader_reads_json_as_serde_json_does(doc in arb_json()) {
            for text in [
                serde_json::to_string(&doc).expect("serialises"),
                serde_json::to_string_pretty(&doc).expect("serialises"),
            ] {
                let expected: Value = serde_json::from_str(&text).expect("serde_json parses its own output");
                let loaded = parse(&text).map_err(|e| TestCaseError::fail(format!("{e} in {text}")))?;
                prop_assert!(loaded.problems.is_empty(), "{:?} in {}", loaded.problems, text);
                let got = loaded.root.to_json();
                prop_assert!(values_match(&got, &expected), "{} != {} for {}", got, expected, text);
            }
        }
    }
}
