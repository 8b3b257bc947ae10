//! The currency check: every use of a lexicon term (`bank::lexicon`) in an item's text, as a warning with its
//! position in the file. Pure.
//!
//! The texts read are the stem, options, statements, steps, choices, slot labels and options, a hot area's prose
//! template, a case study's title, stem and documents, and the explanation. An item's `mentions: [id]` silences
//! that term in its stem, distractors and explanation, never in its keyed answer (the text of the correct
//! options, the steps of the order, the choices a match uses, the option each hot-area slot keys, the statements
//! answered *yes*): a term there is always reported. A case study's `mentions` cover its questions too.

use super::check::Problem;
use super::lexicon::{find_terms, match_at, Found, Lexicon, Term, TermKind, TextKind};
use super::model::{Body, Item, Question, YesNo};
use super::yaml::{self, Node, NodeValue, PathSeg};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::Range;

/// A use of a lexicon term in an item's text. Warnings do not block an import (`bank check --strict` makes them
/// errors).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// The file, when the item was read from one (empty for items given without their files).
    pub file: String,
    /// 1-based line (0 when not known).
    pub line: usize,
    /// 1-based column (0 when not known).
    pub column: usize,
    /// The item (or case-study question) whose text it is.
    pub item: Option<String>,
    /// Where in the item (`options[1].text`).
    pub field: String,
    /// The lexicon term's id.
    pub term: String,
    /// True when the term is in the keyed answer (never silenced by `mentions`).
    pub in_key: bool,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.file.is_empty() {
            write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        }
        if let Some(item) = &self.item {
            write!(f, "[{item}] ")?;
        }
        f.write_str(&self.message)
    }
}

/// A text of an item that the check reads.
#[derive(Debug, Clone)]
pub struct TextField<'a> {
    /// The item or case-study question the text belongs to.
    pub item: &'a str,
    /// The path below the entry of `items:` (`questions[1].options[0].text`).
    pub path: Vec<PathSeg>,
    pub text: &'a str,
    /// Part of the keyed answer.
    pub keyed: bool,
    /// The terms the item (and, for a case-study question, its case study) declares.
    pub mentions: Vec<&'a str>,
    /// Prose, or a template written in a programming language (where only model names are read).
    pub kind: TextKind,
}

fn key(name: &str) -> PathSeg {
    PathSeg::Key(name.to_owned())
}

fn ix(i: usize) -> PathSeg {
    PathSeg::Index(i)
}

fn question_texts<'a>(
    q: &'a Question,
    base: &[PathSeg],
    inherited: &[&'a str],
    out: &mut Vec<TextField<'a>>,
) {
    let id = q.common.id.as_str();
    let mut mentions: Vec<&str> = inherited.to_vec();
    mentions.extend(q.common.mentions.iter().map(String::as_str));
    // A hot-area template written in a programming language is code: only model names are read in it.
    let code_template = matches!(
        &q.body,
        Body::HotArea {
            template_language: Some(_),
            ..
        }
    );
    let mut push = |path: &[PathSeg], text: &'a str, keyed: bool| {
        let kind = if code_template && path == [key("template")] {
            TextKind::Code
        } else {
            TextKind::Prose
        };
        let mut full = base.to_vec();
        full.extend_from_slice(path);
        out.push(TextField {
            item: id,
            path: full,
            text,
            keyed,
            mentions: mentions.clone(),
            kind,
        });
    };
    push(&[key("stem")], &q.common.stem, false);
    match &q.body {
        Body::Single { options, answer } => {
            for (i, o) in options.iter().enumerate() {
                push(
                    &[key("options"), ix(i), key("text")],
                    &o.text,
                    &o.id == answer,
                );
            }
        }
        Body::Multiple {
            options, answer, ..
        } => {
            for (i, o) in options.iter().enumerate() {
                push(
                    &[key("options"), ix(i), key("text")],
                    &o.text,
                    answer.contains(&o.id),
                );
            }
        }
        Body::YesNoSeries { statements } => {
            for (i, s) in statements.iter().enumerate() {
                push(
                    &[key("statements"), ix(i), key("text")],
                    &s.text,
                    s.answer == YesNo::Yes,
                );
            }
        }
        Body::Order { steps, answer } => {
            for (i, s) in steps.iter().enumerate() {
                push(
                    &[key("steps"), ix(i), key("text")],
                    &s.text,
                    answer.contains(&s.id),
                );
            }
        }
        Body::Match {
            choices,
            slots,
            answer,
            ..
        } => {
            for (i, c) in choices.iter().enumerate() {
                push(
                    &[key("choices"), ix(i), key("text")],
                    &c.text,
                    answer.values().any(|a| a == &c.id),
                );
            }
            for (i, s) in slots.iter().enumerate() {
                push(&[key("slots"), ix(i), key("text")], &s.text, false);
            }
        }
        Body::HotArea {
            template, slots, ..
        } => {
            push(&[key("template")], template, false);
            for (i, s) in slots.iter().enumerate() {
                for (j, o) in s.options.iter().enumerate() {
                    push(
                        &[key("slots"), ix(i), key("options"), ix(j), key("text")],
                        &o.text,
                        o.id == s.answer,
                    );
                }
            }
        }
    }
    push(&[key("explanation")], &q.common.explanation, false);
}

