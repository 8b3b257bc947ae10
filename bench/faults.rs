//! Fault scenarios against running `ai102 serve` instances (issue 7; driven by tests/faults/run.sh).
//!
//! - `load`: N simulated candidates start the full mock exam and autosave every item as `static/exam.js`
//!   does, retrying a save that got no answer or a 502/503/504. Once a given number of saves were
//!   acknowledged, a fault command runs (kill -9 a server, stop PostgreSQL), optionally probed while it lasts
//!   (pages must answer 503 quickly, `/readyz` 503, `/healthz` 200) and followed by a recovery command. When
//!   every candidate has saved every item, it checks against the database that every acknowledged save
//!   (HTTP 204) is there with the response sent, that no deadline moved, that every attempt resumes with the
//!   time left the database gives, and that each one can be submitted.
//! - `journey`: one candidate signs up, takes a whole attempt through the forms and submits it, through a load
//!   balancer that must spread the requests over several instances (nginx's `X-Upstream` header).
//! - `clock`: two instances whose clocks are hours apart (faketime) keep one deadline, the database's.
//!
//! Every check that fails is printed; the exit status is 1 when any did. Figures go to standard output as
//! one JSON object.

use ai102::bank::model::Item;
use ai102::exam::form_answer::key_fields;
use ai102::scoring::Response;
use clap::{Args, Parser, Subcommand};
use reqwest::header::{ACCEPT, CONTENT_TYPE, COOKIE, LOCATION};
use reqwest::redirect::Policy;
use reqwest::Client;
use scraper::{Html, Selector};
use serde_json::{json, Value};
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Row};
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;
use uuid::Uuid;

#[derive(Parser)]
#[command(about = "Fault scenarios against running ai102 instances; exit 1 on any failed check")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Candidates autosaving while a fault happens; then every acknowledged save is checked.
    Load(LoadArgs),
    /// One candidate's whole attempt through a load balancer in front of several instances.
    Journey(JourneyArgs),
    /// Two instances with skewed clocks: the deadline is the database's.
    Clock(ClockArgs),
}

#[derive(Args)]
struct LoadArgs {
    /// The service (one instance, or the load balancer).
    #[arg(long)]
    base_url: String,
    /// Its database (candidates and sessions are inserted there; answers are checked there).
    #[arg(long)]
    database_url: String,
    #[arg(long, default_value_t = 200)]
    candidates: usize,
    /// The exam form's slug.
    #[arg(long, default_value = "ai102-full")]
    form: String,
    /// Mean pause before each save, in milliseconds (uniform in 0.5–1.5 times this).
    #[arg(long, default_value_t = 100)]
    think_ms: u64,
    /// A shell command that causes the fault (e.g. `kill -9 PID`); it must exit 0.
    #[arg(long)]
    fault: Option<String>,
    /// Run the fault once this many saves were acknowledged.
    #[arg(long, default_value_t = 1000)]
    fault_after_acks: usize,
    /// Seconds to leave the fault in place before recovering.
    #[arg(long, default_value_t = 3.0)]
    down_seconds: f64,
    /// While the fault lasts, check that pages answer 503 quickly, `/readyz` 503 and `/healthz` 200.
    #[arg(long)]
    probe_outage: bool,
    /// A shell command that ends the fault (e.g. restart the server); `/readyz` must then turn 200.
    #[arg(long)]
    recover: Option<String>,
    /// A candidate whose save keeps failing gives up after this many seconds (a failed check).
    #[arg(long, default_value_t = 90)]
    give_up_seconds: u64,
}

#[derive(Args)]
struct JourneyArgs {
    /// The load balancer.
    #[arg(long)]
    base_url: String,
    #[arg(long)]
    database_url: String,
    /// How many different upstreams (`X-Upstream`) must have answered.
    #[arg(long, default_value_t = 3)]
    expect_upstreams: usize,
    #[arg(long, default_value = "quick-15")]
    form: String,
}

#[derive(Args)]
struct ClockArgs {
    /// An instance whose clock is behind.
    #[arg(long)]
    behind_url: String,
    /// An instance whose clock is ahead.
    #[arg(long)]
    ahead_url: String,
    #[arg(long)]
    database_url: String,
    /// How far each instance's clock is off, in hours.
    #[arg(long, default_value_t = 3)]
    skew_hours: i64,
}

/// Failed checks, printed at the end.
#[derive(Default)]
struct Checks {
    failed: Vec<String>,
}

