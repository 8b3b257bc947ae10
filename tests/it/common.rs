//! The test harness: the real app on port 0 against a fresh, uniquely named PostgreSQL database, cloned from
//! a template migrated once per test run (`template_database`).
#![allow(dead_code)]

use ai102::config::Config;
use ai102::store::bank::PackStatus;
use ai102::Application;
use reqwest::redirect::Policy;
use scraper::{Html, Selector};
use sqlx::{Connection, PgPool};
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery staple";

/// The server URL from `make test` (scripts/db.sh).
pub fn database_url() -> String {
    std::env::var("DATABASE_URL").expect("DATABASE_URL is not set: run the tests with `make test`")
}

/// The URL of database `name` on DATABASE_URL's server.
fn url_of(name: &str) -> String {
    let base = database_url();
    let (prefix, _) = base
        .rsplit_once('/')
        .expect("DATABASE_URL has no database name");
    format!("{prefix}/{name}")
}

/// Creates an empty database with a unique name and returns its URL.
pub async fn fresh_database() -> String {
    create_database(None).await
}

/// Creates a database with a unique name from the migrated template (see [`template_database`]) and
/// returns its URL: the app's migrate at start finds nothing left to do.
pub async fn fresh_migrated_database() -> String {
    let template = template_database().await;
    create_database(Some(template)).await
}

async fn create_database(template: Option<&str>) -> String {
    let admin = PgPool::connect(&database_url())
        .await
        .expect("cannot connect to DATABASE_URL");
    let name = format!("ai102_test_{}", uuid::Uuid::new_v4().simple());
    let sql = match template {
        Some(template) => format!("CREATE DATABASE {name} TEMPLATE {template}"),
        None => format!("CREATE DATABASE {name}"),
    };
    sqlx::query(&sql)
        .execute(&admin)
        .await
        .expect("cannot create a test database (does the role have CREATEDB?)");
    admin.close().await;
    url_of(&name)
}

/// The name of the template database for the embedded migrations: `ai102_tmpl_` and the first 12 hex digits
/// of a SHA-256 over every migration's version and checksum, so a changed or added migration gets a new
/// template. Not `ai102_test_*`; `make clean-test-dbs` drops `ai102_tmpl_*` too, deliberately.
pub fn template_name() -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for m in ai102::store::MIGRATOR.migrations.iter() {
        hash.update(m.version.to_be_bytes());
        hash.update(&m.checksum[..]);
    }
    format!("ai102_tmpl_{}", &hex::encode(hash.finalize())[..12])
}

/// The migrated template database, made once per test binary (and reused across runs while the migrations
/// are unchanged). Made under a PostgreSQL advisory lock so parallel test binaries do not race: migrated
/// under a `_wip` name and renamed when complete, so a crash half-way never leaves a half-migrated template.
pub async fn template_database() -> &'static str {
    static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let name = template_name();
            // A session-level lock needs one connection, not a pool. The key is arbitrary but fixed.
            let mut conn = sqlx::PgConnection::connect(&database_url())
                .await
                .expect("cannot connect to DATABASE_URL");
            sqlx::query("SELECT pg_advisory_lock(7102102102)")
                .execute(&mut conn)
                .await
                .expect("advisory lock");
            let exists: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                    .bind(&name)
                    .fetch_one(&mut conn)
                    .await
                    .expect("look up the template");
            if !exists {
                let wip = format!("{name}_wip");
                for sql in [
                    format!("DROP DATABASE IF EXISTS {wip} WITH (FORCE)"),
                    format!("CREATE DATABASE {wip}"),
                ] {
                    sqlx::query(&sql).execute(&mut conn).await.expect(
                        "cannot create the template database (does the role have CREATEDB?)",
                    );
                }
                let db = PgPool::connect(&url_of(&wip))
                    .await
                    .expect("connect to the template");
                ai102::store::migrate(&db)
                    .await
                    .expect("the migrations apply to the template");
                // CREATE DATABASE … TEMPLATE refuses a template anyone is connected to.
                db.close().await;
                sqlx::query(&format!("ALTER DATABASE {wip} RENAME TO {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("rename the template");
            }
            sqlx::query("SELECT pg_advisory_unlock(7102102102)")
                .execute(&mut conn)
                .await
                .expect("advisory unlock");
            conn.close().await.ok();
            name
        })
        .await
}

pub struct TestApp {
    pub address: String,
    pub db: PgPool,
    pub database_url: String,
    /// A client with its own cookie jar that does not follow redirects.
    pub client: reqwest::Client,
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .expect("client")
}

