//! The mock exam over the JSON API: list forms, start an attempt, get an item, save an answer, mark, submit,
//! result. The same rules as the pages (exam::service): database clock, locks, one result per attempt.

use super::api::{ApiJson, ApiPath, ApiQuery, ApiUser};
use crate::analytics::deck::Confidence;
use crate::bank::model::{Body, Choice};
use crate::error::{ApiResult, AppError, Problem};
use crate::exam::plan::Presentation;
use crate::exam::service;
use crate::scoring::{ExamResult, Response};
use crate::store::exam::{self as store, AttemptRow};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// An exam of the catalogue.
#[derive(Serialize, ToSchema)]
pub struct ExamInfo {
    /// Microsoft's exam code, e.g. `AI-103`.
    pub code: String,
    pub title: String,
    pub credential: String,
    /// beta, live, retiring or retired (derived from the dates by the database's clock).
    pub status: String,
    /// YYYY-MM-DD, when known.
    pub available_from: Option<String>,
    /// YYYY-MM-DD, when announced.
    pub retires_on: Option<String>,
    pub successor: Option<String>,
    /// The outline version items are written for, e.g. `ai-103-2026-04`.
    pub outline: String,
    pub outline_date: Option<String>,
    pub duration_minutes: u32,
    pub passing_score: u32,
    /// True when the person chose it as their target exam.
    pub target: bool,
}

/// The exam catalogue: bookable exams first, with status and dates.
#[utoipa::path(get, path = "/api/v1/exams", tag = "exam",
    responses((status = 200, body = Vec<ExamInfo>), (status = 401, body = Problem)), security(("bearer" = [])))]
