//! The admin area: the summary, accounts (search, role, disable, password reset) and the audit log.

use super::Path;
use super::{render, Layout};
use crate::auth::session::{CsrfForm, RequireAdmin, Session, User};
use crate::auth::{self, password, Role};
use crate::error::{AppError, AppResult};
use crate::store::audit::{AuditFilter, AuditRow};
use crate::store::users::{Actor, Change, UserCounts, UserFilter, UserRow};
use crate::{store, AppState};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

/// Rows per page of the accounts list and of the audit log.
pub const PAGE_SIZE: i64 = 50;

// ---- Summary ------------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/index.html")]
pub struct AdminPage {
    pub layout: Layout,
    pub counts: UserCounts,
    pub recent: Vec<AuditView>,
    /// Instructors' packs need an explanation and a reference on every item before publishing.
    pub explanations_required: bool,
    /// The publishing setting was just saved.
    pub saved: bool,
    /// How long finished attempts and audit entries are kept.
    pub retention: store::own_data::Retention,
    /// The retention was just saved.
    pub retention_saved: bool,
    /// The address-confirmation setting (`required`, `optional`, `off`).
    pub verification: &'static str,
    pub mail_saved: bool,
    /// PUBLIC_BASE_URL is set.
    pub mail_links: bool,
    /// No SMTP server: mail is held in the outbox.
    pub mail_held: bool,
}

#[derive(Deserialize, Default)]
pub struct AdminQuery {
    #[serde(default)]
    saved: Option<String>,
}

pub async fn index(
    State(state): State<AppState>,
    RequireAdmin(_, session): RequireAdmin,
    Query(q): Query<AdminQuery>,
) -> AppResult<Html<String>> {
    let counts = store::users::counts(&state.db).await?;
    let (recent, _) = store::audit::search(&state.db, &AuditFilter::default(), 5, 0).await?;
    render(&AdminPage {
        layout: Layout::from_session(&session),
        counts,
        recent: recent.into_iter().map(AuditView::from).collect(),
        explanations_required: store::settings::explanations_required(&state.db).await?,
        saved: q.saved.as_deref() == Some("publishing"),
        retention: store::own_data::retention(&state.db).await?,
        retention_saved: q.saved.as_deref() == Some("retention"),
        verification: store::mail::verification(&state.db).await?.as_str(),
        mail_saved: q.saved.as_deref() == Some("mail"),
        mail_links: state.mail.sends_links(),
        mail_held: state.mail.holds_mail(),
    })
}

#[derive(Deserialize)]
pub struct MailSettingsForm {
    #[serde(default)]
    verification: String,
}

/// POST /admin/settings/mail: whether new accounts confirm their address. Audited.
pub async fn set_mail(
    State(state): State<AppState>,
    RequireAdmin(admin, _): RequireAdmin,
    CsrfForm(form): CsrfForm<MailSettingsForm>,
) -> AppResult<Redirect> {
    let mode = crate::mail::Verification::parse(&form.verification).ok_or_else(|| {
        AppError::BadRequest(format!(
            "`{}` is not a choice: required, optional or off",
            form.verification
        ))
    })?;
    let actor = Actor {
        id: admin.id,
        email: &admin.email,
    };
    store::mail::set_verification(&state.db, mode, actor).await?;
    Ok(Redirect::to("/admin?saved=mail"))
}

#[derive(Template)]
#[template(path = "admin/outbox.html")]
pub struct OutboxPage {
    pub layout: Layout,
    /// No SMTP server: this is a development set-up and the bodies are readable here.
    pub held: bool,
    pub counts: Vec<(String, i64)>,
    pub rows: Vec<store::mail::OutboxRow>,
    pub requeued: bool,
}

/// GET /admin/outbox: the newest mail, failed first; with no SMTP server, the messages themselves.
pub async fn outbox(
    State(state): State<AppState>,
    RequireAdmin(_, session): RequireAdmin,
    Query(q): Query<AdminQuery>,
) -> AppResult<Html<String>> {
    render(&OutboxPage {
        layout: Layout::from_session(&session),
        held: state.mail.holds_mail(),
        counts: store::mail::outbox_counts(&state.db).await?,
        rows: store::mail::outbox(&state.db, 200).await?,
        requeued: q.saved.as_deref() == Some("requeued"),
    })
}

