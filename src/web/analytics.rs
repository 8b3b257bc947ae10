//! The analytics pages: the admin dashboard, the instructor's item analysis and a candidate's progress.
//! Every chart is an inline SVG drawn here (readable without JavaScript) with a table under it, and each
//! chart's data downloads as CSV with `?format=csv&chart=NAME`.

use super::{render, Layout};
use crate::analytics::readiness::ReadinessEstimate;
use crate::auth::session::{CurrentUser, RequireAdmin, RequireInstructor};
use crate::auth::Role;
use crate::error::{AppError, AppResult};
use crate::scoring::PASSING_SCORE;
use crate::store::analytics::{self as store, Dashboard, DashboardFilter, ItemAnalysis, Progress};
use crate::store::exam::FormRow;
use crate::store::exams::ExamRow;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::fmt::Write as _;
use time::{Date, Duration, Month, OffsetDateTime};

// ---- Shared: query, CSV, SVG --------------------------------------------------------------------------------

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
}

impl AnalyticsQuery {
    fn wants_csv(&self) -> bool {
        self.format.as_deref() == Some("csv")
    }

    fn chart(&self) -> &str {
        self.chart.as_deref().unwrap_or("")
    }
}

/// Parses `YYYY-MM-DD`.
pub(crate) fn parse_date(s: &str) -> Option<Date> {
    let mut parts = s.trim().splitn(3, '-');
    let y: i32 = parts.next()?.parse().ok()?;
    let m: u8 = parts.next()?.parse().ok()?;
    let d: u8 = parts.next()?.parse().ok()?;
    Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()
}

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

const W: f64 = 640.0;
const H: f64 = 240.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 48.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 40.0;

fn svg_open(title: &str, testid: &str) -> String {
    format!(
        "<svg class=\"chart\" data-testid=\"{testid}\" viewBox=\"0 0 {W} {H}\" width=\"100%\" role=\"img\" \
         aria-label=\"{t}\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"11\" font-family=\"sans-serif\">\
         <title>{t}</title>",
        t = esc(title)
    )
}

/// A bar chart: one bar per `(label, value, highlighted)`, values from 0 to `y_max`; an optional dashed
/// vertical line before bar `marker.0`, labelled `marker.1`.
fn bar_chart(
    title: &str,
    testid: &str,
    bars: &[(String, f64, bool)],
    y_max: f64,
    marker: Option<(usize, &str)>,
) -> String {
    let mut s = svg_open(title, testid);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let y_max = if y_max > 0.0 { y_max } else { 1.0 };
    axes(&mut s, y_max, None);
    let n = bars.len().max(1) as f64;
    let step = plot_w / n;
    let every = (bars.len() / 10).max(1);
    for (i, (label, v, hi)) in bars.iter().enumerate() {
        let h = (v / y_max).clamp(0.0, 1.0) * plot_h;
        let x = LEFT + step * i as f64;
        let fill = if *hi { "#2e7d32" } else { "#5c6bc0" };
        let _ = write!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{fill}\"><title>{}: {}</title></rect>",
            x + 1.0,
            TOP + plot_h - h,
            (step - 2.0).max(1.0),
            h,
            esc(label),
            trim_num(*v)
        );
        if i % every == 0 {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x + step / 2.0,
                H - BOTTOM + 14.0,
                esc(label)
            );
        }
    }
    if let Some((at, text)) = marker {
        let x = LEFT + step * at as f64;
        let _ = write!(
            s,
            "<line x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#c62828\" stroke-dasharray=\"4 3\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#c62828\">{}</text>",
            TOP + plot_h,
            x + 3.0,
            TOP + 10.0,
            esc(text)
        );
    }
    s.push_str("</svg>");
    s
}

fn trim_num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// The left axis from 0 to `y_max` (and a right one from 0 to `right_max` when given).
fn axes(s: &mut String, y_max: f64, right: Option<(f64, &str)>) {
    let plot_h = H - TOP - BOTTOM;
    let _ = write!(
        s,
        "<line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{b:.1}\" stroke=\"#666\"/>\
         <line x1=\"{LEFT}\" y1=\"{b:.1}\" x2=\"{:.1}\" y2=\"{b:.1}\" stroke=\"#666\"/>",
        W - RIGHT,
        b = TOP + plot_h
    );
    for k in 0..=4 {
        let f = f64::from(k) / 4.0;
        let y = TOP + plot_h * (1.0 - f);
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT - 4.0,
            y + 4.0,
            trim_num(y_max * f)
        );
        if let Some((r, unit)) = right {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\">{}{}</text>",
                W - RIGHT + 4.0,
                y + 4.0,
                trim_num(r * f),
                esc(unit)
            );
        }
    }
}

