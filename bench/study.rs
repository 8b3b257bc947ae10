//! The study loop's bench step (bench/run.sh): the progress page of a candidate with 200 finished attempts and
//! 5,000 cards in their review deck, with an exam date set (so the page computes the booking rule and the plan
//! too). Seeds that candidate in the bench database, then times `GET /progress?exam=AI-103` over 20 warm
//! requests, one at a time, and `/healthz` the same way as the floor of a request in the same run. Prints one
//! JSON object. Target: p95 under 100 ms (issue 16).
//!
//! ```text
//! target/release/examples/study_bench --database-url postgres://…/ai102_bench --base-url http://127.0.0.1:8080
//! ```

#[path = "page_timing.rs"]
mod page_timing;
use clap::Parser;
use page_timing::{pct, session_cookie, timings};
use serde_json::json;
use sqlx::PgPool;
use std::time::{Duration, Instant};
use uuid::Uuid;

#[derive(Parser, Debug)]
#[command(
    about = "Seeds a candidate with 200 attempts and 5,000 deck cards, times their progress page; prints JSON"
)]
struct Args {
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    #[arg(long)]
    base_url: String,
    #[arg(long, default_value_t = 200)]
    attempts: i32,
    #[arg(long, default_value_t = 5000)]
    cards: i32,
    #[arg(long, default_value_t = 20)]
    runs: usize,
}

async fn seed(db: &PgPool, attempts: i32, cards: i32) -> anyhow::Result<String> {
    let user = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO users (id, email, display_name, password_hash, role, target_exam, target_date)
         VALUES ($1, 'bench-study@example.com', 'Bench study', 'x', 'candidate', 'AI-103', current_date + 30)",
    )
    .bind(user)
    .execute(db)
    .await?;
    // A published pack of `cards` AI-103 questions, each a copy of a shipped single-answer question.
    sqlx::query(
        "INSERT INTO packs (id, pack_key, title, version, blueprint_id, meta, status)
         VALUES (gen_random_uuid(), 'bench-study-pack', 'Bench study pack', 1, 'ai103', '{}', 'published')",
    )
    .execute(db)
    .await?;
    sqlx::query(
        "WITH src AS (
             SELECT r.content, r.domains, r.objectives, row_number() OVER (ORDER BY r.id) AS k
             FROM item_revisions r JOIN items i ON i.id = r.item_id AND r.revision = i.current_revision
             JOIN packs p ON p.id = i.pack_id AND p.blueprint_id = 'ai103' AND p.pack_key <> 'bench-study-pack'
             WHERE r.content->>'type' = 'single'),
         n AS (SELECT g, (SELECT count(*) FROM src) AS total FROM generate_series(1, $1) AS g),
         items_in AS (
             INSERT INTO items (id, pack_id, item_key, kind, position, current_revision)
             SELECT gen_random_uuid(), (SELECT id FROM packs WHERE pack_key = 'bench-study-pack'),
                    'bench-' || g, 'question', g, 1 FROM n
             RETURNING id, position)
         INSERT INTO item_revisions (id, item_id, revision, content, content_hash, domains, objectives)
         SELECT gen_random_uuid(), it.id, 1, jsonb_set(s.content, '{id}', to_jsonb('bench-' || it.position)),
                md5(it.id::text), s.domains, s.objectives
         FROM items_in it JOIN n ON n.g = it.position
         JOIN src s ON s.k = 1 + (it.position - 1) % n.total",
    )
    .bind(cards)
    .execute(db)
    .await?;
    // 200 finished full-length mocks of 50 of those questions, about 75 % right, a day apart.
    sqlx::query(
        "WITH a AS (
             INSERT INTO attempts (id, user_id, mode, title, seed, item_count, cut_fraction, started_at, deadline,
                                   ended_at, ended_reason, raw_score, max_score, scaled_score, passed, blueprint_id)
             SELECT gen_random_uuid(), $1, 'exam', 'Bench mock ' || g, g, 50, 0.7,
                    now() - (g || ' days')::interval - interval '2 hours', now() - (g || ' days')::interval,
                    now() - (g || ' days')::interval - interval '1 hour', 'submitted', 38, 50, 760, true, 'ai103'
             FROM generate_series(1, $2) AS g
             RETURNING id, seed),
         slots AS (
             INSERT INTO attempt_items (attempt_id, position, revision_id, question_key, domain, objective,
                                        presentation, max_points)
             SELECT a.id, p, r.id, i.item_key, r.domains[1], r.objectives[1], '{}'::jsonb, 1
             FROM a CROSS JOIN generate_series(1, 50) AS p
             JOIN items i ON i.item_key = 'bench-' || (1 + ((a.seed * 50 + p) % $3))
                 AND i.pack_id = (SELECT id FROM packs WHERE pack_key = 'bench-study-pack')
             JOIN item_revisions r ON r.item_id = i.id
             RETURNING attempt_id, position)
         INSERT INTO answers (attempt_id, position, response, earned)
         SELECT attempt_id, position, '{\"type\": \"single\", \"answer\": \"a\"}'::jsonb,
                CASE WHEN position % 4 = 0 THEN 0 ELSE 1 END FROM slots",
    )
    .bind(user)
    .bind(attempts)
    .bind(cards)
    .execute(db)
    .await?;
    // Every question of the pack in the deck, due over the coming 60 days.
    sqlx::query(
        "INSERT INTO review_deck (user_id, item_id, blueprint_id, reason, due, stability, difficulty, reps, state)
         SELECT $1, i.id, 'ai103', 'missed', now() + ((i.position % 60) || ' days')::interval, 3, 5, 1, 2
         FROM items i WHERE i.pack_id = (SELECT id FROM packs WHERE pack_key = 'bench-study-pack')",
    )
    .bind(user)
    .execute(db)
    .await?;
    sqlx::query("ANALYZE").execute(db).await?;
    session_cookie(db, user).await
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let db = ai102::store::connect(&args.database_url, 2).await?;
    let t = Instant::now();
    let cookie = seed(&db, args.attempts, args.cards).await?;
    let seed_seconds = t.elapsed().as_secs_f64();
    let (attempts, deck): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM attempts a JOIN users u ON u.id = a.user_id
                 WHERE u.email = 'bench-study@example.com'),
                (SELECT count(*) FROM review_deck d JOIN users u ON u.id = d.user_id
                 WHERE u.email = 'bench-study@example.com')",
    )
    .fetch_one(&db)
    .await?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()?;
    let progress = timings(
        &client,
        &format!("{}/progress?exam=AI-103", args.base_url),
        &cookie,
        args.runs,
    )
    .await?;
    let healthz = timings(
        &client,
        &format!("{}/healthz", args.base_url),
        &cookie,
        args.runs,
    )
    .await?;
    let p95 = pct(&progress, 0.95);
    println!(
        "{}",
        json!({
            "attempts": attempts,
            "deck_cards": deck,
            "seed_seconds": (seed_seconds * 10.0).round() / 10.0,
            "runs": args.runs,
            "progress_p50_ms": pct(&progress, 0.5),
            "progress_p95_ms": p95,
            "progress_max_ms": pct(&progress, 1.0),
            "healthz_p50_ms": pct(&healthz, 0.5),
            "target_p95_ms": 100,
            "met": p95 < 100.0,
        })
    );
    Ok(())
}
