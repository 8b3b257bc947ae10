//! Classes: the rules of an instructor's groups, shared by the pages and the JSON API. Who may manage a class,
//! what a valid class and assignment are, adding members in bulk, and starting an assignment's attempt. The
//! limits under concurrency (seats, windows, attempts) are the database's (`store::classes`).

pub mod reminders;
pub mod roster;

use crate::analytics::gradebook as book;
use crate::auth::session::User;
use crate::auth::Role;
use crate::error::AppError;
use crate::exam::service::{self, PoolCache};
use crate::store::classes::{
    self as store, AddOutcome, AnswersShown, AssignmentRow, ClassRow, ClassSettings, NewAssignment,
    PersonRow, Staff,
};
use crate::store::exam::{FormRow, Visibility};
use crate::store::users::Actor;
use roster::RosterLine;
use serde::Serialize;
use sqlx::PgPool;
use time::{Date, OffsetDateTime, PrimitiveDateTime};
use uuid::Uuid;

/// Longest class name.
pub const MAX_NAME_CHARS: usize = 200;

pub fn actor(user: &User) -> Actor<'_> {
    Actor {
        id: user.id,
        email: &user.email,
    }
}

/// The class and what the user is to it, when they are its staff (owner, co-instructor, or an admin). Anybody
/// else, a member included, gets "not found": a class's staff pages do not say that it exists.
pub async fn staff(
    db: &PgPool,
    class_id: Uuid,
    user: &User,
) -> Result<(ClassRow, Staff), AppError> {
    let who = store::staff_of(db, class_id, user.id, user.role == Role::Admin)
        .await?
        .ok_or(AppError::NotFound)?;
    let class = store::by_id(db, class_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((class, who))
}

/// The class, when its staff may change it: an archived class is read-only until it is restored.
pub async fn staff_for_change(
    db: &PgPool,
    class_id: Uuid,
    user: &User,
) -> Result<(ClassRow, Staff), AppError> {
    let (class, who) = staff(db, class_id, user).await?;
    writable(&class)?;
    Ok((class, who))
}

/// An archived class is read-only until it is restored.
fn writable(class: &ClassRow) -> Result<(), AppError> {
    if class.archived_at.is_some() {
        return Err(AppError::Conflict(
            "The class is archived: restore it to change it.".into(),
        ));
    }
    Ok(())
}

/// Parses an optional `YYYY-MM-DD`.
pub fn date_field(raw: &str, what: &str) -> Result<Option<Date>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    crate::bank::exam::parse_date(raw)
        .map(Some)
        .ok_or_else(|| AppError::BadRequest(format!("{what} must be a date like 2027-01-31")))
}

/// Parses an optional `YYYY-MM-DDTHH:MM` (a `datetime-local` field), in the account's time zone.
pub async fn local_time_field(
    db: &PgPool,
    user: &User,
    raw: &str,
    what: &str,
) -> Result<Option<OffsetDateTime>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let bad = || {
        AppError::BadRequest(format!(
            "{what} must be a date and time like 2027-01-31T17:00"
        ))
    };
    let (date, clock) = raw.split_once(['T', ' ']).ok_or_else(bad)?;
    let date = crate::bank::exam::parse_date(date).ok_or_else(bad)?;
    let mut hm = clock.splitn(3, ':');
    let h: u8 = hm.next().and_then(|h| h.parse().ok()).ok_or_else(bad)?;
    let m: u8 = hm.next().and_then(|m| m.parse().ok()).ok_or_else(bad)?;
    let t = time::Time::from_hms(h, m, 0).map_err(|_| bad())?;
    let at =
        crate::store::users::from_local(db, user.id, &[PrimitiveDateTime::new(date, t)]).await?;
    Ok(at.into_iter().next())
}

/// A class's name and dates, checked.
pub fn check_class(
    name: &str,
    starts: Option<Date>,
    ends: Option<Date>,
) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::BadRequest("Give the class a name.".into()));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::BadRequest(format!(
            "The name is too long ({MAX_NAME_CHARS} characters at most)."
        )));
    }
    if let (Some(s), Some(e)) = (starts, ends) {
        if e < s {
            return Err(AppError::BadRequest(
                "The class ends before it starts: check the dates.".into(),
            ));
        }
    }
    Ok(name.to_owned())
}

/// Creates a class for an exam of the catalogue (a retired one too: its pages show the banner).
pub async fn create(
    db: &PgPool,
    user: &User,
    name: &str,
    exam_code: &str,
    starts: Option<Date>,
    ends: Option<Date>,
) -> Result<Uuid, AppError> {
    let name = check_class(name, starts, ends)?;
    let exam = crate::store::exams::find(db, exam_code.trim())
        .await?
        .ok_or_else(|| {
            AppError::BadRequest(format!("There is no exam `{exam_code}` in the catalogue."))
        })?;
    Ok(store::create(
        db,
        actor(user),
        store::NewClass {
            name: &name,
            exam_code: &exam.code,
            starts_on: starts,
            ends_on: ends,
        },
    )
    .await?)
}

