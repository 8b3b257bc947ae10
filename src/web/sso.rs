//! Single sign-on's pages: "Sign in with <provider>" (a link: no JavaScript), the provider's callback, and the
//! admin's provider settings. The rules are in crate::sso; the protocol in crate::sso::oidc.

use super::auth::{safe_next, start_session};
use super::email::NoticePage;
use super::{render, ClientAddress, Layout, Path};
use crate::auth::session::{CsrfForm, RequireAdmin, Session};
use crate::auth::{self, Email};
use crate::error::{AppError, AppResult};
use crate::sso::{self, ProviderInput, Resolution};
use crate::store::users::Actor;
use crate::{store, AppState};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;
use uuid::Uuid;

/// The cookie that binds a sign-in in progress to the browser that started it.
const FLOW_COOKIE: &str = "ai102_sso";
/// Sign-ins a client may start in an hour (each writes a row).
const STARTS_PER_CLIENT_PER_HOUR: i64 = 120;

fn failed(session: &Session, status: StatusCode, why: &str) -> AppResult<Response> {
    super::email::notice(
        session,
        status,
        "Single sign-on did not work",
        vec![why.to_owned()],
        Some(("/signin", "Back to sign in")),
    )
}

fn callback_path(slug: &str) -> String {
    format!("/auth/sso/{slug}/callback")
}

#[derive(Deserialize)]
pub struct BeginQuery {
    next: Option<String>,
}

/// GET /auth/sso/{slug}: starts a sign-in with the provider (PKCE, state, nonce; the state's hash and the rest kept
/// in the database for ten minutes, bound to this browser by a cookie) and sends the browser there.
pub async fn begin(
    State(state): State<AppState>,
    session: Session,
    jar: CookieJar,
    client: ClientAddress,
    Path(slug): Path<String>,
    Query(q): Query<BeginQuery>,
) -> AppResult<Response> {
    let Some(provider) = store::sso::enabled_provider(&state.db, &slug).await? else {
        return Err(AppError::NotFound);
    };
    let Ok(redirect) = state.mail.link(&callback_path(&provider.slug)) else {
        return failed(
            &session,
            StatusCode::SERVICE_UNAVAILABLE,
            "This site cannot use single sign-on: its public address (PUBLIC_BASE_URL) is not set. Ask an admin.",
        );
    };
    if let Some(wait) = store::mail::count_request(
        &state.db,
        "sso",
        None,
        &client.0,
        0,
        STARTS_PER_CLIENT_PER_HOUR,
    )
    .await?
    {
        let page = NoticePage {
            layout: Layout::from_session(&session),
            title: "Too many sign-ins".into(),
            paragraphs: vec![format!(
                "Too many sign-ins were started from your network. {}",
                super::auth::try_again_in(wait)
            )],
            link: None,
        };
        return super::auth::too_many(render(&page)?, wait);
    }
    let begun = match state.oidc.begin(&provider, &redirect).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(provider = %provider.slug, error = %e, "single sign-on cannot start");
            return failed(
                &session,
                StatusCode::BAD_GATEWAY,
                &format!(
                    "{} cannot be reached just now. Try again in a few minutes, or sign in with your password.",
                    provider.display_name
                ),
            );
        }
    };
    let binding = auth::random_secret();
    store::sso::start_flow(
        &state.db,
        &auth::hash_secret(&begun.state),
        &store::sso::Flow {
            binding_hash: auth::hash_secret(&binding),
            provider_id: provider.id,
            nonce: begun.nonce,
            pkce_verifier: begun.pkce_verifier,
            next: safe_next(q.next.as_deref()),
        },
    )
    .await?;
    let cookie = Cookie::build((FLOW_COOKIE, binding))
        .path("/auth/sso")
        .http_only(true)
        .secure(state.config.secure_cookies)
        .same_site(SameSite::Lax)
        .max_age(time::Duration::minutes(10))
        .build();
    Ok((jar.add(cookie), Redirect::to(&begun.url)).into_response())
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    iss: Option<String>,
}

