//! Uploading a pack for one exam: the upload page, the checker's problems grouped by file, importing the valid items.

use crate::auth::session::RequireInstructor;
use crate::auth::session::Session;
use crate::auth::session::User;
use crate::bank::import::Format;
use crate::bank::model::Blueprint;
use crate::bank::upload::MAX_UPLOAD_BYTES;
use crate::bank::Problem;
use crate::error::AppError;
use crate::error::AppResult;
use crate::packs::{self, UploadOutcome};
use crate::web::Path;
use crate::web::{render, Layout};
use crate::{store, AppState};
use askama::Template;
use axum::extract::State;
use axum::extract::{Multipart, Query};
use axum::http::StatusCode;
use axum::response::Html;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The objectives of the blueprint as (id, "domain · objective") for select lists.
pub fn objective_choices(bp: &Blueprint) -> Vec<(String, String)> {
    bp.domains
        .iter()
        .flat_map(|d| {
            d.objectives
                .iter()
                .map(move |o| (o.id.clone(), format!("{} · {}", d.title, o.title)))
        })
        .collect()
}

/// Problems grouped by item (file-level problems under "the file").
pub struct ProblemGroup {
    pub item: String,
    pub problems: Vec<ProblemLine>,
}

/// One problem as a report shows it: located, with the help page about its rule.
pub struct ProblemLine {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// `/help/…#anchor`: the section about the rule (`help::problem_help`).
    pub help: String,
}

/// Groups problems by item; `format` (`Format::name`) says where the help of a reader's problem is.
pub fn group_problems(problems: &[Problem], format: &str) -> Vec<ProblemGroup> {
    let mut groups: BTreeMap<(usize, String), Vec<ProblemLine>> = BTreeMap::new();
    let mut first_line: BTreeMap<String, usize> = BTreeMap::new();
    for p in problems {
        let key = p.item.clone().unwrap_or_else(|| "the file".into());
        let line = *first_line.entry(key.clone()).or_insert(p.line);
        groups.entry((line, key)).or_default().push(ProblemLine {
            file: p.file.clone(),
            line: p.line,
            column: p.column,
            message: p.message.clone(),
            help: crate::help::problem_help(&p.message, format),
        });
    }
    groups
        .into_iter()
        .map(|((_, item), problems)| ProblemGroup { item, problems })
        .collect()
}

#[derive(Template)]
#[template(path = "instructor/upload.html")]
pub struct UploadPage {
    pub layout: Layout,
    /// The catalogue, to choose the exam the pack is for.
    pub exams: Vec<crate::store::exams::ExamRow>,
    /// The exam chosen (its code).
    pub exam: String,
    pub max_mib: usize,
    pub error: Option<String>,
    pub file_name: String,
    pub groups: Vec<ProblemGroup>,
    pub problem_count: usize,
    pub valid: usize,
    pub held: Option<Uuid>,
    pub notes: Vec<String>,
    /// The help page of the format the file was read as (after an upload).
    pub format_help: &'static str,
}

impl UploadPage {
    fn new(session: &Session) -> UploadPage {
        UploadPage {
            layout: Layout::from_session(session),
            exams: Vec::new(),
            exam: String::new(),
            max_mib: MAX_UPLOAD_BYTES / (1024 * 1024),
            error: None,
            file_name: String::new(),
            groups: Vec::new(),
            problem_count: 0,
            valid: 0,
            held: None,
            notes: Vec::new(),
            format_help: crate::help::format_help("yaml"),
        }
    }
}

/// The upload page for an exam: the one asked for, else the instructor's usual one.
pub(super) async fn upload_page_for(
    state: &AppState,
    user: &User,
    session: &Session,
    exam: Option<&str>,
) -> AppResult<UploadPage> {
    let (exam, exams) = crate::web::exams::chosen_for_staff(state, user.id, exam).await?;
    let mut page = UploadPage::new(session);
    page.exam = exam.code;
    page.exams = exams;
    Ok(page)
}

#[derive(Deserialize, Default)]
pub struct UploadQuery {
    #[serde(default)]
    exam: Option<String>,
}

pub async fn upload_page(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    Query(q): Query<UploadQuery>,
) -> AppResult<Html<String>> {
    render(&upload_page_for(&state, &user, &session, q.exam.as_deref()).await?)
}

