//! QTI 3.0 export: a pack as a content package (zip with `imsmanifest.xml`, one `qti-assessment-item` per
//! question, one `qti-assessment-stimulus` per case study). What QTI has no place for travels so that our
//! importer ([`crate::bank::import::qti::import_qti_pack`]) gets the pack back unchanged: Markdown sources in
//! `data-ai102-*` attributes next to their rendered HTML, and the rest as JSON in the manifest's metadata.
//! See docs/importing-xml.md.
//!
//! Also here, for Moodle: [`export_gift`] ([`gift`]) and [`export_moodle_xml`] ([`moodle_xml`]), which write
//! the types the target format can express and leave every other item out with a located note.

pub mod gift;
pub mod moodle_xml;

#[cfg(test)]
mod round_trip_tests;

use crate::bank::import::qti::xml::{self, escape, escape_attr};
use crate::bank::import::qti::{CaseMeta, ItemMeta};
use crate::bank::import::{note, Note};
use crate::bank::model::{Body, CaseStudyItem, Item, Pack, Question, ScoringRule, YesNo};
use std::fmt::Write as _;
use std::io::Write as _;

const ITEM_NS: &str = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0";
const CP_NS: &str = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1";
const AI102_NS: &str = "https://github.com/ai102/qti-metadata";
const RP: &str = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates";

/// One question to write to a text format, with the category it is filed under.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub question: &'a Question,
    pub category: Option<&'a str>,
}

/// A file written for another tool, and a note for each item it could not hold (which item and why).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exported {
    pub text: String,
    pub notes: Vec<Note>,
}

/// The category an item of ours is filed under in Moodle: its domain, then its objective (`genai/genai.openai`);
/// none for an item not yet placed.
pub fn category_of(q: &Question) -> Option<String> {
    let domain = q.common.domain.as_deref().filter(|d| !d.is_empty())?;
    Some(if q.common.objective.is_empty() {
        domain.to_owned()
    } else {
        format!("{domain}/{}", q.common.objective)
    })
}

/// The pack's questions as entries with their categories (see [`category_of`]); a case study is left out with a
/// note naming it (`target` names the format), since neither GIFT nor Moodle XML keeps questions together with
/// their scenario.
fn entries(pack: &Pack, target: &str) -> (Vec<(Question, Option<String>)>, Vec<Note>) {
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for item in &pack.items {
        match item {
            Item::Question(q) => out.push((q.clone(), category_of(q))),
            Item::CaseStudy(CaseStudyItem::CaseStudy(c)) => notes.push(note(
                &pack.meta.id,
                0,
                0,
                Some(&c.id),
                format!(
                    "the case study \"{}\" and its {} question(s) were left out: {target} has no case studies (a scenario whose questions are kept together)",
                    c.title,
                    c.questions.len()
                ),
            )),
        }
    }
    (out, notes)
}

/// Writes the pack in a format for Moodle named as `bank export --format` names it (`gift`, `moodle-xml`);
/// `None` for any other name.
pub fn export_for_moodle(pack: &Pack, format: &str) -> Option<Exported> {
    match format {
        "gift" => Some(export_gift(pack)),
        "moodle-xml" | "moodle" | "xml" => Some(export_moodle_xml(pack)),
        _ => None,
    }
}

/// Writes the pack as a GIFT file (see [`gift::write`]).
pub fn export_gift(pack: &Pack) -> Exported {
    export_with(pack, "GIFT", gift::write)
}

/// Writes the pack as a Moodle XML file (see [`moodle_xml::write`]).
pub fn export_moodle_xml(pack: &Pack) -> Exported {
    export_with(pack, "Moodle XML", moodle_xml::write)
}

