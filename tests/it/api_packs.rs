//! Packs over the JSON API: upload (clean, refused with located problems, valid items as a draft), list,
//! read, publish; who may do what.

use crate::common::*;
use ai102::auth::Role;
use serde_json::Value;

const PACK: &str = include_str!("../fixtures/exam_pack.yaml");
const GIFT: &[u8] = include_bytes!("../import/gift/publishable.gift");

/// The test pack with one item whose key names no option: a file with exactly one problem.
fn pack_with_a_problem() -> String {
    PACK.replace("id: test-exam-pack", "id: mixed-pack")
        .replacen(
            "    answer: a\n    explanation: A is right",
            "    answer: z\n    explanation: A is right",
            1,
        )
}

/// A user with a role and an API token.
async fn token_for(app: &TestApp, email: &str, role: Role) -> String {
    app.create_user(email, role).await;
    app.api_token(email).await
}

struct Api<'a> {
    app: &'a TestApp,
    token: String,
    client: reqwest::Client,
}

impl Api<'_> {
    async fn upload(&self, query: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.client
            .post(self.app.url(&format!("/api/v1/packs?exam=AI-102&{query}")))
            .bearer_auth(&self.token)
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.app.api(&self.token).get(path).await
    }

    async fn set_status(&self, id: &str, status: &str) -> reqwest::Response {
        self.app
            .api(&self.token)
            .put(
                &format!("/api/v1/packs/{id}/status"),
                &serde_json::json!({ "status": status }),
            )
            .await
    }
}

async fn api<'a>(app: &'a TestApp, email: &str, role: Role) -> Api<'a> {
    Api {
        app,
        token: token_for(app, email, role).await,
        client: reqwest::Client::new(),
    }
}

fn content_type(r: &reqwest::Response) -> String {
    r.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn an_instructor_uploads_a_clean_pack_and_reads_it_back() {
    let app = TestApp::spawn().await;
    let ines = api(&app, "ines@example.com", Role::Instructor).await;

    let r = ines.upload("name=exam_pack.yaml", PACK).await;

    assert_eq!(r.status(), 201);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = r.json().await.unwrap();
    let id = body["pack"]["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/packs/{id}"));
    assert_eq!(body["pack"]["key"], "test-exam-pack");
    // Six questions and a case study of two.
    assert_eq!(body["added"], 7);
    assert_eq!(body["pack"]["questions"], 8);
    assert_eq!(body["left_out"], serde_json::json!([]));

    let listed: Value = ines.get("/api/v1/packs").await.json().await.unwrap();
    let keys: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["test-exam-pack"]);

    let r = ines.get(&location).await;
    assert_eq!(r.status(), 200);
    let detail: Value = r.json().await.unwrap();
    assert_eq!(detail["pack"]["title"], "Exam engine test pack");
    assert_eq!(detail["ready"], true);
    assert_eq!(detail["problems"], serde_json::json!([]));
}

#[tokio::test]
async fn a_file_with_a_problem_imports_nothing_and_says_where_the_problem_is() {
    let app = TestApp::spawn().await;
    let ines = api(&app, "ines@example.com", Role::Instructor).await;

    let r = ines.upload("name=mixed.yaml", pack_with_a_problem()).await;

    assert_eq!(r.status(), 422);
    assert_eq!(content_type(&r), "application/problem+json");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], 422);
    let problems = body["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{body}");
    assert_eq!(problems[0]["file"], "mixed.yaml");
    assert_eq!(problems[0]["item"], "t-single");
    assert!(problems[0]["line"].as_u64().unwrap() > 1);
    assert!(problems[0]["column"].as_u64().unwrap() >= 1);
    assert!(problems[0]["message"].as_str().unwrap().contains('z'));
    assert_eq!(body["valid_items"], 6);
    assert_eq!(app.count("SELECT count(*) FROM packs").await, 0);
}

#[tokio::test]
async fn draft_valid_imports_the_valid_items_as_a_draft_and_lists_the_ones_left_out() {
    let app = TestApp::spawn().await;
    let ines = api(&app, "ines@example.com", Role::Instructor).await;

    let r = ines
        .upload("name=mixed.yaml&draft_valid=true", pack_with_a_problem())
        .await;

    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["pack"]["status"], "draft");
    assert_eq!(body["added"], 6);
    assert_eq!(body["left_out"][0]["item"], "t-single");
}

#[tokio::test]
async fn publishing_is_refused_with_the_problems_until_the_items_are_placed() {
    let app = TestApp::spawn().await;
    let ines = api(&app, "ines@example.com", Role::Instructor).await;
    let r = ines.upload("format=gift&name=publishable.gift", GIFT).await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    let id = body["pack"]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["pack"]["status"], "draft");

    let r = ines.set_status(&id, "published").await;

    assert_eq!(r.status(), 422);
    assert_eq!(content_type(&r), "application/problem+json");
    let refused: Value = r.json().await.unwrap();
    assert!(!refused["problems"].as_array().unwrap().is_empty());
    let detail: Value = ines
        .get(&format!("/api/v1/packs/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["pack"]["status"], "draft");
    assert_eq!(detail["ready"], false);

    let r = ines.set_status(&id, "archived").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "archived");
}

