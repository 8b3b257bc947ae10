//! What `ai102 bank check`, `bank stats`, `bank status` and `bank review stamp` do with a path: a bank root
//! (every exam), an exam folder, or any pack file or folder. Each returns its report as text (or JSON) and
//! whether it passed; `main.rs` parses the command line and prints.

use super::exam::ExamStatus;
use super::root::{self, ExamCheck};
use super::stats::{self, Stats};
use serde_json::{json, Map, Value};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use time::Date;

/// The default path of the commands: the bank root of the repository.
pub const DEFAULT_ROOT: &str = "question-bank";

/// What a path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A folder holding `exams/`: every exam folder in it.
    Root(PathBuf),
    /// One exam folder (it has `exam.yaml`), or the folder `--exam` picked.
    Exam(PathBuf),
    /// Any other pack file or folder.
    Pack(PathBuf),
}

/// Resolves the command line's `[PATH] [--exam CODE]`: `--exam` picks `<root>/exams/<code lower-cased>` in the
/// bank PATH is in (by default `question-bank`).
///
/// # Errors
/// `--exam` names no folder.
pub fn resolve(path: Option<&Path>, exam: Option<&str>) -> Result<Target, String> {
    let path = path.unwrap_or(Path::new(DEFAULT_ROOT));
    if let Some(code) = exam {
        let dir = root::exam_dir(path, code);
        if !dir.is_dir() {
            return Err(format!(
                "no exam `{code}`: {} is not a folder",
                dir.display()
            ));
        }
        return Ok(Target::Exam(dir));
    }
    Ok(if root::is_root(path) {
        Target::Root(path.to_path_buf())
    } else if path.is_dir() && path.join("exam.yaml").is_file() {
        Target::Exam(path.to_path_buf())
    } else {
        Target::Pack(path.to_path_buf())
    })
}

/// The exam folders a target covers, checked.
///
/// # Errors
/// An I/O error reading them.
pub fn checks(target: &Target, today: Date) -> std::io::Result<Vec<ExamCheck>> {
    match target {
        Target::Root(r) => super::exam::pack_dirs(r)?
            .iter()
            .map(|d| root::check_exam_dir(d, today))
            .collect(),
        Target::Exam(d) | Target::Pack(d) => Ok(vec![root::check_exam_dir(d, today)?]),
    }
}

/// `bank check`: every problem and warning of each exam, a summary line each, and for a root a total. Passes
/// when there is no problem (and, with `strict`, no warning).
///
/// # Errors
/// An I/O error reading the files.
pub fn check(target: &Target, strict: bool, today: Date) -> std::io::Result<(String, bool)> {
    let all = checks(target, today)?;
    let mut out = String::new();
    let (mut problems, mut warnings) = (0, 0);
    for c in &all {
        if matches!(target, Target::Root(_)) {
            let _ = writeln!(out, "== {} ({}) ==", c.code, c.dir.display());
        }
        for p in c.all_problems() {
            let _ = writeln!(out, "{p}");
        }
        let label = if strict { "error" } else { "warning" };
        for w in &c.report.warnings {
            let _ = writeln!(out, "{label}: {w}");
        }
        let questions: usize = c.report.items.iter().map(|i| i.questions().len()).sum();
        let _ = writeln!(
            out,
            "{}: {} entries, {questions} questions, {} problem(s), {} warning(s)",
            c.dir.display(),
            c.report.items.len(),
            c.problem_count(),
            c.report.warnings.len()
        );
        problems += c.problem_count();
        warnings += c.report.warnings.len();
    }
    if let Target::Root(r) = target {
        let _ = writeln!(
            out,
            "{}: {} exam(s), {problems} problem(s), {warnings} warning(s)",
            r.display(),
            all.len()
        );
    }
    if strict && warnings > 0 {
        let _ = writeln!(out, "--strict: the {warnings} warning(s) count as errors");
    }
    Ok((out, problems == 0 && (!strict || warnings == 0)))
}

/// One exam's statistics, with review ages on `today` and its review log.
fn exam_stats(c: &ExamCheck, today: Date) -> Option<Stats> {
    let bp = c.blueprint.as_ref()?;
    let mut s = stats::stats(&c.report, bp).with_review(&c.report.items, today, c.review.clone());
    s.problems = c.problem_count();
    Some(s)
}

