//! `bank check`: reads a pack's files through the located YAML loader, checks every item against the format
//! (docs/question-format.md) and the blueprint, and reports every problem with its file, line, column and item.
//!
//! Items are read one at a time and field by field into a flat raw item whose fields are all optional, so one
//! bad field or item does not hide the problems of the others; a raw item with all its fields present and
//! well typed becomes a typed [`Question`] or [`CaseStudy`]. Only [`check_path`] touches the file system.

use super::model::{
    Blueprint, Body, CaseStudy, CaseStudyItem, Choice, Common, Difficulty, Document, HotSlot, Item,
    Pack, PackMeta, Question, ScoringRule, Statement,
};
use super::yaml::{self, Node, NodeValue, PathSeg};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

/// One problem of a pack, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file's name as given (in [`check_path`], relative to the path the user typed).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The id of the item (or case-study question) the problem is in, when it has one.
    pub item: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        if let Some(item) = &self.item {
            write!(f, "[{item}] ")?;
        }
        f.write_str(&self.message)
    }
}

/// What checking a pack found: the typed pack (when it has metadata), every item that could be typed, and
/// every problem, sorted by file, line and column.
///
/// Items with problems that do not stop typing them (an answer naming no option, say) are still in `items`:
/// use the pack only when `problems` is empty.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    /// The pack: its first valid metadata and all typed items.
    pub pack: Option<Pack>,
    /// Every item that could be typed, in file order (also when the pack has no metadata).
    pub items: Vec<Item>,
    /// The files that were read, in order.
    pub files: Vec<String>,
    pub problems: Vec<Problem>,
    /// Uses of retired, renamed or deprecated terms (the lexicon): they do not block an import, unlike
    /// `problems` (`bank check --strict` treats them as errors). Sorted by file, line and column.
    pub warnings: Vec<super::currency::Warning>,
}

