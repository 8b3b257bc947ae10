//! Review metadata: the item hash, the review log (`review-log.yaml` beside an exam's items) and its checks, the
//! review ages of items (`reviewed:`), and `bank review stamp`, which fills empty hashes. Pure: files are given
//! as text.
//!
//! The hash of a reviewable unit is the SHA-256 (lower-case hex) of its canonical JSON, `serde_json` of the typed
//! model: a question (standalone or inside a case study) is its [`Question`]; a case study itself is its
//! [`CaseStudy`] with `questions` emptied, so that editing one question makes only that question's entry stale.
//! `reviewed` is left out of both: recording the review date does not make the review stale.

use super::check::Problem;
use super::exam::{parse_date, ymd};
use super::model::{CaseStudy, Item, Question};
use super::yaml::{self, Node, NodeValue, PathSeg};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use time::Date;

/// Items reviewed longer ago than this (or never) are listed as due by [`review_ages`].
pub const MAX_REVIEW_AGE_DAYS: i64 = 180;

/// A reader's verdict.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The key and the wrong options hold against the cited page.
    Ok,
    /// The reader fixed something (say what in `note`).
    Fixed,
    /// The item was removed from the items file; its entry stays.
    Rejected,
}

/// One review of one item.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReviewEntry {
    /// The question, case-study question or case study id.
    pub item: String,
    /// The item's hash when it was read; `""` until `bank review stamp` fills it.
    pub hash: String,
    pub author: String,
    /// Must differ from `author`.
    pub reader: String,
    pub verdict: Verdict,
    /// The page the key rests on: one of the item's references.
    pub url: String,
    #[serde(with = "ymd")]
    pub date: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A review log file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReviewLog {
    #[serde(default)]
    pub entries: Vec<ReviewEntry>,
}

/// A loaded review log with the tree it came from (to locate its fields).
#[derive(Debug, Clone)]
pub struct LoadedLog {
    pub name: String,
    pub log: ReviewLog,
    root: Node,
}

impl LoadedLog {
    fn at(&self, entry: usize, field: &str) -> (usize, usize) {
        self.root.locate(&[
            PathSeg::Key("entries".into()),
            PathSeg::Index(entry),
            PathSeg::Key(field.into()),
        ])
    }

    fn problem(&self, entry: usize, field: &str, message: String) -> Problem {
        let (line, column) = self.at(entry, field);
        Problem {
            file: self.name.clone(),
            line,
            column,
            item: Some(self.log.entries[entry].item.clone()),
            message,
        }
    }
}

fn is_hash(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Reads a review log: YAML, typed fields (unknown ones refused), and hashes that are empty or 64 hex digits.
///
/// # Errors
/// Every problem, located in the file called `name`.
pub fn load_log(name: &str, text: &str) -> Result<LoadedLog, Vec<Problem>> {
    let at = |line, column, message| Problem {
        file: name.to_owned(),
        line,
        column,
        item: None,
        message,
    };
    let loaded = yaml::parse(text).map_err(|e| vec![at(e.line, e.column, e.message)])?;
    let mut problems: Vec<Problem> = loaded
        .problems
        .iter()
        .map(|e| at(e.line, e.column, e.message.clone()))
        .collect();
    let root = loaded.root;
    let value = match root.value {
        NodeValue::Null => serde_json::json!({}),
        _ => root.to_json(),
    };
    let log = match serde_path_to_error::deserialize::<_, ReviewLog>(&value) {
        Ok(log) => log,
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
            problems.push(at(line, column, message));
            return Err(problems);
        }
    };
    let loaded = LoadedLog {
        name: name.to_owned(),
        log,
        root,
    };
    for (i, e) in loaded.log.entries.iter().enumerate() {
        if !e.hash.is_empty() && !is_hash(&e.hash) {
            problems.push(loaded.problem(
                i,
                "hash",
                format!(
                    "hash `{}` is not 64 lower-case hex digits (leave it \"\" for `ai102 bank review stamp`)",
                    e.hash
                ),
            ));
        }
    }
    if problems.is_empty() {
        Ok(loaded)
    } else {
        Err(problems)
    }
}

fn sha256_json<T: Serialize>(value: &T) -> String {
    // Serialising the model to JSON cannot fail: it has string keys only.
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    hex::encode(Sha256::digest(bytes))
}

/// The hash of a question (standalone or in a case study), `reviewed` left out.
pub fn question_hash(q: &Question) -> String {
    let mut q = q.clone();
    q.common.reviewed = None;
    sha256_json(&q)
}

