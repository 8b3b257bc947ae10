//! `/progress`: a candidate's progress, readiness and weakest objectives, and its CSV.

use super::charts::*;
use super::*;
use crate::analytics::readiness::ReadinessEstimate;
use crate::auth::session::CurrentUser;
use crate::error::AppResult;
use crate::scoring::PASSING_SCORE;
use crate::store::analytics::{self as store, Progress};
use crate::store::exams::ExamRow;
use crate::web::{render, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};

/// One attempt row of the progress tables.
pub struct ProgressRow {
    pub date: String,
    pub title: String,
    pub score: u32,
    pub passed: bool,
    /// Percent per domain, in the order of `ProgressPage::domains` ("–" when the attempt had none).
    pub domains: Vec<String>,
}

/// A weak objective, formatted.
pub struct WeakRow {
    pub objective: String,
    pub earned: String,
    pub max: String,
    pub percent: String,
}

/// One of the two mocks of the booking rule, formatted.
pub struct PairRow {
    pub title: String,
    pub date: String,
    pub percent: String,
    pub met: bool,
    pub new_items: usize,
    pub scored_items: usize,
    pub may_reflect_memory: bool,
}

/// The booking rule's checklist, formatted.
pub struct BookingView {
    pub pair: Vec<PairRow>,
    pub pair_met: bool,
    pub weak_domains: Vec<(String, String)>,
    pub domains_met: bool,
    pub has_last: bool,
    pub readiness_met: bool,
    pub met: bool,
}

/// The plan to the exam date, formatted.
pub struct PlanView {
    pub exam_date: String,
    pub days_left: i64,
    pub next_mock: Option<String>,
    pub mocks: Vec<String>,
    pub objectives: Vec<(String, String, String, Vec<String>)>,
    pub reviews: Vec<(String, usize)>,
}

#[derive(Template)]
#[template(path = "analytics/progress.html")]
pub struct ProgressPage {
    pub layout: Layout,
    pub exam: ExamRow,
    pub exams: Vec<ExamRow>,
    pub banner: Option<String>,
    pub rows: Vec<ProgressRow>,
    pub domains: Vec<String>,
    pub weakest: Vec<WeakRow>,
    pub weak_ids: Vec<String>,
    /// `Some((probability, low, high, predicted))` as formatted text, or the "too little data" sentence.
    pub readiness: Result<(String, String, String, u32, String), String>,
    pub trend_svg: String,
    /// Review deck: due today and in the deck.
    pub due: crate::store::study::DueCount,
    pub booking: BookingView,
    /// The exam date set for this exam (YYYY-MM-DD), when it is the target exam.
    pub target_date: String,
    pub plan: Option<PlanView>,
    /// A refused exam date, said on the page.
    pub plan_error: Option<String>,
}

pub async fn progress(
    State(state): State<AppState>,
    CurrentUser(user, session): CurrentUser,
    Query(q): Query<AnalyticsQuery>,
) -> AppResult<Response> {
    let (exam, exams) = crate::web::exams::chosen(&state, Some(user.id), q.exam.as_deref()).await?;
    let p = store::progress_in(&state.read_db, user.id, Some(&exam.blueprint_id)).await?;
    if q.wants_csv() {
        return progress_csv(q.chart(), &p);
    }
    let page = progress_page(&state, &user, &session, exam, exams, p, None).await?;
    Ok(render(&page)?.into_response())
}

