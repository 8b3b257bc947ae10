//! The admin's accounts pages and audit log against the real app and a real PostgreSQL: search, role
//! changes, disabling, password resets, who may do them, and the audit trail they leave.

use crate::common::*;
use ai102::auth::Role;
use scraper::{Html, Selector};
use uuid::Uuid;

/// The app with a signed-in admin, `root@example.com`.
async fn app_with_admin() -> TestApp {
    let app = TestApp::spawn().await;
    app.create_user("root@example.com", Role::Admin).await;
    assert_eq!(
        app.sign_in("root@example.com", PASSWORD).await.status(),
        303
    );
    app
}

/// Creates an account with a name and a role (the password is `PASSWORD`).
async fn create_named(app: &TestApp, email: &str, name: &str, role: Role) -> Uuid {
    let hash = ai102::auth::password::hash(PASSWORD.into()).await.unwrap();
    let email = ai102::auth::Email::parse(email).unwrap();
    ai102::store::users::create(&app.db, &email, name, &hash, role)
        .await
        .unwrap()
        .expect("new user")
}

async fn role_of(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar("SELECT role FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// A browser signed in as `email` (password `PASSWORD`).
async fn signed_in(app: &TestApp, email: &str) -> TestApp {
    let b = app.other_browser();
    assert_eq!(b.sign_in(email, PASSWORD).await.status(), 303, "{email}");
    b
}

async fn html(app: &TestApp, path: &str) -> String {
    let resp = app.get(path).await;
    assert_eq!(resp.status(), 200, "GET {path}");
    resp.text().await.unwrap()
}

/// Posts one of the account page's forms as the admin.
async fn act(app: &TestApp, id: Uuid, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    app.post_form(
        &format!("/admin/users/{id}"),
        &format!("/admin/users/{id}/{action}"),
        fields,
    )
    .await
}

/// Follows a redirect and returns the page it leads to.
async fn follow(app: &TestApp, resp: reqwest::Response) -> String {
    assert_eq!(resp.status(), 303, "a redirect");
    html(app, &location(&resp)).await
}

/// The (who, action, target, detail) of each row of an audit page.
fn audit_rows(html: &str) -> Vec<[String; 4]> {
    let doc = Html::parse_document(html);
    let row = Selector::parse("tr[data-testid=audit-row]").unwrap();
    let cell = |name: &str| Selector::parse(&format!("[data-testid={name}]")).unwrap();
    let cells = [
        cell("audit-actor"),
        cell("audit-action"),
        cell("audit-target"),
        cell("audit-detail"),
    ];
    doc.select(&row)
        .map(|r| {
            cells.clone().map(|c| {
                r.select(&c)
                    .next()
                    .map(|e| e.text().collect::<String>().trim().to_owned())
                    .unwrap_or_default()
            })
        })
        .collect()
}

#[tokio::test]
async fn an_admin_lists_accounts_and_searches_them_by_email_name_and_role() {
    let app = app_with_admin().await;
    create_named(&app, "ann@example.com", "Ann Lee", Role::Candidate).await;
    create_named(&app, "bob@example.com", "Joanna Bobson", Role::Instructor).await;
    create_named(&app, "under_score@example.com", "Una", Role::Candidate).await;

    let all = html(&app, "/admin/users").await;
    let mut emails = texts(&all, "[data-testid=user-email]");
    emails.sort();
    assert_eq!(
        emails,
        [
            "ann@example.com",
            "bob@example.com",
            "root@example.com",
            "under_score@example.com"
        ]
    );

    // Any case, in the e-mail or in the name.
    let ann = html(&app, "/admin/users?q=ANN").await;
    let mut found = texts(&ann, "[data-testid=user-email]");
    found.sort();
    assert_eq!(found, ["ann@example.com", "bob@example.com"], "Joanna too");
    assert!(
        ann.contains(r#"value="ANN""#),
        "the search box keeps the query"
    );

    // Wildcards are taken literally.
    let underscore = html(&app, "/admin/users?q=_").await;
    assert_eq!(
        texts(&underscore, "[data-testid=user-email]"),
        ["under_score@example.com"]
    );
    let percent = html(&app, "/admin/users?q=%25").await;
    assert!(texts(&percent, "[data-testid=user-email]").is_empty());
    assert_eq!(texts(&percent, "[data-testid=no-users]").len(), 1);

    // By role, and both together.
    let instructors = html(&app, "/admin/users?role=instructor").await;
    assert_eq!(
        texts(&instructors, "[data-testid=user-email]"),
        ["bob@example.com"]
    );
    assert_eq!(
        texts(&instructors, "[data-testid=user-role]"),
        ["instructor"]
    );
    let none = html(&app, "/admin/users?role=admin&q=ann").await;
    assert!(texts(&none, "[data-testid=user-email]").is_empty());
    assert_eq!(app.get("/admin/users?role=owner").await.status(), 400);

    // The admin page links to the list and counts the accounts.
    let admin = html(&app, "/admin").await;
    assert_eq!(texts(&admin, "[data-testid=total]"), ["4"]);
    assert_eq!(texts(&admin, "a[data-testid=users-link]"), ["Users"]);
    assert_eq!(texts(&admin, "a[data-testid=audit-link]"), ["Audit log"]);
}

#[tokio::test]
async fn the_accounts_list_is_paged_fifty_at_a_time_and_the_pages_keep_the_search() {
    let app = app_with_admin().await;
    sqlx::query(
        "INSERT INTO users (id, email, display_name, password_hash, role, created_at)
         SELECT gen_random_uuid(), 'many' || n || '@example.com', 'Many ' || n, 'x', 'candidate',
                now() - make_interval(mins => n)
         FROM generate_series(1, 60) AS n",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let first = html(&app, "/admin/users?q=many").await;
    let rows = texts(&first, "[data-testid=user-email]");
    assert_eq!(rows.len(), 50);
    assert_eq!(rows[0], "many1@example.com", "newest first");
    assert!(texts(&first, "[data-testid=pager]")[0].contains("Page 1 of 2 (60 in all)"));
    let doc = Html::parse_document(&first);
    let next = doc
        .select(&Selector::parse("a[rel=next]").unwrap())
        .next()
        .and_then(|a| a.value().attr("href"))
        .expect("a next page link")
        .to_owned();
    assert_eq!(next, "/admin/users?q=many&page=2");
    let second = html(&app, &next).await;
    let rows = texts(&second, "[data-testid=user-email]");
    assert_eq!(rows.len(), 10);
    assert_eq!(rows[9], "many60@example.com");
    assert!(texts(&second, "a[rel=next]").is_empty());
    assert_eq!(texts(&second, "a[rel=prev]"), ["Previous page"]);
}

#[tokio::test]
async fn a_role_change_applies_from_the_users_next_request_and_is_audited() {
    let app = app_with_admin().await;
    let id = create_named(&app, "cara@example.com", "Cara", Role::Candidate).await;
    let cara = signed_in(&app, "cara@example.com").await;
    assert_eq!(cara.get("/instructor").await.status(), 403);

    let resp = act(&app, id, "role", &[("role", "instructor")]).await;
    assert_eq!(location(&resp), format!("/admin/users/{id}?done=role"));
    let page = follow(&app, resp).await;
    assert_eq!(
        texts(&page, "[data-testid=message]"),
        ["Role changed: cara@example.com is now instructor."]
    );
    assert_eq!(texts(&page, "[data-testid=role]"), ["instructor"]);
    assert_eq!(role_of(&app, "cara@example.com").await, "instructor");
    assert_eq!(
        cara.get("/instructor").await.status(),
        200,
        "the same session has the new role"
    );

    // Choosing the role the account already has changes and records nothing.
    let same = act(&app, id, "role", &[("role", "instructor")]).await;
    assert_eq!(location(&same), format!("/admin/users/{id}?done=unchanged"));
    let bad = act(&app, id, "role", &[("role", "owner")]).await;
    assert_eq!(bad.status(), 400);

    let audit = html(&app, "/admin/audit").await;
    assert_eq!(
        audit_rows(&audit),
        [[
            "root@example.com".to_owned(),
            "user.role_changed".into(),
            "cara@example.com".into(),
            "candidate → instructor".into()
        ]]
    );
    let detail: serde_json::Value =
        sqlx::query_scalar("SELECT detail FROM audit_log WHERE action = 'user.role_changed'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(
        detail,
        serde_json::json!({"old": "candidate", "new": "instructor"})
    );
}

#[tokio::test]
async fn disabling_ends_the_sessions_and_refuses_sign_in_until_the_account_is_enabled() {
    let app = app_with_admin().await;
    let id = create_named(&app, "dan@example.com", "Dan", Role::Candidate).await;
    let dan = signed_in(&app, "dan@example.com").await;
    assert_eq!(dan.get("/account").await.status(), 200);

    let page = follow(&app, act(&app, id, "disable", &[]).await).await;
    assert_eq!(texts(&page, "[data-testid=status]"), ["disabled"]);
    assert!(texts(&page, "[data-testid=message]")[0].contains("is disabled"));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM sessions WHERE user_id = '{id}'"
        ))
        .await,
        0,
        "the sessions are deleted on the server"
    );
    let after = dan.get("/account").await;
    assert_eq!(after.status(), 303);
    assert_eq!(location(&after), "/signin");
    let refused = app
        .other_browser()
        .sign_in("dan@example.com", PASSWORD)
        .await;
    assert_eq!(refused.status(), 401);
    let list = html(&app, "/admin/users?q=dan").await;
    assert_eq!(texts(&list, "[data-testid=user-status]"), ["disabled"]);

    let page = follow(&app, act(&app, id, "enable", &[]).await).await;
    assert_eq!(texts(&page, "[data-testid=status]"), ["active"]);
    assert_eq!(
        app.other_browser()
            .sign_in("dan@example.com", PASSWORD)
            .await
            .status(),
        303
    );

    let audit = html(&app, "/admin/audit?target=dan").await;
    let actions: Vec<_> = audit_rows(&audit)
        .into_iter()
        .map(|r| r[1].clone())
        .collect();
    assert_eq!(actions, ["user.enabled", "user.disabled"], "newest first");
    assert!(audit_rows(&audit)[1][3].contains("sessions_ended: 1"));
}

#[tokio::test]
async fn a_password_reset_ends_sessions_and_tokens_and_asks_for_a_new_password() {
    let app = app_with_admin().await;
    let id = create_named(&app, "eve@example.com", "Eve", Role::Candidate).await;
    let eve = signed_in(&app, "eve@example.com").await;
    let made = eve
        .post_form("/account", "/account/tokens", &[("name", "script")])
        .await;
    let token = texts(&made.text().await.unwrap(), "[data-testid=new-token]")
        .pop()
        .expect("a token");
    let api = reqwest::Client::new();
    let me = |t: String| {
        let api = api.clone();
        let url = app.url("/api/v1/me");
        async move { api.get(url).bearer_auth(t).send().await.unwrap().status() }
    };
    assert_eq!(me(token.clone()).await, 200);

    let resp = act(&app, id, "password", &[]).await;
    assert_eq!(resp.status(), 200);
    let page = resp.text().await.unwrap();
    let new_password = texts(&page, "[data-testid=new-password]")
        .pop()
        .expect("the new password is shown");
    assert_eq!(new_password.len(), 19);
    assert!(texts(&page, "[data-testid=message]")[0].contains("API tokens revoked"));
    assert!(
        texts(
            &html(&app, &format!("/admin/users/{id}")).await,
            "[data-testid=new-password]"
        )
        .is_empty(),
        "shown only once"
    );

    assert_eq!(eve.get("/account").await.status(), 303, "signed out");
    assert_eq!(me(token).await, 401, "the token is revoked");
    let fresh = app.other_browser();
    assert_eq!(
        fresh.sign_in("eve@example.com", PASSWORD).await.status(),
        401
    );
    let signed_in = fresh.sign_in("eve@example.com", &new_password).await;
    assert_eq!(signed_in.status(), 303);
    assert_eq!(
        location(&signed_in),
        "/account/password",
        "asked to choose their own password first"
    );
    let asked = html(&fresh, "/account/password").await;
    assert_eq!(texts(&asked, "[data-testid=reset-notice]").len(), 1);
    let changed = fresh
        .post_form(
            "/account/password",
            "/account/password",
            &[
                ("current", &new_password),
                ("password", "eve's very own phrase"),
                ("password_confirm", "eve's very own phrase"),
            ],
        )
        .await;
    assert_eq!(changed.status(), 200);
    assert!(texts(&changed.text().await.unwrap(), "[data-testid=reset-notice]").is_empty());
    let again = app
        .other_browser()
        .sign_in("eve@example.com", "eve's very own phrase")
        .await;
    assert_eq!(location(&again), "/", "asked only once");

    let audit = html(&app, "/admin/audit?action=user.password_reset").await;
    let rows = audit_rows(&audit);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][2], "eve@example.com");
    assert_eq!(rows[0][3], "sessions_ended: 1, tokens_revoked: 1");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM audit_log WHERE detail::text LIKE '%{new_password}%'"
        ))
        .await,
        0,
        "the password is never logged"
    );
}

