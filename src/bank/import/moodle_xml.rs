//! Moodle XML importer: `<quiz>` files exported from Moodle (or tools that write its format) read into our
//! item model. Multiple choice, true/false, matching and ordering are taken; every other type is refused with
//! a located problem naming the question (a description is skipped with a note). Each text is read in the
//! format its `format` attribute names (`html`, `moodle_auto_format`, `plain_text`, `markdown`; without one,
//! the question text is Moodle auto-format and the rest takes the question text's format) and turned into
//! our Markdown (see [`super::markup`]); embedded files referenced as `@@PLUGINFILE@@/name` become `data:`
//! URIs. What a question has that we cannot keep (partial credit of a distractor, hints, combined feedback,
//! a default grade) is a located note. See docs/importing-xml.md.

use super::markup::TextFormat;
use super::qti::xml::{self, line_col, Element, Locator};
use super::text::{in_list_item, preview};
use super::{
    imported_common, note, option_id, problem, slug_id, unique_id, ImportReport, Imported, TakenIds,
};
use crate::bank::model::{Body, Choice, Question};
use std::collections::{BTreeMap, HashMap};

/// The format of a question text without a `format` attribute (Moodle's default); the question's other texts
/// take the question text's format unless they name their own.
pub const DEFAULT_TEXT_FORMAT: TextFormat = TextFormat::Moodle;

/// Largest embedded file turned into a `data:` URI (decoded size).
pub const MAX_EMBEDDED_BYTES: usize = 256 * 1024;

/// The grades Moodle accepts for an answer, in percent (`question_bank::fraction_options_full`); an import
/// with any other grade is refused by Moodle itself, and so by us.
const MOODLE_GRADES: [f64; 21] = [
    100.0, 90.0, 83.33333, 80.0, 75.0, 70.0, 66.66667, 60.0, 50.0, 40.0, 33.33333, 30.0, 25.0,
    20.0, 16.66667, 14.28571, 12.5, 11.11111, 10.0, 5.0, 0.0,
];

/// Reads a Moodle XML file. Broken XML is one problem located by line, column and XPath; each refused question
/// is a problem at its `<question>` (or the offending child) naming the question; the others are imported.
pub fn parse(file: &str, text: &str) -> ImportReport {
    parse_at_most(file, text, usize::MAX)
}

