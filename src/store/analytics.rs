//! The queries behind the analytics pages: the admin dashboard's figures, the rows that feed the item
//! analysis of an instructor's packs, and a candidate's progress. Exam-mode attempts only (practice is
//! excluded everywhere). The statistics themselves are in `crate::analytics` (pure).
//!
//! Vocabulary: an attempt is **finished** when it was submitted, or expired with at least one answer;
//! **abandoned** when it expired with no answer at all. Open attempts are neither. In SQL (the live queries
//! below, and migration 0010's `analytics_apply` for the rollups):
//! `(a.ended_reason = 'submitted' OR (a.ended_reason = 'expired' AND EXISTS (SELECT 1 FROM answers an0
//! WHERE an0.attempt_id = a.id AND an0.response IS NOT NULL)))`; tests/it/analytics.rs checks that the live
//! queries and the rollups agree.

use super::bank;
use super::exam::EndReason;
use crate::analytics::dashboard::{
    histogram_from_counts, period_start, periods, score_histogram, HistogramBin, Period,
};
use crate::analytics::item_stats::{self, AreaSummary, AttemptRecord, ItemInfo, ItemResponse};
use crate::analytics::readiness::{self, ObjectivePoints, ReadinessConfig, ReadinessEstimate};
use crate::analytics::rollup::{item_stats_from_sums, ItemSums};
use crate::bank::model::Body;
use crate::exam::plan::find_question;
use crate::scoring::Response;
use sqlx::types::Json;
use sqlx::PgPool;
use std::collections::{BTreeMap, HashMap, HashSet};
use time::{Date, Duration, OffsetDateTime, Time};
use uuid::Uuid;

mod demo;

pub use demo::*;

/// A full mock has at least this many items; shorter forms (Quick 15) do not feed the readiness estimate.
pub const FULL_MOCK_MIN_ITEMS: i32 = 40;

// ---- Admin dashboard --------------------------------------------------------------------------------------

/// Which attempts the dashboard counts: started on `from..=to` (UTC days), optionally of one form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DashboardFilter {
    pub from: Date,
    pub to: Date,
    pub form_id: Option<Uuid>,
}

impl DashboardFilter {
    fn bounds(&self) -> (OffsetDateTime, OffsetDateTime) {
        let start = self.from.with_time(Time::MIDNIGHT).assume_utc();
        let end = (self.to + Duration::days(1))
            .with_time(Time::MIDNIGHT)
            .assume_utc();
        (start, end)
    }
}

/// One week of the pass-rate and mean-score line.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekRow {
    /// Monday of the week (UTC).
    pub start: Date,
    /// Finished attempts started that week.
    pub finished: usize,
    /// Share of them that passed.
    pub pass_rate: Option<f64>,
    /// Their mean scaled score.
    pub mean_score: Option<f64>,
}

/// Points earned over points at stake in one domain, across the finished attempts.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainMean {
    pub domain: String,
    pub earned: f64,
    pub max: f64,
    /// `100 · earned / max`.
    pub percent: f64,
}

/// Everything the admin dashboard shows: constant in size whatever the number of attempts.
#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    pub started: usize,
    pub finished: usize,
    pub abandoned: usize,
    /// Started, not ended yet.
    pub open: usize,
    /// Share of finished attempts that passed.
    pub pass_rate: Option<f64>,
    /// Mean scaled score of finished attempts.
    pub mean_score: Option<f64>,
    pub weeks: Vec<WeekRow>,
    /// Scaled scores of finished attempts, in bins of 50.
    pub histogram: Vec<HistogramBin>,
    pub domains: Vec<DomainMean>,
    /// Mean minutes used by finished attempts, and mean minutes they were allowed (with extra time).
    pub minutes_used: Option<f64>,
    pub minutes_allowed: Option<f64>,
}

/// The sums of one week's ended attempts (by start, UTC, weeks from Monday) that the dashboard's figures are
/// made of. [`dashboard_in`] has PostgreSQL add them up (`date_trunc('week', …)`); [`dashboard_live`] adds them
/// up here from every attempt. Whole numbers are exact in both, so the means agree to the bit.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct WeekSums {
    week: Option<Date>,
    ended: i64,
    finished: i64,
    /// Finished attempts with a scaled score, and the sum of their scores.
    scored: i64,
    score_sum: f64,
    /// Finished attempts with a pass or fail, and how many passed.
    judged: i64,
    passes: i64,
    n_used: i64,
    used_sum: f64,
    n_allowed: i64,
    allowed_sum: f64,
}