#[tokio::test]
async fn a_clean_pack_is_published_and_unpublished() {
    let app = TestApp::spawn().await;
    let ines = api(&app, "ines@example.com", Role::Instructor).await;
    let body: Value = ines
        .upload("name=exam_pack.yaml", PACK)
        .await
        .json()
        .await
        .unwrap();
    let id = body["pack"]["id"].as_str().unwrap().to_owned();

    for status in ["draft", "published", "draft"] {
        let r = ines.set_status(&id, status).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.json::<Value>().await.unwrap()["status"], status);
    }
    let r = ines.set_status(&id, "gone").await;
    assert_eq!(r.status(), 422);
}

#[tokio::test]
async fn candidates_are_forbidden_other_instructors_find_nothing_and_admins_see_all() {
    let app = TestApp::spawn().await;
    let ines = api(&app, "ines@example.com", Role::Instructor).await;
    let otto = api(&app, "otto@example.com", Role::Instructor).await;
    let carla = api(&app, "carla@example.com", Role::Candidate).await;
    let ada = api(&app, "ada@example.com", Role::Admin).await;
    let body: Value = ines
        .upload("name=exam_pack.yaml", PACK)
        .await
        .json()
        .await
        .unwrap();
    let id = body["pack"]["id"].as_str().unwrap().to_owned();
    let pack = format!("/api/v1/packs/{id}");

    assert_eq!(
        carla.upload("name=exam_pack.yaml", PACK).await.status(),
        403
    );
    assert_eq!(carla.get("/api/v1/packs").await.status(), 403);
    assert_eq!(carla.get(&pack).await.status(), 403);
    assert_eq!(otto.get(&pack).await.status(), 404);
    assert_eq!(otto.set_status(&id, "archived").await.status(), 404);
    let otto_sees: Value = otto.get("/api/v1/packs").await.json().await.unwrap();
    assert_eq!(otto_sees, serde_json::json!([]));
    // The same pack id from another instructor's file is refused, not taken over.
    let r = otto.upload("name=exam_pack.yaml", PACK).await;
    assert_eq!(r.status(), 409);
    assert_eq!(content_type(&r), "application/problem+json");
    assert_eq!(ada.get(&pack).await.status(), 200);
    let ada_sees: Value = ada.get("/api/v1/packs").await.json().await.unwrap();
    assert_eq!(ada_sees.as_array().unwrap().len(), 1);
    let anonymous = reqwest::Client::new()
        .get(app.url("/api/v1/packs"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn a_bad_format_an_empty_file_and_a_file_over_the_limit_are_refused_with_problem_documents() {
    let app = TestApp::spawn().await;
    let ines = api(&app, "ines@example.com", Role::Instructor).await;

    let r = ines.upload("format=docx&name=a.docx", PACK).await;
    assert_eq!(r.status(), 400);
    assert_eq!(content_type(&r), "application/problem+json");
    let r = ines.upload("name=a.yaml", "").await;
    assert_eq!(r.status(), 400);
    let too_big = vec![b'#'; ai102::web::UPLOAD_BODY_LIMIT + 1];
    let r = ines.upload("name=big.yaml", too_big).await;
    assert_eq!(r.status(), 413);
    assert_eq!(content_type(&r), "application/problem+json");
    assert_eq!(app.count("SELECT count(*) FROM packs").await, 0);
}

#[tokio::test]
async fn the_openapi_document_lists_the_pack_operations() {
    let app = TestApp::spawn().await;
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let paths = &doc["paths"];
    assert!(paths["/api/v1/packs"]["post"].is_object());
    assert!(paths["/api/v1/packs"]["get"].is_object());
    assert!(paths["/api/v1/packs/{id}"]["get"].is_object());
    assert!(paths["/api/v1/packs/{id}/status"]["put"].is_object());
    // Deleting a draft, with 409 for a used pack; the list's pages and filters.
    assert!(paths["/api/v1/packs/{id}"]["delete"]["responses"]["409"].is_object());
    let params: Vec<&str> = paths["/api/v1/packs"]["get"]["parameters"]
        .as_array()
        .expect("the list's parameters")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for name in ["q", "status", "owner", "exam", "sort", "page"] {
        assert!(params.contains(&name), "{name} in {params:?}");
    }
    assert!(
        paths["/api/v1/packs"]["get"]["responses"]["200"]["headers"]["X-Total-Count"].is_object()
    );
    let refused = &paths["/api/v1/packs"]["post"]["responses"]["422"]["content"];
    assert_eq!(
        refused["application/problem+json"]["schema"]["$ref"],
        "#/components/schemas/PackProblems"
    );
}
