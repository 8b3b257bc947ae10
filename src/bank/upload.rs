//! An instructor's upload, pure: find its format, read it with the right importer, and turn what it holds into
//! the items of a pack, with every problem located by file, line and item. Nothing here writes anywhere: the
//! caller imports the result only when it is clean (or, by the instructor's choice, its valid items as a draft).

use super::import::{self, Format, ImportReport, Imported};
use super::model::{Blueprint, Item, PackMeta};
use super::Problem;
use std::collections::HashMap;

/// The largest upload taken, in bytes (stated on the upload page).
pub const MAX_UPLOAD_BYTES: usize = 16 * 1024 * 1024;
/// The most items one upload may hold.
pub const MAX_ITEMS: usize = 20_000;

/// Why a file of `len` bytes is refused: larger than [`MAX_UPLOAD_BYTES`].
pub fn too_large(file_name: &str, len: usize) -> String {
    // Whole MiB would read "16 MiB; at most 16 MiB" for a file a byte over: give the bytes.
    let mut digits = len.to_string();
    let mut grouped = String::new();
    while digits.len() > 3 {
        let tail = digits.split_off(digits.len() - 3);
        grouped = format!(",{tail}{grouped}");
    }
    let mib = MAX_UPLOAD_BYTES / (1024 * 1024);
    format!(
        "{file_name} is larger than {mib} MiB ({digits}{grouped} bytes): uploads take at most {mib} MiB; split the file"
    )
}

/// What an upload holds.
#[derive(Debug, Clone)]
pub struct Upload {
    pub format: Format,
    /// The pack's metadata when the file has it (our format); otherwise the caller makes it.
    pub meta: Option<PackMeta>,
    /// Every item that could be read.
    pub items: Vec<Item>,
    /// Item id → the source's category.
    pub categories: HashMap<String, String>,
    /// Everything wrong, located; an item named here is not in `items` when it was refused.
    pub problems: Vec<Problem>,
    /// Things worth saying that are not problems (e.g. "read as Windows-1252", partial credit dropped), each
    /// a located [`import::Note`] as text (`file:line:column: [item] message`).
    pub notes: Vec<String>,
    /// Questions with the same title as an earlier one of the file: problems when the file updates an
    /// existing pack (`packs::upload`), where items are matched by title.
    pub same_title: Vec<Problem>,
}

impl Upload {
    fn empty(format: Format) -> Upload {
        Upload {
            format,
            meta: None,
            items: Vec::new(),
            categories: HashMap::new(),
            problems: Vec::new(),
            notes: Vec::new(),
            same_title: Vec::new(),
        }
    }

    /// True when nothing is wrong.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    fn add_report(&mut self, report: ImportReport) {
        self.add_categories(&report.items);
        self.items
            .extend(report.items.into_iter().map(|i| Item::Question(i.question)));
        self.problems.extend(report.problems);
        self.same_title.extend(report.same_title);
        self.notes
            .extend(report.notes.iter().map(ToString::to_string));
    }

    fn add_categories(&mut self, imported: &[Imported]) {
        for i in imported {
            if let Some(c) = &i.category {
                self.categories
                    .insert(i.question.common.id.clone(), clean_category(c));
            }
        }
    }
}

/// A category path without Moodle's context prefixes (`$course$/`, `$system$/`, `top/`).
pub fn clean_category(path: &str) -> String {
    let mut p = path.trim();
    for prefix in ["$course$/", "$system$/", "$module$/", "$cat1$/", "top/"] {
        p = p.strip_prefix(prefix).unwrap_or(p);
    }
    p.trim_matches('/').to_owned()
}

