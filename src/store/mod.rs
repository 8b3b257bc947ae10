//! Storage: per-area query functions that take an executor. No SQL lives in handlers.

pub mod analytics;
pub mod audit;
pub mod bank;
pub mod classes;
pub mod exam;
pub mod exams;
pub mod mail;
pub mod own_data;
pub mod packs;
pub mod reports;
pub mod settings;
pub mod sso;
pub mod study;
pub mod tokens;
pub mod users;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;
use std::time::Duration;

/// Decodes a `text` column constrained to a few names (a check constraint) into a Rust enum, so that query
/// macros can read it with a type override (`mode AS "mode: AttemptMode"`); an unknown name is a decode error.
/// Binds stay `as_str()`, which the macros check against the column's `text`.
macro_rules! text_enum {
    ($ty:ty, $what:literal) => {
        impl sqlx::Type<sqlx::Postgres> for $ty {
            fn type_info() -> sqlx::postgres::PgTypeInfo {
                <str as sqlx::Type<sqlx::Postgres>>::type_info()
            }
            fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
                <str as sqlx::Type<sqlx::Postgres>>::compatible(ty)
            }
        }
        impl<'r> sqlx::Decode<'r, sqlx::Postgres> for $ty {
            fn decode(
                value: sqlx::postgres::PgValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let name = <&str as sqlx::Decode<sqlx::Postgres>>::decode(value)?;
                <$ty>::parse(name).ok_or_else(|| format!("unknown {} `{name}`", $what).into())
            }
        }
    };
}
pub(crate) use text_enum;

/// The migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Opens a pool whose acquire gives up after 3 s (the command-line tools' pools).
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    connect_with_timeout(url, max_connections, Duration::from_secs(3)).await
}

/// Opens a pool. Acquiring a connection gives up after `acquire_timeout` so that an outage becomes a quick
/// 503; while PostgreSQL is down or restarting, the pool keeps trying to connect within that time, and a
/// connection that died is dropped when it is released, so the service recovers by itself.
pub async fn connect_with_timeout(
    url: &str,
    max_connections: u32,
    acquire_timeout: Duration,
) -> anyhow::Result<PgPool> {
    let options = PgConnectOptions::from_str(url)?.application_name("ai102");
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(acquire_timeout)
        // No ping before each acquire: it doubled the round trips of every request. A connection that
        // died fails its query instead, which becomes a 503, and the pool replaces it.
        .test_before_acquire(false)
        .connect_with(options)
        .await?;
    Ok(pool)
}

/// Applies pending migrations.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// True when the database answers and every embedded migration is applied.
pub async fn ready(pool: &PgPool) -> Result<bool, sqlx::Error> {
    let applied = sqlx::query_scalar!("SELECT version FROM _sqlx_migrations WHERE success")
        .fetch_all(pool)
        .await?;
    Ok(MIGRATOR.iter().all(|m| applied.contains(&m.version)))
}

/// An `ILIKE` pattern that matches text containing `needle`, with `%`, `_` and `\` taken literally.
pub fn contains_pattern(needle: &str) -> String {
    let mut p = String::with_capacity(needle.len() + 2);
    p.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_contains_pattern_takes_wildcards_literally() {
        assert_eq!(super::contains_pattern("ann"), "%ann%");
        assert_eq!(super::contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