/// Every text of an entry of `items:` the currency check reads, with its path and whether it is keyed. A hot-area
/// template written in a programming language (`template_language`) is code, where only model names are read.
pub fn item_texts(item: &Item) -> Vec<TextField<'_>> {
    let mut out = Vec::new();
    match item.case_study() {
        Some(c) => {
            let mentions: Vec<&str> = c.mentions.iter().map(String::as_str).collect();
            let mut own = |path: Vec<PathSeg>, text| {
                out.push(TextField {
                    item: &c.id,
                    path,
                    text,
                    keyed: false,
                    mentions: mentions.clone(),
                    kind: TextKind::Prose,
                });
            };
            own(vec![key("title")], c.title.as_str());
            own(vec![key("stem")], c.stem.as_str());
            for (i, d) in c.documents.iter().enumerate() {
                own(
                    vec![key("documents"), ix(i), key("title")],
                    d.title.as_str(),
                );
                own(vec![key("documents"), ix(i), key("body")], d.body.as_str());
            }
            for (i, q) in c.questions.iter().enumerate() {
                question_texts(q, &[key("questions"), ix(i)], &mentions, &mut out);
            }
        }
        None => {
            if let Item::Question(q) = item {
                question_texts(q, &[], &[], &mut out);
            }
        }
    }
    out
}

fn describe(term: &Term) -> String {
    match (&term.date, term.kind) {
        (Some(d), TermKind::Retired) => format!("retired on {d}"),
        (Some(d), TermKind::Deprecated) => format!("deprecated, retiring on {d}"),
        (Some(d), TermKind::Renamed) => format!("renamed in {d}"),
        (None, kind) => kind.as_str().to_owned(),
    }
}

fn message(term: &Term, written: &str, keyed: bool) -> String {
    let what = describe(term);
    if keyed {
        let never = match term.kind {
            TermKind::Retired => "a retired service is never the right answer",
            TermKind::Deprecated => "a deprecated service is never the right answer",
            TermKind::Renamed => "an old name is never the right answer",
        };
        format!(
            "`{written}` ({what}) is in the keyed answer: {never}; use {} (a `mentions` declaration does not cover the key)",
            term.replacement
        )
    } else {
        format!(
            "`{written}` is {what}: use {} (or declare `mentions: [{}]` if the item names it on purpose)",
            term.replacement, term.id
        )
    }
}

/// Scans one entry of `items:`: the uses not silenced by its `mentions`, as (field, use) pairs.
fn scan<'a>(item: &'a Item, lexicon: &Lexicon) -> Vec<(TextField<'a>, Found)> {
    let mut out = Vec::new();
    for field in item_texts(item) {
        for found in find_terms(field.text, lexicon, field.kind) {
            let id = lexicon.terms[found.term].id.as_str();
            if !field.keyed && field.mentions.contains(&id) {
                continue;
            }
            out.push((field.clone(), found));
        }
    }
    out
}

