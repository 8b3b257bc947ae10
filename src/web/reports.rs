//! Problem reports after they are filed: the instructor's queue of reports on their packs' items (mark one
//! fixed in a revision, or reject it with a reason), and the outcome notices a reporter sees on their next
//! visit. Filing a report is in `practice.rs`.
//!
//! Privacy: instructors see a reporter as a stable pseudonym (the same candidate always gets the same one,
//! so repeated reports can be told apart from many reporters), never their e-mail; admins, who manage the
//! accounts anyway, see the e-mail.

use super::{markdown, render, Layout, Path};
use crate::auth::session::{CsrfForm, RequireInstructor, User};
use crate::auth::Role;
use crate::error::{AppError, AppResult};
use crate::exam::plan::find_question;
use crate::store::reports::{self as store, QueueRow};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Longest rejection reason, as for the candidate's comment.
const MAX_REASON_CHARS: usize = 2000;

/// What a report kind is called on the pages.
pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "wrong_key" => "Wrong key",
        "unclear" => "Unclear",
        "outdated" => "Outdated",
        "typo" => "Typo",
        _ => "Other",
    }
}

/// A reporter's pseudonym: the same for every report of one candidate, and telling nothing about who it is.
pub fn pseudonym(user_id: Uuid) -> String {
    let digest = Sha256::digest(format!("ai102 reporter {user_id}").as_bytes());
    format!("Candidate {}", &hex::encode(digest)[..6])
}

/// One report of the queue, ready to show.
pub struct QueueEntry {
    pub id: Uuid,
    pub exam: String,
    pub pack_key: String,
    pub item_key: String,
    pub question_key: String,
    pub kind: &'static str,
    pub comment: String,
    pub reporter: String,
    pub filed: String,
    pub reported_revision: i32,
    pub current_revision: i32,
    pub retired: bool,
    pub open: bool,
    pub can_fix: bool,
    /// "Fixed in revision 3" or "Rejected: reason".
    pub outcome: String,
    pub preview_href: String,
    pub edit_href: String,
}

impl QueueEntry {
    fn new(r: &QueueRow, admin: bool) -> QueueEntry {
        let outcome = match r.status.as_str() {
            "fixed" => format!("Fixed in revision {}", r.fixed_revision.unwrap_or(0)),
            "rejected" => format!("Rejected: {}", r.resolution.as_deref().unwrap_or("")),
            _ => "Open".into(),
        };
        let item = format!("/instructor/packs/{}/items/{}", r.pack_id, r.item_key);
        QueueEntry {
            id: r.id,
            exam: r.exam.clone(),
            pack_key: r.pack_key.clone(),
            item_key: r.item_key.clone(),
            question_key: r.question_key.clone(),
            kind: kind_label(&r.kind),
            comment: r.comment.clone(),
            reporter: if admin {
                r.reporter_email.clone()
            } else {
                pseudonym(r.reporter_id)
            },
            filed: r.created_at.date().to_string(),
            reported_revision: r.reported_revision,
            current_revision: r.current_revision,
            retired: r.retired,
            open: r.status == "open",
            can_fix: r.can_be_fixed(),
            outcome,
            edit_href: format!("{item}/edit"),
            preview_href: item,
        }
    }
}

/// Why an action was refused, with a link to what would make it possible.
pub struct Refusal {
    pub report: Uuid,
    pub message: String,
    pub edit_href: Option<String>,
}

#[derive(Template)]
#[template(path = "instructor/reports.html")]
pub struct QueuePage {
    pub layout: Layout,
    pub all_packs: bool,
    pub exams: Vec<crate::store::exams::ExamRow>,
    /// The exam the queue is narrowed to, if any.
    pub exam: Option<String>,
    /// Resolved reports are listed too.
    pub show_all: bool,
    pub entries: Vec<QueueEntry>,
    pub done: Option<&'static str>,
    pub refusal: Option<Refusal>,
}

impl QueuePage {
    fn refused_here(&self, id: &Uuid) -> bool {
        self.refusal.as_ref().is_some_and(|r| r.report == *id)
    }
}

#[derive(serde::Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    status: Option<String>,
    /// One exam's reports (its code); every exam's when absent.
    #[serde(default)]
    exam: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

fn owner_of(user: &User) -> Option<Uuid> {
    (user.role != Role::Admin).then_some(user.id)
}

