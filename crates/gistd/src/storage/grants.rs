//! Consents, authorization codes, grants and the tokens issued under them.
//!
//! A *consent* records that a user let an app act on a workspace with some scopes; it
//! lets the next authorization skip the consent page. A *grant* is one chain of tokens
//! started by one authorization code: each refresh replaces the chain's tokens, and
//! revoking the grant ends them all.

use super::{BeginWrite as _, Db, StorageError, WriteTarget as _, on_pool};

/// The statement that stores a new authorization code, for any backend.
macro_rules! insert_code_statement {
    ($code:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO authorization_codes (code_hash, app_id, workspace_id, user_id, \
             redirect_uri, scope, code_challenge, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind($code.code_hash.as_str())
        .bind($code.record.app_id)
        .bind($code.record.workspace_id)
        .bind($code.record.user_id)
        .bind($code.record.redirect_uri.as_str())
        .bind($code.record.scope.as_str())
        .bind($code.record.code_challenge.as_deref())
        .bind($now)
        .bind($code.record.expires_at)
    };
}

/// Stores a new access and refresh token in grant `$grant_id`, inside transaction `$tx`.
macro_rules! insert_token_pair {
    ($tx:expr, $grant_id:expr, $refresh_scope:expr, $tokens:expr, $now:expr) => {{
        let tokens: &NewTokens = $tokens;
        let refresh_scope: &str = $refresh_scope;
        sqlx::query(
            "INSERT INTO access_tokens (token_hash, grant_id, scope, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(tokens.access_hash.as_str())
        .bind($grant_id)
        .bind(tokens.access_scope.as_deref().unwrap_or(refresh_scope))
        .bind($now)
        .bind(tokens.access_expires_at)
        .execute(&mut *$tx)
        .await?;
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, grant_id, scope, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(tokens.refresh_hash.as_str())
        .bind($grant_id)
        .bind(refresh_scope)
        .bind($now)
        .execute(&mut *$tx)
        .await?;
    }};
}

/// A stored authorization code, as claimed by [`redeem_code`].
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CodeRecord {
    /// The app the code was issued to.
    pub app_id: i64,
    /// The workspace access was granted on.
    pub workspace_id: i64,
    /// The user who granted access.
    pub user_id: i64,
    /// The redirect URI sent at the authorization endpoint.
    pub redirect_uri: String,
    /// Granted scopes.
    pub scope: String,
    /// PKCE S256 challenge, when the client sent one.
    pub code_challenge: Option<String>,
    /// Expiry time.
    pub expires_at: i64,
}

/// A new authorization code.
#[derive(Debug, Clone)]
pub struct NewCode {
    /// Hash of the code.
    pub code_hash: String,
    /// The record to store.
    pub record: CodeRecord,
}

/// Hashes of a freshly generated access and refresh token, and their lifetimes.
#[derive(Debug, Clone)]
pub struct NewTokens {
    /// Hash of the access token.
    pub access_hash: String,
    /// Hash of the refresh token.
    pub refresh_hash: String,
    /// Scope of the access token when narrower than the grant's (a refresh may narrow
    /// it); `None` means the grant's whole scope.
    pub access_scope: Option<String>,
    /// Access token expiry, or `None` for tokens that never expire.
    pub access_expires_at: Option<i64>,
}

/// What happened to a code presented at the token endpoint.
#[derive(Debug)]
pub enum Redemption<E> {
    /// Tokens were issued under a new grant.
    Issued {
        /// The claimed code.
        code: CodeRecord,
        /// The new grant.
        grant_id: i64,
    },
    /// No such code, or another client's unused code (which stays usable by its owner).
    Unknown,
    /// The code was exchanged before; the grant it started is now revoked.
    Replayed,
    /// The code was claimed before by a request that failed its checks; no tokens were
    /// ever issued from it.
    Burnt,
    /// The code was claimed but failed the caller's checks; it is burnt.
    Rejected(E),
}

/// What happened to a refresh token presented at the token endpoint.
#[derive(Debug)]
pub enum Rotation<E> {
    /// The token was consumed and a new pair issued.
    Rotated {
        /// The grant.
        grant_id: i64,
        /// Its workspace.
        workspace_id: i64,
        /// The refresh token's (and so the grant's) scope.
        scope: String,
    },
    /// Unknown token, another client's token, or a revoked grant.
    Unknown,
    /// The token was rotated a moment ago (a concurrent request won); nothing revoked.
    RecentlyRotated,
    /// An old token was replayed; its grant is now revoked.
    Reused,
    /// The caller's checks refused the request; nothing changed.
    Rejected(E),
}

/// A live access token with what the API needs to authorise a request.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccessTokenRecord {
    /// The grant it belongs to.
    pub grant_id: i64,
    /// The app it was issued to.
    pub app_id: i64,
    /// That app's client id.
    pub client_id: String,
    /// The workspace it acts on.
    pub workspace_id: i64,
    /// That workspace's slug.
    pub workspace_slug: String,
    /// The user who granted it.
    pub user_id: i64,
    /// Its scopes.
    pub scope: String,
    /// Issue time.
    pub created_at: i64,
    /// Expiry, if any.
    pub expires_at: Option<i64>,
}

/// A live refresh token, for introspection.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshTokenRecord {
    /// The app it was issued to.
    pub client_id: String,
    /// The workspace slug.
    pub workspace_slug: String,
    /// The user who granted it.
    pub user_id: i64,
    /// Its scopes.
    pub scope: String,
    /// Issue time.
    pub created_at: i64,
}

