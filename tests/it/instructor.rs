//! Instructors' uploads through the real pages: validation reports, all-or-nothing imports, drafts of the
//! valid items, placing items in the blueprint, editing, versions and publishing, and who may do what.

use crate::common::{self, csrf_in, location, texts, TestApp, TEST_PACK_QUESTIONS};
use ai102::auth::Role;

const PACK: &str = include_str!("../fixtures/exam_pack.yaml");
const BAD_PACK: &str = include_str!("../import/native/bad_pack.yaml");

impl TestApp {
    async fn instructor(&self, email: &str) {
        self.create_user(email, Role::Instructor).await;
        assert_eq!(self.sign_in(email, common::PASSWORD).await.status(), 303);
    }
}

/// The pack page an upload redirected to, without its message.
fn pack_path(r: &reqwest::Response) -> String {
    location(r).split('?').next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_bad_pack_gets_a_located_report_and_imports_nothing() {
    let app = TestApp::spawn().await;
    app.instructor("ines@example.com").await;
    let r = app
        .upload("bad_pack.yaml", BAD_PACK.as_bytes().to_vec(), "auto")
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    let problems = texts(&html, "[data-testid=validation-report] .problems li");
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].starts_with("bad_pack.yaml:16:") && problems[0].contains("`c`"),
        "file, line and the wrong key: {problems:?}"
    );
    assert!(
        problems[1].starts_with("bad_pack.yaml:22:") && problems[1].contains("plan.nowhere"),
        "{problems:?}"
    );
    let groups = texts(&html, "[data-testid=validation-report] h3");
    assert_eq!(groups, ["bad-key", "bad-objective"], "grouped by item");
    assert_eq!(app.count("SELECT count(*) FROM packs").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM items").await, 0);
    // No valid item: nothing is offered as a draft.
    assert!(texts(&html, "[data-testid=import-valid]").is_empty());
}

#[tokio::test]
async fn the_valid_items_of_a_file_with_problems_can_be_imported_as_a_draft() {
    let app = TestApp::spawn().await;
    app.instructor("ines@example.com").await;
    let mixed = PACK.replace(
        "    answer: a\n    explanation: A is right; B and C are wrong.",
        "    answer: z\n    explanation: A is right; B and C are wrong.",
    );
    let r = app.upload("mixed.yaml", mixed.into_bytes(), "yaml").await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert_eq!(app.count("SELECT count(*) FROM items").await, 0);
    let offer = texts(&html, "[data-testid=import-valid]");
    assert_eq!(offer, ["Import the 6 valid item(s) as a draft"]);
    let action = scraper::Html::parse_document(&html)
        .select(&scraper::Selector::parse("form[action^='/instructor/uploads/']").unwrap())
        .next()
        .and_then(|f| f.value().attr("action").map(str::to_owned))
        .expect("the import form");
    let token = csrf_in(&html).unwrap();
    let r = app
        .client
        .post(app.url(&action))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let pack_url = location(&r);
    assert_eq!(app.count("SELECT count(*) FROM items").await, 6);
    assert_eq!(
        app.count("SELECT count(*) FROM packs WHERE status = 'draft'")
            .await,
        1
    );
    let page = app.get(&pack_url).await.text().await.unwrap();
    assert_eq!(
        texts(&page, "[data-testid=pack-message]"),
        ["Imported: 6 added, 0 changed, 0 unchanged, 0 removed."]
    );
    assert_eq!(
        app.count("SELECT count(*) FROM uploads").await,
        0,
        "the held upload is gone"
    );
}

