//! Classes against the real app and PostgreSQL: joining (seats under concurrency, the link turned off,
//! expired or made anew, a visitor who signs up first), members added in bulk, assignments (windows by the
//! database's clock, attempts under concurrency, overrides), who sees a form, answers an assignment hides on
//! every route, leaving and rejoining, archiving, the gradebook and its CSV, the staff's review of an attempt,
//! public-form requests and the admin's pass rates.

use crate::common::*;
use ai102::auth::Role;
use ai102::store::classes::{self, AnswersShown, NewAssignment};
use ai102::store::users::Actor;
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

const EXPLAINED: &str = "EXPLAINED-CLASS-9K";

/// An instructor (signed in on `app`) with a class for AI-102; returns (instructor, class).
pub(crate) async fn instructor_with_class(app: &TestApp) -> (ai102::auth::session::User, Uuid) {
    let ines = new_user(app, "ines@example.com", Role::Instructor).await;
    assert_eq!(
        app.sign_in("ines@example.com", PASSWORD).await.status(),
        303
    );
    let r = app
        .post_form(
            "/instructor/classes",
            "/instructor/classes",
            &[("name", "Evening cohort"), ("exam", "AI-102")],
        )
        .await;
    assert_eq!(r.status(), 303, "the class is created");
    let class: Uuid = location(&r)
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("the class's address");
    (ines, class)
}

pub(crate) fn actor(u: &ai102::auth::session::User) -> Actor<'_> {
    Actor {
        id: u.id,
        email: &u.email,
    }
}

/// The instructor's own pack (its explanations carry [`EXPLAINED`]) behind a class form; returns (pack, form).
pub(crate) async fn class_form(app: &TestApp, owner: Uuid, slug: &'static str) -> (Uuid, Uuid) {
    let yaml = test_pack_as("class-pack", "Class pack")
        .replace("explanation: ", &format!("explanation: {EXPLAINED} "));
    let pack = app
        .import_pack(
            &yaml,
            Some(owner),
            ai102::store::bank::PackStatus::Published,
        )
        .await;
    let form = TestForm::new(slug)
        .owner(owner)
        .class_only()
        .create(app, &[pack])
        .await;
    (pack, form)
}

pub(crate) async fn assign(
    app: &TestApp,
    by: &ai102::auth::session::User,
    class: Uuid,
    form: Uuid,
    max_attempts: Option<i32>,
    answers_shown: AnswersShown,
) -> Uuid {
    classes::create_assignment(
        &app.db,
        actor(by),
        class,
        &NewAssignment {
            form_id: form,
            opens_at: None,
            closes_at: None,
            max_attempts,
            answers_shown,
        },
    )
    .await
    .expect("the assignment")
}

/// A signed-in candidate on a browser of their own, a member of `class`.
pub(crate) async fn member(
    app: &TestApp,
    email: &str,
    class: Uuid,
) -> (TestApp, ai102::auth::session::User) {
    let browser = app.other_browser();
    let user = new_user(app, email, Role::Candidate).await;
    assert_eq!(browser.sign_in(email, PASSWORD).await.status(), 303);
    let joined = classes::join(&app.db, class, actor(&user)).await.unwrap();
    assert_eq!(joined, classes::JoinOutcome::Joined);
    (browser, user)
}

async fn start(browser: &TestApp, assignment: Uuid) -> reqwest::Response {
    browser
        .post_form("/exams", &format!("/assignments/{assignment}/start"), &[])
        .await
}

