//! Users and their sessions.

use crate::auth::session::{User, SESSION_DAYS};
use crate::auth::{Email, Role};
use sqlx::{PgExecutor, PgPool, Row};
use uuid::Uuid;

fn user_from_row(r: &sqlx::postgres::PgRow) -> Result<User, sqlx::Error> {
    let role: String = r.try_get("role")?;
    Ok(User {
        id: r.try_get("id")?,
        email: r.try_get("email")?,
        display_name: r.try_get("display_name")?,
        role: Role::parse(&role).map_err(|e| sqlx::Error::Decode(e.to_string().into()))?,
        extra_time_minutes: r.try_get("extra_time_minutes")?,
    })
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
    let row = sqlx::query(
        "INSERT INTO users (id, email, display_name, password_hash, role) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (email) DO NOTHING RETURNING id",
    )
    .bind(id)
    .bind(email.as_str())
    .bind(display_name)
    .bind(password_hash)
    .bind(role.as_str())
    .fetch_optional(db)
    .await?;
    Ok(row.map(|_| id))
}

/// The user and password hash for a sign-in; disabled accounts are not returned.
pub async fn for_sign_in(
    db: impl PgExecutor<'_>,
    email: &str,
) -> Result<Option<(User, String)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, email, display_name, role, extra_time_minutes, password_hash FROM users
         WHERE email = $1 AND NOT disabled",
    )
    .bind(email)
    .fetch_optional(db)
    .await?;
    row.map(|r| Ok((user_from_row(&r)?, r.try_get("password_hash")?)))
        .transpose()
}

pub async fn password_hash(db: impl PgExecutor<'_>, user_id: Uuid) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(db)
        .await
}

pub async fn set_password(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
        .bind(user_id)
        .bind(hash)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn set_role(
    db: impl PgExecutor<'_>,
    email: &str,
    role: Role,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query("UPDATE users SET role = $2 WHERE email = $1")
        .bind(email)
        .bind(role.as_str())
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
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(days => $4))",
    )
    .bind(id_hash)
    .bind(user_id)
    .bind(csrf_token)
    .bind(SESSION_DAYS as i32)
    .execute(db)
    .await?;
    Ok(())
}

/// The user and CSRF token of a live session.
pub async fn session_user(
    db: impl PgExecutor<'_>,
    id_hash: &[u8],
) -> Result<Option<(User, String)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT u.id, u.email, u.display_name, u.role, u.extra_time_minutes, s.csrf_token
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id_hash = $1 AND s.expires_at > now() AND NOT u.disabled",
    )
    .bind(id_hash)
    .fetch_optional(db)
    .await?;
    row.map(|r| Ok((user_from_row(&r)?, r.try_get("csrf_token")?)))
        .transpose()
}

pub async fn delete_session(db: impl PgExecutor<'_>, id_hash: &[u8]) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
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
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
        .bind(user_id)
        .bind(keep)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn count(db: impl PgExecutor<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(db)
        .await
}

/// A user as listed to admins.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub disabled: bool,
    pub created_at: time::OffsetDateTime,
}

/// The newest users first.
pub async fn recent(db: impl PgExecutor<'_>, limit: i64) -> Result<Vec<UserRow>, sqlx::Error> {
    sqlx::query_as("SELECT id, email, display_name, role, disabled, created_at FROM users ORDER BY created_at DESC LIMIT $1")
        .bind(limit)
        .fetch_all(db)
        .await
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
    let row = sqlx::query(
        "SELECT
            count(*) FILTER (WHERE scope = 'account' AND key = $1) AS account,
            count(*) FILTER (WHERE scope = 'address' AND key = $2) AS address,
            ceil(extract(epoch FROM min(at) + make_interval(mins => $3) - now()))::bigint AS wait
         FROM sign_in_failures
         WHERE ((scope = 'account' AND key = $1) OR (scope = 'address' AND key = $2))
           AND at > now() - make_interval(mins => $3)",
    )
    .bind(email)
    .bind(address)
    .bind(SIGN_IN_WINDOW_MINUTES)
    .fetch_one(db)
    .await?;
    let account: i64 = row.try_get("account")?;
    let address_n: i64 = row.try_get("address")?;
    let wait: Option<i64> = row.try_get("wait")?;
    if account >= SIGN_IN_ACCOUNT_LIMIT || address_n >= SIGN_IN_ADDRESS_LIMIT {
        Ok(Some(u64::try_from(wait.unwrap_or(60)).unwrap_or(60).max(1)))
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
    sqlx::query(
        "WITH gone AS (DELETE FROM sign_in_failures WHERE at < now() - interval '1 day')
         INSERT INTO sign_in_failures (scope, key) VALUES ('account', $1), ('address', $2)",
    )
    .bind(email)
    .bind(address)
    .execute(db)
    .await?;
    Ok(())
}

/// A successful sign-in clears the account's failures.
pub async fn clear_sign_in_failures(db: &PgPool, email: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sign_in_failures WHERE scope = 'account' AND key = $1")
        .bind(email)
        .execute(db)
        .await?;
    Ok(())
}
