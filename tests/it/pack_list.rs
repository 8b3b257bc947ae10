//! The instructor's packs past ten: a page of 50, search, filters (status, owner, exam), the order by last
//! change, problems and warnings per row, the same over the API; deleting drafts (one, or several after one
//! confirmation) with an audit entry; a pack an attempt used can only be archived, and its forms keep working.

use crate::common::*;
use ai102::auth::Role;
use serde_json::Value;
use uuid::Uuid;

/// Imports the test pack under another key and title, for `owner` (`None`: a site pack), in `status`.
async fn pack(app: &TestApp, key: &str, title: &str, owner: Option<Uuid>, status: &str) -> Uuid {
    let status = ai102::store::bank::PackStatus::parse(status).expect("a status");
    app.import_pack(&test_pack_as(key, title), owner, status)
        .await
}

async fn signed_in(app: &TestApp, email: &str, role: Role) -> TestApp {
    let browser = app.other_browser();
    browser.create_user(email, role).await;
    assert_eq!(browser.sign_in(email, PASSWORD).await.status(), 303);
    browser
}

fn rows(html: &str) -> Vec<String> {
    texts(html, "[data-testid=pack-row] [data-testid=pack-title]")
}

#[tokio::test]
async fn the_list_pages_by_50_searches_filters_and_sorts_by_last_change() {
    let app = TestApp::spawn().await;
    let ines = signed_in(&app, "ines@example.com", Role::Instructor).await;
    let otto = signed_in(&app, "otto@example.com", Role::Instructor).await;
    let ada = signed_in(&app, "ada@example.com", Role::Admin).await;
    let (ines_id, otto_id) = (
        user_id(&app, "ines@example.com").await,
        user_id(&app, "otto@example.com").await,
    );
    for n in 0..55 {
        pack(
            &app,
            &format!("ines-{n:03}"),
            &format!("Ines draft {n:03}"),
            Some(ines_id),
            "draft",
        )
        .await;
    }
    pack(&app, "ines-live", "Ines live", Some(ines_id), "published").await;
    for n in 0..3 {
        pack(
            &app,
            &format!("otto-{n}"),
            &format!("Otto {n}"),
            Some(otto_id),
            "draft",
        )
        .await;
    }
    pack(&app, "shipped", "Shipped bank", None, "published").await;
    // One pack of AI-103, and one changed long ago.
    let ai103 = pack(&app, "ines-ai103", "Ines AI-103", Some(ines_id), "draft").await;
    sqlx::query("UPDATE packs SET blueprint_id = 'ai103' WHERE id = $1")
        .bind(ai103)
        .execute(&app.db)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE packs SET updated_at = now() - interval '1 year' WHERE pack_key = 'ines-007'",
    )
    .execute(&app.db)
    .await
    .unwrap();

    // Ines sees her 57 packs and the site's: 50, then 8.
    let html = ines.get("/instructor").await.text().await.unwrap();
    assert_eq!(rows(&html).len(), 50);
    assert_eq!(
        texts(&html, "[data-testid=pager] span"),
        ["Page 1 of 2 (58 in all)"]
    );
    let next = scraper::Html::parse_document(&html)
        .select(&scraper::Selector::parse("[data-testid=pager] a[rel=next]").unwrap())
        .next()
        .and_then(|a| a.value().attr("href").map(str::to_owned))
        .expect("a next page");
    let page2 = ines.get(&next).await.text().await.unwrap();
    assert_eq!(rows(&page2).len(), 8);
    assert_eq!(
        rows(&page2).last().map(String::as_str),
        Some("Ines draft 007"),
        "the least recently changed comes last"
    );
    let oldest_first = ines
        .get("/instructor?sort=changed-oldest")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(rows(&oldest_first)[0], "Ines draft 007");
    assert!(
        !rows(&html).iter().any(|t| t.starts_with("Otto")),
        "not Otto's"
    );

    // Search by title or key, filter by status, owner and exam.
    let found = ines
        .get("/instructor?q=INES-04")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(rows(&found).len(), 10, "{:?}", rows(&found));
    let found = ines
        .get("/instructor?q=draft%20012")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(rows(&found), ["Ines draft 012"]);
    let published = ines
        .get("/instructor?status=published")
        .await
        .text()
        .await
        .unwrap();
    let mut listed = rows(&published);
    listed.sort();
    assert_eq!(listed, ["Ines live", "Shipped bank"]);
    let site = ines
        .get("/instructor?owner=site")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(rows(&site), ["Shipped bank"]);
    assert_eq!(texts(&site, "[data-testid=pack-owner]"), ["site pack"]);
    assert!(
        texts(&site, "a[data-testid=pack-title]").is_empty(),
        "an instructor cannot open a site pack"
    );
    let mine_published = ines
        .get("/instructor?owner=mine&status=published")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(rows(&mine_published), ["Ines live"]);
    let of_ai103 = ines
        .get("/instructor?exam=AI-103")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(rows(&of_ai103), ["Ines AI-103"]);
    assert_eq!(ines.get("/instructor?status=lost").await.status(), 400);
    assert_eq!(ines.get("/instructor?exam=XX-000").await.status(), 400);

    // Otto sees his and the site's; the admin sees everyone's, and can open the site pack.
    let html = otto.get("/instructor").await.text().await.unwrap();
    assert_eq!(rows(&html).len(), 4);
    let html = ada
        .get("/instructor?owner=site")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(texts(&html, "a[data-testid=pack-title]"), ["Shipped bank"]);
    let html = ada.get("/instructor").await.text().await.unwrap();
    assert_eq!(
        texts(&html, "[data-testid=pager] span"),
        ["Page 1 of 2 (61 in all)"]
    );
    assert_eq!(
        rows(
            &ada.get("/instructor?owner=mine")
                .await
                .text()
                .await
                .unwrap()
        )
        .len(),
        0
    );
}

