//! View models: an item as a candidate sees it (no key), and as a reviewer sees it after the attempt (with key).

use super::markdown;
use crate::bank::model::{Body, CaseStudy, Choice, Question, YesNo};
use crate::exam::plan::Presentation;
use crate::scoring::Response;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use uuid::Uuid;

/// A question's texts as sanitised HTML, rendered once: exactly what a candidate sees while answering. It holds
/// the stem, the options, steps and match choices (with their plain text for `<option>` elements), the yes/no
/// statements and the match slots' labels, and never the key or the explanation (they are not read here).
#[derive(Debug)]
pub struct QuestionHtml {
    stem: String,
    /// Option, step and match-choice ids: (HTML, plain text).
    choices: HashMap<String, (String, String)>,
    /// Yes/no statement and match slot ids: HTML.
    labels: HashMap<String, String>,
}

impl QuestionHtml {
    pub fn new(q: &Question) -> QuestionHtml {
        let mut choices = HashMap::new();
        let mut labels = HashMap::new();
        let mut add_choices = |list: &[Choice]| {
            for c in list {
                let rendered = (markdown::inline(&c.text), markdown::plain(&c.text));
                choices.insert(c.id.clone(), rendered);
            }
        };
        match &q.body {
            Body::Single { options, .. } | Body::Multiple { options, .. } => add_choices(options),
            Body::Order { steps, .. } => add_choices(steps),
            Body::Match { choices, slots, .. } => {
                add_choices(choices);
                for s in slots {
                    labels.insert(s.id.clone(), markdown::inline(&s.text));
                }
            }
            Body::YesNoSeries { statements } => {
                for s in statements {
                    labels.insert(s.id.clone(), markdown::inline(&s.text));
                }
            }
            // A hot area's template and slot options are shown as written (escaped by the template).
            Body::HotArea { .. } => {}
        }
        QuestionHtml {
            stem: markdown::block(&q.common.stem),
            choices,
            labels,
        }
    }

    fn choice(&self, c: &Choice) -> (String, String) {
        self.choices
            .get(&c.id)
            .cloned()
            .unwrap_or_else(|| (markdown::inline(&c.text), markdown::plain(&c.text)))
    }

    fn label(&self, id: &str, text: &str) -> String {
        self.labels
            .get(id)
            .cloned()
            .unwrap_or_else(|| markdown::inline(text))
    }
}

/// One instance's rendered pages' parts, by revision: the questions ([`QuestionHtml`]) and the case studies
/// ([`CaseView`]). Only what a candidate sees while answering is kept; a revision never changes, so nothing here
/// goes stale, and a new revision (a new id) is rendered the first time a page needs it.
#[derive(Debug)]
pub struct PageCache {
    questions: crate::cache::Bounded<(Uuid, String), QuestionHtml>,
    cases: crate::cache::Bounded<Uuid, CaseView>,
}

impl Default for PageCache {
    fn default() -> Self {
        PageCache {
            questions: crate::cache::Bounded::new(20_000),
            cases: crate::cache::Bounded::new(2_000),
        }
    }
}

impl PageCache {
    /// The question `key` of revision `revision`, rendered once per instance.
    pub fn question(&self, revision: Uuid, key: &str, q: &Question) -> Arc<QuestionHtml> {
        self.questions
            .get_or_insert_with((revision, key.to_owned()), || QuestionHtml::new(q))
    }

    /// The case study of revision `revision`, rendered once per instance.
    pub fn case(&self, revision: Uuid, c: &CaseStudy) -> Arc<CaseView> {
        self.cases.get_or_insert_with(revision, || CaseView::new(c))
    }

    /// How many questions and case studies are held.
    pub fn sizes(&self) -> (usize, usize) {
        (self.questions.len(), self.cases.len())
    }
}

#[derive(Debug, Clone)]
pub struct OptionView {
    pub id: String,
    pub html: String,
    /// The same text without markup, for `<option>` elements.
    pub text: String,
    pub checked: bool,
}

#[derive(Debug, Clone)]
pub struct StatementView {
    pub id: String,
    pub html: String,
    pub answer: String,
    /// locked (answered), current (to answer now), later (not shown yet)
    pub state: &'static str,
}

#[derive(Debug, Clone)]
pub struct SlotView {
    pub id: String,
    pub html: String,
    pub selected: String,
    pub options: Vec<OptionView>,
}

#[derive(Debug, Clone)]
pub enum Segment {
    Text(String),
    Slot(SlotView),
}

