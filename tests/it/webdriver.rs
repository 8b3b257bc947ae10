//! A small W3C WebDriver client over reqwest: Debian's ChromeDriver and headless Chromium, one browser per
//! test, with the few commands the browser tests need and bounded waits instead of sleeps.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Debian's `chromium` package.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Debian's `chromium-driver` package.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// How long `find` and the other waits poll before they fail.
pub const WAIT: Duration = Duration::from_secs(10);
/// The pause between two polls of a wait.
const POLL: Duration = Duration::from_millis(50);

/// The key under which W3C WebDriver returns an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A reference to an element of the current page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    id: String,
}

impl Element {
    fn to_json(&self) -> Value {
        json!({ ELEMENT_KEY: self.id })
    }
}

/// A WebDriver error: its W3C code (`no such element`, ...) and message.
#[derive(Debug, Clone)]
pub struct WdError {
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for WdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// A headless Chromium driven through its own ChromeDriver; both end when this is dropped.
pub struct Browser {
    http: reqwest::Client,
    port: u16,
    session: String,
    driver: Child,
    profile: PathBuf,
}

/// Why the browser tests cannot run here, or `None` when Chromium and ChromeDriver are installed.
pub fn missing_browser() -> Option<String> {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|p| !Path::new(p).exists())
        .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "{} not found; install Debian's chromium and chromium-driver (scripts/browser.sh)",
            missing.join(" and ")
        )
    })
}

impl Browser {
    /// Starts a browser, or returns `None` after saying why the test is skipped when Chromium or ChromeDriver
    /// is missing on a developer's machine. In CI (the `CI` variable set) a missing browser fails the test.
    pub async fn launch_or_skip(test: &str) -> Option<Browser> {
        Self::launch_or_skip_with(test, &[]).await
    }

    /// As `launch_or_skip`, with extra Chromium switches (e.g. `--blink-settings=scriptEnabled=false`).
    pub async fn launch_or_skip_with(test: &str, switches: &[&str]) -> Option<Browser> {
        if let Some(why) = missing_browser() {
            if std::env::var_os("CI").is_some() {
                panic!("{test}: {why} (CI is set, so a missing browser is a failure)");
            }
            println!("SKIPPED {test}: {why}");
            eprintln!("SKIPPED {test}: {why}");
            return None;
        }
        Some(Browser::launch(switches).await)
    }

