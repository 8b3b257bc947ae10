//! Classes in the database: classes, their instructors and members, assignments and overrides, the gradebook's
//! reads and the admin's pass rates. Every change is written with its audit entry in one transaction. The limits
//! (seats, windows, attempts) are decided in SQL (migration 0015's `class_join` and `assignment_start_refusal`).

use super::bank::audit;
use super::users::Actor;
use serde::Serialize;
use sqlx::{PgExecutor, PgPool};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// When a candidate sees the keys and explanations of an assignment's attempt (the score and the domain report
/// are always shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnswersShown {
    /// When the attempt ends.
    AtEnd,
    /// Once the window has closed for everybody (overrides included).
    AfterClose,
    /// Never: no page or API route shows them to the candidate.
    Never,
}

impl AnswersShown {
    pub const ALL: [AnswersShown; 3] = [
        AnswersShown::AtEnd,
        AnswersShown::AfterClose,
        AnswersShown::Never,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AnswersShown::AtEnd => "at_end",
            AnswersShown::AfterClose => "after_close",
            AnswersShown::Never => "never",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// As the pages say it.
    pub fn label(self) -> &'static str {
        match self {
            AnswersShown::AtEnd => "at the end of the attempt",
            AnswersShown::AfterClose => "after the window closes",
            AnswersShown::Never => "never",
        }
    }
}
super::text_enum!(AnswersShown, "answers setting");

/// A class as its staff and members see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClassRow {
    pub id: Uuid,
    pub name: String,
    pub exam_code: String,
    /// The exam's blueprint: its forms, packs and attempts.
    pub blueprint_id: String,
    pub owner_id: Uuid,
    pub owner_name: String,
    #[schema(value_type = Option<String>, format = Date)]
    pub starts_on: Option<Date>,
    #[schema(value_type = Option<String>, format = Date)]
    pub ends_on: Option<Date>,
    pub join_code: String,
    pub join_enabled: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub join_expires_at: Option<OffsetDateTime>,
    pub seat_limit: Option<i32>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub archived_at: Option<OffsetDateTime>,
    pub members: i64,
}

/// What a new class is.
pub struct NewClass<'a> {
    pub name: &'a str,
    pub exam_code: &'a str,
    pub starts_on: Option<Date>,
    pub ends_on: Option<Date>,
}

/// Who a class's staff member is to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Staff {
    Owner,
    CoInstructor,
    /// An admin, who sees and manages every class.
    Admin,
}

/// A fresh join code: 10 characters of an alphabet without look-alikes (about 50 bits).
pub fn new_join_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    (0..10)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Writes the audit entry of a change to a class (target `class:{id}`) in the change's transaction.
async fn log(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    actor: Actor<'_>,
    action: &str,
    class_id: Uuid,
    detail: serde_json::Value,
) -> Result<(), sqlx::Error> {
    audit(
        &mut **tx,
        Some((actor.id, actor.email)),
        action,
        &format!("class:{class_id}"),
        detail,
    )
    .await
}

