//! Events a workspace's contacts did, and the lead an event (or a form or campaign
//! subscription) creates for an email address the workspace does not know yet.

use super::{Db, StorageError, WriteTarget as _, on_pool};

/// An event with the contact keys the API shows beside it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    /// Row id.
    pub id: i64,
    /// Event name.
    pub name: String,
    /// The contact, unless it was deleted.
    pub contact_id: Option<i64>,
    /// The contact's email address.
    pub email: Option<String>,
    /// The contact's `user_id`.
    pub user_id: Option<String>,
    /// Properties, a JSON object as text.
    pub properties: String,
    /// When it happened, Unix seconds.
    pub occurred_at: i64,
    /// When it was recorded, Unix seconds.
    pub created_at: i64,
}

const SELECT_EVENT: &str = "SELECT e.id, e.name, e.contact_id, c.email, c.user_id, e.properties, \
                            e.occurred_at, e.created_at \
                            FROM events e LEFT JOIN contacts c ON c.id = e.contact_id";

/// One page of the workspace's events, newest first, and how many there are in all;
/// only those named `name` when it is given.
pub async fn list_events(
    db: &Db,
    workspace_id: i64,
    name: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<EventRow>, i64), StorageError> {
    // `$2 IS NULL` needs a typed parameter on PostgreSQL; an empty string stands for
    // "every name" instead, which no event can have (names are required non-empty).
    let name = name.unwrap_or("");
    let filter = "e.workspace_id = $1 AND ($2 = '' OR e.name = $2)";
    let page = format!(
        "{SELECT_EVENT} WHERE {filter} ORDER BY e.occurred_at DESC, e.id DESC LIMIT $3 OFFSET $4"
    );
    let count = format!("SELECT COUNT(*) FROM events e WHERE {filter}");
    Ok(on_pool!(db, pool => {
        let rows = sqlx::query_as::<_, EventRow>(&page)
            .bind(workspace_id)
            .bind(name)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?;
        let total = sqlx::query_scalar::<_, i64>(&count)
            .bind(workspace_id)
            .bind(name)
            .fetch_one(pool)
            .await?;
        (rows, total)
    }))
}

/// Records an event of `contact_id` and returns it.
pub async fn insert_event(
    db: &Db,
    workspace_id: i64,
    contact_id: i64,
    name: &str,
    properties: &str,
    occurred_at: i64,
    now: i64,
) -> Result<EventRow, StorageError> {
    let insert = "INSERT INTO events (workspace_id, contact_id, name, properties, occurred_at, \
                  created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    let select = format!("{SELECT_EVENT} WHERE e.id = $1");
    Ok(on_pool!(db, pool => {
        let id = sqlx::query_scalar::<_, i64>(insert)
            .bind(workspace_id)
            .bind(contact_id)
            .bind(name)
            .bind(properties)
            .bind(occurred_at)
            .bind(now)
            .fetch_one(pool.writer())
            .await?;
        sqlx::query_as::<_, EventRow>(&select).bind(id).fetch_one(pool.writer()).await?
    }))
}

/// The email address and `user_id` of a workspace's contact, if it exists.
pub async fn find_contact_keys(
    db: &Db,
    workspace_id: i64,
    contact_id: i64,
) -> Result<Option<(Option<String>, Option<String>)>, StorageError> {
    let sql = "SELECT email, user_id FROM contacts WHERE workspace_id = $1 AND id = $2";
    Ok(on_pool!(db, pool => {
        sqlx::query_as::<_, (Option<String>, Option<String>)>(sql)
            .bind(workspace_id)
            .bind(contact_id)
            .fetch_optional(pool)
            .await?
    }))
}
