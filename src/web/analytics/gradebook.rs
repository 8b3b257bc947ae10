//! A class's gradebook (`/instructor/classes/{id}/gradebook`): members by assignments, the class's figures and
//! chart, and its CSV; a member's page (their class attempts, domain profile, readiness and booking rule); the
//! staff's review of a member's attempt; each assignment's attempts as CSV.

use super::charts::*;
use super::*;
use crate::analytics::gradebook::{self as book, Area, AssignmentSummary, ClassSummary, Row};
use crate::analytics::readiness::ReadinessEstimate;
use crate::auth::session::RequireInstructor;
use crate::classes;
use crate::error::{AppError, AppResult};
use crate::scoring::PASSING_SCORE;
use crate::store::classes::{self as store, AssignmentRow, ClassAttempt, ClassRow, PersonRow};
use crate::web::exam::{DomainBar, ReviewedItem};
use crate::web::{render, Layout, Path};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

#[derive(Template)]
#[template(path = "classes/gradebook.html")]
pub struct GradebookPage {
    pub layout: Layout,
    pub class: ClassRow,
    pub banner: Option<String>,
    pub assignments: Vec<AssignmentRow>,
    pub rows: Vec<Row<PersonRow>>,
    pub summaries: Vec<AssignmentSummary>,
    pub summary: ClassSummary,
    pub histogram_svg: String,
    pub domains: Vec<Area>,
    pub domain_titles: Vec<String>,
}

impl GradebookPage {
    fn rate(&self, r: &Option<f64>) -> String {
        pct(*r)
    }

    fn mean(&self, m: &Option<f64>) -> String {
        m.map(|v| format!("{v:.0}")).unwrap_or_else(|| "–".into())
    }
}

/// The domains' titles of the class's exam.
async fn domain_titles(
    state: &AppState,
    class: &ClassRow,
    areas: &[Area],
) -> AppResult<Vec<String>> {
    let blueprint = crate::store::exam::blueprint(&state.db, &class.blueprint_id)
        .await
        .ok();
    Ok(areas
        .iter()
        .map(|a| {
            blueprint
                .as_ref()
                .and_then(|b| b.domain(&a.id))
                .map(|d| d.title.clone())
                .unwrap_or_else(|| a.id.clone())
        })
        .collect())
}

/// GET /instructor/classes/{id}/gradebook (`?format=csv`: the table as CSV).
pub async fn gradebook(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    Path(id): Path<Uuid>,
    Query(q): Query<AnalyticsQuery>,
) -> AppResult<Response> {
    let (class, _) = classes::staff(&state.db, id, &user).await?;
    let (assignments, rows) = classes::gradebook(&state.read_db, id).await?;
    if q.wants_csv() {
        let titles: Vec<String> = assignments.iter().map(|a| a.form_title.clone()).collect();
        let csv = book::csv_rows(&rows, &titles, &["name", "email"], |m| {
            vec![m.display_name.clone(), m.email.clone()]
        });
        return csv_response("gradebook", csv);
    }
    let summaries = book::summaries(&rows, assignments.len());
    let summary = book::class_summary(&rows);
    let bars: Vec<(String, f64, bool)> = summary
        .histogram
        .iter()
        .map(|b| (b.low.to_string(), b.count as f64, b.passing))
        .collect();
    let max_count = bars.iter().map(|b| b.1).fold(0.0, f64::max);
    let pass_at = summary.histogram.iter().position(|b| b.passing);
    let histogram_svg = bar_chart(
        "Best scaled scores of the class (one per member and assignment)",
        "chart-class-histogram",
        &bars,
        max_count,
        pass_at.map(|i| (i, "700")),
    );
    let domains = book::weakest(&store::domain_points(&state.read_db, id, None).await?);
    let domain_titles = domain_titles(&state, &class, &domains).await?;
    let exam = crate::store::exams::find(&state.db, &class.exam_code).await?;
    let page = GradebookPage {
        layout: Layout::from_session(&session),
        banner: exam.as_ref().and_then(crate::web::exams::banner),
        class,
        assignments,
        rows,
        summaries,
        summary,
        histogram_svg,
        domains,
        domain_titles,
    };
    Ok(render(&page)?.into_response())
}