/// Creates a class owned by the actor, with a fresh join code; audited `class.created`.
pub async fn create(db: &PgPool, actor: Actor<'_>, c: NewClass<'_>) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::new_v4();
    let mut tx = db.begin().await?;
    sqlx::query!(
        "INSERT INTO classes (id, name, exam_code, owner_id, starts_on, ends_on, join_code)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        id,
        c.name,
        c.exam_code,
        actor.id,
        c.starts_on,
        c.ends_on,
        new_join_code(),
    )
    .execute(&mut *tx)
    .await?;
    log(
        &mut tx,
        actor,
        "class.created",
        id,
        serde_json::json!({"name": c.name, "exam": c.exam_code,
                           "starts_on": c.starts_on.map(|d| d.to_string()),
                           "ends_on": c.ends_on.map(|d| d.to_string())}),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A class by id.
pub async fn by_id(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<ClassRow>, sqlx::Error> {
    Ok(select(db, Filter::Id(id)).await?.into_iter().next())
}

/// A class by its join code (in any case).
pub async fn by_code(db: impl PgExecutor<'_>, code: &str) -> Result<Option<ClassRow>, sqlx::Error> {
    let code = code.trim().to_uppercase();
    Ok(select(db, Filter::Code(&code)).await?.into_iter().next())
}

/// The classes an instructor owns or co-teaches (every class for `None`: an admin), newest first.
pub async fn of_staff(
    db: impl PgExecutor<'_>,
    staff: Option<Uuid>,
) -> Result<Vec<ClassRow>, sqlx::Error> {
    select(db, Filter::Staff(staff)).await
}

/// Which classes [`select`] reads.
enum Filter<'a> {
    Id(Uuid),
    Code(&'a str),
    /// Those the instructor owns or co-teaches; every class for `None`.
    Staff(Option<Uuid>),
    /// Those the user is a member of, most recently joined first.
    Member(Uuid),
}

async fn select(db: impl PgExecutor<'_>, filter: Filter<'_>) -> Result<Vec<ClassRow>, sqlx::Error> {
    let (id, code, listing, staff, member) = match filter {
        Filter::Id(id) => (Some(id), None, false, None, None),
        Filter::Code(code) => (None, Some(code), false, None, None),
        Filter::Staff(staff) => (None, None, true, staff, None),
        Filter::Member(user) => (None, None, false, None, Some(user)),
    };
    sqlx::query_as!(
        ClassRow,
        r#"SELECT c.id, c.name, c.exam_code, x.blueprint_id, c.owner_id, u.display_name AS owner_name, c.starts_on,
                  c.ends_on, c.join_code, c.join_enabled, c.join_expires_at, c.seat_limit, c.archived_at,
                  (SELECT count(*) FROM class_members m WHERE m.class_id = c.id) AS "members!"
           FROM classes c JOIN users u ON u.id = c.owner_id JOIN exams x ON x.code = c.exam_code
           LEFT JOIN class_members me ON me.class_id = c.id AND me.user_id = $5
           WHERE ($1::uuid IS NULL OR c.id = $1) AND ($2::text IS NULL OR c.join_code = $2)
             AND (NOT $3 OR $4::uuid IS NULL OR c.owner_id = $4
                  OR EXISTS (SELECT 1 FROM class_instructors ci WHERE ci.class_id = c.id AND ci.user_id = $4))
             AND ($5::uuid IS NULL OR me.user_id IS NOT NULL)
           ORDER BY c.archived_at IS NOT NULL, me.joined_at DESC NULLS LAST, c.created_at DESC"#,
        id,
        code,
        listing,
        staff,
        member,
    )
    .fetch_all(db)
    .await
}

/// The classes a candidate is a member of.
pub async fn of_member(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
) -> Result<Vec<ClassRow>, sqlx::Error> {
    select(db, Filter::Member(user_id)).await
}

/// What the user is to the class's staff: owner, co-instructor, admin (any class), or nothing.
pub async fn staff_of(
    db: impl PgExecutor<'_>,
    class_id: Uuid,
    user_id: Uuid,
    is_admin: bool,
) -> Result<Option<Staff>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT c.owner_id = $2 AS "owner!",
                  EXISTS (SELECT 1 FROM class_instructors ci WHERE ci.class_id = c.id AND ci.user_id = $2) AS "co!"
           FROM classes c WHERE c.id = $1"#,
        class_id,
        user_id,
    )
    .fetch_optional(db)
    .await?;
    Ok(row.and_then(|r| {
        if r.owner {
            Some(Staff::Owner)
        } else if r.co {
            Some(Staff::CoInstructor)
        } else if is_admin {
            Some(Staff::Admin)
        } else {
            None
        }
    }))
}

/// Whether the user is a member of the class.
pub async fn is_member(
    db: impl PgExecutor<'_>,
    class_id: Uuid,
    user_id: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM class_members WHERE class_id = $1 AND user_id = $2) AS "m!""#,
        class_id,
        user_id
    )
    .fetch_one(db)
    .await
}

/// What a class's settings become (the whole set, as the settings form sends it).
#[derive(Debug, Clone)]
pub struct ClassSettings {
    pub name: String,
    pub starts_on: Option<Date>,
    pub ends_on: Option<Date>,
    pub join_enabled: bool,
    pub join_expires_at: Option<OffsetDateTime>,
    pub seat_limit: Option<i32>,
}

/// Changes a class's name, dates and join settings; audited `class.updated` with the new settings.
pub async fn update(
    db: &PgPool,
    actor: Actor<'_>,
    id: Uuid,
    s: &ClassSettings,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let n = sqlx::query!(
        "UPDATE classes SET name = $2, starts_on = $3, ends_on = $4, join_enabled = $5, join_expires_at = $6,
                            seat_limit = $7
         WHERE id = $1",
        id,
        s.name,
        s.starts_on,
        s.ends_on,
        s.join_enabled,
        s.join_expires_at,
        s.seat_limit,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Ok(false);
    }
    let detail = serde_json::json!({
        "name": s.name, "join_enabled": s.join_enabled, "seat_limit": s.seat_limit,
        "starts_on": s.starts_on.map(|d| d.to_string()),
        "ends_on": s.ends_on.map(|d| d.to_string()),
        "join_expires_at": s.join_expires_at.map(|d| d.to_string()),
    });
    log(&mut tx, actor, "class.updated", id, detail).await?;
    tx.commit().await?;
    Ok(true)
}

/// A new join code (the old link stops working); audited `class.join_code_regenerated`.
pub async fn regenerate_code(db: &PgPool, actor: Actor<'_>, id: Uuid) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query!(
        "UPDATE classes SET join_code = $2 WHERE id = $1",
        id,
        new_join_code()
    )
    .execute(&mut *tx)
    .await?;
    log(
        &mut tx,
        actor,
        "class.join_code_regenerated",
        id,
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await
}

