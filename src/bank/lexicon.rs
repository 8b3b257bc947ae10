//! The lexicon of retired, renamed and deprecated terms (`question-bank/lexicon.yaml`): its model, its loader,
//! and where a text uses its terms. Pure; the currency check that reads items with it is `bank::currency`.
//!
//! Matching is whole-word and case-insensitive; a space in a term matches any run of white space (so a term may
//! be broken across lines of a block scalar). Fenced and inline code, URLs and Markdown link targets are not
//! searched, except for model names (`model: true`): a model is named in code (`model="gpt-4.1"`, a deployment
//! in a template), so model terms are searched in code too, and match whole model names only (`gpt-image-1` is
//! not a use inside `gpt-image-1-mini` or `gpt-image-1.5`).

use super::check::Problem;
use super::yaml::{self, PathSeg};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
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
    /// Current names that contain one of `words` and are not uses of the term (Azure RBAC roles such as
    /// `Cognitive Services OpenAI User` keep the old name): a use inside one of these is not reported.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<String>,
    /// A model name: searched in code spans and code templates too, and matched as a whole model name (a `-` or
    /// `.` followed by a letter or digit continues the name).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub model: bool,
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
    ranges_not_searched(text, true, true)
}

/// The byte ranges of prose a model term is not searched in: URLs and Markdown link targets, in code spans too.
pub fn link_ranges(text: &str) -> Vec<Range<usize>> {
    ranges_not_searched(text, false, true)
}

/// The byte ranges of code a model term is not searched in: URLs (code has no Markdown links:
/// `f[[slot]](model="x")` is a call).
pub fn url_ranges(text: &str) -> Vec<Range<usize>> {
    ranges_not_searched(text, false, false)
}

/// The fenced code blocks of `text`, in text order; an unclosed fence runs to the end.
fn fenced_blocks(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
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
    out
}

fn ranges_not_searched(text: &str, skip_code: bool, skip_link_targets: bool) -> Vec<Range<usize>> {
    let mut out = if skip_code {
        fenced_blocks(text)
    } else {
        Vec::new()
    };
    let fences = out.clone();
    let mut next_fence = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // Fences are in text order: jump over the one `i` reaches.
        if let Some(f) = fences.get(next_fence) {
            if i >= f.start {
                i = i.max(f.end);
                next_fence += 1;
                continue;
            }
        }
        match bytes[i] {
            b'`' if skip_code => {
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
            b']' if skip_link_targets && bytes.get(i + 1) == Some(&b'(') => {
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
            b']' if skip_link_targets
                && bytes.get(i + 1) == Some(&b':')
                && starts_line_with_bracket(text, i) =>
            {
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
    // Sorted and merged, so that a use is tested against them by binary search.
    out.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(out.len());
    for r in out {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// Whether `range` overlaps one of `skipped` (sorted, disjoint).
fn overlaps(skipped: &[Range<usize>], range: &Range<usize>) -> bool {
    let i = skipped.partition_point(|r| r.end <= range.start);
    skipped.get(i).is_some_and(|r| r.start < range.end)
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

/// Whether a model name continues across `end`: a letter, digit or `_`, or a `-` or `.` followed by one
/// (`gpt-image-1` goes on in `gpt-image-1-mini` and `gpt-image-1.5`, not in `gpt-image-1.` ending a sentence).
fn model_name_goes_on(rest: &str) -> bool {
    let mut chars = rest.chars();
    match chars.next() {
        Some(c) if is_word_char(c) => true,
        Some('-' | '.') => chars.next().is_some_and(is_word_char),
        _ => false,
    }
}

/// Whether a model name started before `start`: the mirror of [`model_name_goes_on`].
fn model_name_comes_before(before: &str) -> bool {
    let mut chars = before.chars().rev();
    match chars.next() {
        Some(c) if is_word_char(c) => true,
        Some('-' | '.') => chars.next().is_some_and(is_word_char),
        _ => false,
    }
}

/// Where `word` matches `text` starting at byte `start`: the end of the match. A space in `word` matches one or
/// more white-space characters; other characters match in any case.
pub(crate) fn match_at(text: &str, start: usize, word: &str) -> Option<usize> {
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

/// Where `word` occurs in `text` as whole words, in any case (a space matches any run of white space); for a
/// model name, as a whole model name.
fn whole_word_uses(text: &str, word: &str, model: bool) -> Vec<Range<usize>> {
    let word = word.trim();
    let Some(first) = word.chars().next() else {
        return Vec::new();
    };
    let last = word.chars().next_back().unwrap_or(first);
    let mut out = Vec::new();
    for (start, c) in text.char_indices() {
        if !c.to_lowercase().eq(first.to_lowercase()) {
            continue;
        }
        if model && model_name_comes_before(&text[..start]) {
            continue;
        }
        if is_word_char(first) && text[..start].chars().next_back().is_some_and(is_word_char) {
            continue;
        }
        let Some(end) = match_at(text, start, word) else {
            continue;
        };
        if model && model_name_goes_on(&text[end..]) {
            continue;
        }
        if is_word_char(last) && text[end..].chars().next().is_some_and(is_word_char) {
            continue;
        }
        out.push(start..end);
    }
    out
}

/// What a text is: prose (Markdown, where code spans are not searched) or code (a template written in a
/// programming language, where only model names are searched).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    Prose,
    Code,
}

/// Every use of a lexicon term in `text`, in text order, outside code (but for model names), URLs and link
/// targets. Where uses overlap (`Azure AI Foundry Agent Service` holds `Azure AI Foundry`), the longest wins.
pub fn find_terms(text: &str, lexicon: &Lexicon, kind: TextKind) -> Vec<Found> {
    let skipped = skipped_ranges(text);
    let links = match kind {
        TextKind::Prose => link_ranges(text),
        TextKind::Code => url_ranges(text),
    };
    let mut found = Vec::new();
    for (term_index, term) in lexicon.terms.iter().enumerate() {
        if kind == TextKind::Code && !term.model {
            continue;
        }
        let not_searched = if term.model { &links } else { &skipped };
        let excepted: Vec<Range<usize>> = term
            .except
            .iter()
            .flat_map(|phrase| whole_word_uses(text, phrase, term.model))
            .collect();
        for word in &term.words {
            for range in whole_word_uses(text, word, term.model) {
                if overlaps(not_searched, &range)
                    || excepted
                        .iter()
                        .any(|e| e.start <= range.start && range.end <= e.end)
                {
                    continue;
                }
                found.push(Found {
                    range,
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
        // Kept uses are in start order and disjoint: only the last can reach this one.
        if kept.last().is_some_and(|k| f.range.start < k.range.end) {
            continue;
        }
        kept.push(f);
    }
    kept
}

#[cfg(test)]
mod tests;