impl WeekSums {
    fn add(mut self, w: &WeekSums) -> WeekSums {
        self.ended += w.ended;
        self.finished += w.finished;
        self.scored += w.scored;
        self.score_sum += w.score_sum;
        self.judged += w.judged;
        self.passes += w.passes;
        self.n_used += w.n_used;
        self.used_sum += w.used_sum;
        self.n_allowed += w.n_allowed;
        self.allowed_sum += w.allowed_sum;
        self
    }
}

fn share(sum: f64, n: i64) -> Option<f64> {
    (n > 0).then(|| sum / n as f64)
}

fn count(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

/// The dashboard's figures for the filter, computed straight from `attempts`, `attempt_items` and `answers`:
/// the reference that [`dashboard`] (from the rollups) must agree with. Tests and bench/analytics.rs use it;
/// the pages do not (at 100,000 attempts it takes seconds).
pub async fn dashboard_live(db: &PgPool, f: &DashboardFilter) -> Result<Dashboard, sqlx::Error> {
    let (start, end) = f.bounds();
    let rows = sqlx::query!(
        r#"SELECT a.id, a.started_at, a.ended_reason AS "ended_reason: EndReason", a.scaled_score, a.passed,
                EXISTS (SELECT 1 FROM answers an0 WHERE an0.attempt_id = a.id AND an0.response IS NOT NULL)
                    AS "answered!",
                (extract(epoch FROM a.ended_at - a.started_at) / 60.0)::float8 AS used,
                (extract(epoch FROM a.deadline - a.started_at) / 60.0)::float8 AS allowed
         FROM attempts a
         WHERE a.mode = 'exam' AND a.started_at >= $1 AND a.started_at < $2
           AND ($3::uuid IS NULL OR a.form_id = $3)
         ORDER BY a.started_at, a.id"#,
        start,
        end,
        f.form_id,
    )
    .fetch_all(db)
    .await?;
    let mut open = 0;
    let mut weeks: BTreeMap<Date, WeekSums> = BTreeMap::new();
    let mut scores = Vec::new();
    let mut finished_ids = Vec::new();
    for r in rows {
        let Some(reason) = r.ended_reason else {
            open += 1;
            continue;
        };
        let week = period_start(r.started_at, Period::Week);
        let w = weeks.entry(week).or_insert_with(|| WeekSums {
            week: Some(week),
            ..WeekSums::default()
        });
        w.ended += 1;
        // Finished: see the module documentation.
        if !(reason == EndReason::Submitted || r.answered) {
            continue;
        }
        finished_ids.push(r.id);
        w.finished += 1;
        if let Some(s) = r.scaled_score {
            let s = u32::try_from(s).unwrap_or(0);
            scores.push(s);
            w.scored += 1;
            w.score_sum += f64::from(s);
        }
        if let Some(p) = r.passed {
            w.judged += 1;
            w.passes += i64::from(p);
        }
        if let Some(u) = r.used {
            w.n_used += 1;
            w.used_sum += u;
        }
        if let Some(a) = r.allowed {
            w.n_allowed += 1;
            w.allowed_sum += a;
        }
    }
    let domains = domain_means(db, &finished_ids).await?;
    let weeks: Vec<WeekSums> = weeks.into_values().collect();
    Ok(assemble(open, &weeks, score_histogram(&scores), domains))
}

/// The dashboard from its open attempts, the sums of its ended attempts by week (in order), the histogram and
/// the domain means.
fn assemble(
    open: usize,
    weeks: &[WeekSums],
    histogram: Vec<HistogramBin>,
    domains: Vec<DomainMean>,
) -> Dashboard {
    let all = weeks.iter().fold(WeekSums::default(), |all, w| all.add(w));
    // The line runs from the first week with a score to the last, the weeks between included.
    let scored = |w: &&WeekSums| w.scored > 0;
    let line = match (
        weeks.iter().find(scored).and_then(|w| w.week),
        weeks.iter().rfind(scored).and_then(|w| w.week),
    ) {
        (Some(first), Some(last)) => periods(first, last, Period::Week),
        _ => Vec::new(),
    };
    let by_week: HashMap<Date, &WeekSums> = weeks
        .iter()
        .filter_map(|w| w.week.map(|d| (d, w)))
        .collect();
    Dashboard {
        started: open + count(all.ended),
        finished: count(all.finished),
        abandoned: count(all.ended - all.finished),
        open,
        pass_rate: share(all.passes as f64, all.judged),
        mean_score: share(all.score_sum, all.scored),
        weeks: line
            .into_iter()
            .map(|start| {
                let w = by_week.get(&start).copied().copied().unwrap_or_default();
                WeekRow {
                    start,
                    finished: count(w.scored),
                    pass_rate: share(w.passes as f64, w.judged),
                    mean_score: share(w.score_sum, w.scored),
                }
            })
            .collect(),
        histogram,
        domains,
        minutes_used: share(all.used_sum, all.n_used),
        minutes_allowed: share(all.allowed_sum, all.n_allowed),
    }
}

/// The dashboard's figures for the filter, from the day rollups (migration 0019, kept as attempts end) and the
/// open attempts. Agrees with [`dashboard_live`].
pub async fn dashboard(db: &PgPool, f: &DashboardFilter) -> Result<Dashboard, sqlx::Error> {
    dashboard_in(db, f, None).await
}

/// [`dashboard`] of one exam's attempts (by blueprint): domain ids are only unique within an exam, so the
/// pages always pass one. Four queries, run at once on the pool: the open attempts' count, and from the day
/// rollups of migration 0019 (`dashboard_days`, `dashboard_day_bins`, `dashboard_day_domains`, a few rows per
/// form and day whatever the number of attempts) the sums by week, the histogram's bins and the domains.
pub async fn dashboard_in(
    db: &PgPool,
    f: &DashboardFilter,
    blueprint: Option<&str>,
) -> Result<Dashboard, sqlx::Error> {
    let (start, end) = f.bounds();
    let open = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM attempts a
         WHERE a.ended_at IS NULL AND a.ended_reason IS NULL AND a.mode = 'exam'
           AND a.started_at >= $1 AND a.started_at < $2 AND ($3::uuid IS NULL OR a.form_id = $3)
           AND ($4::text IS NULL OR a.blueprint_id = $4)"#,
        start,
        end,
        f.form_id,
        blueprint,
    )
    .fetch_one(db);
    // Days are UTC days of start, so `from..=to` selects exactly the attempts started in the filter's bounds.
    let weeks = sqlx::query_as!(
        WeekSums,
        r#"SELECT date_trunc('week', d.day::timestamp)::date AS week,
                sum(d.ended)::int8 AS "ended!", sum(d.finished)::int8 AS "finished!",
                sum(d.scored)::int8 AS "scored!", sum(d.score_sum)::float8 AS "score_sum!",
                sum(d.judged)::int8 AS "judged!", sum(d.passes)::int8 AS "passes!",
                sum(d.n_used)::int8 AS "n_used!", sum(d.used_sum)::float8 AS "used_sum!",
                sum(d.n_allowed)::int8 AS "n_allowed!", sum(d.allowed_sum)::float8 AS "allowed_sum!"
         FROM dashboard_days d
         WHERE d.day >= $1 AND d.day <= $2 AND ($3::uuid IS NULL OR d.form_key = $3)
           AND ($4::text IS NULL OR d.form_key IN (SELECT id FROM exam_forms WHERE blueprint_id = $4))
         GROUP BY 1 ORDER BY 1"#,
        f.from,
        f.to,
        f.form_id,
        blueprint,
    )
    .fetch_all(db);
    let bins = sqlx::query!(
        r#"SELECT b.bin AS "bin!", sum(b.attempts)::int8 AS "count!"
         FROM dashboard_day_bins b
         WHERE b.day >= $1 AND b.day <= $2 AND ($3::uuid IS NULL OR b.form_key = $3)
           AND ($4::text IS NULL OR b.form_key IN (SELECT id FROM exam_forms WHERE blueprint_id = $4))
         GROUP BY 1"#,
        f.from,
        f.to,
        f.form_id,
        blueprint,
    )
    .fetch_all(db);
    let domains = sqlx::query!(
        r#"SELECT m.domain, sum(m.earned)::float8 AS "earned!", sum(m.max)::float8 AS "max!"
         FROM dashboard_day_domains m
         WHERE m.day >= $1 AND m.day <= $2 AND ($3::uuid IS NULL OR m.form_key = $3)
           AND ($4::text IS NULL OR m.form_key IN (SELECT id FROM exam_forms WHERE blueprint_id = $4))
         GROUP BY m.domain HAVING sum(m.attempts) > 0 ORDER BY m.domain"#,
        f.from,
        f.to,
        f.form_id,
        blueprint,
    )
    .fetch_all(db);
    let (open, weeks, bins, domains) = tokio::try_join!(open, weeks, bins, domains)?;
    let bins: Vec<(u32, usize)> = bins
        .into_iter()
        .map(|b| (u32::try_from(b.bin).unwrap_or(0), count(b.count)))
        .collect();
    let domains = domains
        .into_iter()
        .map(|r| domain_mean(r.domain, r.earned, r.max))
        .collect();
    Ok(assemble(
        count(open),
        &weeks,
        histogram_from_counts(&bins),
        domains,
    ))
}

