//! Site-wide settings an admin chooses (migration 0014's one-row `site_settings`).

use sqlx::PgExecutor;

/// Whether an instructor's pack needs an explanation and a reference on every item before it is published.
pub async fn explanations_required(db: impl PgExecutor<'_>) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!("SELECT explanations_required FROM site_settings")
        .fetch_optional(db)
        .await
        .map(|v| v.unwrap_or(false))
}

/// Sets it, with its audit entry in the same transaction.
pub async fn set_explanations_required(
    db: &sqlx::PgPool,
    required: bool,
    audit: super::bank::Audit<'_>,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query!(
        "UPDATE site_settings SET explanations_required = $1, updated_at = now()",
        required
    )
    .execute(&mut *tx)
    .await?;
    audit.write(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}
