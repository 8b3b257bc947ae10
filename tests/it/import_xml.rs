//! Importing Moodle XML and QTI files: the shared interop fixtures (when the folder is there) and our own
//! small fixtures under tests/import/.

use ai102::bank::import::archive::{read_zip, ZipLimits};
use ai102::bank::import::{decode_text, moodle_xml, qti, ImportReport};
use ai102::bank::model::Body;
use std::path::Path;

const SHARED: &str = "../shared/fixtures/interop";

/// Imports one file the way the upload does: by folder and extension.
fn import(path: &Path) -> ImportReport {
    let bytes = std::fs::read(path).expect("fixture is readable");
    let name = path
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    let moodle = path.components().any(|c| c.as_os_str() == "moodle-xml");
    if name.ends_with(".zip") {
        let entries = read_zip(&name, &bytes, &ZipLimits::default()).expect("safe zip");
        qti::parse_package(&name, &entries)
    } else if moodle {
        moodle_xml::parse(&name, &decode_text(&bytes).0)
    } else {
        qti::parse_item(&name, &decode_text(&bytes).0)
    }
}

/// Items as (id, type) and problems as (line, item, message).
fn kinds(report: &ImportReport) -> Vec<(String, &'static str)> {
    report
        .items
        .iter()
        .map(|i| (i.question.common.id.clone(), i.question.body.type_name()))
        .collect()
}

/// Asserts a file's items (id and type, in order) and its problems (line and a part of the message).
fn expect(path: &Path, items: &[(&str, &str)], problems: &[(usize, &str)]) {
    let report = import(path);
    let got = kinds(&report);
    let want: Vec<(String, &str)> = items.iter().map(|(i, t)| ((*i).to_owned(), *t)).collect();
    assert_eq!(
        got.iter().map(|(i, t)| (i.clone(), *t)).collect::<Vec<_>>(),
        want,
        "{}: items",
        path.display()
    );
    let got: Vec<(usize, &str)> = report
        .problems
        .iter()
        .map(|p| (p.line, p.message.as_str()))
        .collect();
    assert_eq!(
        got.len(),
        problems.len(),
        "{}: problems {got:#?}",
        path.display()
    );
    for ((line, message), (want_line, want_part)) in got.iter().zip(problems) {
        assert_eq!(line, want_line, "{}: {message}", path.display());
        assert!(
            message.contains(want_part),
            "{}: `{message}` lacks `{want_part}`",
            path.display()
        );
    }
}

fn shared(rel: &str) -> Option<std::path::PathBuf> {
    let root = Path::new(SHARED);
    if !root.exists() {
        return None;
    }
    Some(root.join(rel))
}

const CLOZE: &str = "embedded-answer (Cloze, `cloze`)";
const ESSAY: &str = "essay questions are graded by hand";
const SHORT: &str = "short-answer questions take typed text";

#[test]
fn every_shared_moodle_xml_file_imports_as_expected() {
    let Some(dir) = shared("moodle-xml") else {
        println!("skipped: ../shared/fixtures/interop not found");
        return;
    };
    expect(
        &dir.join("QAS-Editor_multichoice.xml"),
        &[("html-layout", "single")],
        &[],
    );
    expect(
        &dir.join("broken_cloze_questions.xml"),
        &[],
        &[
            (4, CLOZE),
            (20, CLOZE),
            (36, CLOZE),
            (52, CLOZE),
            (68, CLOZE),
        ],
    );
    expect(
        &dir.join("error_invalid_grades.xml"),
        &[],
        &[(38, "answer 2 has the grade 33%, which is not one of Moodle's grades (the nearest is 33.33333%) (at /quiz/question[1]/answer[2])")],
    );
    expect(
        &dir.join("html_chars_in_idnumbers.xml"),
        // The id comes from the question's <idnumber> when it has one.
        &[("t-f", "single")],
        &[],
    );
    expect(
        &dir.join("moodle_qtype_essay_testquestion.moodle.xml"),
        &[],
        &[(12, ESSAY)],
    );
    expect(
        &dir.join("moodle_qtype_match_testquestion.moodle.xml"),
        &[("matching-001", "match")],
        &[],
    );
    expect(
        &dir.join("moodle_qtype_multichoice_testquestion.moodle.xml"),
        &[("multi-choice-001", "multiple")],
        &[],
    );
    expect(
        &dir.join("moodle_qtype_numerical_testquestion.moodle.xml"),
        &[],
        &[(12, "`numerical` questions take a typed number")],
    );
    expect(
        &dir.join("moodle_qtype_ordering_testquestion.moodle.xml"),
        &[("dd1", "order")],
        &[],
    );
    expect(
        &dir.join("moodle_qtype_shortanswer_testquestion.moodle.xml"),
        &[],
        &[(12, SHORT)],
    );
    expect(
        &dir.join("moodle_qtype_truefalse_testquestion.moodle.xml"),
        &[("true-false-001", "single")],
        &[],
    );
    expect(&dir.join("multianswer.xml"), &[], &[(12, CLOZE)]);
    expect(&dir.join("multichoice.xml"), &[("greeting", "single")], &[]);
    expect(
        &dir.join("nested_categories_with_questions.xml"),
        &[
            ("iota-question", "single"),
            ("kappa-question", "single"),
            ("lambda-question", "single"),
            ("mu-question", "single"),
        ],
        &[(55, ESSAY)],
    );
    let test = import(&dir.join("test.xml"));
    let types: Vec<&str> = kinds(&test).iter().map(|(_, t)| *t).collect();
    assert_eq!(
        types,
        [
            "single", "single", "single", "single", "single", "single", "multiple", "multiple",
            "multiple", "match", "match", "match"
        ]
    );
    let reasons: Vec<(usize, &str)> = test
        .problems
        .iter()
        .map(|p| (p.line, p.message.as_str()))
        .collect();
    // The description is skipped with a note, not refused.
    assert_eq!(reasons.len(), 10, "{reasons:#?}");
    assert!(reasons[7]
        .1
        .contains("the question type `order` is not supported"));
    assert!(reasons[9].1.contains("has no `type` attribute"));
    assert!(test
        .notes
        .iter()
        .any(|n| n.message.contains("was skipped: it is not a question")));
}

