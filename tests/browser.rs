//! The real pages in a real browser: headless Chromium through ChromeDriver against the real app and a fresh
//! PostgreSQL database. A test skips itself, saying why, when Chromium or ChromeDriver is missing outside CI.

mod common;
#[path = "common/webdriver.rs"]
mod webdriver;

use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use webdriver::Browser;

/// Every item type of the bank, as the item page names it in `section.item[data-type]`.
const ITEM_TYPES: [&str; 6] = [
    "single",
    "multiple",
    "yes_no_series",
    "order",
    "match",
    "hot_area",
];

fn screenshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("docs/screenshots")
        .join(name)
}

/// Fills in and sends the sign-up form, as a visitor would.
async fn sign_up_through_the_form(browser: &Browser, app: &TestApp, email: &str, name: &str) {
    browser.goto(&app.url("/signup")).await;
    browser.fill("#email", email).await;
    browser.fill("#display_name", name).await;
    browser.fill("#password", PASSWORD).await;
    browser.fill("#password_confirm", PASSWORD).await;
    let submit = browser
        .find("main form[action='/signup'] button[type=submit]")
        .await;
    browser.click_and_wait(&submit).await;
}

/// Fills in and sends the sign-in form.
async fn sign_in_through_the_form(browser: &Browser, app: &TestApp, email: &str, password: &str) {
    browser.goto(&app.url("/signin")).await;
    browser.fill("#email", email).await;
    browser.fill("#password", password).await;
    let submit = browser
        .find("main form[action='/signin'] button[type=submit]")
        .await;
    browser.click_and_wait(&submit).await;
}