impl CheckReport {
    /// True when the pack has no problem at all.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks a pack given as (file name, text) pairs, in the order given, against `blueprint`. Pure.
pub fn check_sources(sources: &[(String, String)], blueprint: &Blueprint) -> CheckReport {
    let name = sources.first().map(|(n, _)| n.clone()).unwrap_or_default();
    let report = run(sources, Some(blueprint), &name, Vec::new());
    with_currency(report, sources, super::lexicon::shipped())
}

/// Adds the currency check (lexicon terms in the items' text) to a report: unknown `mentions` ids as problems,
/// uses of terms as warnings.
fn with_currency(
    mut report: CheckReport,
    sources: &[(String, String)],
    lexicon: &super::lexicon::Lexicon,
) -> CheckReport {
    let (problems, warnings) = super::currency::check_sources(sources, &report.items, lexicon);
    if !problems.is_empty() {
        report.problems.extend(problems);
        report
            .problems
            .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    }
    report.warnings = warnings;
    report
}

/// Reads and checks a pack file, or a folder of them (recursively, in name order; `.yaml`, `.yml` and `.json`
/// files only; names starting with `.` are skipped). A folder's own `blueprint.yaml` is the blueprint (not a pack
/// file); otherwise the shipped one is used. File names in problems are the given path joined with the file's
/// path below it, so they read as the user typed them (`question-bank/items/plan.yaml`).
///
/// # Errors
/// An I/O error reading the path or a file (a file that is not UTF-8 is a problem, not an error).
pub fn check_path(path: &Path) -> Result<CheckReport, std::io::Error> {
    let mut problems = Vec::new();
    let mut sources = Vec::new();
    let mut blueprint = None;
    let mut blueprint_given = false;
    if std::fs::metadata(path)?.is_dir() {
        let bp_path = path.join("blueprint.yaml");
        if bp_path.is_file() {
            blueprint_given = true;
            let name = bp_path.display().to_string();
            match read_text(&bp_path, &name)? {
                Ok(text) => match load_blueprint(&name, &text) {
                    Ok(bp) => blueprint = Some(bp),
                    Err(p) => problems.extend(p),
                },
                Err(p) => problems.push(p),
            }
        }
        let mut files = Vec::new();
        collect_files(path, Path::new(""), &mut files)?;
        for rel in files {
            // Beside the items, not items: the blueprint, the exam's facts and the review log.
            if ["blueprint.yaml", "exam.yaml", "review-log.yaml"]
                .iter()
                .any(|f| rel == Path::new(f))
            {
                continue;
            }
            let full = path.join(&rel);
            let name = full.display().to_string();
            match read_text(&full, &name)? {
                Ok(text) => sources.push((name, text)),
                Err(p) => problems.push(p),
            }
        }
    } else {
        let name = path.display().to_string();
        match read_text(path, &name)? {
            Ok(text) => sources.push((name, text)),
            Err(p) => problems.push(p),
        }
    }
    if !blueprint_given {
        match shipped_blueprint() {
            Ok(bp) => blueprint = Some(bp),
            Err(p) => problems.extend(p),
        }
    }
    // The lexicon of the bank the path is in (`<root>/lexicon.yaml`), else the shipped one.
    let (lexicon, lexicon_problems) = super::root::lexicon_for(path)?;
    problems.extend(lexicon_problems);
    let report = run(
        &sources,
        blueprint.as_ref(),
        &path.display().to_string(),
        problems,
    );
    Ok(with_currency(report, &sources, &lexicon))
}

/// The AI-102 blueprint built into the binary (`question-bank/exams/ai-102/blueprint.yaml`).
///
/// # Errors
/// The shipped file's problems, if it were ever broken.
pub fn shipped_blueprint() -> Result<Blueprint, Vec<Problem>> {
    load_blueprint(
        "question-bank/exams/ai-102/blueprint.yaml",
        Blueprint::SHIPPED_YAML,
    )
}

/// Loads and checks a blueprint: YAML, its fields, unique domain and objective ids, and sane weight ranges.
///
/// # Errors
/// Every problem found, with `name` as the file name.
pub fn load_blueprint(name: &str, text: &str) -> Result<Blueprint, Vec<Problem>> {
    let mut problems = Vec::new();
    let loaded = match yaml::parse(text) {
        Ok(l) => l,
        Err(e) => return Err(vec![problem(name, e.line, e.column, None, e.message)]),
    };
    for e in &loaded.problems {
        problems.push(problem(name, e.line, e.column, None, e.message.clone()));
    }
    let root = &loaded.root;
    let value = root.to_json();
    let blueprint = match serde_path_to_error::deserialize::<_, Blueprint>(&value) {
        Ok(bp) => bp,
        Err(err) => {
            let (path, location, inner) = error_path(&[], &err);
            let (line, column) = root.locate(&location);
            let message = if path.is_empty() {
                inner
            } else {
                format!("`{}`: {inner}", yaml::format_path(&path))
            };
            problems.push(problem(name, line, column, None, message));
            return Err(problems);
        }
    };
    let mut domains = HashSet::new();
    let mut objectives = HashSet::new();
    for (d, domain) in blueprint.domains.iter().enumerate() {
        let at = |path: &[PathSeg]| {
            let mut full = vec![key("domains"), PathSeg::Index(d)];
            full.extend_from_slice(path);
            root.locate(&full)
        };
        if !domains.insert(domain.id.as_str()) {
            let (line, column) = at(&[key("id")]);
            problems.push(problem(
                name,
                line,
                column,
                None,
                format!("duplicate domain id `{}`", domain.id),
            ));
        }
        let w = domain.weight;
        if !(0.0..=100.0).contains(&w.min) || !(0.0..=100.0).contains(&w.max) || w.min > w.max {
            let (line, column) = at(&[key("weight")]);
            problems.push(problem(
                name,
                line,
                column,
                None,
                format!(
                    "domain `{}` has weight {}–{}: it must be 0 ≤ min ≤ max ≤ 100",
                    domain.id, w.min, w.max
                ),
            ));
        }
        for (o, objective) in domain.objectives.iter().enumerate() {
            if !objectives.insert(objective.id.as_str()) {
                let (line, column) = at(&[key("objectives"), PathSeg::Index(o), key("id")]);
                problems.push(problem(
                    name,
                    line,
                    column,
                    None,
                    format!("duplicate objective id `{}`", objective.id),
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(blueprint)
    } else {
        Err(problems)
    }
}

fn problem(
    file: &str,
    line: usize,
    column: usize,
    item: Option<String>,
    message: impl Into<String>,
) -> Problem {
    Problem {
        file: file.to_owned(),
        line,
        column,
        item,
        message: message.into(),
    }
}

fn key(name: &str) -> PathSeg {
    PathSeg::Key(name.to_owned())
}

fn ix(i: usize) -> PathSeg {
    PathSeg::Index(i)
}

/// `Ok(text)`, or a problem when the file is not UTF-8; I/O failures are errors.
fn read_text(path: &Path, name: &str) -> Result<Result<String, Problem>, std::io::Error> {
    Ok(text_from_bytes(name, std::fs::read(path)?))
}

/// A pack file's text: UTF-8 without its byte-order mark, or a problem naming the file.
pub fn text_from_bytes(name: &str, bytes: Vec<u8>) -> Result<String, Problem> {
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text
            .strip_prefix('\u{feff}')
            .map(str::to_owned)
            .unwrap_or(text)),
        Err(e) => {
            // Locate the first bad byte: its line, and its column counted in characters.
            let at = e.utf8_error().valid_up_to();
            let good = std::str::from_utf8(&e.as_bytes()[..at]).unwrap_or_default();
            let line = good.matches('\n').count() + 1;
            let column = good.rsplit('\n').next().unwrap_or_default().chars().count() + 1;
            Err(problem(
                name,
                line,
                column,
                None,
                format!("the file is not valid UTF-8 text (byte {at}): save it as UTF-8"),
            ))
        }
    }
}

/// Whether a file of a pack folder is read as a pack file (`.yaml`, `.yml` or `.json`, not hidden).
pub fn is_pack_file(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    !base.starts_with('.')
        && [".yaml", ".yml", ".json"]
            .iter()
            .any(|ext| base.ends_with(ext))
}

fn collect_files(dir: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> Result<(), std::io::Error> {
    let mut entries = std::fs::read_dir(dir.join(rel))?.collect::<Result<Vec<_>, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        if name_str.starts_with('.') {
            continue;
        }
        let child = rel.join(&name);
        if entry.path().is_dir() {
            collect_files(dir, &child, out)?;
        } else if is_pack_file(&name_str) {
            out.push(child);
        }
    }
    Ok(())
}

/// serde_path_to_error's error as (path, where to point, message). For an unknown field, point at that field.
fn error_path(
    prefix: &[PathSeg],
    err: &serde_path_to_error::Error<serde_json::Error>,
) -> (Vec<PathSeg>, Vec<PathSeg>, String) {
    let mut path = prefix.to_vec();
    path.extend(yaml::path_segments(err.path()));
    let inner = err.inner().to_string();
    let mut location = path.clone();
    if let Some(rest) = inner.strip_prefix("unknown field `") {
        if let Some(end) = rest.find('`') {
            location.push(key(&rest[..end]));
        }
    }
    (path, location, inner)
}

/// The item types, as written in `type:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Single,
    Multiple,
    YesNoSeries,
    Order,
    Match,
    HotArea,
    CaseStudy,
}

const KINDS: &[(&str, Kind)] = &[
    ("single", Kind::Single),
    ("multiple", Kind::Multiple),
    ("yes_no_series", Kind::YesNoSeries),
    ("order", Kind::Order),
    ("match", Kind::Match),
    ("hot_area", Kind::HotArea),
    ("case_study", Kind::CaseStudy),
];

/// Fields every question may have, and those it must have (`domain` is optional inside a case study).
const QUESTION_FIELDS: &[&str] = &[
    "id",
    "type",
    "domain",
    "objective",
    "stem",
    "explanation",
    "references",
    "scoring",
    "points",
    "difficulty",
    "tags",
    "mentions",
    "reviewed",
    "outline",
];
const QUESTION_REQUIRED: &[&str] = &[
    "id",
    "type",
    "domain",
    "objective",
    "stem",
    "explanation",
    "references",
];
const CASE_FIELDS: &[&str] = &[
    "id",
    "type",
    "domain",
    "title",
    "stem",
    "documents",
    "questions",
    "difficulty",
    "tags",
    "mentions",
    "reviewed",
    "outline",
];
const CASE_REQUIRED: &[&str] = &[
    "id",
    "type",
    "domain",
    "title",
    "stem",
    "documents",
    "questions",
];
const SPECIFIC_FIELDS: &[&str] = &[
    "options",
    "answer",
    "choose",
    "statements",
    "steps",
    "choices",
    "slots",
    "reuse",
    "template",
    "template_language",
];

impl Kind {
    fn parse(name: &str) -> Option<Kind> {
        KINDS.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
    }

    fn name(self) -> &'static str {
        KINDS
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("", |(n, _)| n)
    }

    /// The type's own fields: (required, optional).
    fn specific(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            Kind::Single => (&["options", "answer"], &[]),
            Kind::Multiple => (&["choose", "options", "answer"], &[]),
            Kind::YesNoSeries => (&["statements"], &[]),
            Kind::Order => (&["steps", "answer"], &[]),
            Kind::Match => (&["choices", "slots", "answer"], &["reuse"]),
            Kind::HotArea => (&["template", "slots"], &["template_language"]),
            Kind::CaseStudy => (&[], &[]),
        }
    }

    fn allows(self, field: &str) -> bool {
        if self == Kind::CaseStudy {
            return CASE_FIELDS.contains(&field);
        }
        let (req, opt) = self.specific();
        QUESTION_FIELDS.contains(&field) || req.contains(&field) || opt.contains(&field)
    }

    fn allowed(self) -> Vec<&'static str> {
        if self == Kind::CaseStudy {
            return CASE_FIELDS.to_vec();
        }
        let (req, opt) = self.specific();
        QUESTION_FIELDS
            .iter()
            .chain(req)
            .chain(opt)
            .copied()
            .collect()
    }
}

fn is_known_field(field: &str) -> bool {
    QUESTION_FIELDS.contains(&field)
        || CASE_FIELDS.contains(&field)
        || SPECIFIC_FIELDS.contains(&field)
}

/// Edit distance, for "did you mean" hints.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn suggestion(field: &str, candidates: &[&str]) -> String {
    candidates
        .iter()
        .map(|c| (distance(field, c), c))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, c)| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default()
}

