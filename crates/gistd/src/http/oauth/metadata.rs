//! Authorization server metadata (RFC 8414), with absolute endpoint URLs under the
//! configured base URL.

use crate::domain::scope::Scope;
use crate::http::state::AppState;
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

/// `GET /.well-known/oauth-authorization-server`.
pub async fn show_metadata(State(state): State<AppState>) -> Json<Value> {
    let base = &state.base_url;
    Json(json!({
        "issuer": base.as_ref(),
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "introspection_endpoint": format!("{base}/oauth/introspect"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": Scope::ALL.iter().map(|scope| scope.slug()).collect::<Vec<_>>(),
        "authorization_response_iss_parameter_supported": true,
    }))
}