/// GET /auth/sso/{slug}/callback: the provider sends the browser back. The state is taken once; the browser must
/// be the one that started; the answer must come from this provider (RFC 9207 `iss`); the code is exchanged with
/// the PKCE verifier and the ID token checked (crate::sso::oidc). Then the account is found, linked or made
/// (crate::sso::resolve), its role raised by the rules, and a fresh session started.
pub async fn callback(
    State(state): State<AppState>,
    session: Session,
    jar: CookieJar,
    Path(slug): Path<String>,
    Query(q): Query<CallbackQuery>,
) -> AppResult<Response> {
    let again = "This sign-in expired, was already used, or was started in another browser. Start again from the \
                 sign-in page.";
    let Some(state_param) = q.state.as_deref() else {
        return failed(&session, StatusCode::BAD_REQUEST, again);
    };
    let Some(flow) = store::sso::take_flow(&state.db, &auth::hash_secret(state_param)).await?
    else {
        return failed(&session, StatusCode::BAD_REQUEST, again);
    };
    let bound = jar
        .get(FLOW_COOKIE)
        .is_some_and(|c| auth::hash_secret(c.value()) == flow.binding_hash);
    let provider = store::sso::enabled_provider(&state.db, &slug)
        .await?
        .filter(|p| p.id == flow.provider_id);
    let (true, Some(provider)) = (bound, provider) else {
        return failed(&session, StatusCode::BAD_REQUEST, again);
    };
    if q.iss.as_deref().is_some_and(|iss| iss != provider.issuer) {
        return failed(
            &session,
            StatusCode::BAD_REQUEST,
            "The answer came from another provider than the one you chose.",
        );
    }
    if let Some(error) = &q.error {
        let error: String = error.chars().take(80).collect();
        return failed(
            &session,
            StatusCode::UNAUTHORIZED,
            &format!("{} did not sign you in ({error}).", provider.display_name),
        );
    }
    let Some(code) = q.code.as_deref() else {
        return failed(&session, StatusCode::BAD_REQUEST, again);
    };
    let redirect = state
        .mail
        .link(&callback_path(&provider.slug))
        .map_err(|m| AppError::BadRequest(m.into()))?;
    let claims = match state
        .oidc
        .finish(&provider, &redirect, code, &flow.pkce_verifier, &flow.nonce)
        .await
    {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(provider = %provider.slug, error = %e, "single sign-on refused");
            return failed(
                &session,
                StatusCode::UNAUTHORIZED,
                &format!(
                    "The answer from {} did not pass its checks, so you are not signed in.",
                    provider.display_name
                ),
            );
        }
    };
    let mut tx = state.db.begin().await?;
    let identity = store::sso::identity(&mut *tx, &provider.issuer, &claims.subject).await?;
    let same_email = match claims.email.as_deref() {
        Some(e) => store::sso::account_with_email(&mut *tx, e).await?,
        None => None,
    };
    let verified = provider.verified_email(&claims);
    let (user_id, linked, created) = match sso::resolve(&provider, &claims, identity, same_email) {
        Resolution::Refuse(why) => return failed(&session, StatusCode::FORBIDDEN, why),
        Resolution::Known(u) => (u, false, false),
        Resolution::Link(u) => (u, true, false),
        Resolution::Create => {
            let Ok(email) = Email::parse(claims.email.as_deref().unwrap_or_default()) else {
                return failed(
                    &session,
                    StatusCode::FORBIDDEN,
                    "The provider sent an e-mail address this site cannot use.",
                );
            };
            let local = email.as_str().split('@').next().unwrap_or("").to_owned();
            let name: String = claims
                .name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .unwrap_or(&local)
                .chars()
                .filter(|c| !c.is_control())
                .take(80)
                .collect();
            let Some(u) =
                store::sso::create_account(&mut *tx, email.as_str(), &name, verified).await?
            else {
                return failed(
                    &session,
                    StatusCode::CONFLICT,
                    "An account with this address was made meanwhile. Start again.",
                );
            };
            (u, false, true)
        }
    };
    let account = store::sso::account(&mut *tx, user_id).await?;
    if account.disabled {
        return failed(
            &session,
            StatusCode::FORBIDDEN,
            "This account is disabled. Ask an admin of this site.",
        );
    }
    store::sso::link(
        &mut *tx,
        &provider.issuer,
        &claims.subject,
        user_id,
        provider.id,
    )
    .await?;
    if linked && !account.verified {
        // Joined by the provider's confirmed address to an account whose address was never confirmed: whoever
        // made it (perhaps to wait for its real owner) loses its password, sessions and API tokens.
        store::sso::secure_for_owner(&mut tx, user_id).await?;
    }
    if linked {
        store::mail::set_verified(&mut *tx, user_id).await?;
    }
    let who = Some((user_id, account.email.as_str()));
    let target = user_id.to_string();
    if created {
        store::bank::audit(
            &mut *tx,
            who,
            "user.created_by_sso",
            &target,
            serde_json::json!({ "provider": provider.slug }),
        )
        .await?;
    } else if linked {
        store::bank::audit(
            &mut *tx,
            who,
            "user.identity_linked",
            &target,
            serde_json::json!({ "provider": provider.slug }),
        )
        .await?;
    }
    let role = sso::role_after(account.role, provider.granted_role(&claims));
    if role != account.role {
        store::sso::raise_role(&mut *tx, user_id, role).await?;
        store::bank::audit(
            &mut *tx,
            who,
            "user.role_raised_by_sso",
            &target,
            serde_json::json!({ "provider": provider.slug, "from": account.role.as_str(), "to": role.as_str() }),
        )
        .await?;
    }
    tx.commit().await?;
    tracing::info!(user = %user_id, provider = %provider.slug, "signed in by single sign-on");
    let jar = jar.remove(Cookie::build(FLOW_COOKIE).path("/auth/sso").build());
    start_session(&state, jar, user_id, &flow.next).await
}