/// [`parse`], stopping at the question after the first `max` (see [`ImportReport::stopped_at`]). The XML is
/// still parsed whole (its size is bounded by `xml::MAX_BYTES`); the questions past `max` are not converted.
pub fn parse_at_most(file: &str, text: &str, max: usize) -> ImportReport {
    let mut report = ImportReport::default();
    let root = match xml::parse(text, false) {
        Ok(root) => root,
        Err(e) => {
            let (line, column) = line_col(text, e.offset);
            report
                .problems
                .push(problem(file, line, column, None, e.message));
            return report;
        }
    };
    if root.name != "quiz" {
        report.problems.push(problem(
            file,
            1,
            1,
            None,
            format!(
                "the root element is `<{}>`, not `<quiz>`: this is not a Moodle XML file",
                root.name
            ),
        ));
        return report;
    }
    let stem_name = file_stem(file);
    let mut category: Option<String> = None;
    let mut taken = TakenIds::default();
    let mut questions = 0;
    let locator = Locator::new(text);
    for (index, q) in root.children_named("question").enumerate() {
        let number = index + 1;
        let (line, column) = locator.line_col(q.offset);
        let qtype = q.attr("type").unwrap_or("");
        if qtype == "category" {
            category = q.child("category").map(text_of).map(|c| clean_category(&c));
            continue;
        }
        if questions == max {
            report.stopped_at = Some(line);
            break;
        }
        questions += 1;
        let name = q.child("name").map(text_of).filter(|n| !n.is_empty());
        let label = name.clone().unwrap_or_else(|| format!("question {number}"));
        if qtype == "description" {
            report.notes.push(note(
                file,
                line,
                column,
                None,
                format!("the description `{label}` was skipped: it is not a question (it has no answer)"),
            ));
            continue;
        }
        let files = embedded_files(q);
        let mut ctx = Ctx {
            files: &files,
            notes: Vec::new(),
            format: DEFAULT_TEXT_FORMAT,
        };
        match convert(q, qtype, &mut ctx) {
            Ok((body, stem, explanation)) => {
                let idnumber = q.child("idnumber").map(text_of).filter(|n| !n.is_empty());
                let id = match &idnumber {
                    Some(given) => {
                        let id = slug_id(Some(given), &stem_name, number);
                        if *given != id {
                            ctx.notes.push(format!(
                                "the idnumber `{given}` is written `{id}` (ids are lowercase letters, digits and `-`)"
                            ));
                        }
                        id
                    }
                    None => slug_id(name.as_deref(), &stem_name, number),
                };
                // Re-importing an edited file matches questions by their id (`<idnumber>`, else the name): two
                // questions of one file with the same name and no idnumber could not be told apart.
                let same_name = idnumber.is_none() && name.is_some() && taken.ids.contains(&id);
                let given = id.clone();
                let id = unique_id(id, &mut taken);
                if same_name {
                    report.same_title.push(problem(
                        file,
                        line,
                        column,
                        Some(&id),
                        format!(
                            "Moodle question `{label}` has the same name as an earlier question of this file: \
                             updating the pack matches questions by name, so it cannot tell them apart; rename it \
                             or give it an idnumber"
                        ),
                    ));
                    report.notes.push(note(
                        file,
                        line,
                        column,
                        Some(&id),
                        format!(
                            "Moodle question `{label}` has the same name as an earlier question of this file: it \
                             was imported as `{id}`, not `{given}`; rename it or give it an idnumber so that a \
                             re-import of an edited file matches it"
                        ),
                    ));
                }
                let mut common = imported_common(id.clone(), stem, explanation);
                common.tags = tags(q);
                ctx.notes.extend(dropped(q, body.elements()));
                for message in ctx.notes {
                    report.notes.push(note(
                        file,
                        line,
                        column,
                        Some(&id),
                        format!("question `{label}`: {message}"),
                    ));
                }
                report.items.push(Imported {
                    question: Question { common, body },
                    category: category.clone(),
                    line,
                });
            }
            Err(refusal) => {
                let (line, column) = match refusal.at {
                    Some(offset) => locator.line_col(offset),
                    None => (line, column),
                };
                let at = refusal.path.unwrap_or_else(|| q.path.clone());
                report.problems.push(problem(
                    file,
                    line,
                    column,
                    Some(&label),
                    format!("question `{label}` refused: {} (at {at})", refusal.reason),
                ));
            }
        }
    }
    report
}

struct Refusal {
    at: Option<usize>,
    path: Option<String>,
    reason: String,
}

fn refuse(reason: impl Into<String>) -> Refusal {
    Refusal {
        at: None,
        path: None,
        reason: reason.into(),
    }
}

fn refuse_at(e: &Element, reason: impl Into<String>) -> Refusal {
    Refusal {
        at: Some(e.offset),
        path: Some(e.path.clone()),
        reason: reason.into(),
    }
}

struct Ctx<'a> {
    files: &'a HashMap<String, String>,
    /// What the question keeps differently from its source.
    notes: Vec<String>,
    /// The question text's format, which its other texts take unless they name their own.
    format: TextFormat,
}

impl Ctx<'_> {
    /// An element's `<text>` with embedded files resolved, as written.
    fn raw(&mut self, e: Option<&Element>) -> String {
        let raw = e.map(text_of).unwrap_or_default();
        resolve_plugin_files(&raw, self.files, &mut self.notes)
    }

    /// An element's `<text>` as our Markdown, read in the format its `format` attribute names (else the
    /// question text's).
    fn md(&mut self, e: Option<&Element>) -> String {
        let Some(e) = e else {
            return String::new();
        };
        let format = self.format_of(e, self.format);
        let raw = self.raw(Some(e));
        format.to_markdown(&raw)
    }

    fn format_of(&mut self, e: &Element, default: TextFormat) -> TextFormat {
        match e.attr("format") {
            None => default,
            Some(name) => TextFormat::from_moodle(name).unwrap_or_else(|| {
                self.notes.push(format!(
                    "the text format `{name}` of `<{}>` is not one we know (html, moodle_auto_format, plain_text, markdown): it was read as {}",
                    e.name,
                    default.name()
                ));
                default
            }),
        }
    }
}

/// An answer of a multichoice/truefalse/ordering question.
struct Answer<'a> {
    element: &'a Element,
    fraction: f64,
    /// The answer's text as written (true/false answers are compared by it).
    raw: String,
    /// Its text as our Markdown.
    text: String,
    feedback: String,
}