async fn queue_page(
    state: &AppState,
    user: &User,
    layout: Layout,
    show_all: bool,
    done: Option<&'static str>,
    refusal: Option<Refusal>,
    exam: Option<&str>,
) -> AppResult<QueuePage> {
    let owner = owner_of(user);
    let exams = crate::store::exams::list(&state.db).await?;
    let blueprint = match exam {
        Some(code) => Some(
            exams
                .iter()
                .find(|e| e.code.eq_ignore_ascii_case(code))
                .map(|e| e.blueprint_id.clone())
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let rows = store::queue_in(&state.db, owner, !show_all, blueprint.as_deref()).await?;
    Ok(QueuePage {
        layout,
        all_packs: owner.is_none(),
        exam: exam.map(|c| c.to_ascii_uppercase()),
        exams,
        show_all,
        entries: rows
            .iter()
            .map(|r| QueueEntry::new(r, owner.is_none()))
            .collect(),
        done,
        refusal,
    })
}

/// GET /instructor/reports?status=open|all: the reports on the instructor's packs (all packs for admins).
pub async fn queue(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    Query(q): Query<QueueQuery>,
) -> AppResult<Response> {
    let show_all = match q.status.as_deref() {
        None | Some("") | Some("open") => false,
        Some("all") => true,
        Some(other) => {
            return Err(AppError::BadRequest(format!(
                "unknown status `{other}`: use open or all"
            )))
        }
    };
    let done = match q.done.as_deref() {
        Some("fixed") => {
            Some("The report was marked fixed; the candidate will see it on their next visit.")
        }
        Some("rejected") => {
            Some("The report was rejected; the candidate will see your reason on their next visit.")
        }
        _ => None,
    };
    let page = queue_page(
        &state,
        &user,
        Layout::from_session(&session),
        show_all,
        done,
        None,
        q.exam.as_deref().filter(|e| !e.is_empty()),
    )
    .await?;
    Ok(render(&page)?.into_response())
}

/// The report, if it is on one of the user's packs (any pack for an admin) and still open.
async fn open_report(state: &AppState, user: &User, id: Uuid) -> AppResult<QueueRow> {
    let row = store::report_for(&state.db, id, owner_of(user))
        .await?
        .ok_or(AppError::NotFound)?;
    if row.status != "open" {
        return Err(already_resolved(&row));
    }
    Ok(row)
}

fn already_resolved(row: &QueueRow) -> AppError {
    AppError::Conflict(format!(
        "This report on `{}` was already resolved ({}).",
        row.question_key, row.status
    ))
}

/// Answers 422 with the queue and the reason next to the report.
async fn refuse(
    state: &AppState,
    user: &User,
    layout: Layout,
    refusal: Refusal,
) -> AppResult<Response> {
    let page = queue_page(state, user, layout, false, None, Some(refusal), None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
}

#[derive(serde::Deserialize)]
pub struct Empty {}

/// POST /instructor/reports/{id}/fix: the report is fixed by the item's current revision, which must be newer
/// than the one reported (otherwise the instructor is sent to edit the item first).
pub async fn fix(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    Path(id): Path<Uuid>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<Response> {
    let row = open_report(&state, &user, id).await?;
    if !row.can_be_fixed() {
        let message = if row.retired {
            format!(
                "`{}` was removed from its pack, so no revision can fix it: reject the report instead, saying so.",
                row.item_key
            )
        } else {
            format!(
                "`{}` is still at revision {}, the one the candidate reported. Edit the item first, then mark the \
                 report fixed: the fix is the new revision.",
                row.item_key, row.reported_revision
            )
        };
        let edit_href = (!row.retired).then(|| {
            format!(
                "/instructor/packs/{}/items/{}/edit",
                row.pack_id, row.item_key
            )
        });
        return refuse(
            &state,
            &user,
            Layout::from_session(&session),
            Refusal {
                report: id,
                message,
                edit_href,
            },
        )
        .await;
    }
    let target = format!("{}/{}", row.pack_key, row.question_key);
    match store::mark_fixed(&state.db, id, (user.id, user.email.as_str()), &target).await? {
        Some(_) => {
            mail_outcome(&state, id, &row.question_key, true, "").await?;
            Ok(Redirect::to("/instructor/reports?done=fixed").into_response())
        }
        // Resolved by someone else between the read and the update.
        None => Err(already_resolved(&row)),
    }
}

#[derive(serde::Deserialize)]
pub struct RejectForm {
    #[serde(default)]
    reason: String,
}

/// POST /instructor/reports/{id}/reject (reason): the report is rejected; the reason is shown to the reporter.
pub async fn reject(
    State(state): State<AppState>,
    RequireInstructor(user, session): RequireInstructor,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<RejectForm>,
) -> AppResult<Response> {
    let row = open_report(&state, &user, id).await?;
    let reason = form.reason.trim();
    let problem = if reason.is_empty() {
        Some("Give the candidate a reason for rejecting their report.".to_owned())
    } else if reason.chars().count() > MAX_REASON_CHARS {
        Some(format!(
            "The reason is too long ({MAX_REASON_CHARS} characters at most)."
        ))
    } else {
        None
    };
    if let Some(message) = problem {
        return refuse(
            &state,
            &user,
            Layout::from_session(&session),
            Refusal {
                report: id,
                message,
                edit_href: None,
            },
        )
        .await;
    }
    let target = format!("{}/{}", row.pack_key, row.question_key);
    if store::reject(
        &state.db,
        id,
        (user.id, user.email.as_str()),
        &target,
        reason,
    )
    .await?
    {
        mail_outcome(&state, id, &row.question_key, false, reason).await?;
        Ok(Redirect::to("/instructor/reports?done=rejected").into_response())
    } else {
        Err(already_resolved(&row))
    }
}

// ---- The reporter's notices -------------------------------------------------------------------------------

/// The outcome of one of the candidate's reports, as a sentence.
pub struct OutcomeNotice {
    pub text: String,
}

/// A question's stem, shortened to name it in a sentence.
fn snippet(stem: &str) -> String {
    let text = markdown::plain(stem.lines().next().unwrap_or(""));
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > 80 {
        format!("{}…", text.chars().take(79).collect::<String>().trim_end())
    } else {
        text
    }
}

/// The outcomes of the candidate's reports resolved since their last visit; each is shown once (reading them
/// marks them seen).
pub async fn outcome_notices(state: &AppState, user: &User) -> AppResult<Vec<OutcomeNotice>> {
    let outcomes = store::take_unseen_outcomes(&state.db, user.id).await?;
    if outcomes.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = outcomes.iter().map(|o| o.revision_id).collect();
    let contents = crate::store::bank::revisions(&state.db, &ids).await?;
    Ok(outcomes
        .iter()
        .map(|o| {
            let question = contents
                .get(&o.revision_id)
                .and_then(|item| find_question(item, &o.question_key))
                .map(|q| format!("“{}”", snippet(&q.common.stem)))
                .unwrap_or_else(|| "a question".into());
            let kind = kind_label(&o.kind).to_lowercase();
            let text = match (o.status.as_str(), o.fixed_revision) {
                ("fixed", Some(n)) => format!(
                    "Your report on {question} ({kind}) was fixed: the question was corrected in revision {n}. Thank you!"
                ),
                _ => format!(
                    "Your report on {question} ({kind}) was rejected: {}",
                    o.resolution.as_deref().unwrap_or("no reason given")
                ),
            };
            OutcomeNotice { text }
        })
        .collect())
}

/// Mails a report's outcome to its reporter, when they asked for outcomes by mail (account page) and the site
/// sends links.
async fn mail_outcome(
    state: &AppState,
    report: Uuid,
    question: &str,
    fixed: bool,
    note: &str,
) -> AppResult<()> {
    let Ok(url) = state.mail.link("/exams") else {
        return Ok(());
    };
    if let Some((user_id, email, name)) =
        crate::store::mail::report_outcome_recipient(&state.db, report).await?
    {
        let letter = crate::mail::letters::report_outcome(&name, question, fixed, note, &url);
        state
            .mail
            .queue(&state.db, &email, Some(user_id), &letter)
            .await?;
        state.mail.wake();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pseudonym_is_stable_and_does_not_show_the_id() {
        let id = Uuid::new_v4();
        assert_eq!(pseudonym(id), pseudonym(id));
        assert_ne!(pseudonym(id), pseudonym(Uuid::new_v4()));
        assert!(pseudonym(id).starts_with("Candidate "));
    }

    #[test]
    fn a_long_stem_is_shortened_to_its_first_line() {
        assert_eq!(
            snippet("Which **option** is right?\n\nMore"),
            "Which option is right?"
        );
        let long = "word ".repeat(40);
        let s = snippet(&long);
        assert!(s.ends_with('…') && s.chars().count() <= 80, "{s}");
    }
}