/// An app with live access to a workspace.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConnectedApp {
    /// App row id.
    pub app_id: i64,
    /// Client id.
    pub client_id: String,
    /// App name.
    pub name: String,
    /// Scopes consented to, space-separated (the union over all consenting users).
    pub scope: String,
    /// When access was first granted.
    pub granted_at: i64,
}

/// The scopes `user_id` already consented to for `app_id` on `workspace_id`.
pub async fn find_consent(
    db: &Db,
    app_id: i64,
    workspace_id: i64,
    user_id: i64,
) -> Result<Option<String>, StorageError> {
    let sql = "SELECT scope FROM consents WHERE app_id = $1 AND workspace_id = $2 AND user_id = $3";
    Ok(on_pool!(db, pool => sqlx::query_scalar::<_, String>(sql)
        .bind(app_id)
        .bind(workspace_id)
        .bind(user_id)
        .fetch_optional(pool)
        .await?))
}

/// Records (or widens) a consent and stores the authorization code it produced, in one
/// transaction.
pub async fn insert_consent_and_code(
    db: &Db,
    consent_scope: &str,
    code: &NewCode,
    now: i64,
) -> Result<(), StorageError> {
    let (consent_scope, code) = (consent_scope.to_owned(), code.clone());
    db.on_write_thread(move |db| async move {
        insert_consent_and_code_here(&db, &consent_scope, &code, now).await
    })
    .await
}

async fn insert_consent_and_code_here(
    db: &Db,
    consent_scope: &str,
    code: &NewCode,
    now: i64,
) -> Result<(), StorageError> {
    let upsert_consent = "INSERT INTO consents (app_id, workspace_id, user_id, scope, created_at, updated_at) \
                          VALUES ($1, $2, $3, $4, $5, $5) \
                          ON CONFLICT (app_id, workspace_id, user_id) DO UPDATE SET \
                          scope = excluded.scope, updated_at = excluded.updated_at";
    let record = &code.record;
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        sqlx::query(upsert_consent)
            .bind(record.app_id)
            .bind(record.workspace_id)
            .bind(record.user_id)
            .bind(consent_scope)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        insert_code_statement!(code, now).execute(&mut *tx).await?;
        tx.commit().await?;
    });
    Ok(())
}

/// Stores an authorization code for a consent already on record.
pub async fn insert_code(db: &Db, code: &NewCode, now: i64) -> Result<(), StorageError> {
    let code = code.clone();
    db.on_write_thread(move |db| async move { insert_code_here(&db, &code, now).await })
        .await
}

async fn insert_code_here(db: &Db, code: &NewCode, now: i64) -> Result<(), StorageError> {
    on_pool!(db, pool => insert_code_statement!(code, now).execute(pool.writer()).await?.rows_affected());
    Ok(())
}

