//! No secret reaches the logs: the whole flow runs with every target, sqlx included, at
//! TRACE into a buffer, and the buffer must not contain any password, secret, code,
//! token, key, session id, CSRF token or email address the flow used.

mod support;

use serde_json::Value;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use support::{
    REDIRECT_URI, TestServer, authorize_url, hidden_field, input_value, query_param, session_csrf,
};

/// Everything the global subscriber wrote.
static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

/// A writer that appends to the shared buffer.
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs, once, a global subscriber that writes every event at every level to a
/// buffer, and returns the buffer. `log` records are bridged in too (sqlx, for one,
/// can log through either), except those of the test's own HTTP client: `cookie_store`
/// prints every `Set-Cookie` it stores, and that is the client's log, not the server's.
fn capture_logs() -> Arc<Mutex<Vec<u8>>> {
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = buffer.clone();
        let filter = tracing_subscriber::EnvFilter::new("trace,cookie_store=off,reqwest=off");
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .with_writer(move || Capture(writer.clone()))
            .try_init()
            .expect("no other global subscriber");
        buffer
    })
    .clone()
}

/// The value of the cookie `name` set by `response`, if it sets one.
fn cookie_value(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.strip_prefix(&format!("{name}=")))
        .map(|rest| rest.split(';').next().unwrap_or("").to_owned())
        .find(|value| !value.is_empty())
}

