//! Trust: who may reach what, and what a candidate may see.
//!
//! - The authorisation matrix reads every route from the router's source (src/web/mod.rs), so a new route
//!   without a rule here fails the test, and checks six principals against each: anonymous, a candidate who
//!   owns the objects, another candidate, an instructor who owns the pack, another instructor, and an admin.
//! - No answer key, explanation or reference reaches a candidate before the attempt ends: every response of an
//!   attempt in progress (pages and JSON API) is scanned, and the same scan finds them once it has ended.
//! - Markdown and HTML carried by an uploaded pack cannot run script in any page that shows it.

use crate::common::*;
use ai102::auth::Role;
use ai102::store::exam::{create_form, NewForm};
use reqwest::{Method, StatusCode};
use std::collections::BTreeSet;
use std::path::Path;
use uuid::Uuid;

const PACK: &str = include_str!("../fixtures/exam_pack.yaml");

/// Imports `yaml` as a published pack and makes a form drawing all of its 8 questions.
async fn with_form(app: &TestApp, yaml: &str, slug: &str) -> Uuid {
    let pack = app
        .import_pack(yaml, None, ai102::store::bank::PackStatus::Published)
        .await;
    TestForm::new(slug)
        .title("Security form")
        .create(app, &[pack])
        .await;
    pack
}

/// Starts an attempt at a form through the page and returns its id.
async fn start(app: &TestApp, slug: &str) -> Uuid {
    let r = app
        .post_form("/exams", &format!("/exams/{slug}/start"), &[])
        .await;
    assert_eq!(r.status(), 303, "start redirects to the first item");
    location(&r)
        .strip_prefix("/attempts/")
        .and_then(|s| s.split('/').next())
        .and_then(|s| s.parse().ok())
        .expect("attempt id in the location")
}

