//! Migration 0011 (exams) on data written before it: existing data becomes AI-102's, with nothing lost.
//!
//! `tests/fixtures/pre-exams.sql` holds data written by the schema of migrations 0001–0010 with the binary
//! of the last commit before 0011 (made by hand with `scripts/make-migration-fixture.sh`, never by tests):
//! demo candidates' finished exam attempts and the analytics rollups their triggers wrote, a finished
//! Quick 15, a Quick 15 and a practice set in progress, a finished practice set, an attempt whose time has
//! run out, problem reports (one rejected, two open) and a held upload. This test loads it into a database
//! migrated to 0010, applies every later migration, and checks that the row counts are equal, that every row
//! keeps the values of the columns it had (every finished attempt's score among them), that every attempt is
//! AI-102's, and that every page of a candidate and of an admin still renders on the migrated data.
//!
//! The test says so and passes when the fixture file is missing; it skips in no other case.

use crate::common::*;
use ai102::config::Config;
use ai102::store;
use ai102::Application;
use sqlx::migrate::Migrator;
use sqlx::{Connection, PgConnection, PgPool};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;
use uuid::Uuid;

const FIXTURE: &str = "tests/fixtures/pre-exams.sql";
/// The last migration the fixture's data was written under.
const BEFORE_EXAMS: i64 = 10;

/// Every table's row count and a digest of its rows over the columns it has now (so that, taken again after
/// migrating with the same columns, it shows any value that changed).
#[derive(Debug, Clone, PartialEq)]
struct TableState {
    columns: Vec<String>,
    rows: i64,
    digest: String,
}

async fn tables(db: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations'
         ORDER BY 1",
    )
    .fetch_all(db)
    .await
    .unwrap()
}

async fn columns(db: &PgPool, table: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT column_name::text FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(db)
    .await
    .unwrap()
}

async fn table_state(db: &PgPool, table: &str, columns: &[String]) -> TableState {
    let list = columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let (rows, digest): (i64, String) = sqlx::query_as(&format!(
        "SELECT count(*), coalesce(md5(string_agg(r, E'\\n' ORDER BY r)), '')
         FROM (SELECT ROW({list})::text AS r FROM public.\"{table}\") s"
    ))
    .fetch_one(db)
    .await
    .unwrap();
    TableState {
        columns: columns.to_vec(),
        rows,
        digest,
    }
}

type Score = (
    Uuid,
    Option<f64>,
    Option<f64>,
    Option<i32>,
    Option<bool>,
    Option<serde_json::Value>,
);

async fn finished_scores(db: &PgPool) -> Vec<Score> {
    sqlx::query_as(
        "SELECT id, raw_score, max_score, scaled_score, passed, result FROM attempts
         WHERE ended_at IS NOT NULL ORDER BY id",
    )
    .fetch_all(db)
    .await
    .unwrap()
}

async fn scalar_i64(db: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db).await.unwrap()
}

async fn user_id(db: &PgPool, email: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(db)
        .await
        .unwrap_or_else(|e| panic!("the fixture has no user {email}: {e}"))
}

/// A browser signed in as `user`, through a session stored as the app stores one (the cookie's SHA-256 and
/// a CSRF token).
async fn browser(db: &PgPool, user: Uuid) -> reqwest::Client {
    let secret = ai102::auth::random_secret();
    store::users::create_session(
        db,
        user,
        &ai102::auth::hash_secret(&secret),
        &ai102::auth::random_secret(),
    )
    .await
    .unwrap();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::COOKIE,
        format!("{}={secret}", ai102::auth::session::SESSION_COOKIE)
            .parse()
            .unwrap(),
    );
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap()
}

/// GETs a page: it must answer 200 with no error text; returns its HTML.
async fn page(client: &reqwest::Client, base: &str, path: &str, who: &str) -> String {
    let resp = client
        .get(format!("{base}{path}"))
        .send()
        .await
        .expect("GET");
    let status = resp.status();
    let location = location(&resp);
    let body = resp.text().await.unwrap_or_default();
    assert_eq!(
        status,
        200,
        "GET {path} as {who} answered {status} (location {location:?}):\n{}",
        texts(&body, "main, body").join("\n")
    );
    for error in [
        "Something went wrong",
        "quote reference",
        "Internal Server Error",
        "Not Found ·",
    ] {
        assert!(
            !body.contains(error),
            "GET {path} as {who} shows the error text {error:?}:\n{}",
            texts(&body, "main").join("\n")
        );
    }
    body
}

