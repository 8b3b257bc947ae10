//! The outbox, the tokens of links in mail, the limits on mail a request can trigger, and the mail settings
//! (migration 0017).

use sqlx::{PgExecutor, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

/// A message for the outbox.
pub struct Outgoing<'a> {
    pub id: Uuid,
    pub message_id: String,
    pub kind: &'a str,
    pub to: &'a str,
    pub user_id: Option<Uuid>,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    /// No SMTP server: keep it for /admin/outbox instead of queueing it.
    pub held: bool,
}

pub async fn queue(db: impl PgExecutor<'_>, m: Outgoing<'_>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO mail_outbox (id, message_id, kind, to_address, user_id, subject, body_text, body_html, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        m.id,
        m.message_id,
        m.kind,
        m.to,
        m.user_id,
        m.subject,
        m.text,
        m.html,
        if m.held { "held" } else { "queued" },
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A message the worker claimed.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: Uuid,
    pub message_id: String,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub attempts: i32,
}

/// Claims the next due message for `lease_seconds`: its next attempt moves past the lease, so another worker
/// (or this one after a crash) sends it again only once the lease ran out. Skips rows another worker holds.
pub async fn claim(db: &PgPool, lease_seconds: u32) -> Result<Option<Claimed>, sqlx::Error> {
    sqlx::query_as!(
        Claimed,
        r#"UPDATE mail_outbox SET attempts = attempts + 1,
                next_attempt_at = now() + make_interval(secs => $1)
         WHERE id = (SELECT id FROM mail_outbox WHERE status = 'queued' AND next_attempt_at <= now()
                     ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING id, message_id, to_address, subject, body_text AS "body_text!", body_html AS "body_html!",
                   attempts"#,
        f64::from(lease_seconds),
    )
    .fetch_optional(db)
    .await
}

/// The SMTP server accepted it: sent, and its bodies (which may hold a link) are gone.
pub async fn mark_sent(db: &PgPool, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE mail_outbox SET status = 'sent', sent_at = now(), body_text = NULL, body_html = NULL,
                last_error = NULL
         WHERE id = $1",
        id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A permanent refusal (5xx), a message that cannot be built, or a passing failure on the last try
/// (`mail::worker::MAX_TRIES`): failed, shown to admins, its text kept to be sent again.
pub async fn mark_failed(db: &PgPool, id: Uuid, error: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE mail_outbox SET status = 'failed', last_error = $2 WHERE id = $1",
        id,
        error
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A transient failure (server unreachable, 4xx): try again after `seconds`.
pub async fn retry_later(
    db: &PgPool,
    id: Uuid,
    seconds: u32,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE mail_outbox SET next_attempt_at = now() + make_interval(secs => $2), last_error = $3
         WHERE id = $1 AND status = 'queued'",
        id,
        f64::from(seconds),
        error
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A message as admins see it on /admin/outbox.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub id: Uuid,
    pub kind: String,
    pub to_address: String,
    pub subject: String,
    pub body_text: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: OffsetDateTime,
    pub sent_at: Option<OffsetDateTime>,
    pub next_attempt_at: OffsetDateTime,
}

/// The newest messages, failed ones first.
pub async fn outbox(db: impl PgExecutor<'_>, limit: i64) -> Result<Vec<OutboxRow>, sqlx::Error> {
    sqlx::query_as!(
        OutboxRow,
        "SELECT id, kind, to_address, subject, body_text, status, attempts, last_error, created_at, sent_at,
                next_attempt_at
         FROM mail_outbox ORDER BY (status = 'failed') DESC, created_at DESC LIMIT $1",
        limit
    )
    .fetch_all(db)
    .await
}

/// Counts of the outbox by status.
pub async fn outbox_counts(db: impl PgExecutor<'_>) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT status, count(*) AS "n!" FROM mail_outbox GROUP BY status ORDER BY status"#
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.status, r.n)).collect())
}

/// Puts a failed message back in the queue (an admin fixed the address or the server), its tries counted
/// anew (`mail::worker::MAX_TRIES`). False when it is not failed (or has no body any more).
pub async fn requeue(db: impl PgExecutor<'_>, id: Uuid) -> Result<bool, sqlx::Error> {
    let r = sqlx::query!(
        "UPDATE mail_outbox SET status = 'queued', next_attempt_at = now(), last_error = NULL, attempts = 0
         WHERE id = $1 AND status = 'failed' AND body_text IS NOT NULL",
        id
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Counts a request of `kind` from `client` (for mail: to `email`, counted per address too), unless an hourly
/// limit is reached; then returns the seconds until the oldest counted request that limits it leaves the hour.
/// Counted whether or not an account uses the address, so the limit tells nothing about accounts.
pub async fn count_request(
    db: &PgPool,
    kind: &str,
    email: Option<&str>,
    client: &str,
    per_address: i64,
    per_client: i64,
) -> Result<Option<u64>, sqlx::Error> {
    let mut tx = db.begin().await?;
    // One request at a time per address (or per client, for a limit by client only), so two at once cannot both
    // pass the last free place.
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtext($1))",
        email.unwrap_or(client)
    )
    .execute(&mut *tx)
    .await?;
    let r = sqlx::query!(
        r#"SELECT
             (SELECT count(*) FROM mail_requests WHERE kind = $1 AND email = $2 AND at > now() - interval '1 hour') AS "by_address!",
             (SELECT count(*) FROM mail_requests WHERE kind = $1 AND client = $3 AND at > now() - interval '1 hour') AS "by_client!",
             (SELECT ceil(extract(epoch FROM min(at) + interval '1 hour' - now()))::bigint FROM mail_requests
              WHERE kind = $1 AND (email = $2 OR client = $3) AND at > now() - interval '1 hour') AS wait"#,
        kind,
        email,
        client
    )
    .fetch_one(&mut *tx)
    .await?;
    if (email.is_some() && r.by_address >= per_address) || r.by_client >= per_client {
        return Ok(Some(r.wait.unwrap_or(3600).clamp(1, 3600) as u64));
    }
    sqlx::query!(
        "INSERT INTO mail_requests (kind, email, client) VALUES ($1, $2, $3)",
        kind,
        email.unwrap_or(""),
        client
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(None)
}

/// Stores a link's token (its hash) for `minutes`.
pub async fn create_token(
    db: impl PgExecutor<'_>,
    purpose: &str,
    user_id: Uuid,
    email: &str,
    token_hash: &[u8],
    minutes: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO mail_tokens (token_hash, purpose, user_id, email, expires_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(mins => $5))",
        token_hash,
        purpose,
        user_id,
        email,
        minutes
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A live token's account: its id, display name, current address, and the address the token went to.
#[derive(Debug, Clone)]
pub struct TokenOwner {
    pub user_id: Uuid,
    pub display_name: String,
    pub email: String,
    pub token_email: String,
}

/// The owner of an unused, unexpired token (nothing is changed: the page that shows the form).
pub async fn peek_token(
    db: impl PgExecutor<'_>,
    purpose: &str,
    token_hash: &[u8],
) -> Result<Option<TokenOwner>, sqlx::Error> {
    sqlx::query_as!(
        TokenOwner,
        "SELECT u.id AS user_id, u.display_name, u.email, t.email AS token_email
         FROM mail_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.token_hash = $1 AND t.purpose = $2 AND t.used_at IS NULL AND t.expires_at > now()
           AND NOT u.disabled",
        token_hash,
        purpose
    )
    .fetch_optional(db)
    .await
}

/// Uses a token: marks it used in the same statement that finds it, so it works once however many requests
/// race, and ends the account's other tokens of the same purpose.
pub async fn take_token(
    db: &mut sqlx::PgConnection,
    purpose: &str,
    token_hash: &[u8],
) -> Result<Option<TokenOwner>, sqlx::Error> {
    let owner = sqlx::query_as!(
        TokenOwner,
        "WITH used AS (
            UPDATE mail_tokens SET used_at = now()
            WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
            RETURNING user_id, email
         )
         SELECT u.id AS user_id, u.display_name, u.email, used.email AS token_email
         FROM used JOIN users u ON u.id = used.user_id WHERE NOT u.disabled",
        token_hash,
        purpose
    )
    .fetch_optional(&mut *db)
    .await?;
    if let Some(o) = &owner {
        sqlx::query!(
            "UPDATE mail_tokens SET used_at = now() WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
            o.user_id,
            purpose
        )
        .execute(&mut *db)
        .await?;
    }
    Ok(owner)
}

/// Whether a verification link was mailed to the account in the last day (so a sign-in does not send another).
pub async fn verification_sent_recently(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM mail_tokens WHERE user_id = $1 AND purpose = 'verify'
                          AND created_at > now() - interval '1 day') AS "x!""#,
        user_id
    )
    .fetch_one(db)
    .await
}

