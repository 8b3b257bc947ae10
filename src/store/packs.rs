//! The instructor's list of packs (a page at a time, searched, filtered and sorted) and deleting packs: a
//! draft no attempt used goes whole, in one transaction with its audit entry; a used pack can only be archived.

use super::bank::PackStatus;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

/// Whose packs a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OwnerFilter {
    /// Every pack the viewer may see: an instructor's own and the site packs; every pack for an admin.
    #[default]
    Visible,
    /// The viewer's own packs.
    Mine,
    /// Packs imported from the command line without an owner (the shipped bank).
    Site,
}

impl OwnerFilter {
    pub fn parse(s: &str) -> Option<OwnerFilter> {
        Some(match s {
            "" | "all" | "everyone" => OwnerFilter::Visible,
            "mine" => OwnerFilter::Mine,
            "site" => OwnerFilter::Site,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OwnerFilter::Visible => "",
            OwnerFilter::Mine => "mine",
            OwnerFilter::Site => "site",
        }
    }
}

/// The order of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Last changed first.
    #[default]
    Changed,
    /// Least recently changed first.
    ChangedOldest,
    Title,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Sort> {
        Some(match s {
            "" | "changed" => Sort::Changed,
            "changed-oldest" => Sort::ChangedOldest,
            "title" => Sort::Title,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Changed => "changed",
            Sort::ChangedOldest => "changed-oldest",
            Sort::Title => "title",
        }
    }

    fn order_by(self) -> &'static str {
        match self {
            Sort::Changed => "p.updated_at DESC, p.title, p.id",
            Sort::ChangedOldest => "p.updated_at ASC, p.title, p.id",
            Sort::Title => "lower(p.title), p.pack_key, p.id",
        }
    }
}

/// Which packs to list.
#[derive(Debug, Clone, Default)]
pub struct PackFilter {
    /// Part of the title or the pack key, any case; empty for every pack.
    pub text: String,
    /// `None` for every status.
    pub status: Option<PackStatus>,
    pub owner: OwnerFilter,
    /// The exam's blueprint id; `None` for every exam.
    pub blueprint: Option<String>,
    pub sort: Sort,
}

/// Who is listing: their id, and whether they are an admin (who sees and may change every pack).
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    pub id: Uuid,
    pub admin: bool,
}

/// A pack as the instructor's list shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PackListRow {
    pub id: Uuid,
    pub pack_key: String,
    pub blueprint_id: String,
    /// The exam whose blueprint the pack targets, when the catalogue has it.
    pub exam_code: Option<String>,
    pub title: String,
    pub version: i32,
    pub status: PackStatus,
    /// Live entries (questions and case studies).
    pub items: i64,
    pub questions: i64,
    /// Imported from the command line without an owner: only admins may change it.
    pub site: bool,
    /// The viewer may open and change it.
    pub owned: bool,
    pub owner_email: Option<String>,
    pub updated_at: OffsetDateTime,
    /// Candidates' open problem reports on its items.
    pub open_reports: i64,
}

/// The list's filter, written out in the count of `search` too (checked there).
const LIST_WHERE: &str = "($1::boolean OR p.owner_id = $2 OR p.owner_id IS NULL)
    AND ($3::text IS NULL OR p.title ILIKE $3 OR p.pack_key ILIKE $3)
    AND ($4::text IS NULL OR p.status = $4)
    AND ($5::text IS NULL OR ($5 = 'mine' AND p.owner_id = $2) OR ($5 = 'site' AND p.owner_id IS NULL))
    AND ($6::text IS NULL OR p.blueprint_id = $6)";

