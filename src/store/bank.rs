//! Packs, items and revisions in PostgreSQL; importing a checked pack is idempotent and append-only.

use crate::bank::model::{Blueprint, Item, Pack};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{PgPool, Postgres, Transaction};
use std::collections::HashMap;
use uuid::Uuid;

/// What an import changed.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ImportSummary {
    pub pack_id: Uuid,
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub retired: usize,
    /// Live items of the pack that the file no longer holds, kept as they were (a re-import of a file of
    /// another tool's format lists them instead of retiring them: `ImportOptions::keep_missing`).
    pub missing: Vec<String>,
    /// What the importer read but could not keep (its located notes), filled by `packs::import_read_for`.
    pub notes: Vec<String>,
}

/// An item already in the pack, as an import finds it.
struct Known {
    id: Uuid,
    revision: i32,
    position: i32,
    retired: bool,
    hash: String,
}

/// Review metadata (`reviewed`, `outline`) says when and for what an item was checked; it is not part of what a
/// candidate sees, so it is not stored in revisions and a new review date makes no new revision (attempts keep
/// theirs; the bank files and their review log keep the metadata). `mentions` stays: the pack page's currency
/// warnings need it.
fn strip_review_metadata(value: &mut serde_json::Value) {
    if let serde_json::Value::Object(map) = value {
        // The source's category lives in `items.category` (it places items in bulk), not in the revision.
        for key in ["reviewed", "outline", "category"] {
            map.remove(key);
        }
        if let Some(serde_json::Value::Array(questions)) = map.get_mut("questions") {
            for q in questions {
                strip_review_metadata(q);
            }
        }
    }
}

fn content_hash(value: &serde_json::Value) -> String {
    hex::encode(Sha256::digest(value.to_string().as_bytes()))
}

pub async fn upsert_blueprint(
    tx: &mut Transaction<'_, Postgres>,
    bp: &Blueprint,
) -> Result<(), sqlx::Error> {
    let content = serde_json::to_value(bp).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query!(
        "INSERT INTO blueprints (id, content) VALUES ($1, $2)
         ON CONFLICT (id) DO UPDATE SET content = EXCLUDED.content, updated_at = now()
         WHERE blueprints.content <> EXCLUDED.content",
        bp.id,
        content,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Imports a checked pack in one transaction: new items get revision 1, changed items a new revision
/// (old revisions stay for the attempts that used them), items no longer in the pack are retired.
pub async fn import_pack(
    db: &PgPool,
    pack: &Pack,
    blueprint: &Blueprint,
    owner: Option<Uuid>,
    status: PackStatus,
) -> Result<ImportSummary, sqlx::Error> {
    import_pack_as(
        db,
        pack,
        blueprint,
        &ImportOptions {
            owner,
            status,
            ready: true,
            categories: None,
            source: "bank import",
            actor: None,
            keep_missing: false,
        },
    )
    .await
}

/// Where a pack is in its life: a draft (only its instructor sees it), published (forms and practice draw on
/// it), or archived (kept for the attempts that used it, drawn on by nothing). Stored as its lower-case name.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum PackStatus {
    Draft,
    Published,
    Archived,
}

impl PackStatus {
    pub const ALL: [PackStatus; 3] = [
        PackStatus::Draft,
        PackStatus::Published,
        PackStatus::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PackStatus::Draft => "draft",
            PackStatus::Published => "published",
            PackStatus::Archived => "archived",
        }
    }

    /// The status named `s` (`draft`, `published`, `archived`), or `None`.
    pub fn parse(s: &str) -> Option<PackStatus> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn is_published(self) -> bool {
        self == PackStatus::Published
    }

    pub fn is_draft(self) -> bool {
        self == PackStatus::Draft
    }

    pub fn is_archived(self) -> bool {
        self == PackStatus::Archived
    }
}

