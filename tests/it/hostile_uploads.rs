//! Hostile files through the real upload route (POST /instructor/upload, as a signed-in instructor): files over
//! the size limit, zip bombs, zips that climb out with `../` or hold 30,000 entries, XML with external entities
//! or billion laughs, text that is not UTF-8, and 100,000 tiny items. Each is refused with a message that names
//! the file (and the line or entry), or, for Windows-1252 text, read with a note that says so; and a refused
//! file leaves the database as it was: no pack, item, revision, version, held upload or audit entry.

use crate::common::{self, texts, TestApp};
use ai102::auth::Role;
use ai102::bank::upload::{MAX_ITEMS, MAX_UPLOAD_BYTES};
use std::io::{Cursor, Write};
use zip::write::SimpleFileOptions;

impl TestApp {
    /// A fresh app with a signed-in instructor.
    async fn with_instructor() -> TestApp {
        let app = TestApp::spawn().await;
        app.create_user("ines@example.com", Role::Instructor).await;
        assert_eq!(
            app.sign_in("ines@example.com", common::PASSWORD)
                .await
                .status(),
            303
        );
        app
    }

    /// Nothing of an upload reached the database, not even a held copy for a later draft import.
    async fn assert_nothing_imported(&self) {
        for table in [
            "packs",
            "items",
            "item_revisions",
            "pack_versions",
            "uploads",
        ] {
            assert_eq!(
                self.count(&format!("SELECT count(*) FROM {table}")).await,
                0,
                "{table} is not empty"
            );
        }
        assert_eq!(
            self.count("SELECT count(*) FROM audit_log WHERE action = 'pack.upload'")
                .await,
            0,
            "an upload was audited as imported"
        );
    }
}

/// The problems of an upload's validation report, each `file:line:column message`.
fn problems(html: &str) -> Vec<String> {
    texts(html, "[data-testid=validation-report] .problems li")
}

/// A zip of `(name, bytes)` entries, deflated.
fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in files {
        writer.start_file(*name, options).expect("start");
        writer.write_all(data).expect("write");
    }
    writer.finish().expect("finish").into_inner()
}

/// A QTI content package's manifest naming one item file.
fn manifest(href: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest xmlns="http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1" identifier="m">
  <resources>
    <resource identifier="r1" type="imsqti_item_xmlv3p0" href="{href}"><file href="{href}"/></resource>
  </resources>
</manifest>
"#
    )
}

const XML_FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/import");

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!("{XML_FIXTURES}/{path}")).expect("fixture")
}

#[tokio::test]
async fn a_file_just_over_the_size_limit_is_refused_by_name_with_413() {
    let app = TestApp::with_instructor().await;
    let big = vec![b'a'; MAX_UPLOAD_BYTES + 1];
    let r = app.upload("big.gift", big, "auto").await;
    assert_eq!(r.status(), 413);
    let html = r.text().await.unwrap();
    let error = texts(&html, "[data-testid=upload-error]");
    assert_eq!(
        error,
        ["big.gift is larger than 16 MiB (16,777,217 bytes): uploads take at most 16 MiB; split the file"]
    );
    app.assert_nothing_imported().await;
}

#[tokio::test]
async fn a_body_far_over_the_limit_is_cut_off_unread_with_a_clear_page() {
    let app = TestApp::with_instructor().await;
    // Larger than the route's body limit: refused from its Content-Length before the body is read.
    let huge = vec![b'a'; MAX_UPLOAD_BYTES + 1024 * 1024];
    let r = app.upload("huge.gift", huge, "auto").await;
    assert_eq!(r.status(), 413);
    let html = r.text().await.unwrap();
    assert_eq!(
        texts(&html, "section p.message"),
        ["The file is larger than 16 MiB: uploads take at most 16 MiB; split the file."]
    );
    app.assert_nothing_imported().await;
}