/// A valid stable id: lowercase letters, digits, `-`, `_` and `.`.
fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

/// An `http://` or `https://` URL with a host and no spaces.
fn is_http_url(s: &str) -> bool {
    let Some(rest) = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    !host.is_empty()
        && !s.chars().any(char::is_whitespace)
        && host.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':' | '[' | ']' | '@' | '_' | '%')
        })
}

/// `[[name]]` placeholders of a hot-area template: (byte offset, name).
fn placeholders(template: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = template[from..].find("[[") {
        let open = from + start;
        let Some(len) = template[open + 2..].find("]]") else {
            break;
        };
        let name = &template[open + 2..open + 2 + len];
        if name.contains('\n') || name.contains("[[") {
            from = open + 2;
            continue;
        }
        out.push((open, name.trim().to_owned()));
        from = open + 2 + len + 2;
    }
    out
}

/// `[text](#target)` links of a Markdown text: (byte offset of the `#`, target).
fn doc_links(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("](#") {
        let hash = from + i + 2;
        let Some(end) = text[hash..].find(')') else {
            break;
        };
        let target = &text[hash + 1..hash + end];
        if !target.is_empty() && !target.contains(char::is_whitespace) {
            out.push((hash, target.to_owned()));
        }
        from = hash + end;
    }
    out
}

/// An item's `answer`, typed by the item's type.
#[derive(Debug, Clone)]
enum Answer {
    One(String),
    List(Vec<String>),
    Map(BTreeMap<String, String>),
}

/// A match's slots (labelled choices) or a hot area's (drop-downs).
#[derive(Debug, Clone)]
enum Slots {
    Match(Vec<Choice>),
    Hot(Vec<HotSlot>),
}

/// An item as written: every field optional, read one at a time.
#[derive(Debug, Default)]
struct RawItem {
    id: Option<String>,
    domain: Option<String>,
    objective: Option<String>,
    stem: Option<String>,
    explanation: Option<String>,
    references: Option<Vec<String>>,
    scoring: Option<ScoringRule>,
    points: Option<u32>,
    difficulty: Option<Difficulty>,
    tags: Option<Vec<String>>,
    mentions: Option<Vec<String>>,
    reviewed: Option<String>,
    outline: Option<String>,
    options: Option<Vec<Choice>>,
    answer: Option<Answer>,
    choose: Option<u32>,
    statements: Option<Vec<Statement>>,
    steps: Option<Vec<Choice>>,
    choices: Option<Vec<Choice>>,
    slots: Option<Slots>,
    reuse: Option<bool>,
    template: Option<String>,
    template_language: Option<String>,
    title: Option<String>,
    documents: Option<Vec<Document>>,
}

/// Reports problems of one item (or case-study question) at paths relative to its node.
struct ItemCx<'a> {
    file: &'a str,
    node: &'a Node,
    item: Option<String>,
    problems: &'a mut Vec<Problem>,
    /// A problem that stops the item from being typed (missing field, wrong value type, unknown type).
    broken: bool,
}

impl ItemCx<'_> {
    fn report(&mut self, path: &[PathSeg], message: impl Into<String>) {
        let (line, column) = self.node.locate(path);
        self.report_at(line, column, message);
    }

    fn report_at(&mut self, line: usize, column: usize, message: impl Into<String>) {
        self.problems
            .push(problem(self.file, line, column, self.item.clone(), message));
    }

    /// At the item's `id` line (or where the item starts).
    fn report_item(&mut self, message: impl Into<String>) {
        self.report(&[key("id")], message);
    }

    /// Reads one field into its type, reporting a wrong value type at the offending path.
    fn field<T: DeserializeOwned>(&mut self, name: &str, value: &Value) -> Option<T> {
        match serde_path_to_error::deserialize::<_, T>(value) {
            Ok(v) => Some(v),
            Err(err) => {
                let (path, location, inner) = error_path(&[key(name)], &err);
                self.broken = true;
                self.report(
                    &location,
                    format!("`{}`: {inner}", yaml::format_path(&path)),
                );
                None
            }
        }
    }

    fn text_at(&mut self, path: &[PathSeg], offset: usize, message: impl Into<String>) {
        let (line, column) = match self.node.at(path) {
            Some(n) => n.text_position(offset),
            None => self.node.locate(path),
        };
        self.report_at(line, column, message);
    }

    /// Reports duplicate ids in a list at `base[i].id`.
    fn unique_ids<'s>(&mut self, base: &[PathSeg], what: &str, ids: impl Iterator<Item = &'s str>) {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, id) in ids.enumerate() {
            if let Some(first) = seen.get(id) {
                let mut path = base.to_vec();
                let mut first_path = base.to_vec();
                first_path.push(ix(*first));
                path.extend([ix(i), key("id")]);
                self.report(
                    &path,
                    format!(
                        "duplicate {what} id `{id}` (also at `{}`)",
                        yaml::format_path(&first_path)
                    ),
                );
            } else {
                seen.insert(id, i);
            }
        }
    }
}

fn list(ids: &[&str]) -> String {
    ids.iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A pack-wide id, and where it was first seen.
struct Seen {
    file: String,
    line: usize,
}

struct Checker<'a> {
    blueprint: Option<&'a Blueprint>,
    problems: Vec<Problem>,
    items: Vec<Item>,
    /// Every `pack:` found: (file, line, column, the metadata when valid).
    metas: Vec<(String, usize, usize, Option<PackMeta>)>,
    ids: HashMap<String, Seen>,
    /// A file could not be parsed: its `pack:` (if any) is unknown, so a missing one is not reported.
    unreadable: bool,
}

fn run(
    sources: &[(String, String)],
    blueprint: Option<&Blueprint>,
    pack_name: &str,
    problems: Vec<Problem>,
) -> CheckReport {
    let mut checker = Checker {
        blueprint,
        problems,
        items: Vec::new(),
        metas: Vec::new(),
        ids: HashMap::new(),
        unreadable: false,
    };
    for (name, text) in sources {
        checker.check_file(name, text);
    }
    let mut meta = None;
    match checker.metas.first() {
        None if checker.unreadable => {}
        None => checker.problems.push(problem(
            pack_name,
            1,
            1,
            None,
            "missing pack metadata: exactly one file of the pack needs a `pack:` section",
        )),
        Some((file, line, _, m)) => {
            meta = m.clone();
            let first = format!("{file}:{line}");
            for (file, line, column, _) in checker.metas.iter().skip(1) {
                checker.problems.push(problem(
                    file,
                    *line,
                    *column,
                    None,
                    format!("duplicate `pack:` metadata (the pack's is at {first}); a pack has exactly one"),
                ));
            }
        }
    }
    let mut problems = checker.problems;
    problems.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    CheckReport {
        pack: meta.map(|meta| Pack {
            meta,
            items: checker.items.clone(),
        }),
        items: checker.items,
        files: sources.iter().map(|(n, _)| n.clone()).collect(),
        problems,
        warnings: Vec::new(),
    }
}

