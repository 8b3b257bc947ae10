//! The instructor area: the packs in the bank.

use super::{render, Layout};
use crate::auth::session::RequireInstructor;
use crate::auth::Role;
use crate::error::AppResult;
use crate::store::bank::PackRow;
use crate::{store, AppState};
use askama::Template;
use axum::extract::State;
use axum::response::Html;

/// A pack's row in the instructor's list.
pub struct PackListView {
    pub row: crate::store::packs::PackListRow,
    /// Problems to fix before publishing, and currency warnings.
    pub counts: packs::PackCounts,
    /// When it last changed, in the viewer's time zone.
    pub changed: String,
    /// Offered for deletion: the viewer's draft (any draft for an admin). Whether an attempt used it is read
    /// on the confirmation page and again in the deleting transaction.
    pub deletable: bool,
}

#[derive(Template)]
#[template(path = "instructor/index.html")]
pub struct InstructorPage {
    pub layout: Layout,
    pub packs: Vec<PackListView>,
    pub pager: super::admin::Pager,
    pub q: String,
    pub status: String,
    pub owner: String,
    pub exam: String,
    pub sort: String,
    pub exams: Vec<crate::store::exams::ExamRow>,
    pub is_admin: bool,
    pub message: Option<String>,
    /// Open problem reports on the user's packs (every pack for an admin).
    pub open_reports: i64,
}

/// The list's search, filters, order and page, as the query string gives them.
#[derive(Debug, Default, Deserialize)]
pub struct PackListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub exam: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub page: Option<String>,
    #[serde(default)]
    pub deleted: Option<usize>,
}

impl PackListQuery {
    /// The store's filter; a value that is not one of the choices is a 400 that names them.
    pub fn filter(&self) -> AppResult<crate::store::packs::PackFilter> {
        use crate::store::packs::{OwnerFilter, PackFilter, Sort};
        let status = match self.status.trim() {
            "" => None,
            s @ ("draft" | "published" | "archived") => Some(s.to_owned()),
            s => {
                return Err(AppError::BadRequest(format!(
                    "unknown status `{s}`: use draft, published or archived"
                )))
            }
        };
        let owner = OwnerFilter::parse(self.owner.trim()).ok_or_else(|| {
            AppError::BadRequest(format!("unknown owner `{}`: use mine or site", self.owner))
        })?;
        let sort = Sort::parse(self.sort.trim()).ok_or_else(|| {
            AppError::BadRequest(format!(
                "unknown order `{}`: use changed, changed-oldest or title",
                self.sort
            ))
        })?;
        let blueprint = match self.exam.trim() {
            "" => None,
            code => Some(packs::blueprint_for_exam(Some(code))?.id.clone()),
        };
        Ok(PackFilter {
            // Control characters (a NUL byte, say) match no title and PostgreSQL refuses them in text.
            text: self
                .q
                .trim()
                .chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect(),
            status,
            owner,
            blueprint,
            sort,
        })
    }
}

