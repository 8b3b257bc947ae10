//! What the bench steps that time pages share (study_bench, classes_bench, analytics_bench): a signed-in
//! session, warm GETs one at a time, and their percentiles.
// Each bench includes this file as a module and uses part of it.
#![allow(dead_code)]

use std::time::Instant;
use uuid::Uuid;

/// Milliseconds of `runs` warm GETs (after 3 untimed ones), sorted.
pub async fn timings(
    client: &reqwest::Client,
    url: &str,
    cookie: &str,
    runs: usize,
) -> anyhow::Result<Vec<f64>> {
    for _ in 0..3 {
        let r = client
            .get(url)
            .header(reqwest::header::COOKIE, cookie)
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "{url}: {}", r.status());
        r.bytes().await?;
    }
    let mut ms = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let r = client
            .get(url)
            .header(reqwest::header::COOKIE, cookie)
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "{url}: {}", r.status());
        r.bytes().await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    Ok(ms)
}

pub fn pct(ms: &[f64], p: f64) -> f64 {
    let i = ((ms.len() as f64 * p).ceil() as usize).clamp(1, ms.len()) - 1;
    (ms[i] * 10.0).round() / 10.0
}

/// A signed-in session for `user`, as the server stores it; returns the `Cookie` header's value.
pub async fn session_cookie(db: &sqlx::PgPool, user: Uuid) -> anyhow::Result<String> {
    let secret = ai102::auth::random_secret();
    ai102::store::users::create_session(
        db,
        user,
        &ai102::auth::hash_secret(&secret),
        &ai102::auth::random_secret(),
    )
    .await?;
    Ok(format!("{}={secret}", ai102::auth::session::SESSION_COOKIE))
}
