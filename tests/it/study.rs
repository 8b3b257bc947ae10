//! The study loop against the real app and PostgreSQL: what joins the review deck (a mock's misses and marks, a
//! practice answer's "not sure"), what does not (right and sure, unanswered, trial), review sessions rating
//! cards by FSRS, revisions and retirements, the backfill of earlier attempts, the exam date's rules and the
//! plan's calendar file read back by an iCalendar parser.

use crate::common::*;
use serde_json::Value;
use std::path::PathBuf;
use uuid::Uuid;

async fn with_test_form(app: &TestApp) {
    let pack = app.import_test_pack().await;
    TestForm::new("test-form")
        .minutes(60)
        .create(app, &[pack])
        .await;
}

async fn candidate(app: &TestApp) -> String {
    let email = format!("c{}@example.com", Uuid::new_v4().simple());
    assert_eq!(app.sign_up(&email, "Candidate").await.status(), 303);
    email
}

/// The deck's cards: item key → (reason, days from now to due, reps).
async fn deck(app: &TestApp) -> Vec<(String, String, f64, i32)> {
    sqlx::query_as(
        "SELECT i.item_key, d.reason, extract(epoch FROM d.due - now())::float8 / 86400, d.reps
         FROM review_deck d JOIN items i ON i.id = d.item_id ORDER BY i.item_key",
    )
    .fetch_all(&app.db)
    .await
    .unwrap()
}

async fn due_today(app: &TestApp) -> i64 {
    let body = app.get("/practice").await.text().await.unwrap();
    let text = texts(&body, "[data-testid=source]").join(" ");
    let n = text
        .split("Due for review today: ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no due count in {text}"));
    let progress = app.get("/progress").await.text().await.unwrap();
    let said = texts(&progress, "[data-testid=due-count]").join(" ");
    assert!(said.contains(&format!("{n} question")), "{said}");
    n
}

/// A mock where the candidate gets t-single wrong, t-multiple right but marked, t-order unanswered.
async fn mock_with_a_miss_and_a_mark(app: &TestApp) -> Uuid {
    let r = app.post_form("/exams", "/exams/test-form/start", &[]).await;
    let id = attempt_in(&r);
    answer(app, id, "t-single", &[("choice", "b")]).await;
    answer(
        app,
        id,
        "t-multiple",
        &[
            ("choice", "a"),
            ("choice", "c"),
            ("mark_present", "1"),
            ("mark", "1"),
        ],
    )
    .await;
    assert_eq!(app.submit_attempt(id).await.status(), 303);
    id
}

#[tokio::test]
async fn a_mocks_misses_and_marks_join_the_deck_due_at_once_and_unanswered_items_do_not() {
    let app = TestApp::spawn().await;
    with_test_form(&app).await;
    candidate(&app).await;
    assert_eq!(due_today(&app).await, 0);
    mock_with_a_miss_and_a_mark(&app).await;
    let d = deck(&app).await;
    let keys: Vec<(&str, &str)> = d.iter().map(|c| (c.0.as_str(), c.1.as_str())).collect();
    assert_eq!(keys, [("t-multiple", "marked"), ("t-single", "missed")]);
    assert!(d.iter().all(|c| c.2 <= 0.0), "due at once: {d:?}");
    assert_eq!(due_today(&app).await, 2);
}

