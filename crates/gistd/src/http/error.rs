//! The errors handlers return, and the one place each becomes an HTTP response.
//!
//! Three audiences, three shapes: people get an HTML page ([`PageError`]), OAuth clients
//! get RFC 6749 section 5.2 JSON ([`OAuthError`]), REST API clients get Gist's `errors`
//! envelope ([`ApiError`]). Internal causes are logged here and never sent.

use crate::service::ServiceError;
use crate::storage::StorageError;
use askama::Template;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use gist_types::{ApiErrorBody, ApiErrorItem, OAuthErrorResponse};

/// An error shown to a person as a page.
#[derive(Debug)]
pub enum PageError {
    /// 400, with a sentence saying what is wrong.
    BadRequest(String),
    /// 403, with a sentence saying why.
    Forbidden(String),
    /// 404.
    NotFound,
    /// 429, with a sentence saying when to try again.
    TooManyRequests(String),
    /// 500; the cause is logged, not shown.
    Internal(String),
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
    nav: super::pages::Nav,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            PageError::BadRequest(message) => (
                StatusCode::BAD_REQUEST,
                "Something is wrong with this request",
                message.as_str(),
            ),
            PageError::Forbidden(message) => {
                (StatusCode::FORBIDDEN, "Not allowed", message.as_str())
            }
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing at this address.",
            ),
            PageError::TooManyRequests(message) => (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                message.as_str(),
            ),
            PageError::Internal(cause) => {
                tracing::error!(error = %cause, "internal error while rendering a page");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The server failed to handle this request. Try again in a moment.",
                )
            }
        };
        let page = ErrorPage {
            title,
            message,
            nav: super::pages::Nav::anonymous(),
        };
        match page.render() {
            Ok(body) => (status, [(header::CACHE_CONTROL, "no-store")], Html(body)).into_response(),
            Err(_) => (status, message.to_owned()).into_response(),
        }
    }
}

impl From<StorageError> for PageError {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::Conflict(what) => PageError::BadRequest(format!(
                "{} already exists.",
                crate::service::capitalise(what)
            )),
            other => PageError::Internal(other.to_string()),
        }
    }
}

impl From<askama::Error> for PageError {
    fn from(error: askama::Error) -> Self {
        PageError::Internal(format!("template: {error}"))
    }
}

impl From<ServiceError> for PageError {
    fn from(error: ServiceError) -> Self {
        match error.user_message() {
            Some(message) => PageError::BadRequest(message),
            None => PageError::Internal(error.to_string()),
        }
    }
}

/// RFC 6749 section 5.2 error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthErrorCode {
    /// Malformed request.
    InvalidRequest,
    /// Client authentication failed.
    InvalidClient,
    /// Bad, expired, used or foreign code or refresh token.
    InvalidGrant,
    /// The client may not use this grant type.
    UnauthorizedClient,
    /// Unknown grant type.
    UnsupportedGrantType,
    /// Scope unknown, not allowed, or wider than granted.
    InvalidScope,
    /// The server failed.
    ServerError,
}

impl OAuthErrorCode {
    /// The code as sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthErrorCode::InvalidRequest => "invalid_request",
            OAuthErrorCode::InvalidClient => "invalid_client",
            OAuthErrorCode::InvalidGrant => "invalid_grant",
            OAuthErrorCode::UnauthorizedClient => "unauthorized_client",
            OAuthErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            OAuthErrorCode::InvalidScope => "invalid_scope",
            OAuthErrorCode::ServerError => "server_error",
        }
    }
}

/// An error from the token, revocation or introspection endpoint.
#[derive(Debug)]
pub struct OAuthError {
    /// The RFC 6749 code.
    pub code: OAuthErrorCode,
    /// A sentence for the client's developer.
    pub description: String,
}

impl OAuthError {
    /// An error with `code` and `description`.
    pub fn new(code: OAuthErrorCode, description: impl Into<String>) -> Self {
        OAuthError {
            code,
            description: description.into(),
        }
    }

    /// `invalid_request`.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidRequest, description)
    }

    /// `invalid_client`.
    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidClient, description)
    }

    /// `invalid_grant`.
    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidGrant, description)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let status = match self.code {
            OAuthErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
            OAuthErrorCode::ServerError => {
                tracing::error!(error = %self.description, "internal error at an OAuth endpoint");
                StatusCode::INTERNAL_SERVER_ERROR
            }
            _ => StatusCode::BAD_REQUEST,
        };
        let description = match self.code {
            OAuthErrorCode::ServerError => "The server failed; try again.".to_owned(),
            _ => self.description,
        };
        let body = OAuthErrorResponse {
            error: self.code.as_str().to_owned(),
            error_description: Some(description),
        };
        let mut response = (status, no_store_headers(), Json(body)).into_response();
        if self.code == OAuthErrorCode::InvalidClient {
            // RFC 6749 section 5.2: a 401 names the scheme the client should use.
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"gistd\""),
            );
        }
        response
    }
}