/// Archives (or restores) a class; audited `class.archived` / `class.restored`.
pub async fn set_archived(
    db: &PgPool,
    actor: Actor<'_>,
    id: Uuid,
    archived: bool,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query!(
        "UPDATE classes SET archived_at = CASE WHEN $2 THEN COALESCE(archived_at, now()) END WHERE id = $1",
        id,
        archived
    )
    .execute(&mut *tx)
    .await?;
    log(
        &mut tx,
        actor,
        if archived {
            "class.archived"
        } else {
            "class.restored"
        },
        id,
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await
}

/// Deletes a class no attempt was made for (its members and assignments go with it); audited `class.deleted`.
/// False when an attempt was made for one of its assignments: such a class can be archived, not deleted, since
/// deleting it would show answers the assignment hides.
pub async fn delete(db: &PgPool, actor: Actor<'_>, id: Uuid) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let name = sqlx::query_scalar!("SELECT name FROM classes WHERE id = $1 FOR UPDATE", id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(name) = name else {
        return Ok(true);
    };
    let used = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM attempts a JOIN assignments s ON s.id = a.assignment_id
                          WHERE s.class_id = $1) AS "used!""#,
        id
    )
    .fetch_one(&mut *tx)
    .await?;
    if used {
        return Ok(false);
    }
    sqlx::query!("DELETE FROM classes WHERE id = $1", id)
        .execute(&mut *tx)
        .await?;
    log(
        &mut tx,
        actor,
        "class.deleted",
        id,
        serde_json::json!({"name": name}),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// How a join went (migration 0015's `class_join`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JoinOutcome {
    Joined,
    /// Already a member: nothing changed.
    Already,
    Unknown,
    /// The instructor turned the join link off.
    Closed,
    Expired,
    Full,
    Archived,
}

impl JoinOutcome {
    fn parse(s: &str) -> Option<JoinOutcome> {
        Some(match s {
            "joined" => JoinOutcome::Joined,
            "already" => JoinOutcome::Already,
            "unknown" => JoinOutcome::Unknown,
            "closed" => JoinOutcome::Closed,
            "expired" => JoinOutcome::Expired,
            "full" => JoinOutcome::Full,
            "archived" => JoinOutcome::Archived,
            _ => return None,
        })
    }
}

