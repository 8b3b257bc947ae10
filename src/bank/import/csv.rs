//! CSV (one row per question, for spreadsheet users) read into our items. Pure.
//!
//! Our header (docs/importing-text.md), columns in any order, names in any case:
//! `id,type,category,question,option_a,option_b,option_c,option_d,option_e,option_f,answer,explanation,reference`
//! where `question`, `option_a`, `option_b` and `answer` are required; `type` is `single`, `multiple` or
//! `order` (empty: `single` for one letter, `multiple` for several); `answer` is a letter (`B`), letters
//! separated by `;` (`A;C`), or for `order` all the letters in the right order (`C;A;B`).
//!
//! Three common third-party headers are read too: Moodle's qformat_csv (`questionname,questiontext,A,B,…,
//! Answer 1,Answer 2`, simple or extended), Kahoot exports (`,Question,Answer1,…,Time,Correct`) and the
//! question-generator template (`Quiz title,HTML of the question,Answer,"Options, separated by |",…`).
//!
//! Text formats (see [`super::markup`]): our header's cells are Markdown; Moodle's and the question
//! generator's are HTML; Kahoot's are plain text. A UTF-8 byte-order mark (spreadsheets write one) is dropped.

use super::markup::TextFormat;
use super::text::{file_stem, links, preview};
use super::{
    choices, imported_common, note, option_id, problem, slug_id, unique_id, ImportReport, Imported,
    TakenIds,
};
use crate::bank::model::{Body, Question};

/// Our columns, in the documented order.
pub const COLUMNS: [&str; 13] = [
    "id",
    "type",
    "category",
    "question",
    "option_a",
    "option_b",
    "option_c",
    "option_d",
    "option_e",
    "option_f",
    "answer",
    "explanation",
    "reference",
];

const REQUIRED: [&str; 4] = ["question", "option_a", "option_b", "answer"];

