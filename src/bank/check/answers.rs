//! Answers and keys per item type: the body of single, multiple, yes/no series, order, match and hot-area items.

use super::*;
use crate::bank::model::{Body, Common, Question};
use std::collections::{HashMap, HashSet};

/// The checks of each type's body.
pub(super) fn check_body(cx: &mut ItemCx<'_>, raw: &RawItem, kind: Kind) {
    match kind {
        Kind::Single | Kind::Multiple => check_choice_question(cx, raw, kind),
        Kind::YesNoSeries => {
            if let Some(statements) = &raw.statements {
                if statements.is_empty() {
                    cx.report(
                        &[key("statements")],
                        "a `yes_no_series` item needs at least one statement",
                    );
                }
                cx.unique_ids(
                    &[key("statements")],
                    "statement",
                    statements.iter().map(|s| s.id.as_str()),
                );
            }
        }
        Kind::Order => check_order(cx, raw),
        Kind::Match => check_match(cx, raw),
        Kind::HotArea => check_hot_area(cx, raw),
        Kind::CaseStudy => {}
    }
}

pub(super) fn check_choice_question(cx: &mut ItemCx<'_>, raw: &RawItem, kind: Kind) {
    let Some(options) = &raw.options else { return };
    if options.len() < 2 {
        cx.report(
            &[key("options")],
            format!(
                "a `{}` item needs at least 2 options; it has {}",
                kind.name(),
                options.len()
            ),
        );
    }
    cx.unique_ids(
        &[key("options")],
        "option",
        options.iter().map(|o| o.id.as_str()),
    );
    let ids: Vec<&str> = options.iter().map(|o| o.id.as_str()).collect();
    match &raw.answer {
        Some(Answer::One(a)) if !ids.contains(&a.as_str()) => {
            cx.report(
                &[key("answer")],
                format!("answer `{a}` names no option (options: {})", list(&ids)),
            );
        }
        Some(Answer::List(answers)) => {
            if answers.is_empty() {
                cx.report(&[key("answer")], "`answer` is empty");
            }
            let mut seen = HashSet::new();
            for (i, a) in answers.iter().enumerate() {
                if !ids.contains(&a.as_str()) {
                    cx.report(
                        &[key("answer"), ix(i)],
                        format!("answer `{a}` names no option (options: {})", list(&ids)),
                    );
                } else if !seen.insert(a.as_str()) {
                    cx.report(
                        &[key("answer"), ix(i)],
                        format!("answer `{a}` is listed twice"),
                    );
                }
            }
            if let Some(choose) = raw.choose {
                if usize::try_from(choose).ok() != Some(answers.len()) {
                    cx.report(
                        &[key("choose")],
                        format!(
                            "`choose` is {choose} but `answer` lists {} option(s)",
                            answers.len()
                        ),
                    );
                }
            }
        }
        _ => {}
    }
}

pub(super) fn check_order(cx: &mut ItemCx<'_>, raw: &RawItem) {
    let Some(steps) = &raw.steps else { return };
    cx.unique_ids(&[key("steps")], "step", steps.iter().map(|s| s.id.as_str()));
    let ids: Vec<&str> = steps.iter().map(|s| s.id.as_str()).collect();
    let Some(Answer::List(answer)) = &raw.answer else {
        return;
    };
    if answer.len() < 2 {
        cx.report(
            &[key("answer")],
            format!(
                "an `order` answer needs at least 2 steps; it has {}",
                answer.len()
            ),
        );
    }
    let mut seen = HashSet::new();
    for (i, a) in answer.iter().enumerate() {
        if !ids.contains(&a.as_str()) {
            cx.report(
                &[key("answer"), ix(i)],
                format!("answer `{a}` names no step (steps: {})", list(&ids)),
            );
        } else if !seen.insert(a.as_str()) {
            cx.report(
                &[key("answer"), ix(i)],
                format!("step `{a}` appears twice in the answer"),
            );
        }
    }
}

pub(super) fn check_match(cx: &mut ItemCx<'_>, raw: &RawItem) {
    if let Some(choices) = &raw.choices {
        if choices.is_empty() {
            cx.report(
                &[key("choices")],
                "a `match` item needs at least one choice",
            );
        }
        cx.unique_ids(
            &[key("choices")],
            "choice",
            choices.iter().map(|c| c.id.as_str()),
        );
    }
    let slots = match &raw.slots {
        Some(Slots::Match(slots)) => Some(slots),
        _ => None,
    };
    if let Some(slots) = slots {
        if slots.is_empty() {
            cx.report(&[key("slots")], "a `match` item needs at least one slot");
        }
        cx.unique_ids(&[key("slots")], "slot", slots.iter().map(|s| s.id.as_str()));
    }
    let Some(Answer::Map(answer)) = &raw.answer else {
        return;
    };
    let choice_ids: Option<Vec<&str>> = raw
        .choices
        .as_ref()
        .map(|c| c.iter().map(|c| c.id.as_str()).collect());
    let slot_ids: Option<Vec<&str>> = slots.map(|s| s.iter().map(|s| s.id.as_str()).collect());
    // Walk the answer in file order, so problems come out in line order.
    let mut ordered: Vec<(&String, &String)> = answer.iter().collect();
    ordered.sort_by_key(|(slot, _)| cx.node.locate(&[key("answer"), key(slot)]));
    let mut used: HashMap<&str, &str> = HashMap::new();
    for (slot, choice) in ordered {
        let at = [key("answer"), key(slot)];
        if let Some(ids) = &slot_ids {
            if !ids.contains(&slot.as_str()) {
                cx.report(
                    &at,
                    format!(
                        "answer names slot `{slot}`, which does not exist (slots: {})",
                        list(ids)
                    ),
                );
            }
        }
        if let Some(ids) = &choice_ids {
            if !ids.contains(&choice.as_str()) {
                cx.report(
                    &at,
                    format!("answer for slot `{slot}` names choice `{choice}`, which does not exist (choices: {})", list(ids)),
                );
                continue;
            }
        }
        if raw.reuse != Some(true) {
            if let Some(first) = used.get(choice.as_str()) {
                cx.report(
                    &at,
                    format!("choice `{choice}` is used for slots `{first}` and `{slot}`, but `reuse` is not true"),
                );
            } else {
                used.insert(choice, slot);
            }
        }
    }
    if let Some(ids) = &slot_ids {
        for id in ids {
            if !answer.contains_key(*id) {
                cx.report(
                    &[key("answer")],
                    format!("answer gives no choice for slot `{id}`"),
                );
            }
        }
    }
}

