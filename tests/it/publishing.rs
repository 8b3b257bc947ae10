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
    // Once candidates have answered them, the item analysis flags them too.
    TestForm::new("no-feedback-form")
        .items(3)
        .case_studies(0)
        .create(&app, &[pack])
        .await;
    let cand = app.other_browser();
    assert_eq!(cand.sign_up("cand@example.com", "Cand").await.status(), 303);
    let started = cand
        .post_form("/exams", "/exams/no-feedback-form/start", &[])
        .await;
    assert_eq!(
        cand.submit_attempt(attempt_in(&started)).await.status(),
        303
    );
    let analysis = app
        .get("/instructor/analytics?exam=AI-102")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        analysis
            .matches("needs an explanation: candidates see only the key")
            .count(),
        3,
        "the item analysis lists them"
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

const V1: &str = "// [id:first]\n::Q1:: Which service grounds an agent in your own documents? {=Azure AI Search ~A spreadsheet}\n\n\
::Q2:: Which identity avoids keys in code? {=A managed identity ~A shared key}\n\n\
::Q3:: What does a content filter act on? {=Harmful content ~Latency}\n";

/// Q1 (id `first`) edited, Q2 now a multiple-answer question, Q3 gone, Q4 new.
const V2: &str = "// [id:first]\n::Q1:: Which service grounds an agent in your own indexed documents? {=Azure AI Search ~A spreadsheet}\n\n\
::Q2:: Which two avoid keys in code? {~%50%A managed identity ~%50%Microsoft Entra ID tokens ~%-100%A shared key}\n\n\
::Q4:: Which tool traces an agent's runs? {=Tracing in Foundry ~A screenshot}\n";

async fn upload_file(app: &TestApp, token: &str, name: &str, gift: &str) -> reqwest::Response {
    client()
        .post(app.url(&format!(
            "/api/v1/packs?format=gift&name={name}&exam=AI-102"
        )))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(gift.to_owned())
        .send()
        .await
        .unwrap()
}

async fn current(app: &TestApp, key: &str) -> (Uuid, String, bool) {
    sqlx::query_as(
        "SELECT r.id, r.content->>'stem', i.retired FROM items i JOIN packs p ON p.id = i.pack_id
         JOIN item_revisions r ON r.item_id = i.id AND r.revision = i.current_revision
         WHERE p.pack_key = 'bank' AND i.item_key = $1",
    )
    .bind(key)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn re_importing_an_edited_file_updates_its_items_as_new_revisions_and_lists_what_it_no_longer_holds(
) {
    let app = TestApp::spawn().await;
    app.create_user("ines@example.com", Role::Instructor).await;
    let token = app.api_token("ines@example.com").await;
    assert_eq!(
        app.sign_in("ines@example.com", PASSWORD).await.status(),
        303
    );
    let r = upload_file(&app, &token, "bank.gift", V1).await;
    assert_eq!(r.status(), 201);
    let first: Value = r.json().await.unwrap();
    assert_eq!(first["added"], 3);
    let pack: Uuid = first["pack"]["id"].as_str().unwrap().parse().unwrap();
    place_all(&app, pack).await;
    assert_eq!(publish(&app, &token, pack).await.status(), 200);
    // A candidate's attempt in progress uses the first revisions.
    TestForm::new("bank-form")
        .items(3)
        .case_studies(0)
        .create(&app, &[pack])
        .await;
    let cand = app.other_browser();
    assert_eq!(cand.sign_up("cand@example.com", "Cand").await.status(), 303);
    let started = cand
        .post_form("/exams", "/exams/bank-form/start", &[])
        .await;
    assert_eq!(started.status(), 303);
    let used: Vec<Uuid> =
        sqlx::query_scalar("SELECT revision_id FROM attempt_items ORDER BY revision_id")
            .fetch_all(&app.db)
            .await
            .unwrap();
    let (first_rev, _, _) = current(&app, "first").await;

    // The edited file: matched by [id:] (Q1) and by title (Q2), Q2's type changed, Q3 gone, Q4 new.
    let r = upload_file(&app, &token, "bank.gift", V2).await;
    assert_eq!(r.status(), 201);
    let second: Value = r.json().await.unwrap();
    assert_eq!(second["added"], 2, "{second}");
    assert_eq!(second["changed"], 1, "{second}");
    let mut missing: Vec<&str> = second["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    missing.sort();
    assert_eq!(missing, ["q2", "q3"], "{second}");
    assert!(
        second["notes"]
            .to_string()
            .contains("its type changed (single → multiple)"),
        "{second}"
    );
    let (new_rev, stem, _) = current(&app, "first").await;
    assert_ne!(new_rev, first_rev, "the edit is a new revision");
    assert!(stem.contains("indexed documents"), "{stem}");
    let (_, _, q3_retired) = current(&app, "q3").await;
    assert!(
        !q3_retired,
        "an item no longer in the file is kept, not retired"
    );
    let (_, q2_stem, _) = current(&app, "q2").await;
    assert!(
        q2_stem.contains("avoids keys"),
        "the old single-answer Q2 is unchanged"
    );
    let (_, new_q2, _) = current(&app, "q2-multiple").await;
    assert!(new_q2.contains("Which two"), "{new_q2}");
    // The attempt in progress keeps its revisions.
    let still: Vec<Uuid> =
        sqlx::query_scalar("SELECT revision_id FROM attempt_items ORDER BY revision_id")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(still, used);
    // The pack page says it too.
    let page = app
        .get(&format!(
            "/instructor/packs/{pack}?added=2&changed=1&unchanged=0&retired=0&missing=2&notes=1"
        ))
        .await
        .text()
        .await
        .unwrap();
    let message = texts(&page, "[data-testid=pack-message]").join(" ");
    assert!(
        message.contains("2 item(s) are no longer in the file"),
        "{message}"
    );
    let versions = texts(&page, "[data-testid=versions] td").join(" ");
    assert!(
        versions.contains("no longer in the file, kept as they were: q2, q3")
            || versions.contains("no longer in the file, kept as they were: q3, q2"),
        "{versions}"
    );

    // The same file again changes nothing.
    let again: Value = upload_file(&app, &token, "bank.gift", V2)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (again["added"].as_u64(), again["changed"].as_u64()),
        (Some(0), Some(0)),
        "{again}"
    );

    // Repairs: an item stored as an earlier import stored it (a plain `\#` read as a heading) is repaired by
    // re-importing the same file, as a new revision.
    let old = "// [id:hash]\n::Hash:: Which line starts a heading in Markdown? {=The one starting with \\# ~None}\n";
    assert_eq!(
        upload_file(&app, &token, "bank.gift", old).await.status(),
        201
    );
    let (rev, _, _) = current(&app, "hash").await;
    let stored: Value = sqlx::query_scalar("SELECT content FROM item_revisions WHERE id = $1")
        .bind(rev)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let mut broken = stored.clone();
    let options = broken["options"].as_array_mut().unwrap();
    options[0]["text"] = Value::String("The one starting with #".into());
    sqlx::query(
        "WITH i AS (SELECT r.item_id FROM item_revisions r WHERE r.id = $1)
         INSERT INTO item_revisions (id, item_id, revision, content, content_hash, domains, objectives)
         SELECT gen_random_uuid(), i.item_id, 99, $2, 'broken', r.domains, r.objectives
         FROM i, item_revisions r WHERE r.id = $1",
    )
    .bind(rev)
    .bind(&broken)
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query("UPDATE items SET current_revision = 99 WHERE item_key = 'hash'")
        .execute(&app.db)
        .await
        .unwrap();
    let repaired: Value = upload_file(&app, &token, "bank.gift", old)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(repaired["changed"], 1, "{repaired}");
    let (fixed, _, _) = current(&app, "hash").await;
    let text: String = sqlx::query_scalar(
        "SELECT content->'options'->0->>'text' FROM item_revisions WHERE id = $1",
    )
    .bind(fixed)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(text, stored["options"][0]["text"].as_str().unwrap());

    // Two questions with the same title in one file: the second gets another id, and a note says a re-import
    // could not match it by its title.
    let twice = "::Same:: One? {=a ~b}\n\n::Same:: Two? {=c ~d}\n";
    let r = upload_file(&app, &token, "twice.gift", twice).await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["notes"]
            .to_string()
            .contains("same title as an earlier question"),
        "{body}"
    );
    // Updating that pack with the same file is refused: which "Same" is which cannot be told by title.
    let r = upload_file(&app, &token, "twice.gift", twice).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("cannot tell them apart"), "{body}");
    assert!(
        body.contains("twice.gift:3:"),
        "located at the second question: {body}"
    );
}

