//! QTI importer: single items (QTI 2.1 `assessmentItem`, QTI 3.0 `qti-assessment-item`) and content packages
//! (a zip's entries with `imsmanifest.xml`), read into our item model. QTI 3 names are read through their 2.1
//! spelling (see [`xml`]). Packages written by our exporter (`crate::bank::export`) carry what QTI has no place
//! for in `data-ai102-*` attributes and in the manifest's metadata, and come back as they were.
//! See docs/importing-xml.md.

pub(crate) mod xml;

/// The text format of QTI item bodies, choices and feedback (XHTML); our own exports carry their Markdown
/// next to it and are read back from that.
pub const TEXT_FORMAT: super::TextFormat = super::TextFormat::Html;

use self::xml::{line_col, Element, Locator, Node};
use super::markup::{html_to_markdown, plain_to_markdown};
use super::{
    decode_text, imported_common, problem, slug_id, unique_id, ImportReport, Imported, TakenIds,
};
use crate::bank::model::{
    Body, CaseStudy, CaseStudyItem, Choice, Difficulty, Document, HotSlot, Item, PackMeta,
    Question, ScoringRule, Statement, YesNo,
};
use crate::bank::Problem;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The metadata our exporter writes for an item (in its manifest resource), as JSON.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct ItemMeta {
    pub id: String,
    #[serde(default)]
    pub domain: Option<String>,
    pub objective: String,
    pub references: Vec<String>,
    pub scoring: ScoringRule,
    #[serde(default)]
    pub points: Option<u32>,
    #[serde(default)]
    pub difficulty: Option<Difficulty>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// The case study the question belongs to.
    #[serde(default)]
    pub case_study: Option<String>,
}

/// The metadata our exporter writes for a case study (in its stimulus resource), as JSON.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct CaseMeta {
    pub id: String,
    pub domain: String,
    pub title: String,
    pub stem: String,
    pub documents: Vec<Document>,
    #[serde(default)]
    pub difficulty: Option<Difficulty>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// What a content package holds once imported: the pack's metadata when the package carries it (ours do),
/// every item in manifest order (case studies rebuilt), and the report (all questions, flattened, and every
/// problem).
#[derive(Debug, Clone, Default)]
pub struct QtiPack {
    pub meta: Option<PackMeta>,
    pub items: Vec<Item>,
    pub report: ImportReport,
    /// Things worth saying that are not problems, by file (e.g. "read as Windows-1252").
    pub notes: Vec<String>,
}

/// Reads one QTI 2.1 or 3.0 item file.
pub fn parse_item(file: &str, text: &str) -> ImportReport {
    let mut report = ImportReport::default();
    let mut taken = TakenIds::default();
    if let Some(item) = read_item(file, text, None, &mut taken, &mut report.problems) {
        report.items.push(item);
    }
    report
}

/// Reads a content package given as its entries (see [`super::archive::read_zip`]): the manifest's item
/// resources, in order. Questions of case studies are included, flattened; use [`import_qti_pack`] to get
/// case studies and the pack's metadata back.
pub fn parse_package(file: &str, entries: &[(String, Vec<u8>)]) -> ImportReport {
    import_qti_pack(file, entries).report
}