fn warning(field: &TextField<'_>, found: &Found, lexicon: &Lexicon) -> Warning {
    let term = &lexicon.terms[found.term];
    Warning {
        file: String::new(),
        line: 0,
        column: 0,
        item: Some(field.item.to_owned()),
        field: yaml::format_path(&field.path),
        term: term.id.clone(),
        in_key: field.keyed,
        // Written as in the text, but on one line (a use may be broken across lines).
        message: message(
            term,
            &field.text[found.range.clone()]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            field.keyed,
        ),
    }
}

/// The currency warnings of items given without their files (an uploaded pack): positions are not known, `field`
/// says where in the item each use is.
pub fn currency_warnings(items: &[Item], lexicon: &Lexicon) -> Vec<Warning> {
    items
        .iter()
        .flat_map(|item| {
            scan(item, lexicon)
                .into_iter()
                .map(|(field, found)| warning(&field, &found, lexicon))
        })
        .collect()
}

/// The line starts of a file, to turn byte offsets into lines and columns (and back) without rescanning it.
struct SourceIndex<'a> {
    source: &'a str,
    starts: Vec<usize>,
}

impl<'a> SourceIndex<'a> {
    fn new(source: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceIndex { source, starts }
    }

    /// The byte offset of (1-based) `line` and `column` (in characters).
    fn offset(&self, line: usize, column: usize) -> Option<usize> {
        let start = *self.starts.get(line.checked_sub(1)?)?;
        let end = self.starts.get(line).copied().unwrap_or(self.source.len());
        let text = &self.source[start..end];
        Some(
            text.char_indices()
                .nth(column.saturating_sub(1))
                .map_or(end, |(i, _)| start + i),
        )
    }

    /// The 1-based line and column (in characters) of a byte offset.
    fn line_column(&self, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|s| *s <= offset).max(1);
        let start = self.starts[line - 1];
        (line, self.source[start..offset].chars().count() + 1)
    }
}

/// Where `written` matches in `s` (as [`match_at`] reads it), in order.
fn starts_in(s: &str, written: &str) -> Vec<usize> {
    s.char_indices()
        .filter(|(i, _)| match_at(s, *i, written).is_some())
        .map(|(i, _)| i)
        .collect()
}

/// Where each use (`uses`, ranges of the node's text) is in the file. Literal blocks keep their lines, so the
/// loader knows; for other scalars (plain, quoted, folded), the same words are searched in the file from where
/// the node starts (white space may differ, as folding changes it): the k-th copy in the text is the k-th in
/// the file. The search stays within a window a scalar's source cannot outgrow, so a large file costs one pass
/// per node.
fn field_positions(
    index: &SourceIndex<'_>,
    node: &Node,
    text: &str,
    uses: &[Range<usize>],
) -> Vec<(usize, usize)> {
    if node.literal_block {
        return uses.iter().map(|r| node.text_position(r.start)).collect();
    }
    let fallback = (node.line, node.column);
    let Some(from) = index.offset(node.line, node.column) else {
        return vec![fallback; uses.len()];
    };
    let source = index.source;
    // Quotes, escapes and indentation never make a scalar's source 8 times longer than its text.
    let mut to = from
        .saturating_add(text.len().saturating_mul(8))
        .saturating_add(256)
        .min(source.len());
    while !source.is_char_boundary(to) {
        to += 1;
    }
    let window = &source[from..to];
    let mut copies: HashMap<&str, (Vec<usize>, Vec<usize>)> = HashMap::new();
    // Uses come in text order, so columns are counted on from the previous use of the same line.
    let mut previous: Option<(usize, usize, usize)> = None; // (offset, line, column)
    uses.iter()
        .map(|r| {
            let written = &text[r.clone()];
            let (in_text, in_file) = copies
                .entry(written)
                .or_insert_with(|| (starts_in(text, written), starts_in(window, written)));
            let Some(offset) = in_text
                .binary_search(&r.start)
                .ok()
                .and_then(|k| in_file.get(k))
                .map(|j| from + j)
            else {
                return fallback;
            };
            let (line, column) = match previous {
                Some((p, line, column)) if p <= offset && !source[p..offset].contains('\n') => {
                    (line, column + source[p..offset].chars().count())
                }
                _ => index.line_column(offset),
            };
            previous = Some((offset, line, column));
            (line, column)
        })
        .collect()
}

