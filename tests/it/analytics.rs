//! The analytics pages against the real app and PostgreSQL: the admin dashboard's figures on a small
//! hand-made data set, the CSV download, who may see what, and the demo seeder.

use crate::common::*;
use ai102::auth::session::User;
use ai102::auth::Role;
use ai102::exam::plan::find_question;
use ai102::scoring::Response;
use ai102::store;
use ai102::store::exam::EndReason;
use std::path::PathBuf;
use time::OffsetDateTime;
use uuid::Uuid;

/// Imports the test pack (8 questions, 15 points; `t-single` is the only `plan` question, 1 point;
/// `t-yesno` the only `vision` one, 3 points) owned by `owner`, and a form that draws all of it.
async fn with_owned_form(app: &TestApp, owner: Uuid) -> store::exam::FormRow {
    let pack = app
        .import_pack(TEST_PACK, Some(owner), store::bank::PackStatus::Published)
        .await;
    TestForm::new("test-form")
        .minutes(30)
        .create(app, &[pack])
        .await;
    store::exam::form_by_slug(&app.db, "test-form")
        .await
        .unwrap()
        .unwrap()
}

async fn user(app: &TestApp, email: &str, role: Role) -> User {
    new_user(app, email, role).await
}

/// Starts an attempt and answers the questions in `right` with their key (the others are left blank).
async fn attempt(app: &TestApp, who: &User, form: &store::exam::FormRow, right: &[&str]) -> Uuid {
    let id = ai102::exam::service::start_attempt(&app.db, &Default::default(), who, form, None)
        .await
        .unwrap();
    let slots = store::exam::slots(&app.db, id).await.unwrap();
    let ids: Vec<Uuid> = slots.iter().map(|s| s.revision_id).collect();
    let contents = store::bank::revisions(&app.db, &ids).await.unwrap();
    let now = OffsetDateTime::now_utc();
    let answers: Vec<(i32, Response, OffsetDateTime)> = slots
        .iter()
        .filter(|s| right.contains(&s.question_key.as_str()))
        .map(|s| {
            let q = find_question(&contents[&s.revision_id], &s.question_key).unwrap();
            (s.position, Response::key(q), now)
        })
        .collect();
    store::analytics::insert_demo_answers(&app.db, id, &answers)
        .await
        .unwrap();
    id
}

const ALL: [&str; 8] = TEST_PACK_QUESTIONS;

struct World {
    app: TestApp,
    first: User,
    second: User,
}

/// Four candidates: one submits a perfect attempt (1000), one runs out of time with only `t-single` right
/// (1 of 15 points: 1 + ⌊699 · (1/15) / 0.7⌋ = 67), one runs out of time without answering (abandoned), one
/// has an open attempt. The first also has a perfect attempt turned into practice, which must not count.
async fn world() -> World {
    let app = TestApp::spawn().await;
    let owner = user(&app, "owner@example.com", Role::Instructor).await;
    user(&app, "other@example.com", Role::Instructor).await;
    user(&app, "admin@example.com", Role::Admin).await;
    let form = with_owned_form(&app, owner.id).await;
    let first = user(&app, "first@example.com", Role::Candidate).await;
    let second = user(&app, "second@example.com", Role::Candidate).await;
    let third = user(&app, "third@example.com", Role::Candidate).await;
    let fourth = user(&app, "fourth@example.com", Role::Candidate).await;

    let a = attempt(&app, &first, &form, &ALL).await;
    assert!(store::exam::finalize(&app.db, a, EndReason::Submitted)
        .await
        .unwrap());
    let practice = attempt(&app, &first, &form, &ALL).await;
    store::exam::finalize(&app.db, practice, EndReason::Submitted)
        .await
        .unwrap();
    sqlx::query("UPDATE attempts SET mode = 'practice' WHERE id = $1")
        .bind(practice)
        .execute(&app.db)
        .await
        .unwrap();
    let b = attempt(&app, &second, &form, &["t-single"]).await;
    store::exam::finalize(&app.db, b, EndReason::Expired)
        .await
        .unwrap();
    let c = attempt(&app, &third, &form, &[]).await;
    store::exam::finalize(&app.db, c, EndReason::Expired)
        .await
        .unwrap();
    attempt(&app, &fourth, &form, &[]).await;

    let scores: Vec<Option<i32>> = sqlx::query_scalar(
        "SELECT scaled_score FROM attempts WHERE id = ANY($1) ORDER BY scaled_score",
    )
    .bind(vec![a, b])
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        scores,
        vec![Some(67), Some(1000)],
        "the hand-computed scores"
    );
    World { app, first, second }
}

