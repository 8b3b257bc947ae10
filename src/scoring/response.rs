//! A candidate's response to one question, and the check that it fits the question it answers.

use crate::bank::model::{Body, Question, YesNo};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A candidate's answer to one question, one variant per question type.
///
/// JSON shape: `{"type": <question type>, "answer": <content>}`, where the content is
///
/// | type | content | example |
/// | --- | --- | --- |
/// | `single` | the chosen option id | `{"type":"single","answer":"a"}` |
/// | `multiple` | the chosen option ids | `{"type":"multiple","answer":["a","c"]}` |
/// | `yes_no_series` | statement id → `yes`/`no`; unanswered statements are absent | `{"type":"yes_no_series","answer":{"s1":"yes"}}` |
/// | `order` | step ids in the candidate's order | `{"type":"order","answer":["b","a","c"]}` |
/// | `match` | slot id → choice id | `{"type":"match","answer":{"s1":"y","s2":"z"}}` |
/// | `hot_area` | slot id → option id of that slot | `{"type":"hot_area","answer":{"vq":"a","qt":"c"}}` |
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "answer", rename_all = "snake_case")]
pub enum Response {
    Single(String),
    Multiple(Vec<String>),
    YesNoSeries(BTreeMap<String, YesNo>),
    Order(Vec<String>),
    Match(BTreeMap<String, String>),
    HotArea(BTreeMap<String, String>),
}

impl Response {
    /// The question type this response answers, as written in packs.
    pub fn type_name(&self) -> &'static str {
        match self {
            Response::Single(_) => "single",
            Response::Multiple(_) => "multiple",
            Response::YesNoSeries(_) => "yes_no_series",
            Response::Order(_) => "order",
            Response::Match(_) => "match",
            Response::HotArea(_) => "hot_area",
        }
    }

    /// The fully correct response to `question` (its answer key), e.g. to show after review or in tests.
    pub fn key(question: &Question) -> Response {
        match &question.body {
            Body::Single { answer, .. } => Response::Single(answer.clone()),
            Body::Multiple { answer, .. } => Response::Multiple(answer.clone()),
            Body::YesNoSeries { statements } => Response::YesNoSeries(
                statements
                    .iter()
                    .map(|s| (s.id.clone(), s.answer))
                    .collect(),
            ),
            Body::Order { answer, .. } => Response::Order(answer.clone()),
            Body::Match { answer, .. } => Response::Match(answer.clone()),
            Body::HotArea { slots, .. } => Response::HotArea(
                slots
                    .iter()
                    .map(|s| (s.id.clone(), s.answer.clone()))
                    .collect(),
            ),
        }
    }
}

/// Why a response does not fit its question. `field` is a path into the response's `answer`
/// (`answer`, `answer[2]`, `answer.s1`), so a client can point at the offending part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    #[error("a `{got}` response cannot answer a `{expected}` question")]
    WrongType {
        expected: &'static str,
        got: &'static str,
    },
    #[error("`{id}` in `{field}` is not one of this question's {kind}s")]
    UnknownId {
        kind: &'static str,
        id: String,
        field: String,
    },
    #[error("{kind} `{id}` is given more than once (again in `{field}`)")]
    Duplicate {
        kind: &'static str,
        id: String,
        field: String,
    },
    #[error("{got} {kind}s given where at most {limit} may be")]
    TooMany {
        kind: &'static str,
        limit: usize,
        got: usize,
    },
    #[error("choice `{choice}` is placed in both `{first_slot}` and `{second_slot}`, but choices cannot be reused here")]
    ChoiceReused {
        choice: String,
        first_slot: String,
        second_slot: String,
    },
}