fn answers<'a>(q: &'a Element, ctx: &mut Ctx<'_>) -> Result<Vec<Answer<'a>>, Refusal> {
    let mut out = Vec::new();
    for a in q.children_named("answer") {
        let raw = a.attr("fraction").unwrap_or("0").trim();
        let fraction: f64 = raw
            .parse()
            .map_err(|_| refuse_at(a, format!("the answer's grade `{raw}` is not a number")))?;
        let raw = text_of(a);
        let text = ctx.md(Some(a));
        let feedback = ctx.md(a.child("feedback"));
        out.push(Answer {
            element: a,
            fraction,
            raw,
            text,
            feedback,
        });
    }
    Ok(out)
}

/// Body, stem and explanation of a question, or why it is refused.
fn convert(q: &Element, qtype: &str, ctx: &mut Ctx<'_>) -> Result<(Body, String, String), Refusal> {
    if let Some(text) = q.child("questiontext") {
        ctx.format = ctx.format_of(text, DEFAULT_TEXT_FORMAT);
    }
    let stem = ctx.md(q.child("questiontext"));
    let general = ctx.md(q.child("generalfeedback"));
    let body_and_feedback = match qtype {
        "multichoice" => multichoice(q, ctx)?,
        "truefalse" => truefalse(q, ctx)?,
        "matching" => (matching(q, ctx)?, Vec::new()),
        "ordering" => (ordering(q, ctx)?, Vec::new()),
        "" => return Err(refuse("the `<question>` has no `type` attribute")),
        other => return Err(refuse(refused_type(other))),
    };
    let (body, feedback) = body_and_feedback;
    if stem.trim().is_empty() {
        return Err(refuse("the question text is empty"));
    }
    Ok((body, stem, explanation(&general, &feedback)))
}

/// Why a Moodle type has no counterpart in our item model.
fn refused_type(qtype: &str) -> String {
    match qtype {
        "essay" => "essay questions are graded by hand; our exams are scored automatically".into(),
        "numerical" | "calculated" | "calculatedsimple" | "calculatedmulti" => format!(
            "`{qtype}` questions take a typed number; our items only offer choices to pick from"
        ),
        "shortanswer" => {
            "short-answer questions take typed text; our items only offer choices to pick from".into()
        }
        "multianswer" | "cloze" => format!(
            "embedded-answer (Cloze, `{qtype}`) questions mix several sub-questions in one text; no type of \
             ours holds them"
        ),
        "description" => "a description is not a question (it has no answer)".into(),
        "random" | "randomsamatch" => {
            format!("`{qtype}` questions are drawn from a category at exam time; there is no question to import")
        }
        "ddwtos" | "gapselect" | "ddimageortext" | "ddmarker" => {
            format!("the drag-and-drop type `{qtype}` is not supported")
        }
        other => format!("the question type `{other}` is not supported"),
    }
}

/// True when `fraction` (in percent, either sign) is one of the grades Moodle accepts.
pub(crate) fn is_moodle_grade(fraction: f64) -> bool {
    MOODLE_GRADES
        .iter()
        .any(|g| (fraction.abs() - g).abs() < 0.0005)
}

fn nearest_grade(fraction: f64) -> f64 {
    MOODLE_GRADES
        .iter()
        .copied()
        .min_by(|a, b| {
            (fraction.abs() - a)
                .abs()
                .total_cmp(&(fraction.abs() - b).abs())
        })
        .unwrap_or(0.0)
        .copysign(fraction)
}

type Feedback = Vec<(String, bool, String)>;