/// The progress page; `plan_error` says why an exam date was refused.
pub async fn progress_page(
    state: &AppState,
    user: &crate::auth::session::User,
    session: &crate::auth::session::Session,
    exam: ExamRow,
    exams: Vec<ExamRow>,
    p: Progress,
    plan_error: Option<String>,
) -> AppResult<ProgressPage> {
    use crate::exam::study;
    // One read of the deck by day gives the due count and the plan's reviews per day.
    let due_by_day =
        crate::store::study::due_by_day(&state.db, user.id, &exam.blueprint_id).await?;
    let target = crate::store::study::target(&state.db, user.id).await?;
    let due = crate::store::study::DueCount::from_days(&due_by_day, target.today);
    let status = study::booking_status(&state.db, user.id, &exam.blueprint_id, &p).await?;
    let b = &status.booking;
    let ended: Vec<_> = b.pair.iter().map(|m| m.ended_at).collect();
    let ended = crate::store::users::local_times(&state.db, user.id, &ended).await?;
    let booking = BookingView {
        pair: b
            .pair
            .iter()
            .zip(ended)
            .map(|(m, date)| PairRow {
                title: m.title.clone(),
                date: date.chars().take(10).collect(),
                percent: format!("{:.0} %", m.percent),
                met: m.percent >= crate::analytics::booking::PAIR_PERCENT - 1e-9,
                new_items: m.new_items,
                scored_items: m.scored_items,
                may_reflect_memory: m.may_reflect_memory,
            })
            .collect(),
        pair_met: b.pair_met,
        weak_domains: b
            .weak_domains
            .iter()
            .map(|(d, pct)| (d.clone(), format!("{pct:.0} %")))
            .collect(),
        domains_met: b.domains_met,
        has_last: !b.pair.is_empty(),
        readiness_met: b.readiness_met,
        met: b.met,
    };
    let blueprint = crate::store::exam::blueprint(&state.db, &exam.blueprint_id).await?;
    let is_target = target
        .exam
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case(&exam.code));
    let plan = study::plan(
        &state.db,
        user.id,
        &exam,
        &blueprint,
        Some(study::Known {
            target: &target,
            progress: &p,
            last_mock: status.last_counted,
            due_by_day: &due_by_day,
        }),
    )
    .await?
    .map(|plan| PlanView {
        exam_date: plan.exam_date.to_string(),
        days_left: plan.days_left,
        next_mock: plan.mocks.first().map(|m| m.date.to_string()),
        mocks: plan.mocks.iter().map(|m| m.date.to_string()).collect(),
        objectives: plan
            .objectives
            .iter()
            .take(8)
            .map(|o| {
                (
                    o.id.clone(),
                    o.title.clone(),
                    o.accuracy
                        .map(|a| format!("{:.0} %", a * 100.0))
                        .unwrap_or_else(|| "not seen".into()),
                    o.learn.clone(),
                )
            })
            .collect(),
        reviews: plan
            .reviews
            .iter()
            .filter(|r| r.due > 0)
            .map(|r| (r.date.to_string(), r.due))
            .collect(),
    });
    // Dates in the candidate's time zone.
    let started: Vec<_> = p.attempts.iter().map(|a| a.started_at).collect();
    let labels: Vec<String> = crate::store::users::local_times(&state.read_db, user.id, &started)
        .await?
        .into_iter()
        .map(|t| t.chars().take(10).collect())
        .collect();
    let scores: Vec<Option<f64>> = p
        .attempts
        .iter()
        .map(|a| Some(f64::from(a.scaled_score)))
        .collect();
    let trend_svg = line_chart(
        "Your scaled scores, oldest first",
        "chart-scores",
        &labels,
        ("scaled score", &scores),
        1000.0,
        None,
        Some((f64::from(PASSING_SCORE), "700 pass mark")),
    );
    let rows = p
        .attempts
        .iter()
        .zip(&labels)
        .map(|(a, date)| ProgressRow {
            date: date.clone(),
            title: a.title.clone(),
            score: a.scaled_score,
            passed: a.passed,
            domains: p
                .domains
                .iter()
                .map(|d| {
                    a.domains
                        .get(d)
                        .map(|f| format!("{:.0} %", f * 100.0))
                        .unwrap_or_else(|| "–".into())
                })
                .collect(),
        })
        .collect();
    let readiness = match &p.readiness {
        ReadinessEstimate::Estimate(r) => Ok((
            format!("{:.0} %", r.probability * 100.0),
            format!("{:.0} %", r.low * 100.0),
            format!("{:.0} %", r.high * 100.0),
            r.predicted_scaled,
            r.method_note.clone(),
        )),
        ReadinessEstimate::TooLittleData { needed } => Err(format!(
            "Too little data: take {needed} more full mock{}.",
            if *needed == 1 { "" } else { "s" }
        )),
    };
    Ok(ProgressPage {
        due,
        booking,
        target_date: if is_target {
            target.date.map(|d| d.to_string()).unwrap_or_default()
        } else {
            String::new()
        },
        plan,
        plan_error,
        layout: Layout::from_session(session),
        banner: crate::web::exams::banner(&exam),
        exam,
        exams,
        rows,
        domains: p.domains.clone(),
        weak_ids: p.weakest.iter().map(|w| w.objective.clone()).collect(),
        weakest: p
            .weakest
            .iter()
            .map(|w| WeakRow {
                objective: w.objective.clone(),
                earned: trim_num(w.earned),
                max: trim_num(w.max),
                percent: format!("{:.0} %", w.proportion * 100.0),
            })
            .collect(),
        readiness,
        trend_svg,
    })
}

pub(super) fn progress_csv(chart: &str, p: &Progress) -> AppResult<Response> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    match chart {
        "scores" | "domains" => {
            let mut head = vec![
                "started_at".to_owned(),
                "form".into(),
                "scaled_score".into(),
            ];
            head.push("passed".into());
            if chart == "domains" {
                head.extend(p.domains.iter().cloned());
            }
            rows.push(head);
            for a in &p.attempts {
                let mut r = vec![
                    a.started_at.date().to_string(),
                    a.title.clone(),
                    a.scaled_score.to_string(),
                    a.passed.to_string(),
                ];
                if chart == "domains" {
                    r.extend(p.domains.iter().map(|d| opt(a.domains.get(d).copied(), 4)));
                }
                rows.push(r);
            }
        }
        "weakest" => {
            rows.push(
                ["objective", "earned", "max", "proportion", "shrunk"]
                    .map(String::from)
                    .to_vec(),
            );
            for w in &p.weakest {
                rows.push(vec![
                    w.objective.clone(),
                    trim_num(w.earned),
                    trim_num(w.max),
                    format!("{:.4}", w.proportion),
                    format!("{:.4}", w.shrunk),
                ]);
            }
        }
        other => return Err(unknown_chart(other)),
    }
    csv_response(&format!("progress-{chart}"), rows)
}