#[tokio::test]
async fn our_yaml_export_keeps_each_items_category_and_an_import_of_it_restores_them() {
    let app = TestApp::spawn().await;
    app.create_user("ines@example.com", Role::Instructor).await;
    let token = app.api_token("ines@example.com").await;
    assert_eq!(
        app.sign_in("ines@example.com", PASSWORD).await.status(),
        303
    );
    let gift = "$CATEGORY: $course$/top/Azure AI/Vision\n\n::Read:: Which service reads text in images? {=Azure AI Vision ~A spreadsheet \
####It reads printed and handwritten text: https://learn.microsoft.com/azure/ai-services/computer-vision/overview}\n\n\
$CATEGORY: $course$/top/Azure AI/Language\n\n::Tone:: Which service finds a text's sentiment? {=Azure AI Language ~A printer \
####Sentiment analysis is a Language feature: https://learn.microsoft.com/azure/ai-services/language-service/overview}\n";
    let pack = upload(&app, &token, "cats.gift", gift).await;
    // Placed in the blueprint, so that the YAML is a complete pack of our format.
    place_all(&app, pack).await;
    let categories = |key: &'static str| {
        let app = &app;
        async move {
            let rows: Vec<(String, Option<String>)> = sqlx::query_as(
                "SELECT i.item_key, i.category FROM items i JOIN packs p ON p.id = i.pack_id
                 WHERE p.pack_key = $1 ORDER BY i.item_key",
            )
            .bind(key)
            .fetch_all(&app.db)
            .await
            .unwrap();
            rows
        }
    };
    let before = categories("cats").await;
    assert_eq!(before.len(), 2);
    assert!(before.iter().all(|(_, c)| c.is_some()), "{before:?}");
    let yaml: Value = app
        .api(&token)
        .get_json(&format!("/api/v1/packs/{pack}/export?format=yaml"))
        .await;
    let content = yaml["content"].as_str().unwrap();
    assert!(content.contains("category:"), "{content}");
    // Imported again as another pack, the items keep their categories; the revisions do not hold them.
    let copy = content.replacen("id: cats", "id: cats-copy", 1);
    let r = client()
        .post(app.url("/api/v1/packs?format=yaml&name=cats-copy.yaml&exam=AI-102"))
        .bearer_auth(&token)
        .header("content-type", "application/octet-stream")
        .body(copy)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    assert_eq!(categories("cats-copy").await, before);
    let in_revisions: i64 = app
        .count("SELECT count(*) FROM item_revisions WHERE content ? 'category'")
        .await;
    assert_eq!(in_revisions, 0);
}
