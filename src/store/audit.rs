//! Reading the audit log (entries are written by `store::bank::audit`, in the transaction of the change).

use sqlx::PgPool;
use time::{Date, OffsetDateTime};

/// One audit entry: who did what to which target, when, with the details of the change.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub id: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: serde_json::Value,
    pub created_at: OffsetDateTime,
}

/// Which entries to show. Text filters match any part, in any case; dates are whole UTC days, both included.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: String,
    /// An exact action name (`user.role_changed`); empty for every action.
    pub action: String,
    pub target: String,
    pub from: Option<Date>,
    pub to: Option<Date>,
}

/// One page of the matching entries, newest first, and how many match in all.
pub async fn search(
    db: &PgPool,
    filter: &AuditFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AuditRow>, i64), sqlx::Error> {
    let text = |s: &str| {
        let s = s.trim();
        (!s.is_empty()).then(|| super::contains_pattern(s))
    };
    let actor = text(&filter.actor);
    let target = text(&filter.target);
    let action = Some(filter.action.trim()).filter(|a| !a.is_empty());
    let from = filter.from.map(|d| d.midnight().assume_utc());
    let to = filter
        .to
        .and_then(|d| d.next_day())
        .map(|d| d.midnight().assume_utc());
    // The count and the page share the filter, written out in each (the macros take literal SQL).
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM audit_log
         WHERE ($1::text IS NULL OR actor ILIKE $1) AND ($2::text IS NULL OR action = $2)
           AND ($3::text IS NULL OR target ILIKE $3)
           AND ($4::timestamptz IS NULL OR created_at >= $4) AND ($5::timestamptz IS NULL OR created_at < $5)"#,
        actor,
        action,
        target,
        from,
        to,
    )
    .fetch_one(db)
    .await?;
    let rows = sqlx::query_as!(
        AuditRow,
        "SELECT id, actor, action, target, detail, created_at FROM audit_log
         WHERE ($1::text IS NULL OR actor ILIKE $1) AND ($2::text IS NULL OR action = $2)
           AND ($3::text IS NULL OR target ILIKE $3)
           AND ($4::timestamptz IS NULL OR created_at >= $4) AND ($5::timestamptz IS NULL OR created_at < $5)
         ORDER BY created_at DESC, id DESC LIMIT $6 OFFSET $7",
        actor,
        action,
        target,
        from,
        to,
        limit,
        offset,
    )
    .fetch_all(db)
    .await?;
    Ok((rows, total))
}

/// Every action name in the log, for the filter's choices.
pub async fn actions(db: &PgPool) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!("SELECT DISTINCT action FROM audit_log ORDER BY action")
        .fetch_all(db)
        .await
}
