//! The REST API under `/api`: Gist's endpoints, authorised by a workspace API key (all
//! access) or an OAuth access token (its granted scopes only), both sent as
//! `Authorization: Bearer` (RFC 6750 section 2.1; the scheme is matched in any case).
//!
//! Every resource module offers `routes()`, an [`OpenApiRouter`] whose handlers carry
//! `#[utoipa::path]` annotations, so the OpenAPI document at `/api/openapi.json` is built
//! from the same list of routes the server answers and cannot miss one.

use crate::domain::scope::{Scope, ScopeSet};
use crate::domain::secret::{SecretHash, SecretKind};
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::storage::{grants, workspaces};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub mod campaigns;
pub mod contacts;
pub mod conventions;
pub mod conversations;
pub mod docs;
pub mod events;
pub mod forms;
mod rate_limit;
pub mod segments;
pub mod subscription_types;
pub mod tags;
pub mod teammates;
pub mod teams;

use rate_limit::RateSlot;
pub use rate_limit::{RateLimit, RateLimiter, add_rate_limit_headers};

/// The API's OpenAPI document skeleton; paths are added by the resource routers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "gistd REST API",
        description = "Gist-compatible REST API. Authenticate with `Authorization: Bearer` and \
                       a workspace API key or an OAuth access token."
    ),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every API route (paths relative to `/api`) with its OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(teammates::routes())
        .merge(contacts::routes())
        .merge(tags::routes())
        .merge(segments::routes())
        .merge(conversations::routes())
        .merge(teams::routes())
        .merge(events::routes())
        .merge(forms::routes())
        .merge(campaigns::routes())
        .merge(subscription_types::routes())
}

/// Every path under `/api` that names no endpoint.
pub async fn unknown_endpoint() -> ApiError {
    ApiError::NotFound("No API endpoint has this path; see /api/docs.".into())
}

/// A known API path called with a method it does not answer.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

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

    /// Refuses OAuth tokens: for endpoints no documented scope covers.
    pub fn require_api_key(&self) -> Result<(), ApiError> {
        match self.scopes {
            Some(_) => Err(ApiError::ApiKeyRequired),
            None => Ok(()),
        }
    }
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<ApiCaller, ApiError> {
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
            let scopes = Some(ScopeSet::from_stored(&record.scope));
            Ok(ApiCaller {
                workspace_id: record.workspace_id,
                scopes,
            })
        }
        _ => Err(ApiError::InvalidToken),
    }
}

/// Authenticates the caller, then counts the request against its workspace's rate limit
/// (requests with bad credentials are not counted: they name no workspace).
impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let caller = authenticate(parts, state).await?;

        let limit = state
            .rate_limiter
            .count(state, caller.workspace_id, state.now())
            .await?;
        if let Some(slot) = parts.extensions.get::<RateSlot>()
            && let Ok(mut guard) = slot.0.lock()
        {
            *guard = Some(limit);
        }
        if limit.exceeded() {
            tracing::info!(workspace.id = caller.workspace_id, "API rate limit reached");
            return Err(ApiError::RateLimited(limit));
        }
        Ok(caller)
    }
}