/// A line chart of one or two series over the same labels. The first series uses the left axis
/// (0..`y_max`); the second, when given, the right axis (0..`right.0`). `hline`: a dashed reference line.
fn line_chart(
    title: &str,
    testid: &str,
    labels: &[String],
    left: (&str, &[Option<f64>]),
    y_max: f64,
    right: Option<(&str, &[Option<f64>], f64, &str)>,
    hline: Option<(f64, &str)>,
) -> String {
    let mut s = svg_open(title, testid);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    axes(&mut s, y_max, right.map(|r| (r.2, r.3)));
    let n = labels.len();
    let x_at = |i: usize| {
        if n <= 1 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * i as f64 / (n - 1) as f64
        }
    };
    if let Some((v, text)) = hline {
        let y = TOP + plot_h * (1.0 - (v / y_max).clamp(0.0, 1.0));
        let _ = write!(
            s,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#c62828\" stroke-dasharray=\"4 3\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#c62828\">{}</text>",
            W - RIGHT,
            LEFT + 4.0,
            y - 3.0,
            esc(text)
        );
    }
    let every = (n / 8).max(1);
    for (i, l) in labels.iter().enumerate() {
        if i % every == 0 {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x_at(i),
                H - BOTTOM + 14.0,
                esc(l)
            );
        }
    }
    let mut series = vec![(left.0, left.1, y_max, "#3949ab")];
    if let Some((name, values, max, _)) = right {
        series.push((name, values, if max > 0.0 { max } else { 1.0 }, "#ef6c00"));
    }
    for (k, (name, values, max, colour)) in series.into_iter().enumerate() {
        let points: Vec<(f64, f64)> = values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                v.map(|v| (x_at(i), TOP + plot_h * (1.0 - (v / max).clamp(0.0, 1.0))))
            })
            .collect();
        if points.len() > 1 {
            let d: Vec<String> = points
                .iter()
                .map(|(x, y)| format!("{x:.1},{y:.1}"))
                .collect();
            let _ = write!(
                s,
                "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>",
                d.join(" ")
            );
        }
        for (x, y) in &points {
            let _ = write!(
                s,
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"{colour}\"/>"
            );
        }
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"{colour}\">{}</text>",
            LEFT + 8.0 + 200.0 * k as f64,
            H - 6.0,
            esc(name)
        );
    }
    s.push_str("</svg>");
    s
}

// ---- /admin/analytics ---------------------------------------------------------------------------------------

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
    let (exam, exams) = super::exams::chosen_for_staff(&state, user.id, q.exam.as_deref()).await?;
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
    let d = store::dashboard_in(
        &state.read_db,
        &DashboardFilter { from, to, form_id },
        Some(&exam.blueprint_id),
    )
    .await?;
    if q.wants_csv() {
        return admin_csv(q.chart(), &d);
    }
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
    };
    Ok(render(&page)?.into_response())
}