/// The currency check of a pack read from its files: the unknown `mentions` ids (problems, at the id) and the
/// uses of lexicon terms (warnings, at the use). `items` are the typed items of the check; each is found in the
/// files by its id (the first entry with that id).
pub fn check_sources(
    sources: &[(String, String)],
    items: &[Item],
    lexicon: &Lexicon,
) -> (Vec<Problem>, Vec<Warning>) {
    let by_id: HashMap<&str, &Item> = items.iter().rev().map(|i| (i.id(), i)).collect();
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let mut done: HashSet<String> = HashSet::new();
    for (file, source) in sources {
        let Ok(loaded) = yaml::parse(source) else {
            continue;
        };
        let index = SourceIndex::new(source);
        let Some(NodeValue::Seq(nodes)) = loaded.root.get("items").map(|n| &n.value) else {
            continue;
        };
        for node in nodes {
            let Some(id) = node.get("id").and_then(Node::as_str) else {
                continue;
            };
            let Some(item) = by_id.get(id) else { continue };
            if !done.insert(id.to_owned()) {
                continue;
            }
            problems.extend(unknown_mentions(file, node, lexicon));
            let uses = scan(item, lexicon);
            // The uses of one text together: their positions are found in one pass over its source.
            let mut start = 0;
            while start < uses.len() {
                let path = &uses[start].0.path;
                let end = start
                    + uses[start..]
                        .iter()
                        .take_while(|(f, _)| &f.path == path)
                        .count();
                let group = &uses[start..end];
                let ranges: Vec<Range<usize>> =
                    group.iter().map(|(_, f)| f.range.clone()).collect();
                let positions = match node.at(path) {
                    Some(n) => field_positions(&index, n, group[0].0.text, &ranges),
                    None => vec![node.locate(path); ranges.len()],
                };
                for ((field, found), (line, column)) in group.iter().zip(positions) {
                    let mut w = warning(field, found, lexicon);
                    w.file = file.clone();
                    w.line = line;
                    w.column = column;
                    warnings.push(w);
                }
                start = end;
            }
        }
    }
    warnings.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    (problems, warnings)
}

/// `mentions` ids that are not in the lexicon, in an entry and its case-study questions.
fn unknown_mentions(file: &str, node: &Node, lexicon: &Lexicon) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut visit = |n: &Node| {
        let item = n.get("id").and_then(Node::as_str).map(str::to_owned);
        if let Some(NodeValue::Seq(ids)) = n.get("mentions").map(|m| &m.value) {
            for id_node in ids {
                let Some(id) = id_node.as_str() else { continue };
                if lexicon.term(id).is_none() {
                    let known: Vec<String> = lexicon
                        .terms
                        .iter()
                        .map(|t| format!("`{}`", t.id))
                        .collect();
                    out.push(Problem {
                        file: file.to_owned(),
                        line: id_node.line,
                        column: id_node.column,
                        item: item.clone(),
                        message: format!(
                            "`mentions`: `{id}` is not a lexicon term (known: {})",
                            known.join(", ")
                        ),
                    });
                }
            }
        }
    };
    visit(node);
    if let Some(NodeValue::Seq(questions)) = node.get("questions").map(|q| &q.value) {
        for q in questions {
            visit(q);
        }
    }
    out
}

/// `mentions` declarations counted by term id, over every item and case-study question.
pub fn mention_counts(items: &[Item]) -> std::collections::BTreeMap<String, usize> {
    let mut out = std::collections::BTreeMap::new();
    for item in items {
        if let Some(c) = item.case_study() {
            for m in &c.mentions {
                *out.entry(m.clone()).or_insert(0) += 1;
            }
        }
        for (q, _) in item.questions() {
            for m in &q.common.mentions {
                *out.entry(m.clone()).or_insert(0) += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
