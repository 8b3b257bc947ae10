//! Points for one item: one per correct element, scaled to the item's maximum, with all-or-nothing items.

use crate::bank::model::{Body, Question, ScoringRule};
use crate::scoring::response::{validate, Response};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// What one item earned.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ItemScore {
    /// Points earned, in `0.0..=max`.
    pub earned: f64,
    /// The item's maximum points (`Question::max_points`).
    pub max: f64,
    /// Elements answered correctly (selections, statements, positions or slots).
    pub correct_elements: u32,
    /// Elements the item has (1 for `single`).
    pub elements: u32,
}

/// Scores one item as the real exam does: one point per correct element, no negative marking.
///
/// Elements: single 1; multiple, each selected option that is in the key; yes/no, each statement marked as
/// keyed; order, each position `i` holding `answer[i]`; match and hot area, each slot holding its keyed
/// choice. `partial` items earn `max × correct / elements`; `all_or_nothing` items earn `max` only when every
/// element is correct. No response, or a response that `validate` refuses (wrong type, unknown ids, more
/// than `choose` selections…), earns 0: a response that breaks the rules cannot buy points.
pub fn score(question: &Question, response: Option<&Response>) -> ItemScore {
    let elements = question.body.elements();
    let max = f64::from(question.max_points());
    let correct = response
        .filter(|r| validate(question, r).is_ok())
        .map_or(0, |r| correct_elements(question, r))
        .min(elements);
    let earned = match question.common.scoring {
        ScoringRule::Partial => max * f64::from(correct) / f64::from(elements),
        ScoringRule::AllOrNothing if correct == elements => max,
        ScoringRule::AllOrNothing => 0.0,
    };
    ItemScore {
        earned,
        max,
        correct_elements: correct,
        elements,
    }
}