#[test]
fn shared_moodle_details_survive_import() {
    let Some(dir) = shared("moodle-xml") else {
        println!("skipped: ../shared/fixtures/interop not found");
        return;
    };
    let r = import(&dir.join("moodle_qtype_multichoice_testquestion.moodle.xml"));
    let Body::Multiple { choose, answer, .. } = &r.items[0].question.body else {
        panic!("multiple")
    };
    assert_eq!(
        (*choose, answer.as_slice()),
        (2, ["c".to_owned(), "e".to_owned()].as_slice())
    );
    assert_eq!(r.items[0].category.as_deref(), Some("Default for C1"));
    let r = import(&dir.join("QAS-Editor_multichoice.xml"));
    assert!(r.items[0]
        .question
        .common
        .stem
        .contains("src=\"data:image/png;base64,iVBOR"));
    assert!(r.items[0]
        .question
        .common
        .stem
        .contains("data:image/svg+xml;base64,"));
    let r = import(&dir.join("moodle_qtype_match_testquestion.moodle.xml"));
    let Body::Match {
        choices,
        slots,
        reuse,
        ..
    } = &r.items[0].question.body
    else {
        panic!("match")
    };
    assert_eq!((choices.len(), slots.len(), *reuse), (3, 3, true));
    let r = import(&dir.join("moodle_qtype_ordering_testquestion.moodle.xml"));
    let Body::Order { steps, answer } = &r.items[0].question.body else {
        panic!("order")
    };
    assert_eq!(
        (steps.len(), answer[0].as_str(), steps[0].text.as_str()),
        (6, "a", "Modular")
    );
}

