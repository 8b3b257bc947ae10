//! Single sign-on against a real OpenID provider (panva's oidc-provider on loopback, tests/oidc/provider.mjs): the
//! whole code flow with PKCE, accounts made with the mapped role, ID tokens that fail a check (tampered signature,
//! unknown key, no signature, wrong audience or issuer, expired, wrong nonce), a replayed or foreign state, an
//! unverified address that must not join an existing account, roles that are raised and never lowered, a domain
//! that must use single sign-on, the redirect after it, and the admin's provider settings.

use crate::common::*;
use crate::mail_sink::free_port;
use crate::oidc_provider::{self, OidcProvider};
use ai102::auth::Role;
use serde_json::{json, Value};

/// The provider's accounts (subject → claims).
fn accounts() -> Value {
    json!({
        "alice": { "email": "alice@corp.test", "email_verified": true, "name": "Alice Corp", "groups": ["exam-staff"] },
        "bob": { "email": "bob@corp.test", "email_verified": false, "name": "Bob Corp", "groups": [] },
        "carol": { "email": "carol@corp.test", "email_verified": true, "name": "Carol Corp", "groups": ["exam-staff"] },
        "dan": { "email": "dan@corp.test", "name": "Dan Corp", "groups": ["exam-admins"] },
    })
}

/// The app with one provider, `corp` ("Corp ID"), from SSO_PROVIDERS; `extra` overrides its settings.
pub(crate) async fn with_sso(extra: Value) -> (TestApp, OidcProvider) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let idp = OidcProvider::start(oidc_provider::config(
        &format!("{base}/auth/sso/corp/callback"),
        accounts(),
    ));
    let mut provider = json!({
        "slug": "corp", "display_name": "Corp ID", "issuer": idp.issuer, "client_id": "ai102",
        "client_secret": "s3cret",
        "role_rules": [
            { "claim": "groups", "value": "exam-staff", "role": "instructor" },
            { "claim": "groups", "value": "exam-admins", "role": "admin" }
        ],
    });
    for (k, v) in extra.as_object().expect("an object") {
        provider[k] = v.clone();
    }
    let providers = json!([provider]).to_string();
    let app = TestApp::spawn_with(move |c| {
        c.bind = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        c.public_base_url = Some(base);
        c.sso_providers = Some(providers);
    })
    .await;
    (app, idp)
}

async fn role_of(app: &TestApp, email: &str) -> Option<String> {
    sqlx::query_scalar("SELECT role FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(&app.db)
        .await
        .unwrap()
}

async fn signed_in(app: &TestApp) -> bool {
    app.get("/account").await.status() == 200
}

#[tokio::test]
async fn a_new_user_signs_in_with_the_provider_and_lands_with_the_mapped_role() {
    let (app, _idp) = with_sso(json!({})).await;
    let page = app
        .get("/signin?next=%2Fprogress")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("href=\"/auth/sso/corp?next=") && page.contains("Sign in with Corp ID"),
        "the sign-in page offers the provider, as a plain link: {page}"
    );
    let r = oidc_provider::sign_in(&app, "corp", "/progress", "alice").await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/progress", "back where the person was going");
    assert!(signed_in(&app).await);
    assert_eq!(
        role_of(&app, "alice@corp.test").await.as_deref(),
        Some("instructor")
    );
    assert_eq!(app.get("/instructor").await.status(), 200);
    let (name, verified, password): (String, bool, String) = sqlx::query_as(
        "SELECT display_name, email_verified_at IS NOT NULL, password_hash FROM users WHERE email = 'alice@corp.test'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(
        (name.as_str(), verified, password.as_str()),
        ("Alice Corp", true, "!")
    );
    let identities: i64 = app
        .count("SELECT count(*) FROM user_identities WHERE subject = 'alice'")
        .await;
    assert_eq!(identities, 1);
    let audited = app
        .count("SELECT count(*) FROM audit_log WHERE action IN ('user.created_by_sso', 'user.role_raised_by_sso')")
        .await;
    assert_eq!(audited, 2);
    // An account made by single sign-on has no password to sign in with.
    assert_eq!(
        app.other_browser()
            .sign_in("alice@corp.test", "!")
            .await
            .status(),
        401
    );
    // The second sign-in finds the same account.
    let again = app.other_browser();
    let r = oidc_provider::sign_in(&again, "corp", "", "alice").await;
    assert_eq!(location(&r), "/");
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE email LIKE '%@corp.test'")
            .await,
        1
    );
}

