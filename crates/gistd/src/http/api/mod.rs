//! The REST API under `/api`: Gist's endpoints, authorised by a workspace API key (all
//! access) or an OAuth access token (its granted scopes only), both sent as
//! `Authorization: Bearer` (RFC 6750 section 2.1; the scheme is matched in any case).

use crate::domain::scope::{Scope, ScopeSet};
use crate::domain::secret::{SecretHash, SecretKind};
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::storage::{grants, workspaces};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

pub mod teammates;

/// Who is calling the API, and on which workspace.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    /// The workspace the credential acts on.
    pub workspace_id: i64,
    /// `None` for an API key (all access); the granted scopes for an OAuth token.
    pub scopes: Option<ScopeSet>,
}

impl ApiCaller {
    /// Refuses the request unless the caller may use `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        match &self.scopes {
            Some(granted) if !granted.contains(scope) => Err(ApiError::InsufficientScope(scope)),
            _ => Ok(()),
        }
    }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or(ApiError::MissingCredentials)?
            .to_str()
            .map_err(|_| ApiError::InvalidToken)?;
        let (scheme, token) = header
            .trim()
            .split_once(' ')
            .ok_or(ApiError::InvalidToken)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(ApiError::MissingCredentials);
        }
        let token = token.trim();
        let hash = SecretHash::of(token);

        match SecretKind::of(token) {
            Some(SecretKind::ApiKey) => {
                let workspace = workspaces::find_workspace_by_api_key(&state.db, hash.as_str())
                    .await?
                    .ok_or(ApiError::InvalidToken)?;
                Ok(ApiCaller {
                    workspace_id: workspace.id,
                    scopes: None,
                })
            }
            Some(SecretKind::AccessToken) => {
                let record = grants::find_live_access_token(&state.db, hash.as_str(), state.now())
                    .await?
                    .ok_or(ApiError::InvalidToken)?;
                Ok(ApiCaller {
                    workspace_id: record.workspace_id,
                    scopes: Some(ScopeSet::from_stored(&record.scope)),
                })
            }
            _ => Err(ApiError::InvalidToken),
        }
    }
}
