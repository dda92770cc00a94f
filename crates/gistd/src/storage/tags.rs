//! Tags of a workspace. Names are unique per workspace regardless of case: `VIP` and
//! `vip` are one tag (the first spelling is kept).

use super::contacts::placeholders;
use super::{BeginWrite as _, Db, StorageError, WriteTarget as _, conflict_as, on_pool};

/// A tag.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Tag {
    /// Row id.
    pub id: i64,
    /// The name as first written.
    pub name: String,
}

/// A tag of one contact, as loaded for a page of contacts.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactTag {
    /// The contact.
    pub contact_id: i64,
    /// The tag's id.
    pub id: i64,
    /// The tag's name.
    pub name: String,
}

/// How a request names a tag to put on a contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagRef {
    /// An existing tag's id.
    Id(i64),
    /// A name, the tag being created when missing.
    Name(String),
}

/// Creates the tag unless one with its name key exists. Shared by
/// [`find_or_create_tag`] and the contact upsert, which runs it in its transaction.
pub(crate) const INSERT_TAG: &str = "INSERT INTO tags (workspace_id, name, name_key, created_at) \
                                     VALUES ($1, $2, $3, $4) \
                                     ON CONFLICT (workspace_id, name_key) DO NOTHING";
/// The tag with a name key.
pub(crate) const SELECT_TAG_BY_KEY: &str =
    "SELECT id, name FROM tags WHERE workspace_id = $1 AND name_key = $2";
/// The tag with an id.
pub(crate) const SELECT_TAG_BY_ID: &str =
    "SELECT id, name FROM tags WHERE workspace_id = $1 AND id = $2";
/// Puts a tag on a contact (nothing when it is there already).
pub(crate) const LINK_CONTACT: &str = "INSERT INTO contact_tags (contact_id, tag_id) VALUES ($1, $2) \
                                       ON CONFLICT (contact_id, tag_id) DO NOTHING";

/// The key under which a tag name is unique.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Finds the tag named `name` (in any case), creating it when missing.
pub async fn find_or_create_tag(
    db: &Db,
    workspace_id: i64,
    name: &str,
    now: i64,
) -> Result<Tag, StorageError> {
    let key = name_key(name);
    Ok(on_pool!(db, pool => {
        sqlx::query(INSERT_TAG).bind(workspace_id).bind(name.trim()).bind(&key).bind(now).execute(pool).await?;
        sqlx::query_as::<_, Tag>(SELECT_TAG_BY_KEY).bind(workspace_id).bind(&key).fetch_one(pool).await?
    }))
}

/// Finds a tag of the workspace by id.
pub async fn find_tag(db: &Db, workspace_id: i64, id: i64) -> Result<Option<Tag>, StorageError> {
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, Tag>(SELECT_TAG_BY_ID)
        .bind(workspace_id)
        .bind(id)
        .fetch_optional(pool)
        .await?),
    )
}

/// Finds a tag of the workspace by name, in any case.
pub async fn find_tag_by_name(
    db: &Db,
    workspace_id: i64,
    name: &str,
) -> Result<Option<Tag>, StorageError> {
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, Tag>(SELECT_TAG_BY_KEY)
        .bind(workspace_id)
        .bind(name_key(name))
        .fetch_optional(pool)
        .await?),
    )
}

/// One page of the workspace's tags, by name, and how many tags it has in all.
pub async fn list_tags(
    db: &Db,
    workspace_id: i64,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Tag>, i64), StorageError> {
    let page = "SELECT id, name FROM tags WHERE workspace_id = $1 \
                ORDER BY name_key, id LIMIT $2 OFFSET $3";
    let count = "SELECT COUNT(*) FROM tags WHERE workspace_id = $1";
    Ok(on_pool!(db, pool => {
        let tags = sqlx::query_as::<_, Tag>(page)
            .bind(workspace_id)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?;
        let total = sqlx::query_scalar::<_, i64>(count).bind(workspace_id).fetch_one(pool).await?;
        (tags, total)
    }))
}

/// Renames a tag; `None` when the workspace has no tag `id`. Another tag with the same
/// name in any case is a [`StorageError::Conflict`].
pub async fn rename_tag(
    db: &Db,
    workspace_id: i64,
    id: i64,
    name: &str,
) -> Result<Option<Tag>, StorageError> {
    let sql = "UPDATE tags SET name = $3, name_key = $4 WHERE workspace_id = $1 AND id = $2 \
               RETURNING id, name";
    on_pool!(db, pool => sqlx::query_as::<_, Tag>(sql)
        .bind(workspace_id)
        .bind(id)
        .bind(name.trim())
        .bind(name_key(name))
        .fetch_optional(pool.writer())
        .await
        .map_err(conflict_as("a tag with this name")))
}

/// Deletes a tag, taking it off every contact (whose `updated_at` becomes `now`), and
/// returns it; `None` when the workspace has no tag `id`.
pub async fn delete_tag(
    db: &Db,
    workspace_id: i64,
    id: i64,
    now: i64,
) -> Result<Option<Tag>, StorageError> {
    let touch = "UPDATE contacts SET updated_at = $3 WHERE workspace_id = $1 \
                 AND id IN (SELECT contact_id FROM contact_tags WHERE tag_id = $2)";
    let delete = "DELETE FROM tags WHERE workspace_id = $1 AND id = $2 RETURNING id, name";
    Ok(on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        sqlx::query(touch).bind(workspace_id).bind(id).bind(now).execute(&mut *tx).await?;
        let tag = sqlx::query_as::<_, Tag>(delete)
            .bind(workspace_id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        tag
    }))
}

/// Puts tag `tag_id` on `tag` contacts and takes it off `untag` contacts, in one
/// transaction; contacts whose tags changed get `updated_at = now`. Every id must be a
/// contact of the tag's workspace (the caller resolved them).
pub async fn tag_contacts(
    db: &Db,
    tag_id: i64,
    tag: &[i64],
    untag: &[i64],
    now: i64,
) -> Result<(), StorageError> {
    let unlink = "DELETE FROM contact_tags WHERE contact_id = $1 AND tag_id = $2";
    let touch = "UPDATE contacts SET updated_at = $2 WHERE id = $1";
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        for (contact_id, sql) in tag.iter().map(|id| (id, LINK_CONTACT)).chain(untag.iter().map(|id| (id, unlink))) {
            let changed = sqlx::query(sql).bind(contact_id).bind(tag_id).execute(&mut *tx).await?.rows_affected();
            if changed > 0 {
                sqlx::query(touch).bind(contact_id).bind(now).execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
    });
    Ok(())
}

/// The tags of each of `contact_ids`, by name, in one query.
pub async fn list_tags_of_contacts(
    db: &Db,
    contact_ids: &[i64],
) -> Result<Vec<ContactTag>, StorageError> {
    if contact_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT ct.contact_id, t.id, t.name FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id \
         WHERE ct.contact_id IN ({}) ORDER BY t.name_key, t.id",
        placeholders(1, contact_ids.len())
    );
    Ok(on_pool!(db, pool => {
        let mut query = sqlx::query_as::<_, ContactTag>(&sql);
        for id in contact_ids {
            query = query.bind(*id);
        }
        query.fetch_all(pool).await?
    }))
}
