//! The study loop's pages: the exam date (`POST /progress/plan`), the plan as a calendar file
//! (`/progress/plan.ics`) and an objective's page (`/progress/objectives/{id}`). The due count, the booking
//! rule and the plan show on the progress page (`web::analytics::progress`).

use super::Path;
use super::{render, Layout};
use crate::auth::session::{CsrfForm, CurrentUser};
use crate::error::{AppError, AppResult};
use crate::exam::study;
use crate::store::exams::ExamRow;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct PlanForm {
    #[serde(default)]
    exam: String,
    #[serde(default)]
    date: String,
}

/// Sets the exam date (and makes the exam the target). A date in the past or after the exam retires is
/// refused on the progress page, with the reason.
pub async fn set_plan(
    State(state): State<AppState>,
    CurrentUser(user, session): CurrentUser,
    CsrfForm(form): CsrfForm<PlanForm>,
) -> AppResult<Response> {
    let (exam, exams) = super::exams::chosen(&state, Some(user.id), Some(form.exam.trim())).await?;
    match study::set_target(&state.db, user.id, &exam, &form.date).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/progress?exam={}#plan-title", exam.code)).into_response())
        }
        Err(e @ (AppError::Unprocessable(_) | AppError::BadRequest(_))) => {
            let status = e.status();
            let p =
                crate::store::analytics::progress_in(&state.db, user.id, Some(&exam.blueprint_id))
                    .await?;
            let page = super::analytics::progress_page(
                &state,
                &user,
                &session,
                exam,
                exams,
                p,
                Some(e.to_string()),
            )
            .await?;
            Ok((status, render(&page)?).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
pub struct ExamQuery {
    #[serde(default)]
    exam: Option<String>,
}

/// The plan's full mocks (and the exam) as an iCalendar file; the events' UIDs stay the same from one
/// download to the next, so importing it again updates them.
pub async fn plan_ics(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Query(q): Query<ExamQuery>,
) -> AppResult<Response> {
    let (exam, _) = super::exams::chosen(&state, Some(user.id), q.exam.as_deref()).await?;
    let blueprint = crate::store::exam::blueprint(&state.db, &exam.blueprint_id).await?;
    let plan = study::plan(&state.db, user.id, &exam, &blueprint, None)
        .await?
        .ok_or_else(|| {
            AppError::Unprocessable(format!(
                "Set your {} exam date on the progress page first: the calendar holds the plan to it.",
                exam.code
            ))
        })?;
    let body = study::plan_ics(&plan, &exam, user.id);
    Ok((
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}-study-plan.ics\"",
                    exam.code.to_ascii_lowercase()
                ),
            ),
        ],
        body,
    )
        .into_response())
}

/// One attempt's points on the objective, formatted.
pub struct ObjectiveAttemptRow {
    pub date: String,
    pub title: String,
    pub practice: bool,
    pub percent: String,
}

#[derive(Template)]
#[template(path = "candidate/objective.html")]
pub struct ObjectivePage {
    pub layout: Layout,
    pub exam: ExamRow,
    pub domain_title: String,
    pub id: String,
    pub title: String,
    pub learn: Vec<String>,
    pub accuracy: String,
    pub history: Vec<ObjectiveAttemptRow>,
    pub trend_svg: String,
    pub seen: usize,
    pub unseen: usize,
}

/// An objective: the candidate's accuracy over time, the questions seen and not seen, its Learn pages, and a
/// way to practise it.
pub async fn objective(
    State(state): State<AppState>,
    CurrentUser(user, session): CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<ExamQuery>,
) -> AppResult<Response> {
    let (exam, _) = super::exams::chosen(&state, Some(user.id), q.exam.as_deref()).await?;
    let blueprint = crate::store::exam::blueprint(&state.db, &exam.blueprint_id).await?;
    let (domain, objective) = blueprint
        .domains
        .iter()
        .find_map(|d| d.objectives.iter().find(|o| o.id == id).map(|o| (d, o)))
        .ok_or(AppError::NotFound)?;
    let history =
        crate::store::study::objective_history(&state.db, user.id, &exam.blueprint_id, &id).await?;
    let dates: Vec<_> = history.iter().map(|h| h.ended_at).collect();
    let dates = crate::store::users::local_times(&state.db, user.id, &dates).await?;
    let (earned, max) = history
        .iter()
        .fold((0.0, 0.0), |(e, m), h| (e + h.earned, m + h.max));
    let labels: Vec<String> = dates.iter().map(|d| d.chars().take(10).collect()).collect();
    let values: Vec<Option<f64>> = history
        .iter()
        .map(|h| (h.max > 0.0).then(|| h.earned / h.max * 100.0))
        .collect();
    let trend_svg = super::analytics::percent_line_chart(
        &format!("Your accuracy on {}, oldest first", objective.id),
        &labels,
        &values,
    );
    let pool = crate::store::exam::published_pool(&state.db, &exam.blueprint_id).await?;
    let seen_keys = crate::store::exam::ever_seen(&state.db, user.id, &exam.blueprint_id).await?;
    let of_objective: Vec<_> = pool.iter().filter(|r| r.objectives.contains(&id)).collect();
    let seen = of_objective
        .iter()
        .filter(|r| seen_keys.contains(&r.item_key))
        .count();
    let page = ObjectivePage {
        layout: Layout::from_session(&session),
        domain_title: domain.title.clone(),
        id: objective.id.clone(),
        title: objective.title.clone(),
        learn: objective.learn.clone(),
        accuracy: if max > 0.0 {
            format!("{:.0} %", earned / max * 100.0)
        } else {
            "not seen yet".into()
        },
        history: history
            .iter()
            .zip(labels)
            .map(|(h, date)| ObjectiveAttemptRow {
                date,
                title: h.title.clone(),
                practice: h.practice,
                percent: if h.max > 0.0 {
                    format!("{:.0} %", h.earned / h.max * 100.0)
                } else {
                    "–".into()
                },
            })
            .collect(),
        trend_svg,
        unseen: of_objective.len() - seen,
        seen,
        exam,
    };
    Ok(render(&page)?.into_response())
}