/// The user joins the class through its link; a join is audited `class.member_joined`.
pub async fn join(
    db: &PgPool,
    class_id: Uuid,
    user: Actor<'_>,
) -> Result<JoinOutcome, sqlx::Error> {
    let mut tx = db.begin().await?;
    let outcome = sqlx::query_scalar!(
        r#"SELECT class_join($1, $2) AS "outcome!""#,
        class_id,
        user.id
    )
    .fetch_one(&mut *tx)
    .await?;
    let outcome = JoinOutcome::parse(&outcome).unwrap_or(JoinOutcome::Unknown);
    if outcome == JoinOutcome::Joined {
        log(
            &mut tx,
            user,
            "class.member_joined",
            class_id,
            serde_json::json!({"member": user.email}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(outcome)
}

/// The member leaves, or is removed by the staff (`by` is not the member); audited `class.member_left` or
/// `class.member_removed`. Their attempts stay (out of the gradebook; back in it if they join again).
pub async fn remove_member(
    db: &PgPool,
    by: Actor<'_>,
    class_id: Uuid,
    user_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let email = sqlx::query_scalar!(
        "DELETE FROM class_members m USING users u
         WHERE m.class_id = $1 AND m.user_id = $2 AND u.id = m.user_id RETURNING u.email",
        class_id,
        user_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(email) = email else {
        return Ok(false);
    };
    log(
        &mut tx,
        by,
        if by.id == user_id {
            "class.member_left"
        } else {
            "class.member_removed"
        },
        class_id,
        serde_json::json!({"member": email}),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// What became of one address of a bulk add.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AddOutcome {
    Added,
    AlreadyMember,
    /// No account has this address: invite them with the join link.
    NoAccount,
}

/// Adds the accounts with these (valid, lower-case) addresses as members, in one transaction, audited
/// `class.members_added` with the addresses added. The join link's seat limit does not apply: the staff decide.
pub async fn add_members(
    db: &PgPool,
    actor: Actor<'_>,
    class_id: Uuid,
    emails: &[String],
) -> Result<Vec<AddOutcome>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let rows = sqlx::query!(
        r#"WITH wanted AS (SELECT e, n FROM UNNEST($2::text[]) WITH ORDINALITY AS w (e, n)),
                found AS (SELECT w.e, w.n, u.id FROM wanted w LEFT JOIN users u ON u.email = w.e),
                added AS (INSERT INTO class_members (class_id, user_id)
                          SELECT DISTINCT $1::uuid, id FROM found WHERE id IS NOT NULL
                          ON CONFLICT DO NOTHING RETURNING user_id)
           SELECT f.e AS "email!", f.n AS "n!", f.id AS "user_id?",
                  (f.id IN (SELECT user_id FROM added)) AS "added?"
           FROM found f ORDER BY f.n"#,
        class_id,
        emails,
    )
    .fetch_all(&mut *tx)
    .await?;
    // An address given twice is added once: its later lines say "already a member".
    let mut seen = std::collections::HashSet::new();
    let outcomes: Vec<AddOutcome> = rows
        .iter()
        .map(|r| match r.user_id {
            None => AddOutcome::NoAccount,
            Some(id) if r.added == Some(true) && seen.insert(id) => AddOutcome::Added,
            Some(_) => AddOutcome::AlreadyMember,
        })
        .collect();
    let added: Vec<&str> = rows
        .iter()
        .zip(&outcomes)
        .filter(|(_, o)| **o == AddOutcome::Added)
        .map(|(r, _)| r.email.as_str())
        .collect();
    if !added.is_empty() {
        log(
            &mut tx,
            actor,
            "class.members_added",
            class_id,
            serde_json::json!({"members": added}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// Adds an instructor as co-instructor by e-mail; audited `class.instructor_added`. False when no instructor
/// or admin account has the address.
pub async fn add_instructor(
    db: &PgPool,
    actor: Actor<'_>,
    class_id: Uuid,
    email: &str,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let added = sqlx::query_scalar!(
        "INSERT INTO class_instructors (class_id, user_id)
         SELECT $1, u.id FROM users u JOIN classes c ON c.id = $1
         WHERE u.email = $2 AND u.role IN ('instructor', 'admin') AND u.id <> c.owner_id
         ON CONFLICT DO NOTHING RETURNING user_id",
        class_id,
        email,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let known = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM users WHERE email = $1 AND role IN ('instructor', 'admin')) AS "k!""#,
        email
    )
    .fetch_one(&mut *tx)
    .await?;
    if added.is_some() {
        log(
            &mut tx,
            actor,
            "class.instructor_added",
            class_id,
            serde_json::json!({"instructor": email}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(known)
}

/// Removes a co-instructor; audited `class.instructor_removed`.
pub async fn remove_instructor(
    db: &PgPool,
    actor: Actor<'_>,
    class_id: Uuid,
    user_id: Uuid,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    let email = sqlx::query_scalar!(
        "DELETE FROM class_instructors ci USING users u
         WHERE ci.class_id = $1 AND ci.user_id = $2 AND u.id = ci.user_id RETURNING u.email",
        class_id,
        user_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(email) = email {
        log(
            &mut tx,
            actor,
            "class.instructor_removed",
            class_id,
            serde_json::json!({"instructor": email}),
        )
        .await?;
    }
    tx.commit().await
}

/// A person of a class: a member or a co-instructor.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonRow {
    pub user_id: Uuid,
    pub display_name: String,
    pub email: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub since: OffsetDateTime,
}

/// The members, by name.
pub async fn members(
    db: impl PgExecutor<'_>,
    class_id: Uuid,
) -> Result<Vec<PersonRow>, sqlx::Error> {
    sqlx::query_as!(
        PersonRow,
        "SELECT u.id AS user_id, u.display_name, u.email, m.joined_at AS since
         FROM class_members m JOIN users u ON u.id = m.user_id
         WHERE m.class_id = $1 ORDER BY lower(u.display_name), u.email",
        class_id
    )
    .fetch_all(db)
    .await
}

/// One member of the class.
pub async fn member(
    db: impl PgExecutor<'_>,
    class_id: Uuid,
    user_id: Uuid,
) -> Result<Option<PersonRow>, sqlx::Error> {
    sqlx::query_as!(
        PersonRow,
        "SELECT u.id AS user_id, u.display_name, u.email, m.joined_at AS since
         FROM class_members m JOIN users u ON u.id = m.user_id
         WHERE m.class_id = $1 AND m.user_id = $2",
        class_id,
        user_id
    )
    .fetch_optional(db)
    .await
}

/// The co-instructors.
pub async fn instructors(
    db: impl PgExecutor<'_>,
    class_id: Uuid,
) -> Result<Vec<PersonRow>, sqlx::Error> {
    sqlx::query_as!(
        PersonRow,
        "SELECT u.id AS user_id, u.display_name, u.email, ci.added_at AS since
         FROM class_instructors ci JOIN users u ON u.id = ci.user_id
         WHERE ci.class_id = $1 ORDER BY lower(u.display_name)",
        class_id
    )
    .fetch_all(db)
    .await
}

/// An assignment with its form.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AssignmentRow {
    pub id: Uuid,
    pub class_id: Uuid,
    pub form_id: Uuid,
    pub form_slug: String,
    pub form_title: String,
    pub item_count: i32,
    pub duration_minutes: i32,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub opens_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closes_at: Option<OffsetDateTime>,
    /// None: unlimited.
    pub max_attempts: Option<i32>,
    pub answers_shown: AnswersShown,
}

/// A class's assignments, in the order they were made.
pub async fn assignments(
    db: impl PgExecutor<'_>,
    class_id: Uuid,
) -> Result<Vec<AssignmentRow>, sqlx::Error> {
    select_assignments(db, Some(class_id), None).await
}

/// One assignment.
pub async fn assignment(
    db: impl PgExecutor<'_>,
    id: Uuid,
) -> Result<Option<AssignmentRow>, sqlx::Error> {
    Ok(select_assignments(db, None, Some(id))
        .await?
        .into_iter()
        .next())
}

async fn select_assignments(
    db: impl PgExecutor<'_>,
    class_id: Option<Uuid>,
    id: Option<Uuid>,
) -> Result<Vec<AssignmentRow>, sqlx::Error> {
    sqlx::query_as!(
        AssignmentRow,
        r#"SELECT s.id, s.class_id, s.form_id, f.slug AS form_slug, f.title AS form_title, f.item_count,
                  f.duration_minutes, s.opens_at, s.closes_at, s.max_attempts,
                  s.answers_shown AS "answers_shown: AnswersShown"
           FROM assignments s JOIN exam_forms f ON f.id = s.form_id
           WHERE ($1::uuid IS NULL OR s.class_id = $1) AND ($2::uuid IS NULL OR s.id = $2)
           ORDER BY s.created_at, s.id"#,
        class_id,
        id
    )
    .fetch_all(db)
    .await
}

/// What a new assignment is.
pub struct NewAssignment {
    pub form_id: Uuid,
    pub opens_at: Option<OffsetDateTime>,
    pub closes_at: Option<OffsetDateTime>,
    pub max_attempts: Option<i32>,
    pub answers_shown: AnswersShown,
}

/// Assigns a form to a class; audited `class.assignment_created`.
pub async fn create_assignment(
    db: &PgPool,
    actor: Actor<'_>,
    class_id: Uuid,
    a: &NewAssignment,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::new_v4();
    let mut tx = db.begin().await?;
    sqlx::query!(
        "INSERT INTO assignments (id, class_id, form_id, opens_at, closes_at, max_attempts, answers_shown)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        id,
        class_id,
        a.form_id,
        a.opens_at,
        a.closes_at,
        a.max_attempts,
        a.answers_shown.as_str(),
    )
    .execute(&mut *tx)
    .await?;
    log(&mut tx, actor, "class.assignment_created", class_id, serde_json::json!({"assignment": id, "form": a.form_id,
                           "opens_at": a.opens_at.map(|t| t.to_string()),
                           "closes_at": a.closes_at.map(|t| t.to_string()),
                           "max_attempts": a.max_attempts, "answers_shown": a.answers_shown.as_str()})).await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes an assignment's window, attempts and when answers show; audited `class.assignment_updated` with the
/// new settings. Attempts already started keep their deadlines.
pub async fn update_assignment(
    db: &PgPool,
    actor: Actor<'_>,
    assignment: &AssignmentRow,
    a: &NewAssignment,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query!(
        "UPDATE assignments SET opens_at = $2, closes_at = $3, max_attempts = $4, answers_shown = $5 WHERE id = $1",
        assignment.id,
        a.opens_at,
        a.closes_at,
        a.max_attempts,
        a.answers_shown.as_str(),
    )
    .execute(&mut *tx)
    .await?;
    log(
        &mut tx,
        actor,
        "class.assignment_updated",
        assignment.class_id,
        serde_json::json!({"assignment": assignment.id,
                           "opens_at": a.opens_at.map(|t| t.to_string()),
                           "closes_at": a.closes_at.map(|t| t.to_string()),
                           "max_attempts": a.max_attempts, "answers_shown": a.answers_shown.as_str()}),
    )
    .await?;
    tx.commit().await
}

/// Gives one member an extra attempt or a later close (replacing their earlier override); audited
/// `class.override_set`.
pub async fn set_override(
    db: &PgPool,
    actor: Actor<'_>,
    assignment: &AssignmentRow,
    user_id: Uuid,
    extra_attempts: i32,
    closes_at: Option<OffsetDateTime>,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    let email = sqlx::query_scalar!(
        "INSERT INTO assignment_overrides (assignment_id, user_id, extra_attempts, closes_at)
         SELECT $1, $2, $3, $4 FROM class_members m JOIN users u ON u.id = m.user_id
         WHERE m.class_id = $5 AND m.user_id = $2
         ON CONFLICT (assignment_id, user_id) DO UPDATE
             SET extra_attempts = EXCLUDED.extra_attempts, closes_at = EXCLUDED.closes_at
         RETURNING (SELECT email FROM users WHERE id = $2)",
        assignment.id,
        user_id,
        extra_attempts,
        closes_at,
        assignment.class_id,
    )
    .fetch_optional(&mut *tx)
    .await?
    .flatten();
    let Some(email) = email else {
        return Err(sqlx::Error::RowNotFound);
    };
    log(
        &mut tx,
        actor,
        "class.override_set",
        assignment.class_id,
        serde_json::json!({"assignment": assignment.id, "member": email,
                           "extra_attempts": extra_attempts,
                           "closes_at": closes_at.map(|t| t.to_string())}),
    )
    .await?;
    tx.commit().await
}

/// A member's override of one assignment.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OverrideRow {
    pub assignment_id: Uuid,
    pub user_id: Uuid,
    pub extra_attempts: i32,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closes_at: Option<OffsetDateTime>,
}

/// The overrides of a class's assignments.
pub async fn overrides(
    db: impl PgExecutor<'_>,
    class_id: Uuid,
) -> Result<Vec<OverrideRow>, sqlx::Error> {
    sqlx::query_as!(
        OverrideRow,
        "SELECT o.assignment_id, o.user_id, o.extra_attempts, o.closes_at
         FROM assignment_overrides o JOIN assignments s ON s.id = o.assignment_id WHERE s.class_id = $1",
        class_id
    )
    .fetch_all(db)
    .await
}

/// Why a start is refused (migration 0015's `assignment_start_refusal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartRefusal {
    NotMember,
    Archived,
    NotOpen,
    Closed,
    NoAttemptsLeft,
}

impl StartRefusal {
    pub fn parse(s: &str) -> Option<StartRefusal> {
        Some(match s {
            "not_member" => StartRefusal::NotMember,
            "archived" => StartRefusal::Archived,
            "not_open" => StartRefusal::NotOpen,
            "closed" => StartRefusal::Closed,
            "no_attempts_left" => StartRefusal::NoAttemptsLeft,
            _ => return None,
        })
    }

    /// What the candidate is told.
    pub fn message(self) -> &'static str {
        match self {
            StartRefusal::NotMember => "this assignment is for the members of its class",
            StartRefusal::Archived => "the class is archived: its assignments cannot be started",
            StartRefusal::NotOpen => "this assignment has not opened yet",
            StartRefusal::Closed => "this assignment has closed: no attempt can start after its window",
            StartRefusal::NoAttemptsLeft => {
                "you have used every attempt this assignment allows; ask your instructor for another"
            }
        }
    }
}

/// Checks, in the transaction that will insert the attempt, whether the user may start one for the assignment
/// now; the membership row stays locked until the transaction ends.
pub async fn start_refusal(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    assignment_id: Uuid,
    user_id: Uuid,
) -> Result<Option<StartRefusal>, sqlx::Error> {
    let refusal = sqlx::query_scalar!(
        "SELECT assignment_start_refusal($1, $2)",
        assignment_id,
        user_id
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(refusal.as_deref().and_then(StartRefusal::parse))
}

/// An assignment as a member sees it on the Exams page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberAssignment {
    pub id: Uuid,
    pub class_id: Uuid,
    pub class_name: String,
    pub exam_code: String,
    pub form_title: String,
    pub item_count: i32,
    pub duration_minutes: i32,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub opens_at: Option<OffsetDateTime>,
    /// The close that applies to this member (their override's, when later).
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closes_at: Option<OffsetDateTime>,
    /// Attempts allowed, override included; None: unlimited.
    pub allowed: Option<i32>,
    pub used: i64,
    pub answers_shown: AnswersShown,
    /// Opened and not closed, by the database's clock.
    pub open: bool,
    pub not_yet_open: bool,
    /// Closes within the next 48 hours.
    pub due_soon: bool,
    pub archived: bool,
}

/// The assignments of every class the user is a member of, soonest close first.
pub async fn for_member(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
) -> Result<Vec<MemberAssignment>, sqlx::Error> {
    sqlx::query_as!(
        MemberAssignment,
        r#"SELECT s.id, c.id AS class_id, c.name AS class_name, c.exam_code, f.title AS form_title, f.item_count,
                  f.duration_minutes, s.opens_at,
                  CASE WHEN s.closes_at IS NOT NULL THEN GREATEST(s.closes_at, o.closes_at) END AS closes_at,
                  s.max_attempts + COALESCE(o.extra_attempts, 0) AS allowed,
                  (SELECT count(*) FROM attempts a WHERE a.assignment_id = s.id AND a.user_id = $1) AS "used!",
                  s.answers_shown AS "answers_shown: AnswersShown",
                  (COALESCE(now() >= s.opens_at, true)
                   AND COALESCE(now() < CASE WHEN s.closes_at IS NOT NULL THEN GREATEST(s.closes_at, o.closes_at) END, true)) AS "open!",
                  COALESCE(now() < s.opens_at, false) AS "not_yet_open!",
                  COALESCE(CASE WHEN s.closes_at IS NOT NULL THEN GREATEST(s.closes_at, o.closes_at) END
                           BETWEEN now() AND now() + interval '48 hours', false) AS "due_soon!",
                  c.archived_at IS NOT NULL AS "archived!"
           FROM class_members m
           JOIN classes c ON c.id = m.class_id
           JOIN assignments s ON s.class_id = c.id
           JOIN exam_forms f ON f.id = s.form_id
           LEFT JOIN assignment_overrides o ON o.assignment_id = s.id AND o.user_id = m.user_id
           WHERE m.user_id = $1
           ORDER BY c.archived_at IS NOT NULL, CASE WHEN s.closes_at IS NOT NULL THEN GREATEST(s.closes_at, o.closes_at) END NULLS LAST,
                    s.created_at"#,
        user_id
    )
    .fetch_all(db)
    .await
}

/// Whether the candidate may see the keys and explanations of this attempt now (migration 0015's
/// `attempt_answers_visible`).
pub async fn answers_visible(
    db: impl PgExecutor<'_>,
    attempt_id: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(r#"SELECT attempt_answers_visible($1) AS "v!""#, attempt_id)
        .fetch_one(db)
        .await
}

/// One cell of the gradebook: a current member's attempts at one assignment.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CellRow {
    pub assignment_id: Uuid,
    pub user_id: Uuid,
    /// Attempts started (in progress included).
    pub attempts: i64,
    /// Over the ended attempts.
    pub best: Option<i32>,
    pub last: Option<i32>,
    /// The best attempt passed.
    pub passed: Option<bool>,
    /// Minutes used over every ended attempt.
    pub minutes: Option<f64>,
}

/// The gradebook's cells of a class (current members only), in one aggregate over the class's attempts.
pub async fn cells(db: impl PgExecutor<'_>, class_id: Uuid) -> Result<Vec<CellRow>, sqlx::Error> {
    sqlx::query_as!(
        CellRow,
        r#"SELECT a.assignment_id AS "assignment_id!", a.user_id, count(*) AS "attempts!",
                  max(a.scaled_score) AS best,
                  (array_agg(a.scaled_score ORDER BY a.started_at DESC) FILTER (WHERE a.ended_at IS NOT NULL))[1] AS last,
                  bool_or(a.passed) AS passed,
                  (sum(extract(epoch FROM a.ended_at - a.started_at)) / 60)::float8 AS minutes
           FROM assignments s
           JOIN attempts a ON a.assignment_id = s.id
           JOIN class_members m ON m.class_id = s.class_id AND m.user_id = a.user_id
           WHERE s.class_id = $1
           GROUP BY a.assignment_id, a.user_id"#,
        class_id
    )
    .fetch_all(db)
    .await
}

/// Points per domain over the ended attempts of current members at the class's assignments (or one member's).
pub async fn domain_points(
    db: impl PgExecutor<'_>,
    class_id: Uuid,
    member: Option<Uuid>,
) -> Result<Vec<(String, f64, f64)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT d.domain, sum(d.earned)::float8 AS "earned!", sum(d.max)::float8 AS "max!"
           FROM assignments s
           JOIN attempts a ON a.assignment_id = s.id
           JOIN class_members m ON m.class_id = s.class_id AND m.user_id = a.user_id
           JOIN attempt_domain_points d ON d.attempt_id = a.id
           WHERE s.class_id = $1 AND ($2::uuid IS NULL OR a.user_id = $2)
           GROUP BY d.domain ORDER BY d.domain"#,
        class_id,
        member,
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.domain, r.earned, r.max))
        .collect())
}

/// An attempt of a member at one of the class's assignments.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClassAttempt {
    pub id: Uuid,
    pub assignment_id: Uuid,
    pub user_id: Uuid,
    pub display_name: String,
    pub email: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ended_at: Option<OffsetDateTime>,
    pub scaled_score: Option<i32>,
    pub passed: Option<bool>,
    pub minutes: Option<f64>,
}

/// The attempts of current members at the class's assignments (one assignment's, or one member's), oldest
/// first.
pub async fn attempts(
    db: impl PgExecutor<'_>,
    class_id: Uuid,
    assignment: Option<Uuid>,
    member: Option<Uuid>,
) -> Result<Vec<ClassAttempt>, sqlx::Error> {
    sqlx::query_as!(
        ClassAttempt,
        r#"SELECT a.id, a.assignment_id AS "assignment_id!", a.user_id, u.display_name, u.email, a.started_at,
                  a.ended_at, a.scaled_score, a.passed,
                  (extract(epoch FROM a.ended_at - a.started_at) / 60)::float8 AS minutes
           FROM assignments s
           JOIN attempts a ON a.assignment_id = s.id
           JOIN class_members m ON m.class_id = s.class_id AND m.user_id = a.user_id
           JOIN users u ON u.id = a.user_id
           WHERE s.class_id = $1 AND ($2::uuid IS NULL OR s.id = $2) AND ($3::uuid IS NULL OR a.user_id = $3)
           ORDER BY a.started_at, a.id"#,
        class_id,
        assignment,
        member,
    )
    .fetch_all(db)
    .await
}

/// The member and the assignment of an attempt made by a current member for one of the class's assignments
/// (what lets the class's staff open its review); None for any other attempt.
pub async fn attempt_in_class(
    db: impl PgExecutor<'_>,
    class_id: Uuid,
    attempt_id: Uuid,
) -> Result<Option<(Uuid, Uuid)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT a.user_id, s.id AS assignment_id FROM attempts a JOIN assignments s ON s.id = a.assignment_id
         JOIN class_members m ON m.class_id = s.class_id AND m.user_id = a.user_id
         WHERE s.class_id = $1 AND a.id = $2",
        class_id,
        attempt_id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.user_id, r.assignment_id)))
}

