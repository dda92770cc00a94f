//! [`TokenManager`]: hands out a live access token, refreshing it shortly before it
//! expires, and saves the rotated tokens.

use super::store::TokenStore;
use super::{OAuthClient, TokenSet, unix_now};
use crate::client::Client;
use crate::error::{Error, Result};
use std::time::Duration;

/// How long before expiry an access token is refreshed: a token that would expire during
/// a request is not worth sending.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// The tokens of one grant, refreshed when needed.
///
/// Concurrent callers share one refresh: gistd rotates refresh tokens and treats a
/// rotated one presented again as a sign of theft, so two refreshes with the same
/// token must not race. (Two processes sharing one store can still race; give each
/// process its own grant, or serialise them yourself.)
#[derive(Debug)]
pub struct TokenManager<S> {
    oauth: OAuthClient,
    store: S,
    margin: Duration,
    refreshing: tokio::sync::Mutex<()>,
}

impl<S: TokenStore> TokenManager<S> {
    /// Manages the tokens in `store` for the app `oauth`.
    pub fn new(oauth: OAuthClient, store: S) -> TokenManager<S> {
        TokenManager {
            oauth,
            store,
            margin: DEFAULT_REFRESH_MARGIN,
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    /// Refreshes when less than `margin` of the access token's life remains (default
    /// [`DEFAULT_REFRESH_MARGIN`]).
    pub fn with_refresh_margin(mut self, margin: Duration) -> TokenManager<S> {
        self.margin = margin;
        self
    }

    /// The app.
    pub fn oauth(&self) -> &OAuthClient {
        &self.oauth
    }

    /// The token store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Exchanges the code from the redirect (see [`OAuthClient::exchange_code`]) and
    /// stores the tokens.
    pub async fn exchange_code(
        &self,
        code: &str,
        pkce_verifier: Option<&super::PkceVerifier>,
    ) -> Result<TokenSet> {
        let tokens = self.oauth.exchange_code(code, pkce_verifier).await?;
        self.store.save(&tokens).await?;
        Ok(tokens)
    }

    /// A usable access token: the stored one, or a fresh one when it expires within the
    /// margin. Fails with [`Error::NotAuthorized`] when nothing is stored, or when the
    /// token expired and there is no refresh token; with [`Error::OAuth`] when the
    /// server refuses the refresh (the grant was revoked, say), in which case the user
    /// must authorise the app again.
    pub async fn access_token(&self) -> Result<String> {
        let tokens = self.load().await?;
        if !tokens.expires_within(self.margin, unix_now()) {
            return Ok(tokens.access_token);
        }

        let _one_refresh_at_a_time = self.refreshing.lock().await;
        // Another caller may have refreshed while this one waited for the lock.
        let tokens = self.load().await?;
        if !tokens.expires_within(self.margin, unix_now()) {
            return Ok(tokens.access_token);
        }
        let refresh_token = tokens.refresh_token.as_deref().ok_or(Error::NotAuthorized(
            "the access token expired and there is no refresh token",
        ))?;
        let fresh = self.oauth.refresh(refresh_token).await?;
        self.store.save(&fresh).await?;
        tracing::debug!(workspace.id = %fresh.workspace_id, "access token refreshed");
        Ok(fresh.access_token)
    }

    /// An API [`Client`] for `api_base_url` with a live access token. Build a new one
    /// per task or request rather than keeping it, so the token stays fresh; it shares
    /// the OAuth client's connection pool, so that is cheap.
    pub async fn client(&self, api_base_url: &str) -> Result<Client> {
        let token = self.access_token().await?;
        Client::with_http(self.oauth.http.clone(), api_base_url, &token)
    }

    /// Revokes the grant (through its refresh token, or the access token when there is
    /// none) and forgets the tokens.
    pub async fn revoke(&self) -> Result<()> {
        let _no_refresh_meanwhile = self.refreshing.lock().await;
        if let Some(tokens) = self.store.load().await? {
            let token = tokens
                .refresh_token
                .as_deref()
                .unwrap_or(&tokens.access_token);
            self.oauth.revoke(token).await?;
        }
        self.store.clear().await
    }

    async fn load(&self) -> Result<TokenSet> {
        self.store
            .load()
            .await?
            .ok_or(Error::NotAuthorized("no tokens are stored yet"))
    }
}