/// Redeems a code of `app_id`: claims it with one conditional update (so of two
/// concurrent requests exactly one wins), runs `check` on it, and on success starts a
/// grant with `tokens`, all in one transaction. Another client's code is not claimed, so
/// presenting it cannot spoil it for its owner. A code exchanged before means replay: the
/// grant it started is revoked (RFC 6749 section 4.1.2, RFC 9700 section 4.2.4), whoever
/// presents it, since a used code in circulation means it leaked. A code that fails
/// `check` stays claimed, so it cannot be tried again.
pub async fn redeem_code<E: Send + 'static>(
    db: &Db,
    code_hash: &str,
    app_id: i64,
    tokens: NewTokens,
    now: i64,
    check: impl FnOnce(&CodeRecord) -> Result<(), E> + Send + 'static,
) -> Result<Redemption<E>, StorageError> {
    let code_hash = code_hash.to_owned();
    db.on_write_thread(move |db| async move {
        redeem_code_here(&db, &code_hash, app_id, &tokens, now, check).await
    })
    .await
}

async fn redeem_code_here<E>(
    db: &Db,
    code_hash: &str,
    app_id: i64,
    tokens: &NewTokens,
    now: i64,
    check: impl FnOnce(&CodeRecord) -> Result<(), E>,
) -> Result<Redemption<E>, StorageError> {
    let claim = "UPDATE authorization_codes SET consumed_at = $1 \
                 WHERE code_hash = $2 AND app_id = $3 AND consumed_at IS NULL \
                 RETURNING app_id, workspace_id, user_id, redirect_uri, scope, code_challenge, expires_at";
    let find_previous =
        "SELECT consumed_at, grant_id FROM authorization_codes WHERE code_hash = $1";
    let revoke = "UPDATE grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL";
    let insert_grant = "INSERT INTO grants (app_id, workspace_id, user_id, scope, created_at) \
                        VALUES ($1, $2, $3, $4, $5) RETURNING id";
    let link_code = "UPDATE authorization_codes SET grant_id = $1 WHERE code_hash = $2";

    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let claimed = sqlx::query_as::<_, CodeRecord>(claim)
            .bind(now)
            .bind(code_hash)
            .bind(app_id)
            .fetch_optional(&mut *tx)
            .await?;

        let Some(code) = claimed else {
            let previous = sqlx::query_as::<_, (Option<i64>, Option<i64>)>(find_previous)
                .bind(code_hash)
                .fetch_optional(&mut *tx)
                .await?;
            let outcome = match previous {
                None | Some((None, _)) => Redemption::Unknown,
                Some((Some(_), None)) => Redemption::Burnt,
                Some((Some(_), Some(grant_id))) => {
                    sqlx::query(revoke).bind(now).bind(grant_id).execute(&mut *tx).await?;
                    Redemption::Replayed
                }
            };
            tx.commit().await?;
            return Ok(outcome);
        };

        if let Err(error) = check(&code) {
            tx.commit().await?;
            return Ok(Redemption::Rejected(error));
        }

        let grant_id = sqlx::query_scalar::<_, i64>(insert_grant)
            .bind(code.app_id)
            .bind(code.workspace_id)
            .bind(code.user_id)
            .bind(code.scope.as_str())
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        insert_token_pair!(tx, grant_id, &code.scope, tokens, now);
        sqlx::query(link_code).bind(grant_id).bind(code_hash).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Redemption::Issued { code, grant_id })
    })
}

/// Rotates a refresh token of `app_id`: consumes it with one conditional update and
/// issues `tokens` in the same grant. `check` sees the token's scope and may refuse
/// (nothing changes then). A token consumed less than `grace_seconds` ago is the loser
/// of a concurrent refresh and is refused without revoking anything; an older one is a
/// replay and revokes the whole grant (RFC 9700 section 4.14.2).
pub async fn rotate_refresh_token<E: Send + 'static>(
    db: &Db,
    token_hash: &str,
    app_id: i64,
    tokens: NewTokens,
    now: i64,
    grace_seconds: i64,
    check: impl FnOnce(&str) -> Result<(), E> + Send + 'static,
) -> Result<Rotation<E>, StorageError> {
    let token_hash = token_hash.to_owned();
    db.on_write_thread(move |db| async move {
        rotate_refresh_token_here(&db, &token_hash, app_id, &tokens, now, grace_seconds, check)
            .await
    })
    .await
}

