//! The pages of links that come by mail: password reset, address verification, address change; and the mail
//! preferences on the account page. Every link is built from `PUBLIC_BASE_URL` (mail::Mailer::link); every
//! token is random, stored as its SHA-256, single-use and short-lived; every form that sends mail answers a
//! taken and a free address alike (docs/security.md, "E-mail").

use super::auth::{safe_next, start_session, too_many, try_again_in};
use super::{render, ClientAddress, Layout, Path};
use crate::auth::session::{CsrfForm, CurrentUser, Session};
use crate::auth::{self, password, Email};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::{letters, Verification, CONFIRM_HOURS, RESET_MINUTES};
use crate::mail::{PER_ADDRESS_PER_HOUR, PER_CLIENT_PER_HOUR};
use crate::{store, AppState};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use uuid::Uuid;

/// A page that says what happened and what to do next.
#[derive(Template)]
#[template(path = "auth/notice.html")]
pub struct NoticePage {
    pub layout: Layout,
    pub title: String,
    pub paragraphs: Vec<String>,
    /// Where to go next: (href, label).
    pub link: Option<(String, String)>,
}

pub(super) fn notice(
    session: &Session,
    status: StatusCode,
    title: &str,
    paragraphs: Vec<String>,
    link: Option<(&str, &str)>,
) -> AppResult<Response> {
    let page = NoticePage {
        layout: Layout::from_session(session),
        title: title.to_owned(),
        paragraphs,
        link: link.map(|(h, l)| (h.to_owned(), l.to_owned())),
    };
    Ok((status, render(&page)?).into_response())
}

/// The answer to a link that is unknown, used or expired (all alike).
fn link_gone(session: &Session, again: (&str, &str)) -> AppResult<Response> {
    notice(
        session,
        StatusCode::GONE,
        "This link no longer works",
        vec![
            "It was already used, it has expired, or a newer link of the same kind was used."
                .into(),
        ],
        Some(again),
    )
}

/// A page with one button that does what a mailed link is for (a GET never changes anything: mail scanners
/// follow links).
#[derive(Template)]
#[template(path = "auth/confirm.html")]
pub struct ConfirmPage {
    pub layout: Layout,
    pub title: String,
    pub text: String,
    pub action: String,
    pub button: String,
}

/// Counts a request that sends mail, or answers 429 with the wait.
async fn limit(
    state: &AppState,
    session: &Session,
    kind: &str,
    email: &str,
    client: &ClientAddress,
) -> AppResult<Option<Response>> {
    let wait = store::mail::count_request(
        &state.db,
        kind,
        Some(email),
        &client.0,
        PER_ADDRESS_PER_HOUR,
        PER_CLIENT_PER_HOUR,
    )
    .await?;
    Ok(match wait {
        None => None,
        Some(wait) => {
            let page = NoticePage {
                layout: Layout::from_session(session),
                title: "Too many requests".into(),
                paragraphs: vec![format!(
                    "Too many mails were asked for this address or from your network. {}",
                    try_again_in(wait)
                )],
                link: None,
            };
            Some(too_many(render(&page)?, wait)?)
        }
    })
}

/// A new token: the secret for the link, its hash for the database.
fn new_token() -> (String, Vec<u8>) {
    let secret = auth::random_secret();
    let hash = auth::hash_secret(&secret);
    (secret, hash)
}

/// Queues a verification link for the account (in `tx`).
pub async fn queue_verification(
    state: &AppState,
    tx: &mut sqlx::PgConnection,
    user_id: Uuid,
    name: &str,
    email: &str,
) -> AppResult<()> {
    let (secret, hash) = new_token();
    let url = state
        .mail
        .link(&format!("/verify/{secret}"))
        .map_err(|m| AppError::BadRequest(m.into()))?;
    store::mail::create_token(
        &mut *tx,
        "verify",
        user_id,
        email,
        &hash,
        CONFIRM_HOURS * 60,
    )
    .await?;
    state
        .mail
        .queue(&mut *tx, email, Some(user_id), &letters::verify(name, &url))
        .await
}

// ---- Password reset -----------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "auth/reset_request.html")]
pub struct ResetRequestPage {
    pub layout: Layout,
    pub email: String,
    pub error: Option<String>,
    /// Links can be mailed (PUBLIC_BASE_URL is set); otherwise the page says to ask an admin.
    pub available: bool,
}