impl From<StorageError> for OAuthError {
    fn from(error: StorageError) -> Self {
        OAuthError::new(OAuthErrorCode::ServerError, error.to_string())
    }
}

/// `Cache-Control: no-store` and `Pragma: no-cache`, for responses that carry tokens
/// (RFC 6749 section 5.1).
pub fn no_store_headers() -> [(header::HeaderName, &'static str); 2] {
    [
        (header::CACHE_CONTROL, "no-store"),
        (header::PRAGMA, "no-cache"),
    ]
}

/// An error from the REST API, rendered as `{"errors": [{"code", "message"}]}`.
#[derive(Debug)]
pub enum ApiError {
    /// 401: no credentials (RFC 6750 section 3.1: no error code in the challenge).
    MissingCredentials,
    /// 401: unknown, expired or revoked token or key.
    InvalidToken,
    /// 403: the token lacks a scope.
    InsufficientScope(crate::domain::scope::Scope),
    /// 403: the endpoint needs the workspace API key, which OAuth tokens cannot stand in
    /// for (no documented scope covers it).
    ApiKeyRequired,
    /// 404.
    NotFound(String),
    /// 400.
    BadRequest(String),
    /// 405: the path exists but not with this method.
    MethodNotAllowed,
    /// 409: the write conflicts with existing data.
    Conflict(String),
    /// 413: the body is larger than the server accepts.
    PayloadTooLarge,
    /// 422: well-formed input that breaks a rule.
    Unprocessable(String),
    /// 429: the workspace used its requests for this window.
    RateLimited(crate::http::api::RateLimit),
    /// 500; the cause is logged, not sent.
    Internal(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, challenge) = match self {
            ApiError::MissingCredentials => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Send an API key or access token as `Authorization: Bearer <token>`.".to_owned(),
                Some("Bearer realm=\"gistd\"".to_owned()),
            ),
            ApiError::InvalidToken => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "The access token or API key is unknown, expired or revoked.".to_owned(),
                Some("Bearer realm=\"gistd\", error=\"invalid_token\"".to_owned()),
            ),
            ApiError::InsufficientScope(scope) => (
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                format!("This token was not granted the `{scope}` scope."),
                Some(format!(
                    "Bearer realm=\"gistd\", error=\"insufficient_scope\", scope=\"{scope}\""
                )),
            ),
            ApiError::NotFound(message) => (StatusCode::NOT_FOUND, "not_found", message, None),
            ApiError::ApiKeyRequired => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "This endpoint needs the workspace API key; no OAuth scope grants it.".to_owned(),
                None,
            ),
            ApiError::Conflict(message) => (StatusCode::CONFLICT, "conflict", message, None),
            ApiError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "This endpoint does not answer this HTTP method; see /api/docs.".to_owned(),
                None,
            ),
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!(
                    "The request body is larger than {} bytes.",
                    crate::config::MAX_BODY_BYTES
                ),
                None,
            ),
            ApiError::Unprocessable(message) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_error",
                message,
                None,
            ),
            ApiError::RateLimited(limit) => {
                let message = format!(
                    "Rate limit of {} requests per {} seconds reached; retry in {} s.",
                    limit.limit,
                    limit.window_seconds,
                    limit.retry_after()
                );
                let body = ApiErrorBody {
                    errors: vec![ApiErrorItem {
                        code: "rate_limited".to_owned(),
                        message,
                    }],
                };
                let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
                limit.write_headers(response.headers_mut(), true);
                return response;
            }
            ApiError::BadRequest(message) => {
                (StatusCode::BAD_REQUEST, "bad_request", message, None)
            }
            ApiError::Internal(cause) => {
                tracing::error!(error = %cause, "internal error in the REST API");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "The server failed; try again.".to_owned(),
                    None,
                )
            }
        };
        let body = ApiErrorBody {
            errors: vec![ApiErrorItem {
                code: code.to_owned(),
                message,
            }],
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(challenge) = challenge.and_then(|value| HeaderValue::from_str(&value).ok()) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge);
        }
        response
    }
}

impl From<StorageError> for ApiError {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::Conflict(what) => ApiError::Conflict(format!("{what} already exists.")),
            other => ApiError::Internal(other.to_string()),
        }
    }
}
