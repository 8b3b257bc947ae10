//! The currency check: the lexicon of retired, renamed and deprecated terms (`question-bank/lexicon.yaml`) and
//! the warnings for every use of one in an item's text, with its position in the file. Pure.
//!
//! Matching is whole-word and case-insensitive; a space in a term matches any run of white space (so a term may
//! be broken across lines of a block scalar). Fenced and inline code, URLs and Markdown link targets are not
//! searched. An item's `mentions: [id]` silences that term in its stem, distractors and explanation, never in its
//! keyed answer (the text of the correct options, the steps of the order, the choices a match uses, the option
//! each hot-area slot keys, the statements answered *yes*): a term there is always reported.

use super::check::Problem;
use super::model::{Body, Item, Question, YesNo};
use super::yaml::{self, Node, NodeValue, PathSeg};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::Range;

/// The lexicon shipped with the binary (`question-bank/lexicon.yaml`): used for uploads, and for packs outside a
/// bank root.
pub const SHIPPED_YAML: &str = include_str!("../../question-bank/lexicon.yaml");

/// What happened to a term.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TermKind {
    /// The service or feature no longer exists (or is being switched off on `date`).
    Retired,
    /// The thing exists under another name.
    Renamed,
    /// Still running, but announced to retire on `date`.
    Deprecated,
}

impl TermKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TermKind::Retired => "retired",
            TermKind::Renamed => "renamed",
            TermKind::Deprecated => "deprecated",
        }
    }
}

/// One entry of the lexicon.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Term {
    /// What items write in `mentions:`.
    pub id: String,
    pub kind: TermKind,
    /// The spellings matched (whole words, any case).
    pub words: Vec<String>,
    /// `YYYY-MM-DD`, or `YYYY-MM` when only the month is known; absent when no source gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// What to say instead.
    pub replacement: String,
    /// The learn.microsoft.com page that states the status.
    pub source: String,
}

/// The lexicon file: its terms.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Lexicon {
    pub terms: Vec<Term>,
}

impl Lexicon {
    pub fn term(&self, id: &str) -> Option<&Term> {
        self.terms.iter().find(|t| t.id == id)
    }
}

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

fn problem(file: &str, line: usize, column: usize, message: impl Into<String>) -> Problem {
    Problem {
        file: file.to_owned(),
        line,
        column,
        item: None,
        message: message.into(),
    }
}

/// Whether `s` is `YYYY-MM-DD` (a real day) or `YYYY-MM`.
fn is_lexicon_date(s: &str) -> bool {
    if super::exam::parse_date(s).is_some() && s.len() == 10 {
        return true;
    }
    let b = s.as_bytes();
    b.len() == 7
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..].iter().all(u8::is_ascii_digit)
        && (1..=12).contains(&s[5..].parse::<u8>().unwrap_or(0))
}

/// Reads a lexicon: YAML, its fields (unknown ones refused), unique ids, non-empty words, dates and sources.
///
/// # Errors
/// Every problem found, located in the file called `name`.
pub fn load_lexicon(name: &str, text: &str) -> Result<Lexicon, Vec<Problem>> {
    let loaded = yaml::parse(text).map_err(|e| vec![problem(name, e.line, e.column, e.message)])?;
    let mut problems: Vec<Problem> = loaded
        .problems
        .iter()
        .map(|e| problem(name, e.line, e.column, e.message.clone()))
        .collect();
    let root = &loaded.root;
    let lexicon = match serde_path_to_error::deserialize::<_, Lexicon>(&root.to_json()) {
        Ok(l) => l,
        Err(err) => {
            let mut path = yaml::path_segments(err.path());
            let shown = yaml::format_path(&path);
            let inner = err.inner().to_string();
            if let Some(rest) = inner.strip_prefix("unknown field `") {
                if let Some(end) = rest.find('`') {
                    path.push(PathSeg::Key(rest[..end].to_owned()));
                }
            }
            let (line, column) = root.locate(&path);
            let message = if shown.is_empty() {
                inner
            } else {
                format!("`{shown}`: {inner}")
            };
            problems.push(problem(name, line, column, message));
            return Err(problems);
        }
    };
    let mut ids = HashSet::new();
    for (i, term) in lexicon.terms.iter().enumerate() {
        let at = |field: &str| {
            root.locate(&[
                PathSeg::Key("terms".into()),
                PathSeg::Index(i),
                PathSeg::Key(field.into()),
            ])
        };
        let mut report = |field: &str, message: String| {
            let (line, column) = at(field);
            problems.push(problem(name, line, column, message));
        };
        if !ids.insert(term.id.as_str()) {
            report("id", format!("duplicate term id `{}`", term.id));
        }
        if term.id.is_empty()
            || !term
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            report(
                "id",
                format!(
                    "term id `{}` may hold only lowercase letters, digits and `-`",
                    term.id
                ),
            );
        }
        if term.words.is_empty() || term.words.iter().any(|w| w.trim().is_empty()) {
            report(
                "words",
                format!("term `{}` needs at least one non-empty word", term.id),
            );
        }
        if let Some(date) = &term.date {
            if !is_lexicon_date(date) {
                report(
                    "date",
                    format!("`{date}` is not a date written YYYY-MM-DD or YYYY-MM"),
                );
            }
        }
        if !term.source.starts_with("https://learn.microsoft.com/") {
            report(
                "source",
                format!(
                    "term `{}`: the source must be a https://learn.microsoft.com/ page",
                    term.id
                ),
            );
        }
    }
    if problems.is_empty() {
        Ok(lexicon)
    } else {
        Err(problems)
    }
}