#[tokio::test]
async fn fifty_simultaneous_joins_to_a_class_of_thirty_seats_make_exactly_thirty_members() {
    let app = TestApp::spawn().await;
    let (ines, class) = instructor_with_class(&app).await;
    let mut settings = classes::ClassSettings {
        name: "Evening cohort".into(),
        starts_on: None,
        ends_on: None,
        join_enabled: true,
        join_expires_at: None,
        seat_limit: Some(30),
    };
    classes::update(&app.db, actor(&ines), class, &settings)
        .await
        .unwrap();
    let mut people = Vec::new();
    for i in 0..50 {
        people.push(new_user(&app, &format!("p{i}@example.com"), Role::Candidate).await);
    }
    let joins: Vec<_> = people
        .iter()
        .map(|p| {
            let db = app.db.clone();
            let (id, email) = (p.id, p.email.clone());
            tokio::spawn(async move {
                classes::join(&db, class, Actor { id, email: &email })
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for j in joins {
        outcomes.push(j.await.unwrap());
    }
    let joined = outcomes
        .iter()
        .filter(|o| **o == classes::JoinOutcome::Joined)
        .count();
    let full = outcomes
        .iter()
        .filter(|o| **o == classes::JoinOutcome::Full)
        .count();
    assert_eq!((joined, full), (30, 20), "{outcomes:?}");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM class_members WHERE class_id = '{class}'"
        ))
        .await,
        30
    );
    // The page says why: the class is full.
    let code: String = sqlx::query_scalar("SELECT join_code FROM classes WHERE id = $1")
        .bind(class)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let outsider = new_user(&app, "late@example.com", Role::Candidate).await;
    let late = app.other_browser();
    assert_eq!(late.sign_in(&outsider.email, PASSWORD).await.status(), 303);
    let r = late
        .post_form(&format!("/join/{code}"), &format!("/join/{code}"), &[])
        .await;
    assert_eq!(r.status(), 409);
    assert_eq!(
        texts(&r.text().await.unwrap(), "[data-testid=join-refused]"),
        ["The class is full: every seat is taken."]
    );
    // Turned off, the link refuses; made anew, the old code is unknown.
    settings.seat_limit = None;
    settings.join_enabled = false;
    classes::update(&app.db, actor(&ines), class, &settings)
        .await
        .unwrap();
    let r = late
        .post_form(&format!("/join/{code}"), &format!("/join/{code}"), &[])
        .await;
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("turned this join link off"));
    classes::regenerate_code(&app.db, actor(&ines), class)
        .await
        .unwrap();
    assert_eq!(late.get(&format!("/join/{code}")).await.status(), 404);
}

#[tokio::test]
async fn ten_simultaneous_starts_of_an_assignment_that_allows_two_attempts_make_exactly_two() {
    let app = TestApp::spawn().await;
    let (ines, class) = instructor_with_class(&app).await;
    let (_, form) = class_form(&app, ines.id, "class-form").await;
    let assignment = assign(&app, &ines, class, form, Some(2), AnswersShown::AtEnd).await;
    let (_, cara) = member(&app, "cara@example.com", class).await;
    let token = app.api_token("cara@example.com").await;
    let api = app.api(&token);
    let path = format!("/api/v1/assignments/{assignment}/attempts");
    let starts: Vec<_> = (0..10)
        .map(|_| {
            let (url, token) = (app.url(&path), token.clone());
            tokio::spawn(async move {
                reqwest::Client::new()
                    .post(url)
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for s in starts {
        statuses.push(s.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        2,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 422).count(),
        8,
        "{statuses:?}"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM attempts WHERE assignment_id = '{assignment}' AND user_id = '{}'",
            cara.id
        ))
        .await,
        2
    );
    let refused = api.post(&path).await;
    let problem: Value = refused.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("used every attempt"),
        "{problem}"
    );
    // An override gives one more, and is audited.
    let row = classes::assignment(&app.db, assignment)
        .await
        .unwrap()
        .unwrap();
    classes::set_override(&app.db, actor(&ines), &row, cara.id, 1, None)
        .await
        .unwrap();
    assert_eq!(api.post(&path).await.status(), 201);
    assert_eq!(api.post(&path).await.status(), 422);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'class.override_set'")
            .await,
        1
    );
    // The Exams page says how many are left: none.
    let page = api_free_exams_page(&app, "cara@example.com").await;
    assert_eq!(texts(&page, "[data-testid=no-attempts-left]").len(), 1);
}

async fn api_free_exams_page(app: &TestApp, email: &str) -> String {
    let b = app.other_browser();
    assert_eq!(b.sign_in(email, PASSWORD).await.status(), 303);
    b.get("/exams").await.text().await.unwrap()
}