/// The cells of each row matching `selector`, joined by single spaces.
fn row_cells(html: &str, selector: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let rows = scraper::Selector::parse(selector).unwrap();
    let cells = scraper::Selector::parse("td").unwrap();
    doc.select(&rows)
        .map(|r| {
            r.select(&cells)
                .map(|c| c.text().collect::<String>().trim().to_owned())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

async fn signed_in(app: &TestApp, email: &str) -> TestApp {
    let browser = app.other_browser();
    let resp = browser.sign_in(email, PASSWORD).await;
    assert_eq!(resp.status(), 303, "{email} signs in");
    browser
}

#[tokio::test]
async fn dashboard_figures_match_a_hand_computed_data_set() {
    let w = world().await;
    let admin = signed_in(&w.app, "admin@example.com").await;
    let resp = admin.get("/admin/analytics").await;
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert_eq!(texts(&html, "[data-testid=started]"), ["4"]);
    assert_eq!(texts(&html, "[data-testid=finished]"), ["2"]);
    assert_eq!(texts(&html, "[data-testid=abandoned]"), ["1"]);
    assert_eq!(texts(&html, "[data-testid=open]"), ["1"]);
    assert_eq!(texts(&html, "[data-testid=pass-rate]"), ["50.0 %"]);
    // (1000 + 67) / 2 = 533.5
    assert_eq!(texts(&html, "[data-testid=mean-score]"), ["534"]);
    let bins = row_cells(&html, "[data-testid=histogram] tbody tr");
    assert!(bins.contains(&"50–99 1 no".to_owned()), "{bins:?}");
    assert!(bins.contains(&"950–1000 1 yes".to_owned()), "{bins:?}");
    assert!(bins.contains(&"0–49 0 no".to_owned()), "{bins:?}");
    let domains = row_cells(&html, "[data-testid=domains] tbody tr");
    // plan: t-single right in both (2 of 2); vision: t-yesno right only in the first (3 of 6).
    assert!(
        domains.contains(&"plan 2.0 2.0 100.0 %".to_owned()),
        "{domains:?}"
    );
    assert!(
        domains.contains(&"vision 3.0 6.0 50.0 %".to_owned()),
        "{domains:?}"
    );
    assert_eq!(
        texts(&html, "svg[data-testid=chart-histogram] rect").len(),
        20,
        "one bar per bin"
    );

    // A range that ends before today counts nothing.
    let html = admin
        .get("/admin/analytics?from=2020-01-01&to=2020-02-01")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(texts(&html, "[data-testid=started]"), ["0"]);
    // The form filter: every attempt is on the test form; an unknown form is refused.
    let html = admin
        .get("/admin/analytics?form=test-form")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(texts(&html, "[data-testid=started]"), ["4"]);
    assert_eq!(admin.get("/admin/analytics?form=nope").await.status(), 400);
}

#[tokio::test]
async fn a_chart_downloads_as_csv() {
    let w = world().await;
    let admin = signed_in(&w.app, "admin@example.com").await;
    let resp = admin.get("/admin/analytics?format=csv&chart=summary").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let body = resp.text().await.unwrap();
    assert!(body.contains("finished,2\n"), "{body}");
    assert!(body.contains("mean_scaled_score,533.50\n"), "{body}");
    let body = admin
        .get("/admin/analytics?format=csv&chart=histogram")
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("950,1000,1,true\n"), "{body}");
    let resp = admin.get("/admin/analytics?format=csv&chart=nope").await;
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn candidates_cannot_open_the_admin_or_instructor_analytics() {
    let w = world().await;
    let candidate = signed_in(&w.app, "first@example.com").await;
    assert_eq!(candidate.get("/admin/analytics").await.status(), 403);
    assert_eq!(candidate.get("/instructor/analytics").await.status(), 403);
    let instructor = signed_in(&w.app, "owner@example.com").await;
    assert_eq!(instructor.get("/admin/analytics").await.status(), 403);
}

#[tokio::test]
async fn an_instructor_sees_only_the_items_of_their_own_packs() {
    let w = world().await;
    let owner = signed_in(&w.app, "owner@example.com").await;
    let html = owner
        .get("/instructor/analytics")
        .await
        .text()
        .await
        .unwrap();
    let items = texts(&html, "[data-testid=items] tbody tr td:first-child");
    assert_eq!(items.len(), 8, "{items:?}");
    assert_eq!(texts(&html, "[data-testid=attempt-count]"), ["2"]);
    let single = row_cells(&html, "[data-testid=items] tbody tr")
        .into_iter()
        .find(|r| r.starts_with("t-single "))
        .unwrap();
    // Both finished attempts got t-single right: n = 2, facility 1.00.
    assert!(
        single.starts_with("t-single plan plan.secure 2 1.00"),
        "{single}"
    );

    let other = signed_in(&w.app, "other@example.com").await;
    let html = other
        .get("/instructor/analytics")
        .await
        .text()
        .await
        .unwrap();
    assert!(row_cells(&html, "[data-testid=items] tbody tr").is_empty());
    assert_eq!(texts(&html, "[data-testid=attempt-count]"), ["0"]);

    let admin = signed_in(&w.app, "admin@example.com").await;
    let csv = admin
        .get("/instructor/analytics?format=csv&chart=items")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 9, "a header and the 8 items: {csv}");
}

#[tokio::test]
async fn progress_shows_only_the_candidates_own_attempts() {
    let w = world().await;
    let first = signed_in(&w.app, &w.first.email).await;
    let html = first.get("/progress").await.text().await.unwrap();
    let rows = row_cells(&html, "[data-testid=scores] tbody tr");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].ends_with("Test form 1000 pass"), "{rows:?}");
    assert_eq!(
        texts(&html, "[data-testid=readiness]"),
        ["Too little data: take 2 more full mocks."]
    );

    let second = signed_in(&w.app, &w.second.email).await;
    let html = second.get("/progress").await.text().await.unwrap();
    let rows = row_cells(&html, "[data-testid=scores] tbody tr");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].ends_with("Test form 67 fail"), "{rows:?}");
    // The weak-spots button posts the weakest objectives to the practice form.
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse(
        "form[data-testid=practise-weak][action='/practice/start'] input[name=objective]",
    )
    .unwrap();
    assert_eq!(doc.select(&sel).count(), 3);
    assert_eq!(w.app.get("/progress").await.status(), 303, "signed out");
}

