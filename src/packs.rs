//! The instructor's pack workflow: upload (validated whole, imported all-or-nothing or as a draft of its
//! valid items), placing imported items in the blueprint, editing one item, and publishing. The web pages,
//! the CLI and the JSON API call these; the rules live here and in `bank::upload`, the SQL in `store::bank`.

use crate::auth::session::User;
use crate::auth::Role;
use crate::bank::import::{problem, Format};
use crate::bank::model::{Blueprint, Item, Pack, PackFile};
use crate::bank::upload::{self, Upload};
use crate::bank::Problem;
use crate::error::AppError;
use crate::store::bank::{self as store, ImportOptions, ImportSummary, PackAccess, PackStatus};
use sqlx::PgPool;
use std::collections::HashMap;
use uuid::Uuid;

/// What became of an upload.
#[derive(Debug)]
pub enum UploadOutcome {
    /// Imported (the whole file, or its valid items as a draft); the summary names the pack, and the
    /// problems are those of the items left out (none for a clean file).
    Imported(ImportSummary, Vec<Problem>),
    /// Something is wrong: nothing was written; the instructor may import the valid items as a draft.
    Refused(Box<Upload>),
}

/// The AI-102 blueprint: where the command line places a file of another format that names no exam.
///
/// Parsed once per process: it is built into the binary.
pub fn blueprint() -> Result<&'static Blueprint, AppError> {
    static SHIPPED: std::sync::OnceLock<Result<Blueprint, String>> = std::sync::OnceLock::new();
    SHIPPED
        .get_or_init(|| crate::bank::check::shipped_blueprint().map_err(|p| format!("{p:?}")))
        .as_ref()
        .map_err(|p| AppError::internal(anyhow::anyhow!("the shipped blueprint is broken: {p}")))
}

/// The shipped blueprint with this id (every exam of the catalogue has one), for packs that target it.
pub fn blueprint_of(id: &str) -> Result<&'static Blueprint, AppError> {
    crate::bank::exam::shipped()
        .iter()
        .find(|(_, bp)| bp.id == id)
        .map(|(_, bp)| bp)
        .ok_or_else(|| AppError::BadRequest(format!("`{id}` is not the blueprint of an exam")))
}

/// The blueprint of the exam named by its code (`AI-103`, any case), or a 400 that names the exams.
pub fn blueprint_for_exam(code: Option<&str>) -> Result<&'static Blueprint, AppError> {
    let codes = || {
        crate::bank::exam::shipped()
            .iter()
            .map(|(e, _)| e.code.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let code = code
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| {
            AppError::field(
                "exam",
                format!(
                    "choose the exam the pack is for (`exam`): one of {}",
                    codes()
                ),
            )
        })?;
    crate::bank::exam::shipped()
        .iter()
        .find(|(e, bp)| e.code.eq_ignore_ascii_case(code) || bp.id == code)
        .map(|(_, bp)| bp)
        .ok_or_else(|| {
            AppError::field(
                "exam",
                format!(
                    "`{code}` is not an exam of the catalogue: use one of {}",
                    codes()
                ),
            )
        })
}

/// May `user` write to the pack with this key? Instructors own the packs they upload; admins may write to
/// any; the shipped bank (no owner) is written only by admins and the CLI.
pub fn may_write(user: &User, pack: &PackAccess) -> bool {
    user.role == Role::Admin || (pack.owner_id.is_some() && pack.owner_id == Some(user.id))
}