/// POST /instructor/upload (multipart: csrf_token, format, file).
pub async fn upload(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    mut multipart: Multipart,
) -> AppResult<Response> {
    let mut csrf = String::new();
    let mut exam: Option<String> = None;
    let mut format = None;
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(format!("the upload is malformed or too large: {e}")))?
    {
        match field.name().unwrap_or("") {
            "csrf_token" => csrf = field.text().await.unwrap_or_default(),
            "exam" => exam = Some(field.text().await.unwrap_or_default()),
            "format" => {
                let f = field.text().await.unwrap_or_default();
                if !f.is_empty() && f != "auto" {
                    format =
                        Some(Format::parse(&f).ok_or_else(|| {
                            AppError::BadRequest(format!("unknown format `{f}`"))
                        })?);
                }
            }
            "file" => {
                let name = field.file_name().unwrap_or("upload").to_owned();
                let bytes = field.bytes().await.map_err(|e| {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        AppError::TooLarge(format!(
                            "{name} is larger than {} MiB: uploads take at most that; split the file",
                            MAX_UPLOAD_BYTES / (1024 * 1024)
                        ))
                    } else {
                        AppError::BadRequest(format!("the upload of {name} is malformed: {e}"))
                    }
                })?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    if session.csrf_token.is_empty() || !crate::auth::secrets_equal(&csrf, &session.csrf_token) {
        return Err(AppError::Csrf);
    }
    let page_exam = exam.as_deref().filter(|e| !e.is_empty());
    let bp = match page_exam {
        Some(code) => crate::packs::blueprint_for_exam(Some(code))?,
        // A form without the field (a page or script from before there were several exams): AI-102, the one
        // exam there was then.
        None => crate::packs::blueprint()?,
    };
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let mut page = upload_page_for(&state, &user, &session, page_exam).await?;
        page.error = Some("Choose a file to upload.".into());
        return Ok((StatusCode::BAD_REQUEST, render(&page)?).into_response());
    };
    upload_outcome(
        &state, &user, &session, bp, &name, &bytes, format, false, None,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn upload_outcome(
    state: &AppState,
    user: &User,
    session: &Session,
    bp: &'static crate::bank::model::Blueprint,
    name: &str,
    bytes: &[u8],
    format: Option<Format>,
    draft_valid: bool,
    held: Option<Uuid>,
) -> AppResult<Response> {
    let exam_code = crate::bank::exam::code_of_blueprint(&bp.id);
    match packs::upload(&state.db, user, bp, name, bytes, format, draft_valid).await {
        Ok(UploadOutcome::Imported(summary, _)) => {
            if let Some(h) = held {
                store::bank::drop_upload(&state.db, h).await?;
            }
            Ok(Redirect::to(&format!(
                "/instructor/packs/{}?added={}&changed={}&retired={}&unchanged={}&missing={}&notes={}",
                summary.pack_id,
                summary.added,
                summary.changed,
                summary.retired,
                summary.unchanged,
                summary.missing.len(),
                summary.notes.len()
            ))
            .into_response())
        }
        Ok(UploadOutcome::Refused(upload)) => {
            let valid = upload.items.len();
            let held = match held {
                Some(h) => Some(h),
                None if valid > 0 => Some(
                    store::bank::hold_upload(
                        &state.db,
                        user.id,
                        name,
                        upload.format.name(),
                        bytes,
                        &bp.id,
                    )
                    .await?,
                ),
                None => None,
            };
            let mut page = upload_page_for(state, user, session, Some(&exam_code)).await?;
            page.file_name = name.to_owned();
            page.problem_count = upload.problems.len();
            page.groups = group_problems(&upload.problems, upload.format.name());
            page.format_help = crate::help::format_help(upload.format.name());
            page.valid = valid;
            page.held = held;
            page.notes = upload.notes;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(
            e @ (AppError::BadRequest(_)
            | AppError::InvalidFields(..)
            | AppError::Conflict(_)
            | AppError::TooLarge(_)),
        ) => {
            let mut page = upload_page_for(state, user, session, Some(&exam_code)).await?;
            page.file_name = name.to_owned();
            page.error = Some(e.to_string());
            Ok((e.status(), render(&page)?).into_response())
        }
        Err(e) => Err(e),
    }
}

/// POST /instructor/uploads/{id}/import: import the valid items of a held upload as a draft.
pub async fn import_valid(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    Path(id): Path<Uuid>,
    crate::auth::session::CsrfForm(_): crate::auth::session::CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (name, format, bytes, blueprint_id) = store::bank::held_upload(&state.db, id, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    upload_outcome(
        &state,
        &user,
        &session,
        packs::blueprint_of(&blueprint_id)?,
        &name,
        &bytes,
        Format::parse(&format),
        true,
        Some(id),
    )
    .await
}
