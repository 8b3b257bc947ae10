//! Pack statistics (`bank stats`): scored questions by domain, type and objective, each domain's share against
//! the blueprint's weight range, and the objectives that have too few questions. Pure.

use super::check::CheckReport;
use super::currency::mention_counts;
use super::model::{Blueprint, Item};
use super::review::{ReviewAges, ReviewStatus};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Objectives with fewer scored questions than this are listed as thin by [`stats`].
pub const DEFAULT_MIN_PER_OBJECTIVE: usize = 3;

use super::model::QUESTION_TYPES as TYPES;

/// A pack's statistics. Counts are of scored questions: a case study counts as its questions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    /// The pack's id, when it has metadata.
    pub pack: Option<String>,
    /// The blueprint the shares are measured against.
    pub blueprint: String,
    /// Scored questions (a case study counts as its questions).
    pub items: usize,
    /// Entries of `items:` lists (a case study counts once).
    pub entries: usize,
    pub case_studies: usize,
    /// Questions inside case studies.
    pub case_study_questions: usize,
    /// The sum of the questions' maximum points.
    pub points: u64,
    /// Problems the checker found.
    pub problems: usize,
    /// Uses of lexicon terms the checker found (warnings).
    pub warnings: usize,
    /// `mentions` declarations by lexicon term (items and case-study questions).
    pub mentions: BTreeMap<String, usize>,
    /// Domain id → questions (every blueprint domain, plus any unknown one found).
    pub by_domain: BTreeMap<String, usize>,
    /// Type → questions (case-study questions by their own type).
    pub by_type: BTreeMap<String, usize>,
    /// Objective id → questions (every blueprint objective, plus any unknown one found).
    pub by_objective: BTreeMap<String, usize>,
    /// Difficulty → questions (`unset` when not given).
    pub by_difficulty: BTreeMap<String, usize>,
    /// Each blueprint domain's share, in blueprint order.
    pub domains: Vec<DomainShare>,
    /// The threshold for [`Stats::thin_objectives`].
    pub min_per_objective: usize,
    /// Blueprint objectives with fewer than `min_per_objective` questions, in blueprint order.
    pub thin_objectives: Vec<ThinObjective>,
    /// Questions by review age (`reviewed:`), when counted to a date ([`Stats::with_review`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_ages: Option<ReviewAges>,
    /// What the exam's `review-log.yaml` says, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_log: Option<ReviewStatus>,
}

impl Stats {
    /// The statistics with the review ages on `today` and the review log's status.
    pub fn with_review(
        mut self,
        items: &[Item],
        today: time::Date,
        log: Option<ReviewStatus>,
    ) -> Stats {
        self.review_ages = Some(super::review::review_ages(items, today));
        self.review_log = log;
        self
    }
}

/// The sums over the exams of a bank root.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    pub exams: usize,
    pub items: usize,
    pub entries: usize,
    pub case_studies: usize,
    pub case_study_questions: usize,
    pub points: u64,
    pub problems: usize,
    pub warnings: usize,
    pub by_type: BTreeMap<String, usize>,
    pub mentions: BTreeMap<String, usize>,
}

/// The sums of the exams' statistics.
pub fn totals<'a>(all: impl IntoIterator<Item = &'a Stats>) -> Totals {
    let mut t = Totals::default();
    for s in all {
        t.exams += 1;
        t.items += s.items;
        t.entries += s.entries;
        t.case_studies += s.case_studies;
        t.case_study_questions += s.case_study_questions;
        t.points += s.points;
        t.problems += s.problems;
        t.warnings += s.warnings;
        for (k, n) in &s.by_type {
            *t.by_type.entry(k.clone()).or_insert(0) += n;
        }
        for (k, n) in &s.mentions {
            *t.mentions.entry(k.clone()).or_insert(0) += n;
        }
    }
    t
}

/// A domain's share of the scored questions against its weight range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainShare {
    pub id: String,
    pub title: String,
    pub questions: usize,
    /// Percent of all scored questions (0 when there are none).
    pub percent: f64,
    pub min: f64,
    pub max: f64,
    /// True when `min <= percent <= max`.
    pub within: bool,
}

/// An objective with too few questions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThinObjective {
    pub id: String,
    pub domain: String,
    pub title: String,
    pub questions: usize,
}

/// The statistics of a checked pack, with thin objectives below [`DEFAULT_MIN_PER_OBJECTIVE`].
pub fn stats(report: &CheckReport, blueprint: &Blueprint) -> Stats {
    stats_with_threshold(report, blueprint, DEFAULT_MIN_PER_OBJECTIVE)
}