/// Reads an upload and imports it when it is clean; `draft_valid` imports the valid items of a file with
/// problems into a draft instead (the refused items are listed in the returned problems).
pub async fn upload(
    db: &PgPool,
    user: &User,
    bp: &'static Blueprint,
    file_name: &str,
    bytes: &[u8],
    format: Option<Format>,
    draft_valid: bool,
) -> Result<UploadOutcome, AppError> {
    if bytes.len() > upload::MAX_UPLOAD_BYTES {
        return Err(AppError::TooLarge(upload::too_large(
            file_name,
            bytes.len(),
        )));
    }
    let read_with = |bp: &'static Blueprint| {
        let bytes_owned = bytes.to_vec();
        let name = file_name.to_owned();
        tokio::task::spawn_blocking(move || upload::read_upload(&name, &bytes_owned, format, bp))
    };
    let mut read = read_with(bp).await.map_err(AppError::internal)?;
    // A file of our format that names the blueprint of another exam of the catalogue keeps it: the exam
    // chosen on upload is for files that do not say (GIFT, Aiken, CSV, QTI, bare item lists).
    let mut bp = bp;
    if let Some(own) = read
        .meta
        .as_ref()
        .filter(|m| m.blueprint != bp.id)
        .and_then(|m| blueprint_of(&m.blueprint).ok())
    {
        bp = own;
        read = read_with(bp).await.map_err(AppError::internal)?;
    }
    // Updating an existing pack matches questions by title: two questions of the file with the same title are
    // then a problem (on a first import, the second got its own id and a note).
    let key = read
        .meta
        .as_ref()
        .map(|m| m.id.clone())
        .unwrap_or_else(|| upload::pack_meta_for(file_name, bp).id);
    if !read.same_title.is_empty() && store::pack_by_key(db, &key).await?.is_some() {
        let ambiguous: std::collections::HashSet<String> = read
            .same_title
            .iter()
            .filter_map(|p| p.item.clone())
            .collect();
        read.items.retain(|i| !ambiguous.contains(i.id()));
        let same = std::mem::take(&mut read.same_title);
        read.problems.extend(same);
    }
    let import_valid = draft_valid && !read.items.is_empty();
    if !read.is_clean() && !import_valid {
        return Ok(UploadOutcome::Refused(Box::new(read)));
    }
    let left_out = read.problems.clone();
    Ok(UploadOutcome::Imported(
        import_read_for(db, Some(user), bp, file_name, read, false).await?,
        left_out,
    ))
}

/// Imports what a file held (its valid items), for a user of the upload page or, with `None`, the CLI
/// (which may write to any pack). New packs are drafts unless `publish` and every item is ready; a
/// published pack whose items are no longer all ready goes back to draft in the same transaction.
pub async fn import_read(
    db: &PgPool,
    user: Option<&User>,
    file_name: &str,
    read: Upload,
    publish: bool,
) -> Result<ImportSummary, AppError> {
    import_read_for(db, user, blueprint()?, file_name, read, publish).await
}