#[tokio::test]
async fn demo_seed_fills_a_fresh_database_once() {
    let bank = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("question-bank");
    let app = TestApp::spawn_with(|c| c.load_bank = Some(bank)).await;
    let opts = ai102::demo::SeedOptions {
        candidates: 5,
        attempts: 2,
        force: false,
        seed: 7,
    };
    let first = ai102::demo::seed(&app.db, opts).await.unwrap();
    assert_eq!((first.candidates_created, first.attempts), (5, 10));
    assert_eq!(app.count("SELECT count(*) FROM users").await, 5);
    assert_eq!(
        app.count("SELECT count(*) FROM attempts WHERE ended_at IS NOT NULL AND started_at < now() - interval '1 day'")
            .await,
        10,
        "every attempt ended and was moved into the past"
    );
    let again = ai102::demo::seed(&app.db, opts).await.unwrap();
    assert_eq!((again.candidates_skipped, again.attempts), (5, 0));
    assert_eq!(app.count("SELECT count(*) FROM attempts").await, 10);

    app.create_user("real@example.com", Role::Candidate).await;
    assert!(
        ai102::demo::seed(&app.db, opts).await.is_err(),
        "refuses a real database"
    );
    let forced = ai102::demo::seed(
        &app.db,
        ai102::demo::SeedOptions {
            force: true,
            ..opts
        },
    )
    .await
    .unwrap();
    assert_eq!(forced.attempts, 0, "still nothing new to create");
}

