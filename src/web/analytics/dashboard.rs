//! `/admin/analytics`: the admin dashboard, its charts and their CSV.

use super::charts::*;
use super::*;
use crate::auth::session::RequireAdmin;
use crate::error::{AppError, AppResult};
use crate::scoring::PASSING_SCORE;
use crate::store::analytics::{self as store, Dashboard, DashboardFilter};
use crate::store::exam::FormRow;
use crate::store::exams::ExamRow;
use crate::web::{render, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use time::{Duration, OffsetDateTime};

#[derive(Template)]
#[template(path = "analytics/admin.html")]
pub struct AdminAnalyticsPage {
    pub layout: Layout,
    pub exam: ExamRow,
    pub exams: Vec<ExamRow>,
    pub from: String,
    pub to: String,
    pub form: String,
    pub forms: Vec<FormRow>,
    pub d: Dashboard,
    pub pass_rate: String,
    pub mean_score: String,
    pub weekly_svg: String,
    pub histogram_svg: String,
    pub domains_svg: String,
    pub time_svg: String,
    pub minutes_used: String,
    pub minutes_allowed: String,
    /// The query string that keeps the filter, for the CSV links (`from=…&to=…&form=…`).
    pub keep: String,
    /// Pass rates by class, instructor and exam, per month.
    pub pass_rates: Vec<crate::store::classes::PassRateRow>,
}

pub async fn admin(
    State(state): State<AppState>,
    RequireAdmin(user, session): RequireAdmin,
    Query(q): Query<AnalyticsQuery>,
) -> AppResult<Response> {
    let today = OffsetDateTime::now_utc().date();
    let to = q.to.as_deref().and_then(parse_date).unwrap_or(today);
    let from = q
        .from
        .as_deref()
        .and_then(parse_date)
        .unwrap_or(to - Duration::weeks(12));
    if from > to {
        return Err(AppError::BadRequest(
            "the start of the range is after its end".into(),
        ));
    }
    let (exam, exams) =
        crate::web::exams::chosen_for_staff(&state, user.id, q.exam.as_deref()).await?;
    let forms: Vec<FormRow> = crate::store::exam::list_forms(&state.db)
        .await?
        .into_iter()
        .filter(|f| f.blueprint_id == exam.blueprint_id)
        .collect();
    let form_slug = q.form.clone().unwrap_or_default();
    let form_id = if form_slug.is_empty() {
        None
    } else {
        Some(
            forms
                .iter()
                .find(|f| f.slug == form_slug)
                .map(|f| f.id)
                .ok_or_else(|| AppError::BadRequest(format!("no form '{form_slug}'")))?,
        )
    };
    // The dashboard, and the exam's pass rates by class, by instructor and for the exam, per month, over its
    // whole history.
    let filter = DashboardFilter { from, to, form_id };
    let dashboard = store::dashboard_in(&state.read_db, &filter, Some(&exam.blueprint_id));
    let pass_rates = crate::store::classes::pass_rates(&state.read_db, &exam.code);
    if q.wants_csv() {
        // A chart's CSV reads only what the chart shows.
        return match q.chart() {
            "pass-rates" => pass_rates_csv(&pass_rates.await?),
            chart => admin_csv(chart, &dashboard.await?),
        };
    }
    // The page shows both: read at once (each is an aggregate over the range's or the exam's attempts).
    let (d, pass_rates) = tokio::try_join!(dashboard, pass_rates)?;
    let labels: Vec<String> = d.weeks.iter().map(|w| w.start.to_string()).collect();
    let means: Vec<Option<f64>> = d.weeks.iter().map(|w| w.mean_score).collect();
    let rates: Vec<Option<f64>> = d.weeks.iter().map(|w| w.pass_rate).collect();
    let weekly_svg = line_chart(
        "Mean scaled score and pass rate by week",
        "chart-weekly",
        &labels,
        ("mean scaled score (left)", &means),
        1000.0,
        Some(("pass rate (right)", &rates, 1.0, "")),
        Some((f64::from(PASSING_SCORE), "700 pass mark")),
    );
    let bars: Vec<(String, f64, bool)> = d
        .histogram
        .iter()
        .map(|b| (b.low.to_string(), b.count as f64, b.passing))
        .collect();
    let max_count = bars.iter().map(|b| b.1).fold(0.0, f64::max);
    let pass_at = d.histogram.iter().position(|b| b.passing);
    let histogram_svg = bar_chart(
        "Scaled scores of finished attempts",
        "chart-histogram",
        &bars,
        max_count,
        pass_at.map(|i| (i, "700")),
    );
    let domain_bars: Vec<(String, f64, bool)> = d
        .domains
        .iter()
        .map(|m| (m.domain.clone(), m.percent, m.percent >= 70.0))
        .collect();
    let domains_svg = bar_chart(
        "Mean percentage of points by domain",
        "chart-domains",
        &domain_bars,
        100.0,
        None,
    );
    let time_bars = vec![
        ("used".to_owned(), d.minutes_used.unwrap_or(0.0), false),
        ("allowed".to_owned(), d.minutes_allowed.unwrap_or(0.0), true),
    ];
    let time_max = time_bars.iter().map(|b| b.1).fold(0.0, f64::max);
    let time_svg = bar_chart(
        "Mean minutes used and allowed",
        "chart-time",
        &time_bars,
        time_max,
        None,
    );
    let keep = serde_urlencoded::to_string([
        ("from", from.to_string()),
        ("to", to.to_string()),
        ("form", form_slug.clone()),
        ("exam", exam.code.clone()),
    ])
    .unwrap_or_default();
    let page = AdminAnalyticsPage {
        layout: Layout::from_session(&session),
        exam,
        exams,
        from: from.to_string(),
        to: to.to_string(),
        form: form_slug,
        forms,
        pass_rate: pct(d.pass_rate),
        mean_score: opt(d.mean_score, 0),
        minutes_used: opt(d.minutes_used, 1),
        minutes_allowed: opt(d.minutes_allowed, 1),
        weekly_svg,
        histogram_svg,
        domains_svg,
        time_svg,
        keep,
        d,
        pass_rates,
    };
    Ok(render(&page)?.into_response())
}

fn pass_rates_csv(pass_rates: &[crate::store::classes::PassRateRow]) -> AppResult<Response> {
    let mut rows = vec![["by", "name", "month", "attempts", "passed", "pass_rate"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect::<Vec<_>>()];
    for r in pass_rates {
        rows.push(vec![
            r.by.clone(),
            r.name.clone(),
            r.month.to_string(),
            r.attempts.to_string(),
            r.passed.to_string(),
            format!("{:.4}", r.passed as f64 / r.attempts.max(1) as f64),
        ]);
    }
    csv_response("pass-rates", rows)
}

pub(super) fn admin_csv(chart: &str, d: &Dashboard) -> AppResult<Response> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    match chart {
        "summary" => {
            rows.push(vec!["figure".into(), "value".into()]);
            rows.push(vec!["started".into(), d.started.to_string()]);
            rows.push(vec!["finished".into(), d.finished.to_string()]);
            rows.push(vec!["abandoned".into(), d.abandoned.to_string()]);
            rows.push(vec!["open".into(), d.open.to_string()]);
            rows.push(vec!["pass_rate".into(), opt(d.pass_rate, 4)]);
            rows.push(vec!["mean_scaled_score".into(), opt(d.mean_score, 2)]);
        }
        "weekly" => {
            rows.push(vec![
                "week_start".into(),
                "finished".into(),
                "pass_rate".into(),
                "mean_scaled_score".into(),
            ]);
            for w in &d.weeks {
                rows.push(vec![
                    w.start.to_string(),
                    w.finished.to_string(),
                    opt(w.pass_rate, 4),
                    opt(w.mean_score, 2),
                ]);
            }
        }
        "histogram" => {
            rows.push(vec![
                "low".into(),
                "high".into(),
                "count".into(),
                "passing".into(),
            ]);
            for b in &d.histogram {
                rows.push(vec![
                    b.low.to_string(),
                    b.high.to_string(),
                    b.count.to_string(),
                    b.passing.to_string(),
                ]);
            }
        }
        "domains" => {
            rows.push(vec![
                "domain".into(),
                "earned".into(),
                "max".into(),
                "percent".into(),
            ]);
            for m in &d.domains {
                rows.push(vec![
                    m.domain.clone(),
                    trim_num(m.earned),
                    trim_num(m.max),
                    format!("{:.2}", m.percent),
                ]);
            }
        }
        "time" => {
            rows.push(vec![
                "mean_minutes_used".into(),
                "mean_minutes_allowed".into(),
            ]);
            rows.push(vec![opt(d.minutes_used, 2), opt(d.minutes_allowed, 2)]);
        }
        other => return Err(unknown_chart(other)),
    }
    csv_response(&format!("dashboard-{chart}"), rows)
}
