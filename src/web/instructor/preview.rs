//! Previewing one item of a pack as a candidate would see it.

use crate::auth::session::RequireInstructor;
use crate::error::AppResult;
use crate::packs;
use crate::web::Path;
use crate::web::{render, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Html;
use uuid::Uuid;

/// One question of a previewed item, with its key and explanation.
pub struct PreviewQuestion {
    pub id: String,
    /// The item exactly as a candidate answers it (options in pack order, every yes/no statement open).
    pub item: crate::web::views::ItemView,
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
    pub case: Option<crate::web::views::CaseView>,
    pub questions: Vec<PreviewQuestion>,
}

/// GET /instructor/packs/{id}/items/{key}: an item with its case study, key, explanation and references, as
/// the candidate's review after an exam shows them.
/// The candidate's view of a question for the preview: pack order, no answer, and every statement of a
/// yes/no series open at once (a candidate meets them one by one).
pub(super) fn preview_item(q: &crate::bank::model::Question) -> crate::web::views::ItemView {
    let mut item = crate::web::views::ItemView::new(
        q,
        &crate::web::views::QuestionHtml::new(q),
        &crate::exam::plan::Presentation::default(),
        None,
    );
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
            stem_html: crate::web::markdown::block(&q.common.stem),
            key: crate::web::views::answer_lines(q, Some(&crate::scoring::Response::key(q))),
            explanation_html: crate::web::markdown::block(&q.common.explanation),
            references: q.common.references.clone(),
        })
        .collect();
    render(&PreviewPage {
        layout: Layout::from_session(&session),
        pack_id: id,
        case: item.case_study().map(crate::web::views::CaseView::new),
        questions,
        key,
    })
}
