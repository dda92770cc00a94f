//! Segments of a workspace: named groups of contacts. Gist's API only reads them; they
//! are made by the command line (and by tests) through [`insert_segment`] and
//! [`add_contact_to_segment`].

use super::contacts::placeholders;
use super::{Db, StorageError, WriteTarget as _, on_pool};

/// A segment, with its number of contacts when that was asked for.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Segment {
    /// Row id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
    /// How many contacts it holds; `None` unless counted.
    pub count: Option<i64>,
}

/// A segment of one contact, as loaded for a page of contacts.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactSegment {
    /// The contact.
    pub contact_id: i64,
    /// The segment's id.
    pub id: i64,
    /// The segment's name.
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// The columns of [`Segment`], with or without the count (a correlated subquery, only
/// paid for when asked).
fn columns(include_count: bool) -> &'static str {
    if include_count {
        "s.id, s.name, s.created_at, s.updated_at, \
         (SELECT COUNT(*) FROM segment_contacts sc WHERE sc.segment_id = s.id) AS count"
    } else {
        "s.id, s.name, s.created_at, s.updated_at, CAST(NULL AS BIGINT) AS count"
    }
}

/// Creates a segment and returns its id.
pub async fn insert_segment(
    db: &Db,
    workspace_id: i64,
    name: &str,
    now: i64,
) -> Result<i64, StorageError> {
    let sql = "INSERT INTO segments (workspace_id, name, created_at, updated_at) \
               VALUES ($1, $2, $3, $3) RETURNING id";
    Ok(on_pool!(db, pool => sqlx::query_scalar::<_, i64>(sql)
        .bind(workspace_id)
        .bind(name.trim())
        .bind(now)
        .fetch_one(pool.writer())
        .await?))
}

/// Puts a contact in a segment of the same workspace. Returns false when the segment and
/// the contact are not of one workspace (or either is missing); true when the contact is
/// in the segment now, including when it was already.
pub async fn add_contact_to_segment(
    db: &Db,
    segment_id: i64,
    contact_id: i64,
) -> Result<bool, StorageError> {
    let insert = "INSERT INTO segment_contacts (segment_id, contact_id) \
                  SELECT s.id, c.id FROM segments s \
                  JOIN contacts c ON c.workspace_id = s.workspace_id \
                  WHERE s.id = $1 AND c.id = $2 \
                  ON CONFLICT (segment_id, contact_id) DO NOTHING";
    let present = "SELECT COUNT(*) FROM segment_contacts WHERE segment_id = $1 AND contact_id = $2";
    Ok(on_pool!(db, pool => {
        sqlx::query(insert).bind(segment_id).bind(contact_id).execute(pool.writer()).await?;
        sqlx::query_scalar::<_, i64>(present).bind(segment_id).bind(contact_id).fetch_one(pool.writer()).await? > 0
    }))
}

/// One page of the workspace's segments, oldest first, and how many it has in all.
pub async fn list_segments(
    db: &Db,
    workspace_id: i64,
    include_count: bool,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Segment>, i64), StorageError> {
    let page = format!(
        "SELECT {} FROM segments s WHERE s.workspace_id = $1 ORDER BY s.id LIMIT $2 OFFSET $3",
        columns(include_count)
    );
    let count = "SELECT COUNT(*) FROM segments WHERE workspace_id = $1";
    Ok(on_pool!(db, pool => {
        let segments = sqlx::query_as::<_, Segment>(&page)
            .bind(workspace_id)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?;
        let total = sqlx::query_scalar::<_, i64>(count).bind(workspace_id).fetch_one(pool).await?;
        (segments, total)
    }))
}

/// A segment of the workspace.
pub async fn find_segment(
    db: &Db,
    workspace_id: i64,
    id: i64,
    include_count: bool,
) -> Result<Option<Segment>, StorageError> {
    let sql = format!(
        "SELECT {} FROM segments s WHERE s.workspace_id = $1 AND s.id = $2",
        columns(include_count)
    );
    Ok(on_pool!(db, pool => sqlx::query_as::<_, Segment>(&sql)
        .bind(workspace_id)
        .bind(id)
        .fetch_optional(pool)
        .await?))
}

/// The segments of each of `contact_ids`, by name, in one query.
pub async fn list_segments_of_contacts(
    db: &Db,
    contact_ids: &[i64],
) -> Result<Vec<ContactSegment>, StorageError> {
    if contact_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT sc.contact_id, s.id, s.name, s.created_at, s.updated_at \
         FROM segment_contacts sc JOIN segments s ON s.id = sc.segment_id \
         WHERE sc.contact_id IN ({}) ORDER BY s.name, s.id",
        placeholders(1, contact_ids.len())
    );
    Ok(on_pool!(db, pool => {
        let mut query = sqlx::query_as::<_, ContactSegment>(&sql);
        for id in contact_ids {
            query = query.bind(*id);
        }
        query.fetch_all(pool).await?
    }))
}
