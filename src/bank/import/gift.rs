//! GIFT (Moodle's plain-text question format) read into our items: multiple choice (one or several
//! correct answers, missing-word blanks), true/false, matching and the ordering extension; every other GIFT
//! type is refused with a located problem, and a description (text without answers) is skipped with a note.
//! Pure.
//!
//! The file is read line by line into blank-line separated blocks (comment lines `//` removed, except that
//! Moodle 4's `// [id:…]` and `// [tag:…]` give the next question its id and tags; `$CATEGORY:` lines switch
//! the category); each block is turned into characters that remember whether they were escaped
//! (`\~ \= \# \{ \} \: \\`, and `\n` for a line break) and where they stood, so the structure is found on
//! unescaped characters only and every problem points at a line and column. All work is linear in the size
//! of the file.
//!
//! Text is read in the format its marker names (`[plain]`, `[moodle]`, `[html]`, `[markdown]`); without one,
//! a question's text is Moodle auto-format (Moodle's default), and its answers and feedback take the
//! question's format (see [`super::markup`]).

use super::markup::TextFormat;
use super::text::{explanation, file_stem, links, one_line, preview, OptionFeedback};
use super::{
    choices, imported_common, note, option_id, problem, slug_id, unique_id, ImportReport, Imported,
    TakenIds,
};
use crate::bank::model::{Body, Choice, Question};
use std::collections::{BTreeMap, HashSet};

/// The format of a GIFT question's text without a marker (Moodle's default); its answers and feedback take
/// the question text's format unless they have a marker of their own.
pub const DEFAULT_TEXT_FORMAT: TextFormat = TextFormat::Moodle;

/// Reads a GIFT file (`file` is the name used in problems; `text` is already decoded).
pub fn parse(file: &str, text: &str) -> ImportReport {
    parse_at_most(file, text, usize::MAX)
}

/// [`parse`], stopping at the question after the first `max` (see [`ImportReport::stopped_at`]): a file far
/// over an upload's limit is refused without reading the rest of it.
pub fn parse_at_most(file: &str, text: &str, max: usize) -> ImportReport {
    let mut reader = Reader {
        max,
        file,
        stem: file_stem(file),
        report: ImportReport::default(),
        taken: TakenIds::default(),
        category: None,
        number: 0,
        meta: Meta::default(),
    };
    let mut block: Vec<(usize, &str)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(comment) = trimmed.strip_prefix("//") {
            reader.comment(i + 1, line.len() - trimmed.len() + 3, comment);
            continue;
        }
        if trimmed.is_empty() {
            reader.block(&block);
            block.clear();
            if reader.report.stopped_at.is_some() {
                return reader.report;
            }
            continue;
        }
        if block.is_empty() {
            if let Some(path) = trimmed.strip_prefix("$CATEGORY:") {
                let path = path.trim();
                reader.category = (!path.is_empty()).then(|| path.to_owned());
                continue;
            }
        }
        block.push((i + 1, line));
    }
    reader.block(&block);
    reader.report
}

/// A character of a question block: escaped or not, and where it stood (1-based).
#[derive(Debug, Clone, Copy)]
struct Unit {
    ch: char,
    escaped: bool,
    line: usize,
    column: usize,
}

impl Unit {
    /// True for an unescaped `c`.
    fn is(self, c: char) -> bool {
        self.ch == c && !self.escaped
    }
}

/// The characters of a block, escapes resolved; lines joined by `\n`.
fn units(block: &[(usize, &str)]) -> Vec<Unit> {
    let mut out = Vec::new();
    for (k, &(line, text)) in block.iter().enumerate() {
        if k > 0 {
            let prev = block[k - 1];
            out.push(Unit {
                ch: '\n',
                escaped: false,
                line: prev.0,
                column: prev.1.chars().count() + 1,
            });
        }
        let mut chars = text.chars().peekable();
        let mut column = 0;
        while let Some(c) = chars.next() {
            column += 1;
            let at = column;
            let mut unit = Unit {
                ch: c,
                escaped: false,
                line,
                column: at,
            };
            if c == '\\' {
                match chars.peek() {
                    Some(&n @ ('~' | '=' | '#' | '{' | '}' | ':' | '\\')) => {
                        unit = Unit {
                            ch: n,
                            escaped: true,
                            ..unit
                        };
                        chars.next();
                        column += 1;
                    }
                    Some('n') => {
                        unit = Unit {
                            ch: '\n',
                            escaped: true,
                            ..unit
                        };
                        chars.next();
                        column += 1;
                    }
                    _ => {}
                }
            }
            out.push(unit);
        }
    }
    out
}

