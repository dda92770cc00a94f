//! Workspaces, their members and their API keys.

use super::{BeginWrite as _, Db, StorageError, WriteTarget as _, conflict_as, on_pool};

/// A workspace.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Workspace {
    /// Row id.
    pub id: i64,
    /// The workspace's public identifier, used in URLs and as Gist's `workspace_id`.
    pub slug: String,
    /// Display name.
    pub name: String,
}

/// A workspace together with the role a given user has in it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WorkspaceWithRole {
    /// Row id.
    pub id: i64,
    /// Public identifier.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// `owner`, `admin` or `member`.
    pub role: String,
}

/// A member of a workspace.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Member {
    /// The membership's id: the teammate id the API shows.
    pub id: i64,
    /// The member's user id.
    pub user_id: i64,
    /// Display name.
    pub name: String,
    /// Email address.
    pub email: String,
    /// `owner`, `admin` or `member`.
    pub role: String,
    /// When the user joined the workspace.
    pub created_at: i64,
}

/// Creates a workspace and makes `owner_id` its owner, in one transaction.
pub async fn insert_workspace(
    db: &Db,
    slug: &str,
    name: &str,
    owner_id: i64,
    now: i64,
) -> Result<i64, StorageError> {
    let insert_workspace =
        "INSERT INTO workspaces (slug, name, created_at) VALUES ($1, $2, $3) RETURNING id";
    let insert_owner = "INSERT INTO memberships (workspace_id, user_id, role, created_at) \
                        VALUES ($1, $2, 'owner', $3)";
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let id = sqlx::query_scalar::<_, i64>(insert_workspace)
            .bind(slug)
            .bind(name)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(conflict_as("a workspace with this slug"))?;
        sqlx::query(insert_owner).bind(id).bind(owner_id).bind(now).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(id)
    })
}

/// Finds a workspace by slug.
pub async fn find_workspace_by_slug(
    db: &Db,
    slug: &str,
) -> Result<Option<Workspace>, StorageError> {
    let sql = "SELECT id, slug, name FROM workspaces WHERE slug = $1";
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, Workspace>(sql).bind(slug).fetch_optional(pool).await?),
    )
}

/// Finds a workspace by id.
pub async fn find_workspace(db: &Db, id: i64) -> Result<Option<Workspace>, StorageError> {
    let sql = "SELECT id, slug, name FROM workspaces WHERE id = $1";
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, Workspace>(sql).bind(id).fetch_optional(pool).await?),
    )
}

/// The workspaces `user_id` belongs to, with the user's role, by name.
pub async fn list_workspaces_of_user(
    db: &Db,
    user_id: i64,
) -> Result<Vec<WorkspaceWithRole>, StorageError> {
    let sql = "SELECT w.id, w.slug, w.name, m.role FROM workspaces w \
               JOIN memberships m ON m.workspace_id = w.id WHERE m.user_id = $1 \
               ORDER BY w.name, w.id";
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, WorkspaceWithRole>(sql).bind(user_id).fetch_all(pool).await?),
    )
}

/// The role of `user_id` in `workspace_id`, if a member.
pub async fn find_role(
    db: &Db,
    workspace_id: i64,
    user_id: i64,
) -> Result<Option<String>, StorageError> {
    let sql = "SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2";
    Ok(on_pool!(db, pool => sqlx::query_scalar::<_, String>(sql)
        .bind(workspace_id)
        .bind(user_id)
        .fetch_optional(pool)
        .await?))
}

/// Every member of a workspace, oldest first.
pub async fn list_members(db: &Db, workspace_id: i64) -> Result<Vec<Member>, StorageError> {
    let sql = "SELECT m.id, m.user_id, u.name, u.email, m.role, m.created_at FROM memberships m \
               JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 ORDER BY m.id";
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, Member>(sql).bind(workspace_id).fetch_all(pool).await?),
    )
}

