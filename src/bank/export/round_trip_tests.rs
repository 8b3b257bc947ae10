//! Round trips through the Moodle formats: our bank → GIFT / Moodle XML → our importers gives the same items
//! (stem, options, key, explanation, category, references, tags) for every type the format can express, and
//! a located note for every other; and for the shared interop fixtures (`../shared/fixtures/interop`, skipped
//! when absent), export(import(export(import(f)))) is export(import(f)) byte for byte.

use super::{category_of, export_gift, export_moodle_xml, gift, moodle_xml, Entry, Exported};
use crate::bank::import::markup::plain_to_markdown;
use crate::bank::import::{self, ImportReport};
use crate::bank::model::{Body, Choice, Item, Pack, Question};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const SHARED: &str = "../shared/fixtures/interop";

fn shipped(exam: &str) -> Pack {
    let report = crate::bank::check_path(Path::new(&format!("question-bank/exams/{exam}")))
        .expect("read the shipped exam");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    report.pack.expect("pack")
}

fn text_of(choices: &[Choice], id: &str) -> String {
    choices
        .iter()
        .find(|c| c.id == id)
        .map(|c| c.text.clone())
        .unwrap_or_default()
}

/// What a question says, by text rather than by ids (an exporter may renumber options and reorder choices):
/// its type, options in order, the key as texts, and for a match the slots with their choices and the set of
/// choices. `choice_text` maps a match choice's text as the target format keeps it.
fn meaning(q: &Question, choice_text: &dyn Fn(&str) -> String) -> String {
    match &q.body {
        Body::Single { options, answer } => format!(
            "single {:?} key {:?}",
            options.iter().map(|o| &o.text).collect::<Vec<_>>(),
            text_of(options, answer)
        ),
        Body::Multiple {
            choose,
            options,
            answer,
        } => {
            let mut key: Vec<String> = answer.iter().map(|a| text_of(options, a)).collect();
            key.sort();
            format!(
                "multiple {choose} {:?} key {key:?}",
                options.iter().map(|o| &o.text).collect::<Vec<_>>()
            )
        }
        Body::Order { steps, answer } => format!(
            "order {:?}",
            answer.iter().map(|a| text_of(steps, a)).collect::<Vec<_>>()
        ),
        Body::Match {
            choices,
            slots,
            answer,
            ..
        } => {
            let pairs: Vec<(String, String)> = slots
                .iter()
                .map(|s| {
                    let c = answer
                        .get(&s.id)
                        .map(|c| text_of(choices, c))
                        .unwrap_or_default();
                    // GIFT writes `->` in a slot as `-\>` (the same on the page), so that it splits no pair.
                    (s.text.replace("-\\>", "->"), choice_text(&c))
                })
                .collect();
            let mut all: Vec<String> = choices.iter().map(|c| choice_text(&c.text)).collect();
            all.sort();
            format!("match {pairs:?} choices {all:?}")
        }
        other => format!("{} (not exported)", other.type_name()),
    }
}

/// Whether GIFT and Moodle XML can hold the question: not a yes/no series or a hot area, nor an order whose
/// answer orders only some of its steps.
fn writable(q: &Question) -> bool {
    match &q.body {
        Body::YesNoSeries { .. } | Body::HotArea { .. } => false,
        Body::Order { steps, answer } => answer.len() == steps.len(),
        _ => true,
    }
}