impl Checks {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            let msg = what();
            eprintln!("faults: FAILED: {msg}");
            self.failed.push(msg);
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<std::process::ExitCode> {
    let cli = Cli::parse();
    let mut checks = Checks::default();
    let report = match cli.command {
        Command::Load(a) => load(a, &mut checks).await?,
        Command::Journey(a) => journey(a, &mut checks).await?,
        Command::Clock(a) => clock(a, &mut checks).await?,
    };
    println!("{}", serde_json::to_string_pretty(&report)?);
    if checks.failed.is_empty() {
        Ok(std::process::ExitCode::SUCCESS)
    } else {
        eprintln!("faults: {} check(s) failed", checks.failed.len());
        Ok(std::process::ExitCode::FAILURE)
    }
}

async fn pool(url: &str) -> anyhow::Result<PgPool> {
    Ok(PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(30))
        .connect(url)
        .await?)
}

/// A simulated candidate: their browser's session cookie and CSRF token.
struct Candidate {
    client: Client,
    cookie: String,
    csrf: String,
}

/// What a candidate posts for one item, and what the database must then hold.
struct PlannedSave {
    position: i32,
    body: String,
    expected: Value,
}

/// A save the server acknowledged (204).
struct Ack {
    attempt: Uuid,
    position: i32,
    expected: Value,
    at: Instant,
}

/// How one candidate's save phase ended.
#[derive(Default)]
struct SaveRun {
    acks: Vec<Ack>,
    retries: usize,
    /// Statuses other than 204 that a retry cannot fix.
    unexpected: Vec<u16>,
    gave_up: bool,
}

