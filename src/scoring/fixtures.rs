//! Test builders: one small question of each type.

use crate::bank::model::{Body, Choice, Common, HotSlot, Question, ScoringRule, Statement, YesNo};
use std::collections::BTreeMap;

pub fn ids(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|x| (*x).to_owned()).collect()
}

pub fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

pub fn yn(pairs: &[(&str, YesNo)]) -> BTreeMap<String, YesNo> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

fn choices(xs: &[&str]) -> Vec<Choice> {
    xs.iter()
        .map(|x| Choice {
            id: (*x).to_owned(),
            text: format!("text {x}"),
        })
        .collect()
}

pub fn question(body: Body) -> Question {
    Question {
        common: Common {
            id: "q".into(),
            domain: Some("plan".into()),
            objective: "plan.secure".into(),
            stem: "stem".into(),
            explanation: "why".into(),
            references: vec!["https://learn.microsoft.com/".into()],
            scoring: ScoringRule::Partial,
            points: None,
            difficulty: None,
            tags: vec![],
            category: None,
            mentions: vec![],
            reviewed: None,
            outline: None,
        },
        body,
    }
}

pub fn all_or_nothing(mut q: Question) -> Question {
    q.common.scoring = ScoringRule::AllOrNothing;
    q
}

pub fn single() -> Question {
    question(Body::Single {
        options: choices(&["a", "b", "c", "d"]),
        answer: "a".into(),
    })
}

/// Choose 2 of a–e; the key is a and c.
pub fn multiple() -> Question {
    question(Body::Multiple {
        choose: 2,
        options: choices(&["a", "b", "c", "d", "e"]),
        answer: ids(&["a", "c"]),
    })
}

/// s1 yes, s2 no, s3 yes.
pub fn yes_no() -> Question {
    let st = |id: &str, answer| Statement {
        id: id.into(),
        text: "statement".into(),
        answer,
    };
    question(Body::YesNoSeries {
        statements: vec![
            st("s1", YesNo::Yes),
            st("s2", YesNo::No),
            st("s3", YesNo::Yes),
        ],
    })
}

/// Four of five steps: a, b, c, d (e is a distractor).
pub fn order() -> Question {
    question(Body::Order {
        steps: choices(&["a", "b", "c", "d", "e"]),
        answer: ids(&["a", "b", "c", "d"]),
    })
}

/// Choices x, y, z; slots s1 → y, s2 → z.
pub fn matching(reuse: bool) -> Question {
    question(Body::Match {
        choices: choices(&["x", "y", "z"]),
        slots: choices(&["s1", "s2"]),
        answer: map(&[("s1", "y"), ("s2", "z")]),
        reuse,
    })
}

/// Slot vq (a, b) → a; slot qt (a, b, c) → c.
pub fn hot_area() -> Question {
    question(Body::HotArea {
        template: "[[vq]] [[qt]]".into(),
        template_language: None,
        slots: vec![
            HotSlot {
                id: "vq".into(),
                options: choices(&["a", "b"]),
                answer: "a".into(),
            },
            HotSlot {
                id: "qt".into(),
                options: choices(&["a", "b", "c"]),
                answer: "c".into(),
            },
        ],
    })
}
