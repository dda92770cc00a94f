//! [`Client`]: the credential, the base URL and the one place requests are sent, with the
//! retry of rate-limited requests.

use crate::error::{Error, Result};
use gist_types::ApiErrorBody;
use reqwest::header::{self, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;
use std::time::Duration;

/// Attempts per request when the API answers 429, the first one included.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// The longest the client sleeps before retrying a rate-limited request.
pub const DEFAULT_MAX_RETRY_WAIT: Duration = Duration::from_secs(30);
/// How long one request may take, connection included, unless
/// [`Client::with_http_client`] supplies another HTTP client.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A client of the Gist REST API for one credential: a workspace API key (`gsk_…`) or an
/// OAuth access token (`gat_…`).
///
/// Cloning is cheap (the connection pool is shared) and there is no global state: build
/// as many clients as you have credentials. Resource groups hang off it:
/// [`contacts`](Client::contacts), [`conversations`](Client::conversations), and so on.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base_url: Url,
    authorization: HeaderValue,
    max_attempts: u32,
    max_retry_wait: Duration,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url.as_str())
            .field("token", &"<redacted>")
            .field("max_attempts", &self.max_attempts)
            .field("max_retry_wait", &self.max_retry_wait)
            .finish()
    }
}

impl Client {
    /// A client for the API at `base_url` (for gistd `https://<host>/api`, for Gist
    /// `https://api.getgist.com`), authenticating with `token`.
    ///
    /// Fails with [`Error::InvalidUrl`] unless `base_url` is an absolute http(s) URL, and
    /// with [`Error::InvalidToken`] when `token` cannot be put in a header.
    pub fn new(base_url: &str, token: &str) -> Result<Client> {
        let http = reqwest::Client::builder()
            .timeout(DEFAULT_TIMEOUT)
            .user_agent(concat!("gist-client/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Client::with_http(http, base_url, token)
    }

    /// [`Client::new`] with an existing HTTP client, whose connection pool is shared.
    pub(crate) fn with_http(http: reqwest::Client, base_url: &str, token: &str) -> Result<Client> {
        let base_url = parse_base_url(base_url)?;
        let mut authorization =
            HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| Error::InvalidToken)?;
        authorization.set_sensitive(true);
        Ok(Client {
            http,
            base_url,
            authorization,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            max_retry_wait: DEFAULT_MAX_RETRY_WAIT,
        })
    }

    /// Uses `http` for requests instead of the default client (to set a proxy, other
    /// timeouts or extra root certificates).
    pub fn with_http_client(mut self, http: reqwest::Client) -> Client {
        self.http = http;
        self
    }

    /// How many times a request is sent while the API answers 429, the first time
    /// included (at least 1; default [`DEFAULT_MAX_ATTEMPTS`]).
    pub fn with_max_attempts(mut self, attempts: u32) -> Client {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The longest sleep before a retry (default [`DEFAULT_MAX_RETRY_WAIT`]). When the
    /// API asks for a longer wait, the client gives up at once with
    /// [`Error::RateLimited`] rather than retrying too early or blocking for long.
    pub fn with_max_retry_wait(mut self, wait: Duration) -> Client {
        self.max_retry_wait = wait;
        self
    }

    /// The API base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        self.base_url.as_str().trim_end_matches('/')
    }

    /// The URL of `path` (which starts with `/`) under the base URL.
    pub(crate) fn url(&self, path: &str) -> Result<Url> {
        let joined = format!("{}{path}", self.base_url());
        Url::parse(&joined).map_err(|_| Error::InvalidUrl(joined))
    }

    /// The URL of `path` with the non-null members of `params` as query parameters.
    pub(crate) fn url_with_query(&self, path: &str, params: &impl Serialize) -> Result<Url> {
        let mut url = self.url(path)?;
        let pairs = query_pairs(params)?;
        if !pairs.is_empty() {
            url.query_pairs_mut().extend_pairs(pairs);
        }
        Ok(url)
    }

    /// The URL of `path` with the given query parameters.
    pub(crate) fn url_with_pairs(&self, path: &str, pairs: &[(&str, &str)]) -> Result<Url> {
        let mut url = self.url(path)?;
        url.query_pairs_mut().extend_pairs(pairs);
        Ok(url)
    }

    /// Checks that a link the server returned (a `pages.next`) points at this client's
    /// API: the token is sent with it, so it must not go to another origin.
    pub(crate) fn checked_link(&self, link: &str) -> Result<Url> {
        let url = Url::parse(link).map_err(|_| Error::InvalidUrl(link.to_owned()))?;
        let base_path = self.base_url.path().trim_end_matches('/');
        let under_base = url.path() == base_path
            || url
                .path()
                .strip_prefix(base_path)
                .is_some_and(|rest| rest.starts_with('/'));
        if url.origin() != self.base_url.origin() || !under_base {
            return Err(Error::InvalidUrl(format!(
                "the server's link {link} is outside the API base URL {}",
                self.base_url()
            )));
        }
        Ok(url)
    }

    /// GET `path` and decode the answer.
    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.send(Method::GET, self.url(path)?, None).await
    }