#[tokio::test]
async fn an_id_token_that_fails_any_check_signs_nobody_in() {
    let (app, idp) = with_sso(json!({})).await;
    for mode in [
        "bad_signature",
        "unknown_kid",
        "alg_none",
        "wrong_aud",
        "wrong_iss",
        "expired",
        "wrong_nonce",
        "no_nonce",
    ] {
        let browser = app.other_browser();
        let callback = oidc_provider::to_callback(&browser, "corp", "", "alice").await;
        idp.next_token(mode, json!({})).await;
        let r = browser.client.get(&callback).send().await.unwrap();
        assert_eq!(r.status(), 401, "{mode}");
        let page = r.text().await.unwrap();
        assert!(page.contains("did not pass its checks"), "{mode}: {page}");
        assert!(!signed_in(&browser).await, "{mode}: no session");
    }
    assert_eq!(
        app.count("SELECT count(*) FROM users").await,
        0,
        "no account made"
    );
    // The same provider, behaving, signs in.
    let r = oidc_provider::sign_in(&app, "corp", "", "alice").await;
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn a_state_works_once_and_only_in_the_browser_that_started_it() {
    let (app, _idp) = with_sso(json!({})).await;
    let callback = oidc_provider::to_callback(&app, "corp", "", "alice").await;
    // Another browser (an attacker's link in a victim's browser): refused, and the state is used up.
    let other = app.other_browser();
    let r = other.client.get(&callback).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(!signed_in(&other).await);
    let r = app.client.get(&callback).send().await.unwrap();
    assert_eq!(r.status(), 400, "a used state does not work again");
    // A fresh flow, then replayed.
    let callback = oidc_provider::to_callback(&app, "corp", "", "alice").await;
    assert_eq!(
        app.client.get(&callback).send().await.unwrap().status(),
        303
    );
    let replay = app.client.get(&callback).send().await.unwrap();
    assert_eq!(replay.status(), 400);
    // Made-up and missing states.
    assert_eq!(
        app.get("/auth/sso/corp/callback?code=x&state=forged")
            .await
            .status(),
        400
    );
    assert_eq!(app.get("/auth/sso/corp/callback").await.status(), 400);
    assert_eq!(app.get("/auth/sso/nobody").await.status(), 404);
}

#[tokio::test]
async fn an_unverified_address_never_joins_an_existing_account_and_a_verified_one_does() {
    let (app, idp) = with_sso(json!({})).await;
    new_user(&app, "bob@corp.test", Role::Candidate).await;
    new_user(&app, "carol@corp.test", Role::Admin).await;
    // bob's provider account says email_verified: false.
    let r = oidc_provider::sign_in(&app, "corp", "", "bob").await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("not joined"));
    assert!(!signed_in(&app).await);
    assert_eq!(app.count("SELECT count(*) FROM user_identities").await, 0);
    // A token that leaves email_verified out, from a provider not trusted to vouch: refused too.
    let browser = app.other_browser();
    let callback = oidc_provider::to_callback(&browser, "corp", "", "bob").await;
    idp.next_token("normal", json!({ "email_verified": null }))
        .await;
    assert_eq!(
        browser.client.get(&callback).send().await.unwrap().status(),
        403
    );
    // Somebody signed up with carol's address and a password before her (the address was never confirmed).
    let squatter = app.other_browser();
    assert_eq!(
        squatter.sign_in("carol@corp.test", PASSWORD).await.status(),
        303
    );
    // carol's address is verified: her existing account is joined, and the rule's instructor never lowers admin.
    let browser = app.other_browser();
    let r = oidc_provider::sign_in(&browser, "corp", "", "carol").await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        role_of(&app, "carol@corp.test").await.as_deref(),
        Some("admin")
    );
    assert_eq!(browser.get("/admin").await.status(), 200);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'user.identity_linked'")
            .await,
        1
    );
    // Joining an account whose address was never confirmed ends whatever its maker had: password and sessions.
    assert!(!signed_in(&squatter).await, "the squatter's session ended");
    assert_eq!(
        app.other_browser()
            .sign_in("carol@corp.test", PASSWORD)
            .await
            .status(),
        401,
        "the squatter's password no longer works"
    );
}