/// Changes a class's name, dates and join settings.
pub async fn update(
    db: &PgPool,
    user: &User,
    class_id: Uuid,
    s: ClassSettings,
) -> Result<(), AppError> {
    staff_for_change(db, class_id, user).await?;
    let name = check_class(&s.name, s.starts_on, s.ends_on)?;
    if s.seat_limit.is_some_and(|n| !(1..=100_000).contains(&n)) {
        return Err(AppError::BadRequest(
            "The seat limit must be a whole number from 1 to 100000, or empty for none.".into(),
        ));
    }
    store::update(db, actor(user), class_id, &ClassSettings { name, ..s }).await?;
    Ok(())
}

/// A new join link (the old one stops working).
pub async fn regenerate_code(db: &PgPool, user: &User, class_id: Uuid) -> Result<(), AppError> {
    staff_for_change(db, class_id, user).await?;
    Ok(store::regenerate_code(db, actor(user), class_id).await?)
}

/// The staff remove a member (idempotent: removing somebody who is not a member changes nothing).
pub async fn remove_member(
    db: &PgPool,
    user: &User,
    class_id: Uuid,
    member: Uuid,
) -> Result<(), AppError> {
    staff_for_change(db, class_id, user).await?;
    store::remove_member(db, actor(user), class_id, member).await?;
    Ok(())
}

/// Adds a co-instructor by e-mail.
pub async fn add_instructor(
    db: &PgPool,
    user: &User,
    class_id: Uuid,
    email: &str,
) -> Result<(), AppError> {
    staff_for_change(db, class_id, user).await?;
    let email = email.trim().to_lowercase();
    if !store::add_instructor(db, actor(user), class_id, &email).await? {
        return Err(AppError::BadRequest(format!(
            "No instructor account has the address `{email}`."
        )));
    }
    Ok(())
}

/// Removes a co-instructor.
pub async fn remove_instructor(
    db: &PgPool,
    user: &User,
    class_id: Uuid,
    who: Uuid,
) -> Result<(), AppError> {
    staff_for_change(db, class_id, user).await?;
    Ok(store::remove_instructor(db, actor(user), class_id, who).await?)
}

/// Archives or restores the class (an archived class may be restored, so this is not a change refused by it).
pub async fn set_archived(
    db: &PgPool,
    user: &User,
    class_id: Uuid,
    archived: bool,
) -> Result<(), AppError> {
    staff(db, class_id, user).await?;
    Ok(store::set_archived(db, actor(user), class_id, archived).await?)
}

/// Deletes the class: its owner or an admin (a co-instructor gets 403), and only while no attempt was made for it.
pub async fn delete(db: &PgPool, user: &User, class_id: Uuid) -> Result<(), AppError> {
    let (_, who) = staff(db, class_id, user).await?;
    if who == Staff::CoInstructor {
        return Err(AppError::Forbidden);
    }
    if !store::delete(db, actor(user), class_id).await? {
        return Err(AppError::Conflict(
            "Members have made attempts for this class's assignments: archive the class instead (its data stays readable)."
                .into(),
        ));
    }
    Ok(())
}

/// The result of one line of a bulk add.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LineResult {
    /// 1-based, in the list as sent.
    pub line: usize,
    /// The address read, or the line's text when it holds none.
    pub text: String,
    /// `added`, `already_member`, `invited` (no account: the join link was mailed to the address), `no_account`
    /// (no account, and no invitation could be mailed: the join link is off or the site sends no links) or
    /// `malformed`.
    pub outcome: String,
    /// Why a malformed line was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Adds the accounts a pasted list or CSV names (at most [`roster::MAX_LINES`] lines), and mails the class's