/// A pass rate of one group of finished exam attempts (a class, an instructor's classes, or an exam) in one
/// month. Finished as on the dashboard beside it (`store::analytics`): an attempt that expired without an
/// answer is abandoned, and counts neither as a pass nor as a fail.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PassRateRow {
    /// "class", "instructor" or "exam".
    pub by: String,
    pub name: String,
    #[schema(value_type = String, format = Date)]
    pub month: Date,
    pub attempts: i64,
    pub passed: i64,
}

/// Pass rates of one exam's finished mock attempts by class, by the classes' owner and for the exam, per month
/// (the admin's).
pub async fn pass_rates(
    db: impl PgExecutor<'_>,
    exam_code: &str,
) -> Result<Vec<PassRateRow>, sqlx::Error> {
    sqlx::query_as!(
        PassRateRow,
        // Submitted, or expired and finished, in two branches that both read only attempts_pass_rates_idx: an
        // expired attempt's `finished` is its row of `attempt_summaries` (the dashboard's own rule, kept by its
        // triggers), one key lookup each. At 100,000 attempts this costs the query about 18 ms. Reading the
        // expired attempts' answers instead cost 120 ms (every empty slot of an abandoned attempt is a row), and
        // one branch with `submitted OR (SELECT ..)` was costed so high that PostgreSQL compiled it (JIT, 340 ms).
        r#"WITH ended AS (
               SELECT a.passed, a.assignment_id, a.blueprint_id,
                      date_trunc('month', a.started_at AT TIME ZONE 'UTC')::date AS month
               FROM attempts a JOIN exams x ON x.blueprint_id = a.blueprint_id AND x.code = $1
               WHERE a.mode = 'exam' AND a.ended_at IS NOT NULL AND a.passed IS NOT NULL
                 AND a.ended_reason = 'submitted'
               UNION ALL
               SELECT a.passed, a.assignment_id, a.blueprint_id,
                      date_trunc('month', a.started_at AT TIME ZONE 'UTC')::date
               FROM attempts a JOIN exams x ON x.blueprint_id = a.blueprint_id AND x.code = $1
               WHERE a.mode = 'exam' AND a.ended_at IS NOT NULL AND a.passed IS NOT NULL
                 AND a.ended_reason = 'expired'
                 AND EXISTS (SELECT 1 FROM attempt_summaries su WHERE su.attempt_id = a.id AND su.finished)
           )
           SELECT 'class' AS "by!", c.name AS "name!", e.month AS "month!", count(*) AS "attempts!",
                  count(*) FILTER (WHERE e.passed) AS "passed!"
           FROM ended e JOIN assignments s ON s.id = e.assignment_id JOIN classes c ON c.id = s.class_id
           GROUP BY c.id, c.name, e.month
           UNION ALL
           SELECT 'instructor', u.display_name || ' <' || u.email || '>', e.month, count(*),
                  count(*) FILTER (WHERE e.passed)
           FROM ended e JOIN assignments s ON s.id = e.assignment_id JOIN classes c ON c.id = s.class_id
           JOIN users u ON u.id = c.owner_id
           GROUP BY u.id, u.display_name, u.email, e.month
           UNION ALL
           SELECT 'exam', x.code, e.month, count(*), count(*) FILTER (WHERE e.passed)
           FROM ended e JOIN exams x ON x.blueprint_id = e.blueprint_id
           GROUP BY x.code, e.month
           ORDER BY 1, 2, 3"#,
        exam_code
    )
    .fetch_all(db)
    .await
}

