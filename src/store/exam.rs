//! Exam forms, attempts and answers. The exam clock is the database's: deadlines are set with `now()` and
//! every save is one upsert guarded by `now() < deadline`, so any number of app instances agree.

use super::bank;
use crate::analytics::deck::Confidence;
use crate::exam::plan::{find_question, PlannedItem, Presentation};
use crate::scoring::{self, Response};
use serde::Serialize;
use sqlx::types::Json;
use sqlx::{PgExecutor, PgPool};
use std::collections::HashSet;
use time::OffsetDateTime;
use uuid::Uuid;

/// How an attempt runs: a timed exam (scored at the end, case-study sections lock) or untimed practice
/// (feedback after each item). `attempts.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptMode {
    Exam,
    Practice,
}

impl AttemptMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptMode::Exam => "exam",
            AttemptMode::Practice => "practice",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "exam" => Some(AttemptMode::Exam),
            "practice" => Some(AttemptMode::Practice),
            _ => None,
        }
    }

    pub fn is_exam(self) -> bool {
        self == AttemptMode::Exam
    }

    pub fn is_practice(self) -> bool {
        self == AttemptMode::Practice
    }
}
super::text_enum!(AttemptMode, "attempt mode");

/// Why an attempt ended: the candidate submitted it, or its time ran out. `attempts.ended_reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    Submitted,
    Expired,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Submitted => "submitted",
            EndReason::Expired => "expired",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "submitted" => Some(EndReason::Submitted),
            "expired" => Some(EndReason::Expired),
            _ => None,
        }
    }

    /// The time ran out (the candidate did not submit).
    pub fn is_expired(self) -> bool {
        self == EndReason::Expired
    }
}
super::text_enum!(EndReason, "end reason");

#[derive(Debug, Clone, Serialize)]
pub struct FormRow {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub blueprint_id: String,
    pub item_count: i32,
    pub duration_minutes: i32,
    pub case_studies: i32,
    pub cut_fraction: f64,
    /// Unscored trial items added to each attempt, on top of `item_count` (0–5).
    pub trial_items: i32,
    /// Seen by every candidate, or only by the members of the classes it is assigned to (migration 0015).
    pub visibility: Visibility,
    pub owner_id: Option<Uuid>,
}

/// Who sees a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Every candidate: made by an admin, or by an instructor whose request an admin approved.
    Public,
    /// Only the members of the classes it is assigned to.
    Class,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Class => "class",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "public" => Some(Visibility::Public),
            "class" => Some(Visibility::Class),
            _ => None,
        }
    }
}
super::text_enum!(Visibility, "form visibility");

/// Published forms in menu order: every one for no slug and no id, else the one with this slug or id; public
/// ones only when `public_only`.
async fn select_forms(
    db: impl PgExecutor<'_>,
    slug: Option<&str>,
    id: Option<Uuid>,
    public_only: bool,
) -> Result<Vec<FormRow>, sqlx::Error> {
    sqlx::query_as!(
        FormRow,
        r#"SELECT id, slug, title, description, blueprint_id, item_count, duration_minutes, case_studies,
                cut_fraction, trial_items, visibility AS "visibility: Visibility", owner_id
         FROM exam_forms WHERE published AND ($1::text IS NULL OR slug = $1) AND ($2::uuid IS NULL OR id = $2)
           AND (NOT $3 OR visibility = 'public')
         ORDER BY position, title"#,
        slug,
        id,
        public_only,
    )
    .fetch_all(db)
    .await
}

/// The forms an exam's `exam.yaml` lists (the full mock and the quick check), fed by its shipped pack.
/// Idempotent: an existing form (found by its slug) keeps its settings.
pub async fn ensure_default_forms(
    db: &PgPool,
    pack_id: Uuid,
    blueprint_id: &str,
    forms: &[crate::bank::exam::DefaultForm],
) -> Result<(), sqlx::Error> {
    for (position, f) in forms.iter().enumerate() {
        let id = sqlx::query_scalar!(
            "INSERT INTO exam_forms (id, slug, title, description, blueprint_id, item_count, duration_minutes, case_studies, position)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (slug) DO UPDATE SET slug = EXCLUDED.slug RETURNING id",
            Uuid::new_v4(),
            f.slug,
            f.title,
            f.description,
            blueprint_id,
            i32::try_from(f.items).unwrap_or(i32::MAX),
            i32::try_from(f.minutes).unwrap_or(i32::MAX),
            i32::try_from(f.case_studies).unwrap_or(i32::MAX),
            i32::try_from(position).unwrap_or(0),
        )
        .fetch_one(db)
        .await?;
        sqlx::query!(
            "INSERT INTO form_packs (form_id, pack_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            id,
            pack_id,
        )
        .execute(db)
        .await?;
    }
    Ok(())
}