impl Checker<'_> {
    fn check_file(&mut self, file: &str, text: &str) {
        let loaded = match yaml::parse(text) {
            Ok(l) => l,
            Err(e) => {
                self.problems
                    .push(problem(file, e.line, e.column, None, e.message));
                self.unreadable = true;
                return;
            }
        };
        let root = &loaded.root;
        for e in &loaded.problems {
            let item = item_at_line(root, e.line);
            self.problems
                .push(problem(file, e.line, e.column, item, e.message.clone()));
        }
        let entries = match &root.value {
            NodeValue::Null => return,
            NodeValue::Map(entries) => entries,
            _ => {
                self.problems.push(problem(
                    file,
                    root.line,
                    root.column,
                    None,
                    "a pack file must be a mapping with `pack:` and/or `items:`",
                ));
                return;
            }
        };
        for entry in entries {
            match entry.key.as_str() {
                "pack" => self.check_meta(file, root, &entry.value, entry.line, entry.column),
                "items" => match &entry.value.value {
                    NodeValue::Seq(items) => {
                        for node in items {
                            if let Some(item) = self.check_item(file, node) {
                                self.items.push(item);
                            }
                        }
                    }
                    NodeValue::Null => {}
                    _ => self.problems.push(problem(
                        file,
                        entry.line,
                        entry.column,
                        None,
                        "`items`: invalid type: expected a list of items",
                    )),
                },
                other => self.problems.push(problem(
                    file,
                    entry.line,
                    entry.column,
                    None,
                    format!(
                        "unknown top-level field `{other}` (a pack file has `pack:` and `items:`){}",
                        suggestion(other, &["pack", "items"])
                    ),
                )),
            }
        }
    }

    fn check_meta(&mut self, file: &str, root: &Node, node: &Node, line: usize, column: usize) {
        let value = node.to_json();
        let meta = match serde_path_to_error::deserialize::<_, PackMeta>(&value) {
            Ok(meta) => Some(meta),
            Err(err) => {
                let (path, location, inner) = error_path(&[key("pack")], &err);
                let (l, c) = root.locate(&location);
                self.problems.push(problem(
                    file,
                    l,
                    c,
                    None,
                    format!("`{}`: {inner}", yaml::format_path(&path)),
                ));
                None
            }
        };
        if let Some(meta) = &meta {
            if !is_valid_id(&meta.id) {
                let (l, c) = root.locate(&[key("pack"), key("id")]);
                self.problems.push(problem(
                    file,
                    l,
                    c,
                    None,
                    format!(
                        "pack id `{}` may hold only lowercase letters, digits, `-`, `_` and `.`",
                        meta.id
                    ),
                ));
            }
            if let Some(bp) = self.blueprint {
                if meta.blueprint != bp.id {
                    let (l, c) = root.locate(&[key("pack"), key("blueprint")]);
                    self.problems.push(problem(
                        file,
                        l,
                        c,
                        None,
                        format!(
                            "the pack targets blueprint `{}`, but it is checked against blueprint `{}`",
                            meta.blueprint, bp.id
                        ),
                    ));
                }
            }
        }
        self.metas.push((file.to_owned(), line, column, meta));
    }

    /// Records a pack-wide id; reports it when already used.
    fn register_id(&mut self, cx: &mut ItemCx<'_>, id: &str) {
        let (line, column) = cx.node.locate(&[key("id")]);
        if let Some(seen) = self.ids.get(id) {
            cx.report_at(
                line,
                column,
                format!(
                    "duplicate item id `{id}` (first used at {}:{})",
                    seen.file, seen.line
                ),
            );
        } else {
            self.ids.insert(
                id.to_owned(),
                Seen {
                    file: cx.file.to_owned(),
                    line,
                },
            );
        }
        if !is_valid_id(id) {
            cx.report_at(
                line,
                column,
                format!("item id `{id}` may hold only lowercase letters, digits, `-`, `_` and `.`"),
            );
        }
    }

    /// Checks one entry of `items:`; returns it typed when it can be.
    fn check_item(&mut self, file: &str, node: &Node) -> Option<Item> {
        let kind = self.read_kind(file, node, None)?;
        match kind {
            Some(Kind::CaseStudy) => self
                .check_case_study(file, node)
                .map(|c| Item::CaseStudy(CaseStudyItem::CaseStudy(c))),
            kind => self
                .check_question(file, node, kind, None)
                .map(Item::Question),
        }
    }

    /// Reads `type:`. `None` when the node is not a mapping (reported); `Some(None)` for a missing or unknown type.
    fn read_kind(&mut self, file: &str, node: &Node, item: Option<String>) -> Option<Option<Kind>> {
        if !matches!(node.value, NodeValue::Map(_)) {
            self.problems.push(problem(
                file,
                node.line,
                node.column,
                item,
                "an item must be a mapping with `id`, `type`, `stem` …",
            ));
            return None;
        }
        Some(
            node.get("type")
                .and_then(Node::as_str)
                .and_then(Kind::parse),
        )
    }

    /// Reads every field of an item, reporting unknown fields, fields of another type, wrong value types and
    /// missing required fields.
    fn read_fields(&mut self, cx: &mut ItemCx<'_>, kind: Option<Kind>, in_case: bool) -> RawItem {
        let mut raw = RawItem::default();
        let NodeValue::Map(entries) = &cx.node.value else {
            return raw;
        };
        let type_name = kind.map(Kind::name);
        match cx.node.entry("type") {
            None => {
                cx.broken = true;
                cx.report_item("missing field `type`");
            }
            Some(e) if kind.is_none() => {
                cx.broken = true;
                let names: Vec<&str> = KINDS.iter().map(|(n, _)| *n).collect();
                let written = match e.value.as_str() {
                    Some(s) => format!("`{s}`"),
                    None => "a non-string value".to_owned(),
                };
                cx.report_at(
                    e.line,
                    e.column,
                    format!("unknown type {written} (expected one of {})", list(&names)),
                );
            }
            Some(_) => {}
        }
        for entry in entries {
            let name = entry.key.as_str();
            if !is_known_field(name) {
                let candidates = kind.map_or_else(
                    || {
                        QUESTION_FIELDS
                            .iter()
                            .chain(SPECIFIC_FIELDS)
                            .chain(CASE_FIELDS)
                            .copied()
                            .collect()
                    },
                    Kind::allowed,
                );
                cx.report_at(
                    entry.line,
                    entry.column,
                    format!("unknown field `{name}`{}", suggestion(name, &candidates)),
                );
                continue;
            }
            if let Some(kind) = kind {
                if !kind.allows(name) {
                    let article = if kind == Kind::Order { "an" } else { "a" };
                    cx.report_at(
                        entry.line,
                        entry.column,
                        format!(
                            "field `{name}` does not belong to {article} `{}` item",
                            kind.name()
                        ),
                    );
                    continue;
                }
            }
            let value = entry.value.to_json();
            match name {
                "id" => raw.id = cx.field(name, &value),
                "type" => {}
                "domain" => raw.domain = cx.field(name, &value),
                "objective" => raw.objective = cx.field(name, &value),
                "stem" => raw.stem = cx.field(name, &value),
                "explanation" => raw.explanation = cx.field(name, &value),
                "references" => raw.references = cx.field(name, &value),
                "scoring" => raw.scoring = cx.field(name, &value),
                "points" => raw.points = cx.field(name, &value),
                "difficulty" => raw.difficulty = cx.field(name, &value),
                "tags" => raw.tags = cx.field(name, &value),
                "mentions" => raw.mentions = cx.field(name, &value),
                "reviewed" => raw.reviewed = cx.field(name, &value),
                "outline" => raw.outline = cx.field(name, &value),
                "options" => raw.options = cx.field(name, &value),
                "choose" => raw.choose = cx.field(name, &value),
                "statements" => raw.statements = cx.field(name, &value),
                "steps" => raw.steps = cx.field(name, &value),
                "choices" => raw.choices = cx.field(name, &value),
                "reuse" => raw.reuse = cx.field(name, &value),
                "template" => raw.template = cx.field(name, &value),
                "template_language" => raw.template_language = cx.field(name, &value),
                "title" => raw.title = cx.field(name, &value),
                "documents" => raw.documents = cx.field(name, &value),
                "answer" => {
                    raw.answer = match kind {
                        Some(Kind::Single) => cx.field(name, &value).map(Answer::One),
                        Some(Kind::Multiple | Kind::Order) => {
                            cx.field(name, &value).map(Answer::List)
                        }
                        Some(Kind::Match) => cx.field(name, &value).map(Answer::Map),
                        _ => None,
                    }
                }
                "slots" => {
                    raw.slots = match kind {
                        Some(Kind::Match) => cx.field(name, &value).map(Slots::Match),
                        Some(Kind::HotArea) => cx.field(name, &value).map(Slots::Hot),
                        _ => None,
                    }
                }
                "questions" if !matches!(entry.value.value, NodeValue::Seq(_)) => {
                    cx.broken = true;
                    cx.report_at(
                        entry.line,
                        entry.column,
                        "`questions`: invalid type: expected a list of questions",
                    );
                }
                _ => {}
            }
        }
        let required: Vec<&str> = match kind {
            Some(Kind::CaseStudy) => CASE_REQUIRED.to_vec(),
            Some(k) => QUESTION_REQUIRED
                .iter()
                .chain(k.specific().0)
                .copied()
                .collect(),
            None => QUESTION_REQUIRED.to_vec(),
        };
        for field in required {
            if field == "type" || (field == "domain" && in_case) {
                continue;
            }
            if cx.node.entry(field).is_none() {
                cx.broken = true;
                let why = type_name
                    .map(|t| format!(" (required for a `{t}` item)"))
                    .unwrap_or_default();
                cx.report_item(format!("missing field `{field}`{why}"));
            }
        }
        raw
    }

    /// Domain and objective against the blueprint; `domain` is the effective domain (own or case study's).
    fn check_blueprint_refs(&self, cx: &mut ItemCx<'_>, raw: &RawItem, case_domain: Option<&str>) {
        let Some(bp) = self.blueprint else { return };
        let mut domain_ok = None;
        if let Some(d) = &raw.domain {
            if bp.domain(d).is_some() {
                domain_ok = Some(d.as_str());
            } else {
                let ids: Vec<&str> = bp.domains.iter().map(|d| d.id.as_str()).collect();
                cx.report(
                    &[key("domain")],
                    format!(
                        "unknown domain `{d}`: blueprint `{}` has {}",
                        bp.id,
                        list(&ids)
                    ),
                );
            }
        } else if let Some(d) = case_domain {
            domain_ok = bp.domain(d).map(|_| d);
        }
        if let Some(o) = &raw.objective {
            let owner = bp
                .domains
                .iter()
                .find(|d| d.objectives.iter().any(|x| &x.id == o));
            match (owner, domain_ok) {
                (None, Some(d)) => {
                    let ids: Vec<&str> = bp
                        .domain(d)
                        .map(|d| d.objectives.iter().map(|o| o.id.as_str()).collect())
                        .unwrap_or_default();
                    cx.report(
                        &[key("objective")],
                        format!("unknown objective `{o}`: domain `{d}` has {}", list(&ids)),
                    );
                }
                (None, None) => cx.report(
                    &[key("objective")],
                    format!(
                        "unknown objective `{o}`: it is in no domain of blueprint `{}`",
                        bp.id
                    ),
                ),
                (Some(owner), Some(d)) if owner.id != d => cx.report(
                    &[key("objective")],
                    format!(
                        "objective `{o}` belongs to domain `{}`, not to `{d}`",
                        owner.id
                    ),
                ),
                _ => {}
            }
        }
    }

    fn check_question(
        &mut self,
        file: &str,
        node: &Node,
        kind: Option<Kind>,
        case_domain: Option<&str>,
    ) -> Option<Question> {
        let item = node.get("id").and_then(Node::as_str).map(str::to_owned);
        let mut problems = Vec::new();
        let mut cx = ItemCx {
            file,
            node,
            item: item.clone(),
            problems: &mut problems,
            broken: false,
        };
        let raw = self.read_fields(&mut cx, kind, case_domain.is_some());
        if let Some(id) = &raw.id {
            self.register_id(&mut cx, id);
        }
        self.check_blueprint_refs(&mut cx, &raw, case_domain);
        check_common(&mut cx, &raw);
        if let Some(kind) = kind {
            check_body(&mut cx, &raw, kind);
        }
        let broken = cx.broken;
        self.problems.append(&mut problems);
        if broken {
            return None;
        }
        typed_question(raw, kind?)
    }

    fn check_case_study(&mut self, file: &str, node: &Node) -> Option<CaseStudy> {
        let item = node.get("id").and_then(Node::as_str).map(str::to_owned);
        let mut problems = Vec::new();
        let mut cx = ItemCx {
            file,
            node,
            item: item.clone(),
            problems: &mut problems,
            broken: false,
        };
        let raw = self.read_fields(&mut cx, Some(Kind::CaseStudy), false);
        if let Some(id) = &raw.id {
            self.register_id(&mut cx, id);
        }
        self.check_blueprint_refs(&mut cx, &raw, None);
        for (field, text) in [("title", &raw.title), ("stem", &raw.stem)] {
            if text.as_deref().is_some_and(|t| t.trim().is_empty()) {
                cx.report(&[key(field)], format!("empty `{field}`"));
            }
        }
        let doc_ids: Option<HashSet<&str>> = raw
            .documents
            .as_ref()
            .map(|docs| docs.iter().map(|d| d.id.as_str()).collect());
        if let Some(docs) = &raw.documents {
            cx.unique_ids(
                &[key("documents")],
                "document",
                docs.iter().map(|d| d.id.as_str()),
            );
            for (i, doc) in docs.iter().enumerate() {
                if doc.body.trim().is_empty() {
                    cx.report(
                        &[key("documents"), ix(i), key("body")],
                        format!("document `{}` has an empty body", doc.id),
                    );
                }
            }
        }
        // Links in the case study's own Markdown (its stem and documents).
        if let Some(ids) = &doc_ids {
            let mut own = Vec::new();
            if let Some(stem) = node.get("stem") {
                collect_missing_links(stem, ids, &mut own);
            }
            if let Some(docs) = node.get("documents") {
                collect_missing_links(docs, ids, &mut own);
            }
            for (line, column, target) in own {
                cx.report_at(
                    line,
                    column,
                    format!("link to document `#{target}`, which this case study does not have"),
                );
            }
        }
        let mut questions = Vec::new();
        let mut count = None;
        let case_domain = raw.domain.clone();
        if let Some(q_node) = node.get("questions") {
            if let NodeValue::Seq(nodes) = &q_node.value {
                count = Some(nodes.len());
                for (i, qn) in nodes.iter().enumerate() {
                    let q_item = qn.get("id").and_then(Node::as_str).map(str::to_owned);
                    let Some(kind) = self.read_kind(file, qn, q_item.clone().or(item.clone()))
                    else {
                        cx.broken = true;
                        continue;
                    };
                    if kind == Some(Kind::CaseStudy) {
                        let (line, column) = node.locate(&[key("questions"), ix(i), key("type")]);
                        cx.problems.push(problem(
                            file,
                            line,
                            column,
                            q_item.or(item.clone()),
                            "a case study cannot contain another case study",
                        ));
                        cx.broken = true;
                        continue;
                    }
                    let domain = case_domain.as_deref().unwrap_or("");
                    let typed = self.check_question(file, qn, kind, Some(domain));
                    if let Some(ids) = &doc_ids {
                        let mut missing = Vec::new();
                        collect_missing_links(qn, ids, &mut missing);
                        for (line, column, target) in missing {
                            self.problems.push(problem(
                                file,
                                line,
                                column,
                                qn.get("id").and_then(Node::as_str).map(str::to_owned),
                                format!("link to document `#{target}`, which this case study does not have"),
                            ));
                        }
                    }
                    match typed {
                        Some(q) => questions.push(q),
                        None => cx.broken = true,
                    }
                }
            }
        }
        if let Some(n) = count {
            if !(2..=6).contains(&n) {
                cx.report(
                    &[key("questions")],
                    format!("a case study needs 2 to 6 questions; it has {n}"),
                );
            }
        }
        let broken = cx.broken;
        self.problems.append(&mut problems);
        if broken {
            return None;
        }
        Some(CaseStudy {
            id: raw.id?,
            domain: raw.domain?,
            title: raw.title?,
            stem: raw.stem?,
            documents: raw.documents?,
            questions,
            difficulty: raw.difficulty,
            tags: raw.tags.unwrap_or_default(),
            mentions: raw.mentions.unwrap_or_default(),
            reviewed: raw.reviewed,
            outline: raw.outline,
        })
    }
}

