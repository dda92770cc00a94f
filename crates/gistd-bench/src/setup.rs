//! What every workload starts from: a user, workspace, app and API key made through the
//! `gistd` command line, a browser session made through the log-in form, and consent
//! given once through the consent form, so later authorizations redirect at once.
//!
//! The steps of the authorization code flow live here too, shared by the set-up and the
//! `code-flow` workload.

use crate::http_client::{self, Connection, form};
use crate::server::Cli;
use anyhow::{Context, anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::{HeaderMap, Method};
use sha2::{Digest, Sha256};

/// The app's redirect URI. Nothing listens there: the generator reads the code from the
/// `Location` header and never follows it.
pub const REDIRECT_URI: &str = "http://127.0.0.1:9/cb";
/// Every scope the workloads use: teammates for the resource calls, contacts for the
/// API-key and write workloads' sanity checks.
pub const SCOPES: &str = "read_teammates read_contact write_contact read_bulk_contacts";

/// The accounts and credentials one benchmark run uses.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// The workspace's slug, sent as `state` as Gist's quick start does.
    pub workspace: String,
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: String,
    /// The workspace's API key.
    pub api_key: String,
    /// `gistd_session=...`, the `Cookie` header of the logged-in browser.
    pub session_cookie: String,
}

/// An access token and the refresh token issued with it.
#[derive(Debug, Clone)]
pub struct TokenPair {
    /// `gat_...`.
    pub access: String,
    /// `grt_...`.
    pub refresh: String,
}

/// Creates the user, workspace, app and API key through the CLI (names carry a random
/// suffix, so a run against an existing database cannot collide with earlier ones), logs
/// in and gives consent once.
pub async fn create_fixture(cli: &Cli<'_>, browser: &mut Connection) -> anyhow::Result<Fixture> {
    let suffix = format!("{:08x}", rand::random::<u32>());
    let email = format!("bench-{suffix}@example.test");
    let password = format!("bench password {suffix}");
    let workspace = format!("bench-{suffix}");

    let user_args = [
        "user",
        "create",
        "--email",
        &email,
        "--name",
        "Bench User",
        "--password-stdin",
    ];
    cli.run_json(&user_args, &format!("{password}\n"))?;
    cli.run_json(
        &[
            "workspace",
            "create",
            "--owner",
            &email,
            "--name",
            "Bench",
            "--slug",
            &workspace,
        ],
        "",
    )?;
    let app = cli.run_json(
        &[
            "app",
            "create",
            "--owner",
            &email,
            "--name",
            "Bench App",
            "--redirect-uri",
            REDIRECT_URI,
            "--scopes",
            SCOPES,
        ],
        "",
    )?;
    let key = cli.run_json(&["api-key", "create", "--workspace", &workspace], "")?;
    let text = |value: &serde_json::Value, field: &str| {
        value[field]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("gistd printed no {field}: {value}"))
    };

    let session_cookie = log_in(browser, &email, &password).await?;
    let fixture = Fixture {
        workspace,
        client_id: text(&app, "client_id")?,
        client_secret: text(&app, "client_secret")?,
        api_key: text(&key, "api_key")?,
        session_cookie,
    };
    give_consent(browser, &fixture).await?;
    Ok(fixture)
}

/// Logs in through the HTML form; returns the session's `Cookie` header value.
async fn log_in(
    connection: &mut Connection,
    email: &str,
    password: &str,
) -> anyhow::Result<String> {
    let page = send(
        connection,
        Method::GET,
        "/login",
        &HeaderMap::new(),
        Bytes::new(),
    )
    .await?;
    if page.status != 200 {
        bail!("GET /login answered {}", page.status);
    }
    let csrf_cookie = set_cookie(&page, "gistd_csrf").context("GET /login set no gistd_csrf")?;
    let html = String::from_utf8_lossy(&page.body);
    let csrf = hidden_field(&html, "csrf").context("no csrf field on the log-in page")?;

    let headers = http_client::headers(&[
        ("content-type", "application/x-www-form-urlencoded"),
        ("cookie", &format!("gistd_csrf={csrf_cookie}")),
    ])?;
    let body = form(&[
        ("csrf", &csrf),
        ("next", "/"),
        ("email", email),
        ("password", password),
    ]);
    let answer = send(connection, Method::POST, "/login", &headers, body).await?;
    if answer.status != 303 {
        bail!(
            "POST /login answered {}: {}",
            answer.status,
            answer.body_excerpt()
        );
    }
    let session = set_cookie(&answer, "gistd_session").context("log-in set no session cookie")?;
    Ok(format!("gistd_session={session}"))
}

/// Opens the authorization URL once and allows the consent page; the consent is then on
/// record and every later authorization answers 302 with a code.
async fn give_consent(connection: &mut Connection, fixture: &Fixture) -> anyhow::Result<()> {
    let pkce = Pkce::generate();
    let path = authorize_path(fixture, &pkce.challenge);
    let cookie = http_client::headers(&[("cookie", &fixture.session_cookie)])?;
    let page = send(connection, Method::GET, &path, &cookie, Bytes::new()).await?;
    if page.status != 200 {
        bail!(
            "the first authorization answered {}, not the consent page",
            page.status
        );
    }
    let html = String::from_utf8_lossy(&page.body);
    let csrf = hidden_field(&html, "csrf").context("no csrf on the consent page")?;
    let request = hidden_field(&html, "authorization_request")
        .context("no authorization_request on the consent page")?;

    let headers = http_client::headers(&[
        ("content-type", "application/x-www-form-urlencoded"),
        ("cookie", &fixture.session_cookie),
    ])?;
    let body = form(&[
        ("csrf", &csrf),
        ("authorization_request", &request),
        ("workspace", &fixture.workspace),
        ("decision", "allow"),
    ]);
    let answer = send(connection, Method::POST, "/oauth/authorize", &headers, body).await?;
    if answer.status != 303 {
        bail!(
            "the consent form answered {}: {}",
            answer.status,
            answer.body_excerpt()
        );
    }
    let code = code_of(answer.location()).ok_or_else(|| anyhow!("no code after consent"))?;
    exchange_code(connection, fixture, &code, &pkce.verifier)
        .await
        .map_err(|error| anyhow!(error))?;
    Ok(())
}

