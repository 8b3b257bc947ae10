//! A bank on disk: the root (the folder holding `exams/` and `lexicon.yaml`), its exam folders, and the check of
//! one exam folder with everything beside its items (exam.yaml, the blueprint, the review log). Reads files; the
//! rules themselves are in the pure modules.

use super::check::{check_path, load_blueprint, shipped_blueprint, CheckReport, Problem};
use super::exam::{check_exam, load_exam, Exam};
use super::lexicon::{self, Lexicon};
use super::model::Blueprint;
use super::review::{self, ReviewStatus};
use std::path::{Path, PathBuf};
use time::Date;

/// The bank root a path is in: the nearest folder (the path itself included) that holds an `exams/` folder.
pub fn find_root(path: &Path) -> Option<PathBuf> {
    let start = if path.is_file() { path.parent()? } else { path };
    start
        .ancestors()
        .find(|dir| dir.join("exams").is_dir())
        .map(Path::to_path_buf)
}

/// Whether `path` is a bank root (it holds `exams/`).
pub fn is_root(path: &Path) -> bool {
    path.is_dir() && path.join("exams").is_dir()
}

/// The lexicon for a path: `<root>/lexicon.yaml` of the bank it is in, else the shipped one. A lexicon file with
/// problems gives its problems and the shipped lexicon.
///
/// # Errors
/// An I/O error reading the file.
pub fn lexicon_for(path: &Path) -> std::io::Result<(Lexicon, Vec<Problem>)> {
    let file = find_root(path).map(|root| root.join("lexicon.yaml"));
    match file {
        Some(file) if file.is_file() => {
            let name = file.display().to_string();
            let text = std::fs::read_to_string(&file)?;
            Ok(match lexicon::load_lexicon(&name, &text) {
                Ok(l) => (l, Vec::new()),
                Err(p) => (lexicon::shipped().clone(), p),
            })
        }
        _ => Ok((lexicon::shipped().clone(), Vec::new())),
    }
}

/// The blueprint a pack folder is checked against: its own `blueprint.yaml`, else the shipped AI-102 one.
///
/// # Errors
/// An I/O error reading the file.
pub fn blueprint_for(path: &Path) -> std::io::Result<Result<Blueprint, Vec<Problem>>> {
    let own = path.join("blueprint.yaml");
    if path.is_dir() && own.is_file() {
        let text = std::fs::read_to_string(&own)?;
        Ok(load_blueprint(&own.display().to_string(), &text))
    } else {
        Ok(shipped_blueprint())
    }
}

/// Everything `bank check` and `bank stats` know about one exam folder (or a plain pack).
#[derive(Debug, Clone)]
pub struct ExamCheck {
    pub dir: PathBuf,
    /// The exam's code: from `exam.yaml`, else the blueprint's exam, else the folder's name in capitals.
    pub code: String,
    /// `exam.yaml`, when present and readable.
    pub exam: Option<Exam>,
    /// The pack check (items, problems, warnings).
    pub report: CheckReport,
    /// The blueprint, when it loads.
    pub blueprint: Option<Blueprint>,
    /// Problems of `exam.yaml`, the blueprint and the review log (the pack's own are in `report`).
    pub problems: Vec<Problem>,
    /// The review log's status, when the folder has `review-log.yaml`.
    pub review: Option<ReviewStatus>,
}

impl ExamCheck {
    /// Every problem: the pack's and those of the files beside it.
    pub fn all_problems(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().chain(&self.report.problems)
    }

    pub fn problem_count(&self) -> usize {
        self.problems.len() + self.report.problems.len()
    }
}

/// Checks one exam folder (or any pack file or folder): the pack, and when present its `exam.yaml` (against the
/// blueprint and the dates on `today`) and its `review-log.yaml`.
///
/// # Errors
/// An I/O error reading the folder.
pub fn check_exam_dir(dir: &Path, today: Date) -> std::io::Result<ExamCheck> {
    let report = check_path(dir)?;
    let mut problems = Vec::new();
    // A folder's own blueprint problems are in the report already; the shipped one has none.
    let blueprint = blueprint_for(dir)?.ok();
    let (exam, exam_problems) = exam_of(dir, blueprint.as_ref(), today)?;
    problems.extend(exam_problems);
    let mut review = None;
    let log_file = dir.join("review-log.yaml");
    if dir.is_dir() && log_file.is_file() {
        let name = log_file.display().to_string();
        let text = std::fs::read_to_string(&log_file)?;
        match review::load_log(&name, &text) {
            Ok(log) => {
                let (status, p) = review::check_log(&log, &report.items);
                problems.extend(p);
                review = Some(status);
            }
            Err(p) => problems.extend(p),
        }
    }
    let code = exam
        .as_ref()
        .map(|e| e.code.clone())
        .or_else(|| blueprint.as_ref().map(|b| b.exam.clone()))
        .unwrap_or_else(|| {
            dir.file_name()
                .map(|n| n.to_string_lossy().to_uppercase())
                .unwrap_or_default()
        });
    Ok(ExamCheck {
        dir: dir.to_path_buf(),
        code,
        exam,
        report,
        blueprint,
        problems,
        review,
    })
}

/// A folder's `exam.yaml` (None when it has none) and its problems: the file's own, and its contradictions with
/// the blueprint and with its dates on `today`. Both `bank check` and loading a bank read exams through it.
///
/// # Errors
/// An I/O error reading the file.
pub fn exam_of(
    dir: &Path,
    blueprint: Option<&Blueprint>,
    today: Date,
) -> std::io::Result<(Option<Exam>, Vec<Problem>)> {
    let file = dir.join("exam.yaml");
    if !(dir.is_dir() && file.is_file()) {
        return Ok((None, Vec::new()));
    }
    let name = file.display().to_string();
    let text = std::fs::read_to_string(&file)?;
    Ok(match load_exam(&name, &text) {
        Ok(e) => {
            let problems = blueprint
                .map(|bp| check_exam(&name, &text, &e, bp, today))
                .unwrap_or_default();
            (Some(e), problems)
        }
        Err(p) => (None, p),
    })
}

/// The folder of exam `code` under the bank root that `path` is in (or `path` itself, when it is no bank):
/// `<root>/exams/<code in lower case>`.
pub fn exam_dir(path: &Path, code: &str) -> PathBuf {
    let root = find_root(path).unwrap_or_else(|| path.to_path_buf());
    root.join("exams").join(code.to_ascii_lowercase())
}
