//! Exam forms: the new-form page, the dry run against the blueprint (`exam::dry_run`) and creating the form.

use crate::auth::session::RequireInstructor;
use crate::auth::session::User;
use crate::auth::Role;
use crate::error::AppResult;
use crate::exam::dry_run::{dry_run, DryRun, DryRunItem};
use crate::packs;
use crate::store::bank::PackRow;
use crate::web::{render, Layout};
use crate::{store, AppState};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Html;
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

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
    /// "class", "public" or (an instructor's) "request": a class form whose maker asks an admin to make it public.
    pub visibility: String,
    pub dry_run: Option<DryRun>,
    pub error: Option<String>,
}

/// At most this many unscored trial items per attempt (the database checks it too).
pub const MAX_TRIAL_ITEMS: i32 = 5;

pub(super) async fn published_packs(state: &AppState, user: &User) -> AppResult<Vec<PackRow>> {
    let owner = (user.role != Role::Admin).then_some(user.id);
    Ok(store::bank::list_packs(&state.db, owner)
        .await?
        .into_iter()
        .filter(|p| p.status.is_published())
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
        visibility: default_visibility(&user).into(),
        dry_run: None,
        error: None,
    })
}

/// An admin's forms are public unless they say otherwise; an instructor's are class forms.
fn default_visibility(user: &User) -> &'static str {
    if user.role == Role::Admin {
        "public"
    } else {
        "class"
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
        visibility: match field("visibility") {
            v @ ("class" | "request") => v.to_owned(),
            "public" if user.role == Role::Admin => "public".to_owned(),
            "public" => "request".to_owned(),
            _ => default_visibility(&user).to_owned(),
        },
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
    let items: Vec<_> = pool
        .iter()
        .map(|r| DryRunItem {
            item_key: &r.item_key,
            case_study: r.kind == "case_study",
            domains: &r.domains,
            trial: r.trial,
        })
        .collect();
    let run = dry_run(
        &items,
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
    let created = store::exam::create_form_audited(
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
            visibility: if page.visibility == "public" && user.role == Role::Admin {
                store::exam::Visibility::Public
            } else {
                store::exam::Visibility::Class
            },
            request_public: page.visibility == "request",
        },
        Some(store::bank::Audit {
            actor: Some((user.id, user.email.as_str())),
            action: "form.create",
            target: &page.slug,
            detail: serde_json::json!({"items": item_count, "minutes": duration, "packs": chosen, "trial_items": trial_items,
                                       "visibility": page.visibility}),
        }),
    )
    .await?;
    if created.is_none() {
        page.error = Some(format!(
            "The address `{}` is taken: choose another.",
            page.slug
        ));
        return Ok((StatusCode::CONFLICT, render(&page)?).into_response());
    }
    Ok(Redirect::to(if page.visibility == "public" {
        "/exams"
    } else {
        "/instructor/classes"
    })
    .into_response())
}
