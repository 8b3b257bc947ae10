//! Help from one source: the documents of `docs/` served at `/help`, linked from where questions arise.
//!
//! - Every page, as each role, is visited; every `/help` link found on it (and on the help pages themselves) is
//!   followed, and its anchor must be an `id` on the page it names. A missing document or anchor fails.
//! - Every kind of problem `bank check` reports (one file per kind in tests/bank/malformed) has its own section.

use crate::common::*;
use ai102::auth::Role;
use scraper::{Html, Selector};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;
use uuid::Uuid;

/// The ids of a page's elements.
fn ids(html: &str) -> BTreeSet<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse("[id]").unwrap();
    doc.select(&sel)
        .filter_map(|e| e.value().attr("id").map(str::to_owned))
        .collect()
}

/// The `href` of every link of a page matching `css`.
fn hrefs(html: &str, css: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(css).unwrap();
    doc.select(&sel)
        .filter_map(|e| e.value().attr("href").map(str::to_owned))
        .collect()
}

/// Every GET route of the router without a path parameter, read from src/web/mod.rs.
fn plain_pages() -> Vec<String> {
    let source =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web/mod.rs"))
            .expect("src/web/mod.rs");
    let mut pages = Vec::new();
    for chunk in source.split(".route(").skip(1) {
        let path = chunk.split('"').nth(1).unwrap_or_default();
        let call = chunk.split(".route(").next().unwrap_or_default();
        if path.starts_with('/')
            && !path.contains('{')
            && !path.starts_with("/api")
            && call.contains("get(")
            && !["/metrics", "/healthz", "/readyz", "/signout"].contains(&path)
        {
            pages.push(path.to_owned());
        }
    }
    pages
}

/// Follows every help link found on `start` pages (and, from there, on help pages), checking documents and
/// anchors. Returns the problems found and the help links seen.
async fn follow_help_links(
    who: &str,
    app: &TestApp,
    start: &[(String, String)],
    fetched: &mut BTreeMap<String, (u16, String)>,
) -> (Vec<String>, BTreeSet<String>) {
    let mut wrong = Vec::new();
    let mut seen = BTreeSet::new();
    let mut queue: VecDeque<(String, String)> = VecDeque::new();
    for (page, html) in start {
        for href in hrefs(html, "a[href^='/help']") {
            queue.push_back((page.clone(), href));
        }
    }
    while let Some((from, href)) = queue.pop_front() {
        if !seen.insert(href.clone()) {
            continue;
        }
        let (path, fragment) = match href.split_once('#') {
            Some((p, f)) => (p.to_owned(), Some(f.to_owned())),
            None => (href.clone(), None),
        };
        if !fetched.contains_key(&path) {
            let r = app.get(&path).await;
            let status = r.status().as_u16();
            let body = r.text().await.unwrap_or_default();
            // Help pages link onwards: their help links are followed too, and every other site path they name
            // must exist.
            if status == 200 && path.starts_with("/help/") && !path.ends_with(".json") {
                for next in hrefs(&body, "main a[href]") {
                    if next.starts_with("/help") {
                        queue.push_back((path.clone(), next));
                    } else if let Some(anchor) = next.strip_prefix('#') {
                        queue.push_back((path.clone(), format!("{path}#{anchor}")));
                    } else if next.starts_with('/') {
                        let status = app.get(&next).await.status();
                        if status == 404 {
                            wrong.push(format!("{path} links to {next}, which is 404"));
                        }
                    }
                }
            }
            fetched.insert(path.clone(), (status, body));
        }
        let (status, body) = &fetched[&path];
        if *status != 200 {
            wrong.push(format!("as {who}, {from} links to {href}: {status}"));
        } else if let Some(f) = fragment {
            if !ids(body).contains(&f) {
                wrong.push(format!("as {who}, {from} links to {href}: no such anchor"));
            }
        }
    }
    (wrong, seen)
}