/// [`import_read`] for a pack of the exam with blueprint `bp` (a file without pack metadata gets it).
pub async fn import_read_for(
    db: &PgPool,
    user: Option<&User>,
    bp: &'static Blueprint,
    file_name: &str,
    read: Upload,
    publish: bool,
) -> Result<ImportSummary, AppError> {
    let meta = read
        .meta
        .clone()
        .unwrap_or_else(|| upload::pack_meta_for(file_name, bp));
    let existing = store::pack_by_key(db, &meta.id).await?;
    if let (Some(user), Some(existing)) = (user, &existing) {
        if !may_write(user, existing) {
            return Err(AppError::Conflict(format!(
                "a pack with the id `{}` already exists and is not yours: rename the file or the pack id",
                meta.id
            )));
        }
    }
    let mut read = read;
    let mut no_longer: Vec<String> = Vec::new();
    // A re-import matches items by id; a question whose type changed is a new item (the old one stays, listed as
    // no longer in the file), so that no revision of an item ever changes its type under an attempt's feet.
    if let Some(existing) = &existing {
        if let Some((current, _)) = store::load_pack(db, existing.id).await? {
            let kinds: HashMap<&str, &str> =
                current.items.iter().map(|i| (i.id(), kind_of(i))).collect();
            let in_file: std::collections::HashSet<&str> =
                read.items.iter().map(|i| i.id()).collect();
            no_longer = current
                .items
                .iter()
                .map(|i| i.id())
                .filter(|id| !in_file.contains(id))
                .map(str::to_owned)
                .collect();
            let mut taken: std::collections::HashSet<String> = current
                .items
                .iter()
                .map(|i| i.id().to_owned())
                .chain(read.items.iter().map(|i| i.id().to_owned()))
                .collect();
            for item in &mut read.items {
                let old_kind = kinds.get(item.id()).copied();
                let new_kind = kind_of(item);
                if let Some(old_kind) = old_kind.filter(|k| *k != new_kind) {
                    let old_id = item.id().to_owned();
                    let base = format!("{old_id}-{}", new_kind.replace('_', "-"));
                    // An earlier re-import may have made that new item already: it is the match.
                    let mut new_id = base.clone();
                    let mut n = 2;
                    while taken.contains(&new_id) && kinds.get(new_id.as_str()) != Some(&new_kind) {
                        new_id = format!("{base}-{n}");
                        n += 1;
                    }
                    taken.insert(new_id.clone());
                    if let Some(c) = read.categories.remove(&old_id) {
                        read.categories.insert(new_id.clone(), c);
                    }
                    read.notes.push(format!(
                        "{file_name}: [{old_id}] its type changed ({old_kind} → {new_kind}): it is imported as a new \
                         item `{new_id}`; `{old_id}` is kept and listed as no longer in the file"
                    ));
                    set_id(item, new_id);
                    no_longer.push(old_id);
                }
            }
        }
    }
    let pack = Pack {
        meta,
        items: read.items,
    };
    // A clean file of our format passed the same rules as publishing; anything else is checked, under the
    // policy of the pack's owner (the uploader; the CLI writes the shipped bank).
    let (pack, ready) = if read.format == Format::Native && read.problems.is_empty() {
        (pack, true)
    } else {
        let policy = ExplanationPolicy::for_owner(db, user.map(|u| u.id)).await?;
        let (pack, check) = check_for_publishing(pack, policy).await?;
        (pack, check.problems.is_empty())
    };
    // The versions table says what the file was and anything worth knowing about how it was read.
    let mut source = format!("{file_name} ({})", read.format.name());
    for note in &read.notes {
        source.push_str("; ");
        source.push_str(note);
    }
    if !read.problems.is_empty() {
        source.push_str(&format!(
            "; {} problem(s), their items left out",
            read.problems.len()
        ));
    }
    if read.format != Format::Native && !no_longer.is_empty() {
        source.push_str(&format!(
            "; no longer in the file, kept as they were: {}",
            no_longer.join(", ")
        ));
    }
    let mut tx = db.begin().await?;
    let summary = store::import_pack_in(
        &mut tx,
        &pack,
        bp,
        &ImportOptions {
            owner: user.map(|u| u.id),
            status: if publish && ready {
                PackStatus::Published
            } else {
                PackStatus::Draft
            },
            ready,
            categories: Some(&read.categories),
            source: &source,
            actor: user.map(|u| u.id),
            // Our format is the whole pack; another tool's file is often a part of one (a Moodle category).
            keep_missing: read.format != Format::Native,
        },
    )
    .await?;
    let mut summary = summary;
    summary.notes = read.notes.clone();
    store::audit(
        &mut *tx,
        user.map(|u| (u.id, u.email.as_str())),
        "pack.upload",
        &pack.meta.id,
        serde_json::json!({"file": file_name, "format": read.format.name(), "added": summary.added,
            "changed": summary.changed, "retired": summary.retired, "missing": summary.missing.len(),
            "refused": read.problems.len(), "ready": ready}),
    )
    .await?;
    tx.commit().await?;
    Ok(summary)
}

/// Whether every item of a pack needs an explanation and a reference before the pack is published. The
/// shipped banks always do; an admin chooses for instructors' packs (`site_settings`, default recommended).
/// Problems that make an item unusable (no key, a key naming no option, no domain) block publishing either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExplanationPolicy {
    Required,
    Recommended,
}

impl ExplanationPolicy {
    /// The policy for a site pack (the shipped bank) or an instructor's, given the site's setting.
    pub fn of(site_pack: bool, required_by_site: bool) -> Self {
        if site_pack || required_by_site {
            ExplanationPolicy::Required
        } else {
            ExplanationPolicy::Recommended
        }
    }

    /// The policy for a pack with this owner (`None`: the shipped bank), reading the site's setting.
    pub async fn for_owner(db: &PgPool, owner: Option<Uuid>) -> Result<Self, AppError> {
        let required = owner.is_none() || crate::store::settings::explanations_required(db).await?;
        Ok(Self::of(owner.is_none(), required))
    }
}