#[tokio::test]
async fn an_admin_cannot_demote_disable_or_reset_themselves() {
    let app = app_with_admin().await;
    let me = user_id(&app, "root@example.com").await;
    let own = html(&app, &format!("/admin/users/{me}")).await;
    assert!(
        texts(&own, "[data-testid=role-form]").is_empty(),
        "no role form on one's own page"
    );

    let demote = act(&app, me, "role", &[("role", "candidate")]).await;
    assert_eq!(demote.status(), 409);
    let page = demote.text().await.unwrap();
    assert!(texts(&page, "[data-testid=error]")[0].contains("cannot change your own role"));
    let disable = act(&app, me, "disable", &[]).await;
    assert_eq!(disable.status(), 409);
    assert!(
        texts(&disable.text().await.unwrap(), "[data-testid=error]")[0]
            .contains("cannot disable your own account")
    );
    assert_eq!(act(&app, me, "password", &[]).await.status(), 409);

    assert_eq!(role_of(&app, "root@example.com").await, "admin");
    assert_eq!(app.get("/admin").await.status(), 200, "still signed in");
    assert_eq!(app.count("SELECT count(*) FROM audit_log").await, 0);

    // Another admin may demote this one.
    create_named(&app, "ops@example.com", "Ops", Role::Admin).await;
    let ops = signed_in(&app, "ops@example.com").await;
    let resp = act(&ops, me, "role", &[("role", "instructor")]).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(role_of(&app, "root@example.com").await, "instructor");
    assert_eq!(app.get("/admin").await.status(), 403);
}

