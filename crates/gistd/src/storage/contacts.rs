//! Contacts of a workspace: users (with a `user_id`) and leads (without).

use super::{Db, StorageError, on_pool};

/// How a request names a contact.
#[derive(Debug, Clone)]
pub enum ContactKey<'a> {
    /// Gist's id.
    Id(i64),
    /// The integrator's own id.
    UserId(&'a str),
    /// Email address (matched without regard to case).
    Email(&'a str),
}

/// The id of the workspace's contact named by `key`.
pub async fn find_contact_id(
    db: &Db,
    workspace_id: i64,
    key: &ContactKey<'_>,
) -> Result<Option<i64>, StorageError> {
    Ok(on_pool!(db, pool => match key {
        ContactKey::Id(id) => sqlx::query_scalar::<_, i64>(
            "SELECT id FROM contacts WHERE workspace_id = $1 AND id = $2",
        )
        .bind(workspace_id)
        .bind(*id)
        .fetch_optional(pool)
        .await?,
        ContactKey::UserId(user_id) => sqlx::query_scalar::<_, i64>(
            "SELECT id FROM contacts WHERE workspace_id = $1 AND user_id = $2",
        )
        .bind(workspace_id)
        .bind(*user_id)
        .fetch_optional(pool)
        .await?,
        ContactKey::Email(email) => sqlx::query_scalar::<_, i64>(
            "SELECT id FROM contacts WHERE workspace_id = $1 AND email = $2",
        )
        .bind(workspace_id)
        .bind(email.trim().to_lowercase())
        .fetch_optional(pool)
        .await?,
    }))
}
