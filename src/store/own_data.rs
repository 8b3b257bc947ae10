//! A person's own data: everything the service holds about an account, as one JSON document; deleting an
//! account (its attempts kept, anonymised, for the statistics); and the retention the admins set, enforced by a
//! daily job.

use super::bank::audit;
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

/// Everything the service holds about the account, as JSON: the profile, attempts with their answers and
/// scores, the review deck, classes, problem reports, API tokens (their names and dates, never a secret), mail
/// preferences, single sign-on identities and the mail sent to them (subjects and dates, never a body: a body may
/// hold a live link).
pub async fn export(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
) -> Result<serde_json::Value, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT jsonb_build_object(
             'profile', jsonb_build_object(
                 'email', u.email, 'display_name', u.display_name, 'role', u.role, 'created_at', u.created_at,
                 'time_zone', u.time_zone, 'target_exam', u.target_exam, 'target_date', u.target_date,
                 'extra_time_minutes', u.extra_time_minutes, 'email_verified_at', u.email_verified_at,
                 'mail_reminders', u.mail_reminders, 'mail_report_outcomes', u.mail_report_outcomes),
             'sign_in_identities', COALESCE((
                 SELECT jsonb_agg(jsonb_build_object('issuer', ui.issuer, 'subject', ui.subject,
                                                     'linked_at', ui.linked_at, 'last_sign_in_at', ui.last_sign_in_at)
                                  ORDER BY ui.linked_at)
                 FROM user_identities ui WHERE ui.user_id = u.id), '[]'::jsonb),
             'mail', COALESCE((
                 SELECT jsonb_agg(jsonb_build_object('kind', m.kind, 'to', m.to_address, 'subject', m.subject,
                                                     'status', m.status, 'queued_at', m.created_at,
                                                     'sent_at', m.sent_at) ORDER BY m.created_at)
                 FROM mail_outbox m WHERE m.user_id = u.id OR m.to_address = u.email), '[]'::jsonb),
             'attempts', COALESCE((
                 SELECT jsonb_agg(jsonb_build_object(
                     'id', a.id, 'title', a.title, 'mode', a.mode, 'exam_blueprint', a.blueprint_id,
                     'started_at', a.started_at, 'deadline', a.deadline, 'ended_at', a.ended_at,
                     'ended_reason', a.ended_reason, 'scaled_score', a.scaled_score, 'passed', a.passed,
                     'result', a.result,
                     'answers', COALESCE((
                         SELECT jsonb_agg(jsonb_build_object(
                             'position', ai.position, 'question', ai.question_key, 'domain', ai.domain,
                             'objective', ai.objective, 'response', an.response, 'marked', an.marked,
                             'confidence', an.confidence, 'earned', an.earned, 'max_points', ai.max_points,
                             'saved_at', an.saved_at) ORDER BY ai.position)
                         FROM attempt_items ai
                         LEFT JOIN answers an ON an.attempt_id = ai.attempt_id AND an.position = ai.position
                         WHERE ai.attempt_id = a.id AND NOT ai.trial), '[]'::jsonb))
                     ORDER BY a.started_at)
                 FROM attempts a WHERE a.user_id = u.id), '[]'::jsonb),
             'review_deck', COALESCE((
                 SELECT jsonb_agg(jsonb_build_object(
                     'pack', p.pack_key, 'item', i.item_key, 'reason', d.reason, 'joined_at', d.joined_at,
                     'due', d.due, 'reps', d.reps, 'lapses', d.lapses, 'last_review', d.last_review)
                     ORDER BY d.due)
                 FROM review_deck d JOIN items i ON i.id = d.item_id JOIN packs p ON p.id = i.pack_id
                 WHERE d.user_id = u.id), '[]'::jsonb),
             'classes', COALESCE((
                 SELECT jsonb_agg(jsonb_build_object('name', c.name, 'exam', c.exam_code, 'joined_at', m.joined_at)
                     ORDER BY m.joined_at)
                 FROM class_members m JOIN classes c ON c.id = m.class_id WHERE m.user_id = u.id), '[]'::jsonb),
             'problem_reports', COALESCE((
                 SELECT jsonb_agg(jsonb_build_object(
                     'question', r.question_key, 'kind', r.kind, 'comment', r.comment, 'status', r.status,
                     'resolution', r.resolution, 'created_at', r.created_at, 'resolved_at', r.resolved_at)
                     ORDER BY r.created_at)
                 FROM item_reports r WHERE r.user_id = u.id), '[]'::jsonb),
             'api_tokens', COALESCE((
                 SELECT jsonb_agg(jsonb_build_object(
                     'name', t.name, 'prefix', t.prefix, 'created_at', t.created_at, 'last_used_at', t.last_used_at)
                     ORDER BY t.created_at)
                 FROM api_tokens t WHERE t.user_id = u.id), '[]'::jsonb)
           ) AS "data!"
           FROM users u WHERE u.id = $1"#,
        user_id
    )
    .fetch_one(db)
    .await
}