/// What publishing a pack would meet: the problems that block it, and (where explanations are only
/// recommended) the items without an explanation or a reference, which candidates will see with the key only.
#[derive(Debug, Clone, Default)]
pub struct PublishCheck {
    pub problems: Vec<Problem>,
    /// Ids of the questions (a case study's questions by their own ids) with no explanation or no reference.
    pub without_explanation: Vec<String>,
}

impl PublishCheck {
    /// The warning shown when such a pack is published.
    pub fn warning(&self) -> Option<String> {
        let n = self.without_explanation.len();
        (n > 0).then(|| {
            format!(
                "{n} item{} {} no explanation or reference: candidates will see only the key.",
                if n == 1 { "" } else { "s" },
                if n == 1 { "has" } else { "have" }
            )
        })
    }
}

/// The explanation and reference a check lends an item that has none, under [`ExplanationPolicy::Recommended`]
/// (never stored: only the check sees them).
const LENT_EXPLANATION: &str = "(no explanation given)";
const LENT_REFERENCE: &str = "https://learn.microsoft.com/";

/// [`publish_problems`] under a policy: with explanations only recommended, the items without one are listed
/// instead of being problems.
pub fn publish_check(pack: &Pack, bp: &Blueprint, policy: ExplanationPolicy) -> PublishCheck {
    if policy == ExplanationPolicy::Required {
        return PublishCheck {
            problems: publish_problems(pack, bp),
            without_explanation: Vec::new(),
        };
    }
    let mut lent = pack.clone();
    let mut without = Vec::new();
    let mut lend = |q: &mut crate::bank::model::Question| {
        let c = &mut q.common;
        let no_refs = c.references.iter().all(|r| r.trim().is_empty());
        if c.explanation.trim().is_empty() || no_refs {
            without.push(c.id.clone());
            if c.explanation.trim().is_empty() {
                c.explanation = LENT_EXPLANATION.to_owned();
            }
            if no_refs {
                c.references = vec![LENT_REFERENCE.to_owned()];
            }
        }
    };
    for item in &mut lent.items {
        match item {
            Item::Question(q) => lend(q),
            Item::CaseStudy(crate::bank::model::CaseStudyItem::CaseStudy(cs)) => {
                cs.questions.iter_mut().for_each(&mut lend)
            }
        }
    }
    PublishCheck {
        problems: publish_problems(&lent, bp),
        without_explanation: without,
    }
}

/// An item's type as a re-import compares it: a question's type, or `case_study`.
fn kind_of(item: &Item) -> &'static str {
    match item {
        Item::Question(q) => q.body.type_name(),
        Item::CaseStudy(_) => "case_study",
    }
}

/// Gives an item another id (a re-import's new item for a question whose type changed).
fn set_id(item: &mut Item, id: String) {
    match item {
        Item::Question(q) => q.common.id = id,
        Item::CaseStudy(crate::bank::model::CaseStudyItem::CaseStudy(cs)) => cs.id = id,
    }
}

/// What must be fixed before a pack can be published: the full `bank check` rules (every item with a
/// domain and objective of the blueprint, an explanation, a reference, consistent keys), located by item.
pub fn publish_problems(pack: &Pack, bp: &Blueprint) -> Vec<Problem> {
    let file = PackFile {
        pack: Some(pack.meta.clone()),
        items: pack.items.clone(),
    };
    let name = format!("{}.json", pack.meta.id);
    match serde_json::to_string_pretty(&file) {
        Ok(text) => crate::bank::check_sources(&[(name, text)], bp).problems,
        Err(e) => vec![problem(&name, 1, 1, None, e.to_string())],
    }
}

/// [`publish_check`] off the async workers: checking a pack of thousands of items takes a second.
pub async fn check_for_publishing(
    pack: Pack,
    policy: ExplanationPolicy,
) -> Result<(Pack, PublishCheck), AppError> {
    let bp = blueprint_of(&pack.meta.blueprint)?;
    tokio::task::spawn_blocking(move || {
        let check = publish_check(&pack, bp, policy);
        (pack, check)
    })
    .await
    .map_err(AppError::internal)
}