/// Finds an upload's format from its name, then its content.
pub fn detect(file_name: &str, bytes: &[u8]) -> Option<Format> {
    let lower = file_name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    // A UTF-16 file (with its byte-order mark) is looked at decoded.
    let utf16 = bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF");
    let decoded = utf16.then(|| import::decode_text(bytes).0);
    let head = match &decoded {
        Some(text) => text.chars().take(4096).collect(),
        None => String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_string(),
    };
    match ext {
        "yaml" | "yml" | "json" => return Some(Format::Native),
        "gift" => return Some(Format::Gift),
        "csv" => return Some(Format::Csv),
        "aiken" => return Some(Format::Aiken),
        "zip" => {
            // A QTI content package has a manifest; anything else is a zipped pack folder.
            let manifest = bytes.windows(15).any(|w| w == b"imsmanifest.xml");
            return Some(if manifest {
                Format::Qti
            } else {
                Format::Native
            });
        }
        _ => {}
    }
    if head.contains("<quiz") {
        return Some(Format::MoodleXml);
    }
    if head.contains("assessmentItem") || head.contains("qti-assessment-item") {
        return Some(Format::Qti);
    }
    if ext == "xml" {
        return None;
    }
    let text = match &decoded {
        Some(text) => std::borrow::Cow::Borrowed(text.as_str()),
        None => String::from_utf8_lossy(bytes),
    };
    if text
        .lines()
        .any(|l| l.trim_start().to_ascii_uppercase().starts_with("ANSWER:"))
    {
        return Some(Format::Aiken);
    }
    if text.contains('{') && text.contains('}') {
        return Some(Format::Gift);
    }
    None
}

/// Reads an upload in `format` (or the detected one) against `blueprint`.
pub fn read_upload(
    file_name: &str,
    bytes: &[u8],
    format: Option<Format>,
    blueprint: &Blueprint,
) -> Upload {
    let Some(format) = format.or_else(|| detect(file_name, bytes)) else {
        let mut u = Upload::empty(Format::Native);
        u.problems.push(import::problem(
            file_name,
            1,
            1,
            None,
            "cannot tell the file's format: name it .yaml, .json, .gift, .xml (Moodle XML or QTI), .txt (Aiken), .csv or .zip, or choose the format".into(),
        ));
        return u;
    };
    let mut upload = match format {
        Format::Native => read_native(file_name, bytes, blueprint),
        other => read_foreign(file_name, bytes, other),
    };
    if upload.items.len() > MAX_ITEMS {
        upload.problems.push(import::problem(
            file_name,
            1,
            1,
            None,
            format!(
                "the file holds {} items; one upload takes at most {MAX_ITEMS}: split it",
                upload.items.len()
            ),
        ));
        upload.items.clear();
    }
    upload
        .problems
        .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    upload
}

fn read_native(file_name: &str, bytes: &[u8], blueprint: &Blueprint) -> Upload {
    let mut upload = Upload::empty(Format::Native);
    let mut sources = Vec::new();
    if file_name.to_ascii_lowercase().ends_with(".zip") {
        match unzip(file_name, bytes) {
            Ok(entries) => {
                for (name, data) in entries {
                    // A zipped pack folder: its pack files, as `bank check` reads a folder.
                    if !super::check::is_pack_file(&name)
                        || ["blueprint.yaml", "exam.yaml", "review-log.yaml"]
                            .iter()
                            .any(|f| name.ends_with(f))
                    {
                        continue;
                    }
                    let shown = format!("{file_name}/{name}");
                    match super::check::text_from_bytes(&shown, data) {
                        Ok(text) => sources.push((shown, text)),
                        Err(p) => upload.problems.push(p),
                    }
                }
                sources.sort_by(|a, b| a.0.cmp(&b.0));
                if sources.is_empty() {
                    upload.problems.push(import::problem(
                        file_name,
                        1,
                        1,
                        None,
                        "the zip holds no .yaml, .yml or .json pack file".into(),
                    ));
                }
            }
            Err(p) => upload.problems.push(p),
        }
    } else {
        match super::check::text_from_bytes(file_name, bytes.to_vec()) {
            Ok(text) => sources.push((file_name.to_owned(), text)),
            Err(p) => upload.problems.push(p),
        }
    }
    if !sources.is_empty() {
        let report = super::check_sources(&sources, blueprint);
        upload.meta = report.pack.map(|p| p.meta);
        // Items a problem names are refused, even when they could be typed.
        let bad: std::collections::HashSet<&str> = report
            .problems
            .iter()
            .filter_map(|p| p.item.as_deref())
            .collect();
        upload.items = report
            .items
            .iter()
            .filter(|i| {
                !bad.contains(i.id())
                    && i.questions()
                        .iter()
                        .all(|(q, _)| !bad.contains(q.common.id.as_str()))
            })
            .cloned()
            .collect();
        // A pack file of ours keeps each item's source category (written by our YAML export).
        for item in &upload.items {
            let category = match item {
                Item::Question(q) => q.common.category.as_ref(),
                Item::CaseStudy(_) => item.case_study().and_then(|c| c.category.as_ref()),
            };
            if let Some(c) = category.filter(|c| !c.trim().is_empty()) {
                upload.categories.insert(item.id().to_owned(), c.clone());
            }
        }
        upload.problems.extend(report.problems);
    }
    upload
}

