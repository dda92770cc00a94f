//! The OAuth 2 authorization code flow from the app's side (RFC 6749 section 4.1): build
//! the authorization URL, exchange the code, refresh, revoke; keep tokens in a
//! [`TokenStore`] and refresh them before they expire with a [`TokenManager`].
//!
//! The client authenticates with `client_secret_post` (id and secret in the body), as
//! Gist's quick start does; the body is a form by default (RFC 6749), or JSON with
//! [`BodyFormat::Json`] for servers that want it.

mod manager;
mod pkce;
mod store;

pub use manager::{DEFAULT_REFRESH_MARGIN, TokenManager};
pub use pkce::PkceVerifier;
pub use store::{FileTokenStore, MemoryTokenStore, TokenStore};

use crate::error::{Error, Result};
use gist_types::{OAuthErrorResponse, TokenResponse};
use reqwest::Url;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How the token and revocation requests carry their parameters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BodyFormat {
    /// `application/x-www-form-urlencoded`, as RFC 6749 section 4.1.3 requires.
    #[default]
    Form,
    /// `application/json`, a flat object of strings (accepted by gistd).
    Json,
}

/// An app registered with the OAuth server: its credentials, its redirect URI and the
/// server's endpoints.
#[derive(Clone)]
pub struct OAuthClient {
    http: reqwest::Client,
    client_id: String,
    client_secret: String,
    redirect_uri: String,
    authorize_url: Url,
    token_url: Url,
    revoke_url: Url,
    body_format: BodyFormat,
}

impl fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthClient")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("redirect_uri", &self.redirect_uri)
            .field("token_url", &self.token_url.as_str())
            .field("body_format", &self.body_format)
            .finish()
    }
}

impl OAuthClient {
    /// An app of the gistd server at `server_url` (such as `http://127.0.0.1:8080`), whose
    /// endpoints are `/oauth/authorize`, `/oauth/token` and `/oauth/revoke` there.
    pub fn new(
        server_url: &str,
        client_id: &str,
        client_secret: &str,
        redirect_uri: &str,
    ) -> Result<OAuthClient> {
        let base = server_url.trim_end_matches('/');
        let endpoint = |path: &str| parse_endpoint(&format!("{base}{path}"));
        let http = reqwest::Client::builder()
            .timeout(crate::client::DEFAULT_TIMEOUT)
            // A redirected POST would carry the client secret to wherever it points.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("gist-client/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(OAuthClient {
            http,
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            authorize_url: endpoint("/oauth/authorize")?,
            token_url: endpoint("/oauth/token")?,
            revoke_url: endpoint("/oauth/revoke")?,
            body_format: BodyFormat::Form,
        })
    }

    /// Uses other endpoint URLs, for a server that does not follow gistd's layout (Gist's
    /// quick start, for one, posts to `/oauth2/token`).
    pub fn with_endpoints(
        mut self,
        authorize_url: &str,
        token_url: &str,
        revoke_url: &str,
    ) -> Result<OAuthClient> {
        self.authorize_url = parse_endpoint(authorize_url)?;
        self.token_url = parse_endpoint(token_url)?;
        self.revoke_url = parse_endpoint(revoke_url)?;
        Ok(self)
    }

    /// Sends token and revocation requests as `format` (a form by default).
    pub fn with_body_format(mut self, format: BodyFormat) -> OAuthClient {
        self.body_format = format;
        self
    }

    /// Uses `http` for the token and revocation requests. Give it a redirect policy of
    /// `none`: a followed redirect would re-send the client secret.
    pub fn with_http_client(mut self, http: reqwest::Client) -> OAuthClient {
        self.http = http;
        self
    }

    /// The app's client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The redirect URI sent with every authorization request and code exchange.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Starts an authorization URL asking for `scope` (space-separated scope names; empty
    /// asks for every scope the app is registered with).
    pub fn authorization(&self, scope: &str) -> AuthorizationBuilder<'_> {
        AuthorizationBuilder {
            oauth: self,
            scope: scope.to_owned(),
            state: None,
            pkce: false,
            prompt: None,
        }
    }

    /// Exchanges the `code` from the redirect for tokens (RFC 6749 section 4.1.3), with
    /// the PKCE verifier when the authorization URL carried a challenge.
    pub async fn exchange_code(
        &self,
        code: &str,
        pkce_verifier: Option<&PkceVerifier>,
    ) -> Result<TokenSet> {
        let mut params = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &self.redirect_uri),
        ];
        if let Some(verifier) = pkce_verifier {
            params.push(("code_verifier", verifier.secret()));
        }
        self.token_request(&params).await
    }

    /// Uses a refresh token for a new access token (RFC 6749 section 6). gistd rotates
    /// refresh tokens: keep the returned one, the old one no longer works.
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenSet> {
        let params = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        let mut tokens = self.token_request(&params).await?;
        // RFC 6749 section 6: a server that issues no new refresh token leaves the old
        // one valid, so keep it.
        if tokens.refresh_token.is_none() {
            tokens.refresh_token = Some(refresh_token.to_owned());
        }
        Ok(tokens)
    }

    /// Revokes a token (RFC 7009). On gistd a refresh token ends its whole grant, an
    /// access token only itself. Unknown tokens succeed too (section 2.2).
    pub async fn revoke(&self, token: &str) -> Result<()> {
        let response = self
            .post(&self.revoke_url, &[("token", token)])
            .send()
            .await?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let bytes = response.bytes().await?;
        Err(oauth_error(status.as_u16(), &bytes))
    }

    async fn token_request(&self, params: &[(&str, &str)]) -> Result<TokenSet> {
        let response = self.post(&self.token_url, params).send().await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        if !status.is_success() {
            return Err(oauth_error(status.as_u16(), &bytes));
        }
        let response: TokenResponse = serde_json::from_slice(&bytes)?;
        Ok(TokenSet::from_response(response, unix_now()))
    }

    /// A POST to `url` with `params` and the client's credentials in the body.
    fn post(&self, url: &Url, params: &[(&str, &str)]) -> reqwest::RequestBuilder {
        let mut body: Vec<(&str, &str)> = params.to_vec();
        body.push(("client_id", &self.client_id));
        body.push(("client_secret", &self.client_secret));
        let request = self
            .http
            .post(url.clone())
            .header(reqwest::header::ACCEPT, "application/json");
        match self.body_format {
            BodyFormat::Form => request.form(&body),
            BodyFormat::Json => {
                let object: serde_json::Map<String, serde_json::Value> = body
                    .into_iter()
                    .map(|(name, value)| (name.to_owned(), value.into()))
                    .collect();
                request.json(&object)
            }
        }
    }
}

