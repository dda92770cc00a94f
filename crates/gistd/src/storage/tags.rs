//! Tags of a workspace. Names are unique per workspace regardless of case: `VIP` and
//! `vip` are one tag (the first spelling is kept).

use super::{Db, StorageError, on_pool};

/// A tag.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Tag {
    /// Row id.
    pub id: i64,
    /// The name as first written.
    pub name: String,
}

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
    let insert = "INSERT INTO tags (workspace_id, name, name_key, created_at) VALUES ($1, $2, $3, $4) \
                  ON CONFLICT (workspace_id, name_key) DO NOTHING";
    let select = "SELECT id, name FROM tags WHERE workspace_id = $1 AND name_key = $2";
    let key = name_key(name);
    Ok(on_pool!(db, pool => {
        sqlx::query(insert).bind(workspace_id).bind(name.trim()).bind(&key).bind(now).execute(pool).await?;
        sqlx::query_as::<_, Tag>(select).bind(workspace_id).bind(&key).fetch_one(pool).await?
    }))
}

/// Finds a tag of the workspace by id.
pub async fn find_tag(db: &Db, workspace_id: i64, id: i64) -> Result<Option<Tag>, StorageError> {
    let sql = "SELECT id, name FROM tags WHERE workspace_id = $1 AND id = $2";
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, Tag>(sql).bind(workspace_id).bind(id).fetch_optional(pool).await?),
    )
}
