//! Unit tests of `item_stats`.

use super::*;

fn info(id: &str, domain: &str, objective: &str, options: &[&str], key: &[&str]) -> ItemInfo {
    ItemInfo {
        id: id.into(),
        domain: domain.into(),
        objective: objective.into(),
        options: options.iter().map(|o| (*o).to_owned()).collect(),
        key: key.iter().map(|o| (*o).to_owned()).collect(),
    }
}

fn response(id: &str, earned: f64, chosen: &[&str], seconds: Option<f64>) -> ItemResponse {
    ItemResponse {
        item_id: id.into(),
        earned,
        max: 1.0,
        chosen: chosen.iter().map(|o| (*o).to_owned()).collect(),
        seconds,
        trial: false,
    }
}

/// Ten candidates A–J, four one-point items; i1 is a single-choice item with options a–d keyed a.
///
/// ```text
///      i1 i2 i3 i4 total  i1 chose  seconds on i1
///   A   1  1  1  1   4      a        30
///   B   1  1  1  0   3      a        40
///   C   1  1  0  1   3      a        —
///   D   1  0  1  0   2      a        50
///   E   1  1  0  0   2      a        —
///   F   1  0  0  1   2      a        —
///   G   0  1  0  0   1      b        —
///   H   1  0  0  0   1      a        —
///   I   0  0  1  0   1      b        —
///   J   0  0  0  0   0      c        —
/// ```
fn ten_by_four() -> (Vec<ItemInfo>, Vec<AttemptRecord>) {
    let items = vec![
        info("i1", "plan", "plan.a", &["a", "b", "c", "d"], &["a"]),
        info("i2", "plan", "plan.b", &[], &[]),
        info("i3", "nlp", "nlp.a", &[], &[]),
        info("i4", "nlp", "nlp.a", &[], &[]),
    ];
    let rows: [(&str, [u8; 4], &str, Option<f64>); 10] = [
        ("A", [1, 1, 1, 1], "a", Some(30.0)),
        ("B", [1, 1, 1, 0], "a", Some(40.0)),
        ("C", [1, 1, 0, 1], "a", None),
        ("D", [1, 0, 1, 0], "a", Some(50.0)),
        ("E", [1, 1, 0, 0], "a", None),
        ("F", [1, 0, 0, 1], "a", None),
        ("G", [0, 1, 0, 0], "b", None),
        ("H", [1, 0, 0, 0], "a", None),
        ("I", [0, 0, 1, 0], "b", None),
        ("J", [0, 0, 0, 0], "c", None),
    ];
    let attempts = rows
        .iter()
        .map(|(_, marks, chose, secs)| AttemptRecord {
            total_fraction: marks.iter().map(|&m| f64::from(m)).sum::<f64>() / 4.0,
            items: vec![
                response("i1", f64::from(marks[0]), &[chose], *secs),
                response("i2", f64::from(marks[1]), &[], None),
                response("i3", f64::from(marks[2]), &[], None),
                response("i4", f64::from(marks[3]), &[], None),
            ],
        })
        .collect();
    (items, attempts)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-4
}

#[test]
fn trial_items_leave_the_scored_items_statistics_unchanged() {
    let (mut items, attempts) = ten_by_four();
    let before = analyse(&items, &attempts, &Thresholds::default());
    items.push(info("t", "plan", "plan.a", &[], &[]));
    let with_trial: Vec<AttemptRecord> = attempts
        .iter()
        .enumerate()
        .map(|(n, a)| {
            let mut a = a.clone();
            // The weakest candidates get the trial item right: it would bend the rest scores.
            a.items.insert(
                1,
                ItemResponse {
                    trial: true,
                    ..response("t", f64::from(u8::from(n >= 5)), &[], None)
                },
            );
            a
        })
        .collect();
    let after = analyse(&items, &with_trial, &Thresholds::default());
    assert_eq!(&after[..4], &before[..]);
}