fn multichoice(q: &Element, ctx: &mut Ctx<'_>) -> Result<(Body, Feedback), Refusal> {
    let answers = answers(q, ctx)?;
    if answers.len() < 2 {
        return Err(refuse(format!(
            "a multiple-choice question needs at least two answers; it has {}",
            answers.len()
        )));
    }
    for (i, a) in answers.iter().enumerate() {
        if !is_moodle_grade(a.fraction) {
            return Err(refuse_at(
                a.element,
                format!(
                    "answer {} has the grade {}%, which is not one of Moodle's grades (the nearest is {}%)",
                    i + 1,
                    a.fraction,
                    nearest_grade(a.fraction)
                ),
            ));
        }
    }
    let positive: Vec<usize> = (0..answers.len())
        .filter(|&i| answers[i].fraction > 0.0)
        .collect();
    let single = match q
        .child("single")
        .map(|s| s.text().trim().to_ascii_lowercase())
    {
        Some(s) if s == "true" || s == "1" => true,
        Some(s) if s == "false" || s == "0" => false,
        // Without `<single>`, the grades say: one positive answer is a single choice.
        _ => positive.len() <= 1,
    };
    let options: Vec<Choice> = answers
        .iter()
        .enumerate()
        .map(|(i, a)| Choice {
            id: option_id(i),
            text: a.text.trim().to_owned(),
        })
        .collect();
    let feedback = answers
        .iter()
        .enumerate()
        .map(|(i, a)| (option_id(i), a.fraction > 0.0, a.feedback.clone()))
        .collect();
    if single {
        let full: Vec<usize> = (0..answers.len())
            .filter(|&i| (answers[i].fraction - 100.0).abs() < 0.0005)
            .collect();
        match full.as_slice() {
            [one] => {
                for (i, a) in answers.iter().enumerate() {
                    if i != *one && a.fraction != 0.0 {
                        ctx.notes.push(format!(
                            "the {}% credit of answer {} \"{}\" was left out: a single-answer item scores only its correct option",
                            a.fraction,
                            option_id(i),
                            preview(&a.raw)
                        ));
                    }
                }
                Ok((
                    Body::Single {
                        options,
                        answer: option_id(*one),
                    },
                    feedback,
                ))
            }
            [] => Err(refuse("no answer is worth 100%")),
            more => Err(refuse(format!(
                "{} answers are worth 100% in a one-answer question",
                more.len()
            ))),
        }
    } else {
        if positive.is_empty() {
            return Err(refuse("no answer has a positive grade"));
        }
        Ok((
            Body::Multiple {
                choose: u32::try_from(positive.len()).unwrap_or(u32::MAX),
                options,
                answer: positive.iter().map(|&i| option_id(i)).collect(),
            },
            feedback,
        ))
    }
}

fn truefalse(q: &Element, ctx: &mut Ctx<'_>) -> Result<(Body, Feedback), Refusal> {
    let answers = answers(q, ctx)?;
    let correct = answers
        .iter()
        .find(|a| a.fraction > 0.0)
        .ok_or_else(|| refuse("neither true nor false is graded as right"))?;
    let says_true = match correct.raw.trim().to_ascii_lowercase().as_str() {
        "true" => true,
        "false" => false,
        other => {
            return Err(refuse_at(
                correct.element,
                format!("a true/false answer must read `true` or `false`, not `{other}`"),
            ))
        }
    };
    let options = vec![
        Choice {
            id: "a".into(),
            text: "True".into(),
        },
        Choice {
            id: "b".into(),
            text: "False".into(),
        },
    ];
    let feedback = answers
        .iter()
        .map(|a| {
            let id = if a.raw.trim().eq_ignore_ascii_case("true") {
                "a"
            } else {
                "b"
            };
            (id.to_owned(), a.fraction > 0.0, a.feedback.clone())
        })
        .collect();
    Ok((
        Body::Single {
            options,
            answer: if says_true { "a" } else { "b" }.into(),
        },
        feedback,
    ))
}

fn matching(q: &Element, ctx: &mut Ctx<'_>) -> Result<Body, Refusal> {
    let mut choices: Vec<Choice> = Vec::new();
    let mut slots = Vec::new();
    let mut answer = BTreeMap::new();
    let mut used = HashMap::new();
    for sub in q.children_named("subquestion") {
        let label = ctx.md(Some(sub));
        // The right side is plain text in Moodle (it is shown in a drop-down).
        let target = sub
            .child("answer")
            .map(text_of)
            .map(|t| TextFormat::Plain.to_markdown(&t))
            .unwrap_or_default();
        if target.is_empty() {
            return Err(refuse_at(sub, "a sub-question has no answer"));
        }
        let choice_id = match choices.iter().find(|c| c.text == target) {
            Some(c) => c.id.clone(),
            None => {
                let id = option_id(choices.len());
                choices.push(Choice {
                    id: id.clone(),
                    text: target,
                });
                id
            }
        };
        // A sub-question without text is an extra wrong answer (a distractor).
        if label.is_empty() {
            continue;
        }
        let slot_id = format!("s{}", slots.len() + 1);
        *used.entry(choice_id.clone()).or_insert(0) += 1;
        answer.insert(slot_id.clone(), choice_id);
        slots.push(Choice {
            id: slot_id,
            text: label,
        });
    }
    if slots.len() < 2 {
        return Err(refuse(
            "a matching question needs at least two sub-questions with text",
        ));
    }
    Ok(Body::Match {
        choices,
        slots,
        answer,
        reuse: used.values().any(|&n| n > 1),
    })
}

