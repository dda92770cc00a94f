//! The `authorization_code` grant (RFC 6749 section 4.1.3, RFC 7636 section 4.6).

use super::token::TokenPair;
use crate::domain::pkce::{CodeChallenge, CodeVerifier};
use crate::domain::scope::ScopeSet;
use crate::domain::secret::SecretHash;
use crate::http::error::OAuthError;
use crate::http::forms::Fields;
use crate::http::state::AppState;
use crate::storage::apps::App;
use crate::storage::grants::{self, Redemption};
use crate::storage::workspaces;
use gist_types::TokenResponse;

/// Exchanges a code for tokens. The code must belong to `app` (another client's code is
/// "not valid", revealing nothing), be unexpired and unused,
/// come with the same redirect URI as the authorization request, and satisfy its PKCE
/// challenge if it had one (and come with no verifier if it had none).
pub async fn exchange(
    state: &AppState,
    app: &App,
    fields: &Fields,
) -> Result<TokenResponse, OAuthError> {
    let code = fields
        .non_empty("code")
        .ok_or_else(|| OAuthError::invalid_request("code is missing."))?;
    let redirect_uri = fields.non_empty("redirect_uri").ok_or_else(|| {
        OAuthError::invalid_request("redirect_uri is missing; send the one used at authorization.")
    })?;
    let verifier = match fields.non_empty("code_verifier") {
        Some(value) => Some(
            CodeVerifier::parse(value).map_err(|e| OAuthError::invalid_request(e.to_string()))?,
        ),
        None => None,
    };

    let now = state.now();
    let pair = TokenPair::generate(state, now);
    let code_hash = SecretHash::of(code);
    // The access token's scope is the code's; it is only known once the code is claimed,
    // so the stored scope is filled in from the claimed record inside the transaction.
    let redirect_uri = redirect_uri.to_owned();
    let redemption = grants::redeem_code(
        &state.db,
        code_hash.as_str(),
        app.id,
        pair.to_store(None),
        now,
        move |record| {
            if record.expires_at <= now {
                return Err("The code has expired.");
            }
            if record.redirect_uri != redirect_uri {
                return Err("redirect_uri differs from the one sent at authorization.");
            }
            match (&record.code_challenge, &verifier) {
                (Some(challenge), Some(verifier)) => {
                    if !CodeChallenge::from_stored(challenge.clone()).is_satisfied_by(verifier) {
                        return Err("code_verifier does not match the code_challenge.");
                    }
                }
                (Some(_), None) => {
                    return Err("The authorization used PKCE: code_verifier is required.");
                }
                (None, Some(_)) => {
                    return Err(
                        "The authorization did not use PKCE: code_verifier is not allowed.",
                    );
                }
                (None, None) => {}
            }
            Ok(())
        },
    )
    .await?;

    match redemption {
        Redemption::Issued { code, grant_id } => {
            let workspace = workspaces::find_workspace(&state.db, code.workspace_id)
                .await?
                .ok_or_else(|| OAuthError::invalid_grant("The workspace no longer exists."))?;
            tracing::info!(client.id = %app.client_id, grant.id = grant_id, workspace.id = workspace.id, "code exchanged");
            Ok(pair.into_response(state, &ScopeSet::from_stored(&code.scope), &workspace))
        }
        Redemption::Unknown => Err(OAuthError::invalid_grant("The code is not valid.")),
        Redemption::Replayed => {
            tracing::warn!(client.id = %app.client_id, "authorization code replayed; its grant is revoked");
            Err(OAuthError::invalid_grant(
                "The code was already used; the tokens issued from it are revoked.",
            ))
        }
        Redemption::Burnt => {
            tracing::info!(client.id = %app.client_id, "code presented again after a refused attempt");
            Err(OAuthError::invalid_grant(
                "The code was already used by a request that was refused; start a new authorization.",
            ))
        }
        Redemption::Rejected(reason) => {
            tracing::info!(client.id = %app.client_id, reason, "code refused");
            Err(OAuthError::invalid_grant(reason))
        }
    }
}