/// The pack, when the user may write to it; another instructor's pack is simply not found.
pub async fn writable_access(
    db: &PgPool,
    user: &User,
    pack_id: Uuid,
) -> Result<PackAccess, AppError> {
    store::pack_by_id(db, pack_id)
        .await?
        .filter(|access| may_write(user, access))
        .ok_or(AppError::NotFound)
}

/// One item of a pack the user may write to (without reading the rest of the pack).
pub async fn writable_item(
    db: &PgPool,
    user: &User,
    pack_id: Uuid,
    key: &str,
) -> Result<Item, AppError> {
    writable_access(db, user, pack_id).await?;
    store::current_item(db, pack_id, key)
        .await?
        .ok_or(AppError::NotFound)
}

/// A pack the user may write to, with its items.
pub async fn writable_pack(
    db: &PgPool,
    user: &User,
    pack_id: Uuid,
) -> Result<(PackAccess, Pack, HashMap<String, String>), AppError> {
    let access = writable_access(db, user, pack_id).await?;
    let (pack, categories) = store::load_pack(db, pack_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((access, pack, categories))
}

/// Saves a changed pack (new revisions for the changed items; attempts keep the ones they used).
async fn save_pack(
    db: &PgPool,
    user: &User,
    pack: &Pack,
    source: &str,
    audit: store::Audit<'_>,
) -> Result<ImportSummary, AppError> {
    let bp = blueprint_of(&pack.meta.blueprint)?;
    let mut tx = db.begin().await?;
    let summary = store::import_pack_in(
        &mut tx,
        pack,
        bp,
        &ImportOptions {
            owner: None,
            status: PackStatus::Draft,
            // Edits pass the checker and placing only adds a domain: neither makes an item unready.
            ready: true,
            categories: None,
            source,
            actor: Some(user.id),
            keep_missing: false,
        },
    )
    .await?;
    audit.write(&mut *tx).await?;
    tx.commit().await?;
    Ok(summary)
}

/// Places every item of a category (or every item without a domain, for `category == None`) in a domain
/// and objective of the blueprint. Returns how many items changed.
pub async fn assign(
    db: &PgPool,
    user: &User,
    pack_id: Uuid,
    category: Option<&str>,
    objective: &str,
) -> Result<usize, AppError> {
    let (_, mut pack, categories) = writable_pack(db, user, pack_id).await?;
    let bp = blueprint_of(&pack.meta.blueprint)?;
    let domain = bp
        .domains
        .iter()
        .find(|d| d.objectives.iter().any(|o| o.id == objective))
        .ok_or_else(|| {
            AppError::BadRequest(format!(
                "`{objective}` is not an objective of the blueprint"
            ))
        })?
        .id
        .clone();
    let mut n = 0;
    for item in &mut pack.items {
        let Item::Question(q) = item else { continue };
        let selected = match category {
            Some(c) => categories.get(&q.common.id).map(String::as_str) == Some(c),
            None => q.common.domain.is_none() || q.common.objective.is_empty(),
        };
        if selected
            && (q.common.domain.as_deref() != Some(domain.as_str())
                || q.common.objective != objective)
        {
            q.common.domain = Some(domain.clone());
            q.common.objective = objective.to_owned();
            n += 1;
        }
    }
    if n > 0 {
        save_pack(
            db,
            user,
            &pack,
            &format!("placed {n} item(s) in {objective}"),
            store::Audit {
                actor: Some((user.id, user.email.as_str())),
                action: "pack.assign",
                target: &pack.meta.id,
                detail: serde_json::json!({"category": category, "objective": objective, "items": n}),
            },
        )
        .await?;
    }
    Ok(n)
}

/// Replaces one item with an edited version (JSON or YAML text of the item), checked with the same rules
/// as `bank check`. Saving makes a new revision; attempts keep the revision they used.
pub async fn edit_item(
    db: &PgPool,
    user: &User,
    pack_id: Uuid,
    item_key: &str,
    text: &str,
) -> Result<Result<ImportSummary, Vec<Problem>>, AppError> {
    let (_, mut pack, _) = writable_pack(db, user, pack_id).await?;
    let bp = blueprint_of(&pack.meta.blueprint)?;
    let Some(index) = pack.items.iter().position(|i| i.id() == item_key) else {
        return Err(AppError::NotFound);
    };
    // Check the item as the only item of a file of this pack, so lines are the editor's lines + 2.
    let meta = serde_json::to_string(&pack.meta).map_err(AppError::internal)?;
    let source = format!("pack: {meta}\nitems:\n- {}\n", indent(text.trim_end()));
    let file = format!("{item_key} (edited)");
    let report = crate::bank::check_sources(&[(file.clone(), source)], bp);
    let mut problems: Vec<Problem> = report
        .problems
        .into_iter()
        .map(|mut p| {
            p.line = p.line.saturating_sub(2).max(1);
            p.column = p.column.saturating_sub(2).max(1);
            p
        })
        .collect();
    let edited = match report.items.into_iter().next() {
        Some(i) if i.id() != item_key => {
            problems.push(problem(
                &file,
                1,
                1,
                Some(i.id()),
                format!("the id must stay `{item_key}`"),
            ));
            None
        }
        Some(i) => Some(i),
        None if problems.is_empty() => {
            problems.push(problem(
                &file,
                1,
                1,
                None,
                "no item was found in the text".into(),
            ));
            None
        }
        None => None,
    };
    let Some(edited) = edited.filter(|_| problems.is_empty()) else {
        return Ok(Err(problems));
    };
    pack.items[index] = edited;
    let target = format!("{}/{item_key}", pack.meta.id);
    let summary = save_pack(
        db,
        user,
        &pack,
        &format!("edited {item_key}"),
        store::Audit {
            actor: Some((user.id, user.email.as_str())),
            action: "item.edit",
            target: &target,
            detail: serde_json::json!({}),
        },
    )
    .await?;
    Ok(Ok(summary))
}

fn indent(text: &str) -> String {
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                l.to_owned()
            } else {
                format!("  {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Publishes, unpublishes (back to draft) or archives a pack. Publishing needs every item ready under the
/// pack's [`ExplanationPolicy`]; where explanations are only recommended, it answers the warning to show for
/// the items without one.
pub async fn set_status(
    db: &PgPool,
    user: &User,
    pack_id: Uuid,
    status: PackStatus,
) -> Result<Result<Option<String>, Vec<Problem>>, AppError> {
    let (access, pack, _) = writable_pack(db, user, pack_id).await?;
    let key = pack.meta.id.clone();
    let mut warning = None;
    if status.is_published() {
        let policy = ExplanationPolicy::for_owner(db, access.owner_id).await?;
        let (_, check) = check_for_publishing(pack, policy).await?;
        if !check.problems.is_empty() {
            return Ok(Err(check.problems));
        }
        warning = check.warning();
    }
    let action = format!("pack.{status}");
    store::set_status(
        db,
        pack_id,
        status,
        store::Audit {
            actor: Some((user.id, user.email.as_str())),
            action: &action,
            target: &key,
            detail: serde_json::json!({}),
        },
    )
    .await?;
    Ok(Ok(warning))
}

/// A pack as a file: our YAML (`yaml`, with each item's source category from `categories`), a QTI 3.0 content
/// package (`qti3`), or GIFT or Moodle XML for Moodle.
pub fn export(
    pack: &Pack,
    format: &str,
    categories: &HashMap<String, String>,
) -> Result<Vec<u8>, String> {
    match format {
        "yaml" => {
            let mut items = pack.items.clone();
            for item in &mut items {
                let category = categories.get(item.id()).cloned();
                match item {
                    Item::Question(q) => q.common.category = category,
                    Item::CaseStudy(crate::bank::model::CaseStudyItem::CaseStudy(cs)) => {
                        cs.category = category
                    }
                }
            }
            crate::bank::yaml_out::to_yaml(&PackFile {
                pack: Some(pack.meta.clone()),
                items,
            })
            .map(String::into_bytes)
        }
        "qti3" | "qti" => crate::bank::export::export_qti3(pack),
        other => match crate::bank::export::export_for_moodle(pack, other) {
            Some(e) => Ok(e.text.into_bytes()),
            None => Err(format!(
                "unknown export format `{other}`: use yaml, qti3, gift or moodle-xml"
            )),
        },
    }
}

// ---- Listing and deleting ---------------------------------------------------------------------------------

/// How many problems stand between a pack and publishing, and how many currency warnings (retired or renamed
/// names, the lexicon's) its items have, counted once per pack and last change (a pack changes only through
/// imports, edits and status changes, which all move `updated_at`). A cache each instance rebuilds on demand.
/// `policy`: the pack's [`ExplanationPolicy`] (a list reads the site's setting once for all its rows).
pub async fn problem_count(
    db: &PgPool,
    pack_id: Uuid,
    changed: time::OffsetDateTime,
    policy: ExplanationPolicy,
) -> Result<PackCounts, AppError> {
    type Cache =
        std::sync::RwLock<HashMap<(Uuid, time::OffsetDateTime, ExplanationPolicy), PackCounts>>;
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    // The policy is part of the key: an admin's change of it changes the counts at once.
    if let Some(n) = cache
        .read()
        .ok()
        .and_then(|c| c.get(&(pack_id, changed, policy)).copied())
    {
        return Ok(n);
    }
    let Some((pack, _)) = store::load_pack(db, pack_id).await? else {
        return Ok(PackCounts::default());
    };
    let warnings =
        crate::bank::currency::currency_warnings(&pack.items, crate::bank::lexicon::shipped())
            .len();
    let (_, check) = check_for_publishing(pack, policy).await?;
    let counts = PackCounts {
        problems: check.problems.len(),
        warnings,
    };
    if let Ok(mut c) = cache.write() {
        if c.len() >= 10_000 {
            c.clear();
        }
        c.insert((pack_id, changed, policy), counts);
    }
    Ok(counts)
}

/// A pack's counts for its list row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PackCounts {
    /// Problems to fix before publishing.
    pub problems: usize,
    /// Uses of retired or renamed names in its items (the currency check).
    pub warnings: usize,
}

/// The viewer of a pack list.
pub fn viewer(user: &User) -> crate::store::packs::Viewer {
    crate::store::packs::Viewer {
        id: user.id,
        admin: user.role == Role::Admin,
    }
}

/// What deleting these packs would remove, when the user may change every one of them (else 404: another
/// instructor's pack is simply not found, and a site pack is changed only by admins).
pub async fn deletion_plans(
    db: &PgPool,
    user: &User,
    ids: &[Uuid],
) -> Result<Vec<crate::store::packs::DeletionPlan>, AppError> {
    let plans = crate::store::packs::deletion_plans(db, ids).await?;
    let mut wanted = ids.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    if plans.len() != wanted.len() || plans.iter().any(|p| !may_change(user, p.owner_id)) {
        return Err(AppError::NotFound);
    }
    Ok(plans)
}

/// May `user` change a pack with this owner (`None`: a site pack, admins only)?
pub fn may_change(user: &User, owner: Option<Uuid>) -> bool {
    user.role == Role::Admin || (owner.is_some() && owner == Some(user.id))
}

/// Deletes draft packs that no attempt used, all or none (one transaction, audited). `Ok(Err(reason))` when
/// one of them is not a draft or was used by an attempt: nothing was deleted, and such a pack can only be
/// archived.
pub async fn delete_drafts(
    db: &PgPool,
    user: &User,
    ids: &[Uuid],
) -> Result<Result<Vec<String>, String>, AppError> {
    use crate::store::packs::Deleted;
    if ids.is_empty() {
        return Err(AppError::BadRequest(
            "choose at least one draft to delete".into(),
        ));
    }
    match crate::store::packs::delete_drafts(db, (user.id, user.email.as_str()), ids, |owner| {
        may_change(user, owner)
    })
    .await?
    {
        Deleted::Done(keys) => Ok(Ok(keys)),
        Deleted::Refused(reason) => Ok(Err(reason)),
        Deleted::NotFound => Err(AppError::NotFound),
    }
}