impl Segment {
    pub fn text(&self) -> Option<&str> {
        match self {
            Segment::Text(t) => Some(t),
            Segment::Slot(_) => None,
        }
    }
    pub fn slot(&self) -> Option<&SlotView> {
        match self {
            Segment::Slot(s) => Some(s),
            Segment::Text(_) => None,
        }
    }
}

/// An item as the candidate sees it while answering: no key, no explanation.
#[derive(Debug, Clone)]
pub struct ItemView {
    pub kind: &'static str,
    pub stem_html: String,
    pub choose: u32,
    pub options: Vec<OptionView>,
    pub statements: Vec<StatementView>,
    /// Order: every step shown, and one select per position.
    pub positions: Vec<SlotView>,
    /// Match and hot area: one select per slot.
    pub slots: Vec<SlotView>,
    pub segments: Vec<Segment>,
    pub code: bool,
    pub reuse: bool,
}

fn choice_options(
    html: &QuestionHtml,
    choices: &[Choice],
    order: &[String],
    selected: &[&str],
) -> Vec<OptionView> {
    let by_id: BTreeMap<&str, &Choice> = choices.iter().map(|c| (c.id.as_str(), c)).collect();
    let ids: Vec<&str> = if order.len() == choices.len() {
        order.iter().map(String::as_str).collect()
    } else {
        choices.iter().map(|c| c.id.as_str()).collect()
    };
    ids.into_iter()
        .filter_map(|id| by_id.get(id))
        .map(|c| {
            let (html, text) = html.choice(c);
            OptionView {
                id: c.id.clone(),
                html,
                text,
                checked: selected.contains(&c.id.as_str()),
            }
        })
        .collect()
}

fn text_of(choices: &[Choice], id: &str) -> String {
    choices
        .iter()
        .find(|c| c.id == id)
        .map(|c| markdown::inline(&c.text))
        .unwrap_or_else(|| "—".into())
}

/// Splits a hot-area template into text and its slots' drop-downs.
pub fn segments(template: &str, slots: &[SlotView]) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("[[") {
        let Some(len) = rest[start + 2..].find("]]") else {
            break;
        };
        let name = &rest[start + 2..start + 2 + len];
        if let Some(slot) = slots.iter().find(|s| s.id == name) {
            out.push(Segment::Text(rest[..start].to_owned()));
            out.push(Segment::Slot(slot.clone()));
        } else {
            out.push(Segment::Text(rest[..start + 2 + len + 2].to_owned()));
        }
        rest = &rest[start + 2 + len + 2..];
    }
    out.push(Segment::Text(rest.to_owned()));
    out
}

impl ItemView {
    /// The view of `q` (whose texts `html` holds rendered) in the attempt's `presentation`, with `response`.
    pub fn new(
        q: &Question,
        html: &QuestionHtml,
        presentation: &Presentation,
        response: Option<&Response>,
    ) -> ItemView {
        let mut v = ItemView {
            kind: q.body.type_name(),
            stem_html: html.stem.clone(),
            choose: 1,
            options: vec![],
            statements: vec![],
            positions: vec![],
            slots: vec![],
            segments: vec![],
            code: false,
            reuse: false,
        };
        match &q.body {
            Body::Single { options, .. } => {
                let sel: Vec<&str> = match response {
                    Some(Response::Single(a)) => vec![a.as_str()],
                    _ => vec![],
                };
                v.options = choice_options(html, options, &presentation.order, &sel);
            }
            Body::Multiple {
                options, choose, ..
            } => {
                v.choose = *choose;
                let sel: Vec<&str> = match response {
                    Some(Response::Multiple(a)) => a.iter().map(String::as_str).collect(),
                    _ => vec![],
                };
                v.options = choice_options(html, options, &presentation.order, &sel);
            }
            Body::YesNoSeries { statements } => {
                let given = match response {
                    Some(Response::YesNoSeries(m)) => m.clone(),
                    _ => BTreeMap::new(),
                };
                let mut current_shown = false;
                for s in statements {
                    let answer = given.get(&s.id);
                    let state = match answer {
                        Some(_) => "locked",
                        None if !current_shown => {
                            current_shown = true;
                            "current"
                        }
                        None => "later",
                    };
                    v.statements.push(StatementView {
                        id: s.id.clone(),
                        html: html.label(&s.id, &s.text),
                        answer: match answer {
                            Some(YesNo::Yes) => "yes".into(),
                            Some(YesNo::No) => "no".into(),
                            None => String::new(),
                        },
                        state,
                    });
                }
            }
            Body::Order { steps, answer } => {
                let chosen: Vec<String> = match response {
                    Some(Response::Order(a)) => a.clone(),
                    _ => vec![],
                };
                v.options = choice_options(html, steps, &presentation.order, &[]);
                for n in 0..answer.len() {
                    v.positions.push(SlotView {
                        id: (n + 1).to_string(),
                        html: format!("Position {}", n + 1),
                        selected: chosen.get(n).cloned().unwrap_or_default(),
                        options: v.options.clone(),
                    });
                }
            }
            Body::Match {
                choices,
                slots,
                reuse,
                ..
            } => {
                v.reuse = *reuse;
                let given = match response {
                    Some(Response::Match(m)) => m.clone(),
                    _ => BTreeMap::new(),
                };
                v.options = choice_options(html, choices, &presentation.order, &[]);
                for s in slots {
                    v.slots.push(SlotView {
                        id: s.id.clone(),
                        html: html.label(&s.id, &s.text),
                        selected: given.get(&s.id).cloned().unwrap_or_default(),
                        options: v.options.clone(),
                    });
                }
            }
            Body::HotArea {
                template,
                template_language,
                slots,
            } => {
                v.code = template_language.is_some();
                let given = match response {
                    Some(Response::HotArea(m)) => m.clone(),
                    _ => BTreeMap::new(),
                };
                for s in slots {
                    v.slots.push(SlotView {
                        id: s.id.clone(),
                        html: s.id.clone(),
                        selected: given.get(&s.id).cloned().unwrap_or_default(),
                        options: s
                            .options
                            .iter()
                            .map(|o| OptionView {
                                id: o.id.clone(),
                                html: o.text.clone(),
                                text: o.text.clone(),
                                checked: false,
                            })
                            .collect(),
                    });
                }
                v.segments = segments(template, &v.slots);
            }
        }
        v
    }
}

