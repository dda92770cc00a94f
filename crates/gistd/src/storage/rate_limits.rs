//! Fixed-window request counters of the REST API, per workspace. They live in the
//! database so every gistd instance sharing it counts against the same limit; each
//! instance claims requests in blocks (see `http::api::rate_limit`), so the table is
//! written once per block, not once per request.

use super::{BeginWrite as _, Db, StorageError, on_pool};

/// Adds `requests` to the count of `workspace_id`'s window starting at `window_start` and
/// returns the window's new count. The first claim of a window also deletes the
/// workspace's windows that ended before it, so the table stays small.
pub async fn claim_requests(
    db: &Db,
    workspace_id: i64,
    window_start: i64,
    window_seconds: i64,
    requests: i64,
) -> Result<i64, StorageError> {
    db.on_write_thread(move |db| async move {
        claim_requests_here(&db, workspace_id, window_start, window_seconds, requests).await
    })
    .await
}

async fn claim_requests_here(
    db: &Db,
    workspace_id: i64,
    window_start: i64,
    window_seconds: i64,
    requests: i64,
) -> Result<i64, StorageError> {
    let claim = "INSERT INTO api_rate_windows (workspace_id, window_start, requests) \
                 VALUES ($1, $2, $3) ON CONFLICT (workspace_id, window_start) \
                 DO UPDATE SET requests = api_rate_windows.requests + $3 RETURNING requests";
    let prune = "DELETE FROM api_rate_windows WHERE workspace_id = $1 AND window_start < $2";
    let total = on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let total = sqlx::query_scalar::<_, i64>(claim)
            .bind(workspace_id)
            .bind(window_start)
            .bind(requests)
            .fetch_one(&mut *tx)
            .await?;
        if total == requests {
            sqlx::query(prune)
                .bind(workspace_id)
                .bind(window_start - window_seconds)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        total
    });
    Ok(total)
}