/// The option table of one item: each row's cells joined by spaces.
fn option_table(html: &str, item: &str) -> Vec<String> {
    row_cells(html, &format!("[data-testid=options-{item}] tbody tr"))
        .into_iter()
        .map(|r| r.trim_end().to_owned())
        .collect()
}

#[tokio::test]
async fn the_option_table_shows_how_often_strong_and_weak_candidates_chose_each_option() {
    let w = world().await;
    let owner = signed_in(&w.app, "owner@example.com").await;
    let html = owner
        .get("/instructor/analytics")
        .await
        .text()
        .await
        .unwrap();
    // Two finished attempts: groups of round(0.27 · 2) = 1. Upper: the perfect one (chose a and c on
    // t-multiple); lower: the one with only t-single (left t-multiple blank). Both chose a on t-single.
    assert_eq!(
        option_table(&html, "t-multiple"),
        [
            "a (key) Right one 100 % 0 % 50 %",
            "b Wrong 0 % 0 % 0 %",
            "c (key) Right two 100 % 0 % 50 %",
            "d Also wrong 0 % 0 % 0 %",
        ]
    );
    assert_eq!(
        option_table(&html, "t-single"),
        [
            "a (key) Right 100 % 100 % 100 %",
            "b Wrong one 0 % 0 % 0 %",
            "c Wrong two 0 % 0 % 0 %",
        ]
    );
    // Too few attempts for distractor flags; items without options have no table.
    assert!(texts(&html, "[data-testid=option-tables] .flag").is_empty());
    assert!(texts(&html, "[data-testid=options-t-order]").is_empty());
    let csv = owner
        .get("/instructor/analytics?format=csv&chart=options")
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.contains("t-multiple,a,true,1,2,1,0,1\n"), "{csv}");
}