/// A form as the admin's list of forms shows it.
#[derive(Debug, Clone)]
pub struct AdminFormRow {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub exam_code: String,
    pub visibility: super::exam::Visibility,
    /// "pending" or "refused" when the form's maker asked for it to be public.
    pub public_request: Option<String>,
    pub public_request_reason: Option<String>,
    pub owner: Option<String>,
}

/// Every published form, requests for publicity first, then public forms, then class forms.
pub async fn forms_for_admin(db: impl PgExecutor<'_>) -> Result<Vec<AdminFormRow>, sqlx::Error> {
    sqlx::query_as!(
        AdminFormRow,
        r#"SELECT f.id, f.slug, f.title, COALESCE(x.code, f.blueprint_id) AS "exam_code!",
                  f.visibility AS "visibility: super::exam::Visibility", f.public_request, f.public_request_reason,
                  u.email AS "owner?"
           FROM exam_forms f LEFT JOIN exams x ON x.blueprint_id = f.blueprint_id
           LEFT JOIN users u ON u.id = f.owner_id
           WHERE f.published
           ORDER BY f.public_request = 'pending' DESC NULLS LAST, f.visibility DESC, f.position, f.title"#
    )
    .fetch_all(db)
    .await
}

/// Makes a form public or class-only (an admin's decision; a pending request is answered by it); audited
/// `form.visibility_changed`. False when there is no such form.
pub async fn set_form_visibility(
    db: &PgPool,
    actor: Actor<'_>,
    form_id: Uuid,
    visibility: super::exam::Visibility,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let slug = sqlx::query_scalar!(
        "UPDATE exam_forms SET visibility = $2,
                public_request = CASE WHEN $2 = 'public' THEN NULL ELSE public_request END
         WHERE id = $1 RETURNING slug",
        form_id,
        visibility.as_str()
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(slug) = slug else {
        return Ok(false);
    };
    audit(
        &mut *tx,
        Some((actor.id, actor.email)),
        "form.visibility_changed",
        &slug,
        serde_json::json!({"visibility": visibility.as_str()}),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Answers an instructor's request to make their form public: approved (it becomes public) or refused with a
/// reason the instructor reads; audited `form.public_approved` / `form.public_refused`. False when the form
/// has no pending request.
pub async fn answer_public_request(
    db: &PgPool,
    actor: Actor<'_>,
    form_id: Uuid,
    approve: bool,
    reason: &str,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let slug = sqlx::query_scalar!(
        "UPDATE exam_forms SET visibility = CASE WHEN $2 THEN 'public' ELSE visibility END,
                public_request = CASE WHEN $2 THEN NULL ELSE 'refused' END,
                public_request_reason = CASE WHEN $2 THEN NULL ELSE $3 END
         WHERE id = $1 AND public_request = 'pending' RETURNING slug",
        form_id,
        approve,
        reason
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(slug) = slug else {
        return Ok(false);
    };
    audit(
        &mut *tx,
        Some((actor.id, actor.email)),
        if approve {
            "form.public_approved"
        } else {
            "form.public_refused"
        },
        &slug,
        serde_json::json!({"reason": reason}),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
