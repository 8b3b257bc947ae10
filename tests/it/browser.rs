//! The real pages in a real browser: headless Chromium through ChromeDriver against the real app and a fresh
//! PostgreSQL database. A test skips itself, saying why, when Chromium or ChromeDriver is missing outside CI.

use crate::common::*;
use crate::webdriver::{self, Browser};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn screenshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("docs/screenshots")
        .join(name)
}

/// WebDriver key codes.
const TAB: &str = "\u{E004}";
const ARROW_DOWN: &str = "\u{E015}";

/// Fails the test on any serious or critical WCAG 2.1 A/AA violation that axe-core finds on the current page,
/// naming the rule, its impact, the offending elements and the rule's help page. Minor and moderate ones are
/// printed only.
async fn assert_accessible(browser: &Browser, page: &str) {
    let violations = browser.axe_violations().await;
    let mut blocking = Vec::new();
    for v in &violations {
        let line = format!(
            "  {} [{}]: {}\n    elements: {}\n    help: {}",
            v.id,
            v.impact,
            v.help,
            v.targets.join(" "),
            v.help_url
        );
        if v.impact == "serious" || v.impact == "critical" {
            blocking.push(line);
        } else {
            eprintln!("axe ({page}, not blocking):\n{line}");
        }
    }
    assert!(
        blocking.is_empty(),
        "{page} ({}): {} serious or critical accessibility violation(s):\n{}",
        browser.current_path().await,
        blocking.len(),
        blocking.join("\n")
    );
}

/// Presses Tab until the focused element matches `css` (at most 100 times), as a keyboard user would.
async fn tab_to(browser: &Browser, css: &str) {
    for _ in 0..100 {
        browser.press_keys(&[TAB]).await;
        let there = browser
            .execute(
                "return document.activeElement.matches(arguments[0]);",
                vec![css.into()],
            )
            .await;
        if there.as_bool() == Some(true) {
            return;
        }
    }
    panic!(
        "Tab never reached `{css}` on {}",
        browser.current_path().await
    );
}