#[tokio::test]
async fn each_row_counts_problems_and_warnings() {
    let app = TestApp::spawn().await;
    let ines = signed_in(&app, "ines@example.com", Role::Instructor).await;
    let gift = include_bytes!("../import/gift/azure_ai.gift").to_vec();
    let r = ines.upload("azure_ai.gift", gift, "auto").await;
    assert_eq!(r.status(), 303, "the GIFT file imports as a draft");
    let ines_id = user_id(&app, "ines@example.com").await;
    let clean = pack(&app, "clean", "Clean", Some(ines_id), "draft").await;
    // A candidate's open report on the clean pack is counted apart.
    app.create_user("cand@example.com", Role::Candidate).await;
    report_typo(&app, "cand@example.com", clean, "t-single", None).await;
    let html = ines
        .get("/instructor?sort=title")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(rows(&html)[1], "Clean");
    let problems = texts(&html, "[data-testid=pack-problems]");
    let warnings = texts(&html, "[data-testid=pack-warnings]");
    let reports = texts(&html, "[data-testid=pack-reports]");
    // azure_ai's title sorts first; its items are not placed in the blueprint yet, and one of them names the
    // "Azure AI services" resource, an old name (a currency warning).
    assert!(problems[0].parse::<usize>().unwrap() > 0, "{problems:?}");
    assert_eq!(warnings[0], "1", "{warnings:?}");
    assert_eq!(
        (
            problems[1].as_str(),
            warnings[1].as_str(),
            reports[1].as_str()
        ),
        ("0", "0", "1")
    );
}

