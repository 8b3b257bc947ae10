//! The help pages: `/help` lists the documents, `/help/{name}` shows one (rendered from the Markdown compiled into
//! the binary, with anchors and a table of contents), `/help/question-format.schema.json` the pack schema.

use super::{render, Layout, Path};
use crate::auth::session::Session;
use crate::error::{AppError, AppResult};
use crate::help::{self, Audience, Doc};
use askama::Template;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};

#[derive(Template)]
#[template(path = "help/index.html")]
pub struct HelpIndex {
    pub layout: Layout,
    pub everyone: Vec<&'static Doc>,
    pub instructors: Vec<&'static Doc>,
}

/// GET /help: every help document, for candidates first, then for instructors.
pub async fn index(session: Session) -> AppResult<Html<String>> {
    let of = |a: Audience| help::DOCS.iter().filter(|d| d.audience == a).collect();
    render(&HelpIndex {
        layout: Layout::from_session(&session),
        everyone: of(Audience::Everyone),
        instructors: of(Audience::Instructors),
    })
}

#[derive(Template)]
#[template(path = "help/page.html")]
pub struct HelpPage {
    pub layout: Layout,
    pub name: &'static str,
    pub title: String,
    pub html: String,
    /// (level, anchor, text) of the second- and third-level headings.
    pub toc: Vec<(u8, String, String)>,
}

/// GET /help/{name}: one document, or the pack format's JSON Schema.
pub async fn page(session: Session, Path(name): Path<String>) -> AppResult<Response> {
    if name == help::SCHEMA_NAME {
        return Ok((
            [(header::CONTENT_TYPE, "application/schema+json")],
            help::SCHEMA_JSON,
        )
            .into_response());
    }
    let doc = help::doc(&name).ok_or(AppError::NotFound)?;
    let rendered = super::markdown::help(doc.markdown, help::resolve_link);
    Ok(render(&HelpPage {
        layout: Layout::from_session(&session),
        name: doc.name,
        title: if rendered.title.is_empty() {
            doc.title.to_owned()
        } else {
            rendered.title
        },
        html: rendered.html,
        toc: rendered.toc,
    })?
    .into_response())
}