async fn rotate_refresh_token_here<E>(
    db: &Db,
    token_hash: &str,
    app_id: i64,
    tokens: &NewTokens,
    now: i64,
    grace_seconds: i64,
    check: impl FnOnce(&str) -> Result<(), E>,
) -> Result<Rotation<E>, StorageError> {
    // EXISTS on the token's own grant, not `grant_id IN (grants of the app)`: SQLite
    // would build that list, every grant of the app, on each refresh.
    let claim = "UPDATE refresh_tokens SET consumed_at = $1 \
                 WHERE token_hash = $2 AND consumed_at IS NULL AND EXISTS \
                   (SELECT 1 FROM grants g WHERE g.id = refresh_tokens.grant_id \
                    AND g.app_id = $3 AND g.revoked_at IS NULL) \
                 RETURNING grant_id, scope, \
                   (SELECT workspace_id FROM grants g WHERE g.id = refresh_tokens.grant_id)";
    let find_consumed = "SELECT r.grant_id, r.consumed_at FROM refresh_tokens r \
                         JOIN grants g ON g.id = r.grant_id \
                         WHERE r.token_hash = $1 AND g.app_id = $2 AND g.revoked_at IS NULL";
    let revoke = "UPDATE grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL";

    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let claimed = sqlx::query_as::<_, (i64, String, i64)>(claim)
            .bind(now)
            .bind(token_hash)
            .bind(app_id)
            .fetch_optional(&mut *tx)
            .await?;

        let Some((grant_id, scope, workspace_id)) = claimed else {
            let consumed = sqlx::query_as::<_, (i64, Option<i64>)>(find_consumed)
                .bind(token_hash)
                .bind(app_id)
                .fetch_optional(&mut *tx)
                .await?;
            let outcome = match consumed {
                Some((_, Some(consumed_at))) if now - consumed_at <= grace_seconds => {
                    Rotation::RecentlyRotated
                }
                Some((grant_id, Some(_))) => {
                    sqlx::query(revoke).bind(now).bind(grant_id).execute(&mut *tx).await?;
                    Rotation::Reused
                }
                _ => Rotation::Unknown,
            };
            tx.commit().await?;
            return Ok(outcome);
        };

        if let Err(error) = check(&scope) {
            tx.rollback().await?;
            return Ok(Rotation::Rejected(error));
        }

        insert_token_pair!(tx, grant_id, &scope, tokens, now);
        tx.commit().await?;
        Ok(Rotation::Rotated { grant_id, workspace_id, scope })
    })
}

/// A live access token: known, not expired, not revoked, in a live grant. One query, so
/// every API request costs one round trip to check its token.
pub async fn find_live_access_token(
    db: &Db,
    token_hash: &str,
    now: i64,
) -> Result<Option<AccessTokenRecord>, StorageError> {
    let sql = "SELECT t.grant_id, g.app_id, a.client_id, g.workspace_id, w.slug AS workspace_slug, \
               g.user_id, t.scope, t.created_at, t.expires_at \
               FROM access_tokens t JOIN grants g ON g.id = t.grant_id \
               JOIN apps a ON a.id = g.app_id JOIN workspaces w ON w.id = g.workspace_id \
               WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND g.revoked_at IS NULL \
               AND (t.expires_at IS NULL OR t.expires_at > $2)";
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, AccessTokenRecord>(sql)
        .bind(token_hash)
        .bind(now)
        .fetch_optional(pool)
        .await?),
    )
}

/// A live (unconsumed, unrevoked) refresh token of `app_id`.
pub async fn find_live_refresh_token(
    db: &Db,
    token_hash: &str,
    app_id: i64,
) -> Result<Option<RefreshTokenRecord>, StorageError> {
    let sql = "SELECT a.client_id, w.slug AS workspace_slug, g.user_id, r.scope, r.created_at \
               FROM refresh_tokens r JOIN grants g ON g.id = r.grant_id \
               JOIN apps a ON a.id = g.app_id JOIN workspaces w ON w.id = g.workspace_id \
               WHERE r.token_hash = $1 AND g.app_id = $2 AND r.consumed_at IS NULL \
               AND g.revoked_at IS NULL";
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, RefreshTokenRecord>(sql)
        .bind(token_hash)
        .bind(app_id)
        .fetch_optional(pool)
        .await?),
    )
}

