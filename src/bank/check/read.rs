//! Raw fields: reads an item field by field, reporting unknown, misplaced, mistyped and missing fields.

use super::*;
use crate::bank::yaml::NodeValue;

impl Checker<'_> {
    /// Reads every field of an item, reporting unknown fields, fields of another type, wrong value types and
    /// missing required fields.
    pub(super) fn read_fields(
        &mut self,
        cx: &mut ItemCx<'_>,
        kind: Option<Kind>,
        in_case: bool,
    ) -> RawItem {
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
                "category" => raw.category = cx.field(name, &value),
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
}
