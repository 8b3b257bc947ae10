use super::*;
use crate::bank::check::{check_sources, shipped_blueprint};
use time::macros::date;

const PACK: &str = r#"pack: { id: t, title: T, version: 1, blueprint: ai102 }
items:
  - id: q1
    type: single
    domain: plan
    objective: plan.secure
    reviewed: 2026-11-01
    stem: S
    options: [{ id: a, text: A }, { id: b, text: B }]
    answer: a
    explanation: E
    references: [https://learn.microsoft.com/a, https://learn.microsoft.com/b]
  - id: q2
    type: single
    domain: plan
    objective: plan.secure
    reviewed: 2026-01-02
    stem: S2
    options: [{ id: a, text: A }, { id: b, text: B }]
    answer: b
    explanation: E
    references: [https://learn.microsoft.com/a]
  - id: cs
    type: case_study
    domain: plan
    title: C
    stem: S
    reviewed: 2026-06-01
    documents: [{ id: d, title: D, body: B }]
    questions:
      - id: cs-1
        type: single
        objective: plan.secure
        stem: S
        options: [{ id: a, text: A }, { id: b, text: B }]
        answer: a
        explanation: E
        references: [https://learn.microsoft.com/c]
      - id: cs-2
        type: single
        objective: plan.secure
        reviewed: 2025-01-01
        stem: S
        options: [{ id: a, text: A }, { id: b, text: B }]
        answer: a
        explanation: E
        references: [https://learn.microsoft.com/c]
  - id: q3
    type: single
    domain: plan
    objective: plan.secure
    stem: S3
    options: [{ id: a, text: A }, { id: b, text: B }]
    answer: b
    explanation: E
    references: [https://learn.microsoft.com/a]
"#;

fn items() -> Vec<Item> {
    let bp = shipped_blueprint().expect("blueprint");
    let report = check_sources(&[("p.yaml".to_owned(), PACK.to_owned())], &bp);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    report.items
}

fn hash_of(items: &[Item], id: &str) -> String {
    reviewables(items)
        .into_iter()
        .find(|(i, _)| i == id)
        .map(|(_, r)| r.hash)
        .expect("reviewable")
}

fn log_text(items: &[Item]) -> String {
    format!(
        r#"entries:
  - item: q1
    hash: "{q1}"
    author: writer-1
    reader: reader-1
    verdict: ok
    url: https://learn.microsoft.com/b
    date: 2026-12-01
  - item: q2
    hash: "{stale}"
    author: writer-1
    reader: writer-1
    verdict: fixed
    url: https://learn.microsoft.com/a
    date: 2026-12-01
    note: reworded the stem
  - item: cs
    hash: ""
    author: writer-2
    reader: reader-1
    verdict: ok
    url: https://learn.microsoft.com/elsewhere
    date: 2026-12-02
  - item: gone-1
    hash: ""
    author: writer-2
    reader: reader-1
    verdict: rejected
    url: https://learn.microsoft.com/a
    date: 2026-12-02
  - item: typo-1
    hash: ''
    author: writer-2
    reader: reader-1
    verdict: ok
    url: https://learn.microsoft.com/a
    date: 2026-12-02
"#,
        q1 = hash_of(items, "q1"),
        stale = "0".repeat(64),
    )
}

#[test]
fn the_hash_is_sha256_of_the_canonical_json_and_changes_with_the_item() {
    let items = items();
    let q1 = hash_of(&items, "q1");
    assert_eq!(q1.len(), 64);
    let Item::Question(q) = &items[0] else {
        panic!("q1 is a question")
    };
    let mut unreviewed = q.clone();
    unreviewed.common.reviewed = None;
    let expected = hex::encode(Sha256::digest(
        serde_json::to_vec(&unreviewed).expect("json"),
    ));
    assert_eq!(q1, expected);
    assert_eq!(question_hash(&unreviewed), q1, "`reviewed` is not hashed");
    let mut edited = q.clone();
    edited.common.stem.push('!');
    assert_ne!(question_hash(&edited), q1);
}

#[test]
fn a_case_study_hash_ignores_its_questions() {
    let items = items();
    let c = items[2].case_study().expect("case study");
    let mut edited = c.clone();
    edited.questions[0].common.stem.push('!');
    assert_eq!(case_study_hash(&edited), case_study_hash(c));
    edited.stem.push('!');
    assert_ne!(case_study_hash(&edited), case_study_hash(c));
}

#[test]
fn the_log_reports_stale_hashes_missing_entries_and_unknown_items() {
    let items = items();
    let log = load_log("review-log.yaml", &log_text(&items)).expect("loads");
    let (status, _) = check_log(&log, &items);
    assert_eq!(status.entries, 5);
    assert_eq!(status.reviewable, 6);
    assert_eq!(status.stale, vec!["q2"]);
    assert_eq!(status.unstamped, vec!["cs"]);
    assert_eq!(status.no_entry, vec!["cs-1", "cs-2", "q3"]);
    assert_eq!(
        status.unknown_items,
        vec!["typo-1"],
        "a rejected item is gone by design"
    );
}

#[test]
fn a_reader_who_is_the_author_is_a_problem_at_the_reader() {
    let items = items();
    let text = log_text(&items);
    let log = load_log("review-log.yaml", &text).expect("loads");
    let (status, problems) = check_log(&log, &items);
    assert_eq!(status.reader_is_author, vec!["q2"]);
    let p = problems
        .iter()
        .find(|p| p.message.contains("is the author"))
        .expect("reader problem");
    assert_eq!((p.line, p.column), (12, 5));
    assert_eq!(p.item.as_deref(), Some("q2"));
}

#[test]
fn a_url_that_is_not_a_reference_is_a_problem_at_the_url() {
    let items = items();
    let log = load_log("review-log.yaml", &log_text(&items)).expect("loads");
    let (status, problems) = check_log(&log, &items);
    assert_eq!(status.url_not_a_reference, vec!["cs"]);
    let p = problems
        .iter()
        .find(|p| p.message.contains("not one of the item's references"))
        .expect("url problem");
    assert_eq!((p.file.as_str(), p.line), ("review-log.yaml", 22));
    assert_eq!(problems.len(), 2, "{problems:?}");
}

#[test]
fn a_log_with_an_unknown_field_or_a_bad_verdict_is_refused_where_it_is() {
    let text = "entries:\n  - item: q1\n    hash: \"\"\n    author: a\n    reader: b\n    verdict: fine\n    url: u\n    date: 2026-12-01\n";
    let problems = load_log("l.yaml", text).expect_err("refused");
    assert_eq!(problems[0].line, 6, "{problems:?}");
    let text = "entries:\n  - item: q1\n    hash: \"\"\n    autor: a\n";
    let problems = load_log("l.yaml", text).expect_err("refused");
    assert_eq!(
        (problems[0].line, problems[0].column),
        (4, 5),
        "{problems:?}"
    );
    let text = "entries:\n  - { item: q1, hash: abc, author: a, reader: b, verdict: ok, url: u, date: 2026-12-01 }\n";
    let problems = load_log("l.yaml", text).expect_err("refused");
    assert!(problems[0].message.contains("64"), "{problems:?}");
}

#[test]
fn stamp_fills_only_empty_hashes_and_rewrites_only_their_lines() {
    let items = items();
    let text = log_text(&items);
    let (stamped, filled) = stamp("review-log.yaml", &text, &items).expect("stamps");
    assert_eq!(filled, 1, "cs only: gone-1 and typo-1 name no item");
    let before: Vec<&str> = text.lines().collect();
    let after: Vec<&str> = stamped.lines().collect();
    assert_eq!(before.len(), after.len());
    let changed: Vec<usize> = (0..before.len())
        .filter(|i| before[*i] != after[*i])
        .collect();
    assert_eq!(changed, vec![17], "line 18, cs's hash");
    assert_eq!(
        after[17],
        format!("    hash: \"{}\"", hash_of(&items, "cs"))
    );
    let (again, filled) = stamp("review-log.yaml", &stamped, &items).expect("stamps");
    assert_eq!((again.as_str(), filled), (stamped.as_str(), 0));
    let log = load_log("review-log.yaml", &stamped).expect("loads");
    let (status, _) = check_log(&log, &items);
    assert!(status.unstamped.is_empty());
    assert_eq!(
        status.stale,
        vec!["q2"],
        "a non-empty hash is never overwritten"
    );
}

#[test]
fn review_ages_list_questions_never_or_long_ago_reviewed_oldest_first() {
    let ages = review_ages(&items(), date!(2026 - 12 - 03));
    assert_eq!(ages.by_age["0-90"], 1);
    assert_eq!(
        ages.by_age["181-365"], 2,
        "q2, and cs-1 through its case study"
    );
    assert_eq!(ages.by_age[">365"], 1);
    assert_eq!(ages.by_age["never"], 1);
    let due: Vec<&str> = ages.due.iter().map(|a| a.item.as_str()).collect();
    assert_eq!(due, vec!["q3", "cs-2", "q2", "cs-1"]);
    assert_eq!(ages.due[1].days, Some(701));
}

#[test]
fn only_the_latest_entry_must_rest_on_a_reference() {
    let items = items();
    let entry = |url: &str| {
        format!(
            "  - item: q1\n    hash: \"{}\"\n    author: writer-1\n    reader: reader-1\n    verdict: ok\n    \
             url: {url}\n    date: 2026-12-01\n",
            hash_of(&items, "q1")
        )
    };
    // A page q1 cited once, then the page it cites now: the history is not a problem.
    let text = format!(
        "entries:\n{}{}",
        entry("https://learn.microsoft.com/moved"),
        entry("https://learn.microsoft.com/b")
    );
    let log = load_log("review-log.yaml", &text).expect("loads");
    let (status, problems) = check_log(&log, &items);
    assert!(status.url_not_a_reference.is_empty(), "{problems:?}");
    // The other way round, the latest entry is the one reported, at its own line.
    let text = format!(
        "entries:\n{}{}",
        entry("https://learn.microsoft.com/b"),
        entry("https://learn.microsoft.com/moved")
    );
    let log = load_log("review-log.yaml", &text).expect("loads");
    let (status, problems) = check_log(&log, &items);
    assert_eq!(status.url_not_a_reference, vec!["q1"]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].line, 14, "{problems:?}");
}