fn domain_mean(domain: String, earned: f64, max: f64) -> DomainMean {
    DomainMean {
        domain,
        earned,
        max,
        percent: if max > 0.0 { 100.0 * earned / max } else { 0.0 },
    }
}

/// Per-domain points of the given attempts (scored items only: trial items never count).
async fn domain_means(db: &PgPool, attempts: &[Uuid]) -> Result<Vec<DomainMean>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT ai.domain, COALESCE(sum(an.earned), 0)::float8 AS "earned!",
                sum(ai.max_points)::float8 AS "max!"
         FROM attempt_items ai
         LEFT JOIN answers an ON an.attempt_id = ai.attempt_id AND an.position = ai.position
         WHERE ai.attempt_id = ANY($1) AND NOT ai.trial
         GROUP BY ai.domain ORDER BY ai.domain"#,
        attempts,
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| domain_mean(r.domain, r.earned, r.max))
        .collect())
}

// ---- Item analysis ----------------------------------------------------------------------------------------

/// The item analysis of a set of packs.
#[derive(Debug, Clone)]
pub struct ItemAnalysis {
    /// Finished attempts that contained at least one of the items.
    pub attempts: usize,
    pub items: Vec<item_stats::ItemStats>,
    /// The questions marked as unscored trial items, analysed against the attempts' scored totals; not in
    /// `items` nor in the domain and objective summaries.
    pub trial_items: Vec<item_stats::ItemStats>,
    /// The Markdown text of each option, by question key and option id (single and multiple items).
    pub option_texts: HashMap<String, HashMap<String, String>>,
    pub domains: Vec<AreaSummary>,
    pub objectives: Vec<AreaSummary>,
}