/// The id of the item (or case-study question) that holds `line`, for problems found by the YAML loader.
fn item_at_line(root: &Node, line: usize) -> Option<String> {
    let entry = root.entry("items")?;
    if entry.line >= line {
        return None;
    }
    let NodeValue::Seq(items) = &entry.value.value else {
        return None;
    };
    let item = items.iter().rev().find(|n| n.line <= line)?;
    let inner = match item.get("questions").map(|q| &q.value) {
        Some(NodeValue::Seq(questions)) => questions.iter().rev().find(|n| n.line <= line),
        _ => None,
    };
    inner
        .unwrap_or(item)
        .get("id")
        .and_then(Node::as_str)
        .map(str::to_owned)
}

/// Finds `[text](#target)` links to missing documents in every string below `node`: (line, column, target).
fn collect_missing_links(node: &Node, ids: &HashSet<&str>, out: &mut Vec<(usize, usize, String)>) {
    match &node.value {
        NodeValue::String(s) => {
            for (offset, target) in doc_links(s) {
                if !ids.contains(target.as_str()) {
                    let (line, column) = node.text_position(offset);
                    out.push((line, column, target));
                }
            }
        }
        NodeValue::Seq(items) => {
            for n in items {
                collect_missing_links(n, ids, out);
            }
        }
        NodeValue::Map(entries) => {
            for e in entries {
                collect_missing_links(&e.value, ids, out);
            }
        }
        _ => {}
    }
}

