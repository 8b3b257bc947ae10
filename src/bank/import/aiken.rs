//! Aiken (one-correct-answer plain-text format) read into our items: a question's text on its own line(s),
//! options `A)` or `A.`, then `ANSWER: B`. Pure.
//!
//! Also taken, because real files have them: `ANSWER: A, C` (several letters: a multiple-choice item),
//! a `Feedback:` line after the answer (the explanation), `NUMBERING:` lines (ignored), and the type lines of
//! the "extended Aiken" dialect (`multichoice` is read; `essay`, `truefalse`, `numerical`… are refused).
//! Text is plain ([`TextFormat::Plain`]): every character is shown as typed, line breaks kept. An
//! extended-Aiken `description` is skipped with a note.

use super::markup::{plain_to_markdown, TextFormat};
use super::text::{file_stem, preview};
use super::{
    choices, imported_common, note, option_id, problem, slug_id, unique_id, ImportReport, Imported,
    TakenIds,
};

/// The text format of Aiken files.
pub const TEXT_FORMAT: TextFormat = TextFormat::Plain;
use crate::bank::model::{Body, Question};

/// Type lines of the "extended Aiken" dialect and why each is refused (`None`: read as usual).
const TYPE_LINES: [(&str, Option<&str>); 11] = [
    ("multichoice", None),
    ("multiple choice", None),
    (
        "truefalse",
        Some("write it with options `A) True` and `B) False`"),
    ),
    (
        "essay",
        Some("the exam has no free-text items that a person grades"),
    ),
    (
        "shortanswer",
        Some("the exam has no typed-answer (fill-in) items"),
    ),
    ("numerical", Some("the exam has no numeric-entry items")),
    (
        "description",
        Some("it has no answers, so there is nothing to score"),
    ),
    ("cloze", Some("embedded answers are not an exam item type")),
    ("matching", Some("Aiken has no way to write the pairs")),
    (
        "order",
        Some("Aiken has no way to write an order; use our CSV `order` type"),
    ),
    (
        "category",
        Some("categories are chosen when importing, not in the file"),
    ),
];

/// Reads an Aiken file (`file` is the name used in problems; `text` is already decoded).
pub fn parse(file: &str, text: &str) -> ImportReport {
    parse_at_most(file, text, usize::MAX)
}

/// [`parse`], stopping at the question after the first `max` (see [`ImportReport::stopped_at`]).
pub fn parse_at_most(file: &str, text: &str, max: usize) -> ImportReport {
    let mut reader = Reader {
        max,
        file,
        stem: file_stem(file),
        report: ImportReport::default(),
        taken: TakenIds::default(),
        number: 0,
        pending: None,
        last: None,
        answered: false,
        skipping: None,
        feedback: Vec::new(),
    };
    for (i, raw) in text.lines().enumerate() {
        reader.line(i + 1, raw);
        if reader.report.stopped_at.is_some() {
            return reader.report;
        }
    }
    reader.finish();
    reader.report
}

/// A question being read: its text, then its options.
struct Pending {
    line: usize,
    number: usize,
    stem: Vec<String>,
    /// (letter, text)
    options: Vec<(char, String)>,
    /// A blank line came after the question's text or options.
    blank: bool,
}

impl Pending {
    fn name(&self) -> String {
        preview(self.stem.first().map_or("", String::as_str))
    }
}

/// An extended-Aiken block being skipped: its type, why, where it started, whether its question was named.
struct Skip {
    kind: String,
    why: &'static str,
    line: usize,
    named: bool,
}

struct Reader<'a> {
    file: &'a str,
    stem: &'a str,
    report: ImportReport,
    taken: TakenIds,
    number: usize,
    /// The most questions read; the next one stops the reader.
    max: usize,
    pending: Option<Pending>,
    /// The item just completed, which a `Feedback:` line explains.
    last: Option<usize>,
    /// An `ANSWER:` line closed the last question (taken or not): a `Feedback:` line belongs to it.
    answered: bool,
    skipping: Option<Skip>,
    /// The `Feedback:` lines of the item just completed, as written.
    feedback: Vec<String>,
}

/// `A) text`, `A. text` or `A)text`: the letter and the text.
fn option_line(t: &str) -> Option<(char, &str)> {
    let mut chars = t.chars();
    let letter = chars.next()?;
    let mark = chars.next()?;
    (letter.is_ascii_uppercase() && matches!(mark, ')' | '.')).then(|| (letter, t[2..].trim()))
}

/// The rest of `t` after a case-insensitive ASCII `prefix`.
fn after_prefix<'t>(t: &'t str, prefix: &str) -> Option<&'t str> {
    let head = t.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &t[prefix.len()..])
}