/// Reads a content package into items (case studies rebuilt) and the pack's metadata, when it carries them.
pub fn import_qti_pack(file: &str, entries: &[(String, Vec<u8>)]) -> QtiPack {
    let mut out = QtiPack::default();
    let Some((manifest_path, manifest_bytes)) = entries
        .iter()
        .filter(|(p, _)| p == "imsmanifest.xml" || p.ends_with("/imsmanifest.xml"))
        .min_by_key(|(p, _)| p.len())
    else {
        out.report.problems.push(problem(
            file,
            1,
            1,
            None,
            "the package has no imsmanifest.xml: not a QTI content package".into(),
        ));
        return out;
    };
    let base = manifest_path
        .strip_suffix("imsmanifest.xml")
        .unwrap_or("")
        .to_owned();
    let manifest_file = format!("{file}/{manifest_path}");
    let (text, note) = decode_text(manifest_bytes);
    if let Some(n) = note {
        out.notes.push(format!("{manifest_file}: {n}"));
    }
    let manifest = match xml::parse(&text, false) {
        Ok(m) => m,
        Err(e) => {
            let (line, column) = line_col(&text, e.offset);
            out.report
                .problems
                .push(problem(&manifest_file, line, column, None, e.message));
            return out;
        }
    };
    if let Some(meta) = manifest
        .child("metadata")
        .and_then(|m| ai102_data(m, "pack"))
    {
        match serde_json::from_str::<PackMeta>(&meta) {
            Ok(m) => out.meta = Some(m),
            Err(e) => out.report.problems.push(problem(
                &manifest_file,
                1,
                1,
                None,
                format!("the pack metadata is unreadable: {e}"),
            )),
        }
    }
    let files: HashMap<&str, &[u8]> = entries
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    let mut taken = TakenIds::default();
    let mut case_index: HashMap<String, usize> = HashMap::new();
    let resources = manifest
        .child("resources")
        .map(|r| r.children_named("resource").collect::<Vec<_>>())
        .unwrap_or_default();
    let locator = Locator::new(&text);
    for res in resources {
        let kind = res.attr("type").unwrap_or("");
        let (line, column) = locator.line_col(res.offset);
        let meta_el = res.child("metadata");
        if kind.starts_with("imsqti_stimulus") {
            if let Some(json) = meta_el.and_then(|m| ai102_data(m, "case-study")) {
                match serde_json::from_str::<CaseMeta>(&json) {
                    Ok(c) => {
                        case_index.insert(c.id.clone(), out.items.len());
                        out.items
                            .push(Item::CaseStudy(CaseStudyItem::CaseStudy(CaseStudy {
                                id: c.id,
                                domain: c.domain,
                                title: c.title,
                                stem: c.stem,
                                documents: c.documents,
                                questions: Vec::new(),
                                difficulty: c.difficulty,
                                tags: c.tags,
                                category: None,
                                mentions: Vec::new(),
                                reviewed: None,
                                outline: None,
                            })));
                    }
                    Err(e) => out.report.problems.push(problem(
                        &manifest_file,
                        line,
                        column,
                        None,
                        format!("the case-study metadata is unreadable: {e}"),
                    )),
                }
            }
            continue;
        }
        if !kind.starts_with("imsqti_item") {
            continue;
        }
        let item_meta = match meta_el.and_then(|m| ai102_data(m, "item")) {
            Some(json) => match serde_json::from_str::<ItemMeta>(&json) {
                Ok(m) => Some(m),
                Err(e) => {
                    out.report.problems.push(problem(
                        &manifest_file,
                        line,
                        column,
                        None,
                        format!("the item metadata is unreadable: {e}"),
                    ));
                    None
                }
            },
            None => None,
        };
        let href = res.attr("href").unwrap_or("");
        let mut candidates = vec![format!("{base}{href}")];
        candidates.extend(
            res.children_named("file")
                .filter_map(|f| f.attr("href"))
                .filter(|h| h.ends_with(".xml"))
                .map(|h| format!("{base}{h}")),
        );
        let Some((path, bytes)) = candidates
            .iter()
            .find_map(|c| files.get(c.as_str()).map(|b| (c.clone(), *b)))
        else {
            out.report.problems.push(problem(
                &manifest_file,
                line,
                column,
                res.attr("identifier"),
                format!(
                    "resource `{}`: its file `{href}` is not in the package",
                    res.attr("identifier").unwrap_or("")
                ),
            ));
            continue;
        };
        let item_file = format!("{file}/{path}");
        let (item_text, note) = decode_text(bytes);
        if let Some(n) = note {
            out.notes.push(format!("{item_file}: {n}"));
        }
        let Some(imported) = read_item(
            &item_file,
            &item_text,
            item_meta.as_ref(),
            &mut taken,
            &mut out.report.problems,
        ) else {
            continue;
        };
        let case = item_meta.as_ref().and_then(|m| m.case_study.clone());
        match case.and_then(|c| case_index.get(&c).copied()) {
            Some(i) => {
                if let Some(Item::CaseStudy(CaseStudyItem::CaseStudy(c))) = out.items.get_mut(i) {
                    c.questions.push(imported.question.clone());
                }
            }
            None => out.items.push(Item::Question(imported.question.clone())),
        }
        out.report.items.push(imported);
    }
    out
}

