//! Token introspection (RFC 7662), for authenticated clients. A client sees only its own
//! tokens: anyone else's, like a dead or unknown token, is `{"active": false}` and
//! nothing more (section 2.2).

use super::client_auth::authenticate_token_request;
use crate::domain::secret::{SecretHash, SecretKind};
use crate::http::error::{OAuthError, no_store_headers};
use crate::http::state::AppState;
use crate::storage::grants;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::IntoResponse;
use gist_types::IntrospectionResponse;

/// `POST /oauth/introspect`.
pub async fn introspect_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<impl IntoResponse, OAuthError> {
    let (app, token) = authenticate_token_request(&state, &headers, &uri, &body).await?;
    let token = token.as_str();
    let hash = SecretHash::of(token);

    let response = match SecretKind::of(token) {
        Some(SecretKind::AccessToken) => {
            grants::find_live_access_token(&state.db, hash.as_str(), state.now())
                .await?
                .filter(|record| record.app_id == app.id)
                .map(|record| IntrospectionResponse {
                    active: true,
                    scope: Some(record.scope),
                    client_id: Some(record.client_id),
                    token_type: Some("access_token".into()),
                    exp: record.expires_at,
                    iat: Some(record.created_at),
                    sub: Some(record.user_id.to_string()),
                    workspace_id: Some(record.workspace_slug),
                })
        }
        Some(SecretKind::RefreshToken) => {
            grants::find_live_refresh_token(&state.db, hash.as_str(), app.id)
                .await?
                .map(|record| IntrospectionResponse {
                    active: true,
                    scope: Some(record.scope),
                    client_id: Some(record.client_id),
                    token_type: Some("refresh_token".into()),
                    exp: None,
                    iat: Some(record.created_at),
                    sub: Some(record.user_id.to_string()),
                    workspace_id: Some(record.workspace_slug),
                })
        }
        _ => None,
    };
    Ok((no_store_headers(), Json(response.unwrap_or_default())))
}
