//! Users and their sessions.

use crate::auth::session::{User, SESSION_DAYS};
use crate::auth::{Email, Role};
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

/// A role as stored (the column's check constraint admits only the three names).
pub(crate) fn role(stored: &str) -> Result<Role, sqlx::Error> {
    Role::parse(stored).map_err(|e| sqlx::Error::Decode(e.to_string().into()))
}

/// Creates a user; `Ok(None)` when the e-mail is taken.
pub async fn create(
    db: impl PgExecutor<'_>,
    email: &Email,
    display_name: &str,
    password_hash: &str,
    role: Role,
) -> Result<Option<Uuid>, sqlx::Error> {
    let id = Uuid::new_v4();
    let row = sqlx::query_scalar!(
        "INSERT INTO users (id, email, display_name, password_hash, role) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (email) DO NOTHING RETURNING id",
        id,
        email.as_str(),
        display_name,
        password_hash,
        role.as_str(),
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|_| id))
}

/// The user and password hash for a sign-in; disabled accounts are not returned.
pub async fn for_sign_in(
    db: impl PgExecutor<'_>,
    email: &str,
) -> Result<Option<(User, String)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT id, email, display_name, role, extra_time_minutes, password_hash FROM users
         WHERE email = $1 AND NOT disabled",
        email,
    )
    .fetch_optional(db)
    .await?;
    row.map(|r| {
        let user = User {
            id: r.id,
            email: r.email,
            display_name: r.display_name,
            role: role(&r.role)?,
            extra_time_minutes: r.extra_time_minutes,
        };
        Ok((user, r.password_hash))
    })
    .transpose()
}

pub async fn password_hash(db: impl PgExecutor<'_>, user_id: Uuid) -> Result<String, sqlx::Error> {
    sqlx::query_scalar!("SELECT password_hash FROM users WHERE id = $1", user_id)
        .fetch_one(db)
        .await
}

pub async fn set_password(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE users SET password_hash = $2, must_change_password = false WHERE id = $1",
        user_id,
        hash,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Whether an admin reset the password and the user has not chosen their own since.
pub async fn must_change_password(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let flag: Option<bool> = sqlx::query_scalar!(
        "SELECT must_change_password FROM users WHERE id = $1",
        user_id
    )
    .fetch_optional(db)
    .await?;
    Ok(flag.unwrap_or(false))
}

pub async fn set_role(
    db: impl PgExecutor<'_>,
    email: &str,
    role: Role,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query!(
        "UPDATE users SET role = $2 WHERE email = $1",
        email,
        role.as_str()
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Starts a session for a user (a new id at every sign-in, so a planted id is never promoted).
pub async fn create_session(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    id_hash: &[u8],
    csrf_token: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(days => $4))",
        id_hash,
        user_id,
        csrf_token,
        SESSION_DAYS as i32,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The user and CSRF token of a live session.
pub async fn session_user(
    db: impl PgExecutor<'_>,
    id_hash: &[u8],
) -> Result<Option<(User, String)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT u.id, u.email, u.display_name, u.role, u.extra_time_minutes, s.csrf_token
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id_hash = $1 AND s.expires_at > now() AND NOT u.disabled",
        id_hash,
    )
    .fetch_optional(db)
    .await?;
    row.map(|r| {
        let user = User {
            id: r.id,
            email: r.email,
            display_name: r.display_name,
            role: role(&r.role)?,
            extra_time_minutes: r.extra_time_minutes,
        };
        Ok((user, r.csrf_token))
    })
    .transpose()
}

pub async fn delete_session(db: impl PgExecutor<'_>, id_hash: &[u8]) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM sessions WHERE id_hash = $1", id_hash)
        .execute(db)
        .await?;
    Ok(())
}

/// Ends every other session of a user (after a password change).
pub async fn delete_other_sessions(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    keep: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2",
        user_id,
        keep
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn count(db: impl PgExecutor<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM users"#)
        .fetch_one(db)
        .await
}

/// A user as listed to admins.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub disabled: bool,
    /// Minutes added to every timed exam this account starts (an accommodation).
    pub extra_time_minutes: i32,
    pub created_at: time::OffsetDateTime,
}

/// Accounts by role and status, for the admin summary.
#[derive(Debug, Clone, Default)]
pub struct UserCounts {
    pub total: i64,
    pub candidates: i64,
    pub instructors: i64,
    pub admins: i64,
    pub disabled: i64,
}

pub async fn counts(db: impl PgExecutor<'_>) -> Result<UserCounts, sqlx::Error> {
    sqlx::query_as!(
        UserCounts,
        r#"SELECT count(*) AS "total!",
                count(*) FILTER (WHERE role = 'candidate') AS "candidates!",
                count(*) FILTER (WHERE role = 'instructor') AS "instructors!",
                count(*) FILTER (WHERE role = 'admin') AS "admins!",
                count(*) FILTER (WHERE disabled) AS "disabled!"
         FROM users"#,
    )
    .fetch_one(db)
    .await
}

/// Which accounts an admin is looking for.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Part of the e-mail or the name, any case.
    pub text: String,
    pub role: Option<Role>,
}

