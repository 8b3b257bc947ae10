//! Classes: the instructor's pages (the list, a class with its join link, members, co-instructors and
//! assignments) and the candidate's (join by link, leave, start an assignment). Thin handlers over `classes`;
//! the gradebook is in `analytics::gradebook`.

use super::{render, Layout, Path};
use crate::auth::session::{CsrfForm, CurrentUser, RequireInstructor, Session, User};
use crate::auth::Role;
use crate::classes::{self, LineResult};
use crate::error::{AppError, AppResult};
use crate::store::classes::{
    self as store, AnswersShown, AssignmentRow, ClassRow, ClassSettings, JoinOutcome, OverrideRow,
    PersonRow, Staff,
};
use crate::store::exam::FormRow;
use crate::store::exams::ExamRow;
use crate::AppState;
use askama::Template;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Template)]
#[template(path = "classes/index.html")]
pub struct ClassesPage {
    pub layout: Layout,
    pub classes: Vec<ClassRow>,
    pub exams: Vec<ExamRow>,
    pub error: Option<String>,
}

async fn classes_page(
    state: &AppState,
    user: &User,
    session: &Session,
    error: Option<String>,
) -> AppResult<ClassesPage> {
    let staff = (user.role != Role::Admin).then_some(user.id);
    Ok(ClassesPage {
        layout: Layout::from_session(session),
        classes: store::of_staff(&state.db, staff).await?,
        exams: crate::store::exams::list(&state.db).await?,
        error,
    })
}

/// GET /instructor/classes: the instructor's classes (an admin's: every class) and the new-class form.
pub async fn index(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
) -> AppResult<Html<String>> {
    render(&classes_page(&state, &user, &session, None).await?)
}

#[derive(Deserialize)]
pub struct NewClassForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    exam: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
}

/// POST /instructor/classes: creates a class.
pub async fn create(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    CsrfForm(f): CsrfForm<NewClassForm>,
) -> AppResult<Response> {
    let made = async {
        let starts = classes::date_field(&f.starts_on, "The start date")?;
        let ends = classes::date_field(&f.ends_on, "The end date")?;
        classes::create(&state.db, &user, &f.name, &f.exam, starts, ends).await
    }
    .await;
    match made {
        Ok(id) => Ok(Redirect::to(&format!("/instructor/classes/{id}")).into_response()),
        Err(AppError::BadRequest(m)) => {
            let page = classes_page(&state, &user, &session, Some(m)).await?;
            Ok((StatusCode::BAD_REQUEST, render(&page)?).into_response())
        }
        Err(e) => Err(e),
    }
}

/// An assignment as the class page shows it.
pub struct AssignmentView {
    pub row: AssignmentRow,
    pub opens: String,
    pub closes: String,
    pub attempts: String,
    pub answers: &'static str,
}

/// A member's override, as the class page lists it.
pub struct OverrideView {
    pub assignment: String,
    pub member: String,
    pub extra_attempts: i32,
    pub closes: String,
}

#[derive(Template)]
#[template(path = "classes/class.html")]
pub struct ClassPage {
    pub layout: Layout,
    pub class: ClassRow,
    pub staff: Staff,
    pub banner: Option<String>,
    pub join_url: String,
    pub join_expires: String,
    pub members: Vec<PersonRow>,
    pub instructors: Vec<PersonRow>,
    pub assignments: Vec<AssignmentView>,
    pub overrides: Vec<OverrideView>,
    pub forms: Vec<FormRow>,
    pub answer_choices: [AnswersShown; 3],
    pub added: Vec<LineResult>,
    pub notice: Option<String>,
    pub error: Option<String>,
}

impl ClassPage {
    fn added_count(&self, outcome: &str) -> usize {
        self.added.iter().filter(|l| l.outcome == outcome).count()
    }
}