/// join link to the addresses that have no account (while the link is on): each line's result.
pub async fn add_members(
    db: &PgPool,
    mailer: &crate::mail::Mailer,
    user: &User,
    class_id: Uuid,
    text: &str,
) -> Result<Vec<LineResult>, AppError> {
    let (class, _) = staff_for_change(db, class_id, user).await?;
    let lines = roster::read(text)
        .map_err(|e| AppError::BadRequest(format!("{}.", capitalised(&e.to_string()))))?;
    let emails: Vec<String> = lines
        .iter()
        .filter_map(|l| match l {
            RosterLine::Address { email, .. } => Some(email.clone()),
            RosterLine::Malformed { .. } => None,
        })
        .collect();
    let outcomes = if emails.is_empty() {
        Vec::new()
    } else {
        store::add_members(db, actor(user), class_id, &emails).await?
    };
    let join_open = class.join_enabled
        && class
            .join_expires_at
            .is_none_or(|t| t > OffsetDateTime::now_utc());
    let join_url = mailer
        .link(&format!("/join/{}", class.join_code))
        .ok()
        .filter(|_| join_open);
    let mut invited = std::collections::HashSet::new();
    if let Some(url) = &join_url {
        let mut tx = db.begin().await?;
        for (email, outcome) in emails.iter().zip(&outcomes) {
            if matches!(outcome, AddOutcome::NoAccount) && invited.insert(email.clone()) {
                let letter = crate::mail::letters::invitation(
                    &class.name,
                    &user.display_name,
                    &class.exam_code,
                    url,
                );
                mailer.queue(&mut *tx, email, None, &letter).await?;
            }
        }
        tx.commit().await?;
        mailer.wake();
    }
    let mut outcomes = outcomes.into_iter();
    Ok(lines
        .into_iter()
        .map(|l| match l {
            RosterLine::Address { line, email } => LineResult {
                line,
                outcome: match outcomes.next().unwrap_or(AddOutcome::NoAccount) {
                    AddOutcome::Added => "added",
                    AddOutcome::AlreadyMember => "already_member",
                    AddOutcome::NoAccount if invited.contains(&email) => "invited",
                    AddOutcome::NoAccount => "no_account",
                }
                .into(),
                text: email,
                reason: None,
            },
            RosterLine::Malformed { line, text, reason } => LineResult {
                line,
                text,
                outcome: "malformed".into(),
                reason: Some(reason),
            },
        })
        .collect())
}

/// A class's gradebook table: its assignments, and its current members by those assignments (one aggregate
/// over the class's attempts).
pub async fn gradebook(
    db: &PgPool,
    class_id: Uuid,
) -> Result<(Vec<AssignmentRow>, Vec<book::Row<PersonRow>>), AppError> {
    let assignments = store::assignments(db, class_id).await?;
    let members: Vec<(Uuid, PersonRow)> = store::members(db, class_id)
        .await?
        .into_iter()
        .map(|m| (m.user_id, m))
        .collect();
    let cells: Vec<(Uuid, Uuid, book::Cell)> = store::cells(db, class_id)
        .await?
        .into_iter()
        .map(|c| {
            let cell = book::Cell {
                attempts: c.attempts,
                best: c.best,
                last: c.last,
                passed: c.passed,
                minutes: c.minutes,
            };
            (c.assignment_id, c.user_id, cell)
        })
        .collect();
    let ids: Vec<Uuid> = assignments.iter().map(|a| a.id).collect();
    let rows = book::table(&members, &ids, &cells);
    Ok((assignments, rows))
}

/// What a new assignment asks for, as sent.
pub struct AssignmentRequest {
    pub form_id: Uuid,
    pub opens_at: Option<OffsetDateTime>,
    pub closes_at: Option<OffsetDateTime>,
    /// None: unlimited.
    pub max_attempts: Option<i32>,
    pub answers_shown: AnswersShown,
}

/// The forms the user may assign to the class: published forms of the class's exam that are public, or theirs
/// (an admin may assign any).
pub async fn assignable_forms(
    db: &PgPool,
    user: &User,
    class: &ClassRow,
) -> Result<Vec<FormRow>, AppError> {
    Ok(crate::store::exam::list_forms(db)
        .await?
        .into_iter()
        .filter(|f| f.blueprint_id == class.blueprint_id)
        .filter(|f| {
            f.visibility == Visibility::Public
                || f.owner_id == Some(user.id)
                || user.role == Role::Admin
        })
        .collect())
}

/// Checks an assignment's window, attempts and answers setting.
fn check_assignment(a: &AssignmentRequest) -> Result<(), AppError> {
    if let (Some(o), Some(c)) = (a.opens_at, a.closes_at) {
        if c <= o {
            return Err(AppError::BadRequest(
                "The window closes before it opens: check the times.".into(),
            ));
        }
    }
    if a.max_attempts.is_some_and(|n| !(1..=100).contains(&n)) {
        return Err(AppError::BadRequest(
            "Attempts allowed must be from 1 to 100, or unlimited.".into(),
        ));
    }
    if a.answers_shown == AnswersShown::AfterClose && a.closes_at.is_none() {
        return Err(AppError::BadRequest(
            "Answers shown after the window closes need a closing time.".into(),
        ));
    }
    Ok(())
}

