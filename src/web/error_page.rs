//! Error pages in the site's layout, with the signed-in header: a response that carries
//! `error::ErrorPageParts` is rendered here, outside the session layer, from the session it left on the response.

use super::Layout;
use crate::auth::session::Session;
use crate::error::ErrorPageParts;
use askama::Template;
use axum::body::Body;
use axum::http::{header, HeaderValue};
use axum::response::Response;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
    reference: Option<&'a str>,
    layout: Layout,
}

/// Middleware (`map_response`): turns an `AppError`'s response into the error page; other responses pass.
pub async fn render(resp: Response) -> Response {
    let Some(parts) = resp.extensions().get::<ErrorPageParts>().cloned() else {
        return resp;
    };
    let layout = match resp.extensions().get::<std::sync::Arc<Session>>() {
        Some(s) => Layout::from_session(s),
        None => Layout {
            user: None,
            csrf: String::new(),
        },
    };
    let page = ErrorPage {
        title: &parts.title,
        message: &parts.message,
        reference: parts.reference.as_deref(),
        layout,
    };
    let Ok(html) = page.render() else {
        return resp;
    };
    let (mut head, _) = resp.into_parts();
    head.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    head.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(head, Body::from(html))
}
