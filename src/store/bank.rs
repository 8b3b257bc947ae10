//! Packs, items and revisions in PostgreSQL; importing a checked pack is idempotent and append-only.

use crate::bank::model::{Blueprint, Item, Pack};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{PgPool, Postgres, Row, Transaction};
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
}

fn content_hash(value: &serde_json::Value) -> String {
    hex::encode(Sha256::digest(value.to_string().as_bytes()))
}

pub async fn upsert_blueprint(
    tx: &mut Transaction<'_, Postgres>,
    bp: &Blueprint,
) -> Result<(), sqlx::Error> {
    let content = serde_json::to_value(bp).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(
        "INSERT INTO blueprints (id, content) VALUES ($1, $2)
         ON CONFLICT (id) DO UPDATE SET content = EXCLUDED.content, updated_at = now()
         WHERE blueprints.content <> EXCLUDED.content",
    )
    .bind(&bp.id)
    .bind(content)
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
    status: &str,
) -> Result<ImportSummary, sqlx::Error> {
    let mut tx = db.begin().await?;
    // Instances starting together must not import the same pack twice at once.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
        .bind(&pack.meta.id)
        .execute(&mut *tx)
        .await?;
    upsert_blueprint(&mut tx, blueprint).await?;
    let meta = serde_json::to_value(&pack.meta).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let pack_id: Uuid = sqlx::query_scalar(
        "INSERT INTO packs (id, pack_key, title, version, blueprint_id, meta, owner_id, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (pack_key) DO UPDATE SET title = EXCLUDED.title, version = EXCLUDED.version,
             blueprint_id = EXCLUDED.blueprint_id, meta = EXCLUDED.meta, updated_at = now()
         RETURNING id",
    )
    .bind(Uuid::new_v4())
    .bind(&pack.meta.id)
    .bind(&pack.meta.title)
    .bind(i32::try_from(pack.meta.version).unwrap_or(i32::MAX))
    .bind(&pack.meta.blueprint)
    .bind(meta)
    .bind(owner)
    .bind(status)
    .fetch_one(&mut *tx)
    .await?;

    let existing = sqlx::query(
        "SELECT i.id, i.item_key, i.current_revision, r.content_hash
         FROM items i JOIN item_revisions r ON r.item_id = i.id AND r.revision = i.current_revision
         WHERE i.pack_id = $1",
    )
    .bind(pack_id)
    .fetch_all(&mut *tx)
    .await?;
    let mut known: HashMap<String, (Uuid, i32, String)> = HashMap::new();
    for r in existing {
        known.insert(
            r.try_get("item_key")?,
            (
                r.try_get("id")?,
                r.try_get("current_revision")?,
                r.try_get("content_hash")?,
            ),
        );
    }

    let mut summary = ImportSummary {
        pack_id,
        ..Default::default()
    };
    let mut present = Vec::with_capacity(pack.items.len());
    for (position, item) in pack.items.iter().enumerate() {
        let content = serde_json::to_value(item).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
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
        let (item_id, revision) = match known.get(&key) {
            None => {
                let id = Uuid::new_v4();
                sqlx::query(
                    "INSERT INTO items (id, pack_id, item_key, kind, position, current_revision) VALUES ($1, $2, $3, $4, $5, 1)",
                )
                .bind(id)
                .bind(pack_id)
                .bind(&key)
                .bind(kind)
                .bind(position)
                .execute(&mut *tx)
                .await?;
                summary.added += 1;
                (id, Some(1))
            }
            Some((id, rev, old_hash)) if *old_hash != hash => {
                summary.changed += 1;
                (*id, Some(rev + 1))
            }
            Some((id, _, _)) => {
                summary.unchanged += 1;
                (*id, None)
            }
        };
        if let Some(revision) = revision {
            sqlx::query(
                "INSERT INTO item_revisions (id, item_id, revision, content, content_hash, domains, objectives)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(Uuid::new_v4())
            .bind(item_id)
            .bind(revision)
            .bind(&content)
            .bind(&hash)
            .bind(&domains)
            .bind(&objectives)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE items SET position = $2, kind = $3, retired = false, current_revision = COALESCE($4, current_revision) WHERE id = $1")
            .bind(item_id)
            .bind(position)
            .bind(kind)
            .bind(revision)
            .execute(&mut *tx)
            .await?;
        present.push(key);
    }
    let retired = sqlx::query("UPDATE items SET retired = true WHERE pack_id = $1 AND NOT retired AND NOT (item_key = ANY($2))")
        .bind(pack_id)
        .bind(&present)
        .execute(&mut *tx)
        .await?;
    summary.retired = usize::try_from(retired.rows_affected()).unwrap_or(usize::MAX);
    tx.commit().await?;
    Ok(summary)
}

/// A pack as listed to instructors.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PackRow {
    pub id: Uuid,
    pub pack_key: String,
    pub title: String,
    pub version: i32,
    pub status: String,
    pub items: i64,
    pub questions: i64,
}

pub async fn list_packs(db: &PgPool, owner: Option<Uuid>) -> Result<Vec<PackRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT p.id, p.pack_key, p.title, p.version, p.status,
                count(i.id) AS items, COALESCE(sum(cardinality(r.domains)), 0)::bigint AS questions
         FROM packs p
         LEFT JOIN items i ON i.pack_id = p.id AND NOT i.retired
         LEFT JOIN item_revisions r ON r.item_id = i.id AND r.revision = i.current_revision
         WHERE $1::uuid IS NULL OR p.owner_id = $1 OR p.owner_id IS NULL
         GROUP BY p.id ORDER BY p.title",
    )
    .bind(owner)
    .fetch_all(db)
    .await
}

