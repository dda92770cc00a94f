//! The OAuth 2 authorization server: the authorization endpoint with its consent page,
//! the token endpoint (one file per grant type), revocation (RFC 7009), introspection
//! (RFC 7662) and server metadata (RFC 8414).

pub mod authorization_code;
pub mod authorize;
pub mod client_auth;
pub mod introspect;
pub mod metadata;
pub mod params;
pub mod refresh_token;
pub mod revoke;
pub mod token;
