//! Question packs over the JSON API, for instructors' scripts: upload a file, list and read packs, publish.
//! Thin handlers over `packs` (the same rules as the upload page and the pack page).

use super::api::{ApiPath, ApiQuery, ApiUser};
use crate::auth::session::User;
use crate::auth::Role;
use crate::bank::import::Format;
use crate::bank::upload::MAX_UPLOAD_BYTES;
use crate::error::{ApiError, ApiResult, AppError, Problem};
use crate::packs::{self, UploadOutcome};
use crate::store::bank::{PackRow, PackStatus};
use crate::{store, AppState};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A pack of the bank.
#[derive(Serialize, ToSchema)]
pub struct PackInfo {
    pub id: Uuid,
    /// The pack's own id (`pack.id` in the file).
    pub key: String,
    pub title: String,
    pub version: i32,
    pub status: PackStatus,
    /// Live entries (questions and case studies).
    pub items: i64,
    pub questions: i64,
    /// After publishing, where explanations are only recommended: how many items candidates will see with the
    /// key only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

impl From<PackRow> for PackInfo {
    fn from(p: PackRow) -> Self {
        PackInfo {
            id: p.id,
            key: p.pack_key,
            title: p.title,
            version: p.version,
            status: p.status,
            items: p.items,
            questions: p.questions,
            warning: None,
        }
    }
}

/// One problem of a file or pack, located.
#[derive(Serialize, ToSchema)]
pub struct ProblemInfo {
    pub file: String,
    /// 1-based.
    pub line: usize,
    /// 1-based.
    pub column: usize,
    /// The item (or case-study question) it is in, when it has one.
    pub item: Option<String>,
    pub message: String,
}

impl From<crate::bank::Problem> for ProblemInfo {
    fn from(p: crate::bank::Problem) -> Self {
        ProblemInfo {
            file: p.file,
            line: p.line,
            column: p.column,
            item: p.item,
            message: p.message,
        }
    }
}

/// A pack and what must be fixed before it can be published.
#[derive(Serialize, ToSchema)]
pub struct PackDetail {
    pub pack: PackInfo,
    /// Every item passes the publishing rules.
    pub ready: bool,
    /// Where explanations are only recommended (the site's setting): how many items have none, said as the
    /// warning publishing gives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    /// The questions without an explanation or reference ("needs an explanation").
    pub without_explanation: Vec<String>,
    pub problems: Vec<ProblemInfo>,
}

/// What an upload imported.
#[derive(Serialize, ToSchema)]
pub struct UploadResult {
    pub pack: PackInfo,
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub retired: usize,
    /// Items of the pack that a file of another tool's format no longer holds: kept as they were, listed.
    pub missing: Vec<String>,
    /// What the importer read but could not keep, each located (file, line, item).
    pub notes: Vec<String>,
    /// The problems of the items left out (with `draft_valid=true`); empty for a clean file.
    pub left_out: Vec<ProblemInfo>,
}

/// A refusal with located problems: an RFC 9457 problem document with the problems as an extension.
#[derive(Serialize, ToSchema)]
pub struct PackProblems {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub problems: Vec<ProblemInfo>,
    /// For an upload: how many items were valid (send it again with `draft_valid=true` to import them
    /// as a draft).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_items: Option<usize>,
    /// For an upload: how the file was read (e.g. its encoding).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl IntoResponse for PackProblems {
    fn into_response(self) -> Response {
        let mut resp = (StatusCode::UNPROCESSABLE_ENTITY, Json(self)).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        resp
    }
}

fn refused(detail: String, problems: Vec<crate::bank::Problem>) -> PackProblems {
    PackProblems {
        kind: "about:blank".into(),
        title: "Unprocessable Entity".into(),
        status: 422,
        detail,
        problems: problems.into_iter().map(Into::into).collect(),
        valid_items: None,
        notes: Vec::new(),
    }
}

/// The token's owner, when an instructor or admin; candidates get 403.
fn instructor(user: User) -> Result<User, ApiError> {
    if user.role >= Role::Instructor {
        Ok(user)
    } else {
        Err(AppError::Forbidden.into())
    }
}

async fn pack_info(state: &AppState, id: Uuid) -> Result<PackInfo, AppError> {
    Ok(store::bank::pack_row(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?
        .into())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// auto (from the name and content), yaml, json, gift, moodle-xml, aiken, csv, qti or zip.
    #[serde(default)]
    #[param(default = "auto")]
    pub format: Option<String>,
    /// The file's name: its extension tells the format when `format` is auto, and it names the pack when
    /// the file does not (default `upload`).
    #[serde(default)]
    #[param(max_length = 255)]
    pub name: Option<String>,
    /// Import the valid items of a file with problems as a draft (the problems of the others are returned).
    #[serde(default)]
    pub draft_valid: bool,
    /// The exam the pack is for, by its code (`AI-103`); required. `GET /api/v1/exams` lists them.
    #[serde(default)]
    pub exam: Option<String>,
}

/// The request body as bytes; a body over the upload limit is a 413 problem document.
pub struct UploadBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for UploadBody {
    type Rejection = ApiError;
    async fn from_request(req: Request, s: &S) -> Result<Self, Self::Rejection> {
        Bytes::from_request(req, s)
            .await
            .map(UploadBody)
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::TooLarge(format!(
                        "uploads take at most {} MiB",
                        MAX_UPLOAD_BYTES / (1024 * 1024)
                    ))
                    .into()
                } else {
                    AppError::BadRequest(e.body_text()).into()
                }
            })
    }
}