/// One page of the accounts that match, newest first, and how many match in all.
pub async fn search(
    db: &PgPool,
    filter: &UserFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<UserRow>, i64), sqlx::Error> {
    let text = filter.text.trim();
    let pattern = (!text.is_empty()).then(|| super::contains_pattern(text));
    let role = filter.role.map(Role::as_str);
    // The count and the page share the filter, written out in each (the macros take literal SQL).
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM users
         WHERE ($1::text IS NULL OR email ILIKE $1 OR display_name ILIKE $1) AND ($2::text IS NULL OR role = $2)"#,
        pattern,
        role,
    )
    .fetch_one(db)
    .await?;
    let rows = sqlx::query_as!(
        UserRow,
        "SELECT id, email, display_name, role, disabled, extra_time_minutes, created_at FROM users
         WHERE ($1::text IS NULL OR email ILIKE $1 OR display_name ILIKE $1) AND ($2::text IS NULL OR role = $2)
         ORDER BY created_at DESC, email LIMIT $3 OFFSET $4",
        pattern,
        role,
        limit,
        offset,
    )
    .fetch_all(db)
    .await?;
    Ok((rows, total))
}

pub async fn by_id(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as!(
        UserRow,
        "SELECT id, email, display_name, role, disabled, extra_time_minutes, created_at FROM users WHERE id = $1",
        id,
    )
    .fetch_optional(db)
    .await
}

/// Who is doing an admin action, as the audit log names them.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub id: Uuid,
    pub email: &'a str,
}

/// What came of an admin's change to an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Done and written to the audit log.
    Done,
    /// The account already was that way: nothing written.
    Unchanged,
    /// Refused: it would leave no active admin.
    LastAdmin,
    NotFound,
}

/// Locks the active admins' rows until the transaction ends, so that two admins demoting or disabling
/// each other at the same moment cannot leave the service without one. Returns their ids.
async fn lock_active_admins(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM users WHERE role = 'admin' AND NOT disabled ORDER BY id FOR UPDATE"
    )
    .fetch_all(&mut **tx)
    .await
}

/// Locks one account's row and returns its e-mail, role and status.
async fn lock_user(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    id: Uuid,
) -> Result<Option<(String, String, bool)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT email, role, disabled FROM users WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|r| (r.email, r.role, r.disabled)))
}

/// The most extra time an admin may grant: double the default 100-minute exam.
pub const MAX_EXTRA_TIME_MINUTES: i32 = 100;

/// Sets the extra time an account gets on every timed exam it starts from now on, and audits it
/// (`user.extra_time_changed`, with the old and new minutes). Attempts already started keep their deadline.
pub async fn set_extra_time(
    db: &PgPool,
    actor: Actor<'_>,
    id: Uuid,
    minutes: i32,
) -> Result<Change, sqlx::Error> {
    let mut tx = db.begin().await?;
    let Some(row) = sqlx::query!(
        "SELECT email, extra_time_minutes FROM users WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Change::NotFound);
    };
    let (email, old) = (row.email, row.extra_time_minutes);
    if old == minutes {
        return Ok(Change::Unchanged);
    }
    sqlx::query!(
        "UPDATE users SET extra_time_minutes = $2 WHERE id = $1",
        id,
        minutes
    )
    .execute(&mut *tx)
    .await?;
    super::bank::audit(
        &mut *tx,
        Some((actor.id, actor.email)),
        "user.extra_time_changed",
        &email,
        serde_json::json!({"old": old, "new": minutes}),
    )
    .await?;
    tx.commit().await?;
    Ok(Change::Done)
}

/// Changes an account's role and audits it (`user.role_changed`, with the old and the new role).
/// The new role applies from the user's next request, since sessions read it from `users`.
pub async fn change_role(
    db: &PgPool,
    actor: Actor<'_>,
    id: Uuid,
    role: Role,
) -> Result<Change, sqlx::Error> {
    let mut tx = db.begin().await?;
    let admins = lock_active_admins(&mut tx).await?;
    let Some((email, old, _)) = lock_user(&mut tx, id).await? else {
        return Ok(Change::NotFound);
    };
    if old == role.as_str() {
        return Ok(Change::Unchanged);
    }
    if role != Role::Admin && admins == [id] {
        return Ok(Change::LastAdmin);
    }
    sqlx::query!(
        "UPDATE users SET role = $2 WHERE id = $1",
        id,
        role.as_str()
    )
    .execute(&mut *tx)
    .await?;
    super::bank::audit(
        &mut *tx,
        Some((actor.id, actor.email)),
        "user.role_changed",
        &email,
        serde_json::json!({"old": old, "new": role.as_str()}),
    )
    .await?;
    tx.commit().await?;
    Ok(Change::Done)
}