/// Every (method, path) of the router's `.route("path", get(..).post(..))` calls, read from its source (the API's
/// routes are [`api_routes`]).
fn routes_in_the_router() -> BTreeSet<(String, String)> {
    let source =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web/mod.rs"))
            .expect("src/web/mod.rs");
    let mut routes = BTreeSet::new();
    let mut rest = source.as_str();
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        // The call's arguments: up to the matching closing parenthesis.
        let mut depth = 1;
        let end = rest
            .char_indices()
            .find(|(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map(|(i, _)| i)
            .expect("a closed .route( call");
        let args = &rest[..end];
        let path = args
            .split('"')
            .nth(1)
            .expect("a route path literal")
            .to_owned();
        for method in ["get", "post", "put", "patch", "delete"] {
            let call = format!("{method}(");
            let found = args.match_indices(&call).any(|(i, _)| {
                i == 0 || {
                    let before = args.as_bytes()[i - 1];
                    !(before.is_ascii_alphanumeric() || before == b'_')
                }
            });
            if found {
                routes.insert((method.to_uppercase(), path.clone()));
            }
        }
        rest = &rest[end..];
    }
    routes
}

/// The API's routes: `routes!` in src/web/mod.rs builds them from the handlers' annotations, which also make
/// the OpenAPI document, so the document the app serves lists exactly the API routes the router has.
async fn api_routes(app: &TestApp) -> BTreeSet<(String, String)> {
    let doc: serde_json::Value = app
        .get("/api/openapi.json")
        .await
        .json()
        .await
        .expect("the OpenAPI document");
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                routes.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

/// Who may use a route.
#[derive(Clone, Copy, Debug)]
enum Rule {
    /// Everybody, signed in or not.
    Public,
    /// Any signed-in account (pages) or any valid token (API).
    SignedIn,
    /// The candidate who owns the attempt or token; any other account gets 404.
    Owner,
    /// Instructors and admins; candidates get 403.
    Instructor,
    /// The instructor who owns the pack or upload, and admins; other instructors get 404, candidates 403.
    PackOwner,
    /// Only the instructor who uploaded the file (a staged upload is private, even to admins).
    Uploader,
    /// Admins only; everybody else signed in gets 403.
    Admin,
    /// The class's staff (its owner, the instructor here) and admins; the instructor of another class gets 404,
    /// candidates 403.
    ClassStaff,
    /// A member of the class (the candidate here); the member of another class, and everybody else, gets 404.
    ClassMember,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Anonymous,
    Candidate,
    OtherCandidate,
    Instructor,
    OtherInstructor,
    Admin,
}

#[derive(Debug, PartialEq)]
enum Expect {
    Allowed,
    SignIn,
    Forbidden,
    NotFound,
}

impl Rule {
    fn expect(self, who: Who) -> Expect {
        use Who::*;
        if who == Anonymous {
            return match self {
                Rule::Public => Expect::Allowed,
                _ => Expect::SignIn,
            };
        }
        match self {
            Rule::Public | Rule::SignedIn => Expect::Allowed,
            Rule::Owner => match who {
                Candidate => Expect::Allowed,
                _ => Expect::NotFound,
            },
            Rule::Instructor => match who {
                Candidate | OtherCandidate => Expect::Forbidden,
                _ => Expect::Allowed,
            },
            Rule::PackOwner | Rule::ClassStaff => match who {
                Candidate | OtherCandidate => Expect::Forbidden,
                OtherInstructor => Expect::NotFound,
                _ => Expect::Allowed,
            },
            Rule::Uploader => match who {
                Candidate | OtherCandidate => Expect::Forbidden,
                Instructor => Expect::Allowed,
                _ => Expect::NotFound,
            },
            Rule::Admin => match who {
                Admin => Expect::Allowed,
                _ => Expect::Forbidden,
            },
            Rule::ClassMember => match who {
                Candidate => Expect::Allowed,
                _ => Expect::NotFound,
            },
        }
    }
}

/// The rule of every route. Routes with side effects that would change what later checks see come last
/// (the owner's submit, then sign-out).
const RULES: &[(&str, &str, Rule)] = &[
    ("GET", "/", Rule::Public),
    ("GET", "/help", Rule::Public),
    ("GET", "/help/{name}", Rule::Public),
    ("GET", "/healthz", Rule::Public),
    ("GET", "/static/{name}", Rule::Public),
    ("GET", "/readyz", Rule::Public),
    // From loopback, as every request here is; other hosts need METRICS_TOKEN (tests/metrics.rs).
    ("GET", "/metrics", Rule::Public),
    ("GET", "/signup", Rule::Public),
    ("POST", "/signup", Rule::Public),
    ("GET", "/signin", Rule::Public),
    ("POST", "/signin", Rule::Public),
    // The mail links' pages: a token that is not one is answered 410, like a used or expired one.
    ("GET", "/account/reset", Rule::Public),
    ("POST", "/account/reset", Rule::Public),
    ("GET", "/account/reset/{token}", Rule::Public),
    ("POST", "/account/reset/{token}", Rule::Public),
    ("GET", "/verify/{token}", Rule::Public),
    ("POST", "/verify/{token}", Rule::Public),
    ("POST", "/verify/resend", Rule::Public),
    ("GET", "/account/email/{token}", Rule::Public),
    ("POST", "/account/email/{token}", Rule::Public),
    ("GET", "/account/verify", Rule::SignedIn),
    ("POST", "/account/verify", Rule::SignedIn),
    ("POST", "/account/email", Rule::SignedIn),
    ("POST", "/account/mail", Rule::SignedIn),
    // Single sign-on: the start sends everybody to the provider; a callback without a state is refused (400).
    ("GET", "/auth/sso/{slug}", Rule::Public),
    ("GET", "/auth/sso/{slug}/callback", Rule::Public),
    ("GET", "/account", Rule::SignedIn),
    ("GET", "/account/password", Rule::SignedIn),
    ("POST", "/account/password", Rule::SignedIn),
    ("POST", "/account/tokens", Rule::SignedIn),
    ("POST", "/account/target-exam", Rule::SignedIn),
    ("POST", "/account/time-zone", Rule::SignedIn),
    ("GET", "/account/data", Rule::SignedIn),
    // The wrong password: 422, past the access check (nobody's account is deleted).
    ("POST", "/account/delete", Rule::SignedIn),
    ("GET", "/api/v1/exams", Rule::SignedIn),
    ("POST", "/account/tokens/{id}/revoke", Rule::Owner),
    ("GET", "/progress", Rule::SignedIn),
    ("POST", "/progress/plan", Rule::SignedIn),
    // Without an exam date: 422, past the access check.
    ("GET", "/progress/plan.ics", Rule::SignedIn),
    ("GET", "/progress/objectives/{id}", Rule::SignedIn),
    ("GET", "/exams", Rule::SignedIn),
    ("POST", "/exams/{slug}/start", Rule::SignedIn),
    ("GET", "/attempts", Rule::SignedIn),
    ("GET", "/practice", Rule::SignedIn),
    ("POST", "/practice/start", Rule::SignedIn),
    ("GET", "/attempts/{id}/items/{position}", Rule::Owner),
    ("POST", "/attempts/{id}/items/{position}", Rule::Owner),
    (
        "POST",
        "/attempts/{id}/items/{position}/report",
        Rule::Owner,
    ),
    ("GET", "/attempts/{id}/review", Rule::Owner),
    ("GET", "/attempts/{id}/end", Rule::Owner),
    ("GET", "/attempts/{id}/result", Rule::Owner),
    ("GET", "/instructor", Rule::Instructor),
    ("GET", "/instructor/analytics", Rule::Instructor),
    ("GET", "/instructor/reports", Rule::Instructor),
    // A report on an item of the instructor's pack; "fixed" is refused (422) until the item is edited, and
    // the admin finds the report already rejected by the instructor (409): both are past the access check.
    ("POST", "/instructor/reports/{id}/fix", Rule::PackOwner),
    ("POST", "/instructor/reports/{id}/reject", Rule::PackOwner),
    ("GET", "/instructor/upload", Rule::Instructor),
    ("POST", "/instructor/upload", Rule::Instructor),
    ("GET", "/instructor/forms/new", Rule::Instructor),
    ("POST", "/instructor/forms", Rule::Instructor),
    ("POST", "/instructor/uploads/{id}/import", Rule::Uploader),
    // Without a chosen pack: 400 past the access check (tests/pack_list.rs deletes for real).
    ("GET", "/instructor/packs/delete", Rule::Instructor),
    ("POST", "/instructor/packs/delete", Rule::Instructor),
    ("GET", "/instructor/packs/{id}", Rule::PackOwner),
    ("POST", "/instructor/packs/{id}/assign", Rule::PackOwner),
    ("GET", "/instructor/packs/{id}/export", Rule::PackOwner),
    ("POST", "/instructor/packs/{id}/status", Rule::PackOwner),
    ("GET", "/instructor/packs/{id}/items/{key}", Rule::PackOwner),
    (
        "GET",
        "/instructor/packs/{id}/items/{key}/edit",
        Rule::PackOwner,
    ),
    (
        "POST",
        "/instructor/packs/{id}/items/{key}/edit",
        Rule::PackOwner,
    ),
    (
        "POST",
        "/instructor/packs/{id}/items/{key}/trial",
        Rule::PackOwner,
    ),
    // Classes: the instructor owns the class, the candidate is its member; the other instructor owns another
    // class whose member is the other candidate.
    ("GET", "/instructor/classes", Rule::Instructor),
    // An empty form: 400 past the access check.
    ("POST", "/instructor/classes", Rule::Instructor),
    ("GET", "/instructor/classes/{id}", Rule::ClassStaff),
    (
        "POST",
        "/instructor/classes/{id}/settings",
        Rule::ClassStaff,
    ),
    ("POST", "/instructor/classes/{id}/members", Rule::ClassStaff),
    (
        "GET",
        "/instructor/classes/{id}/members/{user_id}",
        Rule::ClassStaff,
    ),
    (
        "POST",
        "/instructor/classes/{id}/instructors",
        Rule::ClassStaff,
    ),
    (
        "POST",
        "/instructor/classes/{id}/instructors/{user_id}/remove",
        Rule::ClassStaff,
    ),
    // Restores (a no-op): archiving would stop the later starts.
    ("POST", "/instructor/classes/{id}/archive", Rule::ClassStaff),
    // The class has attempts: refused (409) past the access check.
    ("POST", "/instructor/classes/{id}/delete", Rule::ClassStaff),
    (
        "POST",
        "/instructor/classes/{id}/assignments",
        Rule::ClassStaff,
    ),
    // An empty form: 400 past the access check.
    (
        "POST",
        "/instructor/classes/{id}/assignments/{assignment_id}",
        Rule::ClassStaff,
    ),
    (
        "POST",
        "/instructor/classes/{id}/assignments/{assignment_id}/overrides",
        Rule::ClassStaff,
    ),
    (
        "GET",
        "/instructor/classes/{id}/assignments/{assignment_id}/attempts",
        Rule::ClassStaff,
    ),
    (
        "GET",
        "/instructor/classes/{id}/gradebook",
        Rule::ClassStaff,
    ),
    (
        "GET",
        "/instructor/classes/{id}/attempts/{attempt_id}",
        Rule::ClassStaff,
    ),
    ("GET", "/join/{code}", Rule::Public),
    ("POST", "/assignments/{id}/start", Rule::ClassMember),
    ("GET", "/api/v1/classes", Rule::Instructor),
    ("POST", "/api/v1/classes", Rule::Instructor),
    ("GET", "/api/v1/classes/{id}", Rule::ClassStaff),
    ("POST", "/api/v1/classes/{id}/members", Rule::ClassStaff),
    ("POST", "/api/v1/classes/{id}/assignments", Rule::ClassStaff),
    ("GET", "/api/v1/classes/{id}/gradebook", Rule::ClassStaff),
    // No code: 422 past the access check.
    ("POST", "/api/v1/classes/join", Rule::SignedIn),
    ("GET", "/api/v1/assignments", Rule::SignedIn),
    (
        "POST",
        "/api/v1/assignments/{id}/attempts",
        Rule::ClassMember,
    ),
    ("GET", "/admin/forms", Rule::Admin),
    ("POST", "/admin/forms/{id}/visibility", Rule::Admin),
    // No pending request: 409 past the access check.
    ("POST", "/admin/forms/{id}/request", Rule::Admin),
    ("GET", "/admin", Rule::Admin),
    ("GET", "/admin/analytics", Rule::Admin),
    ("GET", "/admin/users", Rule::Admin),
    ("GET", "/admin/users/{id}", Rule::Admin),
    ("POST", "/admin/users/{id}/role", Rule::Admin),
    ("POST", "/admin/users/{id}/disable", Rule::Admin),
    ("POST", "/admin/users/{id}/enable", Rule::Admin),
    ("POST", "/admin/users/{id}/password", Rule::Admin),
    ("POST", "/admin/users/{id}/extra-time", Rule::Admin),
    ("GET", "/admin/audit", Rule::Admin),
    ("POST", "/admin/settings/publishing", Rule::Admin),
    ("POST", "/admin/settings/retention", Rule::Admin),
    ("POST", "/admin/settings/mail", Rule::Admin),
    ("GET", "/admin/outbox", Rule::Admin),
    ("GET", "/admin/sso", Rule::Admin),
    // An empty form: 422, past the access check.
    ("POST", "/admin/sso", Rule::Admin),
    ("POST", "/admin/sso/{id}/delete", Rule::Admin),
    ("POST", "/admin/outbox/{id}/retry", Rule::Admin),
    ("GET", "/api/openapi.json", Rule::Public),
    ("GET", "/api/v1/me", Rule::SignedIn),
    ("GET", "/api/v1/tokens", Rule::SignedIn),
    ("GET", "/api/v1/forms", Rule::SignedIn),
    ("POST", "/api/v1/forms/{slug}/attempts", Rule::SignedIn),
    ("GET", "/api/v1/attempts/{id}", Rule::Owner),
    ("GET", "/api/v1/attempts/{id}/items/{position}", Rule::Owner),
    (
        "PUT",
        "/api/v1/attempts/{id}/items/{position}/answer",
        Rule::Owner,
    ),
    (
        "PUT",
        "/api/v1/attempts/{id}/items/{position}/mark",
        Rule::Owner,
    ),
    ("GET", "/api/v1/attempts/{id}/result", Rule::Owner),
    ("GET", "/api/v1/review/due", Rule::SignedIn),
    // Nothing due, or no exam date: 422, past the access check.
    ("POST", "/api/v1/review/sessions", Rule::SignedIn),
    ("GET", "/api/v1/plan", Rule::SignedIn),
    // An empty body: 422, past the access check.
    ("PUT", "/api/v1/plan", Rule::SignedIn),
    ("GET", "/api/v1/packs", Rule::Instructor),
    ("POST", "/api/v1/packs", Rule::Instructor),
    ("GET", "/api/v1/packs/{id}", Rule::PackOwner),
    ("GET", "/api/v1/packs/{id}/export", Rule::PackOwner),
    ("PUT", "/api/v1/packs/{id}/status", Rule::PackOwner),
    // Each principal gets a fresh draft of the instructor's: a delete consumes it.
    ("DELETE", "/api/v1/packs/{id}", Rule::PackOwner),
    ("POST", "/api/v1/attempts/{id}/submit", Rule::Owner),
    ("POST", "/attempts/{id}/submit", Rule::Owner),
    // Membership changes last: the candidate leaves, the staff remove them (idempotent), everybody joins, and
    // a new join link is made.
    ("POST", "/classes/{id}/leave", Rule::ClassMember),
    (
        "POST",
        "/instructor/classes/{id}/members/{user_id}/remove",
        Rule::ClassStaff,
    ),
    (
        "DELETE",
        "/api/v1/classes/{id}/members/{user_id}",
        Rule::ClassStaff,
    ),
    ("POST", "/join/{code}", Rule::SignedIn),
    (
        "POST",
        "/instructor/classes/{id}/join-code",
        Rule::ClassStaff,
    ),
    ("POST", "/signout", Rule::Public),
];

/// A well-formed body for the forms whose fields are checked before the handler runs, so that the check
/// that answers is the access rule, not the form's shape.
fn form_body(path: &str) -> &'static str {
    if path.ends_with("/report") {
        "kind=typo&comment=typo"
    } else if path.ends_with("/assign") {
        "category=*unplaced*&objective=plan.secure"
    } else if path.ends_with("/status") {
        "status=draft"
    } else if path.ends_with("/edit") {
        "text=x"
    } else if path.ends_with("/trial") {
        "trial=true"
    } else if path.ends_with("/reject") {
        "reason=not+a+problem"
    } else if path.ends_with("/publishing") {
        "explanations=recommended"
    } else if path.ends_with("/delete") && path.starts_with("/account") {
        "password=not-the-password"
    } else if path.ends_with("/archive") {
        "archived=false"
    } else if path.ends_with("/visibility") {
        "visibility=public"
    } else if path.ends_with("/request") {
        "decision=approve"
    } else {
        ""
    }
}

struct Principal {
    who: Who,
    app: TestApp,
    csrf: String,
    token: Option<String>,
}

#[tokio::test]
async fn every_route_has_a_rule_and_every_principal_gets_what_the_rule_says() {
    // A new route must get a rule here, and a rule must name a route that exists.
    let mut in_router = routes_in_the_router();
    in_router.extend(api_routes(&TestApp::spawn().await).await);
    let in_rules: BTreeSet<(String, String)> = RULES
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    let without_rule: Vec<_> = in_router.difference(&in_rules).collect();
    let without_route: Vec<_> = in_rules.difference(&in_router).collect();
    assert!(
        without_rule.is_empty(),
        "routes without an access rule in tests/security.rs: {without_rule:?}"
    );
    assert!(
        without_route.is_empty(),
        "rules for routes the router does not have: {without_route:?}"
    );
    assert!(
        in_router.len() >= 55,
        "the router's routes were read: {}",
        in_router.len()
    );

    // With PUBLIC_BASE_URL (and no SMTP server: mail is held), so the mail routes answer as in production, and a
    // real OpenID provider (its short name is the `{slug}` every route gets), so single sign-on starts.
    let idp = crate::oidc_provider::OidcProvider::start(crate::oidc_provider::config(
        "http://127.0.0.1:9/auth/sso/test-form/callback",
        serde_json::json!({}),
    ));
    let providers = serde_json::json!([
        { "slug": "test-form", "display_name": "Test ID", "issuer": idp.issuer, "client_id": "ai102",
          "client_secret": "s3cret" },
        { "slug": "doomed", "display_name": "Doomed ID", "issuer": "https://doomed.example.test",
          "client_id": "x", "client_secret": "y" }
    ])
    .to_string();
    let app = TestApp::spawn_with(|c| {
        c.public_base_url = Some("http://exams.example.test".into());
        c.sso_providers = Some(providers);
    })
    .await;
    with_form(&app, PACK, "test-form").await;
    let people = [
        (Who::Candidate, "cand@example.com", Role::Candidate),
        (
            Who::OtherCandidate,
            "other-cand@example.com",
            Role::Candidate,
        ),
        (Who::Instructor, "inst@example.com", Role::Instructor),
        (
            Who::OtherInstructor,
            "other-inst@example.com",
            Role::Instructor,
        ),
        (Who::Admin, "admin@example.com", Role::Admin),
    ];
    let mut principals = vec![Principal {
        who: Who::Anonymous,
        csrf: app.csrf("/signin").await,
        app: app.other_browser(),
        token: None,
    }];
    for (who, email, role) in people {
        let browser = app.other_browser();
        browser.create_user(email, role).await;
        assert_eq!(browser.sign_in(email, PASSWORD).await.status(), 303);
        let csrf = browser.csrf("/account").await;
        let (token, _) = app.api_token_with_id(email).await;
        principals.push(Principal {
            who,
            app: browser,
            csrf,
            token: Some(token),
        });
    }
    // The anonymous principal's token comes from its own session.
    principals[0].csrf = principals[0].app.csrf("/signin").await;

    // The objects: the candidate's attempt and token, the instructor's pack, item and upload, and an
    // account for the admin's actions.
    let candidate = &principals[1].app;
    let attempt = start(candidate, "test-form").await;
    let (_, token_id) = app.api_token_with_id("cand@example.com").await;
    let instructor = &principals[3].app;
    let pack_yaml = PACK.replace("id: test-exam-pack", "id: instructor-pack");
    let r = instructor
        .upload("pack.yaml", pack_yaml.into_bytes(), "auto")
        .await;
    assert_eq!(r.status(), 303, "the instructor's pack uploads");
    let pack: Uuid = sqlx::query_scalar("SELECT id FROM packs WHERE pack_key = 'instructor-pack'")
        .fetch_one(&app.db)
        .await
        .expect("the instructor's pack");
    // A file with problems is kept as an upload whose valid items can be imported later.
    let mixed = PACK
        .replace("id: test-exam-pack", "id: mixed-pack")
        .replace(
            "    answer: a\n    explanation: A is right",
            "    answer: z\n    explanation: A is right",
        );
    let r = instructor
        .upload("mixed.yaml", mixed.into_bytes(), "auto")
        .await;
    assert_eq!(r.status(), 422, "the file with a problem is reported");
    let upload: Uuid =
        sqlx::query_scalar("SELECT id FROM uploads ORDER BY created_at DESC LIMIT 1")
            .fetch_one(&app.db)
            .await
            .expect("the instructor's upload");
    // The candidate's problem report on an item of the instructor's pack.
    let report = report_typo(&app, "cand@example.com", pack, "t-single", None).await;
    app.create_user("someone@example.com", Role::Candidate)
        .await;
    let someone = user_id(&app, "someone@example.com").await;
    // The classes: the instructor's, with the candidate as member and the form assigned (the candidate has made
    // one attempt for it), and the other instructor's, with the other candidate.
    let actor = |id: Uuid, email: &'static str| ai102::store::users::Actor { id, email };
    let (inst, other_inst) = (
        user_id(&app, "inst@example.com").await,
        user_id(&app, "other-inst@example.com").await,
    );
    let (cand, other_cand) = (
        user_id(&app, "cand@example.com").await,
        user_id(&app, "other-cand@example.com").await,
    );
    let new_class = |name: &'static str| ai102::store::classes::NewClass {
        name,
        exam_code: "AI-102",
        starts_on: None,
        ends_on: None,
    };
    let class =
        ai102::store::classes::create(&app.db, actor(inst, "inst@example.com"), new_class("Class"))
            .await
            .expect("the class");
    let other_class = ai102::store::classes::create(
        &app.db,
        actor(other_inst, "other-inst@example.com"),
        new_class("Other class"),
    )
    .await
    .expect("the other class");
    ai102::store::classes::join(&app.db, class, actor(cand, "cand@example.com"))
        .await
        .expect("the candidate joins");
    ai102::store::classes::join(
        &app.db,
        other_class,
        actor(other_cand, "other-cand@example.com"),
    )
    .await
    .expect("the other candidate joins");
    let form: Uuid = sqlx::query_scalar("SELECT id FROM exam_forms WHERE slug = 'test-form'")
        .fetch_one(&app.db)
        .await
        .expect("the form");
    let assignment = ai102::store::classes::create_assignment(
        &app.db,
        actor(inst, "inst@example.com"),
        class,
        &ai102::store::classes::NewAssignment {
            form_id: form,
            opens_at: None,
            closes_at: None,
            max_attempts: None,
            answers_shown: ai102::store::classes::AnswersShown::AtEnd,
        },
    )
    .await
    .expect("the assignment");
    let r = candidate
        .post_form("/exams", &format!("/assignments/{assignment}/start"), &[])
        .await;
    assert_eq!(r.status(), 303, "the member starts the assignment");
    let class_attempt = location(&r)
        .strip_prefix("/attempts/")
        .and_then(|s| s.split('/').next())
        .map(str::to_owned)
        .expect("the class attempt");
    let code: String = sqlx::query_scalar("SELECT join_code FROM classes WHERE id = $1")
        .bind(class)
        .fetch_one(&app.db)
        .await
        .expect("the join code");
    let doomed_provider: Uuid =
        sqlx::query_scalar("SELECT id FROM sso_providers WHERE slug = 'doomed'")
            .fetch_one(&app.db)
            .await
            .expect("the provider to delete");
    let failed_mail = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO mail_outbox (id, message_id, kind, to_address, subject, body_text, body_html, status)
         VALUES ($1, '<m@x>', 'reset', 'x@example.com', 'S', 'text', 'html', 'failed')",
    )
    .bind(failed_mail)
    .execute(&app.db)
    .await
    .expect("a failed mail");

    let concrete = |path: &str| -> String {
        let id = if path.starts_with("/account/tokens/") {
            token_id.to_string()
        } else if path.starts_with("/instructor/uploads/") {
            upload.to_string()
        } else if path.starts_with("/instructor/reports/") {
            report.to_string()
        } else if path.starts_with("/instructor/packs/") || path.starts_with("/api/v1/packs/") {
            pack.to_string()
        } else if path.starts_with("/admin/users/") {
            someone.to_string()
        } else if path.starts_with("/progress/objectives/") {
            "plan.secure".to_owned()
        } else if path.starts_with("/assignments/") || path.starts_with("/api/v1/assignments/") {
            assignment.to_string()
        } else if path.starts_with("/instructor/classes/")
            || path.starts_with("/api/v1/classes/")
            || path.starts_with("/classes/")
        {
            class.to_string()
        } else if path.starts_with("/admin/forms/") {
            form.to_string()
        } else if path.starts_with("/admin/outbox/") {
            failed_mail.to_string()
        } else if path.starts_with("/admin/sso/") {
            doomed_provider.to_string()
        } else {
            attempt.to_string()
        };
        path.replace("/static/{name}", "/static/app.css")
            .replace("{id}", &id)
            .replace("{position}", "1")
            .replace("{slug}", "test-form")
            .replace("{key}", "t-single")
            .replace("{user_id}", &cand.to_string())
            .replace("{assignment_id}", &assignment.to_string())
            .replace("{attempt_id}", &class_attempt)
            .replace("{code}", &code)
            .replace("{token}", "not-a-token")
            .replace("{name}", "scoring")
    };

    // Each principal in turn; the owner of the objects goes last, so that its side effects (a submitted
    // attempt, a revoked token) come after the others were checked against the same state.
    let order = [
        Who::Anonymous,
        Who::OtherCandidate,
        Who::OtherInstructor,
        Who::Instructor,
        Who::Admin,
        Who::Candidate,
    ];
    let mut wrong = Vec::new();
    let mut checked = 0;
    let instructor_id = user_id(&app, "inst@example.com").await;
    for (method, path, rule) in RULES {
        let url_path = concrete(path);
        for who in order {
            let url_path = if *method == "DELETE" && path.starts_with("/api/v1/packs/") {
                let key = format!("doomed-{}", Uuid::new_v4().simple());
                let file = std::env::temp_dir().join(format!("ai102-security-{key}.yaml"));
                std::fs::write(
                    &file,
                    PACK.replace("id: test-exam-pack", &format!("id: {key}")),
                )
                .expect("write the pack");
                let (doomed, _) = ai102::store::bank::import_path(
                    &app.db,
                    &file,
                    Some(instructor_id),
                    ai102::store::bank::PackStatus::Draft,
                )
                .await
                .expect("a fresh draft");
                let _ = std::fs::remove_file(&file);
                url_path.replace(&pack.to_string(), &doomed.pack_id.to_string())
            } else {
                url_path.clone()
            };
            let p = principals
                .iter()
                .find(|p| p.who == who)
                .expect("every principal");
            let api = path.starts_with("/api/");
            let method = Method::from_bytes(method.as_bytes()).expect("method");
            let mut req = p.app.client.request(method.clone(), p.app.url(&url_path));
            if api {
                if let Some(token) = &p.token {
                    req = req.bearer_auth(token);
                }
                if path.ends_with("/mark") {
                    req = req.json(&serde_json::json!({ "marked": true }));
                } else if path.ends_with("/answer") {
                    req = req.json(&serde_json::Value::Null);
                } else if method != Method::GET {
                    req = req.json(&serde_json::json!({}));
                }
            } else if method != Method::GET {
                req = req
                    .header("x-csrf-token", &p.csrf)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(form_body(path));
            }
            let r = req.send().await.expect("request");
            let status = r.status();
            let to_sign_in = status == StatusCode::SEE_OTHER && location(&r).starts_with("/signin");
            let got = if status == StatusCode::UNAUTHORIZED || (to_sign_in && !api) {
                Expect::SignIn
            } else if status == StatusCode::FORBIDDEN {
                Expect::Forbidden
            } else if status == StatusCode::NOT_FOUND {
                Expect::NotFound
            } else {
                Expect::Allowed
            };
            let mut expected = rule.expect(who);
            // Failed credentials are answered 401 with the form again.
            if *path == "/signin" && method == Method::POST && status == StatusCode::UNAUTHORIZED {
                expected = Expect::SignIn;
            }
            checked += 1;
            if status.is_server_error() {
                let body = r.text().await.unwrap_or_default();
                wrong.push(format!(
                    "{method} {url_path} as {who:?}: {status} {body:.300}"
                ));
            } else if got != expected {
                wrong.push(format!(
                    "{method} {url_path} as {who:?}: expected {expected:?}, got {status} ({got:?})"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {checked} checks disagree with the access rules:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!(checked, RULES.len() * 6);
}

/// What a candidate must not see while the attempt runs; the explanations carry a marker to find them by.
const EXPLAINED: &str = "EXPLAINED-7Q3";

fn leaks(body: &str, references: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for needle in [
        EXPLAINED,
        "Correct answer",
        "Partly correct",
        "data-correct",
        "is_correct",
        "\"correct\"",
        "\"answer\":",
        "\"key\":",
        "\"explanation\"",
        "\"references\"",
    ] {
        if body.contains(needle) {
            found.push(needle.to_owned());
        }
    }
    for r in references {
        if body.contains(r) {
            found.push((*r).to_owned());
        }
    }
    found
}

/// The instance caches (a revision's rendered question and case study) with two instances on one database, both
/// warm: an attempt's pages never carry the key, the explanation or a reference, in exam or practice mode; a
/// revision published after the caches filled reaches the next attempt at once on both instances; and neither
/// instance lets a late answer or an answer to a left case study in.
#[tokio::test]
async fn warm_caches_on_two_instances_never_leak_the_key_serve_new_revisions_and_refuse_closed_answers(
) {
    let app = TestApp::spawn().await;
    let yaml = PACK.replace("explanation: ", &format!("explanation: {EXPLAINED} "));
    with_form(&app, &yaml, "test-form").await;
    let references: Vec<&str> = PACK
        .lines()
        .filter_map(|l| l.trim().strip_prefix("references: ["))
        .map(|l| l.trim_end_matches(']'))
        .collect();
    let other = ai102::Application::build(ai102::config::Config::for_database(&app.database_url))
        .await
        .expect("a second instance");
    let b = format!("http://127.0.0.1:{}", other.port());
    let b_pages = other.state.pages.clone();
    tokio::spawn(other.run_until_stopped());
    let instances = [app.address.clone(), b.clone()];
    app.create_user("cand@example.com", Role::Candidate).await;
    app.sign_in("cand@example.com", PASSWORD).await;
    // The browser's cookies are per host, so its session holds on both instances.
    let page_on = |base: &str, attempt: Uuid, position: i32| {
        let url = format!("{base}/attempts/{attempt}/items/{position}");
        let client = app.client.clone();
        async move {
            let r = client.get(&url).send().await.expect("GET");
            (r.status(), r.text().await.expect("body"))
        }
    };

    // Exam mode: every page three times on each instance (the first fills the caches, the rest read them).
    let exam = start(&app, "test-form").await;
    for base in &instances {
        for _ in 0..3 {
            for position in 1..=8 {
                let (status, body) = page_on(base, exam, position).await;
                assert_eq!(status, StatusCode::OK, "{base} item {position}");
                let found = leaks(&body, &references);
                assert!(found.is_empty(), "{base} item {position}: {found:?}");
            }
        }
    }
    let (questions, cases) = b_pages.sizes();
    assert!(
        questions >= 8 && cases >= 1,
        "the second instance serves from its cache: {questions} questions, {cases} case studies"
    );
    // Practice mode, before answering: the same.
    let r = app
        .post_form(
            "/practice",
            "/practice/start",
            &[("domain", "knowledge"), ("count", "5")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let practice: Uuid =
        sqlx::query_scalar("SELECT id FROM attempts WHERE mode = 'practice' AND ended_at IS NULL")
            .fetch_one(&app.db)
            .await
            .unwrap();
    for base in &instances {
        for _ in 0..2 {
            for position in 1..=2 {
                let (status, body) = page_on(base, practice, position).await;
                assert_eq!(status, StatusCode::OK);
                let found = leaks(&body, &references);
                assert!(found.is_empty(), "practice {base} {position}: {found:?}");
            }
        }
    }

    // Leaving the case study (positions 1 and 2) locks it: refused on both instances, however warm.
    let token = app.csrf("/exams").await;
    let save = |base: String, position: i32, fields: Vec<(&'static str, &'static str)>| {
        let client = app.client.clone();
        let token = token.clone();
        async move {
            let mut form: Vec<(&str, &str)> = fields;
            form.push(("csrf_token", &token));
            client
                .post(format!("{base}/attempts/{exam}/items/{position}"))
                .header("accept", "application/json")
                .form(&form)
                .send()
                .await
                .expect("POST")
                .status()
        }
    };
    assert_eq!(
        save(b.clone(), 2, vec![("choice", "a"), ("go", "next")]).await,
        StatusCode::NO_CONTENT
    );
    let left = app
        .post_form(
            &format!("/attempts/{exam}/items/2"),
            &format!("/attempts/{exam}/items/2"),
            &[("choice", "a"), ("go", "next")],
        )
        .await;
    assert_eq!(left.status(), StatusCode::SEE_OTHER);
    for base in &instances {
        assert_eq!(
            save(base.clone(), 1, vec![("choice", "b"), ("go", "stay")]).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{base}: an answer to a left case study"
        );
    }
    // The database's clock ends the attempt: a late answer is refused on both instances.
    let single_revision = |attempt: Uuid| {
        let db = app.db.clone();
        async move {
            sqlx::query_as::<_, (i32, Uuid)>(
                "SELECT position, revision_id FROM attempt_items
                 WHERE attempt_id = $1 AND question_key = 't-single'",
            )
            .bind(attempt)
            .fetch_one(&db)
            .await
            .unwrap()
        }
    };
    let (single, _) = single_revision(exam).await;
    assert_eq!(
        save(b.clone(), single, vec![("choice", "a"), ("go", "stay")]).await,
        StatusCode::NO_CONTENT,
        "in time, it is saved"
    );
    sqlx::query("UPDATE attempts SET deadline = now() - interval '1 second' WHERE id = $1")
        .bind(exam)
        .execute(&app.db)
        .await
        .unwrap();
    for base in &instances {
        for position in 3..=8 {
            assert_eq!(
                save(
                    base.clone(),
                    position,
                    vec![("choice", "b"), ("go", "stay")]
                )
                .await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{base}: a late answer to item {position}"
            );
        }
    }
    let saved: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM answers WHERE attempt_id = $1 AND response IS NOT NULL",
    )
    .bind(exam)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(
        saved, 2,
        "only the answers given in time and before leaving are stored"
    );

    // A new revision, published while both instances hold the form's pool and the old revision's page, reaches
    // the next start of that form on each instance, and its pages on both.
    let start_on = |base: String| {
        let client = app.client.clone();
        let token = token.clone();
        async move {
            let r = client
                .post(format!("{base}/exams/test-form/start"))
                .form(&[("csrf_token", token.as_str())])
                .send()
                .await
                .expect("POST");
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "{base}: start");
            location(&r)
                .strip_prefix("/attempts/")
                .and_then(|s| s.split('/').next())
                .and_then(|s| s.parse::<Uuid>().ok())
                .expect("attempt id")
        }
    };
    let (_, old_revision) = single_revision(start_on(b.clone()).await).await;
    let revised = yaml.replace("Which option is right?", "Which option is right now?");
    with_form(&app, &revised, "test-form-2").await;
    for starter in &instances {
        let next = start_on(starter.clone()).await;
        let (position, revision) = single_revision(next).await;
        assert_ne!(
            revision, old_revision,
            "{starter}: the form's cached pool noticed the new revision"
        );
        for base in &instances {
            let (status, body) = page_on(base, next, position).await;
            assert_eq!(status, StatusCode::OK);
            assert!(
                body.contains("Which option is right now?"),
                "started on {starter}, shown by {base}"
            );
        }
    }
}

#[tokio::test]
async fn no_key_explanation_or_reference_reaches_the_candidate_before_the_attempt_ends() {
    let app = TestApp::spawn().await;
    let yaml = PACK.replace("explanation: ", &format!("explanation: {EXPLAINED} "));
    with_form(&app, &yaml, "test-form").await;
    let references: Vec<&str> = PACK
        .lines()
        .filter_map(|l| l.trim().strip_prefix("references: ["))
        .map(|l| l.trim_end_matches(']'))
        .collect();
    assert_eq!(references.len(), 8, "the fixture's references were read");

    app.create_user("cand@example.com", Role::Candidate).await;
    app.sign_in("cand@example.com", PASSWORD).await;
    let (token, _) = app.api_token_with_id("cand@example.com").await;
    let attempt = start(&app, "test-form").await;
    let api = reqwest::Client::new();

    // Every page and API answer of the attempt in progress, including saves, marks and refusals.
    let mut bodies: Vec<(String, String)> = Vec::new();
    for path in ["/exams", "/attempts", "/progress", "/account"] {
        bodies.push((path.into(), app.get(path).await.text().await.expect("body")));
    }
    for position in 1..=8 {
        let page = format!("/attempts/{attempt}/items/{position}");
        bodies.push((
            page.clone(),
            app.get(&page).await.text().await.expect("body"),
        ));
        bodies.extend(mark_item_everywhere(&app, &token, attempt, position).await);
    }
    for path in ["review", "end", "result"] {
        let page = format!("/attempts/{attempt}/{path}");
        bodies.push((
            page.clone(),
            app.get(&page).await.text().await.expect("body"),
        ));
    }
    for suffix in ["", "/result"] {
        let r = api
            .get(app.url(&format!("/api/v1/attempts/{attempt}{suffix}")))
            .bearer_auth(&token)
            .send()
            .await
            .expect("API");
        bodies.push((
            format!("API attempt{suffix}"),
            r.text().await.expect("body"),
        ));
    }
    assert!(
        bodies
            .iter()
            .any(|(_, b)| b.contains("Which option is right?")),
        "the scan saw the items themselves"
    );
    let leaked: Vec<String> = bodies
        .iter()
        .filter_map(|(what, body)| {
            let found = leaks(body, &references);
            (!found.is_empty()).then(|| format!("{what}: {found:?}"))
        })
        .collect();
    assert!(
        leaked.is_empty(),
        "before the end the candidate saw:\n{}",
        leaked.join("\n")
    );

    // Once the attempt has ended the same scan finds them: it can fail.
    let r = app.submit_attempt(attempt).await;
    assert_eq!(r.status(), 303);
    let result = app
        .get(&format!("/attempts/{attempt}/result"))
        .await
        .text()
        .await
        .expect("body");
    let found = leaks(&result, &references);
    assert!(
        found.contains(&EXPLAINED.to_owned()) && found.iter().any(|f| f.starts_with("https://")),
        "the result shows explanations and references: {found:?}"
    );
}

/// Payloads that must not run: script tags, event handlers, javascript: URLs, SVG and frames.
const XSS_PACK: &str = r#"
pack:
  id: xss-pack
  title: "XSS <script>alert('title')</script>"
  version: 1
  blueprint: ai102
items:
  - id: xss-single
    type: single
    domain: plan
    objective: plan.secure
    stem: |
      Which <script>alert('stem')</script> option? <img src=x onerror="alert('img')">
      [click me](javascript:alert('link')) <a href="javascript:alert('a')">a</a>
      <svg onload="alert('svg')"><circle r="1"/></svg> <iframe src="https://example.com"></iframe>
      <div onclick="alert('div')" style="background:url(javascript:alert('css'))">div</div>
    options:
      - { id: a, text: "<b onmouseover=\"alert('opt')\">Right</b>" }
      - { id: b, text: "[x](javascript:alert('optlink'))" }
      - { id: c, text: "<object data=\"javascript:alert('obj')\"></object>Wrong" }
    answer: a
    explanation: |
      <script>alert('explanation')</script> ![pic](javascript:alert('pic'))
      <form action="javascript:alert('form')"><input></form> <math><mtext><img src=x onerror=alert('math')></mtext></math>
    references: ["https://learn.microsoft.com/azure/ai-services/authentication"]
  - id: xss-multiple
    type: multiple
    domain: genai
    objective: genai.openai
    stem: "Choose two: <IMG SRC=JaVaScRiPt:alert('caps')> <a href=' javascript:alert(1)'>space</a>"
    choose: 2
    options:
      - { id: a, text: "One" }
      - { id: b, text: "<svg><script>alert('svgscript')</script></svg>" }
      - { id: c, text: "Two" }
    answer: [a, c]
    explanation: "<details open ontoggle=alert('toggle')>x</details>"
    references: ["https://learn.microsoft.com/azure/ai-services/openai/overview"]
"#;

/// Everything in a page that could run script: script elements other than ours, event-handler attributes,
/// javascript: URLs, and embedding elements.
fn script_in(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let all = scraper::Selector::parse("*").expect("selector");
    let mut found = Vec::new();
    for el in doc.select(&all) {
        let v = el.value();
        let name = v.name();
        if name == "script" {
            let ours = v.attr("src").is_some_and(|s| s.starts_with("/static/"));
            if !ours || el.text().any(|t| !t.trim().is_empty()) {
                found.push(format!("<script> {:?}", el.html()));
            }
        }
        if matches!(name, "iframe" | "object" | "embed" | "frame" | "base") {
            found.push(format!("<{name}>"));
        }
        // Our own charts are SVG; none may come from a pack's Markdown.
        let in_rendered = el.ancestors().any(|a| {
            a.value()
                .as_element()
                .is_some_and(|e| e.has_class("md", scraper::CaseSensitivity::CaseSensitive))
        });
        if in_rendered
            && matches!(
                name,
                "svg" | "math" | "form" | "input" | "button" | "select"
            )
        {
            found.push(format!("<{name}> in rendered Markdown"));
        }
        for (attr, value) in v.attrs() {
            let value = value
                .chars()
                .filter(|c| !c.is_whitespace() && !c.is_control())
                .collect::<String>()
                .to_ascii_lowercase();
            if attr.to_ascii_lowercase().starts_with("on") {
                found.push(format!("<{name} {attr}>"));
            }
            if value.contains("javascript:") || value.starts_with("data:text/html") {
                found.push(format!("<{name} {attr}={value:?}>"));
            }
            if attr == "style" {
                found.push(format!("<{name} style>"));
            }
        }
    }
    found
}

#[tokio::test]
async fn script_carried_by_an_uploaded_pack_runs_in_no_page() {
    // The detector itself finds what it looks for.
    for page in [
        "<div class=md><img src=x onerror=alert(1)></div>",
        "<script>alert(1)</script>",
        "<a href=' JavaScript:alert(1)'>x</a>",
        "<div class=md><svg></svg></div>",
        "<iframe src=x></iframe>",
    ] {
        assert!(!script_in(page).is_empty(), "the scan misses {page}");
    }
    assert!(script_in("<script src=\"/static/exam.js\"></script><svg></svg>").is_empty());
    let app = TestApp::spawn().await;
    app.create_user("inst@example.com", Role::Instructor).await;
    assert_eq!(
        app.sign_in("inst@example.com", PASSWORD).await.status(),
        303
    );
    let r = app
        .upload("xss.yaml", XSS_PACK.as_bytes().to_vec(), "auto")
        .await;
    assert_eq!(r.status(), 303, "the pack with payloads is a valid pack");
    let pack: Uuid = sqlx::query_scalar("SELECT id FROM packs WHERE pack_key = 'xss-pack'")
        .fetch_one(&app.db)
        .await
        .expect("the pack");

    // The instructor's pages that show the pack.
    let mut pages = vec![
        "/instructor".to_owned(),
        format!("/instructor/packs/{pack}"),
    ];
    for key in ["xss-single", "xss-multiple"] {
        pages.push(format!("/instructor/packs/{pack}/items/{key}"));
        pages.push(format!("/instructor/packs/{pack}/items/{key}/edit"));
    }
    let mut bodies = Vec::new();
    for page in &pages {
        let r = app.get(page).await;
        assert_eq!(r.status(), 200, "{page}");
        bodies.push((page.clone(), r.text().await.expect("body")));
    }

    // Published, a candidate takes a form of it to the end and reads the result.
    let pack_page = format!("/instructor/packs/{pack}");
    let r = app
        .post_form(
            &pack_page,
            &format!("{pack_page}/status"),
            &[("status", "published")],
        )
        .await;
    assert_eq!(r.status(), 303, "the pack is published");
    create_form(
        &app.db,
        NewForm {
            slug: "xss-form",
            title: "XSS form",
            description: "",
            blueprint_id: "ai102",
            item_count: 2,
            duration_minutes: 30,
            case_studies: 0,
            cut_fraction: 0.7,
            owner_id: None,
            pack_ids: &[pack],
            trial_items: 0,
            visibility: ai102::store::exam::Visibility::Public,
            request_public: false,
        },
    )
    .await
    .expect("the form")
    .expect("a new form");
    let candidate = app.other_browser();
    candidate
        .create_user("cand@example.com", Role::Candidate)
        .await;
    candidate.sign_in("cand@example.com", PASSWORD).await;
    let attempt = start(&candidate, "xss-form").await;
    for position in 1..=2 {
        let page = format!("/attempts/{attempt}/items/{position}");
        bodies.push((
            page.clone(),
            candidate.get(&page).await.text().await.expect("body"),
        ));
    }
    candidate.submit_attempt(attempt).await;
    let page = format!("/attempts/{attempt}/result");
    bodies.push((
        page.clone(),
        candidate.get(&page).await.text().await.expect("body"),
    ));

    // The payloads' text reached the pages (so they were looked at), and nothing of them can run.
    for (page, body) in &bodies {
        let found = script_in(body);
        assert!(found.is_empty(), "{page} carries script: {found:#?}");
    }
    assert!(
        bodies
            .iter()
            .any(|(_, b)| b.contains("Which") && b.contains("option?")),
        "the stem was shown"
    );
    let result = &bodies.last().expect("the result page").1;
    assert!(
        result.contains("Explanation") && result.contains("learn.microsoft.com"),
        "the result shows the explanations"
    );
}

#[tokio::test]
async fn a_malformed_id_in_a_path_is_the_not_found_page_or_a_problem_document() {
    let app = TestApp::spawn().await;
    app.create_user("admin@example.com", Role::Admin).await;
    app.sign_in("admin@example.com", PASSWORD).await;
    let (token, _) = app.api_token_with_id("admin@example.com").await;
    for path in [
        "/attempts/not-a-uuid/review",
        "/attempts/00000000-0000-0000-0000-000000000000/items/x",
        "/instructor/packs/x",
        "/admin/users/1",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 404, "{path}");
        let html = r.text().await.expect("body");
        assert!(
            html.contains("<main"),
            "{path} is the site's error page: {html:.200}"
        );
    }
    let r = reqwest::Client::new()
        .get(app.url("/api/v1/attempts/not-a-uuid"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("API");
    assert_eq!(r.status(), 400, "the API says which parameter is malformed");
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
}

/// PostgreSQL refuses a NUL character in text and jsonb. Wherever one comes in (a JSON body, a query
/// string, a form, a path), the answer is a 4xx that says so, never a 500, and nothing is stored.
#[tokio::test]
async fn a_nul_character_in_any_input_is_a_clear_client_error_not_a_server_error() {
    let app = TestApp::spawn().await;
    app.create_user("cand@example.com", Role::Candidate).await;
    app.sign_in("cand@example.com", PASSWORD).await;
    let token = app.api_token("cand@example.com").await;
    let api = &app.api(&token);
    let join = |code: &'static str| {
        let body = serde_json::json!({ "code": code });
        async move {
            api.send(reqwest::Method::POST, "/api/v1/classes/join", Some(&body))
                .await
        }
    };

    let r = join("AB\u{0}CD").await;
    assert_eq!(r.status(), 422, "a NUL in a JSON body");
    let problem: serde_json::Value = r.json().await.expect("a problem document");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("NUL") && detail.contains("at byte 11"),
        "the detail says what and where: {detail}"
    );
    // An escaped backslash before `u0000` is text, and the code is merely unknown.
    let r = join("AB\\u0000CD").await;
    assert_eq!(r.status(), 404, "the text `\\u0000` is allowed");

    // A query string's text is the handler's: a search drops control characters (tests/it/pack_list.rs),
    // and what reaches PostgreSQL anyway is refused there and mapped to a 400.
    let r = api.get("/api/v1/plan?exam=AI%00103").await;
    assert!(
        r.status().is_client_error(),
        "a NUL in a query string: {}",
        r.status()
    );

    // A path parameter reaches SQL unchecked; the database's refusal is mapped to a 400.
    let r = api.post("/api/v1/forms/ai%00102/attempts").await;
    assert_eq!(r.status(), 400, "a NUL in a path parameter");

    let zone = "SELECT time_zone FROM users WHERE email = 'cand@example.com'";
    let zone_before: String = sqlx::query_scalar(zone)
        .fetch_one(&app.db)
        .await
        .expect("the account");
    let r = app
        .post_form(
            "/account",
            "/account/time-zone",
            &[("time_zone", "Europe/Paris\u{0}")],
        )
        .await;
    assert_eq!(r.status(), 400, "a NUL in a form field");
    let html = r.text().await.expect("body");
    assert!(
        html.contains("time_zone") && html.contains("NUL"),
        "the page names the field: {html:.600}"
    );
    let zone_after: String = sqlx::query_scalar(zone)
        .fetch_one(&app.db)
        .await
        .expect("the account");
    assert_eq!(zone_before, zone_after, "nothing was stored");
}