impl AssignmentRequest {
    fn settings(&self) -> NewAssignment {
        NewAssignment {
            form_id: self.form_id,
            opens_at: self.opens_at,
            closes_at: self.closes_at,
            max_attempts: self.max_attempts,
            answers_shown: self.answers_shown,
        }
    }
}

/// Assigns a form to a class, with its window, attempts and when answers are shown.
pub async fn assign(
    db: &PgPool,
    user: &User,
    class_id: Uuid,
    a: AssignmentRequest,
) -> Result<Uuid, AppError> {
    let (class, _) = staff_for_change(db, class_id, user).await?;
    let forms = assignable_forms(db, user, &class).await?;
    if !forms.iter().any(|f| f.id == a.form_id) {
        return Err(AppError::BadRequest(format!(
            "Choose one of your own forms or a public form for {}.",
            class.exam_code
        )));
    }
    check_assignment(&a)?;
    Ok(store::create_assignment(db, actor(user), class_id, &a.settings()).await?)
}

/// Changes an assignment's window, attempts and answers setting (its form stays).
pub async fn update_assignment(
    db: &PgPool,
    user: &User,
    class_id: Uuid,
    assignment_id: Uuid,
    a: AssignmentRequest,
) -> Result<(), AppError> {
    let (class, row) = staff_assignment(db, user, class_id, assignment_id).await?;
    writable(&class)?;
    let a = AssignmentRequest {
        form_id: row.form_id,
        ..a
    };
    check_assignment(&a)?;
    Ok(store::update_assignment(db, actor(user), &row, &a.settings()).await?)
}

/// The assignment, when the user is its class's staff.
pub async fn staff_assignment(
    db: &PgPool,
    user: &User,
    class_id: Uuid,
    assignment_id: Uuid,
) -> Result<(ClassRow, AssignmentRow), AppError> {
    let (class, _) = staff(db, class_id, user).await?;
    let a = store::assignment(db, assignment_id)
        .await?
        .filter(|a| a.class_id == class_id)
        .ok_or(AppError::NotFound)?;
    Ok((class, a))
}

/// Gives one member an extra attempt or a later close.
pub async fn set_override(
    db: &PgPool,
    user: &User,
    class_id: Uuid,
    assignment_id: Uuid,
    member: Uuid,
    extra_attempts: i32,
    closes_at: Option<OffsetDateTime>,
) -> Result<(), AppError> {
    let (class, a) = staff_assignment(db, user, class_id, assignment_id).await?;
    writable(&class)?;
    if !(0..=100).contains(&extra_attempts) {
        return Err(AppError::BadRequest(
            "Extra attempts must be from 0 to 100.".into(),
        ));
    }
    match store::set_override(db, actor(user), &a, member, extra_attempts, closes_at).await {
        Err(sqlx::Error::RowNotFound) => {
            Err(AppError::BadRequest("Choose a member of the class.".into()))
        }
        other => Ok(other?),
    }
}

/// Starts the member's attempt at an assignment: refused outside its window or beyond its attempts (decided in
/// the database, under concurrency), "not found" for anybody who is not a member.
pub async fn start(
    db: &PgPool,
    pools: &PoolCache,
    user: &User,
    assignment_id: Uuid,
) -> Result<Uuid, AppError> {
    let a = store::assignment(db, assignment_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !store::is_member(db, a.class_id, user.id).await? {
        return Err(AppError::NotFound);
    }
    let form = crate::store::exam::form_by_id(db, a.form_id)
        .await?
        .ok_or_else(|| {
            AppError::Unprocessable(
                "The assignment's form is no longer published; ask your instructor.".into(),
            )
        })?;
    service::start_attempt(db, pools, user, &form, Some(a.id)).await
}

/// Joins the class whose code this is.
pub async fn join(
    db: &PgPool,
    user: &User,
    code: &str,
) -> Result<(ClassRow, store::JoinOutcome), AppError> {
    if code.trim().is_empty() {
        return Err(AppError::BadRequest("Give the class's join code.".into()));
    }
    let class = store::by_code(db, code).await?.ok_or(AppError::NotFound)?;
    let outcome = store::join(db, class.id, actor(user)).await?;
    Ok((class, outcome))
}

/// Why a join was refused, as the visitor is told.
pub fn join_refusal(o: store::JoinOutcome) -> Option<&'static str> {
    use store::JoinOutcome::*;
    match o {
        Joined | Already => None,
        Unknown => Some("There is no class with this join code."),
        Closed => Some("The instructor has turned this join link off."),
        Expired => Some("This join link has expired: ask your instructor for a new one."),
        Full => Some("The class is full: every seat is taken."),
        Archived => Some("The class is archived: nobody can join it."),
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
