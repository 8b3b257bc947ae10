//! `bank check` on real files: one malformed pack file per kind of problem (tests/bank/malformed/), each
//! reported once with its file, line, item and message; a clean pack of every type (tests/bank/valid/); and a
//! folder with its own blueprint (tests/bank/custom-blueprint/).

use crate::common::ITEM_TYPES;
use ai102::bank::check::{check_path, Problem};
use ai102::bank::model::{Body, Item};
use ai102::bank::stats::stats;
use std::path::Path;

/// Checks a fixture of tests/bank/malformed/ and returns its only problem, after checking the file name.
fn only_problem(fixture: &str) -> Problem {
    let path = format!("tests/bank/malformed/{fixture}");
    let report = check_path(Path::new(&path)).expect("the fixture is readable");
    assert_eq!(
        report.problems.len(),
        1,
        "{fixture}: {:#?}",
        report.problems
    );
    let problem = report.problems[0].clone();
    if !fixture.ends_with(".yaml") {
        assert!(
            problem.file.starts_with(&format!("{path}/")),
            "{}",
            problem.file
        );
    } else {
        assert_eq!(problem.file, path);
    }
    problem
}

/// Asserts the fixture's only problem is at `line` of the fixture, in `item`, with `message`.
fn expect(fixture: &str, line: usize, item: Option<&str>, message: &str) {
    let problem = only_problem(fixture);
    assert_eq!(problem.message, message, "{fixture}");
    assert_eq!(problem.line, line, "{fixture}: {problem}");
    assert_eq!(problem.item.as_deref(), item, "{fixture}: {problem}");
}

#[test]
fn a_yaml_syntax_error_is_one_problem_at_its_position() {
    let p = only_problem("syntax.yaml");
    assert_eq!((p.line, p.column), (11, 14));
    assert_eq!(p.item, None);
    assert_eq!(
        p.message,
        "syntax error: mapping values are not allowed in this context"
    );
}

#[test]
fn a_duplicate_yaml_key_is_reported_at_the_second_key_in_its_item() {
    expect(
        "duplicate-yaml-key.yaml",
        14,
        Some("plan-001"),
        "duplicate key `stem` (first at line 7)",
    );
}

#[test]
fn an_unknown_field_is_reported_at_its_line() {
    expect(
        "unknown-field.yaml",
        14,
        Some("plan-001"),
        "unknown field `hint`",
    );
}

#[test]
fn a_field_of_another_type_is_reported_as_not_belonging() {
    expect(
        "foreign-field.yaml",
        14,
        Some("plan-001"),
        "field `choose` does not belong to a `single` item",
    );
}

#[test]
fn a_missing_field_is_reported_at_the_item_id_line() {
    expect(
        "missing-field.yaml",
        3,
        Some("plan-001"),
        "missing field `answer` (required for a `single` item)",
    );
}

#[test]
fn a_wrong_value_type_is_reported_at_the_nested_field() {
    let p = only_problem("wrong-type.yaml");
    assert_eq!((p.line, p.column), (10, 18));
    assert_eq!(p.item.as_deref(), Some("plan-001"));
    assert_eq!(
        p.message,
        "`options[1].text`: invalid type: integer `42`, expected a string"
    );
}

#[test]
fn a_statement_answer_other_than_yes_or_no_is_a_wrong_value() {
    expect(
        "yes-no-answer-not-yes-or-no.yaml",
        10,
        Some("nlp-020"),
        "`statements[1].answer`: unknown variant `maybe`, expected `yes` or `no`",
    );
}

#[test]
fn an_unknown_type_is_reported_at_the_type_line() {
    expect(
        "unknown-type.yaml",
        4,
        Some("plan-001"),
        "unknown type `essay` (expected one of `single`, `multiple`, `yes_no_series`, `order`, `match`, `hot_area`, \
         `case_study`)",
    );
}

#[test]
fn an_answer_naming_no_option_is_reported_at_the_answer() {
    expect(
        "answer-names-no-option.yaml",
        11,
        Some("plan-001"),
        "answer `e` names no option (options: `a`, `b`)",
    );
}

