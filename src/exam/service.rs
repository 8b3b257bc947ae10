//! Exam operations shared by the pages and the JSON API: start an attempt, save an answer, end it.
//! Each is a short path: validate against the attempt, one guarded statement, a clear refusal otherwise.

use super::plan::{cover_types, find_question, plan, pool_entry, PlannedItem, TypedEntry};
use super::sampling::{draw, Draw, FormSpec};
use crate::analytics::deck::Confidence;
use crate::auth::session::User;
use crate::bank::model::{Body, Item, Question};
use crate::error::AppError;
use crate::scoring::{self, Response};
use crate::store::bank;
use crate::store::exam::{
    self as store, AttemptMode, AttemptRow, EndReason, FormRow, NewAttempt, SaveOutcome, SlotRow,
};
use sqlx::PgPool;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

// The item types a form shows at least once when its pool has them: every one.
use crate::bank::model::QUESTION_TYPES as ALL_TYPES;

/// How many recent exam attempts' items a new attempt avoids where the bank allows.
pub const AVOID_RECENT: i64 = 3;

/// A form's blueprint and pool, loaded once: what [`FormPool::draw`] needs to plan any number of attempts.
pub struct FormPool {
    spec: FormSpec,
    rows: Vec<bank::PoolRow>,
}

impl FormPool {
    /// Loads the form's blueprint and the items it draws from.
    pub async fn load(db: &PgPool, form: &FormRow) -> Result<FormPool, AppError> {
        let blueprint = store::blueprint(db, &form.blueprint_id).await?;
        let rows = bank::form_pool(db, form.id).await?;
        let spec = FormSpec {
            item_count: usize::try_from(form.item_count).unwrap_or(0),
            case_studies: usize::try_from(form.case_studies).unwrap_or(0),
            domain_weights: blueprint
                .domains
                .iter()
                .map(|d| (d.id.clone(), d.weight.min, d.weight.max))
                .collect(),
            trial_items: usize::try_from(form.trial_items).unwrap_or(0),
        };
        Ok(FormPool { spec, rows })
    }

    /// Every revision of the pool (to load their contents once).
    pub fn revision_ids(&self) -> Vec<Uuid> {
        self.rows.iter().map(|r| r.revision_id).collect()
    }

    /// The item keys of an attempt drawn per the blueprint, avoiding the keys in `seen` where the bank
    /// allows, with every item type the bank offers (same-domain swaps only). Pure given the pool.
    pub fn drawn_keys(&self, seen: &HashSet<String>, seed: u64) -> Result<Draw, AppError> {
        let pool: Vec<_> = self
            .rows
            .iter()
            .map(|r| {
                pool_entry(
                    &r.item_key,
                    r.kind == "case_study",
                    &r.domains,
                    seen.contains(&r.item_key),
                    r.trial,
                )
            })
            .collect();
        let mut drawn = draw(&pool, &self.spec, seed)
            .map_err(|e| AppError::Unprocessable(format!("this exam cannot be started: {e}")))?;
        // Every item type the bank offers appears, even on a short form (same-domain swaps only). Trial items
        // are not in this pool: they are neither swapped in as scored questions nor swapped out.
        let typed: Vec<TypedEntry<'_>> = self
            .rows
            .iter()
            .filter(|r| !r.trial)
            .map(|r| TypedEntry {
                key: &r.item_key,
                case_study: r.kind == "case_study",
                domain: r.domains.first().map(String::as_str).unwrap_or(""),
                types: &r.types,
                seen: seen.contains(&r.item_key),
            })
            .collect();
        cover_types(&mut drawn.entries, &typed, &ALL_TYPES);
        Ok(drawn)
    }

    /// The revisions of the drawn items.
    pub fn revisions_of(&self, drawn: &Draw) -> Vec<Uuid> {
        self.rows
            .iter()
            .filter(|r| drawn.entries.contains(&r.item_key))
            .map(|r| r.revision_id)
            .collect()
    }

    /// The attempt's items in order, from the draw and the revisions' contents (revision → item; items
    /// whose revision is missing are left out).
    pub fn plan(
        &self,
        drawn: &Draw,
        contents: &HashMap<Uuid, std::sync::Arc<Item>>,
        seed: u64,
    ) -> Vec<PlannedItem<Uuid>> {
        let by_key: HashMap<String, (Uuid, std::sync::Arc<Item>)> = self
            .rows
            .iter()
            .filter(|r| drawn.entries.contains(&r.item_key))
            .filter_map(|r| {
                contents
                    .get(&r.revision_id)
                    .map(|it| (r.item_key.clone(), (r.revision_id, it.clone())))
            })
            .collect();
        plan(drawn, &by_key, seed)
    }
}

