//! Personal API tokens (hashed at rest).

use crate::auth::session::User;
use serde::Serialize;
use sqlx::PgExecutor;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    pub id: Uuid,
    pub name: String,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<OffsetDateTime>,
}

pub async fn create(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    name: &str,
    token_hash: &[u8],
    prefix: &str,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::new_v4();
    sqlx::query!(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, prefix) VALUES ($1, $2, $3, $4, $5)",
        id,
        user_id,
        name,
        token_hash,
        prefix,
    )
    .execute(db)
    .await?;
    Ok(id)
}

pub async fn list(db: impl PgExecutor<'_>, user_id: Uuid) -> Result<Vec<TokenInfo>, sqlx::Error> {
    sqlx::query_as!(
        TokenInfo,
        "SELECT id, name, prefix, created_at, last_used_at FROM api_tokens
         WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC",
        user_id,
    )
    .fetch_all(db)
    .await
}

pub async fn revoke(db: impl PgExecutor<'_>, user_id: Uuid, id: Uuid) -> Result<bool, sqlx::Error> {
    let r = sqlx::query!(
        "UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
        id,
        user_id,
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Revokes every live token of a user; returns how many there were.
pub async fn revoke_all(db: impl PgExecutor<'_>, user_id: Uuid) -> Result<u64, sqlx::Error> {
    let r = sqlx::query!(
        "UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
        user_id,
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected())
}

/// The user a live token belongs to; records its use.
pub async fn user_for_token(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<Option<User>, sqlx::Error> {
    let row = sqlx::query!(
        "WITH t AS (UPDATE api_tokens SET last_used_at = now()
                    WHERE token_hash = $1 AND revoked_at IS NULL RETURNING user_id)
         SELECT u.id, u.email, u.display_name, u.role, u.extra_time_minutes
         FROM t JOIN users u ON u.id = t.user_id WHERE NOT u.disabled",
        token_hash,
    )
    .fetch_optional(db)
    .await?;
    row.map(|r| {
        Ok(User {
            id: r.id,
            email: r.email,
            display_name: r.display_name,
            role: super::users::role(&r.role)?,
            extra_time_minutes: r.extra_time_minutes,
        })
    })
    .transpose()
}