#[test]
fn every_shared_qti21_file_imports_as_expected() {
    let Some(dir) = shared("qti21") else {
        println!("skipped: ../shared/fixtures/interop not found");
        return;
    };
    expect(
        &dir.join("Choicemultiple_871212949.xml"),
        &[("choice-multiple-point-per-answer", "multiple")],
        &[],
    );
    expect(
        &dir.join("Choicetruefalse_176040516.xml"),
        &[("choice-true-false", "single")],
        &[],
    );
    expect(
        &dir.join("Matchsingle_143114773.xml"),
        &[("match-single", "match")],
        &[],
    );
    expect(&dir.join("Order_913967682.xml"), &[("order", "order")], &[]);
    expect(
        &dir.join("TextEntrynumeric_770468849.xml"),
        &[],
        &[(
            37,
            "the interaction `textEntryInteraction` is not supported",
        )],
    );
    expect(
        &dir.join("associate.xml"),
        &[("shakespearian-rivals", "match")],
        &[],
    );
    expect(
        &dir.join("choice.xml"),
        &[("unattended-luggage", "single")],
        &[],
    );
    expect(
        &dir.join("choice_multiple.xml"),
        &[("composition-of-water", "multiple")],
        &[],
    );
    expect(
        &dir.join("extended_text.xml"),
        &[],
        &[(20, "item `extendedText (Writing a Postcard)` refused: the interaction `extendedTextInteraction` is not supported")],
    );
    expect(
        &dir.join("gap_match.xml"),
        &[("richard-iii-take-1", "hot_area")],
        &[],
    );
    expect(
        &dir.join("hotspot.xml"),
        &[],
        &[(15, "item `hotspot (UK Airports (Take 1))` refused: the interaction `hotspotInteraction` is not supported")],
    );
    expect(
        &dir.join("inline_choice.xml"),
        &[("richard-iii-take-2", "hot_area")],
        &[],
    );
    expect(
        &dir.join("match.xml"),
        &[("characters-and-plays", "match")],
        &[],
    );
    expect(
        &dir.join("modalFeedback.xml"),
        &[("example-1-modal-feedback", "single")],
        &[],
    );
    expect(
        &dir.join("order.xml"),
        &[("grand-prix-of-bahrain", "order")],
        &[],
    );
    expect(
        &dir.join("text_entry.xml"),
        &[],
        &[(
            20,
            "the interaction `textEntryInteraction` is not supported",
        )],
    );
    expect(
        &dir.join("qti2v1.zip"),
        &[
            (
                "qti-v2-1-entry-profile-single-t-f-item-test-instance",
                "single",
            ),
            (
                "qti-v2-1-entry-profile-single-mc-sr-item-test-instance",
                "single",
            ),
            (
                "qti-v2-1-entry-profile-single-mc-mr-item-test-instance",
                "multiple",
            ),
        ],
        &[
            (81, "`textEntryInteraction` is not supported"),
            (145, "`extendedTextInteraction` is not supported"),
            (14, "`hotspotInteraction` is not supported"),
            (238, "malformed XML: ill-formed document: expected `</p>`"),
        ],
    );
    let zip = import(&dir.join("qti2v1.zip"));
    assert_eq!(zip.problems[2].file, "qti2v1.zip/Items/hotspot.xml");
}

#[test]
fn shared_qti21_details_survive_import() {
    let Some(dir) = shared("qti21") else {
        println!("skipped: ../shared/fixtures/interop not found");
        return;
    };
    let r = import(&dir.join("gap_match.xml"));
    let Body::HotArea {
        template, slots, ..
    } = &r.items[0].question.body
    else {
        panic!("hot area")
    };
    assert!(
        template.starts_with("Now is the [[G1]] of our discontent\nMade glorious [[G2]] by"),
        "{template}"
    );
    assert_eq!(
        (
            slots[0].answer.as_str(),
            slots[1].answer.as_str(),
            slots[0].options.len()
        ),
        ("W", "Su", 4)
    );
    let r = import(&dir.join("match.xml"));
    let Body::Match { answer, reuse, .. } = &r.items[0].question.body else {
        panic!("match")
    };
    assert_eq!(
        (answer["D"].as_str(), answer["L"].as_str(), *reuse),
        ("M", "M", true)
    );
    let r = import(&dir.join("associate.xml"));
    let Body::Match { answer, slots, .. } = &r.items[0].question.body else {
        panic!("match")
    };
    assert_eq!((slots.len(), answer["A"].as_str()), (3, "P"));
    let r = import(&dir.join("order.xml"));
    let Body::Order { answer, .. } = &r.items[0].question.body else {
        panic!("order")
    };
    assert_eq!(answer, &["DriverC", "DriverA", "DriverB"]);
    let r = import(&dir.join("modalFeedback.xml"));
    assert!(!r.items[0].question.common.explanation.is_empty());
}

#[test]
fn every_shared_qti30_file_imports_as_expected() {
    let Some(dir) = shared("qti30") else {
        println!("skipped: ../shared/fixtures/interop not found");
        return;
    };
    expect(
        &dir.join("aqti_tmh_sample_1.xml"),
        &[("estimate-distances-using-multiplication-with-tom", "single")],
        &[],
    );
    expect(
        &dir.join("example-inline-choice.xml"),
        &[("richard-iii-take-2", "hot_area")],
        &[],
    );
    expect(
        &dir.join("example-match.xml"),
        &[("match-countries-and-languages-match-interaction", "match")],
        &[],
    );
    expect(
        &dir.join("gap-match-example-1.xml"),
        &[("gap-match-example-1", "hot_area")],
        &[],
    );
    expect(
        &dir.join("map-response-identifier.xml"),
        &[(
            "i9b-response-processing-fixed-template-map-response-identifi",
            "multiple",
        )],
        &[],
    );
    expect(
        &dir.join("multiple-cardinality-sv-1.xml"),
        &[("choice-interaction-multiple-sv-1", "multiple")],
        &[],
    );
    expect(
        &dir.join("single-cardinality-sv-1.xml"),
        &[("choice-interaction-single-sv-1", "single")],
        &[],
    );
    let r = import(&dir.join("example-inline-choice.xml"));
    let Body::HotArea {
        template, slots, ..
    } = &r.items[0].question.body
    else {
        panic!("hot area")
    };
    assert!(template.contains("sun of [[RESPONSE]]"), "{template}");
    assert_eq!(slots[0].answer, "Y");
}