/// The pack's questions that `format` can hold, written by `write`; the notes of what was left out first.
fn export_with(pack: &Pack, format: &str, write: fn(&str, &[Entry<'_>]) -> Exported) -> Exported {
    let (questions, mut notes) = entries(pack, format);
    let list: Vec<Entry<'_>> = questions
        .iter()
        .map(|(question, category)| Entry {
            question,
            category: category.as_deref(),
        })
        .collect();
    let mut out = write(&pack.meta.id, &list);
    notes.append(&mut out.notes);
    out.notes = notes;
    out
}

/// Writes the pack as a QTI 3.0 content package (zip bytes).
///
/// # Errors
/// A message when the zip cannot be written or the metadata cannot be serialised.
pub fn export_qti3(pack: &Pack) -> Result<Vec<u8>, String> {
    let mut files: Vec<(String, String)> = Vec::new();
    let mut resources = String::new();
    for item in &pack.items {
        match item {
            Item::Question(q) => {
                let path = format!("items/{}.xml", q.common.id);
                files.push((path.clone(), item_xml(q, None)));
                resources.push_str(&resource(q, &path, None)?);
            }
            Item::CaseStudy(CaseStudyItem::CaseStudy(c)) => {
                let path = format!("stimuli/{}.xml", c.id);
                let meta = CaseMeta {
                    id: c.id.clone(),
                    domain: c.domain.clone(),
                    title: c.title.clone(),
                    stem: c.stem.clone(),
                    documents: c.documents.clone(),
                    difficulty: c.difficulty,
                    tags: c.tags.clone(),
                };
                let json = serde_json::to_string(&meta).map_err(|e| e.to_string())?;
                let mut body = format!("<div>{}</div>", html(&c.stem, false));
                for d in &c.documents {
                    let _ = write!(
                        body,
                        "<section id=\"{}\"><h2>{}</h2>{}</section>",
                        escape_attr(&d.id),
                        escape(&d.title),
                        html(&d.body, false)
                    );
                }
                files.push((
                    path.clone(),
                    format!(
                        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<qti-assessment-stimulus xmlns=\"{ITEM_NS}\" \
                         identifier=\"{}\" title=\"{}\">\n<qti-stimulus-body>{body}</qti-stimulus-body>\n\
                         </qti-assessment-stimulus>\n",
                        escape_attr(&c.id),
                        escape_attr(&c.title)
                    ),
                ));
                let _ = writeln!(
                    resources,
                    "<resource identifier=\"stim-{}\" type=\"imsqti_stimulus_xmlv3p0\" href=\"{path}\">\
                     <metadata><ai102:data kind=\"case-study\">{}</ai102:data></metadata>\
                     <file href=\"{path}\"/></resource>",
                    escape_attr(&c.id),
                    escape(&json)
                );
                for q in &c.questions {
                    let qpath = format!("items/{}.xml", q.common.id);
                    files.push((qpath.clone(), item_xml(q, Some(&c.id))));
                    resources.push_str(&resource(q, &qpath, Some(&c.id))?);
                }
            }
        }
    }
    let pack_json = serde_json::to_string(&pack.meta).map_err(|e| e.to_string())?;
    let manifest = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<manifest xmlns=\"{CP_NS}\" xmlns:ai102=\"{AI102_NS}\" \
         identifier=\"manifest-{}\">\n<metadata><schema>QTI Package</schema><schemaversion>3.0.0</schemaversion>\
         <ai102:data kind=\"pack\">{}</ai102:data></metadata>\n<organizations/>\n<resources>\n{resources}</resources>\n\
         </manifest>\n",
        escape_attr(&pack.meta.id),
        escape(&pack_json)
    );
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in std::iter::once(("imsmanifest.xml".to_owned(), manifest)).chain(files) {
        writer
            .start_file(name, options)
            .map_err(|e| e.to_string())?;
        writer
            .write_all(content.as_bytes())
            .map_err(|e| e.to_string())?;
    }
    Ok(writer.finish().map_err(|e| e.to_string())?.into_inner())
}

fn resource(q: &Question, path: &str, case: Option<&str>) -> Result<String, String> {
    let c = &q.common;
    let meta = ItemMeta {
        id: c.id.clone(),
        domain: c.domain.clone(),
        objective: c.objective.clone(),
        references: c.references.clone(),
        scoring: c.scoring,
        points: c.points,
        difficulty: c.difficulty,
        tags: c.tags.clone(),
        case_study: case.map(str::to_owned),
    };
    let json = serde_json::to_string(&meta).map_err(|e| e.to_string())?;
    let dependency = case
        .map(|c| format!("<dependency identifierref=\"stim-{}\"/>", escape_attr(c)))
        .unwrap_or_default();
    Ok(format!(
        "<resource identifier=\"item-{}\" type=\"imsqti_item_xmlv3p0\" href=\"{path}\">\
         <metadata><ai102:data kind=\"item\">{}</ai102:data></metadata><file href=\"{path}\"/>{dependency}\
         </resource>\n",
        escape_attr(&c.id),
        escape(&json)
    ))
}

/// Markdown as HTML that is also well-formed XML; Markdown whose raw HTML is not XML is written as text.
fn html(md: &str, inline: bool) -> String {
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, pulldown_cmark::Parser::new(md));
    let mut out = out.trim().to_owned();
    if inline {
        if let Some(inner) = out
            .strip_prefix("<p>")
            .and_then(|s| s.strip_suffix("</p>"))
            .filter(|s| !s.contains("<p>"))
        {
            out = inner.to_owned();
        }
    }
    if xml::parse(&format!("<div>{out}</div>"), false).is_ok() {
        out
    } else {
        escape(md)
    }
}