#[tokio::test]
async fn the_store_never_demotes_or_disables_the_last_active_admin() {
    let app = TestApp::spawn().await;
    let only = create_named(&app, "root@example.com", "Root", Role::Admin).await;
    let actor = ai102::store::users::Actor {
        id: Uuid::new_v4(),
        email: "someone@example.com",
    };
    use ai102::store::users::{change_role, set_disabled, Change};
    assert_eq!(
        change_role(&app.db, actor, only, Role::Candidate)
            .await
            .unwrap(),
        Change::LastAdmin
    );
    assert_eq!(
        set_disabled(&app.db, actor, only, true).await.unwrap(),
        Change::LastAdmin
    );
    assert_eq!(role_of(&app, "root@example.com").await, "admin");
    assert_eq!(
        change_role(&app.db, actor, Uuid::new_v4(), Role::Candidate)
            .await
            .unwrap(),
        Change::NotFound
    );
}

#[tokio::test]
async fn candidates_and_instructors_get_403_and_visitors_are_sent_to_sign_in() {
    let app = TestApp::spawn().await;
    let target = create_named(&app, "tess@example.com", "Tess", Role::Candidate).await;
    create_named(&app, "cand@example.com", "Cand", Role::Candidate).await;
    create_named(&app, "inst@example.com", "Inst", Role::Instructor).await;
    let pages = [
        "/admin/users".to_owned(),
        "/admin/users?q=tess".into(),
        format!("/admin/users/{target}"),
        "/admin/audit".into(),
    ];
    let posts = [
        ("role", vec![("role", "admin")]),
        ("disable", vec![]),
        ("enable", vec![]),
        ("password", vec![]),
    ];
    for email in ["cand@example.com", "inst@example.com"] {
        let b = signed_in(&app, email).await;
        for p in &pages {
            assert_eq!(b.get(p).await.status(), 403, "{email} GET {p}");
        }
        for (action, fields) in &posts {
            let r = b
                .post_form(
                    "/account",
                    &format!("/admin/users/{target}/{action}"),
                    fields,
                )
                .await;
            assert_eq!(r.status(), 403, "{email} POST {action}");
        }
    }
    let anon = app.other_browser();
    for p in &pages {
        let r = anon.get(p).await;
        assert_eq!(r.status(), 303, "anonymous GET {p}");
        assert_eq!(location(&r), "/signin");
    }
    for (action, fields) in &posts {
        let r = anon
            .post_form(
                "/signin",
                &format!("/admin/users/{target}/{action}"),
                fields,
            )
            .await;
        assert_eq!(r.status(), 303, "anonymous POST {action}");
        assert_eq!(location(&r), "/signin");
    }
    assert_eq!(role_of(&app, "tess@example.com").await, "candidate");
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE disabled").await,
        0
    );
    assert_eq!(app.count("SELECT count(*) FROM audit_log").await, 0);
}