fn correct_elements(question: &Question, response: &Response) -> u32 {
    let n = match (&question.body, response) {
        (Body::Single { answer, .. }, Response::Single(id)) => usize::from(answer == id),
        (Body::Multiple { answer, .. }, Response::Multiple(ids)) => {
            let key: BTreeSet<&String> = answer.iter().collect();
            ids.iter()
                .collect::<BTreeSet<_>>()
                .intersection(&key)
                .count()
        }
        (Body::YesNoSeries { statements }, Response::YesNoSeries(marks)) => statements
            .iter()
            .filter(|s| marks.get(&s.id) == Some(&s.answer))
            .count(),
        (Body::Order { answer, .. }, Response::Order(ids)) => answer
            .iter()
            .zip(ids)
            .filter(|(key, given)| key == given)
            .count(),
        (Body::Match { slots, answer, .. }, Response::Match(placed)) => slots
            .iter()
            .filter(
                |s| matches!((answer.get(&s.id), placed.get(&s.id)), (Some(k), Some(g)) if k == g),
            )
            .count(),
        (Body::HotArea { slots, .. }, Response::HotArea(picked)) => slots
            .iter()
            .filter(|s| picked.get(&s.id) == Some(&s.answer))
            .count(),
        _ => 0,
    };
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::model::YesNo;
    use crate::scoring::fixtures::*;

    fn earned(q: &Question, r: Response) -> (f64, u32) {
        let s = score(q, Some(&r));
        (s.earned, s.correct_elements)
    }

    #[test]
    fn no_response_earns_nothing_but_keeps_the_maximum() {
        let s = score(&yes_no(), None);
        assert_eq!(
            s,
            ItemScore {
                earned: 0.0,
                max: 3.0,
                correct_elements: 0,
                elements: 3
            }
        );
    }

    #[test]
    fn single_is_one_element() {
        assert_eq!(earned(&single(), Response::Single("a".into())), (1.0, 1));
        assert_eq!(earned(&single(), Response::Single("b".into())), (0.0, 0));
    }

    #[test]
    fn multiple_earns_a_point_per_keyed_selection_without_negative_marking() {
        let q = multiple();
        assert_eq!(earned(&q, Response::Multiple(ids(&["a", "c"]))), (2.0, 2));
        assert_eq!(earned(&q, Response::Multiple(ids(&["a", "b"]))), (1.0, 1));
        assert_eq!(earned(&q, Response::Multiple(ids(&["b", "d"]))), (0.0, 0));
        assert_eq!(earned(&q, Response::Multiple(ids(&["c"]))), (1.0, 1));
    }

    #[test]
    fn selecting_more_than_choose_earns_nothing() {
        assert_eq!(
            earned(&multiple(), Response::Multiple(ids(&["a", "b", "c"]))),
            (0.0, 0)
        );
    }

    #[test]
    fn yes_no_series_scores_each_answered_statement() {
        let q = yes_no();
        let r = Response::YesNoSeries(yn(&[("s1", YesNo::Yes), ("s2", YesNo::Yes)]));
        assert_eq!(earned(&q, r), (1.0, 1));
        let r = Response::YesNoSeries(yn(&[
            ("s1", YesNo::Yes),
            ("s2", YesNo::No),
            ("s3", YesNo::Yes),
        ]));
        assert_eq!(earned(&q, r), (3.0, 3));
    }

    #[test]
    fn order_scores_each_position_against_the_key() {
        let q = order();
        assert_eq!(
            earned(&q, Response::Order(ids(&["a", "b", "c", "d"]))),
            (4.0, 4)
        );
        assert_eq!(
            earned(&q, Response::Order(ids(&["a", "c", "b", "d"]))),
            (2.0, 2)
        );
        // Shifted by one: no step is in its position.
        assert_eq!(
            earned(&q, Response::Order(ids(&["e", "a", "b", "c"]))),
            (0.0, 0)
        );
        assert_eq!(earned(&q, Response::Order(ids(&["a", "b"]))), (2.0, 2));
    }

    #[test]
    fn match_and_hot_area_score_each_slot() {
        assert_eq!(
            earned(
                &matching(false),
                Response::Match(map(&[("s1", "y"), ("s2", "x")]))
            ),
            (1.0, 1)
        );
        assert_eq!(
            earned(
                &matching(true),
                Response::Match(map(&[("s1", "y"), ("s2", "z")]))
            ),
            (2.0, 2)
        );
        assert_eq!(
            earned(
                &hot_area(),
                Response::HotArea(map(&[("vq", "a"), ("qt", "b")]))
            ),
            (1.0, 1)
        );
        assert_eq!(
            earned(&hot_area(), Response::HotArea(map(&[("qt", "c")]))),
            (1.0, 1)
        );
    }

    #[test]
    fn points_scale_partial_credit() {
        let mut q = order();
        q.common.points = Some(2);
        let s = score(&q, Some(&Response::Order(ids(&["a", "b", "d", "c"]))));
        assert_eq!(
            (s.earned, s.max, s.correct_elements, s.elements),
            (1.0, 2.0, 2, 4)
        );
    }

    #[test]
    fn all_or_nothing_needs_every_element() {
        let q = all_or_nothing(yes_no());
        let most = Response::YesNoSeries(yn(&[
            ("s1", YesNo::Yes),
            ("s2", YesNo::No),
            ("s3", YesNo::No),
        ]));
        let s = score(&q, Some(&most));
        assert_eq!((s.earned, s.correct_elements), (0.0, 2));
        let all = Response::key(&q);
        assert_eq!(score(&q, Some(&all)).earned, 3.0);
    }

    #[test]
    fn a_response_of_the_wrong_type_earns_nothing() {
        assert_eq!(earned(&single(), Response::Multiple(ids(&["a"]))), (0.0, 0));
    }

    #[test]
    fn the_key_earns_the_maximum_for_every_type() {
        for q in [
            single(),
            multiple(),
            yes_no(),
            order(),
            matching(false),
            hot_area(),
        ] {
            let s = score(&q, Some(&Response::key(&q)));
            assert_eq!(s.earned, s.max, "{}", q.body.type_name());
            assert_eq!(s.correct_elements, s.elements);
        }
    }

    mod properties {
        use super::*;
        use crate::bank::model::{Choice, HotSlot, Statement};
        use proptest::collection::{btree_map, vec};
        use proptest::prelude::*;
        use std::collections::BTreeMap;

        fn opts(prefix: &str, n: usize) -> Vec<Choice> {
            (0..n)
                .map(|i| Choice {
                    id: format!("{prefix}{i}"),
                    text: "t".into(),
                })
                .collect()
        }

        /// A question of any type with `n` options/statements/steps and a key derived from `seed`.
        fn build(kind: usize, n: usize, seed: usize, points: Option<u32>, aon: bool) -> Question {
            let k = 1 + seed % n;
            let body = match kind {
                0 => Body::Single {
                    options: opts("o", n),
                    answer: format!("o{}", seed % n),
                },
                1 => Body::Multiple {
                    choose: k as u32,
                    options: opts("o", n),
                    answer: (0..k).map(|i| format!("o{}", (i + seed) % n)).collect(),
                },
                2 => Body::YesNoSeries {
                    statements: (0..n)
                        .map(|i| Statement {
                            id: format!("s{i}"),
                            text: "t".into(),
                            answer: if (seed >> i) & 1 == 1 {
                                YesNo::Yes
                            } else {
                                YesNo::No
                            },
                        })
                        .collect(),
                },
                3 => Body::Order {
                    steps: opts("o", n),
                    answer: (0..k).map(|i| format!("o{}", (i + seed) % n)).collect(),
                },
                4 => Body::Match {
                    choices: opts("o", n),
                    slots: opts("s", k),
                    answer: (0..k)
                        .map(|i| (format!("s{i}"), format!("o{}", (i * seed) % n)))
                        .collect(),
                    reuse: true,
                },
                _ => Body::HotArea {
                    template: String::new(),
                    template_language: None,
                    slots: (0..k)
                        .map(|i| HotSlot {
                            id: format!("s{i}"),
                            options: opts("o", n),
                            answer: format!("o{}", (i + seed) % n),
                        })
                        .collect(),
                },
            };
            let mut q = crate::scoring::fixtures::question(body);
            q.common.points = points;
            if aon {
                q.common.scoring = ScoringRule::AllOrNothing;
            }
            q
        }

        fn arb_question() -> impl Strategy<Value = Question> {
            (
                0usize..6,
                1usize..7,
                0usize..1000,
                proptest::option::of(1u32..10),
                any::<bool>(),
            )
                .prop_map(|(kind, n, seed, points, aon)| build(kind, n, seed, points, aon))
        }

        fn arb_id() -> impl Strategy<Value = String> {
            prop_oneof![
                (0u8..8).prop_map(|i| format!("o{i}")),
                (0u8..8).prop_map(|i| format!("s{i}")),
                Just("zz".to_owned())
            ]
        }

        fn arb_response() -> impl Strategy<Value = Response> {
            let yes_no = prop_oneof![Just(YesNo::Yes), Just(YesNo::No)];
            prop_oneof![
                arb_id().prop_map(Response::Single),
                vec(arb_id(), 0..8).prop_map(Response::Multiple),
                btree_map(arb_id(), yes_no, 0..8).prop_map(Response::YesNoSeries),
                vec(arb_id(), 0..8).prop_map(Response::Order),
                btree_map(arb_id(), arb_id(), 0..8).prop_map(Response::Match),
                btree_map(arb_id(), arb_id(), 0..8)
                    .prop_map(|m: BTreeMap<_, _>| Response::HotArea(m)),
            ]
        }

        proptest! {
            #[test]
            fn earned_is_between_zero_and_max(q in arb_question(), r in arb_response()) {
                let s = score(&q, Some(&r));
                prop_assert!(s.earned >= 0.0 && s.earned <= s.max, "{s:?}");
                prop_assert!(s.correct_elements <= s.elements);
                prop_assert_eq!(s.max, f64::from(q.max_points()));
            }

            #[test]
            fn the_full_key_scores_the_maximum(q in arb_question()) {
                let key = Response::key(&q);
                prop_assert_eq!(validate(&q, &key), Ok(()));
                let s = score(&q, Some(&key));
                prop_assert_eq!(s.earned, s.max);
            }
        }
    }
}
