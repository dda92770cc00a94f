//! The one error type of the crate: every call, REST or OAuth, fails with an [`Error`].

use gist_types::ApiErrorItem;
use std::time::Duration;

/// What went wrong with a call.
///
/// No variant carries a token, a secret or a response body beyond the server's own error
/// list, so errors may be logged as they are.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The REST API answered with an error status. `errors` is Gist's `errors` list; it is
    /// empty when the answer did not carry one (a proxy's error page, for example).
    #[error("the API answered {status}: {}", describe(errors))]
    Api {
        /// The HTTP status, such as 404.
        status: u16,
        /// The server's explanation, one item per problem.
        errors: Vec<ApiErrorItem>,
    },
    /// The API kept answering 429 until the client's attempts ran out, or asked to wait
    /// longer than the client is willing to sleep.
    #[error("rate limited by the API after {attempts} attempt(s)")]
    RateLimited {
        /// How long the last answer asked to wait, when it said.
        retry_after: Option<Duration>,
        /// Requests sent, the refused ones included.
        attempts: u32,
    },
    /// An OAuth endpoint refused the request (RFC 6749 section 5.2).
    #[error("the OAuth server answered {status} `{error}`{}", suffix(description))]
    OAuth {
        /// The HTTP status, usually 400 or 401.
        status: u16,
        /// The RFC 6749 error code, such as `invalid_grant`.
        error: String,
        /// The server's sentence for the developer.
        description: Option<String>,
    },
    /// The request could not be sent or its answer not read: connection refused, timeout,
    /// TLS failure and the like.
    #[error("network error: {0}")]
    Network(#[from] reqwest::Error),
    /// A success answer was not the JSON this crate expected.
    #[error("cannot read the server's answer: {0}")]
    Decode(#[from] serde_json::Error),
    /// A base URL, or a `pages` link, is not an absolute http(s) URL this client may call.
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    /// The token cannot be sent in an HTTP header (it contains control characters).
    #[error("the token cannot be sent in an Authorization header")]
    InvalidToken,
    /// There are no tokens to use: the user has not authorised the app yet, or the
    /// access token expired and there is no refresh token.
    #[error("not authorised: {0}")]
    NotAuthorized(&'static str),
    /// A token store could not read or write its tokens.
    #[error("token store failure: {0}")]
    Store(#[from] std::io::Error),
}

impl Error {
    /// The HTTP status of an [`Error::Api`] or [`Error::OAuth`], or 429 for
    /// [`Error::RateLimited`].
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } | Error::OAuth { status, .. } => Some(*status),
            Error::RateLimited { .. } => Some(429),
            _ => None,
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn describe(errors: &[ApiErrorItem]) -> String {
    match errors {
        [] => "no error details".to_owned(),
        items => items
            .iter()
            .map(|item| format!("{} ({})", item.message, item.code))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

fn suffix(description: &Option<String>) -> String {
    description
        .as_deref()
        .map(|text| format!(": {text}"))
        .unwrap_or_default()
}