#[test]
fn a_multiple_answer_naming_no_option_is_reported_at_that_answer() {
    let p = only_problem("multiple-answer-names-no-option.yaml");
    assert_eq!((p.line, p.column), (13, 17));
    assert_eq!(p.item.as_deref(), Some("genai-010"));
    assert_eq!(
        p.message,
        "answer `z` names no option (options: `a`, `b`, `c`)"
    );
}

#[test]
fn choose_that_differs_from_the_number_of_answers_is_reported() {
    expect(
        "choose-differs-from-answers.yaml",
        8,
        Some("genai-010"),
        "`choose` is 3 but `answer` lists 2 option(s)",
    );
}

#[test]
fn a_single_with_one_option_is_reported() {
    expect(
        "single-with-one-option.yaml",
        8,
        Some("plan-001"),
        "a `single` item needs at least 2 options; it has 1",
    );
}

#[test]
fn a_duplicate_option_id_is_reported_at_the_second_option() {
    expect(
        "duplicate-option-id.yaml",
        10,
        Some("plan-001"),
        "duplicate option id `a` (also at `options[0]`)",
    );
}

#[test]
fn a_duplicate_item_id_is_reported_at_the_second_item() {
    expect(
        "duplicate-item-id.yaml",
        15,
        Some("plan-001"),
        "duplicate item id `plan-001` (first used at tests/bank/malformed/duplicate-item-id.yaml:3)",
    );
}

#[test]
fn an_item_id_with_capitals_is_reported() {
    expect(
        "invalid-item-id.yaml",
        3,
        Some("Plan-001"),
        "item id `Plan-001` may hold only lowercase letters, digits, `-`, `_` and `.`",
    );
}

#[test]
fn a_domain_not_in_the_blueprint_is_reported() {
    expect(
        "unknown-domain.yaml",
        5,
        Some("plan-001"),
        "unknown domain `planning`: blueprint `ai102` has `plan`, `genai`, `vision`, `nlp`, `knowledge`",
    );
}

#[test]
fn an_objective_not_in_the_blueprint_is_reported() {
    expect(
        "unknown-objective.yaml",
        6,
        Some("plan-001"),
        "unknown objective `plan.keys`: domain `plan` has `plan.select`, `plan.deploy`, `plan.secure`, \
         `plan.monitor`, `plan.responsible`",
    );
}

#[test]
fn an_objective_of_another_domain_is_reported() {
    expect(
        "objective-of-another-domain.yaml",
        6,
        Some("plan-001"),
        "objective `genai.rag` belongs to domain `genai`, not to `plan`",
    );
}

#[test]
fn an_empty_stem_is_reported() {
    expect("empty-stem.yaml", 7, Some("plan-001"), "empty `stem`");
}

#[test]
fn a_blank_explanation_is_reported() {
    expect(
        "empty-explanation.yaml",
        12,
        Some("plan-001"),
        "empty `explanation`",
    );
}

#[test]
fn an_item_without_references_is_reported() {
    expect(
        "no-references.yaml",
        13,
        Some("plan-001"),
        "no references: give at least one http(s) URL",
    );
}

#[test]
fn a_reference_that_is_not_an_http_url_is_reported_at_its_line() {
    expect(
        "reference-not-a-url.yaml",
        15,
        Some("plan-001"),
        "reference `learn.microsoft.com/azure/key-vault` is not an http(s) URL",
    );
}

#[test]
fn an_order_answer_with_a_repeated_step_is_reported() {
    expect(
        "order-answer-with-duplicates.yaml",
        12,
        Some("vision-030"),
        "step `a` appears twice in the answer",
    );
}

#[test]
fn an_order_answer_of_one_step_is_reported() {
    expect(
        "order-answer-too-short.yaml",
        12,
        Some("vision-030"),
        "an `order` answer needs at least 2 steps; it has 1",
    );
}

#[test]
fn an_order_answer_naming_no_step_is_reported() {
    expect(
        "order-answer-names-no-step.yaml",
        12,
        Some("vision-030"),
        "answer `x` names no step (steps: `a`, `b`, `c`)",
    );
}

