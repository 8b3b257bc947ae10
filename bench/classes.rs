//! The class gradebook's bench step (bench/run.sh): the gradebook of a class of 500 members × 10 assignments
//! with 20,000 ended attempts (each with its 5 rows of domain points). Seeds an instructor, their class, its
//! members, assignments and attempts in the bench database under names of their own (a fresh tag per run),
//! then times `GET /instructor/classes/{id}/gradebook` over 20 warm requests, one at a time, and `/healthz` the
//! same way as the floor of a request in the same run. Prints one JSON object. Target: p95 under 300 ms
//! (issue 15).
//!
//! ```text
//! target/release/examples/classes_bench --database-url postgres://…/ai102_bench --base-url http://127.0.0.1:8080
//! ```

#[path = "page_timing.rs"]
mod page_timing;
use clap::Parser;
use page_timing::{pct, session_cookie, timings};
use serde_json::json;
use sqlx::PgPool;
use std::time::{Duration, Instant};
use uuid::Uuid;

const TARGET_P95_MS: u32 = 300;

#[derive(Parser, Debug)]
#[command(
    about = "Seeds a class of 500 members × 10 assignments with 20,000 attempts, times its gradebook; prints JSON"
)]
struct Args {
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    #[arg(long)]
    base_url: String,
    #[arg(long, default_value_t = 500)]
    members: i64,
    #[arg(long, default_value_t = 10)]
    assignments: i64,
    #[arg(long, default_value_t = 20000)]
    attempts: i64,
    #[arg(long, default_value_t = 20)]
    runs: usize,
}

/// What was seeded: the class, the instructor's session cookie and the page's size.
struct Seeded {
    class_id: Uuid,
    cookie: String,
    form_slug: String,
}