/// Disables or re-enables an account and audits it (`user.disabled` / `user.enabled`). Disabling ends
/// every session of the account on the server; its API tokens stop working while it is disabled, since
/// both checks read `users.disabled`.
pub async fn set_disabled(
    db: &PgPool,
    actor: Actor<'_>,
    id: Uuid,
    disabled: bool,
) -> Result<Change, sqlx::Error> {
    let mut tx = db.begin().await?;
    let admins = lock_active_admins(&mut tx).await?;
    let Some((email, role, was)) = lock_user(&mut tx, id).await? else {
        return Ok(Change::NotFound);
    };
    if was == disabled {
        return Ok(Change::Unchanged);
    }
    if disabled && admins == [id] {
        return Ok(Change::LastAdmin);
    }
    sqlx::query!("UPDATE users SET disabled = $2 WHERE id = $1", id, disabled)
        .execute(&mut *tx)
        .await?;
    let sessions = if disabled {
        delete_sessions(&mut *tx, id).await?
    } else {
        0
    };
    let (action, detail) = if disabled {
        (
            "user.disabled",
            serde_json::json!({"role": role, "sessions_ended": sessions}),
        )
    } else {
        ("user.enabled", serde_json::json!({"role": role}))
    };
    super::bank::audit(
        &mut *tx,
        Some((actor.id, actor.email)),
        action,
        &email,
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(Change::Done)
}

/// Sets a password generated for an admin (the user is asked to choose their own at their next sign-in),
/// ends every session of the account, revokes its API tokens, and audits it (`user.password_reset`, with
/// how many sessions and tokens ended; never the password).
pub async fn reset_password(
    db: &PgPool,
    actor: Actor<'_>,
    id: Uuid,
    hash: &str,
) -> Result<Change, sqlx::Error> {
    let mut tx = db.begin().await?;
    let Some((email, _, _)) = lock_user(&mut tx, id).await? else {
        return Ok(Change::NotFound);
    };
    sqlx::query!(
        "UPDATE users SET password_hash = $2, must_change_password = true WHERE id = $1",
        id,
        hash
    )
    .execute(&mut *tx)
    .await?;
    let sessions = delete_sessions(&mut *tx, id).await?;
    let tokens = super::tokens::revoke_all(&mut *tx, id).await?;
    super::bank::audit(
        &mut *tx,
        Some((actor.id, actor.email)),
        "user.password_reset",
        &email,
        serde_json::json!({"sessions_ended": sessions, "tokens_revoked": tokens}),
    )
    .await?;
    tx.commit().await?;
    Ok(Change::Done)
}

/// Whether this session was signed in less than `minutes` ago (by the database's clock).
pub async fn signed_in_within(
    db: impl PgExecutor<'_>,
    id_hash: &[u8],
    minutes: i32,
) -> Result<bool, sqlx::Error> {
    let fresh = sqlx::query_scalar!(
        r#"SELECT created_at > now() - make_interval(mins => $2) AS "fresh!" FROM sessions WHERE id_hash = $1"#,
        id_hash,
        minutes
    )
    .fetch_optional(db)
    .await?;
    Ok(fresh.unwrap_or(false))
}

/// Ends every session of a user; returns how many there were.
pub async fn delete_sessions(db: impl PgExecutor<'_>, user_id: Uuid) -> Result<u64, sqlx::Error> {
    let r = sqlx::query!("DELETE FROM sessions WHERE user_id = $1", user_id)
        .execute(db)
        .await?;
    Ok(r.rows_affected())
}

/// Sign-in failures counted over this window.
pub const SIGN_IN_WINDOW_MINUTES: i32 = 15;
/// Failures allowed per account (the typed e-mail, whether or not it exists) in the window.
pub const SIGN_IN_ACCOUNT_LIMIT: i64 = 5;
/// Failures allowed per client address in the window.
pub const SIGN_IN_ADDRESS_LIMIT: i64 = 30;

/// Seconds until another sign-in may be tried, when the account or the address is over its limit.
pub async fn sign_in_blocked(
    db: &PgPool,
    email: &str,
    address: &str,
) -> Result<Option<u64>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT
            count(*) FILTER (WHERE scope = 'account' AND key = $1) AS "account!",
            count(*) FILTER (WHERE scope = 'address' AND key = $2) AS "address!",
            ceil(extract(epoch FROM min(at) + make_interval(mins => $3) - now()))::bigint AS wait
         FROM sign_in_failures
         WHERE ((scope = 'account' AND key = $1) OR (scope = 'address' AND key = $2))
           AND at > now() - make_interval(mins => $3)"#,
        email,
        address,
        SIGN_IN_WINDOW_MINUTES,
    )
    .fetch_one(db)
    .await?;
    if row.account >= SIGN_IN_ACCOUNT_LIMIT || row.address >= SIGN_IN_ADDRESS_LIMIT {
        Ok(Some(
            u64::try_from(row.wait.unwrap_or(60)).unwrap_or(60).max(1),
        ))
    } else {
        Ok(None)
    }
}

