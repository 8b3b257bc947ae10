//! What the bench steps that time one page share (study_bench, classes_bench): warm GETs, one at a time, and
//! their percentiles.

use std::time::Instant;

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