/// On a pack's page, places each category (or `*unplaced*`) in an objective with the page's form.
async fn place_categories(browser: &Browser, placements: &[(&str, &str)]) {
    for (category, objective) in placements {
        browser.select_option("#category", category).await;
        browser.select_option("#objective", objective).await;
        let place = browser
            .find("form[data-testid=assign-form] button[type=submit]")
            .await;
        browser.click_and_wait(&place).await;
        assert!(
            browser
                .text(&browser.find("[data-testid=pack-message]").await)
                .await
                .contains("placed in the blueprint"),
            "placing {category} in {objective}"
        );
    }
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
    assert_accessible(&browser, "home page, signed in").await;

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
    assert_accessible(&browser, "home page, signed out").await;

    // A wrong password says so and signs nobody in.
    sign_in_through_the_form(&browser, &app, "dana@example.com", "not the password").await;
    let error = browser.find(".form-error").await;
    assert!(browser.is_displayed(&error).await);
    assert!(
        !browser.text(&error).await.is_empty(),
        "the error says something"
    );
    assert_eq!(account_name(&browser).await, None);
    assert_accessible(&browser, "sign-in page with an error").await;

    // The right password signs in again.
    sign_in_through_the_form(&browser, &app, "dana@example.com", PASSWORD).await;
    assert!(browser.try_find(".form-error").await.is_none());
    assert_eq!(account_name(&browser).await.as_deref(), Some("Dana Scully"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instructor_uploads_sees_the_report_previews_edits_and_publishes() {
    let Some(browser) = Browser::launch_or_skip(
        "an_instructor_uploads_sees_the_report_previews_edits_and_publishes",
    )
    .await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    app.create_user("ines@example.com", ai102::auth::Role::Instructor)
        .await;
    sign_in_through_the_form(&browser, &app, "ines@example.com", PASSWORD).await;

    let fixture =
        include_str!("../fixtures/exam_pack.yaml").replace("id: test-exam-pack", "id: ines-pack");
    let dir = std::env::temp_dir().join(format!("ai102-browser-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let bad = dir.join("ines-bad.yaml");
    std::fs::write(
        &bad,
        fixture.replace(
            "    answer: a\n    explanation: A is right",
            "    answer: z\n    explanation: A is right",
        ),
    )
    .expect("write");
    let good = dir.join("ines-pack.yaml");
    std::fs::write(&good, &fixture).expect("write");

    // From the instructor's page to the upload page.
    let instructor = browser.find("header a[href='/instructor']").await;
    browser.click_and_wait(&instructor).await;
    assert_accessible(&browser, "instructor page").await;
    let upload = browser.find("a[data-testid=upload-link]").await;
    browser.click_and_wait(&upload).await;
    assert_eq!(browser.current_path().await, "/instructor/upload");
    assert_accessible(&browser, "upload page").await;

    // A file with a problem: the report names the item and the line, and nothing is imported.
    let input = browser.find("input#file").await;
    browser
        .send_keys(&input, bad.to_str().expect("utf-8 path"))
        .await;
    let send = browser.find("#upload-form button[type=submit]").await;
    // The page sends the file with a progress bar and shows the report in place (no navigation).
    browser.click(&send).await;
    browser
        .wait_until(
            "return !!document.querySelector('[data-testid=import-valid]');",
            vec![],
            "the validation report",
        )
        .await;
    let report = browser.text(&browser.find("main").await).await;
    assert!(
        report.contains("t-single") && report.contains("ines-bad.yaml:17:5"),
        "the report names the item and its line: {report}"
    );
    assert!(browser
        .try_find("[data-testid=import-valid]")
        .await
        .is_some());
    assert_accessible(&browser, "upload report").await;
    assert_eq!(app.count("SELECT count(*) FROM packs").await, 0);

    // The good file: the pack's page.
    let input = browser.find("input#file").await;
    browser
        .send_keys(&input, good.to_str().expect("utf-8 path"))
        .await;
    let send = browser.find("#upload-form button[type=submit]").await;
    browser.click_and_wait(&send).await;
    assert!(
        browser
            .current_path()
            .await
            .starts_with("/instructor/packs/"),
        "the upload leads to the pack: {}",
        browser.current_path().await
    );
    let pack_path = browser
        .current_path()
        .await
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        browser
            .text(&browser.find("[data-testid=pack-status]").await)
            .await,
        "draft"
    );
    assert_accessible(&browser, "pack page").await;

    // Preview an item with its key and explanation.
    let preview = browser
        .find(&format!("a[href='{pack_path}/items/t-single']"))
        .await;
    browser.click_and_wait(&preview).await;
    assert!(!browser
        .text(&browser.find("[data-testid=preview-key]").await)
        .await
        .is_empty());
    assert_accessible(&browser, "item preview").await;

    // Edit it: a new revision with the new stem.
    let edit = browser
        .find(&format!("a[href='{pack_path}/items/t-single/edit']"))
        .await;
    browser.click_and_wait(&edit).await;
    assert_accessible(&browser, "item editor").await;
    browser
        .execute(
            "var t = document.getElementById('text'); \
             t.value = t.value.replace('Which option is right?', 'Which option is the right one?');",
            vec![],
        )
        .await;
    let save = browser.find("main form button[type=submit]").await;
    browser.click_and_wait(&save).await;
    assert!(browser.current_path().await.starts_with(&pack_path));
    assert!(browser
        .try_find("[data-testid=pack-message]")
        .await
        .is_some());
    let preview = browser
        .find(&format!("a[href='{pack_path}/items/t-single']"))
        .await;
    browser.click_and_wait(&preview).await;
    assert!(browser
        .text(&browser.find("[data-testid=preview-question]").await)
        .await
        .contains("Which option is the right one?"));

    // Publish.
    browser.goto(&app.url(&pack_path)).await;
    let publish = browser.find("button[data-testid=publish]").await;
    browser.click_and_wait(&publish).await;
    assert_eq!(
        browser
            .text(&browser.find("[data-testid=pack-status]").await)
            .await,
        "published"
    );
    assert_accessible(&browser, "published pack").await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gift_file_is_placed_published_and_made_a_form_that_a_candidate_takes() {
    let Some(browser) = Browser::launch_or_skip(
        "a_gift_file_is_placed_published_and_made_a_form_that_a_candidate_takes",
    )
    .await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    app.create_user("ines@example.com", ai102::auth::Role::Instructor)
        .await;
    sign_in_through_the_form(&browser, &app, "ines@example.com", PASSWORD).await;

    // Upload an instructor's GIFT file: it lands in a draft pack without domains.
    browser.goto(&app.url("/instructor/upload")).await;
    browser.select_option("#exam", "AI-102").await;
    let gift = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/import/gift/publishable.gift");
    let input = browser.find("input#file").await;
    browser
        .send_keys(&input, gift.to_str().expect("utf-8 path"))
        .await;
    let send = browser.find("#upload-form button[type=submit]").await;
    browser.click_and_wait(&send).await;
    let pack_path = browser
        .current_path()
        .await
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(pack_path.starts_with("/instructor/packs/"), "{pack_path}");
    let pack_id = pack_path.rsplit('/').next().unwrap_or_default().to_owned();

    // Place the Vision category in one objective, then every other unplaced item in another.
    place_categories(
        &browser,
        &[
            ("AI-102/Vision", "vision.analyze"),
            ("*unplaced*", "nlp.text"),
        ],
    )
    .await;
    assert_accessible(&browser, "pack page after placing").await;
    let publish = browser.find("button[data-testid=publish]").await;
    browser.click_and_wait(&publish).await;
    assert_eq!(
        browser
            .text(&browser.find("[data-testid=pack-status]").await)
            .await,
        "published"
    );

    // A form over the pack: a dry run first, then create it.
    browser.goto(&app.url("/instructor/forms/new")).await;
    browser.fill("#title", "Vision and language drill").await;
    browser.fill("#slug", "vision-language-drill").await;
    let pack_box = browser
        .find(&format!("input[name=pack][value='{pack_id}']"))
        .await;
    browser.click(&pack_box).await;
    browser.fill("#item_count", "6").await;
    browser.fill("#duration", "15").await;
    browser.fill("#case_studies", "0").await;
    browser.fill("#cut_percent", "70").await;
    // An instructor's form is a class form; this one is asked to be public too.
    let public = browser.find("input[name=visibility][value=request]").await;
    browser.click(&public).await;
    let dry = browser.find("button[name=action][value=dry_run]").await;
    browser.click_and_wait(&dry).await;
    assert!(!browser
        .text(&browser.find("[data-testid=dry-run-summary]").await)
        .await
        .is_empty());
    assert_accessible(&browser, "form dry run").await;
    let create = browser.find("button[name=action][value=create]").await;
    browser.click_and_wait(&create).await;
    assert_eq!(browser.current_path().await, "/instructor/classes");
    // An admin approves the request: every candidate sees the form.
    let form: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM exam_forms WHERE slug = 'vision-language-drill'")
            .fetch_one(&app.db)
            .await
            .expect("the form");
    let ada = new_user(&app, "ada@example.com", ai102::auth::Role::Admin).await;
    assert!(ai102::store::classes::answer_public_request(
        &app.db,
        ai102::store::users::Actor {
            id: ada.id,
            email: &ada.email
        },
        form,
        true,
        ""
    )
    .await
    .expect("the answer"));

    // A candidate signs up and takes it to the end.
    let sign_out = browser
        .find("header form[action='/signout'] button[type=submit]")
        .await;
    browser.click_and_wait(&sign_out).await;
    sign_up_through_the_form(&browser, &app, "cara@example.com", "Cara").await;
    let attempt_path = start_form(&browser, &app, "vision-language-drill").await;
    for position in 1..=6 {
        assert_eq!(
            counter(
                &browser
                    .text(&browser.find("[data-testid=counter]").await)
                    .await
            ),
            (position, 6)
        );
        let kind = item_kind(&browser).await;
        answer_the_item(&browser, &kind).await;
        let next = browser.find("button[name=go][value=next]").await;
        browser.click_and_wait(&next).await;
    }
    assert_eq!(
        browser.current_path().await,
        format!("{attempt_path}/review")
    );
    let end = browser.find(&format!("a[href='{attempt_path}/end']")).await;
    browser.click_and_wait(&end).await;
    let end_now = browser
        .find(&format!(
            "form[action='{attempt_path}/submit'] button[type=submit]"
        ))
        .await;
    browser.click_and_wait(&end_now).await;
    assert_eq!(
        browser.current_path().await,
        format!("{attempt_path}/result")
    );
    let score: u32 = browser
        .text(&browser.find("[data-testid=scaled-score]").await)
        .await
        .parse()
        .expect("a scaled score");
    assert!((1..=1000).contains(&score));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_opens_the_dashboard_and_changes_a_role() {
    let Some(browser) =
        Browser::launch_or_skip("an_admin_opens_the_dashboard_and_changes_a_role").await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    app.create_user("root@example.com", ai102::auth::Role::Admin)
        .await;
    app.create_user("cara@example.com", ai102::auth::Role::Candidate)
        .await;
    sign_in_through_the_form(&browser, &app, "root@example.com", PASSWORD).await;

    // The header leads to the admin summary, which leads to analytics and to the users.
    let admin = browser.find("header a[href='/admin']").await;
    browser.click_and_wait(&admin).await;
    assert_eq!(browser.current_path().await, "/admin");
    assert_accessible(&browser, "admin summary").await;
    let analytics = browser.find("a[data-testid=analytics-link]").await;
    browser.click_and_wait(&analytics).await;
    assert_eq!(browser.current_path().await, "/admin/analytics");
    assert_accessible(&browser, "admin analytics").await;
    browser.goto(&app.url("/admin")).await;
    let users = browser.find("a[data-testid=users-link]").await;
    browser.click_and_wait(&users).await;
    assert_eq!(browser.current_path().await, "/admin/users");
    assert_accessible(&browser, "users list").await;

    // Search for the candidate and open their page.
    browser.fill("#q", "CARA").await;
    let search = browser
        .find("form[data-testid=user-search] button[type=submit]")
        .await;
    browser.click_and_wait(&search).await;
    let found = browser.find_all("[data-testid=user-email]").await;
    assert_eq!(found.len(), 1, "one account matches");
    assert_eq!(browser.text(&found[0]).await, "cara@example.com");
    browser.click_and_wait(&found[0]).await;
    assert!(browser.current_path().await.starts_with("/admin/users/"));
    assert_accessible(&browser, "a user's page").await;

    // Change the role through the form and see the confirmation.
    browser.select_option("#new-role", "instructor").await;
    let change = browser
        .find("form[data-testid=role-form] button[type=submit]")
        .await;
    browser.click_and_wait(&change).await;
    let message = browser.find("[data-testid=message]").await;
    assert_eq!(
        browser.text(&message).await,
        "Role changed: cara@example.com is now instructor."
    );
    let role = browser.find("[data-testid=role]").await;
    assert_eq!(browser.text(&role).await, "instructor");
    assert_accessible(&browser, "a user's page after a role change").await;

    // The audit log shows who did it.
    browser.goto(&app.url("/admin")).await;
    let audit = browser.find("a[data-testid=audit-link]").await;
    browser.click_and_wait(&audit).await;
    assert_eq!(browser.current_path().await, "/admin/audit");
    let rows = browser.find_all("tr[data-testid=audit-row]").await;
    assert_eq!(rows.len(), 1);
    let row = browser.text(&rows[0]).await;
    for part in [
        "root@example.com",
        "user.role_changed",
        "cara@example.com",
        "candidate → instructor",
    ] {
        assert!(row.contains(part), "{part} in {row:?}");
    }
    assert_accessible(&browser, "audit log").await;
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
/// The type of the item on the page (`data-type` of its section).
async fn item_kind(browser: &Browser) -> String {
    browser
        .attribute(&browser.find("section.item[data-type]").await, "data-type")
        .await
        .expect("data-type")
}

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

/// Answers an ordering item with the mouse: each action is dragged from the pool onto its position.
async fn answer_order_by_dragging(browser: &Browser) {
    let positions = browser.find_all(".order .answer-area li").await;
    assert!(!positions.is_empty(), "an ordering item has positions");
    for (i, position) in positions.iter().enumerate() {
        let select = browser.find_all_in(position, "select").await.remove(0);
        let name = browser.attribute(&select, "name").await.expect("a name");
        let values = option_values(browser, &select).await;
        let id = values
            .get(i)
            .unwrap_or_else(|| panic!("{name}: no step {i}"));
        let action = browser
            .find(&format!(".order .pool li[data-id='{id}']"))
            .await;
        browser.drag_and_drop(&action, position).await;
        assert_eq!(
            browser.property(&select, "value").await.as_str(),
            Some(id.as_str()),
            "dropping action {id} on position {} sets its select",
            i + 1
        );
    }
}

/// Answers a matching item with the keyboard only: Tab to each slot's select, arrow keys to choose.
async fn answer_match_by_keyboard(browser: &Browser) {
    let heading = browser.text(&browser.find(".match h2.small").await).await;
    let reuse = heading.contains("more than once");
    for (i, name) in select_names(browser, ".match select[name^='slot:']")
        .await
        .iter()
        .enumerate()
    {
        let css = format!("select[name='{name}']");
        let select = browser.find(&css).await;
        let values = option_values(browser, &select).await;
        let index = if reuse { 0 } else { i };
        let Some(value) = values.get(index) else {
            continue;
        };
        tab_to(browser, &css).await;
        // The first option is the empty "—"; each ArrowDown moves one option on.
        browser.press_keys(&vec![ARROW_DOWN; index + 1]).await;
        assert_eq!(
            browser.property(&select, "value").await.as_str(),
            Some(value.as_str()),
            "{name}: the arrow keys chose the option"
        );
    }
}

/// The seconds left that the server rendered into the page's timer.
async fn seconds_left(browser: &Browser) -> i64 {
    let timer = browser.find("[data-testid=timer]").await;
    browser
        .attribute(&timer, "data-seconds-left")
        .await
        .and_then(|s| s.parse().ok())
        .expect("the timer has its seconds left")
}

/// Starts a form from the exams page and returns the attempt's path (`/attempts/{id}`).
async fn start_form(browser: &Browser, app: &TestApp, slug: &str) -> String {
    browser.goto(&app.url("/exams")).await;
    let start = browser
        .find(&format!("[data-testid='form-{slug}'] button[type=submit]"))
        .await;
    browser.click_and_wait(&start).await;
    let first = browser.current_path().await;
    assert!(
        first.starts_with("/attempts/") && first.ends_with("/items/1"),
        "Start opens the first item, not {first}"
    );
    first.trim_end_matches("/items/1").to_owned()
}

/// The app with the shipped question bank loaded.
async fn app_with_bank() -> TestApp {
    TestApp::spawn_with(|config| {
        config.load_bank = Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("question-bank"));
    })
    .await
}

/// Saves screenshots of the item page in the dark theme and at a phone's width (390 px), checking both with axe.
async fn screenshot_dark_and_phone(browser: &Browser) {
    browser.emulate_color_scheme("dark").await;
    assert_accessible(browser, "item page, dark theme").await;
    browser
        .screenshot(&screenshot_path("exam-item-dark.png"))
        .await;
    browser.emulate_color_scheme("light").await;
    browser.set_window_size(390, 844).await;
    assert_accessible(browser, "item page, phone width").await;
    browser
        .screenshot(&screenshot_path("exam-item-phone.png"))
        .await;
    browser.set_window_size(1280, 900).await;
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
    let app = app_with_bank().await;
    browser.goto(&app.url("/signup")).await;
    assert_accessible(&browser, "sign-up page").await;
    sign_up_through_the_form(&browser, &app, "erin@example.com", "Erin").await;
    assert_eq!(account_name(&browser).await.as_deref(), Some("Erin"));
    assert_accessible(&browser, "home page").await;

    // Start Quick 15 from the exams page.
    browser.goto(&app.url("/exams")).await;
    assert_accessible(&browser, "exams page").await;
    let attempt_path = start_form(&browser, &app, "quick-15").await;
    let seconds_at_start = seconds_left(&browser).await;

    // Answer every item, in order, until the app shows the review page.
    let mut types_by_position: BTreeMap<usize, String> = BTreeMap::new();
    let mut next_clicks = 0;
    let mut total_items = 0;
    let mut reloaded = false;
    let mut marked: Option<(usize, String)> = None;
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
        let first_visit = if let Some(earlier) = types_by_position.insert(position, kind.clone()) {
            assert_eq!(earlier, kind, "item {position} changed its type");
            assert_eq!(
                kind, "yes_no_series",
                "only a yes/no series stays on its item after Next (item {position})"
            );
            false
        } else {
            assert_eq!(
                position,
                types_by_position.len(),
                "Next goes to the following item"
            );
            true
        };
        let in_case_study = browser.try_find("aside.case").await.is_some();
        assert_accessible(&browser, &format!("item {position} ({kind})")).await;
        if first_visit
            && !types_by_position
                .values()
                .take(position - 1)
                .any(|k| *k == kind)
        {
            browser
                .screenshot(&screenshot_path(&format!("item-{kind}.png")))
                .await;
        }
        if next_clicks == 1 {
            browser.screenshot(&screenshot_path("exam-item.png")).await;
            screenshot_dark_and_phone(&browser).await;
        }
        match kind.as_str() {
            "order" => answer_order_by_dragging(&browser).await,
            "match" => answer_match_by_keyboard(&browser).await,
            _ => answer_the_item(&browser, &kind).await,
        }

        // Mid-exam, reload a page whose answer only the autosave has sent: the answer and the clock survive.
        if kind == "single" && !reloaded {
            reloaded = true;
            browser
                .wait_until(
                    "var s = document.querySelector('.autosave'); return !!s && s.textContent === 'Saved';",
                    vec![],
                    "the autosave says Saved",
                )
                .await;
            let checked = browser
                .attribute(
                    &browser.find("input[type=radio][name=choice]").await,
                    "value",
                )
                .await;
            browser.goto(&browser.current_url().await).await;
            let radio = browser.find("input[type=radio][name=choice]").await;
            assert_eq!(browser.attribute(&radio, "value").await, checked);
            assert_eq!(
                browser.property(&radio, "checked").await,
                serde_json::json!(true),
                "after a reload the autosaved answer is still chosen"
            );
            let left = seconds_left(&browser).await;
            assert!(
                0 < left && left <= seconds_at_start,
                "after a reload the clock goes on: {left} s left of {seconds_at_start} s"
            );
            let shown = browser
                .text(&browser.find("[data-testid=timer] strong").await)
                .await;
            assert!(
                shown.contains(':') || shown.contains("min"),
                "the timer shows the time left: {shown:?}"
            );
        }

        // Mark one item to come back to from the review: the first one outside a case study (which locks
        // when left) and not a yes/no series (whose statements lock). Which types the draw holds varies.
        if marked.is_none() && kind != "yes_no_series" && !in_case_study {
            let mark = browser.find("input[type=checkbox][name=mark]").await;
            browser.click(&mark).await;
            assert_eq!(
                browser.property(&mark, "checked").await,
                serde_json::json!(true),
                "the click on Mark for review ticks it (item {position})"
            );
            marked = Some((position, kind.clone()));
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

    // The review page: everything answered, one item marked.
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
    assert_eq!(
        summary, "15 answered · 0 unanswered · 1 marked for review",
        "review summary"
    );
    assert_accessible(&browser, "review page").await;
    browser.screenshot(&screenshot_path("review.png")).await;

    // Revisit the marked item from the review: its answer and its mark are there; back to the review.
    let (marked, marked_kind) =
        marked.expect("the draw has an item outside a case study that is not a yes/no series");
    let link = browser
        .find(&format!("a[href='{attempt_path}/items/{marked}']"))
        .await;
    browser.click_and_wait(&link).await;
    assert_eq!(
        browser.current_path().await,
        format!("{attempt_path}/items/{marked}")
    );
    let mark = browser.find("input[type=checkbox][name=mark]").await;
    assert_eq!(
        browser.property(&mark, "checked").await,
        serde_json::json!(true)
    );
    let kept = browser
        .execute(
            "return document.querySelectorAll('input[name=choice]:checked').length > 0 \
             || Array.prototype.some.call(document.querySelectorAll('section.item select'), \
                  function (s) { return s.value !== ''; });",
            vec![],
        )
        .await;
    assert_eq!(
        kept,
        serde_json::json!(true),
        "the marked item ({marked_kind}) kept its answer"
    );
    let review = browser.find("button[name=go][value=review]").await;
    browser.click_and_wait(&review).await;
    assert_eq!(
        browser.current_path().await,
        format!("{attempt_path}/review")
    );

    // End the exam: the confirmation page, then "End exam now".
    let end = browser.find(&format!("a[href='{attempt_path}/end']")).await;
    browser.click_and_wait(&end).await;
    let warning = browser.find("[data-testid=end-warning]").await;
    assert!(browser.is_displayed(&warning).await, "the end page warns");
    assert_accessible(&browser, "end confirmation page").await;
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
    assert_accessible(&browser, "result page").await;
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

/// The attempt's id from its path (`/attempts/{id}`).
fn attempt_id(attempt_path: &str) -> uuid::Uuid {
    attempt_path
        .trim_start_matches("/attempts/")
        .parse()
        .unwrap_or_else(|e| panic!("no attempt id in {attempt_path:?}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_time_runs_out_a_reload_shows_the_attempt_ended_and_its_result() {
    let Some(browser) = Browser::launch_or_skip(
        "when_the_time_runs_out_a_reload_shows_the_attempt_ended_and_its_result",
    )
    .await
    else {
        return;
    };
    let app = app_with_bank().await;
    sign_up_through_the_form(&browser, &app, "fox@example.com", "Fox").await;
    let attempt_path = start_form(&browser, &app, "quick-15").await;
    let kind = item_kind(&browser).await;
    assert_accessible(&browser, "item 1").await;
    answer_the_item(&browser, &kind).await;
    let next = browser.find("button[name=go][value=next]").await;
    browser.click_and_wait(&next).await;
    assert_accessible(&browser, "item 2").await;
    let on_item = browser.current_path().await;
    let id = attempt_id(&attempt_path);

    // The countdown is silent for screen readers, except a polite announcement at 10 and at 5 minutes left.
    let timer = browser.find("[data-testid=timer]").await;
    assert_eq!(
        browser.attribute(&timer, "aria-live").await.as_deref(),
        Some("off")
    );
    let quiet = browser
        .execute(
            "return document.getElementById('timer-announce').textContent;",
            vec![],
        )
        .await;
    assert_eq!(
        quiet.as_str(),
        Some(""),
        "nothing announced with 24 minutes left"
    );
    for minutes in [10, 5] {
        sqlx::query(
            "UPDATE attempts SET deadline = now() + make_interval(mins => $2) WHERE id = $1",
        )
        .bind(id)
        .bind(minutes)
        .execute(&app.db)
        .await
        .expect("move the deadline");
        browser.goto(&app.url(&on_item)).await;
        let announce = browser.find("#timer-announce[aria-live=polite]").await;
        browser
            .wait_until(
                "return document.getElementById('timer-announce').textContent === arguments[0];",
                vec![format!("{minutes} minutes left.").into()],
                &format!("the {minutes}-minute announcement"),
            )
            .await;
        assert_eq!(
            browser.text(&announce).await,
            format!("{minutes} minutes left.")
        );
    }

    // The clock runs out: the deadline moves into the past (no waiting for real time).
    sqlx::query("UPDATE attempts SET deadline = now() - interval '1 second' WHERE id = $1")
        .bind(id)
        .execute(&app.db)
        .await
        .expect("move the deadline");
    browser.goto(&app.url(&on_item)).await;

    assert_eq!(
        browser.current_path().await,
        format!("{attempt_path}/result"),
        "an item of an attempt whose time is over shows the result"
    );
    let notice = browser.find("[data-testid=time-up]").await;
    assert!(browser.is_displayed(&notice).await);
    let said = browser.text(&notice).await;
    assert!(
        said.contains("time ran out"),
        "the result says the time ran out: {said:?}"
    );
    let score = browser
        .text(&browser.find("[data-testid=scaled-score]").await)
        .await;
    assert!(
        score.parse::<u32>().is_ok(),
        "a scaled score, not {score:?}"
    );
    assert_eq!(
        browser
            .find_all("svg[data-testid=domain-chart] g.bar")
            .await
            .len(),
        5
    );
    assert_accessible(&browser, "result page after the time ran out").await;
}

/// What the keyboard focus is on: a description, whether a focus indicator is drawn, whether it is a field.
struct Focused {
    element: webdriver::Element,
    description: String,
    indicator: Option<String>,
    /// The contrast of an outline with the background around it (WCAG 1.4.11 asks for 3:1).
    contrast: Option<f64>,
    field: bool,
}

const DESCRIBE_FOCUS: &str = "var e = document.activeElement;
if (!e || e === document.body || e === document.documentElement) return null;
var cs = getComputedStyle(e);
var outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
var shadow = cs.boxShadow && cs.boxShadow !== 'none';
var rgb = function (text) { var m = text.match(/[0-9.]+/g); return m && (m.length < 4 || Number(m[3]) > 0) ? m.map(Number) : null; };
var lum = function (c) {
  var a = c.slice(0, 3).map(function (v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
  return 0.2126 * a[0] + 0.7152 * a[1] + 0.0722 * a[2];
};
var bg = null;
for (var p = e.parentElement; p && !bg; p = p.parentElement) bg = rgb(getComputedStyle(p).backgroundColor);
var l1 = lum(rgb(cs.outlineColor) || [0, 0, 0]), l2 = lum(bg || [255, 255, 255]);
return {
  contrast: outline ? (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05) : null,
  description: e.outerHTML.slice(0, 120),
  indicator: outline ? 'outline ' + cs.outlineStyle + ' ' + cs.outlineWidth + ' ' + cs.outlineColor
    : shadow ? 'box-shadow ' + cs.boxShadow : null,
  field: /^(INPUT|SELECT|TEXTAREA)$/.test(e.tagName),
  visible: e.getBoundingClientRect().width > 0 && e.getBoundingClientRect().left >= 0
};";

/// Presses Tab once and describes the focused element (`None` when focus left the page's controls).
async fn tab_once(browser: &Browser) -> Option<Focused> {
    browser.press_keys(&[TAB]).await;
    let described = browser.execute(DESCRIBE_FOCUS, vec![]).await;
    if described.is_null() {
        return None;
    }
    let description = described["description"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        described["visible"].as_bool(),
        Some(true),
        "the focused element is on screen: {description}"
    );
    Some(Focused {
        element: browser.active_element().await,
        description,
        indicator: described["indicator"].as_str().map(str::to_owned),
        contrast: described["contrast"].as_f64(),
        field: described["field"].as_bool().unwrap_or(false),
    })
}

/// Tabs through every control of the page from its top: each shows a focus indicator, each field has an
/// accessible name, and every select, button and checkbox of the item form is reached.
async fn tab_through_the_page(browser: &Browser, page: &str) {
    let mut visited: Vec<webdriver::Element> = Vec::new();
    for _ in 0..150 {
        let Some(focused) = tab_once(browser).await else {
            if visited.is_empty() {
                continue;
            }
            break;
        };
        if visited.contains(&focused.element) {
            break;
        }
        assert!(
            focused.indicator.is_some(),
            "{page}: no visible focus indicator on {}",
            focused.description
        );
        if let Some(contrast) = focused.contrast {
            assert!(
                contrast >= 3.0,
                "{page}: the focus outline ({}) contrasts {contrast:.2}:1 with its background, under 3:1, on {}",
                focused.indicator.as_deref().unwrap_or_default(),
                focused.description
            );
        }
        if focused.field {
            let label = browser.computed_label(&focused.element).await;
            assert!(
                !label.trim().is_empty(),
                "{page}: no accessible label on {}",
                focused.description
            );
        }
        visited.push(focused.element);
    }
    for control in browser
        .find_all("#item-form select, #item-form button, #item-form input[type=checkbox]")
        .await
    {
        assert!(
            visited.contains(&control),
            "{page}: Tab never reaches {:?} {:?}",
            browser.attribute(&control, "name").await,
            browser.text(&control).await
        );
    }
    for field in browser
        .find_all("input:not([type=hidden]), select, textarea")
        .await
    {
        let label = browser.computed_label(&field).await;
        assert!(
            !label.trim().is_empty(),
            "{page}: a field without an accessible label: {:?}",
            browser.attribute(&field, "name").await
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_control_of_each_item_type_is_reached_by_tab_with_a_visible_focus_and_a_label() {
    let Some(browser) = Browser::launch_or_skip(
        "every_control_of_each_item_type_is_reached_by_tab_with_a_visible_focus_and_a_label",
    )
    .await
    else {
        return;
    };
    let app = app_with_bank().await;
    sign_up_through_the_form(&browser, &app, "gus@example.com", "Gus").await;
    let attempt_path = start_form(&browser, &app, "quick-15").await;

    // One page of each item type (and a case study), opened directly: looking does not answer or lock.
    let mut checked: BTreeSet<String> = BTreeSet::new();
    for position in 1..=15 {
        browser
            .goto(&app.url(&format!("{attempt_path}/items/{position}")))
            .await;
        let kind = item_kind(&browser).await;
        let case = browser.try_find("aside.case").await.is_some();
        // A type may appear only inside the case study: a page counts for its type and for the case study.
        let new_kind = checked.insert(kind.clone());
        let new_case = case && checked.insert("case study".to_owned());
        if !new_kind && !new_case {
            continue;
        }
        let key = if case {
            format!("{kind} in the case study")
        } else {
            kind
        };
        let page = format!("item {position} ({key})");
        assert_accessible(&browser, &page).await;
        let first_heading = browser
            .execute(
                "return document.querySelector('main h1, main h2, main h3').tagName;",
                vec![],
            )
            .await;
        assert_eq!(
            first_heading.as_str(),
            Some("H1"),
            "{page}: the first heading is the h1"
        );
        tab_through_the_page(&browser, &page).await;
        browser.emulate_color_scheme("dark").await;
        assert_accessible(&browser, &format!("{page}, dark theme")).await;
        tab_through_the_page(&browser, &format!("{page}, dark theme")).await;
        browser.emulate_color_scheme("light").await;
    }
    for kind in ITEM_TYPES.into_iter().chain(["case study"]) {
        assert!(checked.contains(kind), "no {kind} item was checked");
    }
}

/// (No axe check here: axe runs on timers, which a page without JavaScript never fires; the other journeys
/// check the same pages.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_javascript_a_candidate_answers_and_moves_between_items_by_form_posts() {
    let test = "without_javascript_a_candidate_answers_and_moves_between_items_by_form_posts";
    let Some(browser) =
        Browser::launch_or_skip_with(test, &["--blink-settings=scriptEnabled=false"]).await
    else {
        return;
    };
    let app = app_with_bank().await;
    sign_up_through_the_form(&browser, &app, "hal@example.com", "Hal").await;
    assert_eq!(account_name(&browser).await.as_deref(), Some("Hal"));
    let attempt_path = start_form(&browser, &app, "quick-15").await;

    // No script ran: the timer still shows the server's whole minutes, not a ticking m:ss.
    let shown = browser
        .text(&browser.find("[data-testid=timer] strong").await)
        .await;
    assert!(
        shown.ends_with(" min"),
        "without JavaScript the timer is the server's: {shown:?}"
    );
    assert!(browser.try_find(".drop-target").await.is_none());

    // Answer item 1, mark it, and go on with Next: a plain form post.
    let kind = item_kind(&browser).await;
    answer_the_item(&browser, &kind).await;
    browser
        .click(&browser.find("input[type=checkbox][name=mark]").await)
        .await;
    browser
        .click_and_wait(&browser.find("button[name=go][value=next]").await)
        .await;
    assert_eq!(
        browser.current_path().await,
        format!("{attempt_path}/items/2")
    );

    // Answer item 2 as well, then come back with Previous: item 1 kept its answer and its mark.
    let kind2 = item_kind(&browser).await;
    answer_the_item(&browser, &kind2).await;
    browser
        .click_and_wait(&browser.find("button[name=go][value=prev]").await)
        .await;
    assert_eq!(
        browser.current_path().await,
        format!("{attempt_path}/items/1")
    );
    let chosen = browser.find_all("input[name=choice]:checked").await.len()
        + browser.find_all("input[name^='s:']:checked").await.len()
        + browser
            .find_all("span[aria-label$='(locked)'], .locked")
            .await
            .len();
    let selected = browser
        .execute(
            "return Array.prototype.filter.call(document.querySelectorAll('#item-form select'), function (s) { return s.value !== ''; }).length;",
            vec![],
        )
        .await
        .as_u64()
        .unwrap_or(0);
    assert!(
        chosen > 0 || selected > 0,
        "item 1 ({kind}) kept its answer"
    );
    let mark = browser.find("input[type=checkbox][name=mark]").await;
    assert_eq!(
        browser.property(&mark, "checked").await,
        serde_json::json!(true)
    );

    // The Review button posts too, and the review counts both answers and the mark.
    browser
        .click_and_wait(&browser.find("button[name=go][value=review]").await)
        .await;
    assert_eq!(
        browser.current_path().await,
        format!("{attempt_path}/review")
    );
    let summary = browser
        .text(&browser.find("[data-testid=review-summary]").await)
        .await;
    assert_eq!(summary, "2 answered · 13 unanswered · 1 marked for review");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_seeding_the_admin_dashboard_and_the_item_analysis_show_their_charts() {
    let Some(browser) = Browser::launch_or_skip(
        "after_seeding_the_admin_dashboard_and_the_item_analysis_show_their_charts",
    )
    .await
    else {
        return;
    };
    let app = app_with_bank().await;
    let seeded = ai102::demo::seed(
        &app.db,
        ai102::demo::SeedOptions {
            candidates: 40,
            attempts: 5,
            force: false,
            seed: 6,
        },
    )
    .await
    .unwrap();
    assert_eq!(seeded.attempts, 200);
    app.create_user("root@example.com", ai102::auth::Role::Admin)
        .await;
    app.create_user("owner@example.com", ai102::auth::Role::Instructor)
        .await;
    // The instructor owns the shipped pack, which every seeded attempt drew from.
    sqlx::query(
        "UPDATE packs SET owner_id = (SELECT id FROM users WHERE email = 'owner@example.com')",
    )
    .execute(&app.db)
    .await
    .unwrap();

    sign_in_through_the_form(&browser, &app, "root@example.com", PASSWORD).await;
    browser.goto(&app.url("/admin/analytics")).await;
    for chart in [
        "chart-weekly",
        "chart-histogram",
        "chart-domains",
        "chart-time",
    ] {
        let svg = browser
            .find(&format!("svg[data-testid={chart}][role=img]"))
            .await;
        assert!(browser.is_displayed(&svg).await, "{chart} is shown");
    }
    assert_eq!(
        browser
            .find_all("svg[data-testid=chart-histogram] rect")
            .await
            .len(),
        20,
        "one bar per bin"
    );
    let finished = browser.find("[data-testid=finished]").await;
    let finished: usize = browser.text(&finished).await.parse().unwrap();
    assert!(
        finished > 150,
        "most of the 200 attempts finished: {finished}"
    );
    assert_accessible(&browser, "admin analytics after seeding").await;

    let sign_out = browser
        .find("header form[action='/signout'] button[type=submit]")
        .await;
    browser.click_and_wait(&sign_out).await;
    sign_in_through_the_form(&browser, &app, "owner@example.com", PASSWORD).await;
    browser.goto(&app.url("/instructor/analytics")).await;
    let svg = browser
        .find("svg[data-testid=chart-facility][role=img]")
        .await;
    assert!(
        browser.is_displayed(&svg).await,
        "the facility chart is shown"
    );
    let rows = browser.find_all("[data-testid=items] tbody tr").await;
    assert!(
        rows.len() > 50,
        "the pack's items are listed: {}",
        rows.len()
    );
    let count = browser.find("[data-testid=attempt-count]").await;
    assert_eq!(browser.text(&count).await, finished.to_string());
    assert_accessible(&browser, "instructor item analysis after seeding").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_candidate_chooses_ai_103_and_an_instructor_uploads_to_it() {
    let Some(browser) =
        Browser::launch_or_skip("a_new_candidate_chooses_ai_103_and_an_instructor_uploads_to_it")
            .await
    else {
        return;
    };
    let app = app_with_bank().await;

    // A visitor sees AI-103 first, and AI-102 marked retired.
    browser.goto(&app.url("/")).await;
    assert_accessible(&browser, "home page, visitor").await;
    let first_card = browser.find("[data-testid^=exam-AI] h3").await;
    assert!(browser.text(&first_card).await.starts_with("AI-103"));
    let retired = browser
        .find("[data-testid=exam-AI-102] [data-testid=exam-status]")
        .await;
    // The badge is styled in capitals; its text is the status.
    assert_eq!(browser.text(&retired).await.to_lowercase(), "retired");
    browser.screenshot(&screenshot_path("home-exams.png")).await;

    // They sign up (the browser's time zone is taken), make AI-103 their target and take its quick form.
    sign_up_through_the_form(&browser, &app, "nia@example.com", "Nia").await;
    assert_accessible(&browser, "home page, signed in").await;
    let zone: String =
        sqlx::query_scalar("SELECT time_zone FROM users WHERE email = 'nia@example.com'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(!zone.is_empty(), "a time zone is recorded");
    browser.goto(&app.url("/exams")).await;
    assert_accessible(&browser, "exams page, every exam").await;
    let target = browser.find("[data-testid=set-target-AI-103]").await;
    browser.click_and_wait(&target).await;
    assert_eq!(browser.current_path().await, "/exams?exam=AI-103");
    assert_eq!(
        browser
            .text(&browser.find("[data-testid=target-exam]").await)
            .await,
        "AI-103 is your target exam."
    );
    assert_accessible(&browser, "exams page, AI-103").await;
    let attempt_path = start_form(&browser, &app, "ai103-quick-15").await;
    for _ in 0..60 {
        let (page, _) = browser
            .find_any(&["section.item[data-type]", "[data-testid=review-summary]"])
            .await;
        if page == 1 {
            break;
        }
        let kind = item_kind(&browser).await;
        if kind != "yes_no_series"
            || browser
                .try_find("input[type=radio][name^='s:'][value=yes]")
                .await
                .is_some()
        {
            answer_the_item(&browser, &kind).await;
        }
        let next = browser.find("button[name=go][value=next]").await;
        browser.click_and_wait(&next).await;
    }
    assert_eq!(
        browser.current_path().await,
        format!("{attempt_path}/review")
    );
    let end = browser.find(&format!("a[href='{attempt_path}/end']")).await;
    browser.click_and_wait(&end).await;
    let end_now = browser
        .find(&format!(
            "form[action='{attempt_path}/submit'] button[type=submit]"
        ))
        .await;
    browser.click_and_wait(&end_now).await;
    let bars = browser
        .find_all("svg[data-testid=domain-chart] g.bar")
        .await;
    assert!(!bars.is_empty() && bars.len() <= 5, "AI-103's domains");
    assert!(browser
        .try_find("[data-testid=exam-banner]")
        .await
        .is_none());
    assert_accessible(&browser, "AI-103 result page").await;
    browser.goto(&app.url("/progress")).await;
    assert_eq!(
        browser.text(&browser.find("h1").await).await,
        "Your AI-103 progress"
    );
    assert_accessible(&browser, "progress page, AI-103").await;
    let sign_out = browser
        .find("header form[action='/signout'] button[type=submit]")
        .await;
    browser.click_and_wait(&sign_out).await;

    // An instructor uploads a GIFT file to AI-103 and places its categories in AI-103 objectives.
    app.create_user("ivo@example.com", ai102::auth::Role::Instructor)
        .await;
    sign_in_through_the_form(&browser, &app, "ivo@example.com", PASSWORD).await;
    browser.goto(&app.url("/instructor/upload")).await;
    assert_accessible(&browser, "upload page").await;
    browser.select_option("#exam", "AI-103").await;
    let gift = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/import/gift/publishable.gift");
    let input = browser.find("input#file").await;
    browser
        .send_keys(&input, gift.to_str().expect("utf-8 path"))
        .await;
    let send = browser.find("#upload-form button[type=submit]").await;
    browser.click_and_wait(&send).await;
    assert!(browser
        .current_path()
        .await
        .starts_with("/instructor/packs/"));
    place_categories(
        &browser,
        &[
            ("AI-102/Vision", "vision.visual-context"),
            ("*unplaced*", "text.extract"),
        ],
    )
    .await;
    assert_accessible(&browser, "AI-103 pack page after placing").await;
    let blueprint: String = sqlx::query_scalar(
        "SELECT blueprint_id FROM packs WHERE owner_id = (SELECT id FROM users WHERE email = 'ivo@example.com')",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(blueprint, "ai103");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instructor_follows_a_problem_to_its_help_filters_to_drafts_and_deletes_one() {
    let Some(browser) = Browser::launch_or_skip(
        "an_instructor_follows_a_problem_to_its_help_filters_to_drafts_and_deletes_one",
    )
    .await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    app.create_user("ines@example.com", ai102::auth::Role::Instructor)
        .await;
    let ines: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'ines@example.com'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    for (key, title, status) in [
        ("live-pack", "Live pack", "published"),
        ("draft-a", "Draft A", "draft"),
        ("draft-b", "Draft B", "draft"),
    ] {
        let status = ai102::store::bank::PackStatus::parse(status).expect("a status");
        app.import_pack(&test_pack_as(key, title), Some(ines), status)
            .await;
    }
    sign_in_through_the_form(&browser, &app, "ines@example.com", PASSWORD).await;

    // An upload with problems: each links to the section about its rule.
    browser.goto(&app.url("/instructor/upload")).await;
    browser.select_option("#format", "gift").await;
    let chosen = browser.find("[data-testid=chosen-format-help]").await;
    assert_eq!(
        browser.attribute(&chosen, "href").await.as_deref(),
        Some("/help/importing-text#gift-moodle"),
        "the help link follows the chosen format"
    );
    browser.select_option("#format", "auto").await;
    let bad = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/import/native/bad_pack.yaml");
    let input = browser.find("input#file").await;
    browser
        .send_keys(&input, bad.to_str().expect("utf-8 path"))
        .await;
    let send = browser.find("#upload-form button[type=submit]").await;
    // The page's script sends the file and writes the report into the same document.
    browser.click(&send).await;
    browser
        .wait_until(
            "return !!document.querySelector('[data-testid=validation-report] a[data-testid=problem-help]');",
            vec![],
            "the upload report",
        )
        .await;
    assert_accessible(&browser, "upload report with help links").await;
    let link = browser
        .find("[data-testid=validation-report] a[data-testid=problem-help]")
        .await;
    let href = browser.attribute(&link, "href").await.expect("a help link");
    let anchor = href.split_once('#').expect("an anchor").1.to_owned();
    browser.click_and_wait(&link).await;
    assert!(href.starts_with("/help/question-format#"), "{href}");
    assert_eq!(browser.current_path().await, href);
    let target = browser
        .execute(
            "var t = document.querySelector(':target'); return t ? t.id : null;",
            vec![],
        )
        .await;
    assert_eq!(
        target.as_str(),
        Some(anchor.as_str()),
        "the page opens at the rule"
    );
    assert_accessible(&browser, "help page of the pack format").await;
    let footer = browser.find("footer a[data-testid=help-link]").await;
    browser.click_and_wait(&footer).await;
    assert_eq!(browser.current_path().await, "/help");
    assert_accessible(&browser, "help index").await;
    for doc in ai102::help::DOCS {
        browser.goto(&app.url(&format!("/help/{}", doc.name))).await;
        assert!(browser.try_find("[data-testid=help-toc]").await.is_some());
        assert_accessible(&browser, &format!("help page {}", doc.name)).await;
    }

    // The packs, filtered to drafts.
    browser.goto(&app.url("/instructor")).await;
    assert_accessible(&browser, "instructor's packs").await;
    browser.select_option("#status", "draft").await;
    let show = browser.find("[data-testid=pack-filter]").await;
    browser.click_and_wait(&show).await;
    assert!(browser.current_url().await.contains("status=draft"));
    let statuses = browser
        .find_all("[data-testid=pack-row] [data-testid=pack-status]")
        .await;
    assert_eq!(statuses.len(), 2);
    for s in &statuses {
        assert_eq!(browser.text(s).await, "draft");
    }
    assert_accessible(&browser, "instructor's drafts").await;

    // Delete one, after its confirmation page.
    let pick = browser
        .find("[data-testid=pack-row] input[name=pack]")
        .await;
    browser.click(&pick).await;
    let delete = browser.find("[data-testid=delete-chosen]").await;
    browser.click_and_wait(&delete).await;
    assert!(browser
        .current_path()
        .await
        .starts_with("/instructor/packs/delete?pack="));
    assert_eq!(browser.find_all("[data-testid=will-go] li").await.len(), 1);
    assert_accessible(&browser, "delete confirmation").await;
    let confirm = browser.find("[data-testid=confirm-delete]").await;
    browser.click_and_wait(&confirm).await;
    assert_eq!(
        browser
            .text(&browser.find("[data-testid=packs-message]").await)
            .await,
        "1 draft pack(s) deleted, with their items, revisions and versions."
    );
    assert_accessible(&browser, "packs after deleting").await;
    assert_eq!(app.count("SELECT count(*) FROM packs").await, 2);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'pack.delete'")
            .await,
        1
    );
}

/// The key of a standalone single-answer question at `position` of the attempt, if it is one.
async fn single_key(app: &TestApp, attempt: &str, position: usize) -> Option<String> {
    sqlx::query_scalar(
        "SELECT r.content->>'answer' FROM attempt_items ai JOIN item_revisions r ON r.id = ai.revision_id
         WHERE ai.attempt_id = $1::uuid AND ai.position = $2 AND ai.section_key IS NULL
           AND r.content->>'type' = 'single'",
    )
    .bind(attempt.trim_start_matches("/attempts/"))
    .bind(i32::try_from(position).unwrap())
    .fetch_optional(&app.db)
    .await
    .unwrap()
    .flatten()
}

/// A full-length mock answered entirely right through the JSON API (each answer the question's own key), then
/// submitted: the seeded history of step 4.
async fn seed_a_perfect_mock(app: &TestApp, token: &str, slug: &str) {
    let api = app.api(token);
    let started = api.post(&format!("/api/v1/forms/{slug}/attempts")).await;
    assert_eq!(started.status(), 201);
    let id: uuid::Uuid = started.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    answer_every_slot_with_its_key_and_submit(app, token, id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_candidate_reviews_what_they_missed_sets_an_exam_date_and_meets_the_booking_rule() {
    let Some(browser) = Browser::launch_or_skip(
        "a_candidate_reviews_what_they_missed_sets_an_exam_date_and_meets_the_booking_rule",
    )
    .await
    else {
        return;
    };
    let app = app_with_bank().await;
    sign_up_through_the_form(&browser, &app, "sam@example.com", "Sam").await;

    // 1. A quick AI-103 mock, every standalone single-answer question answered wrongly, the rest left alone.
    browser.goto(&app.url("/exams?exam=AI-103")).await;
    let attempt = start_form(&browser, &app, "ai103-quick-15").await;
    let mut missed = 0;
    loop {
        let (page, _) = browser
            .find_any(&["section.item[data-type]", "[data-testid=review-summary]"])
            .await;
        if page == 1 {
            break;
        }
        let (position, _) = counter(
            &browser
                .text(&browser.find("[data-testid=counter]").await)
                .await,
        );
        if let Some(key) = single_key(&app, &attempt, position).await {
            let wrong = browser
                .find(&format!(
                    "input[type=radio][name=choice]:not([value='{key}'])"
                ))
                .await;
            browser.click(&wrong).await;
            missed += 1;
        }
        let next = browser.find("button[name=go][value=next]").await;
        browser.click_and_wait(&next).await;
    }
    assert!(missed >= 1, "the quick form has single-answer questions");
    let end = browser.find(&format!("a[href='{attempt}/end']")).await;
    browser.click_and_wait(&end).await;
    let end_now = browser
        .find(&format!(
            "form[action='{attempt}/submit'] button[type=submit]"
        ))
        .await;
    browser.click_and_wait(&end_now).await;
    browser.goto(&app.url("/progress?exam=AI-103")).await;
    assert_accessible(&browser, "progress page with questions due").await;
    let due = browser
        .text(&browser.find("[data-testid=due-count]").await)
        .await;
    assert!(
        due.contains(&format!("{missed} question")),
        "the {missed} missed questions are due: {due}"
    );
    browser.goto(&app.url("/")).await;
    let home = browser
        .text(&browser.find("[data-testid=home-due]").await)
        .await;
    assert!(home.contains(&format!("{missed} question")), "{home}");

    // 2. A review session: say how sure, check, read the key; the due count falls to zero.
    browser
        .goto(&app.url("/practice?exam=AI-103&source=due"))
        .await;
    assert_accessible(&browser, "practice page, drawing from the questions due").await;
    let start = browser
        .find("form[action='/practice/start'] button[type=submit]")
        .await;
    browser.click_and_wait(&start).await;
    let session = browser.current_path().await;
    let session = session.trim_end_matches("/items/1").to_owned();
    for position in 1..=missed {
        assert!(browser.try_find("[data-testid=confidence]").await.is_some());
        if position == 1 {
            assert_accessible(&browser, "review session item, before checking").await;
        }
        let key = single_key(&app, &session, position)
            .await
            .expect("a missed single-answer question");
        browser
            .click(
                &browser
                    .find(&format!("input[type=radio][name=choice][value='{key}']"))
                    .await,
            )
            .await;
        browser
            .click(&browser.find("input[name=confidence][value=certain]").await)
            .await;
        browser
            .click_and_wait(&browser.find("button[name=go][value=stay]").await)
            .await;
        let feedback = browser
            .text(&browser.find("[data-testid=feedback]").await)
            .await;
        assert!(feedback.starts_with("Correct"), "{feedback}");
        assert!(feedback.contains("You said: Certain"), "{feedback}");
        if position == 1 {
            assert_accessible(&browser, "review session item, with its feedback").await;
            browser
                .screenshot(&screenshot_path("review-session.png"))
                .await;
        }
        if position < missed {
            browser
                .click_and_wait(&browser.find("button[name=go][value=next]").await)
                .await;
        }
    }
    browser.goto(&app.url("/progress?exam=AI-103")).await;
    let due = browser
        .text(&browser.find("[data-testid=due-count]").await)
        .await;
    assert!(due.starts_with("0 questions due today"), "{due}");

    // 3. An exam date three weeks away, and the plan to it.
    let date = time::OffsetDateTime::now_utc().date() + time::Duration::days(21);
    browser
        .execute(
            "document.getElementById('exam-date').value = arguments[0];",
            vec![date.to_string().into()],
        )
        .await;
    let save = browser
        .find("form[action='/progress/plan'] button[type=submit]")
        .await;
    browser.click_and_wait(&save).await;
    let days = browser
        .text(&browser.find("[data-testid=days-left]").await)
        .await;
    assert!(days.contains("21 days left"), "{days}");
    assert!(browser.try_find("[data-testid=plan-ics]").await.is_some());
    let objectives = browser.find_all("[data-testid=plan-objectives] li").await;
    assert!(!objectives.is_empty());
    assert_accessible(&browser, "progress page with a plan").await;
    browser.screenshot(&screenshot_path("study-plan.png")).await;
    // An objective's page, from the plan.
    let first = browser.find("[data-testid=plan-objectives] li a").await;
    browser.click_and_wait(&first).await;
    assert!(browser
        .current_path()
        .await
        .starts_with("/progress/objectives/"));
    assert!(browser
        .try_find("[data-testid=objective-learn]")
        .await
        .is_some());
    assert_accessible(&browser, "objective page").await;

    // 4. Two full-length mocks at 100 %, seeded through the API: the checklist says the rule is met.
    let token = app.api_token("sam@example.com").await;
    seed_a_perfect_mock(&app, &token, "ai103-full").await;
    seed_a_perfect_mock(&app, &token, "ai103-full").await;
    browser.goto(&app.url("/progress?exam=AI-103")).await;
    let met = browser
        .text(&browser.find("[data-testid=booking-met]").await)
        .await;
    assert!(met.contains("You meet the booking rule"), "{met}");
    assert!(met.contains("does not say you will pass"), "{met}");
    assert_eq!(browser.find_all("[data-testid=pair-mock]").await.len(), 2);
    assert_accessible(&browser, "progress page, booking rule met").await;
    browser
        .screenshot(&screenshot_path("booking-rule.png"))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instructor_imports_a_moodle_export_publishes_it_with_a_warning_and_exports_it_to_moodle_xml(
) {
    let Some(browser) = Browser::launch_or_skip(
        "an_instructor_imports_a_moodle_export_publishes_it_with_a_warning_and_exports_it_to_moodle_xml",
    )
    .await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    app.create_user("ines@example.com", ai102::auth::Role::Instructor)
        .await;
    sign_in_through_the_form(&browser, &app, "ines@example.com", PASSWORD).await;

    // 1. The upload: the description is skipped with a note, the essay is refused at its line, and the three
    //    questions without feedback can be imported as a draft in one click.
    browser.goto(&app.url("/instructor/upload")).await;
    browser.select_option("#exam", "AI-102").await;
    let gift =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/import/gift/moodle-export.gift");
    let input = browser.find("input#file").await;
    browser
        .send_keys(&input, gift.to_str().expect("utf-8 path"))
        .await;
    // The page sends the file and shows the report in place (no navigation).
    browser
        .click(&browser.find("#upload-form button[type=submit]").await)
        .await;
    browser
        .wait_until(
            "return !!document.querySelector('[data-testid=import-valid]');",
            vec![],
            "the validation report",
        )
        .await;
    let report = browser.text(&browser.find("main").await).await;
    assert!(report.contains("essay"), "{report}");
    assert!(
        report.contains("description"),
        "the description is a note: {report}"
    );
    assert_accessible(&browser, "upload report of a Moodle export").await;
    let import = browser.find("[data-testid=import-valid]").await;
    assert!(browser.text(&import).await.contains("3 valid item"));
    browser.click_and_wait(&import).await;
    let pack_path = browser
        .current_path()
        .await
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(pack_path.starts_with("/instructor/packs/"), "{pack_path}");

    // 2. The preview shows every special character as written.
    browser
        .goto(&app.url(&format!("{pack_path}/items/heading-mark")))
        .await;
    let preview = browser.text(&browser.find("main").await).await;
    assert!(preview.contains("# (the hash sign)"), "{preview}");
    assert!(preview.contains("* (an asterisk)"), "{preview}");
    assert!(preview.contains("> (a greater-than sign)"), "{preview}");
    browser
        .goto(&app.url(&format!("{pack_path}/items/backslashes")))
        .await;
    let preview = browser.text(&browser.find("main").await).await;
    assert!(preview.contains(r"A \ B \\ C"), "{preview}");
    browser
        .goto(&app.url(&format!("{pack_path}/items/brackets-and-bars")))
        .await;
    let preview = browser.text(&browser.find("main").await).await;
    assert!(
        preview.contains("[docs](not a link) | 1. not a list _nor emphasis_ ~tilde~ x < y & more"),
        "{preview}"
    );
    assert_accessible(&browser, "item preview with special characters").await;

    // 3. Placed and published, with the warning about the missing explanations.
    browser.goto(&app.url(&pack_path)).await;
    place_categories(&browser, &[("*unplaced*", "plan.secure")]).await;
    browser
        .click_and_wait(&browser.find("button[data-testid=publish]").await)
        .await;
    let message = browser
        .text(&browser.find("[data-testid=pack-message]").await)
        .await;
    assert!(message.contains("published"), "{message}");
    assert!(
        message
            .contains("3 items have no explanation or reference: candidates will see only the key"),
        "{message}"
    );
    assert!(browser
        .try_find("[data-testid=needs-explanation]")
        .await
        .is_some());
    assert_accessible(&browser, "pack page published with the warning").await;
    browser
        .screenshot(&screenshot_path("pack-needs-explanation.png"))
        .await;

    // 4. Exported to Moodle XML: the three questions, with the special characters kept.
    let link = browser.find("[data-testid=export-moodle-xml]").await;
    let href = browser.attribute(&link, "href").await.expect("an href");
    let xml = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.text()).then(done);",
            vec![href.into()],
        )
        .await;
    let xml = xml.as_str().expect("the file's text");
    assert!(xml.contains("<quiz>"), "{xml}");
    assert_eq!(
        xml.matches("<question type=\"multichoice\"").count(),
        3,
        "{xml}"
    );
    assert!(xml.contains("hash sign"), "{xml}");
}

/// Signs out with the header's button.
async fn sign_out_through_the_header(browser: &Browser) {
    let sign_out = browser
        .find("header form[action='/signout'] button[type=submit]")
        .await;
    browser.click_and_wait(&sign_out).await;
    assert_eq!(account_name(browser).await, None, "signed out");
}

/// As a visitor: opens a class's join link, follows "Create an account to join", signs up, comes back to the
/// join page and joins. Ends on the Exams page that says so. `check` runs axe on each page on the way.
async fn sign_up_and_join_through_the_link(
    browser: &Browser,
    join_url: &str,
    code: &str,
    email: &str,
    name: &str,
    check: bool,
) {
    browser.goto(join_url).await;
    assert_eq!(browser.current_path().await, format!("/join/{code}"));
    if check {
        assert_accessible(browser, "join page, visitor").await;
    }
    let create = browser
        .find("[data-testid=join-sign-in] a[href^='/signup']")
        .await;
    assert_eq!(browser.text(&create).await, "Create an account to join");
    browser.click_and_wait(&create).await;
    assert_eq!(
        browser.current_path().await,
        format!("/signup?next=/join/{code}")
    );
    if check {
        assert_accessible(browser, "sign-up page, from a join link").await;
    }
    browser.fill("#email", email).await;
    browser.fill("#display_name", name).await;
    browser.fill("#password", PASSWORD).await;
    browser.fill("#password_confirm", PASSWORD).await;
    let submit = browser
        .find("main form[action='/signup'] button[type=submit]")
        .await;
    browser.click_and_wait(&submit).await;
    assert_eq!(
        browser.current_path().await,
        format!("/join/{code}"),
        "the sign-up comes back to the join page"
    );
    assert_eq!(account_name(browser).await.as_deref(), Some(name));
    if check {
        assert_accessible(browser, "join page, signed in").await;
    }
    let join = browser.find("[data-testid=join-button]").await;
    browser.click_and_wait(&join).await;
    assert!(
        browser.current_path().await.starts_with("/exams?joined="),
        "joining lands on the Exams page: {}",
        browser.current_path().await
    );
}

/// Answers every slot of an attempt with its question's key through the JSON API, then submits it.
async fn answer_every_slot_with_its_key_and_submit(app: &TestApp, token: &str, id: uuid::Uuid) {
    let api = app.api(token);
    let slots = ai102::store::exam::slots(&app.db, id).await.unwrap();
    let ids: Vec<uuid::Uuid> = slots.iter().map(|s| s.revision_id).collect();
    let items = ai102::store::bank::revisions(&app.db, &ids).await.unwrap();
    for s in &slots {
        let q = ai102::exam::plan::find_question(&items[&s.revision_id], &s.question_key)
            .expect("the slot's question");
        let key = serde_json::to_value(ai102::scoring::Response::key(q)).unwrap();
        let r = api
            .put(
                &format!("/api/v1/attempts/{id}/items/{}/answer", s.position),
                &key,
            )
            .await;
        assert_eq!(r.status(), 204, "answer {}", s.position);
    }
    assert_eq!(
        api.post(&format!("/api/v1/attempts/{id}/submit"))
            .await
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instructor_runs_a_class_two_members_take_its_form_and_the_gradebook_and_pass_rate_show_them(
) {
    let Some(browser) = Browser::launch_or_skip(
        "an_instructor_runs_a_class_two_members_take_its_form_and_the_gradebook_and_pass_rate_show_them",
    )
    .await
    else {
        return;
    };
    let app = app_with_bank().await;
    app.create_user("ivy@example.com", ai102::auth::Role::Instructor)
        .await;
    app.create_user("root@example.com", ai102::auth::Role::Admin)
        .await;
    let form_id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM exam_forms WHERE slug = 'ai103-quick-15'")
            .fetch_one(&app.db)
            .await
            .expect("AI-103's public quick form");

    // 1. The instructor creates a class, assigns the quick form with a window and 2 attempts, and reads the
    //    join link.
    sign_in_through_the_form(&browser, &app, "ivy@example.com", PASSWORD).await;
    browser.goto(&app.url("/instructor/classes")).await;
    assert!(browser.try_find("[data-testid=no-classes]").await.is_some());
    assert_accessible(&browser, "classes page, no class yet").await;
    browser.fill("#class-name", "Spring cohort").await;
    browser.select_option("#class-exam", "AI-103").await;
    let create = browser
        .find("form[data-testid=new-class] button[type=submit]")
        .await;
    browser.click_and_wait(&create).await;
    let class_path = browser.current_path().await;
    let class_id: uuid::Uuid = class_path
        .strip_prefix("/instructor/classes/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("creating the class leads to its page, not {class_path}"));
    assert_eq!(
        browser
            .text(&browser.find("[data-testid=class-name]").await)
            .await,
        "Spring cohort"
    );
    assert_accessible(&browser, "class page, new").await;

    let closes = time::OffsetDateTime::now_utc() + time::Duration::days(7);
    let closes = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        closes.year(),
        u8::from(closes.month()),
        closes.day(),
        closes.hour(),
        closes.minute()
    );
    browser.select_option("#a-form", &form_id.to_string()).await;
    browser
        .execute(
            "document.getElementById('a-closes').value = arguments[0];",
            vec![closes.clone().into()],
        )
        .await;
    browser.fill("#a-attempts", "2").await;
    let at_end = browser
        .find("form[data-testid=assign-form] input[name=answers_shown][value=at_end]")
        .await;
    assert_eq!(
        browser.property(&at_end, "checked").await,
        serde_json::json!(true),
        "answers at the end is the default"
    );
    let assign = browser
        .find("form[data-testid=assign-form] button[type=submit]")
        .await;
    browser.click_and_wait(&assign).await;
    assert_eq!(
        browser.current_path().await,
        format!("{class_path}?saved=assignment")
    );
    assert_eq!(
        browser
            .text(&browser.find("[data-testid=class-notice]").await)
            .await,
        "The form is assigned."
    );
    let assigned = browser
        .find_all("table[data-testid=assignments] tbody tr:not(.edit-row)")
        .await;
    assert_eq!(assigned.len(), 1);
    let assigned = browser.text(&assigned[0]).await;
    assert!(
        assigned.contains("AI-103 Quick 15 (15 items")
            && assigned.contains(&closes.replace('T', " "))
            && assigned.contains(" 2 "),
        "the assignment closes at {closes} (UTC) with 2 attempts: {assigned}"
    );
    assert_accessible(&browser, "class page with an assignment").await;
    let assignment: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM assignments WHERE class_id = $1")
            .bind(class_id)
            .fetch_one(&app.db)
            .await
            .expect("the assignment");
    let code = browser
        .text(&browser.find("[data-testid=join-code]").await)
        .await;
    let join_url = browser
        .text(&browser.find("[data-testid=join-url]").await)
        .await;
    assert!(join_url.ends_with(&format!("/join/{code}")), "{join_url}");
    sign_out_through_the_header(&browser).await;

    // 2. Candidate 1 joins through the link as a visitor and takes the form in the browser.
    sign_up_and_join_through_the_link(&browser, &join_url, &code, "una@example.com", "Una", true)
        .await;
    assert_eq!(
        browser
            .text(&browser.find("[data-testid=joined]").await)
            .await,
        "You joined Spring cohort. Its assignments are listed below."
    );
    let card = format!("[data-testid=assignments] li[data-testid=assignment-{assignment}]");
    let listed = browser.text(&browser.find(&card).await).await;
    assert!(
        listed.contains("AI-103 Quick 15")
            && listed.contains("Spring cohort")
            && listed.contains("2 of 2 attempt(s) left")
            && listed.contains(&format!("closes {}", closes.replace('T', " "))),
        "{listed}"
    );
    assert_accessible(&browser, "exams page with an assignment").await;
    let start = browser
        .find(&format!(
            "{card} form[action='/assignments/{assignment}/start'] button[type=submit]"
        ))
        .await;
    browser.click_and_wait(&start).await;
    let first = browser.current_path().await;
    assert!(
        first.starts_with("/attempts/") && first.ends_with("/items/1"),
        "Start opens the first item, not {first}"
    );
    let attempt_path = first.trim_end_matches("/items/1").to_owned();
    assert_accessible(&browser, "assignment item 1").await;
    let mut pages = 0;
    loop {
        let (page, _) = browser
            .find_any(&["section.item[data-type]", "[data-testid=review-summary]"])
            .await;
        if page == 1 {
            break;
        }
        pages += 1;
        assert!(pages <= 60, "the attempt does not come to an end");
        let kind = item_kind(&browser).await;
        if kind != "yes_no_series"
            || browser
                .try_find("input[type=radio][name^='s:'][value=yes]")
                .await
                .is_some()
        {
            answer_the_item(&browser, &kind).await;
        }
        let next = browser.find("button[name=go][value=next]").await;
        browser.click_and_wait(&next).await;
    }
    assert_eq!(
        browser.current_path().await,
        format!("{attempt_path}/review")
    );
    assert_eq!(
        browser
            .text(&browser.find("[data-testid=review-summary]").await)
            .await,
        "15 answered · 0 unanswered · 0 marked for review"
    );
    let end = browser.find(&format!("a[href='{attempt_path}/end']")).await;
    browser.click_and_wait(&end).await;
    let end_now = browser
        .find(&format!(
            "form[action='{attempt_path}/submit'] button[type=submit]"
        ))
        .await;
    browser.click_and_wait(&end_now).await;
    assert_eq!(
        browser.current_path().await,
        format!("{attempt_path}/result")
    );
    let score: u32 = browser
        .text(&browser.find("[data-testid=scaled-score]").await)
        .await
        .parse()
        .expect("a scaled score");
    assert!((1..=1000).contains(&score));
    assert_accessible(&browser, "result page of an assignment").await;
    browser.goto(&app.url("/exams")).await;
    let listed = browser.text(&browser.find(&card).await).await;
    assert!(listed.contains("1 of 2 attempt(s) left"), "{listed}");
    sign_out_through_the_header(&browser).await;

    // Candidate 2 joins through the link too, and takes the form through the JSON API, every answer right.
    sign_up_and_join_through_the_link(&browser, &join_url, &code, "vic@example.com", "Vic", false)
        .await;
    assert!(browser.try_find(&card).await.is_some());
    let vic = app.api_token("vic@example.com").await;
    let started = app
        .api(&vic)
        .post(&format!("/api/v1/assignments/{assignment}/attempts"))
        .await;
    assert_eq!(started.status(), 201);
    let vic_attempt: uuid::Uuid = started.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .expect("the attempt's id")
        .parse()
        .unwrap();
    answer_every_slot_with_its_key_and_submit(&app, &vic, vic_attempt).await;
    sign_out_through_the_header(&browser).await;

    // Candidate 3 signs up without the link: nothing is set for them, and the assignment does not start.
    sign_up_through_the_form(&browser, &app, "wes@example.com", "Wes").await;
    browser.goto(&app.url("/exams")).await;
    assert!(browser
        .try_find("[data-testid=form-ai103-quick-15]")
        .await
        .is_some());
    assert!(
        browser
            .try_find("[data-testid=assignments]")
            .await
            .is_none(),
        "a non-member sees no assignment"
    );
    let wes = app.api_token("wes@example.com").await;
    assert_eq!(
        app.api(&wes)
            .post(&format!("/api/v1/assignments/{assignment}/attempts"))
            .await
            .status(),
        404
    );
    sign_out_through_the_header(&browser).await;

    // 3. The instructor reads the gradebook, opens a member's review and downloads the CSV.
    sign_in_through_the_form(&browser, &app, "ivy@example.com", PASSWORD).await;
    browser
        .goto(&app.url(&format!("{class_path}/gradebook")))
        .await;
    let rows = browser.find_all("[data-testid=gradebook] tbody tr").await;
    assert_eq!(rows.len(), 2, "one row per member");
    let mut by_member = BTreeMap::new();
    for r in &rows {
        let text = browser.text(r).await;
        let who = if text.contains("una@example.com") {
            "una"
        } else if text.contains("vic@example.com") {
            "vic"
        } else {
            panic!("a row of somebody else: {text}")
        };
        by_member.insert(who, text);
    }
    assert!(
        by_member["una"].contains(&format!("{score} / {score}"))
            && by_member["una"].contains("1 attempt(s)"),
        "Una's cell: best and last {score}, 1 attempt: {}",
        by_member["una"]
    );
    assert!(
        by_member["vic"].contains("1000 / 1000 · pass")
            && by_member["vic"].contains("1 attempt(s)"),
        "Vic's cell: {}",
        by_member["vic"]
    );
    assert_accessible(&browser, "gradebook").await;
    browser.screenshot(&screenshot_path("gradebook.png")).await;

    let una_id = user_id(&app, "una@example.com").await;
    let una = browser
        .find(&format!(
            "[data-testid=gradebook] tbody th a[href='{class_path}/members/{una_id}']"
        ))
        .await;
    assert_eq!(browser.text(&una).await, "Una");
    browser.click_and_wait(&una).await;
    assert_eq!(
        browser.current_path().await,
        format!("{class_path}/members/{una_id}")
    );
    assert_eq!(
        browser.text(&browser.find("h1").await).await,
        "Una in Spring cohort"
    );
    assert_eq!(
        browser
            .find_all("[data-testid=member-attempts] tbody tr")
            .await
            .len(),
        1
    );
    assert_accessible(&browser, "member page").await;
    let review = browser
        .find("[data-testid=member-attempts] a[href*='/attempts/']")
        .await;
    assert_eq!(browser.text(&review).await, "Open the review");
    browser.click_and_wait(&review).await;
    assert_eq!(
        browser.current_path().await,
        format!("{class_path}/attempts/{}", attempt_id(&attempt_path))
    );
    let said = browser
        .text(&browser.find("[data-testid=review-score]").await)
        .await;
    assert!(
        said.starts_with(&format!("Scaled score {score}: ")),
        "{said}"
    );
    let reviewed = browser.find("[data-testid=staff-review]").await;
    assert_eq!(
        browser
            .find_all("[data-testid=staff-review] article.reviewed")
            .await
            .len(),
        15,
        "every item, with the member's answer beside the key"
    );
    assert!(browser.is_displayed(&reviewed).await);
    assert_accessible(&browser, "staff review of a member's attempt").await;

    browser
        .goto(&app.url(&format!("{class_path}/gradebook")))
        .await;
    let link = browser.find("[data-testid=gradebook-csv]").await;
    let href = browser.attribute(&link, "href").await.expect("an href");
    let csv = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.text()).then(done);",
            vec![href.into()],
        )
        .await;
    let csv = csv.as_str().expect("the file's text");
    let lines: Vec<&str> = csv.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "a header and one line per member: {csv}");
    assert_eq!(
        lines[0],
        "name,email,AI-103 Quick 15: best,AI-103 Quick 15: last,AI-103 Quick 15: passed,\
         AI-103 Quick 15: attempts,AI-103 Quick 15: minutes"
    );
    assert!(
        lines[1..]
            .iter()
            .any(|l| l.starts_with("Vic,vic@example.com,1000,1000,yes,1,")),
        "{csv}"
    );
    assert!(
        lines[1..]
            .iter()
            .any(|l| l.starts_with(&format!("Una,una@example.com,{score},{score},"))),
        "{csv}"
    );
    sign_out_through_the_header(&browser).await;

    // 4. An admin reads the class's pass rate.
    sign_in_through_the_form(&browser, &app, "root@example.com", PASSWORD).await;
    browser.goto(&app.url("/admin/analytics?exam=AI-103")).await;
    let passed = app
        .count(&format!(
            "SELECT count(*) FROM attempts WHERE assignment_id = '{assignment}' AND passed"
        ))
        .await;
    let classes = browser
        .find_all("[data-testid=pass-rates] tr[data-by=class]")
        .await;
    assert_eq!(classes.len(), 1, "one class, one month");
    let row = browser.text(&classes[0]).await;
    assert!(
        row.starts_with("class Spring cohort ")
            && row.ends_with(&format!(" 2 {}.0 %", passed * 50)),
        "the class's 2 attempts, {passed} passed: {row}"
    );
    assert_accessible(&browser, "admin analytics with a class's pass rate").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_candidate_downloads_their_data_and_deletes_their_account() {
    let Some(browser) =
        Browser::launch_or_skip("a_candidate_downloads_their_data_and_deletes_their_account").await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    let pack = app.import_test_pack().await;
    TestForm::new("test-form").create(&app, &[pack]).await;
    sign_up_through_the_form(&browser, &app, "dora@example.com", "Dora").await;
    // One mock, ended at once.
    let attempt_path = start_form(&browser, &app, "test-form").await;
    browser.goto(&app.url(&format!("{attempt_path}/end"))).await;
    let end_now = browser
        .find(&format!(
            "form[action='{attempt_path}/submit'] button[type=submit]"
        ))
        .await;
    browser.click_and_wait(&end_now).await;

    // The account page offers the download and the deletion.
    browser.goto(&app.url("/account")).await;
    assert_accessible(&browser, "account page with the person's data").await;
    let link = browser.find("[data-testid=download-data]").await;
    let href = browser.attribute(&link, "href").await.expect("the link");
    let data = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.json()).then(done);",
            vec![href.into()],
        )
        .await;
    assert_eq!(data["profile"]["email"], "dora@example.com");
    assert_eq!(data["attempts"].as_array().map(Vec::len), Some(1));

    // The wrong password deletes nothing and says so.
    browser.fill("#delete-password", "not my password").await;
    let delete = browser
        .find("form[data-testid=delete-account] button[type=submit]")
        .await;
    browser.click_and_wait(&delete).await;
    assert_eq!(
        browser
            .text(&browser.find("[data-testid=delete-error]").await)
            .await,
        "Your password is wrong: the account was not deleted."
    );
    assert_accessible(&browser, "account page, deletion refused").await;

    browser.fill("#delete-password", PASSWORD).await;
    let delete = browser
        .find("form[data-testid=delete-account] button[type=submit]")
        .await;
    browser.click_and_wait(&delete).await;
    assert_eq!(browser.current_path().await, "/?account=deleted");
    assert!(browser
        .text(&browser.find("[data-testid=account-deleted]").await)
        .await
        .starts_with("Your account is deleted."));
    assert_eq!(account_name(&browser).await, None, "signed out");
    assert_accessible(&browser, "home page after deleting the account").await;
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE email = 'dora@example.com'")
            .await,
        0
    );
    assert_eq!(
        app.count("SELECT count(*) FROM attempts").await,
        1,
        "the attempt is kept"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_candidate_resets_their_password_from_the_mail() {
    let Some(browser) =
        Browser::launch_or_skip("a_candidate_resets_their_password_from_the_mail").await
    else {
        return;
    };
    let sink = crate::mail_sink::SmtpSink::start(&[]);
    let app = TestApp::spawn_with_mail(&sink, |_| {}).await;
    new_user(&app, "lea@example.com", ai102::auth::Role::Candidate).await;

    browser.goto(&app.url("/signin")).await;
    let forgot = browser.find("a[href='/account/reset']").await;
    browser.click_and_wait(&forgot).await;
    assert_eq!(browser.current_path().await, "/account/reset");
    assert_accessible(&browser, "password reset request").await;
    browser.fill("#email", "lea@example.com").await;
    let send = browser
        .find("form[action='/account/reset'] button[type=submit]")
        .await;
    browser.click_and_wait(&send).await;
    assert!(browser
        .text(&browser.find("h1").await)
        .await
        .contains("Check your inbox"));
    assert_accessible(&browser, "reset mail sent").await;

    // The mail's link, followed in the browser.
    let mail = sink.latest("lea@example.com", "Reset your password").await;
    browser.goto(&mail.link(&app.address)).await;
    assert_accessible(&browser, "choose a new password").await;
    browser
        .screenshot(&screenshot_path("password-reset.png"))
        .await;
    browser.fill("#password", "a new passphrase for lea").await;
    browser
        .fill("#password_confirm", "a different one entirely")
        .await;
    let save = browser.find("form button[type=submit].primary").await;
    browser.click_and_wait(&save).await;
    assert_eq!(
        browser.text(&browser.find(".field-error").await).await,
        "The two passwords differ."
    );
    assert_accessible(&browser, "new password refused").await;
    browser.fill("#password", "a new passphrase for lea").await;
    browser
        .fill("#password_confirm", "a new passphrase for lea")
        .await;
    let save = browser.find("form button[type=submit].primary").await;
    browser.click_and_wait(&save).await;
    assert_eq!(
        account_name(&browser).await.as_deref(),
        Some("Test user"),
        "the reset signs in"
    );
    assert!(browser
        .text(&browser.find("[data-testid=password-reset]").await)
        .await
        .starts_with("Your new password is saved"));
    assert_accessible(&browser, "home page after the reset").await;

    // The link works once.
    browser.goto(&mail.link(&app.address)).await;
    assert!(browser
        .text(&browser.find("h1").await)
        .await
        .contains("This link no longer works"));
    assert_accessible(&browser, "used reset link").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_user_signs_in_with_single_sign_on_and_lands_with_the_mapped_role() {
    let Some(browser) = Browser::launch_or_skip(
        "a_new_user_signs_in_with_single_sign_on_and_lands_with_the_mapped_role",
    )
    .await
    else {
        return;
    };
    let (app, _idp) = crate::sso::with_sso(serde_json::json!({})).await;
    browser.goto(&app.url("/signin?next=%2Fprogress")).await;
    assert_accessible(&browser, "sign-in page with a single sign-on provider").await;
    browser
        .screenshot(&screenshot_path("sign-in-sso.png"))
        .await;
    let button = browser.find("a[href^='/auth/sso/corp']").await;
    assert_eq!(browser.text(&button).await, "Sign in with Corp ID");
    browser.click_and_wait(&button).await;
    // The provider's own login form (no JavaScript needed on either side).
    browser.fill("input[name=login]", "alice").await;
    let submit = browser
        .find("form button[type=submit], form input[type=submit]")
        .await;
    browser.click_and_wait(&submit).await;
    assert_eq!(browser.current_path().await, "/progress");
    assert_eq!(account_name(&browser).await.as_deref(), Some("Alice Corp"));
    assert!(
        browser
            .try_find("nav a[href='/instructor']")
            .await
            .is_some()
            || browser.try_find("a[href='/instructor']").await.is_some(),
        "the mapped role (instructor) shows in the header"
    );
    assert_accessible(&browser, "progress page after single sign-on").await;
    assert_eq!(
        app.count(
            "SELECT count(*) FROM users WHERE email = 'alice@corp.test' AND role = 'instructor'"
        )
        .await,
        1
    );
}