impl std::fmt::Display for PackStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a pack is imported: by whom, in which status (for a new pack), from what, and the source's
/// categories of its items (item id → category; `None` keeps the categories items already have).
pub struct ImportOptions<'a> {
    pub owner: Option<Uuid>,
    /// The status of a new pack; an existing pack keeps its own (but see `ready`).
    pub status: PackStatus,
    /// Every item is ready to publish. When not, a published pack goes back to draft in the same
    /// transaction, so that no exam ever draws an item that lacks its domain, key or reference.
    pub ready: bool,
    pub categories: Option<&'a HashMap<String, String>>,
    pub source: &'a str,
    pub actor: Option<Uuid>,
    /// Items of the pack that the file does not hold stay as they are and are listed (`missing`), instead of
    /// being retired: a file of another tool is often a part of a bank, not the whole pack.
    pub keep_missing: bool,
}

/// [`import_pack`] with its options. Every import that changes something becomes a new pack version with
/// its diff summary (`pack_versions`); one that changes nothing leaves the version as it was.
pub async fn import_pack_as(
    db: &PgPool,
    pack: &Pack,
    blueprint: &Blueprint,
    opts: &ImportOptions<'_>,
) -> Result<ImportSummary, sqlx::Error> {
    let mut tx = db.begin().await?;
    let summary = import_pack_in(&mut tx, pack, blueprint, opts).await?;
    tx.commit().await?;
    Ok(summary)
}

