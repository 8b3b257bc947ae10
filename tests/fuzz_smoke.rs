//! A bounded fuzz smoke run of every importer and the Markdown renderer, on the stable toolchain.
//!
//! Each target starts from real files of its format (tests/import/…, the exam fixture, a shipped pack) and
//! feeds the importer mutated copies: flipped bits, cut, duplicated and spliced ranges, and the format's own
//! tokens inserted at random. A seeded generator makes every run the same; a panic, or rendered HTML that
//! could run script, fails the test and leaves the input in target/fuzz-crashes/ to become a regression test.
//!
//! `make test` runs FUZZ_ITERATIONS (default 300) inputs per target in seconds. A longer run:
//!
//! ```text
//! FUZZ_ITERATIONS=200000 FUZZ_SEED=$RANDOM cargo test --release --test fuzz_smoke -- --nocapture
//! ```
//!
//! Coverage-guided fuzzing of the same entry points (`ai102::fuzz`) with cargo-fuzz is in fuzz/ (nightly).

use ai102::bank::import::Format;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files(dir: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .map(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (name, bytes)
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seed files in {dir}");
    out
}

fn iterations() -> usize {
    std::env::var("FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

fn seed() -> u64 {
    std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(102)
}

/// One mutation of `input`, using the format's `tokens` and the other `seeds` for splicing.
fn mutate(rng: &mut StdRng, input: &[u8], tokens: &[&str], seeds: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        let len = out.len();
        let at = if len == 0 {
            0
        } else {
            rng.random_range(0..=len)
        };
        match rng.random_range(0..7) {
            0 if len > 0 => {
                let i = rng.random_range(0..len);
                out[i] ^= 1 << rng.random_range(0..8);
            }
            1 if len > 0 => {
                let end = (at + rng.random_range(1..64)).min(len);
                out.drain(at.min(end)..end);
            }
            2 if len > 0 => {
                let end = (at + rng.random_range(1..256)).min(len);
                let copy = out[at.min(end)..end].to_vec();
                let to = rng.random_range(0..=out.len());
                out.splice(to..to, copy);
            }
            3 => {
                let token = tokens[rng.random_range(0..tokens.len())];
                out.splice(at..at, token.bytes());
            }
            4 => {
                let (_, other) = &seeds[rng.random_range(0..seeds.len())];
                if !other.is_empty() {
                    let from = rng.random_range(0..other.len());
                    let end = (from + rng.random_range(1..512)).min(other.len());
                    out.splice(at..at, other[from..end].iter().copied());
                }
            }
            5 => out.truncate(at),
            _ => {
                let bytes: Vec<u8> = (0..rng.random_range(1..8)).map(|_| rng.random()).collect();
                out.splice(at..at, bytes);
            }
        }
    }
    out
}

fn run(target: &str, format: Option<Format>, seeds: Vec<(String, Vec<u8>)>, tokens: &[&str]) {
    let blueprint = ai102::bank::check::shipped_blueprint().expect("the shipped blueprint");
    let mut rng =
        StdRng::seed_from_u64(seed() ^ target.bytes().fold(0, |h, b| h * 31 + u64::from(b)));
    // The seeds themselves first: they must not panic either.
    let mut read = 0;
    for (name, bytes) in &seeds {
        read += ai102::fuzz::upload(name, bytes, format, &blueprint);
    }
    assert!(
        read > 0,
        "{target}: the seed files yield items, so the importer is reached"
    );
    for i in 0..iterations() {
        let (name, base) = &seeds[rng.random_range(0..seeds.len())];
        let input = mutate(&mut rng, base, tokens, &seeds);
        let outcome =
            std::panic::catch_unwind(|| ai102::fuzz::upload(name, &input, format, &blueprint));
        if outcome.is_err() {
            let dir = root().join("target/fuzz-crashes");
            let _ = std::fs::create_dir_all(&dir);
            let path = dir.join(format!("{target}-{}-{i}-{name}", seed()));
            let _ = std::fs::write(&path, &input);
            panic!(
                "{target}: input {i} (FUZZ_SEED={}) panicked; saved to {}",
                seed(),
                path.display()
            );
        }
    }
}

#[test]
fn gift() {
    run(
        "gift",
        Some(Format::Gift),
        files("tests/import/gift"),
        &[
            "{",
            "}",
            "~",
            "=",
            "#",
            "::",
            "\\",
            "%50%",
            "->",
            "$CATEGORY:",
            "[markdown]",
            "[html]",
            "\n\n",
            "{T}",
            "####",
        ],
    );
}

#[test]
fn moodle_xml() {
    run(
        "moodle_xml",
        Some(Format::MoodleXml),
        files("tests/import/moodle-xml"),
        &[
            "<question type=\"multichoice\">",
            "</question>",
            "<![CDATA[",
            "]]>",
            "&amp;",
            "&#x0;",
            "<answer fraction=\"50\">",
            "<text>",
            "</text>",
            "<!DOCTYPE x [<!ENTITY a \"b\">]>",
            "&a;",
            "<img src=\"data:image/png;base64,AAAA\"/>",
        ],
    );
}

#[test]
fn qti() {
    run(
        "qti",
        Some(Format::Qti),
        files("tests/import/qti"),
        &[
            "<simpleChoice identifier=\"X\">",
            "</simpleChoice>",
            "<correctResponse><value>X</value></correctResponse>",
            "<mapEntry mapKey=\"X\" mappedValue=\"1\"/>",
            "cardinality=\"multiple\"",
            "<inlineChoice identifier=\"Y\">",
            "]]>",
            "&lt;",
            "<![CDATA[",
        ],
    );
}

#[test]
fn aiken() {
    run(
        "aiken",
        Some(Format::Aiken),
        files("tests/import/aiken"),
        &[
            "\nA. ",
            "\nB) ",
            "\nANSWER: ",
            "ANSWER: Z",
            "\n\n",
            "\r\n",
            "\u{feff}",
        ],
    );
}

#[test]
fn csv() {
    run(
        "csv",
        Some(Format::Csv),
        files("tests/import/csv"),
        &[
            ",", "\"", "\"\"", "\n", "\r\n", ";", "multiple", "A|B", "domain",
        ],
    );
}

#[test]
fn native_yaml() {
    let mut seeds = files("tests/import/native");
    for path in [
        "tests/fixtures/exam_pack.yaml",
        "question-bank/exams/ai-102/pack.yaml",
    ] {
        let bytes = std::fs::read(root().join(path)).expect("fixture");
        seeds.push((
            Path::new(path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            bytes,
        ));
    }
    run(
        "native_yaml",
        Some(Format::Native),
        seeds,
        &[
            ": ",
            "- ",
            "\n  ",
            "[",
            "]",
            "{",
            "}",
            "&anchor ",
            "*anchor",
            "!!binary ",
            "|\n",
            ">\n",
            "'",
            "\"",
            "---\n",
            "? ",
        ],
    );
}

#[test]
fn markdown() {
    let tokens = [
        "<script>",
        "</script>",
        "<img src=x onerror=alert(1)>",
        "[a](javascript:alert(1))",
        "<svg onload=x>",
        "```\n",
        "<a href=\"jav&#x09;ascript:x\">",
        "<iframe>",
        "<style>",
        "![i](data:text/html,x)",
        "|a|b|\n|-|-|\n",
        "<!--",
        "-->",
        "<math>",
        "<details open ontoggle=x>",
        "&lt;",
        "<",
        ">",
        "`",
        "*",
        "_",
        "\\",
    ];
    let seeds: Vec<String> = [
        "Which **option** is right?",
        "Use `SearchClient`:\n\n```python\nx = 1\n```",
        "| a | b |\n|---|---|\n| 1 | 2 |",
        "<b>bold</b> and [a link](https://learn.microsoft.com)",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let mut rng = StdRng::seed_from_u64(seed());
    for i in 0..iterations() * 4 {
        let base = seeds[rng.random_range(0..seeds.len())].as_bytes();
        let pairs: Vec<(String, Vec<u8>)> = seeds
            .iter()
            .map(|s| (String::new(), s.clone().into_bytes()))
            .collect();
        let input = String::from_utf8_lossy(&mutate(&mut rng, base, &tokens, &pairs)).into_owned();
        if std::panic::catch_unwind(|| ai102::fuzz::render(&input)).is_err() {
            panic!(
                "markdown: input {i} (FUZZ_SEED={}) failed: {input:?}",
                seed()
            );
        }
    }
}

fn zip_of(files: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, data) in files {
        writer.start_file(*name, options).expect("start");
        writer.write_all(data).expect("write");
    }
    writer.finish().expect("finish").into_inner()
}

#[test]
fn zip_packages() {
    let pack = std::fs::read(root().join("tests/fixtures/exam_pack.yaml")).expect("fixture");
    let item = std::fs::read(root().join("tests/import/qti/choice_21.xml")).expect("fixture");
    let manifest = br#"<?xml version="1.0"?><manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"><resources><resource identifier="r1" type="imsqti_item_xmlv2p1" href="choice.xml"><file href="choice.xml"/></resource></resources></manifest>"#;
    let seeds = vec![
        (
            "pack.zip".to_owned(),
            zip_of(&[("pack/pack.yaml", &pack)], zip::CompressionMethod::Stored),
        ),
        (
            "pack.zip".to_owned(),
            zip_of(&[("pack.yaml", &pack)], zip::CompressionMethod::Deflated),
        ),
        (
            "qti.zip".to_owned(),
            zip_of(
                &[("imsmanifest.xml", manifest), ("choice.xml", &item)],
                zip::CompressionMethod::Stored,
            ),
        ),
    ];
    run(
        "zip",
        None,
        seeds,
        &[
            "PK\u{3}\u{4}",
            "PK\u{1}\u{2}",
            "PK\u{5}\u{6}",
            "../",
            "\0\0\0\0",
            "\u{ff}\u{ff}\u{ff}\u{ff}",
        ],
    );
}
