//! The home page (the exam catalogue, bookable exams first) and the not-found page.

use super::reports::{outcome_notices, OutcomeNotice};
use super::{render, Layout};
use crate::auth::session::Session;
use crate::error::{AppError, AppResult};
use crate::store::exams::ExamRow;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Html;

/// An exam's card on the home page.
pub struct ExamCard {
    pub exam: ExamRow,
    pub banner: Option<String>,
    pub questions: i64,
    /// The exam's domains, in blueprint order.
    pub domains: Vec<String>,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub layout: Layout,
    /// Outcomes of the candidate's problem reports, shown once.
    pub notices: Vec<OutcomeNotice>,
    /// Every exam, bookable ones first.
    pub exams: Vec<ExamCard>,
    /// The signed-in person's target exam, or the first bookable one.
    pub lead: Option<String>,
    /// Questions of the lead exam's review deck due today (signed in only).
    pub due_today: Option<i64>,
    /// Just after the visitor deleted their account.
    pub account_deleted: bool,
    /// Just after a password reset from a mail (the reset signed the person in).
    pub password_reset: bool,
}

#[derive(serde::Deserialize, Default)]
pub struct HomeQuery {
    #[serde(default)]
    account: Option<String>,
    /// `reset`: just after a password reset from a mail.
    #[serde(default)]
    password: Option<String>,
}

pub async fn home(
    State(state): State<AppState>,
    session: Session,
    axum::extract::Query(q): axum::extract::Query<HomeQuery>,
) -> AppResult<Html<String>> {
    let notices = match &session.user {
        Some(user) => outcome_notices(&state, user).await?,
        None => Vec::new(),
    };
    let counts = crate::store::exams::question_counts(&state.db).await?;
    let target = match &session.user {
        Some(u) => crate::store::exams::target_of(&state.db, u.id).await?,
        None => None,
    };
    let mut exams = Vec::new();
    for exam in crate::store::exams::list(&state.db).await? {
        let domains = crate::bank::exam::shipped_exam(&exam.blueprint_id)
            .map(|(_, bp)| bp.domains.iter().map(|d| d.title.clone()).collect())
            .unwrap_or_default();
        exams.push(ExamCard {
            banner: super::exams::banner(&exam),
            questions: counts.get(&exam.blueprint_id).copied().unwrap_or(0),
            domains,
            exam,
        });
    }
    let lead = target.or_else(|| exams.first().map(|c| c.exam.code.clone()));
    let due_today = match (&session.user, &lead) {
        (Some(u), Some(code)) => match exams.iter().find(|c| &c.exam.code == code) {
            Some(c) => Some(
                crate::store::study::due_count(&state.db, u.id, &c.exam.blueprint_id)
                    .await?
                    .today,
            ),
            None => None,
        },
        _ => None,
    };
    render(&HomePage {
        account_deleted: session.user.is_none() && q.account.as_deref() == Some("deleted"),
        password_reset: session.user.is_some() && q.password.as_deref() == Some("reset"),
        due_today,
        layout: Layout::from_session(&session),
        notices,
        exams,
        lead,
    })
}

pub async fn not_found() -> AppError {
    AppError::NotFound
}