/// POST /admin/outbox/{id}/retry: puts a failed message back in the queue. Audited.
pub async fn retry_mail(
    State(state): State<AppState>,
    RequireAdmin(admin, _): RequireAdmin,
    Path(id): Path<Uuid>,
    CsrfForm(_): CsrfForm<super::auth::Empty>,
) -> AppResult<Redirect> {
    let mut tx = state.db.begin().await?;
    if !store::mail::requeue(&mut *tx, id).await? {
        return Err(AppError::NotFound);
    }
    store::bank::audit(
        &mut *tx,
        Some((admin.id, admin.email.as_str())),
        "mail.requeued",
        &id.to_string(),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    state.mail.wake();
    Ok(Redirect::to("/admin/outbox?saved=requeued"))
}

#[derive(Deserialize)]
pub struct PublishingForm {
    explanations: String,
}

/// POST /admin/settings/publishing: whether instructors' packs need an explanation and a reference on every
/// item before publishing (`required`) or only get a warning (`recommended`). Audited.
pub async fn set_publishing(
    State(state): State<AppState>,
    RequireAdmin(admin, _): RequireAdmin,
    CsrfForm(form): CsrfForm<PublishingForm>,
) -> AppResult<Redirect> {
    let required = match form.explanations.as_str() {
        "required" => true,
        "recommended" => false,
        other => {
            return Err(AppError::BadRequest(format!(
                "`{other}` is not a choice: required or recommended"
            )))
        }
    };
    store::settings::set_explanations_required(
        &state.db,
        required,
        store::bank::Audit {
            actor: Some((admin.id, admin.email.as_str())),
            action: "settings.publishing",
            target: "explanations",
            detail: serde_json::json!({ "required": required }),
        },
    )
    .await?;
    Ok(Redirect::to("/admin?saved=publishing"))
}

#[derive(Deserialize)]
pub struct RetentionForm {
    #[serde(default)]
    keep_attempts_days: String,
    #[serde(default)]
    keep_audit_days: String,
    #[serde(default)]
    keep_mail_days: String,
}

/// POST /admin/settings/retention: how many days finished attempts and audit entries are kept (empty: for
/// ever); the daily job deletes what is older. Audited.
pub async fn set_retention(
    State(state): State<AppState>,
    RequireAdmin(admin, _): RequireAdmin,
    CsrfForm(form): CsrfForm<RetentionForm>,
) -> AppResult<Redirect> {
    let days = |raw: &str, what: &str| -> AppResult<Option<i32>> {
        match raw.trim() {
            "" => Ok(None),
            n => n
                .parse::<i32>()
                .ok()
                .filter(|d| (1..=36500).contains(d))
                .map(Some)
                .ok_or_else(|| {
                    AppError::BadRequest(format!(
                        "{what} must be a number of days from 1 to 36500, or empty to keep them for ever"
                    ))
                }),
        }
    };
    let retention = store::own_data::Retention {
        attempts_days: days(
            &form.keep_attempts_days,
            "How long finished attempts are kept",
        )?,
        audit_days: days(&form.keep_audit_days, "How long audit entries are kept")?,
        mail_days: days(
            &form.keep_mail_days,
            "How long sent and failed mail is kept",
        )?,
    };
    let actor = Actor {
        id: admin.id,
        email: &admin.email,
    };
    store::own_data::set_retention(&state.db, retention, actor).await?;
    Ok(Redirect::to("/admin?saved=retention"))
}

// ---- Paging -------------------------------------------------------------------------------------------------

/// Where a list is, and the links to its neighbouring pages (which keep the list's filters).
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    pub fn new(path: &str, filters: &[(&str, &str)], page: i64, total: i64) -> Pager {
        let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
        let link = |p: i64| {
            let mut pairs: Vec<(&str, String)> = filters
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (*k, (*v).to_owned()))
                .collect();
            pairs.push(("page", p.to_string()));
            format!(
                "{path}?{}",
                serde_urlencoded::to_string(&pairs).unwrap_or_default()
            )
        };
        Pager {
            page,
            pages,
            total,
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
        }
    }
}

