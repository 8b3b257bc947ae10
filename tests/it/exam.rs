//! The timed mock exam against the real app and PostgreSQL: every item type, partial credit, the database
//! clock (late answers refused, auto-end), resuming on another instance, two tabs on two instances, locking,
//! double submit, bad input.

use crate::common::*;
use ai102::config::Config;

use uuid::Uuid;

/// Imports the small test pack (one question of each type and a two-question case study) and makes a form
/// that draws all of its 8 questions.
async fn with_test_form(app: &TestApp, minutes: i32) {
    let pack = app.import_test_pack().await;
    TestForm::new("test-form")
        .minutes(minutes)
        .create(app, &[pack])
        .await;
}

async fn start(app: &TestApp) -> Uuid {
    let resp = app.post_form("/exams", "/exams/test-form/start", &[]).await;
    assert_eq!(resp.status(), 303, "start redirects to the first item");
    let loc = location(&resp);
    let id = loc
        .strip_prefix("/attempts/")
        .and_then(|s| s.split('/').next())
        .expect("attempt id in location");
    assert!(loc.ends_with("/items/1"), "{loc}");
    id.parse().unwrap()
}

async fn stored(app: &TestApp, attempt: Uuid, key: &str) -> Option<serde_json::Value> {
    sqlx::query_scalar(
        "SELECT an.response FROM answers an JOIN attempt_items ai USING (attempt_id, position)
         WHERE an.attempt_id = $1 AND ai.question_key = $2",
    )
    .bind(attempt)
    .bind(key)
    .fetch_optional(&app.db)
    .await
    .unwrap()
    .flatten()
}

async fn candidate(app: &TestApp) {
    assert_eq!(
        app.sign_up(
            &format!("c{}@example.com", Uuid::new_v4().simple()),
            "Candidate"
        )
        .await
        .status(),
        303
    );
}

