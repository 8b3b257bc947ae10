//! The browser tests' WebDriver client: fantoccini over Debian's ChromeDriver and headless Chromium, one
//! browser per test, with the commands the tests need and bounded waits instead of sleeps. ChromeDriver's own
//! extensions (the computed accessible name, DevTools commands) go through fantoccini's `issue_cmd`.
#![allow(dead_code)]

use fantoccini::actions::{
    InputSource, KeyAction, KeyActions, MouseActions, PointerAction, MOUSE_BUTTON_LEFT,
};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
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

/// An element of the current page (equal to another reference to the same element).
#[derive(Debug, Clone)]
pub struct Element {
    inner: fantoccini::elements::Element,
    id: String,
}

impl Element {
    fn new(inner: fantoccini::elements::Element) -> Element {
        let id = inner.element_id().to_string();
        Element { inner, id }
    }

    /// The W3C element reference, to pass the element to a script.
    fn to_json(&self) -> Value {
        serde_json::to_value(&self.inner).expect("an element reference")
    }
}

impl PartialEq for Element {
    fn eq(&self, other: &Element) -> bool {
        self.id == other.id
    }
}

impl Eq for Element {}

/// A headless Chromium driven through its own ChromeDriver; both end when this is dropped.
pub struct Browser {
    client: Client,
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

/// A ChromeDriver command fantoccini has no method for: `method` on the session's `path`, with a JSON body.
#[derive(Debug)]
struct SessionCommand {
    method: http::Method,
    path: String,
    body: Option<Value>,
}

impl WebDriverCompatibleCommand for SessionCommand {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/{}",
            session_id.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            self.method.clone(),
            self.body.as_ref().map(ToString::to_string),
        )
    }
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
        let mut driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}"));
        let profile =
            std::env::temp_dir().join(format!("ai102-chromium-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&profile).expect("a temporary Chromium profile");
        wait_for_driver(&mut driver, port).await;
        let mut args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--no-first-run".to_owned(),
            format!("--user-data-dir={}", profile.display()),
            "--window-size=1280,900".to_owned(),
        ];
        args.extend(switches.iter().map(|s| (*s).to_owned()));
        let capabilities = json!({
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": { "implicit": 0, "pageLoad": 30_000, "script": 10_000 },
            "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("an object")
        };
        // ChromeDriver listens on plain HTTP on 127.0.0.1: no TLS connector needed.
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|e| panic!("ChromeDriver could not start Chromium: {e}"));
        let session = client
            .session_id()
            .await
            .expect("the session id")
            .expect("a session");
        Browser {
            client,
            port,
            session,
            driver,
            profile,
        }
    }

    async fn session_command(
        &self,
        method: http::Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        self.client
            .issue_cmd(SessionCommand {
                method,
                path: path.to_owned(),
                body,
            })
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Opens a URL and waits for the page to load.
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("goto {url}: {e}"));
    }

    pub async fn current_url(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("the current URL")
            .to_string()
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
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find `{css}`: {e}"))
            .into_iter()
            .map(Element::new)
            .collect()
    }

    /// The elements matching a CSS selector inside `parent`, without waiting.
    pub async fn find_all_in(&self, parent: &Element, css: &str) -> Vec<Element> {
        parent
            .inner
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find `{css}` in an element: {e}"))
            .into_iter()
            .map(Element::new)
            .collect()
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
        element
            .inner
            .click()
            .await
            .unwrap_or_else(|e| panic!("click: {e}"));
    }

    /// Types text into an input (appending to what is there).
    pub async fn send_keys(&self, element: &Element, text: &str) {
        element
            .inner
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("send keys: {e}"));
    }

    pub async fn clear(&self, element: &Element) {
        element
            .inner
            .clear()
            .await
            .unwrap_or_else(|e| panic!("clear: {e}"));
    }

    /// Clears an input found by CSS and types `text` into it.
    pub async fn fill(&self, css: &str, text: &str) {
        let input = self.find(css).await;
        self.clear(&input).await;
        self.send_keys(&input, text).await;
    }

    /// The rendered text of an element, whitespace collapsed.
    pub async fn text(&self, element: &Element) -> String {
        let raw = element
            .inner
            .text()
            .await
            .unwrap_or_else(|e| panic!("text: {e}"));
        raw.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// An attribute of an element, as written in the HTML.
    pub async fn attribute(&self, element: &Element, name: &str) -> Option<String> {
        element
            .inner
            .attr(name)
            .await
            .unwrap_or_else(|e| panic!("attribute {name}: {e}"))
    }

    /// A DOM property of an element (e.g. `checked`, `value`), as JSON.
    pub async fn property(&self, element: &Element, name: &str) -> Value {
        self.execute(
            "return arguments[0][arguments[1]];",
            vec![element.to_json(), json!(name)],
        )
        .await
    }

    pub async fn is_displayed(&self, element: &Element) -> bool {
        element
            .inner
            .is_displayed()
            .await
            .unwrap_or_else(|e| panic!("displayed: {e}"))
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
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("execute: {e}"))
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
                .client
                .execute(
                    "return document.readyState === 'complete' && !window.__ai102_previous_page;",
                    vec![],
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
        let png = self.client.screenshot().await.expect("a screenshot");
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
        self.client
            .execute_async(script, args)
            .await
            .unwrap_or_else(|e| panic!("execute_async: {e}"))
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
        self.session_command(
            http::Method::GET,
            &format!("element/{}/computedlabel", element.id),
            None,
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// The element that has the focus.
    pub async fn active_element(&self) -> Element {
        Element::new(
            self.client
                .active_element()
                .await
                .expect("an active element"),
        )
    }

    /// Presses keys one after the other, as a keyboard would (WebDriver key codes, e.g. `\u{E004}` for Tab).
    pub async fn press_keys(&self, keys: &[&str]) {
        let mut actions = KeyActions::new("keyboard".into());
        for key in keys {
            let value = key.chars().next().expect("a key");
            actions = actions
                .then(KeyAction::Down { value })
                .then(KeyAction::Up { value });
        }
        self.client
            .perform_actions(actions)
            .await
            .unwrap_or_else(|e| panic!("keys: {e}"));
        self.release_actions().await;
    }

    /// Drags `from` onto `to` with the mouse: press on the first, move in steps, release on the second.
    pub async fn drag_and_drop(&self, from: &Element, to: &Element) {
        let actions = MouseActions::new("mouse".into())
            .then(PointerAction::MoveToElement {
                element: from.inner.clone(),
                duration: Some(Duration::ZERO),
                x: 0.0,
                y: 0.0,
            })
            .then(PointerAction::Down {
                button: MOUSE_BUTTON_LEFT,
            })
            .then(PointerAction::MoveBy {
                duration: Some(Duration::from_millis(100)),
                x: 5.0,
                y: 5.0,
            })
            .then(PointerAction::MoveToElement {
                element: to.inner.clone(),
                duration: Some(Duration::from_millis(200)),
                x: 0.0,
                y: 0.0,
            })
            .then(PointerAction::Up {
                button: MOUSE_BUTTON_LEFT,
            });
        self.client
            .perform_actions(actions)
            .await
            .unwrap_or_else(|e| panic!("drag: {e}"));
        self.release_actions().await;
    }

    async fn release_actions(&self) {
        self.client
            .release_actions()
            .await
            .unwrap_or_else(|e| panic!("release actions: {e}"));
    }

    /// Resizes the window (CSS pixels), e.g. to a phone's width.
    pub async fn set_window_size(&self, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .unwrap_or_else(|e| panic!("window size: {e}"));
    }

    /// Emulates the system's colour scheme (`light` or `dark`) for `prefers-color-scheme`, through ChromeDriver's
    /// DevTools command.
    pub async fn emulate_color_scheme(&self, scheme: &str) {
        self.session_command(
            http::Method::POST,
            "goog/cdp/execute",
            Some(json!({
                "cmd": "Emulation.setEmulatedMedia",
                "params": { "features": [{ "name": "prefers-color-scheme", "value": scheme }] },
            })),
        )
        .await;
    }
}

impl Drop for Browser {
    /// Ends the session (so ChromeDriver closes Chromium), then stops ChromeDriver and removes the profile.
    /// Synchronous on purpose: it also runs when a test panics, outside any runtime.
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = delete_session(self.port, &self.session);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Polls ChromeDriver's `/status` until it says it is ready.
async fn wait_for_driver(driver: &mut Child, port: u16) {
    let deadline = Instant::now() + WAIT;
    let http = reqwest::Client::new();
    loop {
        if let Ok(Some(status)) = driver.try_wait() {
            panic!("{CHROMEDRIVER} exited at start with {status}");
        }
        let ready = match http
            .get(format!("http://127.0.0.1:{port}/status"))
            .send()
            .await
        {
            Ok(r) => r
                .json::<Value>()
                .await
                .ok()
                .and_then(|v| v["value"]["ready"].as_bool())
                .unwrap_or(false),
            Err(_) => false,
        };
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

/// A port that was free a moment ago (ChromeDriver binds it right after).
fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
