//! The candidate's mock exam pages: forms, the item screen, review, end, result and history.
//! Every page works without JavaScript (forms post and redirect); `static/exam.js` only enhances.

use super::reports::{outcome_notices, OutcomeNotice};
use super::views::{answer_lines, CaseView, ItemView};
use super::Path;
use super::{markdown, render, Layout};
use crate::analytics::deck::Confidence;
use crate::auth::session::{CsrfForm, CurrentUser, Session};
use crate::error::{AppError, AppResult};
use crate::exam::form_answer::response_from_form;
use crate::exam::service;
use crate::scoring::{self, Response};
use crate::store::exam::{self as store, AttemptRow, FormRow, SlotRow};
use crate::store::exams::ExamRow;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response as HttpResponse};
use uuid::Uuid;

#[derive(Template)]
#[template(path = "candidate/forms.html")]
pub struct FormsPage {
    pub layout: Layout,
    pub exams: Vec<ExamRow>,
    /// One section per exam shown: the asked-for exam alone, or every exam with the target exam first and
    /// then bookable ones before retired ones.
    pub sections: Vec<ExamSection>,
    /// The exam asked for, when the page shows one.
    pub only: Option<ExamRow>,
    pub notices: Vec<OutcomeNotice>,
    /// The assignments of the candidate's classes, soonest close first.
    pub assignments: Vec<AssignmentLine>,
    /// The class just joined.
    pub joined: Option<String>,
}

/// An assignment on the Exams page, its times in the candidate's time zone.
pub struct AssignmentLine {
    pub a: crate::store::classes::MemberAssignment,
    pub opens: Option<String>,
    pub closes: Option<String>,
    /// "2 of 3 attempts left", "unlimited attempts".
    pub attempts: String,
    /// May be started now.
    pub startable: bool,
}

/// An exam's forms on the mock exams page.
pub struct ExamSection {
    pub exam: ExamRow,
    pub banner: Option<String>,
    /// True when this is the person's target exam.
    pub is_target: bool,
    pub forms: Vec<FormRow>,
}

#[derive(serde::Deserialize, Default)]
pub struct ExamQuery {
    #[serde(default)]
    pub exam: Option<String>,
    /// The class just joined (after a join link).
    #[serde(default)]
    pub joined: Option<String>,
}

/// The candidate's assignments as the Exams page lists them.
async fn assignment_lines(state: &AppState, user_id: Uuid) -> AppResult<Vec<AssignmentLine>> {
    let rows = crate::store::classes::for_member(&state.db, user_id).await?;
    let mut times = Vec::new();
    for a in &rows {
        times.extend(a.opens_at);
        times.extend(a.closes_at);
    }
    let local = crate::store::users::local_times(&state.db, user_id, &times).await?;
    let mut local = local.into_iter();
    Ok(rows
        .into_iter()
        .map(|a| {
            let opens = a.opens_at.and_then(|_| local.next());
            let closes = a.closes_at.and_then(|_| local.next());
            let left = a.allowed.map(|n| (i64::from(n) - a.used).max(0));
            AssignmentLine {
                attempts: match (left, a.allowed) {
                    (Some(l), Some(n)) => format!("{l} of {n} attempt(s) left"),
                    _ => format!("unlimited attempts ({} used)", a.used),
                },
                startable: a.open && !a.archived && left != Some(0),
                opens,
                closes,
                a,
            }
        })
        .collect())
}

