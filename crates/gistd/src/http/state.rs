//! What every handler can reach: the database, the clock and the settings.

use crate::config::Settings;
use crate::domain::clock::Clock;
use crate::http::api::RateLimiter;
use crate::storage::Db;
use std::sync::Arc;

/// Shared state of one server. Cheap to clone; nothing in it is global, so a test can run
/// many servers in one process.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Settings the server was built with.
    pub settings: Arc<Settings>,
    /// The public base URL, without a trailing slash; the OAuth issuer.
    pub base_url: Arc<str>,
    /// This server's share of each workspace's REST API rate-limit window.
    pub rate_limiter: Arc<RateLimiter>,
}

impl AppState {
    /// The current time, Unix seconds.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Whether cookies must be `Secure` (the base URL is https).
    pub fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}
