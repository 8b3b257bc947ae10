//! Sign up, sign in and sign out.

use super::{render, Layout};
use crate::auth::session::{build_cookie, CsrfForm, Session, SESSION_COOKIE, SESSION_DAYS};
use crate::auth::{self, password, Email, Role};
use crate::error::{AppError, AppResult, FieldError};
use crate::{store, AppState};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use uuid::Uuid;

#[derive(Template)]
#[template(path = "auth/signup.html")]
pub struct SignupPage {
    pub layout: Layout,
    pub email: String,
    pub display_name: String,
    pub errors: Vec<FieldError>,
    /// Where the new account goes once made (a class's join link, say).
    pub next: String,
}

#[derive(Template)]
#[template(path = "auth/signin.html")]
pub struct SigninPage {
    pub layout: Layout,
    pub email: String,
    pub error: Option<String>,
    pub next: String,
    /// A confirmation (the address was confirmed, or changed).
    pub notice: Option<String>,
    /// The account waits for its address to be confirmed: offer a new link.
    pub resend: bool,
    /// The single sign-on providers: (short name, name), a "Sign in with …" link each.
    pub providers: Vec<(String, String)>,
}

impl SignupPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

pub async fn signup_page(session: Session, Query(q): Query<NextQuery>) -> AppResult<Response> {
    if session.user.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    Ok(render(&SignupPage {
        layout: Layout::from_session(&session),
        email: String::new(),
        display_name: String::new(),
        errors: vec![],
        next: safe_next(q.next.as_deref()),
    })?
    .into_response())
}

#[derive(Deserialize)]
pub struct SignupForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
    /// The browser's IANA time zone (filled by static/tz.js); UTC when empty or unknown.
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    next: Option<String>,
}

pub async fn signup(
    State(state): State<AppState>,
    session: Session,
    jar: CookieJar,
    address: super::ClientAddress,
    CsrfForm(form): CsrfForm<SignupForm>,
) -> AppResult<Response> {
    // Sign-up must say when an e-mail is taken (without outgoing mail there is no other way to tell the
    // person), so probing it for accounts counts as failed sign-ins of that account and address, and the
    // same limit stops it.
    let email_key: String = form.email.trim().to_lowercase().chars().take(254).collect();
    if let Some(wait) = store::users::sign_in_blocked(&state.db, &email_key, &address.0).await? {
        let page = SignupPage {
            layout: Layout::from_session(&session),
            email: email_key,
            display_name: form.display_name.chars().take(80).collect(),
            errors: vec![FieldError {
                field: "email".into(),
                message: format!(
                    "Too many attempts for this account or from this address. {}",
                    try_again_in(wait)
                ),
            }],
            next: safe_next(form.next.as_deref()),
        };
        return too_many(render(&page)?, wait);
    }
    let mut errors = vec![];
    let email = Email::parse(&form.email).map_err(|e| errors.push(e)).ok();
    if let Some(e) = &email {
        if let Some((_, name)) = super::sso::required_provider(&state, e.as_str()).await? {
            errors.push(FieldError {
                field: "email".into(),
                message: format!(
                    "Addresses at this domain sign in with {name}: use its button on the sign-in page."
                ),
            });
        }
    }
    let name = auth::check_display_name(&form.display_name)
        .map_err(|e| errors.push(e))
        .ok();
    if let Err(e) =
        auth::check_new_password_pair(&form.password, &form.password_confirm, &form.email)
    {
        errors.push(e);
    }
    let again = |errors: Vec<FieldError>| -> AppResult<Response> {
        let page = SignupPage {
            layout: Layout::from_session(&session),
            email: form.email.chars().take(254).collect(),
            display_name: form.display_name.chars().take(80).collect(),
            errors,
            next: safe_next(form.next.as_deref()),
        };
        Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
    };
    let (Some(email), Some(name), true) = (email, name, errors.is_empty()) else {
        return again(errors);
    };
    let hash = password::hash(form.password.clone())
        .await
        .map_err(AppError::Internal)?;
    if state.mail.sends_links() {
        let next = safe_next(form.next.as_deref());
        let account = NewAccount {
            email: &email,
            name: &name,
            hash: &hash,
            time_zone: form.time_zone.trim(),
        };
        return signup_by_mail(&state, &session, &address, account, &next).await;
    }
    let Some(user_id) =
        store::users::create(&state.db, &email, &name, &hash, Role::Candidate).await?
    else {
        store::users::record_sign_in_failure(&state.db, &email_key, &address.0).await?;
        return again(vec![FieldError {
            field: "email".into(),
            message: "An account with this e-mail already exists. Sign in instead.".into(),
        }]);
    };
    let zone = form.time_zone.trim();
    if !zone.is_empty() && zone.len() <= 64 {
        // An unknown name changes nothing: the account keeps UTC and its owner can choose on /account.
        store::users::set_time_zone(&state.db, user_id, zone).await?;
    }
    tracing::info!(user = %user_id, "account created");
    start_session(&state, jar, user_id, &safe_next(form.next.as_deref())).await
}