/// Revokes one access token of `app_id`; another app's token is left alone.
pub async fn revoke_access_token(
    db: &Db,
    token_hash: &str,
    app_id: i64,
    now: i64,
) -> Result<(), StorageError> {
    let sql = "UPDATE access_tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL \
               AND EXISTS (SELECT 1 FROM grants g WHERE g.id = access_tokens.grant_id \
               AND g.app_id = $3)";
    on_pool!(db, pool => sqlx::query(sql).bind(now).bind(token_hash).bind(app_id).execute(pool.writer()).await?.rows_affected());
    Ok(())
}

/// Revokes the grant a refresh token of `app_id` belongs to, ending every token in it
/// (RFC 7009 section 2.1).
pub async fn revoke_grant_of_refresh_token(
    db: &Db,
    token_hash: &str,
    app_id: i64,
    now: i64,
) -> Result<(), StorageError> {
    let sql = "UPDATE grants SET revoked_at = $1 WHERE revoked_at IS NULL AND app_id = $2 AND id IN \
               (SELECT grant_id FROM refresh_tokens WHERE token_hash = $3)";
    on_pool!(db, pool => sqlx::query(sql).bind(now).bind(app_id).bind(token_hash).execute(pool.writer()).await?.rows_affected());
    Ok(())
}

/// Apps that users consented to on `workspace_id`, by name.
pub async fn list_connected_apps(
    db: &Db,
    workspace_id: i64,
) -> Result<Vec<ConnectedApp>, StorageError> {
    let sql = "SELECT a.id AS app_id, a.client_id, a.name, c.scope, c.created_at AS granted_at \
               FROM consents c JOIN apps a ON a.id = c.app_id WHERE c.workspace_id = $1 \
               ORDER BY a.name, a.id, c.created_at";
    let rows = on_pool!(db, pool => sqlx::query_as::<_, ConnectedApp>(sql)
        .bind(workspace_id)
        .fetch_all(pool)
        .await?);

    // Several admins may have consented to one app: show it once, with the union of
    // their scopes and the earliest grant time.
    let mut merged: Vec<ConnectedApp> = Vec::new();
    for row in rows {
        match merged.last_mut() {
            Some(last) if last.app_id == row.app_id => {
                let union = crate::domain::scope::ScopeSet::from_stored(&last.scope)
                    .union(&crate::domain::scope::ScopeSet::from_stored(&row.scope));
                last.scope = union.to_string();
                last.granted_at = last.granted_at.min(row.granted_at);
            }
            _ => merged.push(row),
        }
    }
    Ok(merged)
}

/// Disconnects an app from a workspace: forgets every consent, revokes every grant and
/// deletes the codes not yet exchanged (which would otherwise start a new grant), so its
/// tokens stop working at once. Returns whether anything was connected.
pub async fn disconnect_app(
    db: &Db,
    app_id: i64,
    workspace_id: i64,
    now: i64,
) -> Result<bool, StorageError> {
    let forget = "DELETE FROM consents WHERE app_id = $1 AND workspace_id = $2";
    let drop_codes = "DELETE FROM authorization_codes WHERE app_id = $1 AND workspace_id = $2 \
                      AND consumed_at IS NULL";
    let revoke = "UPDATE grants SET revoked_at = $1 WHERE app_id = $2 AND workspace_id = $3 \
                  AND revoked_at IS NULL";
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let consents = sqlx::query(forget)
            .bind(app_id)
            .bind(workspace_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query(drop_codes)
            .bind(app_id)
            .bind(workspace_id)
            .execute(&mut *tx)
            .await?;
        let grants = sqlx::query(revoke)
            .bind(now)
            .bind(app_id)
            .bind(workspace_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(consents + grants > 0)
    })
}
