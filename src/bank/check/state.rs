//! The checker's state: an item as written (every field optional), the per-item reporter and the pack-wide run.

use super::*;
use crate::bank::model::{
    Blueprint, Choice, Difficulty, Document, HotSlot, Item, Pack, PackMeta, ScoringRule, Statement,
};
use crate::bank::yaml::{self, Node, PathSeg};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// An item's `answer`, typed by the item's type.
#[derive(Debug, Clone)]
pub(super) enum Answer {
    One(String),
    List(Vec<String>),
    Map(BTreeMap<String, String>),
}

/// A match's slots (labelled choices) or a hot area's (drop-downs).
#[derive(Debug, Clone)]
pub(super) enum Slots {
    Match(Vec<Choice>),
    Hot(Vec<HotSlot>),
}

/// An item as written: every field optional, read one at a time.
#[derive(Debug, Default)]
pub(super) struct RawItem {
    pub(super) id: Option<String>,
    pub(super) domain: Option<String>,
    pub(super) objective: Option<String>,
    pub(super) stem: Option<String>,
    pub(super) explanation: Option<String>,
    pub(super) references: Option<Vec<String>>,
    pub(super) scoring: Option<ScoringRule>,
    pub(super) points: Option<u32>,
    pub(super) difficulty: Option<Difficulty>,
    pub(super) tags: Option<Vec<String>>,
    pub(super) category: Option<String>,
    pub(super) mentions: Option<Vec<String>>,
    pub(super) reviewed: Option<String>,
    pub(super) outline: Option<String>,
    pub(super) options: Option<Vec<Choice>>,
    pub(super) answer: Option<Answer>,
    pub(super) choose: Option<u32>,
    pub(super) statements: Option<Vec<Statement>>,
    pub(super) steps: Option<Vec<Choice>>,
    pub(super) choices: Option<Vec<Choice>>,
    pub(super) slots: Option<Slots>,
    pub(super) reuse: Option<bool>,
    pub(super) template: Option<String>,
    pub(super) template_language: Option<String>,
    pub(super) title: Option<String>,
    pub(super) documents: Option<Vec<Document>>,
}

/// Reports problems of one item (or case-study question) at paths relative to its node.
pub(super) struct ItemCx<'a> {
    pub(super) file: &'a str,
    pub(super) node: &'a Node,
    pub(super) item: Option<String>,
    pub(super) problems: &'a mut Vec<Problem>,
    /// A problem that stops the item from being typed (missing field, wrong value type, unknown type).
    pub(super) broken: bool,
}

impl ItemCx<'_> {
    pub(super) fn report(&mut self, path: &[PathSeg], message: impl Into<String>) {
        let (line, column) = self.node.locate(path);
        self.report_at(line, column, message);
    }

    pub(super) fn report_at(&mut self, line: usize, column: usize, message: impl Into<String>) {
        self.problems
            .push(problem(self.file, line, column, self.item.clone(), message));
    }

    /// At the item's `id` line (or where the item starts).
    pub(super) fn report_item(&mut self, message: impl Into<String>) {
        self.report(&[key("id")], message);
    }

    /// Reads one field into its type, reporting a wrong value type at the offending path.
    pub(super) fn field<T: DeserializeOwned>(&mut self, name: &str, value: &Value) -> Option<T> {
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

    pub(super) fn text_at(&mut self, path: &[PathSeg], offset: usize, message: impl Into<String>) {
        let (line, column) = match self.node.at(path) {
            Some(n) => n.text_position(offset),
            None => self.node.locate(path),
        };
        self.report_at(line, column, message);
    }

    /// Reports duplicate ids in a list at `base[i].id`.
    pub(super) fn unique_ids<'s>(
        &mut self,
        base: &[PathSeg],
        what: &str,
        ids: impl Iterator<Item = &'s str>,
    ) {
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

pub(super) fn list(ids: &[&str]) -> String {
    ids.iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A pack-wide id, and where it was first seen.
pub(super) struct Seen {
    pub(super) file: String,
    pub(super) line: usize,
}

pub(super) struct Checker<'a> {
    pub(super) blueprint: Option<&'a Blueprint>,
    pub(super) problems: Vec<Problem>,
    pub(super) items: Vec<Item>,
    /// Every `pack:` found: (file, line, column, the metadata when valid).
    pub(super) metas: Vec<(String, usize, usize, Option<PackMeta>)>,
    pub(super) ids: HashMap<String, Seen>,
    /// A file could not be parsed: its `pack:` (if any) is unknown, so a missing one is not reported.
    pub(super) unreadable: bool,
}

pub(super) fn run(
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