/// Which header a file has, with the column index of each field.
enum Dialect {
    Ours(Vec<Option<usize>>),
    Moodle {
        title: usize,
        text: usize,
        options: Vec<usize>,
        answers: Vec<usize>,
        /// The extended dialect's feedback columns: (column, name).
        feedback: Vec<(usize, &'static str)>,
        mark: Option<usize>,
    },
    Kahoot {
        text: usize,
        options: Vec<usize>,
        correct: usize,
    },
    Generator {
        quiz: usize,
        text: usize,
        answer: usize,
        options: usize,
        explanation: Option<usize>,
        kind: Option<usize>,
    },
}

/// A row in dialect-free form.
#[derive(Default)]
struct Row {
    title: Option<String>,
    kind: String,
    category: Option<String>,
    stem: String,
    options: Vec<String>,
    /// Letters (`A`) or, for Kahoot, 1-based numbers.
    answer: Vec<String>,
    numbered: bool,
    explanation: String,
    references: Vec<String>,
    /// What the row had that is left out.
    dropped: Vec<String>,
    /// Moodle's `defaultmark`, as written.
    mark: Option<String>,
}

impl Dialect {
    /// The text format of the dialect's cells.
    fn text_format(&self) -> TextFormat {
        match self {
            Dialect::Ours(_) => TextFormat::Markdown,
            Dialect::Moodle { .. } | Dialect::Generator { .. } => TextFormat::Html,
            Dialect::Kahoot { .. } => TextFormat::Plain,
        }
    }
}

/// Moodle's generic texts of the extended dialect's feedback columns, which say nothing about the question.
const MOODLE_GENERIC: [(&str, &str); 3] = [
    ("correctfeedback", "Your answer is correct."),
    (
        "partiallycorrectfeedback",
        "Your answer is partially correct.",
    ),
    ("incorrectfeedback", "Your answer is incorrect."),
];

/// Reads a CSV file (`file` is the name used in problems; `text` is already decoded).
pub fn parse(file: &str, text: &str) -> ImportReport {
    parse_at_most(file, text, usize::MAX)
}

/// [`parse`], stopping at the row after the first `max` questions or unreadable rows (see
/// [`ImportReport::stopped_at`]).
pub fn parse_at_most(file: &str, text: &str, max: usize) -> ImportReport {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut report = ImportReport::default();
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => {
            report.problems.push(unreadable(file, "header", &e));
            return report;
        }
        None => {
            report.problems.push(problem(
                file,
                1,
                1,
                None,
                format!(
                    "the CSV file is empty; it needs the header `{}`",
                    COLUMNS.join(",")
                ),
            ));
            return report;
        }
    };
    let names: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let dialect = match dialect(&names) {
        Ok(d) => d,
        Err(message) => {
            report.problems.push(problem(file, 1, 1, None, message));
            return report;
        }
    };
    let stem_name = file_stem(file);
    let format = dialect.text_format();
    let mut taken = TakenIds::default();
    let mut number = 0;
    let mut unreadable_rows = 0;
    for record in records {
        if number + unreadable_rows == max {
            let line = match &record {
                Ok(r) => r.position(),
                Err(e) => e.position(),
            };
            report.stopped_at = Some(line.map_or(1, |p| usize::try_from(p.line()).unwrap_or(1)));
            break;
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                report.problems.push(unreadable(file, "row", &e));
                unreadable_rows += 1;
                continue;
            }
        };
        let line = record
            .position()
            .map_or(1, |p| usize::try_from(p.line()).unwrap_or(1));
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        number += 1;
        let cell = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .unwrap_or("")
                .trim()
                .to_owned()
        };
        let mut row = read_row(&dialect, &cell);
        let found_links = links(&row.explanation);
        let name = row.title.clone().unwrap_or_else(|| preview(&row.stem));
        row.stem = format.to_markdown(&row.stem);
        row.explanation = format.to_markdown(&row.explanation);
        for o in &mut row.options {
            *o = format.to_markdown(o);
        }
        let id = slug_id(row.title.as_deref(), stem_name, number);
        match build(&row) {
            Ok(body) => {
                let id = unique_id(id, &mut taken);
                let points = body.elements();
                if let Some(mark) = row
                    .mark
                    .as_ref()
                    .filter(|m| m.parse::<f64>().ok() != Some(f64::from(points)))
                {
                    row.dropped.push(format!(
                        "the `defaultmark` {mark} was left out: the item is worth {points} point(s) here, one per correct element"
                    ));
                }
                for dropped in &row.dropped {
                    report.notes.push(note(
                        file,
                        line,
                        1,
                        Some(&id),
                        format!("CSV row {number} (question \"{name}\"): {dropped}"),
                    ));
                }
                let mut common = imported_common(id, row.stem.clone(), row.explanation.clone());
                common.references = row.references.clone();
                for link in found_links {
                    if !common.references.contains(&link) {
                        common.references.push(link);
                    }
                }
                report.items.push(Imported {
                    question: Question { common, body },
                    category: row.category.clone(),
                    line,
                });
            }
            Err(why) => {
                report.problems.push(problem(
                    file,
                    line,
                    1,
                    Some(&id),
                    format!("CSV row {number} (question \"{name}\") {why}"),
                ));
            }
        }
    }
    report
}