/// A choice-like element: identifier, Markdown source and its HTML.
/// A match interaction: the left set (each used once) from (id, Markdown) pairs, the right set as given.
fn match_interaction(shuffle: bool, left: &[(&str, &str)], right: &str) -> String {
    let mut out = format!(
        "<qti-match-interaction response-identifier=\"RESPONSE\" shuffle=\"{shuffle}\" max-associations=\"{}\">\
         <qti-simple-match-set>",
        left.len()
    );
    for (id, text) in left {
        out.push_str(&choice(
            "qti-simple-associable-choice",
            id,
            text,
            " match-max=\"1\"",
        ));
    }
    out.push_str("</qti-simple-match-set><qti-simple-match-set>");
    out.push_str(right);
    out.push_str("</qti-simple-match-set></qti-match-interaction>");
    out
}

fn choice(tag: &str, id: &str, text: &str, extra: &str) -> String {
    format!(
        "<{tag} identifier=\"{}\"{extra} data-ai102-md=\"{}\">{}</{tag}>",
        escape_attr(id),
        escape_attr(text),
        html(text, true)
    )
}

fn decl(id: &str, cardinality: &str, base: &str, values: &[String], mapping: bool) -> String {
    let mut s = format!(
        "<qti-response-declaration identifier=\"{}\" cardinality=\"{cardinality}\" base-type=\"{base}\">\
         <qti-correct-response>",
        escape_attr(id)
    );
    for v in values {
        let _ = write!(s, "<qti-value>{}</qti-value>", escape(v));
    }
    s.push_str("</qti-correct-response>");
    if mapping {
        s.push_str("<qti-mapping default-value=\"0\">");
        for v in values {
            let _ = write!(
                s,
                "<qti-map-entry map-key=\"{}\" mapped-value=\"1\"/>",
                escape_attr(v)
            );
        }
        s.push_str("</qti-mapping>");
    }
    s.push_str("</qti-response-declaration>\n");
    s
}