/// Item analysis of the questions of packs owned by `owner` (all packs when `None`), from the finished
/// exam attempts that used them, computed from every response: the reference that [`item_analysis`] (from
/// the rollups) must agree with (tests/it/analytics.rs; bench/analytics.rs times both). Items are named by their
/// question id. Seconds on an item are estimated from the time between consecutive saves of the attempt (the
/// first from the attempt's start).
pub async fn item_analysis_live(
    db: &PgPool,
    owner: Option<Uuid>,
) -> Result<ItemAnalysis, sqlx::Error> {
    item_analysis_live_in(db, owner, None).await
}

/// [`item_analysis_live`] over the attempts the current members of a class made for its assignments (every
/// item in them, whoever owns its pack): the class's item analysis.
pub async fn item_analysis_of_class(
    db: &PgPool,
    class_id: Uuid,
) -> Result<ItemAnalysis, sqlx::Error> {
    item_analysis_live_in(db, None, Some(class_id)).await
}

async fn item_analysis_live_in(
    db: &PgPool,
    owner: Option<Uuid>,
    class_id: Option<Uuid>,
) -> Result<ItemAnalysis, sqlx::Error> {
    let rows = sqlx::query!(
        r#"WITH mine AS (
            SELECT r.id, i.trial FROM item_revisions r JOIN items i ON i.id = r.item_id JOIN packs p ON p.id = i.pack_id
            WHERE $1::uuid IS NULL OR p.owner_id = $1
         ), chosen AS (
            SELECT a.id, a.started_at FROM attempts a
            WHERE a.mode = 'exam'
              AND (a.ended_reason = 'submitted' OR (a.ended_reason = 'expired' AND EXISTS (
                   SELECT 1 FROM answers an0 WHERE an0.attempt_id = a.id AND an0.response IS NOT NULL)))
              AND EXISTS (SELECT 1 FROM attempt_items x WHERE x.attempt_id = a.id AND x.revision_id IN (SELECT id FROM mine))
              AND ($2::uuid IS NULL OR EXISTS (
                   SELECT 1 FROM assignments s JOIN class_members m ON m.class_id = s.class_id AND m.user_id = a.user_id
                   WHERE s.id = a.assignment_id AND s.class_id = $2))
         )
         SELECT ai.attempt_id, ai.revision_id, ai.question_key, ai.domain, ai.objective, ai.max_points,
                COALESCE(an.earned, 0)::float8 AS "earned!", an.response AS "response: Json<Response>",
                (ai.revision_id IN (SELECT id FROM mine)) AS "mine!", ai.trial,
                COALESCE((SELECT m.trial FROM mine m WHERE m.id = ai.revision_id), false) AS "marked_trial!",
                CASE WHEN an.response IS NULL THEN NULL ELSE
                  extract(epoch FROM an.saved_at - COALESCE(
                    lag(an.saved_at) OVER (PARTITION BY ai.attempt_id, an.response IS NOT NULL ORDER BY an.saved_at),
                    c.started_at))::float8 END AS seconds
         FROM chosen c
         JOIN attempt_items ai ON ai.attempt_id = c.id
         LEFT JOIN answers an ON an.attempt_id = ai.attempt_id AND an.position = ai.position
         ORDER BY ai.attempt_id, ai.position"#,
        owner,
        class_id,
    )
    .fetch_all(db)
    .await?;

    let mut by_attempt: BTreeMap<Uuid, Vec<ItemResponse>> = BTreeMap::new();
    // question key → (revision, domain, objective) of the items to analyse, first seen.
    let mut wanted: BTreeMap<String, (Uuid, String, String)> = BTreeMap::new();
    // Questions marked as trial items now: listed apart, with the hint whether to promote them.
    let mut marked_trial: HashSet<String> = HashSet::new();
    for r in rows {
        let key = r.question_key;
        if r.mine {
            if r.marked_trial {
                marked_trial.insert(key.clone());
            }
            wanted
                .entry(key.clone())
                .or_insert((r.revision_id, r.domain, r.objective));
        }
        let chosen = match r.response.map(|j| j.0) {
            Some(Response::Single(id)) => vec![id],
            Some(Response::Multiple(ids)) => ids,
            _ => Vec::new(),
        };
        by_attempt
            .entry(r.attempt_id)
            .or_default()
            .push(ItemResponse {
                item_id: key,
                earned: r.earned,
                max: r.max_points,
                chosen,
                seconds: r.seconds.filter(|s| s.is_finite() && *s >= 0.0),
                trial: r.trial,
            });
    }
    let (infos, option_texts) = item_infos(db, wanted).await?;
    let attempts: Vec<AttemptRecord> = by_attempt
        .into_values()
        .map(|items| {
            // The attempt's total is its scored items': trial items count for nothing.
            let (e, m) = items
                .iter()
                .filter(|r| !r.trial)
                .fold((0.0, 0.0), |(e, m), r| (e + r.earned, m + r.max));
            AttemptRecord {
                total_fraction: if m > 0.0 { e / m } else { 0.0 },
                items,
            }
        })
        .collect();
    let stats = item_stats::analyse(&infos, &attempts, &item_stats::Thresholds::default());
    Ok(split_trial(
        attempts.len(),
        stats,
        &marked_trial,
        option_texts,
    ))
}