fn string(units: &[Unit]) -> String {
    units.iter().map(|u| u.ch).collect()
}

fn find(units: &[Unit], from: usize, c: char) -> Option<usize> {
    units
        .get(from..)?
        .iter()
        .position(|u| u.is(c))
        .map(|p| p + from)
}

/// The position of an unescaped two-or-more character marker (`::`, `####`, `->`).
fn find_seq(units: &[Unit], from: usize, seq: &str) -> Option<usize> {
    let seq: Vec<char> = seq.chars().collect();
    (from..units.len().saturating_sub(seq.len() - 1))
        .find(|&i| seq.iter().enumerate().all(|(k, &c)| units[i + k].is(c)))
}

fn trim(units: &[Unit]) -> &[Unit] {
    let start = units
        .iter()
        .position(|u| !u.ch.is_whitespace() || u.escaped)
        .unwrap_or(units.len());
    let end = units
        .iter()
        .rposition(|u| !u.ch.is_whitespace() || u.escaped)
        .map_or(start, |p| p + 1);
    &units[start..end.max(start)]
}

/// A leading `[html]`, `[markdown]`, `[plain]` or `[moodle]` marker: the format it names and the text
/// after it (trimmed).
fn strip_format(units: &[Unit]) -> (Option<TextFormat>, &[Unit]) {
    let units = trim(units);
    for (marker, format) in [
        ("[html]", TextFormat::Html),
        ("[markdown]", TextFormat::Markdown),
        ("[plain]", TextFormat::Plain),
        ("[moodle]", TextFormat::Moodle),
    ] {
        let n = marker.chars().count();
        if units.len() >= n && marker.chars().zip(units).all(|(c, u)| u.is(c)) {
            return (Some(format), trim(&units[n..]));
        }
    }
    (None, units)
}

/// The text of `units` without its format marker, unconverted (for names in problems).
fn raw(units: &[Unit]) -> String {
    string(strip_format(units).1)
}

/// The text of `units` as our Markdown, read in its marker's format or else in `default`.
fn text(units: &[Unit], default: TextFormat) -> String {
    let (format, units) = strip_format(units);
    format.unwrap_or(default).to_markdown(&string(units))
}

/// Stands for the blank of a missing-word question while the stem is converted (a private-use character
/// no converter touches).
const BLANK: char = '\u{E000}';

/// What Moodle 4's comment lines said about the next question: `[id:…]`, `[tag:…]`, and unknown markers.
#[derive(Default)]
struct Meta {
    /// The id as written, and its line.
    id: Option<(String, usize)>,
    tags: Vec<String>,
    /// `[ref:…]`: references (our exporter writes them; Moodle ignores them).
    references: Vec<String>,
    /// `(line, column, marker)` of `[name:…]` markers we do not know.
    unknown: Vec<(usize, usize, String)>,
}

/// The `[name:value]` markers of a comment, `\]` standing for `]` in a value: `(column offset, name, value)`.
fn markers(comment: &str) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    let mut rest = comment;
    let mut offset = 0;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        if name_len == 0 || !after[name_len..].starts_with(':') {
            offset += open + 1;
            rest = after;
            continue;
        }
        let mut value = String::new();
        let mut chars = after[name_len + 1..].char_indices();
        let mut end = None;
        while let Some((k, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, n)) => value.push(n),
                    None => value.push(c),
                },
                ']' => {
                    end = Some(name_len + 1 + k + 1);
                    break;
                }
                _ => value.push(c),
            }
        }
        let Some(end) = end else {
            break;
        };
        out.push((
            offset + open,
            after[..name_len].to_owned(),
            value.trim().to_owned(),
        ));
        offset += open + 1 + end;
        rest = &after[end..];
    }
    out
}

/// What one block turned out to be.
enum Kind {
    Essay,
    Numerical,
    ShortAnswer,
}

impl Kind {
    fn refusal(&self) -> (&'static str, &'static str) {
        match self {
            Kind::Essay => (
                "essay",
                "the exam has no free-text items that a person grades",
            ),
            Kind::Numerical => ("numerical", "the exam has no numeric-entry items"),
            Kind::ShortAnswer => (
                "short-answer",
                "the exam has no typed-answer (fill-in) items; give it options with `~`",
            ),
        }
    }
}

