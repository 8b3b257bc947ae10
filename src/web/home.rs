//! The home page and the not-found page.

use super::{render, Layout};
use crate::auth::session::Session;
use crate::error::{AppError, AppResult};
use askama::Template;
use axum::response::Html;

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub layout: Layout,
}

pub async fn home(session: Session) -> AppResult<Html<String>> {
    render(&HomePage {
        layout: Layout::from_session(&session),
    })
}

pub async fn not_found() -> AppError {
    AppError::NotFound
}