    /// Starts ChromeDriver on a free port and opens a fresh headless Chromium session, with extra switches.
    pub async fn launch(switches: &[&str]) -> Browser {
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}"));
        let profile =
            std::env::temp_dir().join(format!("ai102-chromium-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&profile).expect("a temporary Chromium profile");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("http client");
        let mut browser = Browser {
            http,
            port,
            session: String::new(),
            driver,
            profile,
        };
        browser.wait_for_driver().await;
        let mut args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--no-first-run".to_owned(),
            format!("--user-data-dir={}", browser.profile.display()),
            "--window-size=1280,900".to_owned(),
        ];
        args.extend(switches.iter().map(|s| (*s).to_owned()));
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "pageLoadStrategy": "normal",
                    "goog:chromeOptions": {
                        "binary": CHROMIUM,
                        "args": args,
                    },
                },
            },
        });
        let created = browser
            .command(reqwest::Method::POST, "/session", Some(capabilities))
            .await
            .unwrap_or_else(|e| panic!("ChromeDriver could not start Chromium: {e}"));
        browser.session = created["sessionId"]
            .as_str()
            .expect("a session id")
            .to_owned();
        browser
            .session_command(
                reqwest::Method::POST,
                "/timeouts",
                Some(json!({ "implicit": 0, "pageLoad": 30_000, "script": 10_000 })),
            )
            .await
            .expect("timeouts");
        browser
    }

    /// Polls ChromeDriver's `/status` until it is ready.
    async fn wait_for_driver(&mut self) {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(Some(status)) = self.driver.try_wait() {
                panic!("{CHROMEDRIVER} exited at start with {status}");
            }
            let ready = self
                .command(reqwest::Method::GET, "/status", None)
                .await
                .ok()
                .and_then(|v| v["ready"].as_bool())
                .unwrap_or(false);
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "ChromeDriver was not ready within {WAIT:?}"
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// Sends one WebDriver command and returns its `value`, or the W3C error.
    async fn command(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, WdError> {
        let url = format!("http://127.0.0.1:{}{path}", self.port);
        let mut request = self.http.request(method, &url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| WdError {
            code: "transport".into(),
            message: e.to_string(),
        })?;
        let ok = response.status().is_success();
        let body: Value = response.json().await.map_err(|e| WdError {
            code: "transport".into(),
            message: e.to_string(),
        })?;
        let value = body.get("value").cloned().unwrap_or(Value::Null);
        if ok {
            Ok(value)
        } else {
            Err(WdError {
                code: value["error"]
                    .as_str()
                    .unwrap_or("unknown error")
                    .to_owned(),
                message: value["message"]
                    .as_str()
                    .unwrap_or_default()
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            })
        }
    }

    async fn session_command(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, WdError> {
        self.command(method, &format!("/session/{}{path}", self.session), body)
            .await
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.session_command(reqwest::Method::POST, path, Some(body))
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    async fn get(&self, path: &str) -> Value {
        self.session_command(reqwest::Method::GET, path, None)
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// Opens a URL and waits for the page to load.
    pub async fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }

    pub async fn current_url(&self) -> String {
        self.get("/url").await.as_str().expect("a URL").to_owned()
    }

    /// The path (and query) of the current URL.
    pub async fn current_path(&self) -> String {
        let url = self.current_url().await;
        let after_scheme = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
        after_scheme
            .find('/')
            .map_or("/".to_owned(), |i| after_scheme[i..].to_owned())
    }

    /// The elements matching a CSS selector now, without waiting (an empty list when there are none).
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        let found = self
            .post(
                "/elements",
                json!({ "using": "css selector", "value": css }),
            )
            .await;
        elements(&found)
    }

    /// The elements matching a CSS selector inside `parent`, without waiting.
    pub async fn find_all_in(&self, parent: &Element, css: &str) -> Vec<Element> {
        let found = self
            .post(
                &format!("/element/{}/elements", parent.id),
                json!({ "using": "css selector", "value": css }),
            )
            .await;
        elements(&found)
    }

    /// The first element matching a CSS selector now, if any.
    pub async fn try_find(&self, css: &str) -> Option<Element> {
        self.find_all(css).await.into_iter().next()
    }

    /// The first element matching a CSS selector, waiting up to `WAIT` for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(e) = self.try_find(css).await {
                return e;
            }
            if Instant::now() >= deadline {
                panic!(
                    "no element matches `{css}` after {WAIT:?} on {}",
                    self.current_url().await
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits up to `WAIT` until one of the selectors matches; returns the index of the first that does.
    pub async fn find_any(&self, selectors: &[&str]) -> (usize, Element) {
        let deadline = Instant::now() + WAIT;
        loop {
            for (i, css) in selectors.iter().enumerate() {
                if let Some(e) = self.try_find(css).await {
                    return (i, e);
                }
            }
            if Instant::now() >= deadline {
                panic!(
                    "none of {selectors:?} appeared after {WAIT:?} on {}",
                    self.current_url().await
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    pub async fn click(&self, element: &Element) {
        self.post(&format!("/element/{}/click", element.id), json!({}))
            .await;
    }

    /// Types text into an input (appending to what is there).
    pub async fn send_keys(&self, element: &Element, text: &str) {
        self.post(
            &format!("/element/{}/value", element.id),
            json!({ "text": text }),
        )
        .await;
    }

    pub async fn clear(&self, element: &Element) {
        self.post(&format!("/element/{}/clear", element.id), json!({}))
            .await;
    }

    /// Clears an input found by CSS and types `text` into it.
    pub async fn fill(&self, css: &str, text: &str) {
        let input = self.find(css).await;
        self.clear(&input).await;
        self.send_keys(&input, text).await;
    }

    /// The rendered text of an element, whitespace collapsed.
    pub async fn text(&self, element: &Element) -> String {
        let raw = self.get(&format!("/element/{}/text", element.id)).await;
        raw.as_str()
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// An attribute of an element, as written in the HTML.
    pub async fn attribute(&self, element: &Element, name: &str) -> Option<String> {
        let value = self
            .get(&format!("/element/{}/attribute/{name}", element.id))
            .await;
        value.as_str().map(str::to_owned)
    }

    /// A DOM property of an element (e.g. `checked`, `value`).
    pub async fn property(&self, element: &Element, name: &str) -> Value {
        self.get(&format!("/element/{}/property/{name}", element.id))
            .await
    }

    pub async fn is_displayed(&self, element: &Element) -> bool {
        self.get(&format!("/element/{}/displayed", element.id))
            .await
            .as_bool()
            .unwrap_or(false)
    }

    /// Picks the option with `value` in the select matched by `select_css`, by clicking it as a user would.
    pub async fn select_option(&self, select_css: &str, value: &str) {
        let select = self.find(select_css).await;
        let options = self
            .find_all_in(&select, &format!("option[value=\"{value}\"]"))
            .await;
        let option = options
            .first()
            .unwrap_or_else(|| panic!("`{select_css}` has no option with value {value:?}"));
        self.click(option).await;
        let chosen = self.property(&select, "value").await;
        assert_eq!(
            chosen.as_str(),
            Some(value),
            "`{select_css}` did not take the value {value:?}"
        );
    }

    /// Runs a synchronous script in the page (`arguments` are the `args`) and returns its result.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
            .await
    }

    /// Clicks an element that submits a form or follows a link, and waits until the next page has loaded
    /// (a new document, even when it has the same URL).
    pub async fn click_and_wait(&self, element: &Element) {
        self.execute("window.__ai102_previous_page = true;", vec![])
            .await;
        self.click(element).await;
        let deadline = Instant::now() + WAIT;
        loop {
            // While the page changes the script may fail; that only means "not yet".
            let loaded = self
                .session_command(
                    reqwest::Method::POST,
                    "/execute/sync",
                    Some(json!({
                        "script": "return document.readyState === 'complete' && !window.__ai102_previous_page;",
                        "args": [],
                    })),
                )
                .await
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if loaded {
                return;
            }
            if Instant::now() >= deadline {
                panic!(
                    "no new page within {WAIT:?} after a click on {}",
                    self.current_url().await
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Saves a PNG screenshot of the window, creating the folder if needed.
    pub async fn screenshot(&self, path: &Path) {
        let encoded = self.get("/screenshot").await;
        let png = base64_decode(encoded.as_str().expect("base64 screenshot"))
            .expect("the screenshot is valid base64");
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("the screenshot folder");
        }
        std::fs::write(path, png).expect("write the screenshot");
    }
}

/// One violation that axe-core reports: a rule, its impact and the elements that break it.
#[derive(Debug, Clone)]
pub struct AxeViolation {
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: String,
    pub help: String,
    pub help_url: String,
    /// The CSS selectors axe gives for each offending element.
    pub targets: Vec<String>,
}

/// Where scripts/browser.sh installs axe-core (pinned in tests/a11y/package-lock.json).
pub fn axe_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/a11y/node_modules/axe-core/axe.min.js")
}

/// The WCAG 2.0/2.1 level A and AA rules, the ones the pages must pass.
const AXE_RUN: &str = "var done = arguments[arguments.length - 1];
axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
  .then(function (r) { done({ violations: r.violations, passes: r.passes.length }); })
  .catch(function (e) { done({ error: String(e) }); });";

impl Browser {
    /// Runs a script that ends by calling its last argument (`execute/async`) and returns what it passed.
    pub async fn execute_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.post("/execute/async", json!({ "script": script, "args": args }))
            .await
    }

    /// Waits up to `WAIT` until a script returns `true` (`what` says what is awaited when it never does).
    pub async fn wait_until(&self, script: &str, args: Vec<Value>, what: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            if self.execute(script, args.clone()).await.as_bool() == Some(true) {
                return;
            }
            if Instant::now() >= deadline {
                panic!("{what}: not after {WAIT:?} on {}", self.current_url().await);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Injects axe-core into the current page (once per document) and returns the WCAG 2.1 A/AA violations.
    pub async fn axe_violations(&self) -> Vec<AxeViolation> {
        let loaded = self
            .execute("return typeof window.axe !== 'undefined';", vec![])
            .await;
        if loaded.as_bool() != Some(true) {
            let path = axe_path();
            let source = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!(
                    "cannot read {} ({e}): run scripts/browser.sh to install axe-core",
                    path.display()
                )
            });
            self.execute(&source, vec![]).await;
        }
        let outcome = self.execute_async(AXE_RUN, vec![]).await;
        if let Some(error) = outcome["error"].as_str() {
            panic!("axe.run failed on {}: {error}", self.current_url().await);
        }
        assert!(
            outcome["passes"].as_u64().unwrap_or(0) > 0,
            "axe checked no rule on {}",
            self.current_url().await
        );
        outcome["violations"]
            .as_array()
            .expect("axe returns a list of violations")
            .iter()
            .map(|v| AxeViolation {
                id: v["id"].as_str().unwrap_or_default().to_owned(),
                impact: v["impact"].as_str().unwrap_or_default().to_owned(),
                help: v["help"].as_str().unwrap_or_default().to_owned(),
                help_url: v["helpUrl"].as_str().unwrap_or_default().to_owned(),
                targets: v["nodes"]
                    .as_array()
                    .map(|nodes| nodes.iter().map(|n| n["target"].to_string()).collect())
                    .unwrap_or_default(),
            })
            .collect()
    }

    /// The accessible name of an element, as the browser computes it for assistive technology.
    pub async fn computed_label(&self, element: &Element) -> String {
        self.get(&format!("/element/{}/computedlabel", element.id))
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The element that has the focus.
    pub async fn active_element(&self) -> Element {
        let value = self.get("/element/active").await;
        Element {
            id: value[ELEMENT_KEY]
                .as_str()
                .expect("an active element")
                .to_owned(),
        }
    }

    /// Presses keys one after the other, as a keyboard would (WebDriver key codes, e.g. `\u{E004}` for Tab).
    pub async fn press_keys(&self, keys: &[&str]) {
        let mut actions = Vec::new();
        for key in keys {
            actions.push(json!({ "type": "keyDown", "value": key }));
            actions.push(json!({ "type": "keyUp", "value": key }));
        }
        self.post(
            "/actions",
            json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] }),
        )
        .await;
        self.release_actions().await;
    }

    /// Drags `from` onto `to` with the mouse: press on the first, move in steps, release on the second.
    pub async fn drag_and_drop(&self, from: &Element, to: &Element) {
        let origin = |e: &Element| json!({ ELEMENT_KEY: e.id });
        let actions = json!([
            { "type": "pointerMove", "duration": 0, "origin": origin(from), "x": 0, "y": 0 },
            { "type": "pointerDown", "button": 0 },
            { "type": "pointerMove", "duration": 100, "origin": "pointer", "x": 5, "y": 5 },
            { "type": "pointerMove", "duration": 200, "origin": origin(to), "x": 0, "y": 0 },
            { "type": "pointerUp", "button": 0 },
        ]);
        self.post(
            "/actions",
            json!({ "actions": [{
                "type": "pointer", "id": "mouse", "parameters": { "pointerType": "mouse" },
                "actions": actions,
            }] }),
        )
        .await;
        self.release_actions().await;
    }

    async fn release_actions(&self) {
        self.session_command(reqwest::Method::DELETE, "/actions", None)
            .await
            .unwrap_or_else(|e| panic!("DELETE /actions: {e}"));
    }

    /// Resizes the window (CSS pixels), e.g. to a phone's width.
    pub async fn set_window_size(&self, width: u32, height: u32) {
        self.post("/window/rect", json!({ "width": width, "height": height }))
            .await;
    }

    /// Emulates the system's colour scheme (`light` or `dark`) for `prefers-color-scheme`.
    pub async fn emulate_color_scheme(&self, scheme: &str) {
        self.post(
            "/goog/cdp/execute",
            json!({
                "cmd": "Emulation.setEmulatedMedia",
                "params": { "features": [{ "name": "prefers-color-scheme", "value": scheme }] },
            }),
        )
        .await;
    }
}

impl Drop for Browser {
    /// Ends the session (so ChromeDriver closes Chromium), then stops ChromeDriver and removes the profile.
    /// Synchronous on purpose: it also runs when a test panics.
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = delete_session(self.port, &self.session);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// `DELETE /session/{id}` over a plain socket, for use in `Drop`.
fn delete_session(port: u16, session: &str) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "DELETE /session/{session} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    Ok(())
}

fn elements(found: &Value) -> Vec<Element> {
    found
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|e| e[ELEMENT_KEY].as_str())
                .map(|id| Element { id: id.to_owned() })
                .collect()
        })
        .unwrap_or_default()
}

/// A port that was free a moment ago (ChromeDriver binds it right after).
fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Decodes standard base64 (RFC 4648, `=` padding, whitespace ignored).
pub fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    fn sextet(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let symbols: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let data = symbols
        .strip_suffix(b"==")
        .or_else(|| symbols.strip_suffix(b"="))
        .unwrap_or(&symbols);
    if !symbols.len().is_multiple_of(4) || data.len() % 4 == 1 {
        return Err(format!("bad base64 length {}", symbols.len()));
    }
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    for chunk in data.chunks(4) {
        let mut bits = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            let v = sextet(c).ok_or_else(|| format!("bad base64 symbol {:?}", c as char))?;
            bits |= v << (18 - 6 * i);
        }
        let bytes = bits.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Ok(out)
}

#[test]
fn base64_decode_matches_the_rfc_4648_examples() {
    let cases = [
        ("", ""),
        ("Zg==", "f"),
        ("Zm8=", "fo"),
        ("Zm9v", "foo"),
        ("Zm9vYg==", "foob"),
        ("Zm9vYmE=", "fooba"),
        ("Zm9vYmFy", "foobar"),
    ];
    for (encoded, plain) in cases {
        assert_eq!(
            base64_decode(encoded).unwrap(),
            plain.as_bytes(),
            "{encoded}"
        );
    }
    assert_eq!(base64_decode("/+8=").unwrap(), vec![0xff, 0xef]);
    assert!(base64_decode("Zm9").is_err());
    assert!(base64_decode("Zm9*").is_err());
}
