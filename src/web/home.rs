//! The home page and the not-found page.

use super::reports::{outcome_notices, OutcomeNotice};
use super::{render, Layout};
use crate::auth::session::Session;
use crate::error::{AppError, AppResult};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Html;

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub layout: Layout,
    /// Outcomes of the candidate's problem reports, shown once.
    pub notices: Vec<OutcomeNotice>,
}

pub async fn home(State(state): State<AppState>, session: Session) -> AppResult<Html<String>> {
    let notices = match &session.user {
        Some(user) => outcome_notices(&state, user).await?,
        None => Vec::new(),
    };
    render(&HomePage {
        layout: Layout::from_session(&session),
        notices,
    })
}

pub async fn not_found() -> AppError {
    AppError::NotFound
}
