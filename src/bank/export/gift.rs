//! GIFT export, for Moodle: single and multiple choice, matching and ordering (Moodle's qtype_ordering
//! extension) are written so that our GIFT importer (and Moodle's) reads them back; yes/no series and hot areas
//! have no GIFT form and are left out with a note. Pure. docs/importing-text.md has the mapping.
//!
//! Every text is our Markdown, written with the `[markdown]` marker (Moodle reads it as Markdown too), GIFT's
//! special characters escaped and line breaks as `\n`, so that each question text stays on one line and blank
//! lines only separate questions.

use super::{Entry, Exported};
use crate::bank::import::markup::TextFormat;
use crate::bank::import::moodle_xml::is_moodle_grade;
use crate::bank::import::note;
use crate::bank::model::{Body, Choice, Question};
use std::fmt::Write as _;

/// Writes `entries` as a GIFT file; `file` names the export in notes (the pack's id). Categories are written
/// as `$CATEGORY:` lines, entries without one first (GIFT cannot go back to "no category").
pub fn write(file: &str, entries: &[Entry<'_>]) -> Exported {
    let mut out = Exported::default();
    let mut sorted: Vec<&Entry<'_>> = entries.iter().collect();
    sorted.sort_by_key(|e| e.category.is_some());
    let mut category: Option<&str> = None;
    for entry in sorted {
        let q = entry.question;
        let Some(answers) = answers(q) else {
            let why = match &q.body {
                Body::YesNoSeries { .. } => "GIFT has no yes/no series question".to_owned(),
                Body::Order { steps, answer } => format!(
                    "its answer orders {} of its {} steps, and a GIFT ordering question orders them all",
                    answer.len(),
                    steps.len()
                ),
                _ => "GIFT has no hot-area question (drop-downs in a text)".to_owned(),
            };
            out.notes.push(note(
                file,
                0,
                0,
                Some(&q.common.id),
                format!("the {} item was left out: {why}", q.body.type_name()),
            ));
            continue;
        };
        if entry.category != category {
            if let Some(c) = entry.category {
                let _ = writeln!(out.text, "$CATEGORY: {}\n", one_line(c));
            }
            category = entry.category;
        }
        let c = &q.common;
        let _ = writeln!(out.text, "// [id:{}]", marker_value(&c.id));
        for tag in &c.tags {
            let _ = writeln!(out.text, "// [tag:{}]", marker_value(tag));
        }
        for reference in &c.references {
            let _ = writeln!(out.text, "// [ref:{}]", marker_value(reference));
        }
        let _ = write!(
            out.text,
            "::{}::[markdown]{} {{\n{answers}",
            text(&c.id),
            text(&c.stem)
        );
        if !c.explanation.trim().is_empty() {
            let _ = writeln!(out.text, "####{}", text(&c.explanation));
        }
        out.text.push_str("}\n\n");
        if let Body::Multiple { answer, .. } = &q.body {
            let w = 100.0 / answer.len() as f64;
            if !is_moodle_grade(w) {
                out.notes.push(note(
                    file,
                    0,
                    0,
                    Some(&c.id),
                    format!(
                        "its {} correct options weigh {}% each, which Moodle does not offer as a grade: Moodle will refuse the question",
                        answer.len(),
                        weight(w)
                    ),
                ));
            }
        }
    }
    out
}

/// The answer lines of a question (each ending in a line break), or `None` when GIFT cannot express its type.
fn answers(q: &Question) -> Option<String> {
    let mut s = String::new();
    match &q.body {
        Body::Single { options, answer } => {
            for o in options {
                let mark = if o.id == *answer { '=' } else { '~' };
                let _ = writeln!(s, "{mark}{}", answer_text(&o.text));
            }
        }
        Body::Multiple {
            options, answer, ..
        } => {
            // Each correct option the same share of 100 %, each wrong one the same share taken off.
            let w = weight(100.0 / answer.len().max(1) as f64);
            for o in options {
                let sign = if answer.contains(&o.id) { "" } else { "-" };
                let _ = writeln!(s, "~%{sign}{w}%{}", answer_text(&o.text));
            }
        }
        Body::Order { steps, answer } if answer.len() < steps.len() => return None,
        Body::Order { steps, answer } => {
            // qtype_ordering: `>` then one item per line, in the right order.
            s.push_str(">\n");
            for id in answer {
                if let Some(step) = find(steps, id) {
                    let _ = writeln!(s, "{}", answer_text(&step.text));
                }
            }
        }
        Body::Match {
            choices,
            slots,
            answer,
            ..
        } => {
            for left in slots {
                if let Some(choice) = answer.get(&left.id).and_then(|c| find(choices, c)) {
                    let _ = writeln!(s, "={} -> {}", slot(&left.text), answer_text(&choice.text));
                }
            }
            // Choices no slot takes: distractors.
            for choice in choices {
                if !answer.values().any(|c| *c == choice.id) {
                    let _ = writeln!(s, "= -> {}", answer_text(&choice.text));
                }
            }
        }
        Body::YesNoSeries { .. } | Body::HotArea { .. } => return None,
    }
    Some(s)
}

fn find<'a>(choices: &'a [Choice], id: &str) -> Option<&'a Choice> {
    choices.iter().find(|c| c.id == id)
}