pub async fn list_exams(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> ApiResult<Json<Vec<ExamInfo>>> {
    let target = crate::store::exams::target_of(&state.db, user.id).await?;
    let exams = crate::store::exams::list(&state.db).await?;
    Ok(Json(
        exams
            .into_iter()
            .map(|e| ExamInfo {
                target: target.as_deref() == Some(e.code.as_str()),
                status: e.status.as_str().to_owned(),
                available_from: e.exam.available_from.map(crate::bank::exam::format_date),
                retires_on: e.exam.retires_on.map(crate::bank::exam::format_date),
                successor: e.exam.successor.clone(),
                outline: e.exam.outline.version.clone(),
                outline_date: e.exam.outline.date.map(crate::bank::exam::format_date),
                duration_minutes: e.exam.duration_minutes,
                passing_score: e.exam.passing_score,
                credential: e.exam.credential,
                title: e.title,
                code: e.code,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct FormInfo {
    /// The exam the form belongs to, e.g. `AI-103`.
    pub exam: String,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub item_count: i32,
    pub duration_minutes: i32,
}

/// The exam forms a candidate can start.
#[utoipa::path(get, path = "/api/v1/forms", tag = "exam",
    responses((status = 200, body = Vec<FormInfo>), (status = 401, body = Problem)), security(("bearer" = [])))]
pub async fn list_forms(
    State(state): State<AppState>,
    ApiUser(_): ApiUser,
) -> ApiResult<Json<Vec<FormInfo>>> {
    let forms = store::public_forms(&state.db).await?;
    Ok(Json(
        forms
            .into_iter()
            .map(|f| FormInfo {
                exam: crate::bank::exam::code_of_blueprint(&f.blueprint_id),
                slug: f.slug,
                title: f.title,
                description: f.description,
                item_count: f.item_count,
                duration_minutes: f.duration_minutes,
            })
            .collect(),
    ))
}

/// An attempt's state.
#[derive(Serialize, ToSchema)]
pub struct AttemptInfo {
    pub id: Uuid,
    /// The exam the attempt belongs to, e.g. `AI-103`.
    pub exam: String,
    pub title: String,
    pub mode: String,
    pub item_count: i32,
    /// Seconds left by the database's clock; null when untimed or ended.
    pub seconds_left: Option<i64>,
    /// in_progress, submitted or expired
    pub state: String,
    pub answered: Vec<i32>,
    pub marked: Vec<i32>,
    /// Case-study sections the candidate left (their items can no longer change).
    pub locked_sections: Vec<String>,
}

pub(super) async fn attempt_info(
    state: &AppState,
    a: &AttemptRow,
) -> Result<AttemptInfo, AppError> {
    let slots = store::slots(&state.db, a.id).await?;
    Ok(AttemptInfo {
        id: a.id,
        exam: crate::bank::exam::code_of_blueprint(&a.blueprint_id),
        title: a.title.clone(),
        mode: a.mode.as_str().to_owned(),
        item_count: a.item_count,
        seconds_left: if a.ended_at.is_some() {
            None
        } else {
            a.seconds_left
        },
        state: a
            .ended_reason
            .map_or("in_progress", |r| r.as_str())
            .to_owned(),
        answered: slots
            .iter()
            .filter(|s| s.response.is_some())
            .map(|s| s.position)
            .collect(),
        marked: slots
            .iter()
            .filter(|s| s.marked)
            .map(|s| s.position)
            .collect(),
        locked_sections: a.locked_sections.clone(),
    })
}

/// Starts an attempt of a form: items drawn to the blueprint, deadline set by the database.
#[utoipa::path(post, path = "/api/v1/forms/{slug}/attempts", tag = "exam",
    params(("slug" = String, Path, description = "the form's slug")),
    responses((status = 201, body = AttemptInfo), (status = 404, body = Problem), (status = 401, body = Problem)),
    security(("bearer" = [])))]
pub async fn start(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<(StatusCode, Json<AttemptInfo>)> {
    let form = store::form_by_slug(&state.db, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let id = service::start_attempt(&state.db, &state.pools, &user, &form, None).await?;
    let a = service::load_attempt(&state.db, id, &user).await?;
    Ok((StatusCode::CREATED, Json(attempt_info(&state, &a).await?)))
}

/// An attempt's state (another user's attempt is not found).
#[utoipa::path(get, path = "/api/v1/attempts/{id}", tag = "exam",
    params(("id" = Uuid, Path)), responses((status = 200, body = AttemptInfo), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get_attempt(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<AttemptInfo>> {
    let a = service::load_attempt(&state.db, id, &user).await?;
    Ok(Json(attempt_info(&state, &a).await?))
}

#[derive(Serialize, ToSchema)]
pub struct TextEntry {
    pub id: String,
    /// Inline Markdown.
    pub text: String,
}

#[derive(Serialize, ToSchema)]
pub struct HotSlotView {
    pub id: String,
    pub options: Vec<TextEntry>,
}

#[derive(Serialize, ToSchema)]
pub struct CaseInfo {
    pub id: String,
    pub title: String,
    pub stem: String,
    pub documents: Vec<TextEntry>,
}

/// An item as the candidate sees it: no key, no explanation. Options, steps and choices in this attempt's order.
#[derive(Serialize, ToSchema)]
pub struct ItemInfo {
    pub position: i32,
    #[serde(rename = "type")]
    pub kind: String,
    /// Markdown.
    pub stem: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub choose: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<TextEntry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub statements: Vec<TextEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub positions: Option<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub slots: Vec<TextEntry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hot_slots: Vec<HotSlotView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_study: Option<CaseInfo>,
    /// The saved response, in the shape of PUT …/answer.
    #[schema(value_type = Option<Object>)]
    pub response: Option<serde_json::Value>,
    pub marked: bool,
}

fn entries(choices: &[Choice], order: &Presentation) -> Vec<TextEntry> {
    let ids: Vec<&String> = if order.order.len() == choices.len() {
        order.order.iter().collect()
    } else {
        choices.iter().map(|c| &c.id).collect()
    };
    ids.into_iter()
        .filter_map(|id| choices.iter().find(|c| &c.id == id))
        .map(|c| TextEntry {
            id: c.id.clone(),
            text: c.text.clone(),
        })
        .collect()
}

/// One item of a running attempt.
#[utoipa::path(get, path = "/api/v1/attempts/{id}/items/{position}", tag = "exam",
    params(("id" = Uuid, Path), ("position" = i32, Path, minimum = 1, description = "1-based")),
    responses((status = 200, body = ItemInfo), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn get_item(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, position)): ApiPath<(Uuid, i32)>,
) -> ApiResult<Json<ItemInfo>> {
    let a = open_attempt(&state, id, &user).await?;
    let slot = store::slot(&state.db, id, position)
        .await?
        .ok_or(AppError::NotFound)?;
    if slot
        .section_key
        .as_ref()
        .is_some_and(|k| a.locked_sections.contains(k))
    {
        return Err(AppError::Unprocessable(
            "This case study section is locked: you left it.".into(),
        )
        .into());
    }
    service::leave_sections(&state.db, &a, None, Some(slot.position)).await?;
    let (q, item) = service::question_at(&state.db, &slot).await?;
    let p = &slot.presentation.0;
    let mut info = ItemInfo {
        position,
        kind: q.body.type_name().into(),
        stem: q.common.stem.clone(),
        choose: None,
        options: vec![],
        statements: vec![],
        positions: None,
        slots: vec![],
        hot_slots: vec![],
        template: None,
        case_study: item.case_study().map(|c| CaseInfo {
            id: c.id.clone(),
            title: c.title.clone(),
            stem: c.stem.clone(),
            documents: c
                .documents
                .iter()
                .map(|d| TextEntry {
                    id: d.id.clone(),
                    text: format!("## {}\n\n{}", d.title, d.body),
                })
                .collect(),
        }),
        response: slot
            .response
            .as_ref()
            .and_then(|r| serde_json::to_value(&r.0).ok()),
        marked: slot.marked,
    };
    match &q.body {
        Body::Single { options, .. } => info.options = entries(options, p),
        Body::Multiple {
            options, choose, ..
        } => {
            info.options = entries(options, p);
            info.choose = Some(*choose);
        }
        Body::YesNoSeries { statements } => {
            info.statements = statements
                .iter()
                .map(|s| TextEntry {
                    id: s.id.clone(),
                    text: s.text.clone(),
                })
                .collect();
        }
        Body::Order { steps, answer } => {
            info.options = entries(steps, p);
            info.positions = Some(answer.len());
        }
        Body::Match { choices, slots, .. } => {
            info.options = entries(choices, p);
            info.slots = slots
                .iter()
                .map(|s| TextEntry {
                    id: s.id.clone(),
                    text: s.text.clone(),
                })
                .collect();
        }
        Body::HotArea {
            template, slots, ..
        } => {
            info.template = Some(template.clone());
            info.hot_slots = slots
                .iter()
                .map(|s| HotSlotView {
                    id: s.id.clone(),
                    options: s
                        .options
                        .iter()
                        .map(|o| TextEntry {
                            id: o.id.clone(),
                            text: o.text.clone(),
                        })
                        .collect(),
                })
                .collect();
        }
    }
    Ok(Json(info))
}

async fn open_attempt(
    state: &AppState,
    id: Uuid,
    user: &crate::auth::session::User,
) -> Result<AttemptRow, AppError> {
    let a = service::load_attempt(&state.db, id, user).await?;
    if a.ended_at.is_some() {
        return Err(AppError::Unprocessable(
            "The exam has ended: answers can no longer change.".into(),
        ));
    }
    Ok(a)
}

/// Saves (or, with `null`, clears) the answer of an item. Refused with 422 after the deadline (earlier answers
/// count), in a locked section, or when it changes an answered yes/no statement.
#[utoipa::path(put, path = "/api/v1/attempts/{id}/items/{position}/answer", tag = "exam",
    params(("id" = Uuid, Path), ("position" = i32, Path, minimum = 1, description = "1-based"), AnswerQuery),
    request_body(content = Object, description = "`{\"type\": \"single\", \"answer\": \"a\"}`; see docs/scoring.md for every type's shape, or null to clear"),
    responses((status = 204, description = "saved"), (status = 400, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn put_answer(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, position)): ApiPath<(Uuid, i32)>,
    ApiQuery(query): ApiQuery<AnswerQuery>,
    body: axum::body::Bytes,
) -> ApiResult<StatusCode> {
    // Whose attempt it is comes first: another user's attempt is 404 whatever the body holds.
    let a = open_attempt(&state, id, &user).await?;
    let response: Option<Response> = serde_json::from_slice(&body).map_err(|e| {
        AppError::BadRequest(format!(
            "the answer is not valid JSON of the documented shape: {e}"
        ))
    })?;
    let slot = store::slot(&state.db, id, position)
        .await?
        .ok_or(AppError::NotFound)?;
    service::leave_sections(&state.db, &a, None, Some(slot.position)).await?;
    let a = service::load_attempt(&state.db, id, &user).await?;
    let (q, _) = service::question_at(&state.db, &slot).await?;
    service::save(
        &state.db,
        &a,
        &slot,
        &q,
        Some(response.as_ref()),
        None,
        query.confidence,
    )
    .await?;
    state.metrics.answer_saved();
    Ok(StatusCode::NO_CONTENT)
}

/// How sure the candidate is of a practice answer (practice sets and review sessions; a review session
/// refuses an answer without it). Ignored in a timed mock.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnswerQuery {
    #[serde(default)]
    #[param(value_type = Option<String>, example = "fairly_sure")]
    pub confidence: Option<Confidence>,
}

#[derive(Deserialize, ToSchema)]
pub struct MarkBody {
    pub marked: bool,
}

/// Marks or unmarks an item for review.
#[utoipa::path(put, path = "/api/v1/attempts/{id}/items/{position}/mark", tag = "exam",
    params(("id" = Uuid, Path), ("position" = i32, Path, minimum = 1, description = "1-based")), request_body = MarkBody,
    responses((status = 204, description = "saved"), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn put_mark(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, position)): ApiPath<(Uuid, i32)>,
    ApiJson(body): ApiJson<MarkBody>,
) -> ApiResult<StatusCode> {
    let a = open_attempt(&state, id, &user).await?;
    let slot = store::slot(&state.db, id, position)
        .await?
        .ok_or(AppError::NotFound)?;
    let (q, _) = service::question_at(&state.db, &slot).await?;
    service::save(&state.db, &a, &slot, &q, None, Some(body.marked), None).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct ResultInfo {
    pub attempt: AttemptInfo,
    #[schema(value_type = Object)]
    pub result: ExamResult,
}

/// Ends the attempt (a second submit changes nothing) and returns its result.
#[utoipa::path(post, path = "/api/v1/attempts/{id}/submit", tag = "exam",
    params(("id" = Uuid, Path)), responses((status = 200, body = ResultInfo), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn submit(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<ResultInfo>> {
    let a = service::load_attempt(&state.db, id, &user).await?;
    service::submit(&state.db, &a).await?;
    result(State(state), ApiUser(user), ApiPath(id)).await
}

/// The result of an ended attempt: scaled score, pass/fail, per-domain percentages.
#[utoipa::path(get, path = "/api/v1/attempts/{id}/result", tag = "exam",
    params(("id" = Uuid, Path)), responses((status = 200, body = ResultInfo), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn result(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<ResultInfo>> {
    let a = service::load_attempt(&state.db, id, &user).await?;
    let Some(result) = a.result.as_ref().map(|r| r.0.clone()) else {
        return Err(AppError::Unprocessable("The attempt is still in progress.".into()).into());
    };
    Ok(Json(ResultInfo {
        attempt: attempt_info(&state, &a).await?,
        result,
    }))
}
