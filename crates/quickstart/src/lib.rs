//! Gist's OAuth quick-start app in Rust: a welcome page with a log-in link, a redirect to
//! the authorization server, and a callback that exchanges the code with [`gist_client`]
//! and lists the workspace's teammates.
//!
//! The app keeps everything in memory: a browser is known by a random session cookie, and
//! its session holds the pending authorization (state and PKCE verifier) and, once the
//! user has allowed access, the tokens. Tokens are never printed or logged.

mod pages;
mod sessions;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use gist_client::Client;
use gist_client::oauth::OAuthClient;
use serde::Deserialize;
use sessions::{Pending, Sessions};
use std::net::SocketAddr;
use std::sync::Arc;

/// The scopes the quick start asks for: enough to list the teammates.
pub const SCOPES: &str = "read_contact read_teammates";
/// The path gistd redirects back to.
pub const CALLBACK_PATH: &str = "/oauth/gist/callback";
/// The session cookie's name.
pub const SESSION_COOKIE: &str = "quickstart_session";

/// What the app needs to talk to gistd.
#[derive(Clone)]
pub struct Config {
    /// The app's client id (`GIST_CLIENT_ID`).
    pub client_id: String,
    /// The app's client secret (`GIST_CLIENT_SECRET`).
    pub client_secret: String,
    /// gistd's base URL, such as `http://127.0.0.1:8080` (`GIST_BASE_URL`).
    pub base_url: String,
    /// Where gistd sends the browser back, derived from the listen address.
    pub redirect_uri: String,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("base_url", &self.base_url)
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

impl Config {
    /// Reads `GIST_CLIENT_ID`, `GIST_CLIENT_SECRET` and `GIST_BASE_URL`, naming the first
    /// one missing; the redirect URI is the callback on `listen`.
    pub fn from_env(listen: SocketAddr) -> Result<Config, String> {
        let read = |name: &str| match std::env::var(name) {
            Ok(value) if !value.trim().is_empty() => Ok(value.trim().to_owned()),
            _ => Err(format!(
                "{name} is not set: give the app's client id and secret and gistd's URL, e.g. \
                 GIST_CLIENT_ID=... GIST_CLIENT_SECRET=... GIST_BASE_URL=http://127.0.0.1:8080"
            )),
        };
        Ok(Config {
            client_id: read("GIST_CLIENT_ID")?,
            client_secret: read("GIST_CLIENT_SECRET")?,
            base_url: read("GIST_BASE_URL")?.trim_end_matches('/').to_owned(),
            redirect_uri: redirect_uri(listen),
        })
    }
}

/// The callback URL for an app listening on `listen`. An unspecified address (`0.0.0.0`)
/// is reached through the loopback one, which is what gistd's loopback rule expects.
pub fn redirect_uri(listen: SocketAddr) -> String {
    let mut address = listen;
    if address.ip().is_unspecified() {
        address.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    format!("http://{address}{CALLBACK_PATH}")
}

/// The app's shared state.
struct AppState {
    config: Config,
    oauth: OAuthClient,
    sessions: Sessions,
}

/// The quick start's routes, ready to be served.
pub fn router(config: Config) -> Result<Router, gist_client::Error> {
    let oauth = OAuthClient::new(
        &config.base_url,
        &config.client_id,
        &config.client_secret,
        &config.redirect_uri,
    )?;
    let state = Arc::new(AppState {
        config,
        oauth,
        sessions: Sessions::new(),
    });
    Ok(Router::new()
        .route("/", get(welcome))
        .route("/auth/gist", get(start_authorization))
        .route(CALLBACK_PATH, get(callback))
        .with_state(state))
}

async fn welcome() -> Html<String> {
    Html(pages::welcome())
}

/// `GET /auth/gist?workspace=SLUG`.
#[derive(Debug, Deserialize)]
struct StartQuery {
    workspace: Option<String>,
}

/// Sends the browser to gistd's authorization endpoint (RFC 6749 section 4.1.1).
///
/// Gist's quick start passes the workspace's slug as `state`, which gistd uses to
/// pre-select it. A slug is guessable, so cross-site request forgery is prevented by the
/// session instead: the pending authorization is bound to this browser's random cookie,
/// and the callback only accepts a state found in that browser's session.
async fn start_authorization(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(query): Query<StartQuery>,
) -> Response {
    let workspace = query
        .workspace
        .map(|slug| slug.trim().to_owned())
        .filter(|slug| !slug.is_empty());
    let mut builder = app.oauth.authorization(SCOPES).pkce();
    if let Some(slug) = &workspace {
        builder = builder.state(slug.clone());
    }
    let authorization = builder.build();
    let url = authorization.url.to_string();

    let (session_id, is_new) = match session_cookie(&headers) {
        Some(id) if app.sessions.exists(&id) => (id, false),
        _ => (sessions::random_id(), true),
    };
    app.sessions.start(&session_id, Pending { authorization });
    tracing::info!(
        workspace = workspace.as_deref(),
        "sending the user to gistd"
    );

    let mut response = Redirect::to(&url).into_response();
    if is_new {
        let cookie = format!("{SESSION_COOKIE}={session_id}; Path=/; HttpOnly; SameSite=Lax");
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().insert(SET_COOKIE, value);
        }
    }
    response
}

/// What gistd sends back (RFC 6749 sections 4.1.2 and 4.1.2.1).
#[derive(Debug, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Checks the state, then shows the error or exchanges the code and lists the teammates.
async fn callback(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let session_id = session_cookie(&headers);
    let pending = session_id
        .as_deref()
        .and_then(|id| app.sessions.take_pending(id));
    let (Some(session_id), Some(pending)) = (session_id, pending) else {
        tracing::warn!("callback without a log-in in progress in this browser");
        return page(StatusCode::BAD_REQUEST, pages::bad_state(false));
    };
    let state_matches = query
        .state
        .as_deref()
        .is_some_and(|state| pending.authorization.state_matches(state));
    if !state_matches {
        tracing::warn!("callback with a state that is not the one sent");
        return page(StatusCode::BAD_REQUEST, pages::bad_state(true));
    }

    if let Some(error) = query.error {
        tracing::info!(oauth.error = %error, "the authorization was not granted");
        let description = query.error_description.unwrap_or_default();
        return page(StatusCode::OK, pages::denied(&error, &description));
    }
    let Some(code) = query.code else {
        return page(
            StatusCode::BAD_REQUEST,
            pages::problem("The callback carried no code."),
        );
    };

    let verifier = pending.authorization.pkce_verifier.as_ref();
    let tokens = match app.oauth.exchange_code(&code, verifier).await {
        Ok(tokens) => tokens,
        Err(error) => {
            tracing::warn!(%error, "the code exchange failed");
            let message = format!("gistd refused the code exchange: {error}");
            return page(StatusCode::BAD_GATEWAY, pages::problem(&message));
        }
    };
    let workspace_name = tokens.workspace_name.clone();
    let access_token = tokens.access_token.clone();
    app.sessions.keep_tokens(&session_id, tokens);

    let api_url = format!("{}/api", app.config.base_url);
    let teammates = match Client::new(&api_url, &access_token) {
        Ok(client) => client.teammates().list().await,
        Err(error) => Err(error),
    };
    match teammates {
        Ok(teammates) => {
            tracing::info!(count = teammates.len(), "listed the teammates");
            page(
                StatusCode::OK,
                pages::teammates(&workspace_name, &teammates),
            )
        }
        Err(error) => {
            tracing::warn!(%error, "listing the teammates failed");
            let message = format!("Listing the teammates failed: {error}");
            page(StatusCode::BAD_GATEWAY, pages::problem(&message))
        }
    }
}

fn page(status: StatusCode, html: String) -> Response {
    (status, Html(html)).into_response()
}

/// The session id in the request's cookies, when there is one.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_redirect_uri_follows_the_listen_address() {
        let listen: SocketAddr = "127.0.0.1:4000".parse().expect("address");
        assert_eq!(
            redirect_uri(listen),
            "http://127.0.0.1:4000/oauth/gist/callback"
        );
        let any: SocketAddr = "0.0.0.0:3000".parse().expect("address");
        assert_eq!(
            redirect_uri(any),
            "http://127.0.0.1:3000/oauth/gist/callback"
        );
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        let cookies = "gistd_csrf=x; quickstart_session=abc; other=1";
        headers.insert(COOKIE, HeaderValue::from_static(cookies));
        assert_eq!(session_cookie(&headers).as_deref(), Some("abc"));
        assert_eq!(session_cookie(&HeaderMap::new()), None);
    }
}