/// [`import_pack_as`] inside the caller's transaction, so that what records the import (an audit entry) is
/// written with it or not at all.
pub async fn import_pack_in(
    tx: &mut Transaction<'_, Postgres>,
    pack: &Pack,
    blueprint: &Blueprint,
    opts: &ImportOptions<'_>,
) -> Result<ImportSummary, sqlx::Error> {
    let (owner, status) = (opts.owner, opts.status);
    // Instances starting together must not import the same pack twice at once.
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtext($1))", pack.meta.id)
        .execute(&mut **tx)
        .await?;
    upsert_blueprint(tx, blueprint).await?;
    let meta = serde_json::to_value(&pack.meta).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let pack_id = sqlx::query_scalar!(
        "INSERT INTO packs (id, pack_key, title, version, blueprint_id, meta, owner_id, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (pack_key) DO UPDATE SET title = EXCLUDED.title,
             blueprint_id = EXCLUDED.blueprint_id, meta = EXCLUDED.meta, updated_at = now()
         RETURNING id",
        Uuid::new_v4(),
        pack.meta.id,
        pack.meta.title,
        i32::try_from(pack.meta.version).unwrap_or(i32::MAX),
        pack.meta.blueprint,
        meta,
        owner,
        status.as_str(),
    )
    .fetch_one(&mut **tx)
    .await?;
    if !opts.ready {
        sqlx::query!(
            "UPDATE packs SET status = 'draft' WHERE id = $1 AND status = 'published'",
            pack_id
        )
        .execute(&mut **tx)
        .await?;
    }

    let existing = sqlx::query!(
        "SELECT i.id, i.item_key, i.current_revision, i.position, i.retired, r.content_hash
         FROM items i JOIN item_revisions r ON r.item_id = i.id AND r.revision = i.current_revision
         WHERE i.pack_id = $1",
        pack_id,
    )
    .fetch_all(&mut **tx)
    .await?;
    let known: HashMap<String, Known> = existing
        .into_iter()
        .map(|r| {
            let known = Known {
                id: r.id,
                revision: r.current_revision,
                position: r.position,
                retired: r.retired,
                hash: r.content_hash,
            };
            (r.item_key, known)
        })
        .collect();

    let mut summary = ImportSummary {
        pack_id,
        ..Default::default()
    };
    let mut present = Vec::with_capacity(pack.items.len());
    for (position, item) in pack.items.iter().enumerate() {
        let mut content =
            serde_json::to_value(item).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        strip_review_metadata(&mut content);
        let hash = content_hash(&content);
        let key = item.id().to_owned();
        let (domains, objectives): (Vec<String>, Vec<String>) = item
            .questions()
            .into_iter()
            .map(|(q, d)| (d.to_owned(), q.common.objective.clone()))
            .unzip();
        let kind = if item.case_study().is_some() {
            "case_study"
        } else {
            "question"
        };
        let position = i32::try_from(position).unwrap_or(i32::MAX);
        // The item row is written only when something about it changed: an import of a large pack in
        // which one item was edited writes that one item, not every row.
        let (item_id, revision, touch) = match known.get(&key) {
            None => {
                let id = Uuid::new_v4();
                sqlx::query!(
                    "INSERT INTO items (id, pack_id, item_key, kind, position, current_revision) VALUES ($1, $2, $3, $4, $5, 1)",
                    id,
                    pack_id,
                    key,
                    kind,
                    position,
                )
                .execute(&mut **tx)
                .await?;
                summary.added += 1;
                (id, Some(1), false)
            }
            Some(k) if k.hash != hash => {
                summary.changed += 1;
                (k.id, Some(k.revision + 1), true)
            }
            Some(k) => {
                summary.unchanged += 1;
                (k.id, None, k.position != position || k.retired)
            }
        };
        if let Some(revision) = revision {
            sqlx::query!(
                "INSERT INTO item_revisions (id, item_id, revision, content, content_hash, domains, objectives)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                Uuid::new_v4(),
                item_id,
                revision,
                content,
                hash,
                &domains,
                &objectives,
            )
            .execute(&mut **tx)
            .await?;
        }
        if touch {
            sqlx::query!(
                "UPDATE items SET position = $2, kind = $3, retired = false, current_revision = COALESCE($4, current_revision) WHERE id = $1",
                item_id,
                position,
                kind,
                revision,
            )
            .execute(&mut **tx)
            .await?;
        }
        present.push(key);
    }
    if opts.keep_missing {
        summary.missing = sqlx::query_scalar!(
            "SELECT item_key FROM items WHERE pack_id = $1 AND NOT retired AND NOT (item_key = ANY($2))
             ORDER BY position",
            pack_id,
            &present,
        )
        .fetch_all(&mut **tx)
        .await?;
    } else {
        let retired = sqlx::query!(
            "UPDATE items SET retired = true WHERE pack_id = $1 AND NOT retired AND NOT (item_key = ANY($2))",
            pack_id,
            &present,
        )
        .execute(&mut **tx)
        .await?;
        summary.retired = usize::try_from(retired.rows_affected()).unwrap_or(usize::MAX);
    }
    if let Some(categories) = opts.categories {
        let (keys, cats): (Vec<String>, Vec<String>) = categories
            .iter()
            .map(|(k, c)| (k.clone(), c.clone()))
            .unzip();
        sqlx::query!(
            "UPDATE items i SET category = c.category
             FROM unnest($2::text[], $3::text[]) AS c(item_key, category)
             WHERE i.pack_id = $1 AND i.item_key = c.item_key",
            pack_id,
            &keys,
            &cats,
        )
        .execute(&mut **tx)
        .await?;
    }
    let first = sqlx::query_scalar!(
        r#"SELECT NOT EXISTS (SELECT 1 FROM pack_versions WHERE pack_id = $1) AS "first!""#,
        pack_id
    )
    .fetch_one(&mut **tx)
    .await?;
    if first || summary.added + summary.changed + summary.retired > 0 {
        sqlx::query!(
            "WITH v AS (
                UPDATE packs SET version = CASE WHEN $2 THEN version ELSE version + 1 END, updated_at = now()
                WHERE id = $1 RETURNING version)
             INSERT INTO pack_versions (pack_id, version, source, added, changed, retired, unchanged, created_by)
             SELECT $1, v.version, $3, $4, $5, $6, $7, $8 FROM v
             ON CONFLICT (pack_id, version) DO NOTHING",
            pack_id,
            first,
            opts.source,
            count(summary.added),
            count(summary.changed),
            count(summary.retired),
            count(summary.unchanged),
            opts.actor,
        )
        .execute(&mut **tx)
        .await?;
    }
    Ok(summary)
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// A pack's key, owner and status, by key (to decide whether an upload may write to it).
#[derive(Debug, Clone)]
pub struct PackAccess {
    pub id: Uuid,
    pub pack_key: String,
    pub owner_id: Option<Uuid>,
    pub status: PackStatus,
}