/// The shipped lexicon.
///
/// # Panics
/// Never for a binary whose tests passed: `the_shipped_lexicon_loads` checks the file.
pub fn shipped() -> &'static Lexicon {
    static LEXICON: std::sync::OnceLock<Lexicon> = std::sync::OnceLock::new();
    LEXICON.get_or_init(|| {
        load_lexicon("question-bank/lexicon.yaml", SHIPPED_YAML)
            .unwrap_or_else(|p| panic!("shipped lexicon.yaml: {p:?}"))
    })
}

/// One use of a term in a text: the byte range and the term's index in the lexicon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub range: Range<usize>,
    pub term: usize,
}

/// The byte ranges of `text` that are not prose: fenced code blocks, inline code spans, URLs and Markdown link
/// targets (`](…)`, `[ref]: …`).
pub fn skipped_ranges(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    // Fenced code blocks, line by line.
    let mut fence: Option<(u8, usize, usize)> = None; // (char, length, start byte)
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start_matches(' ');
        let indent = line.len() - trimmed.len();
        let ch = trimmed.bytes().next().unwrap_or(b' ');
        let run = trimmed.bytes().take_while(|b| *b == ch).count();
        let is_fence = indent <= 3 && (ch == b'`' || ch == b'~') && run >= 3;
        match fence {
            None if is_fence => fence = Some((ch, run, pos)),
            Some((c, n, start)) if is_fence && ch == c && run >= n => {
                out.push(start..pos + line.len());
                fence = None;
            }
            _ => {}
        }
        pos += line.len();
    }
    if let Some((_, _, start)) = fence {
        out.push(start..text.len());
    }
    let in_fence = |i: usize, out: &[Range<usize>]| out.iter().any(|r| r.contains(&i));
    let fences = out.clone();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if in_fence(i, &fences) {
            i += 1;
            continue;
        }
        match bytes[i] {
            b'`' => {
                let n = bytes[i..].iter().take_while(|b| **b == b'`').count();
                let mut j = i + n;
                let mut closed = None;
                while j < bytes.len() {
                    if bytes[j] == b'`' {
                        let m = bytes[j..].iter().take_while(|b| **b == b'`').count();
                        if m == n {
                            closed = Some(j + m);
                            break;
                        }
                        j += m;
                    } else {
                        j += 1;
                    }
                }
                match closed {
                    Some(end) => {
                        out.push(i..end);
                        i = end;
                    }
                    None => i += n,
                }
            }
            b']' if bytes.get(i + 1) == Some(&b'(') => {
                let mut depth = 0usize;
                let mut j = i + 1;
                while j < bytes.len() {
                    match bytes[j] {
                        b'(' => depth += 1,
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                out.push(i + 1..(j + 1).min(bytes.len()));
                i = j + 1;
            }
            b']' if bytes.get(i + 1) == Some(&b':') && starts_line_with_bracket(text, i) => {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                out.push(i + 2..end);
                i = end;
            }
            b'h' | b'H' if is_url_start(&text[i..]) => {
                let end = text[i..]
                    .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
                    .map_or(text.len(), |n| i + n);
                out.push(i..end);
                i = end;
            }
            _ => i += 1,
        }
    }
    out
}

/// `[ref]: target` at the start of a line: is the `]` at `at` closing a bracket that opens the line?
fn starts_line_with_bracket(text: &str, at: usize) -> bool {
    let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
    let line = text[line_start..at].trim_start();
    line.starts_with('[') && !line[1..].contains(']')
}