fn dialect(names: &[String]) -> Result<Dialect, String> {
    let at = |name: &str| names.iter().position(|n| n == name);
    if let (Some(title), Some(text)) = (at("questionname"), at("questiontext")) {
        let options = ('a'..='z').map_while(|c| at(&c.to_string())).collect();
        let answers = (1..=26).map_while(|k| at(&format!("answer {k}"))).collect();
        let feedback = MOODLE_GENERIC
            .iter()
            .filter_map(|(name, _)| at(name).map(|i| (i, *name)))
            .collect();
        return Ok(Dialect::Moodle {
            title,
            text,
            options,
            answers,
            feedback,
            mark: at("defaultmark"),
        });
    }
    if let (Some(text), Some(correct)) = (at("question"), at("correct")) {
        let options: Vec<usize> = (1..=26).map_while(|k| at(&format!("answer{k}"))).collect();
        if !options.is_empty() {
            return Ok(Dialect::Kahoot {
                text,
                options,
                correct,
            });
        }
    }
    if let (Some(quiz), Some(text), Some(answer), Some(options)) = (
        at("quiz title"),
        at("html of the question"),
        at("answer"),
        at("options, separated by |"),
    ) {
        return Ok(Dialect::Generator {
            quiz,
            text,
            answer,
            options,
            explanation: at("html of the explanation to the answer"),
            kind: at("question type"),
        });
    }
    let unknown: Vec<String> = names
        .iter()
        .filter(|n| !COLUMNS.contains(&n.as_str()))
        .map(|n| format!("`{n}`"))
        .collect();
    let missing: Vec<String> = REQUIRED
        .iter()
        .filter(|r| at(r).is_none())
        .map(|r| format!("`{r}`"))
        .collect();
    if unknown.is_empty() && missing.is_empty() {
        return Ok(Dialect::Ours(COLUMNS.iter().map(|c| at(c)).collect()));
    }
    let mut message = format!(
        "CSV header does not match: expected the columns {} (question, option_a, option_b and answer are required; Moodle qformat_csv, Kahoot and question-generator headers are also read)",
        COLUMNS.join(",")
    );
    if !unknown.is_empty() {
        message.push_str(&format!("; unknown: {}", unknown.join(", ")));
    }
    if !missing.is_empty() {
        message.push_str(&format!("; missing: {}", missing.join(", ")));
    }
    Err(message)
}