#[tokio::test]
async fn distractors_nobody_picks_and_a_likely_wrong_key_are_flagged_in_the_option_table() {
    let app = TestApp::spawn().await;
    let owner = user(&app, "owner@example.com", Role::Instructor).await;
    let form = with_owned_form(&app, owner.id).await;
    let strong = user(&app, "strong@example.com", Role::Candidate).await;
    let weak = user(&app, "weak@example.com", Role::Candidate).await;
    // 37 strong attempts: every question right but t-single, where they choose distractor b (14 of 15
    // points). 37 weak ones: only t-single right, with its key a (1 of 15). n = 74, so the groups are
    // round(0.27 · 74) = round(19.98) = 20: the upper 20 are strong, the lower 20 weak.
    let but_single: Vec<&str> = ALL.iter().copied().filter(|k| *k != "t-single").collect();
    for _ in 0..37 {
        let id = attempt(&app, &strong, &form, &but_single).await;
        let slots = store::exam::slots(&app.db, id).await.unwrap();
        let n = slots
            .iter()
            .find(|s| s.question_key == "t-single")
            .unwrap()
            .position;
        store::analytics::insert_demo_answers(
            &app.db,
            id,
            &[(n, Response::Single("b".into()), OffsetDateTime::now_utc())],
        )
        .await
        .unwrap();
        store::exam::finalize(&app.db, id, EndReason::Submitted)
            .await
            .unwrap();
        let id = attempt(&app, &weak, &form, &["t-single"]).await;
        store::exam::finalize(&app.db, id, EndReason::Submitted)
            .await
            .unwrap();
    }
    let browser = signed_in(&app, "owner@example.com").await;
    let html = browser
        .get("/instructor/analytics")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(texts(&html, "[data-testid=attempt-count]"), ["74"]);
    // t-single: a is chosen by the 37 weak (50 %), all of the lower group and none of the upper; b the
    // mirror image; c by nobody.
    assert_eq!(
        option_table(&html, "t-single"),
        [
            "a (key) Right 0 % 100 % 50 %",
            "b Wrong one 100 % 0 % 50 % Strong candidates pick it more than weak ones: check the key",
            "c Wrong two 0 % 0 % 0 % Nobody picks it",
        ]
    );
    // t-multiple: the strong choose a and c, the weak nothing: b and d are never chosen.
    assert_eq!(
        option_table(&html, "t-multiple"),
        [
            "a (key) Right one 100 % 0 % 50 %",
            "b Wrong 0 % 0 % 0 % Nobody picks it",
            "c (key) Right two 100 % 0 % 50 %",
            "d Also wrong 0 % 0 % 0 % Nobody picks it",
        ]
    );
    // A flagged item's table is open; the flag's reason is in the main table too.
    let doc = scraper::Html::parse_document(&html);
    let open = scraper::Selector::parse("details#options-t-single[open]").unwrap();
    assert_eq!(doc.select(&open).count(), 1);
    let single = row_cells(&html, "[data-testid=items] tbody tr")
        .into_iter()
        .find(|r| r.starts_with("t-single "))
        .unwrap();
    assert!(
        single
            .contains("Distractor `b` was chosen by more of the top-scoring candidates (20 of 20)"),
        "{single}"
    );
}

fn close(a: Option<f64>, b: Option<f64>, tol: f64) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= tol,
        (None, None) => true,
        _ => false,
    }
}

