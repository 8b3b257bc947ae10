//! `AppError`: every failure a handler can have, and how it becomes a response, in one place.
//! Pages get a calm HTML page; `/api` routes get an RFC 9457 problem document (see `ApiError`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde::Serialize;

/// A field-level problem the user can fix.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Not signed in: pages redirect to sign-in, the API answers 401.
    #[error("you need to sign in")]
    Unauthenticated,
    #[error("you do not have access to this page")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("the form has expired or did not come from this site; reload the page and try again")]
    Csrf,
    #[error("{0}")]
    BadRequest(String),
    /// A 400 that names the fields to fix (the API adds them to the problem document as `errors`).
    #[error("{0}")]
    InvalidFields(String, Vec<FieldError>),
    #[error("{0}")]
    Conflict(String),
    /// The request body (an upload) is larger than the route takes.
    #[error("{0}")]
    TooLarge(String),
    /// The request was understood but refused by a rule (e.g. the exam time is over).
    #[error("{0}")]
    Unprocessable(String),
    #[error("too many attempts; try again in {0} seconds")]
    RateLimited(u64),
    /// The database cannot be reached (down, restarting, or no free connection in time): a quick 503 with
    /// `Retry-After`, never a long hang.
    #[error("the service is temporarily unavailable; answers you saved are kept, so try again in a moment")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) | AppError::InvalidFields(..) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(e.into())
    }

    /// Logs server-side failures with their cause chain and returns a reference id to show the user.
    fn log(&self) -> Option<String> {
        match self {
            AppError::Internal(e) | AppError::Unavailable(e) => {
                let reference = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
                tracing::error!(reference = %reference, error = ?e, "request failed");
                Some(reference)
            }
            _ => None,
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => AppError::NotFound,
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => AppError::Unavailable(e.into()),
            sqlx::Error::Database(ref d) if d.code().is_some_and(|c| is_outage_sqlstate(&c)) => {
                AppError::Unavailable(e.into())
            }
            // A NUL character that got past the extractors: PostgreSQL refuses it in text (22021) and in
            // jsonb (22P05). The request is at fault, not the server.
            sqlx::Error::Database(ref d)
                if d.code().is_some_and(|c| c == "22021" || c == "22P05") =>
            {
                AppError::BadRequest(
                    "the request has text with a NUL character, which can't be stored; remove it"
                        .into(),
                )
            }
            other => AppError::Internal(other.into()),
        }
    }
}

/// SQLSTATEs that mean the server is going away or not taking work right now, rather than a bad query:
/// class 08 (connection exception), 53 (insufficient resources, e.g. too many connections) and 57P
/// (admin or crash shutdown, cannot connect now; what pooled connections hear when PostgreSQL restarts).
fn is_outage_sqlstate(code: &str) -> bool {
    code.starts_with("08") || code.starts_with("53") || code.starts_with("57P")
}

/// Seconds a client is asked to wait after a 503.
const RETRY_AFTER_SECONDS: &str = "5";

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(e.into())
    }
}

/// What an error page says, carried on the response for the web layer to render with the signed-in header
/// (`web::error_page`): this module knows nothing of pages, so the import graph has no circle through it.
#[derive(Debug, Clone)]
pub struct ErrorPageParts {
    pub title: String,
    pub message: String,
    /// The log's reference id, for a 5xx.
    pub reference: Option<String>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if matches!(self, AppError::Unauthenticated) {
            return Redirect::to("/signin").into_response();
        }
        let reference = self.log();
        let status = self.status();
        let parts = ErrorPageParts {
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            message: self.to_string(),
            reference,
        };
        // Plain text until the web layer renders the page (it always does for the app's routes).
        let mut resp = (status, self.to_string()).into_response();
        resp.extensions_mut().insert(parts);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
        }
        resp
    }
}

/// The JSON twin of `AppError` for `/api` routes: an RFC 9457 problem document.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// An extension member (RFC 9457 §3.2): the request's fields that are wrong, each with what to fix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let reference = self.0.log();
        let status = self.0.status();
        let body = Problem {
            kind: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.0.to_string(),
            reference,
            errors: match &self.0 {
                AppError::InvalidFields(_, fields) => Some(fields.clone()),
                _ => None,
            },
        };
        let mut resp = (status, Json(body)).into_response();
        resp.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
        }
        resp
    }
}

pub type AppResult<T> = Result<T, AppError>;
pub type ApiResult<T> = Result<T, ApiError>;

impl AppError {
    /// A 400 naming one field of the request.
    pub fn field(field: &str, message: impl Into<String>) -> AppError {
        let message = message.into();
        AppError::InvalidFields(
            message.clone(),
            vec![FieldError {
                field: field.to_owned(),
                message,
            }],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_that_is_down_or_restarting_is_unavailable_not_a_bug() {
        for code in ["08006", "08001", "57P01", "57P02", "57P03", "53300"] {
            assert!(is_outage_sqlstate(code), "{code}");
        }
        for code in ["23505", "42P01", "40001", "22P02", "57014"] {
            assert!(!is_outage_sqlstate(code), "{code}");
        }
        assert!(matches!(
            AppError::from(sqlx::Error::PoolTimedOut),
            AppError::Unavailable(_)
        ));
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(matches!(
            AppError::from(sqlx::Error::Io(refused)),
            AppError::Unavailable(_)
        ));
    }

    #[test]
    fn an_unavailable_page_is_a_503_that_asks_to_retry() {
        let resp = AppError::Unavailable(anyhow::anyhow!("down")).into_response();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(resp.headers()[axum::http::header::RETRY_AFTER], "5");
        let resp = ApiError(AppError::Unavailable(anyhow::anyhow!("down"))).into_response();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(resp.headers()[axum::http::header::RETRY_AFTER], "5");
    }
}