/// An answer of a multiple-choice block.
struct McAnswer {
    text: String,
    feedback: String,
    /// `=` (without a weight) or `%100%`.
    full: bool,
    /// `=`: the answer was marked correct.
    equals: bool,
    weight: f64,
}

struct Reader<'a> {
    file: &'a str,
    stem: &'a str,
    report: ImportReport,
    taken: TakenIds,
    category: Option<String>,
    number: usize,
    /// The most questions read; the next one stops the reader.
    max: usize,
    /// What comments said about the next question.
    meta: Meta,
}

/// The parts of a question every type shares, found before its answers are read.
struct Head {
    line: usize,
    /// The question's first character, where refusals point.
    start: Option<Unit>,
    title: Option<String>,
    name: String,
    id: String,
    stem: String,
    /// The question text's format, which its answers and feedback take unless they name their own.
    format: TextFormat,
    tags: Vec<String>,
    references: Vec<String>,
}

impl Reader<'_> {
    fn problem(&mut self, at: Option<&Unit>, line: usize, item: Option<&str>, message: String) {
        let (line, column) = at.map_or((line, 1), |u| (u.line, u.column));
        self.report
            .problems
            .push(problem(self.file, line, column, item, message));
    }

    fn note(&mut self, at: Option<&Unit>, line: usize, item: Option<&str>, message: String) {
        let (line, column) = at.map_or((line, 1), |u| (u.line, u.column));
        self.report
            .notes
            .push(note(self.file, line, column, item, message));
    }

    /// A comment line (`comment` is what follows `//`, which ends at `column`): Moodle 4's `[id:…]` and
    /// `[tag:…]`, and our exporter's `[ref:…]`, are kept for the next question; other `[name:…]` markers are
    /// noted when that question is read.
    fn comment(&mut self, line: usize, column: usize, comment: &str) {
        for (at, name, value) in markers(comment) {
            let column = column + comment[..at].chars().count();
            match name.as_str() {
                "id" if !value.is_empty() => self.meta.id = Some((value, line)),
                "tag" if !value.is_empty() => self.meta.tags.push(value),
                "ref" if !value.is_empty() => self.meta.references.push(value),
                "id" | "tag" | "ref" => {}
                other => self
                    .meta
                    .unknown
                    .push((line, column, format!("[{other}:{value}]"))),
            }
        }
    }

    fn block(&mut self, block: &[(usize, &str)]) {
        let Some(&(first_line, _)) = block.first() else {
            return;
        };
        if self.number == self.max {
            self.report.stopped_at = Some(first_line);
            return;
        }
        self.number += 1;
        let meta = std::mem::take(&mut self.meta);
        let units = units(block);
        let mut i = units
            .iter()
            .position(|u| !u.ch.is_whitespace())
            .unwrap_or(units.len());

        // ::title::
        let mut title = None;
        if find_seq(&units, i, "::") == Some(i) {
            let Some(end) = find_seq(&units, i + 2, "::") else {
                let name = preview(&string(&units[i + 2..]));
                self.problem(
                    units.get(i),
                    first_line,
                    None,
                    format!("GIFT question \"{name}\": the title opened with `::` is not closed with `::`"),
                );
                return;
            };
            let t = one_line(&string(&units[i + 2..end]));
            title = (!t.is_empty()).then_some(t);
            i = end + 2;
        }
        let body = &units[i..];
        let open = find(body, 0, '{');
        let close_any = find(body, 0, '}');
        let name_of = |stem: &[Unit]| title.clone().unwrap_or_else(|| preview(&raw(stem)));
        let id = match &meta.id {
            Some((given, _)) => slug_id(Some(given), self.stem, self.number),
            None => slug_id(title.as_deref(), self.stem, self.number),
        };

        let (open, close) = match (open, close_any) {
            (None, None) => {
                let name = name_of(body);
                let start = units.iter().find(|u| !u.ch.is_whitespace()).copied();
                return self.note(
                    start.as_ref(),
                    first_line,
                    None,
                    format!("GIFT description \"{name}\" skipped: it has no answer block `{{…}}`, so it is not a question (a description has nowhere to go in an exam)"),
                );
            }
            (Some(open), Some(close)) if close > open => (open, close),
            (Some(open), None) => {
                let name = name_of(&body[..open]);
                let at = body[open];
                self.problem(
                    Some(&at),
                    first_line,
                    Some(&id),
                    format!(
                        "GIFT question \"{name}\": the answer block opened with `{{` at line {} column {} is not closed with `}}` before the question ends (a blank line or the end of the file)",
                        at.line, at.column
                    ),
                );
                return;
            }
            (_, Some(close)) => {
                let name = name_of(&body[..close]);
                self.problem(
                    body.get(close),
                    first_line,
                    Some(&id),
                    format!("GIFT question \"{name}\": `}}` closes no answer block (write `\\}}` for a literal brace)"),
                );
                return;
            }
        };
        let name = name_of(&body[..open]);
        if let Some(second) = find(body, close + 1, '{') {
            self.problem(
                body.get(second),
                first_line,
                Some(&id),
                format!("GIFT question \"{name}\" has a second answer block `{{…}}`: a question has one (write `\\{{` for a literal brace)"),
            );
            return;
        }
        if let Some(stray) = find(body, close + 1, '}') {
            self.problem(
                body.get(stray),
                first_line,
                Some(&id),
                format!("GIFT question \"{name}\": `}}` closes no answer block (write `\\}}` for a literal brace)"),
            );
            return;
        }

        // The stem, with `_____` where the answers stand in the middle of a sentence; text after the answers
        // that is only punctuation (`X.{…}";`) is kept after the stem.
        let (format, before_units) = strip_format(&body[..open]);
        let format = format.unwrap_or(DEFAULT_TEXT_FORMAT);
        let before = string(before_units);
        let after = string(trim(&body[close + 1..]));
        let before_end = before.trim_end();
        let blank = !after.is_empty()
            && (after.chars().any(char::is_alphanumeric)
                || !before_end.ends_with(['.', '?', '!', ':']));
        let space_before = open > 0 && body[open - 1].ch.is_whitespace();
        let space_after = body.get(close + 1).is_some_and(|u| u.ch.is_whitespace());
        let mut raw_stem = String::with_capacity(before.len() + after.len() + 7);
        raw_stem.push_str(before_end);
        if blank {
            if space_before {
                raw_stem.push(' ');
            }
            raw_stem.push(BLANK);
        }
        if !after.is_empty() && (space_after || (!blank && space_before)) {
            raw_stem.push(' ');
        }
        raw_stem.push_str(&after);
        let stem = format.to_markdown(raw_stem.trim()).replace(BLANK, "_____");
        let answers = trim(&body[open + 1..close]);
        let start = units.iter().find(|u| !u.ch.is_whitespace()).copied();
        if let Some((given, line)) = &meta.id {
            if *given != id {
                self.note(
                    None,
                    *line,
                    Some(&id),
                    format!("the id `{given}` of GIFT question \"{name}\" is written `{id}` (ids are lowercase letters, digits and `-`)"),
                );
            }
        }
        for (line, column, marker) in &meta.unknown {
            self.report.notes.push(note(
                self.file,
                *line,
                *column,
                Some(&id),
                format!("the comment marker `{marker}` of GIFT question \"{name}\" is not one we know (`[id:…]`, `[tag:…]`, `[ref:…]`): it was left out"),
            ));
        }
        let head = Head {
            line: first_line,
            start,
            title,
            name,
            id,
            stem,
            format,
            tags: meta.tags,
            references: meta.references,
        };
        self.answers(head, answers, body.get(open));
    }

    fn refuse(&mut self, kind: &Kind, name: &str, id: &str, at: Option<&Unit>, line: usize) {
        let (what, why) = kind.refusal();
        self.problem(
            at,
            line,
            Some(id),
            format!("GIFT {what} question \"{name}\" is not supported: {why}"),
        );
    }

    fn answers(&mut self, head: Head, answers: &[Unit], open: Option<&Unit>) {
        let start = head.start;
        let refuse = |me: &mut Self, kind: Kind| {
            me.refuse(&kind, &head.name, &head.id, start.as_ref(), head.line)
        };
        // General feedback: after `####`.
        let (answers, general) = match find_seq(answers, 0, "####") {
            Some(at) => (trim(&answers[..at]), text(&answers[at + 4..], head.format)),
            None => (answers, String::new()),
        };
        let Some(first) = answers.first() else {
            return refuse(self, Kind::Essay);
        };
        if first.is('#') {
            return refuse(self, Kind::Numerical);
        }
        if head.stem.is_empty() {
            let name = head
                .title
                .clone()
                .unwrap_or_else(|| format!("number {}", self.number));
            return self.problem(
                open,
                head.line,
                Some(&head.id),
                format!("GIFT question \"{name}\" has no question text before its answers"),
            );
        }
        let format = head.format;
        let result = if first.is('>') {
            ordering(answers, format)
        } else if answers.iter().any(|u| u.is('~')) {
            multiple_choice(answers, format)
        } else if answers.iter().any(|u| u.is('=')) && find_seq(answers, 0, "->").is_some() {
            matching(answers, format)
        } else {
            let head_end = find(answers, 0, '#').unwrap_or(answers.len());
            let verdict = string(trim(&answers[..head_end])).to_ascii_uppercase();
            match verdict.as_str() {
                "T" | "TRUE" => Ok(true_false(true, &answers[head_end..], format)),
                "F" | "FALSE" => Ok(true_false(false, &answers[head_end..], format)),
                _ => return refuse(self, Kind::ShortAnswer),
            }
        };
        match result {
            Ok((body, option_feedback, notes)) => {
                let explanation_text = explanation(
                    &general,
                    &option_feedback
                        .iter()
                        .map(|(t, c, f)| OptionFeedback {
                            text: t,
                            correct: *c,
                            feedback: f,
                        })
                        .collect::<Vec<_>>(),
                );
                let mut feedback_text = general.clone();
                for (_, _, f) in &option_feedback {
                    feedback_text.push('\n');
                    feedback_text.push_str(f);
                }
                // Re-importing an edited file matches questions by their id (from `[id:…]`, else the title):
                // two questions of one file with the same title could not be told apart.
                let same_title = head.title.is_some() && self.taken.ids.contains(&head.id);
                let given = head.id.clone();
                let id = unique_id(head.id, &mut self.taken);
                if same_title {
                    let message = format!(
                        "GIFT question \"{}\" has the same title as an earlier question of this file: it was \
                         imported as `{id}`, not `{given}`; give it another title or a `// [id:…]` line so that a \
                         re-import of an edited file matches it",
                        head.name
                    );
                    let (line, column) = start
                        .as_ref()
                        .map_or((head.line, 1), |u| (u.line, u.column));
                    self.report.same_title.push(problem(
                        self.file,
                        line,
                        column,
                        Some(&id),
                        format!(
                            "GIFT question \"{}\" has the same title as an earlier question of this file: \
                             updating the pack matches questions by title, so it cannot tell them apart; give \
                             it another title or a `// [id:…]` line",
                            head.name
                        ),
                    ));
                    self.note(start.as_ref(), head.line, Some(&id), message);
                }
                for (message, at) in notes {
                    let message = format!("GIFT question \"{}\": {message}", head.name);
                    self.note(
                        at.as_ref().or(start.as_ref()),
                        head.line,
                        Some(&id),
                        message,
                    );
                }
                let mut common = imported_common(id, head.stem, explanation_text);
                // Our exporter's `[ref:…]` comments are the references when there are any; else the links of
                // the feedback are.
                common.references = if head.references.is_empty() {
                    links(&feedback_text)
                } else {
                    head.references
                };
                common.tags = head.tags;
                self.report.items.push(Imported {
                    question: Question { common, body },
                    category: self.category.clone(),
                    line: head.line,
                });
            }
            Err((what, at)) => {
                let name = head.name.clone();
                self.problem(
                    at.as_ref().or(open),
                    head.line,
                    Some(&head.id),
                    format!("GIFT question \"{name}\" is not supported: {what}"),
                );
            }
        }
    }
}

