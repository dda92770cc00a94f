//! The token endpoint (RFC 6749 section 3.2), served at `/oauth/token` and, as Gist's
//! quick start uses it, `/oauth2/token`. It authenticates the client, then hands over to
//! the grant type's own module.

use super::client_auth::authenticate_client;
use super::params::read_params;
use super::{authorization_code, refresh_token};
use crate::domain::scope::ScopeSet;
use crate::domain::secret::{Secret, SecretKind};
use crate::http::error::{OAuthError, OAuthErrorCode, no_store_headers};
use crate::http::state::AppState;
use crate::storage::grants::NewTokens;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use gist_types::TokenResponse;

/// `POST /oauth/token`.
pub async fn issue_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let fields = read_params(&headers, &uri, &body)?;
    // Authenticate before looking at the grant, so a request that fails client
    // authentication never consumes a code: clients such as golang/oauth2 retry with
    // the other authentication method and must then succeed.
    let app = authenticate_client(&state, &headers, &fields).await?;

    let response = match fields.get("grant_type") {
        Some("authorization_code") => authorization_code::exchange(&state, &app, &fields).await?,
        Some("refresh_token") => refresh_token::exchange(&state, &app, &fields).await?,
        Some(other) => {
            return Err(OAuthError::new(
                OAuthErrorCode::UnsupportedGrantType,
                format!(
                    "grant_type `{other}` is not supported; use authorization_code or refresh_token."
                ),
            ));
        }
        None => return Err(OAuthError::invalid_request("grant_type is missing.")),
    };
    Ok((no_store_headers(), Json(response)).into_response())
}

/// A freshly generated access and refresh token.
pub struct TokenPair {
    /// The access token.
    pub access: Secret,
    /// The refresh token.
    pub refresh: Secret,
    access_hash: String,
    refresh_hash: String,
    /// Access token expiry, if it expires.
    pub access_expires_at: Option<i64>,
}

impl TokenPair {
    /// Generates a pair whose access token lives as long as the settings say.
    pub fn generate(state: &AppState, now: i64) -> TokenPair {
        let access = Secret::generate(SecretKind::AccessToken);
        let refresh = Secret::generate(SecretKind::RefreshToken);
        TokenPair {
            access_hash: access.hash().as_str().to_owned(),
            refresh_hash: refresh.hash().as_str().to_owned(),
            access,
            refresh,
            access_expires_at: state.settings.access_token_ttl.map(|ttl| now + ttl),
        }
    }

    /// The hashes to store, with the access token's scope when narrower than the grant's.
    pub fn to_store(&self, access_scope: Option<String>) -> NewTokens {
        NewTokens {
            access_hash: self.access_hash.clone(),
            refresh_hash: self.refresh_hash.clone(),
            access_scope,
            access_expires_at: self.access_expires_at,
        }
    }

    /// The token response for this pair.
    pub fn into_response(
        self,
        state: &AppState,
        scope: &ScopeSet,
        workspace: &crate::storage::workspaces::Workspace,
    ) -> TokenResponse {
        TokenResponse {
            access_token: self.access.expose().to_owned(),
            token_type: "Bearer".to_owned(),
            expires_in: state.settings.access_token_ttl,
            refresh_token: Some(self.refresh.expose().to_owned()),
            scope: scope.to_string(),
            workspace_id: workspace.slug.clone(),
            workspace_name: workspace.name.clone(),
        }
    }
}