impl TestApp {
    /// Starts another instance on this app's database (as behind a load balancer, or after a restart) and returns
    /// its base URL. The same browser keeps its session there: cookies are per host, not per port.
    pub async fn another_instance(&self) -> String {
        let other = Application::build(Config::for_database(&self.database_url))
            .await
            .expect("a second instance");
        let url = format!("http://127.0.0.1:{}", other.port());
        tokio::spawn(other.run_until_stopped());
        url
    }

    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> TestApp {
        let database_url = fresh_migrated_database().await;
        let mut config = Config::for_database(&database_url);
        configure(&mut config);
        let app = Application::build(config).await.expect("the app builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let db = app.state.db.clone();
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address,
            db,
            database_url,
            client: client(),
        }
    }

    /// The app with mail: its SMTP server is `sink`, and PUBLIC_BASE_URL is its own address (on a port chosen
    /// before it starts, so the links it mails lead back to it).
    pub async fn spawn_with_mail(
        sink: &crate::mail_sink::SmtpSink,
        configure: impl FnOnce(&mut Config),
    ) -> TestApp {
        let port = crate::mail_sink::free_port();
        let smtp = sink.url();
        Self::spawn_with(move |c| {
            c.bind = std::net::SocketAddr::from(([127, 0, 0, 1], port));
            c.public_base_url = Some(format!("http://127.0.0.1:{port}"));
            c.smtp_url = Some(smtp);
            c.mail_from = "AI practice exams <exams@sink.test>".into();
            configure(c);
        })
        .await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// GETs a page and returns the CSRF token of its first form.
    pub async fn csrf(&self, path: &str) -> String {
        let html = self.get(path).await.text().await.expect("body");
        csrf_in(&html).unwrap_or_else(|| panic!("no csrf_token field on {path}"))
    }

    /// Posts a form with the page's CSRF token.
    pub async fn post_form(
        &self,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let token = self.csrf(page).await;
        let mut body: Vec<(&str, &str)> = fields.to_vec();
        body.push(("csrf_token", &token));
        self.client
            .post(self.url(action))
            .form(&body)
            .send()
            .await
            .expect("POST")
    }

    pub async fn sign_up(&self, email: &str, name: &str) -> reqwest::Response {
        self.post_form(
            "/signup",
            "/signup",
            &[
                ("email", email),
                ("display_name", name),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_form(
            "/signin",
            "/signin",
            &[("email", email), ("password", password)],
        )
        .await
    }

    pub async fn sign_out(&self) -> reqwest::Response {
        self.post_form("/account", "/signout", &[]).await
    }

    /// Creates a user with a role directly (as `ai102 user create` does).
    pub async fn create_user(&self, email: &str, role: ai102::auth::Role) {
        let hash = ai102::auth::password::hash(PASSWORD.into()).await.unwrap();
        let email = ai102::auth::Email::parse(email).unwrap();
        ai102::store::users::create(&self.db, &email, "Test user", &hash, role)
            .await
            .unwrap()
            .expect("new user");
    }

    /// A personal API token for `email`, as the account page makes one: the token and its id.
    pub async fn api_token_with_id(&self, email: &str) -> (String, uuid::Uuid) {
        let user: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(&self.db)
            .await
            .expect("the token's user");
        let token = format!("ai102_{}", ai102::auth::random_secret());
        let id = ai102::store::tokens::create(
            &self.db,
            user,
            "test",
            &ai102::auth::hash_secret(&token),
            &token[..12],
        )
        .await
        .expect("token");
        (token, id)
    }

    /// A personal API token for `email`.
    pub async fn api_token(&self, email: &str) -> String {
        self.api_token_with_id(email).await.0
    }

    /// Uploads a file through the upload page's multipart form, with the page's CSRF token.
    pub async fn upload(&self, name: &str, bytes: Vec<u8>, format: &str) -> reqwest::Response {
        let token = self.csrf("/instructor/upload").await;
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", token)
            .text("format", format.to_owned())
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
            );
        self.client
            .post(self.url("/instructor/upload"))
            .multipart(form)
            .send()
            .await
            .expect("upload")
    }

    /// A second browser: same server, its own cookies.
    pub fn other_browser(&self) -> TestApp {
        TestApp {
            address: self.address.clone(),
            db: self.db.clone(),
            database_url: self.database_url.clone(),
            client: client(),
        }
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.db)
            .await
            .expect("count")
    }

    /// Imports `yaml`, a pack file's text, for `owner` (`None`: a site pack) in `status`, as `ai102 bank
    /// import` does; returns the pack's id.
    pub async fn import_pack(&self, yaml: &str, owner: Option<Uuid>, status: PackStatus) -> Uuid {
        let path = std::env::temp_dir().join(format!("ai102-test-pack-{}.yaml", Uuid::new_v4()));
        std::fs::write(&path, yaml).expect("write the pack");
        let imported = ai102::store::bank::import_path(&self.db, &path, owner, status).await;
        let _ = std::fs::remove_file(&path);
        imported.expect("the pack imports").0.pack_id
    }

    /// Submits an attempt from its end page, as the candidate's "Submit" does.
    pub async fn submit_attempt(&self, attempt: impl std::fmt::Display) -> reqwest::Response {
        self.post_form(
            &format!("/attempts/{attempt}/end"),
            &format!("/attempts/{attempt}/submit"),
            &[],
        )
        .await
    }

    /// The test pack ([`TEST_PACK`]) as a published site pack; returns its id.
    pub async fn import_test_pack(&self) -> Uuid {
        self.import_pack(TEST_PACK, None, PackStatus::Published)
            .await
    }
}

/// The test pack: one question of each type and a two-question case study (8 questions, 15 points).
pub const TEST_PACK: &str = include_str!("../fixtures/exam_pack.yaml");

/// Requests to the JSON API with a bearer token.
pub struct Api<'a> {
    app: &'a TestApp,
    token: &'a str,
    client: reqwest::Client,
}

