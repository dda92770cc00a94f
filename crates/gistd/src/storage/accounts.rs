//! Users, browser sessions and the log-in throttle.

use super::{BeginWrite as _, Db, StorageError, WriteTarget as _, conflict_as, on_pool};

/// A user account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    /// Row id.
    pub id: i64,
    /// Normalised (lower-case) email address.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
}

/// Creates a user; fails with a conflict when the email address has an account.
pub async fn insert_user(
    db: &Db,
    email: &str,
    name: &str,
    password_hash: &str,
    now: i64,
) -> Result<i64, StorageError> {
    let sql = "INSERT INTO users (email, name, password_hash, created_at) \
               VALUES ($1, $2, $3, $4) RETURNING id";
    on_pool!(db, pool => sqlx::query_scalar::<_, i64>(sql)
        .bind(email)
        .bind(name)
        .bind(password_hash)
        .bind(now)
        .fetch_one(pool.writer())
        .await
        .map_err(conflict_as("an account with this email address")))
}

/// Replaces a user's password hash.
pub async fn update_password(
    db: &Db,
    user_id: i64,
    password_hash: &str,
) -> Result<(), StorageError> {
    let sql = "UPDATE users SET password_hash = $1 WHERE id = $2";
    on_pool!(db, pool => sqlx::query(sql).bind(password_hash).bind(user_id).execute(pool.writer()).await?.rows_affected());
    Ok(())
}

/// Finds a user by normalised email address.
pub async fn find_user_by_email(db: &Db, email: &str) -> Result<Option<User>, StorageError> {
    let sql = "SELECT id, email, name, password_hash FROM users WHERE email = $1";
    Ok(on_pool!(db, pool => sqlx::query_as::<_, User>(sql).bind(email).fetch_optional(pool).await?))
}

/// Stores a new session under the hash of its id.
pub async fn insert_session(
    db: &Db,
    id_hash: &str,
    user_id: i64,
    now: i64,
    expires_at: i64,
) -> Result<(), StorageError> {
    let sql =
        "INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)";
    on_pool!(db, pool => sqlx::query(sql)
        .bind(id_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(pool.writer()).await?.rows_affected());
    Ok(())
}

/// The user of a live session.
pub async fn find_session_user(
    db: &Db,
    id_hash: &str,
    now: i64,
) -> Result<Option<User>, StorageError> {
    let sql = "SELECT u.id, u.email, u.name, u.password_hash FROM sessions s \
               JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1 AND s.expires_at > $2";
    Ok(on_pool!(db, pool => sqlx::query_as::<_, User>(sql)
        .bind(id_hash)
        .bind(now)
        .fetch_optional(pool)
        .await?))
}

/// Ends a session.
pub async fn delete_session(db: &Db, id_hash: &str) -> Result<(), StorageError> {
    let sql = "DELETE FROM sessions WHERE id_hash = $1";
    on_pool!(db, pool => sqlx::query(sql).bind(id_hash).execute(pool.writer()).await?.rows_affected());
    Ok(())
}

/// Counts a failed log-in against `key` and returns the failures in the current window
/// and when that window started. A window older than `window_seconds` starts afresh.
pub async fn record_login_failure(
    db: &Db,
    key: &str,
    now: i64,
    window_seconds: i64,
) -> Result<(i64, i64), StorageError> {
    let sql = "INSERT INTO login_throttle (throttle_key, failures, window_started_at) \
               VALUES ($1, 1, $2) \
               ON CONFLICT (throttle_key) DO UPDATE SET \
                 failures = CASE WHEN login_throttle.window_started_at <= $3 THEN 1 \
                                 ELSE login_throttle.failures + 1 END, \
                 window_started_at = CASE WHEN login_throttle.window_started_at <= $3 THEN $2 \
                                 ELSE login_throttle.window_started_at END \
               RETURNING failures, window_started_at";
    let stale_before = now - window_seconds;
    Ok(on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let row = sqlx::query_as::<_, (i64, i64)>(sql)
            .bind(key)
            .bind(now)
            .bind(stale_before)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        row
    }))
}

/// Failures counted against `key` in the current window, and when the window started.
pub async fn find_login_failures(
    db: &Db,
    key: &str,
    now: i64,
    window_seconds: i64,
) -> Result<Option<(i64, i64)>, StorageError> {
    let sql = "SELECT failures, window_started_at FROM login_throttle \
               WHERE throttle_key = $1 AND window_started_at > $2";
    Ok(on_pool!(db, pool => sqlx::query_as::<_, (i64, i64)>(sql)
        .bind(key)
        .bind(now - window_seconds)
        .fetch_optional(pool)
        .await?))
}

/// Forgets the failures counted against `key` (after a successful log-in).
pub async fn clear_login_failures(db: &Db, key: &str) -> Result<(), StorageError> {
    let sql = "DELETE FROM login_throttle WHERE throttle_key = $1";
    on_pool!(db, pool => sqlx::query(sql).bind(key).execute(pool.writer()).await?.rows_affected());
    Ok(())
}