/// The site's address-verification setting.
pub async fn verification(
    db: impl PgExecutor<'_>,
) -> Result<crate::mail::Verification, sqlx::Error> {
    let v: Option<String> = sqlx::query_scalar!("SELECT email_verification FROM site_settings")
        .fetch_optional(db)
        .await?;
    Ok(v.as_deref()
        .and_then(crate::mail::Verification::parse)
        .unwrap_or(crate::mail::Verification::Optional))
}

/// Sets it, with its audit entry (`settings.email_verification`) in the same transaction.
pub async fn set_verification(
    db: &PgPool,
    v: crate::mail::Verification,
    actor: super::users::Actor<'_>,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query!(
        "UPDATE site_settings SET email_verification = $1, updated_at = now()",
        v.as_str()
    )
    .execute(&mut *tx)
    .await?;
    super::bank::audit(
        &mut *tx,
        Some((actor.id, actor.email)),
        "settings.email_verification",
        "email_verification",
        serde_json::json!({ "mode": v.as_str() }),
    )
    .await?;
    tx.commit().await
}

/// What the mail pages need to know of an account.
#[derive(Debug, Clone)]
pub struct MailState {
    pub verified: bool,
    pub verification_required: bool,
    pub reminders: bool,
    pub report_outcomes: bool,
}