#[tokio::test]
async fn the_window_is_the_databases_and_an_attempt_started_inside_it_keeps_its_own_deadline() {
    let app = TestApp::spawn().await;
    let (ines, class) = instructor_with_class(&app).await;
    let (_, form) = class_form(&app, ines.id, "class-form").await;
    let assignment = assign(&app, &ines, class, form, None, AnswersShown::AtEnd).await;
    let (cara, _) = member(&app, "cara@example.com", class).await;
    let set = |sql: String| {
        let db = app.db.clone();
        async move { sqlx::query(&sql).execute(&db).await.unwrap() }
    };
    set(format!(
        "UPDATE assignments SET opens_at = now() + interval '1 hour' WHERE id = '{assignment}'"
    ))
    .await;
    let r = start(&cara, assignment).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("has not opened yet"));
    set(format!(
        "UPDATE assignments SET opens_at = now() - interval '1 hour', closes_at = now() + interval '1 minute'
         WHERE id = '{assignment}'"
    ))
    .await;
    // Open, closing within two days: the Exams page says it is due.
    let exams = cara.get("/exams").await.text().await.unwrap();
    assert_eq!(texts(&exams, "[data-testid=due-badge]").len(), 1);
    let r = start(&cara, assignment).await;
    assert_eq!(r.status(), 303);
    let attempt = attempt_in(&r);
    let deadline = |db: sqlx::PgPool| async move {
        sqlx::query_scalar::<_, time::OffsetDateTime>("SELECT deadline FROM attempts WHERE id = $1")
            .bind(attempt)
            .fetch_one(&db)
            .await
            .unwrap()
    };
    let before = deadline(app.db.clone()).await;
    // The window closes: no new attempt, but the one started inside it runs to its own deadline.
    set(format!(
        "UPDATE assignments SET closes_at = now() - interval '1 second' WHERE id = '{assignment}'"
    ))
    .await;
    let r = start(&cara, assignment).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("has closed"));
    assert_eq!(deadline(app.db.clone()).await, before);
    let saved = answer(&cara, attempt, "t-single", &[("choice", "a")]).await;
    assert_eq!(
        saved.status(),
        303,
        "an answer is still saved after the window closed"
    );
    // A member's later close lets them start again.
    let row = classes::assignment(&app.db, assignment)
        .await
        .unwrap()
        .unwrap();
    let cara_id = user_id(&app, "cara@example.com").await;
    let later = time::OffsetDateTime::now_utc() + time::Duration::hours(2);
    classes::set_override(&app.db, actor(&ines), &row, cara_id, 0, Some(later))
        .await
        .unwrap();
    assert_eq!(start(&cara, assignment).await.status(), 303);
}

#[tokio::test]
async fn a_class_form_is_seen_and_started_only_through_its_assignment_by_members() {
    let app = TestApp::spawn().await;
    let (ines, class) = instructor_with_class(&app).await;
    let (_, form) = class_form(&app, ines.id, "class-form").await;
    let assignment = assign(&app, &ines, class, form, Some(2), AnswersShown::AtEnd).await;
    let (cara, _) = member(&app, "cara@example.com", class).await;
    let outsider = app.other_browser();
    new_user(&app, "olga@example.com", Role::Candidate).await;
    assert_eq!(
        outsider
            .sign_in("olga@example.com", PASSWORD)
            .await
            .status(),
        303
    );

    let members_page = cara.get("/exams").await.text().await.unwrap();
    assert_eq!(
        texts(
            &members_page,
            &format!("[data-testid=assignment-{assignment}] h3")
        ),
        ["Test form"]
    );
    assert!(texts(&members_page, "[data-testid=form-class-form]").is_empty());
    let outsiders_page = outsider.get("/exams").await.text().await.unwrap();
    assert!(texts(&outsiders_page, "[data-testid=assignments]").is_empty());
    assert!(!outsiders_page.contains("class-form"));
    // Not by its slug, not by the API's forms, not through the assignment.
    assert_eq!(
        cara.post_form("/exams", "/exams/class-form/start", &[])
            .await
            .status(),
        404
    );
    let token = app.api_token("olga@example.com").await;
    let forms: Value = app.api(&token).get_json("/api/v1/forms").await;
    assert!(!forms.to_string().contains("class-form"));
    assert_eq!(
        app.api(&token)
            .post(&format!("/api/v1/assignments/{assignment}/attempts"))
            .await
            .status(),
        404
    );
    assert_eq!(start(&outsider, assignment).await.status(), 404);
    assert_eq!(start(&cara, assignment).await.status(), 303);
    // The member's assignments in the API, with the attempts used.
    let token = app.api_token("cara@example.com").await;
    let mine: Value = app.api(&token).get_json("/api/v1/assignments").await;
    assert_eq!(mine[0]["used"], 1);
    assert_eq!(mine[0]["allowed"], 2);
}

