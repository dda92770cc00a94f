//! Client authentication at the token, revocation and introspection endpoints
//! (RFC 6749 section 2.3.1): `client_secret_basic` or `client_secret_post`, never both.
//!
//! Basic credentials are form-url-encoded before base64 encoding, so a secret holding
//! `+`, `/`, `:` `=` or `%` survives the trip; a malformed escape fails authentication
//! cleanly. Secrets are compared by hash in constant time, and an unknown client costs
//! the same hash and comparison as a known one.

use crate::domain::secret::SecretHash;
use crate::http::error::OAuthError;
use crate::http::forms::Fields;
use crate::http::state::AppState;
use crate::storage::apps::{self, App};
use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Authenticates the client of a request, returning its app.
pub async fn authenticate_client(
    state: &AppState,
    headers: &HeaderMap,
    fields: &Fields,
) -> Result<App, OAuthError> {
    let basic = match headers.get(header::AUTHORIZATION) {
        Some(value) => Some(parse_basic(value.to_str().unwrap_or(""))?),
        None => None,
    };
    let posted_secret = fields.get("client_secret");

    let (client_id, secret) = match (basic, posted_secret) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request(
                "Use one client authentication method: HTTP Basic or client_secret in the body, not both.",
            ));
        }
        (Some((id, secret)), None) => {
            if fields.get("client_id").is_some_and(|posted| posted != id) {
                return Err(OAuthError::invalid_request(
                    "client_id in the body differs from the Basic credentials.",
                ));
            }
            (id, secret)
        }
        (None, Some(secret)) => {
            let id = fields
                .get("client_id")
                .ok_or_else(|| OAuthError::invalid_client("client_id is missing."))?;
            (id.to_owned(), secret.to_owned())
        }
        (None, None) => {
            return Err(OAuthError::invalid_client(
                "Client authentication is required: HTTP Basic, or client_id and client_secret in the body.",
            ));
        }
    };

    let presented = SecretHash::of(&secret);
    let app = apps::find_app_by_client_id(&state.db, &client_id).await?;
    let stored = app
        .as_ref()
        .map(|app| SecretHash::from_stored(app.secret_hash.clone()))
        .unwrap_or_else(|| SecretHash::of("no client has this secret"));
    let matches = presented.matches(&stored);
    match app {
        Some(app) if matches => Ok(app),
        _ => {
            tracing::info!("client authentication failed");
            Err(OAuthError::invalid_client("Client authentication failed."))
        }
    }
}

/// Reads a client-authenticated request about one token (revocation, introspection):
/// returns the authenticated app and the `token` parameter.
pub async fn authenticate_token_request(
    state: &AppState,
    headers: &HeaderMap,
    uri: &axum::http::Uri,
    body: &axum::body::Bytes,
) -> Result<(App, String), OAuthError> {
    let fields = super::params::read_params(headers, uri, body)?;
    let app = authenticate_client(state, headers, &fields).await?;
    let token = fields
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is missing."))?;
    Ok((app, token.to_owned()))
}

/// Splits and decodes `Basic base64(urlencode(id) ":" urlencode(secret))`.
fn parse_basic(header_value: &str) -> Result<(String, String), OAuthError> {
    let invalid = || {
        OAuthError::invalid_client("The Authorization header is not valid HTTP Basic credentials.")
    };
    let (scheme, encoded) = header_value.trim().split_once(' ').ok_or_else(invalid)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(invalid());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| invalid())?;
    let decoded = String::from_utf8(decoded).map_err(|_| invalid())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(invalid)?;
    Ok((
        form_url_decode(id).ok_or_else(invalid)?,
        form_url_decode(secret).ok_or_else(invalid)?,
    ))
}

/// Strict `application/x-www-form-urlencoded` decoding of one value: `+` is a space,
/// `%XX` a byte, anything else literal; a broken escape or non-UTF-8 result is `None`.
fn form_url_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(index + 1..index + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                index += 2;
            }
            other => out.push(other),
        }
        index += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(raw: &str) -> String {
        format!("Basic {}", STANDARD.encode(raw))
    }

    #[test]
    fn basic_credentials_are_form_url_decoded() {
        let (id, secret) = parse_basic(&basic("my%20client:a%2Bb%2Fc%3Ad%3De%25f+g")).unwrap();
        assert_eq!(id, "my client");
        assert_eq!(secret, "a+b/c:d=e%f g");
    }

    #[test]
    fn only_the_first_colon_splits() {
        let (_, secret) = parse_basic(&basic("id:with:colons")).unwrap();
        assert_eq!(secret, "with:colons");
    }

    #[test]
    fn malformed_credentials_are_refused() {
        for raw in ["no-colon", "id:%G1", "id:%4", "id:%"] {
            assert!(parse_basic(&basic(raw)).is_err(), "{raw}");
        }
        assert!(parse_basic("Basic !!!").is_err());
        assert!(parse_basic("Bearer abc").is_err());
        assert!(parse_basic(&format!("basic {}", STANDARD.encode("a:b"))).is_ok());
    }
}
