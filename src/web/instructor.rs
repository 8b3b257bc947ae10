//! The instructor area: the packs in the bank.

use super::{render, Layout};
use crate::auth::session::RequireInstructor;
use crate::auth::Role;
use crate::error::AppResult;
use crate::store::bank::PackRow;
use crate::{store, AppState};
use askama::Template;
use axum::extract::State;
use axum::response::Html;

#[derive(Template)]
#[template(path = "instructor/index.html")]
pub struct InstructorPage {
    pub layout: Layout,
    pub packs: Vec<PackRow>,
    pub reports: Vec<crate::store::exam::ReportRow>,
}

pub async fn index(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
) -> AppResult<Html<String>> {
    let owner = (user.role != Role::Admin).then_some(user.id);
    let packs = store::bank::list_packs(&state.db, owner).await?;
    let reports = store::exam::reports(&state.db, owner).await?;
    render(&InstructorPage {
        layout: Layout::from_session(&session),
        packs,
        reports,
    })
}
