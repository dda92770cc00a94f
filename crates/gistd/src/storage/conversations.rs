//! Conversations of a workspace, their contacts, tags and messages.
//!
//! Every function takes the workspace id and checks it, so a conversation of another
//! workspace behaves exactly like an unknown one. Custom properties are stored as JSON
//! text; callers parse and merge them.

use super::{BeginWrite as _, Db, StorageError, WriteTarget as _, on_pool};

/// A conversation row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConversationRow {
    /// Row id.
    pub id: i64,
    /// Title, if any.
    pub title: Option<String>,
    /// `open`, `closed` or `snoozed`.
    pub state: String,
    /// `priority` or `not_priority`.
    pub priority: String,
    /// `teammate` or `team` when assigned.
    pub assignee_type: Option<String>,
    /// The assigned teammate (membership) or team id.
    pub assignee_id: Option<i64>,
    /// JSON object text.
    pub custom_properties: String,
    /// When the conversation started.
    pub created_at: i64,
    /// When it last changed.
    pub updated_at: i64,
}

/// A contact taking part in a conversation, as much as the conversation shows.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConversationContactRow {
    /// Contact id.
    pub id: i64,
    /// The integrator's id.
    pub user_id: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Name.
    pub name: Option<String>,
}

/// A message row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    /// Row id.
    pub id: i64,
    /// `reply` or `note`.
    pub message_type: String,
    /// The text.
    pub body: String,
    /// `teammate` or `contact`.
    pub author_type: String,
    /// Membership id or contact id.
    pub author_id: i64,
    /// When it was written.
    pub created_at: i64,
}

/// The column a conversation list is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderBy {
    /// Start time.
    CreatedAt,
    /// Time of the last change (Gist's default).
    UpdatedAt,
}

/// What a conversation list shows and in which order.
#[derive(Debug, Clone, Copy)]
pub struct ConversationFilter<'a> {
    /// Only conversations in this state; `None` for all.
    pub state: Option<&'a str>,
    /// Sort column.
    pub order_by: OrderBy,
    /// Newest first when true.
    pub descending: bool,
}

/// Changes to a conversation; `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct ConversationChanges<'a> {
    /// New title.
    pub title: Option<&'a str>,
    /// New state.
    pub state: Option<&'a str>,
    /// New priority.
    pub priority: Option<&'a str>,
    /// The whole new custom properties document (already merged by the caller).
    pub custom_properties: Option<&'a str>,
}

const COLUMNS: &str = "id, title, state, priority, assignee_type, assignee_id, \
                       custom_properties, created_at, updated_at";

/// One page of the workspace's conversations, and how many match in all.
pub async fn list_conversations(
    db: &Db,
    workspace_id: i64,
    filter: ConversationFilter<'_>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ConversationRow>, i64), StorageError> {
    // The ORDER BY is one of four fixed texts, never built from input.
    let order = match (filter.order_by, filter.descending) {
        (OrderBy::CreatedAt, false) => "created_at ASC, id ASC",
        (OrderBy::CreatedAt, true) => "created_at DESC, id DESC",
        (OrderBy::UpdatedAt, false) => "updated_at ASC, id ASC",
        (OrderBy::UpdatedAt, true) => "updated_at DESC, id DESC",
    };
    let page = format!(
        "SELECT {COLUMNS} FROM conversations WHERE workspace_id = $1 \
         AND ($2 IS NULL OR state = $2) ORDER BY {order} LIMIT $3 OFFSET $4"
    );
    let count = "SELECT COUNT(*) FROM conversations WHERE workspace_id = $1 \
                 AND ($2 IS NULL OR state = $2)";
    Ok(on_pool!(db, pool => {
        let rows = sqlx::query_as::<_, ConversationRow>(&page)
            .bind(workspace_id)
            .bind(filter.state)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?;
        let total = sqlx::query_scalar::<_, i64>(count)
            .bind(workspace_id)
            .bind(filter.state)
            .fetch_one(pool)
            .await?;
        (rows, total)
    }))
}

/// Finds a conversation of the workspace by id.
pub async fn find_conversation(
    db: &Db,
    workspace_id: i64,
    id: i64,
) -> Result<Option<ConversationRow>, StorageError> {
    let sql = format!("SELECT {COLUMNS} FROM conversations WHERE workspace_id = $1 AND id = $2");
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, ConversationRow>(&sql)
        .bind(workspace_id)
        .bind(id)
        .fetch_optional(pool)
        .await?),
    )
}

/// The contacts of a conversation, in the order they joined.
pub async fn list_conversation_contacts(
    db: &Db,
    conversation_id: i64,
) -> Result<Vec<ConversationContactRow>, StorageError> {
    let sql = "SELECT c.id, c.user_id, c.email, c.name FROM conversation_contacts cc \
               JOIN contacts c ON c.id = cc.contact_id WHERE cc.conversation_id = $1 \
               ORDER BY c.id";
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, ConversationContactRow>(sql)
        .bind(conversation_id)
        .fetch_all(pool)
        .await?),
    )
}