/// A case study's scenario as shown beside its questions.
#[derive(Debug, Clone)]
pub struct CaseView {
    pub title: String,
    pub stem_html: String,
    pub documents: Vec<(String, String, String)>,
}

impl CaseView {
    pub fn new(c: &CaseStudy) -> CaseView {
        CaseView {
            title: c.title.clone(),
            stem_html: markdown::block(&c.stem),
            documents: c
                .documents
                .iter()
                .map(|d| (d.id.clone(), d.title.clone(), markdown::block(&d.body)))
                .collect(),
        }
    }
}

/// Human-readable lines of a response (or of the key) for the review after the attempt.
pub fn answer_lines(q: &Question, r: Option<&Response>) -> Vec<String> {
    let Some(r) = r else {
        return vec!["Not answered".into()];
    };
    match (&q.body, r) {
        (Body::Single { options, .. }, Response::Single(a)) => vec![text_of(options, a)],
        (Body::Multiple { options, .. }, Response::Multiple(a)) => {
            a.iter().map(|id| text_of(options, id)).collect()
        }
        (Body::YesNoSeries { statements }, Response::YesNoSeries(m)) => statements
            .iter()
            .map(|s| {
                let a = match m.get(&s.id) {
                    Some(YesNo::Yes) => "Yes",
                    Some(YesNo::No) => "No",
                    None => "—",
                };
                format!("{}: {a}", markdown::inline(&s.text))
            })
            .collect(),
        (Body::Order { steps, .. }, Response::Order(a)) => a
            .iter()
            .enumerate()
            .map(|(i, id)| format!("{}. {}", i + 1, text_of(steps, id)))
            .collect(),
        (Body::Match { choices, slots, .. }, Response::Match(m)) => slots
            .iter()
            .map(|s| {
                format!(
                    "{} → {}",
                    markdown::inline(&s.text),
                    m.get(&s.id)
                        .map(|c| text_of(choices, c))
                        .unwrap_or_else(|| "—".into())
                )
            })
            .collect(),
        (Body::HotArea { slots, .. }, Response::HotArea(m)) => slots
            .iter()
            .map(|s| {
                let chosen = m
                    .get(&s.id)
                    .map(|c| text_of(&s.options, c))
                    .unwrap_or_else(|| "—".into());
                format!("{}: {chosen}", s.id)
            })
            .collect(),
        _ => vec!["(answer does not fit this item)".into()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hot_area_templates_split_around_slots() {
        let slot = |id: &str| SlotView {
            id: id.into(),
            html: String::new(),
            selected: String::new(),
            options: vec![],
        };
        let segs = segments("a [[x]] b [[y]] c [[zz]]", &[slot("x"), slot("y")]);
        let slots: Vec<&str> = segs
            .iter()
            .filter_map(Segment::slot)
            .map(|s| s.id.as_str())
            .collect();
        assert_eq!(slots, vec!["x", "y"]);
        let text: String = segs.iter().filter_map(Segment::text).collect();
        assert_eq!(text, "a  b  c [[zz]]");
    }
}
