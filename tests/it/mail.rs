//! E-mail against a real SMTP server (aiosmtpd on loopback, tests/mail/smtp_sink.py): password reset from the
//! mail, sign-up and reset that tell nobody which addresses have accounts, address verification (required for
//! new accounts, asked of existing ones), address change, the limits, links built from PUBLIC_BASE_URL only,
//! the worker's retries and permanent failures, the development outbox, class invitations, due-date reminders,
//! report outcomes, and the mail an account's deletion and the retention job remove.

use crate::common::*;
use crate::mail_sink::{free_port, SmtpSink};
use ai102::auth::Role;
use reqwest::StatusCode;
use std::time::Duration;
use uuid::Uuid;

const NEW_PASSWORD: &str = "a brand new passphrase 42";

/// The body with `email` replaced, to compare the answers for two addresses.
async fn body_without(r: reqwest::Response, email: &str) -> (StatusCode, String) {
    let status = r.status();
    let body = r.text().await.unwrap().replace(email, "ADDRESS");
    // The CSRF token differs between browsers, not between answers.
    let body = match csrf_in(&body) {
        Some(token) => body.replace(&token, "TOKEN"),
        None => body,
    };
    (status, body)
}

async fn outbox_status(app: &TestApp, to: &str) -> Vec<(String, Option<String>, i32)> {
    sqlx::query_as(
        "SELECT status, body_text, attempts FROM mail_outbox WHERE to_address = $1 ORDER BY created_at",
    )
    .bind(to)
    .fetch_all(&app.db)
    .await
    .unwrap()
}