fn admin_csv(chart: &str, d: &Dashboard) -> AppResult<Response> {
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

// ---- /instructor/analytics ----------------------------------------------------------------------------------

/// One row of the item table, formatted.
pub struct ItemRow {
    pub id: String,
    pub domain: String,
    pub objective: String,
    pub n: usize,
    pub facility: String,
    pub point_biserial: String,
    pub upper_lower: String,
    pub mean_seconds: String,
    pub flags: Vec<String>,
    /// How often each option was chosen (single and multiple items; empty for the other types).
    pub options: Vec<OptionRow>,
    /// Attempts in each of the upper and lower groups.
    pub group_size: usize,
    /// A distractor is flagged (the option table opens by itself).
    pub distractor_flagged: bool,
}

/// One option of an item, with the share of attempts that chose it, overall and in the upper and lower
/// 27 % by total score.
pub struct OptionRow {
    pub id: String,
    pub text: String,
    pub keyed: bool,
    pub all: String,
    pub upper: String,
    pub lower: String,
    /// What the flags say about this distractor, if anything.
    pub note: Option<&'static str>,
}

/// A share as a whole percentage, or a dash when there is nobody to share among.
fn share(count: usize, of: usize) -> String {
    if of == 0 {
        "–".into()
    } else {
        format!("{:.0} %", count as f64 * 100.0 / of as f64)
    }
}

/// The option rows of an analysed item, with the texts of its options (Markdown, shown as plain text).
fn option_rows(
    s: &crate::analytics::item_stats::ItemStats,
    texts: Option<&std::collections::HashMap<String, String>>,
) -> Vec<OptionRow> {
    use crate::analytics::item_stats::FlagKind;
    let g = s.upper_lower.map_or(0, |u| u.group_size);
    s.options
        .iter()
        .map(|o| {
            let note = s.flags.iter().find_map(|f| match &f.kind {
                FlagKind::DistractorFavoursUpper { option_id } if *option_id == o.option_id => {
                    Some("Strong candidates pick it more than weak ones: check the key")
                }
                FlagKind::RareDistractor { option_id } if *option_id == o.option_id => {
                    Some(if o.chosen == 0 {
                        "Nobody picks it"
                    } else {
                        "Hardly anybody picks it"
                    })
                }
                _ => None,
            });
            let text = texts
                .and_then(|t| t.get(&o.option_id))
                .map(|t| super::markdown::plain(t))
                .unwrap_or_default();
            let text = if text.chars().count() > 80 {
                format!("{}…", text.chars().take(79).collect::<String>())
            } else {
                text
            };
            OptionRow {
                id: o.option_id.clone(),
                text,
                keyed: o.keyed,
                all: share(o.chosen, s.n),
                upper: share(o.upper, g),
                lower: share(o.lower, g),
                note,
            }
        })
        .collect()
}

/// An unscored trial item's row, with the "ready to promote" hint.
pub struct TrialRow {
    pub item: ItemRow,
    pub ready: bool,
    pub hint: String,
}

/// One row of a domain or objective summary, formatted.
pub struct AreaRow {
    pub id: String,
    pub items: usize,
    pub items_with_data: usize,
    pub mean_facility: String,
}

#[derive(Template)]
#[template(path = "analytics/instructor.html")]
pub struct InstructorAnalyticsPage {
    pub layout: Layout,
    pub exam: ExamRow,
    pub exams: Vec<ExamRow>,
    pub all_packs: bool,
    pub attempts: usize,
    pub items: Vec<ItemRow>,
    /// The unscored trial items, with whether to promote them.
    pub trial_items: Vec<TrialRow>,
    pub domains: Vec<AreaRow>,
    pub objectives: Vec<AreaRow>,
    pub facility_svg: String,
    /// The smallest upper and lower groups that raise distractor flags.
    pub min_group_distractor: usize,
}

impl InstructorAnalyticsPage {
    fn has_option_tables(&self) -> bool {
        self.items.iter().any(|i| !i.options.is_empty())
    }
}

fn area_rows(areas: &[crate::analytics::item_stats::AreaSummary]) -> Vec<AreaRow> {
    areas
        .iter()
        .map(|a| AreaRow {
            id: a.id.clone(),
            items: a.items,
            items_with_data: a.items_with_data,
            mean_facility: opt(a.mean_facility, 2),
        })
        .collect()
}

pub async fn instructor(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    Query(q): Query<AnalyticsQuery>,
) -> AppResult<Response> {
    let owner = (user.role != Role::Admin).then_some(user.id);
    let (exam, exams) = super::exams::chosen_for_staff(&state, user.id, q.exam.as_deref()).await?;
    let a = store::item_analysis_in(&state.read_db, owner, Some(&exam.blueprint_id)).await?;
    if q.wants_csv() {
        return instructor_csv(q.chart(), &a);
    }
    let item_row = |s: &crate::analytics::item_stats::ItemStats| ItemRow {
        id: s.item_id.clone(),
        domain: s.domain.clone(),
        objective: s.objective.clone(),
        n: s.n,
        facility: opt(s.facility, 2),
        point_biserial: opt(s.point_biserial, 2),
        upper_lower: opt(s.upper_lower.map(|u| u.index), 2),
        mean_seconds: opt(s.mean_seconds, 0),
        flags: s.flags.iter().map(|f| f.reason.clone()).collect(),
        options: option_rows(s, a.option_texts.get(&s.item_id)),
        group_size: s.upper_lower.map_or(0, |u| u.group_size),
        distractor_flagged: s.flags.iter().any(|f| {
            matches!(
                f.kind,
                crate::analytics::item_stats::FlagKind::RareDistractor { .. }
                    | crate::analytics::item_stats::FlagKind::DistractorFavoursUpper { .. }
            )
        }),
    };
    let items: Vec<ItemRow> = a.items.iter().map(item_row).collect();
    let trial_items: Vec<TrialRow> = a
        .trial_items
        .iter()
        .map(|s| {
            let hint = crate::analytics::item_stats::promotion(s);
            TrialRow {
                item: item_row(s),
                ready: hint.ready,
                hint: hint.reason,
            }
        })
        .collect();
    let domain_bars: Vec<(String, f64, bool)> = a
        .domains
        .iter()
        .map(|d| (d.id.clone(), d.mean_facility.unwrap_or(0.0), false))
        .collect();
    let facility_svg = bar_chart(
        "Mean facility by domain",
        "chart-facility",
        &domain_bars,
        1.0,
        None,
    );
    let page = InstructorAnalyticsPage {
        layout: Layout::from_session(&session),
        exam,
        exams,
        all_packs: owner.is_none(),
        attempts: a.attempts,
        domains: area_rows(&a.domains),
        objectives: area_rows(&a.objectives),
        items,
        trial_items,
        facility_svg,
        min_group_distractor: crate::analytics::item_stats::Thresholds::default()
            .min_group_distractor,
    };
    Ok(render(&page)?.into_response())
}

fn instructor_csv(chart: &str, a: &ItemAnalysis) -> AppResult<Response> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    match chart {
        "items" => {
            rows.push(
                [
                    "item",
                    "domain",
                    "objective",
                    "n",
                    "facility",
                    "point_biserial",
                    "upper_lower",
                    "mean_seconds",
                    "flags",
                ]
                .map(String::from)
                .to_vec(),
            );
            for s in &a.items {
                rows.push(vec![
                    s.item_id.clone(),
                    s.domain.clone(),
                    s.objective.clone(),
                    s.n.to_string(),
                    opt(s.facility, 4),
                    opt(s.point_biserial, 4),
                    opt(s.upper_lower.map(|u| u.index), 4),
                    opt(s.mean_seconds, 1),
                    s.flags
                        .iter()
                        .map(|f| f.reason.clone())
                        .collect::<Vec<_>>()
                        .join("; "),
                ]);
            }
        }
        "options" => {
            rows.push(
                [
                    "item",
                    "option",
                    "keyed",
                    "chosen",
                    "n",
                    "upper",
                    "lower",
                    "group_size",
                ]
                .map(String::from)
                .to_vec(),
            );
            for s in &a.items {
                let g = s.upper_lower.map_or(0, |u| u.group_size);
                for o in &s.options {
                    rows.push(vec![
                        s.item_id.clone(),
                        o.option_id.clone(),
                        o.keyed.to_string(),
                        o.chosen.to_string(),
                        s.n.to_string(),
                        o.upper.to_string(),
                        o.lower.to_string(),
                        g.to_string(),
                    ]);
                }
            }
        }
        "domains" | "objectives" | "facility" => {
            let areas = if chart == "objectives" {
                &a.objectives
            } else {
                &a.domains
            };
            rows.push(
                ["id", "items", "items_with_data", "mean_facility"]
                    .map(String::from)
                    .to_vec(),
            );
            for r in areas {
                rows.push(vec![
                    r.id.clone(),
                    r.items.to_string(),
                    r.items_with_data.to_string(),
                    opt(r.mean_facility, 4),
                ]);
            }
        }
        other => return Err(unknown_chart(other)),
    }
    csv_response(&format!("items-{chart}"), rows)
}

// ---- /progress ----------------------------------------------------------------------------------------------

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
    let (exam, exams) = super::exams::chosen(&state, Some(user.id), q.exam.as_deref()).await?;
    let p = store::progress_in(&state.read_db, user.id, Some(&exam.blueprint_id)).await?;
    if q.wants_csv() {
        return progress_csv(q.chart(), &p);
    }
    let labels: Vec<String> = p
        .attempts
        .iter()
        .map(|a| a.started_at.date().to_string())
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
        .map(|a| ProgressRow {
            date: a.started_at.date().to_string(),
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
        banner: super::exams::banner(&exam),
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

fn progress_csv(chart: &str, p: &Progress) -> AppResult<Response> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
