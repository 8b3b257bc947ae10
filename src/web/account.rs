//! The account page: change password, personal API tokens, classes, and the person's own data (download it,
//! delete the account).

use super::Path;
use super::{render, Layout};
use crate::auth::session::{CsrfForm, CurrentUser};
use crate::auth::{self, password};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::tokens::TokenInfo;
use crate::{store, AppState};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Template)]
#[template(path = "account/overview.html")]
pub struct AccountPage {
    pub layout: Layout,
    /// The catalogue, for choosing the target exam.
    pub exams: Vec<crate::store::exams::ExamRow>,
    /// The exam the person studies for.
    pub target: Option<String>,
    /// The account's time zone, and the names to choose from.
    pub time_zone: String,
    pub zones: std::sync::Arc<Vec<String>>,
    /// Each token's last use, in the account's time zone ("never" when unused).
    pub last_used: Vec<String>,
    /// A confirmation after a change on this page.
    pub saved: Option<String>,
    pub tokens: Vec<TokenInfo>,
    /// A token just created: shown once, never again.
    pub new_token: Option<String>,
    /// A refused token name, shown in the tokens section.
    pub error: Option<String>,
    /// A refused time zone, shown in the time zone section.
    pub zone_error: Option<String>,
    /// The classes the person is a member of (each may be left).
    pub classes: Vec<crate::store::classes::ClassRow>,
    /// Why deleting the account was refused.
    pub delete_error: Option<String>,
    /// The account has a password (one made by single sign-on has none, and confirms a deletion otherwise).
    pub has_password: bool,
    /// How recent a sign-in must be to delete an account without a password.
    pub fresh_minutes: i32,
    /// The address's confirmation and the mail preferences.
    pub mail: store::mail::MailState,
    /// Links can be mailed (PUBLIC_BASE_URL is set): the address can be confirmed and changed.
    pub mail_links: bool,
}

/// The account page's data for `user`.
async fn account_page(
    state: &AppState,
    user: &crate::auth::session::User,
    session: &crate::auth::session::Session,
    new_token: Option<String>,
    error: Option<String>,
    saved: Option<String>,
) -> AppResult<AccountPage> {
    let tokens = store::tokens::list(&state.db, user.id).await?;
    let used: Vec<_> = tokens.iter().filter_map(|t| t.last_used_at).collect();
    let mut local = store::users::local_times(&state.db, user.id, &used)
        .await?
        .into_iter();
    let last_used = tokens
        .iter()
        .map(|t| match t.last_used_at {
            Some(_) => local.next().unwrap_or_default(),
            None => "never".to_owned(),
        })
        .collect();
    Ok(AccountPage {
        layout: Layout::from_session(session),
        exams: store::exams::list(&state.db).await?,
        classes: store::classes::of_member(&state.db, user.id).await?,
        delete_error: None,
        has_password: password::is_set(&store::users::password_hash(&state.db, user.id).await?),
        fresh_minutes: DELETE_FRESH_MINUTES,
        target: store::exams::target_of(&state.db, user.id).await?,
        time_zone: store::users::time_zone(&state.db, user.id).await?,
        zones: store::users::time_zone_names(&state.db).await?,
        last_used,
        saved,
        tokens,
        new_token,
        error,
        zone_error: None,
        mail: store::mail::mail_state(&state.db, user.id).await?,
        mail_links: state.mail.sends_links(),
    })
}

#[derive(Deserialize, Default)]
pub struct AccountQuery {
    #[serde(default)]
    saved: Option<String>,
}

pub async fn overview(
    State(state): State<AppState>,
    CurrentUser(user, session): CurrentUser,
    axum::extract::Query(q): axum::extract::Query<AccountQuery>,
) -> AppResult<Html<String>> {
    let saved = match q.saved.as_deref() {
        Some("time-zone") => Some("Your time zone is saved: dates are shown in it.".to_owned()),
        Some("target-exam") => Some("Your target exam is saved.".to_owned()),
        Some("verified") => Some("Your e-mail address is confirmed.".to_owned()),
        Some("verify-sent") => Some(
            "We have sent a new confirmation link to your address: follow it to confirm.".to_owned(),
        ),
        Some("email-asked") => Some(
            "We have sent a confirmation link to the new address: the change happens when you follow \
             it. Your current address is told too."
                .to_owned(),
        ),
        Some("email-changed") => Some("Your e-mail address is changed.".to_owned()),
        Some("mail") => Some("Your mail preferences are saved.".to_owned()),
        Some("left") => Some(
            "You left the class. Your attempts are kept; your instructors no longer see them."
                .to_owned(),
        ),
        _ => None,
    };
    render(&account_page(&state, &user, &session, None, None, saved).await?)
}

