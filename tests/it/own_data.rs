//! A person's own data against the real app and PostgreSQL: the JSON download holds everything about them and no
//! secret; deleting an account erases what names them and keeps their attempts, anonymised, for the statistics;
//! the retention job deletes what is older than the admins' settings, once a day.

use crate::common::*;
use ai102::auth::Role;
use serde_json::Value;
use uuid::Uuid;

/// A candidate (signed in on `app`) with a finished mock (t-single answered wrongly), a problem report with a
/// comment, a class membership and an API token; returns their id and the token.
async fn candidate_with_history(app: &TestApp) -> (Uuid, String) {
    let pack = app.import_test_pack().await;
    TestForm::new("test-form").create(app, &[pack]).await;
    let cara = new_user(app, "cara@example.com", Role::Candidate).await;
    assert_eq!(
        app.sign_in("cara@example.com", PASSWORD).await.status(),
        303
    );
    let attempt = attempt_in(&app.post_form("/exams", "/exams/test-form/start", &[]).await);
    answer(app, attempt, "t-single", &[("choice", "b")]).await;
    let n = position_of(app, attempt, "t-single").await;
    app.post_form(
        "/exams",
        &format!("/attempts/{attempt}/items/{n}/report"),
        &[
            ("kind", "unclear"),
            ("comment", "Cara Lopez thinks this is unclear"),
        ],
    )
    .await;
    assert_eq!(app.submit_attempt(attempt).await.status(), 303);
    let ines = new_user(app, "ines@example.com", Role::Instructor).await;
    let class = ai102::store::classes::create(
        &app.db,
        ai102::store::users::Actor {
            id: ines.id,
            email: &ines.email,
        },
        ai102::store::classes::NewClass {
            name: "Evening cohort",
            exam_code: "AI-102",
            starts_on: None,
            ends_on: None,
        },
    )
    .await
    .unwrap();
    ai102::store::classes::join(
        &app.db,
        class,
        ai102::store::users::Actor {
            id: cara.id,
            email: &cara.email,
        },
    )
    .await
    .unwrap();
    let token = app.api_token("cara@example.com").await;
    (cara.id, token)
}