pub async fn forms(
    State(state): State<AppState>,
    CurrentUser(user, session): CurrentUser,
    Query(q): Query<ExamQuery>,
) -> AppResult<Html<String>> {
    // Without `?exam=` the page lists every exam: no pick is needed, only the catalogue.
    let (only, exams) = match q.exam.as_deref().filter(|e| !e.is_empty()) {
        Some(code) => {
            let (asked, exams) = super::exams::chosen(&state, Some(user.id), Some(code)).await?;
            (Some(asked), exams)
        }
        None => (None, crate::store::exams::list(&state.db).await?),
    };
    let target = crate::store::exams::target_of(&state.db, user.id).await?;
    let all_forms = store::public_forms(&state.db).await?;
    let mut shown: Vec<ExamRow> = match &only {
        Some(e) => vec![e.clone()],
        None => exams.clone(),
    };
    // The target exam leads; the rest keep the catalogue's order (bookable first).
    shown.sort_by_key(|e| target.as_deref() != Some(e.code.as_str()));
    let sections = shown
        .into_iter()
        .map(|exam| ExamSection {
            banner: super::exams::banner(&exam),
            is_target: target.as_deref() == Some(exam.code.as_str()),
            forms: all_forms
                .iter()
                .filter(|f| f.blueprint_id == exam.blueprint_id)
                .cloned()
                .collect(),
            exam,
        })
        .collect();
    render(&FormsPage {
        layout: Layout::from_session(&session),
        exams,
        sections,
        only,
        notices: outcome_notices(&state, &user).await?,
        assignments: assignment_lines(&state, user.id).await?,
        joined: match q.joined.as_deref().and_then(|j| j.parse::<Uuid>().ok()) {
            Some(id) => crate::store::classes::of_member(&state.db, user.id)
                .await?
                .into_iter()
                .find(|c| c.id == id)
                .map(|c| c.name),
            None => None,
        },
    })
}

#[derive(serde::Deserialize)]
pub struct Empty {}

