//! The study loop's SQL: the review deck (cards, what is due, reviews), the exam date a candidate aims at, and
//! what the booking rule and the plan read. Scheduling itself is pure (`analytics::deck`).
//!
//! A card counts only while its item is live: in a published pack of the exam, not retired, not a trial item
//! (migration 0013's view `live_review_cards`, which every due count reads). So a retired item leaves the deck,
//! and a new revision takes its place, since cards are keyed by item.

use crate::analytics::booking::FinishedAttempt;
use crate::analytics::deck::{self, Card, Confidence};
use sqlx::{PgExecutor, PgPool};
use std::collections::HashSet;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

// `answers.confidence` (migration 0013's check constraint) read as the pure module's type.
super::text_enum!(Confidence, "confidence");

/// What is due for a candidate in one exam.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DueCount {
    /// Due by the end of today, in the account's time zone (overdue included).
    pub today: i64,
    /// Every card of the exam's deck.
    pub deck: i64,
}

impl DueCount {
    /// From the cards due per day ([`due_by_day`]) and today's date in the account's time zone.
    pub fn from_days(days: &[(Date, i64)], today: Date) -> DueCount {
        DueCount {
            today: days
                .iter()
                .filter(|(d, _)| *d <= today)
                .map(|(_, n)| n)
                .sum(),
            deck: days.iter().map(|(_, n)| n).sum(),
        }
    }
}

/// How many cards are due today, and in the deck, for the exam with this blueprint.
pub async fn due_count(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    blueprint_id: &str,
) -> Result<DueCount, sqlx::Error> {
    let r = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE due_day <= today) AS "today!", count(*) AS "deck!"
         FROM live_review_cards WHERE user_id = $1 AND blueprint_id = $2"#,
        user_id,
        blueprint_id,
    )
    .fetch_one(db)
    .await?;
    Ok(DueCount {
        today: r.today,
        deck: r.deck,
    })
}

/// The pool keys (`store::exam::pool_key`) of the cards due by the end of today.
pub async fn due_keys(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    blueprint_id: &str,
) -> Result<HashSet<String>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT pack_key AS "pack_key!", item_key AS "item_key!" FROM live_review_cards
         WHERE user_id = $1 AND blueprint_id = $2 AND due_day <= today"#,
        user_id,
        blueprint_id,
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .iter()
        .map(|r| super::exam::pool_key(&r.pack_key, &r.item_key))
        .collect())
}

/// How many live cards of the exam's deck fall due on each day (in the account's time zone), by day.
pub async fn due_by_day(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    blueprint_id: &str,
) -> Result<Vec<(Date, i64)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT due_day AS "day!", count(*) AS "n!" FROM live_review_cards
         WHERE user_id = $1 AND blueprint_id = $2 GROUP BY 1 ORDER BY 1"#,
        user_id,
        blueprint_id,
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.day, r.n)).collect())
}