/// The hash of a case study itself: its fields with `questions` emptied and `reviewed` left out.
pub fn case_study_hash(c: &CaseStudy) -> String {
    let mut own = c.clone();
    own.questions.clear();
    own.reviewed = None;
    sha256_json(&own)
}

/// What a review can be about: its hash and the pages it may rest on.
#[derive(Debug, Clone)]
pub struct Reviewable {
    pub hash: String,
    pub references: Vec<String>,
}

/// Every reviewable unit of the items, by id, in file order: each question, each case study, each case-study
/// question. A case study's pages are its questions' references.
pub fn reviewables(items: &[Item]) -> Vec<(String, Reviewable)> {
    let mut out = Vec::new();
    for item in items {
        match item.case_study() {
            Some(c) => {
                let references = c
                    .questions
                    .iter()
                    .flat_map(|q| q.common.references.iter().cloned())
                    .collect();
                out.push((
                    c.id.clone(),
                    Reviewable {
                        hash: case_study_hash(c),
                        references,
                    },
                ));
                for q in &c.questions {
                    out.push((q.common.id.clone(), question_reviewable(q)));
                }
            }
            None => {
                if let Item::Question(q) = item {
                    out.push((q.common.id.clone(), question_reviewable(q)));
                }
            }
        }
    }
    out
}

fn question_reviewable(q: &Question) -> Reviewable {
    Reviewable {
        hash: question_hash(q),
        references: q.common.references.clone(),
    }
}

/// What the review log says about an exam's items.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReviewStatus {
    /// Entries in the log.
    pub entries: usize,
    /// Reviewable units (questions, case studies, case-study questions).
    pub reviewable: usize,
    /// Units with no entry at all, in file order.
    pub no_entry: Vec<String>,
    /// Units whose latest entry has a hash that is no longer the item's: edited since, to be read again.
    pub stale: Vec<String>,
    /// Units whose latest entry has an empty hash (run `ai102 bank review stamp`).
    pub unstamped: Vec<String>,
    /// Entries naming an item the pack does not have (rejected items excepted: they are removed by design).
    pub unknown_items: Vec<String>,
    /// Entries whose reader is their author.
    pub reader_is_author: Vec<String>,
    /// Entries whose `url` is not one of the item's references.
    pub url_not_a_reference: Vec<String>,
}

/// Checks a review log against the items: returns the status, and the entries that break a rule (reader equal to
/// author, a url that is not one of the item's references) as problems located at the field.
pub fn check_log(log: &LoadedLog, items: &[Item]) -> (ReviewStatus, Vec<Problem>) {
    let units = reviewables(items);
    let by_id: HashMap<&str, &Reviewable> = units.iter().map(|(id, r)| (id.as_str(), r)).collect();
    let mut status = ReviewStatus {
        entries: log.log.entries.len(),
        reviewable: units.len(),
        ..ReviewStatus::default()
    };
    let mut problems = Vec::new();
    let mut latest: HashMap<&str, (usize, &ReviewEntry)> = HashMap::new();
    for (i, e) in log.log.entries.iter().enumerate() {
        if e.author.trim() == e.reader.trim() {
            status.reader_is_author.push(e.item.clone());
            problems.push(log.problem(
                i,
                "reader",
                format!(
                    "the reader `{}` is the author: a second reader must check the item",
                    e.reader
                ),
            ));
        }
        if by_id.contains_key(e.item.as_str()) {
            latest.insert(e.item.as_str(), (i, e));
        } else if e.verdict != Verdict::Rejected {
            status.unknown_items.push(e.item.clone());
        }
    }
    // Only the latest entry of an item must rest on one of its references: an earlier one read the item as it
    // was then, and an edit may have changed its references since.
    for (i, e) in log.log.entries.iter().enumerate() {
        let Some(&(latest_index, _)) = latest.get(e.item.as_str()) else {
            continue;
        };
        let unit = by_id[e.item.as_str()];
        if latest_index == i && !unit.references.iter().any(|r| r == &e.url) {
            status.url_not_a_reference.push(e.item.clone());
            problems.push(log.problem(
                i,
                "url",
                format!(
                    "`{}` is not one of the item's references: the review must rest on a page the item cites",
                    e.url
                ),
            ));
        }
    }
    for (id, unit) in &units {
        match latest.get(id.as_str()).map(|(_, e)| e) {
            None => status.no_entry.push(id.clone()),
            Some(e) if e.hash.is_empty() => status.unstamped.push(id.clone()),
            Some(e) if e.hash != unit.hash => status.stale.push(id.clone()),
            Some(_) => {}
        }
    }
    (status, problems)
}

