//! The problem-report queue: candidates' reports on items (filed by `store::exam::report_problem`), their
//! resolution by the pack's instructor (fixed in a revision, or rejected with a reason), and the outcomes
//! shown once to the reporter on their next visit.

use sqlx::{PgExecutor, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

/// A report as the instructor's queue shows it, with the revisions that decide whether it can be marked fixed.
#[derive(Debug, Clone)]
pub struct QueueRow {
    pub id: Uuid,
    pub pack_id: Uuid,
    pub pack_key: String,
    /// The exam the pack targets (its code), or its blueprint id when the exam is unknown.
    pub exam: String,
    /// The pack entry (a question, or the case study holding the question).
    pub item_key: String,
    /// The question reported (a case-study question's own id).
    pub question_key: String,
    pub kind: String,
    pub comment: String,
    pub status: String,
    /// The reason of a rejection.
    pub resolution: Option<String>,
    pub fixed_revision: Option<i32>,
    /// The item's revision the candidate saw.
    pub reported_revision: i32,
    /// The item's revision now.
    pub current_revision: i32,
    /// The item was removed from its pack by a later version.
    pub retired: bool,
    pub reporter_id: Uuid,
    pub reporter_email: String,
    pub created_at: OffsetDateTime,
    pub resolved_at: Option<OffsetDateTime>,
}

impl QueueRow {
    /// A report can be marked fixed once the item has a revision newer than the one reported: the fix is
    /// that revision, and candidates see it from then on.
    pub fn can_be_fixed(&self) -> bool {
        self.status == "open" && self.current_revision > self.reported_revision
    }
}

/// The queue's one query: reports on the packs `owner` owns (every pack for `None`), only open ones when
/// `open_only`, of one exam's packs (by blueprint id) or all for `None`, one report or all for `id = None`;
/// open ones first, oldest open first, then the resolved ones newest first.
async fn select(
    db: impl PgExecutor<'_>,
    owner: Option<Uuid>,
    open_only: bool,
    blueprint: Option<&str>,
    id: Option<Uuid>,
) -> Result<Vec<QueueRow>, sqlx::Error> {
    sqlx::query_as!(
        QueueRow,
        r#"SELECT rp.id, p.id AS pack_id, p.pack_key,
                COALESCE((SELECT e.code FROM exams e WHERE e.blueprint_id = p.blueprint_id), p.blueprint_id)
                    AS "exam!",
                i.item_key, rp.question_key, rp.kind,
                rp.comment, rp.status, rp.resolution, rp.fixed_revision, r.revision AS reported_revision,
                i.current_revision, i.retired, rp.user_id AS reporter_id, u.email AS reporter_email, rp.created_at,
                rp.resolved_at
         FROM item_reports rp JOIN items i ON i.id = rp.item_id JOIN packs p ON p.id = i.pack_id
         JOIN item_revisions r ON r.id = rp.revision_id JOIN users u ON u.id = rp.user_id
         WHERE ($1::uuid IS NULL OR p.owner_id = $1) AND (NOT $2 OR rp.status = 'open')
           AND ($3::text IS NULL OR p.blueprint_id = $3) AND ($4::uuid IS NULL OR rp.id = $4)
         ORDER BY rp.status = 'open' DESC,
                  CASE WHEN rp.status = 'open' THEN rp.created_at END ASC,
                  COALESCE(rp.resolved_at, rp.created_at) DESC
         LIMIT 500"#,
        owner,
        open_only,
        blueprint,
        id,
    )
    .fetch_all(db)
    .await
}

/// Reports on the packs `owner` owns (every pack for `None`: admins), open ones first, oldest open first
/// (a queue), then the resolved ones newest first. `open_only` leaves the resolved ones out.
pub async fn queue(
    db: impl PgExecutor<'_>,
    owner: Option<Uuid>,
    open_only: bool,
) -> Result<Vec<QueueRow>, sqlx::Error> {
    queue_in(db, owner, open_only, None).await
}

/// [`queue`] of one exam's packs (by blueprint id), or of every exam for `None`.
pub async fn queue_in(
    db: impl PgExecutor<'_>,
    owner: Option<Uuid>,
    open_only: bool,
    blueprint: Option<&str>,
) -> Result<Vec<QueueRow>, sqlx::Error> {
    select(db, owner, open_only, blueprint, None).await
}

/// How many open reports there are on the packs `owner` owns (every pack for `None`).
pub async fn open_count(db: impl PgExecutor<'_>, owner: Option<Uuid>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM item_reports rp JOIN items i ON i.id = rp.item_id
         JOIN packs p ON p.id = i.pack_id
         WHERE rp.status = 'open' AND ($1::uuid IS NULL OR p.owner_id = $1)"#,
        owner,
    )
    .fetch_one(db)
    .await
}

