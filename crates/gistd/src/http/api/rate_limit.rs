//! The REST API's per-workspace rate limit: `limit` requests per fixed window.
//!
//! The count of each window lives in the database so that every instance sharing it
//! counts against one limit. Writing it on every request would make each API call a
//! database write, which on SQLite serialises all API traffic behind one lock. Instead an
//! instance claims a block of requests at a time (a twentieth of the limit) and admits
//! requests from its block in memory:
//!
//! - the instances together never admit more than `limit` requests in a window, since a
//!   block is only handed out after the database has counted it;
//! - with one instance the count, the `X-RateLimit-Remaining` header and the 429 fall on
//!   exactly the same requests as a per-request counter would;
//! - with several instances, a block one instance claimed but did not use is lost for the
//!   window, so a workspace can be refused up to `(instances - 1) × block` requests early.

use crate::http::state::AppState;
use crate::storage::{StorageError, rate_limits};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Blocks claimed per window at the limit; a block is `limit / BLOCKS_PER_WINDOW`.
const BLOCKS_PER_WINDOW: i64 = 20;

/// Workspaces remembered before leases of past windows are dropped.
const PRUNE_AT: usize = 10_000;

/// The state of a workspace's rate-limit window after counting a request.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub limit: i64,
    /// Requests counted in this window, including this one.
    pub used: i64,
    /// When the window ends, Unix seconds.
    pub reset_at: i64,
    /// Window length in seconds.
    pub window_seconds: i64,
    now: i64,
}

impl RateLimit {
    /// Whether the request this was counted for must be refused.
    pub fn exceeded(&self) -> bool {
        self.used > self.limit
    }

    /// Seconds until the window ends (at least 1).
    pub fn retry_after(&self) -> i64 {
        (self.reset_at - self.now).max(1)
    }

    /// Writes `X-RateLimit-Limit`, `-Remaining` and `-Reset` (and `Retry-After` when the
    /// request was refused).
    pub fn write_headers(&self, headers: &mut HeaderMap, refused: bool) {
        let mut put = |name: &'static str, value: i64| {
            headers.insert(name, HeaderValue::from(value));
        };
        put("x-ratelimit-limit", self.limit);
        put("x-ratelimit-remaining", (self.limit - self.used).max(0));
        put("x-ratelimit-reset", self.reset_at);
        if refused {
            put("retry-after", self.retry_after());
        }
    }
}

/// This instance's unused share of one workspace's current window.
#[derive(Debug, Default)]
struct Lease {
    window_start: i64,
    /// The window's count once every request of this instance's block is used.
    claimed_through: i64,
    /// Requests of the block not yet admitted.
    unused: i64,
}

/// The leases of one server, per workspace. Each workspace's lease has its own async
/// lock, held while a block is claimed, so concurrent requests of one workspace wait for
/// one claim instead of each claiming a block.
#[derive(Default)]
pub struct RateLimiter {
    leases: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<Lease>>>>,
}

impl RateLimiter {
    /// Counts one request of `workspace_id` at `now` against the limit in `state`'s
    /// settings.
    pub async fn count(
        &self,
        state: &AppState,
        workspace_id: i64,
        now: i64,
    ) -> Result<RateLimit, StorageError> {
        let limit = state.settings.api_rate_limit;
        let window = state.settings.api_rate_window_seconds;
        let window_start = now - now.rem_euclid(window);
        let lease = self.lease_of(workspace_id, window_start);
        let mut lease = lease.lock().await;

        // A request that read the clock just before a window ended may get the lock after
        // one of the next window: it is counted in the newer window rather than sending
        // the lease back to the old one, which would throw away the newer block.
        let window_start = window_start.max(lease.window_start);
        if lease.window_start != window_start {
            *lease = Lease {
                window_start,
                ..Lease::default()
            };
        }
        // Counts never fall within a window: once this instance has seen the limit
        // reached, it refuses without asking the database again.
        let exhausted = lease.claimed_through >= limit;
        if lease.unused == 0 && !exhausted {
            let block = (limit / BLOCKS_PER_WINDOW).max(1);
            let total =
                rate_limits::claim_requests(&state.db, workspace_id, window_start, window, block)
                    .await?;
            // Only the part of the block under the limit may be admitted.
            let before = total - block;
            let usable = (limit - before).clamp(0, block);
            lease.claimed_through = before + usable;
            lease.unused = usable;
        }

        let used = if lease.unused > 0 {
            lease.unused -= 1;
            lease.claimed_through - lease.unused
        } else {
            limit + 1
        };
        Ok(RateLimit {
            limit,
            used,
            reset_at: window_start + window,
            window_seconds: window,
            now,
        })
    }

    fn lease_of(&self, workspace_id: i64, window_start: i64) -> Arc<tokio::sync::Mutex<Lease>> {
        let mut leases = self
            .leases
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if leases.len() >= PRUNE_AT && !leases.contains_key(&workspace_id) {
            leases.retain(|_, lease| {
                lease
                    .try_lock()
                    .map_or(true, |lease| lease.window_start >= window_start)
            });
        }
        leases.entry(workspace_id).or_default().clone()
    }
}

/// Where [`super::ApiCaller`] leaves the rate-limit state for [`add_rate_limit_headers`].
#[derive(Clone, Default)]
pub(super) struct RateSlot(pub(super) Arc<Mutex<Option<RateLimit>>>);

/// Middleware of the API router: adds the rate-limit headers to every response of a
/// request that was counted.
pub async fn add_rate_limit_headers(mut request: Request, next: Next) -> Response {
    let slot = RateSlot::default();
    request.extensions_mut().insert(slot.clone());
    let mut response = next.run(request).await;
    let counted = slot.0.lock().ok().and_then(|guard| *guard);
    if let Some(limit) = counted
        && response.status() != StatusCode::TOO_MANY_REQUESTS
    {
        limit.write_headers(response.headers_mut(), false);
    }
    response
}