impl Reader<'_> {
    fn problem(&mut self, line: usize, column: usize, item: Option<&str>, message: String) {
        self.report
            .problems
            .push(problem(self.file, line, column, item, message));
    }

    fn line(&mut self, n: usize, raw: &str) {
        let t = raw.trim();
        let column = raw.len() - raw.trim_start().len() + 1;
        let column = raw[..column - 1].chars().count() + 1;
        if t.is_empty() {
            if let Some(p) = &mut self.pending {
                p.blank = true;
            }
            if let Some(skip) = self.skipping.take().filter(|s| !s.named) {
                self.close_skip(skip, None);
            }
            return;
        }
        if let Some(skip) = &mut self.skipping {
            if !skip.named {
                skip.named = true;
                let skip = Skip {
                    kind: skip.kind.clone(),
                    line: skip.line,
                    why: skip.why,
                    named: true,
                };
                self.close_skip(skip, Some(t));
            }
            return;
        }
        if let Some(kind) = TYPE_LINES.iter().find(|(k, _)| t.eq_ignore_ascii_case(k)) {
            if self.pending.as_ref().is_none_or(|p| p.blank) {
                self.interrupt(n);
                self.last = None;
                self.answered = false;
                if let (name, Some(why)) = kind {
                    self.skipping = Some(Skip {
                        kind: (*name).to_owned(),
                        why,
                        line: n,
                        named: false,
                    });
                }
                return;
            }
        }
        if after_prefix(t, "NUMBERING:").is_some() && self.pending.is_some() {
            return;
        }
        if let Some((letter, text)) = option_line(t) {
            match &mut self.pending {
                Some(p) if !p.stem.is_empty() => p.options.push((letter, text.to_owned())),
                _ => self.problem(
                    n,
                    column,
                    None,
                    format!("Aiken option `{letter}{}` comes before any question: a question starts with its text on a line of its own", &t[1..2]),
                ),
            }
            return;
        }
        if let Some(value) = after_prefix(t, "ANSWER:") {
            return self.answer(n, column, value.trim());
        }
        let feedback = after_prefix(t, "Feedback:").or_else(|| after_prefix(t, "gfeed."));
        if let (Some(feedback), None, true) = (feedback, &self.pending, self.answered) {
            let Some(last) = self.last else { return };
            self.feedback.push(feedback.trim().to_owned());
            self.report.items[last].question.common.explanation =
                plain_to_markdown(&self.feedback.join("\n"));
            return;
        }
        // Question text: a new question, or more of the current one.
        match &mut self.pending {
            Some(p) if p.options.is_empty() && !p.blank => p.stem.push(t.to_owned()),
            _ => {
                self.interrupt(n);
                if self.number == self.max {
                    self.report.stopped_at = Some(n);
                    return;
                }
                self.number += 1;
                self.last = None;
                self.answered = false;
                self.pending = Some(Pending {
                    line: n,
                    number: self.number,
                    stem: vec![t.to_owned()],
                    options: Vec::new(),
                    blank: false,
                });
            }
        }
    }

    /// A new question (or type line) at line `n` while one is still open: the open one is incomplete.
    fn interrupt(&mut self, n: usize) {
        if let Some(p) = self.pending.take() {
            let id = slug_id(None, self.stem, p.number);
            self.problem(
                n,
                1,
                Some(&id),
                format!(
                    "Aiken question \"{}\" (line {}) is not completed before the next question starts: it needs options `A)`, `B)`… and an `ANSWER:` line",
                    p.name(),
                    p.line
                ),
            );
        }
    }

    fn close_skip(&mut self, skip: Skip, first_text: Option<&str>) {
        let name = first_text.map_or_else(|| "(no text)".to_owned(), preview);
        if skip.kind == "description" {
            self.report.notes.push(note(
                self.file,
                skip.line,
                1,
                None,
                format!(
                    "Aiken description \"{name}\" skipped: a description has no answers, so it is not a question"
                ),
            ));
            return;
        }
        self.problem(
            skip.line,
            1,
            None,
            format!(
                "Aiken `{}` question \"{name}\" is not supported: {}",
                skip.kind, skip.why
            ),
        );
    }

    fn answer(&mut self, n: usize, column: usize, value: &str) {
        self.last = None;
        self.answered = self.pending.is_some();
        let Some(p) = self.pending.take() else {
            return self.problem(
                n,
                column,
                None,
                "Aiken `ANSWER:` line comes before any question (or after the question's answer)"
                    .to_owned(),
            );
        };
        let id = slug_id(None, self.stem, p.number);
        let name = p.name();
        if p.options.len() < 2 {
            return self.problem(
                n,
                column,
                Some(&id),
                format!(
                    "Aiken question \"{name}\" needs at least 2 options; it has {}{}",
                    p.options.len(),
                    if p.options.is_empty() {
                        " (options are written `A)` or `A.`, one per line)"
                    } else {
                        ""
                    }
                ),
            );
        }
        let letters: Vec<&str> = value
            .split([',', ';', ' ', '\t'])
            .filter(|s| !s.is_empty())
            .collect();
        let mut answer = Vec::new();
        for l in &letters {
            let found = p
                .options
                .iter()
                .position(|(letter, _)| l.len() == 1 && l.starts_with(*letter));
            match found {
                Some(i) if !answer.contains(&i) => answer.push(i),
                Some(_) => {}
                None => {
                    let known: Vec<String> = p.options.iter().map(|(l, _)| l.to_string()).collect();
                    return self.problem(
                        n,
                        column,
                        Some(&id),
                        format!(
                            "Aiken question \"{name}\": the answer `{value}` names no option (its options are {})",
                            known.join(", ")
                        ),
                    );
                }
            }
        }
        if answer.is_empty() {
            return self.problem(
                n,
                column,
                Some(&id),
                format!("Aiken question \"{name}\": `ANSWER:` names no option"),
            );
        }
        let options = choices(
            p.options
                .into_iter()
                .map(|(_, text)| plain_to_markdown(&text)),
        );
        let body = if let [one] = answer.as_slice() {
            Body::Single {
                options,
                answer: option_id(*one),
            }
        } else {
            answer.sort_unstable();
            Body::Multiple {
                choose: u32::try_from(answer.len()).unwrap_or(u32::MAX),
                options,
                answer: answer.into_iter().map(option_id).collect(),
            }
        };
        let id = unique_id(id, &mut self.taken);
        let common = imported_common(id, plain_to_markdown(&p.stem.join("\n")), String::new());
        self.last = Some(self.report.items.len());
        self.feedback.clear();
        self.report.items.push(Imported {
            question: Question { common, body },
            category: None,
            line: p.line,
        });
    }

    fn finish(&mut self) {
        if let Some(skip) = self.skipping.take().filter(|s| !s.named) {
            self.close_skip(skip, None);
        }
        if let Some(p) = self.pending.take() {
            let id = slug_id(None, self.stem, p.number);
            let message = format!(
                "Aiken question \"{}\" is not completed: the file ends before its options and `ANSWER:` line",
                p.name()
            );
            self.problem(p.line, 1, Some(&id), message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_question_with_options_and_an_answer_is_a_single_choice() {
        let r = parse(
            "bank.txt",
            "Which service detects faces?\r\nA) Azure AI Face\r\nB. Azure AI Translator\r\nANSWER: A\r\nFeedback: Face detects & analyses faces.",
        );
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let q = &r.items[0].question;
        assert_eq!(q.common.id, "bank-1");
        assert_eq!(q.common.explanation, "Face detects & analyses faces.");
        let Body::Single { options, answer } = &q.body else {
            panic!()
        };
        assert_eq!(options[1].text, "Azure AI Translator");
        assert_eq!(answer, "a");
    }

    #[test]
    fn several_letters_make_a_multiple_choice() {
        let r = parse(
            "b.txt",
            "Pick two <regions>:\nA) East\nB) West\nC) Mars\nANSWER: B, A\n",
        );
        let Body::Multiple { choose, answer, .. } = &r.items[0].question.body else {
            panic!()
        };
        assert_eq!(
            (*choose, answer.as_slice()),
            (2, &["a".to_owned(), "b".to_owned()][..])
        );
        assert_eq!(r.items[0].question.common.stem, "Pick two \\<regions>:");
    }

    #[test]
    fn an_answer_or_option_without_a_question_is_located() {
        let r = parse(
            "b.txt",
            "A) Orphan\n\nANSWER: A\n\nGood?\nA) Yes\nB) No\nANSWER: A",
        );
        assert_eq!(r.items.len(), 1);
        let at: Vec<(usize, usize)> = r.problems.iter().map(|p| (p.line, p.column)).collect();
        assert_eq!(at, [(1, 1), (3, 1)]);
        assert!(r.problems[0].message.contains("before any question"));
        assert!(r.problems[1]
            .message
            .contains("`ANSWER:` line comes before any question"));
    }

    #[test]
    fn an_unfinished_question_is_reported_where_the_next_starts() {
        let r = parse(
            "b.txt",
            "Unfinished one\nA) x\nB) y\n\nNext one\nA) x\nB) y\nANSWER: B\nLast\nA) z",
        );
        assert_eq!(r.items.len(), 1);
        assert_eq!(r.problems[0].line, 5);
        assert!(r.problems[0]
            .message
            .contains("\"Unfinished one\" (line 1) is not completed"));
        assert_eq!(r.problems[1].line, 9);
        assert!(r.problems[1].message.contains("file ends"));
    }

    #[test]
    fn too_few_options_and_unknown_letters_are_refused() {
        let r = parse(
            "b.txt",
            "One option\nA) Only\nANSWER: A\n\nBad letter\nA) x\nB) y\nANSWER: E\n",
        );
        assert!(r.items.is_empty());
        assert!(r.problems[0]
            .message
            .contains("needs at least 2 options; it has 1"));
        assert_eq!(r.problems[1].line, 8);
        assert!(r.problems[1]
            .message
            .contains("names no option (its options are A, B)"));
    }

    #[test]
    fn extended_type_lines_are_read_or_refused() {
        let r = parse("b.txt", "multichoice\nQ?\nA) x\nB) y\nANSWER: A\n\nessay\nWrite about AI.\n\nQ2?\nA) x\nB) y\nANSWER: B");
        assert_eq!(r.items.len(), 2);
        assert_eq!(r.problems.len(), 1);
        assert_eq!(r.problems[0].line, 7);
        assert!(r.problems[0]
            .message
            .starts_with("Aiken `essay` question \"Write about AI.\" is not supported"));
    }
}