pub async fn reset_request_page(
    State(state): State<AppState>,
    session: Session,
) -> AppResult<Response> {
    Ok(render(&ResetRequestPage {
        layout: Layout::from_session(&session),
        email: String::new(),
        error: None,
        available: state.mail.sends_links(),
    })?
    .into_response())
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
}

/// POST /account/reset: mails a reset link to the address's account, or a "no account uses this address" note
/// to the address; the page says the same either way.
pub async fn reset_request(
    State(state): State<AppState>,
    session: Session,
    client: ClientAddress,
    CsrfForm(form): CsrfForm<EmailForm>,
) -> AppResult<Response> {
    let page = |error: String, status: StatusCode| -> AppResult<Response> {
        let page = ResetRequestPage {
            layout: Layout::from_session(&session),
            email: form.email.chars().take(254).collect(),
            error: Some(error),
            available: state.mail.sends_links(),
        };
        Ok((status, render(&page)?).into_response())
    };
    let (Ok(reset_base), Ok(signup_url)) = (
        state.mail.link("/account/reset/"),
        state.mail.link("/signup"),
    ) else {
        return page(
            crate::mail::NO_BASE_URL.into(),
            StatusCode::SERVICE_UNAVAILABLE,
        );
    };
    let email = match Email::parse(&form.email) {
        Ok(e) => e,
        Err(e) => return page(e.message, StatusCode::UNPROCESSABLE_ENTITY),
    };
    if let Some((_, name)) = super::sso::required_provider(&state, email.as_str()).await? {
        return page(
            format!(
                "Accounts at this e-mail domain sign in with {name} and have no password here."
            ),
            StatusCode::FORBIDDEN,
        );
    }
    if let Some(refused) = limit(&state, &session, "reset", email.as_str(), &client).await? {
        return Ok(refused);
    }
    let mut tx = state.db.begin().await?;
    match store::mail::account_by_email(&mut *tx, email.as_str()).await? {
        Some((user_id, name)) => {
            let (secret, hash) = new_token();
            store::mail::create_token(
                &mut *tx,
                "reset",
                user_id,
                email.as_str(),
                &hash,
                RESET_MINUTES,
            )
            .await?;
            let letter = letters::reset(&name, &format!("{reset_base}{secret}"));
            state
                .mail
                .queue(&mut *tx, email.as_str(), Some(user_id), &letter)
                .await?;
        }
        None => {
            let letter = letters::reset_unknown(&signup_url);
            state
                .mail
                .queue(&mut *tx, email.as_str(), None, &letter)
                .await?;
        }
    }
    tx.commit().await?;
    state.mail.wake();
    notice(
        &session,
        StatusCode::OK,
        "Check your inbox",
        vec![
            format!(
                "If an account uses {}, we have sent it a link to choose a new password. The link works once, \
                 for {RESET_MINUTES} minutes.",
                email.as_str()
            ),
            "No mail after a few minutes? Look in your spam folder, or ask again.".into(),
        ],
        Some(("/signin", "Back to sign in")),
    )
}

#[derive(Template)]
#[template(path = "auth/reset.html")]
pub struct ResetPage {
    pub layout: Layout,
    pub action: String,
    pub errors: Vec<FieldError>,
}

impl ResetPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

const ASK_AGAIN: (&str, &str) = ("/account/reset", "Ask for a new link");
const ACCOUNT: (&str, &str) = ("/account", "Your account");

/// GET /account/reset/{token}: the new-password form (nothing is used up yet).
pub async fn reset_page(
    State(state): State<AppState>,
    session: Session,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let hash = auth::hash_secret(&token);
    if store::mail::peek_token(&state.db, "reset", &hash)
        .await?
        .is_none()
    {
        return link_gone(&session, ASK_AGAIN);
    }
    Ok(render(&ResetPage {
        layout: Layout::from_session(&session),
        action: format!("/account/reset/{token}"),
        errors: vec![],
    })?
    .into_response())
}

#[derive(Deserialize)]
pub struct NewPasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

