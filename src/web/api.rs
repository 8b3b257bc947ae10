//! The JSON API under `/api/v1`, with bearer-token auth, and its OpenAPI 3.1 document.

use crate::auth::hash_secret;
use crate::auth::session::User;
use crate::auth::Role;
use crate::error::{ApiError, ApiResult, AppError, Problem};
use crate::store::tokens::TokenInfo;
use crate::{store, AppState};
use axum::extract::{FromRef, FromRequestParts, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::Json;
use serde::Serialize;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
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

/// The OpenAPI document, generated from the handlers' annotations.
#[derive(OpenApi)]
#[openapi(
    info(title = "ai102 API", description = "The AI-102 practice-exam platform's JSON API. Authenticate with a personal API token from your account page: `Authorization: Bearer ai102_…`."),
    paths(me, list_tokens, super::api_exam::list_forms, super::api_exam::start, super::api_exam::get_attempt,
        super::api_exam::get_item, super::api_exam::put_answer, super::api_exam::put_mark, super::api_exam::submit,
        super::api_exam::result),
    components(schemas(Me, TokenInfo, Problem)),
    modifiers(&BearerAuth),
    tags((name = "account", description = "Who you are and your tokens"),
        (name = "exam", description = "Mock exams: forms, attempts, answers, results"))
)]
pub struct ApiDoc;

pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    let mut doc = ApiDoc::openapi();
    doc.openapi = utoipa::openapi::OpenApiVersion::Version31;
    Json(doc)
}