/// One page of the packs `viewer` may see that match `filter`, and how many match in all.
pub async fn search(
    db: &PgPool,
    viewer: Viewer,
    filter: &PackFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<PackListRow>, i64), sqlx::Error> {
    let text = filter.text.trim();
    let pattern = (!text.is_empty()).then(|| super::contains_pattern(text));
    let owner = match filter.owner {
        OwnerFilter::Visible => None,
        o => Some(o.as_str()),
    };
    let total: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM packs p
           WHERE ($1::boolean OR p.owner_id = $2 OR p.owner_id IS NULL)
             AND ($3::text IS NULL OR p.title ILIKE $3 OR p.pack_key ILIKE $3)
             AND ($4::text IS NULL OR p.status = $4)
             AND ($5::text IS NULL OR ($5 = 'mine' AND p.owner_id = $2) OR ($5 = 'site' AND p.owner_id IS NULL))
             AND ($6::text IS NULL OR p.blueprint_id = $6)"#,
        viewer.admin,
        viewer.id,
        pattern,
        filter.status.map(PackStatus::as_str),
        owner,
        filter.blueprint,
    )
    .fetch_one(db)
    .await?;
    // dynamic: the ORDER BY is the sort the instructor chose (a column and a direction from `PackSort`, never
    // text from the request); the filter is `LIST_WHERE`, the same as the count's above.
    let rows = sqlx::query_as(&format!(
        "SELECT p.id, p.pack_key, p.blueprint_id, e.code AS exam_code, p.title, p.version, p.status,
                (SELECT count(*) FROM items i WHERE i.pack_id = p.id AND NOT i.retired) AS items,
                (SELECT COALESCE(sum(cardinality(r.domains)), 0)::bigint FROM items i
                 JOIN item_revisions r ON r.item_id = i.id AND r.revision = i.current_revision
                 WHERE i.pack_id = p.id AND NOT i.retired) AS questions,
                p.owner_id IS NULL AS site,
                ($1::boolean OR (p.owner_id IS NOT NULL AND p.owner_id = $2)) AS owned,
                u.email AS owner_email, p.updated_at,
                (SELECT count(*) FROM item_reports rp JOIN items i ON i.id = rp.item_id
                 WHERE i.pack_id = p.id AND rp.status = 'open') AS open_reports
         FROM packs p
         LEFT JOIN exams e ON e.blueprint_id = p.blueprint_id
         LEFT JOIN users u ON u.id = p.owner_id
         WHERE {LIST_WHERE}
         ORDER BY {} LIMIT $7 OFFSET $8",
        filter.sort.order_by()
    ))
    .bind(viewer.admin)
    .bind(viewer.id)
    .bind(&pattern)
    .bind(filter.status.map(PackStatus::as_str))
    .bind(owner)
    .bind(&filter.blueprint)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    Ok((rows, total))
}

/// What deleting a pack would remove, for its confirmation page.
#[derive(Debug, Clone)]
pub struct DeletionPlan {
    pub id: Uuid,
    pub pack_key: String,
    pub title: String,
    pub status: PackStatus,
    pub owner_id: Option<Uuid>,
    /// Entries, live or retired.
    pub items: i64,
    pub revisions: i64,
    pub versions: i64,
    /// Attempts that drew any of its revisions: then it can only be archived.
    pub attempts: i64,
    /// Titles of the exam forms that list it (it is taken off them).
    pub forms: Vec<String>,
}

impl DeletionPlan {
    /// Why the pack cannot be deleted, or `None` when it can.
    pub fn refusal(&self) -> Option<String> {
        if self.attempts > 0 {
            Some(format!(
                "`{}` was used by {} attempt(s): it can only be archived, so that their results and the \
                 revisions they used stay.",
                self.pack_key, self.attempts
            ))
        } else if !self.status.is_draft() {
            Some(format!(
                "`{}` is {}: only drafts can be deleted (set it back to draft first, or archive it).",
                self.pack_key, self.status
            ))
        } else {
            None
        }
    }
}