pub async fn pack_by_key(db: &PgPool, key: &str) -> Result<Option<PackAccess>, sqlx::Error> {
    sqlx::query_as!(
        PackAccess,
        r#"SELECT id, pack_key, owner_id, status AS "status: PackStatus" FROM packs WHERE pack_key = $1"#,
        key
    )
    .fetch_optional(db)
    .await
}

pub async fn pack_by_id(db: &PgPool, id: Uuid) -> Result<Option<PackAccess>, sqlx::Error> {
    sqlx::query_as!(
        PackAccess,
        r#"SELECT id, pack_key, owner_id, status AS "status: PackStatus" FROM packs WHERE id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

/// A pack as it stands: its metadata and the current revision of each live item, in order, with the
/// item's source category.
pub async fn load_pack(
    db: &PgPool,
    pack_id: Uuid,
) -> Result<Option<(Pack, HashMap<String, String>)>, sqlx::Error> {
    let Some(meta) = sqlx::query_scalar!(
        r#"SELECT meta || jsonb_build_object('version', version) AS "meta!" FROM packs WHERE id = $1"#,
        pack_id,
    )
    .fetch_optional(db)
    .await?
    else {
        return Ok(None);
    };
    let meta: crate::bank::model::PackMeta =
        serde_json::from_value(meta).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let rows = sqlx::query!(
        "SELECT i.item_key, i.category, r.content FROM items i
         JOIN item_revisions r ON r.item_id = i.id AND r.revision = i.current_revision
         WHERE i.pack_id = $1 AND NOT i.retired ORDER BY i.position",
        pack_id,
    )
    .fetch_all(db)
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    let mut categories = HashMap::new();
    for r in rows {
        items
            .push(serde_json::from_value(r.content).map_err(|e| sqlx::Error::Decode(Box::new(e)))?);
        if let Some(c) = r.category {
            categories.insert(r.item_key, c);
        }
    }
    Ok(Some((Pack { meta, items }, categories)))
}

/// The current revision of one live item of a pack, by its key.
pub async fn current_item(
    db: &PgPool,
    pack_id: Uuid,
    key: &str,
) -> Result<Option<Item>, sqlx::Error> {
    let content = sqlx::query_scalar!(
        "SELECT r.content FROM items i
         JOIN item_revisions r ON r.item_id = i.id AND r.revision = i.current_revision
         WHERE i.pack_id = $1 AND i.item_key = $2 AND NOT i.retired",
        pack_id,
        key,
    )
    .fetch_optional(db)
    .await?;
    content
        .map(|c| serde_json::from_value(c).map_err(|e| sqlx::Error::Decode(Box::new(e))))
        .transpose()
}

/// One version of a pack and what it changed.
#[derive(Debug, Clone)]
pub struct VersionRow {
    pub version: i32,
    pub source: String,
    pub added: i32,
    pub changed: i32,
    pub retired: i32,
    pub unchanged: i32,
    pub created_at: time::OffsetDateTime,
    pub created_by: Option<String>,
}

pub async fn versions(db: &PgPool, pack_id: Uuid) -> Result<Vec<VersionRow>, sqlx::Error> {
    sqlx::query_as!(
        VersionRow,
        r#"SELECT v.version, v.source, v.added, v.changed, v.retired, v.unchanged, v.created_at,
                u.email AS "created_by?"
         FROM pack_versions v LEFT JOIN users u ON u.id = v.created_by
         WHERE v.pack_id = $1 ORDER BY v.version DESC"#,
        pack_id,
    )
    .fetch_all(db)
    .await
}

/// Sets a pack's status (draft, published, archived), with its audit entry in the same transaction.
pub async fn set_status(
    db: &PgPool,
    pack_id: Uuid,
    status: PackStatus,
    audit: Audit<'_>,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query!(
        "UPDATE packs SET status = $2, updated_at = now() WHERE id = $1",
        pack_id,
        status.as_str()
    )
    .execute(&mut *tx)
    .await?;
    audit.write(&mut *tx).await?;
    tx.commit().await
}

/// Keeps an upload between its validation report and the instructor's choice.
pub async fn hold_upload(
    db: &PgPool,
    owner: Uuid,
    file_name: &str,
    format: &str,
    content: &[u8],
    blueprint_id: &str,
) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar!(
        "WITH old AS (DELETE FROM uploads WHERE created_at < now() - interval '1 day')
         INSERT INTO uploads (id, owner_id, file_name, format, content, blueprint_id)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        Uuid::new_v4(),
        owner,
        file_name,
        format,
        content,
        blueprint_id,
    )
    .fetch_one(db)
    .await
}

