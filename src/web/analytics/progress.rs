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
    let page = ProgressPage {
        layout: Layout::from_session(&session),
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
    };
    Ok(render(&page)?.into_response())
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
