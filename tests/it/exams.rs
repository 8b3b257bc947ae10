//! The exam catalogue against the real app and PostgreSQL: AI-103 beside AI-102, each with its status and
//! dates; pages, practice, progress, analytics, reports and packs scoped by exam; the target exam; the time
//! zone of an account.

use crate::common::*;
use serde_json::Value;
use std::path::PathBuf;
use uuid::Uuid;

fn bank_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("question-bank")
}

/// The app with both shipped exams loaded.
async fn with_both_exams() -> TestApp {
    TestApp::spawn_with(|c| c.load_bank = Some(bank_root())).await
}

async fn candidate(app: &TestApp, email: &str) {
    assert_eq!(app.sign_up(email, "Cand").await.status(), 303);
}

async fn start_form(app: &TestApp, slug: &str) -> Uuid {
    let resp = app
        .post_form("/exams", &format!("/exams/{slug}/start"), &[])
        .await;
    assert_eq!(resp.status(), 303, "starting {slug}");
    location(&resp)
        .strip_prefix("/attempts/")
        .and_then(|s| s.split('/').next())
        .unwrap()
        .parse()
        .unwrap()
}

async fn submit(app: &TestApp, id: Uuid) {
    let r = app
        .post_form(
            &format!("/attempts/{id}/review"),
            &format!("/attempts/{id}/submit"),
            &[],
        )
        .await;
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn a_new_visitor_sees_ai_103_first_and_ai_102_marked_retired() {
    let app = with_both_exams().await;
    let html = app.get("/").await.text().await.unwrap();
    let cards = texts(&html, "[data-testid^=exam-AI] h3");
    assert!(cards[0].starts_with("AI-103"), "{cards:?}");
    assert!(cards[1].starts_with("AI-102"), "{cards:?}");
    assert_eq!(
        texts(&html, "[data-testid=exam-AI-102] [data-testid=exam-status]"),
        vec!["retired"]
    );
    let banner = texts(&html, "[data-testid=exam-AI-102] .exam-banner").join(" ");
    assert!(
        banner.contains("AI-102 was retired on 30 June 2026")
            && banner.contains("Its successor is AI-103")
            && banner.contains("Practice stays open"),
        "{banner}"
    );
    assert!(
        texts(&html, "h1")[0].contains("AI-103"),
        "the hero leads with the bookable exam"
    );
}

#[tokio::test]
async fn the_catalogue_is_served_with_status_and_dates_and_forms_and_attempts_carry_their_exam() {
    let app = with_both_exams().await;
    app.create_user("ana@example.com", ai102::auth::Role::Candidate)
        .await;
    let token = app.api_token("ana@example.com").await;
    let get = |path: &str| {
        let url = app.url(path);
        let token = token.clone();
        async move {
            let r = client().get(url).bearer_auth(token).send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()
        }
    };
    let exams = get("/api/v1/exams").await;
    let codes: Vec<&str> = exams
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["AI-103", "AI-102"]);
    let ai102 = &exams[1];
    assert_eq!(ai102["status"], "retired");
    assert_eq!(ai102["retires_on"], "2026-06-30");
    assert_eq!(ai102["successor"], "AI-103");
    assert_eq!(exams[0]["outline_date"], "2026-04-16");
    assert_eq!(exams[0]["outline"], "ai-103-2026-04");

    let forms = get("/api/v1/forms").await;
    let quick_103 = forms
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["slug"] == "ai103-quick-15")
        .expect("AI-103's quick form is listed");
    assert_eq!(quick_103["exam"], "AI-103");
    let r = client()
        .post(app.url("/api/v1/forms/ai103-quick-15/attempts"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let attempt: Value = r.json().await.unwrap();
    assert_eq!(attempt["exam"], "AI-103");
    let blueprint: String = sqlx::query_scalar("SELECT blueprint_id FROM attempts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(blueprint, "ai103");
}

#[tokio::test]
async fn a_candidate_sets_ai_103_as_target_and_takes_its_quick_form() {
    let app = with_both_exams().await;
    candidate(&app, "tom@example.com").await;
    let html = app.get("/exams").await.text().await.unwrap();
    let sections = texts(&html, "[data-testid^=exam-section-] h2");
    assert!(sections[0].starts_with("AI-103"), "{sections:?}");
    let r = app
        .post_form("/exams", "/account/target-exam", &[("exam", "ai-103")])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/exams?exam=AI-103");
    let only = app.get("/exams?exam=AI-103").await.text().await.unwrap();
    assert_eq!(
        texts(&only, "[data-testid=target-exam]"),
        vec!["AI-103 is your target exam."]
    );
    assert!(texts(&only, "[data-testid^=exam-section-AI-102]").is_empty());
    // Practice and progress follow the target.
    let practice = app.get("/practice").await.text().await.unwrap();
    assert_eq!(texts(&practice, "h1"), vec!["Practice AI-103"]);
    let id = start_form(&app, "ai103-quick-15").await;
    let items: i64 = app
        .count(&format!(
            "SELECT count(*) FROM attempt_items WHERE attempt_id = '{id}' AND NOT trial"
        ))
        .await;
    assert_eq!(items, 15);
    let foreign: i64 = app
        .count(&format!(
            "SELECT count(*) FROM attempt_items ai JOIN item_revisions r ON r.id = ai.revision_id
             JOIN items i ON i.id = r.item_id JOIN packs p ON p.id = i.pack_id
             WHERE ai.attempt_id = '{id}' AND p.blueprint_id <> 'ai103'"
        ))
        .await;
    assert_eq!(foreign, 0, "an AI-103 form draws AI-103 items only");
    submit(&app, id).await;
    let progress = app.get("/progress").await.text().await.unwrap();
    assert_eq!(texts(&progress, "h1"), vec!["Your AI-103 progress"]);
    // Switching back is one click and loses nothing.
    let r = app
        .post_form("/account", "/account/target-exam", &[("exam", "AI-102")])
        .await;
    assert_eq!(r.status(), 303);
    let history = app.get("/attempts").await.text().await.unwrap();
    assert!(texts(&history, "td").iter().any(|t| t == "AI-103"));
    let unknown = app
        .post_form("/account", "/account/target-exam", &[("exam", "AI-999")])
        .await;
    assert_eq!(unknown.status(), 400);
}

#[tokio::test]
async fn a_retired_exam_says_so_on_its_start_page_and_its_results() {
    let app = with_both_exams().await;
    candidate(&app, "ret@example.com").await;
    let page = app.get("/exams?exam=AI-102").await.text().await.unwrap();
    let banner = texts(&page, "[data-testid=exam-banner]").join(" ");
    assert!(banner.contains("can no longer be booked"), "{banner}");
    let id = start_form(&app, "quick-15").await;
    submit(&app, id).await;
    let result = app
        .get(&format!("/attempts/{id}/result"))
        .await
        .text()
        .await
        .unwrap();
    let banner = texts(&result, "[data-testid=exam-banner]").join(" ");
    assert!(banner.contains("AI-102 was retired"), "{banner}");
}

#[tokio::test]
async fn seen_and_missed_items_are_scoped_by_exam_and_keyed_by_pack_and_item() {
    let app = with_both_exams().await;
    candidate(&app, "seen@example.com").await;
    let id = start_form(&app, "quick-15").await;
    submit(&app, id).await;
    let user: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE email = 'seen@example.com'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let seen_102 = ai102::store::exam::ever_seen(&app.db, user, "ai102")
        .await
        .unwrap();
    let seen_103 = ai102::store::exam::ever_seen(&app.db, user, "ai103")
        .await
        .unwrap();
    assert!(!seen_102.is_empty());
    assert!(
        seen_102.iter().all(|k| k.starts_with("ai102-core/")),
        "{seen_102:?}"
    );
    assert!(
        seen_103.is_empty(),
        "an AI-102 attempt marks nothing of AI-103 as seen"
    );
    let missed_103 = ai102::store::exam::missed(&app.db, user, "ai103", 5)
        .await
        .unwrap();
    assert!(missed_103.is_empty());
    // Both exams have an item keyed genai-001; AI-103's is still unseen.
    let both: i64 = app
        .count("SELECT count(DISTINCT pack_id) FROM items WHERE item_key = 'genai-001'")
        .await;
    assert_eq!(both, 2);
    // "Only unseen" practice of AI-103 can still use its whole pool.
    let r = app
        .post_form(
            "/practice?exam=AI-103",
            "/practice/start",
            &[("exam", "AI-103"), ("count", "10"), ("only_unseen", "1")],
        )
        .await;
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn packs_are_uploaded_for_one_exam_and_placed_in_its_objectives() {
    let app = with_both_exams().await;
    app.create_user("ines@example.com", ai102::auth::Role::Instructor)
        .await;
    let token = app.api_token("ines@example.com").await;
    let gift =
        "::Q1:: Which tool grounds an agent in an index? {=Azure AI Search ~A spreadsheet}\n";
    let post = |query: &str| {
        client()
            .post(app.url(&format!("/api/v1/packs?{query}")))
            .bearer_auth(&token)
            .header("content-type", "application/octet-stream")
            .body(gift)
            .send()
    };
    let refused = post("format=gift&name=a.gift").await.unwrap();
    assert_eq!(refused.status(), 400);
    let problem: Value = refused.json().await.unwrap();
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("AI-103") && detail.contains("AI-102"),
        "{problem}"
    );
    // The field to fix, as the problem document's `errors` extension member.
    assert_eq!(problem["errors"][0]["field"], "exam", "{problem}");
    assert_eq!(problem["errors"][0]["message"], problem["detail"]);
    let made = post("format=gift&name=agents.gift&exam=AI-103")
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    let body: Value = made.json().await.unwrap();
    let pack_id: Uuid = body["pack"]["id"].as_str().unwrap().parse().unwrap();
    let blueprint: String = sqlx::query_scalar("SELECT blueprint_id FROM packs WHERE id = $1")
        .bind(pack_id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(blueprint, "ai103");
    // The pack page offers AI-103's objectives, and placing in one of them works; AI-102's are refused.
    app.sign_in("ines@example.com", PASSWORD).await;
    let page = app
        .get(&format!("/instructor/packs/{pack_id}"))
        .await
        .text()
        .await
        .unwrap();
    let options = texts(&page, "select[name=objective] option");
    assert!(
        options
            .iter()
            .any(|o| o.contains("Implement orchestrated multi-agent")),
        "{options:?}"
    );
    assert!(!options.iter().any(|o| o.contains("knowledge mining")));
    let placed = app
        .post_form(
            &format!("/instructor/packs/{pack_id}"),
            &format!("/instructor/packs/{pack_id}/assign"),
            &[("category", ""), ("objective", "genai.agent-tools")],
        )
        .await;
    assert_eq!(placed.status(), 303, "placed in an AI-103 objective");
    let wrong = app
        .post_form(
            &format!("/instructor/packs/{pack_id}"),
            &format!("/instructor/packs/{pack_id}/assign"),
            &[("category", ""), ("objective", "knowledge.search")],
        )
        .await;
    assert_eq!(wrong.status(), 400, "an AI-102 objective is not AI-103's");
}

#[tokio::test]
async fn progress_analytics_and_reports_are_per_exam() {
    let app = with_both_exams().await;
    candidate(&app, "per@example.com").await;
    let a102 = start_form(&app, "quick-15").await;
    submit(&app, a102).await;
    let a103 = start_form(&app, "ai103-quick-15").await;
    // A report on the AI-103 attempt's first item.
    let r = app
        .post_form(
            &format!("/attempts/{a103}/items/1"),
            &format!("/attempts/{a103}/items/1/report"),
            &[("kind", "unclear"), ("comment", "which SDK?")],
        )
        .await;
    assert_eq!(r.status(), 303);
    submit(&app, a103).await;
    let rows = |html: &str| texts(html, "table tbody tr").len();
    let p102 = app.get("/progress?exam=AI-102").await.text().await.unwrap();
    let p103 = app.get("/progress?exam=AI-103").await.text().await.unwrap();
    assert_eq!(texts(&p102, "h1"), vec!["Your AI-102 progress"]);
    assert!(rows(&p102) >= 1 && rows(&p103) >= 1);
    assert!(!p103.contains("Quick 15</td>") || p103.contains("AI-103 Quick 15"));
    app.sign_out().await;
    app.create_user("adm@example.com", ai102::auth::Role::Admin)
        .await;
    app.sign_in("adm@example.com", PASSWORD).await;
    for exam in ["AI-102", "AI-103"] {
        let d = app
            .get(&format!("/admin/analytics?exam={exam}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(texts(&d, "h1")[0].starts_with(exam), "{exam}");
        let csv = app
            .get(&format!(
                "/admin/analytics?exam={exam}&format=csv&chart=summary"
            ))
            .await;
        assert_eq!(csv.status(), 200);
    }
    let ia = app
        .get("/instructor/analytics?exam=AI-103")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(texts(&ia, "[data-testid=attempt-count]"), vec!["1"]);
    let reports_103 = app
        .get("/instructor/reports?exam=AI-103")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(texts(&reports_103, "[data-testid=report]").len(), 1);
    assert_eq!(texts(&reports_103, "[data-testid=exam]"), vec!["AI-103"]);
    let reports_102 = app
        .get("/instructor/reports?exam=AI-102")
        .await
        .text()
        .await
        .unwrap();
    assert!(texts(&reports_102, "[data-testid=report]").is_empty());
}

#[tokio::test]
async fn an_account_has_a_time_zone_from_sign_up_and_dates_are_shown_in_it() {
    let app = with_both_exams().await;
    let r = app
        .post_form(
            "/signup",
            "/signup",
            &[
                ("email", "tz@example.com"),
                ("display_name", "Zoe"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
                ("time_zone", "Asia/Kolkata"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let zone: String =
        sqlx::query_scalar("SELECT time_zone FROM users WHERE email = 'tz@example.com'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(zone, "Asia/Kolkata");
    let id = start_form(&app, "quick-15").await;
    // Started at 23:00 UTC on 1 March: 04:30 on 2 March in India (UTC+5:30).
    sqlx::query("UPDATE attempts SET started_at = '2026-03-01 23:00:00+00' WHERE id = $1")
        .bind(id)
        .execute(&app.db)
        .await
        .unwrap();
    let history = app.get("/attempts").await.text().await.unwrap();
    assert_eq!(texts(&history, "tbody time"), vec!["2026-03-02 04:30"]);
    // Editable on the account page; an unknown name is refused and changes nothing.
    let bad = app
        .post_form(
            "/account",
            "/account/time-zone",
            &[("time_zone", "Mars/Olympus")],
        )
        .await;
    assert_eq!(bad.status(), 422);
    let ok = app
        .post_form(
            "/account",
            "/account/time-zone",
            &[("time_zone", "America/New_York")],
        )
        .await;
    assert_eq!(ok.status(), 303);
    let history = app.get("/attempts").await.text().await.unwrap();
    assert_eq!(texts(&history, "tbody time"), vec!["2026-03-01 18:00"]);
}

#[tokio::test]
async fn an_uploaded_pack_page_lists_retired_and_renamed_names_beside_each_item() {
    let app = TestApp::spawn().await;
    app.create_user("lex@example.com", ai102::auth::Role::Instructor)
        .await;
    app.sign_in("lex@example.com", PASSWORD).await;
    let gift = "::Old intents:: Which service should a new bot use to detect intents? {=LUIS ~Conversational language understanding}\n\n\
                ::Current:: Which service extracts fields from invoices? {=Azure Document Intelligence ~A spreadsheet}\n\n\
                ::Roles:: Which role lets an app call a model? {=Cognitive Services OpenAI User ~Reader}\n";
    let r = app
        .upload("old.gift", gift.as_bytes().to_vec(), "gift")
        .await;
    assert_eq!(r.status(), 303, "imported as a draft");
    let page_path = location(&r);
    let page = app
        .get(page_path.split('?').next().unwrap())
        .await
        .text()
        .await
        .unwrap();
    let warned = texts(&page, "[data-testid^=warnings-]");
    assert_eq!(warned.len(), 1, "only the LUIS item is warned: {warned:?}");
    assert!(
        warned[0].contains("LUIS") && warned[0].contains("never the right answer"),
        "{warned:?}"
    );
}
