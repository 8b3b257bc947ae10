//! The study loop in the JSON API: the due count, a review session, and the plan to the exam date.

use super::api::{ApiJson, ApiQuery, ApiUser};
use super::api_exam::{attempt_info, AttemptInfo};
use crate::error::{ApiResult, AppError, Problem};
use crate::exam::practice::{PracticeSpec, Source};
use crate::exam::{service, study};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Which exam (its code, e.g. `AI-103`); the account's target exam when absent.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExamParam {
    #[serde(default)]
    pub exam: Option<String>,
}

/// The review deck's state for one exam.
#[derive(Serialize, ToSchema)]
pub struct DueInfo {
    pub exam: String,
    /// Questions due by the end of today, in the account's time zone (overdue included).
    pub due_today: i64,
    /// Questions in the deck.
    pub deck: i64,
}

/// How many questions of the review deck are due today.
#[utoipa::path(get, path = "/api/v1/review/due", tag = "study", params(ExamParam),
    responses((status = 200, body = DueInfo), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn due(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<ExamParam>,
) -> ApiResult<Json<DueInfo>> {
    let (exam, _) = super::exams::chosen(&state, Some(user.id), q.exam.as_deref()).await?;
    let d = crate::store::study::due_count(&state.db, user.id, &exam.blueprint_id).await?;
    Ok(Json(DueInfo {
        exam: exam.code,
        due_today: d.today,
        deck: d.deck,
    }))
}

/// A review session's size.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SessionParams {
    #[serde(default)]
    pub exam: Option<String>,
    /// How many questions, 1 to 100 (20 when absent).
    #[serde(default)]
    #[param(minimum = 1, maximum = 100)]
    pub count: Option<u32>,
}

/// Starts a review session: an untimed practice set of the questions due today. Answer its items with
/// `PUT /api/v1/attempts/{id}/items/{position}/answer?confidence=guessed|fairly_sure|certain`: each first
/// answer rates the question's card and schedules its next review. 422 when nothing is due.
#[utoipa::path(post, path = "/api/v1/review/sessions", tag = "study", params(SessionParams),
    responses((status = 201, body = AttemptInfo), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn start_session(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<SessionParams>,
) -> ApiResult<(StatusCode, Json<AttemptInfo>)> {
    let count = q.count.unwrap_or(20);
    if !(1..=100).contains(&count) {
        return Err(AppError::BadRequest("count must be 1 to 100".into()).into());
    }
    let (exam, _) = super::exams::chosen(&state, Some(user.id), q.exam.as_deref()).await?;
    let spec = PracticeSpec {
        source: Source::Due,
        include_case_studies: true,
        count: count as usize,
        ..Default::default()
    };
    let id = service::start_practice(&state.db, &user, &exam.blueprint_id, &spec).await?;
    let a = service::load_attempt(&state.db, id, &user).await?;
    Ok((StatusCode::CREATED, Json(attempt_info(&state, &a).await?)))
}

/// The plan to the exam date: days left, objectives to work on, reviews due per day, and the full mocks to
/// sit (the same as `/progress/plan.ics`). 422 when no exam date is set for this exam.
#[utoipa::path(get, path = "/api/v1/plan", tag = "study", params(ExamParam),
    responses((status = 200, body = study::Plan), (status = 401, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn plan(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<ExamParam>,
) -> ApiResult<Json<study::Plan>> {
    let (exam, _) = super::exams::chosen(&state, Some(user.id), q.exam.as_deref()).await?;
    let blueprint = crate::store::exam::blueprint(&state.db, &exam.blueprint_id).await?;
    let plan = study::plan(&state.db, user.id, &exam, &blueprint, None)
        .await?
        .ok_or_else(|| {
            AppError::Unprocessable(format!(
                "No {} exam date is set: set it with PUT /api/v1/plan (or on the progress page) to get a plan.",
                exam.code
            ))
        })?;
    Ok(Json(plan))
}

/// The exam a candidate aims at and its date.
#[derive(Deserialize, ToSchema)]
pub struct PlanDate {
    /// The exam's code, e.g. `AI-103`; it becomes the account's target exam.
    pub exam: String,
    /// `YYYY-MM-DD` in the account's time zone; empty to clear it. Not in the past, not after the exam
    /// retires.
    pub date: String,
}

/// Sets the exam date (and the target exam), and answers the plan to it. 422 for a date in the past or
/// after the exam retires, with the reason; 400 for a date that is not `YYYY-MM-DD`.
#[utoipa::path(put, path = "/api/v1/plan", tag = "study", request_body = PlanDate,
    responses((status = 200, body = study::Plan), (status = 204, description = "the date was cleared"),
              (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn set_plan(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<PlanDate>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let exam = crate::store::exams::find(&state.db, body.exam.trim())
        .await?
        .ok_or(AppError::NotFound)?;
    study::set_target(&state.db, user.id, &exam, &body.date).await?;
    let blueprint = crate::store::exam::blueprint(&state.db, &exam.blueprint_id).await?;
    Ok(
        match study::plan(&state.db, user.id, &exam, &blueprint, None).await? {
            Some(plan) => Json(plan).into_response(),
            None => StatusCode::NO_CONTENT.into_response(),
        },
    )
}