#[test]
fn a_trial_item_is_correlated_with_the_whole_scored_total() {
    let (mut items, mut attempts) = ten_by_four();
    items.push(info("t", "plan", "plan.a", &[], &[]));
    // The trial item is answered exactly like i1.
    for a in &mut attempts {
        let i1 = a.items[0].earned;
        a.items.push(ItemResponse {
            trial: true,
            ..response("t", i1, &[], None)
        });
    }
    let stats = analyse(&items, &attempts, &Thresholds::default());
    let t = &stats[4];
    assert_eq!(t.n, 10);
    assert_eq!(t.facility, stats[0].facility);
    let scores: Vec<f64> = attempts.iter().map(|a| a.items[0].earned).collect();
    let totals: Vec<f64> = attempts.iter().map(|a| a.total_fraction).collect();
    let expected = point_biserial(&scores, &totals).unwrap();
    assert!(close(t.point_biserial.unwrap(), expected));
    // Against the whole total it correlates more than i1 does against the rest of it.
    assert!(t.point_biserial.unwrap() > stats[0].point_biserial.unwrap());
}

#[test]
fn the_promotion_hint_needs_enough_attempts_a_middling_facility_and_discrimination() {
    let stats = |n, facility, pb| ItemStats {
        item_id: "t".into(),
        domain: "plan".into(),
        objective: "plan.a".into(),
        n,
        facility: Some(facility),
        point_biserial: pb,
        upper_lower: None,
        options: vec![],
        mean_seconds: None,
        flags: vec![],
    };
    let ready = promotion(&stats(30, 0.6, Some(0.35)));
    assert!(ready.ready, "{}", ready.reason);
    assert!(ready.reason.starts_with("Ready to promote"));
    let few = promotion(&stats(29, 0.6, Some(0.35)));
    assert!(!few.ready);
    assert!(few.reason.contains("29 of the 30"), "{}", few.reason);
    let easy = promotion(&stats(40, 0.95, Some(0.1)));
    assert!(!easy.ready);
    assert!(easy.reason.contains("too easy") && easy.reason.contains("discriminates too little"));
    assert!(promotion(&stats(40, 0.2, Some(0.5)))
        .reason
        .contains("too hard"));
    assert!(!promotion(&stats(40, 0.5, None)).ready);
}

#[test]
fn facility_is_the_proportion_correct_of_one_point_items() {
    let (items, attempts) = ten_by_four();
    let s = analyse(&items, &attempts, &Thresholds::default());
    // i1: A B C D E F H = 7 of 10; i2: A B C E G = 5; i3: A B D I = 4; i4: A C F = 3.
    let f: Vec<f64> = s.iter().map(|s| s.facility.unwrap()).collect();
    assert_eq!(f, vec![0.7, 0.5, 0.4, 0.3]);
    assert!(s.iter().all(|s| s.n == 10));
}

#[test]
fn point_biserial_is_corrected_against_the_rest_of_the_test() {
    let (items, attempts) = ten_by_four();
    let s = analyse(&items, &attempts, &Thresholds::default());
    // i1: x = 1 1 1 1 1 1 0 1 0 0; rest = total − i1 = 3 2 2 1 1 1 1 0 1 0 (points of 3; the
    // correlation does not change when rest is divided by 3).
    //   x̄ = 0.7, r̄ = 12/10 = 1.2
    //   Sxr = Σxr − n·x̄·r̄ = (3+2+2+1+1+1+0) − 10·0.7·1.2 = 10 − 8.4 = 1.6
    //   Sxx = 7 − 10·0.49 = 2.1;  Srr = Σr² − n·r̄² = 22 − 14.4 = 7.6
    //   r = 1.6 / √(2.1 · 7.6) = 1.6 / √15.96 = 1.6 / 3.99500 = 0.40050
    // Check with (Mp − Mq)/s·√(pq): Mp = 10/7 = 1.42857, Mq = 2/3, s = √(7.6/10) = 0.87178,
    //   √(0.7·0.3) = 0.45826 → 0.76190 / 0.87178 · 0.45826 = 0.40050.
    assert!(close(s[0].point_biserial.unwrap(), 0.40050));
    // i3: x = 1 1 0 1 0 0 0 0 1 0; rest = 3 2 3 1 2 2 1 1 0 0, r̄ = 15/10 = 1.5
    //   Σxr = 3 + 2 + 1 + 0 = 6 = n·x̄·r̄ = 10·0.4·1.5, so Sxr = 0 and r = 0 exactly,
    //   while the uncorrected correlation with the total (which includes i3 itself) is positive:
    //   Σxt = 4+3+2+1 = 10, n·x̄·t̄ = 10·0.4·1.9 = 7.6, Sxt = 2.4 > 0.
    assert!(s[2].point_biserial.unwrap().abs() < 1e-12);
    let x3 = [1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0];
    let totals: Vec<f64> = attempts.iter().map(|a| a.total_fraction).collect();
    assert!(point_biserial(&x3, &totals).unwrap() > 0.3);
}

