//! Demo data for the analytics pages: counting real users, and inserting backdated demo attempts and answers.

use crate::scoring::Response;
use crate::store::exam::EndReason;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

/// Users whose e-mail is not a demo candidate's (`demo-candidate-<n>@example.invalid`).
pub async fn count_non_demo_users(db: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM users WHERE email NOT LIKE 'demo-candidate-%@example.invalid'"#,
    )
    .fetch_one(db)
    .await
}

/// Stores simulated answers of an open attempt as they would have been saved: `(position, response,
/// saved_at)`. Bypasses the deadline guard, which is why only the demo seeder uses it.
pub async fn insert_demo_answers(
    db: &PgPool,
    attempt_id: Uuid,
    answers: &[(i32, Response, OffsetDateTime)],
) -> Result<(), sqlx::Error> {
    let positions: Vec<i32> = answers.iter().map(|a| a.0).collect();
    let responses: Vec<serde_json::Value> = answers
        .iter()
        .map(|a| serde_json::to_value(&a.1).unwrap_or_default())
        .collect();
    let saved: Vec<OffsetDateTime> = answers.iter().map(|a| a.2).collect();
    sqlx::query!(
        "INSERT INTO answers (attempt_id, position, response, saved_at)
         SELECT $1, p, r, s FROM UNNEST($2::int[], $3::jsonb[], $4::timestamptz[]) AS t(p, r, s)
         ON CONFLICT (attempt_id, position) DO UPDATE SET response = EXCLUDED.response, saved_at = EXCLUDED.saved_at",
        attempt_id,
        &positions,
        &responses,
        &saved,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Moves an attempt into the past: it starts at `started_at` (its deadline keeps its length) and ends at
/// `ended_at` (or at its deadline when `None`).
pub async fn backdate_attempt(
    db: &PgPool,
    attempt_id: Uuid,
    started_at: OffsetDateTime,
    ended_at: Option<OffsetDateTime>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE attempts SET deadline = $2::timestamptz + (deadline - started_at), started_at = $2,
                ended_at = COALESCE($3::timestamptz, $2::timestamptz + (deadline - started_at))
         WHERE id = $1",
        attempt_id,
        started_at,
        ended_at,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A finished (or abandoned) demo attempt, written by [`insert_demo_attempts`].
pub struct DemoAttempt {
    pub id: Uuid,
    pub user_id: Uuid,
    pub form_id: Uuid,
    pub title: String,
    pub seed: i64,
    pub cut_fraction: f64,
    pub started_at: OffsetDateTime,
    pub deadline: OffsetDateTime,
    pub ended_at: OffsetDateTime,
    pub ended_reason: EndReason,
    pub items: Vec<crate::exam::plan::PlannedItem<Uuid>>,
    /// Per position (from 1): the response and when it was saved (`None` when unanswered), and the points.
    pub answers: Vec<(Option<(Response, OffsetDateTime)>, f64)>,
    pub result: crate::scoring::ExamResult,
}

/// Writes demo attempts in one transaction, as if each had been started, answered and finalized: the
/// attempts open, their items and answers, then one update that ends them all (which maintains the
/// analytics rollups, by trigger, set-based).
pub async fn insert_demo_attempts(
    db: &PgPool,
    attempts: &[DemoAttempt],
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query!(
        "INSERT INTO attempts (id, user_id, form_id, blueprint_id, mode, title, seed, item_count, cut_fraction,
                               started_at, deadline)
         SELECT id, u, f, (SELECT blueprint_id FROM exam_forms WHERE exam_forms.id = f), 'exam', t, s, n, c, st, d
         FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::int8[], $6::int[], $7::float8[],
                     $8::timestamptz[], $9::timestamptz[]) AS x(id, u, f, t, s, n, c, st, d)",
        &attempts.iter().map(|a| a.id).collect::<Vec<_>>(),
        &attempts.iter().map(|a| a.user_id).collect::<Vec<_>>(),
        &attempts.iter().map(|a| a.form_id).collect::<Vec<_>>(),
        &attempts.iter().map(|a| a.title.clone()).collect::<Vec<_>>(),
        &attempts.iter().map(|a| a.seed).collect::<Vec<_>>(),
        &attempts
            .iter()
            .map(|a| i32::try_from(a.items.len()).unwrap_or(i32::MAX))
            .collect::<Vec<_>>(),
        &attempts.iter().map(|a| a.cut_fraction).collect::<Vec<_>>(),
        &attempts.iter().map(|a| a.started_at).collect::<Vec<_>>(),
        &attempts.iter().map(|a| a.deadline).collect::<Vec<_>>(),
    )
    .execute(&mut *tx)
    .await?;

    let rows: usize = attempts.iter().map(|a| a.items.len()).sum();
    let mut ids = Vec::with_capacity(rows);
    let mut positions = Vec::with_capacity(rows);
    let mut revisions = Vec::with_capacity(rows);
    let mut keys = Vec::with_capacity(rows);
    let mut sections: Vec<Option<String>> = Vec::with_capacity(rows);
    let mut domains = Vec::with_capacity(rows);
    let mut objectives = Vec::with_capacity(rows);
    let mut presentations = Vec::with_capacity(rows);
    let mut points = Vec::with_capacity(rows);
    let mut responses: Vec<Option<serde_json::Value>> = Vec::with_capacity(rows);
    let mut saved = Vec::with_capacity(rows);
    let mut earned = Vec::with_capacity(rows);
    for a in attempts {
        for (i, (it, (answer, e))) in a.items.iter().zip(&a.answers).enumerate() {
            ids.push(a.id);
            positions.push(i32::try_from(i + 1).unwrap_or(i32::MAX));
            revisions.push(it.revision);
            keys.push(it.question_key.clone());
            sections.push(it.section_key.clone());
            domains.push(it.domain.clone());
            objectives.push(it.objective.clone());
            presentations.push(serde_json::to_value(&it.presentation).unwrap_or_default());
            points.push(it.max_points);
            responses.push(
                answer
                    .as_ref()
                    .map(|(r, _)| serde_json::to_value(r).unwrap_or_default()),
            );
            saved.push(answer.as_ref().map_or(a.ended_at, |(_, at)| *at));
            earned.push(*e);
        }
    }
    sqlx::query!(
        "INSERT INTO attempt_items (attempt_id, position, revision_id, question_key, section_key, domain, objective, presentation, max_points)
         SELECT * FROM UNNEST($1::uuid[], $2::int[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[], $9::float8[])",
        &ids,
        &positions,
        &revisions,
        &keys,
        // Unchecked: a section is NULL outside case studies, and the macro types `text[]` as `Vec<String>`.
        &sections as _,
        &domains,
        &objectives,
        &presentations,
        &points,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO answers (attempt_id, position, response, saved_at, earned)
         SELECT * FROM UNNEST($1::uuid[], $2::int[], $3::jsonb[], $4::timestamptz[], $5::float8[])",
        &ids,
        &positions,
        // Unchecked: an unanswered item's response is NULL, and the macro types `jsonb[]` as `Vec<Value>`.
        &responses as _,
        &saved,
        &earned,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE attempts a SET ended_at = x.e, ended_reason = x.r, raw_score = x.raw, max_score = x.max,
                scaled_score = x.scaled, passed = x.passed, result = x.result
         FROM UNNEST($1::uuid[], $2::timestamptz[], $3::text[], $4::float8[], $5::float8[], $6::int[],
                     $7::bool[], $8::jsonb[]) AS x(id, e, r, raw, max, scaled, passed, result)
         WHERE a.id = x.id",
        &attempts.iter().map(|a| a.id).collect::<Vec<_>>(),
        &attempts.iter().map(|a| a.ended_at).collect::<Vec<_>>(),
        &attempts
            .iter()
            .map(|a| a.ended_reason.as_str().to_owned())
            .collect::<Vec<_>>(),
        &attempts.iter().map(|a| a.result.raw).collect::<Vec<_>>(),
        &attempts.iter().map(|a| a.result.max).collect::<Vec<_>>(),
        &attempts
            .iter()
            .map(|a| i32::try_from(a.result.scaled).unwrap_or(0))
            .collect::<Vec<_>>(),
        &attempts.iter().map(|a| a.result.passed).collect::<Vec<_>>(),
        &attempts
            .iter()
            .map(|a| serde_json::to_value(&a.result).unwrap_or_default())
            .collect::<Vec<_>>(),
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}
