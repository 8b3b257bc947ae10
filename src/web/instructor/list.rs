//! The instructor's pack list (paged, filtered, sorted) and deleting draft packs from it.

use crate::auth::session::RequireInstructor;
use crate::auth::session::Session;
use crate::auth::session::User;
use crate::auth::Role;
use crate::error::AppError;
use crate::error::AppResult;
use crate::packs;
use crate::web::{render, Layout};
use crate::{store, AppState};
use askama::Template;
use axum::extract::Query;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Html;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

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
    pub pager: crate::web::admin::Pager,
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
            s => Some(crate::store::bank::PackStatus::parse(s).ok_or_else(|| {
                AppError::BadRequest(format!(
                    "unknown status `{s}`: use draft, published or archived"
                ))
            })?),
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
    use crate::web::admin::{page_number, Pager, PAGE_SIZE};
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
    let required = store::settings::explanations_required(&state.db).await?;
    let mut packs_view = Vec::with_capacity(rows.len());
    for (row, changed) in rows.into_iter().zip(changed) {
        let policy = packs::ExplanationPolicy::of(row.site, required);
        packs_view.push(PackListView {
            counts: packs::problem_count(&state.db, row.id, row.updated_at, policy).await?,
            changed,
            deletable: row.owned && row.status.is_draft(),
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
pub(super) fn pack_ids(pairs: &[(String, String)]) -> AppResult<Vec<Uuid>> {
    pairs
        .iter()
        .filter(|(k, _)| k == "pack")
        .map(|(_, v)| v.parse().map_err(|_| AppError::NotFound))
        .collect()
}

pub(super) async fn delete_page(
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