/// The analysis with the questions marked as trial items set apart from the scored ones and their summaries.
fn split_trial(
    attempts: usize,
    stats: Vec<item_stats::ItemStats>,
    marked_trial: &HashSet<String>,
    option_texts: OptionTexts,
) -> ItemAnalysis {
    let (trial_items, stats): (Vec<_>, Vec<_>) = stats
        .into_iter()
        .partition(|s| marked_trial.contains(&s.item_id));
    ItemAnalysis {
        attempts,
        domains: item_stats::by_domain(&stats),
        objectives: item_stats::by_objective(&stats),
        items: stats,
        trial_items,
        option_texts,
    }
}

/// Item analysis of the questions of packs owned by `owner` (all packs when `None`), from the sums kept
/// in `item_rollups` when each attempt ended (`analytics::rollup` says what is exact and what is not). A
/// question that has several revisions with data is described by the one with the most attempts. Agrees with
/// [`item_analysis_live`].
pub async fn item_analysis(db: &PgPool, owner: Option<Uuid>) -> Result<ItemAnalysis, sqlx::Error> {
    item_analysis_in(db, owner, None).await
}

/// [`item_analysis`] of one exam's packs (by blueprint): question keys are only unique within an exam, so
/// the pages always pass one.
pub async fn item_analysis_in(
    db: &PgPool,
    owner: Option<Uuid>,
    blueprint: Option<&str>,
) -> Result<ItemAnalysis, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT ir.revision_id, ir.question_key, ir.bucket, ir.domain, ir.objective, ir.n, ir.sum_x, ir.sum_x2,
                ir.n_rest, ir.sum_x_rest, ir.sum_x2_rest, ir.sum_r, ir.sum_r2, ir.sum_xr, ir.n_seconds,
                ir.sum_seconds, ir.options AS "options: Json<BTreeMap<String, i64>>",
                EXISTS (SELECT 1 FROM item_revisions r JOIN items i ON i.id = r.item_id
                        WHERE r.id = ir.revision_id AND i.trial) AS "marked_trial!"
         FROM item_rollups ir
         WHERE ir.n > 0 AND (($1::uuid IS NULL AND $2::text IS NULL) OR ir.revision_id IN (
             SELECT r.id FROM item_revisions r JOIN items i ON i.id = r.item_id JOIN packs p ON p.id = i.pack_id
             WHERE ($1::uuid IS NULL OR p.owner_id = $1) AND ($2::text IS NULL OR p.blueprint_id = $2)))"#,
        owner,
        blueprint,
    )
    .fetch_all(db);
    let attempts = sqlx::query_scalar!(
        r#"SELECT count(DISTINCT ap.attempt_id) AS "count!" FROM attempt_packs ap
         WHERE ($1::uuid IS NULL AND $2::text IS NULL)
            OR ap.pack_id IN (SELECT id FROM packs WHERE ($1::uuid IS NULL OR owner_id = $1)
                                                    AND ($2::text IS NULL OR blueprint_id = $2))"#,
        owner,
        blueprint,
    )
    .fetch_one(db);
    // Both at once: the sums, and the attempts that drew from the packs.
    let (rows, attempts) = tokio::try_join!(rows, attempts)?;
    // question key → bucket → sums, and → revision → (n, domain, objective).
    let mut sums: BTreeMap<String, BTreeMap<i16, ItemSums>> = BTreeMap::new();
    let mut revisions: BTreeMap<String, BTreeMap<Uuid, (u64, String, String)>> = BTreeMap::new();
    // Questions marked as trial items now: listed apart, with the hint whether to promote them.
    let mut marked_trial: HashSet<String> = HashSet::new();
    for r in rows {
        let key = r.question_key;
        if r.marked_trial {
            marked_trial.insert(key.clone());
        }
        let count = |c: i64| u64::try_from(c).unwrap_or(0);
        let s = ItemSums {
            n: count(r.n),
            sum_x: r.sum_x,
            sum_x2: r.sum_x2,
            n_rest: count(r.n_rest),
            sum_x_rest: r.sum_x_rest,
            sum_x2_rest: r.sum_x2_rest,
            sum_r: r.sum_r,
            sum_r2: r.sum_r2,
            sum_xr: r.sum_xr,
            n_seconds: count(r.n_seconds),
            sum_seconds: r.sum_seconds,
            options: r
                .options
                .0
                .into_iter()
                .map(|(k, v)| (k, count(v)))
                .collect(),
        };
        let rev = revisions
            .entry(key.clone())
            .or_default()
            .entry(r.revision_id)
            .or_insert_with(|| (0, String::new(), String::new()));
        rev.0 += s.n;
        rev.1 = r.domain;
        rev.2 = r.objective;
        sums.entry(key)
            .or_default()
            .entry(r.bucket)
            .or_default()
            .add(&s);
    }
    let wanted: BTreeMap<String, (Uuid, String, String)> = revisions
        .into_iter()
        .filter_map(|(key, revs)| {
            revs.into_iter()
                .max_by(|a, b| a.1 .0.cmp(&b.1 .0).then(b.0.cmp(&a.0)))
                .map(|(id, (_, domain, objective))| (key, (id, domain, objective)))
        })
        .collect();
    let (infos, option_texts) = item_infos(db, wanted).await?;
    let thresholds = item_stats::Thresholds::default();
    let empty = BTreeMap::new();
    let stats: Vec<item_stats::ItemStats> = infos
        .iter()
        .map(|info| item_stats_from_sums(info, sums.get(&info.id).unwrap_or(&empty), &thresholds))
        .collect();
    Ok(split_trial(
        usize::try_from(attempts).unwrap_or(0),
        stats,
        &marked_trial,
        option_texts,
    ))
}