fn ordering(q: &Element, ctx: &mut Ctx<'_>) -> Result<Body, Refusal> {
    let answers = answers(q, ctx)?;
    if answers.len() < 2 {
        return Err(refuse("an ordering question needs at least two items"));
    }
    let steps: Vec<Choice> = answers
        .iter()
        .enumerate()
        .map(|(i, a)| Choice {
            id: option_id(i),
            text: a.text.trim().to_owned(),
        })
        .collect();
    // Moodle's ordering type stores each item's position as its `fraction`.
    let mut order: Vec<usize> = (0..answers.len()).collect();
    order.sort_by(|&a, &b| answers[a].fraction.total_cmp(&answers[b].fraction));
    Ok(Body::Order {
        steps,
        answer: order.into_iter().map(option_id).collect(),
    })
}

/// The explanation: the general feedback, then a list of why each option is right or wrong (from the
/// per-answer feedback, when there is any).
fn explanation(general: &str, feedback: &[(String, bool, String)]) -> String {
    let mut out = general.trim().to_owned();
    let lines: Vec<String> = feedback
        .iter()
        .filter(|(_, _, f)| !f.trim().is_empty())
        .map(|(id, right, f)| {
            let verdict = if *right { "right" } else { "wrong" };
            format!(
                "- **{}** is {verdict}: {}",
                id.to_ascii_uppercase(),
                in_list_item(f.trim())
            )
        })
        .collect();
    if !lines.is_empty() {
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(&lines.join("\n"));
    }
    out
}

/// What a question has that no item of ours holds, said in notes: hints, combined feedback other than Moodle's
/// generic texts, a default grade other than the points the item has here (one per correct element).
/// (Penalties, numbering and shuffling are about how Moodle shows and retries a question;
/// docs/importing-xml.md lists them as ignored.)
fn dropped(q: &Element, points: u32) -> Vec<String> {
    let mut out = Vec::new();
    let hints = q
        .children_named("hint")
        .filter(|h| !text_of(h).is_empty())
        .count();
    if hints > 0 {
        out.push(format!(
            "{hints} hint(s) were left out: an exam gives no hints"
        ));
    }
    for (name, generic) in [
        ("correctfeedback", "Your answer is correct."),
        (
            "partiallycorrectfeedback",
            "Your answer is partially correct.",
        ),
        ("incorrectfeedback", "Your answer is incorrect."),
    ] {
        let Some(text) = q.child(name).map(text_of) else {
            continue;
        };
        let shown = preview(&text);
        if !shown.is_empty() && shown != generic {
            out.push(format!(
                "the `<{name}>` \"{shown}\" was left out: an item has one explanation, shown after the exam"
            ));
        }
    }
    if let Some(grade) = q.child("defaultgrade").map(|g| g.text()) {
        if grade
            .trim()
            .parse::<f64>()
            .is_ok_and(|g| (g - f64::from(points)).abs() > 1e-9)
        {
            out.push(format!(
                "the default grade {} was left out: the item is worth {points} point(s) here, one per correct element",
                grade.trim()
            ));
        }
    }
    out
}

/// An element's `<text>` child's text, or its own text when it has none (some tools omit `<text>`), trimmed.
fn text_of(e: &Element) -> String {
    match e.child("text") {
        Some(t) => t.text().trim().to_owned(),
        None => e.text().trim().to_owned(),
    }
}