/// Why a question cannot be taken, and where.
type Refusal = (String, Option<Unit>);

/// What a question keeps differently from its source, and where (noted, never refused).
type Notes = Vec<(String, Option<Unit>)>;

/// A body, the feedback of its options (text, correct, feedback) and notes; or why not, and where.
type Built = Result<(Body, Vec<(String, bool, String)>, Notes), Refusal>;

/// Splits answers at unescaped `~` and `=` (each starts an answer); text before the first is an error.
fn split_answers(answers: &[Unit]) -> Result<Vec<(char, &[Unit])>, Refusal> {
    let starts: Vec<usize> = answers
        .iter()
        .enumerate()
        .filter(|(_, u)| u.is('~') || u.is('='))
        .map(|(i, _)| i)
        .collect();
    let lead = trim(&answers[..starts.first().copied().unwrap_or(answers.len())]);
    if let Some(u) = lead.first() {
        return Err((
            format!(
                "the text `{}` before its first answer is neither an answer (`=` or `~`) nor a comment",
                one_line(&string(lead))
            ),
            Some(*u),
        ));
    }
    Ok(starts
        .iter()
        .enumerate()
        .map(|(k, &s)| {
            let end = starts.get(k + 1).copied().unwrap_or(answers.len());
            (answers[s].ch, &answers[s + 1..end])
        })
        .collect())
}