#[tokio::test]
async fn data_written_before_the_exams_migration_is_kept_and_every_page_renders() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    let Ok(dump) = std::fs::read_to_string(&fixture) else {
        println!(
            "SKIPPED: {} is missing; make it with scripts/make-migration-fixture.sh",
            fixture.display()
        );
        return;
    };
    assert!(
        store::MIGRATOR.migrations.iter().any(|m| m.version == 11),
        "migration 0011 is not among the app's migrations"
    );

    // A database at migration 0010, as the fixture's data was written under.
    let url = fresh_database().await;
    let db = store::connect(&url, 5).await.unwrap();
    let before_exams = Migrator {
        migrations: Cow::Owned(
            store::MIGRATOR
                .migrations
                .iter()
                .filter(|m| m.version <= BEFORE_EXAMS)
                .cloned()
                .collect(),
        ),
        ..Migrator::DEFAULT
    };
    before_exams.run(&db).await.unwrap();

    // The data, with triggers off: the rollups in the dump were written by the old triggers already. The dump
    // empties `search_path` for its session, so it gets a connection of its own.
    let mut conn = PgConnection::connect(&url).await.unwrap();
    sqlx::raw_sql("SET session_replication_role = replica")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::raw_sql(&dump)
        .execute(&mut conn)
        .await
        .expect("the fixture loads into a database at migration 0010");
    sqlx::raw_sql("SET session_replication_role = DEFAULT")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();

    // The fixture holds what the issue asks for.
    for (what, sql, at_least) in [
        (
            "finished exam attempts",
            "SELECT count(*) FROM attempts WHERE mode = 'exam' AND ended_at IS NOT NULL",
            10,
        ),
        (
            "exam attempts in progress",
            "SELECT count(*) FROM attempts WHERE mode = 'exam' AND ended_at IS NULL",
            2,
        ),
        (
            "practice attempts in progress",
            "SELECT count(*) FROM attempts WHERE mode = 'practice' AND ended_at IS NULL",
            1,
        ),
        (
            "finished practice attempts",
            "SELECT count(*) FROM attempts WHERE mode = 'practice' AND ended_at IS NOT NULL",
            1,
        ),
        (
            "open reports",
            "SELECT count(*) FROM item_reports WHERE status = 'open'",
            1,
        ),
        (
            "resolved reports",
            "SELECT count(*) FROM item_reports WHERE status <> 'open'",
            1,
        ),
        (
            "attempt summaries",
            "SELECT count(*) FROM attempt_summaries",
            10,
        ),
        ("item rollups", "SELECT count(*) FROM item_rollups", 10),
        ("held uploads", "SELECT count(*) FROM uploads", 1),
    ] {
        let n = scalar_i64(&db, sql).await;
        assert!(
            n >= at_least,
            "the fixture has {n} {what}, expected at least {at_least}"
        );
    }

    // Before: every table's rows, and every finished attempt's score.
    let old_tables = tables(&db).await;
    let mut before = BTreeMap::new();
    for t in &old_tables {
        let cols = columns(&db, t).await;
        before.insert(t.clone(), table_state(&db, t, &cols).await);
    }
    let scores_before = finished_scores(&db).await;
    println!("fixture rows by table:");
    for (t, s) in &before {
        println!("  {t}: {}", s.rows);
    }

    // Every later migration, as the service applies them at start.
    store::migrate(&db)
        .await
        .expect("the migrations apply to the fixture's data");

    // After: the same tables (and `exams`, and 0012's `bank_version`), the same rows with the same values in the
    // columns they had.
    let new_tables = tables(&db).await;
    let added: Vec<&String> = new_tables
        .iter()
        .filter(|t| !old_tables.contains(t))
        .collect();
    assert_eq!(
        added,
        vec![
            "assignment_overrides",
            "assignment_reminders",
            "assignments",
            "bank_version",
            "class_instructors",
            "class_members",
            "classes",
            "dashboard_day_bins",
            "dashboard_day_domains",
            "dashboard_days",
            "exams",
            "mail_outbox",
            "mail_requests",
            "mail_tokens",
            "review_deck",
            "site_settings",
            "sso_flows",
            "sso_providers",
            "user_identities"
        ],
        "tables added by the migrations"
    );
    for (t, was) in &before {
        assert!(new_tables.contains(t), "table {t} is gone");
        let now = table_state(&db, t, &was.columns).await;
        assert_eq!(now.rows, was.rows, "{t}: the row count changed");
        assert_eq!(
            now.digest, was.digest,
            "{t}: a value changed in a column it had before the migration"
        );
    }
    let scores_after = finished_scores(&db).await;
    assert_eq!(scores_after.len(), scores_before.len());
    for (a, b) in scores_before.iter().zip(&scores_after) {
        assert_eq!(a, b, "attempt {}: its score changed", a.0);
    }

    // 0013 filled the review deck from the attempts already finished: every item answered wrongly or marked
    // in a mock, or answered wrongly in practice, is a card, due within the coming week, spread over days.
    let expected = scalar_i64(
        &db,
        "SELECT count(DISTINCT (a.user_id, r.item_id)) FROM attempts a
         JOIN attempt_items ai ON ai.attempt_id = a.id JOIN item_revisions r ON r.id = ai.revision_id
         JOIN answers an ON an.attempt_id = ai.attempt_id AND an.position = ai.position
         WHERE a.ended_at IS NOT NULL AND NOT ai.trial
           AND ((an.response IS NOT NULL AND COALESCE(an.earned, 0) < ai.max_points)
                OR (a.mode = 'exam' AND an.marked))",
    )
    .await;
    let cards = scalar_i64(&db, "SELECT count(*) FROM review_deck").await;
    println!("review deck after the migration: {cards} cards");
    assert_eq!(
        cards, expected,
        "the deck holds every missed or marked item once"
    );
    assert!(cards > 0, "the fixture's attempts have missed items");
    assert_eq!(
        scalar_i64(
            &db,
            "SELECT count(*) FROM review_deck WHERE due < now() - interval '1 hour'
                OR due > now() + interval '7 days'"
        )
        .await,
        0,
        "due within the coming week"
    );
    assert!(
        scalar_i64(&db, "SELECT count(DISTINCT due::date) FROM review_deck").await > 1 || cards < 2,
        "due dates are spread over days"
    );

    // Existing data is AI-102's.
    assert_eq!(
        scalar_i64(
            &db,
            "SELECT count(*) FROM attempts WHERE blueprint_id IS DISTINCT FROM 'ai102'"
        )
        .await,
        0,
        "every existing attempt belongs to AI-102"
    );
    assert_eq!(
        scalar_i64(
            &db,
            "SELECT count(*) FROM uploads WHERE blueprint_id IS DISTINCT FROM 'ai102'"
        )
        .await,
        0,
        "every held upload belongs to AI-102"
    );
    assert_eq!(
        scalar_i64(
            &db,
            "SELECT count(*) FROM users WHERE target_exam IS NOT NULL OR time_zone <> 'UTC'"
        )
        .await,
        0
    );

    // The fixture's clock stopped when it was made: give the candidate's running Quick 15 an hour again so its
    // pages show it in progress, and let fixture-late's Quick 15 be overdue (as it is once the fixture is 25
    // minutes old), for the new code to end.
    let candidate = user_id(&db, "fixture-candidate@example.invalid").await;
    let late_user = user_id(&db, "fixture-late@example.invalid").await;
    let admin = user_id(&db, "fixture-admin@example.invalid").await;
    for (user, deadline) in [
        (candidate, "now() + interval '1 hour'"),
        (late_user, "least(deadline, now() - interval '1 minute')"),
    ] {
        sqlx::query(&format!(
            "UPDATE attempts SET deadline = {deadline}
             WHERE user_id = $1 AND mode = 'exam' AND ended_at IS NULL"
        ))
        .bind(user)
        .execute(&db)
        .await
        .unwrap();
    }

    // The service on the migrated data, loading the AI-102 bank the fixture's revisions came from (as it is now:
    // items whose text changed since the fixture was made get one new revision each, and only those).
    let items = scalar_i64(&db, "SELECT count(*) FROM items").await;
    let forms = scalar_i64(&db, "SELECT count(*) FROM exam_forms").await;
    let mut config = Config::for_database(&url);
    config.load_bank =
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("question-bank/exams/ai-102"));
    let app = Application::build(config)
        .await
        .expect("the service starts on the migrated data");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    assert_eq!(
        scalar_i64(&db, "SELECT count(*) FROM items").await,
        items,
        "reloading the AI-102 bank added items: its item keys changed"
    );
    assert_eq!(
        scalar_i64(
            &db,
            "SELECT count(*) FROM item_revisions n JOIN item_revisions o
                 ON o.item_id = n.item_id AND o.revision = n.revision - 1
             WHERE n.content = o.content"
        )
        .await,
        0,
        "reloading the AI-102 bank added revisions to items that did not change"
    );
    assert_eq!(
        scalar_i64(
            &db,
            "SELECT count(*) FROM (SELECT item_id FROM item_revisions GROUP BY item_id
                                   HAVING count(*) > 2) t"
        )
        .await,
        0,
        "one reload adds at most one revision to an item"
    );
    assert_eq!(
        scalar_i64(&db, "SELECT count(*) FROM exam_forms").await,
        forms,
        "reloading the AI-102 bank added forms"
    );
    assert_eq!(
        scalar_i64(
            &db,
            "SELECT count(*) FROM exams WHERE code = 'AI-102' AND blueprint_id = 'ai102'"
        )
        .await,
        1,
        "the catalogue has AI-102 on blueprint ai102"
    );

    // The candidate's pages.
    let me = browser(&db, candidate).await;
    let who = "fixture-candidate";
    for path in [
        "/",
        "/exams",
        "/exams?exam=AI-102",
        "/attempts",
        "/progress",
        "/practice",
        "/practice?exam=AI-102",
        "/account",
    ] {
        page(&me, &base, path, who).await;
    }
    let running: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT id, mode FROM attempts WHERE user_id = $1 AND ended_at IS NULL ORDER BY mode",
    )
    .bind(candidate)
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(
        running.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>(),
        ["exam", "practice"],
        "the candidate's attempts in progress"
    );
    for (id, mode) in &running {
        let item = page(&me, &base, &format!("/attempts/{id}/items/1"), who).await;
        assert!(
            item.contains("csrf_token"),
            "the {mode} attempt's first item is not an answer form"
        );
        page(&me, &base, &format!("/attempts/{id}/review"), who).await;
        if mode == "exam" {
            page(&me, &base, &format!("/attempts/{id}/end"), who).await;
        }
    }
    let history = page(&me, &base, "/attempts", who).await;
    for (id, _) in &running {
        assert!(
            history.contains(&id.to_string()),
            "the history does not list attempt {id} in progress"
        );
    }

    // Every finished attempt's result, as its owner sees it, with the score it had.
    let finished: Vec<(Uuid, Uuid, String, Option<i32>)> = sqlx::query_as(
        "SELECT id, user_id, mode, scaled_score FROM attempts WHERE ended_at IS NOT NULL ORDER BY user_id, id",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    let mut owners: BTreeMap<Uuid, reqwest::Client> = BTreeMap::new();
    for (id, owner, mode, scaled) in &finished {
        if !owners.contains_key(owner) {
            let client = browser(&db, *owner).await;
            for path in ["/", "/attempts", "/progress"] {
                page(&client, &base, path, &format!("user {owner}")).await;
            }
            owners.insert(*owner, client);
        }
        let client = &owners[owner];
        let result = page(
            client,
            &base,
            &format!("/attempts/{id}/result"),
            &format!("user {owner}"),
        )
        .await;
        if let (Some(scaled), "exam") = (scaled, mode.as_str()) {
            assert!(
                result.contains(&scaled.to_string()),
                "the result of attempt {id} does not show its scaled score {scaled}"
            );
        }
    }

    // fixture-late's overdue Quick 15: the new code ends and scores it, and it counts in the rollups.
    let late: Uuid = sqlx::query_scalar("SELECT id FROM attempts WHERE user_id = $1")
        .bind(late_user)
        .fetch_one(&db)
        .await
        .unwrap();
    let late_browser = browser(&db, late_user).await;
    page(
        &late_browser,
        &base,
        &format!("/attempts/{late}/result"),
        "fixture-late",
    )
    .await;
    let (reason, scaled, blueprint): (Option<String>, Option<i32>, String) = sqlx::query_as(
        "SELECT ended_reason, scaled_score, blueprint_id FROM attempts WHERE id = $1",
    )
    .bind(late)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(reason.as_deref(), Some("expired"));
    assert!(scaled.is_some(), "the overdue attempt was not scored");
    assert_eq!(blueprint, "ai102");
    assert_eq!(
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM attempt_summaries WHERE attempt_id = $1"
        )
        .bind(late)
        .fetch_one(&db)
        .await
        .unwrap(),
        1,
        "the overdue attempt is not in the rollups"
    );

    // The admin's pages.
    let staff = browser(&db, admin).await;
    let who = "fixture-admin";
    for path in [
        "/",
        "/admin",
        "/admin/users",
        "/admin/audit",
        "/admin/analytics",
        "/instructor",
        "/instructor/analytics",
        "/instructor/reports",
        "/instructor/reports?exam=AI-102",
        "/instructor/upload",
        "/instructor/forms/new",
    ] {
        page(&staff, &base, path, who).await;
    }
    page(&staff, &base, &format!("/admin/users/{candidate}"), who).await;
    let packs: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM packs ORDER BY id")
        .fetch_all(&db)
        .await
        .unwrap();
    for pack in packs {
        page(&staff, &base, &format!("/instructor/packs/{pack}"), who).await;
    }
    let reports: Vec<String> = sqlx::query_scalar("SELECT question_key FROM item_reports")
        .fetch_all(&db)
        .await
        .unwrap();
    let queue = page(&staff, &base, "/instructor/reports?status=all", who).await;
    for key in &reports {
        assert!(
            queue.contains(key.as_str()),
            "the report queue (all) does not show the fixture's report on `{key}`"
        );
    }
}