/// The site's address as the browser reached it, for the join link.
/// The site's address for the join link shown on the class page: PUBLIC_BASE_URL when it is set (the same
/// address mailed invitations carry), else the request's own host.
fn origin(headers: &HeaderMap, state: &AppState) -> String {
    if let Ok(base) = state.mail.link("") {
        return base;
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if state.config.secure_cookies {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

fn dash(s: Option<&String>) -> String {
    s.cloned().unwrap_or_else(|| "—".into())
}

#[allow(clippy::too_many_arguments)]
async fn class_page(
    state: &AppState,
    user: &User,
    session: &Session,
    headers: &HeaderMap,
    class_id: Uuid,
    added: Vec<LineResult>,
    notice: Option<String>,
    error: Option<String>,
) -> AppResult<ClassPage> {
    let (class, staff) = classes::staff(&state.db, class_id, user).await?;
    let db = &state.db;
    let assignments = store::assignments(db, class_id).await?;
    let members = store::members(db, class_id).await?;
    let overrides: Vec<OverrideRow> = store::overrides(db, class_id).await?;
    // Every time the page shows, in the viewer's time zone, in one read.
    let mut times = Vec::new();
    for a in &assignments {
        times.extend(a.opens_at);
        times.extend(a.closes_at);
    }
    times.extend(class.join_expires_at);
    times.extend(overrides.iter().filter_map(|o| o.closes_at));
    let local = crate::store::users::local_times(db, user.id, &times).await?;
    let mut local = local.iter();
    let views: Vec<AssignmentView> = assignments
        .into_iter()
        .map(|row| AssignmentView {
            opens: if row.opens_at.is_some() {
                dash(local.next())
            } else {
                "at once".into()
            },
            closes: if row.closes_at.is_some() {
                dash(local.next())
            } else {
                "never".into()
            },
            attempts: row
                .max_attempts
                .map_or("unlimited".into(), |n| n.to_string()),
            answers: row.answers_shown.label(),
            row,
        })
        .collect();
    let join_expires = if class.join_expires_at.is_some() {
        dash(local.next())
    } else {
        String::new()
    };
    let overrides = overrides
        .iter()
        .map(|o| OverrideView {
            assignment: views
                .iter()
                .find(|v| v.row.id == o.assignment_id)
                .map(|v| v.row.form_title.clone())
                .unwrap_or_default(),
            member: members
                .iter()
                .find(|m| m.user_id == o.user_id)
                .map(|m| m.email.clone())
                .unwrap_or_else(|| "a former member".into()),
            extra_attempts: o.extra_attempts,
            closes: if o.closes_at.is_some() {
                dash(local.next())
            } else {
                "—".into()
            },
        })
        .collect();
    let exam = crate::store::exams::find(db, &class.exam_code).await?;
    Ok(ClassPage {
        layout: Layout::from_session(session),
        banner: exam.as_ref().and_then(super::exams::banner),
        join_url: format!("{}/join/{}", origin(headers, state), class.join_code),
        join_expires,
        forms: classes::assignable_forms(db, user, &class).await?,
        instructors: store::instructors(db, class_id).await?,
        members,
        assignments: views,
        overrides,
        answer_choices: AnswersShown::ALL,
        added,
        notice,
        error,
        class,
        staff,
    })
}

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    saved: Option<String>,
}

/// What a `?saved=` key says on the class page.
fn saved_notice(key: Option<&str>) -> Option<String> {
    Some(
        match key? {
            "settings" => "The class's settings are saved.",
            "code" => "A new join link is made: the old one no longer works.",
            "member-removed" => "The member is removed; their attempts are kept.",
            "instructor" => "The co-instructors are updated.",
            "assignment" => "The form is assigned.",
            "assignment-updated" => {
                "The assignment is changed; attempts already started keep their time."
            }
            "override" => "The override is saved.",
            "archived" => "The class is archived: it is read-only until you restore it.",
            "restored" => "The class is restored.",
            _ => return None,
        }
        .to_owned(),
    )
}

/// GET /instructor/classes/{id}: the class.
pub async fn show(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    axum::extract::Query(q): axum::extract::Query<NoticeQuery>,
) -> AppResult<Html<String>> {
    let notice = saved_notice(q.saved.as_deref());
    render(
        &class_page(
            &state,
            &user,
            &session,
            &headers,
            id,
            Vec::new(),
            notice,
            None,
        )
        .await?,
    )
}

/// A refusal shown on the class page, or any other error as it is.
async fn on_class_page(
    state: &AppState,
    user: &User,
    session: &Session,
    headers: &HeaderMap,
    id: Uuid,
    e: AppError,
) -> AppResult<Response> {
    let status = e.status();
    match e {
        AppError::BadRequest(m) | AppError::Conflict(m) => {
            let page =
                class_page(state, user, session, headers, id, Vec::new(), None, Some(m)).await?;
            Ok((status, render(&page)?).into_response())
        }
        e => Err(e),
    }
}

/// A change's outcome on the class page: back to it saying `saved`, or the page with the refusal.
async fn settle<T>(
    state: &AppState,
    user: &User,
    session: &Session,
    headers: &HeaderMap,
    id: Uuid,
    done: AppResult<T>,
    saved: &str,
) -> AppResult<Response> {
    match done {
        Ok(_) => Ok(back(id, saved)),
        Err(e) => on_class_page(state, user, session, headers, id, e).await,
    }
}

fn back(id: Uuid, saved: &str) -> Response {
    Redirect::to(&format!("/instructor/classes/{id}?saved={saved}")).into_response()
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    /// "on" when the join link works.
    #[serde(default)]
    join_enabled: Option<String>,
    #[serde(default)]
    join_expires_at: String,
    #[serde(default)]
    seat_limit: String,
}

/// POST /instructor/classes/{id}/settings.
pub async fn settings(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    CsrfForm(f): CsrfForm<SettingsForm>,
) -> AppResult<Response> {
    // Not the class's staff: the page the refusal would show answers 404 first.
    let done = async {
        let seat_limit = match f.seat_limit.trim() {
            "" => None,
            s => Some(s.parse::<i32>().map_err(|_| {
                AppError::BadRequest(
                    "The seat limit must be a whole number, or empty for none.".into(),
                )
            })?),
        };
        let settings = ClassSettings {
            name: f.name.clone(),
            starts_on: classes::date_field(&f.starts_on, "The start date")?,
            ends_on: classes::date_field(&f.ends_on, "The end date")?,
            join_enabled: f.join_enabled.is_some(),
            join_expires_at: classes::local_time_field(
                &state.db,
                &user,
                &f.join_expires_at,
                "The link's expiry",
            )
            .await?,
            seat_limit,
        };
        classes::update(&state.db, &user, id, settings).await
    }
    .await;
    settle(&state, &user, &session, &headers, id, done, "settings").await
}

#[derive(Deserialize)]
pub struct Empty {}

/// POST /instructor/classes/{id}/join-code: a new join link.
pub async fn regenerate_code(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<Response> {
    let done = classes::regenerate_code(&state.db, &user, id).await;
    settle(&state, &user, &session, &headers, id, done, "code").await
}

/// POST /instructor/classes/{id}/members: adds accounts in bulk, from pasted addresses (`emails`) or a CSV file
/// (`file`), sent as a form or as multipart (with the file). The page lists each line's result.
pub async fn add_members(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    request: Request,
) -> AppResult<Response> {
    // The class's staff only: anybody else is told nothing, whatever the body is.
    classes::staff(&state.db, id, &user).await?;
    let multipart = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let text =
        if multipart {
            let mut m = Multipart::from_request(request, &state)
                .await
                .map_err(|e| AppError::BadRequest(format!("the form is malformed: {e}")))?;
            // The pasted list and the file, each kept whole so that line numbers are the file's own.
            let (mut csrf, mut pasted, mut file) = (String::new(), String::new(), String::new());
            while let Some(field) = m.next_field().await.map_err(|e| {
                AppError::BadRequest(format!("the form is malformed or too large: {e}"))
            })? {
                let name = field.name().unwrap_or("").to_owned();
                if !matches!(name.as_str(), "csrf_token" | "emails" | "file") {
                    continue;
                }
                let bytes = field.bytes().await.map_err(|e| {
                    AppError::BadRequest(format!("the list could not be read: {e}"))
                })?;
                let (text, _) = crate::bank::import::decode_text(&bytes);
                match name.as_str() {
                    "csrf_token" => csrf = text,
                    "emails" => pasted = text,
                    _ => file = text,
                }
            }
            if session.csrf_token.is_empty()
                || !crate::auth::secrets_equal(&csrf, &session.csrf_token)
            {
                return Err(AppError::Csrf);
            }
            match (pasted.trim().is_empty(), file.trim().is_empty()) {
                (_, true) => pasted,
                (true, false) => file,
                (false, false) => format!("{pasted}\n{file}"),
            }
        } else {
            #[derive(Deserialize)]
            struct Pasted {
                #[serde(default)]
                emails: String,
            }
            let CsrfForm(p) = CsrfForm::<Pasted>::from_request(request, &state).await?;
            p.emails
        };
    match classes::add_members(&state.db, &state.mail, &user, id, &text).await {
        Ok(added) => {
            let page = class_page(&state, &user, &session, &headers, id, added, None, None).await?;
            Ok(render(&page)?.into_response())
        }
        Err(e) => on_class_page(&state, &user, &session, &headers, id, e).await,
    }
}

/// POST /instructor/classes/{id}/members/{user_id}/remove.
pub async fn remove_member(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    headers: HeaderMap,
    Path((id, member)): Path<(Uuid, Uuid)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<Response> {
    let done = classes::remove_member(&state.db, &user, id, member).await;
    settle(
        &state,
        &user,
        &session,
        &headers,
        id,
        done,
        "member-removed",
    )
    .await
}

#[derive(Deserialize)]
pub struct InstructorForm {
    #[serde(default)]
    email: String,
}

/// POST /instructor/classes/{id}/instructors: adds a co-instructor by e-mail.
pub async fn add_instructor(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    CsrfForm(f): CsrfForm<InstructorForm>,
) -> AppResult<Response> {
    let done = classes::add_instructor(&state.db, &user, id, &f.email).await;
    settle(&state, &user, &session, &headers, id, done, "instructor").await
}

/// POST /instructor/classes/{id}/instructors/{user_id}/remove.
pub async fn remove_instructor(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    headers: HeaderMap,
    Path((id, who)): Path<(Uuid, Uuid)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<Response> {
    let done = classes::remove_instructor(&state.db, &user, id, who).await;
    settle(&state, &user, &session, &headers, id, done, "instructor").await
}

#[derive(Deserialize)]
pub struct ArchiveForm {
    #[serde(default)]
    archived: String,
}

/// POST /instructor/classes/{id}/archive: archives (`archived=true`) or restores the class.
pub async fn archive(
    State(state): State<AppState>,
    RequireInstructor(user, _): RequireInstructor,
    Path(id): Path<Uuid>,
    CsrfForm(f): CsrfForm<ArchiveForm>,
) -> AppResult<Response> {
    let archived = f.archived != "false";
    classes::set_archived(&state.db, &user, id, archived).await?;
    Ok(back(id, if archived { "archived" } else { "restored" }))
}

/// POST /instructor/classes/{id}/delete: the owner (or an admin) deletes a class no attempt was made for.
pub async fn delete(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<Response> {
    match classes::delete(&state.db, &user, id).await {
        Ok(()) => Ok(Redirect::to("/instructor/classes").into_response()),
        Err(e) => on_class_page(&state, &user, &session, &headers, id, e).await,
    }
}

#[derive(Deserialize)]
pub struct AssignmentForm {
    #[serde(default)]
    form: String,
    #[serde(default)]
    opens_at: String,
    #[serde(default)]
    closes_at: String,
    /// A number, or empty for unlimited.
    #[serde(default)]
    max_attempts: String,
    #[serde(default)]
    answers_shown: String,
}

/// Reads an assignment form's fields (times in the instructor's zone).
pub async fn assignment_request(
    state: &AppState,
    user: &User,
    form: Option<&str>,
    opens_at: &str,
    closes_at: &str,
    max_attempts: &str,
    answers_shown: &str,
) -> AppResult<classes::AssignmentRequest> {
    // An assignment's form never changes: an edit names none.
    let form_id: Uuid = match form {
        Some(f) => f
            .trim()
            .parse()
            .map_err(|_| AppError::BadRequest("Choose a form to assign.".into()))?,
        None => Uuid::nil(),
    };
    let max_attempts = match max_attempts.trim() {
        "" | "unlimited" => None,
        n => Some(n.parse::<i32>().map_err(|_| {
            AppError::BadRequest("Attempts allowed must be a whole number, or unlimited.".into())
        })?),
    };
    let answers_shown = AnswersShown::parse(answers_shown.trim()).ok_or_else(|| {
        AppError::BadRequest(
            "Choose when candidates see the answers: at_end, after_close or never.".into(),
        )
    })?;
    Ok(classes::AssignmentRequest {
        form_id,
        opens_at: classes::local_time_field(&state.db, user, opens_at, "The opening time").await?,
        closes_at: classes::local_time_field(&state.db, user, closes_at, "The closing time")
            .await?,
        max_attempts,
        answers_shown,
    })
}

/// POST /instructor/classes/{id}/assignments: assigns a form.
pub async fn assign(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    CsrfForm(f): CsrfForm<AssignmentForm>,
) -> AppResult<Response> {
    // Not the class's staff: the page the refusal would show answers 404 first.
    let done = async {
        let req = assignment_request(
            &state,
            &user,
            Some(&f.form),
            &f.opens_at,
            &f.closes_at,
            &f.max_attempts,
            &f.answers_shown,
        )
        .await?;
        classes::assign(&state.db, &user, id, req).await
    }
    .await;
    settle(&state, &user, &session, &headers, id, done, "assignment").await
}

/// POST /instructor/classes/{id}/assignments/{assignment_id}: changes an assignment's window, attempts and when
/// answers show.
pub async fn update_assignment(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    headers: HeaderMap,
    Path((id, assignment)): Path<(Uuid, Uuid)>,
    CsrfForm(f): CsrfForm<AssignmentForm>,
) -> AppResult<Response> {
    classes::staff_assignment(&state.db, &user, id, assignment).await?;
    let done = async {
        let req = assignment_request(
            &state,
            &user,
            None,
            &f.opens_at,
            &f.closes_at,
            &f.max_attempts,
            &f.answers_shown,
        )
        .await?;
        classes::update_assignment(&state.db, &user, id, assignment, req).await
    }
    .await;
    settle(
        &state,
        &user,
        &session,
        &headers,
        id,
        done,
        "assignment-updated",
    )
    .await
}

#[derive(Deserialize)]
pub struct OverrideForm {
    #[serde(default)]
    member: String,
    #[serde(default)]
    extra_attempts: String,
    #[serde(default)]
    closes_at: String,
}

/// POST /instructor/classes/{id}/assignments/{assignment_id}/overrides: one member's extra attempts or later close.
pub async fn set_override(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    headers: HeaderMap,
    Path((id, assignment)): Path<(Uuid, Uuid)>,
    CsrfForm(f): CsrfForm<OverrideForm>,
) -> AppResult<Response> {
    classes::staff_assignment(&state.db, &user, id, assignment).await?;
    let done = async {
        let member: Uuid = f
            .member
            .trim()
            .parse()
            .map_err(|_| AppError::BadRequest("Choose a member of the class.".into()))?;
        let extra = match f.extra_attempts.trim() {
            "" => 0,
            n => n.parse::<i32>().map_err(|_| {
                AppError::BadRequest("Extra attempts must be a whole number.".into())
            })?,
        };
        let closes =
            classes::local_time_field(&state.db, &user, &f.closes_at, "The member's closing time")
                .await?;
        classes::set_override(&state.db, &user, id, assignment, member, extra, closes).await
    }
    .await;
    settle(&state, &user, &session, &headers, id, done, "override").await
}

// ---- The candidate's side ----

#[derive(Template)]
#[template(path = "classes/join.html")]
pub struct JoinPage {
    pub layout: Layout,
    pub class: ClassRow,
    pub code: String,
    pub signed_in: bool,
    pub member: bool,
    pub refusal: Option<&'static str>,
}

/// A join link whose code names no class (made anew, or mistyped).
#[derive(Template)]
#[template(path = "classes/join_missing.html")]
pub struct JoinMissingPage {
    pub layout: Layout,
}

/// GET /join/{code}: the class a join link is for, with a button to join (or to sign up or sign in first,
/// coming back here).
pub async fn join_page(
    State(state): State<AppState>,
    session: Session,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let Some(class) = store::by_code(&state.db, &code).await? else {
        let page = JoinMissingPage {
            layout: Layout::from_session(&session),
        };
        return Ok((StatusCode::NOT_FOUND, render(&page)?).into_response());
    };
    let member = match &session.user {
        Some(u) => store::is_member(&state.db, class.id, u.id).await?,
        None => false,
    };
    let refusal = if class.archived_at.is_some() {
        classes::join_refusal(JoinOutcome::Archived)
    } else if !class.join_enabled {
        classes::join_refusal(JoinOutcome::Closed)
    } else {
        None
    };
    render(&JoinPage {
        layout: Layout::from_session(&session),
        signed_in: session.user.is_some(),
        code: class.join_code.clone(),
        class,
        member,
        refusal,
    })
    .map(IntoResponse::into_response)
}

/// POST /join/{code}: joins the class (a member already: nothing changes).
pub async fn join(
    State(state): State<AppState>,
    CurrentUser(user, session): CurrentUser,
    Path(code): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<Response> {
    let (class, outcome) = match classes::join(&state.db, &user, &code).await {
        Err(AppError::NotFound) => {
            let page = JoinMissingPage {
                layout: Layout::from_session(&session),
            };
            return Ok((StatusCode::NOT_FOUND, render(&page)?).into_response());
        }
        joined => joined?,
    };
    match classes::join_refusal(outcome) {
        None => Ok(Redirect::to(&format!("/exams?joined={}", class.id)).into_response()),
        Some(why) => {
            let page = JoinPage {
                layout: Layout::from_session(&session),
                signed_in: true,
                code: class.join_code.clone(),
                class,
                member: false,
                refusal: Some(why),
            };
            Ok((StatusCode::CONFLICT, render(&page)?).into_response())
        }
    }
}

/// POST /classes/{id}/leave: the member leaves (their attempts are kept, out of the gradebook).
pub async fn leave(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Path(id): Path<Uuid>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<Response> {
    if !store::remove_member(&state.db, classes::actor(&user), id, user.id).await? {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to("/account?saved=left").into_response())
}

/// POST /assignments/{id}/start: the member starts an attempt at an assignment.
pub async fn start(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Path(id): Path<Uuid>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<Redirect> {
    let attempt = classes::start(&state.db, &state.pools, &user, id).await?;
    Ok(Redirect::to(&format!("/attempts/{attempt}/items/1")))
}