/// The statistics of a checked pack; objectives with fewer than `min_per_objective` questions are thin.
///
/// Counts the report's typed items (see [`CheckReport::items`]).
pub fn stats_with_threshold(
    report: &CheckReport,
    blueprint: &Blueprint,
    min_per_objective: usize,
) -> Stats {
    let mut by_domain: BTreeMap<String, usize> = blueprint
        .domains
        .iter()
        .map(|d| (d.id.clone(), 0))
        .collect();
    let mut by_objective: BTreeMap<String, usize> = blueprint
        .domains
        .iter()
        .flat_map(|d| d.objectives.iter().map(|o| (o.id.clone(), 0)))
        .collect();
    let mut by_type: BTreeMap<String, usize> = TYPES.iter().map(|t| ((*t).to_owned(), 0)).collect();
    let mut by_difficulty = BTreeMap::new();
    let mut items = 0;
    let mut case_studies = 0;
    let mut case_study_questions = 0;
    let mut points = 0u64;
    for item in &report.items {
        let questions = item.questions();
        if let Item::CaseStudy(_) = item {
            case_studies += 1;
            case_study_questions += questions.len();
        }
        let case_difficulty = item.case_study().and_then(|c| c.difficulty);
        for (q, domain) in questions {
            items += 1;
            points += u64::from(q.max_points());
            *by_domain.entry(domain.to_owned()).or_insert(0) += 1;
            *by_objective.entry(q.common.objective.clone()).or_insert(0) += 1;
            *by_type.entry(q.body.type_name().to_owned()).or_insert(0) += 1;
            let difficulty = match q.common.difficulty.or(case_difficulty) {
                Some(d) => serde_json::to_value(d)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                None => "unset".to_owned(),
            };
            *by_difficulty.entry(difficulty).or_insert(0) += 1;
        }
    }
    let domains = blueprint
        .domains
        .iter()
        .map(|d| {
            let questions = by_domain.get(&d.id).copied().unwrap_or(0);
            let percent = if items == 0 {
                0.0
            } else {
                questions as f64 * 100.0 / items as f64
            };
            DomainShare {
                id: d.id.clone(),
                title: d.title.clone(),
                questions,
                percent,
                min: d.weight.min,
                max: d.weight.max,
                within: d.weight.min <= percent && percent <= d.weight.max,
            }
        })
        .collect();
    let thin_objectives = blueprint
        .domains
        .iter()
        .flat_map(|d| d.objectives.iter().map(move |o| (d, o)))
        .filter_map(|(d, o)| {
            let questions = by_objective.get(&o.id).copied().unwrap_or(0);
            (questions < min_per_objective).then(|| ThinObjective {
                id: o.id.clone(),
                domain: d.id.clone(),
                title: o.title.clone(),
                questions,
            })
        })
        .collect();
    Stats {
        pack: report.pack.as_ref().map(|p| p.meta.id.clone()),
        blueprint: blueprint.id.clone(),
        items,
        entries: report.items.len(),
        case_studies,
        case_study_questions,
        points,
        problems: report.problems.len(),
        warnings: report.warnings.len(),
        mentions: mention_counts(&report.items),
        by_domain,
        by_type,
        by_objective,
        by_difficulty,
        domains,
        min_per_objective,
        thin_objectives,
        review_ages: None,
        review_log: None,
    }
}

