//! Upkeep: deleting rows nothing can use any more, so tables stay the size of what is
//! live. Every instance runs it on a schedule ([`crate::app`]); running it twice, or on
//! two instances at once, deletes nothing extra, because each statement only deletes rows
//! that are dead by the clock and its conditions hold whoever deletes them first.
//!
//! Each kind of row goes in batches of [`BATCH`], one short write transaction per batch,
//! so a request waiting for the write lock (SQLite) or for a row lock (PostgreSQL) waits
//! for one batch at most, never for the whole purge.
//!
//! What is kept, and why:
//! - authorization codes until a day after they expire, consumed or not: a consumed
//!   code's `grant_id` is what revokes the grant if the code is replayed, and a code can
//!   be replayed (and refused as expired) only while someone still holds it;
//! - access tokens until a day after they expire or are revoked (either way the API
//!   already refuses them; the day keeps recent ones visible when investigating);
//! - consumed refresh tokens for 30 days after their rotation: a replay within that time
//!   revokes the grant (RFC 9700 section 4.14.2); an older replay is merely refused as an
//!   unknown token. The newest token of a grant is never deleted this way;
//! - revoked grants for 30 days; deleting one deletes its tokens with it;
//! - log-in throttle rows and API rate-limit windows for a day after their window
//!   started, which is longer than any window gistd uses (15 minutes for log-ins, at
//!   most an hour for the API).

use super::{BeginWrite as _, Db, StorageError, on_pool};

/// Rows deleted per statement.
pub const BATCH: i64 = 500;
/// One day, in seconds.
const DAY: i64 = 24 * 60 * 60;
/// How long consumed refresh tokens and revoked grants are kept, in seconds.
pub const REPLAY_MEMORY: i64 = 30 * DAY;

/// How many rows one run of [`purge_expired`] deleted, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Authorization codes expired more than a day ago.
    pub codes: u64,
    /// Expired browser sessions.
    pub sessions: u64,
    /// Access tokens expired or revoked more than a day ago.
    pub access_tokens: u64,
    /// Refresh tokens rotated more than 30 days ago.
    pub refresh_tokens: u64,
    /// Grants revoked more than 30 days ago (their tokens went with them, uncounted).
    pub grants: u64,
    /// Log-in throttle rows whose window is long over.
    pub login_throttle: u64,
    /// REST API rate-limit windows long over.
    pub rate_windows: u64,
}

impl Purged {
    /// Rows deleted in all.
    pub fn total(&self) -> u64 {
        self.codes
            + self.sessions
            + self.access_tokens
            + self.refresh_tokens
            + self.grants
            + self.login_throttle
            + self.rate_windows
    }
}

/// Deletes every row that is dead at `now`; see the module documentation for what counts
/// as dead. Grants go first, so the tokens they take with them are not counted twice.
pub async fn purge_expired(db: &Db, now: i64) -> Result<Purged, StorageError> {
    let grants = "DELETE FROM grants WHERE id IN (SELECT id FROM grants \
                  WHERE revoked_at IS NOT NULL AND revoked_at < $1 LIMIT $2)";
    let codes = "DELETE FROM authorization_codes WHERE code_hash IN \
                 (SELECT code_hash FROM authorization_codes WHERE expires_at < $1 LIMIT $2)";
    let sessions = "DELETE FROM sessions WHERE id_hash IN \
                    (SELECT id_hash FROM sessions WHERE expires_at < $1 LIMIT $2)";
    let access_tokens = "DELETE FROM access_tokens WHERE token_hash IN \
                         (SELECT token_hash FROM access_tokens \
                          WHERE expires_at < $1 OR revoked_at < $1 LIMIT $2)";
    // A consumed token always has a successor, issued in the rotation that consumed it;
    // the condition on a newer token in the grant is a guard that keeps every grant's
    // chain from ever being emptied this way.
    let refresh_tokens = "DELETE FROM refresh_tokens WHERE token_hash IN \
                          (SELECT r.token_hash FROM refresh_tokens r \
                           WHERE r.consumed_at IS NOT NULL AND r.consumed_at < $1 \
                           AND EXISTS (SELECT 1 FROM refresh_tokens n \
                             WHERE n.grant_id = r.grant_id AND n.token_hash <> r.token_hash \
                             AND n.created_at >= r.created_at) \
                           LIMIT $2)";
    let login_throttle = "DELETE FROM login_throttle WHERE throttle_key IN \
                          (SELECT throttle_key FROM login_throttle \
                           WHERE window_started_at < $1 LIMIT $2)";
    let rate_windows = "DELETE FROM api_rate_windows WHERE (workspace_id, window_start) IN \
                        (SELECT workspace_id, window_start FROM api_rate_windows \
                         WHERE window_start < $1 LIMIT $2)";

    Ok(Purged {
        grants: delete_in_batches(db, grants, now - REPLAY_MEMORY).await?,
        codes: delete_in_batches(db, codes, now - DAY).await?,
        sessions: delete_in_batches(db, sessions, now).await?,
        access_tokens: delete_in_batches(db, access_tokens, now - DAY).await?,
        refresh_tokens: delete_in_batches(db, refresh_tokens, now - REPLAY_MEMORY).await?,
        login_throttle: delete_in_batches(db, login_throttle, now - DAY).await?,
        rate_windows: delete_in_batches(db, rate_windows, now - DAY).await?,
    })
}

/// Runs `sql` (which deletes at most `$2` rows older than `$1`) until a batch comes back
/// short, each batch in its own write transaction; returns the rows deleted.
async fn delete_in_batches(db: &Db, sql: &str, before: i64) -> Result<u64, StorageError> {
    let mut deleted = 0;
    loop {
        let batch = on_pool!(db, pool => {
            let mut tx = pool.begin_write().await?;
            let batch = sqlx::query(sql)
                .bind(before)
                .bind(BATCH)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            batch
        });
        deleted += batch;
        if batch < BATCH as u64 {
            return Ok(deleted);
        }
        // Let requests that queued behind this batch go first.
        tokio::task::yield_now().await;
    }
}
