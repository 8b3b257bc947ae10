//! Which exam a page is about: the one asked for (`?exam=AI-103`), else the person's target exam, else the
//! exam of their latest attempt, else (staff pages) the exam of the site's latest attempt, else the first
//! bookable exam that has published questions. One place, so every page follows the same rule.

use crate::error::{AppError, AppResult};
use crate::store::exams::{self, ExamRow};
use crate::AppState;
use uuid::Uuid;

/// The exam a page shows for this person (or a visitor, with `None`). A requested code that is not in the
/// catalogue is a 404.
pub async fn chosen(
    state: &AppState,
    user: Option<Uuid>,
    requested: Option<&str>,
) -> AppResult<(ExamRow, Vec<ExamRow>)> {
    pick(state, user, requested, false).await
}

/// [`chosen`] for staff pages (dashboards, item analysis): without a choice of their own, they open on the
/// exam the site's latest attempt belongs to.
pub async fn chosen_for_staff(
    state: &AppState,
    user: Uuid,
    requested: Option<&str>,
) -> AppResult<(ExamRow, Vec<ExamRow>)> {
    pick(state, Some(user), requested, true).await
}

async fn pick(
    state: &AppState,
    user: Option<Uuid>,
    requested: Option<&str>,
    staff: bool,
) -> AppResult<(ExamRow, Vec<ExamRow>)> {
    let all = exams::list(&state.db).await?;
    if let Some(code) = requested.filter(|c| !c.is_empty()) {
        let found = all
            .iter()
            .find(|e| e.code.eq_ignore_ascii_case(code) || e.blueprint_id == code)
            .cloned()
            .ok_or(AppError::NotFound)?;
        return Ok((found, all));
    }
    let mut wanted = match user {
        Some(id) => match exams::target_of(&state.db, id).await? {
            Some(t) => Some(t),
            None => exams::latest_of(&state.db, id).await?,
        },
        None => None,
    };
    if wanted.is_none() && staff {
        wanted = exams::latest_site_wide(&state.db).await?;
    }
    if let Some(found) = wanted.and_then(|t| all.iter().find(|e| e.code == t)) {
        return Ok((found.clone(), all));
    }
    // Only now, with no choice to follow, are the question counts worth a query.
    let counts = exams::question_counts(&state.db).await?;
    let pick = all
        .iter()
        .find(|e| counts.get(&e.blueprint_id).is_some_and(|n| *n > 0))
        .or_else(|| all.first())
        .cloned()
        .ok_or_else(|| AppError::Unprocessable("no exam is loaded yet".into()))?;
    Ok((pick, all))
}

/// The sentence a page shows under an exam that is not plainly live, or None.
pub fn banner(e: &ExamRow) -> Option<String> {
    use crate::bank::exam::ExamStatus;
    let successor = e
        .exam
        .successor
        .as_deref()
        .map(|s| format!(" Its successor is {s}."))
        .unwrap_or_default();
    match e.status {
        ExamStatus::Retired => Some(format!(
            "{} was retired{} and can no longer be booked.{successor} Practice stays open.",
            e.code,
            e.exam
                .retires_on
                .map(|d| format!(" on {}", long_date(d)))
                .unwrap_or_default()
        )),
        ExamStatus::Retiring => Some(format!(
            "{} retires{}: book it before then.{successor}",
            e.code,
            e.exam
                .retires_on
                .map(|d| format!(" on {}", long_date(d)))
                .unwrap_or_default()
        )),
        ExamStatus::Beta => Some(format!(
            "{} is in beta: its outline may still change.",
            e.code
        )),
        ExamStatus::Live => None,
    }
}

/// `30 June 2026`.
pub fn long_date(d: time::Date) -> String {
    format!("{} {} {}", d.day(), d.month(), d.year())
}