/// Every published form, public and class forms alike (staff pages, the demo).
pub async fn list_forms(db: impl PgExecutor<'_>) -> Result<Vec<FormRow>, sqlx::Error> {
    select_forms(db, None, None, false).await
}

/// The published forms every candidate sees (class forms are reached through their assignments).
pub async fn public_forms(db: impl PgExecutor<'_>) -> Result<Vec<FormRow>, sqlx::Error> {
    select_forms(db, None, None, true).await
}

/// A public form by its slug: what a candidate may start without an assignment.
pub async fn form_by_slug(
    db: impl PgExecutor<'_>,
    slug: &str,
) -> Result<Option<FormRow>, sqlx::Error> {
    Ok(select_forms(db, Some(slug), None, true)
        .await?
        .into_iter()
        .next())
}

/// A published form by id, public or not (an assignment's form).
pub async fn form_by_id(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<FormRow>, sqlx::Error> {
    Ok(select_forms(db, None, Some(id), false)
        .await?
        .into_iter()
        .next())
}

/// The blueprint's domain weights, as stored.
pub async fn blueprint(
    db: impl PgExecutor<'_>,
    id: &str,
) -> Result<crate::bank::model::Blueprint, sqlx::Error> {
    let content = sqlx::query_scalar!("SELECT content FROM blueprints WHERE id = $1", id)
        .fetch_one(db)
        .await?;
    serde_json::from_value(content).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// The key a pool and the "seen" sets share: the pack's key and the item's, so that one exam's `genai-001`
/// is never taken for another pack's.
pub fn pool_key(pack_key: &str, item_key: &str) -> String {
    format!("{pack_key}/{item_key}")
}

/// Items (pool keys) the candidate saw in their last `n` exam attempts of the exam with this blueprint.
pub async fn recently_seen(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    blueprint_id: &str,
    n: i64,
) -> Result<HashSet<String>, sqlx::Error> {
    let keys = sqlx::query!(
        "SELECT DISTINCT p.pack_key, i.item_key FROM attempt_items ai
         JOIN item_revisions r ON r.id = ai.revision_id JOIN items i ON i.id = r.item_id
         JOIN packs p ON p.id = i.pack_id
         WHERE ai.attempt_id IN (SELECT id FROM attempts WHERE user_id = $1 AND mode = 'exam'
                                 AND blueprint_id = $3 ORDER BY started_at DESC LIMIT $2)",
        user_id,
        n,
        blueprint_id,
    )
    .fetch_all(db)
    .await?;
    Ok(keys
        .iter()
        .map(|k| pool_key(&k.pack_key, &k.item_key))
        .collect())
}

/// What a new attempt is.
pub struct NewAttempt<'a> {
    pub user_id: Uuid,
    pub form_id: Option<Uuid>,
    /// The exam's blueprint the attempt belongs to.
    pub blueprint_id: &'a str,
    pub mode: AttemptMode,
    pub title: &'a str,
    pub seed: u64,
    pub cut_fraction: f64,
    /// None: untimed.
    pub minutes: Option<i32>,
    pub items: &'a [PlannedItem<Uuid>],
    /// A practice set drawn from the review deck.
    pub review_session: bool,
    /// The class assignment the attempt is for: its window and attempt limit are checked in the transaction
    /// that inserts the attempt (migration 0015's `assignment_start_refusal`).
    pub assignment_id: Option<Uuid>,
}

/// Stores an attempt and its items in one transaction; the deadline comes from the database's clock. An
/// attempt for an assignment is refused (and nothing stored) when its window or attempt limit says so, decided
/// under a lock on the membership, so simultaneous starts count one after another.
pub async fn create_attempt(
    db: &PgPool,
    a: NewAttempt<'_>,
) -> Result<Result<Uuid, super::classes::StartRefusal>, sqlx::Error> {
    let id = Uuid::new_v4();
    let mut tx = db.begin().await?;
    if let Some(assignment) = a.assignment_id {
        if let Some(refusal) = super::classes::start_refusal(&mut tx, assignment, a.user_id).await?
        {
            return Ok(Err(refusal));
        }
    }
    sqlx::query!(
        "INSERT INTO attempts (id, user_id, form_id, mode, title, seed, item_count, cut_fraction, deadline,
                               blueprint_id, review_session, assignment_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8,
                 CASE WHEN $9::int IS NULL THEN NULL ELSE now() + make_interval(mins => $9::int) END, $10, $11, $12)",
        id,
        a.user_id,
        a.form_id,
        a.mode.as_str(),
        a.title,
        a.seed as i64,
        i32::try_from(a.items.len()).unwrap_or(i32::MAX),
        a.cut_fraction,
        a.minutes,
        a.blueprint_id,
        a.review_session,
        a.assignment_id,
    )
    .execute(&mut *tx)
    .await?;
    let n = a.items.len();
    let mut positions = Vec::with_capacity(n);
    let mut revisions = Vec::with_capacity(n);
    let mut keys = Vec::with_capacity(n);
    let mut sections: Vec<Option<String>> = Vec::with_capacity(n);
    let mut domains = Vec::with_capacity(n);
    let mut objectives = Vec::with_capacity(n);
    let mut presentations = Vec::with_capacity(n);
    let mut points = Vec::with_capacity(n);
    let mut trial = Vec::with_capacity(n);
    for (i, it) in a.items.iter().enumerate() {
        positions.push(i32::try_from(i + 1).unwrap_or(i32::MAX));
        revisions.push(it.revision);
        keys.push(it.question_key.clone());
        sections.push(it.section_key.clone());
        domains.push(it.domain.clone());
        objectives.push(it.objective.clone());
        presentations.push(serde_json::to_value(&it.presentation).unwrap_or_default());
        points.push(it.max_points);
        trial.push(it.trial);
    }
    sqlx::query!(
        "INSERT INTO attempt_items (attempt_id, position, revision_id, question_key, section_key, domain, objective, presentation, max_points, trial)
         SELECT $1, * FROM UNNEST($2::int[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[], $9::float8[], $10::bool[])",
        id,
        &positions,
        &revisions,
        &keys,
        // Unchecked: a section is NULL outside case studies, and the macro types `text[]` as `Vec<String>`.
        &sections as _,
        &domains,
        &objectives,
        &presentations,
        &points,
        &trial,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// An attempt as its owner sees it. `seconds_left` and `expired` come from the database's clock.
#[derive(Debug, Clone)]
pub struct AttemptRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub form_id: Option<Uuid>,
    /// The exam's blueprint the attempt belongs to.
    pub blueprint_id: String,
    pub mode: AttemptMode,
    pub title: String,
    pub item_count: i32,
    pub cut_fraction: f64,
    pub started_at: OffsetDateTime,
    pub deadline: Option<OffsetDateTime>,
    pub ended_at: Option<OffsetDateTime>,
    pub ended_reason: Option<EndReason>,
    pub locked_sections: Vec<String>,
    pub seconds_left: Option<i64>,
    pub expired: bool,
    pub scaled_score: Option<i32>,
    pub passed: Option<bool>,
    pub result: Option<Json<scoring::ExamResult>>,
    /// A practice set drawn from the review deck: it asks how sure the candidate is before the key.
    pub review_session: bool,
}

impl AttemptRow {
    pub fn is_open(&self) -> bool {
        self.ended_at.is_none() && !self.expired
    }
}

/// The user's attempts, newest first (the latest 200), or only the one with this `id`. The clock columns
/// (`seconds_left`, `expired`) are computed here and, for the save path, in [`attempt_slot`]: keep them alike.
async fn select_attempts(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    id: Option<Uuid>,
) -> Result<Vec<AttemptRow>, sqlx::Error> {
    sqlx::query_as!(
        AttemptRow,
        r#"SELECT id, user_id, form_id, blueprint_id, mode AS "mode: AttemptMode", title, item_count, cut_fraction,
                started_at, deadline, ended_at, ended_reason AS "ended_reason: EndReason", locked_sections,
                CASE WHEN deadline IS NULL THEN NULL
                     ELSE GREATEST(0, floor(extract(epoch FROM deadline - now())))::bigint END AS seconds_left,
                COALESCE(deadline <= now(), false) AS "expired!", scaled_score, passed,
                result AS "result: Json<scoring::ExamResult>", review_session
         FROM attempts WHERE user_id = $1 AND ($2::uuid IS NULL OR id = $2)
         ORDER BY started_at DESC LIMIT 200"#,
        user_id,
        id,
    )
    .fetch_all(db)
    .await
}

/// The attempt if it belongs to `user_id` (another user's attempt is simply not found).
pub async fn attempt_for(
    db: impl PgExecutor<'_>,
    id: Uuid,
    user_id: Uuid,
) -> Result<Option<AttemptRow>, sqlx::Error> {
    Ok(select_attempts(db, user_id, Some(id))
        .await?
        .into_iter()
        .next())
}

/// The candidate's attempts, newest first.
pub async fn history(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
) -> Result<Vec<AttemptRow>, sqlx::Error> {
    select_attempts(db, user_id, None).await
}

/// One position of an attempt with the candidate's answer so far.
#[derive(Debug, Clone)]
pub struct SlotRow {
    pub position: i32,
    pub revision_id: Uuid,
    pub question_key: String,
    pub section_key: Option<String>,
    pub domain: String,
    pub objective: String,
    pub presentation: Json<Presentation>,
    pub max_points: f64,
    pub response: Option<Json<Response>>,
    pub marked: bool,
    pub earned: Option<f64>,
    /// An unscored trial item. Never shown to the candidate, in any form, while the attempt runs.
    pub trial: bool,
    /// How sure the candidate said they were (practice and review sessions only).
    pub confidence: Option<Confidence>,
}

/// An attempt's positions in order, every one for `None`, else the one at `position`. (The save path reads
/// its position with the attempt, in [`attempt_slot`].)
async fn select_slots(
    db: impl PgExecutor<'_>,
    attempt_id: Uuid,
    position: Option<i32>,
) -> Result<Vec<SlotRow>, sqlx::Error> {
    sqlx::query_as!(
        SlotRow,
        r#"SELECT ai.position, ai.revision_id, ai.question_key, ai.section_key, ai.domain, ai.objective,
                ai.presentation AS "presentation: Json<Presentation>", ai.max_points,
                an.response AS "response: Json<Response>", COALESCE(an.marked, false) AS "marked!", an.earned,
                ai.trial, an.confidence AS "confidence: Confidence"
         FROM attempt_items ai LEFT JOIN answers an ON an.attempt_id = ai.attempt_id AND an.position = ai.position
         WHERE ai.attempt_id = $1 AND ($2::int IS NULL OR ai.position = $2) ORDER BY ai.position"#,
        attempt_id,
        position,
    )
    .fetch_all(db)
    .await
}

pub async fn slots(db: impl PgExecutor<'_>, attempt_id: Uuid) -> Result<Vec<SlotRow>, sqlx::Error> {
    select_slots(db, attempt_id, None).await
}

pub async fn slot(
    db: impl PgExecutor<'_>,
    attempt_id: Uuid,
    position: i32,
) -> Result<Option<SlotRow>, sqlx::Error> {
    Ok(select_slots(db, attempt_id, Some(position))
        .await?
        .into_iter()
        .next())
}

/// An attempt, one of its positions and, for the item page, the next position's case-study section.
#[derive(Debug)]
pub struct AttemptSlot {
    pub attempt: AttemptRow,
    pub slot: Option<SlotRow>,
    /// The section of the position after this one (asked for with `with_next`): `None` when it has none, when
    /// there is no next position, or when not asked for.
    pub next_section: Option<String>,
}

/// The attempt (if it belongs to `user_id`) and one of its positions, in one round trip: the read of the save
/// path and of the item page (which asks, `with_next`, for the next position's section too; the save does not
/// pay for it).
pub async fn attempt_slot(
    db: impl PgExecutor<'_>,
    id: Uuid,
    user_id: Uuid,
    position: i32,
    with_next: bool,
) -> Result<Option<AttemptSlot>, sqlx::Error> {
    // The attempt's columns as in `select_attempts`, the position's as in `select_slots`.
    let row = sqlx::query!(
        r#"SELECT a.id, a.user_id, a.form_id, a.blueprint_id, a.mode AS "mode: AttemptMode", a.title, a.item_count,
                a.cut_fraction, a.started_at, a.deadline, a.ended_at, a.ended_reason AS "ended_reason: EndReason",
                a.locked_sections,
                CASE WHEN a.deadline IS NULL THEN NULL
                     ELSE GREATEST(0, floor(extract(epoch FROM a.deadline - now())))::bigint END AS seconds_left,
                COALESCE(a.deadline <= now(), false) AS "expired!", a.scaled_score, a.passed,
                a.result AS "result: Json<scoring::ExamResult>", a.review_session,
                s.position AS "s_position?", s.revision_id AS "s_revision_id?",
                s.question_key AS "s_question_key?", s.section_key AS "s_section_key?",
                s.domain AS "s_domain?", s.objective AS "s_objective?",
                s.presentation AS "s_presentation?: Json<Presentation>", s.max_points AS "s_max_points?",
                s.response AS "s_response?: Json<Response>", s.marked AS "s_marked?", s.earned AS "s_earned?",
                s.trial AS "s_trial?", s.confidence AS "s_confidence?: Confidence",
                CASE WHEN $4 THEN (SELECT n.section_key FROM attempt_items n
                                   WHERE n.attempt_id = a.id AND n.position = $3 + 1) END AS next_section
         FROM attempts a
         LEFT JOIN LATERAL (
             SELECT ai.position, ai.revision_id, ai.question_key, ai.section_key, ai.domain, ai.objective,
                    ai.presentation, ai.max_points, an.response, COALESCE(an.marked, false) AS marked, an.earned,
                    ai.trial, an.confidence
             FROM attempt_items ai
             LEFT JOIN answers an ON an.attempt_id = ai.attempt_id AND an.position = ai.position
             WHERE ai.attempt_id = a.id AND ai.position = $3) s ON true
         WHERE a.id = $1 AND a.user_id = $2"#,
        id,
        user_id,
        position,
        with_next,
    )
    .fetch_optional(db)
    .await?;
    let Some(r) = row else { return Ok(None) };
    // The save path's read: the position's fields are moved out of the row, not copied.
    let slot = match (
        r.s_position,
        r.s_revision_id,
        r.s_question_key,
        r.s_domain,
        r.s_objective,
        r.s_presentation,
        r.s_max_points,
        r.s_marked,
        r.s_trial,
    ) {
        (
            Some(position),
            Some(revision_id),
            Some(question_key),
            Some(domain),
            Some(objective),
            Some(presentation),
            Some(max_points),
            Some(marked),
            Some(trial),
        ) => Some(SlotRow {
            position,
            revision_id,
            question_key,
            section_key: r.s_section_key,
            domain,
            objective,
            presentation,
            max_points,
            response: r.s_response,
            marked,
            earned: r.s_earned,
            trial,
            confidence: r.s_confidence,
        }),
        _ => None,
    };
    let attempt = AttemptRow {
        id: r.id,
        user_id: r.user_id,
        form_id: r.form_id,
        blueprint_id: r.blueprint_id,
        mode: r.mode,
        title: r.title,
        item_count: r.item_count,
        cut_fraction: r.cut_fraction,
        started_at: r.started_at,
        deadline: r.deadline,
        ended_at: r.ended_at,
        ended_reason: r.ended_reason,
        locked_sections: r.locked_sections,
        seconds_left: r.seconds_left,
        expired: r.expired,
        scaled_score: r.scaled_score,
        passed: r.passed,
        result: r.result,
        review_session: r.review_session,
    };
    Ok(Some(AttemptSlot {
        attempt,
        slot,
        next_section: r.next_section,
    }))
}

/// What became of a save.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveOutcome {
    Saved,
    /// The attempt has ended or its time is over: the answer was not stored.
    Closed,
    /// The item is locked (a left case-study section, or a yes/no statement already answered).
    Locked,
}

/// Saves (or clears) an answer and/or the review mark, in one statement guarded by the attempt's owner, its
/// state, its deadline (database time), the section lock and, for yes/no series, that earlier statements stay.
#[allow(clippy::too_many_arguments)]
pub async fn save_answer(
    db: impl PgExecutor<'_>,
    attempt_id: Uuid,
    user_id: Uuid,
    position: i32,
    section: Option<&str>,
    response: Option<Option<&Response>>,
    marked: Option<bool>,
    statements_lock: bool,
) -> Result<SaveOutcome, sqlx::Error> {
    let set_response = response.is_some();
    let response_json = response
        .flatten()
        .map(|r| serde_json::to_value(r).unwrap_or_default());
    let row = sqlx::query!(
        r#"WITH a AS (
            SELECT id, ($4::text IS NOT NULL AND $4 = ANY(locked_sections)) AS section_locked FROM attempts
            WHERE id = $1 AND user_id = $2 AND ended_at IS NULL AND (deadline IS NULL OR now() < deadline)
         ), up AS (
            INSERT INTO answers (attempt_id, position, response, marked, saved_at)
            SELECT a.id, $3, CASE WHEN $5 THEN $6::jsonb ELSE NULL END, COALESCE($7, false), now() FROM a
            WHERE NOT a.section_locked
            ON CONFLICT (attempt_id, position) DO UPDATE SET
                response = CASE WHEN $5 THEN EXCLUDED.response ELSE answers.response END,
                marked = COALESCE($7, answers.marked),
                saved_at = now()
            WHERE NOT $5 OR NOT $8 OR answers.response IS NULL
               OR (EXCLUDED.response IS NOT NULL AND EXCLUDED.response @> answers.response)
            RETURNING 1
         )
         SELECT (SELECT count(*) FROM a) AS "open!", (SELECT count(*) FROM up) AS "saved!""#,
        attempt_id,
        user_id,
        position,
        section,
        set_response,
        response_json,
        marked,
        statements_lock,
    )
    .fetch_one(db)
    .await?;
    Ok(match (row.open, row.saved) {
        (0, _) => SaveOutcome::Closed,
        (_, 0) => SaveOutcome::Locked,
        _ => SaveOutcome::Saved,
    })
}

