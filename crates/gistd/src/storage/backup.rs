//! Backups and restores of a SQLite database (`gistd backup`, `gistd restore`).
//!
//! A backup is made with `VACUUM INTO`: SQLite writes a new, compacted database file from
//! one read transaction, so the copy is consistent even while a server keeps writing, and
//! it includes what is still in the WAL file (copying `gistd.db` alone would miss it).
//! A restore checks a copy of the backup before anything is replaced, then moves it into
//! place in one rename.
//!
//! PostgreSQL has its own tools for this (`pg_dump`, `pg_restore`); docs/scale.md shows
//! them. These functions refuse a PostgreSQL URL with a message that says so.

use super::{SQLITE_MIGRATOR, StorageError};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteLockingMode};
use sqlx::{ConnectOptions as _, Connection as _};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// Why a backup or restore was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The database is PostgreSQL.
    #[error(
        "gistd backup and restore handle SQLite files; for PostgreSQL use pg_dump and \
         pg_restore (see docs/scale.md)"
    )]
    NotSqlite,
    /// The file to read does not exist.
    #[error("{} does not exist", .0.display())]
    Missing(PathBuf),
    /// The file to write exists already.
    #[error("{path} already exists; {hint}", path = .0.display(), hint = .1)]
    Exists(PathBuf, &'static str),
    /// The file is not a database gistd can use.
    #[error("{path} is not a usable gistd database: {why}", path = .0.display(), why = .1)]
    Unusable(PathBuf, String),
    /// Another process has the database open.
    #[error("{} is in use; stop every gistd using it first", .0.display())]
    InUse(PathBuf),
    /// A file could not be read or written.
    #[error("{path}: {cause}", path = .0.display(), cause = .1)]
    Io(PathBuf, std::io::Error),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<sqlx::Error> for BackupError {
    fn from(error: sqlx::Error) -> Self {
        BackupError::Storage(StorageError::Database(error))
    }
}

/// The SQLite file a `--database` value names, or `None` for PostgreSQL.
pub fn sqlite_path(database: &str) -> Result<Option<PathBuf>, BackupError> {
    if database.starts_with("postgres://") || database.starts_with("postgresql://") {
        return Ok(None);
    }
    if database.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(database)?;
        return Ok(Some(options.get_filename().to_path_buf()));
    }
    Ok(Some(PathBuf::from(database)))
}

/// Writes a consistent copy of the SQLite database `database` to `to`, which must not
/// exist, then checks the copy. Safe while servers use the database: they wait at most
/// for the copy's read transaction, and only if they need to checkpoint.
pub async fn backup_sqlite(database: &str, to: &Path) -> Result<(), BackupError> {
    let source = sqlite_path(database)?.ok_or(BackupError::NotSqlite)?;
    if !source.exists() {
        return Err(BackupError::Missing(source));
    }
    if to.exists() {
        return Err(BackupError::Exists(
            to.to_path_buf(),
            "choose a new file name",
        ));
    }
    let target = to
        .to_str()
        .ok_or_else(|| BackupError::Unusable(to.to_path_buf(), "the path is not UTF-8".into()))?;

    let mut connection = SqliteConnectOptions::new()
        .filename(&source)
        .busy_timeout(Duration::from_secs(10))
        .connect()
        .await?;
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(&mut connection)
        .await?;
    connection.close().await?;

    check_sqlite(to).await
}

/// Replaces the SQLite database `database` with the backup `from`. Refuses to replace an
/// existing database unless `force`, and refuses while another process has it open.
/// The backup is copied next to the database and checked there first (integrity, and
/// migrations: an older backup is brought up to date, one from a newer gistd is refused),
/// so a bad backup never replaces a good database.
pub async fn restore_sqlite(database: &str, from: &Path, force: bool) -> Result<(), BackupError> {
    let target = sqlite_path(database)?.ok_or(BackupError::NotSqlite)?;
    if !from.exists() {
        return Err(BackupError::Missing(from.to_path_buf()));
    }
    if target.exists() {
        if !force {
            return Err(BackupError::Exists(
                target,
                "add --force to replace it (stop every gistd using it first)",
            ));
        }
        ensure_unused(&target).await?;
    }

    let staging = sibling(&target, "restoring");
    remove_if_present(&staging)?;
    std::fs::copy(from, &staging).map_err(|e| BackupError::Io(from.to_path_buf(), e))?;
    if let Err(error) = check_sqlite(&staging).await {
        remove_if_present(&staging)?;
        return Err(match error {
            BackupError::Unusable(_, reason) => BackupError::Unusable(from.to_path_buf(), reason),
            other => other,
        });
    }

    // A WAL file left beside the old database would be replayed into the new one.
    remove_if_present(&sibling(&target, "wal"))?;
    remove_if_present(&sibling(&target, "shm"))?;
    std::fs::rename(&staging, &target).map_err(|e| BackupError::Io(target.clone(), e))?;
    Ok(())
}

/// Checks that `path` is an intact SQLite database with gistd's migrations, applying the
/// ones it lacks. It is opened in rollback-journal mode so no WAL file is left beside it.
async fn check_sqlite(path: &Path) -> Result<(), BackupError> {
    let unusable = |reason: String| BackupError::Unusable(path.to_path_buf(), reason);
    let mut connection = SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(SqliteJournalMode::Delete)
        .foreign_keys(true)
        .connect()
        .await
        .map_err(|e| unusable(e.to_string()))?;
    let verdict: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut connection)
        .await
        .map_err(|e| unusable(e.to_string()))?;
    if verdict != ["ok"] {
        return Err(unusable(format!("integrity check: {}", verdict.join("; "))));
    }
    SQLITE_MIGRATOR
        .run(&mut connection)
        .await
        .map_err(|e| unusable(format!("migrations: {e}")))?;
    connection.close().await?;
    Ok(())
}

/// Fails if another process has `path` open. A connection that asks for exclusive locking
/// cannot get it while any other connection is open on a WAL database. A server that has
/// been idle long enough to close its pooled connections is not seen: the operator must
/// still stop it.
async fn ensure_unused(path: &Path) -> Result<(), BackupError> {
    let opened = SqliteConnectOptions::new()
        .filename(path)
        .locking_mode(SqliteLockingMode::Exclusive)
        .busy_timeout(Duration::from_millis(500))
        .connect()
        .await;
    let mut connection = match opened {
        Ok(connection) => connection,
        Err(error) if is_busy(&error) => return Err(BackupError::InUse(path.to_path_buf())),
        Err(error) => return Err(error.into()),
    };
    let taken = sqlx::raw_sql("BEGIN EXCLUSIVE; COMMIT")
        .execute(&mut connection)
        .await;
    connection.close().await?;
    match taken {
        Ok(_) => Ok(()),
        Err(error) if is_busy(&error) => Err(BackupError::InUse(path.to_path_buf())),
        Err(error) => Err(error.into()),
    }
}

/// Whether SQLite answered "busy" or "locked" (the low byte of an extended result code
/// is its primary code: `SQLITE_BUSY` is 5, `SQLITE_LOCKED` 6).
fn is_busy(error: &sqlx::Error) -> bool {
    let code = match error {
        sqlx::Error::Database(db) => db.code().and_then(|code| code.parse::<i32>().ok()),
        _ => None,
    };
    matches!(code.map(|code| code & 0xff), Some(5 | 6))
}

/// `gistd.db` -> `gistd.db-SUFFIX`, the way SQLite names its companion files.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!("-{suffix}"));
    PathBuf::from(name)
}

fn remove_if_present(path: &Path) -> Result<(), BackupError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(BackupError::Io(path.to_path_buf(), error)),
    }
}