#[test]
fn upper_and_lower_groups_take_27_percent_and_break_ties_by_input_order() {
    let (items, attempts) = ten_by_four();
    let s = analyse(&items, &attempts, &Thresholds::default());
    // g = round(0.27 · 10) = round(2.7) = 3. Ranked: A(4) B(3) C(3) D E F(2) G H I(1) J(0).
    // Upper = A B C. Lower = the last three: H I J (G, H and I tie at 1; the later ones, H and I,
    // rank lower).
    let ul: Vec<UpperLower> = s.iter().map(|s| s.upper_lower.unwrap()).collect();
    assert!(ul.iter().all(|u| u.group_size == 3));
    // i1: upper 3/3, lower H=1 I=0 J=0 → 1/3; D = 2/3.
    assert!(close(ul[0].index, 2.0 / 3.0));
    assert!(close(ul[0].lower_facility, 1.0 / 3.0));
    // i2: upper 3/3, lower 0/3 → 1. i3: upper A B = 2/3, lower I = 1/3 → 1/3. i4: upper A C = 2/3,
    // lower 0 → 2/3.
    assert!(close(ul[1].index, 1.0));
    assert!(close(ul[2].index, 1.0 / 3.0));
    assert!(close(ul[3].index, 2.0 / 3.0));
}

#[test]
fn options_are_counted_overall_and_by_group_and_seconds_are_averaged() {
    let (items, attempts) = ten_by_four();
    let s = analyse(&items, &attempts, &Thresholds::default());
    let rows: Vec<(&str, bool, usize, usize, usize)> = s[0]
        .options
        .iter()
        .map(|o| (o.option_id.as_str(), o.keyed, o.chosen, o.upper, o.lower))
        .collect();
    // Upper A B C chose a, a, a; lower H I J chose a, b, c.
    assert_eq!(
        rows,
        vec![
            ("a", true, 7, 3, 1),
            ("b", false, 2, 0, 1),
            ("c", false, 1, 0, 1),
            ("d", false, 0, 0, 0),
        ]
    );
    assert!(close(s[0].options[1].proportion, 0.2));
    // (30 + 40 + 50) / 3 = 40; items without any time have none.
    assert_eq!(s[0].mean_seconds, Some(40.0));
    assert_eq!(s[1].mean_seconds, None);
    assert!(s[1].options.is_empty());
}

#[test]
fn no_flags_below_the_minimum_samples() {
    let (items, attempts) = ten_by_four();
    let s = analyse(&items, &attempts, &Thresholds::default());
    assert!(s.iter().all(|s| s.flags.is_empty()));
}

#[test]
fn flags_name_the_problem_when_the_sample_is_big_enough() {
    let (items, attempts) = ten_by_four();
    let small = Thresholds {
        min_n_facility: 10,
        min_n_discrimination: 10,
        min_group_distractor: 3,
        too_hard: 0.35,
        ..Thresholds::default()
    };
    let s = analyse(&items, &attempts, &small);
    let kinds = |i: usize| {
        s[i].flags
            .iter()
            .map(|f| f.kind.clone())
            .collect::<Vec<_>>()
    };
    // i1: d never chosen; b and c are chosen by the lower group only (no wrong-key flag).
    assert_eq!(
        kinds(0),
        vec![FlagKind::RareDistractor {
            option_id: "d".into()
        }]
    );
    assert!(s[0].flags[0].reason.contains("never chosen"));
    // i3: item–rest correlation 0 → weak. i4: facility 0.3 < 0.35 → too hard.
    assert_eq!(kinds(2), vec![FlagKind::WeakDiscrimination]);
    assert_eq!(kinds(3)[0], FlagKind::TooHard);
}