pub async fn mail_state(db: impl PgExecutor<'_>, user_id: Uuid) -> Result<MailState, sqlx::Error> {
    sqlx::query_as!(
        MailState,
        r#"SELECT email_verified_at IS NOT NULL AS "verified!", verification_required,
                  mail_reminders AS reminders, mail_report_outcomes AS report_outcomes
           FROM users WHERE id = $1"#,
        user_id
    )
    .fetch_one(db)
    .await
}

/// Marks the account's address confirmed.
pub async fn set_verified(db: impl PgExecutor<'_>, user_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE users SET email_verified_at = COALESCE(email_verified_at, now()) WHERE id = $1",
        user_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Marks an account made while verification is required.
pub async fn require_verification(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE users SET verification_required = true WHERE id = $1",
        user_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The account's mail preferences.
pub async fn set_preferences(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    reminders: bool,
    report_outcomes: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE users SET mail_reminders = $2, mail_report_outcomes = $3 WHERE id = $1",
        user_id,
        reminders,
        report_outcomes
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Moves an account to a confirmed new address; false when another account took it meanwhile.
pub async fn change_email(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    new_email: &str,
) -> Result<bool, sqlx::Error> {
    // Links mailed to the old address (a reset, a confirmation) stop working with the move.
    let r = sqlx::query!(
        "WITH moved AS (
            UPDATE users SET email = $2, email_verified_at = now()
            WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM users WHERE email = $2)
            RETURNING id
         ), ended AS (
            UPDATE mail_tokens SET used_at = now()
            WHERE user_id IN (SELECT id FROM moved) AND used_at IS NULL
         )
         SELECT count(*) AS \"moved!\" FROM moved",
        user_id,
        new_email
    )
    .fetch_one(db)
    .await?;
    Ok(r.moved == 1)
}

/// An account as a mail needs it: id and display name of the (enabled) account with this address.
pub async fn account_by_email(
    db: impl PgExecutor<'_>,
    email: &str,
) -> Result<Option<(Uuid, String)>, sqlx::Error> {
    let r = sqlx::query!(
        "SELECT id, display_name FROM users WHERE email = $1 AND NOT disabled",
        email
    )
    .fetch_optional(db)
    .await?;
    Ok(r.map(|r| (r.id, r.display_name)))
}

/// A reminder to send: the member and the assignment closing within the next day.
#[derive(Debug, Clone)]
pub struct Due {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub class_name: String,
    pub form_title: String,
    /// When it closes for this member, in their time zone ("on Fri 04 Dec 2026 at 17:00 (Europe/Paris)").
    pub closes: String,
}

/// The members who asked for reminders, of assignments that close (for them: overrides count) within the next
/// 24 hours and are open now, who have not finished an attempt for it and were not reminded yet. Records the
/// reminders in the same statement, so each is sent once whichever instance runs the job; run it in the
/// transaction that queues the mails.
pub async fn take_due_reminders(db: impl PgExecutor<'_>) -> Result<Vec<Due>, sqlx::Error> {
    sqlx::query_as!(
        Due,
        r#"WITH due AS (
             SELECT a.id AS assignment_id, m.user_id, GREATEST(a.closes_at, o.closes_at) AS closes_at
             FROM assignments a
             JOIN classes c ON c.id = a.class_id AND c.archived_at IS NULL
             JOIN class_members m ON m.class_id = a.class_id
             JOIN users u ON u.id = m.user_id AND u.mail_reminders AND NOT u.disabled
             LEFT JOIN assignment_overrides o ON o.assignment_id = a.id AND o.user_id = m.user_id
             WHERE a.closes_at IS NOT NULL
               AND (a.opens_at IS NULL OR a.opens_at <= now())
               AND GREATEST(a.closes_at, o.closes_at) > now()
               AND GREATEST(a.closes_at, o.closes_at) <= now() + interval '24 hours'
               AND NOT EXISTS (SELECT 1 FROM attempts t WHERE t.assignment_id = a.id AND t.user_id = m.user_id
                               AND t.ended_at IS NOT NULL)
           ), sent AS (
             INSERT INTO assignment_reminders (assignment_id, user_id)
             SELECT assignment_id, user_id FROM due
             ON CONFLICT DO NOTHING
             RETURNING assignment_id, user_id
           )
           SELECT u.id AS user_id, u.email, u.display_name, c.name AS class_name, f.title AS form_title,
                  to_char(due.closes_at AT TIME ZONE u.time_zone, '"on" Dy DD Mon YYYY "at" HH24:MI')
                    || ' (' || u.time_zone || ')' AS "closes!"
           FROM sent
           JOIN due ON due.assignment_id = sent.assignment_id AND due.user_id = sent.user_id
           JOIN users u ON u.id = sent.user_id
           JOIN assignments a ON a.id = sent.assignment_id
           JOIN classes c ON c.id = a.class_id
           JOIN exam_forms f ON f.id = a.form_id"#
    )
    .fetch_all(db)
    .await
}

/// The reporter of a report, when they asked for their reports' outcomes by mail.
pub async fn report_outcome_recipient(
    db: impl PgExecutor<'_>,
    report_id: Uuid,
) -> Result<Option<(Uuid, String, String)>, sqlx::Error> {
    let r = sqlx::query!(
        "SELECT u.id, u.email, u.display_name FROM item_reports r JOIN users u ON u.id = r.user_id
         WHERE r.id = $1 AND u.mail_report_outcomes AND NOT u.disabled",
        report_id
    )
    .fetch_optional(db)
    .await?;
    Ok(r.map(|r| (r.id, r.email, r.display_name)))
}
