//! Importers: question files from other tools (GIFT, Moodle XML, Aiken, CSV, QTI 2.1/3.0) read into our
//! item model, each refusal located by file, line (or XPath) and question. Pure: callers hand in bytes.
//!
//! An importer never guesses a domain or objective: imported questions carry `domain: None` and an empty
//! `objective`, plus the source's category, and land in a draft pack where the instructor places them in
//! the blueprint before publishing. Explanations come from the source's feedback when it has any; a missing
//! explanation or reference is a problem only at publishing, not at import.

pub mod archive;
pub mod moodle_xml;
pub mod qti;

use super::model::{Choice, Common, Question, ScoringRule};
use super::Problem;
use serde::Serialize;

pub mod aiken;
pub mod csv;
pub mod gift;
pub mod markup;
mod text;

pub use markup::TextFormat;

#[cfg(test)]
mod candidate_view_tests;

/// The formats `bank check`/`bank import` and the upload page take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Our pack format (YAML or JSON), docs/question-format.md.
    Native,
    Gift,
    MoodleXml,
    Aiken,
    Csv,
    /// IMS QTI 2.1 or 3.0: a single item file, or a content package (.zip with imsmanifest.xml).
    Qti,
}

impl Format {
    /// The name used by `--format` and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::Native => "yaml",
            Format::Gift => "gift",
            Format::MoodleXml => "moodle-xml",
            Format::Aiken => "aiken",
            Format::Csv => "csv",
            Format::Qti => "qti",
        }
    }

    /// Parses a `--format` value.
    pub fn parse(name: &str) -> Option<Format> {
        Some(match name.to_ascii_lowercase().as_str() {
            "yaml" | "json" | "native" => Format::Native,
            "gift" => Format::Gift,
            "moodle-xml" | "moodlexml" | "moodle" | "xml" => Format::MoodleXml,
            "aiken" => Format::Aiken,
            "csv" => Format::Csv,
            "qti" | "qti21" | "qti3" | "qti30" => Format::Qti,
            _ => return None,
        })
    }
}

/// One question read from a foreign file.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The question, with `common.domain == None` and an empty `common.objective` unless the source said.
    pub question: Question,
    /// The source's category (GIFT `$CATEGORY:`, Moodle category, a CSV column), used to place questions in
    /// the blueprint in bulk.
    pub category: Option<String>,
    /// 1-based line where the question starts in its file (for XML: the element's line).
    pub line: usize,
}

/// What an importer read from one file: the questions it could take, a located problem for everything
/// it could not (a refused question is a problem naming the question and the reason; the rest of the file
/// is still read), and a located note for everything it took but could not keep as it was.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub items: Vec<Imported>,
    pub problems: Vec<Problem>,
    /// What was read but not kept, or kept differently (partial credit dropped, metadata left out, a skipped
    /// description, the encoding fallback): never a reason to refuse anything.
    pub notes: Vec<Note>,
    /// Set when the importer stopped reading at its limit of questions (`parse_at_most`): the line where the
    /// first question past the limit starts. Nothing after it was read.
    pub stopped_at: Option<usize>,
    /// A question with the same title as an earlier one of the file (GIFT, Moodle XML): a note on a first
    /// import, a problem when the file updates an existing pack, where items are matched by title
    /// (`packs::upload`).
    pub same_title: Vec<Problem>,
}

/// Something an importer (or exporter) read but could not keep as it was, located like a [`Problem`] (file,
/// line, column, item) but never blocking: the question it names was taken (or, for a description, there was
/// no question to take). Shown next to problems as `file:line:column: [item] message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// The file's name as given.
    pub file: String,
    /// 1-based line; 0 when the note is about the whole file or, for an export, about an item of the pack.
    pub line: usize,
    /// 1-based column; 0 with no line.
    pub column: usize,
    /// The id of the item the note is about, when it has one.
    pub item: Option<String>,
    pub message: String,
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}: ", self.file)?;
        } else {
            write!(f, "{}:{}:{}: ", self.file, self.line, self.column.max(1))?;
        }
        if let Some(item) = &self.item {
            write!(f, "[{item}] ")?;
        }
        f.write_str(&self.message)
    }
}

/// A located note (see [`Note`]).
pub fn note(file: &str, line: usize, column: usize, item: Option<&str>, message: String) -> Note {
    Note {
        file: file.to_owned(),
        line,
        column,
        item: item.map(str::to_owned),
        message,
    }
}

