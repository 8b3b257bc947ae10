//! Accounts against the real app and a real PostgreSQL: sign-up, sign-in, sign-out, roles, CSRF, tokens.

use crate::common::*;
use ai102::auth::Role;

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn migrations_create_the_tables_and_are_idempotent() {
    let app = TestApp::spawn().await;
    ai102::store::migrate(&app.db)
        .await
        .expect("a second run applies nothing and fails nothing");
    for table in ["users", "sessions", "api_tokens"] {
        let n = app
            .count(&format!(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = '{table}'"
            ))
            .await;
        assert_eq!(n, 1, "table {table}");
    }
    assert!(ai102::store::ready(&app.db).await.unwrap());
}

#[tokio::test]
async fn a_new_candidate_signs_up_and_is_signed_in() {
    let app = TestApp::spawn().await;
    let resp = app.sign_up("Ann@Example.com", "Ann").await;
    assert_eq!(resp.status(), 303, "redirect after sign-up");
    let cookie = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    let session = cookie
        .iter()
        .find(|c| c.starts_with("ai102_session="))
        .expect("session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    let home = app.get("/").await.text().await.unwrap();
    assert_eq!(texts(&home, "[data-testid=account-link]"), vec!["Ann"]);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM users WHERE email = 'ann@example.com' AND role = 'candidate'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn sign_up_with_bad_input_says_what_to_fix_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let long = "x".repeat(300);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![
                ("email", "not-an-email"),
                ("display_name", "A"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
            "e-mail address like",
        ),
        (
            vec![
                ("email", "a@example.com"),
                ("display_name", "A"),
                ("password", "short"),
                ("password_confirm", "short"),
            ],
            "at least 10 characters",
        ),
        (
            vec![
                ("email", "a@example.com"),
                ("display_name", "A"),
                ("password", "password123"),
                ("password_confirm", "password123"),
            ],
            "too easy to guess",
        ),
        (
            vec![
                ("email", "a@example.com"),
                ("display_name", &long),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
            "at most 80 characters",
        ),
        (
            vec![
                ("email", "a@example.com"),
                ("display_name", "A"),
                ("password", PASSWORD),
                ("password_confirm", "something else"),
            ],
            "passwords differ",
        ),
    ];
    for (fields, expected) in cases {
        let resp = app.post_form("/signup", "/signup", &fields).await;
        assert_eq!(resp.status(), 422);
        let html = resp.text().await.unwrap();
        let errors = texts(&html, ".field-error").join(" | ");
        assert!(
            errors.contains(expected),
            "expected '{expected}' in '{errors}'"
        );
    }
    assert_eq!(app.count("SELECT count(*) FROM users").await, 0);
}

#[tokio::test]
async fn a_duplicate_email_is_refused_with_a_clear_message() {
    let app = TestApp::spawn().await;
    app.sign_up("bob@example.com", "Bob").await;
    let other = app.other_browser();
    let resp = other.sign_up("BOB@example.com", "Bobby").await;
    assert_eq!(resp.status(), 422);
    let html = resp.text().await.unwrap();
    assert!(texts(&html, ".field-error")
        .join(" ")
        .contains("already exists"));
    assert_eq!(app.count("SELECT count(*) FROM users").await, 1);
}

#[tokio::test]
async fn sign_in_with_right_and_wrong_passwords() {
    let app = TestApp::spawn().await;
    app.create_user("cara@example.com", Role::Candidate).await;
    let wrong = app.sign_in("cara@example.com", "not the password").await;
    assert_eq!(wrong.status(), 401);
    let unknown = app.sign_in("nobody@example.com", "not the password").await;
    assert_eq!(unknown.status(), 401);
    let a = texts(&wrong.text().await.unwrap(), ".form-error");
    let b = texts(&unknown.text().await.unwrap(), ".form-error");
    assert_eq!(
        a, b,
        "no user enumeration: same message for unknown accounts"
    );
    let ok = app.sign_in("cara@example.com", PASSWORD).await;
    assert_eq!(ok.status(), 303);
    assert_eq!(app.get("/account").await.status(), 200);
}

#[tokio::test]
async fn sign_in_rotates_the_session_and_sign_out_ends_it_on_the_server() {
    let app = TestApp::spawn().await;
    app.create_user("dan@example.com", Role::Candidate).await;
    app.sign_in("dan@example.com", PASSWORD).await;
    app.other_browser()
        .sign_in("dan@example.com", PASSWORD)
        .await;
    assert_eq!(
        app.count("SELECT count(*) FROM sessions").await,
        2,
        "each sign-in makes a new session id"
    );
    let out = app.sign_out().await;
    assert_eq!(out.status(), 303);
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 1);
    let after = app.get("/account").await;
    assert_eq!(after.status(), 303);
    assert_eq!(location(&after), "/signin");
}

#[tokio::test]
async fn forms_without_a_valid_csrf_token_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let no_token = app
        .client
        .post(app.url("/signup"))
        .form(&[
            ("email", "eve@example.com"),
            ("display_name", "Eve"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 403);
    let wrong_token = app
        .client
        .post(app.url("/signup"))
        .form(&[
            ("email", "eve@example.com"),
            ("display_name", "Eve"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
            ("csrf_token", &"0".repeat(64)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_token.status(), 403);
    assert_eq!(app.count("SELECT count(*) FROM users").await, 0);

    // Signed in, a token from another browser's session does not work either.
    app.sign_up("fay@example.com", "Fay").await;
    let other = app.other_browser();
    let foreign = other.csrf("/signin").await;
    let resp = app
        .client
        .post(app.url("/account/tokens"))
        .form(&[("name", "x"), ("csrf_token", &foreign)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(app.count("SELECT count(*) FROM api_tokens").await, 0);
}

#[tokio::test]
async fn pages_check_roles() {
    let app = TestApp::spawn().await;
    let anon = app.get("/account").await;
    assert_eq!(anon.status(), 303, "anonymous users are sent to sign in");
    app.sign_up("gus@example.com", "Gus").await;
    assert_eq!(app.get("/account").await.status(), 200);
    assert_eq!(
        app.get("/admin").await.status(),
        403,
        "a candidate may not open the admin area"
    );
    assert_eq!(
        app.get("/instructor").await.status(),
        403,
        "a candidate may not open the instructor area"
    );
    let admin = app.other_browser();
    admin.create_user("root@example.com", Role::Admin).await;
    admin.sign_in("root@example.com", PASSWORD).await;
    assert_eq!(admin.get("/admin").await.status(), 200);
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_other_sessions() {
    let app = TestApp::spawn().await;
    app.sign_up("hal@example.com", "Hal").await;
    let other = app.other_browser();
    other.sign_in("hal@example.com", PASSWORD).await;
    let bad = app
        .post_form(
            "/account/password",
            "/account/password",
            &[
                ("current", "wrong one here"),
                ("password", "a brand new phrase"),
                ("password_confirm", "a brand new phrase"),
            ],
        )
        .await;
    assert_eq!(bad.status(), 422);
    let ok = app
        .post_form(
            "/account/password",
            "/account/password",
            &[
                ("current", PASSWORD),
                ("password", "a brand new phrase"),
                ("password_confirm", "a brand new phrase"),
            ],
        )
        .await;
    assert_eq!(ok.status(), 200);
    assert_eq!(
        other.get("/account").await.status(),
        303,
        "the other browser was signed out"
    );
    let third = app.other_browser();
    assert_eq!(
        third.sign_in("hal@example.com", PASSWORD).await.status(),
        401
    );
    assert_eq!(
        third
            .sign_in("hal@example.com", "a brand new phrase")
            .await
            .status(),
        303
    );
}

#[tokio::test]
async fn api_tokens_authenticate_the_json_api_and_can_be_revoked() {
    let app = TestApp::spawn().await;
    app.sign_up("ivy@example.com", "Ivy").await;
    let resp = app
        .post_form("/account", "/account/tokens", &[("name", "my script")])
        .await;
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    let token = texts(&html, "[data-testid=new-token]")
        .pop()
        .expect("token shown once");
    assert!(token.starts_with("ai102_"));
    let stored: Vec<u8> = sqlx::query_scalar("SELECT token_hash FROM api_tokens")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_ne!(stored, token.as_bytes(), "only a hash is stored");

    let api = reqwest::Client::new();
    let me: serde_json::Value = app.api(&token).get_json("/api/v1/me").await;
    assert_eq!(me["email"], "ivy@example.com");
    assert_eq!(me["role"], "candidate");

    for bad in [
        "",
        "ai102_nothex",
        "Bearer",
        &format!("ai102_{}", "0".repeat(64)),
    ] {
        let r = api
            .get(app.url("/api/v1/me"))
            .header("authorization", format!("Bearer {bad}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "token {bad:?}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
    assert_eq!(
        api.get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM api_tokens")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let revoked = app
        .post_form("/account", &format!("/account/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(revoked.status(), 303);
    assert_eq!(app.api(&token).get("/api/v1/me").await.status(), 401);
}

#[tokio::test]
async fn the_openapi_document_is_served_and_lists_the_api() {
    let app = TestApp::spawn().await;
    let doc: serde_json::Value = app.get("/api/openapi.json").await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["paths"]["/api/v1/me"]["get"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn every_page_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    for path in ["/", "/signin", "/signup", "/nowhere"] {
        let r = app.get(path).await;
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "same-origin");
    }
    assert_eq!(app.get("/nowhere").await.status(), 404);
}

#[tokio::test]
async fn repeated_wrong_passwords_are_slowed_down_with_a_clear_message_and_no_enumeration() {
    let app = TestApp::spawn().await;
    app.create_user("dana@example.com", Role::Candidate).await;
    for _ in 0..5 {
        assert_eq!(
            app.sign_in("dana@example.com", "wrong password!")
                .await
                .status(),
            401
        );
        assert_eq!(
            app.sign_in("ghost@example.com", "wrong password!")
                .await
                .status(),
            401
        );
    }
    // The sixth try is refused even with the right password, for a real and an unknown account alike.
    let real = app.sign_in("dana@example.com", PASSWORD).await;
    assert_eq!(real.status(), 429);
    assert!(real.headers().get("retry-after").is_some());
    let ghost = app.sign_in("ghost@example.com", PASSWORD).await;
    assert_eq!(ghost.status(), 429);
    let a = texts(&real.text().await.unwrap(), ".form-error");
    let b = texts(&ghost.text().await.unwrap(), ".form-error");
    assert_eq!(a, b, "the same message whether or not the account exists");
    assert!(a[0].contains("Too many failed sign-ins"), "{a:?}");
    assert_eq!(app.get("/account").await.status(), 303, "not signed in");
    // Another account from the same address still works (the address limit is higher).
    app.create_user("erin@example.com", Role::Candidate).await;
    assert_eq!(
        app.sign_in("erin@example.com", PASSWORD).await.status(),
        303
    );
    // Once the window has passed (moved in the database, no sleeping) the account signs in again.
    app.count("WITH x AS (UPDATE sign_in_failures SET at = at - interval '16 minutes' RETURNING 1) SELECT count(*) FROM x").await;
    assert_eq!(
        app.other_browser()
            .sign_in("dana@example.com", PASSWORD)
            .await
            .status(),
        303
    );
}

#[tokio::test]
async fn probing_sign_up_for_taken_e_mails_is_stopped_by_the_sign_in_limit() {
    let app = TestApp::spawn().await;
    app.create_user("dana@example.com", Role::Candidate).await;
    // Each try at a taken e-mail counts as a failed sign-in of that account.
    for _ in 0..5 {
        let r = app.sign_up("dana@example.com", "Someone").await;
        assert_eq!(r.status(), 422);
    }
    let r = app.sign_up("dana@example.com", "Someone").await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_some());
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Too many attempts for this account or from this address"),
        "{page}"
    );
    // The account's owner is limited too until the window passes, as after wrong passwords.
    assert_eq!(
        app.other_browser()
            .sign_in("dana@example.com", PASSWORD)
            .await
            .status(),
        429
    );
    // An address that keeps probing different e-mails meets the address limit.
    for n in 0..30 {
        app.create_user(&format!("user{n}@example.com"), Role::Candidate)
            .await;
    }
    let mut refused = false;
    for n in 0..30 {
        let r = app
            .sign_up(&format!("user{n}@example.com"), "Someone")
            .await;
        if r.status() == 429 {
            refused = true;
            break;
        }
        assert_eq!(r.status(), 422);
    }
    assert!(refused, "the address limit stops probing");
    let r = app.sign_up("brand-new@example.com", "New").await;
    assert_eq!(
        r.status(),
        429,
        "from that address, for a while, even new e-mails"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE email = 'brand-new@example.com'")
            .await,
        0
    );
}

/// Pages link the stylesheet and scripts by fingerprinted names, served from memory as immutable, compressed when
/// the browser accepts it; the plain name still answers, revalidated by its ETag.
#[tokio::test]
async fn static_files_are_fingerprinted_immutable_and_precompressed() {
    let app = TestApp::spawn().await;
    let home = app.get("/").await.text().await.unwrap();
    let href = scraper::Html::parse_document(&home)
        .select(&scraper::Selector::parse("link[rel=stylesheet]").unwrap())
        .next()
        .and_then(|l| l.value().attr("href").map(str::to_owned))
        .expect("the page links a stylesheet");
    assert!(
        href.starts_with("/static/app.") && href.ends_with(".css") && href != "/static/app.css",
        "{href}"
    );
    let client = reqwest::Client::new();
    let url = app.url(&href);
    let plain = client.get(&url).send().await.unwrap();
    assert_eq!(plain.status(), 200);
    let h = plain.headers().clone();
    assert_eq!(h["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(h["content-type"], "text/css; charset=utf-8");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h.get("set-cookie").is_none());
    let on_disk = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/static/app.css")).unwrap();
    assert_eq!(plain.bytes().await.unwrap().as_ref(), on_disk.as_slice());
    let br = client
        .get(&url)
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(br.headers()["content-encoding"], "br");
    assert!(br.bytes().await.unwrap().len() < on_disk.len());
    let gz = client
        .get(&url)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let again = client.get(app.url("/static/app.css")).send().await.unwrap();
    assert_eq!(again.headers()["cache-control"], "no-cache");
    let etag = again.headers()["etag"].clone();
    let revalidated = client
        .get(app.url("/static/app.css"))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), 304);
    let missing = client
        .get(app.url("/static/nothing.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn static_files_and_probes_are_served_without_the_database() {
    let app = TestApp::spawn().await;
    assert_eq!(app.sign_up("stat@example.com", "Stat").await.status(), 303);
    // From now on nobody can connect to the app's database, and its open connections are cut.
    let name = app.database_url.rsplit('/').next().unwrap().to_owned();
    let admin = sqlx::PgPool::connect(&database_url()).await.unwrap();
    sqlx::query(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
        .execute(&admin)
        .await
        .unwrap();
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
        .bind(&name)
        .execute(&admin)
        .await
        .unwrap();
    // Signed in (the session cookie is sent), the stylesheet and the liveness probe still answer.
    let css = app.get("/static/app.css").await;
    assert_eq!(css.status(), 200);
    assert!(css.headers().get("set-cookie").is_none(), "no session work");
    assert_eq!(app.get("/healthz").await.status(), 200);
    // A page, which needs the session, cannot be served.
    assert_eq!(app.get("/exams").await.status(), 503);
    sqlx::query(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .execute(&admin)
        .await
        .unwrap();
}

#[tokio::test]
async fn error_pages_show_who_is_signed_in() {
    let app = TestApp::spawn().await;
    assert_eq!(app.sign_up("err@example.com", "Erra").await.status(), 303);
    let missing = app.get("/no-such-page").await;
    assert_eq!(missing.status(), 404);
    assert!(missing
        .headers()
        .get("content-type")
        .is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/html")));
    let html = missing.text().await.unwrap();
    assert_eq!(texts(&html, "[data-testid=account-link]"), vec!["Erra"]);
    assert_eq!(texts(&html, "h1"), vec!["Not Found"]);
    // A refusal with a message (400) and a page of another kind (403) carry the header too.
    let bad = app
        .post_form("/account", "/account/target-exam", &[("exam", "AI-999")])
        .await;
    assert_eq!(bad.status(), 400);
    let html = bad.text().await.unwrap();
    assert_eq!(texts(&html, "[data-testid=account-link]"), vec!["Erra"]);
    assert!(texts(&html, "p.message")[0].contains("AI-999"));
    let forbidden = app.get("/admin").await;
    assert_eq!(forbidden.status(), 403);
    let html = forbidden.text().await.unwrap();
    assert_eq!(texts(&html, "[data-testid=account-link]"), vec!["Erra"]);
    // Signed out, the same page has the visitor's header.
    app.sign_out().await;
    let html = app.get("/no-such-page").await.text().await.unwrap();
    assert!(texts(&html, "[data-testid=account-link]").is_empty());
    assert_eq!(texts(&html, "h1"), vec!["Not Found"]);
}