/// The tags of a conversation as (id, name), by name.
pub async fn list_conversation_tags(
    db: &Db,
    conversation_id: i64,
) -> Result<Vec<(i64, String)>, StorageError> {
    let sql = "SELECT t.id, t.name FROM conversation_tags ct JOIN tags t ON t.id = ct.tag_id \
               WHERE ct.conversation_id = $1 ORDER BY t.name_key, t.id";
    Ok(on_pool!(db, pool => sqlx::query_as::<_, (i64, String)>(sql)
        .bind(conversation_id)
        .fetch_all(pool)
        .await?))
}

/// Starts a conversation: the conversation, its contact and the contact's first message
/// (an inbound reply), in one transaction. Returns the conversation id.
pub async fn insert_conversation(
    db: &Db,
    workspace_id: i64,
    contact_id: i64,
    title: Option<&str>,
    custom_properties: &str,
    body: &str,
    now: i64,
) -> Result<i64, StorageError> {
    let conversation = "INSERT INTO conversations (workspace_id, title, state, priority, \
                        custom_properties, created_at, updated_at) \
                        VALUES ($1, $2, 'open', 'not_priority', $3, $4, $4) RETURNING id";
    let contact = "INSERT INTO conversation_contacts (conversation_id, contact_id) VALUES ($1, $2)";
    let message = "INSERT INTO messages (conversation_id, message_type, body, author_type, \
                   author_id, created_at) VALUES ($1, 'reply', $2, 'contact', $3, $4)";
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let id = sqlx::query_scalar::<_, i64>(conversation)
            .bind(workspace_id)
            .bind(title)
            .bind(custom_properties)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(contact).bind(id).bind(contact_id).execute(&mut *tx).await?;
        sqlx::query(message)
            .bind(id)
            .bind(body)
            .bind(contact_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(id)
    })
}

/// Applies `changes` to a conversation; returns whether it exists in the workspace.
pub async fn update_conversation(
    db: &Db,
    workspace_id: i64,
    id: i64,
    changes: &ConversationChanges<'_>,
    now: i64,
) -> Result<bool, StorageError> {
    let sql = "UPDATE conversations SET title = COALESCE($3, title), \
               state = COALESCE($4, state), priority = COALESCE($5, priority), \
               custom_properties = COALESCE($6, custom_properties), updated_at = $7 \
               WHERE workspace_id = $1 AND id = $2";
    let updated = on_pool!(db, pool => sqlx::query(sql)
        .bind(workspace_id)
        .bind(id)
        .bind(changes.title)
        .bind(changes.state)
        .bind(changes.priority)
        .bind(changes.custom_properties)
        .bind(now)
        .execute(pool.writer())
        .await?
        .rows_affected());
    Ok(updated == 1)
}

/// Assigns a conversation to `(assignee_type, assignee_id)`, or unassigns it with
/// `None`; returns whether it exists in the workspace. The caller checks the assignee.
pub async fn update_assignee(
    db: &Db,
    workspace_id: i64,
    id: i64,
    assignee: Option<(&str, i64)>,
    now: i64,
) -> Result<bool, StorageError> {
    let sql = "UPDATE conversations SET assignee_type = $3, assignee_id = $4, updated_at = $5 \
               WHERE workspace_id = $1 AND id = $2";
    let updated = on_pool!(db, pool => sqlx::query(sql)
        .bind(workspace_id)
        .bind(id)
        .bind(assignee.map(|(kind, _)| kind))
        .bind(assignee.map(|(_, assignee_id)| assignee_id))
        .bind(now)
        .execute(pool.writer())
        .await?
        .rows_affected());
    Ok(updated == 1)
}

/// Deletes a conversation with its messages and tags; returns whether it existed.
pub async fn delete_conversation(
    db: &Db,
    workspace_id: i64,
    id: i64,
) -> Result<bool, StorageError> {
    let sql = "DELETE FROM conversations WHERE workspace_id = $1 AND id = $2";
    let deleted = on_pool!(db, pool => sqlx::query(sql)
        .bind(workspace_id)
        .bind(id)
        .execute(pool.writer())
        .await?
        .rows_affected());
    Ok(deleted == 1)
}