    /// Sends `body` as JSON with `method` to `path` and decodes the answer.
    pub(crate) async fn send_json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T> {
        let body = serde_json::to_vec(body)?;
        self.send(method, self.url(path)?, Some(body)).await
    }

    /// Sends one request, retrying while the API answers 429 (the request was not
    /// processed, so retrying is safe even for a POST), and decodes the answer.
    pub(crate) async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
    ) -> Result<T> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .header(header::AUTHORIZATION, self.authorization.clone())
                .header(header::ACCEPT, "application/json");
            if let Some(body) = &body {
                request = request
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            let response = request.send().await?;
            let status = response.status();

            if status == StatusCode::TOO_MANY_REQUESTS {
                let retry_after = retry_after(response.headers());
                let wait = retry_after.unwrap_or_else(|| backoff(attempt));
                if attempt >= self.max_attempts || wait > self.max_retry_wait {
                    return Err(Error::RateLimited {
                        retry_after,
                        attempts: attempt,
                    });
                }
                tracing::debug!(
                    http.method = %method,
                    http.path = url.path(),
                    attempt,
                    wait_ms = wait.as_millis() as u64,
                    "rate limited; waiting before retrying"
                );
                tokio::time::sleep(wait).await;
                continue;
            }

            let bytes = response.bytes().await?;
            if !status.is_success() {
                let errors = serde_json::from_slice::<ApiErrorBody>(&bytes)
                    .map(|body| body.errors)
                    .unwrap_or_default();
                return Err(Error::Api {
                    status: status.as_u16(),
                    errors,
                });
            }
            return Ok(serde_json::from_slice(&bytes)?);
        }
    }
}

/// Parses and checks an API base URL.
fn parse_base_url(base_url: &str) -> Result<Url> {
    let url = Url::parse(base_url.trim()).map_err(|_| Error::InvalidUrl(base_url.to_owned()))?;
    let usable = matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.query().is_none()
        && url.fragment().is_none();
    if !usable {
        return Err(Error::InvalidUrl(base_url.to_owned()));
    }
    Ok(url)
}

/// The members of `params` (a struct serialising to a JSON object) as query pairs;
/// nulls are left out, strings sent as they are, numbers and booleans as their text.
pub(crate) fn query_pairs(params: &impl Serialize) -> Result<Vec<(String, String)>> {
    let value = serde_json::to_value(params)?;
    let serde_json::Value::Object(members) = value else {
        return Ok(Vec::new());
    };
    Ok(members
        .into_iter()
        .filter_map(|(name, value)| match value {
            serde_json::Value::Null => None,
            serde_json::Value::String(text) => Some((name, text)),
            other => Some((name, other.to_string())),
        })
        .collect())
}

/// `Retry-After` in seconds (RFC 9110 section 10.2.3); the HTTP-date form is not used by
/// gistd or Gist and falls back to the backoff.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The wait before retry number `attempt` when the server gave no `Retry-After`:
/// 1, 2, 4, 8… seconds.
fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.saturating_sub(1).min(10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_must_be_absolute_http() {
        assert!(parse_base_url("http://127.0.0.1:8080/api").is_ok());
        assert!(parse_base_url("https://api.getgist.com").is_ok());
        assert!(parse_base_url("127.0.0.1:8080/api").is_err());
        assert!(parse_base_url("ftp://example.com/api").is_err());
        assert!(parse_base_url("https://example.com/api?x=1").is_err());
    }

    #[test]
    fn links_outside_the_api_are_refused() {
        let client = Client::new("http://127.0.0.1:8080/api/", "gsk_x").expect("client");
        assert!(
            client
                .checked_link("http://127.0.0.1:8080/api/contacts?page=2")
                .is_ok()
        );
        assert!(
            client
                .checked_link("http://evil.test/api/contacts")
                .is_err()
        );
        assert!(
            client
                .checked_link("http://127.0.0.1:8081/api/contacts")
                .is_err()
        );
        assert!(client.checked_link("http://127.0.0.1:8080/other").is_err());
        assert!(
            client
                .checked_link("http://127.0.0.1:8080/apix/contacts")
                .is_err()
        );
    }

    #[test]
    fn paths_join_the_base_url_with_or_without_a_trailing_slash() {
        for base in ["http://h/api", "http://h/api/"] {
            let client = Client::new(base, "gsk_x").expect("client");
            let url = client.url("/contacts/7").expect("url");
            assert_eq!(url.as_str(), "http://h/api/contacts/7");
        }
    }

    #[test]
    fn query_pairs_skip_nulls_and_write_numbers_as_text() {
        let pairs = query_pairs(&serde_json::json!({"page": 2, "email": "a+b@c", "x": null}))
            .expect("pairs");
        assert_eq!(
            pairs,
            vec![
                ("email".to_owned(), "a+b@c".to_owned()),
                ("page".to_owned(), "2".to_owned())
            ]
        );
    }

    #[test]
    fn the_token_is_not_in_debug_output() {
        let client = Client::new("http://h/api", "gsk_secret").expect("client");
        assert!(!format!("{client:?}").contains("gsk_secret"));
    }

    #[test]
    fn backoff_doubles_and_is_bounded() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(3), Duration::from_secs(4));
        assert_eq!(backoff(100), Duration::from_secs(1024));
    }
}