/// What came of a request to delete an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    /// Deleted; this many attempts were kept, anonymised.
    Deleted {
        attempts_kept: i64,
    },
    /// Refused: the account is the last active admin.
    LastAdmin,
    NotFound,
}

/// Deletes the account. Everything that names the person goes: the account, its sessions and tokens, its review
/// deck and memberships, its report comments, its mail and its e-mail in the audit log. Its attempts, reports, packs,
/// forms and classes are kept for the statistics and for others, under a new anonymous account ("Deleted
/// account", disabled, no password). Audited `user.deleted` without the name. One transaction.
pub async fn delete_account(db: &PgPool, user_id: Uuid) -> Result<Deletion, sqlx::Error> {
    let mut tx = db.begin().await?;
    let Some(row) = sqlx::query!(
        "SELECT email, role, disabled FROM users WHERE id = $1 FOR UPDATE",
        user_id
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Deletion::NotFound);
    };
    if row.role == "admin" && !row.disabled {
        // The same lock as the admin pages' changes, so two admins cannot both leave.
        let admins = sqlx::query_scalar!(
            "SELECT id FROM users WHERE role = 'admin' AND NOT disabled ORDER BY id FOR UPDATE"
        )
        .fetch_all(&mut *tx)
        .await?;
        if admins.len() <= 1 {
            return Ok(Deletion::LastAdmin);
        }
    }
    let email = row.email;
    let anonymous = Uuid::new_v4();
    let anonymous_email = format!("deleted-{}@deleted.invalid", anonymous.simple());
    sqlx::query!(
        "INSERT INTO users (id, email, display_name, password_hash, role, disabled)
         VALUES ($1, $2, 'Deleted account', '!', 'candidate', true)",
        anonymous,
        anonymous_email
    )
    .execute(&mut *tx)
    .await?;
    let attempts_kept = sqlx::query!(
        "UPDATE attempts SET user_id = $2 WHERE user_id = $1",
        user_id,
        anonymous
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query!(
        "UPDATE attempt_summaries SET user_id = $2 WHERE user_id = $1",
        user_id,
        anonymous
    )
    .execute(&mut *tx)
    .await?;
    // A report's comment is the person's own words: it goes; the report (its kind and outcome) stays.
    sqlx::query!(
        "UPDATE item_reports SET user_id = $2, comment = '' WHERE user_id = $1",
        user_id,
        anonymous
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE packs SET owner_id = $2 WHERE owner_id = $1",
        user_id,
        anonymous
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE exam_forms SET owner_id = $2 WHERE owner_id = $1",
        user_id,
        anonymous
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE classes SET owner_id = $2 WHERE owner_id = $1",
        user_id,
        anonymous
    )
    .execute(&mut *tx)
    .await?;
    // The audit log keeps what was done, not who: the address goes wherever it was written.
    sqlx::query!(
        "UPDATE audit_log SET actor_id = NULL, actor = 'deleted account' WHERE actor_id = $1 OR actor = $2",
        user_id,
        email
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE audit_log SET target = replace(target, $1, 'deleted account'),
                              detail = replace(detail::text, $1, 'deleted account')::jsonb
         WHERE strpos(target, $1) > 0 OR strpos(detail::text, $1) > 0",
        email
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "DELETE FROM sign_in_failures WHERE scope = 'account' AND key = $1",
        email
    )
    .execute(&mut *tx)
    .await?;
    // Mail to or about the person (any address the account had), and the counts of mail asked for it.
    sqlx::query!(
        "DELETE FROM mail_outbox WHERE user_id = $1 OR to_address = $2",
        user_id,
        email
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("DELETE FROM mail_requests WHERE email = $1", email)
        .execute(&mut *tx)
        .await?;
    sqlx::query!("DELETE FROM users WHERE id = $1", user_id)
        .execute(&mut *tx)
        .await?;
    let attempts_kept = i64::try_from(attempts_kept).unwrap_or(i64::MAX);
    audit(
        &mut *tx,
        None,
        "user.deleted",
        &anonymous_email,
        serde_json::json!({"attempts_kept": attempts_kept}),
    )
    .await?;
    tx.commit().await?;
    Ok(Deletion::Deleted { attempts_kept })
}

/// How long finished attempts and audit entries are kept, in days (None: for ever).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Retention {
    pub attempts_days: Option<i32>,
    pub audit_days: Option<i32>,
    /// Sent, failed and held mail.
    pub mail_days: Option<i32>,
}

