//! The web edge: every route of the service, listed in one place, and the layers around them.

pub mod account;
pub mod admin;
pub mod analytics;
pub mod api;
pub mod api_classes;
pub mod api_exam;
pub mod api_packs;
pub mod api_study;
pub mod assets;
pub mod auth;
pub mod classes;
pub mod email;
pub mod error_page;
pub mod exam;
pub mod exams;
pub mod health;
pub mod help;
pub mod home;
pub mod instructor;
pub mod markdown;
pub mod metrics;
pub mod practice;
pub mod reports;
pub mod sso;
pub mod study;
pub mod views;

use crate::auth::session::{load_session, Session, User};
use crate::error::AppResult;
use crate::AppState;
use askama::Template;
use axum::http::{header, HeaderValue};
use axum::response::Html;
use axum::routing::{get, post};
use axum::Router;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Default request body limit; routes that take uploads set their own.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Body limit of the upload route: the largest file plus room for the form's other fields.
pub const UPLOAD_BODY_LIMIT: usize = crate::bank::upload::MAX_UPLOAD_BYTES + 64 * 1024;

/// Content-Security-Policy for every page: scripts and styles only from this origin, never inline.
pub const CSP: &str =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// Every route of the service.
pub fn router(state: AppState) -> Router {
    let pages = Router::new()
        .route("/", get(home::home))
        .route("/help", get(help::index))
        .route("/help/{name}", get(help::page))
        .route("/signup", get(auth::signup_page).post(auth::signup))
        .route("/signin", get(auth::signin_page).post(auth::signin))
        .route(
            "/account/reset",
            get(email::reset_request_page).post(email::reset_request),
        )
        .route(
            "/account/reset/{token}",
            get(email::reset_page).post(email::reset),
        )
        .route(
            "/verify/{token}",
            get(email::verify_page).post(email::verify),
        )
        .route("/verify/resend", post(email::resend_verification))
        .route(
            "/account/verify",
            get(email::verify_sent).post(email::resend_own_verification),
        )
        .route("/account/email", post(email::change_email))
        .route(
            "/account/email/{token}",
            get(email::confirm_email_page).post(email::confirm_email),
        )
        .route("/account/mail", post(email::set_preferences))
        .route("/auth/sso/{slug}", get(sso::begin))
        .route("/auth/sso/{slug}/callback", get(sso::callback))
        .route("/signout", post(auth::signout))
        .route("/account", get(account::overview))
        .route(
            "/account/password",
            get(account::password_page).post(account::change_password),
        )
        .route("/account/target-exam", post(account::set_target_exam))
        .route("/account/time-zone", post(account::set_time_zone))
        .route("/account/data", get(account::download_data))
        .route("/account/delete", post(account::delete_account))
        .route("/account/tokens", post(account::create_token))
        .route("/account/tokens/{id}/revoke", post(account::revoke_token))
        .route("/admin", get(admin::index))
        .route("/admin/users", get(admin::users))
        .route("/admin/users/{id}", get(admin::user))
        .route("/admin/users/{id}/role", post(admin::change_role))
        .route("/admin/users/{id}/disable", post(admin::disable))
        .route("/admin/users/{id}/enable", post(admin::enable))
        .route("/admin/users/{id}/password", post(admin::reset_password))
        .route("/admin/users/{id}/extra-time", post(admin::set_extra_time))
        .route("/admin/audit", get(admin::audit))
        .route("/admin/settings/publishing", post(admin::set_publishing))
        .route("/admin/settings/retention", post(admin::set_retention))
        .route("/admin/settings/mail", post(admin::set_mail))
        .route("/admin/outbox", get(admin::outbox))
        .route("/admin/sso", get(sso::admin_page).post(sso::save))
        .route("/admin/sso/{id}/delete", post(sso::delete))
        .route("/admin/outbox/{id}/retry", post(admin::retry_mail))
        .route("/admin/analytics", get(analytics::admin))
        .route("/instructor/analytics", get(analytics::instructor))
        .route("/progress", get(analytics::progress))
        .route("/progress/plan", post(study::set_plan))
        .route("/progress/plan.ics", get(study::plan_ics))
        .route("/progress/objectives/{id}", get(study::objective))
        .route("/instructor", get(instructor::index))
        .route(
            "/instructor/classes",
            get(classes::index).post(classes::create),
        )
        .route("/instructor/classes/{id}", get(classes::show))
        .route("/instructor/classes/{id}/settings", post(classes::settings))
        .route(
            "/instructor/classes/{id}/join-code",
            post(classes::regenerate_code),
        )
        .route(
            "/instructor/classes/{id}/members",
            post(classes::add_members),
        )
        .route(
            "/instructor/classes/{id}/members/{user_id}",
            get(analytics::member),
        )
        .route(
            "/instructor/classes/{id}/members/{user_id}/remove",
            post(classes::remove_member),
        )
        .route(
            "/instructor/classes/{id}/instructors",
            post(classes::add_instructor),
        )
        .route(
            "/instructor/classes/{id}/instructors/{user_id}/remove",
            post(classes::remove_instructor),
        )
        .route("/instructor/classes/{id}/archive", post(classes::archive))
        .route("/instructor/classes/{id}/delete", post(classes::delete))
        .route(
            "/instructor/classes/{id}/assignments",
            post(classes::assign),
        )
        .route(
            "/instructor/classes/{id}/assignments/{assignment_id}",
            post(classes::update_assignment),
        )
        .route(
            "/instructor/classes/{id}/assignments/{assignment_id}/overrides",
            post(classes::set_override),
        )
        .route(
            "/instructor/classes/{id}/assignments/{assignment_id}/attempts",
            get(analytics::assignment_attempts),
        )
        .route(
            "/instructor/classes/{id}/gradebook",
            get(analytics::gradebook),
        )
        .route(
            "/instructor/classes/{id}/attempts/{attempt_id}",
            get(analytics::review),
        )
        .route("/join/{code}", get(classes::join_page).post(classes::join))
        .route("/classes/{id}/leave", post(classes::leave))
        .route("/assignments/{id}/start", post(classes::start))
        .route("/admin/forms", get(admin::forms))
        .route(
            "/admin/forms/{id}/visibility",
            post(admin::set_form_visibility),
        )
        .route(
            "/admin/forms/{id}/request",
            post(admin::answer_form_request),
        )
        .route("/instructor/reports", get(reports::queue))
        .route("/instructor/reports/{id}/fix", post(reports::fix))
        .route("/instructor/reports/{id}/reject", post(reports::reject))
        .route("/instructor/upload", get(instructor::upload_page))
        .route("/instructor/forms/new", get(instructor::form_new))
        .route("/instructor/forms", post(instructor::form_create))
        .route(
            "/instructor/uploads/{id}/import",
            post(instructor::import_valid),
        )
        .route(
            "/instructor/packs/delete",
            get(instructor::delete_confirm).post(instructor::delete),
        )
        .route("/instructor/packs/{id}", get(instructor::pack))
        .route("/instructor/packs/{id}/assign", post(instructor::assign))
        .route("/instructor/packs/{id}/export", get(instructor::export))
        .route(
            "/instructor/packs/{id}/status",
            post(instructor::set_status),
        )
        .route(
            "/instructor/packs/{id}/items/{key}",
            get(instructor::preview),
        )
        .route(
            "/instructor/packs/{id}/items/{key}/edit",
            get(instructor::edit_page).post(instructor::edit),
        )
        .route(
            "/instructor/packs/{id}/items/{key}/trial",
            post(instructor::set_trial),
        )
        .route("/exams", get(exam::forms))
        .route("/exams/{slug}/start", post(exam::start))
        .route("/attempts", get(exam::history))
        .route("/practice", get(practice::page))
        .route("/practice/start", post(practice::start))
        .route(
            "/attempts/{id}/items/{position}/report",
            post(practice::report),
        )
        .route(
            "/attempts/{id}/items/{position}",
            get(exam::item).post(exam::save),
        )
        .route("/attempts/{id}/review", get(exam::review))
        .route("/attempts/{id}/end", get(exam::end_confirm))
        .route("/attempts/{id}/submit", post(exam::submit))
        .route("/attempts/{id}/result", get(exam::result));

    // Each API route is declared once, by its handler's `#[utoipa::path]`: `routes!` puts it in the router
    // and in the OpenAPI document alike (handlers of one path go in one `routes!`).
    let (api, api_doc) = OpenApiRouter::with_openapi(api::ApiDoc::openapi())
        .routes(routes!(api::me))
        .routes(routes!(api::list_tokens))
        .routes(routes!(api_exam::list_exams))
        .routes(routes!(api_exam::list_forms))
        .routes(routes!(api_exam::start))
        .routes(routes!(api_exam::get_attempt))
        .routes(routes!(api_exam::get_item))
        .routes(routes!(api_exam::put_answer))
        .routes(routes!(api_exam::put_mark))
        .routes(routes!(api_exam::submit))
        .routes(routes!(api_exam::result))
        .routes(routes!(api_study::due))
        .routes(routes!(api_study::start_session))
        .routes(routes!(api_study::plan, api_study::set_plan))
        .routes(routes!(api_packs::get, api_packs::delete))
        .routes(routes!(api_packs::set_status))
        .routes(routes!(api_packs::export))
        .routes(routes!(api_classes::list, api_classes::create))
        .routes(routes!(api_classes::get))
        .routes(routes!(api_classes::add_members))
        .routes(routes!(api_classes::remove_member))
        .routes(routes!(api_classes::assign))
        .routes(routes!(api_classes::gradebook))
        .routes(routes!(api_classes::join))
        .routes(routes!(api_classes::assignments))
        .routes(routes!(api_classes::start))
        .split_for_parts();
    let api = api.route("/api/openapi.json", get(api::openapi_json));

    // Uploads take larger bodies than every other route.
    let uploads = Router::new()
        .route("/instructor/upload", post(instructor::upload))
        .layer(axum::extract::DefaultBodyLimit::max(UPLOAD_BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(UPLOAD_BODY_LIMIT))
        .layer(axum::middleware::map_response(upload_too_large));
    // The API's upload takes the file as the body; the extractor enforces the limit and answers a
    // problem document (the limit layer's 413 would be plain text).
    let (api_uploads, api_uploads_doc) = OpenApiRouter::new()
        .routes(routes!(api_packs::list, api_packs::upload))
        .split_for_parts();
    let api_uploads = api_uploads.layer(axum::extract::DefaultBodyLimit::max(UPLOAD_BODY_LIMIT));
    api::publish_document(api_doc.merge_from(api_uploads_doc));

    let app = Router::new()
        .merge(pages.layer(RequestBodyLimitLayer::new(BODY_LIMIT)))
        .merge(api.layer(RequestBodyLimitLayer::new(BODY_LIMIT)))
        .merge(uploads)
        .merge(api_uploads)
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::metrics))
        .fallback(home::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            load_session,
        ))
        // Outside the session layer: error pages get the header of whoever is signed in.
        .layer(axum::middleware::map_response(error_page::render));
    let app = security_headers(app)
        // Outermost but one: times everything below, including the session lookup.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(record_response),
        )
        .with_state(state);
    // Static files are the same for everybody and served from memory: only the security headers wrap them (no
    // session, no request span or metrics, no error page), so a page's stylesheet and scripts cost next to nothing.
    app.merge(security_headers(
        Router::new().route("/static/{name}", get(assets::serve)),
    ))
}