impl TestApp {
    /// The JSON API as the holder of `token` calls it.
    pub fn api<'a>(&'a self, token: &'a str) -> Api<'a> {
        Api {
            app: self,
            token,
            client: reqwest::Client::new(),
        }
    }
}

impl Api<'_> {
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, self.app.url(path))
            .bearer_auth(self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("the API answers")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str) -> reqwest::Response {
        self.send(reqwest::Method::POST, path, None).await
    }

    pub async fn put(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.send(reqwest::Method::DELETE, path, None).await
    }

    /// `GET path`'s JSON body.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        self.get(path).await.json().await.expect("a JSON body")
    }

    /// `POST path`'s JSON body.
    pub async fn post_json(&self, path: &str) -> serde_json::Value {
        self.post(path).await.json().await.expect("a JSON body")
    }
}

/// The id of the account with this e-mail.
pub async fn user_id(app: &TestApp, email: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .unwrap_or_else(|e| panic!("no account {email}: {e}"))
}

/// Every item type, as the bank and the item page (`section.item[data-type]`) name them.
pub use ai102::bank::model::QUESTION_TYPES as ITEM_TYPES;

/// The test pack's questions: six of one type each, then the case study's two.
pub const TEST_PACK_QUESTIONS: [&str; 8] = [
    "t-single",
    "t-multiple",
    "t-yesno",
    "t-order",
    "t-match",
    "t-hot",
    "cs-test-q1",
    "cs-test-q2",
];

/// A new account with `role`, as the session would know it.
pub async fn new_user(
    app: &TestApp,
    email: &str,
    role: ai102::auth::Role,
) -> ai102::auth::session::User {
    app.create_user(email, role).await;
    ai102::auth::session::User {
        id: user_id(app, email).await,
        email: email.into(),
        display_name: "Test user".into(),
        role,
        extra_time_minutes: 0,
    }
}

/// A candidate's "typo" report (by `email`) on `question` of `pack`, at its revision `revision` (`None`: the
/// current one); returns the report's id.
pub async fn report_typo(
    app: &TestApp,
    email: &str,
    pack: Uuid,
    question: &str,
    revision: Option<i32>,
) -> Uuid {
    let id = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO item_reports (id, item_id, revision_id, question_key, user_id, kind, comment)
         SELECT $1, i.id, r.id, i.item_key, u.id, 'typo', 'a typo'
         FROM items i JOIN item_revisions r ON r.item_id = i.id
              AND r.revision = COALESCE($5, i.current_revision)
         JOIN users u ON u.email = $4
         WHERE i.pack_id = $2 AND i.item_key = $3",
    )
    .bind(id)
    .bind(pack)
    .bind(question)
    .bind(email)
    .bind(revision)
    .execute(&app.db)
    .await
    .expect("the report");
    id
}

