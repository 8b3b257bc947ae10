//! Load generator for the exam's hot path, against a running `ai102 serve` and its database.
//!
//! N simulated candidates (one tokio task and one HTTP client each, so one keep-alive connection each, like
//! N browsers) start the shipped "AI-102 full mock exam", autosave an answer for every item exactly as
//! `static/exam.js` does (`Accept: application/json`, `X-CSRF-Token`, the item's form fields, `go=stay`),
//! read item pages and a static file for a while, then submit. Every request's latency is recorded; one
//! JSON object with the figures is printed on standard output.
//!
//! Signing up is not what is measured (argon2 is slow on purpose), so the candidates and their sessions are
//! inserted directly: one precomputed password hash for all, and per candidate a random session secret whose
//! SHA-256 is the `sessions.id_hash`, plus a CSRF token, exactly what a sign-in stores.
//!
//! ```text
//! cargo run --release --example loadgen -- --base-url http://127.0.0.1:8080 --candidates 1000
//! ```

use ai102::bank::model::Item;
use ai102::exam::form_answer::key_fields;
use clap::Parser;
use reqwest::header::{ACCEPT, CONTENT_TYPE, COOKIE, LOCATION};
use reqwest::redirect::Policy;
use reqwest::Client;
use serde_json::{json, Value};
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Row};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;
use uuid::Uuid;

#[derive(Parser, Debug)]
#[command(about = "Simulated candidates against a running ai102 serve; prints JSON")]
struct Args {
    /// The running service.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base_url: String,
    /// The service's database (users and sessions are inserted there; attempts are read back).
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// Candidates at once (each one task, one client, one connection).
    #[arg(long, default_value_t = 1000)]
    candidates: usize,
    /// The exam form's slug.
    #[arg(long, default_value = "ai102-full")]
    form: String,
    /// Upper bound on the answer-save phase; candidates still answering then stop.
    #[arg(long, default_value_t = 40)]
    save_seconds: u64,
    /// Mean pause before each save (uniform in 0.5–1.5 times this); 0 saves back to back (closed loop).
    #[arg(long, default_value_t = 0)]
    think_ms: u64,
    /// Duration of each page phase (item page, static file); 0 skips them. With `--think-ms`, only the item
    /// page is read, each candidate pausing as between saves.
    #[arg(long, default_value_t = 10)]
    page_seconds: u64,
    /// A name for this run in the output.
    #[arg(long, default_value = "run")]
    label: String,
    /// Also write every save as CSV (completed at ms, latency ms, status) to this file, to see when slow ones happen.
    #[arg(long)]
    save_samples: Option<std::path::PathBuf>,
    /// The server's process id: with it, the CPU time of the server, of this database's PostgreSQL backends,
    /// of the load generator and of the whole machine during the save phase is reported (Linux /proc).
    #[arg(long)]
    server_pid: Option<u32>,
    /// A bare axum server of the same stylesheet (bench/bare_static.rs): its `/static/app.css` is measured in the
    /// page phases too, as the static-file ceiling.
    #[arg(long)]
    bare_static_url: Option<String>,
    /// A realistic day instead of the phases above: each candidate starts the form at a random moment of the
    /// first `--start-spread-seconds`, then for every item reads its page, thinks `--think-min-ms` to
    /// `--think-max-ms` and saves, then opens the review screen and submits. Every duration is divided by
    /// `--compression`.
    #[arg(long)]
    day: bool,
    /// The day's window of starts, in uncompressed seconds.
    #[arg(long, default_value_t = 300)]
    start_spread_seconds: u64,
    /// The day's shortest think time on an item, in uncompressed milliseconds.
    #[arg(long, default_value_t = 4000)]
    think_min_ms: u64,
    /// The day's longest think time on an item, in uncompressed milliseconds.
    #[arg(long, default_value_t = 16000)]
    think_max_ms: u64,
    /// The day's time compression: 2 runs it twice as fast, so each candidate sends twice the real rate.
    #[arg(long, default_value_t = 2.0)]
    compression: f64,
}

/// One request as the client saw it.
#[derive(Clone, Copy)]
struct Sample {
    /// When it completed, from the start of its phase.
    end: Duration,
    latency: Duration,
    /// HTTP status; 0 when the request failed without one (connection error, timeout).
    status: u16,
}

/// A simulated candidate: their browser and what they will post.
struct Candidate {
    client: Client,
    cookie: String,
    csrf: String,
}