/// A fresh grant through the whole code flow: authorize (consent is on record), then
/// exchange the code.
pub async fn new_token_pair(
    connection: &mut Connection,
    fixture: &Fixture,
) -> anyhow::Result<TokenPair> {
    let pkce = Pkce::generate();
    let cookie = http_client::headers(&[("cookie", &fixture.session_cookie)])?;
    let path = authorize_path(fixture, &pkce.challenge);
    let answer = send(connection, Method::GET, &path, &cookie, Bytes::new()).await?;
    if answer.status != 302 {
        bail!("authorize answered {}, not 302", answer.status);
    }
    let code = code_of(answer.location())
        .ok_or_else(|| anyhow!("no code in the redirect {}", answer.location()))?;
    exchange_code(connection, fixture, &code, &pkce.verifier)
        .await
        .map_err(|error| anyhow!(error))
}

/// Creates `count` contacts with the API key, for the listing workload to read.
pub async fn seed_contacts(
    connection: &mut Connection,
    fixture: &Fixture,
    count: usize,
) -> anyhow::Result<()> {
    let headers = http_client::headers(&[
        ("content-type", "application/json"),
        ("authorization", &format!("Bearer {}", fixture.api_key)),
    ])?;
    for index in 0..count {
        let body = serde_json::json!({
            "email": format!("seed-{index}@{}.example.test", fixture.workspace),
            "name": format!("Seed Contact {index}"),
        });
        let answer = send(
            connection,
            Method::POST,
            "/api/contacts",
            &headers,
            Bytes::from(body.to_string()),
        )
        .await?;
        if answer.status != 200 {
            bail!(
                "seeding a contact answered {}: {}",
                answer.status,
                answer.body_excerpt()
            );
        }
    }
    Ok(())
}

/// A PKCE verifier and its S256 challenge (RFC 7636 section 4.1 and 4.2).
pub struct Pkce {
    /// 43 base64url characters of 32 random bytes.
    pub verifier: String,
    /// base64url(SHA-256(verifier)).
    pub challenge: String,
}

impl Pkce {
    /// A new random pair.
    pub fn generate() -> Pkce {
        let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        Pkce {
            verifier,
            challenge,
        }
    }
}

/// The path and query of an authorization request with PKCE and the workspace as state.
pub fn authorize_path(fixture: &Fixture, challenge: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &fixture.client_id)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", SCOPES)
        .append_pair("state", &fixture.workspace)
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256")
        .finish();
    format!("/oauth/authorize?{query}")
}

/// The `code` of a redirect to [`REDIRECT_URI`].
pub fn code_of(location: &str) -> Option<String> {
    let query = location.strip_prefix(REDIRECT_URI)?.strip_prefix('?')?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "code")
        .map(|(_, value)| value.into_owned())
}

/// Exchanges `code` at the token endpoint with `client_secret_post`. Errors are plain
/// text, as the workloads count and print them.
pub async fn exchange_code(
    connection: &mut Connection,
    fixture: &Fixture,
    code: &str,
    verifier: &str,
) -> Result<TokenPair, String> {
    let mut headers = HeaderMap::new();
    headers.insert(
        "content-type",
        http::HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    let body = form(&[
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", verifier),
        ("client_id", &fixture.client_id),
        ("client_secret", &fixture.client_secret),
    ]);
    let answer = connection
        .send(Method::POST, "/oauth/token", &headers, body)
        .await?;
    token_pair_of(&answer)
}

/// The tokens of a 200 answer of the token endpoint.
pub fn token_pair_of(answer: &http_client::Answer) -> Result<TokenPair, String> {
    if answer.status != 200 {
        return Err(format!(
            "token endpoint answered {}: {}",
            answer.status,
            answer.body_excerpt()
        ));
    }
    let body: serde_json::Value = serde_json::from_slice(&answer.body)
        .map_err(|error| format!("token endpoint sent no JSON: {error}"))?;
    let text = |field: &str| body[field].as_str().map(str::to_owned);
    match (text("access_token"), text("refresh_token")) {
        (Some(access), Some(refresh)) => Ok(TokenPair { access, refresh }),
        _ => Err(format!(
            "token answer without tokens: {}",
            answer.body_excerpt()
        )),
    }
}

async fn send(
    connection: &mut Connection,
    method: Method,
    path: &str,
    headers: &HeaderMap,
    body: Bytes,
) -> anyhow::Result<http_client::Answer> {
    connection
        .send(method, path, headers, body)
        .await
        .map_err(|error| anyhow!(error))
}

/// The value of cookie `name` in the answer's `Set-Cookie` headers.
fn set_cookie(answer: &http_client::Answer, name: &str) -> Option<String> {
    answer
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next())
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// The value of the hidden input `name`. The fields read here (CSRF tokens and the
/// base64url-encoded request) never contain characters HTML would escape.
fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = start + html[start..].find('"')?;
    Some(html[start..end].to_owned())
}