/// Builds an authorization URL; from [`OAuthClient::authorization`].
#[derive(Debug)]
#[must_use = "call `build()` to get the URL"]
pub struct AuthorizationBuilder<'a> {
    oauth: &'a OAuthClient,
    scope: String,
    state: Option<String>,
    pkce: bool,
    prompt: Option<String>,
}

impl AuthorizationBuilder<'_> {
    /// Sends this `state` instead of a random one. Gist's quick start passes the
    /// workspace's slug as `state` (gistd then pre-selects that workspace); the state
    /// then no longer protects against cross-site request forgery, so prefer
    /// [`pkce`](Self::pkce) as well.
    pub fn state(mut self, state: impl Into<String>) -> Self {
        self.state = Some(state.into());
        self
    }

    /// Adds a PKCE S256 challenge; the verifier is in [`Authorization::pkce_verifier`].
    pub fn pkce(mut self) -> Self {
        self.pkce = true;
        self
    }

    /// Sends `prompt` (`consent` always shows the consent page, `none` never does).
    pub fn prompt(mut self, prompt: impl Into<String>) -> Self {
        self.prompt = Some(prompt.into());
        self
    }

    /// The URL to send the user to, with what the callback needs to check the answer.
    pub fn build(self) -> Authorization {
        let state = self.state.unwrap_or_else(pkce::random_token);
        let pkce_verifier = self.pkce.then(PkceVerifier::generate);
        let mut url = self.oauth.authorize_url.clone();
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &self.oauth.client_id)
                .append_pair("redirect_uri", &self.oauth.redirect_uri);
            if !self.scope.trim().is_empty() {
                query.append_pair("scope", self.scope.trim());
            }
            query.append_pair("state", &state);
            if let Some(verifier) = &pkce_verifier {
                query
                    .append_pair("code_challenge", &verifier.challenge())
                    .append_pair("code_challenge_method", "S256");
            }
            if let Some(prompt) = &self.prompt {
                query.append_pair("prompt", prompt);
            }
        }
        Authorization {
            url,
            state,
            pkce_verifier,
        }
    }
}

/// An authorization request: the URL for the user, and what to keep (in the user's
/// session) until the callback.
#[derive(Debug, Clone)]
pub struct Authorization {
    /// Where to send the user's browser.
    pub url: Url,
    /// The `state` sent; the callback must receive the same one back.
    pub state: String,
    /// The PKCE verifier, when [`AuthorizationBuilder::pkce`] was asked for.
    pub pkce_verifier: Option<PkceVerifier>,
}

impl Authorization {
    /// Whether the `state` the callback received is the one sent, compared in constant
    /// time.
    pub fn state_matches(&self, returned: &str) -> bool {
        let (sent, returned) = (self.state.as_bytes(), returned.as_bytes());
        sent.len() == returned.len()
            && sent
                .iter()
                .zip(returned)
                .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                == 0
    }
}