/// The CSV rows of attempts.
fn attempts_csv(attempts: &[ClassAttempt], titles: &[(Uuid, String)]) -> Vec<Vec<String>> {
    let mut rows = vec![[
        "assignment",
        "name",
        "email",
        "started_at",
        "ended_at",
        "scaled_score",
        "passed",
        "minutes",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect::<Vec<_>>()];
    for a in attempts {
        rows.push(vec![
            titles
                .iter()
                .find(|(id, _)| *id == a.assignment_id)
                .map(|t| t.1.clone())
                .unwrap_or_default(),
            a.display_name.clone(),
            a.email.clone(),
            a.started_at.to_string(),
            a.ended_at.map(|t| t.to_string()).unwrap_or_default(),
            a.scaled_score.map(|s| s.to_string()).unwrap_or_default(),
            a.passed
                .map(|p| if p { "yes" } else { "no" }.to_owned())
                .unwrap_or_default(),
            a.minutes.map(|m| format!("{m:.1}")).unwrap_or_default(),
        ]);
    }
    rows
}

/// GET /instructor/classes/{id}/assignments/{assignment_id}/attempts: the assignment's attempts as CSV.
pub async fn assignment_attempts(
    State(state): State<AppState>,
    RequireInstructor(user, _): RequireInstructor,
    Path((id, assignment)): Path<(Uuid, Uuid)>,
) -> AppResult<Response> {
    let (_, a) = classes::staff_assignment(&state.db, &user, id, assignment).await?;
    let attempts = store::attempts(&state.read_db, id, Some(a.id), None).await?;
    csv_response("attempts", attempts_csv(&attempts, &[(a.id, a.form_title)]))
}

/// An attempt on the member's page.
pub struct AttemptLine {
    pub attempt: ClassAttempt,
    pub assignment: String,
    pub started: String,
}

#[derive(Template)]
#[template(path = "classes/member.html")]
pub struct MemberPage {
    pub layout: Layout,
    pub class: ClassRow,
    pub member: PersonRow,
    pub attempts: Vec<AttemptLine>,
    pub domains: Vec<Area>,
    pub domain_titles: Vec<String>,
    /// "72 % (55–85 %)", or why there is no estimate.
    pub readiness: String,
    /// The booking rule's checks: (what, met).
    pub booking: Vec<(String, bool)>,
    pub booking_met: bool,
}

/// GET /instructor/classes/{id}/members/{user_id}: a member's class attempts, domain profile, readiness and
/// booking rule. Their practice and any attempt outside the class stay private (readiness and the booking rule
/// are shown as figures, without the attempts behind them).
pub async fn member(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    Path((id, member)): Path<(Uuid, Uuid)>,
) -> AppResult<Response> {
    let (class, _) = classes::staff(&state.db, id, &user).await?;
    let person = store::member(&state.db, id, member)
        .await?
        .ok_or(AppError::NotFound)?;
    let titles: Vec<(Uuid, String)> = store::assignments(&state.db, id)
        .await?
        .into_iter()
        .map(|a| (a.id, a.form_title))
        .collect();
    let attempts = store::attempts(&state.read_db, id, None, Some(member)).await?;
    let started: Vec<_> = attempts.iter().map(|a| a.started_at).collect();
    let started = crate::store::users::local_times(&state.db, user.id, &started).await?;
    let attempts = attempts
        .into_iter()
        .zip(started)
        .map(|(attempt, started)| AttemptLine {
            assignment: titles
                .iter()
                .find(|(i, _)| *i == attempt.assignment_id)
                .map(|t| t.1.clone())
                .unwrap_or_default(),
            started,
            attempt,
        })
        .collect();
    let domains = book::weakest(&store::domain_points(&state.read_db, id, Some(member)).await?);
    let domain_titles = domain_titles(&state, &class, &domains).await?;
    let progress =
        crate::store::analytics::progress_in(&state.read_db, member, Some(&class.blueprint_id))
            .await?;
    let readiness = match &progress.readiness {
        ReadinessEstimate::Estimate(r) => format!(
            "{:.0} % chance of {PASSING_SCORE} or more on the next full mock ({:.0}–{:.0} %), predicted {}",
            r.probability * 100.0,
            r.low * 100.0,
            r.high * 100.0,
            r.predicted_scaled
        ),
        ReadinessEstimate::TooLittleData { needed } => {
            format!("No estimate yet: {needed} more full-length mock(s) needed.")
        }
    };
    let status =
        crate::exam::study::booking_status(&state.db, member, &class.blueprint_id, &progress)
            .await?;
    let b = &status.booking;
    let booking = vec![
        (
            "Two full-length mocks in a row at 80 % or more".to_owned(),
            b.pair_met,
        ),
        (
            "No domain below 70 % in the last of them".to_owned(),
            b.domains_met,
        ),
        (
            format!("Readiness predicts at least {PASSING_SCORE}"),
            b.readiness_met,
        ),
    ];
    let page = MemberPage {
        layout: Layout::from_session(&session),
        booking_met: b.met,
        class,
        member: person,
        attempts,
        domains,
        domain_titles,
        readiness,
        booking,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Template)]
#[template(path = "classes/review.html")]
pub struct ReviewPage {
    pub layout: Layout,
    pub class: ClassRow,
    pub member: PersonRow,
    pub assignment: String,
    pub scaled: Option<i32>,
    pub passed: bool,
    pub ended: bool,
    pub bars: Vec<DomainBar>,
    pub items: Vec<ReviewedItem>,
}

/// GET /instructor/classes/{id}/attempts/{attempt_id}: a member's attempt at one of the class's assignments,
/// their answers beside the key (whatever the assignment shows the candidate).
pub async fn review(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    Path((id, attempt_id)): Path<(Uuid, Uuid)>,
) -> AppResult<Response> {
    let (class, _) = classes::staff(&state.db, id, &user).await?;
    let (owner, assignment_id) = store::attempt_in_class(&state.db, id, attempt_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let member = store::member(&state.db, id, owner)
        .await?
        .ok_or(AppError::NotFound)?;
    let attempt = crate::store::exam::attempt_for(&state.db, attempt_id, owner)
        .await?
        .ok_or(AppError::NotFound)?;
    let assignment = store::assignment(&state.db, assignment_id)
        .await?
        .map(|a| a.form_title)
        .unwrap_or_default();
    let ended = attempt.ended_at.is_some();
    let (bars, items) = if ended {
        crate::web::exam::reviewed(&state, &attempt, true).await?
    } else {
        (Vec::new(), Vec::new())
    };
    let page = ReviewPage {
        layout: Layout::from_session(&session),
        class,
        member,
        assignment,
        scaled: attempt.scaled_score,
        passed: attempt.passed.unwrap_or(false),
        ended,
        bars,
        items,
    };
    Ok(render(&page)?.into_response())
}
