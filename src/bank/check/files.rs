//! Files, pack metadata, ids and duplicates: one pack file's items, its `pack:` section and the pack-wide ids.

use super::*;
use crate::bank::model::{CaseStudyItem, Item, PackMeta};
use crate::bank::yaml::{self, Node, NodeValue};

impl Checker<'_> {
    pub(super) fn check_file(&mut self, file: &str, text: &str) {
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

    pub(super) fn check_meta(
        &mut self,
        file: &str,
        root: &Node,
        node: &Node,
        line: usize,
        column: usize,
    ) {
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
    pub(super) fn register_id(&mut self, cx: &mut ItemCx<'_>, id: &str) {
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
    pub(super) fn check_item(&mut self, file: &str, node: &Node) -> Option<Item> {
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
    pub(super) fn read_kind(
        &mut self,
        file: &str,
        node: &Node,
        item: Option<String>,
    ) -> Option<Option<Kind>> {
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
}

/// The id of the item (or case-study question) that holds `line`, for problems found by the YAML loader.
pub(super) fn item_at_line(root: &Node, line: usize) -> Option<String> {
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
