//! Single sign-on's rows (migration 0018): providers, identities, sign-ins in progress.

use crate::auth::Role;
use crate::sso::{Provider, RoleRule};
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

struct ProviderRow {
    id: Uuid,
    slug: String,
    display_name: String,
    issuer: String,
    client_id: String,
    client_secret: String,
    allowed_domains: Vec<String>,
    trusts_verified_email: bool,
    role_rules: serde_json::Value,
    required_domains: Vec<String>,
    enabled: bool,
}

impl ProviderRow {
    fn into_provider(self) -> Result<Provider, sqlx::Error> {
        let role_rules: Vec<RoleRule> = serde_json::from_value(self.role_rules)
            .map_err(|e| sqlx::Error::Decode(format!("sso_providers.role_rules: {e}").into()))?;
        Ok(Provider {
            id: self.id,
            slug: self.slug,
            display_name: self.display_name,
            issuer: self.issuer,
            client_id: self.client_id,
            client_secret: self.client_secret,
            allowed_domains: self.allowed_domains,
            trusts_verified_email: self.trusts_verified_email,
            role_rules,
            required_domains: self.required_domains,
            enabled: self.enabled,
        })
    }
}

/// Every provider, enabled or not, by name.
pub async fn providers(db: impl PgExecutor<'_>) -> Result<Vec<Provider>, sqlx::Error> {
    sqlx::query_as!(
        ProviderRow,
        "SELECT id, slug, display_name, issuer, client_id, client_secret, allowed_domains, trusts_verified_email,
                role_rules, required_domains, enabled
         FROM sso_providers ORDER BY display_name, slug"
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(ProviderRow::into_provider)
    .collect()
}

/// The enabled provider with this slug.
pub async fn enabled_provider(
    db: impl PgExecutor<'_>,
    slug: &str,
) -> Result<Option<Provider>, sqlx::Error> {
    sqlx::query_as!(
        ProviderRow,
        "SELECT id, slug, display_name, issuer, client_id, client_secret, allowed_domains, trusts_verified_email,
                role_rules, required_domains, enabled
         FROM sso_providers WHERE slug = $1 AND enabled",
        slug
    )
    .fetch_optional(db)
    .await?
    .map(ProviderRow::into_provider)
    .transpose()
}

/// The enabled providers' slugs and names, for the sign-in page's buttons.
pub async fn buttons(db: impl PgExecutor<'_>) -> Result<Vec<(String, String)>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT slug, display_name FROM sso_providers WHERE enabled ORDER BY display_name, slug"
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.slug, r.display_name)).collect())
}

/// The enabled provider an address's domain must sign in through, if any: (slug, name).
pub async fn required_for(
    db: impl PgExecutor<'_>,
    domain: &str,
) -> Result<Option<(String, String)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT slug, display_name FROM sso_providers WHERE enabled AND $1 = ANY (required_domains)
         ORDER BY slug LIMIT 1",
        domain
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.slug, r.display_name)))
}

