//! Token revocation (RFC 7009). The answer is 200 whether or not the token was known,
//! live, or the client's own (section 2.2), so the endpoint reveals nothing; a client can
//! only ever revoke its own tokens.

use super::client_auth::authenticate_token_request;
use crate::domain::secret::{SecretHash, SecretKind};
use crate::http::error::OAuthError;
use crate::http::state::AppState;
use crate::storage::grants;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;

/// `POST /oauth/revoke`. A refresh token revokes its whole grant; an access token only
/// itself. The token's prefix says which it is, so `token_type_hint` is not needed.
pub async fn revoke_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<impl IntoResponse, OAuthError> {
    let (app, token) = authenticate_token_request(&state, &headers, &uri, &body).await?;
    let token = token.as_str();
    let hash = SecretHash::of(token);
    let now = state.now();
    match SecretKind::of(token) {
        Some(SecretKind::AccessToken) => {
            grants::revoke_access_token(&state.db, hash.as_str(), app.id, now).await?
        }
        Some(SecretKind::RefreshToken) => {
            grants::revoke_grant_of_refresh_token(&state.db, hash.as_str(), app.id, now).await?
        }
        _ => {}
    }
    tracing::info!(client.id = %app.client_id, "revocation request handled");
    Ok((
        StatusCode::OK,
        crate::http::error::no_store_headers(),
        axum::Json(serde_json::json!({})),
    ))
}