// ---- The admin's provider settings --------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/sso.html")]
pub struct SsoPage {
    pub layout: Layout,
    pub providers: Vec<sso::Provider>,
    /// The callback address to register at a provider, for each slug (`None`: PUBLIC_BASE_URL is unset).
    pub callback_base: Option<String>,
    pub error: Option<String>,
    pub saved: bool,
}

impl SsoPage {
    pub fn rules(&self, p: &sso::Provider) -> String {
        sso::rules_text(&p.role_rules)
    }
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    saved: Option<String>,
}

async fn sso_page(
    state: &AppState,
    session: &Session,
    error: Option<String>,
    saved: bool,
) -> AppResult<SsoPage> {
    Ok(SsoPage {
        layout: Layout::from_session(session),
        providers: store::sso::providers(&state.db).await?,
        callback_base: state.mail.link("/auth/sso/").ok(),
        error,
        saved,
    })
}

/// GET /admin/sso: the providers, a form each, and one for a new provider.
pub async fn admin_page(
    State(state): State<AppState>,
    RequireAdmin(_, session): RequireAdmin,
    Query(q): Query<SavedQuery>,
) -> AppResult<Html<String>> {
    render(&sso_page(&state, &session, None, q.saved.is_some()).await?)
}

#[derive(Deserialize)]
pub struct ProviderForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    allowed_domains: String,
    #[serde(default)]
    trusts_verified_email: Option<String>,
    #[serde(default)]
    role_rules: String,
    #[serde(default)]
    required_domains: String,
    #[serde(default)]
    enabled: Option<String>,
}

/// POST /admin/sso: creates or changes a provider (by its short name). A new provider needs its secret; an empty
/// secret keeps the stored one. Audited.
pub async fn save(
    State(state): State<AppState>,
    RequireAdmin(admin, session): RequireAdmin,
    CsrfForm(form): CsrfForm<ProviderForm>,
) -> AppResult<Response> {
    let input = ProviderInput {
        slug: form.slug,
        display_name: form.display_name,
        issuer: form.issuer,
        client_id: form.client_id,
        client_secret: form.client_secret,
        allowed_domains: form.allowed_domains,
        trusts_verified_email: form.trusts_verified_email.is_some(),
        role_rules: form.role_rules,
        required_domains: form.required_domains,
        enabled: form.enabled.is_some(),
    };
    let provider = match input.check() {
        Ok(p) => p,
        Err(e) => {
            let page = sso_page(&state, &session, Some(e), false).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
        }
    };
    let known = store::sso::providers(&state.db)
        .await?
        .into_iter()
        .any(|p| p.slug == provider.slug);
    if !known && provider.client_secret.is_empty() {
        let page = sso_page(
            &state,
            &session,
            Some("a new provider needs its client secret".into()),
            false,
        )
        .await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let actor = Actor {
        id: admin.id,
        email: &admin.email,
    };
    let id = match store::sso::save_provider(&state.db, &provider, Some(actor)).await {
        Ok(id) => id,
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            let page = sso_page(
                &state,
                &session,
                Some(format!(
                    "another provider already has the issuer {}",
                    provider.issuer
                )),
                false,
            )
            .await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    state.oidc.forget(id);
    Ok(Redirect::to("/admin/sso?saved=1").into_response())
}

/// POST /admin/sso/{id}/delete: removes a provider (its accounts stay, and sign in with a password or a reset).
pub async fn delete(
    State(state): State<AppState>,
    RequireAdmin(admin, _): RequireAdmin,
    Path(id): Path<Uuid>,
    CsrfForm(_): CsrfForm<super::auth::Empty>,
) -> AppResult<Response> {
    let actor = Actor {
        id: admin.id,
        email: &admin.email,
    };
    if !store::sso::delete_provider(&state.db, id, actor).await? {
        return Err(AppError::NotFound);
    }
    state.oidc.forget(id);
    Ok(Redirect::to("/admin/sso?saved=1").into_response())
}

/// The provider an address must sign in through, when its domain requires single sign-on: (slug, name).
pub async fn required_provider(
    state: &AppState,
    email: &str,
) -> AppResult<Option<(String, String)>> {
    match sso::domain_of(email) {
        Some(domain) => Ok(store::sso::required_for(&state.db, &domain).await?),
        None => Ok(None),
    }
}