/// The statistics as a plain-text report with aligned tables.
pub fn render_text(stats: &Stats) -> String {
    let mut out = String::new();
    let pack = stats.pack.as_deref().unwrap_or("(no pack metadata)");
    // Writing to a String cannot fail.
    let _ = writeln!(out, "Pack {pack} against blueprint {}", stats.blueprint);
    let _ = writeln!(
        out,
        "{} scored questions in {} entries ({} case studies holding {} questions), {} points, {} problems",
        stats.items, stats.entries, stats.case_studies, stats.case_study_questions, stats.points, stats.problems
    );
    out.push('\n');
    let id_width = stats
        .domains
        .iter()
        .map(|d| d.id.len())
        .max()
        .unwrap_or(0)
        .max("domain".len());
    let _ = writeln!(
        out,
        "{:<id_width$}  {:>9}  {:>7}  {:>8}  status",
        "domain", "questions", "share", "target"
    );
    for d in &stats.domains {
        let status = if d.within {
            "ok"
        } else if d.percent < d.min {
            "under"
        } else {
            "over"
        };
        let target = format!("{}–{}%", trim_float(d.min), trim_float(d.max));
        let _ = writeln!(
            out,
            "{:<id_width$}  {:>9}  {:>6.1}%  {target:>8}  {status}",
            d.id, d.questions, d.percent
        );
    }
    let unknown: Vec<(&String, &usize)> = stats
        .by_domain
        .iter()
        .filter(|(id, n)| **n > 0 && !stats.domains.iter().any(|d| &d.id == *id))
        .collect();
    for (id, n) in unknown {
        let _ = writeln!(out, "{id:<id_width$}  {n:>9}  (not in the blueprint)");
    }
    out.push('\n');
    let type_width = TYPES.iter().map(|t| t.len()).max().unwrap_or(0);
    let _ = writeln!(out, "{:<type_width$}  {:>9}", "type", "questions");
    for (t, n) in &stats.by_type {
        let _ = writeln!(out, "{t:<type_width$}  {n:>9}");
    }
    out.push('\n');
    let obj_width = stats
        .by_objective
        .keys()
        .map(String::len)
        .max()
        .unwrap_or(0)
        .max("objective".len());
    let _ = writeln!(out, "{:<obj_width$}  {:>9}", "objective", "questions");
    for (o, n) in &stats.by_objective {
        let _ = writeln!(out, "{o:<obj_width$}  {n:>9}");
    }
    out.push('\n');
    if stats.thin_objectives.is_empty() {
        let _ = writeln!(
            out,
            "Every objective has at least {} questions.",
            stats.min_per_objective
        );
    } else {
        let _ = writeln!(
            out,
            "Objectives with fewer than {} questions ({}):",
            stats.min_per_objective,
            stats.thin_objectives.len()
        );
        for o in &stats.thin_objectives {
            let _ = writeln!(
                out,
                "  {:<obj_width$}  {:>3}  {}",
                o.id, o.questions, o.title
            );
        }
    }
    render_review(&mut out, stats);
    out
}

/// The mentions, review ages and review-log sections of the text report.
fn render_review(out: &mut String, stats: &Stats) {
    out.push('\n');
    let _ = writeln!(out, "{} lexicon warning(s).", stats.warnings);
    if stats.mentions.is_empty() {
        let _ = writeln!(out, "No `mentions` declarations.");
    } else {
        let _ = writeln!(out, "`mentions` declarations by term:");
        for (term, n) in &stats.mentions {
            let _ = writeln!(out, "  {term:<24}  {n:>4}");
        }
    }
    if let Some(ages) = &stats.review_ages {
        out.push('\n');
        let _ = writeln!(out, "Review age on {} (questions):", ages.today);
        for bucket in ["never", "0-90", "91-180", "181-365", ">365"] {
            let n = ages.by_age.get(bucket).copied().unwrap_or(0);
            let label = if bucket == "never" {
                "never reviewed".to_owned()
            } else {
                format!("{bucket} days")
            };
            let _ = writeln!(out, "  {label:<16}  {n:>4}");
        }
        if ages.due.is_empty() {
            let _ = writeln!(
                out,
                "Every question was reviewed in the last {} days.",
                ages.max_days
            );
        } else {
            let _ = writeln!(
                out,
                "Due for review (never, or more than {} days ago) ({}):",
                ages.max_days,
                ages.due.len()
            );
            for a in &ages.due {
                match (&a.reviewed, a.days) {
                    (Some(r), Some(d)) => {
                        let _ = writeln!(out, "  {:<24}  {r} ({d} days)", a.item);
                    }
                    (Some(r), None) => {
                        let _ = writeln!(out, "  {:<24}  `{r}` is not a date", a.item);
                    }
                    (None, _) => {
                        let _ = writeln!(out, "  {:<24}  never", a.item);
                    }
                }
            }
        }
    }
    if stats.review_log.is_none() && stats.review_ages.is_some() {
        out.push('\n');
        let _ = writeln!(out, "No review log (review-log.yaml).");
    }
    if let Some(log) = &stats.review_log {
        out.push('\n');
        let _ = writeln!(
            out,
            "Review log: {} entries for {} reviewable items",
            log.entries, log.reviewable
        );
        let lists: [(&str, &Vec<String>); 6] = [
            ("no entry", &log.no_entry),
            ("stale hash (edited since the review)", &log.stale),
            ("hash not stamped yet", &log.unstamped),
            ("entries naming unknown items", &log.unknown_items),
            ("reader is the author", &log.reader_is_author),
            (
                "url not one of the item's references",
                &log.url_not_a_reference,
            ),
        ];
        for (what, ids) in lists {
            let ids = super::review::unique(ids);
            if ids.is_empty() {
                let _ = writeln!(out, "  {what}: none");
            } else {
                let _ = writeln!(out, "  {what} ({}): {}", ids.len(), ids.join(", "));
            }
        }
    }
}

