//! Fixed-window request counters of the REST API, per workspace. They live in the
//! database so every gistd instance sharing it counts against the same limit.

use super::{BeginWrite as _, Db, StorageError, on_pool};

/// Counts one request of `workspace_id` in the window starting at `window_start` and
/// returns the window's count so far. Windows that ended long ago are deleted now and
/// then (one request in 64), so the table stays small.
pub async fn count_request(
    db: &Db,
    workspace_id: i64,
    window_start: i64,
    window_seconds: i64,
) -> Result<i64, StorageError> {
    let count = "INSERT INTO api_rate_windows (workspace_id, window_start, requests) \
                 VALUES ($1, $2, 1) ON CONFLICT (workspace_id, window_start) \
                 DO UPDATE SET requests = api_rate_windows.requests + 1 RETURNING requests";
    let prune = "DELETE FROM api_rate_windows WHERE workspace_id = $1 AND window_start < $2";
    let requests = on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let requests = sqlx::query_scalar::<_, i64>(count)
            .bind(workspace_id)
            .bind(window_start)
            .fetch_one(&mut *tx)
            .await?;
        if requests % 64 == 1 {
            sqlx::query(prune)
                .bind(workspace_id)
                .bind(window_start - window_seconds)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        requests
    });
    Ok(requests)
}
