//! `bank check`: reads a pack's files through the located YAML loader, checks every item against the format
//! (docs/question-format.md) and the blueprint, and reports every problem with its file, line, column and item.
//!
//! Items are read one at a time and field by field into a flat raw item whose fields are all optional, so one
//! bad field or item does not hide the problems of the others; a raw item with all its fields present and
//! well typed becomes a typed [`Question`] or [`CaseStudy`]. Only [`check_path`] touches the file system.

use super::model::{Blueprint, Item, Pack};
use super::yaml::{self, PathSeg};
use serde::Serialize;
use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

mod answers;
mod case_study;
mod files;
mod kinds;
mod placement;
mod read;
mod state;
#[cfg(test)]
mod tests;
mod text;

use answers::*;
use kinds::*;
use state::*;
use text::*;

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