/// The current revision of every live item of a form's published packs: the pool an attempt draws from.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PoolRow {
    pub revision_id: Uuid,
    pub item_key: String,
    pub kind: String,
    pub domains: Vec<String>,
    pub objectives: Vec<String>,
    /// Each question's type, in order.
    pub types: Vec<String>,
}

pub async fn form_pool(db: &PgPool, form_id: Uuid) -> Result<Vec<PoolRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT r.id AS revision_id, i.item_key, i.kind, r.domains, r.objectives,
                CASE WHEN i.kind = 'case_study'
                     THEN ARRAY(SELECT q->>'type' FROM jsonb_array_elements(r.content->'questions') AS q)
                     ELSE ARRAY[r.content->>'type'] END AS types
         FROM form_packs fp
         JOIN packs p ON p.id = fp.pack_id AND p.status = 'published'
         JOIN items i ON i.pack_id = p.id AND NOT i.retired
         JOIN item_revisions r ON r.item_id = i.id AND r.revision = i.current_revision
         WHERE fp.form_id = $1
         ORDER BY p.pack_key, i.position",
    )
    .bind(form_id)
    .fetch_all(db)
    .await
}

/// The content of revisions, by id.
pub async fn revisions(
    db: impl sqlx::PgExecutor<'_>,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Item>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, content FROM item_revisions WHERE id = ANY($1)")
        .bind(ids)
        .fetch_all(db)
        .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for r in rows {
        let content: serde_json::Value = r.try_get("content")?;
        let item: Item =
            serde_json::from_value(content).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        out.insert(r.try_get("id")?, item);
    }
    Ok(out)
}

/// The blueprint a pack path is checked against: the folder's own `blueprint.yaml`, else the shipped one.
pub fn blueprint_for(path: &std::path::Path) -> anyhow::Result<Blueprint> {
    let own = path.join("blueprint.yaml");
    let (name, text) = if path.is_dir() && own.is_file() {
        (own.display().to_string(), std::fs::read_to_string(&own)?)
    } else {
        (
            "question-bank/blueprint.yaml".to_owned(),
            Blueprint::SHIPPED_YAML.to_owned(),
        )
    };
    crate::bank::load_blueprint(&name, &text).map_err(|problems| {
        anyhow::anyhow!(
            "the blueprint has problems:\n{}",
            problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

/// Checks a pack file or folder and imports it only when it has no problem at all.
pub async fn import_path(
    db: &PgPool,
    path: &std::path::Path,
    owner: Option<Uuid>,
    status: &str,
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

/// Revisions never change once written (a trigger refuses updates), so every instance may keep the ones it
/// has read: the answer-save path then reads no item content from the database. Bounded; cleared when full.
static REVISION_CACHE: std::sync::OnceLock<std::sync::RwLock<HashMap<Uuid, std::sync::Arc<Item>>>> =
    std::sync::OnceLock::new();
const REVISION_CACHE_MAX: usize = 20_000;

/// One revision's content, from the in-process cache or the database.
pub async fn revision(db: &PgPool, id: Uuid) -> Result<Option<std::sync::Arc<Item>>, sqlx::Error> {
    let cache = REVISION_CACHE.get_or_init(Default::default);
    if let Some(hit) = cache.read().ok().and_then(|c| c.get(&id).cloned()) {
        return Ok(Some(hit));
    }
    let Some(item) = revisions(db, &[id]).await?.remove(&id) else {
        return Ok(None);
    };
    let item = std::sync::Arc::new(item);
    if let Ok(mut c) = cache.write() {
        if c.len() >= REVISION_CACHE_MAX {
            c.clear();
        }
        c.insert(id, item.clone());
    }
    Ok(Some(item))
}