/// The Markdown text of each option, by question key and option id.
type OptionTexts = HashMap<String, HashMap<String, String>>;

/// The items to analyse (question key → its revision, domain and objective), with their options and key
/// read from the revisions, and the options' texts (single and multiple items).
async fn item_infos(
    db: &PgPool,
    wanted: BTreeMap<String, (Uuid, String, String)>,
) -> Result<(Vec<ItemInfo>, OptionTexts), sqlx::Error> {
    let ids: Vec<Uuid> = wanted
        .values()
        .map(|w| w.0)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let contents = bank::revisions(db, &ids).await?;
    let mut option_texts: OptionTexts = HashMap::new();
    let infos: Vec<ItemInfo> = wanted
        .into_iter()
        .map(|(key, (revision, domain, objective))| {
            let body = contents
                .get(&revision)
                .and_then(|it| find_question(it, &key))
                .map(|q| &q.body);
            let (options, answer) = match body {
                Some(Body::Single { options, answer }) => (options, vec![answer.clone()]),
                Some(Body::Multiple {
                    options, answer, ..
                }) => (options, answer.clone()),
                _ => (&Vec::new(), Vec::new()),
            };
            if !options.is_empty() {
                option_texts.insert(
                    key.clone(),
                    options
                        .iter()
                        .map(|o| (o.id.clone(), o.text.clone()))
                        .collect(),
                );
            }
            let options = options.iter().map(|o| o.id.clone()).collect();
            ItemInfo {
                id: key,
                domain,
                objective,
                options,
                key: answer,
            }
        })
        .collect();
    Ok((infos, option_texts))
}