/// [`decode_text`], its note (if any) as a file-wide [`Note`] of `file`.
pub fn decode(file: &str, bytes: &[u8]) -> (String, Option<Note>) {
    let (text, message) = decode_text(bytes);
    (text, message.map(|m| note(file, 0, 0, None, m)))
}

/// Decodes a file's bytes as text: strips a UTF-8 BOM; a UTF-16 file (little- or big-endian) with its BOM is
/// read as UTF-16; text that is not UTF-8 is read as Windows-1252 (what Moodle users' older files use), and
/// the returned note says so.
pub fn decode_text(bytes: &[u8]) -> (String, Option<String>) {
    if let Some(decoded) = decode_utf16(bytes) {
        return decoded;
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_owned(), None),
        Err(e) => {
            let at = e.valid_up_to();
            let text: String = bytes.iter().map(|&b| windows_1252(b)).collect();
            (
                text,
                Some(format!(
                    "the file is not UTF-8 (byte {at}); it was read as Windows-1252"
                )),
            )
        }
    }
}

/// A file that starts with a UTF-16 byte-order mark (`FF FE` little-endian, `FE FF` big-endian), decoded; a
/// note when it had an odd byte or unpaired surrogates (each shown as U+FFFD).
fn decode_utf16(bytes: &[u8]) -> Option<(String, Option<String>)> {
    let (rest, little) = match bytes {
        [0xFF, 0xFE, rest @ ..] => (rest, true),
        [0xFE, 0xFF, rest @ ..] => (rest, false),
        _ => return None,
    };
    let units = rest.chunks_exact(2).map(|p| {
        if little {
            u16::from_le_bytes([p[0], p[1]])
        } else {
            u16::from_be_bytes([p[0], p[1]])
        }
    });
    let mut bad = 0usize;
    let text: String = char::decode_utf16(units)
        .map(|c| {
            c.unwrap_or_else(|_| {
                bad += 1;
                char::REPLACEMENT_CHARACTER
            })
        })
        .collect();
    let odd = rest.len() % 2 == 1;
    let endian = if little { "little" } else { "big" };
    let note = (bad > 0 || odd).then(|| {
        format!(
            "the file is UTF-16 ({endian}-endian) with {bad} unpaired surrogate(s){}: each was read as �",
            if odd { " and a last odd byte (dropped)" } else { "" }
        )
    });
    Some((text, note))
}

fn windows_1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// A stable item id from a title (or, without one, the file's stem and the question's number):
/// lowercase ASCII letters, digits and `-`, at most 60 characters. Callers make it unique in the pack
/// with [`unique_id`].
pub fn slug_id(title: Option<&str>, file_stem: &str, number: usize) -> String {
    let source = match title.map(str::trim) {
        Some(t) if !t.is_empty() => t.to_owned(),
        _ => format!("{file_stem}-{number}"),
    };
    let mut id = String::new();
    for c in source.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            id.push(c);
        } else if !id.ends_with('-') && !id.is_empty() {
            id.push('-');
        }
        if id.len() >= 60 {
            break;
        }
    }
    let id = id.trim_end_matches('-').to_owned();
    if id.is_empty() {
        format!("q-{number}")
    } else {
        id
    }
}

/// The item ids an importer has given out, so that each new one is unique in the pack.
///
/// Remembers, per id, the next suffix to try: a file of 100,000 questions with the same title gets `q`, `q-2`,
/// … `q-100000` in linear time, where searching from `-2` each time would take 5 billion lookups.
#[derive(Debug, Default)]
pub struct TakenIds {
    ids: std::collections::HashSet<String>,
    next: std::collections::HashMap<String, usize>,
}

impl TakenIds {
    /// Records an id given by the source (e.g. our metadata in a QTI package); false when it was taken.
    pub fn insert(&mut self, id: String) -> bool {
        self.ids.insert(id)
    }
}

/// Makes `id` unique among `taken` by appending `-2`, `-3`, … and records it.
pub fn unique_id(id: String, taken: &mut TakenIds) -> String {
    if taken.ids.insert(id.clone()) {
        return id;
    }
    let next = taken.next.entry(id.clone()).or_insert(2);
    loop {
        let candidate = format!("{id}-{next}");
        *next += 1;
        if taken.ids.insert(candidate.clone()) {
            return candidate;
        }
    }
}