#[tokio::test]
async fn answers_an_assignment_never_shows_reach_the_candidate_by_no_route() {
    let app = TestApp::spawn().await;
    let (ines, class) = instructor_with_class(&app).await;
    let (pack, form) = class_form(&app, ines.id, "class-form").await;
    let assignment = assign(&app, &ines, class, form, None, AnswersShown::Never).await;
    let (cara, cara_user) = member(&app, "cara@example.com", class).await;
    let r = start(&cara, assignment).await;
    let attempt = attempt_in(&r);
    answer(&cara, attempt, "t-single", &[("choice", "b")]).await;
    let marked = position_of(&cara, attempt, "t-multiple").await;
    cara.post_form(
        "/exams",
        &format!("/attempts/{attempt}/items/{marked}"),
        &[("mark_present", "1"), ("mark", "on"), ("go", "stay")],
    )
    .await;
    assert_eq!(cara.submit_attempt(attempt).await.status(), 303);

    let leaks = |body: &str| body.contains(EXPLAINED) || body.contains("Correct answer");
    // The result page: the score and the domain report, no item.
    let result = cara
        .get(&format!("/attempts/{attempt}/result"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!leaks(&result), "the result page shows the answers");
    assert_eq!(texts(&result, "[data-testid=answers-hidden]").len(), 1);
    assert!(texts(&result, "article.reviewed").is_empty());
    assert!(
        !texts(&result, ".domain-table tbody tr").is_empty(),
        "the domain report is shown"
    );
    // The API's result and items.
    let token = app.api_token("cara@example.com").await;
    let api = app.api(&token);
    for path in [
        format!("/api/v1/attempts/{attempt}/result"),
        format!("/api/v1/attempts/{attempt}"),
        format!("/api/v1/attempts/{attempt}/items/1"),
    ] {
        let body = api.get(&path).await.text().await.unwrap();
        assert!(!leaks(&body), "{path} shows the answers");
    }
    // A problem report goes back to the result page, which still shows nothing.
    let r = cara
        .post_form(
            "/exams",
            &format!("/attempts/{attempt}/items/1/report"),
            &[("kind", "typo"), ("comment", "a typo")],
        )
        .await;
    let back = location(&r);
    let page = cara.get(&back).await.text().await.unwrap();
    assert!(!leaks(&page), "the report's page shows the answers");
    // The review deck took nothing; "retake my mistakes" and a review session have nothing to draw.
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM review_deck WHERE user_id = '{}'",
            cara_user.id
        ))
        .await,
        0
    );
    for source in ["missed", "due"] {
        let r = cara
            .post_form(
                "/practice",
                "/practice/start",
                &[
                    ("source", source),
                    ("count", "20"),
                    ("exam", "AI-102"),
                    ("case_studies", "1"),
                ],
            )
            .await;
        if r.status() == 303 {
            let set = attempt_in(&r);
            assert_eq!(
                items_of_pack(&app, set, pack).await,
                0,
                "{source} drew the class's items"
            );
        } else {
            assert_eq!(r.status(), 422, "{source}");
        }
    }
    // The practice pool: the pack used only by a class form is left out, for members and everybody else.
    let r = cara
        .post_form(
            "/practice",
            "/practice/start",
            &[
                ("source", "all"),
                ("count", "100"),
                ("exam", "AI-102"),
                ("case_studies", "1"),
            ],
        )
        .await;
    if r.status() == 303 {
        assert_eq!(items_of_pack(&app, attempt_in(&r), pack).await, 0);
    }
    // The instructor sees the member's answers beside the key.
    let review = app
        .get(&format!("/instructor/classes/{class}/attempts/{attempt}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(review.contains(EXPLAINED) && review.contains("Correct answer"));
}

async fn items_of_pack(app: &TestApp, attempt: Uuid, pack: Uuid) -> i64 {
    app.count(&format!(
        "SELECT count(*) FROM attempt_items ai JOIN item_revisions r ON r.id = ai.revision_id
         JOIN items i ON i.id = r.item_id WHERE ai.attempt_id = '{attempt}' AND i.pack_id = '{pack}'"
    ))
    .await
}

#[tokio::test]
async fn answers_shown_after_the_close_appear_once_the_window_has_closed_for_everybody() {
    let app = TestApp::spawn().await;
    let (ines, class) = instructor_with_class(&app).await;
    let (_, form) = class_form(&app, ines.id, "class-form").await;
    let assignment = classes::create_assignment(
        &app.db,
        actor(&ines),
        class,
        &NewAssignment {
            form_id: form,
            opens_at: None,
            closes_at: Some(time::OffsetDateTime::now_utc() + time::Duration::hours(1)),
            max_attempts: None,
            answers_shown: AnswersShown::AfterClose,
        },
    )
    .await
    .unwrap();
    let (cara, _) = member(&app, "cara@example.com", class).await;
    let attempt = attempt_in(&start(&cara, assignment).await);
    cara.submit_attempt(attempt).await;
    let result = format!("/attempts/{attempt}/result");
    assert!(!cara
        .get(&result)
        .await
        .text()
        .await
        .unwrap()
        .contains(EXPLAINED));
    sqlx::query("UPDATE assignments SET closes_at = now() - interval '1 second' WHERE id = $1")
        .bind(assignment)
        .execute(&app.db)
        .await
        .unwrap();
    assert!(cara
        .get(&result)
        .await
        .text()
        .await
        .unwrap()
        .contains(EXPLAINED));
}

#[tokio::test]
async fn members_are_added_in_bulk_with_a_result_for_each_line_and_a_thousand_lines_at_most() {
    let app = TestApp::spawn().await;
    let (_, class) = instructor_with_class(&app).await;
    new_user(&app, "ana@example.com", Role::Candidate).await;
    new_user(&app, "bo@example.com", Role::Candidate).await;
    let page = format!("/instructor/classes/{class}");
    let r = app
        .post_form(
            &page,
            &format!("{page}/members"),
            &[(
                "emails",
                "email\nAna@Example.com\nbo@example.com\nana@example.com\nnobody@example.com\nnot an address",
            )],
        )
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let outcomes: Vec<String> = scraper::Html::parse_document(&html)
        .select(&scraper::Selector::parse("[data-testid=add-results] tr[data-outcome]").unwrap())
        .map(|e| e.value().attr("data-outcome").unwrap().to_owned())
        .collect();
    assert_eq!(
        outcomes,
        [
            "added",
            "added",
            "already_member",
            "no_account",
            "malformed"
        ]
    );
    assert_eq!(texts(&html, "[data-testid=members] tbody tr").len(), 2);
    // A CSV file, uploaded through the page's multipart form (UTF-16 with its byte-order mark, as a spreadsheet
    // may save it): its header row is skipped and each row answered.
    new_user(&app, "cy@example.com", Role::Candidate).await;
    let csv = "name,email\r\nCy,cy@example.com\r\nBo,bo@example.com\r\n";
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(csv.encode_utf16().flat_map(u16::to_le_bytes));
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", app.csrf(&page).await)
        .text("emails", "")
        .part(
            "file",
            reqwest::multipart::Part::bytes(utf16).file_name("roster.csv"),
        );
    let r = app
        .client
        .post(app.url(&format!("{page}/members")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let outcomes: Vec<String> = scraper::Html::parse_document(&html)
        .select(&scraper::Selector::parse("[data-testid=add-results] tr[data-outcome]").unwrap())
        .map(|e| e.value().attr("data-outcome").unwrap().to_owned())
        .collect();
    assert_eq!(outcomes, ["added", "already_member"]);
    // Over the limit: refused whole, with the reason.
    let many: String = (0..1001).map(|i| format!("p{i}@example.com\n")).collect();
    let r = app
        .post_form(&page, &format!("{page}/members"), &[("emails", &many)])
        .await;
    assert_eq!(r.status(), 400);
    assert!(
        texts(&r.text().await.unwrap(), "[data-testid=class-error]")[0].contains("at most 1000")
    );
    // The API takes a list and says the same per line.
    let token = app.api_token("ines@example.com").await;
    let added: Value = app
        .api(&token)
        .send(
            Method::POST,
            &format!("/api/v1/classes/{class}/members"),
            Some(&json!({"emails": ["bo@example.com", "x@@y"]})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(added["lines"][0]["outcome"], "already_member");
    assert_eq!(added["lines"][1]["outcome"], "malformed");
}

#[tokio::test]
async fn a_visitor_without_an_account_signs_up_from_the_join_link_and_comes_back_to_join() {
    let app = TestApp::spawn().await;
    let (_, class) = instructor_with_class(&app).await;
    let code: String = sqlx::query_scalar("SELECT join_code FROM classes WHERE id = $1")
        .bind(class)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let visitor = app.other_browser();
    let page = visitor
        .get(&format!("/join/{code}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(texts(&page, "[data-testid=join-sign-in] a")[0].contains("Create an account"));
    let signup = format!("/signup?next=/join/{code}");
    let r = visitor
        .post_form(
            &signup,
            "/signup",
            &[
                ("email", "vera@example.com"),
                ("display_name", "Vera"),
                ("password", "a long enough passphrase"),
                ("password_confirm", "a long enough passphrase"),
                ("next", &format!("/join/{code}")),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("/join/{code}"));
    let r = visitor
        .post_form(&format!("/join/{code}"), &format!("/join/{code}"), &[])
        .await;
    assert_eq!(r.status(), 303);
    let exams = visitor.get(&location(&r)).await.text().await.unwrap();
    assert_eq!(
        texts(&exams, "[data-testid=joined]"),
        ["You joined Evening cohort. Its assignments are listed below."]
    );
    let account = visitor.get("/account").await.text().await.unwrap();
    assert_eq!(texts(&account, "[data-testid=my-classes] li").len(), 1);
}

#[tokio::test]
async fn leaving_keeps_the_attempts_out_of_the_gradebook_and_rejoining_brings_them_back() {
    let app = TestApp::spawn().await;
    let (ines, class) = instructor_with_class(&app).await;
    let (_, form) = class_form(&app, ines.id, "class-form").await;
    let assignment = assign(&app, &ines, class, form, Some(3), AnswersShown::AtEnd).await;
    let (cara, cara_user) = member(&app, "cara@example.com", class).await;
    let (dan, _) = member(&app, "dan@example.com", class).await;
    for b in [&cara, &dan] {
        let attempt = attempt_in(&start(b, assignment).await);
        answer(b, attempt, "t-single", &[("choice", "a")]).await;
        b.submit_attempt(attempt).await;
    }
    let attempt = attempt_in(&start(&cara, assignment).await);
    cara.submit_attempt(attempt).await;

    let book = app
        .get(&format!("/instructor/classes/{class}/gradebook"))
        .await
        .text()
        .await
        .unwrap();
    let rows = texts(&book, "[data-testid=gradebook] tbody tr");
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .any(|r| r.contains("cara@example.com") && r.contains("2 attempt(s)")),
        "{rows:?}"
    );
    let csv = app
        .get(&format!("/instructor/classes/{class}/gradebook?format=csv"))
        .await
        .text()
        .await
        .unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "name,email,Test form: best,Test form: last,Test form: passed,Test form: attempts,Test form: minutes"
    );
    assert_eq!(lines.count(), 2);
    let attempts_csv = app
        .get(&format!(
            "/instructor/classes/{class}/assignments/{assignment}/attempts"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        attempts_csv.lines().count(),
        4,
        "a header and three attempts"
    );
    // The item analysis scoped to the class reads its three attempts.
    let analysis = app
        .get(&format!("/instructor/analytics?exam=AI-102&class={class}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        texts(&analysis, "[data-testid=analysis-class]"),
        ["for Evening cohort"]
    );
    assert_eq!(texts(&analysis, "[data-testid=attempt-count]"), ["3"]);
    // A member sees no gradebook, and no other member's results.
    assert_eq!(
        cara.get(&format!("/instructor/classes/{class}/gradebook"))
            .await
            .status(),
        403
    );

    // Cara leaves: her attempts stay, out of the gradebook.
    let r = cara
        .post_form("/account", &format!("/classes/{class}/leave"), &[])
        .await;
    assert_eq!(r.status(), 303);
    let book = app
        .get(&format!("/instructor/classes/{class}/gradebook"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(texts(&book, "[data-testid=gradebook] tbody tr").len(), 1);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM attempts WHERE user_id = '{}'",
            cara_user.id
        ))
        .await,
        2
    );
    // She joins again: her attempts are back, and count toward the limit.
    classes::join(&app.db, class, actor(&cara_user))
        .await
        .unwrap();
    let token = app.api_token("ines@example.com").await;
    let book: Value = app
        .api(&token)
        .get_json(&format!("/api/v1/classes/{class}/gradebook"))
        .await;
    let cara_row = book["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["member"]["email"] == "cara@example.com")
        .expect("cara's row");
    assert_eq!(cara_row["cells"][0]["attempts"], 2);
    // The member's page lists the class's attempts and opens a review.
    let page = app
        .get(&format!(
            "/instructor/classes/{class}/members/{}",
            cara_user.id
        ))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        texts(&page, "[data-testid=member-attempts] tbody tr").len(),
        2
    );
    assert_eq!(texts(&page, "[data-testid=member-booking] li").len(), 3);
}

#[tokio::test]
async fn an_archived_class_is_read_only_and_a_class_with_attempts_cannot_be_deleted() {
    let app = TestApp::spawn().await;
    let (ines, class) = instructor_with_class(&app).await;
    let (_, form) = class_form(&app, ines.id, "class-form").await;
    let assignment = assign(&app, &ines, class, form, None, AnswersShown::AtEnd).await;
    let (cara, _) = member(&app, "cara@example.com", class).await;
    attempt_in(&start(&cara, assignment).await);
    let page = format!("/instructor/classes/{class}");
    let r = app.post_form(&page, &format!("{page}/delete"), &[]).await;
    assert_eq!(r.status(), 409);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("archive the class instead"));
    let r = app
        .post_form(&page, &format!("{page}/archive"), &[("archived", "true")])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        start(&cara, assignment).await.status(),
        422,
        "no attempt starts in an archived class"
    );
    let r = app
        .post_form(&page, &format!("{page}/settings"), &[("name", "Renamed")])
        .await;
    assert_eq!(r.status(), 409, "an archived class is read-only");
    assert_eq!(
        app.get(&format!("{page}/gradebook")).await.status(),
        200,
        "its data stays readable"
    );
    // A co-instructor may do everything but delete it.
    new_user(&app, "ivo@example.com", Role::Instructor).await;
    classes::set_archived(&app.db, actor(&ines), class, false)
        .await
        .unwrap();
    classes::add_instructor(&app.db, actor(&ines), class, "ivo@example.com")
        .await
        .unwrap();
    let ivo = app.other_browser();
    assert_eq!(ivo.sign_in("ivo@example.com", PASSWORD).await.status(), 303);
    assert_eq!(ivo.get(&format!("{page}/gradebook")).await.status(), 200);
    assert_eq!(
        ivo.post_form(&page, &format!("{page}/delete"), &[])
            .await
            .status(),
        403
    );
    // An empty class can be deleted by its owner.
    let r = app
        .post_form(
            "/instructor/classes",
            "/instructor/classes",
            &[("name", "Spare"), ("exam", "AI-103")],
        )
        .await;
    let spare = location(&r);
    let r = app.post_form(&spare, &format!("{spare}/delete"), &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.get(&spare).await.status(), 404);
}

#[tokio::test]
async fn an_instructors_request_for_a_public_form_is_approved_or_refused_by_an_admin() {
    let app = TestApp::spawn().await;
    let (ines, _) = instructor_with_class(&app).await;
    let pack = app
        .import_pack(
            &test_pack_as("ines-pack", "Ines pack"),
            Some(ines.id),
            ai102::store::bank::PackStatus::Published,
        )
        .await;
    let pack = pack.to_string();
    let fields = |slug: &'static str| {
        vec![
            ("title", "Asked form"),
            ("slug", slug),
            ("pack", pack.as_str()),
            ("item_count", "8"),
            ("duration", "30"),
            ("case_studies", "1"),
            ("cut_percent", "70"),
            ("visibility", "request"),
            ("action", "create"),
        ]
    };
    for slug in ["asked-one", "asked-two"] {
        let r = app
            .post_form("/instructor/forms/new", "/instructor/forms", &fields(slug))
            .await;
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    }
    let cand = app.other_browser();
    new_user(&app, "cara@example.com", Role::Candidate).await;
    cand.sign_in("cara@example.com", PASSWORD).await;
    assert!(!cand
        .get("/exams")
        .await
        .text()
        .await
        .unwrap()
        .contains("asked-one"));

    let admin = app.other_browser();
    new_user(&app, "ada@example.com", Role::Admin).await;
    admin.sign_in("ada@example.com", PASSWORD).await;
    let id = |slug: &'static str| {
        let db = app.db.clone();
        async move {
            sqlx::query_scalar::<_, Uuid>("SELECT id FROM exam_forms WHERE slug = $1")
                .bind(slug)
                .fetch_one(&db)
                .await
                .unwrap()
        }
    };
    let page = admin.get("/admin/forms").await.text().await.unwrap();
    assert!(
        texts(&page, "[data-testid=admin-forms] tr[data-slug=asked-one]")[0]
            .contains("asks to be public")
    );
    let one = id("asked-one").await;
    let r = admin
        .post_form(
            "/admin/forms",
            &format!("/admin/forms/{one}/request"),
            &[("decision", "approve")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert!(cand
        .get("/exams")
        .await
        .text()
        .await
        .unwrap()
        .contains("asked-one"));
    let two = id("asked-two").await;
    let r = admin
        .post_form(
            "/admin/forms",
            &format!("/admin/forms/{two}/request"),
            &[("decision", "refuse")],
        )
        .await;
    assert_eq!(r.status(), 400, "a refusal needs a reason");
    let r = admin
        .post_form(
            "/admin/forms",
            &format!("/admin/forms/{two}/request"),
            &[("decision", "refuse"), ("reason", "Too short for a mock")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let page = admin.get("/admin/forms").await.text().await.unwrap();
    assert!(texts(&page, "tr[data-slug=asked-two]")[0].contains("Too short for a mock"));
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action IN ('form.public_approved', 'form.public_refused')")
            .await,
        2
    );
    // Any public form can be made class-only.
    let r = admin
        .post_form(
            "/admin/forms",
            &format!("/admin/forms/{one}/visibility"),
            &[("visibility", "class")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert!(!cand
        .get("/exams")
        .await
        .text()
        .await
        .unwrap()
        .contains("asked-one"));
}

#[tokio::test]
async fn the_admin_reads_pass_rates_by_class_instructor_and_exam() {
    let app = TestApp::spawn().await;
    let (ines, class) = instructor_with_class(&app).await;
    let (_, form) = class_form(&app, ines.id, "class-form").await;
    let assignment = assign(&app, &ines, class, form, None, AnswersShown::AtEnd).await;
    let (cara, _) = member(&app, "cara@example.com", class).await;
    let attempt = attempt_in(&start(&cara, assignment).await);
    answer(&cara, attempt, "t-single", &[("choice", "a")]).await;
    cara.submit_attempt(attempt).await;
    // Dan starts and walks away: his attempt expires with no answer, abandoned, and is in no pass rate (nor
    // in the dashboard's figures on the same page).
    let (dan, _) = member(&app, "dan@example.com", class).await;
    let abandoned = attempt_in(&start(&dan, assignment).await);
    sqlx::query("UPDATE attempts SET deadline = now() - interval '1 minute' WHERE id = $1")
        .bind(abandoned)
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(
        ai102::store::exam::finalize_expired(&app.db).await.unwrap(),
        1
    );
    let admin = app.other_browser();
    new_user(&app, "ada@example.com", Role::Admin).await;
    admin.sign_in("ada@example.com", PASSWORD).await;
    let page = admin
        .get("/admin/analytics?exam=AI-102")
        .await
        .text()
        .await
        .unwrap();
    let by: Vec<String> = scraper::Html::parse_document(&page)
        .select(&scraper::Selector::parse("[data-testid=pass-rates] tbody tr").unwrap())
        .map(|e| e.value().attr("data-by").unwrap().to_owned())
        .collect();
    assert_eq!(by, ["class", "exam", "instructor"]);
    let csv = admin
        .get("/admin/analytics?exam=AI-102&format=csv&chart=pass-rates")
        .await
        .text()
        .await
        .unwrap();
    for by in ["class,Evening cohort,", "exam,AI-102,"] {
        let attempts = csv
            .lines()
            .find(|l| l.starts_with(by))
            .and_then(|l| l.split(',').nth(3))
            .unwrap_or_else(|| panic!("no {by} row: {csv}"));
        assert_eq!(
            attempts, "1",
            "Cara's attempt, not Dan's abandoned one: {csv}"
        );
    }
}

#[tokio::test]
async fn an_assignments_window_and_attempts_can_be_changed_and_started_attempts_keep_their_time() {
    let app = TestApp::spawn().await;
    let (ines, class) = instructor_with_class(&app).await;
    let (_, form) = class_form(&app, ines.id, "class-form").await;
    let assignment = assign(&app, &ines, class, form, None, AnswersShown::AtEnd).await;
    let (cara, _) = member(&app, "cara@example.com", class).await;
    let attempt = attempt_in(&start(&cara, assignment).await);
    let page = format!("/instructor/classes/{class}");
    let edit = format!("{page}/assignments/{assignment}");
    // After the close, answers need a close: refused with the reason.
    let r = app
        .post_form(
            &page,
            &edit,
            &[("max_attempts", "1"), ("answers_shown", "after_close")],
        )
        .await;
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, 400, "{body}");
    assert!(texts(&body, "[data-testid=class-error]")[0].contains("need a closing time"));
    let r = app
        .post_form(
            &page,
            &edit,
            &[
                ("max_attempts", "1"),
                ("closes_at", "2099-01-31T17:00"),
                ("answers_shown", "never"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let row = classes::assignment(&app.db, assignment)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.max_attempts, Some(1));
    assert_eq!(row.answers_shown, AnswersShown::Never);
    assert_eq!(row.closes_at.unwrap().year(), 2099);
    // One attempt allowed, one made: no more; the one made goes on.
    assert_eq!(start(&cara, assignment).await.status(), 422);
    assert_eq!(
        answer(&cara, attempt, "t-single", &[("choice", "a")])
            .await
            .status(),
        303
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'class.assignment_updated'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_members_close_never_closes_an_assignment_that_has_none() {
    let app = TestApp::spawn().await;
    let (ines, class) = instructor_with_class(&app).await;
    let (_, form) = class_form(&app, ines.id, "class-form").await;
    let assignment = assign(&app, &ines, class, form, None, AnswersShown::AtEnd).await;
    let (cara, cara_user) = member(&app, "cara@example.com", class).await;
    let row = classes::assignment(&app.db, assignment)
        .await
        .unwrap()
        .unwrap();
    let past = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    classes::set_override(&app.db, actor(&ines), &row, cara_user.id, 0, Some(past))
        .await
        .unwrap();
    assert_eq!(start(&cara, assignment).await.status(), 303);
    let token = app.api_token("cara@example.com").await;
    let mine: Value = app.api(&token).get_json("/api/v1/assignments").await;
    assert_eq!(mine[0]["open"], true);
    assert_eq!(mine[0]["closes_at"], Value::Null);
}