#[tokio::test]
async fn a_zip_bomb_is_stopped_while_inflating_as_a_pack_and_as_a_qti_package() {
    let app = TestApp::with_instructor().await;
    // 8 MiB of zeros deflate to about 8 KiB: a ratio of about 1,000:1 (a real bomb nests such entries).
    let zeros = vec![0_u8; 8 * 1024 * 1024];
    let pack = zip_of(&[
        ("pack.yaml", b"pack: {id: p}\n"),
        ("items/bomb.yaml", &zeros),
    ]);
    assert!(pack.len() < 64 * 1024, "the bomb compresses well");
    let r = app.upload("bomb.zip", pack, "auto").await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        problems(&r.text().await.unwrap()),
        ["bomb.zip:1:1 zip entry `items/bomb.yaml` inflates more than 200:1 (a zip bomb?): refused"]
    );

    let qti = zip_of(&[
        ("imsmanifest.xml", manifest("items/bomb.xml").as_bytes()),
        ("items/bomb.xml", &zeros),
    ]);
    let r = app.upload("bomb-qti.zip", qti, "auto").await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        problems(&r.text().await.unwrap()),
        ["bomb-qti.zip:1:1 zip entry `items/bomb.xml` inflates more than 200:1 (a zip bomb?): refused"]
    );
    app.assert_nothing_imported().await;
}

#[tokio::test]
async fn a_zip_entry_climbing_out_with_dot_dot_is_refused() {
    let app = TestApp::with_instructor().await;
    let pack = zip_of(&[
        ("pack.yaml", b"pack: {id: p}\n"),
        ("../evil.yaml", b"items: []\n"),
    ]);
    let r = app.upload("climb.zip", pack, "auto").await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        problems(&r.text().await.unwrap()),
        ["climb.zip:1:1 zip entry `../evil.yaml` leaves the archive: refused"]
    );

    let qti = zip_of(&[
        ("imsmanifest.xml", manifest("../evil.xml").as_bytes()),
        ("items/../../evil.xml", b"<qti-assessment-item/>"),
    ]);
    let r = app.upload("climb-qti.zip", qti, "qti").await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        problems(&r.text().await.unwrap()),
        ["climb-qti.zip:1:1 zip entry `items/../../evil.xml` leaves the archive: refused"]
    );
    app.assert_nothing_imported().await;
}

#[tokio::test]
async fn a_zip_of_30000_entries_is_refused_before_any_is_inflated() {
    let app = TestApp::with_instructor().await;
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..30_000 {
        writer
            .start_file(format!("items/{i}.yaml"), stored)
            .expect("start");
    }
    let bytes = writer.finish().expect("finish").into_inner();
    let r = app.upload("many.zip", bytes, "auto").await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        problems(&r.text().await.unwrap()),
        ["many.zip:1:1 the archive has 30000 entries, more than the 20000 allowed: refused"]
    );
    app.assert_nothing_imported().await;
}

#[tokio::test]
async fn xml_declaring_entities_is_refused_in_moodle_xml_qti_and_a_qti_package() {
    let app = TestApp::with_instructor().await;
    let refused = "the DOCTYPE declares entities (`<!ENTITY`): refused, because entity expansion \
                   (billion laughs) and external entities (XXE) are not allowed";
    for (name, path) in [
        ("laughs.xml", "moodle-xml/billion_laughs.xml"),
        ("xxe.xml", "moodle-xml/xxe.xml"),
        ("laughs-qti.xml", "qti/billion_laughs.xml"),
        ("xxe-qti.xml", "qti/xxe.xml"),
    ] {
        let r = app.upload(name, fixture(path), "auto").await;
        assert_eq!(r.status(), 422, "{name}");
        let found = problems(&r.text().await.unwrap());
        assert_eq!(found.len(), 1, "{name}: {found:?}");
        assert!(
            found[0].starts_with(&format!("{name}:2:")) && found[0].ends_with(refused),
            "{name}: {found:?}"
        );
    }

    // The same item inside a content package: located at the item's file within the zip.
    let package = zip_of(&[
        ("imsmanifest.xml", manifest("items/xxe.xml").as_bytes()),
        ("items/xxe.xml", &fixture("qti/xxe.xml")),
    ]);
    let r = app.upload("package.zip", package, "auto").await;
    assert_eq!(r.status(), 422);
    let found = problems(&r.text().await.unwrap());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("package.zip/items/xxe.xml:2:") && found[0].ends_with(refused),
        "{found:?}"
    );
    // An entity in the manifest itself.
    let manifest_xxe = manifest("items/a.xml").replace(
        "<manifest ",
        "<!DOCTYPE manifest [ <!ENTITY x SYSTEM \"file:///etc/passwd\"> ]>\n<manifest ",
    );
    let package = zip_of(&[("imsmanifest.xml", manifest_xxe.as_bytes())]);
    let r = app.upload("manifest.zip", package, "auto").await;
    assert_eq!(r.status(), 422);
    let found = problems(&r.text().await.unwrap());
    assert!(
        found.len() == 1
            && found[0].starts_with("manifest.zip/imsmanifest.xml:2:")
            && found[0].ends_with(refused),
        "{found:?}"
    );
    app.assert_nothing_imported().await;
}