/// The headers every response carries: the content security policy (unless the handler set its own), no MIME
/// sniffing, same-origin referrers, no framing.
fn security_headers<S: Clone + Send + Sync + 'static>(r: Router<S>) -> Router<S> {
    r.layer(SetResponseHeaderLayer::if_not_present(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    ))
    .layer(SetResponseHeaderLayer::overriding(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ))
    .layer(SetResponseHeaderLayer::overriding(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    ))
    .layer(SetResponseHeaderLayer::overriding(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("DENY"),
    ))
}

/// The span every request runs in, at INFO: its method and route template, and (recorded as they become known)
/// the signed-in user's id (`auth::session::load_session`), the status and the latency. Events logged while
/// handling the request, a 5xx's "request failed" among them, carry these fields. Never a secret: no query
/// string, no header, no cookie.
fn request_span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str())
        .unwrap_or("unmatched");
    tracing::info_span!(
        "request",
        method = %req.method(),
        route,
        user = tracing::field::Empty,
        status = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
    )
}

/// Records the status and latency on the request's span, and says so at DEBUG.
fn record_response(
    resp: &axum::http::Response<axum::body::Body>,
    latency: std::time::Duration,
    span: &tracing::Span,
) {
    span.record("status", resp.status().as_u16());
    span.record("latency_ms", latency.as_secs_f64() * 1000.0);
    tracing::debug!(status = resp.status().as_u16(), "request finished");
}