/// `bank review stamp`: fills every empty `hash: ""` of an entry whose item is known with the item's current
/// hash, rewriting only those lines of `text`. Returns the new text and how many hashes were filled; a
/// non-empty hash is never changed.
///
/// # Errors
/// The log's problems, when it does not load.
pub fn stamp(name: &str, text: &str, items: &[Item]) -> Result<(String, usize), Vec<Problem>> {
    let log = load_log(name, text)?;
    let units: HashMap<String, Reviewable> = reviewables(items).into_iter().collect();
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_owned).collect();
    let mut filled = 0;
    for (i, e) in log.log.entries.iter().enumerate() {
        if !e.hash.is_empty() {
            continue;
        }
        let Some(unit) = units.get(&e.item) else {
            continue;
        };
        let Some(node) = log.root.at(&[
            PathSeg::Key("entries".into()),
            PathSeg::Index(i),
            PathSeg::Key("hash".into()),
        ]) else {
            continue;
        };
        let Some(line) = lines.get_mut(node.line - 1) else {
            continue;
        };
        let from = line
            .char_indices()
            .nth(node.column.saturating_sub(1))
            .map_or(line.len(), |(b, _)| b);
        let rest = &line[from..];
        let at = match (rest.find("\"\""), rest.find("''")) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => continue,
        };
        let quote = &rest[at..at + 1];
        let replaced = format!("{quote}{}{quote}", unit.hash);
        line.replace_range(from + at..from + at + 2, &replaced);
        filled += 1;
    }
    Ok((lines.concat(), filled))
}

/// One scored question's review date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewAge {
    pub item: String,
    /// As written (`reviewed:`, or the case study's for its questions); None when absent.
    pub reviewed: Option<String>,
    /// Days since then on the day of the report; None when absent or not a date.
    pub days: Option<i64>,
}

/// Review ages of the scored questions: every question, oldest first (never reviewed first of all).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReviewAges {
    /// The day the ages are counted to.
    pub today: String,
    pub max_days: i64,
    /// Questions by age bucket: `never`, `0-90`, `91-180`, `181-365`, `>365` days.
    pub by_age: BTreeMap<String, usize>,
    /// Questions never reviewed or reviewed more than `max_days` ago, oldest first.
    pub due: Vec<ReviewAge>,
}

/// The review ages of the items' scored questions on `today`.
pub fn review_ages(items: &[Item], today: Date) -> ReviewAges {
    let mut all = Vec::new();
    for item in items {
        let case_reviewed = item.case_study().and_then(|c| c.reviewed.clone());
        for (q, _) in item.questions() {
            let reviewed = q.common.reviewed.clone().or(case_reviewed.clone());
            let days = reviewed
                .as_deref()
                .and_then(parse_date)
                .map(|d| (today - d).whole_days());
            all.push(ReviewAge {
                item: q.common.id.clone(),
                reviewed,
                days,
            });
        }
    }
    let mut by_age: BTreeMap<String, usize> = ["never", "0-90", "91-180", "181-365", ">365"]
        .iter()
        .map(|k| ((*k).to_owned(), 0))
        .collect();
    for a in &all {
        let bucket = match a.days {
            None => "never",
            Some(d) if d <= 90 => "0-90",
            Some(d) if d <= 180 => "91-180",
            Some(d) if d <= 365 => "181-365",
            Some(_) => ">365",
        };
        *by_age.entry(bucket.to_owned()).or_insert(0) += 1;
    }
    let mut due: Vec<ReviewAge> = all
        .into_iter()
        .filter(|a| a.days.is_none_or(|d| d > MAX_REVIEW_AGE_DAYS))
        .collect();
    due.sort_by_key(|a| std::cmp::Reverse(a.days.unwrap_or(i64::MAX)));
    ReviewAges {
        today: today.to_string(),
        max_days: MAX_REVIEW_AGE_DAYS,
        by_age,
        due,
    }
}

/// The ids listed in a status, for messages: unique, in order.
pub fn unique(ids: &[String]) -> Vec<&str> {
    let mut seen = HashSet::new();
    ids.iter()
        .map(String::as_str)
        .filter(|id| seen.insert(*id))
        .collect()
}

#[cfg(test)]
mod tests;