fn read_row(dialect: &Dialect, cell: &dyn Fn(Option<usize>) -> String) -> Row {
    let split = |s: String, seps: &[char]| -> Vec<String> {
        s.split(seps)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let nonempty = |s: String| (!s.is_empty()).then_some(s);
    match dialect {
        Dialect::Ours(cols) => {
            let c = |name: &str| {
                cell(
                    COLUMNS
                        .iter()
                        .position(|n| *n == name)
                        .and_then(|i| cols[i]),
                )
            };
            let mut options: Vec<String> = (0..6).map(|k| c(COLUMNS[4 + k])).collect();
            while options.last().is_some_and(String::is_empty) {
                options.pop();
            }
            Row {
                title: nonempty(c("id")),
                kind: c("type").to_lowercase(),
                category: nonempty(c("category")),
                stem: c("question"),
                options,
                answer: split(c("answer"), &[';', ',', '|', ' ']),
                numbered: false,
                explanation: c("explanation"),
                references: split(c("reference"), &[';', ' ', '\n']),
                dropped: Vec::new(),
                mark: None,
            }
        }
        Dialect::Moodle {
            title,
            text,
            options,
            answers,
            feedback,
            mark,
        } => {
            let mut options: Vec<String> = options.iter().map(|&i| cell(Some(i))).collect();
            while options.last().is_some_and(String::is_empty) {
                options.pop();
            }
            let mut dropped = Vec::new();
            for &(i, name) in feedback {
                let text = cell(Some(i));
                let generic = MOODLE_GENERIC.iter().any(|(n, t)| *n == name && *t == text);
                if !text.is_empty() && !generic {
                    dropped.push(format!(
                        "the `{name}` \"{}\" was left out: an item has one explanation, shown after the exam",
                        preview(&text)
                    ));
                }
            }
            Row {
                dropped,
                mark: Some(cell(*mark)).filter(|m| !m.is_empty()),
                title: nonempty(cell(Some(*title))),
                stem: cell(Some(*text)),
                options,
                answer: answers
                    .iter()
                    .map(|&i| cell(Some(i)))
                    .filter(|a| !a.is_empty())
                    .collect(),
                ..Row::default()
            }
        }
        Dialect::Kahoot {
            text,
            options,
            correct,
        } => {
            let mut options: Vec<String> = options.iter().map(|&i| cell(Some(i))).collect();
            while options.last().is_some_and(String::is_empty) {
                options.pop();
            }
            Row {
                stem: cell(Some(*text)),
                options,
                answer: split(cell(Some(*correct)), &[',', ';', ' ']),
                numbered: true,
                ..Row::default()
            }
        }
        Dialect::Generator {
            quiz,
            text,
            answer,
            options,
            explanation,
            kind,
        } => Row {
            category: nonempty(cell(Some(*quiz))),
            kind: cell(*kind).to_lowercase(),
            stem: cell(Some(*text)),
            options: split(cell(Some(*options)), &['|']),
            answer: split(cell(Some(*answer)), &['|', ';', ',']),
            explanation: cell(*explanation),
            ..Row::default()
        },
    }
}

/// The item's body, or why the row is refused (the text follows "CSV row N (question …) ").
fn build(row: &Row) -> Result<Body, String> {
    enum Kind {
        Auto,
        Single,
        Multiple,
        Order,
    }
    let kind = match row.kind.as_str() {
        "" | "mc" | "multichoice" | "choice" => Kind::Auto,
        "single" => Kind::Single,
        "multiple" => Kind::Multiple,
        "order" => Kind::Order,
        other => {
            return Err(format!(
                "has type `{other}`, which is not supported: the CSV import takes `single`, `multiple` and `order`"
            ))
        }
    };
    if row.stem.is_empty() {
        return Err("has no question text".into());
    }
    if let Some(gap) = row.options.iter().position(String::is_empty) {
        return Err(format!(
            "has an empty option {} before a filled one",
            letter(gap)
        ));
    }
    if row.options.len() < 2 {
        return Err(format!(
            "needs at least 2 options; it has {}",
            row.options.len()
        ));
    }
    let mut answer = Vec::new();
    for token in &row.answer {
        let index = if row.numbered {
            token.parse::<usize>().ok().and_then(|n| n.checked_sub(1))
        } else {
            let mut chars = token.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if c.is_ascii_alphabetic() => {
                    Some(usize::from(c.to_ascii_uppercase() as u8 - b'A'))
                }
                _ => None,
            }
        };
        match index {
            Some(i) if i < row.options.len() => {
                if answer.contains(&i) {
                    return Err(format!("lists the answer `{token}` twice"));
                }
                answer.push(i);
            }
            _ => {
                let names: Vec<String> = if row.numbered {
                    (1..=row.options.len()).map(|n| n.to_string()).collect()
                } else {
                    (0..row.options.len()).map(letter).collect()
                };
                return Err(format!(
                    "has the answer `{token}`, which names no option (its options are {})",
                    names.join(", ")
                ));
            }
        }
    }
    if answer.is_empty() {
        return Err("has no answer".into());
    }
    let options = choices(row.options.iter().cloned());
    let ids = |a: &[usize]| a.iter().map(|&i| option_id(i)).collect::<Vec<_>>();
    Ok(match kind {
        Kind::Order => {
            if answer.len() != row.options.len() {
                return Err(format!(
                    "is an `order` item: its answer must list all {} options in order; it lists {}",
                    row.options.len(),
                    answer.len()
                ));
            }
            Body::Order {
                steps: options,
                answer: ids(&answer),
            }
        }
        Kind::Single if answer.len() > 1 => {
            return Err(format!(
                "is a `single` item but its answer lists {} options",
                answer.len()
            ))
        }
        Kind::Single | Kind::Auto if answer.len() == 1 => Body::Single {
            options,
            answer: option_id(answer[0]),
        },
        Kind::Single | Kind::Auto | Kind::Multiple => {
            answer.sort_unstable();
            Body::Multiple {
                choose: u32::try_from(answer.len()).unwrap_or(u32::MAX),
                options,
                answer: ids(&answer),
            }
        }
    })
}

fn letter(i: usize) -> String {
    option_id(i).to_uppercase()
}