#[tokio::test]
async fn the_api_lists_the_same_pages_with_a_total_and_links() {
    let app = TestApp::spawn().await;
    app.create_user("ines@example.com", Role::Instructor).await;
    let ines_id = user_id(&app, "ines@example.com").await;
    for n in 0..52 {
        pack(
            &app,
            &format!("p-{n:02}"),
            &format!("P {n:02}"),
            Some(ines_id),
            "draft",
        )
        .await;
    }
    pack(&app, "shipped", "Shipped", None, "published").await;
    let token = app.api_token("ines@example.com").await;
    let get = |path: String| app.client.get(app.url(&path)).bearer_auth(&token).send();
    let r = get("/api/v1/packs".into()).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-total-count"], "52", "her own packs only");
    let link = r.headers()["link"].to_str().unwrap().to_owned();
    assert!(
        link.contains("page=2") && link.contains("rel=\"next\""),
        "{link}"
    );
    let body: Value = r.json().await.unwrap();
    let first = body.as_array().unwrap();
    assert_eq!(first.len(), 50);
    assert!(first[0]["updated_at"].is_string() && first[0]["problems"] == 0);
    assert_eq!(first[0]["exam"], "AI-102");
    let r = get("/api/v1/packs?page=2".into()).await.unwrap();
    assert!(r.headers()["link"]
        .to_str()
        .unwrap()
        .contains("rel=\"prev\""));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body.as_array().unwrap().len(), 2);
    let body: Value = get("/api/v1/packs?q=p-0&sort=title".into())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys: Vec<_> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].clone())
        .collect();
    assert_eq!(keys.len(), 10);
    assert_eq!(keys[0], "p-00");
    let r = get("/api/v1/packs?q=%00".into()).await.unwrap();
    assert_eq!(
        r.status(),
        200,
        "control characters are dropped from the search, never sent to PostgreSQL"
    );
    let r = get("/api/v1/packs?status=nope".into()).await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        get("/api/v1/packs?owner=site".into())
            .await
            .unwrap()
            .status(),
        400
    );
}

/// A published pack with a form, used by one attempt of a candidate.
async fn used_pack(app: &TestApp, owner: Uuid) -> Uuid {
    let id = pack(app, "used", "Used pack", Some(owner), "published").await;
    TestForm::new("used-form")
        .title("Used form")
        .owner(owner)
        .create(app, &[id])
        .await;
    let cand = signed_in(app, "cand@example.com", Role::Candidate).await;
    let r = cand
        .post_form("/exams", "/exams/used-form/start", &[])
        .await;
    assert_eq!(r.status(), 303, "an attempt uses the pack");
    id
}

#[tokio::test]
async fn a_draft_is_deleted_after_its_confirmation_page_and_the_deletion_is_audited() {
    let app = TestApp::spawn().await;
    let ines = signed_in(&app, "ines@example.com", Role::Instructor).await;
    let ines_id = user_id(&app, "ines@example.com").await;
    let one = pack(&app, "one", "Draft one", Some(ines_id), "draft").await;
    let two = pack(&app, "two", "Draft two", Some(ines_id), "draft").await;
    let three = pack(&app, "three", "Draft three", Some(ines_id), "draft").await;

    // The confirmation page names what goes.
    let confirm = format!("/instructor/packs/delete?pack={one}");
    let html = ines.get(&confirm).await.text().await.unwrap();
    let will_go = texts(&html, "[data-testid=will-go] li");
    assert_eq!(will_go.len(), 1);
    assert!(
        will_go[0].contains("Draft one") && will_go[0].contains("7 item(s)"),
        "{will_go:?}"
    );
    let r = ines
        .post_form(
            &confirm,
            "/instructor/packs/delete",
            &[("pack", &one.to_string())],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/instructor?deleted=1");
    let gone = format!("SELECT count(*) FROM packs WHERE id = '{one}'");
    assert_eq!(app.count(&gone).await, 0);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM items WHERE pack_id = '{one}'"
        ))
        .await,
        0,
        "its items and revisions went with it"
    );
    let (actor, detail): (String, Value) = sqlx::query_as(
        "SELECT actor, detail FROM audit_log WHERE action = 'pack.delete' AND target = 'one'",
    )
    .fetch_one(&app.db)
    .await
    .expect("an audit entry");
    assert_eq!(actor, "ines@example.com");
    assert_eq!(detail["items"], 7);

    // Several at once, after one confirmation.
    let confirm = format!("/instructor/packs/delete?pack={two}&pack={three}");
    let html = ines.get(&confirm).await.text().await.unwrap();
    assert_eq!(texts(&html, "[data-testid=will-go] li").len(), 2);
    let r = ines
        .post_form(
            &confirm,
            "/instructor/packs/delete",
            &[("pack", &two.to_string()), ("pack", &three.to_string())],
        )
        .await;
    assert_eq!(location(&r), "/instructor?deleted=2");
    assert_eq!(app.count("SELECT count(*) FROM packs").await, 0);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'pack.delete'")
            .await,
        3
    );

    // Over the API: 204, then 404.
    let four = pack(&app, "four", "Draft four", Some(ines_id), "draft").await;
    let token = app.api_token("ines@example.com").await;
    let delete = || {
        app.client
            .delete(app.url(&format!("/api/v1/packs/{four}")))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(delete().await.unwrap().status(), 204);
    assert_eq!(delete().await.unwrap().status(), 404);
}