fn multiple_choice(answers: &[Unit], format: TextFormat) -> Built {
    let mut parsed = Vec::new();
    let mut starts = Vec::new();
    for (marker, units) in split_answers(answers)? {
        starts.push(units.first().copied());
        let mut units = trim(units);
        let mut weight = if marker == '=' { 100.0 } else { 0.0 };
        if units.first().is_some_and(|u| u.is('%')) {
            let Some(end) = find(units, 1, '%') else {
                return Err((
                    "an answer weight `%…%` is not closed".into(),
                    units.first().copied(),
                ));
            };
            let w = string(&units[1..end]);
            weight = w.trim().parse::<f64>().map_err(|_| {
                (
                    format!("the answer weight `%{w}%` is not a number"),
                    units.first().copied(),
                )
            })?;
            units = &units[end + 1..];
        }
        let (option, feedback) = match find(units, 0, '#') {
            Some(h) => (&units[..h], text(&units[h + 1..], format)),
            None => (units, String::new()),
        };
        parsed.push(McAnswer {
            text: text(option, format),
            feedback,
            full: weight >= 99.999,
            equals: marker == '=',
            weight,
        });
    }
    if parsed.len() < 2 {
        return Err((
            format!(
                "a choice question needs at least 2 answers; it has {}",
                parsed.len()
            ),
            answers.first().copied(),
        ));
    }
    let options = choices(parsed.iter().map(|a| a.text.clone()));
    let mut notes = Notes::new();
    let any_equals = parsed.iter().any(|a| a.equals);
    let correct: Vec<usize> = if any_equals {
        parsed
            .iter()
            .enumerate()
            .filter(|(_, a)| a.equals && a.full)
            .map(|(i, _)| i)
            .collect()
    } else {
        parsed
            .iter()
            .enumerate()
            .filter(|(_, a)| a.weight > 0.0)
            .map(|(i, _)| i)
            .collect()
    };
    let feedback = parsed
        .iter()
        .enumerate()
        .map(|(i, a)| (a.text.clone(), correct.contains(&i), a.feedback.clone()))
        .collect();
    let body = match correct.as_slice() {
        [] if any_equals => {
            return Err((
                "no answer is fully correct (`=` without a weight, or `=%100%`)".into(),
                answers.first().copied(),
            ))
        }
        [] => {
            return Err((
                "no answer is correct (mark one with `=`, or give some `~%50%` a positive weight)".into(),
                answers.first().copied(),
            ))
        }
        [one] if any_equals || parsed[*one].full => {
            for (i, a) in parsed.iter().enumerate() {
                if i != *one && a.weight != 0.0 {
                    notes.push((
                        format!(
                            "the {}% credit of option {} \"{}\" was left out: a single-answer item scores only its correct option",
                            a.weight,
                            option_id(i),
                            preview(&a.text)
                        ),
                        starts[i],
                    ));
                }
            }
            Body::Single {
                options,
                answer: option_id(*one),
            }
        }
        [_, _, ..] if any_equals => {
            return Err((
                "several answers are marked `=` in a question with `~` answers: the exam's single-answer items have exactly one correct option (for several, give weights `~%50%`)".into(),
                answers.first().copied(),
            ))
        }
        many => {
            let first = parsed[many[0]].weight;
            if many.iter().any(|&i| (parsed[i].weight - first).abs() > 0.001) {
                let weights: Vec<String> =
                    many.iter().map(|&i| format!("{}%", parsed[i].weight)).collect();
                notes.push((
                    format!(
                        "the correct options' weights ({}) are not equal: each correct option counts the same here",
                        weights.join(", ")
                    ),
                    answers.first().copied(),
                ));
            }
            Body::Multiple {
                choose: u32::try_from(many.len()).unwrap_or(u32::MAX),
                options,
                answer: many.iter().map(|&i| option_id(i)).collect(),
            }
        }
    };
    Ok((body, feedback, notes))
}