fn tags(q: &Element) -> Vec<String> {
    q.child("tags")
        .map(|t| {
            t.children_named("tag")
                .map(text_of)
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// `$course$/top/Azure AI/Vision` → `Azure AI/Vision`.
fn clean_category(c: &str) -> String {
    let mut rest = c.trim();
    if rest.starts_with('$') {
        if let Some(i) = rest[1..].find("$/") {
            rest = &rest[i + 3..];
        }
    }
    rest.strip_prefix("top/").unwrap_or(rest).to_owned()
}

fn file_stem(file: &str) -> String {
    std::path::Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "moodle".into())
}

/// The question's `<file encoding="base64" name="…">` elements: name → base64 text (whitespace removed).
fn embedded_files(q: &Element) -> HashMap<String, String> {
    let mut files = Vec::new();
    q.descendants("file", &mut files);
    files
        .into_iter()
        .filter(|f| f.attr("encoding").unwrap_or("base64") == "base64")
        .filter_map(|f| {
            let name = f.attr("name")?.to_owned();
            let data: String = f.text().chars().filter(|c| !c.is_whitespace()).collect();
            Some((name, data))
        })
        .collect()
}

fn mime_of(name: &str) -> &'static str {
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "webp" => "image/webp",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "wav" => "audio/wav",
        "mp4" => "video/mp4",
        _ => "application/octet-stream",
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Replaces `@@PLUGINFILE@@/name` with a `data:` URI of the embedded file of that name, when it is there and
/// small enough; otherwise leaves the reference and notes why.
fn resolve_plugin_files(
    html: &str,
    files: &HashMap<String, String>,
    notes: &mut Vec<String>,
) -> String {
    const MARK: &str = "@@PLUGINFILE@@/";
    if !html.contains(MARK) {
        return html.to_owned();
    }
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find(MARK) {
        out.push_str(&rest[..i]);
        let after = &rest[i + MARK.len()..];
        let end = after
            .find(|c: char| c == '"' || c == '\'' || c == ')' || c == '?' || c.is_whitespace())
            .unwrap_or(after.len());
        let raw_name = &after[..end];
        let name = percent_decode(raw_name);
        match files.get(&name) {
            Some(data) if data.len() / 4 * 3 <= MAX_EMBEDDED_BYTES => {
                out.push_str("data:");
                out.push_str(mime_of(&name));
                out.push_str(";base64,");
                out.push_str(data);
            }
            Some(data) => {
                notes.push(format!(
                    "the embedded file `{name}` is about {} KiB, over the {} KiB limit: it was left out",
                    data.len() / 4 * 3 / 1024,
                    MAX_EMBEDDED_BYTES / 1024
                ));
                out.push_str(MARK);
                out.push_str(raw_name);
            }
            None => {
                notes.push(format!(
                    "`{MARK}{raw_name}` names no file embedded in the question: the link will be broken"
                ));
                out.push_str(MARK);
                out.push_str(raw_name);
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<quiz>\n";

    fn quiz(body: &str) -> String {
        format!("{HEAD}{body}</quiz>\n")
    }

    #[test]
    fn a_single_answer_multichoice_becomes_single_with_its_category() {
        let text = quiz(
            r#"<question type="category"><category><text>$course$/top/Azure AI/Vision</text></category></question>
<question type="multichoice">
<name><text>OCR choice</text></name>
<questiontext format="html"><text><![CDATA[<p>Which API reads printed text?</p>]]></text></questiontext>
<generalfeedback><text>Read is the OCR API.</text></generalfeedback>
<single>true</single>
<answer fraction="100"><text>Read</text><feedback><text>It extracts text.</text></feedback></answer>
<answer fraction="0"><text>Face</text><feedback><text>It detects faces.</text></feedback></answer>
</question>
"#,
        );
        let report = parse("v.xml", &text);
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        let item = &report.items[0];
        assert_eq!(item.category.as_deref(), Some("Azure AI/Vision"));
        assert_eq!(item.line, 4);
        assert_eq!(item.question.common.id, "ocr-choice");
        assert_eq!(
            item.question.common.stem,
            "<p>Which API reads printed text?</p>"
        );
        assert_eq!(
            item.question.common.explanation,
            "Read is the OCR API.\n\n- **A** is right: It extracts text.\n- **B** is wrong: It detects faces."
        );
        let Body::Single { answer, options } = &item.question.body else {
            panic!("single")
        };
        assert_eq!((answer.as_str(), options.len()), ("a", 2));
    }

    #[test]
    fn multiple_answers_choose_the_positive_ones() {
        let text = quiz(
            r#"<question type="multichoice"><name><text>m</text></name><questiontext><text>Pick two</text></questiontext>
<single>false</single>
<answer fraction="50"><text>x</text></answer><answer fraction="-100"><text>y</text></answer><answer fraction="50"><text>z</text></answer>
</question>"#,
        );
        let report = parse("m.xml", &text);
        let Body::Multiple { choose, answer, .. } = &report.items[0].question.body else {
            panic!("multiple")
        };
        assert_eq!(
            (*choose, answer.clone()),
            (2, vec!["a".to_owned(), "c".to_owned()])
        );
    }

    #[test]
    fn a_grade_moodle_does_not_know_refuses_the_question_at_the_answer() {
        let text = quiz(
            r#"<question type="multichoice"><name><text>bad</text></name><questiontext><text>q</text></questiontext>
<single>false</single>
<answer fraction="33"><text>x</text></answer>
<answer fraction="66.66667"><text>y</text></answer>
</question>"#,
        );
        let report = parse("g.xml", &text);
        assert!(report.items.is_empty());
        let p = &report.problems[0];
        assert_eq!((p.line, p.item.as_deref()), (5, Some("bad")));
        assert!(p.message.contains("grade 33%"), "{}", p.message);
        assert!(
            p.message.contains("/quiz/question[1]/answer[1]"),
            "{}",
            p.message
        );
    }

    #[test]
    fn embedded_images_become_data_uris() {
        let text = quiz(
            r#"<question type="truefalse"><name><text>img</text></name>
<questiontext format="html"><text><![CDATA[<img src="@@PLUGINFILE@@/a%20b.png">]]></text>
<file name="a b.png" encoding="base64">iVBO
Rw==</file></questiontext>
<answer fraction="0"><text>true</text></answer><answer fraction="100"><text>false</text></answer>
</question>"#,
        );
        let report = parse("i.xml", &text);
        assert_eq!(
            report.items[0].question.common.stem,
            "<img src=\"data:image/png;base64,iVBORw==\">"
        );
        let Body::Single { answer, .. } = &report.items[0].question.body else {
            panic!("single")
        };
        assert_eq!(answer, "b");
    }

    #[test]
    fn broken_xml_is_one_located_problem() {
        let text = quiz("<question type=\"truefalse\">\n<name><text>x</name>\n</question>");
        let report = parse("b.xml", &text);
        assert_eq!(report.problems.len(), 1);
        let p = &report.problems[0];
        assert_eq!(p.line, 4);
        assert!(
            p.message.contains("/quiz/question[1]/name[1]/text[1]"),
            "{}",
            p.message
        );
    }

    #[test]
    fn what_cannot_be_kept_is_a_located_note_and_descriptions_are_skipped() {
        let text = quiz(
            r#"<question type="description"><name><text>Intro</text></name><questiontext><text>About Vision.</text></questiontext></question>
<question type="multichoice">
<name><text>Partial</text></name>
<idnumber>VIS 1</idnumber>
<questiontext format="plain_text"><text>Which *one*?</text></questiontext>
<defaultgrade>2.0000000</defaultgrade>
<correctfeedback format="html"><text>Your answer is correct.</text></correctfeedback>
<incorrectfeedback format="html"><text><![CDATA[<p>Read the OCR page.</p>]]></text></incorrectfeedback>
<single>true</single>
<answer fraction="100" format="wiki_like"><text>Read</text></answer>
<answer fraction="50"><text>Half</text></answer>
<hint format="html"><text>Think of text.</text></hint>
</question>
"#,
        );
        let report = parse("n.xml", &text);
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        let q = &report.items[0].question;
        assert_eq!(q.common.id, "vis-1");
        assert_eq!(q.common.stem, "Which \\*one\\*?");
        let notes: Vec<String> = report.notes.iter().map(ToString::to_string).collect();
        assert_eq!(notes.len(), 7, "{notes:#?}");
        assert!(notes[0].starts_with("n.xml:3:1: the description `Intro` was skipped"));
        for (note, part) in notes[1..].iter().zip([
            "the text format `wiki_like` of `<answer>` is not one we know",
            "the 50% credit of answer b \"Half\" was left out",
            "the idnumber `VIS 1` is written `vis-1`",
            "1 hint(s) were left out",
            "the `<incorrectfeedback>` \"Read the OCR page.\" was left out",
            "the default grade 2.0000000 was left out: the item is worth 1 point(s) here",
        ]) {
            assert!(
                note.starts_with("n.xml:4:1: [vis-1] question `Partial`: "),
                "{note}"
            );
            assert!(note.contains(part), "{note} lacks {part}");
        }
    }

    #[test]
    fn percent_decoding_keeps_plain_names() {
        assert_eq!(percent_decode("a%20b.png"), "a b.png");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