/// Waits until the outbox has no message waiting (the worker sent or failed everything).
async fn drained(app: &TestApp) {
    for _ in 0..200 {
        let waiting: i64 =
            sqlx::query_scalar("SELECT count(*) FROM mail_outbox WHERE status = 'queued'")
                .fetch_one(&app.db)
                .await
                .unwrap();
        if waiting == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the outbox still has queued mail after 20 s");
}

#[tokio::test]
async fn a_candidate_resets_a_forgotten_password_from_the_mail_and_every_other_session_ends() {
    let sink = SmtpSink::start(&[]);
    let app = TestApp::spawn_with_mail(&sink, |_| {}).await;
    new_user(&app, "rosa@example.com", Role::Candidate).await;
    // Signed in on another device, which the reset must sign out.
    let laptop = app.other_browser();
    assert_eq!(
        laptop.sign_in("rosa@example.com", PASSWORD).await.status(),
        303
    );
    assert_eq!(laptop.get("/account").await.status(), 200);

    let known = app
        .post_form(
            "/account/reset",
            "/account/reset",
            &[("email", "rosa@example.com")],
        )
        .await;
    let unknown = app
        .other_browser()
        .post_form(
            "/account/reset",
            "/account/reset",
            &[("email", "nobody@example.com")],
        )
        .await;
    let known = body_without(known, "rosa@example.com").await;
    let unknown = body_without(unknown, "nobody@example.com").await;
    assert_eq!(known.0, 200);
    assert_eq!(
        known, unknown,
        "a taken and a free address get the same answer"
    );

    let mail = sink.latest("rosa@example.com", "Reset your password").await;
    let link = mail.link(&app.address);
    assert!(
        link.starts_with(&format!("{}/account/reset/", app.address)),
        "{link}"
    );
    assert!(
        mail.html.as_deref().unwrap().contains(&link),
        "the HTML part carries the link too"
    );
    assert!(
        mail.message_id.ends_with("@sink.test>"),
        "{}",
        mail.message_id
    );
    let note = sink
        .latest("nobody@example.com", "No account uses this address")
        .await;
    assert!(note.text.unwrap().contains("/signup"));

    // Only the token's hash is stored.
    let token = link.rsplit('/').next().unwrap().to_owned();
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM mail_tokens WHERE encode(token_hash, 'hex') = $1 OR encode(token_hash, 'escape') LIKE '%' || $1 || '%'",
    )
    .bind(&token)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(stored, 0, "the token itself is never stored");

    let path = link.strip_prefix(&app.address).unwrap().to_owned();
    let browser = app.other_browser();
    let page = browser.get(&path).await;
    assert_eq!(page.status(), 200);
    let weak = browser
        .post_form(
            &path,
            &path,
            &[("password", "short"), ("password_confirm", "short")],
        )
        .await;
    assert_eq!(
        weak.status(),
        422,
        "a weak password is refused and the link still works"
    );
    let done = browser
        .post_form(
            &path,
            &path,
            &[
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status(), 303);
    assert_eq!(location(&done), "/?password=reset");
    assert_eq!(
        browser.get("/account").await.status(),
        200,
        "the reset signs in"
    );
    assert_eq!(
        laptop.get("/account").await.status(),
        303,
        "the other device's session ended"
    );
    let again = browser.get(&path).await;
    assert_eq!(again.status(), 410, "the link works once");

    let fresh = app.other_browser();
    assert_eq!(
        fresh.sign_in("rosa@example.com", PASSWORD).await.status(),
        401
    );
    assert_eq!(
        fresh
            .sign_in("rosa@example.com", NEW_PASSWORD)
            .await
            .status(),
        303
    );
    let verified: bool = sqlx::query_scalar(
        "SELECT email_verified_at IS NOT NULL FROM users WHERE email = 'rosa@example.com'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(verified, "a reset from the mail confirms the address");
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'account.password_reset_by_mail'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(audited, 1);

    // Sent mail keeps no body: no reset link stays readable.
    drained(&app).await;
    for (status, body, _) in outbox_status(&app, "rosa@example.com").await {
        assert_eq!(status, "sent");
        assert_eq!(body, None);
    }
}

#[tokio::test]
async fn a_reset_link_stops_working_after_thirty_minutes_and_when_a_newer_one_is_used() {
    let sink = SmtpSink::start(&[]);
    let app = TestApp::spawn_with_mail(&sink, |_| {}).await;
    new_user(&app, "omar@example.com", Role::Candidate).await;
    for _ in 0..2 {
        app.post_form(
            "/account/reset",
            "/account/reset",
            &[("email", "omar@example.com")],
        )
        .await;
    }
    let mails = sink.wait_for("omar@example.com", 2).await;
    let first = mails[0].link(&app.address);
    let second = mails[1].link(&app.address);
    let expiry: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM max(expires_at - created_at))::float8 FROM mail_tokens WHERE purpose = 'reset'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(expiry, 30.0 * 60.0);
    // Using the second ends the first.
    let path2 = second.strip_prefix(&app.address).unwrap();
    let r = app
        .post_form(
            path2,
            path2,
            &[
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let path1 = first.strip_prefix(&app.address).unwrap();
    assert_eq!(app.other_browser().get(path1).await.status(), 410);

    // An expired link: the same answer as a used one.
    app.post_form(
        "/account/reset",
        "/account/reset",
        &[("email", "omar@example.com")],
    )
    .await;
    let third = sink.wait_for("omar@example.com", 3).await[2].link(&app.address);
    sqlx::query(
        "UPDATE mail_tokens SET expires_at = now() - interval '1 second' WHERE used_at IS NULL",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let path3 = third.strip_prefix(&app.address).unwrap();
    assert_eq!(app.other_browser().get(path3).await.status(), 410);
}

#[tokio::test]
async fn reset_mails_are_limited_per_address_and_per_client_whether_or_not_an_account_exists() {
    let sink = SmtpSink::start(&[]);
    let app = TestApp::spawn_with_mail(&sink, |_| {}).await;
    new_user(&app, "lin@example.com", Role::Candidate).await;
    for email in ["lin@example.com", "ghost@example.com"] {
        for n in 1..=5 {
            let r = app
                .post_form("/account/reset", "/account/reset", &[("email", email)])
                .await;
            assert_eq!(r.status(), 200, "request {n} for {email}");
        }
        let r = app
            .post_form("/account/reset", "/account/reset", &[("email", email)])
            .await;
        assert_eq!(r.status(), 429, "the sixth in an hour for {email}");
        assert!(r.headers().contains_key("retry-after"));
    }
    // 10 counted from this client; 10 more addresses reach the client's 20.
    for n in 0..10 {
        let email = format!("other{n}@example.com");
        let r = app
            .post_form("/account/reset", "/account/reset", &[("email", &email)])
            .await;
        assert_eq!(r.status(), 200, "{email}");
    }
    let r = app
        .post_form(
            "/account/reset",
            "/account/reset",
            &[("email", "more@example.com")],
        )
        .await;
    assert_eq!(r.status(), 429, "the 21st from one client in an hour");
    drained(&app).await;
    assert_eq!(sink.to("lin@example.com").len(), 5, "five mails, no more");
}

#[tokio::test]
async fn sign_up_answers_a_taken_and_a_free_address_alike_and_mails_the_owner_instead() {
    let sink = SmtpSink::start(&[]);
    let app = TestApp::spawn_with_mail(&sink, |_| {}).await;
    new_user(&app, "taken@example.com", Role::Candidate).await;
    let taken = app
        .other_browser()
        .sign_up("taken@example.com", "Someone")
        .await;
    let free = app
        .other_browser()
        .sign_up("free@example.com", "Fresh")
        .await;
    assert!(
        !taken.headers().contains_key("set-cookie")
            || !taken
                .headers()
                .get_all("set-cookie")
                .iter()
                .any(|c| c.to_str().unwrap().starts_with("ai102_session=")),
        "no session either way"
    );
    assert!(!free
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().unwrap().starts_with("ai102_session=")));
    let taken = body_without(taken, "taken@example.com").await;
    let free = body_without(free, "free@example.com").await;
    assert_eq!(taken.0, 200);
    assert_eq!(taken, free, "the same status and body");

    let owner = sink
        .latest("taken@example.com", "You already have an account")
        .await;
    assert!(owner
        .text
        .unwrap()
        .contains(&format!("{}/signin", app.address)));
    let verify = sink
        .latest("free@example.com", "Confirm your e-mail address")
        .await;
    // Verification is optional by default: the new account signs in with its password at once.
    let browser = app.other_browser();
    assert_eq!(
        browser.sign_in("free@example.com", PASSWORD).await.status(),
        303
    );
    let link = verify.link(&app.address);
    let path = link.strip_prefix(&app.address).unwrap();
    assert_eq!(
        browser.get(path).await.status(),
        200,
        "a GET confirms nothing"
    );
    let still: bool = sqlx::query_scalar(
        "SELECT email_verified_at IS NULL FROM users WHERE email = 'free@example.com'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(
        still,
        "mail scanners follow links: only the button confirms"
    );
    let r = browser.post_form(path, path, &[]).await;
    assert_eq!(location(&r), "/account?saved=verified");
    let page = browser.get("/account").await.text().await.unwrap();
    assert!(page.contains("free@example.com is confirmed"), "{page}");
}

#[tokio::test]
async fn required_verification_holds_new_accounts_at_sign_in_and_only_asks_existing_ones() {
    let sink = SmtpSink::start(&[]);
    let app = TestApp::spawn_with_mail(&sink, |_| {}).await;
    new_user(&app, "old@example.com", Role::Candidate).await;
    new_user(&app, "root@example.com", Role::Admin).await;
    let admin = app.other_browser();
    assert_eq!(
        admin.sign_in("root@example.com", PASSWORD).await.status(),
        303
    );
    let r = admin
        .post_form(
            "/admin",
            "/admin/settings/mail",
            &[("verification", "required")],
        )
        .await;
    assert_eq!(location(&r), "/admin?saved=mail");

    let newcomer = app.other_browser();
    assert_eq!(
        newcomer
            .sign_up("new@example.com", "Newcomer")
            .await
            .status(),
        200
    );
    let refused = newcomer.sign_in("new@example.com", PASSWORD).await;
    assert_eq!(
        refused.status(),
        403,
        "no session before the address is confirmed"
    );
    let page = refused.text().await.unwrap();
    assert!(page.contains("Confirm your e-mail address first"), "{page}");
    assert!(page.contains("/verify/resend"));
    let r = newcomer
        .post_form("/signin", "/verify/resend", &[("email", "new@example.com")])
        .await;
    assert_eq!(r.status(), 200);
    let mails = sink.wait_for("new@example.com", 2).await;
    let link = mails[1].link(&app.address);
    let path = link.strip_prefix(&app.address).unwrap();
    let r = newcomer.post_form(path, path, &[]).await;
    assert_eq!(location(&r), "/signin?verified=1");
    assert_eq!(
        newcomer.sign_in("new@example.com", PASSWORD).await.status(),
        303
    );

    // An account made before the setting: signs in, is asked (a link is mailed) and goes on.
    let old = app.other_browser();
    let r = old.sign_in("old@example.com", PASSWORD).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/account/verify?next=%2F");
    let asked = old
        .get("/account/verify?next=%2F")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        asked.contains("Please confirm your e-mail address"),
        "{asked}"
    );
    sink.latest("old@example.com", "Confirm your e-mail address")
        .await;
    // Asked once a day, not at every sign-in.
    let r = app
        .other_browser()
        .sign_in("old@example.com", PASSWORD)
        .await;
    assert_eq!(location(&r), "/");
}

#[tokio::test]
async fn an_address_change_is_confirmed_from_the_new_address_and_told_to_the_old_one() {
    let sink = SmtpSink::start(&[]);
    let app = TestApp::spawn_with_mail(&sink, |_| {}).await;
    new_user(&app, "kai@example.com", Role::Candidate).await;
    new_user(&app, "someone@example.com", Role::Candidate).await;
    assert_eq!(app.sign_in("kai@example.com", PASSWORD).await.status(), 303);
    let wrong = app
        .post_form(
            "/account",
            "/account/email",
            &[
                ("new_email", "kai@new.example.com"),
                ("password", "wrong password!"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), 400);
    // An address with an account: the page says the same, the address's owner gets a note.
    let r = app
        .post_form(
            "/account",
            "/account/email",
            &[("new_email", "someone@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(location(&r), "/account?saved=email-asked");
    sink.latest("someone@example.com", "already has an account")
        .await;
    let r = app
        .post_form(
            "/account",
            "/account/email",
            &[("new_email", "kai@new.example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(location(&r), "/account?saved=email-asked");
    let confirm = sink
        .latest("kai@new.example.com", "Confirm your new e-mail address")
        .await;
    sink.latest(
        "kai@example.com",
        "A change of your e-mail address was asked",
    )
    .await;
    let path = confirm
        .link(&app.address)
        .strip_prefix(&app.address)
        .unwrap()
        .to_owned();
    let r = app.post_form(&path, &path, &[]).await;
    assert_eq!(location(&r), "/account?saved=email-changed");
    sink.latest("kai@example.com", "Your e-mail address was changed")
        .await;
    let fresh = app.other_browser();
    assert_eq!(
        fresh.sign_in("kai@example.com", PASSWORD).await.status(),
        401
    );
    assert_eq!(
        fresh
            .sign_in("kai@new.example.com", PASSWORD)
            .await
            .status(),
        303
    );
    assert_eq!(app.other_browser().get(&path).await.status(), 410);
}

#[tokio::test]
async fn links_are_built_from_public_base_url_never_from_the_host_header() {
    let sink = SmtpSink::start(&[]);
    let app = TestApp::spawn_with_mail(&sink, |_| {}).await;
    new_user(&app, "host@example.com", Role::Candidate).await;
    let token = app.csrf("/account/reset").await;
    let r = app
        .client
        .post(app.url("/account/reset"))
        .header("Host", "evil.example")
        .header("X-Forwarded-Host", "evil.example")
        .form(&[("email", "host@example.com"), ("csrf_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mail = sink.latest("host@example.com", "Reset your password").await;
    let text = mail.text.unwrap();
    assert!(!text.contains("evil.example"), "{text}");
    assert!(text.contains(&format!("{}/account/reset/", app.address)));
}

#[tokio::test]
async fn without_public_base_url_no_link_is_mailed_and_the_reset_page_says_why() {
    let app = TestApp::spawn().await;
    new_user(&app, "nolink@example.com", Role::Candidate).await;
    let page = app.get("/account/reset").await.text().await.unwrap();
    assert!(page.contains("PUBLIC_BASE_URL is not set"), "{page}");
    let r = app
        .post_form(
            "/signin",
            "/account/reset",
            &[("email", "nolink@example.com")],
        )
        .await;
    assert_eq!(r.status(), 503);
    assert!(r.text().await.unwrap().contains("PUBLIC_BASE_URL"));
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM mail_outbox")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(queued, 0);
}

/// An app whose SMTP server is expected on `port` (where nothing listens until a test starts a sink there).
async fn with_smtp_at(port: u16) -> TestApp {
    TestApp::spawn_with(|c| {
        let base = free_port();
        c.bind = std::net::SocketAddr::from(([127, 0, 0, 1], base));
        c.public_base_url = Some(format!("http://127.0.0.1:{base}"));
        c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        c.mail_from = "exams@sink.test".into();
    })
    .await
}

/// The status, tries, last error and whether the text is kept of the one message to `to`.
type OutboxRow = (String, i32, Option<String>, bool);

/// That message's row once `done` holds, or after 10 s as it is then.
async fn outbox_row_once(app: &TestApp, to: &str, done: impl Fn(&OutboxRow) -> bool) -> OutboxRow {
    let mut row = OutboxRow::default();
    for _ in 0..100 {
        row = sqlx::query_as(
            "SELECT status, attempts, last_error, body_text IS NOT NULL FROM mail_outbox WHERE to_address = $1",
        )
        .bind(to)
        .fetch_one(&app.db)
        .await
        .unwrap();
        if done(&row) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    row
}

#[tokio::test]
async fn the_worker_retries_while_the_server_is_unreachable_and_delivers_once_it_is_back() {
    let port = free_port();
    let app = with_smtp_at(port).await;
    new_user(&app, "patient@example.com", Role::Candidate).await;
    let r = app
        .post_form(
            "/account/reset",
            "/account/reset",
            &[("email", "patient@example.com")],
        )
        .await;
    assert_eq!(r.status(), 200);
    // The server is down: the message stays queued with the error and a later try.
    for _ in 0..100 {
        let row: (String, i32, Option<String>) = sqlx::query_as(
            "SELECT status, attempts, last_error FROM mail_outbox WHERE to_address = 'patient@example.com'",
        )
        .fetch_one(&app.db)
        .await
        .unwrap();
        if row.1 >= 1 && row.2.is_some() {
            assert_eq!(row.0, "queued");
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sink = SmtpSink::start_on(port, &[]);
    let mails = sink.wait_for("patient@example.com", 1).await;
    assert!(mails[0].subject.contains("Reset your password"));
    drained(&app).await;
    let (status, body, attempts) = outbox_status(&app, "patient@example.com").await.remove(0);
    assert_eq!((status.as_str(), body), ("sent", None));
    assert!(attempts >= 2, "{attempts} tries");
}

#[tokio::test]
async fn a_message_still_failing_at_the_last_try_is_failed_and_an_admin_sends_it_again_with_a_new_count(
) {
    let port = free_port();
    let app = with_smtp_at(port).await;
    new_user(&app, "lost@example.com", Role::Candidate).await;
    new_user(&app, "root@example.com", Role::Admin).await;
    app.other_browser()
        .post_form(
            "/account/reset",
            "/account/reset",
            &[("email", "lost@example.com")],
        )
        .await;
    // Nothing listens on the port: a passing failure, tried again later.
    let lost = "lost@example.com";
    let seen = outbox_row_once(&app, lost, |r| r.1 >= 1 && r.2.is_some()).await;
    assert_eq!((seen.0.as_str(), seen.1), ("queued", 1), "{seen:?}");
    // Two days of tries later: the next one is the last.
    sqlx::query(
        "UPDATE mail_outbox SET attempts = $1, next_attempt_at = now() WHERE to_address = 'lost@example.com'",
    )
    .bind(ai102::mail::worker::MAX_TRIES - 1)
    .execute(&app.db)
    .await
    .unwrap();
    let seen = outbox_row_once(&app, lost, |r| r.0 != "queued").await;
    assert_eq!(seen.0, "failed", "{seen:?}");
    assert_eq!(seen.1, ai102::mail::worker::MAX_TRIES);
    let error = seen.2.clone().unwrap_or_default();
    assert!(
        error.starts_with(&format!("gave up after {} tries; the last: ", seen.1)),
        "{error}"
    );
    assert!(seen.3, "a failed message keeps its text, to be sent again");
    assert_eq!(
        app.sign_in("root@example.com", PASSWORD).await.status(),
        303
    );
    let page = app.get("/admin/outbox").await.text().await.unwrap();
    assert!(page.contains("gave up after"), "the admin sees why: {page}");
    let id: Uuid =
        sqlx::query_scalar("SELECT id FROM mail_outbox WHERE to_address = 'lost@example.com'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let r = app
        .post_form("/admin/outbox", &format!("/admin/outbox/{id}/retry"), &[])
        .await;
    assert_eq!(location(&r), "/admin/outbox?saved=requeued");
    // Sent again, it is tried at once and counted from one (the server is still down).
    let seen = outbox_row_once(&app, lost, |r| r.0 == "queued" && r.1 >= 1 && r.2.is_some()).await;
    assert_eq!((seen.0.as_str(), seen.1), ("queued", 1), "{seen:?}");
}

#[tokio::test]
async fn a_permanent_refusal_fails_the_message_and_shows_it_to_admins_who_can_send_it_again() {
    let sink = SmtpSink::start(&["bounce@example.com"]);
    let app = TestApp::spawn_with_mail(&sink, |_| {}).await;
    new_user(&app, "bounce@example.com", Role::Candidate).await;
    new_user(&app, "root@example.com", Role::Admin).await;
    app.other_browser()
        .post_form(
            "/account/reset",
            "/account/reset",
            &[("email", "bounce@example.com")],
        )
        .await;
    drained(&app).await;
    let (status, body, attempts) = outbox_status(&app, "bounce@example.com").await.remove(0);
    assert_eq!(status, "failed");
    assert!(
        body.is_some(),
        "a failed message keeps its text, to be sent again"
    );
    assert_eq!(attempts, 1, "a 5xx is not retried");
    assert_eq!(
        app.sign_in("root@example.com", PASSWORD).await.status(),
        303
    );
    let page = app.get("/admin/outbox").await.text().await.unwrap();
    assert!(page.contains("data-status=\"failed\""), "{page}");
    assert!(page.contains("550"), "the server's answer is shown");
    assert!(!page.contains("Development set-up"));
    let id: Uuid = sqlx::query_scalar("SELECT id FROM mail_outbox WHERE status = 'failed'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let r = app
        .post_form("/admin/outbox", &format!("/admin/outbox/{id}/retry"), &[])
        .await;
    assert_eq!(location(&r), "/admin/outbox?saved=requeued");
}

#[tokio::test]
async fn without_smtp_mail_is_held_in_the_outbox_that_admins_read_under_a_development_banner() {
    let app = TestApp::spawn_with(|c| {
        c.public_base_url = Some("http://exams.example.test".into());
    })
    .await;
    new_user(&app, "dev@example.com", Role::Candidate).await;
    new_user(&app, "root@example.com", Role::Admin).await;
    app.other_browser()
        .post_form(
            "/account/reset",
            "/account/reset",
            &[("email", "dev@example.com")],
        )
        .await;
    let (status, body, _) = outbox_status(&app, "dev@example.com").await.remove(0);
    assert_eq!(status, "held");
    assert!(body
        .unwrap()
        .contains("http://exams.example.test/account/reset/"));
    assert_eq!(
        app.sign_in("root@example.com", PASSWORD).await.status(),
        303
    );
    let page = app.get("/admin/outbox").await.text().await.unwrap();
    assert!(page.contains("data-testid=\"dev-banner\""), "{page}");
    assert!(page.contains("http://exams.example.test/account/reset/"));
    // Candidates never read it.
    let candidate = app.other_browser();
    candidate.sign_in("dev@example.com", PASSWORD).await;
    assert_eq!(candidate.get("/admin/outbox").await.status(), 403);
}

#[tokio::test]
async fn a_bulk_add_mails_the_join_link_to_addresses_without_an_account() {
    let sink = SmtpSink::start(&[]);
    let app = TestApp::spawn_with_mail(&sink, |_| {}).await;
    let (_ines, class) = crate::classes::instructor_with_class(&app).await;
    new_user(&app, "has@example.com", Role::Candidate).await;
    let r = app
        .post_form(
            &format!("/instructor/classes/{class}"),
            &format!("/instructor/classes/{class}/members"),
            &[("emails", "has@example.com\nnew.student@example.com")],
        )
        .await;
    let page = r.text().await.unwrap();
    assert!(page.contains("data-outcome=\"invited\""), "{page}");
    assert!(page.contains("data-outcome=\"added\""));
    let invitation = sink
        .latest("new.student@example.com", "Join the class")
        .await;
    let link = invitation.link(&app.address);
    let code: String = sqlx::query_scalar("SELECT join_code FROM classes WHERE id = $1")
        .bind(class)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(link, format!("{}/join/{code}", app.address));
    let text = invitation.text.unwrap();
    assert!(
        text.contains("Evening cohort") && text.contains("AI-102"),
        "{text}"
    );
    assert!(
        sink.to("has@example.com").is_empty(),
        "members with accounts are added, not mailed"
    );
}

#[tokio::test]
async fn members_who_asked_are_reminded_once_a_day_before_an_unfinished_assignment_closes() {
    let sink = SmtpSink::start(&[]);
    let app = TestApp::spawn_with_mail(&sink, |_| {}).await;
    let (ines, class) = crate::classes::instructor_with_class(&app).await;
    let (_, form) = crate::classes::class_form(&app, ines.id, "reminded-form").await;
    let assignment = crate::classes::assign(
        &app,
        &ines,
        class,
        form,
        None,
        ai102::store::classes::AnswersShown::AtEnd,
    )
    .await;
    sqlx::query("UPDATE assignments SET closes_at = now() + interval '10 hours' WHERE id = $1")
        .bind(assignment)
        .execute(&app.db)
        .await
        .unwrap();
    let (asks, _) = crate::classes::member(&app, "asks@example.com", class).await;
    crate::classes::member(&app, "quiet@example.com", class).await;
    let r = asks
        .post_form("/account", "/account/mail", &[("reminders", "on")])
        .await;
    assert_eq!(location(&r), "/account?saved=mail");
    let state_mail = ai102::mail::Mailer::from_config(&{
        let mut c = ai102::config::Config::for_database(&app.database_url);
        c.public_base_url = Some(app.address.clone());
        c.smtp_url = Some(sink.url());
        c
    })
    .unwrap();
    let n = ai102::classes::reminders::queue_due(&app.db, &state_mail)
        .await
        .unwrap();
    assert_eq!(n, 1, "only the member who asked");
    assert_eq!(
        ai102::classes::reminders::queue_due(&app.db, &state_mail)
            .await
            .unwrap(),
        0,
        "once"
    );
    let mail = sink.latest("asks@example.com", "closes soon").await;
    let text = mail.text.unwrap();
    assert!(
        text.contains("Evening cohort") && text.contains("(UTC)"),
        "{text}"
    );
    assert!(
        !sink
            .to("quiet@example.com")
            .iter()
            .any(|m| m.subject.contains("closes soon")),
        "no reminder for a member who did not ask"
    );
}

#[tokio::test]
async fn deleting_an_account_erases_its_mail_and_the_retention_job_removes_old_mail() {
    let app = TestApp::spawn_with(|c| {
        c.public_base_url = Some("http://exams.example.test".into());
    })
    .await;
    new_user(&app, "gone@example.com", Role::Candidate).await;
    new_user(&app, "stays@example.com", Role::Candidate).await;
    for email in ["gone@example.com", "stays@example.com"] {
        app.other_browser()
            .post_form("/account/reset", "/account/reset", &[("email", email)])
            .await;
    }
    let user: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE email = 'gone@example.com'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    ai102::store::own_data::delete_account(&app.db, user)
        .await
        .unwrap();
    let left: Vec<String> = sqlx::query_scalar("SELECT to_address FROM mail_outbox")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(left, vec!["stays@example.com".to_owned()]);
    let requests: i64 =
        sqlx::query_scalar("SELECT count(*) FROM mail_requests WHERE email = 'gone@example.com'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(requests, 0);

    sqlx::query("UPDATE site_settings SET keep_mail_days = 7")
        .execute(&app.db)
        .await
        .unwrap();
    sqlx::query("UPDATE mail_outbox SET created_at = now() - interval '8 days'")
        .execute(&app.db)
        .await
        .unwrap();
    let done = ai102::store::own_data::enforce_retention(&app.db, true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.mails, 1);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM mail_outbox")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn a_reporter_who_asked_gets_the_outcome_of_their_report_by_mail() {
    let sink = SmtpSink::start(&[]);
    let app = TestApp::spawn_with_mail(&sink, |_| {}).await;
    let teacher = new_user(&app, "teach@example.com", Role::Instructor).await;
    let pack = app
        .import_pack(
            &test_pack_as("outcome-pack", "Outcome pack"),
            Some(teacher.id),
            ai102::store::bank::PackStatus::Published,
        )
        .await;
    new_user(&app, "asks@example.com", Role::Candidate).await;
    new_user(&app, "quiet@example.com", Role::Candidate).await;
    let asks = app.other_browser();
    asks.sign_in("asks@example.com", PASSWORD).await;
    let r = asks
        .post_form("/account", "/account/mail", &[("report_outcomes", "on")])
        .await;
    assert_eq!(location(&r), "/account?saved=mail");
    let wanted = report_typo(&app, "asks@example.com", pack, "t-single", None).await;
    let unwanted = report_typo(&app, "quiet@example.com", pack, "t-multiple", None).await;
    assert_eq!(
        app.sign_in("teach@example.com", PASSWORD).await.status(),
        303
    );
    for id in [wanted, unwanted] {
        let r = app
            .post_form(
                "/instructor/reports",
                &format!("/instructor/reports/{id}/reject"),
                &[("reason", "The wording is right as it is.")],
            )
            .await;
        assert_eq!(r.status(), 303);
    }
    let mail = sink
        .latest("asks@example.com", "The outcome of your problem report")
        .await;
    let text = mail.text.unwrap();
    assert!(
        text.contains("t-single") && text.contains("The wording is right as it is."),
        "{text}"
    );
    drained(&app).await;
    assert!(!sink
        .to("quiet@example.com")
        .iter()
        .any(|m| m.subject.contains("outcome")));
}
