//! Unit tests of `sampling`.

use super::*;
use proptest::prelude::*;

const DOMAINS: [(&str, f64, f64); 5] = [
    ("plan", 15.0, 20.0),
    ("genai", 25.0, 30.0),
    ("vision", 15.0, 20.0),
    ("nlp", 15.0, 20.0),
    ("knowledge", 10.0, 15.0),
];

fn spec(item_count: usize, case_studies: usize) -> FormSpec {
    FormSpec {
        item_count,
        case_studies,
        domain_weights: DOMAINS
            .iter()
            .map(|(d, lo, hi)| ((*d).to_owned(), *lo, *hi))
            .collect(),
        trial_items: 0,
    }
}

fn standalone(id: &str, domain: &str, seen: bool) -> PoolEntry {
    PoolEntry {
        item_id: id.to_owned(),
        kind: PoolKind::Standalone {
            domain: domain.to_owned(),
        },
        seen,
        trial: false,
    }
}

fn case(id: &str, domains: &[&str], seen: bool) -> PoolEntry {
    PoolEntry {
        item_id: id.to_owned(),
        kind: PoolKind::CaseStudy {
            domains: domains.iter().map(|d| (*d).to_owned()).collect(),
        },
        seen,
        trial: false,
    }
}

/// `per_domain` questions in each of the five domains, the first `seen` of each marked seen.
fn pool(per_domain: usize, seen: usize) -> Vec<PoolEntry> {
    DOMAINS
        .iter()
        .flat_map(|(d, _, _)| {
            (0..per_domain).map(move |i| standalone(&format!("{d}-{i}"), d, i < seen))
        })
        .collect()
}

fn bounds(n: usize, lo: f64, hi: f64) -> (usize, usize) {
    let n = n as f64;
    (
        (lo / 100.0 * n - 1e-9).ceil() as usize,
        (hi / 100.0 * n + 1e-9).floor() as usize,
    )
}

fn assert_within_weights(per_domain: &[(String, usize)], n: usize) {
    assert_eq!(per_domain.iter().map(|(_, c)| c).sum::<usize>(), n);
    for ((domain, count), (_, lo, hi)) in per_domain.iter().zip(DOMAINS) {
        let (lo, hi) = bounds(n, lo, hi);
        assert!(
            (lo..=hi).contains(count),
            "{domain}: {count} not in {lo}..={hi} of {n}"
        );
    }
}

fn no_duplicates(ids: &[String]) -> bool {
    ids.iter().collect::<BTreeSet<_>>().len() == ids.len()
}

#[test]
fn targets_follow_the_weights_for_15_50_and_60_items() {
    let counts = |n| {
        domain_targets(&spec(n, 0))
            .into_iter()
            .map(|(_, c)| c)
            .collect::<Vec<_>>()
    };
    assert_eq!(counts(15), [3, 4, 3, 3, 2]);
    assert_eq!(counts(50), [10, 15, 9, 9, 7]);
    assert_eq!(counts(60), [12, 18, 11, 11, 8]);
    for n in [15, 50, 60] {
        assert_within_weights(&domain_targets(&spec(n, 0)), n);
    }
}

#[test]
fn targets_are_nudged_into_their_ranges() {
    // Normalised midpoints (75 and 50) alone would give `a` 6 of 10, below its 70 % minimum.
    let s = FormSpec {
        item_count: 10,
        case_studies: 0,
        domain_weights: vec![("a".into(), 70.0, 80.0), ("b".into(), 0.0, 100.0)],
        trial_items: 0,
    };
    assert_eq!(
        domain_targets(&s),
        [("a".to_owned(), 7), ("b".to_owned(), 3)]
    );
}

#[test]
fn draws_stay_within_the_weight_ranges() {
    let pool = pool(30, 0);
    for n in [15, 50, 60] {
        let d = draw(&pool, &spec(n, 0), 7).unwrap();
        assert_eq!(d.entries.len(), n);
        assert!(no_duplicates(&d.entries));
        assert!(d.shortfalls.is_empty());
        assert_within_weights(&d.per_domain, n);
    }
}