/// The page number of a query (1 when absent or not a number).
pub fn page_number(raw: Option<&str>) -> i64 {
    raw.and_then(|p| p.trim().parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, 1_000_000)
}

// ---- Accounts -----------------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct UsersQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub page: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    pub layout: Layout,
    pub q: String,
    pub role: String,
    pub users: Vec<UserRow>,
    /// Each account's creation, in the admin's time zone.
    pub joined: Vec<String>,
    pub pager: Pager,
}

pub async fn users(
    State(state): State<AppState>,
    RequireAdmin(admin, session): RequireAdmin,
    Query(query): Query<UsersQuery>,
) -> AppResult<Html<String>> {
    let role = match query.role.as_str() {
        "" => None,
        r => Some(Role::parse(r)?),
    };
    let q: String = query.q.trim().chars().take(254).collect();
    let page = page_number(query.page.as_deref());
    let filter = UserFilter {
        text: q.clone(),
        role,
    };
    let (users, total) =
        store::users::search(&state.db, &filter, PAGE_SIZE, (page - 1) * PAGE_SIZE).await?;
    let pager = Pager::new(
        "/admin/users",
        &[("q", &q), ("role", &query.role)],
        page,
        total,
    );
    let created: Vec<_> = users.iter().map(|u| u.created_at).collect();
    let joined = store::users::local_times(&state.db, admin.id, &created)
        .await?
        .into_iter()
        .map(|t| t.chars().take(10).collect())
        .collect();
    render(&UsersPage {
        layout: Layout::from_session(&session),
        q,
        role: query.role,
        users,
        joined,
        pager,
    })
}

