//! Practice mode: the candidate builds an untimed set and gets feedback after each item; and problem reports.

use super::Path;
use super::{render, Layout};
use crate::auth::session::{CsrfForm, CurrentUser};
use crate::bank::model::Blueprint;
use crate::error::{AppError, AppResult};
use crate::exam::practice::{PracticeSpec, Source};
use crate::exam::service;
use crate::store::exam as store;
use crate::store::exams::ExamRow;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use uuid::Uuid;

#[derive(Template)]
#[template(path = "candidate/practice.html")]
pub struct PracticePage {
    pub layout: Layout,
    pub exam: ExamRow,
    pub exams: Vec<ExamRow>,
    pub banner: Option<String>,
    pub blueprint: Blueprint,
    pub error: Option<String>,
    /// Cards of the review deck due today, and in the deck.
    pub due: crate::store::study::DueCount,
    /// The source ticked: `all`, or the one asked for in the address (`?source=due`).
    pub source: String,
    /// An objective ticked in advance (`?objective=…`, from an objective's page).
    pub objective: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct ExamQuery {
    #[serde(default)]
    pub exam: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub objective: Option<String>,
}

async fn practice_page(
    state: &AppState,
    user: &crate::auth::session::User,
    session: &crate::auth::session::Session,
    q: &ExamQuery,
    error: Option<String>,
) -> AppResult<PracticePage> {
    let (exam, exams) = super::exams::chosen(state, Some(user.id), q.exam.as_deref()).await?;
    let blueprint = store::blueprint(&state.db, &exam.blueprint_id).await?;
    let due = crate::store::study::due_count(&state.db, user.id, &exam.blueprint_id).await?;
    Ok(PracticePage {
        layout: Layout::from_session(session),
        banner: super::exams::banner(&exam),
        exam,
        exams,
        blueprint,
        error,
        due,
        source: q
            .source
            .as_deref()
            .and_then(Source::parse)
            .unwrap_or_default()
            .as_str()
            .to_owned(),
        objective: q.objective.clone(),
    })
}

pub async fn page(
    State(state): State<AppState>,
    CurrentUser(user, session): CurrentUser,
    Query(q): Query<ExamQuery>,
) -> AppResult<Html<String>> {
    render(&practice_page(&state, &user, &session, &q, None).await?)
}

pub async fn start(
    State(state): State<AppState>,
    CurrentUser(user, session): CurrentUser,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let all = |name: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let has = |name: &str| pairs.iter().any(|(k, _)| k == name);
    let count = pairs
        .iter()
        .find(|(k, _)| k == "count")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .filter(|n| (1..=100).contains(n))
        .ok_or_else(|| AppError::BadRequest("choose how many questions: 1 to 100".into()))?;
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    // `source` (all, due, missed, not_seen); the earlier checkboxes `only_unseen` and `only_missed` still work.
    let source = match field("source") {
        Some(v) => Source::parse(v).ok_or_else(|| {
            AppError::BadRequest(format!(
                "`{v}` is not a source of questions: all, due, missed or not_seen"
            ))
        })?,
        None if has("only_unseen") => Source::NotSeen,
        None if has("only_missed") => Source::Missed,
        None => Source::All,
    };
    let spec = PracticeSpec {
        domains: all("domain"),
        objectives: all("objective"),
        source,
        include_case_studies: has("case_studies"),
        count,
    };
    let requested = pairs
        .iter()
        .find(|(k, _)| k == "exam")
        .map(|(_, v)| v.as_str());
    let (exam, _) = super::exams::chosen(&state, Some(user.id), requested).await?;
    match service::start_practice(&state.db, &user, &exam.blueprint_id, &spec).await {
        Ok(id) => Ok(Redirect::to(&format!("/attempts/{id}/items/1")).into_response()),
        Err(AppError::Unprocessable(msg)) => {
            let q = ExamQuery {
                exam: Some(exam.code.clone()),
                source: Some(spec.source.as_str().to_owned()),
                objective: None,
            };
            let page = practice_page(&state, &user, &session, &q, Some(msg)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(serde::Deserialize)]
pub struct ReportForm {
    kind: String,
    #[serde(default)]
    comment: String,
}

/// A candidate flags an item of one of their attempts (wrong key, unclear, outdated, typo) for its instructor.
pub async fn report(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Path((id, position)): Path<(Uuid, i32)>,
    CsrfForm(form): CsrfForm<ReportForm>,
) -> AppResult<Redirect> {
    if !["wrong_key", "unclear", "outdated", "typo", "other"].contains(&form.kind.as_str()) {
        return Err(AppError::BadRequest(
            "choose what is wrong: wrong key, unclear, outdated, typo or other".into(),
        ));
    }
    let comment = form.comment.trim();
    if comment.chars().count() > 2000 {
        return Err(AppError::BadRequest(
            "the comment is too long (2,000 characters at most)".into(),
        ));
    }
    if !store::report_problem(&state.db, id, user.id, position, &form.kind, comment).await? {
        return Err(AppError::NotFound);
    }
    let a = service::load_attempt(&state.db, id, &user).await?;
    let to = if a.ended_at.is_some() {
        format!("/attempts/{id}/result?reported={position}#item-{position}")
    } else {
        format!("/attempts/{id}/items/{position}")
    };
    Ok(Redirect::to(&to))
}