/// A sign-up that passed the form's checks.
struct NewAccount<'a> {
    email: &'a Email,
    name: &'a str,
    hash: &'a str,
    time_zone: &'a str,
}

/// Sign-up where mail can carry links: a free address gets its account (and, unless verification is off, a
/// confirmation link); a taken address gets a mail telling its owner. The page is the same for both, so the
/// form tells nobody which addresses have accounts; the new account signs in with its password (or, when
/// verification is required, once the address is confirmed).
async fn signup_by_mail(
    state: &AppState,
    session: &Session,
    address: &super::ClientAddress,
    account: NewAccount<'_>,
    next: &str,
) -> AppResult<Response> {
    let email = account.email.as_str();
    let wait = store::mail::count_request(
        &state.db,
        "signup",
        Some(email),
        &address.0,
        crate::mail::PER_ADDRESS_PER_HOUR,
        crate::mail::PER_CLIENT_PER_HOUR,
    )
    .await?;
    if let Some(wait) = wait {
        let page = SignupPage {
            layout: Layout::from_session(session),
            email: email.to_owned(),
            display_name: account.name.to_owned(),
            errors: vec![FieldError {
                field: "email".into(),
                message: format!(
                    "Too many sign-ups for this address or from your network. {}",
                    try_again_in(wait)
                ),
            }],
            next: next.to_owned(),
        };
        return too_many(render(&page)?, wait);
    }
    let mode = store::mail::verification(&state.db).await?;
    let mut tx = state.db.begin().await?;
    let created = store::users::create(
        &mut *tx,
        account.email,
        account.name,
        account.hash,
        Role::Candidate,
    )
    .await?;
    match created {
        Some(user_id) => {
            let zone = account.time_zone;
            if !zone.is_empty() && zone.len() <= 64 {
                store::users::set_time_zone(&mut *tx, user_id, zone).await?;
            }
            if mode == crate::mail::Verification::Required {
                store::mail::require_verification(&mut *tx, user_id).await?;
            }
            if mode != crate::mail::Verification::Off {
                super::email::queue_verification(state, &mut tx, user_id, account.name, email)
                    .await?;
            }
            tracing::info!(user = %user_id, "account created");
        }
        None => {
            if let Some((owner, name)) = store::mail::account_by_email(&mut *tx, email).await? {
                let signin = state.mail.link("/signin").unwrap_or_default();
                let reset = state.mail.link("/account/reset").unwrap_or_default();
                let letter = crate::mail::letters::signup_taken(&name, &signin, &reset);
                state
                    .mail
                    .queue(&mut *tx, email, Some(owner), &letter)
                    .await?;
            }
        }
    }
    tx.commit().await?;
    state.mail.wake();
    let signin = if next == "/" {
        "/signin".to_owned()
    } else {
        format!("/signin?next={}", urlencode(next))
    };
    let taken = "If the address already had an account, we have sent its owner a mail saying how to sign in.";
    let paragraphs = match mode {
        crate::mail::Verification::Off => vec![
            format!("If {email} is new here, your account is made: sign in with your password."),
            taken.to_owned(),
        ],
        crate::mail::Verification::Optional => vec![
            format!("We have sent a mail to {email}. If the address is new here, your account is made."),
            "Follow the link in the mail to confirm your address. You can sign in with your password now."
                .to_owned(),
            taken.to_owned(),
        ],
        crate::mail::Verification::Required => vec![
            format!("We have sent a mail to {email}. If the address is new here, your account is made."),
            "Follow the link in the mail to confirm your address, then sign in with your password.".to_owned(),
            taken.to_owned(),
        ],
    };
    let page = super::email::NoticePage {
        layout: Layout::from_session(session),
        title: "Check your inbox".into(),
        paragraphs,
        link: Some((signin, "Sign in".into())),
    };
    Ok(render(&page)?.into_response())
}