pub(super) fn check_hot_area(cx: &mut ItemCx<'_>, raw: &RawItem) {
    let Some(Slots::Hot(slots)) = &raw.slots else {
        return;
    };
    if slots.is_empty() {
        cx.report(&[key("slots")], "a `hot_area` item needs at least one slot");
    }
    cx.unique_ids(&[key("slots")], "slot", slots.iter().map(|s| s.id.as_str()));
    for (i, slot) in slots.iter().enumerate() {
        let base = [key("slots"), ix(i), key("options")];
        if slot.options.len() < 2 {
            cx.report(
                &base,
                format!(
                    "slot `{}` needs at least 2 options; it has {}",
                    slot.id,
                    slot.options.len()
                ),
            );
        }
        cx.unique_ids(&base, "option", slot.options.iter().map(|o| o.id.as_str()));
        let ids: Vec<&str> = slot.options.iter().map(|o| o.id.as_str()).collect();
        if !ids.contains(&slot.answer.as_str()) {
            cx.report(
                &[key("slots"), ix(i), key("answer")],
                format!(
                    "answer `{}` of slot `{}` names no option (options: {})",
                    slot.answer,
                    slot.id,
                    list(&ids)
                ),
            );
        }
    }
    let Some(template) = &raw.template else {
        return;
    };
    let slot_ids: Vec<&str> = slots.iter().map(|s| s.id.as_str()).collect();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (offset, name) in placeholders(template) {
        match slot_ids.iter().find(|s| **s == name) {
            Some(id) => {
                let n = counts.entry(id).or_insert(0);
                *n += 1;
                if *n == 2 {
                    cx.text_at(
                        &[key("template")],
                        offset,
                        format!("slot `{name}` appears more than once in the template"),
                    );
                }
            }
            None => cx.text_at(
                &[key("template")],
                offset,
                format!(
                    "placeholder `[[{name}]]` names no slot (slots: {})",
                    list(&slot_ids)
                ),
            ),
        }
    }
    for (i, id) in slot_ids.iter().enumerate() {
        if !counts.contains_key(id) {
            cx.report(
                &[key("slots"), ix(i), key("id")],
                format!(
                    "slot `{id}` does not appear in the template (write `[[{id}]]` where it goes)"
                ),
            );
        }
    }
}

/// The typed question, when every field it needs is present.
pub(super) fn typed_question(raw: RawItem, kind: Kind) -> Option<Question> {
    let body = match (kind, raw.answer, raw.slots) {
        (Kind::Single, Some(Answer::One(answer)), _) => Body::Single {
            options: raw.options?,
            answer,
        },
        (Kind::Multiple, Some(Answer::List(answer)), _) => Body::Multiple {
            choose: raw.choose?,
            options: raw.options?,
            answer,
        },
        (Kind::YesNoSeries, _, _) => Body::YesNoSeries {
            statements: raw.statements?,
        },
        (Kind::Order, Some(Answer::List(answer)), _) => Body::Order {
            steps: raw.steps?,
            answer,
        },
        (Kind::Match, Some(Answer::Map(answer)), Some(Slots::Match(slots))) => Body::Match {
            choices: raw.choices?,
            slots,
            answer,
            reuse: raw.reuse.unwrap_or(false),
        },
        (Kind::HotArea, _, Some(Slots::Hot(slots))) => Body::HotArea {
            template: raw.template?,
            template_language: raw.template_language,
            slots,
        },
        _ => return None,
    };
    Some(Question {
        common: Common {
            id: raw.id?,
            domain: raw.domain,
            objective: raw.objective?,
            stem: raw.stem?,
            explanation: raw.explanation?,
            references: raw.references?,
            scoring: raw.scoring.unwrap_or_default(),
            points: raw.points,
            difficulty: raw.difficulty,
            tags: raw.tags.unwrap_or_default(),
            category: raw.category,
            mentions: raw.mentions.unwrap_or_default(),
            reviewed: raw.reviewed,
            outline: raw.outline,
        },
        body,
    })
}