#[derive(Deserialize)]
pub struct TimeZoneForm {
    #[serde(default)]
    time_zone: String,
}

/// Sets the zone dates and times are shown in; a name PostgreSQL does not know is refused.
pub async fn set_time_zone(
    State(state): State<AppState>,
    CurrentUser(user, session): CurrentUser,
    CsrfForm(form): CsrfForm<TimeZoneForm>,
) -> AppResult<Response> {
    let zone = form.time_zone.trim();
    if zone.len() <= 64 && store::users::set_time_zone(&state.db, user.id, zone).await? {
        return Ok(Redirect::to("/account?saved=time-zone").into_response());
    }
    let error = format!(
        "`{zone}` is not a time zone name: choose one from the list, such as Europe/Paris."
    );
    let mut page = account_page(&state, &user, &session, None, None, None).await?;
    page.zone_error = Some(error);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
}

#[derive(Template)]
#[template(path = "account/password.html")]
pub struct PasswordPage {
    pub layout: Layout,
    pub errors: Vec<FieldError>,
    pub done: bool,
    /// An admin reset the password: the user is asked to choose their own.
    pub reset: bool,
}

impl PasswordPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

pub async fn password_page(
    State(state): State<AppState>,
    CurrentUser(user, session): CurrentUser,
) -> AppResult<Html<String>> {
    render(&PasswordPage {
        layout: Layout::from_session(&session),
        errors: vec![],
        done: false,
        reset: store::users::must_change_password(&state.db, user.id).await?,
    })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    CurrentUser(user, session): CurrentUser,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> AppResult<Response> {
    let stored = store::users::password_hash(&state.db, user.id).await?;
    let mut errors = vec![];
    if !password::verify(form.current.clone(), Some(stored))
        .await
        .map_err(AppError::Internal)?
    {
        errors.push(FieldError {
            field: "current".into(),
            message: "Your current password is wrong.".into(),
        });
    }
    if let Err(e) =
        auth::check_new_password_pair(&form.password, &form.password_confirm, &user.email)
    {
        errors.push(e);
    }
    if !errors.is_empty() {
        let page = PasswordPage {
            layout: Layout::from_session(&session),
            errors,
            done: false,
            reset: store::users::must_change_password(&state.db, user.id).await?,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let hash = password::hash(form.password)
        .await
        .map_err(AppError::Internal)?;
    store::users::set_password(&state.db, user.id, &hash).await?;
    if let Some(keep) = &session.id_hash {
        store::users::delete_other_sessions(&state.db, user.id, keep).await?;
    }
    Ok(render(&PasswordPage {
        layout: Layout::from_session(&session),
        errors: vec![],
        done: true,
        reset: false,
    })?
    .into_response())
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    CurrentUser(user, session): CurrentUser,
    CsrfForm(form): CsrfForm<TokenForm>,
) -> AppResult<Response> {
    let name = form.name.trim();
    let error = if name.is_empty() {
        Some("Give the token a name, such as the script that will use it.")
    } else if name.chars().count() > 80 {
        Some("Use at most 80 characters for the name.")
    } else {
        None
    };
    let mut new_token = None;
    if error.is_none() {
        let token = format!("ai102_{}", auth::random_secret());
        store::tokens::create(
            &state.db,
            user.id,
            name,
            &auth::hash_secret(&token),
            &token[..12],
        )
        .await?;
        new_token = Some(token);
    }
    let page = account_page(
        &state,
        &user,
        &session,
        new_token,
        error.map(str::to_owned),
        None,
    )
    .await?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, render(&page)?).into_response())
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn revoke_token(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Path(id): Path<Uuid>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<Response> {
    if !store::tokens::revoke(&state.db, user.id, id).await? {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to("/account").into_response())
}

#[derive(Deserialize)]
pub struct TargetForm {
    #[serde(default)]
    exam: String,
    /// Where to go next: `exams` (the exam's mock exams) or the account page.
    #[serde(default)]
    next: String,
}

/// Sets the exam the person studies for; the menus, practice and progress follow it. Nothing else changes:
/// attempts of every exam stay where they are.
pub async fn set_target_exam(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    CsrfForm(form): CsrfForm<TargetForm>,
) -> AppResult<Redirect> {
    if !store::exams::set_target(&state.db, user.id, form.exam.trim()).await? {
        return Err(AppError::BadRequest(format!(
            "`{}` is not an exam of the catalogue",
            form.exam.trim()
        )));
    }
    let code = form.exam.trim().to_ascii_uppercase();
    Ok(if form.next == "account" {
        Redirect::to("/account?saved=target-exam")
    } else {
        Redirect::to(&format!("/exams?exam={code}"))
    })
}

/// GET /account/data: everything the service holds about the account, as a JSON download.
pub async fn download_data(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
) -> AppResult<Response> {
    let data = store::own_data::export(&state.db, user.id).await?;
    let body = serde_json::to_vec_pretty(&data).map_err(AppError::internal)?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "application/json"),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"ai102-my-data.json\"",
            ),
            (axum::http::header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    password: String,
    /// The account's address, typed to confirm, when it has no password.
    #[serde(default)]
    email: String,
}

/// An account without a password is deleted only from a session signed in (by single sign-on) this recently:
/// the provider's sign-in stands in for the password, as a bank asks for a fresh sign-in before a payment.
const DELETE_FRESH_MINUTES: i32 = 15;

/// Why a deletion is not confirmed: a wrong password, or for an account without one, a mistyped address or a
/// sign-in older than [`DELETE_FRESH_MINUTES`]. None when it is.
async fn unconfirmed(
    state: &AppState,
    user: &crate::auth::session::User,
    session: &crate::auth::session::Session,
    form: &DeleteForm,
) -> AppResult<Option<String>> {
    let stored = store::users::password_hash(&state.db, user.id).await?;
    if password::is_set(&stored) {
        let right = password::verify(form.password.clone(), Some(stored))
            .await
            .map_err(AppError::Internal)?;
        return Ok((!right).then(|| "Your password is wrong: the account was not deleted.".into()));
    }
    if form.email.trim().to_lowercase() != user.email {
        return Ok(Some(
            "Type your account's e-mail address to confirm: the account was not deleted.".into(),
        ));
    }
    let fresh = match &session.id_hash {
        Some(id) => store::users::signed_in_within(&state.db, id, DELETE_FRESH_MINUTES).await?,
        None => false,
    };
    Ok((!fresh).then(|| {
        format!(
            "Your account has no password, so a recent sign-in confirms it is you: sign out, sign in again with \
             single sign-on, and delete the account within {DELETE_FRESH_MINUTES} minutes."
        )
    }))
}

/// POST /account/delete: with the account's password, deletes the account (its attempts are kept, anonymised,
/// for the statistics) and signs out. An account without a password (made by single sign-on) confirms with its
/// e-mail address, typed, from a session signed in within [`DELETE_FRESH_MINUTES`].
pub async fn delete_account(
    State(state): State<AppState>,
    CurrentUser(user, session): CurrentUser,
    jar: axum_extra::extract::cookie::CookieJar,
    CsrfForm(form): CsrfForm<DeleteForm>,
) -> AppResult<Response> {
    let refusal = match unconfirmed(&state, &user, &session, &form).await? {
        Some(why) => Some(why),
        None => match store::own_data::delete_account(&state.db, user.id).await? {
            store::own_data::Deletion::Deleted { attempts_kept } => {
                tracing::info!(attempts_kept, "an account was deleted");
                None
            }
            store::own_data::Deletion::LastAdmin => {
                Some("You are the last active admin: make another account an admin first.".into())
            }
            store::own_data::Deletion::NotFound => return Err(AppError::NotFound),
        },
    };
    if let Some(why) = refusal {
        let mut page = account_page(&state, &user, &session, None, None, None).await?;
        page.delete_error = Some(why);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let gone = crate::auth::session::build_cookie(
        crate::auth::session::SESSION_COOKIE,
        String::new(),
        state.config.secure_cookies,
        Some(0),
    );
    Ok((jar.remove(gone), Redirect::to("/?account=deleted")).into_response())
}