/// Checks that `back` (the export of `pack` imported again) holds every question of `pack` the format can
/// express, unchanged, and that each other item is named by a note.
fn assert_same(
    pack: &Pack,
    exported: &Exported,
    back: &ImportReport,
    choice_text: &dyn Fn(&str) -> String,
) {
    assert!(back.problems.is_empty(), "{:?}", back.problems);
    // Our own export reads back with nothing noted, but for points other than one per correct element
    // (Moodle XML's default grade, which the importer does not take).
    for n in &back.notes {
        assert!(n.message.contains("the default grade"), "{n}");
    }
    let by_id: BTreeMap<&str, &import::Imported> = back
        .items
        .iter()
        .map(|i| (i.question.common.id.as_str(), i))
        .collect();
    let mut expressible = 0;
    for item in &pack.items {
        let Item::Question(q) = item else {
            assert!(
                exported
                    .notes
                    .iter()
                    .any(|n| n.item.as_deref() == Some(item.id())),
                "a note for the case study {}",
                item.id()
            );
            continue;
        };
        let c = &q.common;
        if !writable(q) {
            assert!(
                exported
                    .notes
                    .iter()
                    .any(|n| n.item.as_deref() == Some(c.id.as_str())
                        && n.message.contains("left out")),
                "a note for {}",
                c.id
            );
            assert!(!by_id.contains_key(c.id.as_str()), "{} left out", c.id);
            continue;
        }
        expressible += 1;
        let got = by_id
            .get(c.id.as_str())
            .unwrap_or_else(|| panic!("{} came back", c.id));
        let g = &got.question.common;
        assert_eq!(g.stem, c.stem.trim(), "{} stem", c.id);
        assert_eq!(g.explanation, c.explanation.trim(), "{} explanation", c.id);
        assert_eq!(got.category, category_of(q), "{} category", c.id);
        assert_eq!(g.tags, c.tags, "{} tags", c.id);
        assert_eq!(
            meaning(&got.question, &|t: &str| t.to_owned()),
            meaning(q, choice_text),
            "{} options and key",
            c.id
        );
    }
    assert_eq!(back.items.len(), expressible);
}

#[test]
fn the_shipped_banks_survive_gift() {
    for exam in ["ai-102", "ai-103"] {
        let pack = shipped(exam);
        let exported = export_gift(&pack);
        let back = import::gift::parse(&format!("{exam}.gift"), &exported.text);
        assert_same(&pack, &exported, &back, &|t: &str| t.to_owned());
        // GIFT keeps the references in `// [ref:…]` comments.
        for item in &back.items {
            let original = pack
                .items
                .iter()
                .flat_map(|i| i.questions())
                .find(|(q, _)| q.common.id == item.question.common.id)
                .expect("original");
            assert_eq!(
                item.question.common.references,
                original.0.common.references
            );
        }
    }
}

#[test]
fn the_shipped_banks_survive_moodle_xml() {
    for exam in ["ai-102", "ai-103"] {
        let pack = shipped(exam);
        let exported = export_moodle_xml(&pack);
        let back = import::moodle_xml::parse(&format!("{exam}.xml"), &exported.text);
        // Moodle's matching answers are plain text: a choice comes back as the text it showed.
        let plain = |t: &str| plain_to_markdown(&moodle_xml::plain_text(t));
        assert_same(&pack, &exported, &back, &plain);
    }
}

#[test]
fn the_exam_test_pack_notes_every_item_it_cannot_write() {
    let bp = crate::bank::check::shipped_blueprint().expect("blueprint");
    let report = crate::bank::check_sources(
        &[(
            "p.yaml".to_owned(),
            include_str!("../../../tests/fixtures/exam_pack.yaml").to_owned(),
        )],
        &bp,
    );
    let pack = report.pack.expect("pack");
    for exported in [export_gift(&pack), export_moodle_xml(&pack)] {
        for item in &pack.items {
            let writable =
                item.questions().iter().all(|(q, _)| writable(q)) && item.case_study().is_none();
            let noted = exported
                .notes
                .iter()
                .any(|n| n.item.as_deref() == Some(item.id()));
            assert_eq!(noted, !writable, "{}: {:?}", item.id(), exported.notes);
        }
        for n in &exported.notes {
            assert_eq!(n.file, pack.meta.id);
            assert!(
                n.to_string().starts_with(&format!("{}: [", pack.meta.id)),
                "{n}"
            );
        }
    }
}

/// An importer of single files.
type Parse = fn(&str, &str) -> ImportReport;