#[tokio::test]
async fn a_pack_an_attempt_used_can_only_be_archived_and_its_form_keeps_working() {
    let app = TestApp::spawn().await;
    let ines = signed_in(&app, "ines@example.com", Role::Instructor).await;
    let ines_id = user_id(&app, "ines@example.com").await;
    let used = used_pack(&app, ines_id).await;
    let published = pack(&app, "fresh", "Fresh", Some(ines_id), "published").await;
    // Even back in draft, a used pack cannot be deleted.
    sqlx::query("UPDATE packs SET status = 'draft' WHERE id = $1")
        .bind(used)
        .execute(&app.db)
        .await
        .unwrap();

    let html = ines
        .get(&format!("/instructor/packs/delete?pack={used}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(texts(&html, "[data-testid=will-go] li").is_empty());
    let refused = texts(&html, "[data-testid=cannot-go] li");
    assert!(refused[0].contains("1 attempt(s)"), "{refused:?}");
    assert_eq!(texts(&html, "[data-testid=archive-instead]").len(), 1);
    let r = ines
        .post_form(
            "/instructor",
            "/instructor/packs/delete",
            &[("pack", &used.to_string())],
        )
        .await;
    assert_eq!(r.status(), 409);
    assert!(texts(&r.text().await.unwrap(), "[data-testid=delete-error]")[0].contains("archived"));

    let token = app.api_token("ines@example.com").await;
    let r = app
        .api(&token)
        .delete(&format!("/api/v1/packs/{used}"))
        .await;
    assert_eq!(r.status(), 409);
    let problem: Value = r.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("attempt"),
        "{problem}"
    );
    // A published pack is not a draft: 409 too, and a mixed choice deletes nothing.
    let r = app
        .api(&token)
        .delete(&format!("/api/v1/packs/{published}"))
        .await;
    assert_eq!(r.status(), 409);
    assert_eq!(app.count("SELECT count(*) FROM packs").await, 2);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'pack.delete'")
            .await,
        0
    );

    // Archived: its revisions stay, the form still starts attempts, new forms do not offer it.
    let r = ines
        .post_form(
            &format!("/instructor/packs/{used}"),
            &format!("/instructor/packs/{used}/status"),
            &[("status", "archived")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let other = signed_in(&app, "other@example.com", Role::Candidate).await;
    let r = other
        .post_form("/exams", "/exams/used-form/start", &[])
        .await;
    assert_eq!(r.status(), 303, "the form keeps working");
    let form_page = ines
        .get("/instructor/forms/new")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !form_page.contains(&used.to_string()),
        "not offered for new forms"
    );
}

#[tokio::test]
async fn another_instructors_pack_is_not_found_and_a_site_pack_is_only_the_admins() {
    let app = TestApp::spawn().await;
    let ines = signed_in(&app, "ines@example.com", Role::Instructor).await;
    let ada = signed_in(&app, "ada@example.com", Role::Admin).await;
    app.create_user("otto@example.com", Role::Instructor).await;
    let otto_id = user_id(&app, "otto@example.com").await;
    let ottos = pack(&app, "ottos", "Otto's", Some(otto_id), "draft").await;
    let site = pack(&app, "site-draft", "Site draft", None, "draft").await;
    for id in [ottos, site] {
        assert_eq!(
            ines.get(&format!("/instructor/packs/delete?pack={id}"))
                .await
                .status(),
            404
        );
        let r = ines
            .post_form(
                "/instructor",
                "/instructor/packs/delete",
                &[("pack", &id.to_string())],
            )
            .await;
        assert_eq!(r.status(), 404);
    }
    assert_eq!(
        ines.get(&format!("/instructor/packs/{site}"))
            .await
            .status(),
        404
    );
    assert_eq!(
        ada.get(&format!("/instructor/packs/{site}")).await.status(),
        200
    );
    let r = ada
        .post_form(
            "/instructor",
            "/instructor/packs/delete",
            &[("pack", &site.to_string())],
        )
        .await;
    assert_eq!(r.status(), 303, "an admin may delete a site draft");
    assert_eq!(app.count("SELECT count(*) FROM packs").await, 1);
}

#[tokio::test]
async fn an_attempt_that_takes_a_revision_while_its_draft_is_deleted_stops_the_deletion() {
    let app = TestApp::spawn().await;
    app.create_user("ines@example.com", Role::Instructor).await;
    app.create_user("cand@example.com", Role::Candidate).await;
    let ines_id = user_id(&app, "ines@example.com").await;
    let cand_id = user_id(&app, "cand@example.com").await;
    let draft = pack(&app, "racing", "Racing draft", Some(ines_id), "draft").await;

    // An attempt starting at this moment: its items are written, not yet committed.
    let mut starting = app.db.begin().await.unwrap();
    let attempt = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO attempts (id, user_id, mode, title, seed, item_count, cut_fraction, blueprint_id)
         VALUES ($1, $2, 'practice', 'Race', 1, 1, 0.7, 'ai102')",
    )
    .bind(attempt)
    .bind(cand_id)
    .execute(&mut *starting)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO attempt_items (attempt_id, position, revision_id, question_key, domain, objective,
                                    presentation, max_points)
         SELECT $1, 1, r.id, i.item_key, 'plan', 'plan.secure', '{}', 1
         FROM items i JOIN item_revisions r ON r.item_id = i.id
         WHERE i.pack_id = $2 AND i.item_key = 't-single'",
    )
    .bind(attempt)
    .bind(draft)
    .execute(&mut *starting)
    .await
    .unwrap();

    // The deletion saw no attempt; it waits on the revision the attempt holds.
    let db = app.db.clone();
    let deleting = tokio::spawn(async move {
        ai102::store::packs::delete_drafts(&db, (ines_id, "ines@example.com"), &[draft], |_| true)
            .await
            .unwrap()
    });
    let mut waiting = false;
    for _ in 0..500 {
        waiting = app
            .count(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE wait_event_type = 'Lock' AND query LIKE 'DELETE FROM packs%'",
            )
            .await
            > 0;
        if waiting {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(waiting, "the deletion waits for the starting attempt");
    starting.commit().await.unwrap();

    let outcome = deleting.await.unwrap();
    assert!(
        matches!(&outcome, ai102::store::packs::Deleted::Refused(r) if r.contains("attempt")),
        "{outcome:?}"
    );
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM packs WHERE id = '{draft}'"))
            .await,
        1,
        "the pack and the attempt's revision stay"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'pack.delete'")
            .await,
        0,
        "nothing deleted, nothing audited"
    );
}