/// Reviews the card of the item of `revision_id` after a practice answer in `attempt_id`: the rating from the
/// points and the confidence (`analytics::deck::rating`), the next due date by FSRS, at the database's time.
/// An item not in the deck joins it when the answer was wrong, partly right or guessed.
#[allow(clippy::too_many_arguments)]
pub async fn review(
    db: &PgPool,
    user_id: Uuid,
    attempt_id: Uuid,
    blueprint_id: &str,
    revision_id: Uuid,
    earned: f64,
    max: f64,
    confidence: Option<Confidence>,
) -> Result<(), sqlx::Error> {
    let rating = deck::rating(earned, max, confidence);
    let mut tx = db.begin().await?;
    let r = sqlx::query!(
        r#"SELECT r.item_id, now() AS "now!", d.due AS "due?", d.stability AS "stability?",
                  d.difficulty AS "difficulty?", d.elapsed_days AS "elapsed_days?",
                  d.scheduled_days AS "scheduled_days?", d.reps AS "reps?", d.lapses AS "lapses?",
                  d.state AS "state?", d.last_review, d.last_attempt
         FROM item_revisions r
         LEFT JOIN review_deck d ON d.item_id = r.item_id AND d.user_id = $2
         WHERE r.id = $1"#,
        revision_id,
        user_id,
    )
    .fetch_one(&mut *tx)
    .await?;
    let card = match (r.due, r.state) {
        (Some(due), Some(state)) => {
            // One attempt rates a card once.
            if r.last_attempt == Some(attempt_id) {
                return Ok(());
            }
            Card {
                due,
                stability: r.stability.unwrap_or(0.0),
                difficulty: r.difficulty.unwrap_or(0.0),
                elapsed_days: r.elapsed_days.unwrap_or(0),
                scheduled_days: r.scheduled_days.unwrap_or(0),
                reps: r.reps.unwrap_or(0),
                lapses: r.lapses.unwrap_or(0),
                state,
                last_review: r.last_review,
            }
        }
        // Not in the deck and answered right and sure: nothing to review.
        _ if !deck::joins(rating) => return Ok(()),
        _ => Card::new(r.now),
    };
    let reason = if earned + 1e-9 >= max {
        "not_sure"
    } else {
        "missed"
    };
    let next = deck::review(&card, rating, r.now);
    sqlx::query!(
        "INSERT INTO review_deck (user_id, item_id, blueprint_id, reason, due, stability, difficulty,
                                  elapsed_days, scheduled_days, reps, lapses, state, last_review, last_attempt)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (user_id, item_id) DO UPDATE SET due = EXCLUDED.due, stability = EXCLUDED.stability,
             difficulty = EXCLUDED.difficulty, elapsed_days = EXCLUDED.elapsed_days,
             scheduled_days = EXCLUDED.scheduled_days, reps = EXCLUDED.reps, lapses = EXCLUDED.lapses,
             state = EXCLUDED.state, last_review = EXCLUDED.last_review, last_attempt = EXCLUDED.last_attempt
         WHERE review_deck.last_attempt IS DISTINCT FROM EXCLUDED.last_attempt",
        user_id,
        r.item_id,
        blueprint_id,
        reason,
        next.due,
        next.stability,
        next.difficulty,
        next.elapsed_days,
        next.scheduled_days,
        next.reps,
        next.lapses,
        next.state,
        next.last_review,
        attempt_id,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Records how sure the candidate said they were of a practice answer.
pub async fn set_confidence(
    db: impl PgExecutor<'_>,
    attempt_id: Uuid,
    position: i32,
    confidence: Confidence,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE answers SET confidence = $3 WHERE attempt_id = $1 AND position = $2",
        attempt_id,
        position,
        confidence.as_str(),
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Fills the deck from attempts that ended before it existed (migration 0013 runs it once); answers how many
/// cards it added.
pub async fn backfill(db: impl PgExecutor<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(r#"SELECT review_deck_backfill() AS "added!""#)
        .fetch_one(db)
        .await
}

/// The exam a candidate aims at, its date, and today's date in their time zone.
#[derive(Debug, Clone)]
pub struct Target {
    pub exam: Option<String>,
    pub date: Option<Date>,
    pub today: Date,
}

pub async fn target(db: impl PgExecutor<'_>, user_id: Uuid) -> Result<Target, sqlx::Error> {
    let r = sqlx::query!(
        r#"SELECT target_exam, target_date, (now() AT TIME ZONE time_zone)::date AS "today!"
         FROM users WHERE id = $1"#,
        user_id,
    )
    .fetch_one(db)
    .await?;
    Ok(Target {
        exam: r.target_exam,
        date: r.target_date,
        today: r.today,
    })
}

/// Sets (or, with None, clears) the date of the candidate's target exam. The rules (not in the past, not
/// after the exam retires) are checked by the caller against [`target`]'s `today`.
pub async fn set_target_date(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    date: Option<Date>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE users SET target_date = $2 WHERE id = $1",
        user_id,
        date
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A candidate's finished exam-mode attempts of one exam, as the booking rule reads them (`answered` is 1 for
/// a mock with any answer, 0 for one abandoned without; domains and new items left empty: [`progress`](super::analytics::progress_in) has the domains, [`new_items`] counts the
/// new items of the two that matter).
pub async fn finished_mocks(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    blueprint_id: &str,
) -> Result<Vec<(Uuid, FinishedAttempt)>, sqlx::Error> {
    // The rule needs only whether a mock has an answer at all (an abandoned one has none): `answered` is 0 or 1.
    let rows = sqlx::query!(
        r#"SELECT a.id, a.title, a.ended_at AS "ended_at!", COALESCE(a.raw_score, 0) AS "raw!",
                  COALESCE(a.max_score, 0) AS "max!",
                  a.item_count - (SELECT count(*) FROM attempt_items t WHERE t.attempt_id = a.id AND t.trial)
                      AS "scored!",
                  EXISTS (SELECT 1 FROM answers an WHERE an.attempt_id = a.id AND an.response IS NOT NULL)
                      AS "answered!"
         FROM attempts a
         WHERE a.user_id = $1 AND a.blueprint_id = $2 AND a.mode = 'exam' AND a.ended_at IS NOT NULL
         ORDER BY a.ended_at"#,
        user_id,
        blueprint_id,
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.id,
                FinishedAttempt {
                    title: r.title,
                    ended_at: r.ended_at,
                    exam_mode: true,
                    scored_items: usize::try_from(r.scored).unwrap_or(0),
                    answered: usize::from(r.answered),
                    raw: r.raw,
                    max: r.max,
                    domains: Vec::new(),
                    new_items: 0,
                },
            )
        })
        .collect())
}

/// For each attempt, how many of its scored items the candidate had never been shown before it started.
pub async fn new_items(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    attempt_ids: &[Uuid],
) -> Result<Vec<(Uuid, i64)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"WITH mine AS (
             SELECT ai.attempt_id, a.started_at, r.item_id
             FROM attempt_items ai
             JOIN attempts a ON a.id = ai.attempt_id AND a.user_id = $1
             JOIN item_revisions r ON r.id = ai.revision_id
             WHERE ai.attempt_id = ANY($2) AND NOT ai.trial
         ), earlier AS (
             SELECT DISTINCT m.attempt_id, m.item_id
             FROM attempts b
             JOIN attempt_items bi ON bi.attempt_id = b.id
             JOIN item_revisions r ON r.id = bi.revision_id
             JOIN mine m ON m.item_id = r.item_id AND b.started_at < m.started_at
             WHERE b.user_id = $1
         )
         SELECT m.attempt_id AS "attempt_id!", count(*) FILTER (WHERE e.item_id IS NULL) AS "new!"
         FROM mine m LEFT JOIN earlier e ON e.attempt_id = m.attempt_id AND e.item_id = m.item_id
         GROUP BY m.attempt_id"#,
        user_id,
        attempt_ids,
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.attempt_id, r.new)).collect())
}