/// One report, when it is on a pack `owner` owns (any pack for `None`); another instructor's is not found.
pub async fn report_for(
    db: impl PgExecutor<'_>,
    id: Uuid,
    owner: Option<Uuid>,
) -> Result<Option<QueueRow>, sqlx::Error> {
    Ok(select(db, owner, false, None, Some(id))
        .await?
        .into_iter()
        .next())
}

/// Marks an open report fixed in the item's current revision, if that revision is newer than the one
/// reported, and writes the audit entry in the same transaction. Returns the revision, or `None` when the
/// report is no longer open or the item has not changed since (checked in the statement, so two
/// instructors clicking at once cannot both resolve it).
pub async fn mark_fixed(
    db: &PgPool,
    id: Uuid,
    actor: (Uuid, &str),
    target: &str,
) -> Result<Option<i32>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let revision: Option<i32> = sqlx::query_scalar!(
        "UPDATE item_reports rp SET status = 'fixed', fixed_revision = i.current_revision,
                resolved_at = now(), resolved_by = $2
         FROM items i, item_revisions r
         WHERE rp.id = $1 AND rp.status = 'open' AND i.id = rp.item_id AND r.id = rp.revision_id
           AND i.current_revision > r.revision
         RETURNING rp.fixed_revision",
        id,
        actor.0,
    )
    .fetch_optional(&mut *tx)
    .await?
    .flatten();
    if let Some(n) = revision {
        super::bank::audit(
            &mut *tx,
            Some(actor),
            "report.fixed",
            target,
            serde_json::json!({"report": id, "revision": n}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(revision)
}

/// Rejects an open report with a reason (and writes the audit entry in the same transaction). Returns
/// false when the report is no longer open.
pub async fn reject(
    db: &PgPool,
    id: Uuid,
    actor: (Uuid, &str),
    target: &str,
    reason: &str,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let done = sqlx::query!(
        "UPDATE item_reports SET status = 'rejected', resolution = $3, resolved_at = now(), resolved_by = $2
         WHERE id = $1 AND status = 'open'",
        id,
        actor.0,
        reason,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if done {
        super::bank::audit(
            &mut *tx,
            Some(actor),
            "report.rejected",
            target,
            serde_json::json!({"report": id, "reason": reason}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(done)
}

/// The outcome of one of the candidate's reports.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub id: Uuid,
    /// The revision the candidate reported on (its stem names the question to them).
    pub revision_id: Uuid,
    pub question_key: String,
    pub kind: String,
    /// `fixed` or `rejected`.
    pub status: String,
    pub resolution: Option<String>,
    pub fixed_revision: Option<i32>,
    pub created_at: OffsetDateTime,
}

/// The outcomes of the candidate's reports resolved since their last visit, oldest first, marked seen by the
/// same statement: each outcome is shown once.
pub async fn take_unseen_outcomes(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
) -> Result<Vec<Outcome>, sqlx::Error> {
    let mut rows = sqlx::query_as!(
        Outcome,
        "UPDATE item_reports SET seen_by_reporter_at = now()
         WHERE user_id = $1 AND status <> 'open' AND seen_by_reporter_at IS NULL
         RETURNING id, revision_id, question_key, kind, status, resolution, fixed_revision, created_at",
        user_id,
    )
    .fetch_all(db)
    .await?;
    rows.sort_by_key(|r| r.created_at);
    Ok(rows)
}