/// A weight in percent as Moodle writes it: at most five decimals, no trailing zeros (`33.33333`, `50`).
pub(crate) fn weight(w: f64) -> String {
    let s = format!("{w:.5}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Markdown as GIFT text: `~ = # { } : \` escaped, line breaks written `\n`.
fn text(md: &str) -> String {
    let md = md.trim();
    let mut out = String::with_capacity(md.len() + md.len() / 8);
    for c in md.chars() {
        match c {
            '~' | '=' | '#' | '{' | '}' | ':' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\r' => {}
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out
}

/// An answer's text: [`text`], behind a `[markdown]` marker when it starts with `[`, `%` or `//` (which would
/// read as a format marker, a weight or, on a line of its own, a comment).
fn answer_text(md: &str) -> String {
    let t = text(md);
    if t.starts_with(['[', '%']) || t.starts_with("//") {
        format!("[markdown]{t}")
    } else {
        t
    }
}

/// The left side of a matching pair: [`answer_text`], with `->` written `-\\>` (GIFT's escaped backslash, then
/// `>`: Markdown's `\>`, which shows `>`) so that it does not split the pair.
fn slot(md: &str) -> String {
    answer_text(md).replace("->", "-\\\\>")
}

/// A value inside a `// [name:value]` comment: on one line, `]` and `\` escaped.
fn marker_value(s: &str) -> String {
    one_line(s).replace('\\', "\\\\").replace(']', "\\]")
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text format our GIFT files use for every text.
pub const TEXT_FORMAT: TextFormat = TextFormat::Markdown;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::import::imported_common;
    use crate::bank::model::Choice;

    fn choice(id: &str, text: &str) -> Choice {
        Choice {
            id: id.into(),
            text: text.into(),
        }
    }

    #[test]
    fn weights_escapes_ids_tags_and_categories_are_written() {
        let mut common =
            imported_common("q-1".into(), "Pick {two}: a\\\nb".into(), "Why #1".into());
        common.tags = vec!["a]b".into()];
        common.references = vec!["https://x.test/a".into()];
        let q = Question {
            common,
            body: Body::Multiple {
                choose: 2,
                options: vec![choice("a", "x = y"), choice("b", "%z"), choice("c", "w")],
                answer: vec!["a".into(), "c".into()],
            },
        };
        let out = write(
            "p",
            &[Entry {
                question: &q,
                category: Some("genai/genai.openai"),
            }],
        );
        assert_eq!(
            out.text,
            "$CATEGORY: genai/genai.openai\n\n// [id:q-1]\n// [tag:a\\]b]\n// [ref:https://x.test/a]\n::q-1::[markdown]Pick \\{two\\}\\: a\\\\\\nb {\n~%50%x \\= y\n~%-50%[markdown]%z\n~%50%w\n####Why \\#1\n}\n\n"
        );
        assert!(out.notes.is_empty());
        let back = crate::bank::import::gift::parse("p.gift", &out.text);
        assert!(back.problems.is_empty() && back.notes.is_empty());
        assert_eq!(back.items[0].question, q);
        assert_eq!(weight(100.0 / 3.0), "33.33333");
        assert_eq!(weight(50.0), "50");
    }
}