fn read_foreign(file_name: &str, bytes: &[u8], format: Format) -> Upload {
    let mut upload = Upload::empty(format);
    if format == Format::Qti && bytes.starts_with(b"PK") {
        match unzip(file_name, bytes) {
            Ok(entries) => {
                let pack = import::qti::import_qti_pack(file_name, &entries);
                upload.meta = pack.meta;
                upload.add_categories(&pack.report.items);
                upload.items = pack.items;
                upload.problems.extend(pack.report.problems);
                upload.notes.extend(pack.notes);
                upload
                    .notes
                    .extend(pack.report.notes.iter().map(ToString::to_string));
            }
            Err(p) => upload.problems.push(p),
        }
        return upload;
    }
    let (text, note) = import::decode(file_name, bytes);
    if let Some(n) = note {
        upload.notes.push(n.to_string());
    }
    // The importers stop at the question past the limit: 100,000 tiny questions are refused without being read.
    let mut report = match format {
        Format::Gift => import::gift::parse_at_most(file_name, &text, MAX_ITEMS),
        Format::Aiken => import::aiken::parse_at_most(file_name, &text, MAX_ITEMS),
        Format::Csv => import::csv::parse_at_most(file_name, &text, MAX_ITEMS),
        Format::MoodleXml => import::moodle_xml::parse_at_most(file_name, &text, MAX_ITEMS),
        Format::Qti => import::qti::parse_item(file_name, &text),
        Format::Native => ImportReport::default(),
    };
    if let Some(line) = report.stopped_at {
        report.items.clear();
        report.problems.push(import::problem(
            file_name,
            line,
            1,
            None,
            format!(
                "the file holds more than {MAX_ITEMS} items (item {} starts here); one upload takes at most {MAX_ITEMS}: split it",
                MAX_ITEMS + 1
            ),
        ));
    }
    upload.add_report(report);
    upload
}