/// Puts a tag (of the same workspace, checked by the caller) on a conversation; tagging
/// twice is not an error.
pub async fn insert_conversation_tag(
    db: &Db,
    conversation_id: i64,
    tag_id: i64,
    now: i64,
) -> Result<(), StorageError> {
    let tag = "INSERT INTO conversation_tags (conversation_id, tag_id) VALUES ($1, $2) \
               ON CONFLICT (conversation_id, tag_id) DO NOTHING";
    let touch = "UPDATE conversations SET updated_at = $2 WHERE id = $1";
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        sqlx::query(tag).bind(conversation_id).bind(tag_id).execute(&mut *tx).await?;
        sqlx::query(touch).bind(conversation_id).bind(now).execute(&mut *tx).await?;
        tx.commit().await?;
    });
    Ok(())
}

/// Takes a tag off a conversation; returns whether it was on it.
pub async fn delete_conversation_tag(
    db: &Db,
    conversation_id: i64,
    tag_id: i64,
    now: i64,
) -> Result<bool, StorageError> {
    let untag = "DELETE FROM conversation_tags WHERE conversation_id = $1 AND tag_id = $2";
    let touch = "UPDATE conversations SET updated_at = $2 WHERE id = $1";
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let removed = sqlx::query(untag)
            .bind(conversation_id)
            .bind(tag_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if removed == 1 {
            sqlx::query(touch).bind(conversation_id).bind(now).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(removed == 1)
    })
}

/// One page of a conversation's messages, oldest first, and how many there are.
pub async fn list_messages(
    db: &Db,
    conversation_id: i64,
    limit: i64,
    offset: i64,
) -> Result<(Vec<MessageRow>, i64), StorageError> {
    let page = "SELECT id, message_type, body, author_type, author_id, created_at FROM messages \
                WHERE conversation_id = $1 ORDER BY id LIMIT $2 OFFSET $3";
    let count = "SELECT COUNT(*) FROM messages WHERE conversation_id = $1";
    Ok(on_pool!(db, pool => {
        let rows = sqlx::query_as::<_, MessageRow>(page)
            .bind(conversation_id)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?;
        let total = sqlx::query_scalar::<_, i64>(count)
            .bind(conversation_id)
            .fetch_one(pool)
            .await?;
        (rows, total)
    }))
}

/// Adds a teammate's message to a conversation (whose workspace the caller checked) and
/// marks the conversation as changed, in one transaction.
pub async fn insert_teammate_message(
    db: &Db,
    conversation_id: i64,
    message_type: &str,
    body: &str,
    membership_id: i64,
    now: i64,
) -> Result<MessageRow, StorageError> {
    let insert = "INSERT INTO messages (conversation_id, message_type, body, author_type, \
                  author_id, created_at) VALUES ($1, $2, $3, 'teammate', $4, $5) \
                  RETURNING id, message_type, body, author_type, author_id, created_at";
    let touch = "UPDATE conversations SET updated_at = $2 WHERE id = $1";
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let row = sqlx::query_as::<_, MessageRow>(insert)
            .bind(conversation_id)
            .bind(message_type)
            .bind(body)
            .bind(membership_id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(touch).bind(conversation_id).bind(now).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(row)
    })
}

/// Whether `membership_id` is a teammate of the workspace.
pub async fn is_teammate(
    db: &Db,
    workspace_id: i64,
    membership_id: i64,
) -> Result<bool, StorageError> {
    let sql = "SELECT COUNT(*) FROM memberships WHERE workspace_id = $1 AND id = $2";
    let found = on_pool!(db, pool => sqlx::query_scalar::<_, i64>(sql)
        .bind(workspace_id)
        .bind(membership_id)
        .fetch_one(pool)
        .await?);
    Ok(found == 1)
}

/// The workspace's conversations counted by state, as (state, all, assigned): how many
/// are in the state and how many of those have an assignee.
pub async fn count_by_state(
    db: &Db,
    workspace_id: i64,
) -> Result<Vec<(String, i64, i64)>, StorageError> {
    // SUM over a CASE is BIGINT on PostgreSQL and INTEGER on SQLite: both read as i64.
    let sql = "SELECT state, COUNT(*), \
               SUM(CASE WHEN assignee_id IS NULL THEN 0 ELSE 1 END) FROM conversations \
               WHERE workspace_id = $1 GROUP BY state";
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, (String, i64, i64)>(sql)
        .bind(workspace_id)
        .fetch_all(pool)
        .await?),
    )
}

/// The workspace's conversations assigned to `assignee_type` (`teammate` or `team`),
/// counted as (assignee id, state, count).
pub async fn count_by_assignee(
    db: &Db,
    workspace_id: i64,
    assignee_type: &str,
) -> Result<Vec<(i64, String, i64)>, StorageError> {
    let sql = "SELECT assignee_id, state, COUNT(*) FROM conversations \
               WHERE workspace_id = $1 AND assignee_type = $2 AND assignee_id IS NOT NULL \
               GROUP BY assignee_id, state";
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, (i64, String, i64)>(sql)
        .bind(workspace_id)
        .bind(assignee_type)
        .fetch_all(pool)
        .await?),
    )
}
