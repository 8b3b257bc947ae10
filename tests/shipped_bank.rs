//! The shipped AI-102 bank stays clean and complete: no problems, ≥ 300 questions, every domain within its
//! blueprint weight range, every objective with ≥ 3 questions, every type present, ≥ 4 case studies of 4–6.

use ai102::bank::model::Item;
use std::path::Path;

fn bank() -> (ai102::bank::CheckReport, ai102::bank::stats::Stats) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank/exams/ai-102");
    let report = ai102::bank::check_path(&path).expect("the bank folder is readable");
    let blueprint = ai102::store::bank::blueprint_for(&path).expect("the blueprint loads");
    let stats = ai102::bank::stats::stats(&report, &blueprint);
    (report, stats)
}

#[test]
fn the_shipped_bank_has_no_problems() {
    let (report, _) = bank();
    let listed: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    assert!(listed.is_empty(), "problems:\n{}", listed.join("\n"));
}

#[test]
fn the_shipped_bank_covers_the_blueprint() {
    let (report, stats) = bank();
    assert!(stats.items >= 300, "only {} questions", stats.items);
    for d in &stats.domains {
        assert!(
            d.within,
            "domain {} is at {:.1}% outside {}–{}%",
            d.id, d.percent, d.min, d.max
        );
    }
    assert!(
        stats.thin_objectives.is_empty(),
        "objectives under 3 questions: {:?}",
        stats.thin_objectives
    );
    for t in [
        "single",
        "multiple",
        "yes_no_series",
        "order",
        "match",
        "hot_area",
    ] {
        assert!(
            stats.by_type.get(t).copied().unwrap_or(0) > 0,
            "no {t} questions"
        );
    }
    let multi_element: usize = ["order", "match", "hot_area"]
        .iter()
        .map(|t| stats.by_type.get(*t).copied().unwrap_or(0))
        .sum();
    assert!(
        multi_element >= 20,
        "only {multi_element} order/match/hot-area questions"
    );
    let cases: Vec<usize> = report
        .items
        .iter()
        .filter_map(Item::case_study)
        .map(|c| c.questions.len())
        .collect();
    assert!(cases.len() >= 4, "only {} case studies", cases.len());
    assert!(
        cases.iter().all(|n| (4..=6).contains(n)),
        "case study sizes {cases:?}"
    );
}

#[test]
fn every_shipped_item_cites_microsoft_learn() {
    let (report, _) = bank();
    for item in &report.items {
        for (q, _) in item.questions() {
            assert!(
                q.common
                    .references
                    .iter()
                    .any(|r| r.starts_with("https://learn.microsoft.com/")),
                "{} has no learn.microsoft.com reference",
                q.common.id
            );
        }
    }
}
