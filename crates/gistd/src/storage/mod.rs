//! Storage: the one place SQL lives.
//!
//! gistd runs on SQLite (the default, one file) or PostgreSQL. Each repository function
//! is written once, in the SQL subset both dialects share (`$1` placeholders, `RETURNING`,
//! `ON CONFLICT`, integers for times), and [`on_pool!`] compiles its body once per
//! backend with that backend's native driver: no per-query branching and no runtime
//! translation layer. Only the migrations differ, one folder per dialect.
//!
//! Writes that must be atomic (code redemption, refresh rotation) run in one transaction
//! whose first statement is the conditional write that claims the row, so two
//! concurrent requests cannot both win. On SQLite those transactions start with
//! `BEGIN IMMEDIATE`, which takes the write lock up front instead of failing on upgrade.

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::SqliteSynchronous;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use std::str::FromStr;
use std::time::Duration;

pub mod accounts;
pub mod apps;
pub mod backup;
pub mod contacts;
pub mod conversations;
pub mod events;
pub mod grants;
pub mod marketing;
pub mod rate_limits;
pub mod segments;
pub mod tags;
pub mod teams;
pub mod upkeep;
pub mod workspaces;

/// The SQLite migrations compiled into the binary.
pub(crate) static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");
/// The PostgreSQL migrations compiled into the binary.
pub(crate) static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Runs `$body` with `$pool` bound to the concrete pool of whichever backend `$db` is.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::storage::Db::Sqlite($pool) => $body,
            $crate::storage::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A unique constraint refused the write; the text names what was taken.
    #[error("{0} is already taken")]
    Conflict(&'static str),
    /// The database failed or is unreachable.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrations could not be applied.
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Turns a unique-constraint violation into [`StorageError::Conflict`].
pub(crate) fn conflict_as(what: &'static str) -> impl FnOnce(sqlx::Error) -> StorageError {
    move |error| match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StorageError::Conflict(what),
        _ => StorageError::Database(error),
    }
}

/// Why [`Db::check_ready`] found the database unable to serve.
#[derive(Debug, thiserror::Error)]
pub enum NotReady {
    /// The database did not answer a trivial query.
    #[error("the database is unreachable: {0}")]
    Unreachable(sqlx::Error),
    /// Migrations compiled into this binary have not been applied.
    #[error("migrations not applied: {missing:?}")]
    Migrations {
        /// Versions of the missing migrations.
        missing: Vec<i64>,
    },
}

/// A connection pool to one of the supported databases.
#[derive(Clone, Debug)]
pub enum Db {
    /// A SQLite file.
    Sqlite(SqlitePool),
    /// A PostgreSQL database.
    Postgres(PgPool),
}

/// Opens a write transaction: `BEGIN IMMEDIATE` on SQLite, `BEGIN` on PostgreSQL.
pub(crate) trait BeginWrite {
    type Database: sqlx::Database;

    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<sqlx::Transaction<'static, Self::Database>, sqlx::Error>> + Send;
}

impl BeginWrite for SqlitePool {
    type Database = sqlx::Sqlite;

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite for PgPool {
    type Database = sqlx::Postgres;

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.begin().await
    }
}

impl Db {
    /// Connects to `url`: `postgres://…` or `postgresql://…` for PostgreSQL, `sqlite:…` or
    /// a plain file path for SQLite (the file is created when missing).
    pub async fn connect(url: &str) -> Result<Db, StorageError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            return Ok(Db::Postgres(pool));
        }

        let options = if url.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url)?
        } else {
            SqliteConnectOptions::new().filename(url)
        };
        // WAL lets readers proceed during a write. synchronous=NORMAL in WAL mode keeps
        // every committed transaction across a process crash; only a power loss or OS
        // crash can lose the last few (docs/operations.md).
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(Db::Sqlite(pool))
    }

    /// Applies every migration not yet applied.
    pub async fn migrate(&self) -> Result<(), StorageError> {
        match self {
            Db::Sqlite(pool) => SQLITE_MIGRATOR.run(pool).await?,
            Db::Postgres(pool) => POSTGRES_MIGRATOR.run(pool).await?,
        }
        Ok(())
    }

    /// Whether this database can serve requests: it answers a trivial query, and every
    /// migration compiled into this binary has been applied. Migrations the database has
    /// and this binary lacks are fine: during a rolling upgrade an older instance keeps
    /// serving on a schema a newer one has already extended.
    pub async fn check_ready(&self) -> Result<(), NotReady> {
        let migrator = match self {
            Db::Sqlite(_) => &SQLITE_MIGRATOR,
            Db::Postgres(_) => &POSTGRES_MIGRATOR,
        };
        on_pool!(self, pool => sqlx::query_scalar::<_, i32>("SELECT 1")
            .fetch_one(pool)
            .await
            .map_err(NotReady::Unreachable)?);
        // Until the first migration runs, the bookkeeping table does not exist: that is a
        // database with nothing applied, not an unreachable one.
        let applied = "SELECT version FROM _sqlx_migrations WHERE success";
        let applied: Vec<i64> = on_pool!(self, pool => sqlx::query_scalar::<_, i64>(applied)
            .fetch_all(pool)
            .await
            .unwrap_or_default());
        let missing: Vec<i64> = migrator
            .iter()
            .map(|migration| migration.version)
            .filter(|version| !applied.contains(version))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(NotReady::Migrations { missing })
        }
    }

    /// Which backend this is, for logs.
    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Closes every connection.
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}