/// Locks a case-study section once the candidate leaves it.
pub async fn lock_section(
    db: impl PgExecutor<'_>,
    attempt_id: Uuid,
    section: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE attempts SET locked_sections = array_append(locked_sections, $2)
         WHERE id = $1 AND mode = 'exam' AND NOT ($2 = ANY(locked_sections))",
        attempt_id,
        section,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Ends and scores an attempt, once: a second call (another tab, another instance) changes nothing.
/// Returns false when it had already ended. The update that ends it
/// also brings the analytics rollups up to date, in this transaction (a trigger on `attempts`, migration
/// 0008), so the dashboard and the item analysis never lag behind a submission.
pub async fn finalize(
    db: &PgPool,
    attempt_id: Uuid,
    reason: EndReason,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let cut = sqlx::query_scalar!(
        "SELECT cut_fraction FROM attempts WHERE id = $1 AND ended_at IS NULL FOR UPDATE",
        attempt_id,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(cut) = cut else {
        return Ok(false);
    };
    let slots = slots(&mut *tx, attempt_id).await?;
    let ids: Vec<Uuid> = slots
        .iter()
        .map(|s| s.revision_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let items = bank::revisions(&mut *tx, &ids).await?;
    let mut scored = Vec::with_capacity(slots.len());
    let mut positions = Vec::with_capacity(slots.len());
    let mut earned = Vec::with_capacity(slots.len());
    for s in &slots {
        let question = items
            .get(&s.revision_id)
            .and_then(|it| find_question(it, &s.question_key));
        let score = match question {
            Some(q) => scoring::score(q, s.response.as_ref().map(|j| &j.0)),
            None => scoring::ItemScore {
                earned: 0.0,
                max: s.max_points,
                correct_elements: 0,
                elements: 1,
            },
        };
        positions.push(s.position);
        earned.push(score.earned);
        scored.push((s.domain.clone(), score, s.trial));
    }
    // Every item's points are stored (a trial item's feed its statistics); only scored items count.
    let result = scoring::attempt_result(&scored, cut);
    sqlx::query!(
        "INSERT INTO answers (attempt_id, position, earned, response)
         SELECT $1, p, e, NULL FROM UNNEST($2::int[], $3::float8[]) AS t(p, e)
         ON CONFLICT (attempt_id, position) DO UPDATE SET earned = EXCLUDED.earned",
        attempt_id,
        &positions,
        &earned,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE attempts SET ended_at = LEAST(now(), COALESCE(deadline, now())), ended_reason = $2,
             raw_score = $3, max_score = $4, scaled_score = $5, passed = $6, result = $7
         WHERE id = $1",
        attempt_id,
        reason.as_str(),
        result.raw,
        result.max,
        i32::try_from(result.scaled).unwrap_or(0),
        result.passed,
        // Unchecked: the result is stored as JSON, which the macro types as `serde_json::Value`.
        Json(&result) as _,
    )
    .execute(&mut *tx)
    .await?;
    // What the candidate missed or marked in a mock joins their review deck, with the score (migration 0013),
    // unless its answers are hidden from them (a class assignment's): the deck would show its keys.
    sqlx::query!(
        "SELECT review_deck_join($1) WHERE attempt_answers_visible($1)",
        attempt_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Ends every attempt whose deadline has passed (run periodically by every instance; safe to run at once).
pub async fn finalize_expired(db: &PgPool) -> Result<usize, sqlx::Error> {
    let ids = sqlx::query_scalar!(
        "SELECT id FROM attempts WHERE ended_at IS NULL AND deadline <= now() ORDER BY deadline LIMIT 200",
    )
    .fetch_all(db)
    .await?;
    let mut n = 0;
    for id in ids {
        if finalize(db, id, EndReason::Expired).await? {
            n += 1;
        }
    }
    Ok(n)
}

/// A new exam form.
pub struct NewForm<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub blueprint_id: &'a str,
    pub item_count: i32,
    pub duration_minutes: i32,
    pub case_studies: i32,
    pub cut_fraction: f64,
    pub owner_id: Option<Uuid>,
    pub pack_ids: &'a [Uuid],
    /// Unscored trial items added to each attempt (0–5, checked by the database).
    pub trial_items: i32,
    pub visibility: Visibility,
    /// A class form whose maker asks an admin to make it public.
    pub request_public: bool,
}

/// Creates a form over packs; `Ok(None)` when the slug is taken.
pub async fn create_form(db: &PgPool, f: NewForm<'_>) -> Result<Option<Uuid>, sqlx::Error> {
    create_form_audited(db, f, None).await
}

/// [`create_form`] with its audit entry, written in the same transaction (not at all when the slug is taken).
pub async fn create_form_audited(
    db: &PgPool,
    f: NewForm<'_>,
    audit: Option<bank::Audit<'_>>,
) -> Result<Option<Uuid>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let id = sqlx::query_scalar!(
        "INSERT INTO exam_forms (id, slug, title, description, blueprint_id, item_count, duration_minutes, case_studies,
                                 cut_fraction, owner_id, trial_items, position, visibility, public_request)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 100, $12,
                 CASE WHEN $13 AND $12 = 'class' THEN 'pending' END)
         ON CONFLICT (slug) DO NOTHING RETURNING id",
        Uuid::new_v4(),
        f.slug,
        f.title,
        f.description,
        f.blueprint_id,
        f.item_count,
        f.duration_minutes,
        f.case_studies,
        f.cut_fraction,
        f.owner_id,
        f.trial_items,
        f.visibility.as_str(),
        f.request_public,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = id else { return Ok(None) };
    sqlx::query!(
        "INSERT INTO form_packs (form_id, pack_id) SELECT $1, unnest($2::uuid[])",
        id,
        f.pack_ids,
    )
    .execute(&mut *tx)
    .await?;
    if let Some(audit) = audit {
        audit.write(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(Some(id))
}

/// Every live scored item of every published pack, for practice sets (trial items are only ever met, unscored,
/// on exams: practice would show their key before their statistics say they are sound).
pub async fn published_pool(
    db: impl PgExecutor<'_>,
    blueprint_id: &str,
) -> Result<Vec<bank::PoolRow>, sqlx::Error> {
    bank::pool(db, bank::PoolOf::Practice { blueprint_id }).await
}

/// Items (pool keys) the candidate has ever been shown (exam or practice) for the exam with this blueprint.
pub async fn ever_seen(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    blueprint_id: &str,
) -> Result<HashSet<String>, sqlx::Error> {
    let keys = sqlx::query!(
        "SELECT DISTINCT p.pack_key, i.item_key FROM attempts a JOIN attempt_items ai ON ai.attempt_id = a.id
         JOIN item_revisions r ON r.id = ai.revision_id JOIN items i ON i.id = r.item_id
         JOIN packs p ON p.id = i.pack_id
         WHERE a.user_id = $1 AND a.blueprint_id = $2",
        user_id,
        blueprint_id,
    )
    .fetch_all(db)
    .await?;
    Ok(keys
        .iter()
        .map(|k| pool_key(&k.pack_key, &k.item_key))
        .collect())
}

/// Scored items (pool keys) the candidate did not get fully right in their last `n` ended attempts of the exam
/// with this blueprint, among the attempts whose answers they may see (an assignment may hide them).
pub async fn missed(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    blueprint_id: &str,
    n: i64,
) -> Result<HashSet<String>, sqlx::Error> {
    let keys = sqlx::query!(
        "SELECT DISTINCT p.pack_key, i.item_key FROM attempt_items ai
         JOIN answers an ON an.attempt_id = ai.attempt_id AND an.position = ai.position
         JOIN item_revisions r ON r.id = ai.revision_id JOIN items i ON i.id = r.item_id
         JOIN packs p ON p.id = i.pack_id
         WHERE ai.attempt_id IN (SELECT id FROM attempts WHERE user_id = $1 AND ended_at IS NOT NULL
                                 AND blueprint_id = $3 AND attempt_answers_visible(id)
                                 ORDER BY started_at DESC LIMIT $2)
           AND COALESCE(an.earned, 0) < ai.max_points AND NOT ai.trial",
        user_id,
        n,
        blueprint_id,
    )
    .fetch_all(db)
    .await?;
    Ok(keys
        .iter()
        .map(|k| pool_key(&k.pack_key, &k.item_key))
        .collect())
}

/// Stores a candidate's report on an item of one of their attempts.
pub async fn report_problem(
    db: impl PgExecutor<'_>,
    attempt_id: Uuid,
    user_id: Uuid,
    position: i32,
    kind: &str,
    comment: &str,
) -> Result<bool, sqlx::Error> {
    // One open report per candidate and item: reporting again replaces the open report's kind and comment
    // (so one candidate cannot flood the queue with the same item).
    let found = sqlx::query_scalar!(
        r#"WITH target AS (
            SELECT r.item_id, ai.revision_id, ai.question_key
            FROM attempts a JOIN attempt_items ai ON ai.attempt_id = a.id JOIN item_revisions r ON r.id = ai.revision_id
            WHERE a.id = $2 AND a.user_id = $3 AND ai.position = $4
         ), again AS (
            UPDATE item_reports ir SET kind = $5, comment = $6, revision_id = t.revision_id, created_at = now()
            FROM target t
            WHERE ir.item_id = t.item_id AND ir.user_id = $3 AND ir.status = 'open'
            RETURNING 1
         ), new AS (
            INSERT INTO item_reports (id, item_id, revision_id, question_key, user_id, kind, comment)
            SELECT $1, t.item_id, t.revision_id, t.question_key, $3, $5, $6 FROM target t
            WHERE NOT EXISTS (SELECT 1 FROM again)
            RETURNING 1
         )
         SELECT count(*) AS "count!" FROM target"#,
        Uuid::new_v4(),
        attempt_id,
        user_id,
        position,
        kind,
        comment,
    )
    .fetch_one(db)
    .await?;
    Ok(found == 1)
}

/// Attempts not ended whose time has not run out (untimed practice attempts count while open).
pub async fn attempts_in_progress(db: impl PgExecutor<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM attempts
         WHERE ended_at IS NULL AND (deadline IS NULL OR deadline > now())"#,
    )
    .fetch_one(db)
    .await
}