/// The common fields of an imported question: no domain or objective yet, the explanation from the
/// source's feedback (possibly empty), no references unless the source had links.
pub fn imported_common(id: String, stem: String, explanation: String) -> Common {
    Common {
        id,
        domain: None,
        objective: String::new(),
        stem,
        explanation,
        references: Vec::new(),
        scoring: ScoringRule::Partial,
        points: None,
        difficulty: None,
        tags: Vec::new(),
        category: None,
        mentions: Vec::new(),
        reviewed: None,
        outline: None,
    }
}

/// Option ids `a`, `b`, … `z`, `aa`, … for the n-th option (0-based).
pub fn option_id(n: usize) -> String {
    let mut n = n;
    let mut s = Vec::new();
    loop {
        s.push(b'a' + u8::try_from(n % 26).unwrap_or(0));
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// Choices with ids `a`, `b`, … from texts.
pub fn choices(texts: impl IntoIterator<Item = String>) -> Vec<Choice> {
    texts
        .into_iter()
        .enumerate()
        .map(|(i, text)| Choice {
            id: option_id(i),
            text,
        })
        .collect()
}

/// A located problem of an imported file.
pub fn problem(
    file: &str,
    line: usize,
    column: usize,
    item: Option<&str>,
    message: String,
) -> Problem {
    Problem {
        file: file.to_owned(),
        line,
        column,
        item: item.map(str::to_owned),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_ids_run_a_to_z_then_aa() {
        assert_eq!(option_id(0), "a");
        assert_eq!(option_id(25), "z");
        assert_eq!(option_id(26), "aa");
        assert_eq!(option_id(27), "ab");
    }

    #[test]
    fn slugs_are_valid_ids_and_unique() {
        assert_eq!(
            slug_id(Some("Azure OpenAI: quotas!"), "f", 1),
            "azure-openai-quotas"
        );
        assert_eq!(slug_id(None, "My File", 3), "my-file-3");
        assert_eq!(slug_id(Some("ééé"), "f", 4), "q-4");
        let mut taken = Default::default();
        assert_eq!(unique_id("a".into(), &mut taken), "a");
        assert_eq!(unique_id("a".into(), &mut taken), "a-2");
        assert!(taken.insert("a-3".into()), "an id the source gave");
        assert_eq!(unique_id("a".into(), &mut taken), "a-4");
        assert_eq!(unique_id("a-2".into(), &mut taken), "a-2-2");
    }

    #[test]
    fn many_equal_titles_get_numbered_ids_quickly() {
        let mut taken = TakenIds::default();
        let ids: Vec<String> = (0..100_000)
            .map(|_| unique_id("q".into(), &mut taken))
            .collect();
        assert_eq!(ids[0], "q");
        assert_eq!(ids[1], "q-2");
        assert_eq!(ids[99_999], "q-100000");
    }

    #[test]
    fn text_that_is_not_utf8_is_read_as_windows_1252() {
        let (text, note) = decode_text(b"caf\xe9 \x80");
        assert_eq!(text, "café €");
        assert!(note.is_some());
        let (text, note) = decode_text(b"\xEF\xBB\xBFplain");
        assert_eq!(text, "plain");
        assert!(note.is_none());
    }

    #[test]
    fn utf16_files_with_a_bom_are_read_in_either_byte_order() {
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(
                "Ça va? {=oui ~non}"
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        assert_eq!(decode_text(&le), ("Ça va? {=oui ~non}".to_owned(), None));
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("€ 😀".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode_text(&be), ("€ 😀".to_owned(), None));
        let (text, note) = decode_text(&[0xFF, 0xFE, 0x00, 0xD8, b'a', 0]);
        assert_eq!(text, "\u{FFFD}a");
        assert!(note.unwrap().contains("unpaired"));
    }

    #[test]
    fn notes_show_like_problems_and_file_wide_ones_without_a_line() {
        let n = note("q.gift", 3, 1, Some("q-1"), "partial credit dropped".into());
        assert_eq!(n.to_string(), "q.gift:3:1: [q-1] partial credit dropped");
        let n = note("q.gift", 0, 0, None, "read as Windows-1252".into());
        assert_eq!(n.to_string(), "q.gift: read as Windows-1252");
    }
}