#[tokio::test]
async fn every_help_link_of_every_page_as_each_role_names_a_document_and_an_anchor_that_exist() {
    let app = TestApp::spawn().await;
    let pack = app.import_test_pack().await;
    TestForm::new("test-form").create(&app, &[pack]).await;

    let mut pages_of: Vec<(&str, TestApp, Vec<String>)> =
        vec![("anonymous", app.other_browser(), Vec::new())];
    for (who, email, role) in [
        ("candidate", "cand@example.com", Role::Candidate),
        ("instructor", "inst@example.com", Role::Instructor),
        ("admin", "admin@example.com", Role::Admin),
    ] {
        let browser = app.other_browser();
        browser.create_user(email, role).await;
        assert_eq!(browser.sign_in(email, PASSWORD).await.status(), 303);
        pages_of.push((who, browser, Vec::new()));
    }

    let mut fetched = BTreeMap::new();
    let mut all_seen = BTreeSet::new();
    let mut wrong = Vec::new();
    for (who, browser, _) in &mut pages_of {
        let mut start: Vec<(String, String)> = Vec::new();
        for page in plain_pages() {
            let r = browser.get(&page).await;
            assert!(
                !r.status().is_server_error(),
                "GET {page} as {who}: {}",
                r.status()
            );
            start.push((page, r.text().await.unwrap_or_default()));
        }
        match *who {
            "candidate" => {
                // A result page.
                let r = browser
                    .post_form("/exams", "/exams/test-form/start", &[])
                    .await;
                let attempt: Uuid = location(&r)
                    .strip_prefix("/attempts/")
                    .and_then(|s| s.split('/').next())
                    .and_then(|s| s.parse().ok())
                    .expect("an attempt");
                let r = browser.submit_attempt(attempt).await;
                assert_eq!(r.status(), 303);
                let result = format!("/attempts/{attempt}/result");
                let html = browser.get(&result).await.text().await.unwrap();
                assert_eq!(
                    hrefs(&html, "a[data-testid=score-help]"),
                    ["/help/scoring#scaled-score-and-pass-mark"]
                );
                start.push((result, html));
            }
            "instructor" => {
                // An upload's report, and the pack page of a GIFT file whose items are not placed yet.
                let bad = include_str!("../import/native/bad_pack.yaml");
                let r = browser
                    .upload("bad_pack.yaml", bad.as_bytes().to_vec(), "auto")
                    .await;
                assert_eq!(r.status(), 422);
                start.push(("the upload report".into(), r.text().await.unwrap()));
                let gift = include_bytes!("../import/gift/azure_ai.gift").to_vec();
                let r = browser.upload("azure_ai.gift", gift, "auto").await;
                let html = if r.status() == 303 {
                    browser.get(&location(&r)).await.text().await.unwrap()
                } else {
                    r.text().await.unwrap()
                };
                assert!(
                    !hrefs(&html, "a[data-testid=problem-help]").is_empty(),
                    "problems link to their rule"
                );
                start.push(("the GIFT pack".into(), html));
            }
            _ => {}
        }
        let (w, seen) = follow_help_links(who, browser, &start, &mut fetched).await;
        wrong.extend(w);
        all_seen.extend(seen);
    }
    assert!(wrong.is_empty(), "broken help links:\n{}", wrong.join("\n"));
    // Every document was reached from the pages, and the footer links the index on every page.
    for doc in ai102::help::DOCS {
        assert!(
            all_seen
                .iter()
                .any(|h| h.starts_with(&format!("/help/{}", doc.name))),
            "no page links to /help/{}",
            doc.name
        );
    }
    assert!(all_seen.contains("/help"));
    for (path, wanted) in [
        ("/help/exams", "/help/exams#the-question-types"),
        ("/help/readiness", "/help/readiness"),
    ] {
        assert!(all_seen.contains(wanted), "{path}: {wanted} is linked");
    }
}

#[tokio::test]
async fn help_pages_have_a_table_of_contents_and_no_link_into_the_source_tree() {
    let app = TestApp::spawn().await;
    let index = app.get("/help").await;
    assert_eq!(index.status(), 200);
    let html = index.text().await.unwrap();
    assert_eq!(
        hrefs(&html, "main a[href^='/help/']").len(),
        ai102::help::DOCS.len()
    );
    for doc in ai102::help::DOCS {
        let html = app
            .get(&format!("/help/{}", doc.name))
            .await
            .text()
            .await
            .unwrap();
        let toc = hrefs(&html, "[data-testid=help-toc] a");
        assert!(!toc.is_empty(), "{}: a table of contents", doc.name);
        for href in hrefs(&html, "[data-testid=help-page] a[href]") {
            assert!(
                href.starts_with("/")
                    || href.starts_with("#")
                    || href.starts_with("https://")
                    || href.starts_with("http://"),
                "{}: {href}",
                doc.name
            );
            assert!(
                !href.contains("src/") && !href.ends_with(".md") && !href.contains(".md#"),
                "{}: {href} points into the source tree",
                doc.name
            );
        }
    }
    let schema = app.get("/help/question-format.schema.json").await;
    assert_eq!(schema.status(), 200);
    let _: serde_json::Value = schema.json().await.expect("the schema is JSON");
    assert_eq!(app.get("/help/architecture").await.status(), 404);
    assert_eq!(app.get("/help/../Cargo.toml").await.status(), 404);
}

#[test]
fn every_kind_of_problem_bank_check_reports_has_its_own_section() {
    let format = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/question-format.md"),
    )
    .unwrap();
    let page = ai102::web::markdown::help(&format, ai102::help::resolve_link);
    let anchors: BTreeSet<String> = page.toc.iter().map(|(_, id, _)| id.clone()).collect();
    for anchor in ai102::help::problem_anchors() {
        assert!(
            anchors.contains(anchor),
            "question-format.md has no section `{anchor}`"
        );
    }
    let malformed = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bank/malformed");
    let mut files: Vec<_> = std::fs::read_dir(&malformed)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut unmapped = Vec::new();
    let mut used = BTreeSet::new();
    for file in files {
        let report = ai102::bank::check_path(&file).unwrap();
        assert!(!report.problems.is_empty(), "{}", file.display());
        for p in &report.problems {
            match ai102::help::problem_anchor(&p.message) {
                Some(a) => {
                    used.insert(a);
                }
                None => unmapped.push(p.to_string()),
            }
        }
    }
    assert!(
        unmapped.is_empty(),
        "problems without a section:\n{}",
        unmapped.join("\n")
    );
    assert!(
        used.len() >= 15,
        "the fixtures reach most sections: {used:?}"
    );
}