#[test]
fn a_match_choice_used_twice_without_reuse_is_reported() {
    expect(
        "match-choice-reused.yaml",
        17,
        Some("nlp-040"),
        "choice `y` is used for slots `s1` and `s2`, but `reuse` is not true",
    );
}

#[test]
fn a_match_slot_without_an_answer_is_reported() {
    expect(
        "match-slot-without-answer.yaml",
        15,
        Some("nlp-040"),
        "answer gives no choice for slot `s2`",
    );
}

#[test]
fn a_match_answer_naming_no_choice_is_reported() {
    expect(
        "match-answer-names-no-choice.yaml",
        17,
        Some("nlp-040"),
        "answer for slot `s2` names choice `q`, which does not exist (choices: `x`, `y`, `z`)",
    );
}

#[test]
fn a_duplicate_match_slot_id_is_reported() {
    expect(
        "match-duplicate-slot-id.yaml",
        14,
        Some("nlp-040"),
        "duplicate slot id `s1` (also at `slots[0]`)",
    );
}

#[test]
fn a_hot_area_placeholder_naming_no_slot_is_reported_in_the_template() {
    let p = only_problem("hot-area-placeholder-names-no-slot.yaml");
    assert_eq!((p.line, p.column), (13, 30));
    assert_eq!(p.item.as_deref(), Some("knowledge-050"));
    assert_eq!(
        p.message,
        "placeholder `[[mode]]` names no slot (slots: `vq`, `qt`)"
    );
}

#[test]
fn a_hot_area_slot_missing_from_the_template_is_reported_at_the_slot() {
    expect(
        "hot-area-slot-missing-from-template.yaml",
        19,
        Some("knowledge-050"),
        "slot `qt` does not appear in the template (write `[[qt]]` where it goes)",
    );
}

#[test]
fn a_hot_area_slot_placed_twice_is_reported_at_the_second_placeholder() {
    let p = only_problem("hot-area-slot-twice-in-template.yaml");
    assert_eq!((p.line, p.column), (13, 30));
    assert_eq!(
        p.message,
        "slot `vq` appears more than once in the template"
    );
}

#[test]
fn a_hot_area_slot_answer_naming_no_option_is_reported() {
    expect(
        "hot-area-answer-names-no-option.yaml",
        18,
        Some("knowledge-050"),
        "answer `d` of slot `vq` names no option (options: `a`, `b`)",
    );
}

#[test]
fn a_link_to_a_missing_case_study_document_is_reported_in_the_question() {
    expect(
        "case-study-link-to-missing-document.yaml",
        24,
        Some("cs-fabrikam-q2"),
        "link to document `#pricing`, which this case study does not have",
    );
}

#[test]
fn a_case_study_with_one_question_is_reported() {
    expect(
        "case-study-with-one-question.yaml",
        10,
        Some("cs-fabrikam"),
        "a case study needs 2 to 6 questions; it has 1",
    );
}

#[test]
fn a_case_study_with_seven_questions_is_reported() {
    expect(
        "case-study-with-seven-questions.yaml",
        10,
        Some("cs-fabrikam"),
        "a case study needs 2 to 6 questions; it has 7",
    );
}

#[test]
fn a_case_study_inside_a_case_study_is_reported() {
    expect(
        "case-study-inside-a-case-study.yaml",
        32,
        Some("cs-inner"),
        "a case study cannot contain another case study",
    );
}

#[test]
fn a_pack_without_metadata_is_reported_at_the_top_of_its_file() {
    expect(
        "missing-pack.yaml",
        1,
        None,
        "missing pack metadata: exactly one file of the pack needs a `pack:` section",
    );
}

#[test]
fn a_second_pack_metadata_is_reported_in_its_file() {
    let p = only_problem("duplicate-pack");
    assert_eq!(p.file, "tests/bank/malformed/duplicate-pack/b.yaml");
    assert_eq!(p.line, 1);
    assert_eq!(p.item, None);
    assert_eq!(
        p.message,
        "duplicate `pack:` metadata (the pack's is at tests/bank/malformed/duplicate-pack/a.yaml:1); a pack has \
         exactly one"
    );
}