/// "Try again in N minutes." for a wait of `seconds`.
pub(super) fn try_again_in(seconds: u64) -> String {
    let minutes = seconds.div_ceil(60);
    format!(
        "Try again in {minutes} minute{}.",
        if minutes == 1 { "" } else { "s" }
    )
}

/// A form page refused by the sign-in limit: 429 with `Retry-After`.
pub(super) fn too_many(page: Html<String>, wait_seconds: u64) -> AppResult<Response> {
    let mut response = (StatusCode::TOO_MANY_REQUESTS, page).into_response();
    response.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from(wait_seconds),
    );
    Ok(response)
}

/// Starts a fresh session (new id, new CSRF token) and redirects.
pub(super) async fn start_session(
    state: &AppState,
    jar: CookieJar,
    user_id: Uuid,
    to: &str,
) -> AppResult<Response> {
    let secret = auth::random_secret();
    store::users::create_session(
        &state.db,
        user_id,
        &auth::hash_secret(&secret),
        &auth::random_secret(),
    )
    .await?;
    let cookie = build_cookie(
        SESSION_COOKIE,
        secret,
        state.config.secure_cookies,
        Some(SESSION_DAYS),
    );
    Ok((jar.add(cookie), Redirect::to(to)).into_response())
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    /// Set by the redirect after an address was confirmed (`1`).
    verified: Option<String>,
    /// Set by the redirect after an address change was confirmed (`changed`).
    email: Option<String>,
}