#[tokio::test]
async fn rollup_figures_equal_the_live_computation_on_seeded_data() {
    let bank = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("question-bank");
    let app = TestApp::spawn_with(|c| c.load_bank = Some(bank)).await;
    let opts = ai102::demo::SeedOptions {
        candidates: 30,
        attempts: 4,
        force: false,
        seed: 11,
    };
    ai102::demo::seed(&app.db, opts).await.unwrap();
    // One more candidate with an open attempt, and one finished attempt turned into practice afterwards.
    let form = store::exam::form_by_slug(&app.db, "quick-15")
        .await
        .unwrap()
        .unwrap();
    let late = user(&app, "late@example.com", Role::Candidate).await;
    attempt(&app, &late, &form, &[]).await;
    sqlx::query(
        "UPDATE attempts SET mode = 'practice'
         WHERE id = (SELECT attempt_id FROM attempt_summaries WHERE finished ORDER BY attempt_id LIMIT 1)",
    )
    .execute(&app.db)
    .await
    .unwrap();
    // The day rollups (migration 0019) follow every path that changes the summaries: an attempt moved to
    // another day (the demo's backdating does this), and attempts deleted (as the retention job does).
    sqlx::query(
        "UPDATE attempts SET started_at = started_at - interval '9 days', ended_at = ended_at - interval '9 days',
                             deadline = deadline - interval '9 days'
         WHERE id IN (SELECT attempt_id FROM attempt_summaries WHERE finished ORDER BY attempt_id DESC LIMIT 3)",
    )
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "DELETE FROM attempts
         WHERE id IN (SELECT attempt_id FROM attempt_summaries ORDER BY started_at DESC, attempt_id LIMIT 5)",
    )
    .execute(&app.db)
    .await
    .unwrap();

    let today = OffsetDateTime::now_utc().date();
    for filter in [
        store::analytics::DashboardFilter {
            from: today - time::Duration::weeks(13),
            to: today,
            form_id: None,
        },
        store::analytics::DashboardFilter {
            from: today - time::Duration::weeks(6),
            to: today - time::Duration::weeks(2),
            form_id: Some(form.id),
        },
    ] {
        let live = store::analytics::dashboard_live(&app.db, &filter)
            .await
            .unwrap();
        let rolled = store::analytics::dashboard(&app.db, &filter).await.unwrap();
        assert!(live.finished > 0, "{filter:?} has data");
        assert_eq!(
            (
                rolled.started,
                rolled.finished,
                rolled.abandoned,
                rolled.open
            ),
            (live.started, live.finished, live.abandoned, live.open)
        );
        assert_eq!(rolled.histogram, live.histogram);
        assert_eq!(rolled.weeks, live.weeks);
        assert_eq!(
            (rolled.pass_rate, rolled.mean_score),
            (live.pass_rate, live.mean_score)
        );
        assert!(close(rolled.minutes_used, live.minutes_used, 1e-9));
        assert!(close(rolled.minutes_allowed, live.minutes_allowed, 1e-9));
        assert_eq!(rolled.domains.len(), live.domains.len());
        for (r, l) in rolled.domains.iter().zip(&live.domains) {
            assert_eq!(r.domain, l.domain);
            assert!((r.earned - l.earned).abs() < 1e-9 && (r.max - l.max).abs() < 1e-9);
        }
    }

    let owner: Option<Uuid> = None;
    let live = store::analytics::item_analysis_live(&app.db, owner)
        .await
        .unwrap();
    let rolled = store::analytics::item_analysis(&app.db, owner)
        .await
        .unwrap();
    assert_eq!(rolled.attempts, live.attempts);
    assert!(live.attempts >= 100, "{}", live.attempts);
    for (r, l) in [
        (&rolled.domains, &live.domains),
        (&rolled.objectives, &live.objectives),
    ] {
        assert_eq!(r.len(), l.len());
        for (r, l) in r.iter().zip(l) {
            assert_eq!(
                (&r.id, r.items, r.items_with_data),
                (&l.id, l.items, l.items_with_data)
            );
            assert!(close(r.mean_facility, l.mean_facility, 1e-9), "{r:?} {l:?}");
        }
    }
    assert_eq!(rolled.items.len(), live.items.len());
    let mut discriminations = 0;
    for (r, l) in rolled.items.iter().zip(&live.items) {
        assert_eq!(
            (&r.item_id, &r.domain, &r.objective, r.n),
            (&l.item_id, &l.domain, &l.objective, l.n)
        );
        assert!(close(r.facility, l.facility, 1e-9), "{r:?}\n{l:?}");
        assert!(
            close(r.point_biserial, l.point_biserial, 1e-9),
            "{r:?}\n{l:?}"
        );
        discriminations += usize::from(l.point_biserial.is_some());
        assert!(close(r.mean_seconds, l.mean_seconds, 1e-6), "{r:?}\n{l:?}");
        let chosen = |s: &ai102::analytics::item_stats::ItemStats| {
            s.options
                .iter()
                .map(|o| (o.option_id.clone(), o.chosen))
                .collect::<Vec<_>>()
        };
        assert_eq!(chosen(r), chosen(l));
        // The upper and lower groups share the bucket on their edge by its mean (analytics::rollup): the
        // index may move by the edge's share of the group, never more.
        match (r.upper_lower, l.upper_lower) {
            (Some(ru), Some(lu)) => {
                assert_eq!(ru.group_size, lu.group_size);
                assert!((ru.index - lu.index).abs() <= 1.0, "{ru:?} {lu:?}");
            }
            (None, None) => {}
            other => panic!("{other:?}"),
        }
    }
    assert!(discriminations > 10, "the comparison covers correlations");
}