/// Stem, explanation, references and points.
fn check_common(cx: &mut ItemCx<'_>, raw: &RawItem) {
    for (field, text) in [("stem", &raw.stem), ("explanation", &raw.explanation)] {
        if text.as_deref().is_some_and(|t| t.trim().is_empty()) {
            cx.report(&[key(field)], format!("empty `{field}`"));
        }
    }
    if let Some(refs) = &raw.references {
        if refs.is_empty() {
            cx.report(
                &[key("references")],
                "no references: give at least one http(s) URL",
            );
        }
        for (i, r) in refs.iter().enumerate() {
            if !is_http_url(r) {
                cx.report(
                    &[key("references"), ix(i)],
                    format!("reference `{r}` is not an http(s) URL"),
                );
            }
        }
    }
    if raw.points == Some(0) {
        cx.report(&[key("points")], "`points` must be at least 1");
    }
}

/// The checks of each type's body.
fn check_body(cx: &mut ItemCx<'_>, raw: &RawItem, kind: Kind) {
    match kind {
        Kind::Single | Kind::Multiple => check_choice_question(cx, raw, kind),
        Kind::YesNoSeries => {
            if let Some(statements) = &raw.statements {
                if statements.is_empty() {
                    cx.report(
                        &[key("statements")],
                        "a `yes_no_series` item needs at least one statement",
                    );
                }
                cx.unique_ids(
                    &[key("statements")],
                    "statement",
                    statements.iter().map(|s| s.id.as_str()),
                );
            }
        }
        Kind::Order => check_order(cx, raw),
        Kind::Match => check_match(cx, raw),
        Kind::HotArea => check_hot_area(cx, raw),
        Kind::CaseStudy => {}
    }
}

fn check_choice_question(cx: &mut ItemCx<'_>, raw: &RawItem, kind: Kind) {
    let Some(options) = &raw.options else { return };
    if options.len() < 2 {
        cx.report(
            &[key("options")],
            format!(
                "a `{}` item needs at least 2 options; it has {}",
                kind.name(),
                options.len()
            ),
        );
    }
    cx.unique_ids(
        &[key("options")],
        "option",
        options.iter().map(|o| o.id.as_str()),
    );
    let ids: Vec<&str> = options.iter().map(|o| o.id.as_str()).collect();
    match &raw.answer {
        Some(Answer::One(a)) if !ids.contains(&a.as_str()) => {
            cx.report(
                &[key("answer")],
                format!("answer `{a}` names no option (options: {})", list(&ids)),
            );
        }
        Some(Answer::List(answers)) => {
            if answers.is_empty() {
                cx.report(&[key("answer")], "`answer` is empty");
            }
            let mut seen = HashSet::new();
            for (i, a) in answers.iter().enumerate() {
                if !ids.contains(&a.as_str()) {
                    cx.report(
                        &[key("answer"), ix(i)],
                        format!("answer `{a}` names no option (options: {})", list(&ids)),
                    );
                } else if !seen.insert(a.as_str()) {
                    cx.report(
                        &[key("answer"), ix(i)],
                        format!("answer `{a}` is listed twice"),
                    );
                }
            }
            if let Some(choose) = raw.choose {
                if usize::try_from(choose).ok() != Some(answers.len()) {
                    cx.report(
                        &[key("choose")],
                        format!(
                            "`choose` is {choose} but `answer` lists {} option(s)",
                            answers.len()
                        ),
                    );
                }
            }
        }
        _ => {}
    }
}