fn item_xml(q: &Question, case: Option<&str>) -> String {
    let c = &q.common;
    let partial = c.scoring == ScoringRule::Partial && q.body.elements() > 1;
    let mut decls = String::new();
    let mut interaction = String::new();
    match &q.body {
        Body::Single { options, answer } => {
            decls.push_str(&decl(
                "RESPONSE",
                "single",
                "identifier",
                std::slice::from_ref(answer),
                false,
            ));
            interaction.push_str(
                "<qti-choice-interaction response-identifier=\"RESPONSE\" shuffle=\"true\" max-choices=\"1\">",
            );
            for o in options {
                interaction.push_str(&choice("qti-simple-choice", &o.id, &o.text, ""));
            }
            interaction.push_str("</qti-choice-interaction>");
        }
        Body::Multiple {
            choose,
            options,
            answer,
        } => {
            decls.push_str(&decl("RESPONSE", "multiple", "identifier", answer, partial));
            let _ = write!(
                interaction,
                "<qti-choice-interaction response-identifier=\"RESPONSE\" shuffle=\"true\" max-choices=\"{choose}\">"
            );
            for o in options {
                interaction.push_str(&choice("qti-simple-choice", &o.id, &o.text, ""));
            }
            interaction.push_str("</qti-choice-interaction>");
        }
        Body::YesNoSeries { statements } => {
            let pairs: Vec<String> = statements
                .iter()
                .map(|s| {
                    let yn = if s.answer == YesNo::Yes { "yes" } else { "no" };
                    format!("{} {yn}", s.id)
                })
                .collect();
            let left: Vec<(&str, &str)> = statements
                .iter()
                .map(|s| (s.id.as_str(), s.text.as_str()))
                .collect();
            decls.push_str(&decl(
                "RESPONSE",
                "multiple",
                "directedPair",
                &pairs,
                partial,
            ));
            interaction.push_str(&match_interaction(
                false,
                &left,
                "<qti-simple-associable-choice identifier=\"yes\" match-max=\"0\">Yes</qti-simple-associable-choice>\
                 <qti-simple-associable-choice identifier=\"no\" match-max=\"0\">No</qti-simple-associable-choice>",
            ));
        }
        Body::Order { steps, answer } => {
            decls.push_str(&decl("RESPONSE", "ordered", "identifier", answer, false));
            let subset = if answer.len() < steps.len() {
                format!(" min-choices=\"{0}\" max-choices=\"{0}\"", answer.len())
            } else {
                String::new()
            };
            let _ = write!(
                interaction,
                "<qti-order-interaction response-identifier=\"RESPONSE\" shuffle=\"true\"{subset}>"
            );
            for s in steps {
                interaction.push_str(&choice("qti-simple-choice", &s.id, &s.text, ""));
            }
            interaction.push_str("</qti-order-interaction>");
        }
        Body::Match {
            choices,
            slots,
            answer,
            reuse,
        } => {
            let pairs: Vec<String> = slots
                .iter()
                .filter_map(|s| answer.get(&s.id).map(|c| format!("{} {c}", s.id)))
                .collect();
            let left: Vec<(&str, &str)> = slots
                .iter()
                .map(|s| (s.id.as_str(), s.text.as_str()))
                .collect();
            let max = if *reuse {
                " match-max=\"0\""
            } else {
                " match-max=\"1\""
            };
            let right: String = choices
                .iter()
                .map(|ch| choice("qti-simple-associable-choice", &ch.id, &ch.text, max))
                .collect();
            decls.push_str(&decl(
                "RESPONSE",
                "multiple",
                "directedPair",
                &pairs,
                partial,
            ));
            interaction.push_str(&match_interaction(true, &left, &right));
        }
        Body::HotArea {
            template,
            template_language,
            slots,
        } => {
            for s in slots {
                decls.push_str(&decl(
                    &s.id,
                    "single",
                    "identifier",
                    std::slice::from_ref(&s.answer),
                    false,
                ));
            }
            let language = template_language
                .as_ref()
                .map(|l| format!(" data-ai102-language=\"{}\"", escape_attr(l)))
                .unwrap_or_default();
            let _ = write!(
                interaction,
                "<div data-ai102-template=\"{}\"{language}><pre>",
                escape_attr(template)
            );
            let mut rest = template.as_str();
            while let Some(start) = rest.find("[[") {
                let Some(len) = rest[start..].find("]]") else {
                    break;
                };
                interaction.push_str(&escape(&rest[..start]));
                let id = &rest[start + 2..start + len];
                match slots.iter().find(|s| s.id == id) {
                    Some(slot) => {
                        let _ = write!(
                            interaction,
                            "<qti-inline-choice-interaction response-identifier=\"{}\" shuffle=\"false\">",
                            escape_attr(id)
                        );
                        for o in &slot.options {
                            interaction.push_str(&choice("qti-inline-choice", &o.id, &o.text, ""));
                        }
                        interaction.push_str("</qti-inline-choice-interaction>");
                    }
                    None => interaction.push_str(&escape(&rest[start..start + len + 2])),
                }
                rest = &rest[start + len + 2..];
            }
            interaction.push_str(&escape(rest));
            interaction.push_str("</pre></div>");
        }
    }
    let template = if partial && !matches!(q.body, Body::Order { .. } | Body::HotArea { .. }) {
        "map_response"
    } else {
        "match_correct"
    };
    let stimulus = case
        .map(|c| {
            format!(
                "<qti-assessment-stimulus-ref identifier=\"{0}\" href=\"../stimuli/{0}.xml\"/>\n",
                escape_attr(c)
            )
        })
        .unwrap_or_default();
    let mut feedback = html(&c.explanation, false);
    if !c.references.is_empty() {
        feedback.push_str("<ul>");
        for r in &c.references {
            let _ = write!(
                feedback,
                "<li><a href=\"{0}\">{1}</a></li>",
                escape_attr(r),
                escape(r)
            );
        }
        feedback.push_str("</ul>");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<qti-assessment-item xmlns=\"{ITEM_NS}\" identifier=\"{id}\" \
         title=\"{id}\" adaptive=\"false\" time-dependent=\"false\">\n{decls}\
         <qti-outcome-declaration identifier=\"SCORE\" cardinality=\"single\" base-type=\"float\"/>\n\
         <qti-outcome-declaration identifier=\"FEEDBACK\" cardinality=\"single\" base-type=\"identifier\"/>\n\
         {stimulus}<qti-item-body>\n<div data-ai102-stem=\"{stem_md}\">{stem}</div>\n{interaction}\n</qti-item-body>\n\
         <qti-response-processing template=\"{RP}/{template}.xml\"/>\n\
         <qti-modal-feedback outcome-identifier=\"FEEDBACK\" identifier=\"explanation\" show-hide=\"hide\">\
         <qti-content-body><div data-ai102-md=\"{expl_md}\">{feedback}</div></qti-content-body></qti-modal-feedback>\n\
         </qti-assessment-item>\n",
        id = escape_attr(&c.id),
        stem_md = escape_attr(&c.stem),
        stem = html(&c.stem, false),
        expl_md = escape_attr(&c.explanation),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::import::archive::{read_zip, ZipLimits};
    use crate::bank::import::qti::import_qti_pack;

    fn pack_of(yaml: &str) -> Pack {
        let bp = crate::bank::check::shipped_blueprint().expect("blueprint");
        let report = crate::bank::check_sources(&[("p.yaml".to_owned(), yaml.to_owned())], &bp);
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        report.pack.expect("pack")
    }

    fn round_trip(pack: &Pack) -> (Option<crate::bank::model::PackMeta>, Vec<Item>) {
        let zip = export_qti3(pack).expect("export");
        let entries = read_zip("p.zip", &zip, &ZipLimits::default()).expect("zip");
        let back = import_qti_pack("p.zip", &entries);
        assert!(
            back.report.problems.is_empty(),
            "{:?}",
            back.report.problems
        );
        (back.meta, back.items)
    }

    #[test]
    fn the_exam_test_pack_survives_a_round_trip() {
        let pack = pack_of(include_str!("../../tests/fixtures/exam_pack.yaml"));
        let (meta, items) = round_trip(&pack);
        assert_eq!(meta.as_ref(), Some(&pack.meta));
        assert_eq!(items, pack.items);
    }

    #[test]
    fn awkward_markdown_and_every_optional_field_survive() {
        let yaml = r#"
pack: { id: rt, title: RT, version: 2, blueprint: ai102, licence: MIT, authors: [A], description: "d" }
items:
  - id: rt-1
    type: multiple
    domain: genai
    objective: genai.openai
    difficulty: hard
    scoring: all_or_nothing
    points: 3
    tags: [quota, "a & b"]
    stem: "Line one with <b>raw</b> & `code`\n\n  indented\ttab \"quotes\" 'single' é <br>"
    choose: 1
    options:
      - { id: a, text: "x < y && y > z" }
      - { id: b, text: "**bold** [link](https://learn.microsoft.com)" }
    answer: [a]
    explanation: "- one\n- two\r\n"
    references: [https://learn.microsoft.com/azure/ai-services/openai/overview]
  - id: rt-2
    type: order
    domain: nlp
    objective: nlp.clu
    stem: Steps?
    steps: [{ id: z, text: Z }, { id: y, text: Y }, { id: x, text: X }]
    answer: [y, z]
    explanation: E.
    references: [https://learn.microsoft.com/azure/ai-services/language-service/overview]
  - id: rt-3
    type: match
    domain: knowledge
    objective: knowledge.search
    stem: Match.
    choices: [{ id: x, text: X }, { id: y, text: Y }]
    slots: [{ id: s2, text: Two }, { id: s1, text: One }]
    answer: { s1: x, s2: x }
    reuse: true
    explanation: E.
    references: [https://learn.microsoft.com/azure/search/search-what-is-azure-search]
  - id: rt-4
    type: hot_area
    domain: knowledge
    objective: knowledge.vector
    stem: Fill.
    template: "a [[b]] c [[a]] <not a tag> [[unknown"
    slots:
      - { id: a, options: [{ id: a, text: "1" }, { id: b, text: "2" }], answer: b }
      - { id: b, options: [{ id: a, text: "3" }, { id: b, text: "4" }], answer: a }
    explanation: E.
    references: [https://learn.microsoft.com/azure/search/hybrid-search-how-to-query]
"#;
        let bp = crate::bank::check::shipped_blueprint().expect("blueprint");
        let report = crate::bank::check_sources(&[("p.yaml".to_owned(), yaml.to_owned())], &bp);
        // The hot area's stray `[[unknown` may be reported by the checker; the round trip is what matters.
        let pack = Pack {
            meta: report.pack.map(|p| p.meta).expect("meta"),
            items: report.items,
        };
        assert_eq!(pack.items.len(), 4);
        let (meta, items) = round_trip(&pack);
        assert_eq!(meta.as_ref(), Some(&pack.meta));
        assert_eq!(items, pack.items);
    }
}
