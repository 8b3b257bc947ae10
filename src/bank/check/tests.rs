//! The checker's unit tests: typing, problem order, suggestions, blueprints and the text rules.

use super::*;

fn blueprint() -> Blueprint {
    shipped_blueprint().expect("the shipped blueprint loads")
}

fn check(text: &str) -> CheckReport {
    check_sources(&[("p.yaml".to_owned(), text.to_owned())], &blueprint())
}

const META: &str = "pack: { id: t, title: T, version: 1, blueprint: ai102 }\n";

fn single(id: &str, extra: &str) -> String {
    format!(
        "  - id: {id}\n    type: single\n    domain: plan\n    objective: plan.secure\n    stem: S\n    \
         options: [{{ id: a, text: A }}, {{ id: b, text: B }}]\n    answer: a\n    explanation: E\n    \
         references: [https://learn.microsoft.com/x]\n{extra}"
    )
}

#[test]
fn the_shipped_blueprint_loads_without_problems() {
    let bp = blueprint();
    assert_eq!(bp.id, "ai102");
    assert_eq!(bp.domains.len(), 5);
}

#[test]
fn a_problem_displays_as_file_line_column_item_message() {
    let p = problem("a.yaml", 3, 5, Some("q1".into()), "empty `stem`");
    assert_eq!(p.to_string(), "a.yaml:3:5: [q1] empty `stem`");
    let p = problem("a.yaml", 1, 1, None, "missing pack metadata");
    assert_eq!(p.to_string(), "a.yaml:1:1: missing pack metadata");
}

#[test]
fn a_clean_pack_is_typed_with_its_metadata() {
    let report = check(&format!("{META}items:\n{}", single("q1", "")));
    assert!(report.is_clean(), "{:?}", report.problems);
    let pack = report.pack.expect("pack");
    assert_eq!(pack.meta.id, "t");
    assert_eq!(pack.items.len(), 1);
    assert_eq!(pack.items[0].id(), "q1");
}

#[test]
fn one_bad_item_does_not_hide_the_problems_of_the_next() {
    let text = format!(
        "{META}items:\n{}{}",
        single("q1", "    colour: red\n    shade: dark\n"),
        single("q2", "    choose: 2\n")
    );
    let report = check(&text);
    let messages: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(messages[0].contains("[q1] unknown field `colour`"));
    assert!(messages[1].contains("[q1] unknown field `shade`"));
    assert!(messages[2].contains("[q2] field `choose` does not belong to a `single` item"));
    assert_eq!(report.items.len(), 2, "unknown fields do not stop typing");
}

#[test]
fn a_wrong_value_type_stops_typing_only_that_item() {
    let text = format!(
        "{META}items:\n{}{}",
        single("q1", "    points: many\n"),
        single("q2", "")
    );
    let report = check(&text);
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(report.problems[0]
        .message
        .starts_with("`points`: invalid type: string \"many\""));
    assert_eq!(report.problems[0].line, 12);
    assert_eq!(report.items.len(), 1);
    assert_eq!(report.items[0].id(), "q2");
}

#[test]
fn problems_are_sorted_by_file_then_line() {
    let sources = vec![
        (
            "b.yaml".to_owned(),
            format!("items:\n{}", single("q2", "    stem2: x\n")),
        ),
        (
            "a.yaml".to_owned(),
            format!("{META}items:\n{}", single("q1", "    zzz: 1\n    aaa: 2\n")),
        ),
    ];
    let report = check_sources(&sources, &blueprint());
    let order: Vec<(String, usize)> = report
        .problems
        .iter()
        .map(|p| (p.file.clone(), p.line))
        .collect();
    assert_eq!(
        order,
        vec![
            ("a.yaml".into(), 12),
            ("a.yaml".into(), 13),
            ("b.yaml".into(), 11)
        ]
    );
}

#[test]
fn an_unknown_field_gets_a_suggestion() {
    let report = check(&format!(
        "{META}items:\n{}",
        single("q1", "    explaination: x\n")
    ));
    assert_eq!(
        report.problems[0].message,
        "unknown field `explaination` (did you mean `explanation`?)"
    );
}

#[test]
fn a_json_pack_file_is_checked_like_yaml() {
    let text = r#"{"pack": {"id": "t", "title": "T", "version": 1, "blueprint": "ai102"},
 "items": [{"id": "q1", "type": "single", "domain": "plan", "objective": "plan.secure", "stem": "S",
   "options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}], "answer": "c",
   "explanation": "E", "references": ["https://learn.microsoft.com/x"]}]}"#;
    let report = check_sources(&[("p.json".to_owned(), text.to_owned())], &blueprint());
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert_eq!(
        (report.problems[0].line, report.problems[0].column),
        (3, 69)
    );
    assert!(report.problems[0]
        .message
        .starts_with("answer `c` names no option"));
}

#[test]
fn an_empty_file_is_an_empty_pack_file() {
    let sources = vec![
        ("a.yaml".to_owned(), String::new()),
        (
            "b.yaml".to_owned(),
            format!("{META}items:\n{}", single("q1", "")),
        ),
    ];
    assert!(check_sources(&sources, &blueprint()).is_clean());
}

#[test]
fn no_sources_at_all_is_a_missing_pack_metadata() {
    let report = check_sources(&[], &blueprint());
    assert_eq!(report.problems.len(), 1);
    assert!(report.problems[0]
        .message
        .starts_with("missing pack metadata"));
}

#[test]
fn a_blueprint_with_duplicate_ids_is_refused() {
    let text = "id: b\nexam: E\ntitle: T\nversion: '1'\ndomains:\n  - id: d\n    title: D\n    weight: { min: 20, max: 10 }\n    objectives: [{ id: o, title: O }]\n  - id: d\n    title: D2\n    weight: { min: 1, max: 2 }\n    objectives: [{ id: o, title: O }]\n";
    let problems = load_blueprint("bp.yaml", text).expect_err("refused");
    let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![8, 10, 13], "{problems:?}");
}

#[test]
fn a_blueprint_missing_a_field_is_one_problem() {
    let problems =
        load_blueprint("bp.yaml", "id: b\nexam: E\ntitle: T\ndomains: []\n").expect_err("refused");
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].message, "missing field `version`");
}

#[test]
fn placeholders_and_links_are_found_with_their_offsets() {
    assert_eq!(
        placeholders("a [[x]] b [[ y ]] [[\n]] [[z"),
        vec![(2, "x".to_owned()), (10, "y".to_owned())]
    );
    assert_eq!(
        doc_links("See [the overview](#overview) and [x](https://e.com#a) or [y](#req)."),
        vec![(19, "overview".to_owned()), (62, "req".to_owned())]
    );
}

#[test]
fn only_http_and_https_urls_are_references() {
    assert!(is_http_url(
        "https://learn.microsoft.com/azure/ai-services/"
    ));
    assert!(is_http_url("http://example.com"));
    assert!(!is_http_url("ftp://example.com"));
    assert!(!is_http_url("https://"));
    assert!(!is_http_url("https://exa mple.com"));
    assert!(!is_http_url("learn.microsoft.com"));
}

#[test]
fn ids_are_lowercase_letters_digits_and_separators() {
    assert!(is_valid_id("plan-001.a_b"));
    assert!(!is_valid_id("Plan-001"));
    assert!(!is_valid_id("plan 001"));
    assert!(!is_valid_id(""));
}