/// The retention the admins set.
pub async fn retention(db: impl PgExecutor<'_>) -> Result<Retention, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT keep_attempts_days, keep_audit_days, keep_mail_days FROM site_settings"
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map_or_else(Retention::default, |r| Retention {
        attempts_days: r.keep_attempts_days,
        audit_days: r.keep_audit_days,
        mail_days: r.keep_mail_days,
    }))
}

/// Sets the retention, with its audit entry (`settings.retention`) in the same transaction.
pub async fn set_retention(
    db: &PgPool,
    r: Retention,
    actor: super::users::Actor<'_>,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query!(
        "UPDATE site_settings SET keep_attempts_days = $1, keep_audit_days = $2, keep_mail_days = $3,
                updated_at = now()",
        r.attempts_days,
        r.audit_days,
        r.mail_days
    )
    .execute(&mut *tx)
    .await?;
    audit(
        &mut *tx,
        Some((actor.id, actor.email)),
        "settings.retention",
        "retention",
        serde_json::json!({"attempts_days": r.attempts_days, "audit_days": r.audit_days,
                           "mail_days": r.mail_days}),
    )
    .await?;
    tx.commit().await
}

/// What one run of the retention job removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Enforced {
    pub attempts: u64,
    pub audit_entries: u64,
    /// Mail no longer queued (sent, failed or held), with expired tokens and old request counts.
    pub mails: u64,
}

/// The daily retention job: once a day across all instances (the first to move `retention_ran_at` runs it;
/// `force` runs it now, for a test or an admin), deletes finished attempts that ended, and audit entries
/// written, longer ago than the admins' settings. Attempts in progress are never touched. `None` when another
/// run already covered the last day.
pub async fn enforce_retention(db: &PgPool, force: bool) -> Result<Option<Enforced>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let Some(r) = sqlx::query!(
        "UPDATE site_settings SET retention_ran_at = now()
         WHERE $1 OR retention_ran_at IS NULL OR retention_ran_at < now() - interval '1 day'
         RETURNING keep_attempts_days, keep_audit_days, keep_mail_days",
        force
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(None);
    };
    let attempts = match r.keep_attempts_days {
        Some(days) => sqlx::query!(
            "DELETE FROM attempts WHERE ended_at IS NOT NULL AND ended_at < now() - make_interval(days => $1)",
            days
        )
        .execute(&mut *tx)
        .await?
        .rows_affected(),
        None => 0,
    };
    let audit_entries = match r.keep_audit_days {
        Some(days) => sqlx::query!(
            "DELETE FROM audit_log WHERE created_at < now() - make_interval(days => $1)",
            days
        )
        .execute(&mut *tx)
        .await?
        .rows_affected(),
        None => 0,
    };
    let mails = match r.keep_mail_days {
        Some(days) => sqlx::query!(
            "DELETE FROM mail_outbox WHERE status <> 'queued' AND created_at < now() - make_interval(days => $1)",
            days
        )
        .execute(&mut *tx)
        .await?
        .rows_affected(),
        None => 0,
    };
    // Dead tokens and request counts older than the limits' hour are of no use to anybody: always removed.
    sqlx::query!("DELETE FROM mail_tokens WHERE expires_at < now() - interval '1 day'")
        .execute(&mut *tx)
        .await?;
    sqlx::query!("DELETE FROM mail_requests WHERE at < now() - interval '1 day'")
        .execute(&mut *tx)
        .await?;
    if attempts + audit_entries + mails > 0 {
        audit(
            &mut *tx,
            None,
            "retention.enforced",
            "retention",
            serde_json::json!({"attempts": attempts, "audit_entries": audit_entries, "mails": mails,
                               "attempts_days": r.keep_attempts_days, "audit_days": r.keep_audit_days,
                               "mail_days": r.keep_mail_days}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Some(Enforced {
        attempts,
        audit_entries,
        mails,
    }))
}
