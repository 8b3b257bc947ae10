//! Every audited action writes its change and its audit entry in one transaction. A failure injected after the
//! change (a trigger that refuses the action's audit entry, the last write of each action) must leave neither:
//! the tables are compared before and after. With the trigger gone, the same action goes through and leaves
//! its entry, so the test can tell the two apart.

use crate::common::*;
use ai102::auth::Role;
use ai102::store::users::Actor;
use uuid::Uuid;

const PACK: &str = include_str!("../fixtures/exam_pack.yaml");
const GIFT: &[u8] = include_bytes!("../import/gift/publishable.gift");

/// Everything an audited action may change (sessions aside: signing in is not audited).
const TABLES: &[&str] = &[
    "users",
    "packs",
    "pack_versions",
    "items",
    "item_revisions",
    "exam_forms",
    "form_packs",
    "item_reports",
    "uploads",
    "site_settings",
    "classes",
    "class_instructors",
    "class_members",
    "assignments",
    "assignment_overrides",
    "mail_outbox",
    "mail_tokens",
    "audit_log",
];

/// A digest of each table's rows.
async fn tables(app: &TestApp) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for table in TABLES {
        let digest: String = sqlx::query_scalar(&format!(
            "SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM {table} t"
        ))
        .fetch_one(&app.db)
        .await
        .unwrap();
        out.push((*table, digest));
    }
    out
}

/// From now on, the audit log refuses every entry of `action`, as a failing disk or a lost connection would
/// after the change was written.
async fn refuse_audit(app: &TestApp, action: &str) {
    sqlx::query(
        "CREATE OR REPLACE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'injected failure: audit entry % refused', NEW.action; END $$",
    )
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query(&format!(
        "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW
         WHEN (NEW.action = '{action}') EXECUTE FUNCTION refuse_audit()"
    ))
    .execute(&app.db)
    .await
    .unwrap();
}

async fn allow_audit(app: &TestApp) {
    sqlx::query("DROP TRIGGER refuse_audit ON audit_log")
        .execute(&app.db)
        .await
        .unwrap();
}

async fn entries(app: &TestApp, action: &str) -> i64 {
    app.count(&format!(
        "SELECT count(*) FROM audit_log WHERE action = '{action}'"
    ))
    .await
}

/// Runs `act` with `action`'s audit entry refused, and checks that nothing was written and that `act` said
/// so; then runs the same `act` again with the log working (nothing was written, so it has the same change to
/// make), and checks that it wrote its entry.
macro_rules! atomic {
    ($app:expr, $action:expr, $act:expr, $failed:expr) => {{
        let app: &TestApp = $app;
        let before = tables(app).await;
        let entries_before = entries(app, $action).await;
        refuse_audit(app, $action).await;
        let outcome = $act;
        assert!(
            $failed(&outcome),
            "{}: the refused entry must fail the action: {outcome:?}",
            $action
        );
        assert_eq!(
            tables(app).await,
            before,
            "{}: a change was written without its audit entry",
            $action
        );
        allow_audit(app).await;
        let outcome = $act;
        assert!(
            !$failed(&outcome),
            "{}: the action fails even with the log working: {outcome:?}",
            $action
        );
        assert_eq!(
            entries(app, $action).await,
            entries_before + 1,
            "{}: one entry once the log works",
            $action
        );
    }};
}

fn http_failed(status: &reqwest::StatusCode) -> bool {
    status.is_server_error()
}

fn err<T, E>(r: &Result<T, E>) -> bool {
    r.is_err()
}