#[test]
fn a_pack_targeting_another_blueprint_is_reported_at_its_blueprint_field() {
    let p = only_problem("wrong-blueprint.yaml");
    assert_eq!((p.line, p.column), (1, 50));
    assert_eq!(p.item, None);
    assert_eq!(
        p.message,
        "the pack targets blueprint `ai900`, but it is checked against blueprint `ai102`"
    );
}

#[test]
fn an_unknown_top_level_field_is_reported() {
    expect(
        "unknown-top-level-field.yaml",
        14,
        None,
        "unknown top-level field `notes` (a pack file has `pack:` and `items:`)",
    );
}

#[test]
fn every_malformed_fixture_is_covered_by_a_test() {
    let source = include_str!("bank_check.rs");
    for entry in std::fs::read_dir("tests/bank/malformed").expect("the fixtures folder exists") {
        let name = entry
            .expect("a readable entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        assert!(
            source.contains(&format!("\"{name}\"")),
            "no test uses the fixture {name}"
        );
    }
}

#[test]
fn the_valid_pack_of_every_type_has_no_problem() {
    let report = check_path(Path::new("tests/bank/valid")).expect("the fixture is readable");
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
    let pack = report.pack.expect("the pack has metadata");
    assert_eq!(pack.meta.id, "fixture-valid");
    assert_eq!(pack.meta.version, 3);
    let types: Vec<&str> = pack
        .items
        .iter()
        .flat_map(|item| item.questions())
        .map(|(q, _)| q.body.type_name())
        .collect();
    for t in ITEM_TYPES {
        assert!(types.contains(&t), "the valid pack lacks a {t} question");
    }
    assert!(pack.items.iter().any(|i| matches!(i, Item::CaseStudy(_))));
}

#[test]
fn a_folder_is_read_in_name_order_with_names_as_typed_and_only_pack_files() {
    let report = check_path(Path::new("tests/bank/valid")).expect("the fixture is readable");
    let files: Vec<String> = report.files.iter().map(|f| f.replace('\\', "/")).collect();
    assert_eq!(
        files,
        vec![
            "tests/bank/valid/items/a-choice.yaml",
            "tests/bank/valid/items/b-match.json",
            "tests/bank/valid/items/c-hot-area-and-case.yml",
            "tests/bank/valid/pack.yaml",
        ]
    );
    let ids: Vec<&str> = report.items.iter().map(Item::id).collect();
    assert_eq!(
        ids,
        vec![
            "plan-001",
            "genai-010",
            "nlp-020",
            "vision-030",
            "nlp-040",
            "nlp-041",
            "knowledge-050",
            "cs-fabrikam"
        ]
    );
}

#[test]
fn the_valid_pack_is_typed_faithfully() {
    let report = check_path(Path::new("tests/bank/valid")).expect("the fixture is readable");
    let item = report
        .items
        .iter()
        .find(|i| i.id() == "nlp-041")
        .expect("nlp-041");
    let Item::Question(q) = item else {
        panic!("nlp-041 is a question")
    };
    match &q.body {
        Body::Match { answer, reuse, .. } => {
            assert!(*reuse);
            assert_eq!(answer.get("s3").map(String::as_str), Some("t"));
        }
        other => panic!("nlp-041 is a match, not {}", other.type_name()),
    }
    let case = report
        .items
        .iter()
        .find_map(Item::case_study)
        .expect("a case study");
    let domains: Vec<&str> = report
        .items
        .iter()
        .filter(|i| i.case_study().is_some())
        .flat_map(|i| i.questions())
        .map(|(_, d)| d)
        .collect();
    assert_eq!(case.questions.len(), 2);
    assert_eq!(
        domains,
        vec!["genai", "plan"],
        "a question's domain defaults to the case study's"
    );
}