#[test]
fn a_distractor_the_best_candidates_choose_is_flagged_as_a_likely_wrong_key() {
    // Keyed "a", but the four strongest candidates choose "b", the four weakest "a".
    let items = vec![
        info("k", "plan", "plan.a", &["a", "b"], &["a"]),
        info("o", "plan", "plan.a", &[], &[]),
    ];
    let attempts: Vec<AttemptRecord> = (0..8)
        .map(|i| {
            let strong = i < 4;
            let other = f64::from(u8::from(strong));
            AttemptRecord {
                total_fraction: (other + f64::from(u8::from(!strong))) / 2.0
                    + 0.01 * (8 - i) as f64,
                items: vec![
                    response(
                        "k",
                        f64::from(u8::from(!strong)),
                        &[if strong { "b" } else { "a" }],
                        None,
                    ),
                    response("o", other, &[], None),
                ],
            }
        })
        .collect();
    let t = Thresholds {
        min_n_discrimination: 8,
        min_group_distractor: 2,
        ..Thresholds::default()
    };
    let s = analyse(&items, &attempts, &t);
    let kinds: Vec<FlagKind> = s[0].flags.iter().map(|f| f.kind.clone()).collect();
    assert!(
        kinds.contains(&FlagKind::NegativeDiscrimination),
        "{kinds:?}"
    );
    assert!(kinds.contains(&FlagKind::DistractorFavoursUpper {
        option_id: "b".into()
    }));
}

#[test]
fn zero_variance_gives_no_correlation_rather_than_nan() {
    let items = vec![
        info("easy", "plan", "plan.a", &[], &[]),
        info("x", "plan", "plan.a", &[], &[]),
    ];
    let attempts: Vec<AttemptRecord> = (0..5)
        .map(|i| AttemptRecord {
            total_fraction: 0.5,
            items: vec![
                response("easy", 1.0, &[], None),
                response("x", f64::from(u8::from(i % 2 == 0)), &[], None),
            ],
        })
        .collect();
    let s = analyse(&items, &attempts, &Thresholds::default());
    assert_eq!(s[0].facility, Some(1.0));
    assert_eq!(s[0].point_biserial, None);
    assert_eq!(s[1].point_biserial, None);
}

#[test]
fn an_item_without_attempts_has_no_statistics_and_counts_against_coverage() {
    let (mut items, attempts) = ten_by_four();
    items.push(info("unseen", "nlp", "nlp.b", &["a", "b"], &["a"]));
    let s = analyse(&items, &attempts, &Thresholds::default());
    let u = &s[4];
    assert_eq!(
        (u.n, u.facility, u.point_biserial, u.upper_lower),
        (0, None, None, None)
    );
    let domains = by_domain(&s);
    // nlp: i3 (0.4), i4 (0.3), unseen → 3 items, 2 with data, mean (0.4 + 0.3) / 2 = 0.35.
    // plan: i1 (0.7), i2 (0.5) → mean 0.6.
    assert_eq!(domains[0].id, "nlp");
    assert_eq!((domains[0].items, domains[0].items_with_data), (3, 2));
    assert!(close(domains[0].mean_facility.unwrap(), 0.35));
    assert!(close(domains[1].mean_facility.unwrap(), 0.6));
    let objectives = by_objective(&s);
    let ids: Vec<&str> = objectives.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, vec!["nlp.a", "nlp.b", "plan.a", "plan.b"]);
    assert_eq!(objectives[1].mean_facility, None);
}

#[test]
fn partial_credit_counts_as_a_proportion_of_the_item_points() {
    let items = vec![info("m", "plan", "plan.a", &["a", "b", "c"], &["a", "b"])];
    let attempts = vec![AttemptRecord {
        total_fraction: 0.5,
        items: vec![ItemResponse {
            item_id: "m".into(),
            earned: 1.0,
            max: 2.0,
            chosen: vec!["a".into(), "c".into()],
            seconds: None,
            trial: false,
        }],
    }];
    let s = analyse(&items, &attempts, &Thresholds::default());
    assert_eq!(s[0].facility, Some(0.5));
    // A single-item attempt has no rest score, hence no correlation.
    assert_eq!(s[0].point_biserial, None);
}

#[test]
fn group_sizes_round_half_up_and_never_overlap() {
    assert_eq!(group_size(0, 0.27), 0);
    assert_eq!(group_size(1, 0.27), 0);
    assert_eq!(group_size(2, 0.27), 1);
    assert_eq!(group_size(10, 0.27), 3);
    assert_eq!(group_size(50, 0.27), 14); // 13.5 rounds up
    assert_eq!(group_size(100, 0.27), 27);
    assert_eq!(group_size(4, 0.9), 2);
}

