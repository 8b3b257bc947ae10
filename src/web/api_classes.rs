//! Classes over the JSON API: an instructor's script creates a class, adds members in bulk, assigns forms and
//! reads the gradebook; a candidate joins by code, lists their assignments and starts one. Thin handlers over
//! `classes` (the same rules as the pages).

use super::api::{ApiJson, ApiPath, ApiUser};
use super::api_exam::{attempt_info, AttemptInfo};
use crate::analytics::gradebook as book;
use crate::auth::session::User;
use crate::auth::Role;
use crate::classes::{self, LineResult};
use crate::error::{ApiError, ApiResult, AppError, Problem};
use crate::exam::service;
use crate::store::classes::{
    self as store, AnswersShown, AssignmentRow, ClassRow, JoinOutcome, MemberAssignment, PersonRow,
};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// The token's owner, when an instructor or admin; candidates get 403.
fn instructor(user: User) -> Result<User, ApiError> {
    if user.role >= Role::Instructor {
        Ok(user)
    } else {
        Err(AppError::Forbidden.into())
    }
}

/// The classes the token's owner owns or co-teaches (an admin: every class).
#[utoipa::path(get, path = "/api/v1/classes", tag = "classes",
    responses((status = 200, body = Vec<ClassRow>), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> ApiResult<Json<Vec<ClassRow>>> {
    let user = instructor(user)?;
    let staff = (user.role != Role::Admin).then_some(user.id);
    Ok(Json(store::of_staff(&state.db, staff).await?))
}

/// A new class.
#[derive(Deserialize, ToSchema)]
pub struct NewClass {
    /// 1 to 200 characters.
    #[serde(default)]
    pub name: String,
    /// An exam of the catalogue, e.g. `AI-103` (a retired exam too).
    #[serde(default)]
    pub exam: String,
    /// `YYYY-MM-DD`, optional.
    #[serde(default)]
    pub starts_on: Option<String>,
    /// `YYYY-MM-DD`, optional, not before `starts_on`.
    #[serde(default)]
    pub ends_on: Option<String>,
}

/// A class with its assignments and members.
#[derive(Serialize, ToSchema)]
pub struct ClassDetail {
    pub class: ClassRow,
    pub assignments: Vec<AssignmentRow>,
    pub members: Vec<PersonRow>,
}

async fn detail(state: &AppState, user: &User, id: Uuid) -> Result<ClassDetail, AppError> {
    let (class, _) = classes::staff(&state.db, id, user).await?;
    Ok(ClassDetail {
        class,
        assignments: store::assignments(&state.db, id).await?,
        members: store::members(&state.db, id).await?,
    })
}

/// Creates a class owned by the token's owner, with a fresh join code.
#[utoipa::path(post, path = "/api/v1/classes", tag = "classes", request_body = NewClass,
    responses((status = 201, body = ClassDetail), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<NewClass>,
) -> ApiResult<(StatusCode, Json<ClassDetail>)> {
    let user = instructor(user)?;
    let starts = classes::date_field(body.starts_on.as_deref().unwrap_or(""), "starts_on")?;
    let ends = classes::date_field(body.ends_on.as_deref().unwrap_or(""), "ends_on")?;
    let id = classes::create(&state.db, &user, &body.name, &body.exam, starts, ends).await?;
    Ok((StatusCode::CREATED, Json(detail(&state, &user, id).await?)))
}

/// A class, its assignments and members (its owner, co-instructors and admins).
#[utoipa::path(get, path = "/api/v1/classes/{id}", tag = "classes", params(("id" = Uuid, Path)),
    responses((status = 200, body = ClassDetail), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<ClassDetail>> {
    let user = instructor(user)?;
    Ok(Json(detail(&state, &user, id).await?))
}

/// Accounts to add, by e-mail (at most 1,000 lines in all).
#[derive(Deserialize, ToSchema)]
pub struct NewMembers {
    /// Addresses, one per entry.
    #[serde(default)]
    pub emails: Vec<String>,
    /// Or a pasted list or CSV, one address per line.
    #[serde(default)]
    pub text: Option<String>,
}

/// Each line's result.
#[derive(Serialize, ToSchema)]
pub struct MembersAdded {
    pub lines: Vec<LineResult>,
}

/// Adds existing accounts as members; each line says added, already a member, no such account (invite them
/// with the join link) or malformed. More than 1,000 lines are refused whole (400).
#[utoipa::path(post, path = "/api/v1/classes/{id}/members", tag = "classes", params(("id" = Uuid, Path)),
    request_body = NewMembers,
    responses((status = 200, body = MembersAdded), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn add_members(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewMembers>,
) -> ApiResult<Json<MembersAdded>> {
    let user = instructor(user)?;
    classes::staff(&state.db, id, &user).await?;
    let mut text = body.emails.join("\n");
    if let Some(t) = &body.text {
        text.push('\n');
        text.push_str(t);
    }
    Ok(Json(MembersAdded {
        lines: classes::add_members(&state.db, &state.mail, &user, id, &text).await?,
    }))
}

/// Removes a member (their attempts are kept, out of the gradebook). Idempotent: removing somebody who is not
/// a member answers 204 too.
#[utoipa::path(delete, path = "/api/v1/classes/{id}/members/{user_id}", tag = "classes",
    params(("id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 204, description = "removed"), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn remove_member(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, member)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    let user = instructor(user)?;
    classes::remove_member(&state.db, &user, id, member).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A form to assign.
#[derive(Deserialize, ToSchema)]
pub struct NewAssignment {
    /// The form's id: one of the caller's forms or a public form of the class's exam.
    #[serde(default)]
    pub form_id: Option<Uuid>,
    /// RFC 3339; absent: open at once.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub opens_at: Option<OffsetDateTime>,
    /// RFC 3339; absent: never closes. An attempt started before it keeps its own time.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closes_at: Option<OffsetDateTime>,
    /// 1 to 100; absent: unlimited.
    #[serde(default)]
    pub max_attempts: Option<i32>,
    /// When the candidate sees the keys and explanations; absent: at the end of the attempt.
    #[serde(default)]
    pub answers_shown: Option<AnswersShown>,
}

/// Assigns a form to the class.
#[utoipa::path(post, path = "/api/v1/classes/{id}/assignments", tag = "classes", params(("id" = Uuid, Path)),
    request_body = NewAssignment,
    responses((status = 201, body = AssignmentRow), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn assign(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewAssignment>,
) -> ApiResult<(StatusCode, Json<AssignmentRow>)> {
    let user = instructor(user)?;
    classes::staff(&state.db, id, &user).await?;
    let made = classes::assign(
        &state.db,
        &user,
        id,
        classes::AssignmentRequest {
            form_id: body
                .form_id
                .ok_or_else(|| AppError::BadRequest("Name the form to assign (form_id).".into()))?,
            opens_at: body.opens_at,
            closes_at: body.closes_at,
            max_attempts: body.max_attempts,
            answers_shown: body.answers_shown.unwrap_or(AnswersShown::AtEnd),
        },
    )
    .await?;
    let row = store::assignment(&state.db, made)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// A member of the gradebook.
#[derive(Serialize, ToSchema, Clone)]
pub struct GradebookMember {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
}

/// One cell: a member's attempts at one assignment.
#[derive(Serialize, ToSchema)]
pub struct GradebookCell {
    pub attempts: i64,
    pub best: Option<i32>,
    pub last: Option<i32>,
    pub passed: Option<bool>,
    pub minutes: Option<f64>,
}

/// A row: a member and a cell per assignment (null where not started), in `assignments` order.
#[derive(Serialize, ToSchema)]
pub struct GradebookRow {
    pub member: GradebookMember,
    pub cells: Vec<Option<GradebookCell>>,
}

/// The class's gradebook.
#[derive(Serialize, ToSchema)]
pub struct Gradebook {
    pub assignments: Vec<AssignmentRow>,
    pub rows: Vec<GradebookRow>,
    /// The mean of the best scaled scores over every cell with a scored attempt.
    pub mean_best: Option<f64>,
    /// The share of those cells whose best attempt passed.
    pub pass_rate: Option<f64>,
}

/// The gradebook: members by assignments (current members only).
#[utoipa::path(get, path = "/api/v1/classes/{id}/gradebook", tag = "classes", params(("id" = Uuid, Path)),
    responses((status = 200, body = Gradebook), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn gradebook(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Gradebook>> {
    let user = instructor(user)?;
    classes::staff(&state.db, id, &user).await?;
    let (assignments, rows) = classes::gradebook(&state.read_db, id).await?;
    let summary = book::class_summary(&rows);
    Ok(Json(Gradebook {
        assignments,
        mean_best: summary.mean_best,
        pass_rate: summary.pass_rate,
        rows: rows
            .into_iter()
            .map(|r| GradebookRow {
                member: GradebookMember {
                    user_id: r.member.user_id,
                    name: r.member.display_name,
                    email: r.member.email,
                },
                cells: r
                    .cells
                    .into_iter()
                    .map(|c| {
                        c.map(|c| GradebookCell {
                            attempts: c.attempts,
                            best: c.best,
                            last: c.last,
                            passed: c.passed,
                            minutes: c.minutes,
                        })
                    })
                    .collect(),
            })
            .collect(),
    }))
}

/// A join code.
#[derive(Deserialize, ToSchema)]
pub struct JoinCode {
    #[serde(default)]
    pub code: String,
}

/// What a join did.
#[derive(Serialize, ToSchema)]
pub struct Joined {
    pub class: ClassRow,
    pub outcome: JoinOutcome,
}

/// Joins the class with this code (a member already: nothing changes). 409 when the link is off, expired or
/// the class is full or archived; 404 for an unknown code.
#[utoipa::path(post, path = "/api/v1/classes/join", tag = "classes", request_body = JoinCode,
    responses((status = 200, body = Joined), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn join(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<JoinCode>,
) -> ApiResult<Json<Joined>> {
    let (class, outcome) = classes::join(&state.db, &user, &body.code).await?;
    if let Some(why) = classes::join_refusal(outcome) {
        return Err(AppError::Conflict(why.into()).into());
    }
    Ok(Json(Joined { class, outcome }))
}

/// The assignments of the caller's classes, soonest close first.
#[utoipa::path(get, path = "/api/v1/assignments", tag = "classes",
    responses((status = 200, body = Vec<MemberAssignment>), (status = 401, body = Problem)),
    security(("bearer" = [])))]
pub async fn assignments(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> ApiResult<Json<Vec<MemberAssignment>>> {
    Ok(Json(store::for_member(&state.db, user.id).await?))
}

/// Starts an attempt at an assignment of one of the caller's classes: 422 outside its window or beyond its
/// attempts, 404 for anybody who is not a member.
#[utoipa::path(post, path = "/api/v1/assignments/{id}/attempts", tag = "classes", params(("id" = Uuid, Path)),
    responses((status = 201, body = AttemptInfo), (status = 401, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn start(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<(StatusCode, Json<AttemptInfo>)> {
    let attempt = classes::start(&state.db, &state.pools, &user, id).await?;
    let a = service::load_attempt(&state.db, attempt, &user).await?;
    Ok((StatusCode::CREATED, Json(attempt_info(&state, &a).await?)))
}