async fn pack_id(app: &TestApp, key: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM packs WHERE pack_key = $1")
        .bind(key)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_instructors_change_and_its_audit_entry_are_written_together_or_not_at_all() {
    let app = TestApp::spawn().await;
    let ines = new_user(&app, "ines@example.com", Role::Instructor).await;
    assert_eq!(
        app.sign_in("ines@example.com", PASSWORD).await.status(),
        303
    );

    // An upload: the pack, its items and revisions, its version and its entry.
    atomic!(
        &app,
        "pack.upload",
        app.upload("exam_pack.yaml", PACK.as_bytes().to_vec(), "auto")
            .await
            .status(),
        http_failed
    );
    let exam_pack = pack_id(&app, "test-exam-pack").await;
    let pack_url = format!("/instructor/packs/{exam_pack}");

    // Publishing, and going back to draft.
    for status in ["published", "draft", "published"] {
        atomic!(
            &app,
            &format!("pack.{status}"),
            app.post_form(
                &pack_url,
                &format!("{pack_url}/status"),
                &[("status", status)]
            )
            .await
            .status(),
            http_failed
        );
    }

    // Editing an item: a new revision and its version.
    let edit_url = format!("{pack_url}/items/t-single/edit");
    let current = texts(
        &app.get(&edit_url).await.text().await.unwrap(),
        "textarea#text",
    )
    .remove(0);
    let edited = current.replace("Which option is right?", "Which option is the right one?");
    assert_ne!(edited, current);
    atomic!(
        &app,
        "item.edit",
        app.post_form(&edit_url, &edit_url, &[("text", &edited)])
            .await
            .status(),
        http_failed
    );

    // Placing a category of a GIFT file in an objective.
    let r = app.upload("publishable.gift", GIFT.to_vec(), "auto").await;
    assert_eq!(r.status(), 303);
    let gift_url = location(&r)
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    atomic!(
        &app,
        "pack.assign",
        app.post_form(
            &gift_url,
            &format!("{gift_url}/assign"),
            &[
                ("category", "AI-102/Vision"),
                ("objective", "vision.analyze")
            ],
        )
        .await
        .status(),
        http_failed
    );

    // A form over the published pack.
    let exam_pack_id = exam_pack.to_string();
    atomic!(
        &app,
        "form.create",
        {
            app.post_form(
                "/instructor/forms/new",
                "/instructor/forms",
                &[
                    ("title", "Drill"),
                    ("slug", "drill"),
                    ("pack", &exam_pack_id),
                    ("item_count", "3"),
                    ("duration", "15"),
                    ("case_studies", "0"),
                    ("cut_percent", "70"),
                    ("action", "create"),
                ],
            )
            .await
            .status()
        },
        http_failed
    );

    // Trial items: marking one, and promoting it back.
    for (action, trial) in [("item.trial", true), ("item.promote", false)] {
        atomic!(
            &app,
            action,
            ai102::store::bank::set_trial(
                &app.db,
                (ines.id, ines.email.as_str()),
                exam_pack,
                "t-single",
                trial
            )
            .await,
            err
        );
    }

    // A candidate's report on t-single's first revision, fixed (the item was edited since), and one on t-order,
    // rejected.
    app.create_user("cand@example.com", Role::Candidate).await;
    for (action, key) in [("report.fixed", "t-single"), ("report.rejected", "t-order")] {
        let id = report_typo(&app, "cand@example.com", exam_pack, key, Some(1)).await;
        atomic!(
            &app,
            action,
            {
                let actor = (ines.id, ines.email.as_str());
                if action == "report.fixed" {
                    ai102::store::reports::mark_fixed(&app.db, id, actor, key)
                        .await
                        .map(|r| r.is_some())
                } else {
                    ai102::store::reports::reject(&app.db, id, actor, key, "not a typo").await
                }
            },
            |r: &Result<bool, sqlx::Error>| !matches!(r, Ok(true))
        );
    }

    // Deleting a draft pack: its items, revisions and versions go, with one entry.
    let gift_pack: Uuid = sqlx::query_scalar("SELECT id FROM packs WHERE id <> $1")
        .bind(exam_pack)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let before = tables(&app).await;
    refuse_audit(&app, "pack.delete").await;
    let refused = ai102::packs::delete_drafts(&app.db, &ines, &[gift_pack]).await;
    assert!(
        refused.is_err(),
        "the refused entry fails the deletion: {refused:?}"
    );
    assert_eq!(tables(&app).await, before, "pack.delete without its entry");
    allow_audit(&app).await;
    let deleted = ai102::packs::delete_drafts(&app.db, &ines, &[gift_pack]).await;
    assert!(
        matches!(deleted, Ok(Ok(ref keys)) if keys.len() == 1),
        "{deleted:?}"
    );
    assert_eq!(entries(&app, "pack.delete").await, 1);

    // Last, archiving the published pack (nothing after this needs it published).
    atomic!(
        &app,
        "pack.archived",
        app.post_form(
            &pack_url,
            &format!("{pack_url}/status"),
            &[("status", "archived")]
        )
        .await
        .status(),
        http_failed
    );
}

#[tokio::test]
async fn an_admins_change_to_an_account_and_its_audit_entry_are_written_together_or_not_at_all() {
    let app = TestApp::spawn().await;
    let ada = new_user(&app, "ada@example.com", Role::Admin).await;
    let cand = new_user(&app, "cand@example.com", Role::Candidate).await;
    let actor = || Actor {
        id: ada.id,
        email: "ada@example.com",
    };
    use ai102::store::users;
    atomic!(
        &app,
        "user.extra_time_changed",
        users::set_extra_time(&app.db, actor(), cand.id, 15).await,
        err
    );
    atomic!(
        &app,
        "user.role_changed",
        users::change_role(&app.db, actor(), cand.id, Role::Instructor).await,
        err
    );
    // Disabling, then enabling again.
    for (action, disabled) in [("user.disabled", true), ("user.enabled", false)] {
        atomic!(
            &app,
            action,
            users::set_disabled(&app.db, actor(), cand.id, disabled).await,
            err
        );
    }
    atomic!(
        &app,
        "user.password_reset",
        users::reset_password(
            &app.db,
            actor(),
            cand.id,
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"
        )
        .await,
        err
    );
    // The site's publishing policy.
    atomic!(
        &app,
        "settings.publishing",
        ai102::store::settings::set_explanations_required(
            &app.db,
            true,
            ai102::store::bank::Audit {
                actor: Some((ada.id, "ada@example.com")),
                action: "settings.publishing",
                target: "explanations",
                detail: serde_json::json!({ "required": true }),
            }
        )
        .await,
        err
    );
}

#[tokio::test]
async fn a_change_to_a_class_and_its_audit_entry_are_written_together_or_not_at_all() {
    use ai102::store::classes::{self, AnswersShown, NewAssignment, NewClass};
    let app = TestApp::spawn().await;
    let ines = new_user(&app, "ines@example.com", Role::Instructor).await;
    let cara = new_user(&app, "cara@example.com", Role::Candidate).await;
    new_user(&app, "ivo@example.com", Role::Instructor).await;
    let actor = || ai102::store::users::Actor {
        id: ines.id,
        email: "ines@example.com",
    };
    let cara_actor = ai102::store::users::Actor {
        id: cara.id,
        email: "cara@example.com",
    };
    let new_class = || NewClass {
        name: "Evening cohort",
        exam_code: "AI-103",
        starts_on: None,
        ends_on: None,
    };
    atomic!(
        &app,
        "class.created",
        classes::create(&app.db, actor(), new_class()).await,
        err
    );
    let class: Uuid = sqlx::query_scalar("SELECT id FROM classes LIMIT 1")
        .fetch_one(&app.db)
        .await
        .unwrap();
    atomic!(
        &app,
        "class.member_joined",
        classes::join(&app.db, class, cara_actor).await,
        err
    );
    atomic!(
        &app,
        "class.member_left",
        classes::remove_member(&app.db, cara_actor, class, cara.id).await,
        |r: &Result<bool, sqlx::Error>| !matches!(r, Ok(true))
    );
    atomic!(
        &app,
        "class.members_added",
        classes::add_members(&app.db, actor(), class, &["cara@example.com".to_owned()]).await,
        err
    );
    atomic!(
        &app,
        "class.instructor_added",
        classes::add_instructor(&app.db, actor(), class, "ivo@example.com").await,
        err
    );
    atomic!(
        &app,
        "class.updated",
        classes::update(
            &app.db,
            actor(),
            class,
            &classes::ClassSettings {
                name: "Evening cohort B".into(),
                starts_on: None,
                ends_on: None,
                join_enabled: false,
                join_expires_at: None,
                seat_limit: Some(30),
            }
        )
        .await,
        err
    );
    atomic!(
        &app,
        "class.join_code_regenerated",
        classes::regenerate_code(&app.db, actor(), class).await,
        err
    );
    let pack = app.import_test_pack().await;
    let form = TestForm::new("class-form").create(&app, &[pack]).await;
    let assignment = NewAssignment {
        form_id: form,
        opens_at: None,
        closes_at: None,
        max_attempts: Some(2),
        answers_shown: AnswersShown::Never,
    };
    atomic!(
        &app,
        "class.assignment_created",
        classes::create_assignment(&app.db, actor(), class, &assignment).await,
        err
    );
    let row = classes::assignments(&app.db, class)
        .await
        .unwrap()
        .remove(0);
    atomic!(
        &app,
        "class.override_set",
        classes::set_override(&app.db, actor(), &row, cara.id, 1, None).await,
        err
    );
    atomic!(
        &app,
        "class.assignment_updated",
        classes::update_assignment(
            &app.db,
            actor(),
            &row,
            &NewAssignment {
                max_attempts: Some(3),
                ..assignment
            }
        )
        .await,
        err
    );
    atomic!(
        &app,
        "form.visibility_changed",
        classes::set_form_visibility(
            &app.db,
            actor(),
            form,
            ai102::store::exam::Visibility::Class
        )
        .await,
        err
    );
    atomic!(
        &app,
        "class.archived",
        classes::set_archived(&app.db, actor(), class, true).await,
        err
    );
    // Retention, and a person deleting their own account (the entry names neither them nor their address).
    atomic!(
        &app,
        "settings.retention",
        ai102::store::own_data::set_retention(
            &app.db,
            ai102::store::own_data::Retention {
                attempts_days: Some(365),
                audit_days: None,
                mail_days: Some(30),
            },
            actor()
        )
        .await,
        err
    );
    atomic!(
        &app,
        "settings.email_verification",
        ai102::store::mail::set_verification(&app.db, ai102::mail::Verification::Required, actor())
            .await,
        err
    );
    atomic!(
        &app,
        "user.deleted",
        ai102::store::own_data::delete_account(&app.db, cara.id).await,
        err
    );
}
