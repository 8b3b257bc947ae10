//! Unscored trial items against the real app: an instructor marks them, a form adds them to each attempt,
//! the candidate cannot tell them apart while the attempt runs, they do not count toward the score, and the
//! item analysis lists them apart with whether to promote them.

use crate::common::*;
use ai102::auth::Role;
use uuid::Uuid;

const PACK: &str = include_str!("../fixtures/exam_pack.yaml");

/// Three new single-choice questions, to be marked as trial items; their stems say "newer" to be found by.
const NEW_PACK: &str = r#"
pack:
  id: new-items
  title: New questions
  version: 1
  blueprint: ai102
items:
  - id: new-1
    type: single
    domain: plan
    objective: plan.secure
    stem: Which newer option is right (one)?
    options: [{ id: a, text: "Right" }, { id: b, text: "Wrong" }]
    answer: a
    explanation: A.
    references: [https://learn.microsoft.com/azure/ai-services/authentication]
  - id: new-2
    type: single
    domain: nlp
    objective: nlp.clu
    stem: Which newer option is right (two)?
    options: [{ id: a, text: "Right" }, { id: b, text: "Wrong" }]
    answer: a
    explanation: A.
    references: [https://learn.microsoft.com/azure/ai-services/language-service/overview]
  - id: new-3
    type: single
    domain: vision
    objective: vision.analyze
    stem: Which newer option is right (three)?
    options: [{ id: a, text: "Right" }, { id: b, text: "Wrong" }]
    answer: a
    explanation: A.
    references: [https://learn.microsoft.com/azure/ai-services/computer-vision/overview]
"#;

async fn import(app: &TestApp, yaml: &str) -> Uuid {
    app.import_pack(yaml, None, ai102::store::bank::PackStatus::Published)
        .await
}

/// The form's packs, a form over them with `trial` trial items made on the instructor's page (after a dry
/// run), and the three new questions marked as trial on their pack's page. Signs the admin in on `app`.
async fn with_trial_form(app: &TestApp, trial: &str) -> (Uuid, Uuid) {
    let exam_pack = import(app, PACK).await;
    let new_pack = import(app, NEW_PACK).await;
    app.create_user("admin@example.com", Role::Admin).await;
    assert_eq!(
        app.sign_in("admin@example.com", PASSWORD).await.status(),
        303
    );

    let pack_page = format!("/instructor/packs/{new_pack}");
    for key in ["new-1", "new-2", "new-3"] {
        let r = app
            .post_form(
                &pack_page,
                &format!("{pack_page}/items/{key}/trial"),
                &[("trial", "true")],
            )
            .await;
        assert_eq!(r.status(), 303, "{key} is marked as trial");
    }
    let html = app.get(&pack_page).await.text().await.expect("pack page");
    assert_eq!(
        texts(&html, "[data-testid=scoring-new-2] button"),
        ["Promote to scored"]
    );
    // A case study is one scored section: it cannot be a trial item.
    let r = app
        .post_form(
            &format!("/instructor/packs/{exam_pack}"),
            &format!("/instructor/packs/{exam_pack}/items/cs-test/trial"),
            &[("trial", "true")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let audited = app
        .count("SELECT count(*) FROM audit_log WHERE action = 'item.trial'")
        .await;
    assert_eq!(audited, 3);

    let exam = exam_pack.to_string();
    let new = new_pack.to_string();
    let mut fields = vec![
        ("title", "Mock form"),
        ("slug", "mock-form"),
        ("pack", exam.as_str()),
        ("pack", new.as_str()),
        ("item_count", "8"),
        ("duration", "60"),
        ("case_studies", "1"),
        ("cut_percent", "70"),
        ("trial_items", trial),
        ("action", "dry_run"),
    ];
    let html = app
        .post_form("/instructor/forms/new", "/instructor/forms", &fields)
        .await
        .text()
        .await
        .expect("dry run");
    let expected: Vec<String> = if trial == "0" {
        vec![]
    } else {
        vec![format!(
            "Each attempt adds {trial} unscored trial item(s) to the 8 scored ones (3 standalone trial item(s) in the packs; {trial} asked for)."
        )]
    };
    assert_eq!(texts(&html, "[data-testid=dry-run-trial]"), expected);
    assert!(texts(&html, "[data-testid=dry-run-summary]")[0].contains("can fill 8 questions"));
    fields.last_mut().expect("action").1 = "create";
    let r = app
        .post_form("/instructor/forms/new", "/instructor/forms", &fields)
        .await;
    assert_eq!(r.status(), 303, "the form is created");
    (exam_pack, new_pack)
}

/// (position, question key, trial) of every item of the attempt.
async fn items_of(app: &TestApp, attempt: Uuid) -> Vec<(i32, String, bool)> {
    sqlx::query_as(
        "SELECT position, question_key, trial FROM attempt_items WHERE attempt_id = $1 ORDER BY position",
    )
    .bind(attempt)
    .fetch_all(&app.db)
    .await
    .expect("attempt items")
}

#[tokio::test]
async fn trial_items_never_count_and_nothing_marks_them_while_the_attempt_runs() {
    let admin = TestApp::spawn().await;
    with_trial_form(&admin, "2").await;
    let app = admin.other_browser();
    app.create_user("cand@example.com", Role::Candidate).await;
    assert_eq!(
        app.sign_in("cand@example.com", PASSWORD).await.status(),
        303
    );
    let r = app.post_form("/exams", "/exams/mock-form/start", &[]).await;
    assert_eq!(r.status(), 303);
    let attempt: Uuid = location(&r)
        .strip_prefix("/attempts/")
        .and_then(|s| s.split('/').next())
        .and_then(|s| s.parse().ok())
        .expect("attempt id");

    // 8 scored items and 2 trial ones, outside the case study (positions 1 and 2).
    let items = items_of(&app, attempt).await;
    assert_eq!(items.len(), 10);
    let trial: Vec<&(i32, String, bool)> = items.iter().filter(|i| i.2).collect();
    assert_eq!(trial.len(), 2);
    assert!(trial.iter().all(|t| t.0 > 2 && t.1.starts_with("new-")));
    assert!(items
        .iter()
        .filter(|i| !i.2)
        .all(|i| !i.1.starts_with("new-")));

    // Every page and API answer of the attempt in progress: nothing says "trial".
    let token = app.api_token("cand@example.com").await;
    let user: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE email = 'cand@example.com'")
        .fetch_one(&app.db)
        .await
        .expect("user");
    let api = reqwest::Client::new();
    let mut bodies: Vec<(String, String)> = Vec::new();
    for path in ["/exams", "/attempts", "/progress", "/account"] {
        bodies.push((path.into(), app.get(path).await.text().await.expect("body")));
    }
    for position in 1..=10 {
        let page = format!("/attempts/{attempt}/items/{position}");
        let html = app.get(&page).await.text().await.expect("body");
        assert_eq!(
            texts(&html, "[data-testid=counter]"),
            [format!("Item {position} of 10")]
        );
        bodies.push((page.clone(), html));
        bodies.extend(mark_item_everywhere(&app, &token, attempt, position).await);
    }
    for path in ["review", "end"] {
        let page = format!("/attempts/{attempt}/{path}");
        bodies.push((
            page.clone(),
            app.get(&page).await.text().await.expect("body"),
        ));
    }
    let r = api
        .get(app.url(&format!("/api/v1/attempts/{attempt}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("API");
    bodies.push(("API attempt".into(), r.text().await.expect("body")));
    assert!(
        bodies.iter().any(|(_, b)| b.contains("Which newer option")),
        "the scan saw the trial items themselves"
    );
    let marked: Vec<&String> = bodies
        .iter()
        .filter(|(_, b)| b.to_lowercase().contains("trial"))
        .map(|(what, _)| what)
        .collect();
    assert!(marked.is_empty(), "a trial marker in: {marked:?}");

    // Every scored item right, every trial item wrong.
    let right: &[(&str, &[(&str, &str)])] = &[
        ("t-single", &[("choice", "a")]),
        ("t-multiple", &[("choice", "a"), ("choice", "c")]),
        (
            "t-yesno",
            &[("s:s1", "yes"), ("s:s2", "no"), ("s:s3", "yes")],
        ),
        ("t-order", &[("pos:1", "a"), ("pos:2", "b"), ("pos:3", "c")]),
        ("t-match", &[("slot:s1", "x"), ("slot:s2", "y")]),
        ("t-hot", &[("slot:cls", "a"), ("slot:op", "a")]),
        ("cs-test-q1", &[("choice", "b")]),
        ("cs-test-q2", &[("choice", "a")]),
    ];
    let wrong: &[(&str, &str)] = &[("choice", "b")];
    for (position, key, is_trial) in &items {
        let fields = if *is_trial {
            wrong
        } else {
            right.iter().find(|(k, _)| k == key).expect("a known key").1
        };
        let mut all = fields.to_vec();
        all.push(("go", "stay"));
        let page = format!("/attempts/{attempt}/items/{position}");
        let r = app.post_form(&page, &page, &all).await;
        assert_eq!(r.status(), 303, "{key} saved");
    }
    let r = app.submit_attempt(attempt).await;
    assert_eq!(r.status(), 303);

    let (raw, max, scaled, passed): (f64, f64, i32, bool) = sqlx::query_as(
        "SELECT raw_score, max_score, scaled_score, passed FROM attempts WHERE id = $1",
    )
    .bind(attempt)
    .fetch_one(&app.db)
    .await
    .expect("scores");
    assert_eq!((raw, max, scaled, passed), (15.0, 15.0, 1000, true));
    // Every trial item was answered wrongly, yet none joins the candidate's review deck.
    let cards: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM review_deck d JOIN attempts a ON a.user_id = d.user_id
         JOIN items i ON i.id = d.item_id WHERE a.id = $1 AND i.trial",
    )
    .bind(attempt)
    .fetch_one(&app.db)
    .await
    .expect("the deck");
    assert_eq!(cards, 0, "trial items never join the review deck");
    // The trial items' points are kept for their statistics.
    let trial_earned: Vec<Option<f64>> = sqlx::query_scalar(
        "SELECT an.earned FROM answers an JOIN attempt_items ai USING (attempt_id, position)
         WHERE an.attempt_id = $1 AND ai.trial ORDER BY an.position",
    )
    .bind(attempt)
    .fetch_all(&app.db)
    .await
    .expect("earned");
    assert_eq!(trial_earned, [Some(0.0), Some(0.0)]);

    // The result names no trial item: 8 items reviewed, numbered 1 to 8, and a general note.
    let html = app
        .get(&format!("/attempts/{attempt}/result"))
        .await
        .text()
        .await
        .expect("result");
    assert_eq!(texts(&html, "[data-testid=scaled-score]"), ["1000"]);
    assert_eq!(texts(&html, "article.reviewed").len(), 8);
    let numbers: Vec<String> = texts(&html, "article.reviewed h3")
        .iter()
        .map(|h| h.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        numbers,
        (1..=8).map(|n| format!("Item {n}")).collect::<Vec<_>>()
    );
    assert!(!html.contains("Which newer option"));
    assert_eq!(texts(&html, "[data-testid=unscored-note]").len(), 1);
    let bars = texts(&html, "svg[data-testid=domain-chart] g.bar text.value");
    assert!(bars.iter().all(|b| b.starts_with("100%")), "{bars:?}");
    let r: serde_json::Value = api
        .get(app.url(&format!("/api/v1/attempts/{attempt}/result")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("API")
        .json()
        .await
        .expect("JSON");
    assert_eq!(r["result"]["scaled"], 1000);
    assert_eq!(r["result"]["max"], 15.0);
    let domain_items: u64 = r["result"]["domains"]
        .as_array()
        .expect("domains")
        .iter()
        .map(|d| d["items"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(domain_items, 8);
    assert!(!r.to_string().to_lowercase().contains("trial"));

    // The candidate's progress ignores the trial items: every scored one was right.
    let progress = ai102::store::analytics::progress(&app.db, user)
        .await
        .expect("progress");
    assert_eq!(progress.attempts.len(), 1);
    let shares: Vec<f64> = progress.attempts[0].domains.values().copied().collect();
    assert_eq!(shares, [1.0; 5]);
    assert!(
        progress.weakest.iter().all(|w| w.earned == w.max),
        "no objective lost points: {:?}",
        progress.weakest
    );

    // The item analysis lists the trial items apart, with whether to promote them.
    let html = admin
        .get("/instructor/analytics")
        .await
        .text()
        .await
        .expect("analysis");
    let scored_ids = texts(&html, "[data-testid=items] tbody tr td:first-child");
    assert_eq!(scored_ids.len(), 8, "{scored_ids:?}");
    assert!(scored_ids.iter().all(|id| !id.starts_with("new-")));
    let trial_ids = texts(&html, "[data-testid=trial-table] tbody tr td:first-child");
    let mut expected: Vec<String> = trial.iter().map(|t| t.1.clone()).collect();
    expected.sort();
    assert_eq!(trial_ids, expected);
    for id in &expected {
        assert_eq!(
            texts(&html, &format!("[data-testid=promote-{id}]")),
            ["Not yet: 1 of the 30 attempts needed to judge it."]
        );
    }

    // The rollups kept at the end of the attempt agree with the computation from every response.
    let rolled = ai102::store::analytics::item_analysis(&app.db, None)
        .await
        .expect("rollups");
    let live = ai102::store::analytics::item_analysis_live(&app.db, None)
        .await
        .expect("live");
    let facility = |items: &[ai102::analytics::item_stats::ItemStats]| {
        let mut v: Vec<(String, Option<f64>)> = items
            .iter()
            .map(|i| (i.item_id.clone(), i.facility))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    assert_eq!(facility(&rolled.items), facility(&live.items));
    assert_eq!(facility(&rolled.trial_items), facility(&live.trial_items));
    assert_eq!(rolled.trial_items.len(), 2);
}

#[tokio::test]
async fn a_form_without_trial_items_draws_none_and_a_promoted_item_is_scored_again() {
    let admin = TestApp::spawn().await;
    let (_, new_pack) = with_trial_form(&admin, "0").await;
    let r = admin
        .post_form(
            &format!("/instructor/packs/{new_pack}"),
            &format!("/instructor/packs/{new_pack}/items/new-1/trial"),
            &[("trial", "false")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        admin.count("SELECT count(*) FROM items WHERE trial").await,
        2
    );
    assert_eq!(
        admin
            .count("SELECT count(*) FROM audit_log WHERE action = 'item.promote'")
            .await,
        1
    );
    let app = admin.other_browser();
    app.create_user("cand@example.com", Role::Candidate).await;
    assert_eq!(
        app.sign_in("cand@example.com", PASSWORD).await.status(),
        303
    );
    let r = app.post_form("/exams", "/exams/mock-form/start", &[]).await;
    assert_eq!(r.status(), 303);
    let attempt: Uuid = location(&r)
        .strip_prefix("/attempts/")
        .and_then(|s| s.split('/').next())
        .and_then(|s| s.parse().ok())
        .expect("attempt id");
    let items = items_of(&app, attempt).await;
    assert_eq!(items.len(), 8);
    assert!(items.iter().all(|i| !i.2));
    // The promoted question is a scored question like the others and may be drawn; the trial ones are not.
    assert!(items
        .iter()
        .all(|i| !matches!(i.1.as_str(), "new-2" | "new-3")));
}
