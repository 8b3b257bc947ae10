//! Sessions and CSRF: who is asking, and whether a form really came from our page.
//!
//! A signed-in browser holds `ai102_session` (a random secret; PostgreSQL stores its SHA-256, so any
//! instance can serve any user). Each session has its own CSRF token. Visitors who are not signed in get
//! a double-submit `ai102_csrf` cookie so that the sign-in and sign-up forms are protected as well.

use super::{hash_secret, random_secret, secrets_equal, Role};
use crate::error::AppError;
use crate::store;
use crate::AppState;
use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::de::DeserializeOwned;
use uuid::Uuid;

pub const SESSION_COOKIE: &str = "ai102_session";
pub const CSRF_COOKIE: &str = "ai102_csrf";
pub const CSRF_FIELD: &str = "csrf_token";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a session lasts without signing in again.
pub const SESSION_DAYS: i64 = 14;

/// The signed-in user, as loaded for this request.
#[derive(Debug, Clone)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub extra_time_minutes: i32,
}

/// What the session middleware learnt about the request.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: Option<User>,
    /// The token every form on the page must carry back.
    pub csrf_token: String,
    /// The SHA-256 of the session cookie, when signed in.
    pub id_hash: Option<Vec<u8>>,
}

/// Paths whose answer does not depend on who asks.
fn needs_no_session(path: &str) -> bool {
    path.starts_with("/static/") || matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// Middleware: loads the session (one query), provides the CSRF token, and sets the anonymous CSRF cookie.
/// Static files and the probes skip it.
pub async fn load_session(
    State(state): State<AppState>,
    jar: CookieJar,
    mut req: Request,
    next: Next,
) -> Response {
    // Static files and the probes are the same for everybody: they never read a session (nor the database).
    if needs_no_session(req.uri().path()) {
        return next.run(req).await;
    }
    let mut session = Session {
        user: None,
        csrf_token: String::new(),
        id_hash: None,
    };
    if let Some(cookie) = jar.get(SESSION_COOKIE) {
        let id_hash = hash_secret(cookie.value());
        match store::users::session_user(&state.db, &id_hash).await {
            Ok(Some((user, csrf))) => {
                tracing::Span::current().record("user", tracing::field::display(user.id));
                session.user = Some(user);
                session.csrf_token = csrf;
                session.id_hash = Some(id_hash);
            }
            Ok(None) => {}
            Err(e) => return axum::response::IntoResponse::into_response(AppError::from(e)),
        }
    }
    let mut new_csrf_cookie = None;
    if session.user.is_none() {
        match jar.get(CSRF_COOKIE) {
            Some(c) if c.value().len() == 64 => session.csrf_token = c.value().to_owned(),
            _ => {
                let token = random_secret();
                session.csrf_token = token.clone();
                new_csrf_cookie = Some(token);
            }
        }
    }
    // Shared, not copied: the error page renderer outside this layer (web::error_page) reads the same session
    // from the response to show who is signed in.
    let session = std::sync::Arc::new(session);
    req.extensions_mut().insert(session.clone());
    let mut resp = next.run(req).await;
    resp.extensions_mut().insert(session);
    if let Some(token) = new_csrf_cookie {
        let cookie = build_cookie(CSRF_COOKIE, token, state.config.secure_cookies, None);
        if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

/// A cookie with our defaults: HttpOnly, SameSite=Lax, path /, Secure behind TLS.
pub fn build_cookie(
    name: &'static str,
    value: String,
    secure: bool,
    max_age_days: Option<i64>,
) -> Cookie<'static> {
    let mut c = Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/");
    if let Some(days) = max_age_days {
        c = c.max_age(time::Duration::days(days));
    }
    c.build()
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<std::sync::Arc<Session>>()
            .map(|s| Session::clone(s))
            .ok_or_else(|| {
                AppError::internal(anyhow::anyhow!("session middleware is not installed"))
            })
    }
}

/// A signed-in user of any role; pages redirect to sign-in without one.
pub struct CurrentUser(pub User, pub Session);

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, s).await?;
        match session.user.clone() {
            Some(u) => Ok(CurrentUser(u, session)),
            None => Err(AppError::Unauthenticated),
        }
    }
}

/// A signed-in instructor or admin.
pub struct RequireInstructor(pub User, pub Session);

impl<S: Send + Sync> FromRequestParts<S> for RequireInstructor {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, Self::Rejection> {
        let CurrentUser(u, session) = CurrentUser::from_request_parts(parts, s).await?;
        if u.role >= Role::Instructor {
            Ok(RequireInstructor(u, session))
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// A signed-in admin.
pub struct RequireAdmin(pub User, pub Session);

impl<S: Send + Sync> FromRequestParts<S> for RequireAdmin {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, Self::Rejection> {
        let CurrentUser(u, session) = CurrentUser::from_request_parts(parts, s).await?;
        if u.role == Role::Admin {
            Ok(RequireAdmin(u, session))
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// A URL-encoded form whose CSRF token (field `csrf_token`, or header `X-CSRF-Token`) matches the session's.
/// Nothing of the form is used when the token is wrong.
pub struct CsrfForm<T>(pub T);

/// Largest form body accepted (answers and account forms are small).
const FORM_LIMIT: usize = 64 * 1024;

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for CsrfForm<T> {
    type Rejection = AppError;
    async fn from_request(req: Request<Body>, s: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        if parts.method == Method::GET || parts.method == Method::HEAD {
            return Err(AppError::BadRequest("a form must be posted".into()));
        }
        let session = Session::from_request_parts(&mut parts, s).await?;
        let header_token = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = axum::body::to_bytes(body, FORM_LIMIT).await.map_err(|_| {
            AppError::BadRequest(format!(
                "the form is too large ({} KiB at most)",
                FORM_LIMIT / 1024
            ))
        })?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| AppError::BadRequest(format!("malformed form: {e}")))?;
        let field_token = pairs
            .iter()
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v.clone());
        let given = header_token.or(field_token).unwrap_or_default();
        if session.csrf_token.is_empty() || !secrets_equal(&given, &session.csrf_token) {
            return Err(AppError::Csrf);
        }
        if let Some(name) = crate::web::nul_pair(&pairs) {
            return Err(AppError::BadRequest(format!(
                "the field `{name}` has a NUL character; text may not contain one"
            )));
        }
        let value = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            AppError::BadRequest(format!("the form is incomplete or malformed: {e}"))
        })?;
        Ok(CsrfForm(value))
    }
}