/// The text of `<ai102:data kind="…">` in a metadata element.
fn ai102_data(metadata: &Element, kind: &str) -> Option<String> {
    metadata
        .elements()
        .find(|e| e.name == "data" && e.attr("kind") == Some(kind))
        .map(Element::text)
}

struct Decl {
    cardinality: String,
    correct: Vec<String>,
    mapping: Vec<(String, f64)>,
}

impl Decl {
    /// The correct values: the correct response, or else the mapping's positive entries.
    fn correct_values(&self) -> Vec<String> {
        if !self.correct.is_empty() {
            return self.correct.clone();
        }
        self.mapping
            .iter()
            .filter(|(_, v)| *v > 0.0)
            .map(|(k, _)| k.clone())
            .collect()
    }
}

const SUPPORTED: [&str; 6] = [
    "choiceInteraction",
    "orderInteraction",
    "matchInteraction",
    "associateInteraction",
    "gapMatchInteraction",
    "inlineChoiceInteraction",
];

/// Reads one item; a refused item is a problem naming it.
fn read_item(
    file: &str,
    text: &str,
    meta: Option<&ItemMeta>,
    taken: &mut TakenIds,
    problems: &mut Vec<Problem>,
) -> Option<Imported> {
    let root = match xml::parse(text, true) {
        Ok(r) => r,
        Err(e) => {
            let (line, column) = line_col(text, e.offset);
            problems.push(problem(file, line, column, None, e.message));
            return None;
        }
    };
    let (line, column) = line_col(text, root.offset);
    if root.name != "assessmentItem" {
        problems.push(problem(
            file,
            line,
            column,
            None,
            format!("the root element is `<{}>`: not a QTI item", root.name),
        ));
        return None;
    }
    let identifier = root.attr("identifier").unwrap_or("").to_owned();
    let title = root.attr("title").map(str::to_owned);
    let label = match (&title, identifier.is_empty()) {
        (Some(t), false) => format!("{identifier} ({t})"),
        (Some(t), true) => t.clone(),
        (None, _) => identifier.clone(),
    };
    let refuse = |problems: &mut Vec<Problem>, at: &Element, reason: String| {
        let (line, column) = line_col(text, at.offset);
        problems.push(problem(
            file,
            line,
            column,
            Some(&label),
            format!("item `{label}` refused: {reason} (at {})", at.path),
        ));
    };
    match convert(&root) {
        Ok((body, stem, explanation, all_or_nothing)) => {
            let id = match meta {
                Some(m) => {
                    taken.insert(m.id.clone());
                    m.id.clone()
                }
                None => {
                    let source = title.as_deref().or(Some(identifier.as_str()));
                    let stem_name = std::path::Path::new(file)
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    unique_id(slug_id(source, &stem_name, 1), taken)
                }
            };
            let mut common = imported_common(id, stem, explanation);
            if all_or_nothing && body.elements() > 1 {
                common.scoring = ScoringRule::AllOrNothing;
            }
            if let Some(m) = meta {
                common.domain = m.domain.clone();
                common.objective = m.objective.clone();
                common.references = m.references.clone();
                common.scoring = m.scoring;
                common.points = m.points;
                common.difficulty = m.difficulty;
                common.tags = m.tags.clone();
            }
            Some(Imported {
                question: Question { common, body },
                category: meta.and_then(|m| m.domain.clone()),
                line,
            })
        }
        Err((at, reason)) => {
            refuse(problems, at.unwrap_or(&root), reason);
            None
        }
    }
}

type Refusal<'a> = (Option<&'a Element>, String);