#[tokio::test]
async fn admin_forms_without_a_valid_csrf_token_are_refused_and_change_nothing() {
    let app = app_with_admin().await;
    let id = create_named(&app, "fay@example.com", "Fay", Role::Candidate).await;
    let other_token = app.other_browser().csrf("/signin").await;
    for (action, body) in [
        ("role", vec![("role", "admin")]),
        (
            "role",
            vec![("role", "admin"), ("csrf_token", other_token.as_str())],
        ),
        ("disable", vec![]),
        ("password", vec![("csrf_token", "0")]),
    ] {
        let r = app
            .client
            .post(app.url(&format!("/admin/users/{id}/{action}")))
            .form(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{action} {body:?}");
    }
    assert_eq!(role_of(&app, "fay@example.com").await, "candidate");
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE disabled").await,
        0
    );
    assert_eq!(
        app.other_browser()
            .sign_in("fay@example.com", PASSWORD)
            .await
            .status(),
        303,
        "the password is unchanged"
    );
    assert_eq!(app.count("SELECT count(*) FROM audit_log").await, 0);
}

#[tokio::test]
async fn the_audit_log_filters_by_actor_action_target_and_dates_newest_first() {
    let app = app_with_admin().await;
    let ann = create_named(&app, "ann@example.com", "Ann", Role::Candidate).await;
    let bob = create_named(&app, "bob@example.com", "Bob", Role::Candidate).await;
    let carl = create_named(&app, "carl@example.com", "Carl", Role::Candidate).await;
    create_named(&app, "ops@example.com", "Ops", Role::Admin).await;
    let ops = signed_in(&app, "ops@example.com").await;

    assert_eq!(
        act(&app, ann, "role", &[("role", "instructor")])
            .await
            .status(),
        303
    );
    assert_eq!(act(&ops, bob, "disable", &[]).await.status(), 303);
    assert_eq!(act(&app, carl, "password", &[]).await.status(), 200);

    let all = audit_rows(&html(&app, "/admin/audit").await);
    let actions: Vec<_> = all.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(
        actions,
        ["user.password_reset", "user.disabled", "user.role_changed"],
        "newest first"
    );

    let by_actor = audit_rows(&html(&app, "/admin/audit?actor=OPS%40").await);
    assert_eq!(by_actor.len(), 1);
    assert_eq!(by_actor[0][0], "ops@example.com");
    assert_eq!(by_actor[0][2], "bob@example.com");

    let by_action = audit_rows(&html(&app, "/admin/audit?action=user.role_changed").await);
    assert_eq!(by_action.len(), 1);
    assert_eq!(by_action[0][2], "ann@example.com");
    let page = html(&app, "/admin/audit?action=user.role_changed").await;
    let mut choices = texts(&page, "select#action option");
    choices.sort();
    assert_eq!(
        choices,
        [
            "Every action",
            "user.disabled",
            "user.password_reset",
            "user.role_changed"
        ]
    );

    let by_target = audit_rows(&html(&app, "/admin/audit?target=CARL").await);
    assert_eq!(by_target.len(), 1);
    assert_eq!(by_target[0][1], "user.password_reset");
    assert!(audit_rows(&html(&app, "/admin/audit?target=%25").await).is_empty());
    let both = audit_rows(&html(&app, "/admin/audit?actor=root&target=bob").await);
    assert!(both.is_empty(), "root did nothing to bob");

    // Dates are whole days: move one entry into the past instead of waiting.
    sqlx::query(
        "UPDATE audit_log SET created_at = '2020-01-15 23:30:00+00' WHERE action = 'user.disabled'",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let january = audit_rows(&html(&app, "/admin/audit?from=2020-01-15&to=2020-01-15").await);
    assert_eq!(january.len(), 1);
    assert_eq!(january[0][2], "bob@example.com");
    assert!(audit_rows(&html(&app, "/admin/audit?from=2020-01-16&to=2020-12-31").await).is_empty());
    assert!(audit_rows(&html(&app, "/admin/audit?to=2020-01-14").await).is_empty());
    let since = audit_rows(&html(&app, "/admin/audit?from=2021-01-01").await);
    assert_eq!(since.len(), 2);
    assert_eq!(app.get("/admin/audit?from=yesterday").await.status(), 400);
    assert_eq!(
        app.get("/admin/audit?from=2020-02-01&to=2020-01-01")
            .await
            .status(),
        400
    );

    // Fifty entries a page.
    sqlx::query(
        "INSERT INTO audit_log (actor, action, target, created_at)
         SELECT 'system', 'test.bulk', 'item ' || n, now() - interval '1 day' - make_interval(mins => n)
         FROM generate_series(1, 60) AS n",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let first = html(&app, "/admin/audit?action=test.bulk").await;
    assert_eq!(audit_rows(&first).len(), 50);
    assert_eq!(audit_rows(&first)[0][2], "item 1");
    let second = audit_rows(&html(&app, "/admin/audit?action=test.bulk&page=2").await);
    assert_eq!(second.len(), 10);
    assert_eq!(second[9][2], "item 60");
}

#[tokio::test]
async fn extra_time_set_by_an_admin_lengthens_the_candidates_next_exam_and_is_audited() {
    let app = app_with_admin().await;
    let pack = app.import_test_pack().await;
    TestForm::new("timed")
        .title("Timed form")
        .minutes(40)
        .create(&app, &[pack])
        .await;
    let id = create_named(&app, "ella@example.com", "Ella", Role::Candidate).await;

    // Out of range: refused with a message, nothing changes.
    for bad in ["-5", "101", "ten", ""] {
        let r = act(&app, id, "extra-time", &[("minutes", bad)]).await;
        assert_eq!(r.status(), 422, "{bad:?}");
        let page = r.text().await.unwrap();
        assert!(
            texts(&page, "[data-testid=error]")[0].contains("0 to 100"),
            "{bad:?}"
        );
    }
    assert_eq!(
        app.count("SELECT extra_time_minutes::bigint FROM users WHERE email = 'ella@example.com'")
            .await,
        0
    );

    let page = follow(
        &app,
        act(&app, id, "extra-time", &[("minutes", "30")]).await,
    )
    .await;
    assert_eq!(
        texts(&page, "[data-testid=message]"),
        ["ella@example.com now has 30 minutes of extra time on every timed exam they start."]
    );
    assert_eq!(
        texts(&page, "[data-testid=extra-time]"),
        ["+30 minutes on timed exams"]
    );

    // The candidate sees it on the exams page and gets 40 + 30 minutes, by the database's clock.
    let ella = signed_in(&app, "ella@example.com").await;
    let exams = html(&ella, "/exams").await;
    assert!(
        exams.contains("40 minutes + 30 minutes extra time"),
        "{exams}"
    );
    let r = ella.post_form("/exams", "/exams/timed/start", &[]).await;
    assert_eq!(r.status(), 303);
    let minutes: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM deadline - started_at)::float8 / 60 FROM attempts",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!((minutes - 70.0).abs() < 0.01, "{minutes} minutes");

    let audit = html(&app, "/admin/audit?action=user.extra_time_changed").await;
    let rows = audit_rows(&audit);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][0], "root@example.com");
    assert_eq!(rows[0][2], "ella@example.com");
    assert_eq!(rows[0][3], "0 → 30");
}