#[test]
fn stats_of_the_valid_pack_count_case_study_questions_by_their_type() {
    let report = check_path(Path::new("tests/bank/valid")).expect("the fixture is readable");
    let blueprint = ai102::bank::check::shipped_blueprint().expect("the shipped blueprint loads");
    let s = stats(&report, &blueprint);
    assert_eq!(s.items, 9);
    assert_eq!(s.case_studies, 1);
    assert_eq!(s.by_type["single"], 2);
    assert_eq!(s.by_type["yes_no_series"], 2);
    assert_eq!(s.by_domain["plan"], 2);
    assert_eq!(s.problems, 0);
}

#[test]
fn a_folder_with_its_own_blueprint_is_checked_against_it() {
    let report =
        check_path(Path::new("tests/bank/custom-blueprint")).expect("the fixture is readable");
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
    assert_eq!(report.files.len(), 1, "blueprint.yaml is not a pack file");
    assert_eq!(report.pack.expect("pack").meta.blueprint, "tiny");
}

#[test]
fn a_missing_path_is_an_io_error() {
    assert!(check_path(Path::new("tests/bank/no-such-pack")).is_err());
}

/// A bank root in a fresh temporary folder: a lexicon and two exams, `aa-100` (a retired term in a distractor and
/// in its review log a reader who is the author) and `bb-200` (clean).
struct TempBank {
    root: std::path::PathBuf,
}

