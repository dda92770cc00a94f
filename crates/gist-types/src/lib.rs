//! Wire types of the Gist REST API and of gistd's OAuth 2 endpoints.
//!
//! The server renders these and clients (the `gist-client` SDK, tests) parse them, so the
//! two sides cannot drift apart. Field names follow what Gist's own clients read; see
//! `docs/oauth.md` in the repository for where gistd follows Gist and where the RFCs.

use serde::{Deserialize, Serialize};

pub mod contacts;
pub mod lenient;
pub mod segments;
pub mod tags;

pub use contacts::{
    Contact, ContactRequest, ContactResponse, ContactTagItem, ContactType, ContactsBatchRequest,
    ContactsResponse,
};
pub use segments::{Segment, SegmentResponse, SegmentsResponse};
pub use tags::{Tag, TagContactItem, TagRequest, TagResponse, TagsResponse};

pub mod conversations;
pub mod events;
pub mod marketing;
pub mod pages;
pub mod teams;

/// One entry of the `errors` list every REST API error carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiErrorItem {
    /// A stable machine-readable code such as `unauthorized` or `not_found`.
    pub code: String,
    /// A sentence for a person.
    pub message: String,
}

/// The body of every REST API error response: `{"errors": [{"code": ..., "message": ...}]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiErrorBody {
    /// At least one error.
    pub errors: Vec<ApiErrorItem>,
}

/// A teammate: a member of the workspace, as Gist's teammate object shows one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Teammate {
    /// The teammate's id within its workspace.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Log-in email address.
    pub email: String,
    /// Avatar URL, or null when the teammate has none.
    pub avatar: Option<String>,
    /// `online` or `away`.
    pub agent_status: String,
    /// When the teammate was last active, as an ISO-8601 string (Gist uses a string here,
    /// unlike the Unix seconds elsewhere).
    pub last_active_on: Option<String>,
    /// Whether the teammate has switched on away mode.
    pub away_mode_enabled: bool,
    /// Ids of the teams the teammate belongs to.
    pub team_ids: Vec<i64>,
    /// Whether the teammate has a seat in the inbox.
    pub has_inbox_seat: bool,
    /// The teammate's role in the workspace: `owner`, `admin` or `member`.
    pub role: String,
}

/// `GET /teammates`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeammatesResponse {
    /// Every teammate of the workspace.
    pub teammates: Vec<Teammate>,
}

/// `GET /teammates/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeammateResponse {
    /// The teammate.
    pub teammate: Teammate,
}

/// A successful token endpoint response (RFC 6749 section 5.1, plus Gist's workspace).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    /// The bearer token for API calls.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires; absent when access tokens never expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<i64>,
    /// The token that obtains the next access token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The granted scopes, space-separated, in a stable order.
    pub scope: String,
    /// The identifier (slug) of the workspace the grant is for. gistd always sends it;
    /// it defaults to empty so responses of servers that omit it still decode.
    #[serde(default)]
    pub workspace_id: String,
    /// The workspace's display name (defaults to empty, as `workspace_id`).
    #[serde(default)]
    pub workspace_name: String,
}

/// An OAuth 2 error response body (RFC 6749 section 5.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OAuthErrorResponse {
    /// One of the RFC 6749 error codes, such as `invalid_grant`.
    pub error: String,
    /// A sentence for the developer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

/// An RFC 7662 introspection response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntrospectionResponse {
    /// Whether the token is live. When false, no other member is present.
    pub active: bool,
    /// Granted scopes, space-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The client the token was issued to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// `access_token` or `refresh_token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Expiry, Unix seconds; absent for tokens that do not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Issue time, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// The id of the user who granted access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// The workspace (slug) the token acts on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
}