/// J. D. Brown, "Point-biserial correlation coefficients", Shiken: JALT Testing & Evaluation SIG
/// Newsletter 5(3), 2001, Table 2 — https://hosted.jalt.org/test/bro_12.htm
///
/// Eight students with totals 50 45 45 40 35 30 30 25 (mean 37.50, SD 8.29 with divisor n). Item 1 is
/// right for the top four: Mp = 45, Mq = 30, p = q = .50, rpbi = (45 − 30)/8.29 · √(.5·.5) = .91. Item 2
/// is the mirror image: −.91 (his printed values are rounded up from ±0.9045). Item 3 is right for everyone: Brown prints .00; we return `None`, because a
/// correlation with a constant is undefined (and would be NaN).
#[test]
fn reproduces_browns_published_point_biserial_example() {
    let totals = [50.0, 45.0, 45.0, 40.0, 35.0, 30.0, 30.0, 25.0];
    let item1 = [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0];
    let item2 = item1.map(|x| 1.0 - x);
    let item3 = [1.0; 8];
    let r1 = point_biserial(&item1, &totals).unwrap();
    // Brown prints .91; the unrounded value of his own formula is 15 / 8.2916 · 0.5 = 0.9045, so the
    // printed figure is rounded up by half a point in the second decimal. We agree to within 0.01 and match
    // the exact arithmetic to 1e-5.
    assert!((r1 - 0.91).abs() < 0.01, "{r1}");
    assert!((r1 - 0.904_534).abs() < 1e-5, "{r1}");
    assert!((point_biserial(&item2, &totals).unwrap() + 0.904_534).abs() < 1e-5);
    assert_eq!(point_biserial(&item3, &totals), None);
}

mod properties {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    /// Up to 40 attempts of 1–6 items with random maxima and earned points.
    fn arb_attempts() -> impl Strategy<Value = Vec<AttemptRecord>> {
        let item = (
            0usize..6,
            1u32..4,
            0.0f64..=1.0,
            proptest::option::of(0.0f64..300.0),
        );
        vec(vec(item, 1..6), 0..40).prop_map(|attempts| {
            attempts
                .into_iter()
                .map(|rows| {
                    let items: Vec<ItemResponse> = rows
                        .into_iter()
                        .map(|(id, max, share, seconds)| {
                            let max = f64::from(max);
                            // Snap to whole points half the time, to get ties and 0/1 items.
                            let earned = if id % 2 == 0 {
                                (share * max).round()
                            } else {
                                share * max
                            };
                            ItemResponse {
                                item_id: format!("i{id}"),
                                earned,
                                max,
                                chosen: vec![if share > 0.5 { "a".into() } else { "b".into() }],
                                seconds,
                                trial: false,
                            }
                        })
                        .collect();
                    let (e, m) = items
                        .iter()
                        .fold((0.0, 0.0), |(e, m), r| (e + r.earned, m + r.max));
                    AttemptRecord {
                        total_fraction: e / m,
                        items,
                    }
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn statistics_stay_in_range_and_are_never_nan(attempts in arb_attempts()) {
            let items: Vec<ItemInfo> =
                (0..6).map(|i| info(&format!("i{i}"), "d", "d.o", &["a", "b", "c"], &["a"])).collect();
            let t = Thresholds { min_n_facility: 1, min_n_discrimination: 1, min_group_distractor: 1,
                ..Thresholds::default() };
            for s in analyse(&items, &attempts, &t) {
                if let Some(f) = s.facility {
                    prop_assert!((0.0..=1.0).contains(&f), "{f}");
                }
                prop_assert_eq!(s.facility.is_none(), s.n == 0);
                if let Some(r) = s.point_biserial {
                    prop_assert!((-1.0..=1.0).contains(&r), "{r}");
                }
                if let Some(u) = s.upper_lower {
                    prop_assert!((-1.0..=1.0).contains(&u.index));
                    prop_assert!(2 * u.group_size <= s.n);
                }
                if let Some(m) = s.mean_seconds {
                    prop_assert!(m.is_finite());
                }
                for o in &s.options {
                    prop_assert!(o.proportion.is_finite() && o.upper <= o.chosen && o.lower <= o.chosen);
                }
            }
        }

        #[test]
        fn point_biserial_is_a_bounded_correlation(
            pairs in vec((0u8..2, -100.0f64..100.0), 0..60)
        ) {
            let (x, y): (Vec<f64>, Vec<f64>) = pairs.iter().map(|(a, b)| (f64::from(*a), *b)).unzip();
            if let Some(r) = point_biserial(&x, &y) {
                prop_assert!((-1.0..=1.0).contains(&r));
            }
        }
    }
}