fn check_order(cx: &mut ItemCx<'_>, raw: &RawItem) {
    let Some(steps) = &raw.steps else { return };
    cx.unique_ids(&[key("steps")], "step", steps.iter().map(|s| s.id.as_str()));
    let ids: Vec<&str> = steps.iter().map(|s| s.id.as_str()).collect();
    let Some(Answer::List(answer)) = &raw.answer else {
        return;
    };
    if answer.len() < 2 {
        cx.report(
            &[key("answer")],
            format!(
                "an `order` answer needs at least 2 steps; it has {}",
                answer.len()
            ),
        );
    }
    let mut seen = HashSet::new();
    for (i, a) in answer.iter().enumerate() {
        if !ids.contains(&a.as_str()) {
            cx.report(
                &[key("answer"), ix(i)],
                format!("answer `{a}` names no step (steps: {})", list(&ids)),
            );
        } else if !seen.insert(a.as_str()) {
            cx.report(
                &[key("answer"), ix(i)],
                format!("step `{a}` appears twice in the answer"),
            );
        }
    }
}

fn check_match(cx: &mut ItemCx<'_>, raw: &RawItem) {
    if let Some(choices) = &raw.choices {
        if choices.is_empty() {
            cx.report(
                &[key("choices")],
                "a `match` item needs at least one choice",
            );
        }
        cx.unique_ids(
            &[key("choices")],
            "choice",
            choices.iter().map(|c| c.id.as_str()),
        );
    }
    let slots = match &raw.slots {
        Some(Slots::Match(slots)) => Some(slots),
        _ => None,
    };
    if let Some(slots) = slots {
        if slots.is_empty() {
            cx.report(&[key("slots")], "a `match` item needs at least one slot");
        }
        cx.unique_ids(&[key("slots")], "slot", slots.iter().map(|s| s.id.as_str()));
    }
    let Some(Answer::Map(answer)) = &raw.answer else {
        return;
    };
    let choice_ids: Option<Vec<&str>> = raw
        .choices
        .as_ref()
        .map(|c| c.iter().map(|c| c.id.as_str()).collect());
    let slot_ids: Option<Vec<&str>> = slots.map(|s| s.iter().map(|s| s.id.as_str()).collect());
    // Walk the answer in file order, so problems come out in line order.
    let mut ordered: Vec<(&String, &String)> = answer.iter().collect();
    ordered.sort_by_key(|(slot, _)| cx.node.locate(&[key("answer"), key(slot)]));
    let mut used: HashMap<&str, &str> = HashMap::new();
    for (slot, choice) in ordered {
        let at = [key("answer"), key(slot)];
        if let Some(ids) = &slot_ids {
            if !ids.contains(&slot.as_str()) {
                cx.report(
                    &at,
                    format!(
                        "answer names slot `{slot}`, which does not exist (slots: {})",
                        list(ids)
                    ),
                );
            }
        }
        if let Some(ids) = &choice_ids {
            if !ids.contains(&choice.as_str()) {
                cx.report(
                    &at,
                    format!("answer for slot `{slot}` names choice `{choice}`, which does not exist (choices: {})", list(ids)),
                );
                continue;
            }
        }
        if raw.reuse != Some(true) {
            if let Some(first) = used.get(choice.as_str()) {
                cx.report(
                    &at,
                    format!("choice `{choice}` is used for slots `{first}` and `{slot}`, but `reuse` is not true"),
                );
            } else {
                used.insert(choice, slot);
            }
        }
    }
    if let Some(ids) = &slot_ids {
        for id in ids {
            if !answer.contains_key(*id) {
                cx.report(
                    &[key("answer")],
                    format!("answer gives no choice for slot `{id}`"),
                );
            }
        }
    }
}

fn check_hot_area(cx: &mut ItemCx<'_>, raw: &RawItem) {
    let Some(Slots::Hot(slots)) = &raw.slots else {
        return;
    };
    if slots.is_empty() {
        cx.report(&[key("slots")], "a `hot_area` item needs at least one slot");
    }
    cx.unique_ids(&[key("slots")], "slot", slots.iter().map(|s| s.id.as_str()));
    for (i, slot) in slots.iter().enumerate() {
        let base = [key("slots"), ix(i), key("options")];
        if slot.options.len() < 2 {
            cx.report(
                &base,
                format!(
                    "slot `{}` needs at least 2 options; it has {}",
                    slot.id,
                    slot.options.len()
                ),
            );
        }
        cx.unique_ids(&base, "option", slot.options.iter().map(|o| o.id.as_str()));
        let ids: Vec<&str> = slot.options.iter().map(|o| o.id.as_str()).collect();
        if !ids.contains(&slot.answer.as_str()) {
            cx.report(
                &[key("slots"), ix(i), key("answer")],
                format!(
                    "answer `{}` of slot `{}` names no option (options: {})",
                    slot.answer,
                    slot.id,
                    list(&ids)
                ),
            );
        }
    }
    let Some(template) = &raw.template else {
        return;
    };
    let slot_ids: Vec<&str> = slots.iter().map(|s| s.id.as_str()).collect();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (offset, name) in placeholders(template) {
        match slot_ids.iter().find(|s| **s == name) {
            Some(id) => {
                let n = counts.entry(id).or_insert(0);
                *n += 1;
                if *n == 2 {
                    cx.text_at(
                        &[key("template")],
                        offset,
                        format!("slot `{name}` appears more than once in the template"),
                    );
                }
            }
            None => cx.text_at(
                &[key("template")],
                offset,
                format!(
                    "placeholder `[[{name}]]` names no slot (slots: {})",
                    list(&slot_ids)
                ),
            ),
        }
    }
    for (i, id) in slot_ids.iter().enumerate() {
        if !counts.contains_key(id) {
            cx.report(
                &[key("slots"), ix(i), key("id")],
                format!(
                    "slot `{id}` does not appear in the template (write `[[{id}]]` where it goes)"
                ),
            );
        }
    }
}

