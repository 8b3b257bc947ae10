//! The GIFT, Aiken and CSV importers against every shared interop fixture (`../shared/fixtures/interop`,
//! skipped when absent) and against our own fixtures in tests/import/, plus a property test that the text
//! parsers never panic and always locate their problems.

use ai102::bank::import::{aiken, csv, decode_text, gift, ImportReport, Imported};
use ai102::bank::model::{Body, Choice};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const SHARED: &str = "../shared/fixtures/interop";

/// Reads a fixture's bytes, decodes them and parses them with `parse`; also returns the decoding note.
fn import(path: &Path, parse: fn(&str, &str) -> ImportReport) -> (ImportReport, Option<String>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (text, note) = decode_text(&bytes);
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    (parse(name, &text), note)
}

/// Every file of a shared fixture folder, by name.
fn shared(format: &str) -> Option<Vec<PathBuf>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(SHARED)
        .join(format);
    if !dir.is_dir() {
        println!("skipped: {SHARED} not found");
        return None;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    Some(files)
}

fn ours(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/import")
        .join(path)
}

/// How many items of each type.
fn types(report: &ImportReport) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    for item in &report.items {
        *m.entry(item.question.body.type_name()).or_default() += 1;
    }
    m
}

fn counts(pairs: &[(&'static str, usize)]) -> BTreeMap<&'static str, usize> {
    pairs.iter().copied().collect()
}

/// How many problems contain each of `needles` (e.g. "GIFT numerical question").
fn refusals(report: &ImportReport, needle: &str) -> usize {
    report
        .problems
        .iter()
        .filter(|p| p.message.contains(needle))
        .count()
}

/// What a candidate reads of an option or stem: its Markdown rendered as the item page does, as plain text.
fn shown(md: &str) -> String {
    ai102::web::markdown::plain(md)
}

/// The text a candidate reads of the single correct option, or of the correct options of a multiple-choice
/// item.
fn correct(item: &Imported) -> Vec<String> {
    let text = |options: &[Choice], id: &str| {
        options
            .iter()
            .find(|o| o.id == id)
            .map(|o| shown(&o.text))
            .unwrap()
    };
    match &item.question.body {
        Body::Single { options, answer } => vec![text(options, answer)],
        Body::Multiple {
            options, answer, ..
        } => answer.iter().map(|a| text(options, a)).collect(),
        Body::Order { steps, answer } => answer.iter().map(|a| text(steps, a)).collect(),
        other => panic!("not a choice item: {other:?}"),
    }
}

fn lines(report: &ImportReport) -> Vec<usize> {
    report.problems.iter().map(|p| p.line).collect()
}

fn check_clean_items(report: &ImportReport) {
    for item in &report.items {
        let c = &item.question.common;
        assert_eq!(c.domain, None, "{}", c.id);
        assert_eq!(c.objective, "", "{}", c.id);
        assert!(!c.stem.is_empty(), "{}", c.id);
        assert!(item.line >= 1);
    }
    for p in &report.problems {
        assert!(p.line >= 1 && p.column >= 1, "{p}");
    }
}

#[test]
fn every_shared_gift_fixture_imports_as_expected() {
    let Some(files) = shared("gift") else { return };
    assert_eq!(files.len(), 18);
    for path in files {
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let (r, note) = import(&path, gift::parse);
        check_clean_items(&r);
        let t = types(&r);
        match name.as_str() {
            "escapeAll.gift" => {
                assert_eq!(r.items.len(), 1);
                assert!(r.problems.is_empty());
                let Body::Single { options, .. } = &r.items[0].question.body else {
                    panic!()
                };
                let texts: Vec<String> = options.iter().map(|o| shown(&o.text)).collect();
                assert_eq!(texts, ["~", "=", "#", "{", "}", ":", "\\"]);
                assert_eq!(correct(&r.items[0]), ["\\"]);
            }
            "essay1.gift" => {
                assert!(r.items.is_empty());
                assert_eq!(r.problems.len(), 1);
                assert_eq!(
                    r.problems[0].message,
                    "GIFT essay question \"Write a short biography of Dag Hammarskjöld.\" is not supported: the exam has no free-text items that a person grades"
                );
            }
            "examples.txt" => {
                assert_eq!(t, counts(&[("match", 3), ("multiple", 2), ("single", 21)]));
                assert_eq!(r.problems.len(), 17);
                assert_eq!(refusals(&r, "GIFT numerical question"), 8);
                assert_eq!(refusals(&r, "GIFT short-answer question"), 9);
                let grant = &r.items[1];
                assert_eq!(
                    grant.question.common.stem,
                    "Grant is _____ in Grant's tomb."
                );
                assert_eq!(correct(grant), ["entombed"]);
                let tomb = r
                    .items
                    .iter()
                    .find(|i| i.question.common.id == "gift-control-characters")
                    .unwrap();
                assert_eq!(correct(tomb), ["\\"]);
            }
            "formatExamples.gift" => {
                assert_eq!(r.items.len(), 1);
                // [html]: kept as HTML, which the candidate reads as its text.
                assert_eq!(correct(&r.items[0]), ["The east."]);
                assert!(r.items[0]
                    .question
                    .common
                    .explanation
                    .contains("- Correct: <p>The east.</p> — <b>Awesome!</b>"));
            }
            "markdown.gift" => {
                // Four descriptions: skipped with notes, not refused.
                assert!(r.items.is_empty());
                assert!(r.problems.is_empty());
                let at: Vec<usize> = r.notes.iter().map(|n| n.line).collect();
                assert_eq!(at, [1, 3, 6, 11]);
                assert!(r
                    .notes
                    .iter()
                    .all(|n| n.message.starts_with("GIFT description")));
            }
            "mcHTMLComment.gift" => {
                assert_eq!(r.items.len(), 1);
                assert_eq!(r.items[0].question.common.id, "ee-mod-05-t39-p079");
                assert_eq!(correct(&r.items[0]), ["Nunca."]);
                assert_eq!(
                    r.items[0].question.common.references,
                    ["http://www.formacioncnp.es/base_datos/Penal/lecr.html"]
                );
            }
            "multiLineFeedback1.gift" => {
                assert_eq!(t, counts(&[("single", 2)]));
                assert_eq!(correct(&r.items[0]), ["right answer"]);
                // Moodle auto-format: each line break of the feedback is kept as a `<br>`.
                let e = &r.items[0].question.common.explanation;
                assert!(
                    e.starts_with(
                        "Global feedback split<br>\non multiple lines\n\n- Incorrect: wrong answer"
                    ),
                    "{e}"
                );
                assert!(
                    e.contains("comment on this wrong answer<br>\n  on multiple lines"),
                    "{e}"
                );
                assert!(correct(&r.items[1])[0].contains("ContrôleurAbonnement"));
            }
            "multichoice.gift" => {
                assert_eq!(t, counts(&[("multiple", 2), ("single", 2)]));
                assert!(r.problems.is_empty());
                assert_eq!(correct(&r.items[1]), ["Teaching with Moodle"]);
                assert_eq!(
                    r.items[1].question.common.references,
                    ["http://learn.moodle.net/"]
                );
                let Body::Multiple { choose, answer, .. } = &r.items[3].question.body else {
                    panic!()
                };
                assert_eq!(
                    (*choose, answer.as_slice()),
                    (3, &["a".to_owned(), "c".to_owned(), "f".to_owned()][..])
                );
            }
            "multipleAnswersFloat.gift" => {
                assert_eq!(t, counts(&[("multiple", 1)]));
                assert_eq!(correct(&r.items[0]), ["Africa", "Asia", "Antarctica"]);
            }
            "numerical1.gift" => {
                assert!(r.items.is_empty());
                assert_eq!(refusals(&r, "GIFT numerical question"), 10);
                assert_eq!(r.problems.len(), 10);
                assert!(r.problems[9]
                    .message
                    .contains("\"Combien de principes GRASP y a-t-il?\""));
            }
            "questions.gift.txt" => {
                // Moodle reads 9 questions: we take 6 and refuse 3, each by name.
                assert_eq!(t, counts(&[("match", 1), ("multiple", 1), ("single", 4)]));
                let messages: Vec<&str> = r.problems.iter().map(|p| p.message.as_str()).collect();
                assert_eq!(messages.len(), 3);
                assert!(messages[0].starts_with("GIFT essay question \"Q8\""));
                assert!(messages[1].starts_with("GIFT numerical question \"Q5\""));
                assert!(messages[2].starts_with("GIFT short-answer question \"Shortanswer\""));
                let Body::Match { choices, slots, .. } = &r.items[0].question.body else {
                    panic!()
                };
                assert_eq!((choices.len(), slots.len()), (5, 4));
                let q1 = r
                    .items
                    .iter()
                    .find(|i| i.question.common.id == "q1")
                    .unwrap();
                assert_eq!(correct(q1), ["False"]);
                // The text after the answer block (`";`) is kept, not dropped.
                assert_eq!(
                    shown(&q1.question.common.stem),
                    "42 is the Absolute Answer to everything.\";"
                );
            }
            "questions_encoding_windows-1252.gift.txt" => {
                assert!(note.is_some(), "read as Windows-1252");
                assert_eq!(t, counts(&[("match", 1)]));
                assert_eq!(refusals(&r, "GIFT essay question"), 2);
                let Body::Match {
                    slots,
                    reuse,
                    choices,
                    ..
                } = &r.items[0].question.body
                else {
                    panic!()
                };
                assert_eq!(slots[0].text, "<p>aödf<br></p>");
                assert_eq!(choices.len(), 1);
                assert!(*reuse);
                assert_eq!(
                    r.items[0].category.as_deref(),
                    Some("$course$/top/Default for LTTEST")
                );
            }
            "questions_in_category.gift.txt" => {
                assert_eq!(t, counts(&[("match", 1), ("single", 2)]));
                assert_eq!(
                    refusals(&r, "GIFT short-answer question \"Moodle user\""),
                    1
                );
                assert!(r
                    .items
                    .iter()
                    .all(|i| i.category.as_deref() == Some("$course$/Default for New Features")));
                assert_eq!(correct(&r.items[1]), ["French"]);
            }
            "symbolsAll.gift" => {
                assert_eq!(correct(&r.items[0]), ["True"]);
                assert!(shown(&r.items[0].question.common.stem)
                    .ends_with("`-=[];',./~!@#$%^&*()_+{}|:\"<>?"));
            }
            "test10.txt" => {
                assert_eq!(t, counts(&[("multiple", 1), ("single", 3)]));
                assert_eq!(r.problems.len(), 5);
                assert_eq!(refusals(&r, "second answer block"), 1);
                assert_eq!(refusals(&r, "GIFT short-answer question"), 3);
                assert_eq!(refusals(&r, "GIFT numerical question"), 1);
                // The description is skipped with a note, not refused.
                assert_eq!(r.notes.len(), 1);
                assert!(r.notes[0].message.starts_with("GIFT description"));
                assert_eq!(r.items[1].question.common.stem, "de escape { TRUE }");
                assert_eq!(correct(&r.items[3]), ["===#\\"]);
            }
            "test5.txt" => {
                assert_eq!(t, counts(&[("single", 23)]));
                assert_eq!(refusals(&r, "GIFT short-answer question"), 17);
                let categories: std::collections::BTreeSet<_> = r
                    .items
                    .iter()
                    .filter_map(|i| i.category.as_deref())
                    .collect();
                assert_eq!(categories.len(), 4);
            }
            "testimport.gift.txt" => {
                assert_eq!(t, counts(&[("order", 1)]));
                assert_eq!(
                    correct(&r.items[0]),
                    [
                        "Modular",
                        "Object",
                        "Oriented",
                        "Dynamic",
                        "Learning",
                        "Environment"
                    ]
                );
            }
            "true_false.gift" => {
                let answers: Vec<Vec<String>> = r.items.iter().map(correct).collect();
                assert_eq!(answers, [["True"], ["False"], ["True"], ["False"]]);
                assert!(r.problems.is_empty());
            }
            other => panic!("no expectations for gift/{other}"),
        }
    }
}

#[test]
fn every_shared_aiken_fixture_imports_as_expected() {
    let Some(files) = shared("aiken") else { return };
    assert_eq!(files.len(), 6);
    for path in files {
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let (r, _) = import(&path, aiken::parse);
        check_clean_items(&r);
        match name.as_str() {
            "aiken.txt" => {
                assert_eq!(types(&r), counts(&[("multiple", 1), ("single", 3)]));
                // The extended dialect's description is skipped with a note, not refused.
                assert_eq!(r.problems.len(), 15);
                assert_eq!(r.notes.len(), 1);
                assert!(r.notes[0].message.starts_with("Aiken description"));
                assert_eq!(r.items[1].question.common.explanation, "Obviously");
                assert_eq!(
                    correct(&r.items[2]),
                    ["Incident Management", "Problem Management"]
                );
                for kind in [
                    "essay",
                    "numerical",
                    "shortanswer",
                    "truefalse",
                    "cloze",
                    "matching",
                ] {
                    assert!(
                        refusals(&r, &format!("Aiken `{kind}` question")) >= 1,
                        "{kind}"
                    );
                }
            }
            "aiken_1.txt" => {
                let answers: Vec<String> = r.items.iter().map(|i| correct(i).remove(0)).collect();
                assert_eq!(
                    answers,
                    [
                        "2.5",
                        "Teaching with Moodle",
                        "The workshop module",
                        "November 2015",
                        "."
                    ]
                );
                assert!(r.problems.is_empty());
            }
            "aiken_errors.txt" => {
                // Moodle: 3 good questions, errors at lines 3, 5, 7 and 18.
                assert_eq!(r.items.len(), 3);
                assert_eq!(lines(&r), [3, 5, 7, 18]);
                assert!(r.problems[0]
                    .message
                    .contains("needs at least 2 options; it has 1"));
                assert!(r.problems[1].message.contains("comes before any question"));
                assert!(r.problems[2]
                    .message
                    .contains("`ANSWER:` line comes before any question"));
                assert!(r.problems[3]
                    .message
                    .contains("is not completed before the next question starts"));
                assert_eq!(correct(&r.items[1]), ["Correct (No space)"]);
                assert_eq!(correct(&r.items[2]), ["Correct (< > &)"]);
            }
            "aiken_hebrew_english_sample.txt" => {
                assert_eq!(r.items.len(), 2);
                assert_eq!(correct(&r.items[0]), ["Must be this one!"]);
                assert_eq!(lines(&r), [19]);
                assert!(r.problems[0]
                    .message
                    .contains("האם ניתן להציג שאלה בעברית?"));
            }
            "hrsq1_questions.aiken.txt" | "questions.aiken.txt" => {
                assert_eq!(r.items.len(), 2);
                assert!(r.problems.is_empty());
                assert_eq!(correct(&r.items[0]), ["Martin Dougiamas"]);
                assert_eq!(
                    shown(&r.items[1].question.common.stem),
                    "Moodle's abilities include handling user input that includes <html class=\"cool\"> & images:"
                );
            }
            other => panic!("no expectations for aiken/{other}"),
        }
    }
}

#[test]
fn every_shared_csv_fixture_imports_as_expected() {
    let Some(files) = shared("csv") else { return };
    assert_eq!(files.len(), 4);
    for path in files {
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let (r, _) = import(&path, csv::parse);
        check_clean_items(&r);
        assert!(r.problems.is_empty(), "{name}: {:?}", r.problems);
        match name.as_str() {
            "sample.csv" | "extended_sample.csv" => {
                assert_eq!(types(&r), counts(&[("multiple", 1), ("single", 9)]));
                assert_eq!(r.items[0].question.common.id, "question1");
                assert_eq!(correct(&r.items[0]), ["kernel log messages"]);
                assert_eq!(
                    correct(&r.items[1]),
                    [
                        "Will create a block device if user is root",
                        "Will create a block device for all users"
                    ]
                );
                assert_eq!(r.items[1].question.body.type_name(), "multiple");
            }
            "kahoot.csv" => {
                assert_eq!(types(&r), counts(&[("single", 5)]));
                assert_eq!(correct(&r.items[0]), ["2.5"]);
                let Body::Single { options, .. } = &r.items[1].question.body else {
                    panic!()
                };
                assert_eq!(options.len(), 3);
                assert!(r.items[2].question.common.stem.contains("\"add-on\""));
            }
            "template.csv" => {
                assert_eq!(types(&r), counts(&[("multiple", 5), ("single", 17)]));
                assert_eq!(r.items[0].category.as_deref(), Some("Math Quiz"));
                assert_eq!(correct(&r.items[0]), ["56"]);
                assert_eq!(correct(&r.items[6]), ["Violin", "Guitar", "Piano"]);
                assert_eq!(
                    r.items[12].question.common.references,
                    ["https://en.wikipedia.org/wiki/RMS_Titanic"]
                );
            }
            other => panic!("no expectations for csv/{other}"),
        }
    }
}

#[test]
fn our_gift_fixtures_cover_every_mapping_and_refusal() {
    let (r, _) = import(&ours("gift/azure_ai.gift"), gift::parse);
    check_clean_items(&r);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(
        types(&r),
        counts(&[("match", 1), ("multiple", 1), ("single", 4)])
    );
    let ocr = &r.items[0];
    assert_eq!(ocr.question.common.id, "ocr-service");
    assert_eq!(ocr.category.as_deref(), Some("$course$/AI-102/Vision"));
    assert_eq!(correct(ocr), ["Azure AI Document Intelligence"]);
    assert_eq!(
        ocr.question.common.references,
        ["https://learn.microsoft.com/azure/ai-services/document-intelligence/overview"]
    );
    assert!(ocr
        .question
        .common
        .explanation
        .contains("- Correct: Azure AI Document Intelligence — Right: it reads text"));
    assert_eq!(correct(&r.items[1]), ["Hate", "Violence", "Self-harm"]);
    assert_eq!(
        r.items[2].category.as_deref(),
        Some("$course$/AI-102/Language")
    );
    assert_eq!(correct(&r.items[2]), ["True"]);
    let Body::Match { answer, reuse, .. } = &r.items[3].question.body else {
        panic!()
    };
    assert_eq!(
        answer.values().map(String::as_str).collect::<Vec<_>>(),
        ["a", "a", "b"]
    );
    assert!(*reuse);
    assert_eq!(
        r.items[4].question.common.stem,
        "A custom question answering project is deployed to _____ for its knowledge base."
    );
    assert_eq!(r.items[4].question.common.id, "azure-ai-5");
    assert_eq!(correct(&r.items[5]), ["{\"temperature\": 0}"]);

    let (r, _) = import(&ours("gift/malformed.gift"), gift::parse);
    check_clean_items(&r);
    assert_eq!(r.items.len(), 1);
    assert_eq!(r.items[0].question.common.id, "still-read");
    let found: Vec<(usize, usize, &str)> = r
        .problems
        .iter()
        .map(|p| (p.line, p.column, p.message.as_str()))
        .collect();
    // The description is skipped with a note, not refused.
    assert_eq!(found.len(), 4);
    assert_eq!(r.notes.len(), 1);
    assert!(r.notes[0]
        .message
        .starts_with("GIFT description \"Azure AI Search is a vector store.\" skipped"));
    assert_eq!(
        found[0],
        (1, 1, "GIFT numerical question \"Pi to 2 places\" is not supported: the exam has no numeric-entry items")
    );
    assert!(found[1]
        .2
        .starts_with("GIFT essay question \"Essay\" is not supported"));
    assert!(found[2]
        .2
        .starts_with("GIFT short-answer question \"Endpoint name\" is not supported"));
    assert_eq!((found[3].0, found[3].1), (9, 55));
    assert!(found[3].2.contains(
        "\"Unclosed\": the answer block opened with `{` at line 9 column 55 is not closed"
    ));
}

#[test]
fn our_aiken_fixtures_cover_every_mapping_and_refusal() {
    let (r, _) = import(&ours("aiken/azure_ai.txt"), aiken::parse);
    check_clean_items(&r);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(types(&r), counts(&[("multiple", 1), ("single", 2)]));
    assert_eq!(correct(&r.items[0]), ["Speech to text"]);
    assert_eq!(
        correct(&r.items[1]),
        ["Azure AI Search", "Azure Blob Storage"]
    );
    assert!(r.items[1]
        .question
        .common
        .explanation
        .starts_with("On your data indexes"));
    // Plain text: `<` and `&` are kept literal by Markdown escapes.
    assert_eq!(
        r.items[2].question.common.stem,
        "Which service returns \\<bounding boxes> & tags for objects in images?"
    );
    assert_eq!(
        shown(&r.items[2].question.common.stem),
        "Which service returns <bounding boxes> & tags for objects in images?"
    );

    // CRLF, no final newline.
    let (r, _) = import(&ours("aiken/malformed.txt"), aiken::parse);
    check_clean_items(&r);
    assert_eq!(r.items.len(), 1);
    assert_eq!(r.items[0].line, 16);
    assert_eq!(lines(&r), [1, 5, 11, 14]);
    assert!(r.problems[1]
        .message
        .contains("\"Which key rotates without downtime?\" needs at least 2 options"));
    assert!(r.problems[2]
        .message
        .contains("\"Unfinished question about quotas\" (line 7) is not completed"));
    assert!(r.problems[3]
        .message
        .contains("the answer `C` names no option (its options are A, B)"));
}

#[test]
fn our_csv_fixtures_cover_every_mapping_and_refusal() {
    let (r, _) = import(&ours("csv/azure_ai.csv"), csv::parse);
    check_clean_items(&r);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(
        types(&r),
        counts(&[("multiple", 1), ("order", 1), ("single", 1)])
    );
    assert_eq!(r.items[0].question.common.id, "ocr-forms");
    assert_eq!(correct(&r.items[0]), ["Azure AI Document Intelligence"]);
    assert_eq!(r.items[1].question.common.id, "azure-ai-2");
    assert_eq!(correct(&r.items[1]), ["Lower temperature", "Set a seed"]);
    assert!(r.items[1].question.common.explanation.contains("\"top_p\""));
    assert_eq!(
        correct(&r.items[2]),
        [
            "Embed the question",
            "Search the vector index",
            "Send the passages and question to the model"
        ]
    );

    let (r, _) = import(&ours("csv/malformed_rows.csv"), csv::parse);
    check_clean_items(&r);
    assert_eq!(r.items.len(), 1);
    assert_eq!(r.items[0].category.as_deref(), Some("Speech"));
    assert_eq!(lines(&r), [2, 3, 4]);
    assert!(r.problems[0]
        .message
        .contains("has type `essay`, which is not supported"));
    assert!(r.problems[1]
        .message
        .contains("answer `E`, which names no option"));
    assert!(r.problems[2]
        .message
        .contains("is a `single` item but its answer lists 2 options"));

    let (r, _) = import(&ours("csv/wrong_header.csv"), csv::parse);
    assert!(r.items.is_empty());
    assert_eq!(r.problems.len(), 1);
    assert_eq!((r.problems[0].line, r.problems[0].column), (1, 1));
    assert!(r.problems[0]
        .message
        .ends_with("; unknown: `choice_a`, `choice_b`, `notes`; missing: `option_a`, `option_b`"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn gift_and_aiken_never_panic_and_locate_every_problem(
        text in prop_oneof![
            "[{}~=#:%>\\-\\\\ \\n\\r\\tA-Da-z0-9.)TF\\[\\]]{0,300}",
            "((::[a-z ]{0,8}::)?[a-z ?]{0,20}(\\{[~=#%0-9a-z >\\-]{0,30}\\}?)?\\n{1,2}){0,8}",
            "(([A-F][.)] ?[a-z ]{0,10}|ANSWER: ?[A-G, ]{0,4}|[a-z ?]{0,15}|Feedback: x|essay)\\r?\\n){0,12}",
            any::<String>(),
        ]
    ) {
        let max_line = text.lines().count().max(1);
        for report in [gift::parse("p.gift", &text), aiken::parse("p.txt", &text)] {
            for p in &report.problems {
                prop_assert!(p.line >= 1 && p.line <= max_line, "{p} (lines: {max_line})");
                prop_assert!(p.column >= 1, "{p}");
            }
            for item in &report.items {
                prop_assert!(item.line >= 1 && item.line <= max_line);
            }
        }
    }
}

#[test]
fn each_text_importer_stops_at_the_question_past_its_limit() {
    let gift = "::a:: A? {=x ~y}\n\n::b:: B? {=x ~y}\n\n::c:: C? {=x ~y}\n\n::d:: D? {=x ~y}\n";
    let r = gift::parse_at_most("t.gift", gift, 2);
    assert_eq!((r.items.len(), r.stopped_at), (2, Some(5)));
    assert_eq!(gift::parse("t.gift", gift).stopped_at, None);

    let aiken =
        "A?\nA) x\nB) y\nANSWER: A\n\nB?\nA) x\nB) y\nANSWER: A\n\nC?\nA) x\nB) y\nANSWER: A\n";
    let r = aiken::parse_at_most("t.txt", aiken, 2);
    assert_eq!((r.items.len(), r.stopped_at), (2, Some(11)));

    // Rows count whether they are taken or refused: a file of broken rows stops too.
    let csv = "id,type,question,option_a,option_b,answer\n\
               a,single,A?,x,y,A\nb,single,B?,x,y,Z\nc,single,C?,x,y,A\nd,single,D?,x,y,A\n";
    let r = csv::parse_at_most("t.csv", csv, 2);
    assert_eq!(
        (r.items.len(), r.problems.len(), r.stopped_at),
        (1, 1, Some(4))
    );
}