async fn load(a: LoadArgs, checks: &mut Checks) -> anyhow::Result<Value> {
    let base = a.base_url.trim_end_matches('/').to_owned();
    let db = pool(&a.database_url).await?;
    let candidates = Arc::new(create_candidates(&db, a.candidates).await?);

    // Start every attempt (retrying like a candidate who clicks again).
    let mut set = JoinSet::new();
    for i in 0..candidates.len() {
        let (cands, base, form) = (candidates.clone(), base.clone(), a.form.clone());
        set.spawn(async move {
            let c = &cands[i];
            for retry in 0..20u64 {
                let resp = c
                    .client
                    .post(format!("{base}/exams/{form}/start"))
                    .header(COOKIE, &c.cookie)
                    .header("x-csrf-token", &c.csrf)
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body("")
                    .send()
                    .await;
                let id = resp.ok().and_then(|r| {
                    r.headers()
                        .get(LOCATION)
                        .and_then(|v| v.to_str().ok())
                        .and_then(attempt_of_location)
                });
                if let Some(id) = id {
                    return (i, Some(id));
                }
                tokio::time::sleep(Duration::from_millis(200 * (retry + 1))).await;
            }
            (i, None)
        });
    }
    let mut attempts = vec![Uuid::nil(); candidates.len()];
    while let Some(r) = set.join_next().await {
        let (i, id) = r?;
        attempts[i] = id.ok_or_else(|| anyhow::anyhow!("candidate {i} could not start"))?;
    }
    let attempts = Arc::new(attempts);
    let deadlines_before = deadlines(&db, &attempts).await?;
    let plans = Arc::new(answer_plans(&db, &attempts).await?);
    let planned: usize = plans.iter().map(Vec::len).sum();
    eprintln!(
        "faults: {} attempts started, {planned} saves planned",
        attempts.len()
    );

    let acked = Arc::new(AtomicUsize::new(0));
    let fault_at: Arc<Mutex<Option<Instant>>> = Arc::default();
    let started = Instant::now();
    let give_up = Duration::from_secs(a.give_up_seconds);
    let mut set = JoinSet::new();
    for i in 0..candidates.len() {
        let (cands, plans, attempts, base) = (
            candidates.clone(),
            plans.clone(),
            attempts.clone(),
            base.clone(),
        );
        let (acked, think) = (acked.clone(), a.think_ms);
        set.spawn(async move {
            let c = &cands[i];
            let attempt = attempts[i];
            let mut run = SaveRun::default();
            if think > 0 {
                tokio::time::sleep(Duration::from_millis(rand::random_range(0..=think))).await;
            }
            'items: for save in &plans[i] {
                if think > 0 {
                    let pause = rand::random_range(think / 2..=think + think / 2);
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                }
                let first_try = Instant::now();
                let mut backoff = Duration::from_millis(200);
                loop {
                    let status = c
                        .client
                        .post(format!("{base}/attempts/{attempt}/items/{}", save.position))
                        .header(COOKIE, &c.cookie)
                        .header("x-csrf-token", &c.csrf)
                        .header(ACCEPT, "application/json")
                        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                        .body(save.body.clone())
                        .send()
                        .await
                        .map(|r| r.status().as_u16())
                        .unwrap_or(0);
                    match status {
                        204 => {
                            run.acks.push(Ack {
                                attempt,
                                position: save.position,
                                expected: save.expected.clone(),
                                at: Instant::now(),
                            });
                            acked.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                        0 | 502..=504 => {
                            if first_try.elapsed() > give_up {
                                run.gave_up = true;
                                break 'items;
                            }
                            run.retries += 1;
                            tokio::time::sleep(backoff).await;
                            backoff = (backoff * 2).min(Duration::from_secs(2));
                        }
                        other => {
                            run.unexpected.push(other);
                            break;
                        }
                    }
                }
            }
            run
        });
    }

    // The fault, while the candidates are saving.
    let mut fault_report = Value::Null;
    if let Some(cmd) = &a.fault {
        let wait_until = Instant::now() + Duration::from_secs(180);
        while acked.load(Ordering::Relaxed) < a.fault_after_acks.min(planned) {
            anyhow::ensure!(
                Instant::now() < wait_until,
                "only {} saves were acknowledged in 180 s",
                acked.load(Ordering::Relaxed)
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let acks_before = acked.load(Ordering::Relaxed);
        shell(cmd).await?;
        let at = Instant::now();
        *fault_at.lock().unwrap() = Some(at);
        eprintln!("faults: fault `{cmd}` after {acks_before} acknowledged saves");
        let probe = if a.probe_outage {
            tokio::time::sleep(Duration::from_millis(300)).await;
            probe_outage(&base, &candidates[0], attempts[0], checks).await
        } else {
            Value::Null
        };
        let left = Duration::from_secs_f64(a.down_seconds).saturating_sub(at.elapsed());
        tokio::time::sleep(left).await;
        let mut recovered_seconds = Value::Null;
        if let Some(cmd) = &a.recover {
            let t = Instant::now();
            shell(cmd).await?;
            let ready = wait_ready(&base, Duration::from_secs(90)).await;
            checks.check(ready, || {
                format!("/readyz did not answer 200 within 90 s of `{cmd}`")
            });
            recovered_seconds = json!(round(t.elapsed().as_secs_f64()));
            eprintln!("faults: recovered; /readyz 200 after {recovered_seconds} s");
        }
        fault_report = json!({
            "command": cmd,
            "acks_before": acks_before,
            "outage_probe": probe,
            "down_seconds": round(at.elapsed().as_secs_f64()),
            "ready_again_seconds_after_recover": recovered_seconds,
        });
    }

    let mut runs = Vec::new();
    while let Some(r) = set.join_next().await {
        runs.push(r?);
    }
    let save_seconds = started.elapsed().as_secs_f64();
    let fault_at = *fault_at.lock().unwrap();
    let acks: Vec<&Ack> = runs.iter().flat_map(|r| &r.acks).collect();
    let acked_before_fault = fault_at.map_or(0, |f| acks.iter().filter(|k| k.at < f).count());
    let retries: usize = runs.iter().map(|r| r.retries).sum();
    let gave_up = runs.iter().filter(|r| r.gave_up).count();
    let unexpected: Vec<u16> = runs.iter().flat_map(|r| r.unexpected.clone()).collect();
    eprintln!(
        "faults: {} saves acknowledged ({acked_before_fault} before the fault), {retries} retries, in {save_seconds:.1} s",
        acks.len()
    );
    checks.check(gave_up == 0, || {
        format!("{gave_up} candidates gave up: their saves kept failing")
    });
    checks.check(unexpected.is_empty(), || {
        format!("saves answered other than 204 or 5xx: {unexpected:?}")
    });
    checks.check(acks.len() == planned, || {
        format!("{} of {planned} planned saves acknowledged", acks.len())
    });
    if a.fault.is_some() {
        checks.check(acked_before_fault > 0 && acked_before_fault < planned, || {
            format!("the fault did not happen during the saves ({acked_before_fault} of {planned} before it)")
        });
    }

    // Every acknowledged save is in the database, as sent.
    let stored: HashMap<(Uuid, i32), Option<Value>> = sqlx::query(
        "SELECT attempt_id, position, response FROM answers WHERE attempt_id = ANY($1)",
    )
    .bind(&attempts[..])
    .fetch_all(&db)
    .await?
    .into_iter()
    .map(|r| ((r.get("attempt_id"), r.get("position")), r.get("response")))
    .collect();
    let mut lost = Vec::new();
    for k in &acks {
        if stored
            .get(&(k.attempt, k.position))
            .cloned()
            .flatten()
            .as_ref()
            != Some(&k.expected)
        {
            lost.push(format!("{}#{}", k.attempt, k.position));
        }
    }
    checks.check(lost.is_empty(), || {
        format!(
            "{} acknowledged saves are missing or different in the database, e.g. {:?}",
            lost.len(),
            &lost[..lost.len().min(5)]
        )
    });

    // No deadline moved, and every attempt is still open.
    let deadlines_after = deadlines(&db, &attempts).await?;
    let moved = attempts
        .iter()
        .filter(|id| deadlines_before.get(id) != deadlines_after.get(id))
        .count();
    checks.check(moved == 0, || {
        format!("{moved} attempts have a different deadline or ended")
    });

    // Every attempt resumes, showing the time left by the database's clock.
    let mut worst_skew = 0f64;
    let mut resume_failures = Vec::new();
    for (i, c) in candidates.iter().enumerate() {
        let id = attempts[i];
        let left: f64 = sqlx::query_scalar(
            "SELECT extract(epoch FROM deadline - now())::float8 FROM attempts WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&db)
        .await?;
        let resp = c
            .client
            .get(format!("{base}/attempts/{id}/items/1"))
            .header(COOKIE, &c.cookie)
            .send()
            .await?;
        let status = resp.status().as_u16();
        let html = resp.text().await?;
        let shown = attr(&html, "[data-testid=timer]", "data-seconds-left")
            .and_then(|s| s.parse::<f64>().ok());
        match shown {
            Some(s) if status == 200 => {
                // Shown after `left` was read, floored: within [left - 10, left + 1].
                let skew = left - s;
                worst_skew = worst_skew.max(skew.abs());
                if !(-1.0..=10.0).contains(&skew) {
                    resume_failures.push(format!("{id}: shows {s} s left, the database {left:.0}"));
                }
            }
            _ => resume_failures.push(format!("{id}: status {status}, no time left shown")),
        }
    }
    checks.check(resume_failures.is_empty(), || {
        format!(
            "{} attempts do not resume right, e.g. {:?}",
            resume_failures.len(),
            &resume_failures[..resume_failures.len().min(3)]
        )
    });

    // Each attempt can be submitted once.
    let mut submit_statuses = Vec::new();
    for (i, c) in candidates.iter().enumerate() {
        let status = c
            .client
            .post(format!("{base}/attempts/{}/submit", attempts[i]))
            .header(COOKIE, &c.cookie)
            .header("x-csrf-token", &c.csrf)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body("")
            .send()
            .await?
            .status()
            .as_u16();
        submit_statuses.push(status);
    }
    let submitted: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM attempts WHERE id = ANY($1) AND ended_reason = 'submitted' AND scaled_score IS NOT NULL",
    )
    .bind(&attempts[..])
    .fetch_one(&db)
    .await?;
    checks.check(
        submit_statuses.iter().all(|s| *s == 303) && submitted as usize == attempts.len(),
        || format!("{submitted} of {} attempts submitted", attempts.len()),
    );

    Ok(json!({
        "scenario": "load",
        "candidates": a.candidates,
        "planned_saves": planned,
        "acknowledged_saves": acks.len(),
        "acknowledged_before_fault": acked_before_fault,
        "retries": retries,
        "save_seconds": round(save_seconds),
        "fault": fault_report,
        "lost_saves": lost.len(),
        "deadlines_moved": moved,
        "resume_worst_difference_seconds": round(worst_skew),
        "submitted": submitted,
    }))
}

/// While the database is down: a page answers 503 quickly with the error page, `/readyz` 503, `/healthz` 200.
async fn probe_outage(base: &str, c: &Candidate, attempt: Uuid, checks: &mut Checks) -> Value {
    let client = Client::builder()
        .redirect(Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let t = Instant::now();
    let page = client
        .get(format!("{base}/attempts/{attempt}/items/1"))
        .header(COOKIE, &c.cookie)
        .send()
        .await;
    let page_seconds = t.elapsed().as_secs_f64();
    let (page_status, retry_after, message) = match page {
        Ok(r) => {
            let status = r.status().as_u16();
            let retry = r.headers().contains_key("retry-after");
            let html = r.text().await.unwrap_or_default();
            (status, retry, text(&html, ".message"))
        }
        Err(_) => (0, false, None),
    };
    checks.check(page_status == 503 && retry_after, || {
        format!("an exam page answered {page_status} (Retry-After: {retry_after}) while the database was down, not 503")
    });
    checks.check(
        message
            .as_deref()
            .is_some_and(|m| m.contains("temporarily unavailable")),
        || format!("the 503 page does not say the service is unavailable: {message:?}"),
    );
    checks.check(page_seconds < 10.0, || {
        format!("the 503 took {page_seconds:.1} s (more than 10 s)")
    });
    let status = |path: &'static str| {
        let client = client.clone();
        let url = format!("{base}{path}");
        async move {
            client
                .get(url)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }
    };
    let t = Instant::now();
    let readyz = status("/readyz").await;
    let readyz_seconds = t.elapsed().as_secs_f64();
    let healthz = status("/healthz").await;
    checks.check(readyz == 503 && readyz_seconds < 10.0, || {
        format!("/readyz answered {readyz} in {readyz_seconds:.1} s while the database was down")
    });
    checks.check(healthz == 200, || {
        format!("/healthz answered {healthz} while the database was down")
    });
    eprintln!("faults: while down: page {page_status} in {page_seconds:.2} s, /readyz {readyz} in {readyz_seconds:.2} s, /healthz {healthz}");
    json!({
        "page_status": page_status,
        "page_seconds": round(page_seconds),
        "page_message": message,
        "readyz_status": readyz,
        "readyz_seconds": round(readyz_seconds),
        "healthz_status": healthz,
    })
}

async fn wait_ready(base: &str, within: Duration) -> bool {
    let client = Client::new();
    let until = Instant::now() + within;
    while Instant::now() < until {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await {
            if r.status() == 200 {
                return true;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

async fn shell(cmd: &str) -> anyhow::Result<()> {
    let owned = cmd.to_owned();
    let status = tokio::task::spawn_blocking(move || {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(owned)
            .status()
    })
    .await??;
    anyhow::ensure!(status.success(), "`{cmd}` failed: {status}");
    Ok(())
}

/// Each attempt's deadline (epoch seconds) and whether it is open.
async fn deadlines(db: &PgPool, attempts: &[Uuid]) -> anyhow::Result<HashMap<Uuid, (f64, bool)>> {
    Ok(sqlx::query(
        "SELECT id, extract(epoch FROM deadline)::float8 AS d, ended_at IS NULL AS open
         FROM attempts WHERE id = ANY($1)",
    )
    .bind(attempts)
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| (r.get("id"), (r.get("d"), r.get("open"))))
    .collect())
}

/// One candidate signs up and takes a whole attempt through the forms, request after request landing on
/// whichever instance the load balancer picks; two tabs submit at once at the end.
async fn journey(a: JourneyArgs, checks: &mut Checks) -> anyhow::Result<Value> {
    let base = a.base_url.trim_end_matches('/').to_owned();
    let db = pool(&a.database_url).await?;
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let client = Client::builder()
        .cookie_provider(jar.clone())
        .redirect(Policy::none())
        .timeout(Duration::from_secs(30))
        .build()?;
    let mut upstreams = BTreeSet::new();
    let mut requests = 0usize;
    let mut note = |r: &reqwest::Response| {
        requests += 1;
        if let Some(u) = r.headers().get("x-upstream").and_then(|v| v.to_str().ok()) {
            upstreams.insert(u.to_owned());
        }
    };

    let get = |path: String| client.get(format!("{base}{path}")).send();
    let r = get("/signup".into()).await?;
    note(&r);
    let token = attr(&r.text().await?, "input[name=csrf_token]", "value")
        .ok_or_else(|| anyhow::anyhow!("no CSRF token on /signup"))?;
    let email = format!(
        "journey-{}@example.com",
        &Uuid::new_v4().simple().to_string()[..8]
    );
    let password = "a journey across three instances";
    let r = client
        .post(format!("{base}/signup"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", &email),
            ("display_name", "Journey candidate"),
            ("password", password),
            ("password_confirm", password),
        ])
        .send()
        .await?;
    note(&r);
    checks.check(r.status() == 303, || {
        format!("sign-up answered {}", r.status())
    });

    let r = get("/exams".into()).await?;
    note(&r);
    let token = attr(&r.text().await?, "input[name=csrf_token]", "value")
        .ok_or_else(|| anyhow::anyhow!("no start form on /exams"))?;
    let r = client
        .post(format!("{base}/exams/{}/start", a.form))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await?;
    note(&r);
    let attempt = r
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(attempt_of_location)
        .ok_or_else(|| anyhow::anyhow!("starting the attempt answered {}", r.status()))?;
    let plan = answer_plans(&db, &[attempt]).await?.remove(0);

    // Every item through its form, as a browser without JavaScript posts it, moving on with Next.
    for save in &plan {
        let r = get(format!("/attempts/{attempt}/items/{}", save.position)).await?;
        note(&r);
        let status = r.status();
        let token = attr(
            &r.text().await?,
            "#item-form input[name=csrf_token]",
            "value",
        );
        checks.check(status == 200 && token.is_some(), || {
            format!("item {} answered {status}", save.position)
        });
        let body = save
            .body
            .replace("go=stay", "go=next")
            .replace("mark_present=1&", "")
            + &format!("&csrf_token={}", token.unwrap_or_default());
        let r = client
            .post(format!("{base}/attempts/{attempt}/items/{}", save.position))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await?;
        note(&r);
        checks.check(r.status() == 303, || {
            format!("saving item {} answered {}", save.position, r.status())
        });
    }
    let r = get(format!("/attempts/{attempt}/review")).await?;
    note(&r);
    let review = r.text().await?;
    let summary = text(&review, "[data-testid=review-summary]").unwrap_or_default();
    checks.check(
        summary.starts_with(&format!("{} answered · 0 unanswered", plan.len())),
        || format!("the review page says {summary:?}"),
    );
    let token = attr(
        &review,
        "form[action$=submit] input[name=csrf_token]",
        "value",
    )
    .ok_or_else(|| anyhow::anyhow!("no submit form on the review page"))?;
    // Two tabs submit at once; the load balancer sends them to different instances.
    let submit = || {
        client
            .post(format!("{base}/attempts/{attempt}/submit"))
            .form(&[("csrf_token", token.as_str())])
            .send()
    };
    let (s1, s2) = tokio::join!(submit(), submit());
    let (s1, s2) = (s1?, s2?);
    note(&s1);
    note(&s2);
    checks.check(s1.status() == 303 && s2.status() == 303, || {
        format!(
            "the two submits answered {} and {}",
            s1.status(),
            s2.status()
        )
    });
    let r = get(format!("/attempts/{attempt}/result")).await?;
    note(&r);
    let shown = text(&r.text().await?, "[data-testid=scaled-score]");
    let row = sqlx::query(
        "SELECT scaled_score, ended_reason, (SELECT count(*) FROM answers WHERE attempt_id = $1 AND earned IS NOT NULL) AS scored
         FROM attempts WHERE id = $1",
    )
    .bind(attempt)
    .fetch_one(&db)
    .await?;
    let scaled: Option<i32> = row.get("scaled_score");
    let reason: Option<String> = row.get("ended_reason");
    let scored: i64 = row.get("scored");
    checks.check(
        scaled == Some(1000) && shown.as_deref() == Some("1000"),
        || format!("every key was posted, yet the score is {scaled:?} (page: {shown:?})"),
    );
    checks.check(reason.as_deref() == Some("submitted"), || {
        format!("the attempt ended as {reason:?}")
    });
    checks.check(scored as usize == plan.len(), || {
        format!("{scored} answers scored for {} items", plan.len())
    });
    checks.check(upstreams.len() >= a.expect_upstreams, || {
        format!(
            "only {} upstreams answered ({upstreams:?}); expected {}",
            upstreams.len(),
            a.expect_upstreams
        )
    });
    Ok(json!({
        "scenario": "journey",
        "attempt": attempt,
        "items": plan.len(),
        "requests": requests,
        "upstreams": upstreams,
        "scaled_score": scaled,
    }))
}

/// Two instances, one clock hours behind and one hours ahead: an attempt started on one shows the same time
/// left on both, saves are taken while the database says there is time and refused once it says there is
/// none, whatever each instance's own clock says.
async fn clock(a: ClockArgs, checks: &mut Checks) -> anyhow::Result<Value> {
    let behind = a.behind_url.trim_end_matches('/').to_owned();
    let ahead = a.ahead_url.trim_end_matches('/').to_owned();
    let db = pool(&a.database_url).await?;
    let skew = a.skew_hours * 3600;

    // The skew is in effect: each instance's Date header is hours off.
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut offsets = Vec::new();
    for (url, sign) in [(&behind, -1), (&ahead, 1)] {
        let r = Client::new().get(format!("{url}/healthz")).send().await?;
        let date = r
            .headers()
            .get("date")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_http_date);
        let offset = date.map(|d| d - now);
        checks.check(
            offset.is_some_and(|o| (o - sign * skew).abs() < 600),
            || {
                format!(
                    "{url}'s clock is off by {offset:?} s, not {} s: is faketime in effect?",
                    sign * skew
                )
            },
        );
        offsets.push(offset);
    }

    let c = create_candidates(&db, 1).await?.remove(0);
    let post = |url: String, body: String, accept_json: bool| {
        let mut req = c
            .client
            .post(url)
            .header(COOKIE, &c.cookie)
            .header("x-csrf-token", &c.csrf)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded");
        if accept_json {
            req = req.header(ACCEPT, "application/json");
        }
        req.body(body).send()
    };
    let r = post(
        format!("{behind}/exams/quick-15/start"),
        String::new(),
        false,
    )
    .await?;
    let attempt = r
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(attempt_of_location)
        .ok_or_else(|| {
            anyhow::anyhow!("starting on the instance behind answered {}", r.status())
        })?;
    let row = sqlx::query(
        "SELECT extract(epoch FROM deadline - started_at)::float8 AS duration,
                abs(extract(epoch FROM started_at - now()))::float8 AS age
         FROM attempts WHERE id = $1",
    )
    .bind(attempt)
    .fetch_one(&db)
    .await?;
    let (duration, age): (f64, f64) = (row.get("duration"), row.get("age"));
    checks.check(duration == 25.0 * 60.0 && age < 120.0, || {
        format!("the attempt started {age:.0} s from the database's now with {duration} s: not the database's clock")
    });

    let seconds_left = |url: String| {
        let c = &c;
        async move {
            let html = c
                .client
                .get(url)
                .header(COOKIE, &c.cookie)
                .send()
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            attr(&html, "[data-testid=timer]", "data-seconds-left")?
                .parse::<i64>()
                .ok()
        }
    };
    let left_behind = seconds_left(format!("{behind}/attempts/{attempt}/items/1")).await;
    let left_ahead = seconds_left(format!("{ahead}/attempts/{attempt}/items/1")).await;
    for (name, left) in [("behind", left_behind), ("ahead", left_ahead)] {
        checks.check(left.is_some_and(|s| (1380..=1500).contains(&s)), || {
            format!("the instance {name} shows {left:?} s left of 1500")
        });
    }

    let plan = answer_plans(&db, &[attempt]).await?.remove(0);
    let (first, second) = (&plan[0], &plan[1]);
    // The instance ahead (its clock says the deadline is hours past) takes a save in time.
    let r = post(
        format!("{ahead}/attempts/{attempt}/items/{}", first.position),
        first.body.clone(),
        true,
    )
    .await?;
    let in_time = r.status().as_u16();
    checks.check(in_time == 204, || {
        format!("a save in time answered {in_time} on the instance ahead")
    });

    // The database says the time is up; the instance behind (its clock says hours are left) refuses.
    sqlx::query("UPDATE attempts SET deadline = now() - interval '1 second' WHERE id = $1")
        .bind(attempt)
        .execute(&db)
        .await?;
    let r = post(
        format!("{behind}/attempts/{attempt}/items/{}", second.position),
        second.body.clone(),
        true,
    )
    .await?;
    let late = r.status().as_u16();
    checks.check(late == 422, || {
        format!("a late save answered {late} on the instance behind, not 422")
    });
    let row = sqlx::query(
        "SELECT ended_reason, (SELECT count(*) FROM answers WHERE attempt_id = $1 AND response IS NOT NULL) AS saved
         FROM attempts WHERE id = $1",
    )
    .bind(attempt)
    .fetch_one(&db)
    .await?;
    let reason: Option<String> = row.get("ended_reason");
    let saved: i64 = row.get("saved");
    checks.check(reason.as_deref() == Some("expired") && saved == 1, || {
        format!("after the deadline: ended {reason:?}, {saved} answers saved (expected expired, 1)")
    });
    Ok(json!({
        "scenario": "clock",
        "instance_clock_offsets_seconds": offsets,
        "seconds_left_shown": { "behind": left_behind, "ahead": left_ahead },
        "save_in_time_on_instance_ahead": in_time,
        "late_save_on_instance_behind": late,
        "ended_reason": reason,
    }))
}

/// Inserts `n` candidates and a live session for each (signing up is not what is tested; argon2 is slow).
async fn create_candidates(db: &PgPool, n: usize) -> anyhow::Result<Vec<Candidate>> {
    let hash = ai102::auth::password::hash("faults candidate password".into()).await?;
    let run = Uuid::new_v4().simple().to_string();
    let ids: Vec<Uuid> = (0..n).map(|_| Uuid::new_v4()).collect();
    let emails: Vec<String> = (0..n)
        .map(|i| format!("faults-{}-{i}@example.com", &run[..8]))
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
         SELECT id, email, 'Faults candidate ' || i, $3, 'candidate'
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
            Ok(Candidate {
                client: Client::builder()
                    .redirect(Policy::none())
                    .timeout(Duration::from_secs(30))
                    .pool_max_idle_per_host(1)
                    .build()?,
                cookie: format!("{}={secret}", ai102::auth::session::SESSION_COOKIE),
                csrf,
            })
        })
        .collect()
}

/// For each attempt, every item's autosave body (the key, as a good candidate answers) and the response the
/// database must then hold, in position order.
async fn answer_plans(db: &PgPool, attempts: &[Uuid]) -> anyhow::Result<Vec<Vec<PlannedSave>>> {
    let rows = sqlx::query(
        "SELECT ai.attempt_id, ai.position, ai.question_key, r.content FROM attempt_items ai
         JOIN item_revisions r ON r.id = ai.revision_id
         WHERE ai.attempt_id = ANY($1) ORDER BY ai.attempt_id, ai.position",
    )
    .bind(attempts)
    .fetch_all(db)
    .await?;
    let mut by_attempt: HashMap<Uuid, Vec<PlannedSave>> = HashMap::new();
    for r in rows {
        let item: Item = serde_json::from_value(r.get("content"))?;
        let key: String = r.get("question_key");
        let question = ai102::exam::plan::find_question(&item, &key)
            .ok_or_else(|| anyhow::anyhow!("question {key} not found"))?;
        let mut fields = key_fields(question);
        fields.push(("mark_present".into(), "1".into()));
        fields.push(("go".into(), "stay".into()));
        by_attempt
            .entry(r.get("attempt_id"))
            .or_default()
            .push(PlannedSave {
                position: r.get("position"),
                body: serde_urlencoded::to_string(&fields)?,
                expected: serde_json::to_value(Response::key(question))?,
            });
    }
    Ok(attempts
        .iter()
        .map(|id| by_attempt.remove(id).unwrap_or_default())
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

fn attr(html: &str, selector: &str, name: &str) -> Option<String> {
    let sel = Selector::parse(selector).ok()?;
    Html::parse_document(html)
        .select(&sel)
        .next()?
        .value()
        .attr(name)
        .map(str::to_owned)
}

fn text(html: &str, selector: &str) -> Option<String> {
    let sel = Selector::parse(selector).ok()?;
    let doc = Html::parse_document(html);
    let el = doc.select(&sel).next()?;
    Some(el.text().collect::<String>().trim().to_owned())
}

/// Unix seconds of an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn parse_http_date(s: &str) -> Option<i64> {
    let f: Vec<&str> = s.split_whitespace().collect();
    let [_, day, month, year, hms, "GMT"] = f[..] else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == month)? as u8 + 1;
    let date = time::Date::from_calendar_date(
        year.parse().ok()?,
        time::Month::try_from(month).ok()?,
        day.parse().ok()?,
    )
    .ok()?;
    let mut t = hms.split(':').map(|x| x.parse::<u8>());
    let time = time::Time::from_hms(t.next()?.ok()?, t.next()?.ok()?, t.next()?.ok()?).ok()?;
    Some(date.with_time(time).assume_utc().unix_timestamp())
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