/// The typed question, when every field it needs is present.
fn typed_question(raw: RawItem, kind: Kind) -> Option<Question> {
    let body = match (kind, raw.answer, raw.slots) {
        (Kind::Single, Some(Answer::One(answer)), _) => Body::Single {
            options: raw.options?,
            answer,
        },
        (Kind::Multiple, Some(Answer::List(answer)), _) => Body::Multiple {
            choose: raw.choose?,
            options: raw.options?,
            answer,
        },
        (Kind::YesNoSeries, _, _) => Body::YesNoSeries {
            statements: raw.statements?,
        },
        (Kind::Order, Some(Answer::List(answer)), _) => Body::Order {
            steps: raw.steps?,
            answer,
        },
        (Kind::Match, Some(Answer::Map(answer)), Some(Slots::Match(slots))) => Body::Match {
            choices: raw.choices?,
            slots,
            answer,
            reuse: raw.reuse.unwrap_or(false),
        },
        (Kind::HotArea, _, Some(Slots::Hot(slots))) => Body::HotArea {
            template: raw.template?,
            template_language: raw.template_language,
            slots,
        },
        _ => return None,
    };
    Some(Question {
        common: Common {
            id: raw.id?,
            domain: raw.domain,
            objective: raw.objective?,
            stem: raw.stem?,
            explanation: raw.explanation?,
            references: raw.references?,
            scoring: raw.scoring.unwrap_or_default(),
            points: raw.points,
            difficulty: raw.difficulty,
            tags: raw.tags.unwrap_or_default(),
            mentions: raw.mentions.unwrap_or_default(),
            reviewed: raw.reviewed,
            outline: raw.outline,
        },
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blueprint() -> Blueprint {
        shipped_blueprint().expect("the shipped blueprint loads")
    }

    fn check(text: &str) -> CheckReport {
        check_sources(&[("p.yaml".to_owned(), text.to_owned())], &blueprint())
    }

    const META: &str = "pack: { id: t, title: T, version: 1, blueprint: ai102 }\n";

    fn single(id: &str, extra: &str) -> String {
        format!(
            "  - id: {id}\n    type: single\n    domain: plan\n    objective: plan.secure\n    stem: S\n    \
             options: [{{ id: a, text: A }}, {{ id: b, text: B }}]\n    answer: a\n    explanation: E\n    \
             references: [https://learn.microsoft.com/x]\n{extra}"
        )
    }

    #[test]
    fn the_shipped_blueprint_loads_without_problems() {
        let bp = blueprint();
        assert_eq!(bp.id, "ai102");
        assert_eq!(bp.domains.len(), 5);
    }

    #[test]
    fn a_problem_displays_as_file_line_column_item_message() {
        let p = problem("a.yaml", 3, 5, Some("q1".into()), "empty `stem`");
        assert_eq!(p.to_string(), "a.yaml:3:5: [q1] empty `stem`");
        let p = problem("a.yaml", 1, 1, None, "missing pack metadata");
        assert_eq!(p.to_string(), "a.yaml:1:1: missing pack metadata");
    }

    #[test]
    fn a_clean_pack_is_typed_with_its_metadata() {
        let report = check(&format!("{META}items:\n{}", single("q1", "")));
        assert!(report.is_clean(), "{:?}", report.problems);
        let pack = report.pack.expect("pack");
        assert_eq!(pack.meta.id, "t");
        assert_eq!(pack.items.len(), 1);
        assert_eq!(pack.items[0].id(), "q1");
    }

    #[test]
    fn one_bad_item_does_not_hide_the_problems_of_the_next() {
        let text = format!(
            "{META}items:\n{}{}",
            single("q1", "    colour: red\n    shade: dark\n"),
            single("q2", "    choose: 2\n")
        );
        let report = check(&text);
        let messages: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].contains("[q1] unknown field `colour`"));
        assert!(messages[1].contains("[q1] unknown field `shade`"));
        assert!(messages[2].contains("[q2] field `choose` does not belong to a `single` item"));
        assert_eq!(report.items.len(), 2, "unknown fields do not stop typing");
    }

    #[test]
    fn a_wrong_value_type_stops_typing_only_that_item() {
        let text = format!(
            "{META}items:\n{}{}",
            single("q1", "    points: many\n"),
            single("q2", "")
        );
        let report = check(&text);
        assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
        assert!(report.problems[0]
            .message
            .starts_with("`points`: invalid type: string \"many\""));
        assert_eq!(report.problems[0].line, 12);
        assert_eq!(report.items.len(), 1);
        assert_eq!(report.items[0].id(), "q2");
    }

    #[test]
    fn problems_are_sorted_by_file_then_line() {
        let sources = vec![
            (
                "b.yaml".to_owned(),
                format!("items:\n{}", single("q2", "    stem2: x\n")),
            ),
            (
                "a.yaml".to_owned(),
                format!("{META}items:\n{}", single("q1", "    zzz: 1\n    aaa: 2\n")),
            ),
        ];
        let report = check_sources(&sources, &blueprint());
        let order: Vec<(String, usize)> = report
            .problems
            .iter()
            .map(|p| (p.file.clone(), p.line))
            .collect();
        assert_eq!(
            order,
            vec![
                ("a.yaml".into(), 12),
                ("a.yaml".into(), 13),
                ("b.yaml".into(), 11)
            ]
        );
    }

    #[test]
    fn an_unknown_field_gets_a_suggestion() {
        let report = check(&format!(
            "{META}items:\n{}",
            single("q1", "    explaination: x\n")
        ));
        assert_eq!(
            report.problems[0].message,
            "unknown field `explaination` (did you mean `explanation`?)"
        );
    }

    #[test]
    fn a_json_pack_file_is_checked_like_yaml() {
        let text = r#"{"pack": {"id": "t", "title": "T", "version": 1, "blueprint": "ai102"},
 "items": [{"id": "q1", "type": "single", "domain": "plan", "objective": "plan.secure", "stem": "S",
   "options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}], "answer": "c",
   "explanation": "E", "references": ["https://learn.microsoft.com/x"]}]}"#;
        let report = check_sources(&[("p.json".to_owned(), text.to_owned())], &blueprint());
        assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
        assert_eq!(
            (report.problems[0].line, report.problems[0].column),
            (3, 69)
        );
        assert!(report.problems[0]
            .message
            .starts_with("answer `c` names no option"));
    }

    #[test]
    fn an_empty_file_is_an_empty_pack_file() {
        let sources = vec![
            ("a.yaml".to_owned(), String::new()),
            (
                "b.yaml".to_owned(),
                format!("{META}items:\n{}", single("q1", "")),
            ),
        ];
        assert!(check_sources(&sources, &blueprint()).is_clean());
    }

    #[test]
    fn no_sources_at_all_is_a_missing_pack_metadata() {
        let report = check_sources(&[], &blueprint());
        assert_eq!(report.problems.len(), 1);
        assert!(report.problems[0]
            .message
            .starts_with("missing pack metadata"));
    }

    #[test]
    fn a_blueprint_with_duplicate_ids_is_refused() {
        let text = "id: b\nexam: E\ntitle: T\nversion: '1'\ndomains:\n  - id: d\n    title: D\n    weight: { min: 20, max: 10 }\n    objectives: [{ id: o, title: O }]\n  - id: d\n    title: D2\n    weight: { min: 1, max: 2 }\n    objectives: [{ id: o, title: O }]\n";
        let problems = load_blueprint("bp.yaml", text).expect_err("refused");
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![8, 10, 13], "{problems:?}");
    }

    #[test]
    fn a_blueprint_missing_a_field_is_one_problem() {
        let problems = load_blueprint("bp.yaml", "id: b\nexam: E\ntitle: T\ndomains: []\n")
            .expect_err("refused");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].message, "missing field `version`");
    }

    #[test]
    fn placeholders_and_links_are_found_with_their_offsets() {
        assert_eq!(
            placeholders("a [[x]] b [[ y ]] [[\n]] [[z"),
            vec![(2, "x".to_owned()), (10, "y".to_owned())]
        );
        assert_eq!(
            doc_links("See [the overview](#overview) and [x](https://e.com#a) or [y](#req)."),
            vec![(19, "overview".to_owned()), (62, "req".to_owned())]
        );
    }

    #[test]
    fn only_http_and_https_urls_are_references() {
        assert!(is_http_url(
            "https://learn.microsoft.com/azure/ai-services/"
        ));
        assert!(is_http_url("http://example.com"));
        assert!(!is_http_url("ftp://example.com"));
        assert!(!is_http_url("https://"));
        assert!(!is_http_url("https://exa mple.com"));
        assert!(!is_http_url("learn.microsoft.com"));
    }

    #[test]
    fn ids_are_lowercase_letters_digits_and_separators() {
        assert!(is_valid_id("plan-001.a_b"));
        assert!(!is_valid_id("Plan-001"));
        assert!(!is_valid_id("plan 001"));
        assert!(!is_valid_id(""));
    }
}