/// Marks item `position` of `attempt` for review through the page and the API, and reads it through the API:
/// the bodies of the three answers, named `POST <page>`, `API <position>` and `API <position>/mark`.
pub async fn mark_item_everywhere(
    app: &TestApp,
    token: &str,
    attempt: impl std::fmt::Display,
    position: usize,
) -> Vec<(String, String)> {
    let page = format!("/attempts/{attempt}/items/{position}");
    let r = app
        .post_form(
            &page,
            &page,
            &[("mark_present", "1"), ("mark", "1"), ("go", "stay")],
        )
        .await;
    let mut bodies = vec![(format!("POST {page}"), r.text().await.expect("body"))];
    let item = format!("/api/v1/attempts/{attempt}/items/{position}");
    let api = app.api(token);
    let read = api.get(&item).await;
    bodies.push((format!("API {position}"), read.text().await.expect("body")));
    let mark = api
        .put(
            &format!("{item}/mark"),
            &serde_json::json!({ "marked": true }),
        )
        .await;
    bodies.push((
        format!("API {position}/mark"),
        mark.text().await.expect("body"),
    ));
    bodies
}

/// The test pack under another pack id and title.
pub fn test_pack_as(key: &str, title: &str) -> String {
    TEST_PACK
        .replace("id: test-exam-pack", &format!("id: {key}"))
        .replace("title: Exam engine test pack", &format!("title: {title}"))
}

/// An exam form for a test: by default it draws all 8 questions of the test pack (one case study), lasts 60
/// minutes, has a cut of 70 %, no trial items and no owner.
pub struct TestForm<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub minutes: i32,
    pub items: i32,
    pub case_studies: i32,
    pub trial_items: i32,
    pub owner: Option<Uuid>,
    pub visibility: ai102::store::exam::Visibility,
}

impl<'a> TestForm<'a> {
    pub fn new(slug: &'a str) -> Self {
        TestForm {
            slug,
            title: "Test form",
            minutes: 60,
            items: 8,
            case_studies: 1,
            trial_items: 0,
            owner: None,
            visibility: ai102::store::exam::Visibility::Public,
        }
    }

    /// Seen only by the members of the classes it is assigned to.
    pub fn class_only(self) -> Self {
        TestForm {
            visibility: ai102::store::exam::Visibility::Class,
            ..self
        }
    }

    pub fn title(self, title: &'a str) -> Self {
        TestForm { title, ..self }
    }

    pub fn minutes(self, minutes: i32) -> Self {
        TestForm { minutes, ..self }
    }

    pub fn items(self, items: i32) -> Self {
        TestForm { items, ..self }
    }

    pub fn case_studies(self, case_studies: i32) -> Self {
        TestForm {
            case_studies,
            ..self
        }
    }

    pub fn owner(self, owner: Uuid) -> Self {
        TestForm {
            owner: Some(owner),
            ..self
        }
    }

    /// Creates the form over `packs`; returns its id.
    pub async fn create(self, app: &TestApp, packs: &[Uuid]) -> Uuid {
        ai102::store::exam::create_form(
            &app.db,
            ai102::store::exam::NewForm {
                slug: self.slug,
                title: self.title,
                description: "",
                blueprint_id: "ai102",
                item_count: self.items,
                duration_minutes: self.minutes,
                case_studies: self.case_studies,
                cut_fraction: 0.7,
                owner_id: self.owner,
                pack_ids: packs,
                trial_items: self.trial_items,
                visibility: self.visibility,
                request_public: false,
            },
        )
        .await
        .expect("the form")
        .expect("a new slug")
    }
}

pub fn csrf_in(html: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse("input[name=csrf_token]").unwrap();
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr("value"))
        .map(str::to_owned)
}

/// The text of every element matching a CSS selector.
pub fn texts(html: &str, selector: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(selector).unwrap();
    doc.select(&sel)
        .map(|e| {
            e.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

pub fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The attempt a redirect names (`Location: /attempts/{id}/…`).
pub fn attempt_in(resp: &reqwest::Response) -> Uuid {
    location(resp)
        .strip_prefix("/attempts/")
        .and_then(|s| s.split('/').next())
        .and_then(|s| s.parse().ok())
        .expect("an attempt's address in the location")
}

/// The position of a question in the attempt.
pub async fn position_of(app: &TestApp, attempt: Uuid, key: &str) -> i32 {
    sqlx::query_scalar(
        "SELECT position FROM attempt_items WHERE attempt_id = $1 AND question_key = $2",
    )
    .bind(attempt)
    .bind(key)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

/// Posts a question's item form with these fields and `go=stay` (what "Check answer" sends).
pub async fn answer(
    app: &TestApp,
    attempt: Uuid,
    key: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let n = position_of(app, attempt, key).await;
    let page = format!("/attempts/{attempt}/items/{n}");
    let mut all = fields.to_vec();
    all.push(("go", "stay"));
    // The CSRF token belongs to the session, so any page's will do (the item page may be closed by now).
    app.post_form("/exams", &page, &all).await
}