// ---- A candidate's progress -------------------------------------------------------------------------------

/// One finished exam attempt of the candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressAttempt {
    pub id: Uuid,
    pub title: String,
    pub started_at: OffsetDateTime,
    pub item_count: i32,
    pub scaled_score: u32,
    pub passed: bool,
    /// Domain → fraction of its points earned in this attempt.
    pub domains: BTreeMap<String, f64>,
}

/// A candidate's progress: their finished exam attempts (oldest first), readiness and weakest objectives.
#[derive(Debug, Clone)]
pub struct Progress {
    pub attempts: Vec<ProgressAttempt>,
    /// Every domain seen in the attempts.
    pub domains: Vec<String>,
    pub readiness: ReadinessEstimate,
    pub weakest: Vec<readiness::WeakObjective>,
    /// Points earned and at stake per objective over every finished mock (the study plan's accuracy).
    pub objectives: BTreeMap<String, (f64, f64)>,
}

/// How many recent attempts feed the weakest objectives.
const WEAK_FROM_ATTEMPTS: usize = 5;

/// The candidate's progress. Readiness uses their full mocks only (forms of at least
/// [`FULL_MOCK_MIN_ITEMS`] items); the trend and the weakest objectives use every finished exam attempt.
pub async fn progress(db: &PgPool, user_id: Uuid) -> Result<Progress, sqlx::Error> {
    progress_in(db, user_id, None).await
}