/// The body-limit layer refuses an upload larger than [`UPLOAD_BODY_LIMIT`] from its `Content-Length`, unread,
/// with a bare 413: say in a page what the limit is (the file's name is in the unread body).
async fn upload_too_large(response: axum::response::Response) -> axum::response::Response {
    use axum::response::IntoResponse;
    let is_page = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if response.status() != axum::http::StatusCode::PAYLOAD_TOO_LARGE || is_page {
        return response;
    }
    let mib = crate::bank::upload::MAX_UPLOAD_BYTES / (1024 * 1024);
    crate::error::AppError::TooLarge(format!(
        "The file is larger than {mib} MiB: uploads take at most {mib} MiB; split the file."
    ))
    .into_response()
}

/// What the base layout needs on every page: who is signed in and the CSRF token for its forms.
#[derive(Debug, Clone)]
pub struct Layout {
    pub user: Option<User>,
    pub csrf: String,
}

impl Layout {
    pub fn from_session(s: &Session) -> Layout {
        Layout {
            user: s.user.clone(),
            csrf: s.csrf_token.clone(),
        }
    }

    pub fn is_instructor(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| u.role >= crate::auth::Role::Instructor)
    }

    pub fn is_admin(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| u.role == crate::auth::Role::Admin)
    }
}

/// The first of these decoded pairs whose name or value has a NUL character.
pub fn nul_pair(pairs: &[(String, String)]) -> Option<String> {
    pairs
        .iter()
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        .map(|(k, _)| k.replace('\0', "\\0"))
}

/// Renders a template into an HTML response.
pub fn render(t: &impl Template) -> AppResult<Html<String>> {
    Ok(Html(t.render()?))
}

/// The client's address: the peer, or with `TRUST_FORWARDED_FOR` the last X-Forwarded-For entry (the one
/// our own proxy added). "unknown" when neither is known.
#[derive(Debug, Clone)]
pub struct ClientAddress(pub String);

impl axum::extract::FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if state.config.trust_forwarded_for {
            if let Some(last) = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
            {
                return Ok(ClientAddress(last.trim().to_owned()));
            }
        }
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        Ok(ClientAddress(peer))
    }
}

/// Path parameters of a page. A parameter that does not parse (`/attempts/not-a-uuid/review`) names no page,
/// so it is the site's 404 page rather than the framework's plain-text 400.
#[derive(Debug, Clone)]
pub struct Path<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for Path<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = crate::error::AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(t)| Path(t))
            .map_err(|_| crate::error::AppError::NotFound)
    }
}