/// Checks that `response` answers `question`: the same type, only ids the question has, no id twice, at most
/// `choose` selections (multiple), at most as many steps as the answer has (order), and no choice in two
/// slots of a match without `reuse`. Partial responses (fewer selections, unanswered statements or slots)
/// are valid: they just earn less.
pub fn validate(question: &Question, response: &Response) -> Result<(), ResponseError> {
    match (&question.body, response) {
        (Body::Single { options, .. }, Response::Single(id)) => {
            known("option", options.iter().map(|o| &o.id), id, "answer".into())
        }
        (
            Body::Multiple {
                choose, options, ..
            },
            Response::Multiple(ids),
        ) => {
            let limit = *choose as usize;
            if ids.len() > limit {
                return Err(ResponseError::TooMany {
                    kind: "option",
                    limit,
                    got: ids.len(),
                });
            }
            distinct_known("option", options.iter().map(|o| &o.id), ids)
        }
        (Body::YesNoSeries { statements }, Response::YesNoSeries(marks)) => {
            marks.keys().try_for_each(|id| {
                known(
                    "statement",
                    statements.iter().map(|s| &s.id),
                    id,
                    "answer".into(),
                )
            })
        }
        (Body::Order { steps, answer }, Response::Order(ids)) => {
            if ids.len() > answer.len() {
                return Err(ResponseError::TooMany {
                    kind: "step",
                    limit: answer.len(),
                    got: ids.len(),
                });
            }
            distinct_known("step", steps.iter().map(|s| &s.id), ids)
        }
        (
            Body::Match {
                choices,
                slots,
                reuse,
                ..
            },
            Response::Match(placed),
        ) => {
            let mut used: BTreeMap<&str, &str> = BTreeMap::new();
            for (slot, choice) in placed {
                known("slot", slots.iter().map(|s| &s.id), slot, "answer".into())?;
                known(
                    "choice",
                    choices.iter().map(|c| &c.id),
                    choice,
                    format!("answer.{slot}"),
                )?;
                if let Some(first) = used.insert(choice, slot) {
                    if !reuse {
                        return Err(ResponseError::ChoiceReused {
                            choice: choice.clone(),
                            first_slot: first.to_owned(),
                            second_slot: slot.clone(),
                        });
                    }
                }
            }
            Ok(())
        }
        (Body::HotArea { slots, .. }, Response::HotArea(picked)) => {
            for (slot_id, option) in picked {
                let Some(slot) = slots.iter().find(|s| &s.id == slot_id) else {
                    return Err(ResponseError::UnknownId {
                        kind: "slot",
                        id: slot_id.clone(),
                        field: "answer".into(),
                    });
                };
                known(
                    "option",
                    slot.options.iter().map(|o| &o.id),
                    option,
                    format!("answer.{slot_id}"),
                )?;
            }
            Ok(())
        }
        (body, response) => Err(ResponseError::WrongType {
            expected: body.type_name(),
            got: response.type_name(),
        }),
    }
}

fn known<'a>(
    kind: &'static str,
    mut ids: impl Iterator<Item = &'a String>,
    id: &str,
    field: String,
) -> Result<(), ResponseError> {
    if ids.any(|known| known == id) {
        Ok(())
    } else {
        Err(ResponseError::UnknownId {
            kind,
            id: id.to_owned(),
            field,
        })
    }
}