/// [`progress`] for one exam (by blueprint): readiness is per exam, so the page always passes one.
pub async fn progress_in(
    db: &PgPool,
    user_id: Uuid,
    blueprint: Option<&str>,
) -> Result<Progress, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT a.id, a.title, a.started_at, a.item_count, a.scaled_score AS "scaled_score!",
                COALESCE(a.passed, false) AS "passed!"
         FROM attempts a
         WHERE a.user_id = $1 AND a.mode = 'exam' AND a.scaled_score IS NOT NULL
           AND (a.ended_reason = 'submitted' OR (a.ended_reason = 'expired' AND EXISTS (
                SELECT 1 FROM answers an0 WHERE an0.attempt_id = a.id AND an0.response IS NOT NULL)))
           AND ($2::text IS NULL OR a.blueprint_id = $2)
         ORDER BY a.started_at, a.id"#,
        user_id,
        blueprint,
    )
    .fetch_all(db)
    .await?;
    let mut attempts: Vec<ProgressAttempt> = rows
        .into_iter()
        .map(|r| ProgressAttempt {
            id: r.id,
            title: r.title,
            started_at: r.started_at,
            item_count: r.item_count,
            scaled_score: u32::try_from(r.scaled_score).unwrap_or(0),
            passed: r.passed,
            domains: BTreeMap::new(),
        })
        .collect();
    let ids: Vec<Uuid> = attempts.iter().map(|a| a.id).collect();
    let points = sqlx::query!(
        r#"SELECT ai.attempt_id, ai.domain, ai.objective,
                COALESCE(sum(an.earned), 0)::float8 AS "earned!", sum(ai.max_points)::float8 AS "max!"
         FROM attempt_items ai
         LEFT JOIN answers an ON an.attempt_id = ai.attempt_id AND an.position = ai.position
         WHERE ai.attempt_id = ANY($1) AND NOT ai.trial
         GROUP BY ai.attempt_id, ai.domain, ai.objective"#,
        &ids,
    )
    .fetch_all(db)
    .await?;
    let recent: HashSet<Uuid> = ids.iter().rev().take(WEAK_FROM_ATTEMPTS).copied().collect();
    let mut per_domain: HashMap<(Uuid, String), (f64, f64)> = HashMap::new();
    let mut objective_rows = Vec::new();
    let mut objectives: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    let mut all_domains = std::collections::BTreeSet::new();
    for r in points {
        let (earned, max) = (r.earned, r.max);
        all_domains.insert(r.domain.clone());
        let e = per_domain.entry((r.attempt_id, r.domain)).or_default();
        e.0 += earned;
        e.1 += max;
        let o = objectives.entry(r.objective.clone()).or_default();
        o.0 += earned;
        o.1 += max;
        if recent.contains(&r.attempt_id) {
            objective_rows.push(ObjectivePoints {
                objective: r.objective,
                earned,
                max,
            });
        }
    }
    for a in &mut attempts {
        for d in &all_domains {
            if let Some((e, m)) = per_domain.get(&(a.id, d.clone())) {
                if *m > 0.0 {
                    a.domains.insert(d.clone(), e / m);
                }
            }
        }
    }
    let full: Vec<u32> = attempts
        .iter()
        .filter(|a| a.item_count >= FULL_MOCK_MIN_ITEMS)
        .map(|a| a.scaled_score)
        .collect();
    Ok(Progress {
        readiness: readiness::readiness(&full, &ReadinessConfig::default()),
        weakest: readiness::weakest_objectives(&objective_rows, readiness::DEFAULT_SMOOTHING, 3),
        domains: all_domains.into_iter().collect(),
        attempts,
        objectives,
    })
}

/// The questions (by id, as the item analysis keys them) of the live items of these packs (an instructor's, or
/// every pack for `None`; of one exam) whose current revision has no explanation or no reference: where the site
/// only recommends explanations, they were published so, and candidates see their key alone.
pub async fn without_explanation(
    db: &PgPool,
    owner: Option<Uuid>,
    blueprint: Option<&str>,
) -> Result<HashSet<String>, sqlx::Error> {
    let ids = sqlx::query_scalar!(
        r#"SELECT q.content->>'id' AS "id!"
         FROM packs p
         JOIN items i ON i.pack_id = p.id AND NOT i.retired
         JOIN item_revisions r ON r.item_id = i.id AND r.revision = i.current_revision
         CROSS JOIN LATERAL (
             SELECT r.content AS content WHERE i.kind = 'question'
             UNION ALL
             SELECT x FROM jsonb_array_elements(
                 CASE WHEN i.kind = 'case_study' THEN r.content->'questions' ELSE '[]'::jsonb END) AS x
         ) q
         WHERE ($1::uuid IS NULL OR p.owner_id = $1) AND ($2::text IS NULL OR p.blueprint_id = $2)
           AND q.content->>'id' IS NOT NULL
           AND (btrim(COALESCE(q.content->>'explanation', '')) = ''
                OR COALESCE(jsonb_array_length(q.content->'references'), 0) = 0)"#,
        owner,
        blueprint,
    )
    .fetch_all(db)
    .await?;
    Ok(ids.into_iter().collect())
}
