//! Teams of a workspace and the teammates (memberships) in them.
//!
//! Every function takes the workspace id and checks it, so a team id from another
//! workspace behaves exactly like an unknown one.

use super::{BeginWrite as _, Db, StorageError, WriteTarget as _, conflict_as, on_pool};

/// A team.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Team {
    /// Row id.
    pub id: i64,
    /// Name, unique in the workspace.
    pub name: String,
    /// When the team was created.
    pub created_at: i64,
}

/// One page of the workspace's teams by name, and how many there are in all.
pub async fn list_teams(
    db: &Db,
    workspace_id: i64,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Team>, i64), StorageError> {
    let page = "SELECT id, name, created_at FROM teams WHERE workspace_id = $1 \
                ORDER BY name, id LIMIT $2 OFFSET $3";
    let count = "SELECT COUNT(*) FROM teams WHERE workspace_id = $1";
    Ok(on_pool!(db, pool => {
        let teams = sqlx::query_as::<_, Team>(page)
            .bind(workspace_id)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?;
        let total = sqlx::query_scalar::<_, i64>(count)
            .bind(workspace_id)
            .fetch_one(pool)
            .await?;
        (teams, total)
    }))
}

/// Finds a team of the workspace by id.
pub async fn find_team(db: &Db, workspace_id: i64, id: i64) -> Result<Option<Team>, StorageError> {
    let sql = "SELECT id, name, created_at FROM teams WHERE workspace_id = $1 AND id = $2";
    Ok(on_pool!(db, pool => sqlx::query_as::<_, Team>(sql)
        .bind(workspace_id)
        .bind(id)
        .fetch_optional(pool)
        .await?))
}

/// The membership (teammate) ids of a team, ascending.
pub async fn list_team_teammate_ids(
    db: &Db,
    workspace_id: i64,
    team_id: i64,
) -> Result<Vec<i64>, StorageError> {
    let sql = "SELECT tm.membership_id FROM team_members tm JOIN teams t ON t.id = tm.team_id \
               WHERE t.workspace_id = $1 AND tm.team_id = $2 ORDER BY tm.membership_id";
    Ok(on_pool!(db, pool => sqlx::query_scalar::<_, i64>(sql)
        .bind(workspace_id)
        .bind(team_id)
        .fetch_all(pool)
        .await?))
}

/// Creates a team; a name already used in the workspace is a conflict.
pub async fn insert_team(
    db: &Db,
    workspace_id: i64,
    name: &str,
    now: i64,
) -> Result<i64, StorageError> {
    let sql = "INSERT INTO teams (workspace_id, name, created_at) VALUES ($1, $2, $3) RETURNING id";
    Ok(on_pool!(db, pool => sqlx::query_scalar::<_, i64>(sql)
        .bind(workspace_id)
        .bind(name.trim())
        .bind(now)
        .fetch_one(pool.writer())
        .await
        .map_err(conflict_as("a team with this name"))?))
}

/// Puts a teammate in a team. Returns false when the team or the membership is not the
/// workspace's; adding a teammate already in the team is not an error.
pub async fn add_teammate_to_team(
    db: &Db,
    workspace_id: i64,
    team_id: i64,
    membership_id: i64,
) -> Result<bool, StorageError> {
    // One statement: the row is only inserted when both ids belong to the workspace.
    let insert = "INSERT INTO team_members (team_id, membership_id) \
                  SELECT t.id, m.id FROM teams t, memberships m \
                  WHERE t.workspace_id = $1 AND t.id = $2 \
                  AND m.workspace_id = $1 AND m.id = $3 \
                  ON CONFLICT (team_id, membership_id) DO NOTHING";
    let check = "SELECT COUNT(*) FROM team_members tm JOIN teams t ON t.id = tm.team_id \
                 WHERE t.workspace_id = $1 AND tm.team_id = $2 AND tm.membership_id = $3";
    Ok(on_pool!(db, pool => {
        sqlx::query(insert)
            .bind(workspace_id)
            .bind(team_id)
            .bind(membership_id)
            .execute(pool.writer())
            .await?;
        sqlx::query_scalar::<_, i64>(check)
            .bind(workspace_id)
            .bind(team_id)
            .bind(membership_id)
            .fetch_one(pool.writer())
            .await?
            == 1
    }))
}

/// Takes a teammate out of a team; returns whether they were in it.
pub async fn remove_teammate_from_team(
    db: &Db,
    workspace_id: i64,
    team_id: i64,
    membership_id: i64,
) -> Result<bool, StorageError> {
    let sql = "DELETE FROM team_members WHERE team_id = $2 AND membership_id = $3 \
               AND team_id IN (SELECT id FROM teams WHERE workspace_id = $1)";
    let removed = on_pool!(db, pool => sqlx::query(sql)
        .bind(workspace_id)
        .bind(team_id)
        .bind(membership_id)
        .execute(pool.writer())
        .await?
        .rows_affected());
    Ok(removed == 1)
}

/// Deletes a team and unassigns the conversations assigned to it, in one transaction
/// (an assignee that no longer exists would otherwise linger on them). Returns whether
/// the team existed.
pub async fn delete_team(
    db: &Db,
    workspace_id: i64,
    team_id: i64,
    now: i64,
) -> Result<bool, StorageError> {
    let unassign = "UPDATE conversations SET assignee_type = NULL, assignee_id = NULL, \
                    updated_at = $3 WHERE workspace_id = $1 AND assignee_type = 'team' \
                    AND assignee_id = $2";
    let delete = "DELETE FROM teams WHERE workspace_id = $1 AND id = $2";
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        sqlx::query(unassign)
            .bind(workspace_id)
            .bind(team_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let deleted = sqlx::query(delete)
            .bind(workspace_id)
            .bind(team_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(deleted == 1)
    })
}