fn matching(answers: &[Unit], format: TextFormat) -> Built {
    let mut slots: Vec<String> = Vec::new();
    let mut rights: Vec<String> = Vec::new();
    let mut notes = Notes::new();
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for (marker, units) in split_answers(answers)? {
        if marker != '=' {
            return Err((
                "a matching question's pairs start with `=`".into(),
                units.first().copied(),
            ));
        }
        let Some(arrow) = find_seq(units, 0, "->") else {
            return Err((
                format!("the pair `{}` has no `->`", one_line(&string(units))),
                units.first().copied(),
            ));
        };
        let left = text(&units[..arrow], format);
        let right_units = &units[arrow + 2..];
        let right_units = match find(right_units, 0, '#') {
            Some(h) => {
                if !trim(&right_units[h + 1..]).is_empty() {
                    notes.push((
                        "the feedback of a pair was left out: a matching question has none per pair".to_owned(),
                        right_units.get(h).copied(),
                    ));
                }
                &right_units[..h]
            }
            None => right_units,
        };
        let right = text(right_units, format);
        if right.is_empty() {
            return Err((
                "a pair has nothing after `->`".into(),
                units.get(arrow).copied(),
            ));
        }
        let r = match rights.iter().position(|x| *x == right) {
            Some(r) => r,
            None => {
                rights.push(right);
                rights.len() - 1
            }
        };
        if !left.is_empty() {
            slots.push(left);
            pairs.push((slots.len() - 1, r));
        }
    }
    if slots.len() < 2 {
        return Err((
            format!(
                "a matching question needs at least 2 pairs `=left -> right`; it has {}",
                slots.len()
            ),
            answers.first().copied(),
        ));
    }
    let mut used = HashSet::new();
    let reuse = pairs.iter().any(|&(_, r)| !used.insert(r));
    let slot_choices: Vec<Choice> = slots
        .into_iter()
        .enumerate()
        .map(|(i, text)| Choice {
            id: format!("s{}", i + 1),
            text,
        })
        .collect();
    let answer: BTreeMap<String, String> = pairs
        .iter()
        .map(|&(s, r)| (format!("s{}", s + 1), option_id(r)))
        .collect();
    Ok((
        Body::Match {
            choices: choices(rights),
            slots: slot_choices,
            answer,
            reuse,
        },
        Vec::new(),
        notes,
    ))
}