/// A held upload of `owner`: (file name, format, bytes, the exam's blueprint id).
pub async fn held_upload(
    db: &PgPool,
    id: Uuid,
    owner: Uuid,
) -> Result<Option<(String, String, Vec<u8>, String)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT file_name, format, content, COALESCE(blueprint_id, 'ai102') AS "blueprint_id!"
         FROM uploads WHERE id = $1 AND owner_id = $2"#,
        id,
        owner,
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.file_name, r.format, r.content, r.blueprint_id)))
}

pub async fn drop_upload(db: &PgPool, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM uploads WHERE id = $1", id)
        .execute(db)
        .await?;
    Ok(())
}

/// An admin's or instructor's action, for the audit log: written in the transaction of the change it records,
/// so that the log never holds a change that did not happen, nor misses one that did.
pub struct Audit<'a> {
    pub actor: Option<(Uuid, &'a str)>,
    pub action: &'a str,
    pub target: &'a str,
    pub detail: serde_json::Value,
}

impl Audit<'_> {
    pub async fn write(self, db: impl sqlx::PgExecutor<'_>) -> Result<(), sqlx::Error> {
        audit(db, self.actor, self.action, self.target, self.detail).await
    }
}

/// Records an admin's or instructor's action in the audit log.
pub async fn audit(
    db: impl sqlx::PgExecutor<'_>,
    actor: Option<(Uuid, &str)>,
    action: &str,
    target: &str,
    detail: serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO audit_log (actor_id, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)",
        actor.map(|a| a.0),
        actor.map(|a| a.1).unwrap_or("system"),
        action,
        target,
        detail,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A pack as listed to instructors.
#[derive(Debug, Clone)]
pub struct PackRow {
    pub id: Uuid,
    pub pack_key: String,
    /// The exam's blueprint the pack targets.
    pub blueprint_id: String,
    pub title: String,
    pub version: i32,
    pub status: PackStatus,
    pub items: i64,
    pub questions: i64,
    /// The listing user may open and change it (their own pack, or any for an admin).
    pub owned: bool,
}

/// One pack as [`list_packs`] lists it (for a user already allowed to write to it).
pub async fn pack_row(db: &PgPool, id: Uuid) -> Result<Option<PackRow>, sqlx::Error> {
    sqlx::query_as!(
        PackRow,
        r#"SELECT p.id, p.pack_key, p.blueprint_id, p.title, p.version, p.status AS "status: PackStatus",
                count(i.id) AS "items!", COALESCE(sum(cardinality(r.domains)), 0)::bigint AS "questions!",
                true AS "owned!"
         FROM packs p
         LEFT JOIN items i ON i.pack_id = p.id AND NOT i.retired
         LEFT JOIN item_revisions r ON r.item_id = i.id AND r.revision = i.current_revision
         WHERE p.id = $1
         GROUP BY p.id"#,
        id,
    )
    .fetch_optional(db)
    .await
}

pub async fn list_packs(db: &PgPool, owner: Option<Uuid>) -> Result<Vec<PackRow>, sqlx::Error> {
    sqlx::query_as!(
        PackRow,
        r#"SELECT p.id, p.pack_key, p.blueprint_id, p.title, p.version, p.status AS "status: PackStatus",
                count(i.id) AS "items!", COALESCE(sum(cardinality(r.domains)), 0)::bigint AS "questions!",
                ($1::uuid IS NULL OR p.owner_id IS NOT DISTINCT FROM $1) AS "owned!"
         FROM packs p
         LEFT JOIN items i ON i.pack_id = p.id AND NOT i.retired
         LEFT JOIN item_revisions r ON r.item_id = i.id AND r.revision = i.current_revision
         WHERE $1::uuid IS NULL OR p.owner_id = $1 OR p.owner_id IS NULL
         GROUP BY p.id ORDER BY p.title"#,
        owner,
    )
    .fetch_all(db)
    .await
}

/// The keys of a pack's items marked as unscored trial items.
pub async fn trial_keys(
    db: impl sqlx::PgExecutor<'_>,
    pack_id: Uuid,
) -> Result<std::collections::HashSet<String>, sqlx::Error> {
    let keys = sqlx::query_scalar!(
        "SELECT item_key FROM items WHERE pack_id = $1 AND trial",
        pack_id
    )
    .fetch_all(db)
    .await?;
    Ok(keys.into_iter().collect())
}

/// Marks a standalone question of a pack as an unscored trial item, or promotes it to scored, with its audit
/// entry, in one transaction. False when the pack has no such live standalone question.
pub async fn set_trial(
    db: &PgPool,
    actor: (Uuid, &str),
    pack_id: Uuid,
    key: &str,
    trial: bool,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let changed = sqlx::query!(
        "UPDATE items SET trial = $3
         WHERE pack_id = $1 AND item_key = $2 AND kind = 'question' AND NOT retired",
        pack_id,
        key,
        trial,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !changed {
        return Ok(false);
    }
    audit(
        &mut *tx,
        Some(actor),
        if trial { "item.trial" } else { "item.promote" },
        key,
        serde_json::json!({ "pack": pack_id, "trial": trial }),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// The current revision of every live item of a form's published packs: the pool an attempt draws from.
#[derive(Debug, Clone)]
pub struct PoolRow {
    pub revision_id: Uuid,
    /// The pool key (`store::exam::pool_key`): the pack's key and the item's.
    pub item_key: String,
    pub kind: String,
    pub domains: Vec<String>,
    pub objectives: Vec<String>,
    /// Each question's type, in order.
    pub types: Vec<String>,
    /// Marked as an unscored trial item by its instructor.
    pub trial: bool,
}

/// Which published packs a pool is drawn from.
#[derive(Debug, Clone, Copy)]
pub enum PoolOf<'a> {
    /// A form's packs.
    Form(Uuid),
    /// These packs (a form's dry run before it exists).
    Packs(&'a [Uuid]),
    /// Every pack of the exam with this blueprint, scored items only (practice never shows a trial item), but
    /// for packs used only by class forms (migration 0015's `class_only_packs`).
    Practice { blueprint_id: &'a str },
}

/// The live items of published packs with their current revisions, in pack and item order: the one query
/// every pool is read with. A form keeps drawing from a pack archived after it was made (archived packs are
/// only not offered for new forms).
pub async fn pool(
    db: impl sqlx::PgExecutor<'_>,
    of: PoolOf<'_>,
) -> Result<Vec<PoolRow>, sqlx::Error> {
    let (form_id, pack_ids, blueprint_id) = match of {
        PoolOf::Form(id) => (Some(id), None, None),
        PoolOf::Packs(ids) => (None, Some(ids), None),
        PoolOf::Practice { blueprint_id } => (None, None, Some(blueprint_id)),
    };
    let rows = sqlx::query!(
        r#"SELECT r.id AS revision_id, p.pack_key, i.item_key, i.kind, r.domains, r.objectives, i.trial,
                CASE WHEN i.kind = 'case_study'
                     THEN ARRAY(SELECT q->>'type' FROM jsonb_array_elements(r.content->'questions') AS q)
                     ELSE ARRAY[r.content->>'type'] END AS "types!"
         FROM packs p
         JOIN items i ON i.pack_id = p.id AND NOT i.retired
         JOIN item_revisions r ON r.item_id = i.id AND r.revision = i.current_revision
         WHERE (p.status = 'published' OR ($1::uuid IS NOT NULL AND p.status = 'archived'))
           AND ($1::uuid IS NULL OR p.id IN (SELECT pack_id FROM form_packs WHERE form_id = $1))
           AND ($2::uuid[] IS NULL OR p.id = ANY($2))
           AND ($3::text IS NULL OR (p.blueprint_id = $3 AND NOT i.trial
                                     AND p.id NOT IN (SELECT pack_id FROM class_only_packs)))
         ORDER BY p.pack_key, i.position"#,
        form_id,
        pack_ids,
        blueprint_id,
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| PoolRow {
            revision_id: r.revision_id,
            item_key: super::exam::pool_key(&r.pack_key, &r.item_key),
            kind: r.kind,
            domains: r.domains,
            objectives: r.objectives,
            types: r.types,
            trial: r.trial,
        })
        .collect())
}

/// The bank's version: a counter that every change to packs, items, revisions, forms or blueprints moves
/// forward (migration 0012's triggers), for the instances' pool caches (exam::service::PoolCache).
pub async fn bank_version(db: impl sqlx::PgExecutor<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!("SELECT version FROM bank_version")
        .fetch_one(db)
        .await
}

/// An existing form keeps drawing from a pack archived after it was made (archived packs are only not offered
/// for new forms).
pub async fn form_pool(db: &PgPool, form_id: Uuid) -> Result<Vec<PoolRow>, sqlx::Error> {
    pool(db, PoolOf::Form(form_id)).await
}

/// The pool of published packs, by pack id (for a form's dry run before it exists).
pub async fn packs_pool(db: &PgPool, pack_ids: &[Uuid]) -> Result<Vec<PoolRow>, sqlx::Error> {
    pool(db, PoolOf::Packs(pack_ids)).await
}

/// The content of revisions, by id.
pub async fn revisions(
    db: impl sqlx::PgExecutor<'_>,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Item>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT id, content FROM item_revisions WHERE id = ANY($1)",
        ids
    )
    .fetch_all(db)
    .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for r in rows {
        let item: Item =
            serde_json::from_value(r.content).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        out.insert(r.id, item);
    }
    Ok(out)
}

/// The blueprint a pack path is checked against: the folder's own `blueprint.yaml`, else the shipped one.
pub fn blueprint_for(path: &std::path::Path) -> anyhow::Result<Blueprint> {
    crate::bank::root::blueprint_for(path)?
        .map_err(|problems| problems_error("the blueprint has problems", &problems))
}

/// An error that lists located problems, one a line.
fn problems_error(what: &str, problems: &[crate::bank::Problem]) -> anyhow::Error {
    let lines: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    anyhow::anyhow!("{what}:\n{}", lines.join("\n"))
}

/// Checks a pack file or folder and imports it only when it has no problem at all.
pub async fn import_path(
    db: &PgPool,
    path: &std::path::Path,
    owner: Option<Uuid>,
    status: PackStatus,
) -> anyhow::Result<(ImportSummary, Pack)> {
    let report = crate::bank::check_path(path)?;
    if !report.is_clean() {
        anyhow::bail!(
            "{} has {} problem(s); nothing was imported:\n{}",
            path.display(),
            report.problems.len(),
            report
                .problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    let pack = report
        .pack
        .ok_or_else(|| anyhow::anyhow!("{} has no pack metadata", path.display()))?;
    let blueprint = blueprint_for(path)?;
    let summary = import_pack(db, &pack, &blueprint, owner, status).await?;
    Ok((summary, pack))
}

/// What loading one exam's shipped pack did.
pub struct LoadedExam {
    pub exam: Option<crate::bank::exam::Exam>,
    pub pack: Pack,
    pub summary: ImportSummary,
}

/// Loads a bank root (`LOAD_BANK`): every `exams/<code>/` folder's pack, published, with its exam's facts and
/// default forms; or the root itself as one pack when it has no `exams/` folder. Each exam's `exam.yaml` must
/// agree with its blueprint and dates (a contradiction stops the load, named with file and line).
pub async fn load_bank(db: &PgPool, root: &std::path::Path) -> anyhow::Result<Vec<LoadedExam>> {
    let mut out = Vec::new();
    for dir in crate::bank::exam::pack_dirs(root)? {
        let exam = read_exam(&dir)?;
        let (summary, pack) = import_path(db, &dir, None, PackStatus::Published).await?;
        if let Some(exam) = &exam {
            crate::store::exams::upsert(db, exam).await?;
            crate::store::exam::ensure_default_forms(
                db,
                summary.pack_id,
                &exam.blueprint,
                &exam.forms,
            )
            .await?;
        }
        out.push(LoadedExam {
            exam,
            pack,
            summary,
        });
    }
    Ok(out)
}

/// A pack folder's `exam.yaml`, checked against the blueprint beside it and today's date; None when absent.
pub fn read_exam(dir: &std::path::Path) -> anyhow::Result<Option<crate::bank::exam::Exam>> {
    let blueprint = blueprint_for(dir)?;
    let today = time::OffsetDateTime::now_utc().date();
    let (exam, problems) = crate::bank::root::exam_of(dir, Some(&blueprint), today)?;
    if !problems.is_empty() {
        let name = dir.join("exam.yaml").display().to_string();
        return Err(problems_error(&format!("{name} has problems"), &problems));
    }
    Ok(exam)
}

/// Revisions never change once written (a trigger refuses updates), so every instance may keep the ones it
/// has read: the answer-save path then reads no item content from the database. Bounded; cleared when full.
static REVISION_CACHE: std::sync::OnceLock<crate::cache::Bounded<Uuid, Item>> =
    std::sync::OnceLock::new();

fn revision_cache() -> &'static crate::cache::Bounded<Uuid, Item> {
    REVISION_CACHE.get_or_init(|| crate::cache::Bounded::new(20_000))
}

/// One revision's content, from the in-process cache or the database (the save path's read: a hit allocates
/// nothing).
pub async fn revision(db: &PgPool, id: Uuid) -> Result<Option<std::sync::Arc<Item>>, sqlx::Error> {
    if let Some(hit) = revision_cache().get(&id) {
        return Ok(Some(hit));
    }
    Ok(revisions_shared(db, &[id]).await?.remove(&id))
}

/// Several revisions' contents: the ones this instance has read before from its cache, the rest from the
/// database in one query (and kept). Starting an attempt reads its 50 revisions this way.
pub async fn revisions_shared(
    db: &PgPool,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, std::sync::Arc<Item>>, sqlx::Error> {
    let cache = revision_cache();
    let mut out = HashMap::with_capacity(ids.len());
    let mut missing = Vec::new();
    for id in ids {
        match cache.get(id) {
            Some(hit) => {
                out.insert(*id, hit);
            }
            None => missing.push(*id),
        }
    }
    if !missing.is_empty() {
        for (id, item) in revisions(db, &missing).await? {
            let item = std::sync::Arc::new(item);
            cache.insert(id, item.clone());
            out.insert(id, item);
        }
    }
    Ok(out)
}
