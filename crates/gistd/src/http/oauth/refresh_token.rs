//! The `refresh_token` grant (RFC 6749 section 6) with rotation: every refresh consumes
//! the presented refresh token and issues a new pair. Replaying a consumed token revokes
//! the whole grant (RFC 9700 section 4.14.2), except within a short grace period, where
//! it is the loser of two concurrent refreshes and is refused without revoking the
//! winner's new tokens.

use super::token::TokenPair;
use crate::domain::scope::ScopeSet;
use crate::domain::secret::SecretHash;
use crate::http::error::{OAuthError, OAuthErrorCode};
use crate::http::forms::Fields;
use crate::http::state::AppState;
use crate::storage::apps::App;
use crate::storage::grants::{self, Rotation};
use crate::storage::workspaces;
use gist_types::TokenResponse;

/// Rotates a refresh token of `app`. A `scope` parameter may narrow the new access
/// token's scope, never widen it; the new refresh token keeps the grant's scope.
pub async fn exchange(
    state: &AppState,
    app: &App,
    fields: &Fields,
) -> Result<TokenResponse, OAuthError> {
    let token = fields
        .non_empty("refresh_token")
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is missing."))?;
    let requested = match fields.non_empty("scope") {
        Some(text) => Some(
            ScopeSet::parse(text)
                .map_err(|e| OAuthError::new(OAuthErrorCode::InvalidScope, format!("{e}.")))?,
        ),
        None => None,
    };
    // A scope of only separators (`scope=+`) names no scope: treated as omitted, as at the
    // authorization endpoint, rather than as a request for a token with no scope at all.
    let requested = requested.filter(|scope| !scope.is_empty());
    let requested_text = requested.as_ref().map(ScopeSet::to_string);

    let now = state.now();
    let pair = TokenPair::generate(state, now);
    let token_hash = SecretHash::of(token);
    let requested_for_check = requested.clone();
    let rotation = grants::rotate_refresh_token(
        &state.db,
        token_hash.as_str(),
        app.id,
        pair.to_store(requested_text.clone()),
        now,
        state.settings.refresh_reuse_grace_seconds,
        move |granted| match &requested_for_check {
            Some(requested) if !requested.is_subset_of(&ScopeSet::from_stored(granted)) => {
                Err("The requested scope is wider than the grant's.")
            }
            _ => Ok(()),
        },
    )
    .await?;

    match rotation {
        Rotation::Rotated {
            grant_id,
            workspace_id,
            scope,
        } => {
            let workspace = workspaces::find_workspace(&state.db, workspace_id)
                .await?
                .ok_or_else(|| OAuthError::invalid_grant("The workspace no longer exists."))?;
            let scope = requested.unwrap_or_else(|| ScopeSet::from_stored(&scope));
            tracing::info!(client.id = %app.client_id, grant.id = grant_id, "refresh token rotated");
            Ok(pair.into_response(state, &scope, &workspace))
        }
        Rotation::Unknown => Err(OAuthError::invalid_grant("The refresh token is not valid.")),
        Rotation::RecentlyRotated => Err(OAuthError::invalid_grant(
            "The refresh token was just used by another request; use the tokens that request received.",
        )),
        Rotation::Reused => {
            tracing::warn!(client.id = %app.client_id, "rotated refresh token reused; its grant is revoked");
            Err(OAuthError::invalid_grant(
                "The refresh token was already used; the grant is revoked.",
            ))
        }
        Rotation::Rejected(reason) => Err(OAuthError::new(OAuthErrorCode::InvalidScope, reason)),
    }
}
