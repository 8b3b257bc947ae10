//! The JSON API under `/api/v1`, with bearer-token auth, and its OpenAPI 3.1 document.

use crate::auth::hash_secret;
use crate::auth::session::User;
use crate::auth::Role;
use crate::error::{ApiError, ApiResult, AppError, Problem};
use crate::store::tokens::TokenInfo;
use crate::{store, AppState};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::{Json, RequestExt};
use serde::de::DeserializeOwned;
use serde::Serialize;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Response};
use utoipa::{Modify, OpenApi};
use uuid::Uuid;

/// The user behind a valid `Authorization: Bearer <token>` header.
pub struct ApiUser(pub User);

impl<S> FromRequestParts<S> for ApiUser
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(s);
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or(ApiError(AppError::Unauthenticated))?
            .to_str()
            .map_err(|_| {
                ApiError(AppError::BadRequest(
                    "the Authorization header is not text".into(),
                ))
            })?;
        let token = value
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|t| {
                t.starts_with("ai102_")
                    && t.len() == 70
                    && t[6..].chars().all(|c| c.is_ascii_hexdigit())
            })
            .ok_or(ApiError(AppError::Unauthenticated))?;
        match store::tokens::user_for_token(&state.db, &hash_secret(token)).await? {
            Some(u) => Ok(ApiUser(u)),
            None => Err(ApiError(AppError::Unauthenticated)),
        }
    }
}

/// axum's `Path`, rejecting with a problem document (axum's own rejection is plain text).
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, s).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(e) => Err(AppError::BadRequest(e.body_text()).into()),
        }
    }
}

/// axum's `Query`, rejecting with a problem document.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, s).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(e) => Err(AppError::BadRequest(e.body_text()).into()),
        }
    }
}

/// axum's `Json` body, rejecting with a problem document: 422 for JSON of the wrong shape, else 400.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request(req: Request, s: &S) -> Result<Self, Self::Rejection> {
        // The body is read here (within the route's body limit) so that its text can be checked for NUL
        // characters after it parses; `Bytes` clones share one buffer.
        let (parts, body) = req.with_limited_body().into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .map_err(|e| AppError::BadRequest(format!("the body could not be read: {e}")))?;
        let req = Request::from_parts(parts, axum::body::Body::from(bytes.clone()));
        match Json::<T>::from_request(req, s).await {
            Ok(Json(value)) => match json_nul_at(&bytes) {
                None => Ok(ApiJson(value)),
                Some(at) => Err(AppError::Unprocessable(format!(
                    "the JSON body has a NUL character (\\u0000) at byte {at}; text may not contain one"
                ))
                .into()),
            },
            Err(e @ JsonRejection::JsonDataError(_)) => {
                Err(AppError::Unprocessable(e.body_text()).into())
            }
            Err(e) => Err(AppError::BadRequest(e.body_text()).into()),
        }
    }
}

/// Where the first `\u0000` escape of a JSON text is, as a byte offset. JSON can carry a NUL character only
/// as that escape, and a backslash occurs only inside strings, so each escape is stepped over whole (an
/// escaped backslash followed by `u0000` is text, not a NUL). PostgreSQL refuses NUL in `text` and `jsonb`.
pub(crate) fn json_nul_at(json: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < json.len() {
        if json[i] != b'\\' {
            i += 1;
            continue;
        }
        if json.get(i + 1) == Some(&b'u') {
            if json.get(i + 2..i + 6) == Some(b"0000".as_slice()) {
                return Some(i);
            }
            i += 6;
        } else {
            i += 2;
        }
    }
    None
}

/// Who the token belongs to.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
}

/// The token's owner.
#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    responses((status = 200, body = Me), (status = 401, body = Problem)),
    security(("bearer" = [])))]
pub async fn me(ApiUser(u): ApiUser) -> Json<Me> {
    Json(Me {
        id: u.id,
        email: u.email,
        display_name: u.display_name,
        role: u.role,
    })
}

/// The caller's live API tokens (never the secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "account",
    responses((status = 200, body = Vec<TokenInfo>), (status = 401, body = Problem)),
    security(("bearer" = [])))]