/// Only same-site paths are followed after sign-in.
pub(super) fn safe_next(next: Option<&str>) -> String {
    match next {
        // Browsers drop tabs and line breaks from a URL, so `/\t/evil.example` would become `//evil.example`:
        // no control character or space may be in it at all.
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(|c| c.is_control() || c.is_whitespace()) =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

pub async fn signin_page(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<NextQuery>,
) -> AppResult<Response> {
    if session.user.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    let notice = if q.verified.is_some() {
        Some("Your e-mail address is confirmed. Sign in to go on.".to_owned())
    } else if q.email.as_deref() == Some("changed") {
        Some("Your e-mail address is changed. Sign in with the new one.".to_owned())
    } else {
        None
    };
    Ok(render(&SigninPage {
        layout: Layout::from_session(&session),
        email: String::new(),
        error: None,
        next: safe_next(q.next.as_deref()),
        notice,
        resend: false,
        providers: store::sso::buttons(&state.db).await?,
    })?
    .into_response())
}

#[derive(Deserialize)]
pub struct SigninForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

pub async fn signin(
    State(state): State<AppState>,
    session: Session,
    jar: CookieJar,
    address: super::ClientAddress,
    CsrfForm(form): CsrfForm<SigninForm>,
) -> AppResult<Response> {
    let email = form.email.trim().to_lowercase();
    let email_key: String = email.chars().take(254).collect();
    // Same limit and message whether or not the account exists: no enumeration through the limit.
    if let Some(wait) = store::users::sign_in_blocked(&state.db, &email_key, &address.0).await? {
        let page = SigninPage {
            layout: Layout::from_session(&session),
            email: email_key,
            error: Some(format!(
                "Too many failed sign-ins for this account or from this address. {}",
                try_again_in(wait)
            )),
            next: safe_next(form.next.as_deref()),
            notice: None,
            resend: false,
            providers: store::sso::buttons(&state.db).await?,
        };
        return too_many(render(&page)?, wait);
    }
    // A domain that must use single sign-on: its passwords do not work, whether or not the account exists.
    if let Some((_, name)) = super::sso::required_provider(&state, &email_key).await? {
        let page = SigninPage {
            layout: Layout::from_session(&session),
            email: email_key,
            error: Some(format!(
                "Accounts at this e-mail domain sign in with {name}: use the button below."
            )),
            next: safe_next(form.next.as_deref()),
            notice: None,
            resend: false,
            providers: store::sso::buttons(&state.db).await?,
        };
        return Ok((StatusCode::FORBIDDEN, render(&page)?).into_response());
    }
    let found = if email.len() <= 254 && form.password.len() <= auth::PASSWORD_MAX * 4 {
        store::users::for_sign_in(&state.db, &email).await?
    } else {
        None
    };
    let (user, hash) = match found {
        Some((u, h)) => (Some(u), Some(h)),
        None => (None, None),
    };
    // Verify against a dummy hash for unknown accounts: same work, same answer, no enumeration.
    let ok = password::verify(form.password.clone(), hash)
        .await
        .map_err(AppError::Internal)?;
    match (ok, user) {
        (true, Some(user)) => {
            tracing::info!(user = %user.id, "signed in");
            store::users::clear_sign_in_failures(&state.db, &email_key).await?;
            let next = safe_next(form.next.as_deref());
            let mailed = match super::email::at_sign_in(&state, &user).await? {
                super::email::AtSignIn::Refuse => {
                    let page = SigninPage {
                        layout: Layout::from_session(&session),
                        email: user.email.clone(),
                        error: Some(
                            "Confirm your e-mail address first: follow the link we sent to it when you \
                             signed up."
                                .into(),
                        ),
                        next,
                        notice: None,
                        resend: true,
                        providers: store::sso::buttons(&state.db).await?,
                    };
                    return Ok((StatusCode::FORBIDDEN, render(&page)?).into_response());
                }
                super::email::AtSignIn::Mailed => true,
                super::email::AtSignIn::GoOn => false,
            };
            // A password an admin reset (and so has seen) is replaced before anything else.
            let to = if store::users::must_change_password(&state.db, user.id).await? {
                "/account/password".to_owned()
            } else if mailed {
                format!("/account/verify?next={}", urlencode(&next))
            } else {
                next
            };
            start_session(&state, jar, user.id, &to).await
        }
        _ => {
            store::users::record_sign_in_failure(&state.db, &email_key, &address.0).await?;
            let page = SigninPage {
                layout: Layout::from_session(&session),
                email: form.email.chars().take(254).collect(),
                error: Some("The e-mail or password is wrong.".into()),
                next: safe_next(form.next.as_deref()),
                notice: None,
                resend: false,
                providers: store::sso::buttons(&state.db).await?,
            };
            Ok((StatusCode::UNAUTHORIZED, render(&page)?).into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct Empty {}

/// `s` as a query-string value.
fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|q| q.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

pub async fn signout(
    State(state): State<AppState>,
    session: Session,
    jar: CookieJar,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<Response> {
    if let Some(id_hash) = &session.id_hash {
        store::users::delete_session(&state.db, id_hash).await?;
    }
    let gone = build_cookie(
        SESSION_COOKIE,
        String::new(),
        state.config.secure_cookies,
        Some(0),
    );
    Ok((jar.remove(gone), Redirect::to("/")).into_response())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_a_same_site_path_is_followed() {
        assert_eq!(safe_next(Some("/classes/join/AB")), "/classes/join/AB");
        for bad in [
            "//evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\\evil.example",
            "https://evil.example",
            "/ /x",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
