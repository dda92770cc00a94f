//! Where an app keeps the tokens of a grant between requests: a [`TokenStore`], in
//! memory ([`MemoryTokenStore`]) or in a private JSON file ([`FileTokenStore`]).

use super::TokenSet;
use crate::error::{Error, Result};
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Keeps the [`TokenSet`] of one grant. Implement it over your own storage (a database
/// row per workspace, a secrets manager) to use it with a
/// [`TokenManager`](super::TokenManager).
pub trait TokenStore: Send + Sync {
    /// The stored tokens, or `None` before any were saved.
    fn load(&self) -> impl Future<Output = Result<Option<TokenSet>>> + Send;
    /// Replaces the stored tokens.
    fn save(&self, tokens: &TokenSet) -> impl Future<Output = Result<()>> + Send;
    /// Forgets the tokens (after revoking them, for example).
    fn clear(&self) -> impl Future<Output = Result<()>> + Send;
}

/// Tokens kept in memory: gone when the process ends. For tests, and for apps that ask
/// the user to authorise again at every start.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    tokens: Mutex<Option<TokenSet>>,
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> MemoryTokenStore {
        MemoryTokenStore::default()
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<TokenSet>> {
        // The data is a plain value, so a panic elsewhere cannot leave it half-written.
        self.tokens
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl TokenStore for MemoryTokenStore {
    async fn load(&self) -> Result<Option<TokenSet>> {
        Ok(self.slot().clone())
    }

    async fn save(&self, tokens: &TokenSet) -> Result<()> {
        *self.slot() = Some(tokens.clone());
        Ok(())
    }

    async fn clear(&self) -> Result<()> {
        *self.slot() = None;
        Ok(())
    }
}

/// Tokens kept in a JSON file that only the owner can read.
///
/// Each save writes a new file beside the old one (created with mode 0600 on Unix) and
/// renames it over the old, so a crash mid-write leaves the previous tokens intact and
/// readers never see half a file. Use one file per grant.
#[derive(Debug, Clone)]
pub struct FileTokenStore {
    path: PathBuf,
}

impl FileTokenStore {
    /// A store in the file at `path`; the file need not exist yet, its directory must.
    pub fn new(path: impl Into<PathBuf>) -> FileTokenStore {
        FileTokenStore { path: path.into() }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl TokenStore for FileTokenStore {
    async fn load(&self) -> Result<Option<TokenSet>> {
        let path = self.path.clone();
        let bytes = blocking(move || match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        })
        .await?;
        match bytes {
            Some(bytes) => Ok(Some(serde_json::from_slice(&bytes)?)),
            None => Ok(None),
        }
    }

    async fn save(&self, tokens: &TokenSet) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(tokens)?;
        let path = self.path.clone();
        blocking(move || write_atomically(&path, &bytes)).await
    }

    async fn clear(&self) -> Result<()> {
        let path = self.path.clone();
        blocking(move || match std::fs::remove_file(&path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
            _ => Ok(()),
        })
        .await
    }
}

/// Runs file I/O off the async worker threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|join| Error::Store(std::io::Error::other(join.to_string())))?
        .map_err(Error::Store)
}

/// Writes `bytes` to a new private file beside `path`, flushes it to disk, then renames
/// it over `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "tokens".to_owned());
    let suffix = super::pkce::random_token();
    let temporary = directory.join(format!(".{name}.{}.tmp", &suffix[..12]));

    let written = (|| {
        let mut file = private_file(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    // Outside Unix the file gets the directory's default permissions.
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(access: &str) -> TokenSet {
        TokenSet {
            access_token: access.into(),
            refresh_token: Some("grt_r".into()),
            expires_at: Some(1_700_000_000),
            scope: "read_contact".into(),
            workspace_id: "acme".into(),
            workspace_name: "Acme".into(),
        }
    }

    #[tokio::test]
    async fn the_memory_store_keeps_the_last_tokens_saved() {
        let store = MemoryTokenStore::new();
        assert_eq!(store.load().await.expect("load"), None);
        store.save(&tokens("gat_1")).await.expect("save");
        store.save(&tokens("gat_2")).await.expect("save");
        assert_eq!(store.load().await.expect("load"), Some(tokens("gat_2")));
        store.clear().await.expect("clear");
        assert_eq!(store.load().await.expect("load"), None);
    }

    #[tokio::test]
    async fn the_file_store_writes_a_private_file_and_reads_it_back() {
        let dir = tempfile::tempdir().expect("dir");
        let store = FileTokenStore::new(dir.path().join("tokens.json"));
        assert_eq!(store.load().await.expect("load"), None);
        store.save(&tokens("gat_1")).await.expect("save");
        store.save(&tokens("gat_2")).await.expect("save");
        assert_eq!(store.load().await.expect("load"), Some(tokens("gat_2")));

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.path())
                .expect("metadata")
                .permissions();
            assert_eq!(mode.mode() & 0o777, 0o600);
        }
        let leftovers = std::fs::read_dir(dir.path()).expect("dir").count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");

        store.clear().await.expect("clear");
        store.clear().await.expect("clearing twice is fine");
        assert_eq!(store.load().await.expect("load"), None);
    }
}