/// Creates or changes a provider (by slug), with its audit entry in the same transaction. An empty secret keeps
/// the stored one. Returns its id.
pub async fn save_provider(
    db: &PgPool,
    p: &Provider,
    actor: Option<super::users::Actor<'_>>,
) -> Result<Uuid, sqlx::Error> {
    let rules = serde_json::to_value(&p.role_rules)
        .map_err(|e| sqlx::Error::Protocol(format!("role rules: {e}")))?;
    let mut tx = db.begin().await?;
    let id: Uuid = sqlx::query_scalar!(
        "INSERT INTO sso_providers (id, slug, display_name, issuer, client_id, client_secret, allowed_domains,
                                    trusts_verified_email, role_rules, required_domains, enabled)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (slug) DO UPDATE SET display_name = EXCLUDED.display_name, issuer = EXCLUDED.issuer,
             client_id = EXCLUDED.client_id,
             client_secret = CASE WHEN EXCLUDED.client_secret = '' THEN sso_providers.client_secret
                                  ELSE EXCLUDED.client_secret END,
             allowed_domains = EXCLUDED.allowed_domains, trusts_verified_email = EXCLUDED.trusts_verified_email,
             role_rules = EXCLUDED.role_rules, required_domains = EXCLUDED.required_domains,
             enabled = EXCLUDED.enabled
         RETURNING id",
        Uuid::new_v4(),
        p.slug,
        p.display_name,
        p.issuer,
        p.client_id,
        p.client_secret,
        &p.allowed_domains,
        p.trusts_verified_email,
        rules,
        &p.required_domains,
        p.enabled,
    )
    .fetch_one(&mut *tx)
    .await?;
    super::bank::audit(
        &mut *tx,
        actor.map(|a| (a.id, a.email)),
        "sso.provider_saved",
        &p.slug,
        serde_json::json!({
            "issuer": p.issuer, "allowed_domains": p.allowed_domains, "required_domains": p.required_domains,
            "trusts_verified_email": p.trusts_verified_email, "role_rules": rules, "enabled": p.enabled,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Deletes a provider (its identities stay, unlinked from it, so the accounts keep their history). Audited.
pub async fn delete_provider(
    db: &PgPool,
    id: Uuid,
    actor: super::users::Actor<'_>,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let slug: Option<String> =
        sqlx::query_scalar!("DELETE FROM sso_providers WHERE id = $1 RETURNING slug", id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(slug) = slug else {
        return Ok(false);
    };
    super::bank::audit(
        &mut *tx,
        Some((actor.id, actor.email)),
        "sso.provider_deleted",
        &slug,
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// A sign-in in progress.
pub struct Flow {
    pub binding_hash: Vec<u8>,
    pub provider_id: Uuid,
    pub nonce: String,
    pub pkce_verifier: String,
    pub next: String,
}

/// Stores a sign-in in progress for ten minutes.
pub async fn start_flow(
    db: impl PgExecutor<'_>,
    state_hash: &[u8],
    flow: &Flow,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO sso_flows (state_hash, binding_hash, provider_id, nonce, pkce_verifier, next, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, now() + interval '10 minutes')",
        state_hash,
        flow.binding_hash,
        flow.provider_id,
        flow.nonce,
        flow.pkce_verifier,
        flow.next,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Takes a sign-in in progress: deleted by the statement that finds it, so a state works once; `None` when
/// unknown, used or expired.
pub async fn take_flow(
    db: impl PgExecutor<'_>,
    state_hash: &[u8],
) -> Result<Option<Flow>, sqlx::Error> {
    sqlx::query_as!(
        Flow,
        "WITH gone AS (DELETE FROM sso_flows WHERE state_hash = $1 RETURNING *)
         SELECT binding_hash, provider_id, nonce, pkce_verifier, next FROM gone WHERE expires_at > now()",
        state_hash
    )
    .fetch_optional(db)
    .await
}

/// Removes sign-ins that were started and never finished.
pub async fn purge_flows(db: impl PgExecutor<'_>) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query!("DELETE FROM sso_flows WHERE expires_at < now()")
            .execute(db)
            .await?
            .rows_affected(),
    )
}

/// The account an identity is linked to, and whether it is disabled.
pub async fn identity(
    db: impl PgExecutor<'_>,
    issuer: &str,
    subject: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT user_id FROM user_identities WHERE issuer = $1 AND subject = $2",
        issuer,
        subject
    )
    .fetch_optional(db)
    .await
}

/// The account with this address (disabled ones included: they are refused later, by name).
pub async fn account_with_email(
    db: impl PgExecutor<'_>,
    email: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!("SELECT id FROM users WHERE email = $1", email)
        .fetch_optional(db)
        .await
}

/// An account as a sign-in needs it.
pub struct Account {
    pub role: Role,
    pub disabled: bool,
    pub email: String,
    /// The address was confirmed (by a mailed link, a reset or a provider).
    pub verified: bool,
}

pub async fn account(db: impl PgExecutor<'_>, user_id: Uuid) -> Result<Account, sqlx::Error> {
    let r = sqlx::query!(
        r#"SELECT role, disabled, email, email_verified_at IS NOT NULL AS "verified!" FROM users
           WHERE id = $1 FOR UPDATE"#,
        user_id
    )
    .fetch_one(db)
    .await?;
    Ok(Account {
        role: super::users::role(&r.role)?,
        disabled: r.disabled,
        email: r.email,
        verified: r.verified,
    })
}

/// Before an identity joins an account whose address was never confirmed: its password, sessions and API tokens
/// go, since whoever made the account may not own the address.
pub async fn secure_for_owner(
    db: &mut sqlx::PgConnection,
    user_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE users SET password_hash = '!' WHERE id = $1",
        user_id
    )
    .execute(&mut *db)
    .await?;
    super::users::delete_sessions(&mut *db, user_id).await?;
    super::tokens::revoke_all(&mut *db, user_id).await?;
    Ok(())
}

/// Links an identity to an account (or notes another sign-in by it).
pub async fn link(
    db: impl PgExecutor<'_>,
    issuer: &str,
    subject: &str,
    user_id: Uuid,
    provider_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO user_identities (issuer, subject, user_id, provider_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (issuer, subject) DO UPDATE SET last_sign_in_at = now(), provider_id = EXCLUDED.provider_id",
        issuer,
        subject,
        user_id,
        provider_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Creates an account without a password (the stored hash `!` matches none; a reset by mail can give it one).
pub async fn create_account(
    db: impl PgExecutor<'_>,
    email: &str,
    display_name: &str,
    verified: bool,
) -> Result<Option<Uuid>, sqlx::Error> {
    let id = Uuid::new_v4();
    let row = sqlx::query_scalar!(
        "INSERT INTO users (id, email, display_name, password_hash, role, email_verified_at)
         VALUES ($1, $2, $3, '!', 'candidate', CASE WHEN $4 THEN now() END)
         ON CONFLICT (email) DO NOTHING RETURNING id",
        id,
        email,
        display_name,
        verified
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|_| id))
}

/// Raises an account's role (a rule granted more than it has).
pub async fn raise_role(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    role: Role,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE users SET role = $2 WHERE id = $1",
        user_id,
        role.as_str()
    )
    .execute(db)
    .await?;
    Ok(())
}
