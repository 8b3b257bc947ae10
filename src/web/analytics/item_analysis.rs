//! `/instructor/analytics`: the instructor's item analysis (items, options, trial items, areas) and its CSV.

use super::charts::*;
use super::*;
use crate::auth::session::RequireInstructor;
use crate::auth::Role;
use crate::error::AppResult;
use crate::store::analytics::{self as store, ItemAnalysis};
use crate::store::exams::ExamRow;
use crate::web::{render, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};

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
pub(super) fn share(count: usize, of: usize) -> String {
    if of == 0 {
        "–".into()
    } else {
        format!("{:.0} %", count as f64 * 100.0 / of as f64)
    }
}

/// The option rows of an analysed item, with the texts of its options (Markdown, shown as plain text).
pub(super) fn option_rows(
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
                .map(|t| crate::web::markdown::plain(t))
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
    /// The class the analysis is scoped to.
    pub class: Option<crate::store::classes::ClassRow>,
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
    pub(super) fn has_option_tables(&self) -> bool {
        self.items.iter().any(|i| !i.options.is_empty())
    }
}

pub(super) fn area_rows(areas: &[crate::analytics::item_stats::AreaSummary]) -> Vec<AreaRow> {
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
    let (exam, exams) =
        crate::web::exams::chosen_for_staff(&state, user.id, q.exam.as_deref()).await?;
    // Scoped to a class (`?class=`): its members' attempts at its assignments, every item in them.
    let class = match q.class.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => {
            let id: uuid::Uuid = c.parse().map_err(|_| AppError::NotFound)?;
            Some(crate::classes::staff(&state.db, id, &user).await?.0)
        }
        None => None,
    };
    let analysis = async {
        match &class {
            Some(c) => store::item_analysis_of_class(&state.read_db, c.id).await,
            None => store::item_analysis_in(&state.read_db, owner, Some(&exam.blueprint_id)).await,
        }
    };
    if q.wants_csv() {
        return instructor_csv(q.chart(), &analysis.await?);
    }
    // The page also lists the questions without an explanation or a reference: read while the analysis is
    // computed.
    let without = store::without_explanation(&state.read_db, owner, Some(&exam.blueprint_id));
    let (a, without) = tokio::try_join!(analysis, without)?;
    let item_row = |s: &crate::analytics::item_stats::ItemStats| ItemRow {
        id: s.item_id.clone(),
        domain: s.domain.clone(),
        objective: s.objective.clone(),
        n: s.n,
        facility: opt(s.facility, 2),
        point_biserial: opt(s.point_biserial, 2),
        upper_lower: opt(s.upper_lower.map(|u| u.index), 2),
        mean_seconds: opt(s.mean_seconds, 0),
        flags: s
            .flags
            .iter()
            .map(|f| f.reason.clone())
            .chain(
                without
                    .contains(&s.item_id)
                    .then(|| "needs an explanation: candidates see only the key".to_owned()),
            )
            .collect(),
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
        all_packs: owner.is_none() || class.is_some(),
        class,
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

pub(super) fn instructor_csv(chart: &str, a: &ItemAnalysis) -> AppResult<Response> {
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