/// The forms' pools an instance has read, each with the bank version (`bank_version`, migration 0012) it was read
/// at. Before every use the version is read again (one row): a pool read at an older version is read anew, so a
/// revision published on any instance reaches the next start on every instance. A cache it can rebuild: it
/// decides what is drawn, never whether an answer may be saved.
pub struct PoolCache {
    /// Form id → the bank version the pool was read at, and the pool.
    pools: crate::cache::Bounded<Uuid, (i64, FormPool)>,
}

impl Default for PoolCache {
    fn default() -> Self {
        // Forms whose pools an instance keeps at most.
        PoolCache {
            pools: crate::cache::Bounded::new(1_000),
        }
    }
}

impl PoolCache {
    /// The pool of `form` as the bank is now.
    pub async fn get(
        &self,
        db: &PgPool,
        form: &FormRow,
    ) -> Result<std::sync::Arc<(i64, FormPool)>, AppError> {
        // Read the version first: a change that commits while the pool is read makes the next start read it again.
        let version = bank::bank_version(db).await?;
        if let Some(hit) = self.pools.get(&form.id).filter(|p| p.0 == version) {
            return Ok(hit);
        }
        let pool = std::sync::Arc::new((version, FormPool::load(db, form).await?));
        self.pools.insert(form.id, pool.clone());
        Ok(pool)
    }
}

/// Draws a form's items per its blueprint and stores the attempt with its deadline (database time). With an
/// assignment, the attempt is for it: refused outside its window or beyond its attempts (decided in SQL, in the
/// transaction that stores the attempt).
pub async fn start_attempt(
    db: &PgPool,
    pools: &PoolCache,
    user: &User,
    form: &FormRow,
    assignment: Option<Uuid>,
) -> Result<Uuid, AppError> {
    let cached = pools.get(db, form).await?;
    let pool = &cached.1;
    let seen = store::recently_seen(db, user.id, &form.blueprint_id, AVOID_RECENT).await?;
    let seed: u64 = rand::random();
    let drawn = pool.drawn_keys(&seen, seed)?;
    let contents = bank::revisions_shared(db, &pool.revisions_of(&drawn)).await?;
    let items = pool.plan(&drawn, &contents, seed);
    let minutes = form.duration_minutes + user.extra_time_minutes;
    let id = store::create_attempt(
        db,
        NewAttempt {
            user_id: user.id,
            form_id: Some(form.id),
            blueprint_id: &form.blueprint_id,
            mode: AttemptMode::Exam,
            title: &form.title,
            seed,
            cut_fraction: form.cut_fraction,
            minutes: Some(minutes),
            items: &items,
            review_session: false,
            assignment_id: assignment,
        },
    )
    .await?
    .map_err(refused)?;
    tracing::info!(attempt = %id, user = %user.id, form = %form.slug, items = items.len(), "attempt started");
    Ok(id)
}