/// `bank stats`: for a root, `{ "exams": { CODE: stats }, "totals": … }` (or text per exam and a total line); for
/// an exam or a pack, that one exam's statistics. Passes when there is no problem.
///
/// # Errors
/// An I/O error reading the files, or a blueprint that does not load.
pub fn stats(target: &Target, json_out: bool, today: Date) -> anyhow::Result<(String, bool)> {
    let all = checks(target, today)?;
    let mut by_exam: Vec<(String, Stats)> = Vec::new();
    for c in &all {
        let s = exam_stats(c, today).ok_or_else(|| {
            anyhow::anyhow!(
                "{}: the blueprint has problems (run `ai102 bank check`)",
                c.dir.display()
            )
        })?;
        by_exam.push((c.code.clone(), s));
    }
    let clean = by_exam.iter().all(|(_, s)| s.problems == 0);
    let totals = stats::totals(by_exam.iter().map(|(_, s)| s));
    let out = match (target, json_out) {
        (Target::Root(_), true) => {
            let mut exams = Map::new();
            for (code, s) in &by_exam {
                exams.insert(code.clone(), serde_json::to_value(s)?);
            }
            let doc = json!({ "exams": Value::Object(exams), "totals": totals });
            format!("{}\n", serde_json::to_string_pretty(&doc)?)
        }
        (Target::Root(_), false) => {
            let mut out = String::new();
            for (code, s) in &by_exam {
                let _ = writeln!(out, "== {code} ==");
                out.push_str(&stats::render_text(s));
                out.push('\n');
            }
            let _ = writeln!(
                out,
                "Totals: {} exams, {} scored questions, {} points, {} problems, {} warnings",
                totals.exams, totals.items, totals.points, totals.problems, totals.warnings
            );
            out
        }
        (_, true) => match by_exam.first() {
            Some((_, s)) => format!("{}\n", serde_json::to_string_pretty(s)?),
            None => "{}\n".to_owned(),
        },
        (_, false) => by_exam
            .first()
            .map(|(_, s)| stats::render_text(s))
            .unwrap_or_default(),
    };
    Ok((out, clean))
}

/// `bank status`: each exam's stated status and the one its dates give on `today`. Passes when they agree.
///
/// # Errors
/// An I/O error reading the files.
pub fn status(target: &Target, today: Date) -> std::io::Result<(String, bool)> {
    let all = checks(target, today)?;
    let mut out = String::new();
    let mut agree = true;
    let _ = writeln!(out, "Exam status on {today}:");
    for c in &all {
        match &c.exam {
            None => {
                let _ = writeln!(out, "  {:<8}  no exam.yaml ({})", c.code, c.dir.display());
            }
            Some(e) => {
                let derived = e.status_on(today);
                // Beta and live cannot be told apart by dates: a stated beta or live agrees with either.
                let same = derived == e.status
                    || matches!(
                        (e.status, derived),
                        (
                            ExamStatus::Beta | ExamStatus::Live,
                            ExamStatus::Beta | ExamStatus::Live
                        )
                    );
                agree &= same;
                let dates = match (e.available_from, e.retires_on) {
                    (Some(f), Some(r)) => format!("available from {f}, retires on {r}"),
                    (Some(f), None) => format!("available from {f}"),
                    (None, Some(r)) => format!("retires on {r}"),
                    (None, None) => "no dates".to_owned(),
                };
                let _ = writeln!(
                    out,
                    "  {:<8}  {:<8}  (stated {}{}; {dates})",
                    e.code,
                    derived.as_str(),
                    e.status.as_str(),
                    if same {
                        ""
                    } else {
                        ": exam.yaml disagrees with its dates"
                    }
                );
            }
        }
    }
    Ok((out, agree))
}

/// `bank review stamp <exam folder>`: fills the empty hashes of its `review-log.yaml` in place.
///
/// # Errors
/// No review log, a log or pack that does not load, or an I/O error.
pub fn stamp(dir: &Path) -> anyhow::Result<String> {
    let file = dir.join("review-log.yaml");
    anyhow::ensure!(file.is_file(), "{} does not exist", file.display());
    let report = super::check::check_path(dir)?;
    anyhow::ensure!(
        report.is_clean(),
        "{} has {} problem(s): run `ai102 bank check` first",
        dir.display(),
        report.problems.len()
    );
    let name = file.display().to_string();
    let text = std::fs::read_to_string(&file)?;
    let (stamped, filled) = super::review::stamp(&name, &text, &report.items).map_err(|p| {
        anyhow::anyhow!(
            "{}",
            p.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    })?;
    if filled > 0 {
        std::fs::write(&file, stamped)?;
    }
    Ok(format!("{name}: {filled} hash(es) stamped"))
}
