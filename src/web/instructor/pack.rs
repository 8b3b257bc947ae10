//! One pack: its page, placing it in an exam, its status and trial items, editing one item, exporting it.

use super::*;
use crate::auth::session::RequireInstructor;
use crate::auth::session::Session;
use crate::auth::session::User;
use crate::bank::model::Item;
use crate::bank::Problem;
use crate::error::AppError;
use crate::error::AppResult;
use crate::packs;
use crate::store::bank::PackStatus;
use crate::web::Path;
use crate::web::{render, Layout};
use crate::{store, AppState};
use askama::Template;
use axum::extract::Query;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Html;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::BTreeMap;
use uuid::Uuid;

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
    /// It (or one of its case study's questions) has no explanation or no reference, where the site only
    /// recommends them: candidates will see the key alone.
    pub needs_explanation: bool,
}

#[derive(Template)]
#[template(path = "instructor/pack.html")]
pub struct PackPage {
    pub layout: Layout,
    pub id: Uuid,
    pub key: String,
    pub title: String,
    pub status: PackStatus,
    pub version: u32,
    pub items: Vec<PackItemView>,
    pub versions: Vec<store::bank::VersionRow>,
    /// Each version's time, in the viewer's time zone.
    pub versions_when: Vec<String>,
    pub categories: Vec<(String, usize)>,
    pub unplaced: usize,
    pub objectives: Vec<(String, String)>,
    pub groups: Vec<ProblemGroup>,
    pub message: Option<String>,
    /// Where explanations are only recommended: the warning for the items without one, and their ids.
    pub explanation_warning: Option<String>,
    pub without_explanation: Vec<String>,
    /// What the exports for Moodle leave out, per format ("GIFT", "Moodle XML"): each note's text.
    pub moodle_notes: Vec<(String, Vec<String>)>,
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
    /// After publishing: how many items have no explanation (the warning).
    warning: Option<usize>,
    unchanged: Option<usize>,
    /// After a re-import: items no longer in the file (kept), and the importer's notes.
    missing: Option<usize>,
    notes: Option<usize>,
}

pub(super) async fn pack_page(
    state: &AppState,
    user: &User,
    session: &Session,
    id: Uuid,
    message: Option<String>,
    publish_problems: Option<Vec<Problem>>,
) -> AppResult<Html<String>> {
    let (access, pack, categories) = packs::writable_pack(&state.db, user, id).await?;
    let bp = packs::blueprint_of(&pack.meta.blueprint)?;
    let policy = packs::ExplanationPolicy::for_owner(&state.db, access.owner_id).await?;
    let (pack, check) = packs::check_for_publishing(pack, policy).await?;
    let problems = publish_problems.unwrap_or_else(|| check.problems.clone());
    let without: std::collections::HashSet<&str> = check
        .without_explanation
        .iter()
        .map(String::as_str)
        .collect();
    let moodle_notes = ["gift", "moodle-xml"]
        .iter()
        .filter_map(|f| crate::bank::export::export_for_moodle(&pack, f).map(|e| (*f, e)))
        .map(|(f, e)| {
            (
                if f == "gift" { "GIFT" } else { "Moodle XML" }.to_owned(),
                e.notes.iter().map(|n| n.to_string()).collect(),
            )
        })
        .collect();
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
                needs_explanation: without.contains(item.id())
                    || item
                        .questions()
                        .iter()
                        .any(|(q, _)| without.contains(q.common.id.as_str())),
                kind,
                domain,
                objective,
                category,
                stem: stem.chars().take(120).collect(),
            }
        })
        .collect();
    let versions = store::bank::versions(&state.db, id).await?;
    let created: Vec<_> = versions.iter().map(|v| v.created_at).collect();
    let versions_when = store::users::local_times(&state.db, user.id, &created).await?;
    render(&PackPage {
        versions_when,
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
        explanation_warning: check.warning(),
        without_explanation: check.without_explanation.clone(),
        moodle_notes,
    })
}

pub async fn pack(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    Path(id): Path<Uuid>,
    Query(q): Query<PackQuery>,
) -> AppResult<Html<String>> {
    let message = if let Some(a) = q.added {
        let mut m = format!(
            "Imported: {a} added, {} changed, {} unchanged, {} removed.",
            q.changed.unwrap_or(0),
            q.unchanged.unwrap_or(0),
            q.retired.unwrap_or(0)
        );
        if let Some(n) = q.missing.filter(|n| *n > 0) {
            m.push_str(&format!(
                " {n} item(s) are no longer in the file: they are kept as they were (named under Versions)."
            ));
        }
        if let Some(n) = q.notes.filter(|n| *n > 0) {
            m.push_str(&format!(
                " {n} note(s) on what the file held that could not be kept (under Versions)."
            ));
        }
        Some(m)
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
    } else if let (Some(s), Some(n)) = (&q.status, q.warning) {
        Some(format!(
            "The pack is now {s}. {n} item{} no explanation or reference: candidates will see only the key.",
            if n == 1 { " has" } else { "s have" }
        ))
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
    let status = PackStatus::parse(&form.status).ok_or_else(|| {
        AppError::BadRequest(format!(
            "unknown status `{}`: use draft, published or archived",
            form.status
        ))
    })?;
    match packs::set_status(&state.db, &user, id, status).await? {
        Ok(None) => {
            Ok(Redirect::to(&format!("/instructor/packs/{id}?status={status}")).into_response())
        }
        Ok(Some(warning)) => Ok(Redirect::to(&format!(
            "/instructor/packs/{id}?status={status}&warning={}",
            warning.split(' ').next().unwrap_or("0")
        ))
        .into_response()),
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
    let (_, pack, categories) = packs::writable_pack(&state.db, &user, id).await?;
    let format = q.format.unwrap_or_else(|| "yaml".into());
    let bytes = packs::export(&pack, &format, &categories).map_err(AppError::BadRequest)?;
    let (mime, ext) = match format.as_str() {
        "yaml" => ("application/yaml", "yaml"),
        "gift" => ("text/plain; charset=utf-8", "gift.txt"),
        "moodle-xml" | "moodle" | "xml" => ("application/xml", "xml"),
        _ => ("application/zip", "zip"),
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
