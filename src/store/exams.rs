//! The exam catalogue in the database: written from each exam's `exam.yaml` when a bank is loaded, read by
//! every page that belongs to an exam. The status a page shows is derived from the dates by the database's
//! clock, so an exam turns `retired` the day after its `retires_on` without a reload.

use crate::bank::exam::{Exam, ExamStatus};
use sqlx::PgExecutor;

/// One exam as pages use it: its facts (`exam`, as `exam.yaml` states them) and the status they imply today.
#[derive(Debug, Clone)]
pub struct ExamRow {
    pub code: String,
    pub blueprint_id: String,
    pub title: String,
    /// Derived from the dates (`Exam::status_on`) on the database's current date.
    pub status: ExamStatus,
    pub exam: Exam,
}

/// Exams in catalogue order (bookable ones first: live, beta, retiring; then retired ones; newest code first
/// within each), every one for `None`, else the one whose code (any case) or blueprint id is `key`. The one
/// query that reads the catalogue; the status comes from `Exam::status_on` with the database's date, so the
/// rule is written once.
async fn select(db: impl PgExecutor<'_>, key: Option<&str>) -> Result<Vec<ExamRow>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT content, current_date AS "today!"
         FROM exams
         WHERE $1::text IS NULL OR upper(code) = upper($1) OR blueprint_id = $1"#,
        key,
    )
    .fetch_all(db)
    .await?;
    let mut out = rows
        .into_iter()
        .map(|r| {
            let exam: Exam =
                serde_json::from_value(r.content).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            Ok(ExamRow {
                code: exam.code.clone(),
                blueprint_id: exam.blueprint.clone(),
                title: exam.title.clone(),
                status: exam.status_on(r.today),
                exam,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    out.sort_by(|a, b| {
        (a.status == ExamStatus::Retired)
            .cmp(&(b.status == ExamStatus::Retired))
            .then_with(|| b.code.cmp(&a.code))
    });
    Ok(out)
}

/// Writes an exam's facts (the blueprint must already be stored). Idempotent.
pub async fn upsert(db: impl PgExecutor<'_>, exam: &Exam) -> Result<(), sqlx::Error> {
    let content = serde_json::to_value(exam).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query!(
        "INSERT INTO exams (code, blueprint_id, content) VALUES ($1, $2, $3)
         ON CONFLICT (code) DO UPDATE SET blueprint_id = EXCLUDED.blueprint_id, content = EXCLUDED.content,
             updated_at = now()
         WHERE exams.content <> EXCLUDED.content",
        exam.code,
        exam.blueprint,
        content,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Every exam: bookable ones first (live, beta, retiring), then retired ones, newest code first within each.
pub async fn list(db: impl PgExecutor<'_>) -> Result<Vec<ExamRow>, sqlx::Error> {
    select(db, None).await
}

/// One exam by its code (any case) or by its blueprint id.
pub async fn find(db: impl PgExecutor<'_>, key: &str) -> Result<Option<ExamRow>, sqlx::Error> {
    Ok(select(db, Some(key)).await?.into_iter().next())
}

/// Sets the exam a person studies for (an unknown code changes nothing and answers false).
pub async fn set_target(
    db: impl PgExecutor<'_>,
    user_id: uuid::Uuid,
    code: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE users SET target_exam = e.code FROM exams e WHERE users.id = $1 AND upper(e.code) = upper($2)",
        user_id,
        code,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The exam a person chose to study for, if any.
pub async fn target_of(
    db: impl PgExecutor<'_>,
    user_id: uuid::Uuid,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!("SELECT target_exam FROM users WHERE id = $1", user_id)
        .fetch_optional(db)
        .await
        .map(Option::flatten)
}

/// Scored questions published for each exam's blueprint (a case study counts as its questions).
pub async fn question_counts(
    db: impl PgExecutor<'_>,
) -> Result<std::collections::HashMap<String, i64>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT p.blueprint_id, COALESCE(sum(cardinality(r.objectives)), 0)::bigint AS "questions!"
         FROM packs p JOIN items i ON i.pack_id = p.id AND NOT i.retired AND NOT i.trial
         JOIN item_revisions r ON r.item_id = i.id AND r.revision = i.current_revision
         WHERE p.status = 'published' GROUP BY p.blueprint_id"#,
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.blueprint_id, r.questions))
        .collect())
}

/// Writes the exams built into the binary (with their blueprints), so that every instance knows the
/// catalogue even when it loads no bank. Idempotent; run at every start.
pub async fn ensure_shipped(db: &sqlx::PgPool) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    for (exam, blueprint) in crate::bank::exam::shipped() {
        crate::store::bank::upsert_blueprint(&mut tx, blueprint).await?;
        upsert(&mut *tx, exam).await?;
    }
    tx.commit().await
}

/// The exam of the person's latest attempt, if any.
pub async fn latest_of(
    db: impl PgExecutor<'_>,
    user_id: uuid::Uuid,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT e.code FROM attempts a JOIN exams e ON e.blueprint_id = a.blueprint_id
         WHERE a.user_id = $1 ORDER BY a.started_at DESC LIMIT 1",
        user_id,
    )
    .fetch_optional(db)
    .await
}

/// The exam of the site's latest exam-mode attempt, if any (where staff pages open).
pub async fn latest_site_wide(db: impl PgExecutor<'_>) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT e.code FROM attempts a JOIN exams e ON e.blueprint_id = a.blueprint_id
         WHERE a.mode = 'exam' ORDER BY a.started_at DESC LIMIT 1",
    )
    .fetch_optional(db)
    .await
}