/// Body, stem, explanation and whether the response processing is all-or-nothing (`match_correct`).
fn convert(root: &Element) -> Result<(Body, String, String, bool), Refusal<'_>> {
    if root.attr("adaptive") == Some("true") {
        return Err((
            None,
            "adaptive items (several attempts with changing feedback) are not supported".into(),
        ));
    }
    let mut decls = HashMap::new();
    let mut decl_order = Vec::new();
    for d in root.children_named("responseDeclaration") {
        let id = d.attr("identifier").unwrap_or("").to_owned();
        let correct = d
            .child("correctResponse")
            .map(|c| {
                c.children_named("value")
                    .map(|v| v.text().trim().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        let mapping = d
            .child("mapping")
            .map(|m| {
                m.children_named("mapEntry")
                    .filter_map(|e| {
                        Some((
                            e.attr("mapKey")?.trim().to_owned(),
                            e.attr("mappedValue")?.trim().parse().ok()?,
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        decl_order.push(id.clone());
        decls.insert(
            id,
            Decl {
                cardinality: d.attr("cardinality").unwrap_or("").to_owned(),
                correct,
                mapping,
            },
        );
    }
    let Some(body) = root.child("itemBody") else {
        return Err((None, "the item has no item body".into()));
    };
    let mut interactions = Vec::new();
    find_interactions(body, &mut interactions);
    if let Some(bad) = interactions
        .iter()
        .find(|i| !SUPPORTED.contains(&i.name.as_str()))
    {
        return Err((
            Some(bad),
            format!(
                "the interaction `{}` is not supported (only choice, order, match, associate, gap-match and \
                 inline-choice interactions have a counterpart in our item types)",
                bad.name
            ),
        ));
    }
    let Some(first) = interactions.first().copied() else {
        return Err((None, "the item has no interaction".into()));
    };
    let inline_only = interactions
        .iter()
        .all(|i| i.name == "inlineChoiceInteraction");
    if interactions.len() > 1 && !inline_only {
        return Err((
            Some(interactions[1]),
            format!(
                "the item has {} interactions; one question of ours holds one (or only inline choices)",
                interactions.len()
            ),
        ));
    }
    let decl_of = |i: &'_ Element| -> Result<&Decl, String> {
        let rid = i.attr("responseIdentifier").unwrap_or("");
        decls
            .get(rid)
            .ok_or_else(|| format!("no response declaration `{rid}` for the interaction"))
    };
    let template = root
        .child("responseProcessing")
        .and_then(|r| r.attr("template"))
        .unwrap_or("");
    let all_or_nothing = template.contains("match_correct");
    let explanation = explanation_of(root);
    let stem = stem_of(body);
    let body = match first.name.as_str() {
        "choiceInteraction" => {
            let d = decl_of(first).map_err(|m| (Some(first), m))?;
            let options = texts(first, "simpleChoice");
            let correct = d.correct_values();
            check_ids(&correct, &options).map_err(|m| (Some(first), m))?;
            let single = match d.cardinality.as_str() {
                "single" => true,
                "multiple" => false,
                _ => first.attr("maxChoices") == Some("1"),
            };
            if single {
                let [answer] = correct.as_slice() else {
                    return Err((
                        Some(first),
                        format!("a one-answer choice has {} correct values", correct.len()),
                    ));
                };
                Body::Single {
                    options,
                    answer: answer.clone(),
                }
            } else {
                if correct.is_empty() {
                    return Err((Some(first), "no choice is declared correct".into()));
                }
                Body::Multiple {
                    choose: u32::try_from(correct.len()).unwrap_or(u32::MAX),
                    options,
                    answer: correct,
                }
            }
        }
        "orderInteraction" => {
            let d = decl_of(first).map_err(|m| (Some(first), m))?;
            let steps = texts(first, "simpleChoice");
            let answer = d.correct.clone();
            if answer.is_empty() {
                return Err((Some(first), "the order has no correct response".into()));
            }
            check_ids(&answer, &steps).map_err(|m| (Some(first), m))?;
            Body::Order { steps, answer }
        }
        "matchInteraction" => {
            let d = decl_of(first).map_err(|m| (Some(first), m))?;
            let sets: Vec<&Element> = first.children_named("simpleMatchSet").collect();
            let [sources, targets] = sets.as_slice() else {
                return Err((Some(first), "a match needs exactly two match sets".into()));
            };
            let slots = texts(sources, "simpleAssociableChoice");
            let choices = texts(targets, "simpleAssociableChoice");
            let pairs = pairs(&d.correct_values()).map_err(|m| (Some(first), m))?;
            let answer = slot_answers(&slots, &choices, &pairs).map_err(|m| (Some(first), m))?;
            let mut ids: Vec<String> = choices.iter().map(|c| c.id.to_ascii_lowercase()).collect();
            ids.sort();
            if ids == ["no", "yes"] {
                let statements = slots
                    .into_iter()
                    .map(|s| {
                        let yes = answer[&s.id].eq_ignore_ascii_case("yes");
                        Statement {
                            id: s.id,
                            text: s.text,
                            answer: if yes { YesNo::Yes } else { YesNo::No },
                        }
                    })
                    .collect();
                Body::YesNoSeries { statements }
            } else {
                let reuse = targets
                    .children_named("simpleAssociableChoice")
                    .any(|c| c.attr("matchMax").unwrap_or("1") != "1");
                Body::Match {
                    choices,
                    slots,
                    answer,
                    reuse,
                }
            }
        }
        "associateInteraction" => {
            let d = decl_of(first).map_err(|m| (Some(first), m))?;
            let all = texts(first, "simpleAssociableChoice");
            let pairs = pairs(&d.correct_values()).map_err(|m| (Some(first), m))?;
            // Undirected pairs: the first member of each pair is a slot, the others are the choices.
            let slot_ids: Vec<&String> = pairs.iter().map(|(a, _)| a).collect();
            let slots: Vec<Choice> = all
                .iter()
                .filter(|c| slot_ids.contains(&&c.id))
                .cloned()
                .collect();
            let choices: Vec<Choice> = all
                .iter()
                .filter(|c| !slot_ids.contains(&&c.id))
                .cloned()
                .collect();
            let answer = slot_answers(&slots, &choices, &pairs).map_err(|m| (Some(first), m))?;
            Body::Match {
                choices,
                slots,
                answer,
                reuse: false,
            }
        }
        "gapMatchInteraction" => {
            let d = decl_of(first).map_err(|m| (Some(first), m))?;
            let options = texts(first, "gapText");
            let pairs = pairs(&d.correct_values()).map_err(|m| (Some(first), m))?;
            let mut gaps = Vec::new();
            first.descendants("gap", &mut gaps);
            let mut slots = Vec::new();
            for g in gaps {
                let gid = g.attr("identifier").unwrap_or("").to_owned();
                let Some((text_id, _)) = pairs.iter().find(|(_, gap)| *gap == gid) else {
                    return Err((Some(g), format!("the gap `{gid}` has no correct text")));
                };
                check_ids(std::slice::from_ref(text_id), &options).map_err(|m| (Some(first), m))?;
                slots.push(HotSlot {
                    id: gid,
                    options: options.clone(),
                    answer: text_id.clone(),
                });
            }
            let mut template = String::new();
            for n in &first.children {
                if let Node::Element(e) = n {
                    if e.name == "prompt" || e.name == "gapText" {
                        continue;
                    }
                }
                to_text(n, &mut template);
            }
            Body::HotArea {
                template: tidy_text(&template),
                template_language: None,
                slots,
            }
        }
        _ => {
            // Inline choices: one slot per interaction, in the order of the response declarations.
            let mut slots = Vec::new();
            for rid in &decl_order {
                let Some(i) = interactions
                    .iter()
                    .find(|i| i.attr("responseIdentifier") == Some(rid.as_str()))
                else {
                    continue;
                };
                let d = &decls[rid];
                let options = texts(i, "inlineChoice");
                let correct = d.correct_values();
                let [answer] = correct.as_slice() else {
                    return Err((
                        Some(*i),
                        format!("the inline choice `{rid}` needs one correct value"),
                    ));
                };
                check_ids(&correct, &options).map_err(|m| (Some(*i), m))?;
                slots.push(HotSlot {
                    id: rid.clone(),
                    options,
                    answer: answer.clone(),
                });
            }
            let (template, template_language) = template_of(body);
            Body::HotArea {
                template,
                template_language,
                slots,
            }
        }
    };
    // An item whose body has no text of its own (only choices) is asked by its title.
    let stem = match (stem, root.attr("title")) {
        (s, _) if !s.trim().is_empty() => s,
        (_, Some(t)) if !t.trim().is_empty() => xml::escape(t.trim()),
        _ => return Err((None, "the item has no text to ask".into())),
    };
    Ok((body, stem, explanation, all_or_nothing))
}

fn find_interactions<'a>(e: &'a Element, out: &mut Vec<&'a Element>) {
    for c in e.elements() {
        if c.name.ends_with("Interaction") {
            out.push(c);
        } else {
            find_interactions(c, out);
        }
    }
}

fn check_ids(values: &[String], options: &[Choice]) -> Result<(), String> {
    match values.iter().find(|v| !options.iter().any(|o| &o.id == *v)) {
        Some(v) => Err(format!(
            "the correct response names `{v}`, which is no choice of the item"
        )),
        None => Ok(()),
    }
}

/// `"A B"` values as pairs.
fn pairs(values: &[String]) -> Result<Vec<(String, String)>, String> {
    values
        .iter()
        .map(|v| {
            let mut parts = v.split_whitespace();
            match (parts.next(), parts.next(), parts.next()) {
                (Some(a), Some(b), None) => Ok((a.to_owned(), b.to_owned())),
                _ => Err(format!("the correct response `{v}` is not a pair")),
            }
        })
        .collect()
}

/// Each slot's one correct choice from (slot, choice) pairs.
fn slot_answers(
    slots: &[Choice],
    choices: &[Choice],
    pairs: &[(String, String)],
) -> Result<BTreeMap<String, String>, String> {
    let mut answer = BTreeMap::new();
    for (a, b) in pairs {
        let (slot, choice) = if slots.iter().any(|s| &s.id == a) {
            (a, b)
        } else {
            (b, a)
        };
        if !slots.iter().any(|s| &s.id == slot) || !choices.iter().any(|c| &c.id == choice) {
            return Err(format!(
                "the correct pair `{a} {b}` names no slot and choice of the item"
            ));
        }
        if answer.insert(slot.clone(), choice.clone()).is_some() {
            return Err(format!(
                "`{slot}` is matched more than once; our slots hold one choice"
            ));
        }
    }
    if let Some(s) = slots.iter().find(|s| !answer.contains_key(&s.id)) {
        return Err(format!("`{}` has no correct match", s.id));
    }
    if slots.is_empty() {
        return Err("there is nothing to match".into());
    }
    Ok(answer)
}

/// Choices of an interaction: identifier and text (`data-ai102-md` when our exporter wrote it, else HTML).
fn texts(e: &Element, name: &str) -> Vec<Choice> {
    e.children_named(name)
        .map(|c| Choice {
            id: c.attr("identifier").unwrap_or("").to_owned(),
            text: rich_text(c),
        })
        .collect()
}

/// A choice's text: our Markdown when our exporter wrote it, else the element's HTML as Markdown.
fn rich_text(e: &Element) -> String {
    match e.attr("data-ai102-md") {
        Some(md) => md.to_owned(),
        None => html_to_markdown(&e.inner_html()),
    }
}

/// The stem: our `data-ai102-stem`, else the body's HTML with each interaction replaced by its prompt.
fn stem_of(body: &Element) -> String {
    let mut found = Vec::new();
    find_attr(body, "data-ai102-stem", &mut found);
    if let Some(e) = found.first() {
        return e.attr("data-ai102-stem").unwrap_or("").to_owned();
    }
    let mut s = String::new();
    write_stem(body, &mut s);
    html_to_markdown(&s)
}

fn find_attr<'a>(e: &'a Element, attr: &str, out: &mut Vec<&'a Element>) {
    for c in e.elements() {
        if c.attr(attr).is_some() {
            out.push(c);
        }
        find_attr(c, attr, out);
    }
}

fn write_stem(e: &Element, s: &mut String) {
    for n in &e.children {
        match n {
            Node::Element(c) if c.name == "inlineChoiceInteraction" => s.push_str("[…]"),
            Node::Element(c) if c.name.ends_with("Interaction") => {
                if let Some(p) = c.child("prompt") {
                    let prompt = p.inner_html();
                    if !prompt.trim().is_empty() {
                        s.push_str("<p>");
                        s.push_str(prompt.trim());
                        s.push_str("</p>");
                    }
                }
            }
            Node::Element(c) if c.name == "gap" => s.push_str("[…]"),
            Node::Element(c)
                if matches!(
                    c.name.as_str(),
                    "rubricBlock" | "feedbackBlock" | "feedbackInline" | "templateBlock"
                ) => {}
            other => xml::write_node(other, s),
        }
    }
}

/// The hot-area template: our `data-ai102-template`, else the text of the body's blocks that hold the
/// interactions, each replaced by `[[response-id]]`.
fn template_of(body: &Element) -> (String, Option<String>) {
    let mut found = Vec::new();
    find_attr(body, "data-ai102-template", &mut found);
    if let Some(e) = found.first() {
        return (
            e.attr("data-ai102-template").unwrap_or("").to_owned(),
            e.attr("data-ai102-language").map(str::to_owned),
        );
    }
    let mut s = String::new();
    for n in &body.children {
        let holds = match n {
            Node::Element(e) => {
                let mut v = Vec::new();
                find_interactions(e, &mut v);
                !v.is_empty() || e.name.ends_with("Interaction")
            }
            Node::Text(_) => false,
        };
        if holds {
            to_text(n, &mut s);
        }
    }
    (tidy_text(&s), None)
}

/// Plain text of a node, with `[[id]]` for inline choices and gaps, line breaks for `<br>` and blocks.
fn to_text(n: &Node, s: &mut String) {
    match n {
        Node::Text(t) => s.push_str(t),
        Node::Element(e) => match e.name.as_str() {
            "inlineChoiceInteraction" => {
                s.push_str(&format!(
                    "[[{}]]",
                    e.attr("responseIdentifier").unwrap_or("")
                ));
            }
            "gap" => s.push_str(&format!("[[{}]]", e.attr("identifier").unwrap_or(""))),
            "br" => s.push('\n'),
            "p" | "div" | "blockquote" | "li" | "pre" | "h1" | "h2" | "h3" => {
                s.push('\n');
                for c in &e.children {
                    to_text(c, s);
                }
                s.push('\n');
            }
            _ => {
                for c in &e.children {
                    to_text(c, s);
                }
            }
        },
    }
}

/// Collapses the indentation of a source file's text: spaces inside a line to one, lines trimmed, blank
/// runs to one blank line.
fn tidy_text(s: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for line in s.lines() {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() && out.last().is_none_or(|l: &String| l.is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

/// The explanation: our `data-ai102-md` in the modal feedback, else every modal feedback's HTML (with its
/// title in bold).
fn explanation_of(root: &Element) -> String {
    let feedback: Vec<&Element> = root.children_named("modalFeedback").collect();
    for f in &feedback {
        let mut found = Vec::new();
        find_attr(f, "data-ai102-md", &mut found);
        if let Some(e) = found.first() {
            return e.attr("data-ai102-md").unwrap_or("").to_owned();
        }
    }
    let mut parts = Vec::new();
    for f in feedback {
        let content = f.child("contentBody").unwrap_or(f);
        let html = html_to_markdown(&content.inner_html());
        let title = plain_to_markdown(f.attr("title").unwrap_or(""));
        match (title.is_empty(), html.is_empty()) {
            (true, true) => {}
            (true, false) => parts.push(html),
            (false, true) => parts.push(format!("**{title}**")),
            (false, false) => parts.push(format!("**{title}**: {html}")),
        }
    }
    parts.join("\n\n")
}

#[cfg(test)]
mod tests;
