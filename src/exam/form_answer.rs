//! Reading a candidate's answer from a posted form (pure), so that every item type works without JavaScript.
//!
//! Field names: `choice` (single; repeated for multiple), `s:<statement>` = yes|no, `pos:<n>` = step id
//! (order, 1-based), `slot:<slot>` = choice or option id (match, hot area). Empty values mean "not answered".

use crate::bank::model::{Body, Question, YesNo};
use crate::scoring::Response;
use std::collections::BTreeMap;

/// The response the form carries for `question`, or `None` when nothing was answered.
/// Unknown ids are kept, so that `scoring::validate` can say exactly what is wrong.
pub fn response_from_form(
    question: &Question,
    pairs: &[(String, String)],
) -> Result<Option<Response>, String> {
    let values = |prefix: &str| -> Vec<(&str, &str)> {
        pairs
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(prefix).map(|rest| (rest, v.trim())))
            .filter(|(_, v)| !v.is_empty())
            .collect()
    };
    let response = match &question.body {
        Body::Single { .. } => {
            let chosen: Vec<&str> = pairs
                .iter()
                .filter(|(k, _)| k == "choice")
                .map(|(_, v)| v.trim())
                .filter(|v| !v.is_empty())
                .collect();
            match chosen.as_slice() {
                [] => None,
                [one] => Some(Response::Single((*one).to_owned())),
                _ => return Err("choose only one option".into()),
            }
        }
        Body::Multiple { .. } => {
            let chosen: Vec<String> = pairs
                .iter()
                .filter(|(k, v)| k == "choice" && !v.trim().is_empty())
                .map(|(_, v)| v.trim().to_owned())
                .collect();
            (!chosen.is_empty()).then_some(Response::Multiple(chosen))
        }
        Body::YesNoSeries { .. } => {
            let mut map = BTreeMap::new();
            for (id, v) in values("s:") {
                let yn = match v {
                    "yes" => YesNo::Yes,
                    "no" => YesNo::No,
                    other => {
                        return Err(format!(
                            "answer statement {id} with yes or no, not '{other}'"
                        ))
                    }
                };
                map.insert(id.to_owned(), yn);
            }
            (!map.is_empty()).then_some(Response::YesNoSeries(map))
        }
        Body::Order { .. } => {
            let mut positioned: Vec<(usize, String)> = Vec::new();
            for (n, v) in values("pos:") {
                let n: usize = n
                    .parse()
                    .map_err(|_| format!("'{n}' is not a position number"))?;
                positioned.push((n, v.to_owned()));
            }
            positioned.sort();
            // Positions must be filled from the first with no gap.
            for (i, (n, _)) in positioned.iter().enumerate() {
                if *n != i + 1 {
                    return Err(format!(
                        "fill the positions in order: position {} is empty",
                        i + 1
                    ));
                }
            }
            let steps: Vec<String> = positioned.into_iter().map(|(_, v)| v).collect();
            (!steps.is_empty()).then_some(Response::Order(steps))
        }
        Body::Match { .. } => {
            let map: BTreeMap<String, String> = values("slot:")
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            (!map.is_empty()).then_some(Response::Match(map))
        }
        Body::HotArea { .. } => {
            let map: BTreeMap<String, String> = values("slot:")
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            (!map.is_empty()).then_some(Response::HotArea(map))
        }
    };
    Ok(response)
}

/// The form fields that answer `q` with its key: what the item page posts when every control is set right
/// (the inverse of [`response_from_form`] for the key; the load and fault benchmarks send it).
pub fn key_fields(q: &Question) -> Vec<(String, String)> {
    match &q.body {
        Body::Single { answer, .. } => vec![("choice".into(), answer.clone())],
        Body::Multiple { answer, .. } => answer
            .iter()
            .map(|a| ("choice".into(), a.clone()))
            .collect(),
        Body::YesNoSeries { statements } => statements
            .iter()
            .map(|s| {
                let v = match s.answer {
                    YesNo::Yes => "yes",
                    YesNo::No => "no",
                };
                (format!("s:{}", s.id), v.into())
            })
            .collect(),
        Body::Order { answer, .. } => answer
            .iter()
            .enumerate()
            .map(|(i, step)| (format!("pos:{}", i + 1), step.clone()))
            .collect(),
        Body::Match { answer, .. } => answer
            .iter()
            .map(|(slot, choice)| (format!("slot:{slot}"), choice.clone()))
            .collect(),
        Body::HotArea { slots, .. } => slots
            .iter()
            .map(|s| (format!("slot:{}", s.id), s.answer.clone()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::fixtures;

    #[test]
    fn the_key_fields_read_back_as_the_key() {
        for q in [
            fixtures::single(),
            fixtures::multiple(),
            fixtures::yes_no(),
            fixtures::order(),
            fixtures::matching(false),
            fixtures::hot_area(),
        ] {
            assert_eq!(
                response_from_form(&q, &key_fields(&q)).unwrap(),
                Some(Response::key(&q)),
                "{}",
                q.body.type_name()
            );
        }
    }

    fn pairs(xs: &[(&str, &str)]) -> Vec<(String, String)> {
        xs.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn every_type_reads_from_plain_form_fields() {
        let r = response_from_form(&fixtures::single(), &pairs(&[("choice", "b")])).unwrap();
        assert_eq!(r, Some(Response::Single("b".into())));
        let r = response_from_form(
            &fixtures::multiple(),
            &pairs(&[("choice", "a"), ("choice", "c")]),
        )
        .unwrap();
        assert_eq!(r, Some(Response::Multiple(vec!["a".into(), "c".into()])));
        let r = response_from_form(
            &fixtures::order(),
            &pairs(&[("pos:2", "a"), ("pos:1", "c")]),
        )
        .unwrap();
        assert_eq!(r, Some(Response::Order(vec!["c".into(), "a".into()])));
        let r = response_from_form(
            &fixtures::hot_area(),
            &pairs(&[("slot:x", "1"), ("slot:y", "")]),
        )
        .unwrap();
        assert_eq!(
            r,
            Some(Response::HotArea(BTreeMap::from([(
                "x".into(),
                "1".into()
            )])))
        );
    }

    #[test]
    fn nothing_chosen_is_no_answer_and_gaps_are_errors() {
        assert_eq!(
            response_from_form(&fixtures::single(), &pairs(&[("choice", "")])).unwrap(),
            None
        );
        assert!(response_from_form(&fixtures::order(), &pairs(&[("pos:2", "a")])).is_err());
        assert!(response_from_form(&fixtures::yes_no(), &pairs(&[("s:s1", "maybe")])).is_err());
    }
}
