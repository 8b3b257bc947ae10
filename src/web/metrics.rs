//! `GET /metrics` for Prometheus, and the middleware that times every request by its route template.

use super::ClientAddress;
use crate::error::AppError;
use crate::metrics::Gauges;
use crate::{store, AppState};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::IpAddr;
use std::time::Instant;

/// Times a request and records it under its matched route (`/attempts/{id}`, never the raw path, so the
/// number of series stays bounded; requests no route matched are `unmatched`).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = match *req.method() {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        _ => "other",
    };
    // A clone of the matched path shares its string; nothing is copied per request.
    let route = req.extensions().get::<MatchedPath>().cloned();
    let response = next.run(req).await;
    state.metrics.observe_request(
        method,
        route.as_ref().map_or("unmatched", MatchedPath::as_str),
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// May this request read the metrics? With `METRICS_TOKEN` and that bearer token, from anywhere;
/// otherwise only from loopback. A request that came through a proxy whose headers we do not trust is
/// not loopback, whatever its peer address says (the proxy may sit on the same host).
fn allowed(state: &AppState, client: &str, headers: &HeaderMap) -> bool {
    if let Some(expected) = state.config.metrics_token.as_deref() {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        if presented.is_some_and(|t| crate::auth::secrets_equal(t, expected)) {
            return true;
        }
    }
    let proxied = ["x-forwarded-for", "forwarded", "x-real-ip"]
        .iter()
        .any(|h| headers.contains_key(*h));
    if proxied && !state.config.trust_forwarded_for {
        return false;
    }
    client
        .parse::<IpAddr>()
        .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

/// GET /metrics: the Prometheus text format.
pub async fn metrics(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if !allowed(&state, &client, &headers) {
        return Err(AppError::Forbidden);
    }
    let size = u64::from(state.db.size());
    let idle = state.db.num_idle() as u64;
    let gauges = Gauges {
        attempts_in_progress: store::exam::attempts_in_progress(&state.db).await?,
        pool_idle: idle,
        pool_in_use: size.saturating_sub(idle),
    };
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(&gauges),
    )
        .into_response())
}