fn is_url_start(s: &str) -> bool {
    let lower = |n: usize| s.get(..n).map(str::to_ascii_lowercase);
    lower(7).as_deref() == Some("http://") || lower(8).as_deref() == Some("https://")
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Where `word` matches `text` starting at byte `start`: the end of the match. A space in `word` matches one or
/// more white-space characters; other characters match in any case.
fn match_at(text: &str, start: usize, word: &str) -> Option<usize> {
    let mut t = text[start..].char_indices().peekable();
    let mut w = word.chars().peekable();
    let mut end = start;
    while let Some(wc) = w.next() {
        if wc.is_whitespace() {
            while w.peek().is_some_and(|c| c.is_whitespace()) {
                w.next();
            }
            let mut any = false;
            while let Some((i, c)) = t.peek().copied() {
                if !c.is_whitespace() {
                    break;
                }
                any = true;
                end = start + i + c.len_utf8();
                t.next();
            }
            if !any {
                return None;
            }
        } else {
            let (i, c) = t.next()?;
            if !c.to_lowercase().eq(wc.to_lowercase()) {
                return None;
            }
            end = start + i + c.len_utf8();
        }
    }
    Some(end)
}

/// Every use of a lexicon term in `text`, in text order, outside code, URLs and link targets. Where uses overlap
/// (`Azure AI Foundry Agent Service` holds `Azure AI Foundry`), the longest wins.
pub fn find_terms(text: &str, lexicon: &Lexicon) -> Vec<Found> {
    let skipped = skipped_ranges(text);
    let mut found = Vec::new();
    for (term_index, term) in lexicon.terms.iter().enumerate() {
        for word in &term.words {
            let word = word.trim();
            let Some(first) = word.chars().next() else {
                continue;
            };
            let last = word.chars().next_back().unwrap_or(first);
            for (start, c) in text.char_indices() {
                if !c.to_lowercase().eq(first.to_lowercase()) {
                    continue;
                }
                if is_word_char(first)
                    && text[..start].chars().next_back().is_some_and(is_word_char)
                {
                    continue;
                }
                let Some(end) = match_at(text, start, word) else {
                    continue;
                };
                if is_word_char(last) && text[end..].chars().next().is_some_and(is_word_char) {
                    continue;
                }
                if skipped.iter().any(|r| r.start < end && start < r.end) {
                    continue;
                }
                found.push(Found {
                    range: start..end,
                    term: term_index,
                });
            }
        }
    }
    // Longest first at each start, then drop what overlaps an earlier (kept) use.
    found.sort_by(|a, b| {
        (a.range.start, std::cmp::Reverse(a.range.end))
            .cmp(&(b.range.start, std::cmp::Reverse(b.range.end)))
    });
    let mut kept: Vec<Found> = Vec::new();
    for f in found {
        if kept
            .iter()
            .any(|k| k.range.start < f.range.end && f.range.start < k.range.end)
        {
            continue;
        }
        kept.push(f);
    }
    kept
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
    let mut push = |path: &[PathSeg], text: &'a str, keyed: bool| {
        let mut full = base.to_vec();
        full.extend_from_slice(path);
        out.push(TextField {
            item: id,
            path: full,
            text,
            keyed,
            mentions: mentions.clone(),
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
            template,
            template_language,
            slots,
        } => {
            if template_language.is_none() {
                push(&[key("template")], template, false);
            }
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
/// template written in a programming language (`template_language`) is code, and is not read.
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
        for found in find_terms(field.text, lexicon) {
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

/// The byte offset of (1-based) `line` and `column` (in characters) in `source`.
fn byte_offset(source: &str, line: usize, column: usize) -> Option<usize> {
    let mut start = 0;
    for _ in 1..line {
        start += source[start..].find('\n')? + 1;
    }
    let rest = &source[start..];
    let col = rest
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(rest.len(), |(i, _)| i);
    Some(start + col)
}

fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Where the use at `range` of the node's text is in the file. Literal blocks keep their lines, so the loader
/// knows; for other scalars, the same words (white space may differ, as folding changes it) are searched in the
/// file from where the node starts, skipping as many earlier copies as the text has before the use.
fn position(source: &str, node: &Node, text: &str, range: &Range<usize>) -> (usize, usize) {
    if node.literal_block {
        return node.text_position(range.start);
    }
    let fallback = (node.line, node.column);
    let Some(from) = byte_offset(source, node.line, node.column) else {
        return fallback;
    };
    let written = &text[range.clone()];
    let earlier = text[..range.start]
        .char_indices()
        .filter(|(i, _)| match_at(text, *i, written).is_some())
        .count();
    let mut seen = 0;
    for (i, _) in source[from..].char_indices() {
        if match_at(source, from + i, written).is_some() {
            if seen == earlier {
                return line_column(source, from + i);
            }
            seen += 1;
        }
    }
    fallback
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
            for (field, found) in scan(item, lexicon) {
                let mut w = warning(&field, &found, lexicon);
                w.file = file.clone();
                let (line, column) = match node.at(&field.path) {
                    Some(n) => position(source, n, field.text, &found.range),
                    None => node.locate(&field.path),
                };
                w.line = line;
                w.column = column;
                warnings.push(w);
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