pub async fn index(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    Query(q): Query<PackListQuery>,
) -> AppResult<Html<String>> {
    use super::admin::{page_number, Pager, PAGE_SIZE};
    let filter = q.filter()?;
    let page = page_number(q.page.as_deref());
    let (rows, total) = store::packs::search(
        &state.db,
        packs::viewer(&user),
        &filter,
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    .await?;
    let when: Vec<_> = rows.iter().map(|r| r.updated_at).collect();
    let changed = store::users::local_times(&state.db, user.id, &when).await?;
    let mut packs_view = Vec::with_capacity(rows.len());
    for (row, changed) in rows.into_iter().zip(changed) {
        packs_view.push(PackListView {
            counts: packs::problem_count(&state.db, row.id, row.updated_at).await?,
            changed,
            deletable: row.owned && row.status == "draft",
            row,
        });
    }
    let pager = Pager::new(
        "/instructor",
        &[
            ("q", filter.text.as_str()),
            ("status", q.status.trim()),
            ("owner", filter.owner.as_str()),
            ("exam", q.exam.trim()),
            ("sort", q.sort.trim()),
        ],
        page,
        total,
    );
    let owner = (user.role != Role::Admin).then_some(user.id);
    let open_reports = store::reports::open_count(&state.db, owner).await?;
    render(&InstructorPage {
        layout: Layout::from_session(&session),
        packs: packs_view,
        pager,
        q: filter.text,
        status: q.status.trim().to_owned(),
        owner: filter.owner.as_str().to_owned(),
        exam: q.exam.trim().to_owned(),
        sort: filter.sort.as_str().to_owned(),
        exams: store::exams::list(&state.db).await?,
        is_admin: user.role == Role::Admin,
        message: q.deleted.map(|n| {
            format!("{n} draft pack(s) deleted, with their items, revisions and versions.")
        }),
        open_reports,
    })
}

// ---- Deleting drafts ----------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "instructor/delete.html")]
pub struct DeletePage {
    pub layout: Layout,
    /// Packs that can go.
    pub deletable: Vec<store::packs::DeletionPlan>,
    /// Packs that cannot, with the reason (used by an attempt: archive it instead; not a draft).
    pub refused: Vec<(store::packs::DeletionPlan, String)>,
    pub error: Option<String>,
}

/// The pack ids of a query string or form (`pack=…`, repeated); an id that does not parse names no pack.
fn pack_ids(pairs: &[(String, String)]) -> AppResult<Vec<Uuid>> {
    pairs
        .iter()
        .filter(|(k, _)| k == "pack")
        .map(|(_, v)| v.parse().map_err(|_| AppError::NotFound))
        .collect()
}

async fn delete_page(
    state: &AppState,
    user: &User,
    session: &Session,
    ids: &[Uuid],
    error: Option<String>,
) -> AppResult<DeletePage> {
    let mut page = DeletePage {
        layout: Layout::from_session(session),
        deletable: Vec::new(),
        refused: Vec::new(),
        error,
    };
    for plan in packs::deletion_plans(&state.db, user, ids).await? {
        match plan.refusal() {
            Some(reason) => page.refused.push((plan, reason)),
            None => page.deletable.push(plan),
        }
    }
    Ok(page)
}

/// GET /instructor/packs/delete?pack=…&pack=…: what deleting these packs would remove, to confirm.
pub async fn delete_confirm(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    Query(pairs): Query<Vec<(String, String)>>,
) -> AppResult<Response> {
    let ids = pack_ids(&pairs)?;
    if ids.is_empty() {
        return Err(AppError::BadRequest(
            "Choose at least one draft to delete on the packs page.".into(),
        ));
    }
    Ok(render(&delete_page(&state, &user, &session, &ids, None).await?)?.into_response())
}

/// POST /instructor/packs/delete (pack=…, repeated): deletes the drafts, all or none.
pub async fn delete(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    crate::auth::session::CsrfForm(pairs): crate::auth::session::CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let ids = pack_ids(&pairs)?;
    match packs::delete_drafts(&state.db, &user, &ids).await? {
        Ok(keys) => {
            Ok(Redirect::to(&format!("/instructor?deleted={}", keys.len())).into_response())
        }
        Err(reason) => {
            let page = delete_page(
                &state,
                &user,
                &session,
                &ids,
                Some(format!("Nothing was deleted: {reason}")),
            )
            .await?;
            Ok((StatusCode::CONFLICT, render(&page)?).into_response())
        }
    }
}

// ---- Uploads ------------------------------------------------------------------------------------------

use super::Path;
use crate::auth::session::Session;
use crate::auth::session::User;
use crate::bank::import::Format;
use crate::bank::model::{Blueprint, Item};
use crate::bank::upload::MAX_UPLOAD_BYTES;
use crate::bank::Problem;
use crate::error::AppError;
use crate::packs::{self, UploadOutcome};
use axum::extract::{Multipart, Query};
use axum::http::StatusCode;
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
async fn upload_page_for(
    state: &AppState,
    user: &User,
    session: &Session,
    exam: Option<&str>,
) -> AppResult<UploadPage> {
    let (exam, exams) = super::exams::chosen_for_staff(state, user.id, exam).await?;
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
async fn upload_outcome(
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
    let exam_code = crate::web::api_exam::exam_code(&bp.id);
    match packs::upload(&state.db, user, bp, name, bytes, format, draft_valid).await {
        Ok(UploadOutcome::Imported(summary, _)) => {
            if let Some(h) = held {
                store::bank::drop_upload(&state.db, h).await?;
            }
            Ok(Redirect::to(&format!(
                "/instructor/packs/{}?added={}&changed={}&retired={}",
                summary.pack_id, summary.added, summary.changed, summary.retired
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

// ---- A pack ---------------------------------------------------------------------------------------------

pub struct PackItemView {
    pub key: String,
    pub kind: String,
    pub domain: String,
    pub objective: String,
    pub category: String,
    pub stem: String,
    pub ready: bool,
    /// An unscored trial item (standalone questions only).
    pub trial: bool,
    /// Retired or renamed names its text uses (the currency check), each with where.
    pub warnings: Vec<String>,
}

#[derive(Template)]
#[template(path = "instructor/pack.html")]
pub struct PackPage {
    pub layout: Layout,
    pub id: Uuid,
    pub key: String,
    pub title: String,
    pub status: String,
    pub version: u32,
    pub items: Vec<PackItemView>,
    pub versions: Vec<store::bank::VersionRow>,
    pub categories: Vec<(String, usize)>,
    pub unplaced: usize,
    pub objectives: Vec<(String, String)>,
    pub groups: Vec<ProblemGroup>,
    pub message: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct PackQuery {
    added: Option<usize>,
    changed: Option<usize>,
    retired: Option<usize>,
    placed: Option<usize>,
    saved: Option<String>,
    status: Option<String>,
    trial: Option<String>,
    promoted: Option<String>,
}

async fn pack_page(
    state: &AppState,
    user: &User,
    session: &Session,
    id: Uuid,
    message: Option<String>,
    publish_problems: Option<Vec<Problem>>,
) -> AppResult<Html<String>> {
    let (access, pack, categories) = packs::writable_pack(&state.db, user, id).await?;
    let bp = packs::blueprint_of(&pack.meta.blueprint)?;
    let (pack, problems) = match publish_problems {
        Some(p) => (pack, p),
        None => packs::check_for_publishing(pack).await?,
    };
    let trial = store::bank::trial_keys(&state.db, id).await?;
    // Retired or renamed names in the items' text (the shipped lexicon), listed beside each item.
    let mut currency: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for w in crate::bank::currency::currency_warnings(&pack.items, crate::bank::lexicon::shipped())
    {
        let key = w.item.clone().unwrap_or_default();
        currency
            .entry(key)
            .or_default()
            .push(format!("{} ({})", w.message, w.field));
    }
    let not_ready: std::collections::HashSet<&str> =
        problems.iter().filter_map(|p| p.item.as_deref()).collect();
    let mut by_category: BTreeMap<String, usize> = BTreeMap::new();
    let mut unplaced = 0;
    let items = pack
        .items
        .iter()
        .map(|item| {
            let (kind, domain, objective, stem) = match item {
                Item::Question(q) => (
                    q.body.type_name().to_owned(),
                    q.common.domain.clone().unwrap_or_default(),
                    q.common.objective.clone(),
                    q.common.stem.clone(),
                ),
                Item::CaseStudy(_) => {
                    let c = item.case_study();
                    (
                        "case_study".to_owned(),
                        c.map(|c| c.domain.clone()).unwrap_or_default(),
                        String::new(),
                        c.map(|c| c.title.clone()).unwrap_or_default(),
                    )
                }
            };
            if domain.is_empty() || (objective.is_empty() && kind != "case_study") {
                unplaced += 1;
            }
            let category = categories.get(item.id()).cloned().unwrap_or_default();
            if !category.is_empty() {
                *by_category.entry(category.clone()).or_default() += 1;
            }
            let warnings: Vec<String> = std::iter::once(item.id())
                .chain(item.questions().iter().map(|(q, _)| q.common.id.as_str()))
                .filter_map(|k| currency.get(k))
                .flatten()
                .cloned()
                .collect();
            PackItemView {
                warnings,
                key: item.id().to_owned(),
                // A case study's problems name its questions.
                ready: !not_ready.contains(item.id())
                    && item
                        .questions()
                        .iter()
                        .all(|(q, _)| !not_ready.contains(q.common.id.as_str())),
                trial: trial.contains(item.id()),
                kind,
                domain,
                objective,
                category,
                stem: stem.chars().take(120).collect(),
            }
        })
        .collect();
    let versions = store::bank::versions(&state.db, id).await?;
    render(&PackPage {
        layout: Layout::from_session(session),
        id,
        key: access.pack_key,
        title: pack.meta.title.clone(),
        status: access.status,
        version: pack.meta.version,
        items,
        versions,
        categories: by_category.into_iter().collect(),
        unplaced,
        objectives: objective_choices(bp),
        groups: group_problems(&problems, "yaml"),
        message,
    })
}

pub async fn pack(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    Path(id): Path<Uuid>,
    Query(q): Query<PackQuery>,
) -> AppResult<Html<String>> {
    let message = if let Some(a) = q.added {
        Some(format!(
            "Imported: {a} added, {} changed, {} removed.",
            q.changed.unwrap_or(0),
            q.retired.unwrap_or(0)
        ))
    } else if let Some(n) = q.placed {
        Some(format!("{n} item(s) placed in the blueprint."))
    } else if let Some(k) = q.saved {
        Some(format!("Saved {k} as a new revision."))
    } else if let Some(k) = q.trial {
        Some(format!(
            "{k} is now an unscored trial item: forms with trial items may add it to attempts."
        ))
    } else if let Some(k) = q.promoted {
        Some(format!("{k} is now a scored item."))
    } else {
        q.status.map(|s| format!("The pack is now {s}."))
    };
    pack_page(&state, &user, &session, id, message, None).await
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    category: String,
    objective: String,
}

/// POST /instructor/packs/{id}/assign: place a category's items (or all unplaced ones) in an objective.
pub async fn assign(
    State(state): State<AppState>,
    RequireInstructor(user, _): RequireInstructor,
    Path(id): Path<Uuid>,
    crate::auth::session::CsrfForm(form): crate::auth::session::CsrfForm<AssignForm>,
) -> AppResult<Response> {
    let category = (!form.category.is_empty() && form.category != "*unplaced*")
        .then_some(form.category.as_str());
    let n = packs::assign(&state.db, &user, id, category, &form.objective).await?;
    Ok(Redirect::to(&format!("/instructor/packs/{id}?placed={n}")).into_response())
}

#[derive(Deserialize)]
pub struct StatusForm {
    status: String,
}

/// POST /instructor/packs/{id}/status: publish, unpublish (draft) or archive.
pub async fn set_status(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    Path(id): Path<Uuid>,
    crate::auth::session::CsrfForm(form): crate::auth::session::CsrfForm<StatusForm>,
) -> AppResult<Response> {
    match packs::set_status(&state.db, &user, id, &form.status).await? {
        Ok(()) => Ok(
            Redirect::to(&format!("/instructor/packs/{id}?status={}", form.status)).into_response(),
        ),
        Err(problems) => {
            let n = problems.len();
            let page = pack_page(
                &state,
                &user,
                &session,
                id,
                Some(format!(
                    "Not published: {n} problem(s) to fix first (listed below)."
                )),
                Some(problems),
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct TrialForm {
    trial: bool,
}

/// POST /instructor/packs/{id}/items/{key}/trial (trial=true|false): mark a standalone question as an
/// unscored trial item, or promote it to scored. Case-study questions cannot be trial items: a case study is
/// one section whose questions are all scored.
pub async fn set_trial(
    State(state): State<AppState>,
    RequireInstructor(user, _): RequireInstructor,
    Path((id, key)): Path<(Uuid, String)>,
    crate::auth::session::CsrfForm(form): crate::auth::session::CsrfForm<TrialForm>,
) -> AppResult<Response> {
    let item = packs::writable_item(&state.db, &user, id, &key).await?;
    if item.case_study().is_some() {
        return Err(AppError::Unprocessable(format!(
            "{key} is a case study: only standalone questions can be unscored trial items."
        )));
    }
    if !store::bank::set_trial(
        &state.db,
        (user.id, user.email.as_str()),
        id,
        &key,
        form.trial,
    )
    .await?
    {
        return Err(AppError::NotFound);
    }
    let outcome = if form.trial { "trial" } else { "promoted" };
    Ok(Redirect::to(&format!("/instructor/packs/{id}?{outcome}={key}")).into_response())
}

// ---- Editing one item ------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "instructor/edit.html")]
pub struct EditPage {
    pub layout: Layout,
    pub pack_id: Uuid,
    pub key: String,
    pub text: String,
    pub problems: Vec<Problem>,
}

pub async fn edit_page(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    Path((id, key)): Path<(Uuid, String)>,
) -> AppResult<Html<String>> {
    let item = packs::writable_item(&state.db, &user, id, &key).await?;
    render(&EditPage {
        layout: Layout::from_session(&session),
        pack_id: id,
        text: serde_json::to_string_pretty(&item).map_err(AppError::internal)?,
        key,
        problems: Vec::new(),
    })
}

#[derive(Deserialize)]
pub struct EditForm {
    text: String,
}

pub async fn edit(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    Path((id, key)): Path<(Uuid, String)>,
    crate::auth::session::CsrfForm(form): crate::auth::session::CsrfForm<EditForm>,
) -> AppResult<Response> {
    match packs::edit_item(&state.db, &user, id, &key, &form.text).await? {
        Ok(_) => Ok(Redirect::to(&format!("/instructor/packs/{id}?saved={key}")).into_response()),
        Err(problems) => {
            let page = render(&EditPage {
                layout: Layout::from_session(&session),
                pack_id: id,
                key,
                text: form.text,
                problems,
            })?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    format: Option<String>,
}

/// GET /instructor/packs/{id}/export?format=yaml|qti3: the pack as a download.
pub async fn export(
    State(state): State<AppState>,
    RequireInstructor(user, _): RequireInstructor,
    Path(id): Path<Uuid>,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    let (_, pack, _) = packs::writable_pack(&state.db, &user, id).await?;
    let format = q.format.unwrap_or_else(|| "yaml".into());
    let bytes = packs::export(&pack, &format).map_err(AppError::BadRequest)?;
    let (mime, ext) = if format == "yaml" {
        ("application/yaml", "yaml")
    } else {
        ("application/zip", "zip")
    };
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, mime.to_owned()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.{ext}\"", pack.meta.id),
            ),
        ],
        bytes,
    )
        .into_response())
}

// ---- Exam forms -------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "instructor/form.html")]
pub struct FormPage {
    pub layout: Layout,
    pub packs: Vec<PackRow>,
    pub chosen: Vec<Uuid>,
    pub title: String,
    pub slug: String,
    pub item_count: i32,
    pub duration: i32,
    pub case_studies: i32,
    pub cut_percent: i32,
    /// Unscored trial items per attempt (0–5).
    pub trial_items: i32,
    pub dry_run: Option<DryRun>,
    pub error: Option<String>,
}

/// At most this many unscored trial items per attempt (the database checks it too).
pub const MAX_TRIAL_ITEMS: i32 = 5;

/// Whether the chosen packs can fill the blueprint, domain by domain.
pub struct DryRun {
    /// Every domain within its range and every case study found.
    pub ok: bool,
    /// An exam can be drawn at all (perhaps with questions from other domains).
    pub fills: bool,
    pub summary: String,
    /// (domain, planned questions, available questions, short by)
    pub domains: Vec<(String, usize, usize, usize)>,
    /// What the form's trial items will be: how many each attempt gets, from how many in the packs.
    pub trial: Option<String>,
}

async fn published_packs(state: &AppState, user: &User) -> AppResult<Vec<PackRow>> {
    let owner = (user.role != Role::Admin).then_some(user.id);
    Ok(store::bank::list_packs(&state.db, owner)
        .await?
        .into_iter()
        .filter(|p| p.status == "published")
        .collect())
}

pub async fn form_new(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
) -> AppResult<Html<String>> {
    render(&FormPage {
        layout: Layout::from_session(&session),
        packs: published_packs(&state, &user).await?,
        chosen: Vec::new(),
        title: String::new(),
        slug: String::new(),
        item_count: 50,
        duration: 100,
        case_studies: 1,
        cut_percent: 70,
        trial_items: 0,
        dry_run: None,
        error: None,
    })
}

fn dry_run(
    pool: &[store::bank::PoolRow],
    bp: &Blueprint,
    item_count: usize,
    case_studies: usize,
    trial_items: usize,
) -> DryRun {
    use crate::exam::sampling::{domain_targets, draw, FormSpec};
    let entries: Vec<_> = pool
        .iter()
        .map(|r| {
            crate::exam::plan::pool_entry(
                &r.item_key,
                r.kind == "case_study",
                &r.domains,
                false,
                r.trial,
            )
        })
        .collect();
    let spec = FormSpec {
        item_count,
        case_studies,
        domain_weights: bp
            .domains
            .iter()
            .map(|d| (d.id.clone(), d.weight.min, d.weight.max))
            .collect(),
        trial_items,
    };
    let trial_pool = pool
        .iter()
        .filter(|r| r.trial && r.kind != "case_study")
        .count();
    let trial = (trial_items > 0).then(|| {
        let per_attempt = trial_items.min(trial_pool);
        format!(
            "Each attempt adds {per_attempt} unscored trial item(s) to the {item_count} scored ones \
             ({trial_pool} standalone trial item(s) in the packs; {trial_items} asked for)."
        )
    });
    let mut available: BTreeMap<String, usize> = BTreeMap::new();
    for r in pool.iter().filter(|r| !r.trial) {
        for d in &r.domains {
            *available.entry(d.clone()).or_default() += 1;
        }
    }
    let targets = domain_targets(&spec);
    match draw(&entries, &spec, 1) {
        Ok(d) => {
            let domains: Vec<_> = targets
                .iter()
                .map(|(dom, want)| {
                    let have = available.get(dom).copied().unwrap_or(0);
                    let short = d
                        .shortfalls
                        .iter()
                        .find(|(s, _)| s == dom)
                        .map(|s| s.1)
                        .unwrap_or(0);
                    (dom.clone(), *want, have, short)
                })
                .collect();
            let short: usize = d.shortfalls.iter().map(|s| s.1).sum();
            let ok = short == 0 && d.missing_case_studies == 0;
            DryRun {
                ok,
                fills: true,
                summary: if ok {
                    format!("The packs can fill this form: {item_count} questions within every domain's weight range.")
                } else {
                    format!(
                        "The packs can fill {item_count} questions, but {short} had to come from other domains and {} case stud(ies) are missing.",
                        d.missing_case_studies
                    )
                },
                domains,
                trial,
            }
        }
        Err(e) => DryRun {
            ok: false,
            fills: false,
            summary: format!("The packs cannot fill this form: {e}."),
            domains: targets
                .iter()
                .map(|(dom, want)| {
                    let have = available.get(dom).copied().unwrap_or(0);
                    (dom.clone(), *want, have, want.saturating_sub(have))
                })
                .collect(),
            trial,
        },
    }
}

/// POST /instructor/forms: a dry run (action=dry_run) or the form's creation.
pub async fn form_create(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    crate::auth::session::CsrfForm(pairs): crate::auth::session::CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    // The packs come as repeated `pack` fields, so the form is read as pairs.
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let packs_all = published_packs(&state, &user).await?;
    let chosen: Vec<Uuid> = pairs
        .iter()
        .filter(|(k, _)| k == "pack")
        .filter_map(|(_, v)| v.parse().ok())
        .filter(|id| packs_all.iter().any(|p| p.id == *id))
        .collect();
    let num = |s: &str, lo: i32, hi: i32, what: &str| -> Result<i32, String> {
        s.trim()
            .parse::<i32>()
            .ok()
            .filter(|n| (lo..=hi).contains(n))
            .ok_or_else(|| format!("{what} must be a whole number from {lo} to {hi}"))
    };
    let mut page = FormPage {
        layout: Layout::from_session(&session),
        packs: packs_all,
        chosen: chosen.clone(),
        title: field("title").trim().chars().take(120).collect(),
        slug: field("slug").trim().to_ascii_lowercase(),
        item_count: 50,
        duration: 100,
        case_studies: 1,
        cut_percent: 70,
        trial_items: 0,
        dry_run: None,
        error: None,
    };
    let parsed = (|| {
        Ok::<_, String>((
            num(field("item_count"), 1, 200, "The item count")?,
            num(field("duration"), 1, 600, "The duration")?,
            num(field("case_studies"), 0, 10, "The number of case studies")?,
            num(field("cut_percent"), 1, 99, "The cut score")?,
            // Absent (an older form page, a script): no trial items.
            match field("trial_items").trim() {
                "" => 0,
                n => num(n, 0, MAX_TRIAL_ITEMS, "The number of trial items")?,
            },
        ))
    })();
    let (item_count, duration, case_studies, cut_percent, trial_items) = match parsed {
        Ok(v) => v,
        Err(e) => {
            page.error = Some(e);
            return Ok((StatusCode::BAD_REQUEST, render(&page)?).into_response());
        }
    };
    page.item_count = item_count;
    page.duration = duration;
    page.case_studies = case_studies;
    page.cut_percent = cut_percent;
    page.trial_items = trial_items;
    if chosen.is_empty() {
        page.error = Some("Choose at least one published pack.".into());
        return Ok((StatusCode::BAD_REQUEST, render(&page)?).into_response());
    }
    // A form draws from one exam's packs: the blueprint is theirs.
    let mut blueprints: Vec<&str> = page
        .packs
        .iter()
        .filter(|p| chosen.contains(&p.id))
        .map(|p| p.blueprint_id.as_str())
        .collect();
    blueprints.sort_unstable();
    blueprints.dedup();
    if blueprints.len() > 1 {
        page.error = Some(
            "The chosen packs belong to different exams: a form draws from one exam's packs."
                .into(),
        );
        return Ok((StatusCode::BAD_REQUEST, render(&page)?).into_response());
    }
    let bp = packs::blueprint_of(blueprints.first().copied().unwrap_or("ai102"))?;
    let pool = store::bank::packs_pool(&state.db, &chosen).await?;
    let run = dry_run(
        &pool,
        bp,
        usize::try_from(item_count).unwrap_or(0),
        usize::try_from(case_studies).unwrap_or(0),
        usize::try_from(trial_items).unwrap_or(0),
    );
    let fills = run.fills;
    page.dry_run = Some(run);
    if field("action") != "create" {
        return Ok(render(&page)?.into_response());
    }
    let slug_ok = !page.slug.is_empty()
        && page
            .slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if page.title.is_empty() || !slug_ok {
        page.error =
            Some("Give the form a title and an address (lowercase letters, digits and -).".into());
        return Ok((StatusCode::BAD_REQUEST, render(&page)?).into_response());
    }
    if !fills {
        page.error = Some("The chosen packs cannot fill this form: see the dry run.".into());
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let created = store::exam::create_form(
        &state.db,
        store::exam::NewForm {
            slug: &page.slug,
            title: &page.title,
            description: "",
            blueprint_id: &bp.id,
            item_count,
            duration_minutes: duration,
            case_studies,
            cut_fraction: f64::from(cut_percent) / 100.0,
            owner_id: Some(user.id),
            pack_ids: &chosen,
            trial_items,
        },
    )
    .await?;
    if created.is_none() {
        page.error = Some(format!(
            "The address `{}` is taken: choose another.",
            page.slug
        ));
        return Ok((StatusCode::CONFLICT, render(&page)?).into_response());
    }
    store::bank::audit(
        &state.db,
        Some((user.id, user.email.as_str())),
        "form.create",
        &page.slug,
        serde_json::json!({"items": item_count, "minutes": duration, "packs": chosen, "trial_items": trial_items}),
    )
    .await?;
    Ok(Redirect::to("/exams").into_response())
}

// ---- Previewing one item ---------------------------------------------------------------------------------

/// One question of a previewed item, with its key and explanation.
pub struct PreviewQuestion {
    pub id: String,
    /// The item exactly as a candidate answers it (options in pack order, every yes/no statement open).
    pub item: super::views::ItemView,
    /// Prefix of the ids in the item's controls, unique per question of the page.
    pub id_prefix: String,
    pub kind: &'static str,
    pub place: String,
    pub stem_html: String,
    pub key: Vec<String>,
    pub explanation_html: String,
    pub references: Vec<String>,
}

#[derive(Template)]
#[template(path = "instructor/preview.html")]
pub struct PreviewPage {
    pub layout: Layout,
    pub pack_id: Uuid,
    pub key: String,
    pub case: Option<super::views::CaseView>,
    pub questions: Vec<PreviewQuestion>,
}

/// GET /instructor/packs/{id}/items/{key}: an item with its case study, key, explanation and references, as
/// the candidate's review after an exam shows them.
/// The candidate's view of a question for the preview: pack order, no answer, and every statement of a
/// yes/no series open at once (a candidate meets them one by one).
fn preview_item(q: &crate::bank::model::Question) -> super::views::ItemView {
    let mut item =
        super::views::ItemView::new(q, &crate::exam::plan::Presentation::default(), None);
    for s in &mut item.statements {
        s.state = "current";
    }
    item
}

pub async fn preview(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    Path((id, key)): Path<(Uuid, String)>,
) -> AppResult<Html<String>> {
    let item = packs::writable_item(&state.db, &user, id, &key).await?;
    let questions = item
        .questions()
        .into_iter()
        .enumerate()
        .map(|(n, (q, domain))| PreviewQuestion {
            id: q.common.id.clone(),
            item: preview_item(q),
            id_prefix: format!("q{n}-"),
            kind: q.body.type_name(),
            place: format!("{} · {}", domain, q.common.objective),
            stem_html: super::markdown::block(&q.common.stem),
            key: super::views::answer_lines(q, Some(&crate::scoring::Response::key(q))),
            explanation_html: super::markdown::block(&q.common.explanation),
            references: q.common.references.clone(),
        })
        .collect();
    render(&PreviewPage {
        layout: Layout::from_session(&session),
        pack_id: id,
        case: item.case_study().map(super::views::CaseView::new),
        questions,
        key,
    })
}