#[derive(Template)]
#[template(path = "admin/user.html")]
pub struct UserPage {
    pub layout: Layout,
    pub u: UserRow,
    /// When the account was created, in the admin's time zone.
    pub joined: String,
    /// What the last action did (after its redirect).
    pub message: Option<String>,
    pub error: Option<String>,
    /// A password just generated by a reset: shown once, never stored in clear.
    pub new_password: Option<String>,
    /// The page is the signed-in admin's own account: the forms that would lock them out are not offered.
    pub is_self: bool,
    pub roles: [&'static str; 3],
    pub max_extra: i32,
}

async fn user_page(
    state: &AppState,
    admin: &User,
    session: &Session,
    id: Uuid,
) -> AppResult<UserPage> {
    let u = store::users::by_id(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let joined = store::users::local_times(&state.db, admin.id, &[u.created_at])
        .await?
        .pop()
        .unwrap_or_default();
    Ok(UserPage {
        layout: Layout::from_session(session),
        joined,
        is_self: u.id == admin.id,
        u,
        message: None,
        error: None,
        new_password: None,
        roles: [
            Role::Candidate.as_str(),
            Role::Instructor.as_str(),
            Role::Admin.as_str(),
        ],
        max_extra: store::users::MAX_EXTRA_TIME_MINUTES,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct UserQuery {
    #[serde(default)]
    pub done: String,
}

pub async fn user(
    State(state): State<AppState>,
    RequireAdmin(admin, session): RequireAdmin,
    Path(id): Path<Uuid>,
    Query(query): Query<UserQuery>,
) -> AppResult<Html<String>> {
    let mut page = user_page(&state, &admin, &session, id).await?;
    let email = &page.u.email;
    page.message = match query.done.as_str() {
        "role" => Some(format!("Role changed: {email} is now {}.", page.u.role)),
        "disabled" => Some(format!(
            "{email} is disabled: their sessions were ended and they cannot sign in."
        )),
        "enabled" => Some(format!("{email} is enabled and can sign in again.")),
        "extra_time" => Some(match page.u.extra_time_minutes {
            0 => format!("{email} has no extra time."),
            m => {
                format!("{email} now has {m} minutes of extra time on every timed exam they start.")
            }
        }),
        "unchanged" => Some("Nothing to change: the account already was that way.".into()),
        _ => None,
    };
    render(&page)
}

/// Re-renders an account's page with an error the admin can act on.
async fn refuse(
    state: &AppState,
    admin: &User,
    session: &Session,
    id: Uuid,
    status: StatusCode,
    error: &str,
) -> AppResult<Response> {
    let mut page = user_page(state, admin, session, id).await?;
    page.error = Some(error.to_owned());
    Ok((status, render(&page)?).into_response())
}

/// Where an action goes next: the account's page with what was done, or an error for the admin.
async fn after_change(
    state: &AppState,
    admin: &User,
    session: &Session,
    id: Uuid,
    change: Change,
    done: &str,
) -> AppResult<Response> {
    match change {
        Change::Done => Ok(Redirect::to(&format!("/admin/users/{id}?done={done}")).into_response()),
        Change::Unchanged => {
            Ok(Redirect::to(&format!("/admin/users/{id}?done=unchanged")).into_response())
        }
        Change::NotFound => Err(AppError::NotFound),
        Change::LastAdmin => {
            refuse(
                state,
                admin,
                session,
                id,
                StatusCode::CONFLICT,
                "This is the last active admin: make another account an admin first.",
            )
            .await
        }
    }
}

fn actor(admin: &User) -> Actor<'_> {
    Actor {
        id: admin.id,
        email: &admin.email,
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub async fn change_role(
    State(state): State<AppState>,
    RequireAdmin(admin, session): RequireAdmin,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<RoleForm>,
) -> AppResult<Response> {
    let role = Role::parse(form.role.trim())?;
    if id == admin.id && role != Role::Admin {
        return refuse(
            &state,
            &admin,
            &session,
            id,
            StatusCode::CONFLICT,
            "You cannot change your own role: ask another admin, so that the service always has one.",
        )
        .await;
    }
    let change = store::users::change_role(&state.db, actor(&admin), id, role).await?;
    after_change(&state, &admin, &session, id, change, "role").await
}

#[derive(Deserialize)]
pub struct ExtraTimeForm {
    #[serde(default)]
    minutes: String,
}

/// Sets an account's extra time on timed exams (an accommodation, e.g. +30 minutes), 0 to remove it.
pub async fn set_extra_time(
    State(state): State<AppState>,
    RequireAdmin(admin, session): RequireAdmin,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<ExtraTimeForm>,
) -> AppResult<Response> {
    let max = store::users::MAX_EXTRA_TIME_MINUTES;
    let Some(minutes) = form
        .minutes
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|m| (0..=max).contains(m))
    else {
        return refuse(
            &state,
            &admin,
            &session,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("Extra time is a whole number of minutes from 0 to {max}."),
        )
        .await;
    };
    let change = store::users::set_extra_time(&state.db, actor(&admin), id, minutes).await?;
    after_change(&state, &admin, &session, id, change, "extra_time").await
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn disable(
    State(state): State<AppState>,
    RequireAdmin(admin, session): RequireAdmin,
    Path(id): Path<Uuid>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<Response> {
    if id == admin.id {
        return refuse(
            &state,
            &admin,
            &session,
            id,
            StatusCode::CONFLICT,
            "You cannot disable your own account: ask another admin.",
        )
        .await;
    }
    let change = store::users::set_disabled(&state.db, actor(&admin), id, true).await?;
    after_change(&state, &admin, &session, id, change, "disabled").await
}

pub async fn enable(
    State(state): State<AppState>,
    RequireAdmin(admin, session): RequireAdmin,
    Path(id): Path<Uuid>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<Response> {
    let change = store::users::set_disabled(&state.db, actor(&admin), id, false).await?;
    after_change(&state, &admin, &session, id, change, "enabled").await
}

/// Resets a password to a generated one, shown to the admin once. Admins set no password of their own
/// choosing: a generated one is strong, and nobody is tempted to reuse one they know.
pub async fn reset_password(
    State(state): State<AppState>,
    RequireAdmin(admin, session): RequireAdmin,
    Path(id): Path<Uuid>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<Response> {
    if id == admin.id {
        return refuse(
            &state,
            &admin,
            &session,
            id,
            StatusCode::CONFLICT,
            "Change your own password on your account page, where your current password is asked for.",
        )
        .await;
    }
    let temporary = auth::temporary_password();
    let hash = password::hash(temporary.clone())
        .await
        .map_err(AppError::Internal)?;
    match store::users::reset_password(&state.db, actor(&admin), id, &hash).await? {
        Change::NotFound => Err(AppError::NotFound),
        _ => {
            let mut page = user_page(&state, &admin, &session, id).await?;
            page.message = Some(format!(
                "The password of {} is reset: their sessions were ended and their API tokens revoked.",
                page.u.email
            ));
            page.new_password = Some(temporary);
            Ok(render(&page)?.into_response())
        }
    }
}

// ---- Audit log ----------------------------------------------------------------------------------------------

/// An audit entry as shown: the detail as `key: value` pairs.
pub struct AuditView {
    pub row: AuditRow,
    pub detail: String,
    pub when: String,
}

impl From<AuditRow> for AuditView {
    fn from(row: AuditRow) -> Self {
        AuditView {
            detail: detail_text(&row.detail),
            when: format!(
                "{} {:02}:{:02} UTC",
                row.created_at.date(),
                row.created_at.hour(),
                row.created_at.minute()
            ),
            row,
        }
    }
}

/// `{"old": "candidate", "new": "admin", "n": 2}` as `candidate → admin, n: 2`: a change first, then the
/// other pairs by key.
fn detail_text(v: &serde_json::Value) -> String {
    let plain = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let serde_json::Value::Object(map) = v else {
        return plain(v);
    };
    let mut parts = vec![];
    if let (Some(old), Some(new)) = (map.get("old"), map.get("new")) {
        parts.push(format!("{} → {}", plain(old), plain(new)));
    }
    let mut rest: Vec<_> = map
        .iter()
        .filter(|(k, _)| parts.is_empty() || (k.as_str() != "old" && k.as_str() != "new"))
        .collect();
    rest.sort_by(|a, b| a.0.cmp(b.0));
    parts.extend(rest.into_iter().map(|(k, v)| format!("{k}: {}", plain(v))));
    parts.join(", ")
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub page: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
pub struct AuditPage {
    pub layout: Layout,
    pub q: AuditQuery,
    pub actions: Vec<String>,
    pub entries: Vec<AuditView>,
    pub pager: Pager,
}

pub async fn audit(
    State(state): State<AppState>,
    RequireAdmin(admin, session): RequireAdmin,
    Query(q): Query<AuditQuery>,
) -> AppResult<Html<String>> {
    let date = |s: &str, which: &str| -> AppResult<_> {
        if s.trim().is_empty() {
            return Ok(None);
        }
        super::analytics::parse_date(s).map(Some).ok_or_else(|| {
            AppError::BadRequest(format!("the {which} date is not a date like 2025-03-31"))
        })
    };
    let filter = AuditFilter {
        actor: q.actor.chars().take(254).collect(),
        action: q.action.chars().take(100).collect(),
        target: q.target.chars().take(254).collect(),
        from: date(&q.from, "from")?,
        to: date(&q.to, "to")?,
    };
    if let (Some(from), Some(to)) = (filter.from, filter.to) {
        if from > to {
            return Err(AppError::BadRequest(
                "the start of the range is after its end".into(),
            ));
        }
    }
    let page = page_number(q.page.as_deref());
    let (rows, total) =
        store::audit::search(&state.db, &filter, PAGE_SIZE, (page - 1) * PAGE_SIZE).await?;
    let actions = store::audit::actions(&state.db).await?;
    let pager = Pager::new(
        "/admin/audit",
        &[
            ("actor", &q.actor),
            ("action", &q.action),
            ("target", &q.target),
            ("from", &q.from),
            ("to", &q.to),
        ],
        page,
        total,
    );
    // Shown in the admin's own time zone.
    let instants: Vec<_> = rows.iter().map(|r| r.created_at).collect();
    let local = store::users::local_times(&state.db, admin.id, &instants).await?;
    let zone = store::users::time_zone(&state.db, admin.id).await?;
    let entries = rows
        .into_iter()
        .zip(local)
        .map(|(row, when)| AuditView {
            when: format!("{when} {zone}"),
            ..AuditView::from(row)
        })
        .collect();
    render(&AuditPage {
        layout: Layout::from_session(&session),
        q,
        actions,
        entries,
        pager,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pager_links_keep_the_filters_and_stop_at_the_ends() {
        let p = Pager::new("/admin/users", &[("q", "a&b"), ("role", "")], 1, 120);
        assert_eq!(p.pages, 3);
        assert_eq!(p.prev, None);
        assert_eq!(p.next.as_deref(), Some("/admin/users?q=a%26b&page=2"));
        let last = Pager::new("/admin/users", &[], 3, 120);
        assert_eq!(last.prev.as_deref(), Some("/admin/users?page=2"));
        assert_eq!(last.next, None);
        assert_eq!(Pager::new("/admin/audit", &[], 1, 0).pages, 1);
    }

    #[test]
    fn page_numbers_are_forgiving() {
        assert_eq!(page_number(None), 1);
        assert_eq!(page_number(Some("3")), 3);
        assert_eq!(page_number(Some("-2")), 1);
        assert_eq!(page_number(Some("x")), 1);
    }

    #[test]
    fn audit_detail_reads_as_pairs() {
        let v = serde_json::json!({"old": "candidate", "new": "admin", "n": 2});
        assert_eq!(detail_text(&v), "candidate → admin, n: 2");
        let v = serde_json::json!({"tokens": 1, "file": "a.csv"});
        assert_eq!(detail_text(&v), "file: a.csv, tokens: 1");
        assert_eq!(detail_text(&serde_json::json!("x")), "x");
    }
}

// ---- Forms: which are public ----------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/forms.html")]
pub struct FormsPage {
    pub layout: Layout,
    pub forms: Vec<store::classes::AdminFormRow>,
    pub saved: bool,
}

/// GET /admin/forms: every form, with the requests to make one public first; any public form can be made
/// class-only.
pub async fn forms(
    State(state): State<AppState>,
    RequireAdmin(_, session): RequireAdmin,
    Query(q): Query<AdminQuery>,
) -> AppResult<Html<String>> {
    render(&FormsPage {
        layout: Layout::from_session(&session),
        forms: store::classes::forms_for_admin(&state.db).await?,
        saved: q.saved.is_some(),
    })
}

#[derive(Deserialize)]
pub struct VisibilityForm {
    #[serde(default)]
    visibility: String,
}

/// POST /admin/forms/{id}/visibility: makes a form public or class-only. Audited.
pub async fn set_form_visibility(
    State(state): State<AppState>,
    RequireAdmin(admin, _): RequireAdmin,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<VisibilityForm>,
) -> AppResult<Redirect> {
    let visibility = store::exam::Visibility::parse(&form.visibility).ok_or_else(|| {
        AppError::BadRequest(format!(
            "`{}` is not a choice: public or class",
            form.visibility
        ))
    })?;
    let actor = Actor {
        id: admin.id,
        email: &admin.email,
    };
    if !store::classes::set_form_visibility(&state.db, actor, id, visibility).await? {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to("/admin/forms?saved=forms"))
}

#[derive(Deserialize)]
pub struct RequestAnswer {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

/// POST /admin/forms/{id}/request: approves an instructor's request to make their form public, or refuses it
/// with a reason. Audited.
pub async fn answer_form_request(
    State(state): State<AppState>,
    RequireAdmin(admin, _): RequireAdmin,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<RequestAnswer>,
) -> AppResult<Redirect> {
    let approve = match form.decision.as_str() {
        "approve" => true,
        "refuse" => false,
        other => {
            return Err(AppError::BadRequest(format!(
                "`{other}` is not a choice: approve or refuse"
            )))
        }
    };
    let reason = form.reason.trim();
    if !approve && reason.is_empty() {
        return Err(AppError::BadRequest(
            "Say why the request is refused: the instructor reads the reason.".into(),
        ));
    }
    if reason.chars().count() > 2000 {
        return Err(AppError::BadRequest(
            "The reason is too long (2,000 characters at most).".into(),
        ));
    }
    let actor = Actor {
        id: admin.id,
        email: &admin.email,
    };
    if !store::classes::answer_public_request(&state.db, actor, id, approve, reason).await? {
        return Err(AppError::Conflict(
            "This form has no pending request to be public.".into(),
        ));
    }
    Ok(Redirect::to("/admin/forms?saved=forms"))
}
