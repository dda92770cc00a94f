//! Building and running a gistd server.
//!
//! [`Application::build`] connects to the database, applies migrations and binds the
//! listener, so by the time it returns the server's real address is known: tests build
//! it on port 0 with a fresh database and talk to it over real HTTP.

use crate::config::Settings;
use crate::domain::clock::Clock;
use crate::http::{self, AppState};
use crate::storage::{Db, StorageError, upkeep};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The listen address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
}

/// A server, bound and ready to run.
pub struct Application {
    listener: tokio::net::TcpListener,
    state: AppState,
}

impl Application {
    /// Opens and migrates the database named in `settings`, then binds the listener.
    pub async fn build(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> Result<Application, StartError> {
        let db = Db::connect(&settings.database).await?;
        db.migrate().await?;
        Self::build_with_db(settings, db, clock).await
    }

    /// Binds a server on an already migrated database.
    pub async fn build_with_db(
        settings: Settings,
        db: Db,
        clock: Arc<dyn Clock>,
    ) -> Result<Application, StartError> {
        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .map_err(|source| StartError::Bind {
                address: settings.listen,
                source,
            })?;
        let address = listener.local_addr().map_err(|source| StartError::Bind {
            address: settings.listen,
            source,
        })?;
        let base_url = settings
            .base_url
            .clone()
            .unwrap_or_else(|| format!("http://{address}"));
        let state = AppState {
            db,
            clock,
            settings: Arc::new(settings),
            base_url: base_url.into(),
            rate_limiter: Default::default(),
        };
        Ok(Application { listener, state })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or(self.state.settings.listen)
    }

    /// The public base URL.
    pub fn base_url(&self) -> &str {
        &self.state.base_url
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.state.db
    }

    /// Serves requests until `shutdown` completes, then finishes the requests in flight.
    /// Meanwhile a background task purges expired rows every
    /// [`Settings::upkeep_interval_seconds`]; it stops with the server.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let settings = &self.state.settings;
        tracing::info!(
            listen = %self.local_addr(),
            base_url = %self.state.base_url,
            database = self.state.db.backend(),
            access_token_ttl_seconds = settings.access_token_ttl,
            upkeep_interval_seconds = settings.upkeep_interval_seconds,
            "gistd is serving"
        );
        if settings.access_token_ttl.is_none() {
            tracing::warn!(
                "access tokens never expire (--access-token-ttl never): a leaked token works until revoked"
            );
        }
        if !self.state.is_https() {
            tracing::warn!(
                "the base URL is not https: cookies are not Secure; use this only on a trusted network"
            );
        }
        // Gist's Ruby client calls some paths with a trailing slash (`campaigns/`); the
        // slash is removed before routing, so `/api/campaigns/` is `/api/campaigns`.
        let router = tower::Layer::layer(
            &tower_http::normalize_path::NormalizePathLayer::trim_trailing_slash(),
            http::router(self.state.clone()),
        );
        let service =
            axum::ServiceExt::<axum::extract::Request>::into_make_service_with_connect_info::<
                SocketAddr,
            >(router);
        let (stop_upkeep, upkeep_stopped) = tokio::sync::watch::channel(false);
        let upkeep = settings.upkeep_interval_seconds.map(|seconds| {
            let interval = Duration::from_secs(seconds.max(1).unsigned_abs());
            tokio::spawn(run_upkeep(self.state.clone(), interval, upkeep_stopped))
        });
        // Connections already queued when the signal comes are answered, not reset.
        let (listener, drained) = http::listener::DrainingListener::new(self.listener, shutdown);
        // Requests in flight when the server stops get `SHUTDOWN_GRACE` to finish; a
        // request still running then (a stuck client upload, say) does not hold the
        // process forever.
        let (stopping, stopped) = tokio::sync::oneshot::channel::<()>();
        let drained = async move {
            drained.await;
            tokio::time::sleep(crate::config::SHUTDOWN_SETTLE).await;
            let _ = stopping.send(());
        };
        let serve = std::future::IntoFuture::into_future(
            axum::serve(listener, service).with_graceful_shutdown(drained),
        );
        let deadline = async move {
            match stopped.await {
                Ok(()) => tokio::time::sleep(crate::config::SHUTDOWN_GRACE).await,
                Err(_) => std::future::pending::<()>().await,
            }
        };
        let served = tokio::select! {
            served = serve => served,
            () = deadline => {
                tracing::warn!(
                    grace_seconds = crate::config::SHUTDOWN_GRACE.as_secs(),
                    "requests still running after the shutdown grace period; stopping anyway"
                );
                Ok(())
            }
        };
        let _ = stop_upkeep.send(true);
        if let Some(upkeep) = upkeep {
            let _ = upkeep.await;
        }
        served
    }
}

/// Purges dead rows every `interval` until `stopped` changes. The first run comes one
/// interval after start, so a server restarted in a loop does not purge at each start.
/// A purge in progress when the server stops is dropped between two batches; each batch
/// is its own transaction, so nothing is left half done.
async fn run_upkeep(
    state: AppState,
    interval: Duration,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stopped.changed() => return,
        }
        let started = Instant::now();
        let purge = upkeep::purge_expired(&state.db, state.now());
        let result = tokio::select! {
            result = purge => result,
            _ = stopped.changed() => return,
        };
        let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        match result {
            Ok(purged) => tracing::info!(
                codes = purged.codes,
                sessions = purged.sessions,
                access_tokens = purged.access_tokens,
                refresh_tokens = purged.refresh_tokens,
                grants = purged.grants,
                login_throttle = purged.login_throttle,
                rate_windows = purged.rate_windows,
                duration_ms,
                "upkeep purged {} expired rows",
                purged.total()
            ),
            // The next run retries; requests are unaffected.
            Err(error) => tracing::warn!(%error, duration_ms, "upkeep failed"),
        }
    }
}