/// The name in the header's account link, or `None` when nobody is signed in.
async fn account_name(browser: &Browser) -> Option<String> {
    match browser.try_find("[data-testid=account-link]").await {
        Some(link) => Some(browser.text(&link).await),
        None => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_signs_up_signs_out_and_signs_in_through_the_real_pages() {
    let Some(browser) =
        Browser::launch_or_skip("a_visitor_signs_up_signs_out_and_signs_in_through_the_real_pages")
            .await
    else {
        return;
    };
    let app = TestApp::spawn().await;

    // Sign up: the form signs the new candidate in and lands on the home page.
    sign_up_through_the_form(&browser, &app, "dana@example.com", "Dana Scully").await;
    assert_eq!(browser.current_path().await, "/", "sign-up lands on home");
    assert_eq!(account_name(&browser).await.as_deref(), Some("Dana Scully"));

    // Sign out with the header's button.
    let sign_out = browser
        .find("header form[action='/signout'] button[type=submit]")
        .await;
    browser.click_and_wait(&sign_out).await;
    assert_eq!(account_name(&browser).await, None, "signed out");
    assert!(
        browser.try_find("header a[href='/signin']").await.is_some(),
        "the header offers to sign in"
    );

    // A wrong password says so and signs nobody in.
    sign_in_through_the_form(&browser, &app, "dana@example.com", "not the password").await;
    let error = browser.find(".form-error").await;
    assert!(browser.is_displayed(&error).await);
    assert!(
        !browser.text(&error).await.is_empty(),
        "the error says something"
    );
    assert_eq!(account_name(&browser).await, None);

    // The right password signs in again.
    sign_in_through_the_form(&browser, &app, "dana@example.com", PASSWORD).await;
    assert!(browser.try_find(".form-error").await.is_none());
    assert_eq!(account_name(&browser).await.as_deref(), Some("Dana Scully"));
}

/// "Item 3 of 15" → (3, 15).
fn counter(text: &str) -> (usize, usize) {
    let numbers: Vec<usize> = text
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    match numbers.as_slice() {
        [n, total] => (*n, *total),
        _ => panic!("unexpected item counter {text:?}"),
    }
}

/// The non-empty option values of a select.
async fn option_values(browser: &Browser, select: &webdriver::Element) -> Vec<String> {
    let mut values = Vec::new();
    for option in browser.find_all_in(select, "option").await {
        if let Some(v) = browser.attribute(&option, "value").await {
            if !v.is_empty() {
                values.push(v);
            }
        }
    }
    values
}

/// The `name` attributes of the selects matching `css`, in page order.
async fn select_names(browser: &Browser, css: &str) -> Vec<String> {
    let mut names = Vec::new();
    for select in browser.find_all(css).await {
        names.push(browser.attribute(&select, "name").await.expect("a name"));
    }
    names
}

/// Answers the item on screen as a candidate would, through its controls.
async fn answer_the_item(browser: &Browser, kind: &str) {
    match kind {
        "single" => {
            let first = browser.find("input[type=radio][name=choice]").await;
            browser.click(&first).await;
        }
        "multiple" => {
            let fieldset = browser.find("fieldset[data-choose]").await;
            let choose: usize = browser
                .attribute(&fieldset, "data-choose")
                .await
                .and_then(|n| n.parse().ok())
                .expect("data-choose is a number");
            let legend = browser.text(&browser.find("fieldset legend").await).await;
            assert!(
                legend.contains(&format!("Choose {choose}")),
                "the legend says how many to choose: {legend:?}"
            );
            let boxes = browser.find_all("input[type=checkbox][name=choice]").await;
            assert!(boxes.len() >= choose, "fewer options than to choose");
            for b in boxes.iter().take(choose) {
                browser.click(b).await;
            }
        }
        "yes_no_series" => {
            // Only the current statement has radios; earlier ones are locked, later ones not shown yet.
            let yes = browser
                .find_all("input[type=radio][name^='s:'][value=yes]")
                .await;
            assert_eq!(yes.len(), 1, "exactly one statement to answer at a time");
            browser.click(&yes[0]).await;
        }
        "order" => {
            for (i, name) in select_names(browser, "select[name^='pos:']")
                .await
                .iter()
                .enumerate()
            {
                let css = format!("select[name='{name}']");
                let select = browser.find(&css).await;
                let values = option_values(browser, &select).await;
                let value = values
                    .get(i)
                    .unwrap_or_else(|| panic!("{name}: no step {i}"));
                browser.select_option(&css, value).await;
            }
        }
        "match" => {
            let heading = browser.text(&browser.find(".match h2.small").await).await;
            let reuse = heading.contains("more than once");
            for (i, name) in select_names(browser, "select[name^='slot:']")
                .await
                .iter()
                .enumerate()
            {
                let css = format!("select[name='{name}']");
                let select = browser.find(&css).await;
                let values = option_values(browser, &select).await;
                let pick = if reuse { values.first() } else { values.get(i) };
                if let Some(value) = pick {
                    browser.select_option(&css, value).await;
                }
            }
        }
        "hot_area" => {
            for name in select_names(browser, "select[name^='slot:']").await {
                let css = format!("select[name='{name}']");
                let select = browser.find(&css).await;
                let values = option_values(browser, &select).await;
                let value = values
                    .first()
                    .unwrap_or_else(|| panic!("{name}: no option"));
                browser.select_option(&css, value).await;
            }
        }
        other => panic!("unknown item type {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_candidate_takes_quick_15_to_the_end_and_sees_the_score_and_breakdown() {
    let Some(browser) = Browser::launch_or_skip(
        "a_candidate_takes_quick_15_to_the_end_and_sees_the_score_and_breakdown",
    )
    .await
    else {
        return;
    };
    let app = TestApp::spawn_with(|config| {
        config.load_bank = Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("question-bank"));
    })
    .await;
    sign_up_through_the_form(&browser, &app, "erin@example.com", "Erin").await;
    assert_eq!(account_name(&browser).await.as_deref(), Some("Erin"));

    // Start Quick 15 from the exams page.
    browser.goto(&app.url("/exams")).await;
    let start = browser
        .find("[data-testid='form-quick-15'] button[type=submit]")
        .await;
    browser.click_and_wait(&start).await;
    let first = browser.current_path().await;
    assert!(
        first.starts_with("/attempts/") && first.ends_with("/items/1"),
        "Start opens the first item, not {first}"
    );
    let attempt_path = first.trim_end_matches("/items/1").to_owned();

    // Answer every item, in order, until the app shows the review page.
    let mut types_by_position: BTreeMap<usize, String> = BTreeMap::new();
    let mut next_clicks = 0;
    let mut total_items = 0;
    loop {
        let (page, _) = browser
            .find_any(&["section.item[data-type]", "[data-testid=review-summary]"])
            .await;
        if page == 1 {
            break;
        }
        next_clicks += 1;
        assert!(next_clicks <= 100, "the exam does not come to an end");
        let section = browser.find("section.item[data-type]").await;
        let kind = browser
            .attribute(&section, "data-type")
            .await
            .expect("data-type");
        let (position, total) = counter(
            &browser
                .text(&browser.find("[data-testid=counter]").await)
                .await,
        );
        total_items = total;
        if let Some(error) = browser.try_find("[data-testid=item-error]").await {
            panic!(
                "Next on item {position} ({kind}) was refused at {}: {:?}",
                browser.current_path().await,
                browser.text(&error).await
            );
        }
        if let Some(earlier) = types_by_position.insert(position, kind.clone()) {
            assert_eq!(earlier, kind, "item {position} changed its type");
            assert_eq!(
                kind, "yes_no_series",
                "only a yes/no series stays on its item after Next (item {position})"
            );
        } else {
            assert_eq!(
                position,
                types_by_position.len(),
                "Next goes to the following item"
            );
        }
        answer_the_item(&browser, &kind).await;
        if next_clicks == 1 {
            browser.screenshot(&screenshot_path("exam-item.png")).await;
        }
        let next = browser.find("button[name=go][value=next]").await;
        browser.click_and_wait(&next).await;

        // A yes/no series stays on its item until every statement is answered, then Next moves on.
        if kind == "yes_no_series"
            && browser
                .try_find("input[type=radio][name^='s:'][value=yes]")
                .await
                .is_none()
        {
            let here = browser.current_path().await;
            assert_ne!(
                here,
                format!("{attempt_path}/items/{position}"),
                "after its last statement is answered, Next leaves the yes/no series (item {position})"
            );
        }
    }

    // The review page: everything answered.
    assert_eq!(total_items, 15, "Quick 15 has 15 items");
    assert_eq!(
        types_by_position.keys().copied().collect::<Vec<_>>(),
        (1..=15).collect::<Vec<_>>(),
        "every item was shown"
    );
    assert_eq!(
        browser.current_path().await,
        format!("{attempt_path}/review")
    );
    let summary = browser
        .text(&browser.find("[data-testid=review-summary]").await)
        .await;
    assert!(
        summary.starts_with("15 answered · 0 unanswered"),
        "review summary: {summary:?}"
    );
    browser.screenshot(&screenshot_path("review.png")).await;

    // End the exam: the confirmation page, then "End exam now".
    let end = browser.find(&format!("a[href='{attempt_path}/end']")).await;
    browser.click_and_wait(&end).await;
    let warning = browser.find("[data-testid=end-warning]").await;
    assert!(browser.is_displayed(&warning).await, "the end page warns");
    let end_now = browser
        .find(&format!(
            "form[action='{attempt_path}/submit'] button[type=submit]"
        ))
        .await;
    assert_eq!(browser.text(&end_now).await, "End exam now");
    browser.click_and_wait(&end_now).await;

    // The result: a scaled score, a verdict and one bar per domain.
    assert_eq!(
        browser.current_path().await,
        format!("{attempt_path}/result")
    );
    let score_text = browser
        .text(&browser.find("[data-testid=scaled-score]").await)
        .await;
    let score: u32 = score_text
        .parse()
        .unwrap_or_else(|_| panic!("the scaled score is a number, not {score_text:?}"));
    assert!((1..=1000).contains(&score), "scaled score {score}");
    let verdict = browser
        .text(&browser.find("[data-testid=verdict]").await)
        .await;
    assert!(
        verdict == "Pass" || verdict == "Fail",
        "verdict {verdict:?}"
    );
    assert_eq!(
        verdict == "Pass",
        score >= 700,
        "verdict {verdict} for {score}"
    );
    let bars = browser
        .find_all("svg[data-testid=domain-chart] g.bar")
        .await;
    assert_eq!(bars.len(), 5, "one bar per AI-102 domain");
    browser.screenshot(&screenshot_path("result.png")).await;

    // The draw covered every item type.
    let seen: BTreeSet<&str> = types_by_position.values().map(String::as_str).collect();
    let missing: Vec<&str> = ITEM_TYPES
        .into_iter()
        .filter(|t| !seen.contains(t))
        .collect();
    assert!(
        missing.is_empty(),
        "the Quick 15 draw had no item of type {missing:?} (types by position: {types_by_position:?})"
    );
}