/// Uploads a pack file (the request body is the file itself). It is checked whole: a file with any
/// problem imports nothing and is answered 422 with every problem located, unless `draft_valid=true`,
/// which imports its valid items as a draft. Files of other formats import as drafts until their items are
/// placed in the blueprint; a clean file of our format keeps the pack's status.
#[utoipa::path(post, path = "/api/v1/packs", tag = "packs", operation_id = "upload_pack", params(UploadQuery),
    request_body(content = String, content_type = "application/octet-stream",
        description = "the file: our YAML or JSON, GIFT, Moodle XML, Aiken, CSV, QTI, or a zip of them"),
    responses((status = 201, body = UploadResult, description = "imported; Location names the pack"),
        (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem, description = "the pack id belongs to another instructor's pack"),
        (status = 413, body = Problem),
        (status = 422, body = PackProblems, description = "nothing was imported")),
    security(("bearer" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<UploadQuery>,
    UploadBody(bytes): UploadBody,
) -> ApiResult<Response> {
    let user = instructor(user)?;
    let bp = crate::packs::blueprint_for_exam(q.exam.as_deref())?;
    let format = match q
        .format
        .as_deref()
        .map(|f| f.trim().to_ascii_lowercase().replace('_', "-"))
        .as_deref()
    {
        None | Some("" | "auto" | "zip") => None,
        Some(f) => Some(Format::parse(f).ok_or_else(|| {
            AppError::field(
                "format",
                format!(
                    "unknown format `{f}`: use auto, yaml, json, gift, moodle-xml, aiken, csv, qti or zip"
                ),
            )
        })?),
    };
    let name = q.name.as_deref().map(str::trim).unwrap_or("upload");
    if name.is_empty() || name.chars().count() > 255 {
        return Err(AppError::field("name", "the name must have 1 to 255 characters").into());
    }
    if bytes.is_empty() {
        return Err(AppError::field("body", "the request body (the file) is empty").into());
    }
    match packs::upload(&state.db, &user, bp, name, &bytes, format, q.draft_valid).await? {
        UploadOutcome::Imported(summary, left_out) => {
            let body = UploadResult {
                pack: pack_info(&state, summary.pack_id).await?,
                added: summary.added,
                changed: summary.changed,
                unchanged: summary.unchanged,
                retired: summary.retired,
                missing: summary.missing,
                notes: summary.notes,
                left_out: left_out.into_iter().map(Into::into).collect(),
            };
            let location = format!("/api/v1/packs/{}", summary.pack_id);
            Ok((
                StatusCode::CREATED,
                [(header::LOCATION, location)],
                Json(body),
            )
                .into_response())
        }
        UploadOutcome::Refused(upload) => {
            let valid = upload.items.len();
            let mut body = refused(
                format!(
                    "{name} ({}): {} problem(s); nothing was imported",
                    upload.format.name(),
                    upload.problems.len()
                ),
                upload.problems,
            );
            body.valid_items = Some(valid);
            body.notes = upload.notes;
            Ok(body.into_response())
        }
    }
}

/// A pack as the list gives it: with its exam, owner, last change and counts.
#[derive(Serialize, ToSchema)]
pub struct PackListItem {
    #[serde(flatten)]
    pub pack: PackInfo,
    /// The exam's code (`AI-103`), when the catalogue has the pack's blueprint.
    pub exam: Option<String>,
    /// Imported from the command line without an owner: only admins may change it.
    pub site: bool,
    /// When the pack last changed (an import, an edit, a status change).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: time::OffsetDateTime,
    /// Problems to fix before it can be published.
    pub problems: usize,
    /// Uses of retired or renamed names in its items (the currency check: they do not block publishing).
    pub warnings: usize,
    /// Candidates' open problem reports on its items.
    pub open_reports: i64,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Part of the title or pack id, any case.
    #[serde(default)]
    pub q: String,
    /// draft, published or archived.
    #[serde(default)]
    pub status: String,
    /// `mine`, or (admins) `site` for the packs without an owner; default: every pack the caller may change.
    #[serde(default)]
    pub owner: String,
    /// An exam's code (`AI-103`).
    #[serde(default)]
    pub exam: String,
    /// `changed` (last changed first, the default), `changed-oldest` or `title`.
    #[serde(default)]
    pub sort: String,
    /// The page, from 1; 50 packs a page.
    #[serde(default)]
    #[param(value_type = Option<u32>, minimum = 1)]
    pub page: Option<String>,
}

/// The packs the caller may change (an instructor's own, every pack for an admin), 50 a page, searched,
/// filtered and sorted as the instructor's page does. `X-Total-Count` says how many match; `Link` names the
/// `next` and `prev` pages.
#[utoipa::path(get, path = "/api/v1/packs", tag = "packs", operation_id = "list_packs", params(ListQuery),
    responses((status = 200, body = Vec<PackListItem>,
            headers(("X-Total-Count" = i64, description = "packs matching in all"),
                ("Link" = String, description = "RFC 8288 links to the `next` and `prev` pages, when there are"))),
        (status = 400, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Response> {
    use super::admin::{page_number, Pager, PAGE_SIZE};
    let user = instructor(user)?;
    let page_query = super::instructor::PackListQuery {
        q: q.q.clone(),
        status: q.status.clone(),
        owner: q.owner.clone(),
        exam: q.exam.clone(),
        sort: q.sort.clone(),
        ..Default::default()
    };
    let mut filter = page_query.filter()?;
    // The API lists what the caller may change: an instructor's own packs.
    if user.role != Role::Admin {
        if filter.owner == crate::store::packs::OwnerFilter::Site {
            return Err(AppError::BadRequest(
                "`owner=site`: only admins may change site packs".into(),
            )
            .into());
        }
        filter.owner = crate::store::packs::OwnerFilter::Mine;
    }
    let page = page_number(q.page.as_deref());
    let (rows, total) = store::packs::search(
        &state.db,
        packs::viewer(&user),
        &filter,
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    .await?;
    let required = store::settings::explanations_required(&state.db).await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let policy = packs::ExplanationPolicy::of(r.site, required);
        let counts = packs::problem_count(&state.db, r.id, r.updated_at, policy).await?;
        items.push(PackListItem {
            problems: counts.problems,
            warnings: counts.warnings,
            exam: r.exam_code,
            site: r.site,
            updated_at: r.updated_at,
            open_reports: r.open_reports,
            pack: PackInfo {
                id: r.id,
                key: r.pack_key,
                title: r.title,
                version: r.version,
                status: r.status,
                items: r.items,
                questions: r.questions,
                warning: None,
            },
        });
    }
    let pager = Pager::new(
        "/api/v1/packs",
        &[
            ("q", filter.text.as_str()),
            ("status", q.status.trim()),
            ("owner", q.owner.trim()),
            ("exam", q.exam.trim()),
            ("sort", q.sort.trim()),
        ],
        page,
        total,
    );
    let links: Vec<String> = [(pager.next, "next"), (pager.prev, "prev")]
        .into_iter()
        .filter_map(|(href, rel)| href.map(|h| format!("<{h}>; rel=\"{rel}\"")))
        .collect();
    let mut response = Json(items).into_response();
    let headers = response.headers_mut();
    headers.insert(
        "x-total-count",
        HeaderValue::from_str(&total.to_string()).map_err(AppError::internal)?,
    );
    if !links.is_empty() {
        headers.insert(
            header::LINK,
            HeaderValue::from_str(&links.join(", ")).map_err(AppError::internal)?,
        );
    }
    Ok(response)
}

/// Deletes a draft pack that no attempt used, with its items, revisions and versions (one transaction,
/// audited). A pack an attempt used, or one that is not a draft, is refused with 409 and the reason: it can
/// be archived instead (`PUT /api/v1/packs/{id}/status`), which keeps its revisions and the results.
#[utoipa::path(delete, path = "/api/v1/packs/{id}", tag = "packs", operation_id = "delete_pack", params(("id" = Uuid, Path)),
    responses((status = 204, description = "deleted"), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, body = Problem, description = "not deleted: the reason (used by an attempt, or not a draft)")),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    let user = instructor(user)?;
    match packs::delete_drafts(&state.db, &user, &[id]).await? {
        Ok(_) => Ok(StatusCode::NO_CONTENT),
        Err(reason) => Err(AppError::Conflict(reason).into()),
    }
}

/// A pack and its publishing problems (another instructor's pack is not found).
#[utoipa::path(get, path = "/api/v1/packs/{id}", tag = "packs", operation_id = "get_pack", params(("id" = Uuid, Path)),
    responses((status = 200, body = PackDetail), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<PackDetail>> {
    let user = instructor(user)?;
    let (access, pack, _) = packs::writable_pack(&state.db, &user, id).await?;
    let policy = packs::ExplanationPolicy::for_owner(&state.db, access.owner_id).await?;
    let (_, check) = packs::check_for_publishing(pack, policy).await?;
    Ok(Json(PackDetail {
        pack: pack_info(&state, id).await?,
        ready: check.problems.is_empty(),
        warning: check.warning(),
        without_explanation: check.without_explanation,
        problems: check.problems.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct StatusBody {
    pub status: PackStatus,
}

/// Publishes, unpublishes (draft) or archives a pack. Publishing needs every item to pass the publishing
/// rules: otherwise 422 with the problems, and the status is unchanged.
#[utoipa::path(put, path = "/api/v1/packs/{id}/status", tag = "packs", operation_id = "set_pack_status", params(("id" = Uuid, Path)),
    request_body = StatusBody,
    responses((status = 200, body = PackInfo), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = PackProblems, description = "not published: the problems to fix first")),
    security(("bearer" = [])))]
pub async fn set_status(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    body: Bytes,
) -> ApiResult<Response> {
    let user = instructor(user)?;
    // Whose pack it is comes first: another instructor's pack is 404 whatever the body holds.
    packs::writable_access(&state.db, &user, id).await?;
    let body: StatusBody = serde_json::from_slice(&body).map_err(|e| {
        AppError::Unprocessable(format!(
            "the body must be {{\"status\": \"draft\" | \"published\" | \"archived\"}}: {e}"
        ))
    })?;
    match packs::set_status(&state.db, &user, id, body.status).await? {
        Ok(warning) => {
            let mut info = pack_info(&state, id).await?;
            info.warning = warning;
            Ok(Json(info).into_response())
        }
        Err(problems) => {
            let n = problems.len();
            Ok(refused(
                format!("not published: {n} problem(s) to fix first"),
                problems,
            )
            .into_response())
        }
    }
}

/// The export format (`?format=`).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `gift` (when absent), `moodle-xml` or `yaml`.
    #[serde(default)]
    pub format: Option<String>,
}

/// A pack written out for another tool.
#[derive(Serialize, ToSchema)]
pub struct ExportFile {
    pub format: String,
    pub file_name: String,
    /// The file's text.
    pub content: String,
    /// What the format could not hold, one located note per item left out (which item and why).
    pub notes: Vec<String>,
}

/// Exports a pack as GIFT or Moodle XML (for Moodle), or as our YAML, for its owner and admins. A type the
/// format cannot express (hot areas, yes/no series and case studies in GIFT) is left out with a note, never
/// turned into another type.
#[utoipa::path(get, path = "/api/v1/packs/{id}/export", tag = "packs", params(("id" = Uuid, Path), ExportParams),
    responses((status = 200, body = ExportFile), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn export(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ExportParams>,
) -> ApiResult<Json<ExportFile>> {
    let user = instructor(user)?;
    let (_, pack, categories) = packs::writable_pack(&state.db, &user, id).await?;
    let format = q
        .format
        .as_deref()
        .unwrap_or("gift")
        .trim()
        .to_ascii_lowercase();
    let (content, notes, ext) = match format.as_str() {
        "yaml" => (
            String::from_utf8(
                packs::export(&pack, "yaml", &categories).map_err(AppError::BadRequest)?,
            )
            .map_err(AppError::internal)?,
            Vec::new(),
            "yaml",
        ),
        f => {
            let e = crate::bank::export::export_for_moodle(&pack, f).ok_or_else(|| {
                AppError::BadRequest(format!(
                    "unknown export format `{f}`: use gift, moodle-xml or yaml"
                ))
            })?;
            let ext = if f == "gift" { "gift.txt" } else { "xml" };
            (e.text, e.notes.iter().map(|n| n.to_string()).collect(), ext)
        }
    };
    Ok(Json(ExportFile {
        file_name: format!("{}.{ext}", pack.meta.id),
        format,
        content,
        notes,
    }))
}
