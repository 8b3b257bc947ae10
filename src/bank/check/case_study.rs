//! Case studies: the documents, their links and the questions that refer to them.

use super::*;
use crate::bank::model::CaseStudy;
use crate::bank::yaml::{Node, NodeValue};
use std::collections::HashSet;

impl Checker<'_> {
    pub(super) fn check_case_study(&mut self, file: &str, node: &Node) -> Option<CaseStudy> {
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
            category: raw.category,
            mentions: raw.mentions.unwrap_or_default(),
            reviewed: raw.reviewed,
            outline: raw.outline,
        })
    }
}

/// Finds `[text](#target)` links to missing documents in every string below `node`: (line, column, target).
pub(super) fn collect_missing_links(
    node: &Node,
    ids: &HashSet<&str>,
    out: &mut Vec<(usize, usize, String)>,
) {
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