#[tokio::test]
async fn an_instructor_uploads_edits_versions_and_publishes_a_pack() {
    let app = TestApp::spawn().await;
    app.instructor("ines@example.com").await;
    let r = app
        .upload("exam_pack.yaml", PACK.as_bytes().to_vec(), "auto")
        .await;
    assert_eq!(r.status(), 303);
    let pack_url = pack_path(&r);
    let page = app.get(&pack_url).await.text().await.unwrap();
    assert_eq!(texts(&page, "[data-testid=pack-status]"), ["draft"]);
    assert_eq!(texts(&page, "[data-testid=pack-items] tbody tr").len(), 7);

    // Publish.
    let r = app
        .post_form(
            &pack_url,
            &format!("{pack_url}/status"),
            &[("status", "published")],
        )
        .await;
    assert_eq!(
        r.status(),
        303,
        "{:?}",
        texts(
            &r.text().await.unwrap(),
            "[data-testid=publish-problems] li"
        )
    );
    let page = app.get(&location(&r)).await.text().await.unwrap();
    assert_eq!(texts(&page, "[data-testid=pack-status]"), ["published"]);

    // Edit one item: a broken edit is refused with its line; a good one makes revision 2.
    let edit_url = format!("{pack_url}/items/t-single/edit");
    let edit_page = app.get(&edit_url).await.text().await.unwrap();
    let current = texts(&edit_page, "textarea#text").remove(0);
    let broken = current.replace("\"answer\": \"a\"", "\"answer\": \"q\"");
    assert_ne!(broken, current);
    let r = app
        .post_form(&edit_url, &edit_url, &[("text", &broken)])
        .await;
    assert_eq!(r.status(), 422);
    let problems = texts(&r.text().await.unwrap(), "[data-testid=edit-problems] li");
    assert!(problems.iter().any(|p| p.contains("`q`")), "{problems:?}");
    let fixed = current.replace("Which option is right?", "Which option is the right one?");
    let r = app
        .post_form(&edit_url, &edit_url, &[("text", &fixed)])
        .await;
    assert_eq!(
        r.status(),
        303,
        "{fixed}\n{:?}",
        texts(&r.text().await.unwrap(), "[data-testid=edit-problems] li")
    );
    assert_eq!(
        app.count("SELECT count(*) FROM item_revisions r JOIN items i ON i.id = r.item_id WHERE i.item_key = 't-single'")
            .await,
        2,
        "the edit is a new revision; the old one stays"
    );

    // Re-upload with one item changed and one removed: a new version with its diff summary.
    let changed = PACK.replace("Which two are right?", "Which TWO are right?");
    let start = changed.find("  - id: t-order").unwrap();
    let end = changed[start + 5..].find("  - id: ").unwrap() + start + 5;
    let changed = format!("{}{}", &changed[..start], &changed[end..]);
    let r = app
        .upload("exam_pack.yaml", changed.into_bytes(), "auto")
        .await;
    assert_eq!(r.status(), 303);
    let page = app.get(&location(&r)).await.text().await.unwrap();
    let versions = texts(&page, "[data-testid=versions] tbody tr");
    assert!(versions.len() >= 3, "{versions:?}");
    // The re-upload also brings back t-single's uploaded text: 2 changed, 1 removed.
    assert!(
        versions[0].contains("exam_pack.yaml (yaml)"),
        "{versions:?}"
    );
    assert_eq!(
        texts(&page, "[data-testid=pack-message]"),
        ["Imported: 0 added, 2 changed, 4 unchanged, 1 removed."]
    );

    // The audit log has each action.
    assert!(
        app.count("SELECT count(*) FROM audit_log WHERE actor = 'ines@example.com'")
            .await
            >= 4
    );
}

#[tokio::test]
async fn an_item_of_our_format_without_a_reference_is_refused() {
    let app = TestApp::spawn().await;
    app.instructor("ines@example.com").await;
    let pack = PACK.replace(
        "    references: [https://learn.microsoft.com/azure/ai-services/authentication]\n",
        "    references: []\n",
    );
    let r = app
        .upload("exam_pack.yaml", pack.into_bytes(), "auto")
        .await;
    assert_eq!(r.status(), 422, "a missing reference is a problem");
    assert_eq!(app.count("SELECT count(*) FROM items").await, 0);
}