/// The ordering extension of Moodle's qtype_ordering: `{>4 SETTINGS` then one item per line, in order.
fn ordering(answers: &[Unit], format: TextFormat) -> Built {
    let first_break = find(answers, 0, '\n').unwrap_or(answers.len());
    let mut steps = Vec::new();
    let mut start = first_break + 1;
    while start < answers.len() {
        let end = find(answers, start, '\n').unwrap_or(answers.len());
        let step = text(&answers[start..end], format);
        if !step.is_empty() {
            steps.push(step);
        }
        start = end + 1;
    }
    if steps.len() < 2 {
        return Err((
            format!(
                "an ordering question needs at least 2 items, one per line; it has {}",
                steps.len()
            ),
            answers.first().copied(),
        ));
    }
    let answer = (0..steps.len()).map(option_id).collect();
    Ok((
        Body::Order {
            steps: choices(steps),
            answer,
        },
        Vec::new(),
        Notes::new(),
    ))
}

/// `{T#feedback if wrong#feedback if right}`.
fn true_false(
    truth: bool,
    rest: &[Unit],
    format: TextFormat,
) -> (Body, Vec<(String, bool, String)>, Notes) {
    let mut parts = Vec::new();
    let mut start = 0;
    while start < rest.len() {
        if rest[start].is('#') {
            let end = find(rest, start + 1, '#').unwrap_or(rest.len());
            parts.push(text(&rest[start + 1..end], format));
            start = end;
        } else {
            start += 1;
        }
    }
    let wrong = parts.first().cloned().unwrap_or_default();
    let right = parts.get(1).cloned().unwrap_or_default();
    let (true_fb, false_fb) = if truth {
        (right, wrong)
    } else {
        (wrong, right)
    };
    let body = Body::Single {
        options: choices(["True".to_owned(), "False".to_owned()]),
        answer: option_id(usize::from(!truth)),
    };
    (
        body,
        vec![
            ("True".to_owned(), truth, true_fb),
            ("False".to_owned(), !truth, false_fb),
        ],
        Notes::new(),
    )
}

#[cfg(test)]
mod tests;
