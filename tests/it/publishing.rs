//! Publishing instructors' packs under the site's policy (explanations and references required, or only
//! recommended with a warning, the default), and exports for Moodle through the JSON API.

use crate::common::*;
use ai102::auth::Role;
use serde_json::{json, Value};
use uuid::Uuid;

/// Three GIFT questions as a Moodle export often has them: no feedback, so no explanation and no reference.
const NO_FEEDBACK: &str = "::Q1:: Which service grounds an agent in your own documents? {=Azure AI Search ~A spreadsheet ~A printer}\n\n\
::Q2:: Which identity avoids keys in code? {=A managed identity ~A shared key ~A password in the source}\n\n\
::Q3:: What does a content filter act on? {=Harmful content ~Latency ~Billing}\n";

async fn upload(app: &TestApp, token: &str, name: &str, gift: &str) -> Uuid {
    let r = client()
        .post(app.url(&format!(
            "/api/v1/packs?format=gift&name={name}&exam=AI-102"
        )))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(gift.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let body: Value = r.json().await.unwrap();
    body["pack"]["id"].as_str().unwrap().parse().unwrap()
}

async fn place_all(app: &TestApp, pack: Uuid) {
    let r = app
        .post_form(
            &format!("/instructor/packs/{pack}"),
            &format!("/instructor/packs/{pack}/assign"),
            &[("category", "*unplaced*"), ("objective", "plan.secure")],
        )
        .await;
    assert_eq!(r.status(), 303);
}

async fn publish(app: &TestApp, token: &str, pack: Uuid) -> reqwest::Response {
    app.api(token)
        .put(
            &format!("/api/v1/packs/{pack}/status"),
            &json!({"status": "published"}),
        )
        .await
}

#[tokio::test]
async fn a_bank_without_feedback_publishes_with_a_warning_unless_an_admin_requires_explanations() {
    let app = TestApp::spawn().await;
    app.create_user("ines@example.com", Role::Instructor).await;
    let token = app.api_token("ines@example.com").await;
    assert_eq!(
        app.sign_in("ines@example.com", PASSWORD).await.status(),
        303
    );
    let pack = upload(&app, &token, "no-feedback.gift", NO_FEEDBACK).await;

    // Unplaced items are unusable (no domain or objective): they block publishing even where explanations
    // are only recommended.
    let refused = publish(&app, &token, pack).await;
    assert_eq!(refused.status(), 422);
    let body: Value = refused.json().await.unwrap();
    let problems = body.to_string();
    assert!(problems.contains("domain"), "{problems}");
    assert!(!problems.contains("explanation"), "{problems}");

    // Placed: published, with the warning; the pack and the API list the items that need an explanation.
    place_all(&app, pack).await;
    let detail: Value = app
        .api(&token)
        .get_json(&format!("/api/v1/packs/{pack}"))
        .await;
    assert_eq!(detail["ready"], true, "{detail}");
    assert_eq!(detail["without_explanation"].as_array().unwrap().len(), 3);
    let published = publish(&app, &token, pack).await;
    assert_eq!(published.status(), 200);
    let info: Value = published.json().await.unwrap();
    assert_eq!(info["status"], "published");
    assert_eq!(
        info["warning"],
        "3 items have no explanation or reference: candidates will see only the key."
    );
    let page = app
        .get(&format!("/instructor/packs/{pack}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!texts(&page, "[data-testid=needs-explanation]").is_empty());
    assert_eq!(
        page.matches("data-testid=\"needs-explanation-").count(),
        3,
        "each item says it needs an explanation"
    );

    // The admin requires explanations: the same pack can no longer be published, and says why.
    app.create_user("ada@example.com", Role::Admin).await;
    let admin = app.other_browser();
    assert_eq!(
        admin.sign_in("ada@example.com", PASSWORD).await.status(),
        303
    );
    let r = admin
        .post_form(
            "/admin",
            "/admin/settings/publishing",
            &[("explanations", "required")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let audited: i64 = app
        .count("SELECT count(*) FROM audit_log WHERE action = 'settings.publishing'")
        .await;
    assert_eq!(audited, 1);
    let r = app
        .api(&token)
        .put(
            &format!("/api/v1/packs/{pack}/status"),
            &json!({"status": "draft"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let refused = publish(&app, &token, pack).await;
    assert_eq!(refused.status(), 422);
    let problems = refused.text().await.unwrap();
    assert!(problems.contains("explanation"), "{problems}");
    let detail: Value = app
        .api(&token)
        .get_json(&format!("/api/v1/packs/{pack}"))
        .await;
    assert_eq!(detail["ready"], false);
    // The shipped bank always needs explanations, whatever the setting: the check of a site pack is the strict
    // one (`bank check`), tested with the shipped banks in tests/it/shipped_bank.rs.
}

#[tokio::test]
async fn the_api_exports_a_pack_for_moodle_with_a_note_for_each_item_it_cannot_hold() {
    let app = TestApp::spawn().await;
    let ines = new_user(&app, "ines@example.com", Role::Instructor).await;
    let token = app.api_token("ines@example.com").await;
    let pack = app
        .import_pack(
            &test_pack_as("ines-pack", "Ines's pack"),
            Some(ines.id),
            ai102::store::bank::PackStatus::Draft,
        )
        .await;
    let gift: Value = app
        .api(&token)
        .get_json(&format!("/api/v1/packs/{pack}/export?format=gift"))
        .await;
    let content = gift["content"].as_str().unwrap();
    assert!(content.contains("[id:t-single]"), "{content}");
    let notes: Vec<String> = gift["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_owned())
        .collect();
    for left_out in ["t-yesno", "t-hot", "cs-test"] {
        assert!(
            notes.iter().any(|n| n.contains(left_out)),
            "{left_out} is noted: {notes:?}"
        );
    }
    assert!(
        !content.contains("t-yesno"),
        "a yes/no series is left out, not forced into another type"
    );
    // The GIFT file comes back through the importer with the same single-answer question.
    let back = client()
        .post(app.url("/api/v1/packs?format=gift&name=back.gift&exam=AI-102"))
        .bearer_auth(&token)
        .header("content-type", "application/octet-stream")
        .body(content.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 201);
    let stem: String = sqlx::query_scalar(
        "SELECT r.content->>'stem' FROM items i JOIN item_revisions r ON r.item_id = i.id
         JOIN packs p ON p.id = i.pack_id WHERE p.pack_key = 'back' AND i.item_key = 't-single'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(stem.contains("Which option is right?"), "{stem}");
    let xml: Value = app
        .api(&token)
        .get_json(&format!("/api/v1/packs/{pack}/export?format=moodle-xml"))
        .await;
    assert!(xml["content"].as_str().unwrap().contains("<quiz>"));
    assert_eq!(xml["file_name"], "ines-pack.xml");
    let unknown = app
        .api(&token)
        .get(&format!("/api/v1/packs/{pack}/export?format=docx"))
        .await;
    assert_eq!(unknown.status(), 400);
    // Another instructor's pack is not found.
    app.create_user("other@example.com", Role::Instructor).await;
    let other = app.api_token("other@example.com").await;
    assert_eq!(
        app.api(&other)
            .get(&format!("/api/v1/packs/{pack}/export"))
            .await
            .status(),
        404
    );
}