/// What deleting each of these packs would remove (packs that do not exist are left out).
pub async fn deletion_plans(
    db: impl sqlx::PgExecutor<'_>,
    ids: &[Uuid],
) -> Result<Vec<DeletionPlan>, sqlx::Error> {
    sqlx::query_as!(
        DeletionPlan,
        r#"SELECT p.id, p.pack_key, p.title, p.status AS "status: PackStatus", p.owner_id,
                (SELECT count(*) FROM items i WHERE i.pack_id = p.id) AS "items!",
                (SELECT count(*) FROM item_revisions r JOIN items i ON i.id = r.item_id
                  WHERE i.pack_id = p.id) AS "revisions!",
                (SELECT count(*) FROM pack_versions v WHERE v.pack_id = p.id) AS "versions!",
                (SELECT count(DISTINCT ai.attempt_id) FROM attempt_items ai
                   JOIN item_revisions r ON r.id = ai.revision_id JOIN items i ON i.id = r.item_id
                  WHERE i.pack_id = p.id) AS "attempts!",
                ARRAY(SELECT f.title FROM form_packs fp JOIN exam_forms f ON f.id = fp.form_id
                       WHERE fp.pack_id = p.id ORDER BY f.title) AS "forms!"
           FROM packs p WHERE p.id = ANY($1) ORDER BY p.title, p.pack_key"#,
        ids,
    )
    .fetch_all(db)
    .await
}

/// What came of a deletion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deleted {
    /// Every pack went, with its items, revisions and versions.
    Done(Vec<String>),
    /// Nothing was deleted: a pack is not a draft, or an attempt used it (the reason names it).
    Refused(String),
    /// A pack does not exist (any more), or `may_change` refused it.
    NotFound,
}

/// Deletes draft packs that no attempt used, all or none, in one transaction with one audit entry each.
///
/// The packs' rows are locked first (`FOR UPDATE`), then their use by attempts is read inside the transaction;
/// an attempt that started in the meantime and drew one of their revisions makes the delete fail on the
/// revisions' foreign key, which is answered as a refusal too. `may_change` says whether the actor may write to
/// a pack (by its owner).
pub async fn delete_drafts(
    db: &PgPool,
    actor: (Uuid, &str),
    ids: &[Uuid],
    may_change: impl Fn(Option<Uuid>) -> bool,
) -> Result<Deleted, sqlx::Error> {
    let mut tx = db.begin().await?;
    let locked: Vec<Uuid> = sqlx::query_scalar!(
        "SELECT id FROM packs WHERE id = ANY($1) ORDER BY id FOR UPDATE",
        ids
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut wanted: Vec<Uuid> = ids.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    if locked.len() != wanted.len() {
        return Ok(Deleted::NotFound);
    }
    let plans = deletion_plans(&mut *tx, &wanted).await?;
    if plans.iter().any(|p| !may_change(p.owner_id)) {
        return Ok(Deleted::NotFound);
    }
    if let Some(reason) = plans.iter().find_map(DeletionPlan::refusal) {
        return Ok(Deleted::Refused(reason));
    }
    for plan in &plans {
        super::bank::audit(
            &mut *tx,
            Some(actor),
            "pack.delete",
            &plan.pack_key,
            serde_json::json!({
                "title": plan.title, "items": plan.items, "revisions": plan.revisions,
                "versions": plan.versions, "forms": plan.forms,
            }),
        )
        .await?;
    }
    // Held uploads are not a pack's; items, revisions, versions and form entries go with the pack (cascades).
    let deleted = sqlx::query!(
        "DELETE FROM packs WHERE id = ANY($1) AND status = 'draft'",
        &wanted
    )
    .execute(&mut *tx)
    .await;
    match deleted {
        Ok(done) if done.rows_affected() == wanted.len() as u64 => {}
        Ok(_) => return Ok(Deleted::Refused("only drafts can be deleted".into())),
        // An attempt that began a moment ago holds one of the revisions.
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("23503") => {
            return Ok(Deleted::Refused(
                "an attempt started with this pack a moment ago: it can only be archived now"
                    .into(),
            ))
        }
        Err(e) => return Err(e),
    }
    tx.commit().await?;
    Ok(Deleted::Done(
        plans.into_iter().map(|p| p.pack_key).collect(),
    ))
}

/// The owner of a pack, when it exists: `Some(None)` for a site pack.
pub async fn owner_of(db: &PgPool, id: Uuid) -> Result<Option<Option<Uuid>>, sqlx::Error> {
    sqlx::query_scalar!("SELECT owner_id FROM packs WHERE id = $1", id)
        .fetch_optional(db)
        .await
}
