//! The service's Prometheus metrics: request latency by route, answer saves, and, read at scrape time,
//! attempts in progress and the database pool. A small registry of its own (atomics and one mutex-guarded
//! map) rather than the `metrics` crates: four series families do not need a global recorder.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds (Prometheus' default buckets).
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default, Clone)]
struct Histogram {
    /// Observations at or below each bound (not cumulative; summed when written).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            self.buckets[i] += 1;
        }
        self.count += 1;
        self.sum += seconds;
    }
}

/// Route template → (method, status class) → latencies. Keyed by route first so that recording a request
/// looks the route up by `&str` and allocates nothing once the route has been seen.
type Requests = BTreeMap<String, BTreeMap<(&'static str, &'static str), Histogram>>;

/// What the service counts while it runs.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<Requests>,
    answer_saves: AtomicU64,
}

/// What is read from the database and the pool when the metrics are scraped.
pub struct Gauges {
    pub attempts_in_progress: i64,
    pub pool_idle: u64,
    pub pool_in_use: u64,
}

/// "2xx", "4xx", …: classes keep the number of series small.
pub fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

impl Metrics {
    /// Records one request; `route` is the matched route template (`/attempts/{id}`), never the raw path.
    pub fn observe_request(
        &self,
        method: &'static str,
        route: &str,
        status: u16,
        elapsed: Duration,
    ) {
        let key = (method, status_class(status));
        let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        let by_route = match requests.get_mut(route) {
            Some(r) => r,
            None => requests.entry(route.to_owned()).or_default(),
        };
        by_route
            .entry(key)
            .or_default()
            .observe(elapsed.as_secs_f64());
    }

    /// An answer was saved (web form, autosave or API).
    pub fn answer_saved(&self) {
        self.answer_saves.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn render(&self, gauges: &Gauges) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP ai102_http_request_duration_seconds Time to answer HTTP requests, by method, \
             route template and status class.\n\
             # TYPE ai102_http_request_duration_seconds histogram\n",
        );
        let requests = self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let series = requests.iter().flat_map(|(route, m)| {
            m.iter()
                .map(move |((method, class), h)| (method, route, class, h))
        });
        for (method, route, class, h) in series {
            let labels = format!(
                "method=\"{}\",route=\"{}\",status=\"{class}\"",
                escape(method),
                escape(route)
            );
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(h.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "ai102_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "ai102_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "ai102_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "ai102_http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        let _ = write!(
            out,
            "# HELP ai102_answer_saves_total Answers saved (pages, autosave and API).\n\
             # TYPE ai102_answer_saves_total counter\n\
             ai102_answer_saves_total {}\n\
             # HELP ai102_attempts_in_progress Attempts not ended whose time has not run out.\n\
             # TYPE ai102_attempts_in_progress gauge\n\
             ai102_attempts_in_progress {}\n\
             # HELP ai102_db_pool_connections Connections of the primary database pool.\n\
             # TYPE ai102_db_pool_connections gauge\n\
             ai102_db_pool_connections{{state=\"idle\"}} {}\n\
             ai102_db_pool_connections{{state=\"in_use\"}} {}\n",
            self.answer_saves.load(Ordering::Relaxed),
            gauges.attempts_in_progress,
            gauges.pool_idle,
            gauges.pool_in_use,
        );
        out
    }
}

/// A label value as the exposition format wants it.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_labels_name_the_route_template() {
        let m = Metrics::default();
        m.observe_request("GET", "/attempts/{id}", 200, Duration::from_millis(3));
        m.observe_request("GET", "/attempts/{id}", 204, Duration::from_millis(300));
        m.observe_request("GET", "/attempts/{id}", 404, Duration::from_millis(3));
        m.answer_saved();
        let text = m.render(&Gauges {
            attempts_in_progress: 2,
            pool_idle: 3,
            pool_in_use: 1,
        });
        let ok = "method=\"GET\",route=\"/attempts/{id}\",status=\"2xx\"";
        assert!(text.contains(&format!(
            "ai102_http_request_duration_seconds_bucket{{{ok},le=\"0.005\"}} 1\n"
        )));
        assert!(text.contains(&format!(
            "ai102_http_request_duration_seconds_bucket{{{ok},le=\"0.5\"}} 2\n"
        )));
        assert!(text.contains(&format!(
            "ai102_http_request_duration_seconds_count{{{ok}}} 2\n"
        )));
        assert!(text.contains("status=\"4xx\",le=\"+Inf\"} 1\n"));
        assert!(text.contains("ai102_answer_saves_total 1\n"));
        assert!(text.contains("ai102_attempts_in_progress 2\n"));
        assert!(text.contains("ai102_db_pool_connections{state=\"in_use\"} 1\n"));
    }

    #[test]
    fn status_classes() {
        assert_eq!(status_class(204), "2xx");
        assert_eq!(status_class(303), "3xx");
        assert_eq!(status_class(422), "4xx");
        assert_eq!(status_class(503), "5xx");
    }
}