/// The tokens of one grant, as kept by a [`TokenStore`]: what the token endpoint
/// returned, with the expiry turned into a point in time.
///
/// `Debug` hides both tokens.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSet {
    /// The bearer token for API calls.
    pub access_token: String,
    /// The token that obtains the next access token, when the server issued one.
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// When the access token expires, Unix seconds; `None` when it does not.
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// The granted scopes, space-separated.
    pub scope: String,
    /// The slug of the workspace the grant is for.
    pub workspace_id: String,
    /// The workspace's display name.
    pub workspace_name: String,
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"<redacted>")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .field("workspace_id", &self.workspace_id)
            .finish()
    }
}

impl TokenSet {
    /// The tokens of a token endpoint answer received at `now` (Unix seconds).
    pub fn from_response(response: TokenResponse, now: i64) -> TokenSet {
        TokenSet {
            access_token: response.access_token,
            refresh_token: response.refresh_token,
            expires_at: response.expires_in.map(|seconds| now + seconds),
            scope: response.scope,
            workspace_id: response.workspace_id,
            workspace_name: response.workspace_name,
        }
    }

    /// Whether the access token has expired, or will within `margin`, at `now`.
    pub fn expires_within(&self, margin: Duration, now: i64) -> bool {
        let margin = i64::try_from(margin.as_secs()).unwrap_or(i64::MAX);
        self.expires_at
            .is_some_and(|expires_at| expires_at.saturating_sub(margin) <= now)
    }
}

/// The error of an OAuth endpoint: RFC 6749's `{error, error_description}` when the body
/// is one, otherwise the status alone.
fn oauth_error(status: u16, body: &[u8]) -> Error {
    match serde_json::from_slice::<OAuthErrorResponse>(body) {
        Ok(body) => Error::OAuth {
            status,
            error: body.error,
            description: body.error_description,
        },
        Err(_) => Error::Api {
            status,
            errors: Vec::new(),
        },
    }
}

fn parse_endpoint(url: &str) -> Result<Url> {
    Url::parse(url)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
        .ok_or_else(|| Error::InvalidUrl(url.to_owned()))
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oauth() -> OAuthClient {
        OAuthClient::new(
            "http://127.0.0.1:8080/",
            "client-1",
            "gcs_secret",
            "http://127.0.0.1:3000/oauth/gist/callback",
        )
        .expect("client")
    }

    #[test]
    fn the_authorization_url_carries_the_request_and_a_random_state() {
        let auth = oauth()
            .authorization("read_contact read_teammates")
            .pkce()
            .build();
        let query: Vec<(String, String)> = auth.url.query_pairs().into_owned().collect();
        let get = |name: &str| {
            query
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        assert!(
            auth.url
                .as_str()
                .starts_with("http://127.0.0.1:8080/oauth/authorize?")
        );
        assert_eq!(get("response_type"), Some("code"));
        assert_eq!(get("client_id"), Some("client-1"));
        assert_eq!(get("scope"), Some("read_contact read_teammates"));
        assert_eq!(get("state"), Some(auth.state.as_str()));
        assert_eq!(auth.state.len(), 43);
        let verifier = auth.pkce_verifier.as_ref().expect("verifier");
        assert_eq!(get("code_challenge"), Some(verifier.challenge().as_str()));
        assert_eq!(get("code_challenge_method"), Some("S256"));
        assert!(auth.state_matches(&auth.state.clone()));
        assert!(!auth.state_matches("other"));
    }

    #[test]
    fn a_given_state_is_sent_unchanged_and_no_pkce_unless_asked() {
        let auth = oauth().authorization("").state("acme").build();
        assert_eq!(auth.state, "acme");
        assert!(auth.pkce_verifier.is_none());
        assert!(!auth.url.as_str().contains("code_challenge"));
        assert!(!auth.url.as_str().contains("scope="));
    }

    #[test]
    fn secrets_are_not_in_debug_output() {
        assert!(!format!("{:?}", oauth()).contains("gcs_secret"));
        let tokens = TokenSet {
            access_token: "gat_a".into(),
            refresh_token: Some("grt_r".into()),
            expires_at: Some(100),
            scope: "read_contact".into(),
            workspace_id: "acme".into(),
            workspace_name: "Acme".into(),
        };
        let debug = format!("{tokens:?}");
        assert!(!debug.contains("gat_a") && !debug.contains("grt_r"));
        assert!(tokens.expires_within(Duration::from_secs(60), 41));
        assert!(!tokens.expires_within(Duration::from_secs(60), 39));
    }
}
