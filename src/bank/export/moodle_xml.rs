//! Moodle XML export: single and multiple choice (`multichoice`), matching (`matching`) and ordering
//! (qtype_ordering's `ordering`) are written so that our Moodle XML importer (and Moodle) read them back; yes/no
//! series have no Moodle type, and hot areas (which Moodle's `gapselect` could hold, but which we neither write
//! nor import yet) are left out with a note. Pure. docs/importing-xml.md has the mapping.
//!
//! Texts are our Markdown, written with `format="markdown"` (Moodle renders it as Markdown too), except the
//! right-hand sides of matching pairs, which Moodle keeps as plain text: those are written as the text they
//! show, with a note when that loses formatting.

use super::{Entry, Exported};
use crate::bank::export::gift::weight;
use crate::bank::import::markup::{plain_to_markdown, TextFormat};
use crate::bank::import::moodle_xml::is_moodle_grade;
use crate::bank::import::note;
use crate::bank::import::qti::xml::escape;
use crate::bank::model::{Body, Choice, Question};
use std::fmt::Write as _;

/// The text format our Moodle XML files use for every text but matching answers.
pub const TEXT_FORMAT: TextFormat = TextFormat::Markdown;

/// Writes `entries` as a Moodle XML `<quiz>`; `file` names the export in notes (the pack's id). A category
/// question (`$course$/top/<category>`) precedes each run of entries of one category; entries without one
/// come first (a Moodle XML import files them in the category chosen when importing).
pub fn write(file: &str, entries: &[Entry<'_>]) -> Exported {
    let mut out = Exported {
        text: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<quiz>\n".to_owned(),
        notes: Vec::new(),
    };
    let mut sorted: Vec<&Entry<'_>> = entries.iter().collect();
    sorted.sort_by_key(|e| e.category.is_some());
    let mut category: Option<&str> = None;
    for entry in sorted {
        let q = entry.question;
        let c = &q.common;
        let mut notes = Vec::new();
        let Some((qtype, body)) = body(q, &mut notes) else {
            out.notes.push(note(
                file,
                0,
                0,
                Some(&c.id),
                match &q.body {
                    Body::YesNoSeries { .. } => "the yes_no_series item was left out: Moodle has no yes/no series question".to_owned(),
                    Body::Order { steps, answer } => format!(
                        "the order item was left out: its answer orders {} of its {} steps, which our importer cannot read back from an ordering question",
                        answer.len(),
                        steps.len()
                    ),
                    _ => "the hot_area item was left out: Moodle's gapselect (select missing words) could hold its drop-downs, but neither our exporter nor our importer reads that type yet".to_owned(),
                },
            ));
            continue;
        };
        for message in notes {
            out.notes.push(note(file, 0, 0, Some(&c.id), message));
        }
        if entry.category != category {
            if let Some(cat) = entry.category {
                let _ = write!(
                    out.text,
                    "  <question type=\"category\">\n    <category><text>$course$/top/{}</text></category>\n  </question>\n",
                    escape(cat.trim())
                );
            }
            category = entry.category;
        }
        let _ = write!(
            out.text,
            "  <question type=\"{qtype}\">\n    <name><text>{id}</text></name>\n    {stem}\n    {general}\n    <defaultgrade>{grade}</defaultgrade>\n    <idnumber>{id}</idnumber>\n{body}",
            id = escape(&c.id),
            stem = text("questiontext", &c.stem),
            general = text("generalfeedback", &c.explanation),
            grade = q.max_points(),
        );
        if !c.tags.is_empty() {
            out.text.push_str("    <tags>\n");
            for tag in &c.tags {
                let _ = writeln!(out.text, "      <tag><text>{}</text></tag>", escape(tag));
            }
            out.text.push_str("    </tags>\n");
        }
        out.text.push_str("  </question>\n");
    }
    out.text.push_str("</quiz>\n");
    out
}

/// `<name format="markdown"><text>…</text></name>`.
fn text(name: &str, md: &str) -> String {
    format!(
        "<{name} format=\"markdown\"><text>{}</text></{name}>",
        escape(md.trim())
    )
}

/// An `<answer>` with its fraction and Markdown text.
fn answer(fraction: &str, md: &str) -> String {
    format!(
        "    <answer fraction=\"{fraction}\" format=\"markdown\"><text>{}</text></answer>\n",
        escape(md.trim())
    )
}

/// The Moodle type and the type's elements of a question, or `None` when Moodle XML cannot express it.
fn body(q: &Question, notes: &mut Vec<String>) -> Option<(&'static str, String)> {
    let mut s = String::new();
    let qtype = match &q.body {
        Body::Single {
            options,
            answer: key,
        } => {
            s.push_str("    <single>true</single>\n    <shuffleanswers>true</shuffleanswers>\n");
            for o in options {
                s.push_str(&answer(if o.id == *key { "100" } else { "0" }, &o.text));
            }
            "multichoice"
        }
        Body::Multiple {
            options,
            answer: key,
            ..
        } => {
            // Each correct option the same share of 100 %, each wrong one the same share taken off.
            let w = 100.0 / key.len().max(1) as f64;
            if !is_moodle_grade(w) {
                notes.push(format!(
                    "its {} correct options weigh {}% each, which Moodle does not offer as a grade: Moodle will refuse the question",
                    key.len(),
                    weight(w)
                ));
            }
            let w = weight(w);
            s.push_str("    <single>false</single>\n    <shuffleanswers>true</shuffleanswers>\n");
            for o in options {
                let fraction = if key.contains(&o.id) {
                    w.clone()
                } else {
                    format!("-{w}")
                };
                s.push_str(&answer(&fraction, &o.text));
            }
            "multichoice"
        }
        Body::Order { steps, answer: key } if key.len() < steps.len() => return None,
        Body::Order { steps, answer: key } => {
            // qtype_ordering: each item's fraction is its place in the right order.
            s.push_str("    <layouttype>VERTICAL</layouttype>\n    <selecttype>ALL</selecttype>\n    <selectcount>0</selectcount>\n    <gradingtype>ABSOLUTE_POSITION</gradingtype>\n");
            for (place, id) in key.iter().enumerate() {
                if let Some(step) = find(steps, id) {
                    s.push_str(&answer(&(place + 1).to_string(), &step.text));
                }
            }
            "ordering"
        }
        Body::Match {
            choices,
            slots,
            answer: key,
            ..
        } => {
            s.push_str("    <shuffleanswers>true</shuffleanswers>\n");
            let mut pairs: Vec<(&str, &Choice)> = slots
                .iter()
                .filter_map(|slot| {
                    let choice = key.get(&slot.id).and_then(|c| find(choices, c))?;
                    Some((slot.text.as_str(), choice))
                })
                .collect();
            // Choices no slot takes: distractors, written as sub-questions without text.
            pairs.extend(
                choices
                    .iter()
                    .filter(|c| !key.values().any(|k| *k == c.id))
                    .map(|c| ("", c)),
            );
            for (slot, choice) in pairs {
                let plain = plain_text(&choice.text);
                if plain_to_markdown(&plain) != choice.text.trim() {
                    notes.push(format!(
                        "the choice \"{plain}\" is written as plain text (Moodle's matching answers have no formatting): its Markdown `{}` is not kept",
                        choice.text.trim()
                    ));
                }
                let _ = writeln!(
                    s,
                    "    <subquestion format=\"markdown\"><text>{}</text><answer><text>{}</text></answer></subquestion>",
                    escape(slot.trim()),
                    escape(&plain)
                );
            }
            "matching"
        }
        Body::YesNoSeries { .. } | Body::HotArea { .. } => return None,
    };
    Some((qtype, s))
}

fn find<'a>(choices: &'a [Choice], id: &str) -> Option<&'a Choice> {
    choices.iter().find(|c| c.id == id)
}

/// The text Markdown shows, without its formatting: text and code spans kept, raw HTML tags dropped, a hard
/// line break a line break, paragraphs separated by a blank line.
pub(crate) fn plain_text(md: &str) -> String {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut out = String::new();
    for event in Parser::new(md) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak => out.push(' '),
            Event::HardBreak => out.push('\n'),
            Event::End(TagEnd::Paragraph) => out.push_str("\n\n"),
            Event::Start(Tag::Item) if !out.is_empty() && !out.ends_with('\n') => out.push('\n'),
            _ => {}
        }
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_what_markdown_shows() {
        assert_eq!(plain_text("**Azure** `gpt-4o` \\*x"), "Azure gpt-4o *x");
        assert_eq!(plain_text("a\\\nb"), "a\nb");
    }
}
