//! The in-memory session store: one entry per browser, keyed by the random value of its
//! session cookie, holding the pending authorization and, afterwards, the tokens.
//!
//! The store is bounded ([`MAX_SESSIONS`]) and entries expire [`SESSION_TTL`] after they
//! were last written, so a flood of `/auth/gist` requests cannot grow it without limit.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gist_client::oauth::{Authorization, TokenSet};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a session lives after its last write: the life of an authorization code.
pub const SESSION_TTL: Duration = Duration::from_secs(10 * 60);
/// The most sessions kept at once; the oldest is dropped to make room.
pub const MAX_SESSIONS: usize = 10_000;

/// An authorization sent and not yet answered.
pub struct Pending {
    /// The URL, state and PKCE verifier of the request.
    pub authorization: Authorization,
}

struct Session {
    touched: Instant,
    pending: Option<Pending>,
    /// Kept for later API calls; the quick start itself only uses them once.
    tokens: Option<TokenSet>,
}

/// The sessions of every browser.
#[derive(Default)]
pub struct Sessions {
    entries: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// An empty store.
    pub fn new() -> Sessions {
        Sessions::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        // A panic while holding the lock leaves plain data behind; keep using it.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether `id` names a live session.
    pub fn exists(&self, id: &str) -> bool {
        let entries = self.lock();
        entries
            .get(id)
            .is_some_and(|session| session.touched.elapsed() < SESSION_TTL)
    }

    /// Records `pending` as the session's authorization in progress, replacing any
    /// earlier one, and creates the session when needed.
    pub fn start(&self, id: &str, pending: Pending) {
        let mut entries = self.lock();
        if !entries.contains_key(id) && entries.len() >= MAX_SESSIONS {
            entries.retain(|_, session| session.touched.elapsed() < SESSION_TTL);
            if entries.len() >= MAX_SESSIONS {
                let oldest = entries
                    .iter()
                    .min_by_key(|(_, session)| session.touched)
                    .map(|(id, _)| id.clone());
                if let Some(oldest) = oldest {
                    entries.remove(&oldest);
                }
            }
        }
        let session = entries.entry(id.to_owned()).or_insert_with(|| Session {
            touched: Instant::now(),
            pending: None,
            tokens: None,
        });
        session.touched = Instant::now();
        session.pending = Some(pending);
    }

    /// Takes the authorization in progress: a state is accepted once at most.
    pub fn take_pending(&self, id: &str) -> Option<Pending> {
        let mut entries = self.lock();
        let session = entries.get_mut(id)?;
        if session.touched.elapsed() >= SESSION_TTL {
            entries.remove(id);
            return None;
        }
        session.pending.take()
    }

    /// Keeps the tokens of the session's grant.
    pub fn keep_tokens(&self, id: &str, tokens: TokenSet) {
        let mut entries = self.lock();
        if let Some(session) = entries.get_mut(id) {
            session.touched = Instant::now();
            session.tokens = Some(tokens);
        }
    }

    /// How many sessions are kept, expired ones included until they are swept.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lock().len()
    }
}

/// A new session id: 256 random bits.
pub fn random_id() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use gist_client::oauth::OAuthClient;

    fn pending() -> Pending {
        let oauth =
            OAuthClient::new("http://127.0.0.1:1", "id", "secret", "http://h/cb").expect("client");
        Pending {
            authorization: oauth.authorization("").build(),
        }
    }

    #[test]
    fn a_pending_authorization_is_taken_once() {
        let sessions = Sessions::new();
        sessions.start("a", pending());
        assert!(sessions.exists("a"));
        assert!(sessions.take_pending("a").is_some());
        assert!(sessions.take_pending("a").is_none());
        assert!(sessions.take_pending("b").is_none());
    }

    #[test]
    fn the_store_never_holds_more_than_its_bound() {
        let sessions = Sessions::new();
        for _ in 0..MAX_SESSIONS + 5 {
            sessions.start(&random_id(), pending());
        }
        assert_eq!(sessions.len(), MAX_SESSIONS);
    }

    #[test]
    fn session_ids_are_random() {
        assert_ne!(random_id(), random_id());
        assert_eq!(random_id().len(), 43);
    }
}