#[tokio::test]
async fn a_review_session_asks_how_sure_rates_each_card_by_fsrs_and_empties_today() {
    let app = TestApp::spawn().await;
    with_test_form(&app).await;
    candidate(&app).await;
    mock_with_a_miss_and_a_mark(&app).await;
    let r = app
        .post_form(
            "/practice",
            "/practice/start",
            &[("source", "due"), ("count", "10"), ("case_studies", "1")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let session = attempt_in(&r);
    let items: i64 = app
        .count(&format!(
            "SELECT count(*) FROM attempt_items WHERE attempt_id = '{session}'"
        ))
        .await;
    assert_eq!(items, 2, "the session holds the two due questions");
    // The page asks how sure before the key.
    let n = position_of(&app, session, "t-single").await;
    let page = app
        .get(&format!("/attempts/{session}/items/{n}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!texts(&page, "[data-testid=confidence]").is_empty());
    assert!(texts(&page, "[data-testid=feedback]").is_empty());
    // Without it, the answer is refused and nothing is rated.
    let refused = answer(&app, session, "t-single", &[("choice", "a")]).await;
    assert_eq!(refused.status(), 422);
    let body = refused.text().await.unwrap();
    assert!(body.contains("Say how sure you are"), "{body}");
    assert!(deck(&app).await.iter().all(|c| c.3 == 0));
    // Right and certain: Easy, 15 days (FSRS-5's w[3]); right and fairly sure: Good, 3 days (w[2]).
    assert_eq!(
        answer(
            &app,
            session,
            "t-single",
            &[("choice", "a"), ("confidence", "certain")]
        )
        .await
        .status(),
        303
    );
    assert_eq!(
        answer(
            &app,
            session,
            "t-multiple",
            &[
                ("choice", "a"),
                ("choice", "c"),
                ("confidence", "fairly_sure")
            ]
        )
        .await
        .status(),
        303
    );
    let d = deck(&app).await;
    let days: Vec<(String, i64, i32)> = d
        .iter()
        .map(|c| (c.0.clone(), c.2.round() as i64, c.3))
        .collect();
    assert_eq!(
        days,
        [("t-multiple".into(), 3, 1), ("t-single".into(), 15, 1)]
    );
    // The feedback says what they said; checking again in the same session rates nothing twice.
    let page = app
        .get(&format!("/attempts/{session}/items/{n}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(texts(&page, "[data-testid=said-confidence]")
        .join("")
        .contains("Certain"));
    answer(
        &app,
        session,
        "t-single",
        &[("choice", "b"), ("confidence", "guessed")],
    )
    .await;
    assert_eq!(deck(&app).await.iter().map(|c| c.3).sum::<i32>(), 2);
    assert_eq!(due_today(&app).await, 0);
    // Nothing due: a review session is refused with a clear message.
    let none = app
        .post_form(
            "/practice",
            "/practice/start",
            &[("source", "due"), ("count", "10")],
        )
        .await;
    assert_eq!(none.status(), 422);
    assert!(none
        .text()
        .await
        .unwrap()
        .contains("Nothing is due for review today"));
}

#[tokio::test]
async fn in_practice_not_sure_and_wrong_answers_join_and_right_and_sure_ones_do_not() {
    let app = TestApp::spawn().await;
    with_test_form(&app).await;
    candidate(&app).await;
    let r = app
        .post_form(
            "/practice",
            "/practice/start",
            &[("source", "all"), ("count", "10"), ("case_studies", "1")],
        )
        .await;
    let set = attempt_in(&r);
    // Practice is not autosaved: the item form says so to the script.
    let n = position_of(&app, set, "t-single").await;
    let page = app
        .get(&format!("/attempts/{set}/items/{n}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("data-autosave=\"off\""));
    answer(
        &app,
        set,
        "t-single",
        &[("choice", "a"), ("confidence", "guessed")],
    )
    .await;
    answer(&app, set, "t-multiple", &[("choice", "a"), ("choice", "c")]).await;
    answer(&app, set, "t-order", &[("step1", "zz")]).await;
    answer(
        &app,
        set,
        "t-yesno",
        &[
            ("s:s1", "no"),
            ("s:s2", "no"),
            ("s:s3", "no"),
            ("confidence", "certain"),
        ],
    )
    .await;
    let d = deck(&app).await;
    let got: Vec<(&str, &str, i64)> = d
        .iter()
        .map(|c| (c.0.as_str(), c.1.as_str(), c.2.round() as i64))
        .collect();
    // Guessed right: Hard (2 days); wrong: Again (1 day); right with nothing said: not in the deck.
    assert!(got.contains(&("t-single", "not_sure", 2)), "{got:?}");
    assert!(got.contains(&("t-yesno", "missed", 1)), "{got:?}");
    assert!(!got.iter().any(|c| c.0 == "t-multiple"), "{got:?}");
    let confidence: Option<String> = sqlx::query_scalar(
        "SELECT confidence FROM answers WHERE attempt_id = $1 AND position = $2",
    )
    .bind(set)
    .bind(n)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(confidence.as_deref(), Some("guessed"));
    // A mock keeps the real exam's controls: no "how sure" there.
    let mock = attempt_in(&app.post_form("/exams", "/exams/test-form/start", &[]).await);
    let page = app
        .get(&format!("/attempts/{mock}/items/1"))
        .await
        .text()
        .await
        .unwrap();
    assert!(texts(&page, "[data-testid=confidence]").is_empty());
}

#[tokio::test]
async fn a_new_revision_takes_the_cards_place_and_a_retired_item_leaves_the_deck() {
    let app = TestApp::spawn().await;
    with_test_form(&app).await;
    candidate(&app).await;
    mock_with_a_miss_and_a_mark(&app).await;
    assert_eq!(due_today(&app).await, 2);
    // Version 2 rewrites t-single's stem and drops t-multiple from the pack.
    let start = TEST_PACK.find("  - id: t-multiple").unwrap();
    let end = start + TEST_PACK[start..].find("  - id: t-yesno").unwrap();
    let v2 = format!("{}{}", &TEST_PACK[..start], &TEST_PACK[end..])
        .replace("version: 1", "version: 2")
        .replace(
            "Which option is right?",
            "Which option is right, in its new form?",
        );
    app.import_pack(&v2, None, ai102::store::bank::PackStatus::Published)
        .await;
    let retired: bool =
        sqlx::query_scalar("SELECT retired FROM items WHERE item_key = 't-multiple'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(retired);
    assert_eq!(due_today(&app).await, 1, "the retired item left the deck");
    let r = app
        .post_form(
            "/practice",
            "/practice/start",
            &[("source", "due"), ("count", "10")],
        )
        .await;
    let session = attempt_in(&r);
    let page = app
        .get(&format!("/attempts/{session}/items/1"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Which option is right, in its new form?"),
        "reviewed in its new form"
    );
}

#[tokio::test]
async fn attempts_from_before_the_deck_fill_it_once_spread_over_the_coming_days() {
    let app = TestApp::spawn().await;
    with_test_form(&app).await;
    candidate(&app).await;
    // Two mocks, every question wrong or unanswered but all of them marked, so that many cards join.
    for _ in 0..2 {
        let id = attempt_in(&app.post_form("/exams", "/exams/test-form/start", &[]).await);
        for key in ["t-multiple", "t-order", "t-match", "t-hot"] {
            answer(&app, id, key, &[("mark_present", "1"), ("mark", "1")]).await;
        }
        answer(&app, id, "t-single", &[("choice", "b")]).await;
        app.submit_attempt(id).await;
    }
    let joined = deck(&app).await.len();
    assert!(joined >= 2, "{joined}");
    // As if the attempts had ended before the deck existed.
    sqlx::query("DELETE FROM review_deck")
        .execute(&app.db)
        .await
        .unwrap();
    let added = ai102::store::study::backfill(&app.db).await.unwrap();
    assert_eq!(added as usize, joined);
    let days: Vec<f64> = deck(&app).await.iter().map(|c| c.2).collect();
    assert!(days.iter().all(|d| (-0.1..7.0).contains(d)), "{days:?}");
    let distinct: std::collections::BTreeSet<i64> = days.iter().map(|d| d.floor() as i64).collect();
    assert!(distinct.len() > 1, "spread over several days: {days:?}");
    assert!(distinct.len() <= 7);
    // Once: running it again adds nothing.
    assert_eq!(ai102::store::study::backfill(&app.db).await.unwrap(), 0);
}

fn bank_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("question-bank")
}

#[tokio::test]
async fn the_exam_date_is_refused_in_the_past_or_after_retirement_and_the_plan_downloads_as_ics() {
    let app = TestApp::spawn_with(|c| c.load_bank = Some(bank_root())).await;
    let email = candidate(&app).await;
    let set = |exam: &'static str, date: String| {
        let app = &app;
        async move {
            app.post_form(
                &format!("/progress?exam={exam}"),
                "/progress/plan",
                &[("exam", exam), ("date", &date)],
            )
            .await
        }
    };
    let today = time::OffsetDateTime::now_utc().date();
    // AI-102 retired on 2026-06-30: no date can be set for it any more.
    let r = set("AI-102", (today + time::Duration::days(10)).to_string()).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    let said = texts(&body, "[data-testid=plan-error]").join(" ");
    assert!(
        said.contains("retires on 2026-06-30") && said.contains("AI-103"),
        "{said}"
    );
    let r = set("AI-103", (today - time::Duration::days(1)).to_string()).await;
    assert_eq!(r.status(), 422);
    let said = texts(&r.text().await.unwrap(), "[data-testid=plan-error]").join(" ");
    assert!(said.contains("is in the past"), "{said}");
    let r = set("AI-103", "next tuesday".into()).await;
    assert_eq!(r.status(), 400);
    let exam_date = today + time::Duration::days(20);
    let r = set("AI-103", exam_date.to_string()).await;
    assert_eq!(r.status(), 303);
    let page = app.get("/progress?exam=AI-103").await.text().await.unwrap();
    assert!(texts(&page, "[data-testid=days-left]")
        .join(" ")
        .contains("20 days left"));
    let next = texts(&page, "[data-testid=next-mock]").join("");
    assert_eq!(next, today.to_string(), "the first mock: today");
    // The calendar file, read back by icalendar's RFC 5545 parser.
    let download = || async {
        let r = app.get("/progress/plan.ics?exam=AI-103").await;
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar"));
        r.text().await.unwrap()
    };
    let first = download().await;
    let events = |text: &str| -> Vec<(String, String, String)> {
        use icalendar::Component;
        let cal: icalendar::Calendar = text.parse().expect("a valid iCalendar file");
        cal.components
            .iter()
            .filter_map(|c| c.as_event())
            .map(|e| {
                let start = match e.get_start() {
                    Some(icalendar::DatePerhapsTime::Date(d)) => d.to_string(),
                    other => panic!("an all-day event, not {other:?}"),
                };
                (
                    e.get_uid().unwrap_or_default().to_owned(),
                    e.get_summary().unwrap_or_default().to_owned(),
                    start,
                )
            })
            .collect()
    };
    let got = events(&first);
    let mocks: Vec<&(String, String, String)> =
        got.iter().filter(|e| e.1.contains("Full mock")).collect();
    assert!(mocks.len() >= 3, "{got:?}");
    let last = mocks.last().unwrap();
    assert_eq!(last.2, (exam_date - time::Duration::days(3)).to_string());
    assert_eq!(
        mocks[mocks.len() - 2].2,
        (exam_date - time::Duration::days(5)).to_string()
    );
    assert!(got
        .iter()
        .any(|e| e.1 == "AI-103 exam" && e.2 == exam_date.to_string()));
    // The same UIDs on the next download, so a calendar updates its events instead of doubling them.
    let again = events(&download().await);
    let uids = |v: &[(String, String, String)]| v.iter().map(|e| e.0.clone()).collect::<Vec<_>>();
    assert_eq!(uids(&got), uids(&again));
    // The API's plan and due count agree with the page.
    let (token, _) = app.api_token_with_id(&email).await;
    let api = app.api(&token);
    let plan: Value = api.get_json("/api/v1/plan?exam=AI-103").await;
    assert_eq!(plan["days_left"], 20);
    assert_eq!(plan["mocks"].as_array().unwrap().len(), mocks.len());
    assert_eq!(plan["mocks"][0]["uid"], Value::String(mocks[0].0.clone()));
    let due: Value = api.get_json("/api/v1/review/due?exam=AI-103").await;
    assert_eq!(due["due_today"], 0);
    assert_eq!(api.get("/api/v1/plan?exam=AI-102").await.status(), 422);
    let none = api.post("/api/v1/review/sessions?exam=AI-103").await;
    assert_eq!(none.status(), 422);
    // A script sets the date through the API, with the same rules.
    let past = serde_json::json!({"exam": "AI-103", "date": (today - time::Duration::days(2)).to_string()});
    let r = api.put("/api/v1/plan", &past).await;
    assert_eq!(r.status(), 422);
    let problem: Value = r.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("in the past"),
        "{problem}"
    );
    let later = serde_json::json!({"exam": "AI-103", "date": (today + time::Duration::days(30)).to_string()});
    let plan: Value = api.put("/api/v1/plan", &later).await.json().await.unwrap();
    assert_eq!(plan["days_left"], 30);
}
