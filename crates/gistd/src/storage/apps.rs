//! Apps registered in the developer hub.

use super::{Db, StorageError, WriteTarget as _, on_pool};

/// A registered app (an OAuth client).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct App {
    /// Row id.
    pub id: i64,
    /// Public client identifier (a UUID).
    pub client_id: String,
    /// The user who registered the app.
    pub owner_user_id: i64,
    /// Display name shown on consent pages.
    pub name: String,
    /// Description shown on consent pages.
    pub description: String,
    /// SHA-256 of the client secret.
    pub secret_hash: String,
    /// Prefix and last characters of the secret, for display.
    pub secret_hint: String,
    /// Registered redirect URIs, one per line.
    pub redirect_uris: String,
    /// Scopes the app may request, space-separated.
    pub scopes: String,
    /// Creation time.
    pub created_at: i64,
}

impl App {
    /// The registered redirect URIs.
    pub fn redirect_uri_list(&self) -> impl Iterator<Item = &str> {
        self.redirect_uris.lines().filter(|line| !line.is_empty())
    }
}

/// What a new app is registered with.
pub struct NewApp<'a> {
    /// Public client identifier.
    pub client_id: &'a str,
    /// Owner.
    pub owner_user_id: i64,
    /// Name.
    pub name: &'a str,
    /// Description.
    pub description: &'a str,
    /// Hash of the first secret.
    pub secret_hash: &'a str,
    /// Hint of the first secret.
    pub secret_hint: &'a str,
    /// Redirect URIs, one per line.
    pub redirect_uris: &'a str,
    /// Scopes, space-separated.
    pub scopes: &'a str,
}

const COLUMNS: &str = "id, client_id, owner_user_id, name, description, secret_hash, secret_hint, \
                       redirect_uris, scopes, created_at";

/// Registers an app.
pub async fn insert_app(db: &Db, app: &NewApp<'_>, now: i64) -> Result<i64, StorageError> {
    let sql = "INSERT INTO apps (client_id, owner_user_id, name, description, secret_hash, \
               secret_hint, redirect_uris, scopes, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id";
    Ok(on_pool!(db, pool => sqlx::query_scalar::<_, i64>(sql)
        .bind(app.client_id)
        .bind(app.owner_user_id)
        .bind(app.name)
        .bind(app.description)
        .bind(app.secret_hash)
        .bind(app.secret_hint)
        .bind(app.redirect_uris)
        .bind(app.scopes)
        .bind(now)
        .fetch_one(pool.writer())
        .await?))
}

/// Finds an app by client id.
pub async fn find_app_by_client_id(db: &Db, client_id: &str) -> Result<Option<App>, StorageError> {
    let sql = format!("SELECT {COLUMNS} FROM apps WHERE client_id = $1");
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, App>(&sql).bind(client_id).fetch_optional(pool).await?),
    )
}

/// Apps registered by `owner_user_id`, newest first.
pub async fn list_apps_of_owner(db: &Db, owner_user_id: i64) -> Result<Vec<App>, StorageError> {
    let sql = format!("SELECT {COLUMNS} FROM apps WHERE owner_user_id = $1 ORDER BY id DESC");
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, App>(&sql).bind(owner_user_id).fetch_all(pool).await?),
    )
}

/// Updates an app's name, description, redirect URIs and scopes.
pub async fn update_app_settings(
    db: &Db,
    app_id: i64,
    name: &str,
    description: &str,
    redirect_uris: &str,
    scopes: &str,
    now: i64,
) -> Result<(), StorageError> {
    let sql = "UPDATE apps SET name = $1, description = $2, redirect_uris = $3, scopes = $4, \
               updated_at = $5 WHERE id = $6";
    on_pool!(db, pool => sqlx::query(sql)
        .bind(name)
        .bind(description)
        .bind(redirect_uris)
        .bind(scopes)
        .bind(now)
        .bind(app_id)
        .execute(pool.writer()).await?.rows_affected());
    Ok(())
}

/// Replaces an app's secret; the old one stops working at once.
pub async fn update_app_secret(
    db: &Db,
    app_id: i64,
    secret_hash: &str,
    secret_hint: &str,
    now: i64,
) -> Result<(), StorageError> {
    let sql = "UPDATE apps SET secret_hash = $1, secret_hint = $2, updated_at = $3 WHERE id = $4";
    on_pool!(db, pool => sqlx::query(sql)
        .bind(secret_hash)
        .bind(secret_hint)
        .bind(now)
        .bind(app_id)
        .execute(pool.writer()).await?.rows_affected());
    Ok(())
}