#[tokio::test]
async fn an_attempt_is_drawn_whole_with_the_case_study_first_and_a_database_deadline() {
    let app = TestApp::spawn().await;
    with_test_form(&app, 30).await;
    candidate(&app).await;
    let id = start(&app).await;
    let keys: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT question_key, section_key FROM attempt_items WHERE attempt_id = $1 ORDER BY position")
            .bind(id)
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(keys.len(), 8);
    assert_eq!(keys[0].1.as_deref(), Some("cs-test"));
    assert_eq!(keys[1].1.as_deref(), Some("cs-test"));
    let minutes: f64 = sqlx::query_scalar(
        "SELECT (extract(epoch FROM deadline - started_at) / 60)::float8 FROM attempts WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(
        (minutes - 30.0).abs() < 0.01,
        "deadline is 30 minutes after the start: {minutes}"
    );
    let html = app
        .get(&format!("/attempts/{id}/items/1"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(texts(&html, "[data-testid=counter]"), vec!["Item 1 of 8"]);
    assert!(texts(&html, "[data-testid=timer]")[0].contains("30 min"));
    assert!(
        !html.contains("explanation") && !html.contains("B."),
        "no key or explanation while the attempt runs"
    );
}

#[tokio::test]
async fn every_item_type_is_scored_with_partial_credit() {
    let app = TestApp::spawn().await;
    with_test_form(&app, 30).await;
    candidate(&app).await;
    let id = start(&app).await;
    // Fully right: single (1), hot area (2), case q1 (1). Partly right: multiple 1 of 2, yes/no 2 of 3,
    // order 1 of 3 (first position only), match 1 of 2. Unanswered: case q2.
    for (key, fields) in [
        ("t-single", vec![("choice", "a")]),
        ("t-multiple", vec![("choice", "a"), ("choice", "b")]),
        (
            "t-yesno",
            vec![("s:s1", "yes"), ("s:s2", "yes"), ("s:s3", "yes")],
        ),
        (
            "t-order",
            vec![("pos:1", "a"), ("pos:2", "c"), ("pos:3", "b")],
        ),
        ("t-match", vec![("slot:s1", "x"), ("slot:s2", "z")]),
        ("t-hot", vec![("slot:cls", "a"), ("slot:op", "a")]),
        ("cs-test-q1", vec![("choice", "b")]),
    ] {
        let r = answer(&app, id, key, &fields).await;
        assert_eq!(r.status(), 303, "{key} saved");
    }
    let submit = app.submit_attempt(id).await;
    assert_eq!(submit.status(), 303);
    let (raw, max, scaled, passed): (f64, f64, i32, bool) = sqlx::query_as(
        "SELECT raw_score, max_score, scaled_score, passed FROM attempts WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    // max = 1 + 2 + 3 + 3 + 2 + 2 + 1 + 1 = 15; raw = 1 + 1 + 2 + 1 + 1 + 2 + 1 + 0 = 9
    assert_eq!(max, 15.0);
    assert_eq!(raw, 9.0);
    assert_eq!(scaled, ai102::scoring::scaled_score(9.0, 15.0, 0.7) as i32);
    assert!(!passed, "9 of 15 is below the 70% cut");
    let html = app
        .get(&format!("/attempts/{id}/result"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        texts(&html, "[data-testid=scaled-score]"),
        vec![scaled.to_string()]
    );
    assert_eq!(texts(&html, "[data-testid=verdict]"), vec!["Fail"]);
    assert_eq!(
        texts(&html, "svg[data-testid=domain-chart] g.bar").len(),
        5,
        "one bar per domain"
    );
    assert_eq!(
        texts(&html, "article.reviewed").len(),
        8,
        "every item is reviewed"
    );
    assert!(
        html.contains("learn.microsoft.com"),
        "references are shown after the attempt"
    );
}

#[tokio::test]
async fn a_late_answer_is_refused_and_earlier_ones_count() {
    let app = TestApp::spawn().await;
    with_test_form(&app, 30).await;
    candidate(&app).await;
    let id = start(&app).await;
    assert_eq!(
        answer(&app, id, "t-single", &[("choice", "a")])
            .await
            .status(),
        303
    );
    // The clock is the database's: move the deadline instead of waiting.
    sqlx::query("UPDATE attempts SET deadline = now() - interval '1 second' WHERE id = $1")
        .bind(id)
        .execute(&app.db)
        .await
        .unwrap();
    let late = answer(&app, id, "t-multiple", &[("choice", "a"), ("choice", "c")]).await;
    assert_eq!(late.status(), 303);
    assert!(
        location(&late).ends_with("/result?late=1"),
        "{}",
        location(&late)
    );
    assert!(
        stored(&app, id, "t-multiple").await.is_none(),
        "the late answer was not stored"
    );
    assert!(
        stored(&app, id, "t-single").await.is_some(),
        "the earlier answer is kept"
    );
    let (reason, raw): (String, f64) =
        sqlx::query_as("SELECT ended_reason, raw_score FROM attempts WHERE id = $1")
            .bind(id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(reason, "expired");
    assert_eq!(raw, 1.0, "the earlier answer counts");
    let page = app
        .get(&format!("/attempts/{id}/result?late=1"))
        .await
        .text()
        .await
        .unwrap();
    assert!(texts(&page, ".form-error")[0].contains("time is over"));
    // Autosave (JSON) after the end gets a clear 422.
    let n = position_of(&app, id, "t-order").await;
    let token = app.csrf(&format!("/attempts/{id}/result")).await;
    let r = app
        .client
        .post(app.url(&format!("/attempts/{id}/items/{n}")))
        .header("accept", "application/json")
        .header("x-csrf-token", token)
        .form(&[("pos:1", "a")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
}

#[tokio::test]
async fn an_attempt_ends_at_its_deadline_even_when_nobody_is_on_the_page() {
    let app = TestApp::spawn().await;
    with_test_form(&app, 30).await;
    candidate(&app).await;
    let id = start(&app).await;
    answer(&app, id, "t-single", &[("choice", "a")]).await;
    sqlx::query("UPDATE attempts SET deadline = now() - interval '1 minute' WHERE id = $1")
        .bind(id)
        .execute(&app.db)
        .await
        .unwrap();
    let ended = ai102::store::exam::finalize_expired(&app.db).await.unwrap();
    assert_eq!(ended, 1);
    let (reason, scaled): (Option<String>, Option<i32>) =
        sqlx::query_as("SELECT ended_reason, scaled_score FROM attempts WHERE id = $1")
            .bind(id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(reason.as_deref(), Some("expired"));
    assert!(scaled.is_some());
    assert_eq!(
        ai102::store::exam::finalize_expired(&app.db).await.unwrap(),
        0,
        "ending is idempotent"
    );
}

#[tokio::test]
async fn an_attempt_resumes_on_another_instance_with_the_clock_still_running() {
    let app = TestApp::spawn().await;
    with_test_form(&app, 30).await;
    candidate(&app).await;
    let id = start(&app).await;
    answer(&app, id, "t-single", &[("choice", "a")]).await;
    sqlx::query("UPDATE attempts SET deadline = deadline - interval '10 minutes' WHERE id = $1")
        .bind(id)
        .execute(&app.db)
        .await
        .unwrap();
    // A second instance on the same database (as after a restart, or behind a load balancer).
    let other_url = app.another_instance().await;
    let n = position_of(&app, id, "t-single").await;
    // The same browser (cookies are per host, not per port) keeps its session on the other instance.
    let html = app
        .client
        .get(format!("{other_url}/attempts/{id}/items/{n}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let doc = scraper::Html::parse_document(&html);
    let checked = scraper::Selector::parse("input[name=choice][checked]").unwrap();
    let values: Vec<_> = doc
        .select(&checked)
        .filter_map(|e| e.value().attr("value"))
        .collect();
    assert_eq!(values, vec!["a"], "the saved answer is shown");
    let timer = texts(&html, "[data-testid=timer]")[0].clone();
    assert!(timer.contains("20 min"), "the clock kept running: {timer}");
}

#[tokio::test]
async fn a_yes_no_statement_locks_once_answered() {
    let app = TestApp::spawn().await;
    with_test_form(&app, 30).await;
    candidate(&app).await;
    let id = start(&app).await;
    assert_eq!(
        answer(&app, id, "t-yesno", &[("s:s1", "yes")])
            .await
            .status(),
        303
    );
    let change = answer(&app, id, "t-yesno", &[("s:s1", "no"), ("s:s2", "no")]).await;
    assert_eq!(change.status(), 422);
    assert!(
        texts(&change.text().await.unwrap(), "[data-testid=item-error]")[0]
            .contains("cannot be changed")
    );
    assert_eq!(
        stored(&app, id, "t-yesno").await.unwrap()["answer"],
        serde_json::json!({"s1": "yes"})
    );
    assert_eq!(
        answer(&app, id, "t-yesno", &[("s:s1", "yes"), ("s:s2", "no")])
            .await
            .status(),
        303
    );
    assert_eq!(
        stored(&app, id, "t-yesno").await.unwrap()["answer"],
        serde_json::json!({"s1": "yes", "s2": "no"})
    );
    let n = position_of(&app, id, "t-yesno").await;
    let html = app
        .get(&format!("/attempts/{id}/items/{n}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(texts(&html, "table.yes-no tr.locked").len(), 2);
    assert_eq!(
        texts(&html, "table.yes-no tr.current").len(),
        1,
        "only the next statement can be answered"
    );
}

#[tokio::test]
async fn a_case_study_section_locks_when_the_candidate_leaves_it() {
    let app = TestApp::spawn().await;
    with_test_form(&app, 30).await;
    candidate(&app).await;
    let id = start(&app).await;
    let page2 = format!("/attempts/{id}/items/2");
    let html = app.get(&page2).await.text().await.unwrap();
    assert!(
        texts(&html, ".notice").join(" ").contains("cannot return"),
        "the last case question warns"
    );
    let r = app
        .post_form(&page2, &page2, &[("choice", "a"), ("go", "next")])
        .await;
    assert!(location(&r).ends_with("/items/3"));
    let back = app.get(&format!("/attempts/{id}/items/1")).await;
    assert_eq!(back.status(), 303, "a locked section cannot be reopened");
    assert!(location(&back).contains("/review"));
    let token = app.csrf(&format!("/attempts/{id}/review")).await;
    let r = app
        .client
        .post(app.url(&format!("/attempts/{id}/items/1")))
        .form(&[("choice", "b"), ("go", "stay"), ("csrf_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "{}", location(&r));
    assert!(
        stored(&app, id, "cs-test-q1").await.is_none()
            || stored(&app, id, "cs-test-q2").await.is_some()
    );
    let review = app
        .get(&format!("/attempts/{id}/review"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        texts(&review, ".review-grid li")
            .iter()
            .filter(|t| t.contains("locked"))
            .count()
            == 2
    );
}

#[tokio::test]
async fn submitting_twice_from_two_tabs_yields_one_result() {
    let app = TestApp::spawn().await;
    with_test_form(&app, 30).await;
    candidate(&app).await;
    let id = start(&app).await;
    answer(&app, id, "t-single", &[("choice", "a")]).await;
    let token = app.csrf(&format!("/attempts/{id}/end")).await;
    let submit = || {
        app.client
            .post(app.url(&format!("/attempts/{id}/submit")))
            .form(&[("csrf_token", token.as_str())])
            .send()
    };
    let (a, b) = tokio::join!(submit(), submit());
    assert_eq!(a.unwrap().status(), 303);
    assert_eq!(b.unwrap().status(), 303);
    let ended: i64 = app
        .count(&format!(
            "SELECT count(*) FROM attempts WHERE id = '{id}' AND ended_at IS NOT NULL"
        ))
        .await;
    assert_eq!(ended, 1);
    let scores: i64 = app
        .count(&format!(
            "SELECT count(*) FROM answers WHERE attempt_id = '{id}' AND earned IS NOT NULL"
        ))
        .await;
    assert_eq!(scores, 8, "each item scored once");
}

#[tokio::test]
async fn two_tabs_on_two_instances_save_last_writer_wins_per_item_and_submit_once() {
    let app = TestApp::spawn().await;
    with_test_form(&app, 30).await;
    candidate(&app).await;
    let id = start(&app).await;
    // Tab B reaches another instance on the same database (behind a load balancer); the browser's cookies
    // are per host, so both tabs share the session.
    let tab_b = app.another_instance().await;
    let tab_a = app.address.clone();
    let token = app.csrf("/exams").await;
    let single = position_of(&app, id, "t-single").await;
    let multiple = position_of(&app, id, "t-multiple").await;
    let autosave = |base: &str, position: i32, fields: &[(&str, &str)]| {
        app.client
            .post(format!("{base}/attempts/{id}/items/{position}"))
            .header("accept", "application/json")
            .header("x-csrf-token", &token)
            .form(&[fields, &[("go", "stay")]].concat())
            .send()
    };

    let saved = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(
        saved(autosave(&tab_a, single, &[("choice", "b")]).await.unwrap()),
        204
    );
    assert_eq!(
        saved(autosave(&tab_b, single, &[("choice", "c")]).await.unwrap()),
        204
    );
    assert_eq!(
        stored(&app, id, "t-single").await.unwrap()["answer"],
        "c",
        "the later save wins, whichever instance took it"
    );
    let both = [("choice", "a"), ("choice", "c")];
    assert_eq!(saved(autosave(&tab_b, multiple, &both).await.unwrap()), 204);
    assert_eq!(
        saved(autosave(&tab_a, single, &[("choice", "a")]).await.unwrap()),
        204
    );
    assert_eq!(stored(&app, id, "t-single").await.unwrap()["answer"], "a");
    assert_eq!(
        stored(&app, id, "t-multiple").await.unwrap()["answer"],
        serde_json::json!(["a", "c"]),
        "a save of one item leaves the other tab's save of another item alone"
    );

    let submit = |base: &str| {
        app.client
            .post(format!("{base}/attempts/{id}/submit"))
            .form(&[("csrf_token", token.as_str())])
            .send()
    };
    let (a, b) = tokio::join!(submit(&tab_a), submit(&tab_b));
    assert_eq!(a.unwrap().status(), 303);
    assert_eq!(b.unwrap().status(), 303);
    let scored: i64 = app
        .count(&format!(
            "SELECT count(*) FROM answers WHERE attempt_id = '{id}' AND earned IS NOT NULL"
        ))
        .await;
    assert_eq!(scored, 8, "each item scored once");
    let ended: i64 = app
        .count(&format!(
            "SELECT count(*) FROM attempts WHERE id = '{id}' AND ended_reason = 'submitted'"
        ))
        .await;
    assert_eq!(ended, 1);
    let late = autosave(&tab_b, single, &[("choice", "b")]).await.unwrap();
    assert_eq!(
        late.status(),
        422,
        "no save after the submit, on either instance"
    );
    assert_eq!(stored(&app, id, "t-single").await.unwrap()["answer"], "a");
}

#[tokio::test]
async fn bad_answers_get_a_clear_4xx_and_change_nothing() {
    let app = TestApp::spawn().await;
    with_test_form(&app, 30).await;
    candidate(&app).await;
    let id = start(&app).await;
    let page = format!("/attempts/{id}/items/1");
    // An item that is not in the attempt.
    let r = app
        .post_form(
            &page,
            &format!("/attempts/{id}/items/99"),
            &[("choice", "a")],
        )
        .await;
    assert_eq!(r.status(), 404);
    // A malformed option id.
    let r = answer(&app, id, "t-single", &[("choice", "zz")]).await;
    assert_eq!(r.status(), 400);
    assert!(
        r.text().await.unwrap().contains("zz"),
        "the message names the bad id"
    );
    // Too many choices for "choose 2".
    let r = answer(
        &app,
        id,
        "t-multiple",
        &[("choice", "a"), ("choice", "b"), ("choice", "c")],
    )
    .await;
    assert_eq!(r.status(), 400);
    // No CSRF token.
    let r = app
        .client
        .post(app.url(&page))
        .form(&[("choice", "a")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Another user's attempt is not found.
    let other = app.other_browser();
    candidate(&other).await;
    let r = other.get(&page).await;
    assert_eq!(r.status(), 404);
    let r = other.post_form("/exams", &page, &[("choice", "a")]).await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM answers WHERE attempt_id = '{id}'"
        ))
        .await,
        0,
        "nothing was written"
    );
}

#[tokio::test]
async fn exam_pages_need_a_signed_in_user() {
    let app = TestApp::spawn().await;
    with_test_form(&app, 30).await;
    for path in ["/exams", "/attempts"] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 303, "{path}");
        assert_eq!(location(&r), "/signin");
    }
}

#[tokio::test]
async fn the_shipped_bank_loads_idempotently_with_its_two_forms() {
    let bank =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("question-bank/exams/ai-102");
    let app = TestApp::spawn_with(|c| c.load_bank = Some(bank.clone())).await;
    let n_items = app.count("SELECT count(*) FROM items").await;
    let n_revisions = app.count("SELECT count(*) FROM item_revisions").await;
    assert!(n_items >= 290, "{n_items} entries");
    let mut config = Config::for_database(&app.database_url);
    config.load_bank = Some(bank);
    let again = ai102::Application::build(config).await.unwrap();
    drop(again);
    assert_eq!(
        app.count("SELECT count(*) FROM item_revisions").await,
        n_revisions,
        "a second load adds nothing"
    );
    let slugs: Vec<String> = sqlx::query_scalar("SELECT slug FROM exam_forms ORDER BY position")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(slugs, vec!["ai102-full", "quick-15"]);
    candidate(&app).await;
    let r = app
        .post_form("/exams", "/exams/ai102-full/start", &[])
        .await;
    assert_eq!(r.status(), 303);
    let id: Uuid = sqlx::query_scalar("SELECT id FROM attempts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let per_domain: Vec<(String, i64)> =
        sqlx::query_as("SELECT domain, count(*) FROM attempt_items WHERE attempt_id = $1 GROUP BY domain ORDER BY domain")
            .bind(id)
            .fetch_all(&app.db)
            .await
            .unwrap();
    let total: i64 = per_domain.iter().map(|(_, n)| n).sum();
    assert_eq!(total, 50);
    for (d, n) in &per_domain {
        let pct = *n as f64 * 100.0 / 50.0;
        let (lo, hi) = match d.as_str() {
            "genai" => (25.0, 30.0),
            "knowledge" => (10.0, 15.0),
            _ => (15.0, 20.0),
        };
        assert!(pct >= lo && pct <= hi, "{d}: {pct}%");
    }
}

#[tokio::test]
async fn revisions_an_attempt_used_cannot_be_changed_in_place() {
    let app = TestApp::spawn().await;
    with_test_form(&app, 30).await;
    let r = sqlx::query("UPDATE item_revisions SET content = '{}'::jsonb")
        .execute(&app.db)
        .await;
    assert!(r.is_err(), "revisions are append-only");
}

#[tokio::test]
async fn the_json_api_runs_a_whole_attempt() {
    let app = TestApp::spawn().await;
    with_test_form(&app, 30).await;
    app.sign_up("api@example.com", "Api").await;
    let token = app.api_token("api@example.com").await;
    let forms: serde_json::Value = app.api(&token).get_json("/api/v1/forms").await;
    assert_eq!(forms[0]["slug"], "test-form");
    let started = app
        .api(&token)
        .post("/api/v1/forms/test-form/attempts")
        .await;
    assert_eq!(started.status(), 201);
    let attempt: serde_json::Value = started.json().await.unwrap();
    let id = attempt["id"].as_str().unwrap().to_owned();
    assert_eq!(attempt["item_count"], 8);
    assert!(attempt["seconds_left"].as_i64().unwrap() > 1700);
    // Walk every item: no key is ever sent while the attempt runs.
    for n in 1..=8 {
        let item: serde_json::Value = app
            .api(&token)
            .get_json(&format!("/api/v1/attempts/{id}/items/{n}"))
            .await;
        let text = item.to_string();
        assert!(
            !text.contains("\"answer\"") || item["response"].is_null(),
            "no key in {text}"
        );
        assert!(!text.contains("explanation"), "no explanation in {text}");
        if item["type"] == "single" && item["case_study"].is_null() {
            let right = item["options"]
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["text"] == "Right")
                .unwrap()["id"]
                .clone();
            let r = app
                .api(&token)
                .put(
                    &format!("/api/v1/attempts/{id}/items/{n}/answer"),
                    &serde_json::json!({"type": "single", "answer": right}),
                )
                .await;
            assert_eq!(r.status(), 204);
            let bad = app
                .api(&token)
                .put(
                    &format!("/api/v1/attempts/{id}/items/{n}/answer"),
                    &serde_json::json!({"type": "single", "answer": "nope"}),
                )
                .await;
            assert_eq!(bad.status(), 400);
            assert_eq!(bad.headers()["content-type"], "application/problem+json");
            let mark = app
                .api(&token)
                .put(
                    &format!("/api/v1/attempts/{id}/items/{n}/mark"),
                    &serde_json::json!({"marked": true}),
                )
                .await;
            assert_eq!(mark.status(), 204);
        }
    }
    let state: serde_json::Value = app
        .api(&token)
        .get_json(&format!("/api/v1/attempts/{id}"))
        .await;
    assert_eq!(state["answered"].as_array().unwrap().len(), 1);
    assert_eq!(state["marked"].as_array().unwrap().len(), 1);
    let early = app
        .api(&token)
        .get(&format!("/api/v1/attempts/{id}/result"))
        .await;
    assert_eq!(early.status(), 422);
    let done: serde_json::Value = app
        .api(&token)
        .post_json(&format!("/api/v1/attempts/{id}/submit"))
        .await;
    assert_eq!(done["result"]["raw"], 1.0);
    assert_eq!(done["attempt"]["state"], "submitted");
    let again = app
        .api(&token)
        .post(&format!("/api/v1/attempts/{id}/submit"))
        .await;
    assert_eq!(
        again.status(),
        200,
        "a second submit returns the same result"
    );
    // Another user's token cannot see it.
    let other = app.other_browser();
    other.sign_up("other@example.com", "Other").await;
    let other_token = app.api_token("other@example.com").await;
    let r = app
        .api(&other_token)
        .get(&format!("/api/v1/attempts/{id}"))
        .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn practice_is_untimed_gives_feedback_after_each_item_and_is_not_an_exam() {
    let app = TestApp::spawn().await;
    with_test_form(&app, 30).await;
    candidate(&app).await;
    let r = app
        .post_form(
            "/practice",
            "/practice/start",
            &[("domain", "knowledge"), ("count", "5")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let id: Uuid = sqlx::query_scalar("SELECT id FROM attempts WHERE mode = 'practice'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let (deadline, n): (Option<time::OffsetDateTime>, i32) =
        sqlx::query_as("SELECT deadline, item_count FROM attempts WHERE id = $1")
            .bind(id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(deadline.is_none(), "practice is untimed");
    assert_eq!(n, 2, "only the two knowledge questions match");
    let pos = position_of(&app, id, "t-hot").await;
    let page = format!("/attempts/{id}/items/{pos}");
    let before = app.get(&page).await.text().await.unwrap();
    assert!(
        texts(&before, "[data-testid=feedback]").is_empty(),
        "no feedback before answering"
    );
    app.post_form(
        &page,
        &page,
        &[("slot:cls", "a"), ("slot:op", "b"), ("go", "stay")],
    )
    .await;
    let after = app.get(&page).await.text().await.unwrap();
    let feedback = texts(&after, "[data-testid=feedback]").join(" ");
    assert!(feedback.contains("Partly correct"), "{feedback}");
    assert!(
        feedback.contains("SearchClient.search"),
        "the explanation is shown: {feedback}"
    );
    // Nothing matches: a clear message, no attempt.
    let none = app
        .post_form(
            "/practice",
            "/practice/start",
            &[("objective", "vision.video"), ("count", "5")],
        )
        .await;
    assert_eq!(none.status(), 422);
    assert!(texts(&none.text().await.unwrap(), ".form-error")[0].contains("No questions match"));
}

#[tokio::test]
async fn a_reported_problem_reaches_the_instructor_queue() {
    let app = TestApp::spawn().await;
    with_test_form(&app, 30).await;
    candidate(&app).await;
    let id = start(&app).await;
    app.submit_attempt(id).await;
    let result = format!("/attempts/{id}/result");
    let bad = app
        .post_form(
            &result,
            &format!("/attempts/{id}/items/3/report"),
            &[("kind", "nonsense")],
        )
        .await;
    assert_eq!(bad.status(), 400);
    let r = app
        .post_form(
            &result,
            &format!("/attempts/{id}/items/3/report"),
            &[("kind", "wrong_key"), ("comment", "B looks right to me")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).contains("reported=3"));
    // Reporting the same item again replaces the open report rather than adding another.
    let r = app
        .post_form(
            &result,
            &format!("/attempts/{id}/items/3/report"),
            &[("kind", "unclear"), ("comment", "first draft")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.count("SELECT count(*) FROM item_reports").await, 1);
    let r = app
        .post_form(
            &result,
            &format!("/attempts/{id}/items/3/report"),
            &[("kind", "wrong_key"), ("comment", "B looks right to me")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.count("SELECT count(*) FROM item_reports").await, 1);
    let other = app.other_browser();
    candidate(&other).await;
    let theirs = other
        .post_form(
            "/exams",
            &format!("/attempts/{id}/items/3/report"),
            &[("kind", "typo")],
        )
        .await;
    assert_eq!(
        theirs.status(),
        404,
        "nobody reports on another user's attempt"
    );
    let instructor = app.other_browser();
    instructor
        .create_user("teach@example.com", ai102::auth::Role::Instructor)
        .await;
    instructor.sign_in("teach@example.com", PASSWORD).await;
    // The test pack has no owner (like the shipped bank), so only admins see its queue.
    let admin = app.other_browser();
    admin
        .create_user("boss@example.com", ai102::auth::Role::Admin)
        .await;
    admin.sign_in("boss@example.com", PASSWORD).await;
    let html = admin.get("/instructor").await.text().await.unwrap();
    assert_eq!(
        texts(&html, "[data-testid=open-reports]")[0],
        "1 open report. Open the report queue"
    );
    let html = admin.get("/instructor/reports").await.text().await.unwrap();
    let rows = texts(&html, "[data-testid=reports] tbody tr");
    assert_eq!(rows.len(), 1);
    assert!(rows[0].contains("Wrong key") && rows[0].contains("B looks right to me"));
    let html = instructor
        .get("/instructor/reports")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        texts(&html, "[data-testid=reports] tbody tr").is_empty(),
        "an instructor sees only their own packs' reports"
    );
}

/// Imports the test pack owned by `owner` (an instructor's e-mail) and makes the test form of it.
async fn with_owned_test_form(app: &TestApp, owner: &str) -> Uuid {
    let owner = user_id(app, owner).await;
    let pack = app
        .import_pack(
            TEST_PACK,
            Some(owner),
            ai102::store::bank::PackStatus::Published,
        )
        .await;
    TestForm::new("test-form")
        .minutes(30)
        .owner(owner)
        .create(app, &[pack])
        .await;
    pack
}

async fn report_id(app: &TestApp, question: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM item_reports WHERE question_key = $1")
        .bind(question)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_report_is_fixed_or_rejected_by_the_packs_instructor_and_the_reporter_sees_the_outcome_once(
) {
    let app = TestApp::spawn().await;
    let teacher = app.other_browser();
    teacher
        .create_user("teach@example.com", ai102::auth::Role::Instructor)
        .await;
    teacher.sign_in("teach@example.com", PASSWORD).await;
    let rival = app.other_browser();
    rival
        .create_user("rival@example.com", ai102::auth::Role::Instructor)
        .await;
    rival.sign_in("rival@example.com", PASSWORD).await;
    let pack = with_owned_test_form(&app, "teach@example.com").await;

    // A candidate ends an attempt and reports two questions.
    let email = format!("c{}@example.com", Uuid::new_v4().simple());
    assert_eq!(app.sign_up(&email, "Candidate").await.status(), 303);
    let id = start(&app).await;
    app.submit_attempt(id).await;
    let result = format!("/attempts/{id}/result");
    for (key, kind, comment) in [
        ("t-single", "wrong_key", "B looks right to me"),
        ("t-multiple", "typo", "Two is spelt wrong"),
    ] {
        let n = position_of(&app, id, key).await;
        let r = app
            .post_form(
                &result,
                &format!("/attempts/{id}/items/{n}/report"),
                &[("kind", kind), ("comment", comment)],
            )
            .await;
        assert_eq!(r.status(), 303);
    }
    let single = report_id(&app, "t-single").await;
    let multiple = report_id(&app, "t-multiple").await;

    // The pack's instructor sees both, with the item's preview and a pseudonym, not the reporter's e-mail.
    let queue = "/instructor/reports";
    let html = teacher.get(queue).await.text().await.unwrap();
    let rows = texts(&html, "[data-testid=report]");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(!html.contains(&email), "the reporter's e-mail is not shown");
    let reporters = texts(&html, "[data-testid=reporter]");
    assert!(
        reporters[0].starts_with("Candidate ") && reporters[0] == reporters[1],
        "one pseudonym for one reporter: {reporters:?}"
    );
    let doc = scraper::Html::parse_document(&html);
    let link = scraper::Selector::parse(&format!(
        "tr[id='report-{single}'] a[data-testid=preview-link]"
    ))
    .unwrap();
    let href = doc
        .select(&link)
        .next()
        .unwrap()
        .value()
        .attr("href")
        .unwrap();
    assert_eq!(href, format!("/instructor/packs/{pack}/items/t-single"));
    assert_eq!(teacher.get(href).await.status(), 200);

    // Another instructor sees none of them and cannot act on them.
    let html = rival.get(queue).await.text().await.unwrap();
    assert!(texts(&html, "[data-testid=report]").is_empty());
    let r = rival
        .post_form(queue, &format!("{queue}/{single}/fix"), &[])
        .await;
    assert_eq!(r.status(), 404);
    let r = rival
        .post_form(
            queue,
            &format!("{queue}/{multiple}/reject"),
            &[("reason", "no")],
        )
        .await;
    assert_eq!(r.status(), 404);

    // Fixed needs a new revision: the instructor is sent to edit the item first.
    let r = teacher
        .post_form(queue, &format!("{queue}/{single}/fix"), &[])
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    let refusal = texts(&html, "[data-testid=refusal]");
    assert!(
        refusal[0].contains("still at revision 1") && refusal[0].contains("Edit the item"),
        "{refusal:?}"
    );
    // A rejection needs a reason.
    let r = teacher
        .post_form(
            queue,
            &format!("{queue}/{multiple}/reject"),
            &[("reason", "  ")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let r = teacher
        .post_form(
            queue,
            &format!("{queue}/{multiple}/reject"),
            &[("reason", "The spelling is British English.")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/instructor/reports?done=rejected");

    // The instructor edits the item (revision 2), then marks the report fixed in it.
    let edit = format!("/instructor/packs/{pack}/items/t-single/edit");
    let text = texts(
        &teacher.get(&edit).await.text().await.unwrap(),
        "textarea#text",
    )
    .remove(0);
    let r = teacher
        .post_form(
            &edit,
            &edit,
            &[(
                "text",
                &text.replace("Which option is right?", "Which option is correct?"),
            )],
        )
        .await;
    assert_eq!(r.status(), 303);
    let html = teacher.get(queue).await.text().await.unwrap();
    assert_eq!(
        texts(&html, "[data-testid=fix] button"),
        ["Fixed in revision 2"]
    );
    let r = teacher
        .post_form(queue, &format!("{queue}/{single}/fix"), &[])
        .await;
    assert_eq!(r.status(), 303);
    let again = teacher
        .post_form(queue, &format!("{queue}/{single}/fix"), &[])
        .await;
    assert_eq!(again.status(), 409, "a report is resolved once");

    // Nothing is open now; all reports show their outcome.
    let html = teacher.get(queue).await.text().await.unwrap();
    assert!(texts(&html, "[data-testid=report]").is_empty());
    let html = teacher
        .get(&format!("{queue}?status=all"))
        .await
        .text()
        .await
        .unwrap();
    let mut outcomes = texts(&html, "[data-testid=outcome]");
    outcomes.sort();
    assert_eq!(
        outcomes,
        [
            "Fixed in revision 2",
            "Rejected: The spelling is British English."
        ]
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action IN ('report.fixed', 'report.rejected') AND actor = 'teach@example.com'")
            .await,
        2
    );

    // The reporter sees both outcomes on their next visit, naming the question as they saw it, once.
    let html = app.get("/attempts").await.text().await.unwrap();
    let notices = texts(&html, "[data-testid=report-outcomes] li");
    assert_eq!(notices.len(), 2, "{notices:?}");
    assert!(
        notices[0].contains("“Which option is right?” (wrong key) was fixed")
            && notices[0].contains("revision 2"),
        "{notices:?}"
    );
    assert!(
        notices[1].contains(
            "“Which two are right?” (typo) was rejected: The spelling is British English."
        ),
        "{notices:?}"
    );
    for page in ["/attempts", "/", "/exams"] {
        let html = app.get(page).await.text().await.unwrap();
        assert!(
            texts(&html, "[data-testid=report-outcomes]").is_empty(),
            "{page}"
        );
    }
}

#[tokio::test]
async fn a_yes_no_series_is_answered_one_statement_at_a_time_as_the_page_sends_it() {
    let app = TestApp::spawn().await;
    with_test_form(&app, 30).await;
    candidate(&app).await;
    let id = start(&app).await;
    let n = position_of(&app, id, "t-yesno").await;
    let page = format!("/attempts/{id}/items/{n}");
    for (field, value, stays) in [
        ("s:s1", "yes", true),
        ("s:s2", "no", true),
        ("s:s3", "yes", false),
    ] {
        let r = app
            .post_form(&page, &page, &[(field, value), ("go", "next")])
            .await;
        assert_eq!(r.status(), 303, "{field} saved");
        assert_eq!(
            location(&r) == page,
            stays,
            "after {field}: {}",
            location(&r)
        );
    }
    assert_eq!(
        stored(&app, id, "t-yesno").await.unwrap()["answer"],
        serde_json::json!({"s1": "yes", "s2": "no", "s3": "yes"})
    );
}

#[tokio::test]
async fn every_quick_15_attempt_shows_every_item_type() {
    let bank =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("question-bank/exams/ai-102");
    let app = TestApp::spawn_with(|c| c.load_bank = Some(bank)).await;
    candidate(&app).await;
    for _ in 0..25 {
        let r = app.post_form("/exams", "/exams/quick-15/start", &[]).await;
        assert_eq!(r.status(), 303);
    }
    let per_attempt: Vec<(Uuid, i64, i64)> = sqlx::query_as(
        "SELECT ai.attempt_id, count(*), count(DISTINCT CASE WHEN i.kind = 'case_study'
                THEN (SELECT q->>'type' FROM jsonb_array_elements(r.content->'questions') q WHERE q->>'id' = ai.question_key)
                ELSE r.content->>'type' END)
         FROM attempt_items ai JOIN item_revisions r ON r.id = ai.revision_id JOIN items i ON i.id = r.item_id
         GROUP BY ai.attempt_id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(per_attempt.len(), 25);
    for (id, n, types) in per_attempt {
        assert_eq!(n, 15, "attempt {id}");
        assert_eq!(types, 6, "attempt {id} shows {types} of the 6 item types");
    }
}

#[tokio::test]
async fn a_save_through_either_of_two_warm_instances_lets_no_late_locked_or_foreign_answer_in() {
    let app = TestApp::spawn().await;
    with_test_form(&app, 30).await;
    candidate(&app).await;
    let id = start(&app).await;
    let tab_b = app.another_instance().await;
    let tab_a = app.address.clone();
    let token = app.csrf("/exams").await;
    let autosave = |base: &str, position: i32, fields: &[(&str, &str)]| {
        app.client
            .post(format!("{base}/attempts/{id}/items/{position}"))
            .header("accept", "application/json")
            .header("x-csrf-token", &token)
            .form(&[fields, &[("go", "stay")]].concat())
            .send()
    };
    let single = position_of(&app, id, "t-single").await;
    let case_q1 = position_of(&app, id, "cs-test-q1").await;
    // Both instances save once each, so their caches (revisions, rendered pages) hold the attempt's items.
    for base in [&tab_a, &tab_b] {
        let r = autosave(base, single, &[("choice", "b")]).await.unwrap();
        assert_eq!(r.status(), 204);
        let r = autosave(base, case_q1, &[("choice", "a")]).await.unwrap();
        assert_eq!(r.status(), 204);
    }
    // The case-study section is locked (the candidate left it on another tab): no instance takes its answers.
    sqlx::query("UPDATE attempts SET locked_sections = array_append(locked_sections, 'cs-test') WHERE id = $1")
        .bind(id)
        .execute(&app.db)
        .await
        .unwrap();
    for base in [&tab_a, &tab_b] {
        let r = autosave(base, case_q1, &[("choice", "b")]).await.unwrap();
        assert_eq!(r.status(), 422, "a locked section's answer through {base}");
    }
    assert_eq!(stored(&app, id, "cs-test-q1").await.unwrap()["answer"], "a");
    // The time runs out: no instance takes a late answer, and the attempt is ended.
    sqlx::query("UPDATE attempts SET deadline = now() - interval '1 second' WHERE id = $1")
        .bind(id)
        .execute(&app.db)
        .await
        .unwrap();
    for base in [&tab_a, &tab_b] {
        let r = autosave(base, single, &[("choice", "c")]).await.unwrap();
        assert_eq!(r.status(), 422, "a late answer through {base}");
    }
    assert_eq!(stored(&app, id, "t-single").await.unwrap()["answer"], "b");
    let ended: Option<String> =
        sqlx::query_scalar("SELECT ended_reason FROM attempts WHERE id = $1")
            .bind(id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(ended.as_deref(), Some("expired"));
    // Another candidate's save through a warm instance is not found, whatever the cache holds.
    let intruder = app.other_browser();
    intruder
        .create_user("intruder@example.com", ai102::auth::Role::Candidate)
        .await;
    intruder.sign_in("intruder@example.com", PASSWORD).await;
    let their_token = intruder.csrf("/exams").await;
    let r = intruder
        .client
        .post(format!("{tab_b}/attempts/{id}/items/{single}"))
        .header("accept", "application/json")
        .header("x-csrf-token", &their_token)
        .form(&[("choice", "a"), ("go", "stay")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}