/// POST /account/reset/{token}: sets the password, uses the token (once), ends every session of the account,
/// confirms the address (the mail reached it) and signs the person in.
pub async fn reset(
    State(state): State<AppState>,
    session: Session,
    jar: CookieJar,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<NewPasswordForm>,
) -> AppResult<Response> {
    let hash = auth::hash_secret(&token);
    let Some(owner) = store::mail::peek_token(&state.db, "reset", &hash).await? else {
        return link_gone(&session, ASK_AGAIN);
    };
    // A link mailed before the domain required single sign-on sets no password now.
    if let Some((_, name)) = super::sso::required_provider(&state, &owner.email).await? {
        return notice(
            &session,
            StatusCode::FORBIDDEN,
            "This account signs in with single sign-on",
            vec![format!(
                "Accounts at this e-mail domain sign in with {name} and have no password here."
            )],
            Some(("/signin", "Back to sign in")),
        );
    }
    let mut errors = vec![];
    if let Err(e) =
        auth::check_new_password_pair(&form.password, &form.password_confirm, &owner.email)
    {
        errors.push(e);
    }
    if !errors.is_empty() {
        let page = ResetPage {
            layout: Layout::from_session(&session),
            action: format!("/account/reset/{token}"),
            errors,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let new_hash = password::hash(form.password.clone())
        .await
        .map_err(AppError::Internal)?;
    let mut tx = state.db.begin().await?;
    let Some(owner) = store::mail::take_token(&mut tx, "reset", &hash).await? else {
        return link_gone(&session, ASK_AGAIN);
    };
    store::users::set_password(&mut *tx, owner.user_id, &new_hash).await?;
    if owner.token_email == owner.email {
        store::mail::set_verified(&mut *tx, owner.user_id).await?;
    }
    let ended = store::users::delete_sessions(&mut *tx, owner.user_id).await?;
    store::bank::audit(
        &mut *tx,
        Some((owner.user_id, owner.email.as_str())),
        "account.password_reset_by_mail",
        &owner.user_id.to_string(),
        serde_json::json!({ "sessions_ended": ended }),
    )
    .await?;
    tx.commit().await?;
    store::users::clear_sign_in_failures(&state.db, &owner.email).await?;
    tracing::info!(user = %owner.user_id, "password reset by mail");
    start_session(&state, jar, owner.user_id, "/?password=reset").await
}

// ---- Address verification -----------------------------------------------------------------------------------

/// GET /verify/{token}: a button that confirms the address.
pub async fn verify_page(
    State(state): State<AppState>,
    session: Session,
    Path(token): Path<String>,
) -> AppResult<Response> {
    confirm_page(&state, &session, "verify", &token, |owner| ConfirmPage {
        layout: Layout::from_session(&session),
        title: "Confirm your e-mail address".into(),
        text: format!("Confirm that {} is your address.", owner.token_email),
        action: format!("/verify/{token}"),
        button: "Confirm my address".into(),
    })
    .await
}

/// The page of a mailed link (`purpose`): `page` for a live token, "no longer works" for any other.
async fn confirm_page(
    state: &AppState,
    session: &Session,
    purpose: &str,
    token: &str,
    page: impl FnOnce(&store::mail::TokenOwner) -> ConfirmPage,
) -> AppResult<Response> {
    let hash = auth::hash_secret(token);
    match store::mail::peek_token(&state.db, purpose, &hash).await? {
        Some(owner) => Ok(render(&page(&owner))?.into_response()),
        None => link_gone(session, ACCOUNT),
    }
}

/// POST /verify/{token}: confirms the address the link was sent to (if it is still the account's).
pub async fn verify(
    State(state): State<AppState>,
    session: Session,
    Path(token): Path<String>,
    CsrfForm(_): CsrfForm<super::auth::Empty>,
) -> AppResult<Response> {
    let hash = auth::hash_secret(&token);
    let mut tx = state.db.begin().await?;
    let owner = store::mail::take_token(&mut tx, "verify", &hash).await?;
    let Some(owner) = owner.filter(|o| o.token_email == o.email) else {
        return link_gone(&session, ACCOUNT);
    };
    store::mail::set_verified(&mut *tx, owner.user_id).await?;
    tx.commit().await?;
    let to = if session.user.is_some() {
        "/account?saved=verified"
    } else {
        "/signin?verified=1"
    };
    Ok(Redirect::to(to).into_response())
}

/// POST /verify/resend (from the sign-in page, not signed in): a new link for an account that waits for one;
/// the same answer for every address.
pub async fn resend_verification(
    State(state): State<AppState>,
    session: Session,
    client: ClientAddress,
    CsrfForm(form): CsrfForm<EmailForm>,
) -> AppResult<Response> {
    if !state.mail.sends_links() {
        return notice(
            &session,
            StatusCode::SERVICE_UNAVAILABLE,
            "No mail can be sent",
            vec![crate::mail::NO_BASE_URL.into()],
            None,
        );
    }
    let Ok(email) = Email::parse(&form.email) else {
        return Err(AppError::BadRequest(
            "Enter an e-mail address like name@example.com.".into(),
        ));
    };
    if let Some(refused) = limit(&state, &session, "verify", email.as_str(), &client).await? {
        return Ok(refused);
    }
    let mut tx = state.db.begin().await?;
    if let Some((user_id, name)) = store::mail::account_by_email(&mut *tx, email.as_str()).await? {
        if !store::mail::mail_state(&mut *tx, user_id).await?.verified {
            queue_verification(&state, &mut tx, user_id, &name, email.as_str()).await?;
        }
    }
    tx.commit().await?;
    state.mail.wake();
    notice(
        &session,
        StatusCode::OK,
        "Check your inbox",
        vec![format!(
            "If {} has an account waiting for its address to be confirmed, we have sent it a new link.",
            email.as_str()
        )],
        Some(("/signin", "Back to sign in")),
    )
}

/// POST /account/verify: a new confirmation link for the signed-in account.
pub async fn resend_own_verification(
    State(state): State<AppState>,
    CurrentUser(user, session): CurrentUser,
    client: ClientAddress,
    CsrfForm(_): CsrfForm<super::auth::Empty>,
) -> AppResult<Response> {
    if !state.mail.sends_links() {
        return Err(AppError::BadRequest(crate::mail::NO_BASE_URL.into()));
    }
    if let Some(refused) = limit(&state, &session, "verify", &user.email, &client).await? {
        return Ok(refused);
    }
    let mut tx = state.db.begin().await?;
    queue_verification(&state, &mut tx, user.id, &user.display_name, &user.email).await?;
    tx.commit().await?;
    state.mail.wake();
    Ok(Redirect::to("/account?saved=verify-sent").into_response())
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// GET /account/verify: after a sign-in that mailed a confirmation link, says so and goes on.
pub async fn verify_sent(
    CurrentUser(user, session): CurrentUser,
    Query(q): Query<NextQuery>,
) -> AppResult<Response> {
    let next = safe_next(q.next.as_deref());
    notice(
        &session,
        StatusCode::OK,
        "Please confirm your e-mail address",
        vec![
            format!(
                "We have sent a link to {}. Follow it to confirm that the address is yours.",
                user.email
            ),
            format!("The link works for {CONFIRM_HOURS} hours. You can go on meanwhile."),
        ],
        Some((&next, "Continue")),
    )
}

/// What sign-in does about an unconfirmed address.
pub enum AtSignIn {
    /// Nothing to do.
    GoOn,
    /// A confirmation link was mailed just now: the person is told, then goes on.
    Mailed,
    /// The account was made while verification was required: no session until the address is confirmed.
    Refuse,
}

/// Decides [`AtSignIn`] for `user`, mailing the link when it is time to ask (once a day at most).
pub async fn at_sign_in(
    state: &AppState,
    user: &crate::auth::session::User,
) -> AppResult<AtSignIn> {
    if !state.mail.sends_links() {
        return Ok(AtSignIn::GoOn);
    }
    let mode = store::mail::verification(&state.db).await?;
    let mail = store::mail::mail_state(&state.db, user.id).await?;
    if mail.verified || mode == Verification::Off {
        return Ok(AtSignIn::GoOn);
    }
    if mode == Verification::Required && mail.verification_required {
        return Ok(AtSignIn::Refuse);
    }
    if store::mail::verification_sent_recently(&state.db, user.id).await? {
        return Ok(AtSignIn::GoOn);
    }
    let mut tx = state.db.begin().await?;
    queue_verification(state, &mut tx, user.id, &user.display_name, &user.email).await?;
    tx.commit().await?;
    state.mail.wake();
    Ok(AtSignIn::Mailed)
}

// ---- Address change -----------------------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct EmailChangeForm {
    #[serde(default)]
    new_email: String,
    #[serde(default)]
    password: String,
}

/// POST /account/email: asks to move the account to a new address. The new address gets a confirmation link
/// (or, when it already has an account, a note that nothing changed); the old one is told. The page answers
/// the same either way.
pub async fn change_email(
    State(state): State<AppState>,
    CurrentUser(user, session): CurrentUser,
    client: ClientAddress,
    CsrfForm(form): CsrfForm<EmailChangeForm>,
) -> AppResult<Response> {
    let refuse = |message: String| AppError::BadRequest(message);
    let Ok(confirm_base) = state.mail.link("/account/email/") else {
        return Err(refuse(crate::mail::NO_BASE_URL.into()));
    };
    let new = Email::parse(&form.new_email).map_err(|e| refuse(e.message))?;
    if new.as_str() == user.email {
        return Err(refuse("That is already your address.".into()));
    }
    let hash = store::users::password_hash(&state.db, user.id).await?;
    let ok = password::verify(form.password.clone(), Some(hash))
        .await
        .map_err(AppError::Internal)?;
    if !ok {
        return Err(refuse(
            "Your current password is wrong: the address was not changed.".into(),
        ));
    }
    if let Some(refused) = limit(&state, &session, "email_change", new.as_str(), &client).await? {
        return Ok(refused);
    }
    let mut tx = state.db.begin().await?;
    if store::mail::account_by_email(&mut *tx, new.as_str())
        .await?
        .is_some()
    {
        state
            .mail
            .queue(&mut *tx, new.as_str(), None, &letters::email_change_taken())
            .await?;
    } else {
        let (secret, token_hash) = new_token();
        store::mail::create_token(
            &mut *tx,
            "email_change",
            user.id,
            new.as_str(),
            &token_hash,
            CONFIRM_HOURS * 60,
        )
        .await?;
        let letter = letters::email_change_confirm(
            &user.display_name,
            new.as_str(),
            &format!("{confirm_base}{secret}"),
        );
        state
            .mail
            .queue(&mut *tx, new.as_str(), Some(user.id), &letter)
            .await?;
    }
    let letter = letters::email_change_asked(&user.display_name, new.as_str());
    state
        .mail
        .queue(&mut *tx, &user.email, Some(user.id), &letter)
        .await?;
    tx.commit().await?;
    state.mail.wake();
    Ok(Redirect::to("/account?saved=email-asked").into_response())
}

/// GET /account/email/{token}: a button that confirms the new address.
pub async fn confirm_email_page(
    State(state): State<AppState>,
    session: Session,
    Path(token): Path<String>,
) -> AppResult<Response> {
    confirm_page(&state, &session, "email_change", &token, |owner| {
        ConfirmPage {
            layout: Layout::from_session(&session),
            title: "Confirm your new e-mail address".into(),
            text: format!(
                "Your account will sign in with {} instead of {}.",
                owner.token_email, owner.email
            ),
            action: format!("/account/email/{token}"),
            button: "Change my address".into(),
        }
    })
    .await
}

/// POST /account/email/{token}: moves the account to the confirmed address and tells the old one.
pub async fn confirm_email(
    State(state): State<AppState>,
    session: Session,
    Path(token): Path<String>,
    CsrfForm(_): CsrfForm<super::auth::Empty>,
) -> AppResult<Response> {
    let hash = auth::hash_secret(&token);
    let mut tx = state.db.begin().await?;
    let Some(owner) = store::mail::take_token(&mut tx, "email_change", &hash).await? else {
        return link_gone(&session, ACCOUNT);
    };
    if !store::mail::change_email(&mut *tx, owner.user_id, &owner.token_email).await? {
        return notice(
            &session,
            StatusCode::CONFLICT,
            "That address is taken",
            vec!["Another account started using this address meanwhile: your address was not changed.".into()],
            Some(ACCOUNT),
        );
    }
    let letter = letters::email_changed(&owner.display_name, &owner.token_email);
    state
        .mail
        .queue(&mut *tx, &owner.email, Some(owner.user_id), &letter)
        .await?;
    store::bank::audit(
        &mut *tx,
        Some((owner.user_id, owner.token_email.as_str())),
        "account.email_changed",
        &owner.user_id.to_string(),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    state.mail.wake();
    let to = if session.user.as_ref().map(|u| u.id) == Some(owner.user_id) {
        "/account?saved=email-changed"
    } else {
        "/signin?email=changed"
    };
    Ok(Redirect::to(to).into_response())
}

// ---- Preferences --------------------------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct PreferencesForm {
    #[serde(default)]
    reminders: Option<String>,
    #[serde(default)]
    report_outcomes: Option<String>,
}

/// POST /account/mail: the opt-in mails (assignment reminders, report outcomes).
pub async fn set_preferences(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    CsrfForm(form): CsrfForm<PreferencesForm>,
) -> AppResult<Response> {
    store::mail::set_preferences(
        &state.db,
        user.id,
        form.reminders.is_some(),
        form.report_outcomes.is_some(),
    )
    .await?;
    Ok(Redirect::to("/account?saved=mail").into_response())
}