/// One finished attempt's points on one objective, for the objective's page.
#[derive(Debug, Clone)]
pub struct ObjectiveAttempt {
    pub ended_at: OffsetDateTime,
    pub title: String,
    pub practice: bool,
    pub earned: f64,
    pub max: f64,
}

/// The candidate's finished attempts that drew the objective, oldest first, with their points on it.
pub async fn objective_history(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    blueprint_id: &str,
    objective: &str,
) -> Result<Vec<ObjectiveAttempt>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT a.ended_at AS "ended_at!", a.title, a.mode = 'practice' AS "practice!",
                  COALESCE(sum(an.earned), 0)::float8 AS "earned!", sum(ai.max_points)::float8 AS "max!"
         FROM attempts a
         JOIN attempt_items ai ON ai.attempt_id = a.id AND NOT ai.trial AND ai.objective = $3
         LEFT JOIN answers an ON an.attempt_id = ai.attempt_id AND an.position = ai.position
         WHERE a.user_id = $1 AND a.blueprint_id = $2 AND a.ended_at IS NOT NULL
         GROUP BY a.id
         ORDER BY a.ended_at"#,
        user_id,
        blueprint_id,
        objective,
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ObjectiveAttempt {
            ended_at: r.ended_at,
            title: r.title,
            practice: r.practice,
            earned: r.earned,
            max: r.max,
        })
        .collect())
}

/// The date of an instant in the account's time zone.
pub async fn local_date(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    at: OffsetDateTime,
) -> Result<Date, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT ($2::timestamptz AT TIME ZONE time_zone)::date AS "day!" FROM users WHERE id = $1"#,
        user_id,
        at,
    )
    .fetch_one(db)
    .await
}