/// A header or row the csv reader could not read, at its line.
fn unreadable(file: &str, what: &str, e: &::csv::Error) -> crate::bank::Problem {
    let line = e
        .position()
        .map_or(1, |p| usize::try_from(p.line()).unwrap_or(1));
    problem(
        file,
        line,
        1,
        None,
        format!("CSV {what} cannot be read: {e}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "id,type,category,question,option_a,option_b,option_c,option_d,option_e,option_f,answer,explanation,reference\n";

    #[test]
    fn our_header_reads_single_multiple_and_order_rows() {
        let text = format!(
            "{HEADER}ocr-1,single,Vision,\"Which service reads text, printed or handwritten?\",Translator,Azure AI Vision Read,,,,,B,Read does OCR.,https://learn.microsoft.com/azure/ai-services/computer-vision/overview-ocr\n\
             ,multiple,,Pick two,A,B,C,,,,A;C,,\n\
             ,order,,Order them,Train,Create,Publish,,,,B;A;C,,\n"
        );
        let r = parse("bank.csv", &text);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.items.len(), 3);
        let first = &r.items[0];
        assert_eq!(first.question.common.id, "ocr-1");
        assert_eq!(first.category.as_deref(), Some("Vision"));
        assert_eq!(first.line, 2);
        assert_eq!(first.question.common.references.len(), 1);
        assert!(matches!(&first.question.body, Body::Single { answer, .. } if answer == "b"));
        assert!(
            matches!(&r.items[1].question.body, Body::Multiple { choose: 2, answer, .. } if answer == &["a", "c"])
        );
        assert!(
            matches!(&r.items[2].question.body, Body::Order { answer, .. } if answer == &["b", "a", "c"])
        );
        assert_eq!(r.items[1].question.common.id, "bank-2");
    }

    #[test]
    fn a_wrong_header_is_one_problem_naming_unknown_and_missing_columns() {
        let r = parse(
            "bank.csv",
            "question,option_a,options_b,answer,notes\nQ,a,b,A,x\n",
        );
        assert!(r.items.is_empty());
        assert_eq!(r.problems.len(), 1);
        let p = &r.problems[0];
        assert_eq!((p.line, p.column), (1, 1));
        assert!(
            p.message
                .contains("expected the columns id,type,category,question"),
            "{}",
            p.message
        );
        assert!(
            p.message
                .ends_with("; unknown: `options_b`, `notes`; missing: `option_b`"),
            "{}",
            p.message
        );
    }

    #[test]
    fn bad_rows_are_refused_at_their_line_and_the_rest_is_read() {
        let text = format!(
            "{HEADER},essay,,Explain RAG,,,,,,,,,\n,single,,\"Multi\nline?\",A,B,,,,,Z,,\n,,,Fine?,A,B,,,,,A,,\n"
        );
        let r = parse("bank.csv", &text);
        assert_eq!(r.items.len(), 1);
        assert_eq!(r.items[0].line, 5);
        assert_eq!(r.problems.len(), 2);
        assert_eq!(r.problems[0].line, 2);
        assert!(r.problems[0].message.contains(
            "CSV row 1 (question \"Explain RAG\") has type `essay`, which is not supported"
        ));
        assert_eq!(r.problems[1].line, 3);
        assert!(r.problems[1]
            .message
            .contains("answer `Z`, which names no option (its options are A, B)"));
    }

    #[test]
    fn moodle_feedback_and_marks_that_cannot_be_kept_are_noted_and_a_bom_is_dropped() {
        let r = parse(
            "m.csv",
            "\u{FEFF}questionname,questiontext,A,B,Answer 1,correctfeedback,incorrectfeedback,defaultmark\n\
             q1,One?,x,y,A,Your answer is correct.,See the docs.,1\n\
             q2,Two?,x,y,B,Your answer is correct.,Your answer is incorrect.,3\n",
        );
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let notes: Vec<String> = r.notes.iter().map(ToString::to_string).collect();
        assert_eq!(
            notes,
            [
                "m.csv:2:1: [q1] CSV row 1 (question \"q1\"): the `incorrectfeedback` \"See the docs.\" was left out: an item has one explanation, shown after the exam",
                "m.csv:3:1: [q2] CSV row 2 (question \"q2\"): the `defaultmark` 3 was left out: the item is worth 1 point(s) here, one per correct element",
            ]
        );
    }

    #[test]
    fn kahoot_numbers_its_correct_option_from_one() {
        let r = parse(
            "k.csv",
            ",Question,Answer1,Answer2,Answer3,Answer4,Time,Correct\n1,Q?,x,y,,,60,2\n",
        );
        assert!(
            matches!(&r.items[0].question.body, Body::Single { options, answer } if answer == "b" && options.len() == 2)
        );
    }
}