#[tokio::test]
async fn a_person_downloads_everything_held_about_them_as_json_and_no_secret() {
    let app = TestApp::spawn().await;
    let (_, token) = candidate_with_history(&app).await;
    let r = app.get("/account/data").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let body = r.text().await.unwrap();
    assert!(
        !body.contains(&token),
        "the token itself is never in the download"
    );
    assert!(!body.contains("password_hash") && !body.contains("token_hash"));
    let data: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(data["profile"]["email"], "cara@example.com");
    let attempts = data["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1);
    let single = attempts[0]["answers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["question"] == "t-single")
        .expect("the t-single answer");
    assert_eq!(single["response"]["answer"], "b");
    assert_eq!(single["earned"], 0.0);
    assert!(attempts[0]["scaled_score"].is_number());
    assert!(
        !data["review_deck"].as_array().unwrap().is_empty(),
        "the miss joined the deck"
    );
    assert_eq!(data["classes"][0]["name"], "Evening cohort");
    assert_eq!(
        data["problem_reports"][0]["comment"],
        "Cara Lopez thinks this is unclear"
    );
    assert_eq!(data["api_tokens"].as_array().unwrap().len(), 1);
    // Signed out, there is nothing to download.
    let anonymous = app.other_browser();
    let r = anonymous.get("/account/data").await;
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn deleting_an_account_erases_what_names_the_person_and_keeps_their_attempts_anonymised() {
    let app = TestApp::spawn().await;
    let (cara, _) = candidate_with_history(&app).await;
    let summaries_before = app.count("SELECT count(*) FROM attempt_summaries").await;
    let attempts_before = app.count("SELECT count(*) FROM attempts").await;

    // The wrong password deletes nothing.
    let r = app
        .post_form(
            "/account",
            "/account/delete",
            &[("password", "not my password")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        texts(&r.text().await.unwrap(), "[data-testid=delete-error]"),
        ["Your password is wrong: the account was not deleted."]
    );
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE email = 'cara@example.com'")
            .await,
        1
    );

    let r = app
        .post_form("/account", "/account/delete", &[("password", PASSWORD)])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/?account=deleted");
    let home = app.get("/?account=deleted").await.text().await.unwrap();
    assert_eq!(
        texts(&home, "[data-testid=account-deleted]").len(),
        1,
        "signed out, told so"
    );
    assert_eq!(
        app.get("/account").await.status(),
        303,
        "the session is gone"
    );

    // Nothing names her any more.
    for (what, sql) in [
        ("accounts", "SELECT count(*) FROM users WHERE email = 'cara@example.com' OR id = '{cara}'"),
        ("sessions and tokens", "SELECT (SELECT count(*) FROM sessions WHERE user_id = '{cara}') + (SELECT count(*) FROM api_tokens WHERE user_id = '{cara}')"),
        ("memberships and cards", "SELECT (SELECT count(*) FROM class_members WHERE user_id = '{cara}') + (SELECT count(*) FROM review_deck WHERE user_id = '{cara}')"),
        ("the audit log", "SELECT count(*) FROM audit_log WHERE actor ILIKE '%cara%' OR target ILIKE '%cara%' OR detail::text ILIKE '%cara%' OR actor_id = '{cara}'"),
        ("report comments", "SELECT count(*) FROM item_reports WHERE comment ILIKE '%cara%'"),
    ] {
        let n = app.count(&sql.replace("{cara}", &cara.to_string())).await;
        assert_eq!(n, 0, "{what} still name her");
    }
    // Her attempts are kept, under an anonymous, disabled account, and count as before.
    assert_eq!(
        app.count("SELECT count(*) FROM attempts").await,
        attempts_before
    );
    assert_eq!(
        app.count("SELECT count(*) FROM attempt_summaries").await,
        summaries_before
    );
    let (name, disabled): (String, bool) = sqlx::query_as(
        "SELECT u.display_name, u.disabled FROM attempts a JOIN users u ON u.id = a.user_id LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!((name.as_str(), disabled), ("Deleted account", true));
    assert_eq!(
        app.count("SELECT count(*) FROM item_reports").await,
        1,
        "the report stays, without its comment"
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM audit_log WHERE action = 'user.deleted' AND actor = 'system'"
        )
        .await,
        1
    );
    assert_eq!(
        app.sign_in("cara@example.com", PASSWORD).await.status(),
        401
    );
}

#[tokio::test]
async fn the_last_admin_cannot_delete_their_account() {
    let app = TestApp::spawn().await;
    new_user(&app, "ada@example.com", Role::Admin).await;
    assert_eq!(app.sign_in("ada@example.com", PASSWORD).await.status(), 303);
    let r = app
        .post_form("/account", "/account/delete", &[("password", PASSWORD)])
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        texts(&r.text().await.unwrap(), "[data-testid=delete-error]")[0]
            .contains("last active admin")
    );
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE email = 'ada@example.com'")
            .await,
        1
    );
}

#[tokio::test]
async fn the_retention_job_deletes_finished_attempts_and_audit_entries_older_than_the_admins_setting(
) {
    let app = TestApp::spawn().await;
    let pack = app.import_test_pack().await;
    TestForm::new("test-form").create(&app, &[pack]).await;
    new_user(&app, "cara@example.com", Role::Candidate).await;
    let cara = app.other_browser();
    cara.sign_in("cara@example.com", PASSWORD).await;
    let old = attempt_in(
        &cara
            .post_form("/exams", "/exams/test-form/start", &[])
            .await,
    );
    cara.submit_attempt(old).await;
    let recent = attempt_in(
        &cara
            .post_form("/exams", "/exams/test-form/start", &[])
            .await,
    );
    cara.submit_attempt(recent).await;
    let running = attempt_in(
        &cara
            .post_form("/exams", "/exams/test-form/start", &[])
            .await,
    );
    for sql in [
        format!("UPDATE attempts SET started_at = now() - interval '41 days', ended_at = now() - interval '40 days' WHERE id = '{old}'"),
        format!("UPDATE attempts SET started_at = now() - interval '50 days', deadline = now() + interval '1 hour' WHERE id = '{running}'"),
        "INSERT INTO audit_log (actor, action, target, detail, created_at) VALUES ('system', 'test.old', 'x', '{}', now() - interval '40 days')".to_owned(),
    ] {
        sqlx::query(&sql).execute(&app.db).await.unwrap();
    }

    // The admin sets 30 days for both, on the admin page; audited.
    new_user(&app, "ada@example.com", Role::Admin).await;
    assert_eq!(app.sign_in("ada@example.com", PASSWORD).await.status(), 303);
    let r = app
        .post_form(
            "/admin",
            "/admin/settings/retention",
            &[("keep_attempts_days", "30"), ("keep_audit_days", "30")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let page = app.get(&location(&r)).await.text().await.unwrap();
    assert_eq!(texts(&page, "[data-testid=retention-saved]").len(), 1);
    let r = app
        .post_form(
            "/admin",
            "/admin/settings/retention",
            &[("keep_attempts_days", "0")],
        )
        .await;
    assert_eq!(r.status(), 400, "0 days is refused");

    let done = ai102::store::own_data::enforce_retention(&app.db, true)
        .await
        .unwrap()
        .expect("a forced run runs");
    assert_eq!((done.attempts, done.audit_entries), (1, 1));
    let left: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM attempts ORDER BY started_at")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(
        left,
        vec![running, recent],
        "the old finished attempt went; the running one stays"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'test.old'")
            .await,
        0
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'settings.retention'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'retention.enforced'")
            .await,
        1
    );
    // Once a day: the next run, unforced, waits for tomorrow.
    assert_eq!(
        ai102::store::own_data::enforce_retention(&app.db, false)
            .await
            .unwrap(),
        None
    );
}