#[tokio::test]
async fn packs_belong_to_their_instructor() {
    let app = TestApp::spawn().await;
    app.instructor("ines@example.com").await;
    let r = app
        .upload("exam_pack.yaml", PACK.as_bytes().to_vec(), "auto")
        .await;
    assert_eq!(r.status(), 303);
    let pack_url = location(&r);

    let other = app.other_browser();
    other.instructor("otto@example.com").await;
    assert_eq!(other.get(&pack_url).await.status(), 404);
    let r = other
        .upload("exam_pack.yaml", PACK.as_bytes().to_vec(), "auto")
        .await;
    assert_eq!(r.status(), 409, "the pack id is taken by someone else");
    let html = r.text().await.unwrap();
    assert!(texts(&html, "[data-testid=upload-error]")[0].contains("not yours"));

    let candidate = app.other_browser();
    candidate
        .create_user("cara@example.com", Role::Candidate)
        .await;
    candidate
        .sign_in("cara@example.com", common::PASSWORD)
        .await;
    assert_eq!(candidate.get(&pack_url).await.status(), 403);
    assert_eq!(candidate.get("/instructor/upload").await.status(), 403);

    // Without a CSRF token the upload is refused and nothing changes.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(PACK.as_bytes().to_vec()).file_name("x.yaml"),
    );
    let r = app
        .client
        .post(app.url("/instructor/upload"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(app.count("SELECT count(*) FROM packs").await, 1);

    // An admin may open any pack.
    let admin = app.other_browser();
    admin.create_user("ada@example.com", Role::Admin).await;
    admin.sign_in("ada@example.com", common::PASSWORD).await;
    assert_eq!(admin.get(&pack_url).await.status(), 200);
}

#[tokio::test]
async fn uploads_over_the_limit_are_refused_plainly() {
    let app = TestApp::spawn().await;
    app.instructor("ines@example.com").await;
    let big = vec![b'a'; ai102::bank::upload::MAX_UPLOAD_BYTES + 10];
    let r = app.upload("big.gift", big, "auto").await;
    assert!(
        r.status() == 400 || r.status() == 413,
        "status {}",
        r.status()
    );
    assert_eq!(app.count("SELECT count(*) FROM packs").await, 0);
}

#[tokio::test]
async fn a_gift_file_is_placed_published_and_built_into_a_form_that_a_candidate_takes() {
    let app = TestApp::spawn().await;
    app.instructor("ines@example.com").await;
    let gift = include_bytes!("../import/gift/publishable.gift").to_vec();
    let r = app.upload("publishable.gift", gift, "auto").await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let pack_url = pack_path(&r);
    let page = app.get(&pack_url).await.text().await.unwrap();
    assert_eq!(texts(&page, "[data-testid=pack-items] tbody tr").len(), 6);
    assert_eq!(texts(&page, "[data-testid=pack-status]"), ["draft"]);
    assert_eq!(
        texts(&page, "select#category option"),
        [
            "Every item without a domain",
            "Category “AI-102/Language” (3)",
            "Category “AI-102/Vision” (3)"
        ]
    );

    // Not publishable yet: no domains.
    let r = app
        .post_form(
            &pack_url,
            &format!("{pack_url}/status"),
            &[("status", "published")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let problems = texts(
        &r.text().await.unwrap(),
        "[data-testid=publish-problems] li",
    );
    assert!(!problems.is_empty());

    // Place the Vision category in one objective and every other unplaced item in another.
    let r = app
        .post_form(
            &pack_url,
            &format!("{pack_url}/assign"),
            &[
                ("category", "AI-102/Vision"),
                ("objective", "vision.analyze"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        texts(
            &app.get(&location(&r)).await.text().await.unwrap(),
            "[data-testid=pack-message]"
        ),
        ["3 item(s) placed in the blueprint."]
    );
    let r = app
        .post_form(
            &pack_url,
            &format!("{pack_url}/assign"),
            &[("category", "*unplaced*"), ("objective", "nlp.text")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = app
        .post_form(
            &pack_url,
            &format!("{pack_url}/status"),
            &[("status", "published")],
        )
        .await;
    assert_eq!(
        r.status(),
        303,
        "{:?}",
        texts(
            &r.text().await.unwrap(),
            "[data-testid=publish-problems] li"
        )
    );

    // A form over the pack: the dry run says which domains are short, then the form is created.
    let pack_id = pack_url.rsplit('/').next().unwrap().to_owned();
    // The instructor asks for it to be public (an admin approves below).
    let fields = [
        ("visibility", "request"),
        ("title", "Vision and language drill"),
        ("slug", "vision-language-drill"),
        ("pack", pack_id.as_str()),
        ("item_count", "6"),
        ("duration", "15"),
        ("case_studies", "0"),
        ("cut_percent", "70"),
    ];
    let mut dry = fields.to_vec();
    dry.push(("action", "dry_run"));
    let r = app
        .post_form("/instructor/forms/new", "/instructor/forms", &dry)
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let summary = texts(&html, "[data-testid=dry-run-summary]");
    assert!(
        summary[0].contains("had to come from other domains"),
        "{summary:?}"
    );
    let mut create = fields.to_vec();
    create.push(("action", "create"));
    let r = app
        .post_form("/instructor/forms/new", "/instructor/forms", &create)
        .await;
    assert_eq!(r.status(), 303);

    // An admin approves the request: the form is public. A candidate takes it.
    let form: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM exam_forms WHERE slug = 'vision-language-drill'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let ada = common::new_user(&app, "ada@example.com", Role::Admin).await;
    let approved = ai102::store::classes::answer_public_request(
        &app.db,
        ai102::store::users::Actor {
            id: ada.id,
            email: &ada.email,
        },
        form,
        true,
        "",
    )
    .await
    .unwrap();
    assert!(approved, "the request was pending");
    let cand = app.other_browser();
    cand.sign_up("cara@example.com", "Cara").await;
    let forms = cand.get("/exams").await.text().await.unwrap();
    assert!(forms.contains("Vision and language drill"));
    let r = cand
        .post_form("/exams", "/exams/vision-language-drill/start", &[])
        .await;
    assert_eq!(r.status(), 303);
    let item = location(&r);
    let page = cand.get(&item).await.text().await.unwrap();
    assert_eq!(texts(&page, "[data-testid=counter]"), ["Item 1 of 6"]);
    let attempt = item.split('/').nth(2).unwrap().to_owned();
    let r = cand
        .post_form(&item, &format!("/attempts/{attempt}/submit"), &[])
        .await;
    assert_eq!(r.status(), 303);
    let result = cand.get(&format!("/attempts/{attempt}/result")).await;
    assert_eq!(result.status(), 200);
}

#[tokio::test]
async fn every_item_of_a_pack_can_be_previewed_with_its_key_and_explanation() {
    let app = TestApp::spawn().await;
    app.instructor("ines@example.com").await;
    let r = app
        .upload("exam_pack.yaml", PACK.as_bytes().to_vec(), "auto")
        .await;
    let pack_url = pack_path(&r);
    let page = app.get(&pack_url).await.text().await.unwrap();
    let links: Vec<String> = scraper::Html::parse_document(&page)
        .select(&scraper::Selector::parse("[data-testid=pack-items] a").unwrap())
        .filter_map(|a| a.value().attr("href").map(str::to_owned))
        .collect();
    assert_eq!(links.len(), 14, "a preview and an edit link per item");
    for link in &links {
        assert_eq!(app.get(link).await.status(), 200, "{link}");
    }
    let preview = app
        .get(&format!("{pack_url}/items/t-single"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(texts(&preview, "[data-testid=preview-key] li"), ["Right"]);
    assert!(preview.contains("A is right; B and C are wrong."));

    // Beside the key, each item is shown with the controls a candidate answers it with.
    let doc_of = |html: &str| scraper::Html::parse_document(html);
    let count = |html: &str, css: &str| {
        doc_of(html)
            .select(&scraper::Selector::parse(css).unwrap())
            .count()
    };
    let as_candidate = "[data-testid=as-candidate]";
    assert_eq!(
        count(
            &preview,
            &format!("{as_candidate} input[type=radio][name=choice]")
        ),
        3
    );
    for (key, css, n) in [
        ("t-multiple", "input[type=checkbox][name=choice]", 4),
        ("t-yesno", "input[type=radio][name^='s:']", 6),
        ("t-order", "select[name^='pos:']", 3),
        ("t-match", "select[name^='slot:']", 2),
        ("t-hot", "select[name^='slot:']", 2),
    ] {
        let html = app
            .get(&format!("{pack_url}/items/{key}"))
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(
            count(&html, &format!("{as_candidate} {css}")),
            n,
            "{key}: {css}"
        );
        assert!(count(&html, "[data-testid=preview-key] li") > 0, "{key}");
    }
    // A case study shows each of its questions, with ids unique on the page.
    let case_key = links
        .iter()
        .filter(|l| !l.ends_with("/edit"))
        .filter_map(|l| l.rsplit('/').next())
        .find(|k| !TEST_PACK_QUESTIONS[..6].contains(k))
        .expect("the case study's link")
        .to_owned();
    let html = app
        .get(&format!("{pack_url}/items/{case_key}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        count(&html, as_candidate),
        2,
        "both questions of the case study"
    );
    let ids: Vec<String> = doc_of(&html)
        .select(&scraper::Selector::parse("[id]").unwrap())
        .filter_map(|e| e.value().attr("id").map(str::to_owned))
        .collect();
    let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "no id is used twice: {ids:?}");

    let other = app.other_browser();
    other.instructor("otto@example.com").await;
    assert_eq!(
        other
            .get(&format!("{pack_url}/items/t-single"))
            .await
            .status(),
        404
    );
}
