//! The tests' real OpenID provider: panva's certified `oidc-provider` (scripts/oidc.sh installs it into .oidc/;
//! `make test` runs that first) behind tests/oidc/provider.mjs, one per test, on a free loopback port; and a
//! driver that walks a sign-in through it over HTTP, its login form included (the browser journey does the same in
//! Chromium).
#![allow(dead_code)]

use crate::common::TestApp;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub struct OidcProvider {
    pub issuer: String,
    child: Child,
    /// Kept open: the provider would die of EPIPE on its next write to a closed stdout.
    _stdout: BufReader<std::process::ChildStdout>,
    config: std::path::PathBuf,
}

impl OidcProvider {
    /// Starts a provider with `config` ({"clients": [...], "accounts": {...}}; tests/oidc/provider.mjs).
    pub fn start(config: serde_json::Value) -> OidcProvider {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert!(
            root.join(".oidc/node_modules/oidc-provider").exists(),
            "the tests' OpenID provider is not installed: run scripts/oidc.sh (make test does)"
        );
        let file =
            std::env::temp_dir().join(format!("ai102-oidc-{}.json", uuid::Uuid::new_v4().simple()));
        std::fs::write(&file, config.to_string()).expect("the provider's config");
        let mut child = Command::new("node")
            .arg(root.join("tests/oidc/provider.mjs"))
            .arg("--config")
            .arg(&file)
            .arg("--port")
            .arg("0")
            .arg("--exit-with-stdin")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // Its log (each token it sends) only when asked: OIDC_PROVIDER_LOG=1.
            .stderr(if std::env::var_os("OIDC_PROVIDER_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .expect("start tests/oidc/provider.mjs (is node installed?)");
        let mut line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        stdout
            .read_line(&mut line)
            .expect("the provider's first line");
        let ready: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("the provider said {line:?}"));
        OidcProvider {
            issuer: ready["issuer"].as_str().expect("issuer").to_owned(),
            child,
            _stdout: stdout,
            config: file,
        }
    }

    /// Makes the next ID token misbehave (`mode`: wrong_aud, expired, wrong_nonce, bad_signature, …), with
    /// `claims` merged in.
    pub async fn next_token(&self, mode: &str, claims: serde_json::Value) {
        let r = reqwest::Client::new()
            .post(format!("{}/__test/mode", self.issuer))
            .json(&serde_json::json!({ "mode": mode, "claims": claims }))
            .send()
            .await
            .expect("the provider's test control");
        assert!(r.status().is_success(), "mode {mode}: {}", r.status());
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.config);
    }
}

/// A provider config with one client, `ai102` (secret `s3cret`), whose callback is `callback`, and `accounts`.
pub fn config(callback: &str, accounts: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "clients": [{ "client_id": "ai102", "client_secret": "s3cret", "redirect_uris": [callback] }],
        "accounts": accounts,
    })
}

fn location_of(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Walks a sign-in with provider `slug` on `app` (its own cookie jar) up to the provider's redirect back to the
/// app, logging in as `login` on the provider's form; returns the callback URL (not yet followed).
pub async fn to_callback(app: &TestApp, slug: &str, next: &str, login: &str) -> String {
    let start = if next.is_empty() {
        format!("/auth/sso/{slug}")
    } else {
        format!("/auth/sso/{slug}?next={}", urlencode(next))
    };
    let r = app.get(&start).await;
    assert_eq!(r.status(), 303, "{start} sends the browser to the provider");
    let mut url = location_of(&r).expect("the provider's address");
    let callback = app.url(&format!("/auth/sso/{slug}/callback"));
    let mut logged_in = false;
    for _ in 0..20 {
        if url.starts_with(&callback) {
            return url;
        }
        let r = app.client.get(&url).send().await.expect("a provider page");
        if let Some(next) = location_of(&r) {
            url = reqwest::Url::parse(&url)
                .and_then(|base| base.join(&next))
                .expect("a redirect")
                .to_string();
            continue;
        }
        assert_eq!(r.status(), 200, "{url}");
        assert!(!logged_in, "the provider asked to log in twice");
        let html = r.text().await.expect("the login page");
        let doc = scraper::Html::parse_document(&html);
        let form = doc
            .select(&scraper::Selector::parse("form").unwrap())
            .next()
            .unwrap_or_else(|| panic!("no form on the provider's page:\n{html}"));
        let action = form.value().attr("action").expect("the form's action");
        let mut fields: Vec<(String, String)> = form
            .select(&scraper::Selector::parse("input[type=hidden]").unwrap())
            .filter_map(|i| {
                Some((
                    i.value().attr("name")?.to_owned(),
                    i.value().attr("value").unwrap_or("").to_owned(),
                ))
            })
            .collect();
        fields.push(("login".into(), login.into()));
        let post_to = reqwest::Url::parse(&url).unwrap().join(action).unwrap();
        let r = app
            .client
            .post(post_to)
            .form(&fields)
            .send()
            .await
            .expect("the login");
        logged_in = true;
        url = reqwest::Url::parse(&url)
            .unwrap()
            .join(&location_of(&r).unwrap_or_else(|| panic!("the login answered {}", r.status())))
            .unwrap()
            .to_string();
    }
    panic!("the sign-in did not come back to {callback}; last at {url}");
}

/// A whole sign-in: the callback's answer.
pub async fn sign_in(app: &TestApp, slug: &str, next: &str, login: &str) -> reqwest::Response {
    let callback = to_callback(app, slug, next, login).await;
    app.client
        .get(&callback)
        .send()
        .await
        .expect("the callback")
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