/// Adds a user to a workspace with `role` (`admin` or `member`).
pub async fn insert_member(
    db: &Db,
    workspace_id: i64,
    user_id: i64,
    role: &str,
    now: i64,
) -> Result<(), StorageError> {
    let sql =
        "INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)";
    on_pool!(db, pool => sqlx::query(sql)
        .bind(workspace_id)
        .bind(user_id)
        .bind(role)
        .bind(now)
        .execute(pool.writer())
        .await
        .map_err(conflict_as("this member"))?
        .rows_affected());
    Ok(())
}

/// Removes a non-owner member; returns whether one was removed.
pub async fn delete_member(
    db: &Db,
    workspace_id: i64,
    membership_id: i64,
) -> Result<bool, StorageError> {
    let delete = "DELETE FROM memberships WHERE workspace_id = $1 AND id = $2 AND role <> 'owner'";
    // A removed teammate can no longer answer: their conversations become unassigned
    // rather than pointing at a teammate that does not exist.
    let unassign = "UPDATE conversations SET assignee_type = NULL, assignee_id = NULL \
                    WHERE workspace_id = $1 AND assignee_type = 'teammate' AND assignee_id = $2";
    let removed = on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let removed = sqlx::query(delete)
            .bind(workspace_id)
            .bind(membership_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if removed == 1 {
            sqlx::query(unassign).bind(workspace_id).bind(membership_id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        removed
    });
    Ok(removed == 1)
}

/// Stores the workspace's API key, replacing (and so invalidating) any previous one.
pub async fn upsert_api_key(
    db: &Db,
    workspace_id: i64,
    key_hash: &str,
    key_hint: &str,
    now: i64,
) -> Result<(), StorageError> {
    let sql = "INSERT INTO api_keys (workspace_id, key_hash, key_hint, created_at) \
               VALUES ($1, $2, $3, $4) ON CONFLICT (workspace_id) DO UPDATE SET \
               key_hash = excluded.key_hash, key_hint = excluded.key_hint, \
               created_at = excluded.created_at";
    on_pool!(db, pool => sqlx::query(sql)
        .bind(workspace_id)
        .bind(key_hash)
        .bind(key_hint)
        .bind(now)
        .execute(pool.writer()).await?.rows_affected());
    Ok(())
}

/// The hint and creation time of the workspace's API key, if it has one.
pub async fn find_api_key_hint(
    db: &Db,
    workspace_id: i64,
) -> Result<Option<(String, i64)>, StorageError> {
    let sql = "SELECT key_hint, created_at FROM api_keys WHERE workspace_id = $1";
    Ok(on_pool!(db, pool => sqlx::query_as::<_, (String, i64)>(sql)
        .bind(workspace_id)
        .fetch_optional(pool)
        .await?))
}

/// The workspace whose API key hashes to `key_hash`.
pub async fn find_workspace_by_api_key(
    db: &Db,
    key_hash: &str,
) -> Result<Option<Workspace>, StorageError> {
    let sql = "SELECT w.id, w.slug, w.name FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id \
               WHERE k.key_hash = $1";
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, Workspace>(sql).bind(key_hash).fetch_optional(pool).await?),
    )
}

/// The members of a workspace with the ids of the teams each belongs to, in membership
/// order: one query, since the REST API's teammate list is on integrators' hot path.
pub async fn list_teammates(
    db: &Db,
    workspace_id: i64,
) -> Result<Vec<(Member, Vec<i64>)>, StorageError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        member: Member,
        team_id: Option<i64>,
    }

    let sql = "SELECT m.id, m.user_id, u.name, u.email, m.role, m.created_at, \
               tm.team_id FROM memberships m JOIN users u ON u.id = m.user_id \
               LEFT JOIN team_members tm ON tm.membership_id = m.id \
               WHERE m.workspace_id = $1 ORDER BY m.id, tm.team_id";
    let rows = on_pool!(db, pool => sqlx::query_as::<_, Row>(sql)
        .bind(workspace_id)
        .fetch_all(pool)
        .await?);
    let mut teammates: Vec<(Member, Vec<i64>)> = Vec::new();
    for row in rows {
        match teammates.last_mut() {
            Some((member, team_ids)) if member.id == row.member.id => {
                team_ids.extend(row.team_id);
            }
            _ => teammates.push((row.member, row.team_id.into_iter().collect())),
        }
    }
    Ok(teammates)
}