#[tokio::test]
async fn a_trusted_provider_joins_an_address_it_does_not_vouch_for_and_rules_raise_roles_at_each_sign_in(
) {
    let (app, idp) = with_sso(json!({ "trusts_verified_email": true })).await;
    new_user(&app, "dan@corp.test", Role::Candidate).await;
    // dan's provider account sends no email_verified (as Entra ID often does); the provider is trusted.
    let r = oidc_provider::sign_in(&app, "corp", "", "dan").await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        role_of(&app, "dan@corp.test").await.as_deref(),
        Some("admin"),
        "exam-admins maps to admin"
    );
    // Out of the group: the role stays (lowering is an admin's decision).
    let browser = app.other_browser();
    let callback = oidc_provider::to_callback(&browser, "corp", "", "dan").await;
    idp.next_token("normal", json!({ "groups": [] })).await;
    assert_eq!(
        browser.client.get(&callback).send().await.unwrap().status(),
        303
    );
    assert_eq!(
        role_of(&app, "dan@corp.test").await.as_deref(),
        Some("admin")
    );
    // But a provider that says "not verified" is believed, trusted or not.
    new_user(&app, "bob@corp.test", Role::Candidate).await;
    let r = oidc_provider::sign_in(&app.other_browser(), "corp", "", "bob").await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn a_domain_that_requires_single_sign_on_loses_its_passwords_but_keeps_its_api_tokens() {
    let (app, _idp) =
        with_sso(json!({ "required_domains": ["corp.test"], "allowed_domains": ["corp.test"] }))
            .await;
    new_user(&app, "carol@corp.test", Role::Candidate).await;
    let token = app.api_token("carol@corp.test").await;
    let r = app.sign_in("carol@corp.test", PASSWORD).await;
    assert_eq!(r.status(), 403);
    let page = r.text().await.unwrap();
    assert!(page.contains("sign in with Corp ID"), "{page}");
    // Also for an address without an account: the answer says nothing about accounts.
    assert_eq!(
        app.sign_in("nobody@corp.test", PASSWORD).await.status(),
        403
    );
    let r = app
        .client
        .get(app.url("/api/v1/exams"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "API tokens keep working until revoked");
    let r = app
        .post_form(
            "/account/reset",
            "/account/reset",
            &[("email", "carol@corp.test")],
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = app.sign_up("new@corp.test", "New").await;
    assert_eq!(r.status(), 422);
    // Through the provider, carol signs in (her verified address joins the account).
    let r = oidc_provider::sign_in(&app, "corp", "", "carol").await;
    assert_eq!(r.status(), 303);
    // Another domain is not this provider's to sign in.
    let other = app.other_browser();
    let callback = oidc_provider::to_callback(&other, "corp", "", "carol").await;
    _idp.next_token("normal", json!({ "email": "carol@elsewhere.test" }))
        .await;
    let r = other.client.get(&callback).send().await.unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn the_redirect_after_single_sign_on_stays_on_the_site() {
    let (app, _idp) = with_sso(json!({})).await;
    for next in [
        "//evil.example/x",
        "https://evil.example",
        "/\t/evil.example",
    ] {
        let browser = app.other_browser();
        let r = oidc_provider::sign_in(&browser, "corp", next, "alice").await;
        assert_eq!(r.status(), 303);
        assert_eq!(location(&r), "/", "{next:?}");
    }
}

#[tokio::test]
async fn an_admin_adds_changes_and_removes_a_provider_and_bad_settings_are_refused_with_the_field()
{
    let app =
        TestApp::spawn_with(|c| c.public_base_url = Some("https://exams.example.com".into())).await;
    new_user(&app, "root@example.com", Role::Admin).await;
    assert_eq!(
        app.sign_in("root@example.com", PASSWORD).await.status(),
        303
    );
    let form = |issuer: &'static str, rules: &'static str| {
        vec![
            ("slug", "entra"),
            ("display_name", "Contoso Entra ID"),
            ("issuer", issuer),
            ("client_id", "abc"),
            ("client_secret", "shh"),
            ("allowed_domains", "contoso.com"),
            ("role_rules", rules),
            ("enabled", "on"),
        ]
    };
    let r = app
        .post_form(
            "/admin/sso",
            "/admin/sso",
            &form("http://login.example.com/x", ""),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("https://"));
    let r = app
        .post_form(
            "/admin/sso",
            "/admin/sso",
            &form("https://login.example.com/t/v2.0", "groups x wizard"),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("role rule line 1"));
    let r = app
        .post_form(
            "/admin/sso",
            "/admin/sso",
            &form(
                "https://login.example.com/t/v2.0/",
                "groups staff instructor",
            ),
        )
        .await;
    assert_eq!(location(&r), "/admin/sso?saved=1");
    let page = app.get("/admin/sso").await.text().await.unwrap();
    assert!(
        page.contains("https://exams.example.com/auth/sso/entra/callback"),
        "{page}"
    );
    assert!(!page.contains("shh"), "the secret is never shown");
    assert!(page.contains("groups staff instructor"));
    // Saved again without a secret: the stored one is kept.
    let mut again = form("https://login.example.com/t/v2.0", "");
    again.retain(|(k, _)| *k != "client_secret");
    app.post_form("/admin/sso", "/admin/sso", &again).await;
    let secret: String =
        sqlx::query_scalar("SELECT client_secret FROM sso_providers WHERE slug = 'entra'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(secret, "shh");
    let visitor = app.other_browser();
    assert!(visitor
        .get("/signin")
        .await
        .text()
        .await
        .unwrap()
        .contains("Sign in with Contoso Entra ID"));
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM sso_providers")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let r = app
        .post_form("/admin/sso", &format!("/admin/sso/{id}/delete"), &[])
        .await;
    assert_eq!(location(&r), "/admin/sso?saved=1");
    assert!(!visitor
        .get("/signin")
        .await
        .text()
        .await
        .unwrap()
        .contains("Contoso"));
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action LIKE 'sso.provider_%'")
            .await,
        3
    );
}

#[tokio::test]
async fn an_account_made_by_single_sign_on_is_deleted_with_its_address_typed_after_a_recent_sign_in(
) {
    let (app, _idp) = with_sso(json!({})).await;
    let r = oidc_provider::sign_in(&app, "corp", "", "alice").await;
    assert_eq!(r.status(), 303);
    let page = app.get("/account").await.text().await.unwrap();
    assert!(
        page.contains("id=\"delete-email\"") && !page.contains("id=\"delete-password\""),
        "no password to ask for: the address is typed instead"
    );
    let alice = "SELECT count(*) FROM users WHERE email = 'alice@corp.test'";
    let r = app
        .post_form("/account", "/account/delete", &[("email", "bob@corp.test")])
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Type your account"));
    // The sign-in is 16 minutes old: not recent enough to stand in for a password.
    sqlx::query(
        "UPDATE sessions SET created_at = now() - interval '16 minutes'
         WHERE user_id = (SELECT id FROM users WHERE email = 'alice@corp.test')",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let r = app
        .post_form(
            "/account",
            "/account/delete",
            &[("email", " Alice@Corp.test")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("sign in again with single sign-on"));
    assert_eq!(app.count(alice).await, 1, "nothing was deleted");
    // Signed in again with the provider: the account goes.
    oidc_provider::sign_in(&app, "corp", "", "alice").await;
    let r = app
        .post_form(
            "/account",
            "/account/delete",
            &[("email", "alice@corp.test")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/?account=deleted");
    assert_eq!(app.count(alice).await, 0);
}