fn distinct_known<'a>(
    kind: &'static str,
    ids: impl Iterator<Item = &'a String> + Clone,
    given: &[String],
) -> Result<(), ResponseError> {
    let mut seen = BTreeSet::new();
    for (i, id) in given.iter().enumerate() {
        let field = format!("answer[{i}]");
        known(kind, ids.clone(), id, field.clone())?;
        if !seen.insert(id) {
            return Err(ResponseError::Duplicate {
                kind,
                id: id.clone(),
                field,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::fixtures::*;

    #[test]
    fn response_json_is_type_and_answer() {
        let r: Response =
            serde_json::from_str(r#"{"type":"yes_no_series","answer":{"s1":"yes","s3":"no"}}"#)
                .unwrap();
        assert_eq!(
            r,
            Response::YesNoSeries(BTreeMap::from([
                ("s1".into(), YesNo::Yes),
                ("s3".into(), YesNo::No)
            ]))
        );
        let json =
            serde_json::to_string(&Response::Multiple(vec!["a".into(), "c".into()])).unwrap();
        assert_eq!(json, r#"{"type":"multiple","answer":["a","c"]}"#);
        let json = serde_json::to_string(&Response::HotArea(map(&[("vq", "a")]))).unwrap();
        assert_eq!(json, r#"{"type":"hot_area","answer":{"vq":"a"}}"#);
    }

    #[test]
    fn a_response_of_another_type_is_refused() {
        let err = validate(&single(), &Response::Multiple(vec!["a".into()])).unwrap_err();
        assert_eq!(
            err,
            ResponseError::WrongType {
                expected: "single",
                got: "multiple"
            }
        );
    }

    #[test]
    fn an_unknown_option_names_the_id_and_the_field() {
        let err = validate(
            &multiple(),
            &Response::Multiple(vec!["a".into(), "zz".into()]),
        )
        .unwrap_err();
        assert_eq!(
            err,
            ResponseError::UnknownId {
                kind: "option",
                id: "zz".into(),
                field: "answer[1]".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "`zz` in `answer[1]` is not one of this question's options"
        );
    }

    #[test]
    fn valid_responses_of_every_type_pass() {
        assert_eq!(validate(&single(), &Response::Single("b".into())), Ok(()));
        assert_eq!(
            validate(&multiple(), &Response::Multiple(vec!["d".into()])),
            Ok(())
        );
        assert_eq!(validate(&multiple(), &Response::Multiple(vec![])), Ok(()));
        assert_eq!(
            validate(&yes_no(), &Response::YesNoSeries(yn(&[("s2", YesNo::No)]))),
            Ok(())
        );
        assert_eq!(
            validate(&order(), &Response::Order(ids(&["e", "a"]))),
            Ok(())
        );
        assert_eq!(
            validate(&matching(false), &Response::Match(map(&[("s1", "x")]))),
            Ok(())
        );
        assert_eq!(
            validate(&hot_area(), &Response::HotArea(map(&[("qt", "c")]))),
            Ok(())
        );
    }

    #[test]
    fn more_selections_than_choose_are_refused() {
        let err = validate(&multiple(), &Response::Multiple(ids(&["a", "b", "c"]))).unwrap_err();
        assert_eq!(
            err,
            ResponseError::TooMany {
                kind: "option",
                limit: 2,
                got: 3
            }
        );
    }

    #[test]
    fn a_selection_twice_is_refused() {
        let err = validate(&multiple(), &Response::Multiple(ids(&["a", "a"]))).unwrap_err();
        assert!(
            matches!(err, ResponseError::Duplicate { ref id, ref field, .. } if id == "a" && field == "answer[1]")
        );
    }

    #[test]
    fn order_refuses_duplicates_and_more_steps_than_the_answer() {
        let dup = validate(&order(), &Response::Order(ids(&["a", "b", "a"]))).unwrap_err();
        assert!(matches!(dup, ResponseError::Duplicate { .. }));
        let long =
            validate(&order(), &Response::Order(ids(&["a", "b", "c", "d", "e"]))).unwrap_err();
        assert_eq!(
            long,
            ResponseError::TooMany {
                kind: "step",
                limit: 4,
                got: 5
            }
        );
    }

    #[test]
    fn unknown_statement_is_refused() {
        let err =
            validate(&yes_no(), &Response::YesNoSeries(yn(&[("s9", YesNo::No)]))).unwrap_err();
        assert!(matches!(
            err,
            ResponseError::UnknownId {
                kind: "statement",
                ..
            }
        ));
    }

    #[test]
    fn match_without_reuse_refuses_a_choice_in_two_slots() {
        let twice = Response::Match(map(&[("s1", "y"), ("s2", "y")]));
        let err = validate(&matching(false), &twice).unwrap_err();
        assert_eq!(
            err,
            ResponseError::ChoiceReused {
                choice: "y".into(),
                first_slot: "s1".into(),
                second_slot: "s2".into()
            }
        );
        assert_eq!(validate(&matching(true), &twice), Ok(()));
    }

    #[test]
    fn match_refuses_unknown_slot_and_choice() {
        let slot = validate(&matching(false), &Response::Match(map(&[("s7", "y")]))).unwrap_err();
        assert!(matches!(
            slot,
            ResponseError::UnknownId { kind: "slot", .. }
        ));
        let choice = validate(&matching(false), &Response::Match(map(&[("s1", "q")]))).unwrap_err();
        assert!(
            matches!(choice, ResponseError::UnknownId { kind: "choice", ref field, .. } if field == "answer.s1")
        );
    }

    #[test]
    fn hot_area_checks_options_of_the_named_slot() {
        // `c` is an option of `qt` but not of a slot that only has a and b.
        let err = validate(&hot_area(), &Response::HotArea(map(&[("vq", "c")]))).unwrap_err();
        assert_eq!(
            err,
            ResponseError::UnknownId {
                kind: "option",
                id: "c".into(),
                field: "answer.vq".into()
            }
        );
        let slot = validate(&hot_area(), &Response::HotArea(map(&[("nope", "a")]))).unwrap_err();
        assert!(matches!(
            slot,
            ResponseError::UnknownId { kind: "slot", .. }
        ));
    }
}