#[tokio::test]
async fn text_that_is_not_utf8_is_read_as_windows_1252_and_the_page_says_so() {
    let app = TestApp::with_instructor().await;
    // A clean GIFT file saved as Windows-1252: imported as a draft, the note kept with the version.
    let gift = b"::cafe:: Which caf\xe9 serves \x93espresso\x94? {=Contoso ~Fabrikam}\n".to_vec();
    let r = app.upload("latin1.gift", gift, "auto").await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let pack = common::location(&r);
    let pack = pack.split('?').next().unwrap_or_default();
    let page = app.get(pack).await.text().await.unwrap();
    let versions = texts(&page, "[data-testid=versions] tbody tr");
    assert!(
        versions[0].contains(
            "latin1.gift (gift); latin1.gift: the file is not UTF-8 (byte 18); it was read as Windows-1252"
        ),
        "{versions:?}"
    );
    let preview = app
        .get(&format!("{pack}/items/cafe"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        preview.contains("Which café serves “espresso”?"),
        "decoded as Windows-1252"
    );
    let clean = app.count("SELECT count(*) FROM items").await;
    assert_eq!(clean, 1);

    // Aiken and CSV files that are also broken: refused, the note next to the located problem.
    let aiken = b"Qu'est-ce qu'un caf\xe9?\nA) Un lieu\nB) Une boisson\nANSWER: Z\n".to_vec();
    let csv = b"id,type,question,option_a,option_b,answer\nq1,single,Caf\xe9?,Oui,Non,C\n".to_vec();
    for (name, bytes, line) in [("latin1.txt", aiken, 4), ("latin1.csv", csv, 2)] {
        let r = app.upload(name, bytes, "auto").await;
        assert_eq!(r.status(), 422, "{name}");
        let html = r.text().await.unwrap();
        let notes = texts(&html, "[data-testid=validation-report] .notice");
        assert_eq!(notes.len(), 1, "{name}: {notes:?}");
        assert!(
            notes[0].starts_with(&format!("{name}: the file is not UTF-8 (byte "))
                && notes[0].ends_with("it was read as Windows-1252"),
            "{notes:?}"
        );
        let found = problems(&html);
        assert!(
            found
                .iter()
                .all(|p| p.starts_with(&format!("{name}:{line}:"))),
            "{name}: {found:?}"
        );
    }

    // Our own format is UTF-8 only: refused with the line and byte of the first bad byte.
    let yaml = b"pack: {id: p, title: P, version: 1, blueprint: ai102}\nitems:\n  - id: caf\xe9\n"
        .to_vec();
    let r = app.upload("latin1.yaml", yaml, "auto").await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        problems(&r.text().await.unwrap()),
        ["latin1.yaml:3:12 the file is not valid UTF-8 text (byte 72): save it as UTF-8"]
    );
    assert_eq!(app.count("SELECT count(*) FROM items").await, clean);
    assert_eq!(app.count("SELECT count(*) FROM uploads").await, 0);
}

#[tokio::test]
async fn a_hundred_thousand_tiny_items_are_refused_and_nothing_is_held() {
    let app = TestApp::with_instructor().await;
    // The same title every time: ids q1, q1-2, … must not cost a quadratic search.
    let gift = "::q1:: A? {=a ~b}\n\n".repeat(100_000);
    let r = app.upload("tiny.gift", gift.into_bytes(), "auto").await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert_eq!(
        problems(&html),
        [format!(
            "tiny.gift:{}:1 the file holds more than {MAX_ITEMS} items (item {} starts here); one upload takes at most {MAX_ITEMS}: split it",
            2 * MAX_ITEMS + 1,
            MAX_ITEMS + 1
        )]
    );
    assert!(
        texts(&html, "[data-testid=import-valid]").is_empty(),
        "no draft is offered"
    );
    app.assert_nothing_imported().await;
}