async fn seed(db: &PgPool, args: &Args) -> anyhow::Result<Seeded> {
    // Fresh names per run, so the step can run again on the same database.
    let tag = Uuid::new_v4().simple().to_string()[..10].to_string();
    // A published form of an exam in the catalogue (the class prepares for that exam).
    let (form_id, form_slug, exam_code): (Uuid, String, String) = sqlx::query_as(
        "SELECT f.id, f.slug, e.code FROM exam_forms f JOIN exams e ON e.blueprint_id = f.blueprint_id
         WHERE f.published ORDER BY f.position, f.slug LIMIT 1",
    )
    .fetch_optional(db)
    .await?
    .ok_or_else(|| anyhow::anyhow!("no published exam form in the database (was the bank loaded?)"))?;

    let mut tx = db.begin().await?;
    let instructor = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO users (id, email, display_name, password_hash, role)
         VALUES ($1, 'bench-classes-' || $2 || '@example.com', 'Bench instructor ' || $2, 'x', 'instructor')",
    )
    .bind(instructor)
    .bind(&tag)
    .execute(&mut *tx)
    .await?;
    let class_id = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO classes (id, name, exam_code, owner_id, join_code)
         VALUES ($1, 'Bench class ' || $2, $3, $4, 'bench-' || $2)",
    )
    .bind(class_id)
    .bind(&tag)
    .bind(&exam_code)
    .bind(instructor)
    .execute(&mut *tx)
    .await?;
    // The members: new candidates, joined over the past weeks.
    sqlx::query(
        "WITH u AS (
             INSERT INTO users (id, email, display_name, password_hash, role)
             SELECT gen_random_uuid(), 'bench-classes-' || $2 || '-' || g || '@example.com',
                    'Member ' || g, 'x', 'candidate'
             FROM generate_series(1, $3::bigint) AS g
             RETURNING id)
         INSERT INTO class_members (class_id, user_id, joined_at)
         SELECT $1, id, now() - interval '90 days' FROM u",
    )
    .bind(class_id)
    .bind(&tag)
    .bind(args.members)
    .execute(&mut *tx)
    .await?;
    // The assignments: the same form, one a week, each open for a week (the last one still open).
    sqlx::query(
        "INSERT INTO assignments (id, class_id, form_id, opens_at, closes_at, answers_shown)
         SELECT gen_random_uuid(), $1, $2, now() - make_interval(weeks => ($3 - g + 1)::int) + interval '1 day',
                now() - make_interval(weeks => ($3 - g)::int) + interval '1 day', 'at_end'
         FROM generate_series(1, $3::bigint) AS g",
    )
    .bind(class_id)
    .bind(form_id)
    .bind(args.assignments)
    .execute(&mut *tx)
    .await?;
    // The attempts, ended and scored, spread evenly over members × assignments (attempt k: member k mod M,
    // assignment (k div M) mod A), each started in the first 5 days of its assignment's week and lasting 30 to
    // 89 minutes; and the 5 domain rows each ended exam attempt has. Inserted, not updated: the analytics
    // triggers of migrations 0008/0010 run on UPDATE and DELETE only, so they leave these rows alone (and
    // `attempt_summaries` and the item rollups do not count these attempts, which have no items).
    sqlx::query(
        "WITH m AS (
             SELECT user_id, row_number() OVER (ORDER BY user_id) - 1 AS i FROM class_members WHERE class_id = $1),
         s AS (
             SELECT id, opens_at, row_number() OVER (ORDER BY opens_at, id) - 1 AS j
             FROM assignments WHERE class_id = $1),
         f AS (SELECT * FROM exam_forms WHERE id = $2),
         k AS (
             SELECT g AS k, 300 + (g * 37) % 701 AS scaled, 30 + (g * 7) % 60 AS minutes,
                    (g * 101) % (5 * 24 * 60) AS offset_minutes
             FROM generate_series(0, $5::bigint - 1) AS g),
         a AS (
             INSERT INTO attempts (id, user_id, form_id, assignment_id, mode, title, seed, item_count, cut_fraction,
                                   started_at, deadline, ended_at, ended_reason, raw_score, max_score,
                                   scaled_score, passed, blueprint_id)
             SELECT gen_random_uuid(), m.user_id, f.id, s.id, 'exam', f.title, k.k, f.item_count, f.cut_fraction,
                    s.opens_at + make_interval(mins => k.offset_minutes::int),
                    s.opens_at + make_interval(mins => (k.offset_minutes + f.duration_minutes)::int),
                    s.opens_at + make_interval(mins => (k.offset_minutes + k.minutes)::int),
                    'submitted', round(f.item_count * k.scaled / 1000.0), f.item_count,
                    k.scaled, k.scaled >= 700, f.blueprint_id
             FROM k CROSS JOIN f
             JOIN m ON m.i = k.k % $3
             JOIN s ON s.j = (k.k / $3) % $4
             RETURNING id, seed, item_count, scaled_score),
         d AS (
             SELECT n, COALESCE(b.domain, 'domain-' || n) AS domain
             FROM generate_series(1, 5) AS n
             LEFT JOIN (SELECT x.e->>'id' AS domain, x.ord
                        FROM blueprints bp, jsonb_array_elements(bp.content->'domains') WITH ORDINALITY AS x (e, ord)
                        WHERE bp.id = (SELECT blueprint_id FROM f)) AS b ON b.ord = n)
         INSERT INTO attempt_domain_points (attempt_id, domain, earned, max)
         SELECT a.id, d.domain,
                LEAST(10, GREATEST(0, round(10 * a.scaled_score / 1000.0) + (a.seed + d.n) % 3 - 1)), 10
         FROM a CROSS JOIN d",
    )
    .bind(class_id)
    .bind(form_id)
    .bind(args.members)
    .bind(args.assignments)
    .bind(args.attempts)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    sqlx::query(
        "ANALYZE users, classes, class_members, assignments, attempts, attempt_domain_points",
    )
    .execute(db)
    .await?;

    Ok(Seeded {
        class_id,
        cookie: session_cookie(db, instructor).await?,
        form_slug,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.members > 0 && args.assignments > 0 && args.attempts >= 0 && args.runs > 0,
        "--members, --assignments and --runs must be positive"
    );
    let db = ai102::store::connect(&args.database_url, 2).await?;
    let t = Instant::now();
    let seeded = seed(&db, &args).await?;
    let seed_seconds = t.elapsed().as_secs_f64();
    let (members, assignments, attempts, domain_rows): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM class_members WHERE class_id = $1),
                (SELECT count(*) FROM assignments WHERE class_id = $1),
                (SELECT count(*) FROM attempts a JOIN assignments s ON s.id = a.assignment_id
                 WHERE s.class_id = $1),
                (SELECT count(*) FROM attempt_domain_points d JOIN attempts a ON a.id = d.attempt_id
                 JOIN assignments s ON s.id = a.assignment_id WHERE s.class_id = $1)",
    )
    .bind(seeded.class_id)
    .fetch_one(&db)
    .await?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()?;
    let gradebook_url = format!(
        "{}/instructor/classes/{}/gradebook",
        args.base_url, seeded.class_id
    );
    let gradebook = timings(&client, &gradebook_url, &seeded.cookie, args.runs).await?;
    let page_bytes = client
        .get(&gradebook_url)
        .header(reqwest::header::COOKIE, &seeded.cookie)
        .send()
        .await?
        .bytes()
        .await?
        .len();
    let healthz = timings(
        &client,
        &format!("{}/healthz", args.base_url),
        &seeded.cookie,
        args.runs,
    )
    .await?;
    let p95 = pct(&gradebook, 0.95);
    println!(
        "{}",
        json!({
            "members": members,
            "assignments": assignments,
            "attempts": attempts,
            "domain_point_rows": domain_rows,
            "form": seeded.form_slug,
            "page_bytes": page_bytes,
            "seed_seconds": (seed_seconds * 10.0).round() / 10.0,
            "runs": args.runs,
            "gradebook_p50_ms": pct(&gradebook, 0.5),
            "gradebook_p95_ms": p95,
            "gradebook_max_ms": pct(&gradebook, 1.0),
            "healthz_p50_ms": pct(&healthz, 0.5),
            "target_p95_ms": TARGET_P95_MS,
            "met": p95 < f64::from(TARGET_P95_MS),
        })
    );
    Ok(())
}