#[test]
fn awkward_texts_and_a_partial_order_come_back_or_are_noted() {
    let yaml = r#"
pack: { id: rt, title: RT, version: 1, blueprint: ai102 }
items:
  - id: rt-1
    type: order
    domain: genai
    objective: genai.openai
    stem: "Order: `a -> b`, {x}, ~y, #z"
    steps:
      - { id: a, text: "// not a comment" }
      - { id: b, text: "[markdown] is text" }
      - { id: c, text: "%50% sure" }
    answer: [c, a, b]
    explanation: "Line one\\\nline two\n\n- a list"
    references: [https://learn.microsoft.com/x]
  - id: rt-2
    type: order
    domain: genai
    objective: genai.openai
    stem: Two of three?
    steps: [{ id: z, text: Z }, { id: y, text: Y }, { id: x, text: X }]
    answer: [y, z]
    explanation: Because.
    references: [https://learn.microsoft.com/y]
  - id: rt-3
    type: match
    domain: genai
    objective: genai.openai
    stem: Match.
    slots: [{ id: s1, text: "a -> b" }, { id: s2, text: "**c**" }]
    choices: [{ id: a, text: "x -> y" }, { id: b, text: "`z`" }, { id: c, text: "unused" }]
    answer: { s1: b, s2: a }
    explanation: Because.
    references: [https://learn.microsoft.com/z]
"#;
    let bp = crate::bank::check::shipped_blueprint().expect("blueprint");
    let report = crate::bank::check_sources(&[("p.yaml".to_owned(), yaml.to_owned())], &bp);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let pack = report.pack.expect("pack");
    let exported = export_gift(&pack);
    let back = import::gift::parse("rt.gift", &exported.text);
    assert_same(&pack, &exported, &back, &|t: &str| t.to_owned());
    assert_eq!(exported.notes.len(), 1, "{:?}", exported.notes);
    assert!(exported.notes[0]
        .message
        .contains("orders 2 of its 3 steps"));
    let exported = export_moodle_xml(&pack);
    let back = import::moodle_xml::parse("rt.xml", &exported.text);
    let plain = |t: &str| plain_to_markdown(&moodle_xml::plain_text(t));
    assert_same(&pack, &exported, &back, &plain);
    let notes: Vec<&str> = exported.notes.iter().map(|n| n.message.as_str()).collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes
        .iter()
        .any(|n| n.contains("the choice \"z\" is written as plain text")));
}

/// Every shared fixture file we import as single items, with its importer.
fn fixtures() -> Option<Vec<(PathBuf, Parse)>> {
    let root = Path::new(SHARED);
    if !root.is_dir() {
        println!("skipped: {SHARED} not found");
        return None;
    }
    let mut out: Vec<(PathBuf, Parse)> = Vec::new();
    for (folder, parse) in [
        (
            "gift",
            import::gift::parse as fn(&str, &str) -> ImportReport,
        ),
        ("moodle-xml", import::moodle_xml::parse),
        ("aiken", import::aiken::parse),
        ("csv", import::csv::parse),
        ("qti21", import::qti::parse_item),
        ("qti30", import::qti::parse_item),
    ] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(folder))
            .expect("fixture folder")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_none_or(|e| e != "zip"))
            .collect();
        files.sort();
        out.extend(files.into_iter().map(|f| (f, parse)));
    }
    Some(out)
}

fn entries(report: &ImportReport) -> Vec<Entry<'_>> {
    report
        .items
        .iter()
        .map(|i| Entry {
            question: &i.question,
            category: i.category.as_deref(),
        })
        .collect()
}

#[test]
fn exporting_an_imported_fixture_twice_gives_the_same_bytes() {
    let Some(files) = fixtures() else { return };
    let mut exported_questions = 0;
    for (path, parse) in files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let bytes = std::fs::read(&path).expect("fixture");
        let (text, _) = import::decode_text(&bytes);
        let first = parse(&name, &text);
        let gift_once = gift::write("f", &entries(&first));
        let again = import::gift::parse("f.gift", &gift_once.text);
        assert!(
            again.problems.is_empty(),
            "{name} as GIFT: {:?}",
            again.problems
        );
        let gift_twice = gift::write("f", &entries(&again));
        assert_eq!(gift_once.text, gift_twice.text, "{name} as GIFT");
        let xml_once = moodle_xml::write("f", &entries(&first));
        let again = import::moodle_xml::parse("f.xml", &xml_once.text);
        assert!(
            again.problems.is_empty(),
            "{name} as Moodle XML: {:?}",
            again.problems
        );
        let xml_twice = moodle_xml::write("f", &entries(&again));
        assert_eq!(xml_once.text, xml_twice.text, "{name} as Moodle XML");
        exported_questions += again.items.len();
    }
    assert!(exported_questions > 50, "{exported_questions}");
}
