//! The analytics pages: the admin dashboard, the instructor's item analysis and a candidate's progress.
//! Every chart is an inline SVG drawn by `charts` (readable without JavaScript) with a table under it, and
//! each chart's data downloads as CSV with `?format=csv&chart=NAME`. One file per page.

use crate::error::{AppError, AppResult};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::fmt::Write as _;

mod charts;
mod dashboard;
mod gradebook;
mod item_analysis;
mod progress;

pub use dashboard::*;
pub use gradebook::*;
pub use item_analysis::*;
pub use progress::*;

// ---- Shared: query, CSV, formatting -----------------------------------------------------------------------

/// The query string of every analytics page.
#[derive(Debug, Default, Deserialize)]
pub struct AnalyticsQuery {
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    /// A form's slug; empty for all forms.
    #[serde(default)]
    pub form: Option<String>,
    /// `csv` for a chart's data.
    #[serde(default)]
    pub format: Option<String>,
    /// Which chart's data (with `format=csv`).
    #[serde(default)]
    pub chart: Option<String>,
    /// The exam (code); the person's target exam when absent.
    #[serde(default)]
    pub exam: Option<String>,
    /// A class's id: the item analysis of its members' attempts at its assignments.
    #[serde(default)]
    pub class: Option<String>,
}

impl AnalyticsQuery {
    fn wants_csv(&self) -> bool {
        self.format.as_deref() == Some("csv")
    }

    fn chart(&self) -> &str {
        self.chart.as_deref().unwrap_or("")
    }
}

/// Parses `YYYY-MM-DD` (the pure core's parser).
pub(crate) use crate::bank::exam::parse_date;

fn csv_response(name: &str, rows: Vec<Vec<String>>) -> AppResult<Response> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.write_record(&r)
            .map_err(|e| AppError::Internal(anyhow::Error::new(e)))?;
    }
    let body = w
        .into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}

fn unknown_chart(chart: &str) -> AppError {
    AppError::BadRequest(format!("there is no chart named '{chart}' on this page"))
}

fn opt(x: Option<f64>, decimals: usize) -> String {
    x.map(|v| format!("{v:.decimals$}")).unwrap_or_default()
}

fn pct(x: Option<f64>) -> String {
    x.map(|v| format!("{:.1} %", v * 100.0))
        .unwrap_or_else(|| "–".into())
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A line of percentages (0–100) over attempts, for an objective's page.
pub fn percent_line_chart(title: &str, labels: &[String], values: &[Option<f64>]) -> String {
    charts::line_chart(
        title,
        "chart-objective",
        labels,
        ("accuracy (%)", values),
        100.0,
        None,
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::charts::bar_chart;
    use super::*;
    use time::{Date, Month};

    #[test]
    fn dates_parse_and_bad_ones_are_refused() {
        assert_eq!(
            parse_date("2025-03-02"),
            Date::from_calendar_date(2025, Month::March, 2).ok()
        );
        assert_eq!(parse_date("2025-02-30"), None);
        assert_eq!(parse_date("yesterday"), None);
    }

    #[test]
    fn chart_labels_are_escaped() {
        let s = bar_chart("a<b", "t", &[("<x>".into(), 1.0, false)], 1.0, None);
        assert!(s.contains("a&lt;b") && s.contains("&lt;x&gt;") && !s.contains("<x>"));
    }
}