#[test]
fn case_studies_are_kept_whole_first_and_counted() {
    let mut pool = pool(30, 0);
    pool.push(case("cs-a", &["genai", "genai", "genai", "plan"], false));
    pool.push(case("cs-b", &["nlp", "nlp", "knowledge"], false));
    let d = draw(&pool, &spec(50, 1), 3).unwrap();
    let first = d.entries[0].as_str();
    assert!(first == "cs-a" || first == "cs-b");
    assert!(!d.entries[1..].iter().any(|e| e.starts_with("cs-")));
    let questions = if first == "cs-a" { 4 } else { 3 };
    assert_eq!(d.entries.len(), 1 + 50 - questions);
    assert_eq!(d.missing_case_studies, 0);
    assert_within_weights(&d.per_domain, 50);
    assert_eq!(d.per_domain, domain_targets(&spec(50, 1)));
}

#[test]
fn a_case_study_that_does_not_fit_is_reported_missing() {
    let mut pool = pool(10, 0);
    pool.push(case("cs-big", &["genai"; 6], false));
    let d = draw(&pool, &spec(5, 1), 1).unwrap();
    assert_eq!(d.missing_case_studies, 1);
    assert!(!d.entries.contains(&"cs-big".to_owned()));
    assert_eq!(d.entries.len(), 5);
}

#[test]
fn unseen_items_are_preferred() {
    // 20 per domain, 10 of them seen.
    let pool = pool(20, 10);
    let d = draw(&pool, &spec(50, 0), 11).unwrap();
    let seen: BTreeSet<&str> = pool
        .iter()
        .filter(|e| e.seen)
        .map(|e| e.item_id.as_str())
        .collect();
    let seen_drawn: Vec<&String> = d
        .entries
        .iter()
        .filter(|e| seen.contains(e.as_str()))
        .collect();
    // Each domain has 10 unseen; only genai (15) needs seen ones: 5 of them.
    assert_eq!(seen_drawn.len(), 5);
    assert!(seen_drawn.iter().all(|e| e.starts_with("genai-")));
}

#[test]
fn unseen_case_studies_are_preferred() {
    let mut pool = pool(30, 0);
    pool.push(case("cs-seen", &["genai", "plan"], true));
    pool.push(case("cs-new", &["genai", "plan"], false));
    for seed in 0..10 {
        assert_eq!(
            draw(&pool, &spec(50, 1), seed).unwrap().entries[0],
            "cs-new"
        );
    }
}

#[test]
fn a_short_domain_is_reported_and_filled_from_others() {
    let mut pool = pool(30, 0);
    pool.retain(|e| !e.item_id.starts_with("knowledge-") || e.item_id.ends_with("-0"));
    let d = draw(&pool, &spec(50, 0), 5).unwrap();
    assert_eq!(d.shortfalls, [("knowledge".to_owned(), 6)]);
    assert_eq!(d.entries.len(), 50);
    assert!(no_duplicates(&d.entries));
    let knowledge = d
        .per_domain
        .iter()
        .find(|(dm, _)| dm == "knowledge")
        .unwrap()
        .1;
    assert_eq!(knowledge, 1);
}

#[test]
fn the_same_seed_draws_the_same_exam() {
    let mut pool = pool(30, 5);
    pool.push(case("cs-a", &["genai", "plan"], false));
    pool.push(case("cs-b", &["nlp", "vision"], false));
    let a = draw(&pool, &spec(60, 1), 42).unwrap();
    assert_eq!(a, draw(&pool, &spec(60, 1), 42).unwrap());
    assert_ne!(a.entries, draw(&pool, &spec(60, 1), 43).unwrap().entries);
}

#[test]
fn a_pool_too_small_is_an_error_that_says_how_many() {
    let err = draw(&pool(2, 0), &spec(15, 0), 1).unwrap_err();
    assert_eq!(
        err,
        SamplingError::PoolTooSmall {
            needed: 15,
            available: 10
        }
    );
    assert_eq!(
        err.to_string(),
        "the pool has 10 questions but the form needs 15"
    );
}