impl Drop for TempBank {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn write(path: &std::path::Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn exam_files(root: &std::path::Path, code: &str, items: &str) {
    let slug = code.to_ascii_lowercase();
    let bp = slug.replace('-', "");
    let dir = root.join("exams").join(&slug);
    write(
        &dir.join("exam.yaml"),
        &format!(
            "code: {code}\ntitle: T\ncredential: C\nstatus: live\nblueprint: {bp}\noutline: {{ version: v1, source: https://learn.microsoft.com/x }}\nduration_minutes: 100\nquestions: {{ min: 40, max: 60 }}\npassing_score: 700\nsource: test\n"
        ),
    );
    write(
        &dir.join("blueprint.yaml"),
        &format!(
            "id: {bp}\nexam: {code}\ntitle: T\nversion: \"1\"\ndomains:\n  - id: alpha\n    title: Alpha\n    weight: {{ min: 0, max: 100 }}\n    objectives: [{{ id: alpha.one, title: First }}]\n"
        ),
    );
    write(
        &dir.join("pack.yaml"),
        &format!("pack: {{ id: {slug}-core, title: T, version: 1, blueprint: {bp} }}\n"),
    );
    write(&dir.join("items/alpha.yaml"), items);
}

fn temp_bank() -> TempBank {
    let root = std::env::temp_dir().join(format!(
        "ai102-bank-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    write(
        &root.join("lexicon.yaml"),
        "terms:\n  - id: luis\n    kind: retired\n    words: [LUIS]\n    date: 2026-03-31\n    replacement: CLU\n    source: https://learn.microsoft.com/luis\n",
    );
    exam_files(
        &root,
        "AA-100",
        "items:\n  - id: aa-1\n    type: single\n    domain: alpha\n    objective: alpha.one\n    reviewed: 2026-01-01\n    stem: Which service?\n    options:\n      - { id: a, text: CLU }\n      - { id: b, text: LUIS }\n    answer: a\n    explanation: CLU is current.\n    references: [https://learn.microsoft.com/clu]\n",
    );
    write(
        &root.join("exams/aa-100/review-log.yaml"),
        "entries:\n  - item: aa-1\n    hash: \"\"\n    author: w\n    reader: w\n    verdict: ok\n    url: https://learn.microsoft.com/clu\n    date: 2026-12-01\n",
    );
    exam_files(
        &root,
        "BB-200",
        "items:\n  - id: bb-1\n    type: single\n    domain: alpha\n    objective: alpha.one\n    reviewed: 2026-11-30\n    stem: Pick A.\n    options: [{ id: a, text: A }, { id: b, text: B }]\n    answer: a\n    explanation: A is A.\n    references: [https://learn.microsoft.com/a]\n",
    );
    TempBank { root }
}

fn ai102(args: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ai102"))
        .args(args)
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), format!("{stdout}{stderr}"))
}

#[test]
fn bank_check_of_a_root_reports_each_exam_and_strict_turns_warnings_into_errors() {
    let bank = temp_bank();
    let root = bank.root.to_str().expect("utf-8 path");
    let (code, out) = ai102(&["bank", "check", root, "--today", "2026-12-03"]);
    assert_eq!(code, 1, "the review log's reader is the author: {out}");
    assert!(out.contains("== AA-100 ("), "{out}");
    assert!(out.contains("== BB-200 ("), "{out}");
    let warning = out
        .lines()
        .find(|l| l.starts_with("warning: ") && l.contains("[aa-1]"))
        .expect("the LUIS warning");
    assert!(
        warning.contains("exams/aa-100/items/alpha.yaml:10:24:"),
        "{warning}"
    );
    assert!(out.contains("is the author"), "{out}");
    // The clean exam alone passes, and fails under --strict only when it has a warning.
    let (code, out) = ai102(&["bank", "check", root, "--exam", "bb-200"]);
    assert_eq!(code, 0, "{out}");
    let (code, _) = ai102(&["bank", "check", root, "--exam", "BB-200", "--strict"]);
    assert_eq!(code, 0);
    std::fs::remove_file(bank.root.join("exams/aa-100/review-log.yaml")).expect("rm");
    let (code, out) = ai102(&["bank", "check", root, "--exam", "aa-100"]);
    assert_eq!(code, 0, "a warning does not fail: {out}");
    let (code, out) = ai102(&["bank", "check", root, "--exam", "aa-100", "--strict"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error: "), "{out}");
}

#[test]
fn bank_stats_json_of_a_root_has_each_exam_and_totals() {
    let bank = temp_bank();
    let root = bank.root.to_str().expect("utf-8 path");
    let (_, out) = ai102(&["bank", "stats", root, "--json", "--today", "2026-12-03"]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect(&out);
    assert_eq!(doc["exams"]["AA-100"]["items"], 1);
    assert_eq!(doc["exams"]["AA-100"]["warnings"], 1);
    assert_eq!(doc["exams"]["BB-200"]["items"], 1);
    assert_eq!(doc["totals"]["items"], 2);
    assert_eq!(doc["totals"]["exams"], 2);
    let log = &doc["exams"]["AA-100"]["review_log"];
    assert_eq!(log["reader_is_author"], serde_json::json!(["aa-1"]));
    assert_eq!(log["unstamped"], serde_json::json!(["aa-1"]));
    let due = &doc["exams"]["AA-100"]["review_ages"]["due"];
    assert_eq!(due[0]["item"], "aa-1", "reviewed 336 days before: {due}");
    assert_eq!(
        doc["exams"]["BB-200"]["review_ages"]["due"],
        serde_json::json!([])
    );
    // An exam folder gives the single-exam object, as a pack does.
    let exam = bank.root.join("exams/bb-200");
    let (code, out) = ai102(&["bank", "stats", exam.to_str().expect("utf-8"), "--json"]);
    assert_eq!(code, 0, "{out}");
    let one: serde_json::Value = serde_json::from_str(&out).expect(&out);
    assert_eq!(one["blueprint"], "bb200");
    assert!(one.get("exams").is_none());
}

#[test]
fn review_stamp_fills_the_empty_hash_and_status_derives_from_dates() {
    let bank = temp_bank();
    let exam = bank.root.join("exams/aa-100");
    let (code, out) = ai102(&["bank", "review", "stamp", exam.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 hash(es) stamped"), "{out}");
    let log = std::fs::read_to_string(exam.join("review-log.yaml")).expect("read");
    let hash_line = log.lines().nth(2).expect("line 3");
    assert!(
        hash_line.starts_with("    hash: \"") && hash_line.len() == 11 + 64 + 1,
        "{hash_line}"
    );
    let root = bank.root.to_str().expect("utf-8 path");
    let (code, out) = ai102(&["bank", "status", root, "--today", "2026-12-03"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("AA-100") && out.contains("live"), "{out}");
}
