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

use futures_core::future::BoxFuture;
use futures_core::stream::BoxStream;
use sqlx::Either;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::SqliteSynchronous;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::sqlite::{SqliteQueryResult, SqliteRow, SqliteStatement, SqliteTypeInfo};
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

/// Reader connections of a SQLite database. A query spends most of its time handing
/// work between its task and the connection's thread, not running SQLite, so readers
/// wait more than they compute: on two cores, 32 concurrent token checks went through
/// 9,400 per second with 2 readers, 14,500 with 4 and 15,000-16,000 with 8, 16 or 32
/// (docs/performance.md). Each reader is a thread with its own page cache.
const SQLITE_READERS: u32 = 8;

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
    Sqlite(SqliteDb),
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

/// A SQLite file's connections: a pool of readers, and one writer that every write
/// transaction of this process goes through.
///
/// SQLite lets one connection write at a time. With writers spread over the pool, a
/// transaction that finds the lock taken waits in SQLite's busy handler, which sleeps
/// for whole milliseconds and retries; under concurrent writes that sleeping dominates.
/// Queueing for the one writer connection instead hands the lock over as soon as the
/// previous transaction commits. Writers in other processes (the CLI, a backup) are still
/// covered by the busy timeout.
#[derive(Clone, Debug)]
pub struct SqliteDb {
    readers: SqlitePool,
    writer: SqlitePool,
    write_thread: WriteThread,
}

/// A thread of its own that runs write transactions, so that between two statements of a
/// transaction (which holds the one writer connection) its task is polled at once instead
/// of queueing behind request handlers on the main runtime. The thread ends when the last
/// clone of its [`SqliteDb`] is dropped.
#[derive(Clone, Debug)]
struct WriteThread {
    handle: tokio::runtime::Handle,
    _stop: std::sync::Arc<tokio::sync::oneshot::Sender<()>>,
}

impl WriteThread {
    fn start() -> std::io::Result<WriteThread> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("gistd-writer".into())
            .spawn(move || {
                runtime.block_on(async {
                    let _ = stopped.await;
                });
            })?;
        Ok(WriteThread {
            handle,
            _stop: std::sync::Arc::new(stop),
        })
    }
}

impl SqliteDb {
    async fn close(&self) {
        self.writer.close().await;
        self.readers.close().await;
    }
}

/// Reads run on the reader pool, so storage code uses `&SqliteDb` wherever sqlx takes
/// a pool.
impl<'p> sqlx::Executor<'p> for &'_ SqliteDb {
    type Database = sqlx::Sqlite;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<SqliteQueryResult, SqliteRow>, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + sqlx::Execute<'q, sqlx::Sqlite>,
    {
        self.readers.fetch_many(query)
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<SqliteRow>, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + sqlx::Execute<'q, sqlx::Sqlite>,
    {
        self.readers.fetch_optional(query)
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [SqliteTypeInfo],
    ) -> BoxFuture<'e, Result<SqliteStatement<'q>, sqlx::Error>>
    where
        'p: 'e,
    {
        self.readers.prepare_with(sql, parameters)
    }

    fn describe<'e, 'q: 'e>(
        self,
        sql: &'q str,
    ) -> BoxFuture<'e, Result<sqlx::Describe<sqlx::Sqlite>, sqlx::Error>>
    where
        'p: 'e,
    {
        self.readers.describe(sql)
    }
}

/// Where a single-statement write (one that needs no transaction of its own) runs: the
/// SQLite writer connection, or any PostgreSQL connection.
pub(crate) trait WriteTarget {
    type Pool;

    fn writer(&self) -> &Self::Pool;
}

impl WriteTarget for SqliteDb {
    type Pool = SqlitePool;

    fn writer(&self) -> &SqlitePool {
        &self.writer
    }
}

impl WriteTarget for PgPool {
    type Pool = PgPool;

    fn writer(&self) -> &PgPool {
        self
    }
}

impl BeginWrite for SqliteDb {
    type Database = sqlx::Sqlite;

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.writer.begin_with("BEGIN IMMEDIATE").await
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
            // No ping before each use: it would double the round trips of every query.
            // The cost: after the server restarts, each stale pooled connection fails
            // the one query that finds it closed (docs/scale.md).
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .test_before_acquire(false)
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
        // A connection to a local file does not go stale, so the pool's ping before each
        // use would only add a round trip to the connection's thread on every query.
        let pool = |connections| {
            SqlitePoolOptions::new()
                .max_connections(connections)
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(10))
        };
        let writer = pool(1).connect_with(options.clone()).await?;
        let readers = pool(SQLITE_READERS).connect_with(options).await?;
        let write_thread = WriteThread::start().map_err(sqlx::Error::Io)?;
        Ok(Db::Sqlite(SqliteDb {
            readers,
            writer,
            write_thread,
        }))
    }

    /// Applies every migration not yet applied.
    pub async fn migrate(&self) -> Result<(), StorageError> {
        match self {
            Db::Sqlite(sqlite) => SQLITE_MIGRATOR.run(&sqlite.writer).await?,
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

    /// Runs the write transaction `work` makes from a handle on this database: on SQLite
    /// on the write thread (see [`SqliteDb`]), on PostgreSQL right here. Its inputs must
    /// be owned, since on SQLite it runs on another thread.
    pub(crate) async fn on_write_thread<T, Work>(&self, work: impl FnOnce(Db) -> Work) -> T
    where
        T: Send + 'static,
        Work: Future<Output = T> + Send + 'static,
    {
        let work = work(self.clone());
        match self {
            // The task owns a handle on the database, which keeps the write thread
            // running until the task is done, so it cannot be cancelled: an error here
            // is the task's own panic, passed on to the caller.
            Db::Sqlite(sqlite) => match sqlite.write_thread.handle.spawn(work).await {
                Ok(output) => output,
                Err(error) => std::panic::resume_unwind(error.into_panic()),
            },
            Db::Postgres(_) => work.await,
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
        match self {
            Db::Sqlite(sqlite) => sqlite.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }
}