fn ours(rel: &str) -> std::path::PathBuf {
    Path::new("tests/import").join(rel)
}

#[test]
fn our_moodle_fixture_imports_every_supported_type_and_refuses_the_essay() {
    let path = ours("moodle-xml/azure_ai.xml");
    expect(
        &path,
        &[
            ("read-api-for-printed-text", "single"),
            ("less-random-completions", "multiple"),
            ("pii-redaction", "single"),
            ("speech-features", "match"),
            ("custom-vision-steps", "order"),
        ],
        &[(
            46,
            "question `Explain RAG` refused: essay questions are graded by hand",
        )],
    );
    let r = import(&path);
    assert_eq!(r.problems[0].item.as_deref(), Some("Explain RAG"));
    assert_eq!(r.problems[0].file, "azure_ai.xml");
    assert_eq!(r.items[0].category.as_deref(), Some("AI-102/Vision"));
    assert_eq!(r.items[2].category.as_deref(), Some("AI-102/Language"));
    assert_eq!(r.items[0].line, 6);
    let Body::Order { answer, .. } = &r.items[4].question.body else {
        panic!("order")
    };
    assert_eq!(answer, &["b", "a", "c"]);
}

#[test]
fn our_malformed_moodle_files_are_refused_with_a_location() {
    expect(
        &ours("moodle-xml/broken.xml"),
        &[],
        &[(8, "malformed XML: ill-formed document: expected `</text>`, but `</answer>` was found (at /quiz/question[2]/answer[1]/text[1])")],
    );
    expect(
        &ours("moodle-xml/billion_laughs.xml"),
        &[],
        &[(2, "the DOCTYPE declares entities")],
    );
    expect(
        &ours("moodle-xml/xxe.xml"),
        &[],
        &[(2, "external entities (XXE) are not allowed")],
    );
}

#[test]
fn our_qti_fixtures_import_every_supported_interaction() {
    expect(
        &ours("qti/choice_21.xml"),
        &[("keys-in-key-vault", "single")],
        &[],
    );
    expect(
        &ours("qti/multiple_map_30.xml"),
        &[("less-random-output", "multiple")],
        &[],
    );
    expect(
        &ours("qti/order_30.xml"),
        &[("custom-vision-steps", "order")],
        &[],
    );
    expect(
        &ours("qti/inline_choice_30.xml"),
        &[("hybrid-query", "hot_area")],
        &[],
    );
    expect(
        &ours("qti/match_21.xml"),
        &[("speech-features", "match")],
        &[],
    );
    let r = import(&ours("qti/multiple_map_30.xml"));
    let Body::Multiple { choose, answer, .. } = &r.items[0].question.body else {
        panic!("multiple")
    };
    assert_eq!(
        (*choose, answer.as_slice()),
        (2, ["t".to_owned(), "p".to_owned()].as_slice())
    );
    let r = import(&ours("qti/choice_21.xml"));
    assert_eq!(
        r.items[0].question.common.explanation,
        "Key Vault keeps secrets out of code."
    );
}

#[test]
fn our_malformed_qti_files_are_refused_with_a_location() {
    expect(
        &ours("qti/unknown_interaction.xml"),
        &[],
        &[(6, "item `tokens-slider (Token budget)` refused: the interaction `sliderInteraction` is not supported")],
    );
    let r = import(&ours("qti/unknown_interaction.xml"));
    assert_eq!(
        r.problems[0].item.as_deref(),
        Some("tokens-slider (Token budget)")
    );
    expect(
        &ours("qti/broken.xml"),
        &[],
        &[(
            6,
            "(at /assessmentItem/itemBody[1]/choiceInteraction[1]/simpleChoice[1])",
        )],
    );
    expect(
        &ours("qti/billion_laughs.xml"),
        &[],
        &[(2, "billion laughs")],
    );
    expect(
        &ours("qti/xxe.xml"),
        &[],
        &[(2, "the DOCTYPE declares entities")],
    );
}

#[test]
fn the_moodle_importer_stops_at_the_question_past_its_limit() {
    let bytes = std::fs::read(ours("moodle-xml/azure_ai.xml")).unwrap();
    let (text, _) = decode_text(&bytes);
    let all = moodle_xml::parse("azure_ai.xml", &text);
    assert!(all.items.len() > 2 && all.stopped_at.is_none());
    let r = moodle_xml::parse_at_most("azure_ai.xml", &text, 2);
    assert_eq!(r.items.len(), 2, "categories are not questions");
    let third = all.items[2].line;
    assert_eq!(r.stopped_at, Some(third));
}