/// The attempt of this user, ended (and scored) first if its time ran out.
pub async fn load_attempt(db: &PgPool, id: Uuid, user: &User) -> Result<AttemptRow, AppError> {
    let a = store::attempt_for(db, id, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    end_if_expired(db, a, user).await
}

/// The attempt and one of its positions in one read (the save path), ended first when its time is over.
pub async fn load_attempt_slot(
    db: &PgPool,
    id: Uuid,
    user: &User,
    position: i32,
    with_next: bool,
) -> Result<store::AttemptSlot, AppError> {
    let mut found = store::attempt_slot(db, id, user.id, position, with_next)
        .await?
        .ok_or(AppError::NotFound)?;
    found.attempt = end_if_expired(db, found.attempt, user).await?;
    Ok(found)
}

/// An attempt whose time ran out while nobody was looking is ended and scored before it is shown.
async fn end_if_expired(db: &PgPool, a: AttemptRow, user: &User) -> Result<AttemptRow, AppError> {
    if a.ended_at.is_some() || !a.expired {
        return Ok(a);
    }
    store::finalize(db, a.id, EndReason::Expired).await?;
    store::attempt_for(db, a.id, user.id)
        .await?
        .ok_or(AppError::NotFound)
}

/// A position's question, from its (immutable) revision, and the revision itself (shared from the
/// in-process cache: only the question is copied).
pub async fn question_at(
    db: &PgPool,
    slot: &SlotRow,
) -> Result<(Question, std::sync::Arc<Item>), AppError> {
    let item = bank::revision(db, slot.revision_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let q = find_question(&item, &slot.question_key)
        .cloned()
        .ok_or(AppError::NotFound)?;
    Ok((q, item))
}

/// Saves a response (or clears it) and/or the mark for review, with the reasons for a refusal spelt out.
/// In practice, the first answer to an item also says how sure the candidate was and reviews the item's card
/// in their review deck ([`review_practice_answer`]); a review session refuses an answer without it.
pub async fn save(
    db: &PgPool,
    attempt: &AttemptRow,
    slot: &SlotRow,
    question: &Question,
    response: Option<Option<&Response>>,
    marked: Option<bool>,
    confidence: Option<Confidence>,
) -> Result<Option<Response>, AppError> {
    if attempt.review_session
        && slot.response.is_none()
        && matches!(response, Some(Some(_)))
        && confidence.is_none()
    {
        return Err(AppError::Unprocessable(
            "Say how sure you are (guessed, fairly sure or certain) before checking your answer."
                .into(),
        ));
    }
    let statements_lock =
        attempt.mode.is_exam() && matches!(question.body, Body::YesNoSeries { .. });
    // A yes/no page sends only the statement being answered: add it to the ones already answered
    // (a changed earlier statement stays in the new response, so the guarded upsert refuses it).
    let merged = match (response, slot.response.as_ref().map(|j| &j.0)) {
        (Some(Some(Response::YesNoSeries(new))), Some(Response::YesNoSeries(old)))
            if statements_lock =>
        {
            let mut all = old.clone();
            all.extend(new.iter().map(|(k, v)| (k.clone(), *v)));
            Some(Response::YesNoSeries(all))
        }
        (Some(r), _) => r.cloned(),
        (None, _) => slot.response.as_ref().map(|j| j.0.clone()),
    };
    let response = response.map(|_| merged.as_ref());
    if let Some(Some(r)) = response {
        scoring::validate(question, r)
            .map_err(|e| AppError::BadRequest(format!("item {}: {e}", slot.position)))?;
    }
    let outcome = store::save_answer(
        db,
        attempt.id,
        attempt.user_id,
        slot.position,
        slot.section_key.as_deref(),
        response,
        marked,
        statements_lock,
    )
    .await?;
    match outcome {
        SaveOutcome::Saved => {
            if let (true, Some(Some(r))) = (attempt.mode.is_practice(), response) {
                review_practice_answer(db, attempt, slot, question, r, confidence).await?;
            }
            Ok(merged)
        }
        SaveOutcome::Closed => {
            // Make sure the attempt is ended and scored now that its time is over.
            store::finalize(db, attempt.id, EndReason::Expired).await?;
            Err(AppError::Unprocessable(
                "The exam time is over: this answer was not saved. Your earlier answers count."
                    .into(),
            ))
        }
        SaveOutcome::Locked => Err(AppError::Unprocessable(
            if slot.section_key.is_some()
                && attempt
                    .locked_sections
                    .iter()
                    .any(|s| Some(s) == slot.section_key.as_ref())
            {
                "This case study section is locked: you left it, so its answers can no longer change.".into()
            } else {
                "A yes/no statement that you have answered cannot be changed.".into()
            },
        )),
    }
}

/// A practice answer's part in the study loop: its confidence is kept, and its first answer in the attempt
/// rates the item's card (joining the deck when wrong, partly right or guessed). Trial items are never in
/// practice sets.
async fn review_practice_answer(
    db: &PgPool,
    attempt: &AttemptRow,
    slot: &SlotRow,
    question: &Question,
    response: &Response,
    confidence: Option<Confidence>,
) -> Result<(), AppError> {
    if let Some(c) = confidence {
        crate::store::study::set_confidence(db, attempt.id, slot.position, c).await?;
    }
    if slot.response.is_some() || slot.trial {
        return Ok(());
    }
    let score = scoring::score(question, Some(response));
    crate::store::study::review(
        db,
        attempt.user_id,
        attempt.id,
        &attempt.blueprint_id,
        slot.revision_id,
        score.earned,
        score.max,
        confidence,
    )
    .await?;
    Ok(())
}

/// Ends an attempt by the candidate's choice; a second submit (another tab) changes nothing.
/// Leaving a case-study section locks it, as on the real exam. The one home of the rule, for both ways of
/// moving:
/// - the pages move from the item at `from_section` to the item at `to` (None: the review or the end): leaving
///   the section for anything outside it locks it;
/// - the API has no "next": touching an item (`to`) in an exam-mode attempt locks every section the candidate
///   has answered in that is not the touched item's own (`from_section` is then None).
pub async fn leave_sections(
    db: &PgPool,
    attempt: &AttemptRow,
    from_section: Option<&str>,
    to: Option<i32>,
) -> Result<(), AppError> {
    if let Some(section) = from_section {
        let to_section = match to {
            Some(t) => store::slot(db, attempt.id, t)
                .await?
                .and_then(|s| s.section_key),
            None => None,
        };
        if to_section.as_deref() != Some(section) {
            store::lock_section(db, attempt.id, section).await?;
        }
        return Ok(());
    }
    if !attempt.mode.is_exam() {
        return Ok(());
    }
    let slots = store::slots(db, attempt.id).await?;
    let current = to
        .and_then(|t| slots.iter().find(|s| s.position == t))
        .and_then(|s| s.section_key.as_deref());
    let mut left: Vec<&str> = slots
        .iter()
        .filter(|s| s.response.is_some())
        .filter_map(|s| s.section_key.as_deref())
        .filter(|k| Some(*k) != current && !attempt.locked_sections.iter().any(|l| l == k))
        .collect();
    left.dedup();
    for s in left {
        store::lock_section(db, attempt.id, s).await?;
    }
    Ok(())
}

pub async fn submit(db: &PgPool, attempt: &AttemptRow) -> Result<(), AppError> {
    store::finalize(db, attempt.id, EndReason::Submitted).await?;
    Ok(())
}

/// Starts an untimed practice set for the exam with this blueprint, from that exam's published items only; it
/// never counts toward pass rates (mode 'practice').
pub async fn start_practice(
    db: &PgPool,
    user: &User,
    blueprint_id: &str,
    spec: &super::practice::PracticeSpec,
) -> Result<Uuid, AppError> {
    use super::practice::Source;
    let rows = store::published_pool(db, blueprint_id).await?;
    let keys = match spec.source {
        Source::All => Default::default(),
        Source::NotSeen => store::ever_seen(db, user.id, blueprint_id).await?,
        Source::Missed => store::missed(db, user.id, blueprint_id, 5).await?,
        Source::Due => crate::store::study::due_keys(db, user.id, blueprint_id).await?,
    };
    let candidates: Vec<super::practice::Candidate<'_>> = rows
        .iter()
        .map(|r| super::practice::Candidate {
            key: &r.item_key,
            case_study: r.kind == "case_study",
            domains: &r.domains,
            objectives: &r.objectives,
        })
        .collect();
    let seed: u64 = rand::random();
    let keys = super::practice::select(&candidates, &keys, spec, seed);
    if keys.is_empty() {
        return Err(AppError::Unprocessable(match spec.source {
            Source::Due => "Nothing is due for review today in these domains and objectives.".into(),
            _ => "No questions match these choices. Widen the domains or objectives, or draw from all questions.".into(),
        }));
    }
    let wanted: Vec<Uuid> = rows
        .iter()
        .filter(|r| keys.contains(&r.item_key))
        .map(|r| r.revision_id)
        .collect();
    let contents = bank::revisions(db, &wanted).await?;
    let by_key: HashMap<String, (Uuid, Item)> = rows
        .iter()
        .filter_map(|r| {
            contents
                .get(&r.revision_id)
                .map(|it| (r.item_key.clone(), (r.revision_id, it.clone())))
        })
        .collect();
    let drawn = super::sampling::Draw {
        entries: keys,
        per_domain: vec![],
        shortfalls: vec![],
        missing_case_studies: 0,
        trial: vec![],
    };
    let items = plan(&drawn, &by_key, seed);
    let id = store::create_attempt(
        db,
        NewAttempt {
            user_id: user.id,
            form_id: None,
            blueprint_id,
            mode: AttemptMode::Practice,
            title: if spec.source == Source::Due {
                "Review session"
            } else {
                "Practice"
            },
            seed,
            cut_fraction: scoring::DEFAULT_CUT,
            minutes: None,
            items: &items,
            review_session: spec.source == Source::Due,
            assignment_id: None,
        },
    )
    .await?
    .map_err(refused)?;
    Ok(id)
}

/// A refused start as the candidate hears it: an assignment of a class they are not in is not found.
fn refused(r: crate::store::classes::StartRefusal) -> AppError {
    match r {
        crate::store::classes::StartRefusal::NotMember => AppError::NotFound,
        other => AppError::Unprocessable(format!("{}.", capitalised(other.message()))),
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