#[test]
fn questions_only_in_long_case_studies_are_unfillable() {
    let pool = vec![
        standalone("a", "plan", false),
        case("cs", &["plan", "plan", "plan"], false),
    ];
    let err = draw(&pool, &spec(2, 0), 1).unwrap_err();
    assert_eq!(
        err,
        SamplingError::Unfillable {
            needed: 2,
            drawn: 1
        }
    );
}

#[test]
fn extra_case_studies_fill_when_standalone_questions_run_out() {
    let pool = vec![
        standalone("a", "plan", false),
        case("cs", &["plan", "genai"], false),
    ];
    let d = draw(&pool, &spec(3, 0), 1).unwrap();
    assert_eq!(d.entries, ["cs", "a"]);
}

#[test]
fn shuffle_ids_is_a_seeded_permutation() {
    let ids: Vec<String> = ["a", "b", "c", "d", "e", "f"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let once = shuffle_ids(&ids, 9);
    assert_eq!(once, shuffle_ids(&ids, 9));
    let mut sorted = once.clone();
    sorted.sort();
    assert_eq!(sorted, ids);
}

fn trial(id: &str, domain: &str, seen: bool) -> PoolEntry {
    PoolEntry {
        trial: true,
        ..standalone(id, domain, seen)
    }
}

fn with_trial(n: usize, cases: usize, k: usize) -> FormSpec {
    FormSpec {
        trial_items: k,
        ..spec(n, cases)
    }
}

/// The pool of `case_studies_are_kept_whole_first_and_counted` plus trial questions and a trial case study.
fn pool_with_trial() -> Vec<PoolEntry> {
    let mut pool = pool(30, 0);
    pool.push(case("cs-a", &["genai", "genai", "genai", "plan"], false));
    pool.push(case("cs-b", &["nlp", "nlp", "knowledge"], false));
    pool.extend((0..8).map(|i| trial(&format!("trial-{i}"), "genai", i < 4)));
    pool.push(PoolEntry {
        trial: true,
        ..case("cs-trial", &["nlp", "nlp"], false)
    });
    pool
}

#[test]
fn k_trial_items_are_added_on_top_of_the_scored_questions() {
    let pool = pool_with_trial();
    let d = draw(&pool, &with_trial(50, 1, 3), 3).unwrap();
    assert_eq!(d.trial.len(), 3);
    assert!(d.trial.iter().all(|t| t.starts_with("trial-")));
    let questions = if d.entries[0] == "cs-a" { 4 } else { 3 };
    assert_eq!(d.entries.len(), 1 + 50 - questions + 3);
    assert!(no_duplicates(&d.entries));
    assert!(d.trial.iter().all(|t| d.entries.contains(t)));
    // Unseen trial questions first (trial-4..7 are unseen).
    assert!(
        d.trial.iter().all(|t| t.as_str() >= "trial-4"),
        "{:?}",
        d.trial
    );
    // The blueprint's counts are the scored questions only.
    assert_eq!(d.per_domain, domain_targets(&spec(50, 1)));
}

#[test]
fn trial_items_are_never_in_the_case_study_section_nor_case_studies() {
    let pool = pool_with_trial();
    for seed in 0..40 {
        let d = draw(&pool, &with_trial(50, 2, 5), seed).unwrap();
        assert!(!d.entries.contains(&"cs-trial".to_owned()));
        assert!(!d.trial.contains(&"cs-trial".to_owned()));
        // The case studies come first, whole; every trial question comes after them.
        let cases = d
            .entries
            .iter()
            .take_while(|e| e.starts_with("cs-"))
            .count();
        assert_eq!(cases, 2);
        assert!(!d.entries[cases..].iter().any(|e| e.starts_with("cs-")));
        assert!(d.entries[..cases].iter().all(|e| !d.trial.contains(e)));
    }
}

#[test]
fn the_scored_draw_does_not_change_with_k() {
    let pool = pool_with_trial();
    let without: Vec<PoolEntry> = pool.iter().filter(|e| !e.trial).cloned().collect();
    for seed in 0..20 {
        let base = draw(&without, &spec(50, 1), seed).unwrap();
        for k in 0..=5 {
            let d = draw(&pool, &with_trial(50, 1, k), seed).unwrap();
            let scored: Vec<&String> = d.entries.iter().filter(|e| !d.trial.contains(e)).collect();
            assert_eq!(scored, base.entries.iter().collect::<Vec<_>>(), "k = {k}");
            assert_eq!(d.per_domain, base.per_domain);
            assert_eq!(d.trial.len(), k);
        }
    }
}

#[test]
fn a_pool_with_fewer_trial_items_than_k_adds_what_it_has() {
    let mut pool = pool(30, 0);
    pool.push(trial("trial-0", "plan", false));
    let d = draw(&pool, &with_trial(15, 0, 5), 1).unwrap();
    assert_eq!(d.trial, ["trial-0"]);
    assert_eq!(d.entries.len(), 16);
    // Trial questions never fill a short pool.
    let small: Vec<PoolEntry> = (0..3)
        .map(|i| trial(&format!("t{i}"), "plan", false))
        .collect();
    assert!(matches!(
        draw(&small, &with_trial(2, 0, 1), 1),
        Err(SamplingError::PoolTooSmall { available: 0, .. })
    ));
}

fn arb_pool() -> impl Strategy<Value = Vec<PoolEntry>> {
    let domain = prop_oneof![
        Just("plan"),
        Just("genai"),
        Just("vision"),
        Just("nlp"),
        Just("knowledge"),
        Just("other")
    ];
    let entry = (
        any::<bool>(),
        proptest::collection::vec(domain, 1..6),
        any::<bool>(),
        0u8..5,
    )
        .prop_map(|(is_case, domains, seen, dup)| (is_case, domains, seen, dup));
    proptest::collection::vec(entry, 0..120).prop_map(|raw| {
        raw.into_iter()
            .enumerate()
            .map(|(i, (is_case, domains, seen, dup))| {
                // Some ids repeat, to check that duplicates in the pool are drawn once.
                let id = if dup == 0 {
                    format!("e{}", i / 2)
                } else {
                    format!("e{i}")
                };
                if is_case && i % 4 == 0 {
                    PoolEntry {
                        item_id: format!("cs-{id}"),
                        kind: PoolKind::CaseStudy {
                            domains: domains.into_iter().map(str::to_owned).collect(),
                        },
                        seen,
                        trial: false,
                    }
                } else {
                    standalone(&id, domains[0], seen)
                }
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn draws_have_no_duplicates_and_the_exact_total(
        pool in arb_pool(), n in 0usize..80, cases in 0usize..3, seed in any::<u64>()
    ) {
        let standalone_count = pool
            .iter()
            .filter(|e| matches!(e.kind, PoolKind::Standalone { .. }))
            .map(|e| &e.item_id)
            .collect::<BTreeSet<_>>()
            .len();
        match draw(&pool, &spec(n, cases), seed) {
            Ok(d) => {
                prop_assert!(no_duplicates(&d.entries));
                prop_assert_eq!(d.per_domain.iter().map(|(_, c)| c).sum::<usize>(), n);
                let questions: usize = d
                    .entries
                    .iter()
                    .map(|id| pool.iter().find(|e| &e.item_id == id).unwrap().questions())
                    .sum();
                prop_assert_eq!(questions, n);
                prop_assert_eq!(&d, &draw(&pool, &spec(n, cases), seed).unwrap());
            }
            Err(SamplingError::PoolTooSmall { .. }) => {}
            Err(SamplingError::Unfillable { .. }) => prop_assert!(standalone_count < n),
        }
    }

    #[test]
    fn targets_sum_to_the_item_count(n in 0usize..200, w in proptest::collection::vec((0.0f64..50.0, 0.0f64..50.0), 1..8)) {
        let s = FormSpec {
            item_count: n,
            case_studies: 0,
            domain_weights: w.iter().enumerate().map(|(i, (a, b))| (format!("d{i}"), a.min(*b), a.max(*b))).collect(),
            trial_items: 0,
        };
        prop_assert_eq!(domain_targets(&s).iter().map(|(_, c)| c).sum::<usize>(), n);
    }
}