pub async fn list_tokens(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
) -> ApiResult<Json<Vec<TokenInfo>>> {
    Ok(Json(store::tokens::list(&state.db, u.id).await?))
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// What every operation may answer besides its own responses, and the media type of errors: every
/// operation takes a bearer token (401 without a valid one) and parameters that may not parse (400), and
/// every error is an RFC 9457 problem document (`application/problem+json`, the `Problem` schema).
struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let problem = || {
            let mut r = Response::new("");
            r.content.insert(
                "application/problem+json".into(),
                Content::new(Some(Ref::from_schema_name("Problem"))),
            );
            r
        };
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                let responses = &mut op.responses.responses;
                let mut add = |status: &str, description: &str| {
                    responses.entry(status.into()).or_insert_with(|| {
                        let mut r = problem();
                        r.description = description.into();
                        RefOr::T(r)
                    });
                };
                add("400", "the path, query or body does not parse");
                if op.security.is_some() {
                    add("401", "no valid bearer token");
                }
                // Errors are problem documents: a response documented as JSON is sent as problem+json,
                // and one documented without a body gets the Problem schema.
                for (status, response) in responses.iter_mut() {
                    let RefOr::T(r) = response else { continue };
                    if r.description.is_empty() {
                        r.description = status
                            .parse::<u16>()
                            .ok()
                            .and_then(|s| StatusCode::from_u16(s).ok())
                            .and_then(|s| s.canonical_reason())
                            .unwrap_or_default()
                            .to_owned();
                    }
                    if !status.starts_with(['4', '5']) {
                        continue;
                    }
                    let content = r
                        .content
                        .shift_remove("application/json")
                        .or_else(|| r.content.shift_remove("application/problem+json"))
                        .unwrap_or_else(|| Content::new(Some(Ref::from_schema_name("Problem"))));
                    r.content.insert("application/problem+json".into(), content);
                }
            }
        }
    }
}

/// The OpenAPI document's frame: its paths come from the router (`web::router`'s `routes!`, from each handler's
/// `#[utoipa::path]`), and the modifiers run once they are in ([`publish_document`]).
#[derive(OpenApi)]
#[openapi(
    info(title = "ai102 API", description = "The AI-102 practice-exam platform's JSON API. Authenticate with a personal API token from your account page: `Authorization: Bearer ai102_…`."),
    components(schemas(Me, TokenInfo, Problem)),
    tags((name = "account", description = "Who you are and your tokens"),
        (name = "exam", description = "Mock exams: forms, attempts, answers, results"),
        (name = "study", description = "The study loop: the review deck's due count, review sessions, the plan to the exam date"),
        (name = "packs", description = "Instructors' question packs: upload, list, read, publish, delete drafts"),
        (name = "classes", description = "Classes: members, assignments, the gradebook; joining and starting assignments"))
)]
pub struct ApiDoc;

/// The document `GET /api/openapi.json` serves, serialised once: the same for every router built in this
/// process.
static DOCUMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Completes the document of the router's routes (bearer security, problem responses, OpenAPI 3.1) and keeps
/// it, serialised, for [`openapi_json`].
pub fn publish_document(mut doc: utoipa::openapi::OpenApi) {
    BearerAuth.modify(&mut doc);
    ProblemResponses.modify(&mut doc);
    doc.openapi = utoipa::openapi::OpenApiVersion::Version31;
    if let Ok(json) = serde_json::to_string(&doc) {
        let _ = DOCUMENT.set(json);
    }
}

/// `GET /api/openapi.json`: the document [`publish_document`] kept when the router was built.
pub async fn openapi_json() -> axum::response::Response {
    use axum::response::IntoResponse;
    match DOCUMENT.get() {
        Some(json) => (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            json.as_str(),
        )
            .into_response(),
        None => {
            crate::error::AppError::internal(anyhow::anyhow!("the OpenAPI document was not built"))
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::json_nul_at;

    #[test]
    fn a_nul_escape_is_found_where_it_is() {
        assert_eq!(json_nul_at(br#"{"code":"ab\u0000c"}"#), Some(11));
        assert_eq!(json_nul_at(br#"{"\u0000":1}"#), Some(2));
        assert_eq!(json_nul_at(br#"["x\"\u0000"]"#), Some(5));
    }

    #[test]
    fn other_escapes_and_escaped_backslashes_are_text() {
        assert_eq!(json_nul_at(br#"{"code":"AB-12"}"#), None);
        assert_eq!(json_nul_at(br#"{"a":"\\u0000"}"#), None);
        assert_eq!(json_nul_at(br#"{"a":"\u00001","b":"\u0001\n"}"#), Some(6));
        assert_eq!(json_nul_at(br#"{"a":"\u0001\n\t\\"}"#), None);
        assert_eq!(json_nul_at(br#"{"a":"\u000"#), None);
        assert_eq!(json_nul_at(b"\\"), None);
    }
}
