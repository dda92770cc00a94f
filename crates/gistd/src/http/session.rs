//! Browser sessions, cookies and CSRF tokens.
//!
//! A session id is 256 random bits in an HttpOnly, SameSite=Lax cookie (Secure, and
//! `__Host-` prefixed, when the base URL is https); the database keeps only its hash, so
//! a copy of the database cannot be used to log in. Each session's CSRF token is derived
//! from its id (a hash the database never sees), so it needs no storage and works on any
//! instance. Forms shown before log-in use a double-submit cookie instead.

use super::error::PageError;
use super::forms::Fields;
use super::state::AppState;
use crate::config::SESSION_TTL;
use crate::domain::secret::{Secret, SecretHash, SecretKind, constant_time_eq, sha256_base64url};
use crate::storage::accounts::{self, User};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Redirect, Response};

/// Name of the session cookie.
pub fn session_cookie(state: &AppState) -> &'static str {
    if state.is_https() {
        "__Host-gistd_session"
    } else {
        "gistd_session"
    }
}

/// Name of the pre-log-in CSRF cookie.
fn csrf_cookie(state: &AppState) -> &'static str {
    if state.is_https() {
        "__Host-gistd_csrf"
    } else {
        "gistd_csrf"
    }
}

/// The value of cookie `name`, if the request carries it.
pub fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// A `Set-Cookie` value; `max_age` of 0 deletes the cookie.
pub fn cookie_header(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.is_https() { "; Secure" } else { "" };
    let cookie =
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The CSRF token of a session.
fn csrf_for_session(session_id: &str) -> String {
    sha256_base64url(format!("gistd-csrf:{session_id}").as_bytes())
}

/// The logged-in user of a request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// The user.
    pub user: User,
    /// The CSRF token that forms of this browser session must carry.
    pub csrf: String,
    session_hash: SecretHash,
}

impl CurrentUser {
    /// Refuses a form whose `csrf` field is not the token of this browser session.
    pub fn check_csrf(&self, fields: &Fields) -> Result<(), PageError> {
        let presented = fields.get("csrf").unwrap_or("");
        if constant_time_eq(presented.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(PageError::Forbidden(
                "This form has expired or did not come from this site. Go back, reload the page and try again."
                    .into(),
            ))
        }
    }

    /// Ends this browser session.
    pub async fn end(&self, state: &AppState) -> Result<(), PageError> {
        accounts::delete_session(&state.db, self.session_hash.as_str()).await?;
        Ok(())
    }
}

async fn find_current_user(
    parts: &Parts,
    state: &AppState,
) -> Result<Option<CurrentUser>, PageError> {
    let Some(session_id) = read_cookie(&parts.headers, session_cookie(state)) else {
        return Ok(None);
    };
    let session_hash = SecretHash::of(&session_id);
    let user = accounts::find_session_user(&state.db, session_hash.as_str(), state.now()).await?;
    Ok(user.map(|user| CurrentUser {
        user,
        csrf: csrf_for_session(&session_id),
        session_hash,
    }))
}

/// Requires a logged-in user; anyone else is sent to the log-in page, and back here
/// afterwards when this was a page view.
impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match find_current_user(parts, state).await {
            Ok(Some(user)) => Ok(user),
            Ok(None) => {
                let next = if parts.method == Method::GET {
                    parts
                        .uri
                        .path_and_query()
                        .map(|pq| pq.as_str())
                        .unwrap_or("/")
                } else {
                    "/"
                };
                let target: String =
                    form_urlencoded::Serializer::for_suffix(String::from("/login?"), 7)
                        .append_pair("next", next)
                        .finish();
                Err(Redirect::to(&target).into_response())
            }
            Err(error) => Err(error.into_response()),
        }
    }
}

/// The logged-in user, if any.
pub struct MaybeUser(pub Option<CurrentUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(MaybeUser(find_current_user(parts, state).await?))
    }
}

/// Starts a session for `user_id` and returns the `Set-Cookie` value that carries it.
pub async fn start_session(state: &AppState, user_id: i64) -> Result<HeaderValue, PageError> {
    let session_id = Secret::generate(SecretKind::Session);
    let now = state.now();
    accounts::insert_session(
        &state.db,
        session_id.hash().as_str(),
        user_id,
        now,
        now + SESSION_TTL,
    )
    .await?;
    Ok(cookie_header(
        state,
        session_cookie(state),
        session_id.expose(),
        SESSION_TTL,
    ))
}

/// The CSRF token for a form shown before log-in, and the cookie to set when the
/// browser has none yet.
pub fn anonymous_csrf(state: &AppState, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    match read_cookie(headers, csrf_cookie(state)).filter(|value| value.starts_with("gcf_")) {
        Some(token) => (token, None),
        None => {
            let token = Secret::generate(SecretKind::Csrf).expose().to_owned();
            let cookie = cookie_header(state, csrf_cookie(state), &token, 24 * 60 * 60);
            (token, Some(cookie))
        }
    }
}

/// Refuses a pre-log-in form whose `csrf` field does not match its cookie.
pub fn check_anonymous_csrf(
    state: &AppState,
    headers: &HeaderMap,
    fields: &Fields,
) -> Result<(), PageError> {
    let cookie = read_cookie(headers, csrf_cookie(state)).unwrap_or_default();
    let presented = fields.get("csrf").unwrap_or("");
    if !cookie.is_empty() && constant_time_eq(cookie.as_bytes(), presented.as_bytes()) {
        Ok(())
    } else {
        Err(PageError::Forbidden(
            "This form has expired or cookies are blocked. Reload the page and try again.".into(),
        ))
    }
}

/// Where to go after log-in: `next` when it is a path on this site, else the home page.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(|c| c.is_control() || c == '\\') =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_must_stay_on_this_site() {
        assert_eq!(
            safe_next(Some("/oauth/authorize?client_id=x")),
            "/oauth/authorize?client_id=x"
        );
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