/// Records a failed sign-in for the account and the address (and forgets failures older than a day).
pub async fn record_sign_in_failure(
    db: &PgPool,
    email: &str,
    address: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "WITH gone AS (DELETE FROM sign_in_failures WHERE at < now() - interval '1 day')
         INSERT INTO sign_in_failures (scope, key) VALUES ('account', $1), ('address', $2)",
        email,
        address,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A successful sign-in clears the account's failures.
pub async fn clear_sign_in_failures(db: &PgPool, email: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM sign_in_failures WHERE scope = 'account' AND key = $1",
        email
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Formats instants in the user's time zone (PostgreSQL's time zone database, so summer time is right for
/// each instant), as `YYYY-MM-DD HH:MM`, in the order given. One round trip for a whole page.
pub async fn local_times(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    times: &[time::OffsetDateTime],
) -> Result<Vec<String>, sqlx::Error> {
    if times.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_scalar!(
        r#"SELECT to_char(t AT TIME ZONE COALESCE((SELECT time_zone FROM users WHERE id = $1), 'UTC'),
                        'YYYY-MM-DD HH24:MI') AS "local!"
         FROM unnest($2::timestamptz[]) WITH ORDINALITY AS x(t, n) ORDER BY n"#,
        user_id,
        times,
    )
    .fetch_all(db)
    .await
}

/// The account's time zone (an IANA name such as `Europe/Paris`).
pub async fn time_zone(db: impl PgExecutor<'_>, user_id: Uuid) -> Result<String, sqlx::Error> {
    sqlx::query_scalar!("SELECT time_zone FROM users WHERE id = $1", user_id)
        .fetch_optional(db)
        .await
        .map(|z| z.unwrap_or_else(|| "UTC".to_owned()))
}

/// Sets the account's time zone when PostgreSQL knows the name; false (nothing changed) otherwise.
pub async fn set_time_zone(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    zone: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE users SET time_zone = $2
         WHERE id = $1 AND EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $2)",
        user_id,
        zone,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The time zone names PostgreSQL knows, for the account page's list (region/city names and UTC). Reading
/// `pg_timezone_names` walks the server's zone files, so each instance reads it once and keeps the list (a
/// cache it rebuilds at start; the names change only with the server's zone database).
pub async fn time_zone_names(
    db: impl PgExecutor<'_>,
) -> Result<std::sync::Arc<Vec<String>>, sqlx::Error> {
    static NAMES: std::sync::OnceLock<std::sync::Arc<Vec<String>>> = std::sync::OnceLock::new();
    if let Some(names) = NAMES.get() {
        return Ok(names.clone());
    }
    let names = sqlx::query_scalar!(
        r#"SELECT name AS "name!" FROM pg_timezone_names
         WHERE name = 'UTC' OR (name ~ '^[A-Z][a-z]+/' AND name !~ '^(Etc|SystemV|US|Brazil|Canada|Chile|Mexico)/')
         ORDER BY name"#
    )
    .fetch_all(db)
    .await?;
    Ok(NAMES.get_or_init(|| std::sync::Arc::new(names)).clone())
}

/// Times in the account's time zone (as a `datetime-local` field gives them) as instants.
pub async fn from_local(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    times: &[time::PrimitiveDateTime],
) -> Result<Vec<time::OffsetDateTime>, sqlx::Error> {
    if times.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_scalar!(
        r#"SELECT t AT TIME ZONE COALESCE((SELECT time_zone FROM users WHERE id = $1), 'UTC') AS "at!"
         FROM unnest($2::timestamp[]) WITH ORDINALITY AS x(t, n) ORDER BY n"#,
        user_id,
        times,
    )
    .fetch_all(db)
    .await
}