/// Posts to an OAuth endpoint with client credentials in the body.
async fn oauth_post(server: &TestServer, path: &str, fields: &[(&str, &str)]) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(server.url(path))
        .form(fields)
        .send()
        .await
        .expect("endpoint answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

/// The status of `GET /api/teammates` with `bearer`.
async fn api_status(server: &TestServer, bearer: &str) -> u16 {
    reqwest::Client::new()
        .get(server.url("/api/teammates"))
        .bearer_auth(bearer)
        .send()
        .await
        .expect("API answers")
        .status()
        .as_u16()
}

#[tokio::test]
async fn no_password_secret_token_key_cookie_or_email_appears_in_the_logs() {
    let logs = capture_logs();
    let server = TestServer::start().await;
    let email = "logged.person@example.com";
    let password = "a password that must stay secret";
    let wrong_password = "a wrong password that must stay secret too";
    // (what, value) of everything that must never be logged.
    let mut secrets: Vec<(&str, String)> = vec![
        ("email", email.to_owned()),
        ("password", password.to_owned()),
        ("wrong password", wrong_password.to_owned()),
    ];

    // Sign up and create a workspace through the forms.
    let browser = server.browser();
    let response = browser.get("/signup").await;
    let anonymous_csrf = cookie_value(&response, "gistd_csrf").expect("CSRF cookie");
    secrets.push(("pre-log-in CSRF token", anonymous_csrf));
    let page = response.text().await.unwrap();
    let csrf = hidden_field(&page, "csrf").unwrap();
    let response = browser
        .post_form(
            "/signup",
            &[
                ("csrf", &csrf),
                ("name", "Logged Person"),
                ("email", email),
                ("password", password),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    secrets.push((
        "sign-up session",
        cookie_value(&response, "gistd_session").expect("session cookie"),
    ));
    let csrf = session_csrf(&browser).await;
    secrets.push(("session CSRF token", csrf.clone()));
    let response = browser
        .post_form(
            "/workspaces",
            &[("csrf", &csrf), ("name", "Logs"), ("slug", "logs")],
        )
        .await;
    assert_eq!(response.status(), 303);

    // Register an app in the developer hub, then rotate its secret.
    let response = browser
        .post_form(
            "/developer/apps",
            &[("csrf", &csrf), ("name", "Logger"), ("description", "")],
        )
        .await;
    let page = response.text().await.unwrap();
    let client_id = input_value(&page, "client-id").unwrap();
    let first_secret = input_value(&page, "client-secret").unwrap();
    secrets.push(("first client secret", first_secret));
    let response = browser
        .post_form(
            &format!("/developer/apps/{client_id}"),
            &[
                ("csrf", &csrf),
                ("name", "Logger"),
                ("description", ""),
                ("redirect_uris", REDIRECT_URI),
                ("scopes", "read_teammates"),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    let response = browser
        .post_form(
            &format!("/developer/apps/{client_id}/secret"),
            &[("csrf", &csrf)],
        )
        .await;
    let client_secret = input_value(&response.text().await.unwrap(), "client-secret").unwrap();
    secrets.push(("client secret", client_secret.clone()));
    let client = [
        ("client_id", client_id.as_str()),
        ("client_secret", client_secret.as_str()),
    ];

    // Consent, exchange the code, refresh, call the API.
    let url = authorize_url(&server, &client_id, "read_teammates", &[("state", "logs")]);
    let page = browser.consent_page(&url).await;
    let redirect = browser.decide(&page, "allow", "logs").await;
    let code = query_param(&redirect, "code").unwrap();
    secrets.push(("authorization code", code.clone()));
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
    ];
    let (status, tokens) =
        oauth_post(&server, "/oauth/token", &[&client[..], &exchange].concat()).await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    secrets.push(("access token", access.clone()));
    secrets.push(("refresh token", refresh.clone()));
    assert_eq!(api_status(&server, &access).await, 200);

    let rotate = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
    ];
    let (status, tokens) =
        oauth_post(&server, "/oauth/token", &[&client[..], &rotate].concat()).await;
    assert_eq!(status, 200, "{tokens}");
    let new_access = tokens["access_token"].as_str().unwrap().to_owned();
    let new_refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    secrets.push(("refreshed access token", new_access.clone()));
    secrets.push(("rotated refresh token", new_refresh.clone()));
    assert_eq!(api_status(&server, &new_access).await, 200);
    let introspect = [("token", new_access.as_str())];
    let (status, body) = oauth_post(
        &server,
        "/oauth/introspect",
        &[&client[..], &introspect].concat(),
    )
    .await;
    assert_eq!((status, body["active"].as_bool()), (200, Some(true)));

    // Failures log too: a replayed code, a refused client secret, a replayed refresh.
    let (status, _) = oauth_post(&server, "/oauth/token", &[&client[..], &exchange].concat()).await;
    assert_eq!(status, 400);
    let wrong_client = [
        ("client_id", client_id.as_str()),
        ("client_secret", "gcs_wrong"),
    ];
    let (status, _) = oauth_post(
        &server,
        "/oauth/token",
        &[&wrong_client[..], &rotate].concat(),
    )
    .await;
    assert_eq!(status, 401);
    server.clock.advance(60);
    let (status, _) = oauth_post(&server, "/oauth/token", &[&client[..], &rotate].concat()).await;
    assert_eq!(status, 400);

    // The workspace API key, from the settings page.
    let response = browser
        .post_form("/workspaces/logs/api-key", &[("csrf", &csrf)])
        .await;
    let api_key = input_value(&response.text().await.unwrap(), "api-key").unwrap();
    secrets.push(("API key", api_key.clone()));
    assert_eq!(api_status(&server, &api_key).await, 200);

    // A second grant, revoked through the revocation endpoint and then by disconnecting
    // the app from the workspace.
    let response = browser.get(&url).await;
    let code = query_param(&support::location(&response), "code").unwrap();
    secrets.push(("second authorization code", code.clone()));
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
    ];
    let (_, tokens) = oauth_post(&server, "/oauth/token", &[&client[..], &exchange].concat()).await;
    let last_access = tokens["access_token"].as_str().unwrap().to_owned();
    let last_refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    secrets.push(("last access token", last_access.clone()));
    secrets.push(("last refresh token", last_refresh.clone()));
    let revoke = [("token", last_refresh.as_str())];
    let (status, _) = oauth_post(&server, "/oauth/revoke", &[&client[..], &revoke].concat()).await;
    assert_eq!(status, 200);
    assert_eq!(api_status(&server, &last_access).await, 401);
    let response = browser
        .post_form(
            &format!("/workspaces/logs/connected-apps/{client_id}/revoke"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(api_status(&server, &new_access).await, 401);

    // Log out, log in again, and fail a log-in.
    let response = browser.post_form("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(response.status(), 303);
    let response = browser.try_login(email, password).await;
    assert_eq!(response.status(), 303);
    secrets.push((
        "log-in session",
        cookie_value(&response, "gistd_session").expect("session cookie"),
    ));
    secrets.push(("second session CSRF token", session_csrf(&browser).await));
    let response = server.browser().try_login(email, wrong_password).await;
    assert_eq!(response.status(), 401);
    server.stop().await;

    let captured = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    // The capture works and reaches every layer, so an absence below means something.
    for expected in [
        "gistd::http",
        "sqlx::query",
        "consent given",
        "code exchanged",
        "refresh token rotated",
        "log-in failed",
        "app disconnected",
    ] {
        assert!(captured.contains(expected), "no `{expected}` in the logs");
    }
    for (what, value) in &secrets {
        assert!(
            value.len() >= 8,
            "{what} is too short to search for: {value:?}"
        );
        let encoded: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
        for form in [value.as_str(), encoded.as_str()] {
            if let Some(at) = captured.find(form) {
                let line_start = captured[..at].rfind('\n').map_or(0, |i| i + 1);
                let line_end = captured[at..].find('\n').map_or(captured.len(), |i| at + i);
                panic!(
                    "the {what} appears in the logs:\n{}",
                    &captured[line_start..line_end]
                );
            }
        }
    }
}