fn unzip(file_name: &str, bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, Problem> {
    import::archive::read_zip(file_name, bytes, &import::archive::ZipLimits::default())
}

/// A pack id and title for an upload without metadata, from its file name.
pub fn pack_meta_for(file_name: &str, blueprint: &Blueprint) -> PackMeta {
    let stem = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(file_name)
        .split('.')
        .next()
        .unwrap_or("pack");
    PackMeta {
        id: import::slug_id(Some(stem), "pack", 1),
        title: stem.replace(['_', '-'], " "),
        version: 1,
        blueprint: blueprint.id.clone(),
        licence: None,
        authors: Vec::new(),
        description: Some(format!("Imported from {file_name}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_package_item_that_is_not_utf8_is_read_with_a_note() {
        use std::io::Write;
        let item = include_bytes!("../../tests/import/qti/choice_21.xml");
        let latin1: Vec<u8> = String::from_utf8_lossy(item)
            .replace("In source code", "In the caf\u{e9}'s source code")
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
            .collect();
        let manifest = br#"<?xml version="1.0"?><manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"><resources><resource identifier="r1" type="imsqti_item_xmlv2p1" href="choice.xml"><file href="choice.xml"/></resource></resources></manifest>"#;
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        for (name, data) in [
            ("imsmanifest.xml", &manifest[..]),
            ("choice.xml", &latin1[..]),
        ] {
            writer.start_file(name, options).expect("start");
            writer.write_all(data).expect("write");
        }
        let bytes = writer.finish().expect("finish").into_inner();
        let blueprint = crate::bank::check::shipped_blueprint().expect("blueprint");
        let upload = read_upload("package.zip", &bytes, None, &blueprint);
        assert_eq!(upload.items.len(), 1, "{:?}", upload.problems);
        assert!(
            upload
                .notes
                .iter()
                .any(|n| n.starts_with("package.zip/choice.xml:")),
            "{:?}",
            upload.notes
        );
    }

    #[test]
    fn unsupported_questions_are_each_refused_at_their_line_and_a_description_is_a_note() {
        let bp = crate::bank::check::shipped_blueprint().expect("shipped blueprint");
        let gift = "::Intro::These questions are about Azure AI.\n\n::Essay::Explain RAG. {}\n\n\
                    ::Pi::What is pi? {#3.14:0.01}\n\n::Short::Which region? {=East US}\n";
        let u = read_upload("q.gift", gift.as_bytes(), None, &bp);
        assert!(u.items.is_empty());
        let at: Vec<(usize, usize, Option<&str>)> = u
            .problems
            .iter()
            .map(|p| (p.line, p.column, p.item.as_deref()))
            .collect();
        assert_eq!(
            at,
            [
                (3, 1, Some("essay")),
                (5, 1, Some("pi")),
                (7, 1, Some("short"))
            ]
        );
        assert_eq!(u.notes.len(), 1);
        assert!(
            u.notes[0].starts_with("q.gift:1:1: GIFT description \"Intro\" skipped"),
            "{:?}",
            u.notes
        );
    }

    #[test]
    fn import_notes_reach_the_upload_as_located_text() {
        let bp = crate::bank::check::shipped_blueprint().expect("shipped blueprint");
        let u = read_upload("q.gift", b"Q? {=a ~%50%b}", None, &bp);
        assert!(u.is_clean());
        assert_eq!(u.notes.len(), 1);
        assert!(
            u.notes[0].starts_with("q.gift:1:9: [q-1] GIFT question"),
            "{:?}",
            u.notes
        );
        let u = read_upload("q.gift", b"caf\xe9? {=a ~b}", None, &bp);
        assert_eq!(
            u.notes,
            ["q.gift: the file is not UTF-8 (byte 3); it was read as Windows-1252"]
        );
    }

    #[test]
    fn a_utf16_file_is_found_and_read() {
        let bp = crate::bank::check::shipped_blueprint().expect("shipped blueprint");
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<quiz><question type=\"truefalse\">\
                   <name><text>Summer</text></name><questiontext><text>Été ?</text></questiontext>\
                   <answer fraction=\"100\"><text>true</text></answer><answer fraction=\"0\"><text>false</text></answer>\
                   </question></quiz>";
        let bytes: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(xml.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(detect("q.xml", &bytes), Some(Format::MoodleXml));
        let u = read_upload("q.xml", &bytes, None, &bp);
        assert!(u.is_clean(), "{:?}", u.problems);
        assert_eq!(u.items[0].id(), "summer");
        assert_eq!(u.items[0].questions()[0].0.common.stem, "Été ?");
    }

    #[test]
    fn formats_are_found_by_name_then_content() {
        assert_eq!(detect("p.yaml", b"items: []"), Some(Format::Native));
        assert_eq!(
            detect("q.xml", b"<?xml version='1.0'?><quiz>"),
            Some(Format::MoodleXml)
        );
        assert_eq!(
            detect("i.xml", b"<qti-assessment-item identifier='x'>"),
            Some(Format::Qti)
        );
        assert_eq!(
            detect("a.txt", b"What?\nA. x\nB. y\nANSWER: A\n"),
            Some(Format::Aiken)
        );
        assert_eq!(detect("g.txt", b"::t:: What? {=a ~b}"), Some(Format::Gift));
        assert_eq!(detect("x.bin", b"\x00\x01"), None);
    }

    #[test]
    fn an_unknown_format_is_one_clear_problem() {
        let bp = crate::bank::check::shipped_blueprint().expect("shipped blueprint");
        let u = read_upload("x.bin", b"\x00", None, &bp);
        assert_eq!(u.problems.len(), 1);
        assert!(u.problems[0]
            .message
            .contains("cannot tell the file's format"));
    }

    #[test]
    fn a_file_too_large_is_named_with_its_size_in_bytes() {
        assert_eq!(
            too_large("big.gift", MAX_UPLOAD_BYTES + 1),
            "big.gift is larger than 16 MiB (16,777,217 bytes): uploads take at most 16 MiB; split the file"
        );
        assert!(too_large("x", 999).contains("(999 bytes)"));
    }

    #[test]
    fn pack_ids_come_from_file_names() {
        let bp = crate::bank::check::shipped_blueprint().expect("shipped blueprint");
        let m = pack_meta_for("uploads/Vision_Quiz.gift", &bp);
        assert_eq!(m.id, "vision-quiz");
        assert_eq!(m.title, "Vision Quiz");
    }
}