/// `15` rather than `15.0`, `12.5` as is.
fn trim_float(f: f64) -> String {
    if f.fract() == 0.0 {
        format!("{f:.0}")
    } else {
        format!("{f}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::check::{check_sources, shipped_blueprint};

    fn blueprint() -> Blueprint {
        shipped_blueprint().expect("the shipped blueprint loads")
    }

    const PACK: &str = r#"
pack: { id: t, title: T, version: 1, blueprint: ai102 }
items:
  - id: q1
    type: single
    domain: plan
    objective: plan.secure
    difficulty: easy
    stem: S
    options: [{ id: a, text: A }, { id: b, text: B }]
    answer: a
    explanation: E
    references: [https://learn.microsoft.com/x]
  - id: cs
    type: case_study
    domain: genai
    title: C
    stem: S
    documents: [{ id: d, title: D, body: B }]
    questions:
      - id: cs-q1
        type: yes_no_series
        objective: genai.rag
        stem: S
        statements: [{ id: s1, text: T, answer: yes }, { id: s2, text: U, answer: no }]
        explanation: E
        references: [https://learn.microsoft.com/x]
      - id: cs-q2
        type: single
        domain: nlp
        objective: nlp.text
        stem: S
        options: [{ id: a, text: A }, { id: b, text: B }]
        answer: b
        explanation: E
        references: [https://learn.microsoft.com/x]
"#;

    fn pack_stats() -> Stats {
        let bp = blueprint();
        let report = check_sources(&[("p.yaml".to_owned(), PACK.to_owned())], &bp);
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        stats_with_threshold(&report, &bp, 1)
    }

    #[test]
    fn a_case_study_counts_as_its_questions() {
        let s = pack_stats();
        assert_eq!(s.items, 3);
        assert_eq!(s.entries, 2);
        assert_eq!(s.case_studies, 1);
        assert_eq!(s.case_study_questions, 2);
        assert_eq!(s.points, 1 + 2 + 1);
    }

    #[test]
    fn questions_are_counted_by_effective_domain_type_and_objective() {
        let s = pack_stats();
        assert_eq!(s.by_domain["plan"], 1);
        assert_eq!(s.by_domain["genai"], 1);
        assert_eq!(s.by_domain["nlp"], 1);
        assert_eq!(s.by_domain["vision"], 0);
        assert_eq!(s.by_type["single"], 2);
        assert_eq!(s.by_type["yes_no_series"], 1);
        assert_eq!(s.by_type["match"], 0);
        assert_eq!(s.by_objective["genai.rag"], 1);
        assert_eq!(s.by_difficulty["easy"], 1);
        assert_eq!(s.by_difficulty["unset"], 2);
    }

    #[test]
    fn domain_shares_are_checked_against_the_weight_range() {
        let s = pack_stats();
        let plan = s.domains.iter().find(|d| d.id == "plan").expect("plan");
        assert!((plan.percent - 100.0 / 3.0).abs() < 1e-9);
        assert!(!plan.within, "33% is above plan's 15–20%");
        let vision = s.domains.iter().find(|d| d.id == "vision").expect("vision");
        assert_eq!(vision.percent, 0.0);
        assert!(!vision.within);
    }

    #[test]
    fn objectives_below_the_threshold_are_thin() {
        let s = pack_stats();
        assert!(s
            .thin_objectives
            .iter()
            .any(|o| o.id == "vision.ocr" && o.questions == 0));
        assert!(!s.thin_objectives.iter().any(|o| o.id == "plan.secure"));
    }

    #[test]
    fn the_text_report_has_a_row_per_domain_and_lists_thin_objectives() {
        let text = render_text(&pack_stats());
        assert!(text.contains("Pack t against blueprint ai102"));
        assert!(text
            .lines()
            .any(|l| l.starts_with("plan ") && l.contains("33.3%") && l.ends_with("over")));
        assert!(text
            .lines()
            .any(|l| l.starts_with("vision ") && l.ends_with("under")));
        assert!(text.contains("Objectives with fewer than 1 questions"));
        assert!(text.contains("vision.ocr"));
    }

    #[test]
    fn an_empty_report_has_zero_shares() {
        let bp = blueprint();
        let s = stats(&CheckReport::default(), &bp);
        assert_eq!(s.items, 0);
        assert!(s.domains.iter().all(|d| d.percent == 0.0));
        assert_eq!(
            s.thin_objectives.len(),
            bp.domains.iter().map(|d| d.objectives.len()).sum::<usize>()
        );
    }
}
