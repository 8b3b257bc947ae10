//! `/metrics`: the Prometheus exposition after real requests, and who may read it.

use crate::common::*;
use ai102::auth::Role;
use serde_json::Value;
use std::collections::HashMap;

/// Imports the test pack as published and makes a form drawing its 8 questions.
async fn with_form(app: &TestApp) {
    let pack = app.import_test_pack().await;
    TestForm::new("test-form")
        .title("Metrics form")
        .create(app, &[pack])
        .await;
}

async fn token_for(app: &TestApp, email: &str) -> String {
    app.create_user(email, Role::Candidate).await;
    app.api_token(email).await
}

/// Every sample of an exposition: `name{labels}` → value (comments skipped).
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').expect("a sample has a value");
            (series.to_owned(), value.parse().expect("a number"))
        })
        .collect()
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_answer_saves_and_attempts_in_progress() {
    let app = TestApp::spawn().await;
    with_form(&app).await;
    let token = token_for(&app, "cand@example.com").await;
    let attempt: Value = app
        .api(&token)
        .post_json("/api/v1/forms/test-form/attempts")
        .await;
    let id = attempt["id"].as_str().unwrap().to_owned();
    // Answer the first single-choice question outside the case study.
    let mut answered = false;
    for n in 1..=8 {
        let item: Value = app
            .api(&token)
            .get_json(&format!("/api/v1/attempts/{id}/items/{n}"))
            .await;
        if item["type"] == "single" && item["case_study"].is_null() {
            let r = app
                .api(&token)
                .put(
                    &format!("/api/v1/attempts/{id}/items/{n}/answer"),
                    &serde_json::json!({"type": "single", "answer": item["options"][0]["id"]}),
                )
                .await;
            assert_eq!(r.status(), 204);
            answered = true;
            break;
        }
    }
    assert!(answered, "the form has a single-choice question");
    for _ in 0..2 {
        let r = app.api(&token).get(&format!("/api/v1/attempts/{id}")).await;
        assert_eq!(r.status(), 200);
    }
    assert_eq!(app.get("/no/such/page").await.status(), 404);

    let r = app.get("/metrics").await;

    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let s = samples(&r.text().await.unwrap());
    let attempt_reads = "method=\"GET\",route=\"/api/v1/attempts/{id}\",status=\"2xx\"";
    assert_eq!(
        s[&format!("ai102_http_request_duration_seconds_count{{{attempt_reads}}}")],
        2.0
    );
    assert_eq!(
        s[&format!("ai102_http_request_duration_seconds_bucket{{{attempt_reads},le=\"+Inf\"}}")],
        2.0
    );
    assert!(s[&format!("ai102_http_request_duration_seconds_sum{{{attempt_reads}}}")] > 0.0);
    assert_eq!(
        s["ai102_http_request_duration_seconds_count{method=\"POST\",route=\"/api/v1/forms/{slug}/attempts\",status=\"2xx\"}"],
        1.0
    );
    assert_eq!(
        s["ai102_http_request_duration_seconds_count{method=\"GET\",route=\"unmatched\",status=\"4xx\"}"],
        1.0
    );
    assert_eq!(s["ai102_answer_saves_total"], 1.0);
    assert_eq!(s["ai102_attempts_in_progress"], 1.0);
    let idle = s["ai102_db_pool_connections{state=\"idle\"}"];
    let in_use = s["ai102_db_pool_connections{state=\"in_use\"}"];
    assert!(idle + in_use >= 1.0, "idle {idle}, in use {in_use}");

    // An attempt whose time ran out is no longer in progress (the deadline moved, no sleeping).
    sqlx::query("UPDATE attempts SET deadline = now() - interval '1 minute'")
        .execute(&app.db)
        .await
        .unwrap();
    let s = samples(&app.get("/metrics").await.text().await.unwrap());
    assert_eq!(s["ai102_attempts_in_progress"], 0.0);
}

#[tokio::test]
async fn metrics_are_refused_to_other_hosts_unless_they_bring_the_token() {
    let app = TestApp::spawn_with(|c| {
        c.trust_forwarded_for = true;
        c.metrics_token = Some("scrape-secret-0123456789".into());
    })
    .await;
    let get = |forwarded: &'static str, token: Option<&'static str>| {
        let mut req = app
            .client
            .get(app.url("/metrics"))
            .header("x-forwarded-for", forwarded);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };

    assert_eq!(get("203.0.113.7", None).await.unwrap().status(), 403);
    assert_eq!(
        get("203.0.113.7", Some("wrong")).await.unwrap().status(),
        403
    );
    let with_token = get("203.0.113.7", Some("scrape-secret-0123456789"))
        .await
        .unwrap();
    assert_eq!(with_token.status(), 200);
    assert!(with_token
        .text()
        .await
        .unwrap()
        .contains("ai102_answer_saves_total"));
    // Through our own proxy, from the host itself.
    assert_eq!(get("127.0.0.1", None).await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_proxied_request_is_not_loopback_when_the_proxy_is_not_trusted() {
    let app = TestApp::spawn().await;

    let proxied = app
        .client
        .get(app.url("/metrics"))
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .unwrap();

    assert_eq!(proxied.status(), 403);
    assert_eq!(app.get("/metrics").await.status(), 200);
}