impl Candidate {
    /// A form POST with no fields (start, submit), as the page's button sends it.
    fn post_empty(&self, url: &str) -> reqwest::RequestBuilder {
        self.client
            .post(url)
            .header(COOKIE, &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body("")
    }

    /// An autosave of an item, as `static/exam.js` sends it.
    fn autosave(&self, url: &str, body: String) -> reqwest::RequestBuilder {
        self.client
            .post(url)
            .header(COOKIE, &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let base = args.base_url.trim_end_matches('/').to_owned();
    let db = PgPoolOptions::new()
        .max_connections(4)
        .connect(&args.database_url)
        .await?;

    if args.day {
        let out = day(&args, &db, &base).await?;
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let setup_started = Instant::now();
    let candidates = Arc::new(create_candidates(&db, args.candidates).await?);
    let setup_seconds = setup_started.elapsed().as_secs_f64();
    eprintln!(
        "loadgen[{}]: {} candidates and sessions created in {setup_seconds:.1} s",
        args.label, args.candidates
    );

    // Start: every candidate at once, as at the opening of an exam session.
    let phase = Instant::now();
    let mut set = JoinSet::new();
    for i in 0..candidates.len() {
        let (cands, base, form) = (candidates.clone(), base.clone(), args.form.clone());
        set.spawn(async move {
            let c = &cands[i];
            let url = format!("{base}/exams/{form}/start");
            let mut samples = Vec::new();
            for retry in 0..5u64 {
                let (s, location) = timed(phase, || c.post_empty(&url)).await;
                samples.push(s);
                if let Some(id) = location.as_deref().and_then(attempt_of_location) {
                    return (i, Some(id), samples);
                }
                tokio::time::sleep(Duration::from_millis(250 * (retry + 1))).await;
            }
            (i, None, samples)
        });
    }
    let mut attempts: Vec<Option<Uuid>> = vec![None; candidates.len()];
    let mut start_samples = Vec::new();
    while let Some(r) = set.join_next().await {
        let (i, id, samples) = r?;
        attempts[i] = id;
        start_samples.extend(samples);
    }
    let start_seconds = phase.elapsed().as_secs_f64();
    let started = attempts.iter().filter(|a| a.is_some()).count();
    eprintln!(
        "loadgen[{}]: {started} attempts started in {start_seconds:.1} s",
        args.label
    );
    anyhow::ensure!(started > 0, "no attempt could be started");

    // What to post for each position of each attempt: read once from the database.
    let plans = Arc::new(answer_plans(&db, &attempts).await?);
    let total_items: usize = plans.iter().map(Vec::len).sum();

    // Save: every candidate answers every item through the autosave path.
    let database = database_name(&args.database_url);
    let cpu_before = args.server_pid.map(|pid| CpuSnapshot::take(pid, &database));
    let phase = Instant::now();
    let deadline = phase + Duration::from_secs(args.save_seconds);
    let mut set = JoinSet::new();
    for i in 0..candidates.len() {
        let Some(attempt) = attempts[i] else { continue };
        let (cands, plans, base) = (candidates.clone(), plans.clone(), base.clone());
        let think = args.think_ms;
        set.spawn(async move {
            let c = &cands[i];
            let mut samples = Vec::with_capacity(plans[i].len());
            if think > 0 {
                // Spread the first saves over one think time, as candidates do not click in step.
                let first = rand::random_range(0..=think);
                tokio::time::sleep(Duration::from_millis(first)).await;
            }
            for (n, (position, body)) in plans[i].iter().enumerate() {
                if n > 0 && think > 0 {
                    let pause = rand::random_range(think / 2..=think + think / 2);
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                }
                if Instant::now() >= deadline {
                    break;
                }
                let url = format!("{base}/attempts/{attempt}/items/{position}");
                let (s, _) = timed(phase, || c.autosave(&url, body.clone())).await;
                samples.push(s);
            }
            let finished = samples.len() == plans[i].len();
            (samples, finished.then(|| phase.elapsed()))
        });
    }
    let mut save_samples = Vec::new();
    let mut finish_times = Vec::new();
    while let Some(r) = set.join_next().await {
        let (samples, finished) = r?;
        save_samples.extend(samples);
        finish_times.extend(finished);
    }
    let cpu = match (cpu_before, args.server_pid) {
        (Some(before), Some(pid)) => {
            let after = CpuSnapshot::take(pid, &database);
            let ok = save_samples.iter().filter(|s| s.status == 204).count();
            after.since(&before, ok)
        }
        _ => Value::Null,
    };
    let save_seconds = save_samples
        .iter()
        .map(|s| s.end)
        .max()
        .unwrap_or_default()
        .as_secs_f64();
    // The rate while every candidate was still answering (before the first one ran out of items).
    let all_active_until = finish_times
        .iter()
        .min()
        .copied()
        .unwrap_or(Duration::from_secs_f64(save_seconds));
    let saves_all_active = save_samples
        .iter()
        .filter(|s| s.status == 204 && s.end <= all_active_until)
        .count();
    if let Some(path) = &args.save_samples {
        let mut csv = String::from("end_ms,latency_ms,status\n");
        let mut sorted = save_samples.clone();
        sorted.sort_by_key(|s| s.end);
        for s in &sorted {
            csv.push_str(&format!(
                "{},{:.3},{}\n",
                s.end.as_millis(),
                s.latency.as_secs_f64() * 1000.0,
                s.status
            ));
        }
        std::fs::write(path, csv)?;
    }
    let mut save = summarize(&save_samples, 204, save_seconds);
    save["planned"] = json!(total_items);
    save["candidates_finished"] = json!(finish_times.len());
    save["all_active_seconds"] = json!(round(all_active_until.as_secs_f64()));
    save["all_active_per_sec"] = json!(round(
        saves_all_active as f64 / all_active_until.as_secs_f64().max(1e-9)
    ));
    save["timeline_per_second"] = json!(timeline(&save_samples, 204));
    save["cpu"] = cpu;
    eprintln!(
        "loadgen[{}]: {} saves in {save_seconds:.1} s",
        args.label,
        save_samples.len()
    );

    // Reads, each for a fixed time at the same concurrency: the exam item page; then the cheapest answers the
    // server gives (the health probe; the stylesheet, before and after signing in) as its baseline.
    let mut reads: BTreeMap<&str, Value> = BTreeMap::new();
    if args.page_seconds > 0 {
        let secs = args.page_seconds;
        let phases: Vec<(&str, RequestMaker)> = vec![
            ("item_page", {
                let (plans, attempts, base) = (plans.clone(), attempts.clone(), base.clone());
                Arc::new(move |i, c: &Candidate| {
                    let attempt = attempts[i]?;
                    let n = plans[i].len().max(1);
                    let position = plans[i]
                        .get(rand::random_range(0..n))
                        .map(|(p, _)| *p)
                        .unwrap_or(1);
                    Some(
                        c.client
                            .get(format!("{base}/attempts/{attempt}/items/{position}"))
                            .header(COOKIE, &c.cookie),
                    )
                })
            }),
            // Anonymous, as load balancers call it: no session, so no database query.
            ("healthz", {
                let base = base.clone();
                Arc::new(move |_, c: &Candidate| Some(c.client.get(format!("{base}/healthz"))))
            }),
            // As a browser fetches it before signing in.
            ("static_anonymous", {
                let base = base.clone();
                Arc::new(move |_, c: &Candidate| {
                    Some(c.client.get(format!("{base}/static/app.css")))
                })
            }),
            // As a signed-in candidate's browser fetches it: the session middleware runs for it too.
            ("static_signed_in", {
                let base = base.clone();
                Arc::new(move |_, c: &Candidate| {
                    Some(
                        c.client
                            .get(format!("{base}/static/app.css"))
                            .header(COOKIE, &c.cookie),
                    )
                })
            }),
        ];
        let mut phases = phases;
        if let Some(bare) = args.bare_static_url.clone() {
            phases.push((
                "bare_static",
                Arc::new(move |_, c: &Candidate| {
                    Some(c.client.get(format!("{bare}/static/app.css")))
                }),
            ));
        }
        // Paced (`--think-ms`): only the item page, each candidate reading one every ~think time.
        let think = args.think_ms;
        if think > 0 {
            phases.truncate(1);
        }
        for (name, make) in phases {
            let before = args
                .server_pid
                .map(|pid| (pid, CpuSnapshot::take(pid, &database)));
            let samples = for_a_while(&candidates, secs, think, make).await?;
            let mut summary = summarize(&samples, 200, secs as f64);
            if let Some((pid, before)) = before {
                let ok = samples.iter().filter(|s| s.status == 200).count();
                summary["cpu"] = CpuSnapshot::take(pid, &database).since(&before, ok);
            }
            reads.insert(name, summary);
        }
        eprintln!("loadgen[{}]: page phases done", args.label);
    }
    let read = |name: &str| reads.get(name).cloned().unwrap_or(Value::Null);
    let (item_page, healthz) = (read("item_page"), read("healthz"));
    let (static_anonymous, static_signed_in) = (read("static_anonymous"), read("static_signed_in"));
    let bare_static = read("bare_static");

    // Submit: every candidate ends their attempt.
    let phase = Instant::now();
    let mut set = JoinSet::new();
    for i in 0..candidates.len() {
        let Some(attempt) = attempts[i] else { continue };
        let (cands, base) = (candidates.clone(), base.clone());
        set.spawn(async move {
            let c = &cands[i];
            let url = format!("{base}/attempts/{attempt}/submit");
            timed(phase, || c.post_empty(&url)).await.0
        });
    }
    let mut submit_samples = Vec::new();
    while let Some(r) = set.join_next().await {
        submit_samples.push(r?);
    }
    let submit = summarize(&submit_samples, 303, phase.elapsed().as_secs_f64());

    let rate = |v: &Value| v.get("per_sec").cloned().unwrap_or(Value::Null);
    let ms = |v: &Value, k: &str| v["latency_ms"].get(k).cloned().unwrap_or(Value::Null);
    let cpu = |v: &Value, part: &str| v["cpu"][part]["cpu_ms_per_request"].clone();
    let out = json!({
        "label": args.label,
        "candidates": args.candidates,
        "think_ms": args.think_ms,
        "headline": {
            "saves_per_sec": rate(&save),
            "saves_per_sec_all_active": save["all_active_per_sec"],
            "save_p50_ms": ms(&save, "p50"),
            "save_p90_ms": ms(&save, "p90"),
            "save_p99_ms": ms(&save, "p99"),
            "save_max_ms": ms(&save, "max"),
            "save_errors": save["errors"],
            "save_cpu_ms_server": cpu(&save, "server"),
            "save_cpu_ms_postgres": cpu(&save, "postgres_backends"),
            "save_cpu_ms_loadgen": cpu(&save, "loadgen"),
            "save_rest_of_machine_cores": save["cpu"]["rest_of_machine_cores"],
            "item_pages_per_sec": rate(&item_page),
            "item_page_p50_ms": ms(&item_page, "p50"),
            "item_page_p99_ms": ms(&item_page, "p99"),
            "healthz_per_sec": rate(&healthz),
            "static_per_sec": rate(&static_anonymous),
            "static_signed_in_per_sec": rate(&static_signed_in),
            "bare_static_per_sec": rate(&bare_static),
        },
        "setup_seconds": round(setup_seconds),
        "start": summarize(&start_samples, 303, start_seconds),
        "attempts_started": started,
        "save": save,
        "item_page": item_page,
        "healthz": healthz,
        "static_anonymous": static_anonymous,
        "static_signed_in": static_signed_in,
        "bare_static": bare_static,
        "submit": submit,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

/// The database's name in a connection URL (how its PostgreSQL backends name it).
fn database_name(url: &str) -> String {
    url.rsplit('/')
        .next()
        .and_then(|s| s.split('?').next())
        .unwrap_or_default()
        .to_owned()
}

/// The paths of a candidate's day, in the order they take them, with the status each answers when it works.
const DAY_PATHS: [(&str, u16); 5] = [
    ("start", 303),
    ("item_page", 200),
    ("save", 204),
    ("review", 200),
    ("submit", 303),
];

/// A realistic day (`--day`): every candidate starts at a random moment of the start window, reads each item's
/// page, thinks, autosaves, and after the last item opens the review screen and submits. Reports each path's
/// latency and errors, the CPU of the server, PostgreSQL and this load generator over the whole day, and the
/// candidates in an exam second by second.
async fn day(args: &Args, db: &PgPool, base: &str) -> anyhow::Result<Value> {
    anyhow::ensure!(args.compression > 0.0, "--compression must be above 0");
    anyhow::ensure!(
        args.think_min_ms <= args.think_max_ms,
        "--think-min-ms must not exceed --think-max-ms"
    );
    let setup_started = Instant::now();
    let candidates = Arc::new(create_candidates(db, args.candidates).await?);
    eprintln!(
        "loadgen[{}]: {} candidates and sessions created in {:.1} s",
        args.label,
        args.candidates,
        setup_started.elapsed().as_secs_f64()
    );
    let squeeze = |ms: f64| Duration::from_secs_f64(ms / 1000.0 / args.compression);
    let spread = squeeze(args.start_spread_seconds as f64 * 1000.0);
    let (think_min, think_max) = (
        squeeze(args.think_min_ms as f64),
        squeeze(args.think_max_ms as f64),
    );
    let contents: Arc<tokio::sync::Mutex<HashMap<Uuid, Item>>> = Arc::default();
    let database = database_name(&args.database_url);
    let cpu_before = args.server_pid.map(|pid| CpuSnapshot::take(pid, &database));
    let phase = Instant::now();
    let mut set = JoinSet::new();
    for i in 0..candidates.len() {
        let (cands, base, form) = (candidates.clone(), base.to_owned(), args.form.clone());
        let (db, contents) = (db.clone(), contents.clone());
        set.spawn(async move {
            let c = &cands[i];
            let mut samples: Vec<(usize, Sample)> = Vec::with_capacity(103);
            tokio::time::sleep(spread.mul_f64(rand::random::<f64>())).await;
            let began = phase.elapsed();
            let (s, location) = timed(phase, || {
                c.post_empty(&format!("{base}/exams/{form}/start"))
            })
            .await;
            samples.push((0, s));
            let Some(attempt) = location.as_deref().and_then(attempt_of_location) else {
                return Ok((samples, began, None));
            };
            let plan = plan_of(&db, &contents, attempt).await?;
            for (position, body) in plan {
                let url = format!("{base}/attempts/{attempt}/items/{position}");
                let (s, _) = timed(phase, || c.client.get(&url).header(COOKIE, &c.cookie)).await;
                samples.push((1, s));
                let think = think_min + (think_max - think_min).mul_f64(rand::random::<f64>());
                tokio::time::sleep(think).await;
                let (s, _) = timed(phase, || c.autosave(&url, body)).await;
                samples.push((2, s));
            }
            let (s, _) = timed(phase, || {
                c.client
                    .get(format!("{base}/attempts/{attempt}/review"))
                    .header(COOKIE, &c.cookie)
            })
            .await;
            samples.push((3, s));
            let (s, _) = timed(phase, || {
                c.post_empty(&format!("{base}/attempts/{attempt}/submit"))
            })
            .await;
            samples.push((4, s));
            anyhow::Ok((samples, began, Some(phase.elapsed())))
        });
    }
    let mut by_path: Vec<Vec<Sample>> = vec![Vec::new(); DAY_PATHS.len()];
    let mut in_exam: Vec<(Duration, Option<Duration>)> = Vec::with_capacity(candidates.len());
    while let Some(r) = set.join_next().await {
        let (samples, began, ended) = r??;
        for (path, s) in samples {
            by_path[path].push(s);
        }
        in_exam.push((began, ended));
    }
    let seconds = phase.elapsed().as_secs_f64();
    let all: Vec<Sample> = by_path.iter().flatten().copied().collect();
    let ok = DAY_PATHS
        .iter()
        .zip(&by_path)
        .map(|((_, status), samples)| samples.iter().filter(|s| s.status == *status).count())
        .sum::<usize>();
    let cpu = match (cpu_before, args.server_pid) {
        (Some(before), Some(pid)) => CpuSnapshot::take(pid, &database).since(&before, ok),
        _ => Value::Null,
    };
    // Candidates between their start and their submission, and requests completed, second by second.
    let secs = seconds.ceil() as usize;
    let mut active = vec![0usize; secs + 1];
    for (began, ended) in &in_exam {
        let to = ended.map_or(secs, |e| (e.as_secs() as usize).min(secs));
        for slot in active
            .iter_mut()
            .take(to + 1)
            .skip(began.as_secs() as usize)
        {
            *slot += 1;
        }
    }
    let requests_per_second: Vec<usize> = {
        let mut counts = vec![0usize; secs + 1];
        for s in &all {
            counts[(s.end.as_secs() as usize).min(secs)] += 1;
        }
        counts
    };
    let paths: serde_json::Map<String, Value> = DAY_PATHS
        .iter()
        .zip(&by_path)
        .map(|((name, status), samples)| ((*name).to_owned(), summarize(samples, *status, seconds)))
        .collect();
    let finished = in_exam.iter().filter(|(_, e)| e.is_some()).count();
    Ok(json!({
        "label": args.label,
        "candidates": args.candidates,
        "form": args.form,
        "compression": args.compression,
        "start_spread_seconds": args.start_spread_seconds,
        "think_ms": [args.think_min_ms, args.think_max_ms],
        "seconds": round(seconds),
        "candidates_submitted": finished,
        "peak_in_exam": active.iter().max().copied().unwrap_or(0),
        "peak_requests_per_sec": requests_per_second.iter().max().copied().unwrap_or(0),
        "requests": all.len(),
        "ok": ok,
        "errors": all.len() - ok,
        "paths": paths,
        "cpu": cpu,
        "in_exam_per_second": active,
        "requests_per_second": requests_per_second,
    }))
}

/// What to post for each position of one attempt, in order, with the revisions' contents read once for the
/// whole day.
async fn plan_of(
    db: &PgPool,
    contents: &tokio::sync::Mutex<HashMap<Uuid, Item>>,
    attempt: Uuid,
) -> anyhow::Result<Vec<(i32, String)>> {
    let rows = sqlx::query(
        "SELECT position, revision_id, question_key FROM attempt_items
         WHERE attempt_id = $1 ORDER BY position",
    )
    .bind(attempt)
    .fetch_all(db)
    .await?;
    let mut contents = contents.lock().await;
    let missing: Vec<Uuid> = rows
        .iter()
        .map(|r| r.get::<Uuid, _>("revision_id"))
        .filter(|id| !contents.contains_key(id))
        .collect();
    if !missing.is_empty() {
        for r in sqlx::query("SELECT id, content FROM item_revisions WHERE id = ANY($1)")
            .bind(&missing)
            .fetch_all(db)
            .await?
        {
            let content: Value = r.get("content");
            contents.insert(r.get("id"), serde_json::from_value(content)?);
        }
    }
    rows.iter()
        .map(|r| {
            let revision: Uuid = r.get("revision_id");
            let key: String = r.get("question_key");
            let question = contents
                .get(&revision)
                .and_then(|item| ai102::exam::plan::find_question(item, &key))
                .ok_or_else(|| {
                    anyhow::anyhow!("question {key} of revision {revision} not found")
                })?;
            Ok((r.get("position"), autosave_body(question)?))
        })
        .collect()
}

/// The urlencoded body `static/exam.js` posts for an autosave of the question's key.
fn autosave_body(question: &ai102::bank::model::Question) -> anyhow::Result<String> {
    let mut fields = key_fields(question);
    fields.push(("mark_present".into(), "1".into()));
    fields.push(("go".into(), "stay".into()));
    Ok(serde_urlencoded::to_string(&fields)?)
}

/// Inserts `n` candidates with one shared password hash, and a live session for each.
async fn create_candidates(db: &PgPool, n: usize) -> anyhow::Result<Vec<Candidate>> {
    let hash = ai102::auth::password::hash("bench candidate password".into()).await?;
    let run = Uuid::new_v4().simple().to_string();
    let run = &run[..8];
    let ids: Vec<Uuid> = (0..n).map(|_| Uuid::new_v4()).collect();
    let emails: Vec<String> = (0..n)
        .map(|i| format!("bench-{run}-{i}@example.com"))
        .collect();
    let secrets: Vec<String> = (0..n).map(|_| ai102::auth::random_secret()).collect();
    let id_hashes: Vec<Vec<u8>> = secrets
        .iter()
        .map(|s| ai102::auth::hash_secret(s))
        .collect();
    let csrfs: Vec<String> = (0..n).map(|_| ai102::auth::random_secret()).collect();
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO users (id, email, display_name, password_hash, role)
         SELECT id, email, 'Bench candidate ' || i, $3, 'candidate'
         FROM UNNEST($1::uuid[], $2::text[]) WITH ORDINALITY AS t(id, email, i)",
    )
    .bind(&ids)
    .bind(&emails)
    .bind(&hash)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, expires_at)
         SELECT h, u, c, now() + interval '1 day' FROM UNNEST($1::bytea[], $2::uuid[], $3::text[]) AS t(h, u, c)",
    )
    .bind(&id_hashes)
    .bind(&ids)
    .bind(&csrfs)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    secrets
        .into_iter()
        .zip(csrfs)
        .map(|(secret, csrf)| {
            let client = Client::builder()
                .redirect(Policy::none())
                .timeout(Duration::from_secs(60))
                .pool_max_idle_per_host(1)
                .build()?;
            Ok(Candidate {
                client,
                cookie: format!("{}={secret}", ai102::auth::session::SESSION_COOKIE),
                csrf,
            })
        })
        .collect()
}

/// For each candidate, (position, urlencoded autosave body) for every item of their attempt, in order.
async fn answer_plans(
    db: &PgPool,
    attempts: &[Option<Uuid>],
) -> anyhow::Result<Vec<Vec<(i32, String)>>> {
    let ids: Vec<Uuid> = attempts.iter().flatten().copied().collect();
    let rows = sqlx::query(
        "SELECT attempt_id, position, revision_id, question_key FROM attempt_items
         WHERE attempt_id = ANY($1) ORDER BY attempt_id, position",
    )
    .bind(&ids)
    .fetch_all(db)
    .await?;
    let mut revision_ids: Vec<Uuid> = rows.iter().map(|r| r.get("revision_id")).collect();
    revision_ids.sort();
    revision_ids.dedup();
    let mut items: HashMap<Uuid, Item> = HashMap::new();
    for r in sqlx::query("SELECT id, content FROM item_revisions WHERE id = ANY($1)")
        .bind(&revision_ids)
        .fetch_all(db)
        .await?
    {
        let content: Value = r.get("content");
        items.insert(r.get("id"), serde_json::from_value(content)?);
    }
    let mut by_attempt: HashMap<Uuid, Vec<(i32, String)>> = HashMap::new();
    for r in rows {
        let attempt: Uuid = r.get("attempt_id");
        let revision: Uuid = r.get("revision_id");
        let key: String = r.get("question_key");
        let question = items
            .get(&revision)
            .and_then(|item| ai102::exam::plan::find_question(item, &key))
            .ok_or_else(|| anyhow::anyhow!("question {key} of revision {revision} not found"))?;
        by_attempt
            .entry(attempt)
            .or_default()
            .push((r.get("position"), autosave_body(question)?));
    }
    Ok(attempts
        .iter()
        .map(|a| a.and_then(|id| by_attempt.remove(&id)).unwrap_or_default())
        .collect())
}

/// The attempt id in a `/attempts/{id}/items/1` redirect.
fn attempt_of_location(location: &str) -> Option<Uuid> {
    location
        .strip_prefix("/attempts/")?
        .split('/')
        .next()?
        .parse()
        .ok()
}

/// Sends one request, reads its body, and returns the sample and the `Location` header.
async fn timed(
    phase: Instant,
    build: impl FnOnce() -> reqwest::RequestBuilder,
) -> (Sample, Option<String>) {
    let t = Instant::now();
    let (status, location) = match build().send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let location = resp
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            // Read the whole body so that the connection is reused.
            match resp.bytes().await {
                Ok(_) => (status, location),
                Err(_) => (0, None),
            }
        }
        Err(_) => (0, None),
    };
    let sample = Sample {
        end: phase.elapsed(),
        latency: t.elapsed(),
        status,
    };
    (sample, location)
}

/// Builds candidate `i`'s next request of a read phase (None: this candidate has nothing to read).
type RequestMaker =
    Arc<dyn Fn(usize, &Candidate) -> Option<reqwest::RequestBuilder> + Send + Sync + 'static>;

/// Every candidate sends the request `make` builds, back to back, for `secs` seconds.
async fn for_a_while(
    candidates: &Arc<Vec<Candidate>>,
    secs: u64,
    think_ms: u64,
    make: RequestMaker,
) -> anyhow::Result<Vec<Sample>> {
    let phase = Instant::now();
    let deadline = phase + Duration::from_secs(secs);
    let mut set = JoinSet::new();
    for i in 0..candidates.len() {
        let (cands, make) = (candidates.clone(), make.clone());
        set.spawn(async move {
            let c = &cands[i];
            let mut samples = Vec::new();
            if think_ms > 0 {
                // Spread the first requests over one think time, as candidates do not click in step.
                let first = rand::random_range(0..=think_ms);
                tokio::time::sleep(Duration::from_millis(first)).await;
            }
            while Instant::now() < deadline {
                let Some(req) = make(i, c) else { break };
                let (s, _) = timed(phase, || req).await;
                samples.push(s);
                if think_ms > 0 {
                    let pause = rand::random_range(think_ms / 2..=think_ms + think_ms / 2);
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                }
            }
            samples
        });
    }
    let mut all = Vec::new();
    while let Some(r) = set.join_next().await {
        all.extend(r?);
    }
    // Requests still in flight at the deadline finish after it; count only those done within the phase.
    all.retain(|s| s.end <= Duration::from_secs(secs));
    Ok(all)
}

/// Count, errors by status, rate of successes over `seconds`, and latency percentiles of all responses.
fn summarize(samples: &[Sample], ok_status: u16, seconds: f64) -> Value {
    let ok = samples.iter().filter(|s| s.status == ok_status).count();
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    for s in samples.iter().filter(|s| s.status != ok_status) {
        let key = if s.status == 0 {
            "no response".to_owned()
        } else {
            s.status.to_string()
        };
        *errors.entry(key).or_default() += 1;
    }
    let mut lat: Vec<f64> = samples
        .iter()
        .map(|s| s.latency.as_secs_f64() * 1000.0)
        .collect();
    lat.sort_by(f64::total_cmp);
    let pct = |q: f64| -> Value {
        if lat.is_empty() {
            return Value::Null;
        }
        let rank = ((q * lat.len() as f64).ceil() as usize).clamp(1, lat.len());
        json!(round(lat[rank - 1]))
    };
    let mean = if lat.is_empty() {
        Value::Null
    } else {
        json!(round(lat.iter().sum::<f64>() / lat.len() as f64))
    };
    json!({
        "requests": samples.len(),
        "ok": ok,
        "errors": samples.len() - ok,
        "error_statuses": errors,
        "seconds": round(seconds),
        "per_sec": round(ok as f64 / seconds.max(1e-9)),
        "latency_ms": {
            "p50": pct(0.50),
            "p90": pct(0.90),
            "p99": pct(0.99),
            "max": pct(1.0),
            "mean": mean,
        },
    })
}

/// Successful requests completed in each second of the phase.
fn timeline(samples: &[Sample], ok_status: u16) -> Vec<usize> {
    let secs = samples
        .iter()
        .map(|s| s.end.as_secs() as usize + 1)
        .max()
        .unwrap_or(0);
    let mut counts = vec![0; secs];
    for s in samples.iter().filter(|s| s.status == ok_status) {
        counts[s.end.as_secs() as usize] += 1;
    }
    counts
}

/// CPU time used so far (Linux /proc, in clock ticks of 1/100 s) by the server, by the PostgreSQL backends
/// of one database, by this process, and by the whole machine (busy, all cores).
struct CpuSnapshot {
    at: Instant,
    server: u64,
    postgres: u64,
    loadgen: u64,
    machine: u64,
}

impl CpuSnapshot {
    fn take(server_pid: u32, database: &str) -> CpuSnapshot {
        let proc_ticks = |pid: &str| -> u64 {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| {
                    // Fields after the command name (which may hold spaces): utime and stime are 14 and 15.
                    let rest = s.rsplit_once(')')?.1;
                    let f: Vec<&str> = rest.split_whitespace().collect();
                    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
                })
                .unwrap_or(0)
        };
        // Backends show "postgres: <user> <database> <client> <state>" as their command line.
        let mut postgres = 0;
        if let Ok(dir) = std::fs::read_dir("/proc") {
            for entry in dir.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if !name.bytes().all(|b| b.is_ascii_digit()) {
                    continue;
                }
                let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
                let cmdline = String::from_utf8_lossy(&cmdline);
                if cmdline.starts_with("postgres: ")
                    && cmdline.split_whitespace().nth(2) == Some(database)
                {
                    postgres += proc_ticks(&name);
                }
            }
        }
        let machine = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|s| {
                let f: Vec<u64> = s
                    .lines()
                    .next()?
                    .split_whitespace()
                    .skip(1)
                    .filter_map(|x| x.parse().ok())
                    .collect();
                // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
                Some(f.iter().take(8).sum::<u64>() - f.get(3)? - f.get(4)?)
            })
            .unwrap_or(0);
        CpuSnapshot {
            at: Instant::now(),
            server: proc_ticks(&server_pid.to_string()),
            postgres,
            loadgen: proc_ticks("self"),
            machine,
        }
    }

    /// CPU milliseconds per (successful) request of each part, and the cores each kept busy, since `before`.
    fn since(&self, before: &CpuSnapshot, requests: usize) -> Value {
        let secs = self.at.duration_since(before.at).as_secs_f64().max(1e-9);
        let ms = |a: u64, b: u64| a.saturating_sub(b) as f64 * 10.0;
        let part = |a: u64, b: u64| {
            json!({
                "cpu_ms_per_request": round(ms(a, b) / requests.max(1) as f64),
                "cores": round(ms(a, b) / 1000.0 / secs),
            })
        };
        let ours = ms(self.server, before.server)
            + ms(self.postgres, before.postgres)
            + ms(self.loadgen, before.loadgen);
        json!({
            "seconds": round(secs),
            "server": part(self.server, before.server),
            "postgres_backends": part(self.postgres, before.postgres),
            "loadgen": part(self.loadgen, before.loadgen),
            "machine_busy_cores": round(ms(self.machine, before.machine) / 1000.0 / secs),
            "rest_of_machine_cores": round((ms(self.machine, before.machine) - ours).max(0.0) / 1000.0 / secs),
        })
    }
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
