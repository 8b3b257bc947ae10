//! The admin area: accounts at a glance.

use super::{render, Layout};
use crate::auth::session::RequireAdmin;
use crate::error::AppResult;
use crate::store::users::UserRow;
use crate::{store, AppState};
use askama::Template;
use axum::extract::State;
use axum::response::Html;

#[derive(Template)]
#[template(path = "admin/index.html")]
pub struct AdminPage {
    pub layout: Layout,
    pub users: Vec<UserRow>,
    pub total: i64,
}

pub async fn index(
    State(state): State<AppState>,
    RequireAdmin(_, session): RequireAdmin,
) -> AppResult<Html<String>> {
    let users = store::users::recent(&state.db, 100).await?;
    let total = store::users::count(&state.db).await?;
    render(&AdminPage {
        layout: Layout::from_session(&session),
        users,
        total,
    })
}