pub async fn start(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Path(slug): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<Redirect> {
    let form = store::form_by_slug(&state.db, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let id = service::start_attempt(&state.db, &state.pools, &user, &form, None).await?;
    Ok(Redirect::to(&format!("/attempts/{id}/items/1")))
}

/// One entry of the navigation and review lists.
pub struct NavEntry {
    pub position: i32,
    pub answered: bool,
    pub marked: bool,
    pub locked: bool,
    pub section: Option<String>,
}

fn nav(attempt: &AttemptRow, slots: &[SlotRow]) -> Vec<NavEntry> {
    slots
        .iter()
        .map(|s| NavEntry {
            position: s.position,
            answered: s.response.is_some(),
            marked: s.marked,
            locked: s
                .section_key
                .as_ref()
                .is_some_and(|k| attempt.locked_sections.contains(k)),
            section: s.section_key.clone(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "candidate/item.html")]
pub struct ItemPage {
    pub layout: Layout,
    pub attempt: AttemptRow,
    pub position: i32,
    pub total: i32,
    pub item: ItemView,
    pub case: Option<std::sync::Arc<CaseView>>,
    pub marked: bool,
    pub leaves_section: bool,
    pub minutes_left: Option<i64>,
    pub error: Option<String>,
    pub practice_feedback: Option<Feedback>,
    /// Practice and review sessions: the choices of "how sure are you?", asked before the key is shown.
    pub confidences: &'static [Confidence],
    /// What the candidate said, once the answer is checked.
    pub said_confidence: Option<&'static str>,
}

/// Practice mode: the verdict and explanation right after an answer.
pub struct Feedback {
    pub earned: f64,
    pub max: f64,
    pub key_lines: Vec<String>,
    pub explanation_html: String,
    pub references: Vec<String>,
}

fn minutes_left(a: &AttemptRow) -> Option<i64> {
    a.seconds_left.map(|s| (s + 59) / 60)
}

pub async fn item(
    State(state): State<AppState>,
    CurrentUser(user, session): CurrentUser,
    Path((id, position)): Path<(Uuid, i32)>,
) -> AppResult<HttpResponse> {
    let found = service::load_attempt_slot(&state.db, id, &user, position, true).await?;
    if found.attempt.ended_at.is_some() {
        return Ok(Redirect::to(&format!("/attempts/{id}/result")).into_response());
    }
    item_page(&state, &session, found, None, StatusCode::OK).await
}

/// The item page, from one read: the attempt, this position and the next position's section (never the other
/// positions).
async fn item_page(
    state: &AppState,
    session: &Session,
    found: store::AttemptSlot,
    error: Option<String>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let store::AttemptSlot {
        attempt,
        slot,
        next_section,
    } = found;
    let slot = slot.ok_or(AppError::NotFound)?;
    let position = slot.position;
    if slot
        .section_key
        .as_ref()
        .is_some_and(|k| attempt.locked_sections.contains(k))
    {
        return Ok(Redirect::to(&format!(
            "/attempts/{}/review?locked={position}",
            attempt.id
        ))
        .into_response());
    }
    let (question, item) = service::question_at(&state.db, &slot).await?;
    let response = slot.response.as_ref().map(|j| &j.0);
    let leaves_section = slot.section_key.is_some()
        && attempt.mode.is_exam()
        && position < attempt.item_count
        && next_section != slot.section_key;
    let practice_feedback = (attempt.mode.is_practice() && response.is_some()).then(|| {
        let s = scoring::score(&question, response);
        Feedback {
            earned: s.earned,
            max: s.max,
            key_lines: answer_lines(&question, Some(&Response::key(&question))),
            explanation_html: markdown::block(&question.common.explanation),
            references: question.common.references.clone(),
        }
    });
    let page = ItemPage {
        layout: Layout::from_session(session),
        position,
        total: attempt.item_count,
        item: ItemView::new(
            &question,
            &state
                .pages
                .question(slot.revision_id, &slot.question_key, &question),
            &slot.presentation.0,
            response,
        ),
        case: item
            .case_study()
            .map(|c| state.pages.case(slot.revision_id, c)),
        marked: slot.marked,
        leaves_section,
        minutes_left: minutes_left(&attempt),
        error,
        practice_feedback,
        confidences: if attempt.mode.is_practice() {
            &Confidence::ALL
        } else {
            &[]
        },
        said_confidence: slot.confidence.map(Confidence::label),
        attempt,
    };
    Ok((status, render(&page)?).into_response())
}

/// Saves the item's answer and mark, then goes where the candidate asked (`go`: prev, next, review, end,
/// stay, or a position). With `Accept: application/json` (autosave) it answers 204 instead of redirecting.
pub async fn save(
    State(state): State<AppState>,
    CurrentUser(user, session): CurrentUser,
    Path((id, position)): Path<(Uuid, i32)>,
    headers: HeaderMap,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let store::AttemptSlot { attempt, slot, .. } =
        service::load_attempt_slot(&state.db, id, &user, position, false).await?;
    let autosave = headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if attempt.ended_at.is_some() {
        let err = AppError::Unprocessable(
            "The exam time is over: this answer was not saved. Your earlier answers count.".into(),
        );
        if autosave {
            return Err(err);
        }
        return Ok(Redirect::to(&format!("/attempts/{id}/result?late=1")).into_response());
    }
    let slot = slot.ok_or(AppError::NotFound)?;
    if slot
        .section_key
        .as_ref()
        .is_some_and(|k| attempt.locked_sections.contains(k))
    {
        return Err(AppError::Unprocessable(
            "This case study section is locked: you left it, so its answers can no longer change."
                .into(),
        ));
    }
    let (question, _) = service::question_at(&state.db, &slot).await?;
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let response = response_from_form(&question, &pairs).map_err(AppError::BadRequest)?;
    let marked = field("mark_present").map(|_| field("mark").is_some());
    // Keep an answer the form did not touch (e.g. only the mark changed, or a locked yes/no statement).
    let response_change =
        if response.is_none() && slot.response.is_some() && field("clear").is_none() {
            None
        } else {
            Some(response.as_ref())
        };
    let confidence = match field("confidence").filter(|v| !v.is_empty()) {
        Some(v) => Some(Confidence::parse(v).ok_or_else(|| {
            AppError::BadRequest(format!(
                "`{v}` is not a confidence: guessed, fairly_sure or certain"
            ))
        })?),
        None => None,
    };
    let saved = match service::save(
        &state.db,
        &attempt,
        &slot,
        &question,
        response_change,
        marked,
        confidence,
    )
    .await
    {
        Ok(saved) => {
            if response_change.is_some() {
                state.metrics.answer_saved();
            }
            saved
        }
        Err(e) => {
            if autosave {
                return Err(e);
            }
            let found = service::load_attempt_slot(&state.db, id, &user, position, true).await?;
            if found.attempt.ended_at.is_some() {
                return Ok(Redirect::to(&format!("/attempts/{id}/result?late=1")).into_response());
            }
            let status = e.status();
            return item_page(&state, &session, found, Some(e.to_string()), status).await;
        }
    };
    if autosave {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let total = attempt.item_count;
    let go = field("go").unwrap_or("next");
    let target = match go {
        "prev" => Some((position - 1).max(1)),
        "next" => {
            // A yes/no series stays on the item until its statements are all answered.
            // The statement just answered counts (the saved response holds all answered statements).
            let unanswered = matches!(question.body, crate::bank::model::Body::YesNoSeries { .. })
                && response.is_some()
                && saved.as_ref().is_some_and(|r| match (r, &question.body) {
                    (
                        Response::YesNoSeries(m),
                        crate::bank::model::Body::YesNoSeries { statements },
                    ) => m.len() < statements.len(),
                    _ => false,
                })
                && attempt.mode.is_exam();
            if unanswered {
                Some(position)
            } else if position >= total {
                None
            } else {
                Some(position + 1)
            }
        }
        "stay" => Some(position),
        "review" | "end" => None,
        n => n.parse::<i32>().ok().filter(|n| (1..=total).contains(n)),
    };
    if slot.section_key.is_some() {
        service::leave_sections(&state.db, &attempt, slot.section_key.as_deref(), target).await?;
    }
    let to = match (go, target) {
        ("end", _) => format!("/attempts/{id}/end"),
        (_, Some(t)) => format!("/attempts/{id}/items/{t}"),
        (_, None) => format!("/attempts/{id}/review"),
    };
    Ok(Redirect::to(&to).into_response())
}

#[derive(Template)]
#[template(path = "candidate/review.html")]
pub struct ReviewPage {
    pub layout: Layout,
    pub attempt: AttemptRow,
    pub entries: Vec<NavEntry>,
    pub answered: usize,
    pub unanswered: usize,
    pub marked: usize,
    pub minutes_left: Option<i64>,
    pub confirm: bool,
}

async fn review_page(
    state: &AppState,
    user: &crate::auth::session::User,
    session: &Session,
    id: Uuid,
    confirm: bool,
) -> AppResult<HttpResponse> {
    let attempt = service::load_attempt(&state.db, id, user).await?;
    if attempt.ended_at.is_some() {
        return Ok(Redirect::to(&format!("/attempts/{id}/result")).into_response());
    }
    let slots = store::slots(&state.db, id).await?;
    let entries = nav(&attempt, &slots);
    let answered = entries.iter().filter(|e| e.answered).count();
    let page = ReviewPage {
        layout: Layout::from_session(session),
        unanswered: entries.len() - answered,
        marked: entries.iter().filter(|e| e.marked).count(),
        answered,
        entries,
        minutes_left: minutes_left(&attempt),
        attempt,
        confirm,
    };
    Ok(render(&page)?.into_response())
}

pub async fn review(
    State(state): State<AppState>,
    CurrentUser(user, session): CurrentUser,
    Path(id): Path<Uuid>,
) -> AppResult<HttpResponse> {
    review_page(&state, &user, &session, id, false).await
}

pub async fn end_confirm(
    State(state): State<AppState>,
    CurrentUser(user, session): CurrentUser,
    Path(id): Path<Uuid>,
) -> AppResult<HttpResponse> {
    review_page(&state, &user, &session, id, true).await
}

pub async fn submit(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    Path(id): Path<Uuid>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<Redirect> {
    let attempt = service::load_attempt(&state.db, id, &user).await?;
    service::submit(&state.db, &attempt).await?;
    Ok(Redirect::to(&format!("/attempts/{id}/result")))
}

/// A bar of the per-domain chart.
pub struct DomainBar {
    pub title: String,
    pub percent: f64,
    pub band: &'static str,
    pub class: String,
    pub y: usize,
    pub width: f64,
}

/// One reviewed item of the result.
pub struct ReviewedItem {
    pub position: i32,
    /// Its number among the scored items, as the review shows it (trial items are not reviewed).
    pub number: usize,
    pub domain_title: String,
    pub case_title: Option<String>,
    pub stem_html: String,
    pub yours: Vec<String>,
    pub key: Vec<String>,
    pub earned: f64,
    pub max: f64,
    pub explanation_html: String,
    pub references: Vec<String>,
}

#[derive(Template)]
#[template(path = "candidate/result.html")]
pub struct ResultPage {
    pub layout: Layout,
    pub attempt: AttemptRow,
    pub scaled: i32,
    pub passed: bool,
    pub bars: Vec<DomainBar>,
    pub chart_height: usize,
    pub items: Vec<ReviewedItem>,
    pub late: bool,
    pub reported: Option<i32>,
    /// Shown when the attempt's exam is retired (or retiring, or in beta).
    pub exam_banner: Option<String>,
    /// The attempt was for a class assignment that does not show its answers (yet): no key, explanation or
    /// reference, and no item list.
    pub answers_hidden: bool,
}

pub async fn result(
    State(state): State<AppState>,
    CurrentUser(user, session): CurrentUser,
    Path(id): Path<Uuid>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    let attempt = service::load_attempt(&state.db, id, &user).await?;
    if attempt.ended_at.is_none() {
        return Ok(Redirect::to(&format!("/attempts/{id}/review")).into_response());
    }
    let answers_visible = crate::store::classes::answers_visible(&state.db, id).await?;
    let (bars, items) = reviewed(&state, &attempt, answers_visible).await?;
    let exam_banner = crate::store::exams::find(&state.db, &attempt.blueprint_id)
        .await?
        .and_then(|e| super::exams::banner(&e));
    let page = ResultPage {
        layout: Layout::from_session(&session),
        answers_hidden: !answers_visible,
        scaled: attempt.scaled_score.unwrap_or(0),
        passed: attempt.passed.unwrap_or(false),
        chart_height: bars.len() * 56 + 10,
        bars,
        items,
        late: q.contains_key("late"),
        reported: q.get("reported").and_then(|v| v.parse().ok()),
        exam_banner,
        attempt,
    };
    Ok(render(&page)?.into_response())
}

/// An ended attempt's domain bars and, `with_answers`, each scored item with the answer given, the key, the
/// explanation and the references (the candidate's result page, and the class staff's review of a member's
/// attempt).
pub async fn reviewed(
    state: &AppState,
    attempt: &AttemptRow,
    with_answers: bool,
) -> AppResult<(Vec<DomainBar>, Vec<ReviewedItem>)> {
    let result = attempt
        .result
        .as_ref()
        .map(|j| j.0.clone())
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("ended attempt without result")))?;
    // The attempt's own exam: its domain titles.
    let blueprint = store::blueprint(&state.db, &attempt.blueprint_id)
        .await
        .ok();
    let title_of = |d: &str| {
        blueprint
            .as_ref()
            .and_then(|b| b.domain(d))
            .map(|x| x.title.clone())
            .unwrap_or_else(|| d.to_owned())
    };
    let bars: Vec<DomainBar> = result
        .domains
        .iter()
        .enumerate()
        .map(|(i, d)| DomainBar {
            title: title_of(&d.domain),
            percent: d.percent,
            band: d.band().label(),
            class: d.band().label().to_lowercase().replace(' ', "-"),
            y: i * 56,
            width: d.percent.clamp(0.0, 100.0) * 4.0,
        })
        .collect();
    if !with_answers {
        return Ok((bars, Vec::new()));
    }
    let slots = store::slots(&state.db, attempt.id).await?;
    let ids: Vec<Uuid> = slots.iter().map(|s| s.revision_id).collect();
    let contents = crate::store::bank::revisions(&state.db, &ids).await?;
    let mut items = Vec::with_capacity(slots.len());
    // Unscored trial items are left out of the review, as the real exam never says which items were unscored;
    // the page says only that the exam may have included some.
    for s in slots.iter().filter(|s| !s.trial) {
        let Some(item) = contents.get(&s.revision_id) else {
            continue;
        };
        let Some(q) = crate::exam::plan::find_question(item, &s.question_key) else {
            continue;
        };
        let response = s.response.as_ref().map(|j| &j.0);
        items.push(ReviewedItem {
            position: s.position,
            number: items.len() + 1,
            domain_title: title_of(&s.domain),
            case_title: item.case_study().map(|c| c.title.clone()),
            stem_html: markdown::block(&q.common.stem),
            yours: answer_lines(q, response),
            key: answer_lines(q, Some(&Response::key(q))),
            earned: s.earned.unwrap_or(0.0),
            max: s.max_points,
            explanation_html: markdown::block(&q.common.explanation),
            references: q.common.references.clone(),
        });
    }
    Ok((bars, items))
}

impl ResultPage {
    fn was_reported(&self, position: &i32) -> bool {
        self.reported == Some(*position)
    }
}

/// A point of the score-trend chart.
pub struct TrendPoint {
    pub x: f64,
    pub y: f64,
    pub score: i32,
}

#[derive(Template)]
#[template(path = "candidate/history.html")]
pub struct HistoryPage {
    pub layout: Layout,
    pub attempts: Vec<AttemptRow>,
    /// Each attempt's start, in the person's time zone.
    pub when: Vec<String>,
    /// Each attempt's exam code.
    pub exam_of: Vec<String>,
    pub points: Vec<TrendPoint>,
    pub polyline: String,
    pub pass_y: f64,
    pub notices: Vec<OutcomeNotice>,
}

pub async fn history(
    State(state): State<AppState>,
    CurrentUser(user, session): CurrentUser,
) -> AppResult<Html<String>> {
    let attempts = store::history(&state.db, user.id).await?;
    let started: Vec<_> = attempts.iter().map(|a| a.started_at).collect();
    let when = crate::store::users::local_times(&state.db, user.id, &started).await?;
    let exam_of: Vec<String> = attempts
        .iter()
        .map(|a| crate::bank::exam::code_of_blueprint(&a.blueprint_id))
        .collect();
    let scored: Vec<i32> = attempts
        .iter()
        .rev()
        .filter(|a| a.mode.is_exam())
        .filter_map(|a| a.scaled_score)
        .collect();
    let n = scored.len().max(2) as f64 - 1.0;
    let y_of = |s: f64| 210.0 - s / 1000.0 * 200.0;
    let points: Vec<TrendPoint> = scored
        .iter()
        .enumerate()
        .map(|(i, s)| TrendPoint {
            x: 30.0 + i as f64 / n * 560.0,
            y: y_of(f64::from(*s)),
            score: *s,
        })
        .collect();
    let polyline = points
        .iter()
        .map(|p| format!("{:.1},{:.1}", p.x, p.y))
        .collect::<Vec<_>>()
        .join(" ");
    render(&HistoryPage {
        layout: Layout::from_session(&session),
        attempts,
        when,
        exam_of,
        points,
        polyline,
        pass_y: y_of(700.0),
        notices: outcome_notices(&state, &user).await?,
    })
}
