//! The token, revocation and introspection endpoints, the server metadata and the API's
//! bearer checks: every error path and every guarantee, with codes obtained through the
//! real log-in and consent pages.

mod support;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap};
use serde_json::{Value, json};
use support::{Browser, Fixture, REDIRECT_URI, TestServer, authorize_url, location, query_param};
use tokio::task::JoinSet;

/// The scopes the fixture's app may request.
const SCOPES: &str = "read_contact read_teammates";
/// The example verifier of RFC 7636 appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// The S256 challenge of [`VERIFIER`].
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// A well-formed verifier that does not match [`CHALLENGE`].
const OTHER_VERIFIER: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
/// One access token lifetime, as configured by default.
const ACCESS_TTL: i64 = 7200;

/// An app's credentials.
#[derive(Clone)]
struct Client {
    id: String,
    secret: String,
}

/// A response, read in full.
struct Reply {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Reply {
    /// The OAuth `error` code, or `""`.
    fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }

    /// A header's value, or `""`.
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }

    /// A string member of the body; panics when missing.
    fn text(&self, name: &str) -> String {
        self.body[name]
            .as_str()
            .unwrap_or_else(|| panic!("no `{name}` in {} {}", self.status, self.body))
            .to_owned()
    }

    /// Panics unless this is a token response.
    fn expect_tokens(self) -> Reply {
        assert_eq!(self.status, 200, "expected tokens, got {}", self.body);
        self
    }

    /// Panics unless this is an OAuth error with `status` and `error`.
    fn expect_error(&self, status: u16, error: &str) {
        assert_eq!(
            (self.status, self.error()),
            (status, error),
            "unexpected answer {}",
            self.body
        );
        assert!(
            self.body["error_description"].is_string(),
            "an error should say why: {}",
            self.body
        );
        assert_eq!(self.header("cache-control"), "no-store");
    }
}

/// Reads a response; a body that is not JSON becomes a JSON string.
async fn read(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply {
        status,
        headers,
        body,
    }
}

/// Sends a request and reads the response.
async fn send(request: reqwest::RequestBuilder) -> Reply {
    read(request.send().await.expect("request sent")).await
}

/// `Basic base64(raw)`.
fn basic(raw: &str) -> String {
    format!("Basic {}", STANDARD.encode(raw))
}

/// Percent-encodes every byte of `value`, as `%67%63…`.
fn percent_encode_all(value: &str) -> String {
    value.bytes().map(|byte| format!("%{byte:02X}")).collect()
}

/// A running server with the fixture, its admin logged in, and a plain HTTP client.
struct Env {
    server: TestServer,
    fixture: Fixture,
    browser: Browser,
    http: reqwest::Client,
}

impl Env {
    async fn start() -> Env {
        Env::start_with(|_| {}).await
    }

    async fn start_with(configure: impl FnOnce(&mut gistd::config::Settings)) -> Env {
        let server = TestServer::start_with(configure).await;
        let fixture = server.fixture(SCOPES).await;
        let browser = server.browser();
        browser.login(&fixture.email).await;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Env {
            server,
            fixture,
            browser,
            http,
        }
    }

    /// The fixture app's credentials.
    fn client(&self) -> Client {
        Client {
            id: self.fixture.client_id.clone(),
            secret: self.fixture.client_secret.clone(),
        }
    }

    /// Registers a second app with the same redirect URI and scopes.
    async fn other_client(&self) -> Client {
        let (id, secret) = self
            .server
            .create_app(&self.fixture.email, &[REDIRECT_URI], SCOPES)
            .await;
        Client { id, secret }
    }

    /// Opens an authorization URL of `client` and allows it on `acme` when the consent
    /// page shows; returns where the server redirected to.
    async fn authorize(&self, client: &Client, scope: &str, extra: &[(&str, &str)]) -> String {
        let url = authorize_url(&self.server, &client.id, scope, extra);
        let response = self.browser.get(&url).await;
        match response.status().as_u16() {
            200 => {
                let page = response.text().await.expect("consent page");
                self.browser.decide(&page, "allow", "acme").await
            }
            302 => location(&response),
            other => panic!("authorization answered {other}"),
        }
    }

    /// A fresh code for `client` through the consent page.
    async fn code_for(&self, client: &Client, scope: &str, extra: &[(&str, &str)]) -> String {
        let redirect = self.authorize(client, scope, extra).await;
        query_param(&redirect, "code").unwrap_or_else(|| panic!("no code in {redirect}"))
    }

    /// A fresh code for the fixture app with all its scopes.
    async fn code(&self) -> String {
        self.code_for(&self.client(), SCOPES, &[]).await
    }

    /// A POST to a path on the server.
    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.post(self.server.url(path))
    }

    /// A form POST to `path` authenticated with `client_secret_post`.
    async fn post_as(&self, client: &Client, path: &str, fields: &[(&str, &str)]) -> Reply {
        let mut all = fields.to_vec();
        all.push(("client_id", &client.id));
        all.push(("client_secret", &client.secret));
        send(self.post(path).form(&all)).await
    }

    /// Exchanges a code as `client`, with the registered redirect URI and `extra`.
    async fn exchange_as(&self, client: &Client, code: &str, extra: &[(&str, &str)]) -> Reply {
        let mut fields = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
        ];
        fields.extend_from_slice(extra);
        self.post_as(client, "/oauth/token", &fields).await
    }

    /// Exchanges a code as the fixture app.
    async fn exchange(&self, code: &str) -> Reply {
        self.exchange_as(&self.client(), code, &[]).await
    }

    /// A code exchanged for tokens.
    async fn tokens(&self) -> Reply {
        let code = self.code().await;
        self.exchange(&code).await.expect_tokens()
    }

    /// Refreshes as `client` with `extra` parameters.
    async fn refresh_as(&self, client: &Client, token: &str, extra: &[(&str, &str)]) -> Reply {
        let mut fields = vec![("grant_type", "refresh_token"), ("refresh_token", token)];
        fields.extend_from_slice(extra);
        self.post_as(client, "/oauth/token", &fields).await
    }

    /// Refreshes as the fixture app.
    async fn refresh(&self, token: &str) -> Reply {
        self.refresh_as(&self.client(), token, &[]).await
    }

    /// Revokes as `client`.
    async fn revoke_as(&self, client: &Client, token: &str) -> Reply {
        self.post_as(client, "/oauth/revoke", &[("token", token)])
            .await
    }

    /// Introspects as `client`.
    async fn introspect_as(&self, client: &Client, token: &str) -> Reply {
        self.post_as(client, "/oauth/introspect", &[("token", token)])
            .await
    }

    /// `GET /api/teammates` with `Authorization: <scheme> <token>`.
    async fn teammates_with(&self, scheme: &str, token: &str) -> Reply {
        let request = self
            .http
            .get(self.server.url("/api/teammates"))
            .header(AUTHORIZATION, format!("{scheme} {token}"));
        send(request).await
    }

    /// The status of `GET /api/teammates` with a bearer token.
    async fn api_status(&self, token: &str) -> u16 {
        self.teammates_with("Bearer", token).await.status
    }
}

/// A form POST to `url` from a spawned task.
async fn post_form(http: reqwest::Client, url: String, fields: Vec<(String, String)>) -> Reply {
    send(http.post(url).form(&fields)).await
}

/// Sends `copies` identical token requests at once; returns every answer.
async fn concurrently(env: &Env, fields: &[(&str, &str)], copies: usize) -> Vec<Reply> {
    let client = env.client();
    let mut owned: Vec<(String, String)> = fields
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    owned.push(("client_id".into(), client.id));
    owned.push(("client_secret".into(), client.secret));
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(copies));
    let mut tasks = JoinSet::new();
    for _ in 0..copies {
        let (http, url, fields) = (
            env.http.clone(),
            env.server.url("/oauth/token"),
            owned.clone(),
        );
        let barrier = barrier.clone();
        tasks.spawn(async move {
            barrier.wait().await;
            post_form(http, url, fields).await
        });
    }
    let mut replies = Vec::new();
    while let Some(reply) = tasks.join_next().await {
        replies.push(reply.expect("task"));
    }
    replies
}

// ---------------------------------------------------------------------------------------
// Client authentication

#[tokio::test]
async fn a_wrong_client_secret_over_http_basic_is_refused_with_a_challenge() {
    let env = Env::start().await;
    let code = env.code().await;
    let reply = send(
        env.post("/oauth/token")
            .basic_auth(&env.fixture.client_id, Some("gcs_not-the-secret"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT_URI),
            ]),
    )
    .await;
    reply.expect_error(401, "invalid_client");
    assert!(
        reply.header("www-authenticate").starts_with("Basic"),
        "{:?}",
        reply.headers
    );
}

#[tokio::test]
async fn a_wrong_client_secret_in_the_body_is_refused() {
    let env = Env::start().await;
    let code = env.code().await;
    let wrong = Client {
        secret: "gcs_not-the-secret".into(),
        ..env.client()
    };
    env.exchange_as(&wrong, &code, &[])
        .await
        .expect_error(401, "invalid_client");
}

#[tokio::test]
async fn an_unknown_client_id_is_refused() {
    let env = Env::start().await;
    let code = env.code().await;
    let unknown = Client {
        id: "00000000-0000-4000-8000-000000000000".into(),
        ..env.client()
    };
    env.exchange_as(&unknown, &code, &[])
        .await
        .expect_error(401, "invalid_client");
    let reply = send(
        env.post("/oauth/token")
            .basic_auth(&unknown.id, Some(&unknown.secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
            ]),
    )
    .await;
    reply.expect_error(401, "invalid_client");
}

#[tokio::test]
async fn no_client_authentication_at_all_is_refused() {
    let env = Env::start().await;
    let code = env.code().await;
    let reply = send(env.post("/oauth/token").form(&[
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("client_id", env.fixture.client_id.as_str()),
    ]))
    .await;
    reply.expect_error(401, "invalid_client");
}

#[tokio::test]
async fn basic_credentials_are_form_url_decoded_so_fully_percent_encoded_ones_work() {
    let env = Env::start().await;
    let code = env.code().await;
    let raw = format!(
        "{}:{}",
        percent_encode_all(&env.fixture.client_id),
        percent_encode_all(&env.fixture.client_secret)
    );
    assert!(raw.starts_with('%'), "{raw}");
    let reply = send(
        env.post("/oauth/token")
            .header(AUTHORIZATION, basic(&raw))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT_URI),
            ]),
    )
    .await
    .expect_tokens();
    assert_eq!(env.api_status(&reply.text("access_token")).await, 200);
}

#[tokio::test]
async fn a_malformed_escape_in_basic_credentials_fails_authentication_cleanly() {
    let env = Env::start().await;
    let code = env.code().await;
    for secret in ["%G1", "%4", "%", "%C3%28"] {
        let raw = format!("{}:{secret}", env.fixture.client_id);
        let reply = send(
            env.post("/oauth/token")
                .header(AUTHORIZATION, basic(&raw))
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", code.as_str()),
                    ("redirect_uri", REDIRECT_URI),
                ]),
        )
        .await;
        reply.expect_error(401, "invalid_client");
        assert!(reply.header("www-authenticate").starts_with("Basic"));
    }
    // Not Basic at all, or not base64.
    for header in ["Bearer abc", "Basic !!!", "Basic"] {
        let reply = send(
            env.post("/oauth/token")
                .header(AUTHORIZATION, header)
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", code.as_str()),
                ]),
        )
        .await;
        reply.expect_error(401, "invalid_client");
    }
    // None of that used the code up.
    env.exchange(&code).await.expect_tokens();
}

#[tokio::test]
async fn basic_credentials_together_with_a_body_secret_are_an_invalid_request() {
    let env = Env::start().await;
    let code = env.code().await;
    let reply = send(
        env.post("/oauth/token")
            .basic_auth(&env.fixture.client_id, Some(&env.fixture.client_secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT_URI),
                ("client_secret", env.fixture.client_secret.as_str()),
            ]),
    )
    .await;
    reply.expect_error(400, "invalid_request");
}

#[tokio::test]
async fn a_body_client_id_that_differs_from_the_basic_credentials_is_an_invalid_request() {
    let env = Env::start().await;
    let other = env.other_client().await;
    let code = env.code().await;
    let reply = send(
        env.post("/oauth/token")
            .basic_auth(&env.fixture.client_id, Some(&env.fixture.client_secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT_URI),
                ("client_id", other.id.as_str()),
            ]),
    )
    .await;
    reply.expect_error(400, "invalid_request");
}

#[tokio::test]
async fn a_failed_client_authentication_does_not_consume_the_code() {
    let env = Env::start().await;
    let code = env.code().await;
    let fields = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
    ];
    // Wrong secret over Basic, then over the body, then both methods at once...
    send(
        env.post("/oauth/token")
            .basic_auth(&env.fixture.client_id, Some("gcs_wrong"))
            .form(&fields),
    )
    .await
    .expect_error(401, "invalid_client");
    let wrong = Client {
        secret: "gcs_wrong".into(),
        ..env.client()
    };
    env.exchange_as(&wrong, &code, &[])
        .await
        .expect_error(401, "invalid_client");
    // ...and golang/oauth2's retry with the other method succeeds.
    let reply = send(
        env.post("/oauth/token")
            .basic_auth(&env.fixture.client_id, Some(&env.fixture.client_secret))
            .form(&fields),
    )
    .await
    .expect_tokens();
    assert_eq!(env.api_status(&reply.text("access_token")).await, 200);
}

// ---------------------------------------------------------------------------------------
// The authorization_code grant

#[tokio::test]
async fn a_wrong_redirect_uri_at_the_token_endpoint_is_an_invalid_grant() {
    let env = Env::start().await;
    let code = env.code().await;
    let reply = env
        .post_as(
            &env.client(),
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "http://127.0.0.1:3000/elsewhere"),
            ],
        )
        .await;
    reply.expect_error(400, "invalid_grant");
    // The code was burnt by the failed attempt, and the answer says so rather than
    // claiming tokens were revoked (none were issued).
    let retry = env.exchange(&code).await;
    assert!(
        retry.text("error_description").contains("refused"),
        "{}",
        retry.text("error_description")
    );
    retry.expect_error(400, "invalid_grant");
}

#[tokio::test]
async fn a_missing_redirect_uri_is_an_invalid_request() {
    let env = Env::start().await;
    let code = env.code().await;
    let fields = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
    ];
    env.post_as(&env.client(), "/oauth/token", &fields)
        .await
        .expect_error(400, "invalid_request");
    let empty = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", ""),
    ];
    env.post_as(&env.client(), "/oauth/token", &empty)
        .await
        .expect_error(400, "invalid_request");
}

#[tokio::test]
async fn a_missing_or_unknown_code_is_refused() {
    let env = Env::start().await;
    let fields = [
        ("grant_type", "authorization_code"),
        ("redirect_uri", REDIRECT_URI),
    ];
    env.post_as(&env.client(), "/oauth/token", &fields)
        .await
        .expect_error(400, "invalid_request");
    env.exchange("gac_no-such-code")
        .await
        .expect_error(400, "invalid_grant");
}

#[tokio::test]
async fn a_reused_code_is_refused_and_the_tokens_issued_from_it_stop_working() {
    let env = Env::start().await;
    let code = env.code().await;
    let first = env.exchange(&code).await.expect_tokens();
    let access = first.text("access_token");
    let refresh = first.text("refresh_token");
    // Tokens rotated from the first pair belong to the same grant.
    let rotated = env.refresh(&refresh).await.expect_tokens();
    let rotated_access = rotated.text("access_token");
    let rotated_refresh = rotated.text("refresh_token");
    assert_eq!(env.api_status(&access).await, 200);
    assert_eq!(env.api_status(&rotated_access).await, 200);

    env.exchange(&code).await.expect_error(400, "invalid_grant");

    assert_eq!(env.api_status(&access).await, 401);
    assert_eq!(env.api_status(&rotated_access).await, 401);
    env.refresh(&rotated_refresh)
        .await
        .expect_error(400, "invalid_grant");
}

#[tokio::test]
async fn an_expired_code_is_an_invalid_grant() {
    let env = Env::start().await;
    let code = env.code().await;
    env.server.clock.advance(601);
    env.exchange(&code).await.expect_error(400, "invalid_grant");
}

#[tokio::test]
async fn a_code_issued_to_another_client_is_an_invalid_grant_and_stays_usable_by_its_owner() {
    let env = Env::start().await;
    let other = env.other_client().await;
    let code = env.code().await;
    let reply = env.exchange_as(&other, &code, &[]).await;
    assert_eq!(reply.text("error_description"), "The code is not valid.");
    reply.expect_error(400, "invalid_grant");
    env.exchange_as(&env.client(), &code, &[])
        .await
        .expect_tokens();
}

// ---------------------------------------------------------------------------------------
// PKCE

#[tokio::test]
async fn the_matching_pkce_verifier_redeems_the_code() {
    let env = Env::start().await;
    let pkce = [
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let code = env.code_for(&env.client(), SCOPES, &pkce).await;
    env.exchange_as(&env.client(), &code, &[("code_verifier", VERIFIER)])
        .await
        .expect_tokens();
}

#[tokio::test]
async fn a_wrong_pkce_verifier_is_an_invalid_grant() {
    let env = Env::start().await;
    let pkce = [
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let code = env.code_for(&env.client(), SCOPES, &pkce).await;
    env.exchange_as(&env.client(), &code, &[("code_verifier", OTHER_VERIFIER)])
        .await
        .expect_error(400, "invalid_grant");
    // The code is burnt: guessing again is pointless.
    env.exchange_as(&env.client(), &code, &[("code_verifier", VERIFIER)])
        .await
        .expect_error(400, "invalid_grant");
}

#[tokio::test]
async fn a_code_issued_with_a_challenge_needs_a_verifier() {
    let env = Env::start().await;
    let pkce = [
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let code = env.code_for(&env.client(), SCOPES, &pkce).await;
    env.exchange(&code).await.expect_error(400, "invalid_grant");
}

#[tokio::test]
async fn a_verifier_for_a_code_issued_without_a_challenge_is_refused_as_a_downgrade() {
    let env = Env::start().await;
    let code = env.code().await;
    env.exchange_as(&env.client(), &code, &[("code_verifier", VERIFIER)])
        .await
        .expect_error(400, "invalid_grant");
}

#[tokio::test]
async fn a_plain_or_missing_code_challenge_method_is_refused_at_the_authorization_endpoint() {
    let env = Env::start().await;
    let cases: [&[(&str, &str)]; 2] = [
        &[
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "plain"),
            ("state", "s1"),
        ],
        &[("code_challenge", CHALLENGE), ("state", "s1")],
    ];
    for extra in cases {
        let redirect = env.authorize(&env.client(), SCOPES, extra).await;
        assert!(redirect.starts_with(REDIRECT_URI), "{redirect}");
        assert_eq!(
            query_param(&redirect, "error").as_deref(),
            Some("invalid_request")
        );
        assert_eq!(query_param(&redirect, "state").as_deref(), Some("s1"));
        assert_eq!(query_param(&redirect, "code"), None);
    }
}

// ---------------------------------------------------------------------------------------
// The refresh_token grant

#[tokio::test]
async fn a_rotated_refresh_token_reused_after_the_grace_period_revokes_the_whole_grant() {
    let env = Env::start().await;
    let first = env.tokens().await;
    let old_refresh = first.text("refresh_token");
    let newest = env.refresh(&old_refresh).await.expect_tokens();
    let newest_access = newest.text("access_token");
    let newest_refresh = newest.text("refresh_token");
    assert_eq!(env.api_status(&newest_access).await, 200);

    env.server.clock.advance(10);
    env.refresh(&old_refresh)
        .await
        .expect_error(400, "invalid_grant");

    assert_eq!(env.api_status(&newest_access).await, 401);
    assert_eq!(env.api_status(&first.text("access_token")).await, 401);
    env.refresh(&newest_refresh)
        .await
        .expect_error(400, "invalid_grant");
    let introspected = env.introspect_as(&env.client(), &newest_refresh).await;
    assert_eq!(introspected.body, json!({"active": false}));
}

#[tokio::test]
async fn a_rotated_refresh_token_reused_within_the_grace_period_leaves_the_winner_its_tokens() {
    let env = Env::start().await;
    let first = env.tokens().await;
    let old_refresh = first.text("refresh_token");
    let winner = env.refresh(&old_refresh).await.expect_tokens();

    env.refresh(&old_refresh)
        .await
        .expect_error(400, "invalid_grant");

    assert_eq!(env.api_status(&winner.text("access_token")).await, 200);
    let next = env
        .refresh(&winner.text("refresh_token"))
        .await
        .expect_tokens();
    assert_eq!(env.api_status(&next.text("access_token")).await, 200);
}

#[tokio::test]
async fn a_refresh_may_narrow_the_scope() {
    let env = Env::start().await;
    let first = env.tokens().await;
    assert_eq!(first.text("scope"), "read_contact read_teammates");

    let narrow = env
        .refresh_as(
            &env.client(),
            &first.text("refresh_token"),
            &[("scope", "read_contact")],
        )
        .await
        .expect_tokens();
    assert_eq!(narrow.text("scope"), "read_contact");
    let narrow_access = narrow.text("access_token");
    // The narrowed token really lacks read_teammates.
    assert_eq!(env.api_status(&narrow_access).await, 403);
    let introspected = env.introspect_as(&env.client(), &narrow_access).await;
    assert_eq!(introspected.body["scope"], "read_contact");

    // The refresh token keeps the grant's scope.
    let again = env
        .refresh(&narrow.text("refresh_token"))
        .await
        .expect_tokens();
    assert_eq!(again.text("scope"), "read_contact read_teammates");
    assert_eq!(env.api_status(&again.text("access_token")).await, 200);
}

#[tokio::test]
async fn a_refresh_asking_for_a_wider_scope_is_refused_and_does_not_consume_the_token() {
    let env = Env::start().await;
    let code = env.code_for(&env.client(), "read_teammates", &[]).await;
    let first = env.exchange(&code).await.expect_tokens();
    assert_eq!(first.text("scope"), "read_teammates");
    let refresh = first.text("refresh_token");

    for scope in ["read_contact read_teammates", "write_tags", "no_such_scope"] {
        env.refresh_as(&env.client(), &refresh, &[("scope", scope)])
            .await
            .expect_error(400, "invalid_scope");
    }
    let next = env.refresh(&refresh).await.expect_tokens();
    assert_eq!(next.text("scope"), "read_teammates");
    assert_eq!(env.api_status(&first.text("access_token")).await, 200);
}

#[tokio::test]
async fn a_refresh_token_presented_by_another_client_is_refused_and_stays_usable() {
    let env = Env::start().await;
    let other = env.other_client().await;
    let first = env.tokens().await;
    let refresh = first.text("refresh_token");
    env.refresh_as(&other, &refresh, &[])
        .await
        .expect_error(400, "invalid_grant");
    env.refresh(&refresh).await.expect_tokens();
}

#[tokio::test]
async fn a_missing_or_unknown_refresh_token_is_refused() {
    let env = Env::start().await;
    env.post_as(
        &env.client(),
        "/oauth/token",
        &[("grant_type", "refresh_token")],
    )
    .await
    .expect_error(400, "invalid_request");
    env.refresh("grt_no-such-token")
        .await
        .expect_error(400, "invalid_grant");
}

// ---------------------------------------------------------------------------------------
// Concurrency

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_redemptions_of_one_code_yield_exactly_one_token_response() {
    let env = Env::start().await;
    let code = env.code().await;
    let fields = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
    ];
    let replies = concurrently(&env, &fields, 8).await;
    let issued = replies.iter().filter(|reply| reply.status == 200).count();
    assert_eq!(issued, 1, "exactly one redemption wins");
    for reply in replies.iter().filter(|reply| reply.status != 200) {
        reply.expect_error(400, "invalid_grant");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_refreshes_of_one_refresh_token_yield_exactly_one_new_pair() {
    let env = Env::start().await;
    let first = env.tokens().await;
    let refresh = first.text("refresh_token");
    let fields = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
    ];
    let replies = concurrently(&env, &fields, 8).await;
    let winners: Vec<&Reply> = replies.iter().filter(|reply| reply.status == 200).collect();
    assert_eq!(winners.len(), 1, "exactly one refresh wins");
    for reply in replies.iter().filter(|reply| reply.status != 200) {
        reply.expect_error(400, "invalid_grant");
    }
    // The losers revoked nothing: the winner's pair works.
    let winner = winners[0];
    assert_eq!(env.api_status(&winner.text("access_token")).await, 200);
    env.refresh(&winner.text("refresh_token"))
        .await
        .expect_tokens();
}

// ---------------------------------------------------------------------------------------
// Request formats

#[tokio::test]
async fn a_json_body_as_gists_starter_app_sends_it_works() {
    let env = Env::start().await;
    let code = env.code().await;
    let body = json!({
        "client_id": env.fixture.client_id,
        "client_secret": env.fixture.client_secret,
        "code": code,
        "grant_type": "authorization_code",
        "redirect_uri": REDIRECT_URI,
    });
    let reply = send(
        env.post("/oauth/token")
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string()),
    )
    .await
    .expect_tokens();
    assert_eq!(reply.text("workspace_id"), "acme");
    assert_eq!(env.api_status(&reply.text("access_token")).await, 200);
}

#[tokio::test]
async fn a_json_body_that_is_not_an_object_or_not_json_is_an_invalid_request() {
    let env = Env::start().await;
    for body in ["[1, 2]", "\"text\"", "{not json", ""] {
        let reply = send(
            env.post("/oauth/token")
                .header(CONTENT_TYPE, "application/json")
                .body(body),
        )
        .await;
        reply.expect_error(400, "invalid_request");
    }
}

#[tokio::test]
async fn the_oauth2_token_alias_works() {
    let env = Env::start().await;
    let code = env.code().await;
    let reply = env
        .post_as(
            &env.client(),
            "/oauth2/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
            ],
        )
        .await
        .expect_tokens();
    let refreshed = env
        .post_as(
            &env.client(),
            "/oauth2/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &reply.text("refresh_token")),
            ],
        )
        .await
        .expect_tokens();
    assert_eq!(env.api_status(&refreshed.text("access_token")).await, 200);
}

#[tokio::test]
async fn a_repeated_parameter_is_an_invalid_request() {
    let env = Env::start().await;
    let code = env.code().await;
    let reply = env
        .post_as(
            &env.client(),
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
            ],
        )
        .await;
    reply.expect_error(400, "invalid_request");
    // Refused before anything was looked at: the code still works.
    env.exchange(&code).await.expect_tokens();
}

#[tokio::test]
async fn a_repeated_member_of_a_json_body_is_an_invalid_request() {
    let env = Env::start().await;
    let code = env.code().await;
    // serde_json would keep only the last `grant_type`; the server must see both.
    let body = format!(
        r#"{{"grant_type": "refresh_token", "grant_type": "authorization_code",
            "code": "{code}", "redirect_uri": "{REDIRECT_URI}",
            "client_id": "{}", "client_secret": "{}"}}"#,
        env.fixture.client_id, env.fixture.client_secret
    );
    let reply = send(
        env.post("/oauth/token")
            .header(CONTENT_TYPE, "application/json")
            .body(body),
    )
    .await;
    reply.expect_error(400, "invalid_request");
    env.exchange(&code).await.expect_tokens();
}

#[tokio::test]
async fn a_client_secret_in_the_url_query_is_an_invalid_request() {
    let env = Env::start().await;
    let code = env.code().await;
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_secret", &env.fixture.client_secret)
        .finish();
    let reply = send(env.post(&format!("/oauth/token?{query}")).form(&[
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("client_id", env.fixture.client_id.as_str()),
    ]))
    .await;
    reply.expect_error(400, "invalid_request");
    // So is the code, even with the credentials in the body.
    let reply = send(env.post(&format!("/oauth/token?code={code}")).form(&[
        ("grant_type", "authorization_code"),
        ("redirect_uri", REDIRECT_URI),
        ("client_id", env.fixture.client_id.as_str()),
        ("client_secret", env.fixture.client_secret.as_str()),
    ]))
    .await;
    reply.expect_error(400, "invalid_request");
    // The revocation and introspection endpoints refuse a secret in the URL too.
    for path in ["/oauth/revoke", "/oauth/introspect"] {
        let reply = send(env.post(&format!("{path}?{query}")).form(&[
            ("token", "gat_whatever"),
            ("client_id", env.fixture.client_id.as_str()),
        ]))
        .await;
        reply.expect_error(400, "invalid_request");
    }
    env.exchange(&code).await.expect_tokens();
}

#[tokio::test]
async fn an_unsupported_grant_type_is_refused() {
    let env = Env::start().await;
    for grant_type in ["client_credentials", "password", "implicit"] {
        env.post_as(&env.client(), "/oauth/token", &[("grant_type", grant_type)])
            .await
            .expect_error(400, "unsupported_grant_type");
    }
}

#[tokio::test]
async fn a_missing_grant_type_is_an_invalid_request() {
    let env = Env::start().await;
    let code = env.code().await;
    env.post_as(
        &env.client(),
        "/oauth/token",
        &[("code", &code), ("redirect_uri", REDIRECT_URI)],
    )
    .await
    .expect_error(400, "invalid_request");
}

#[tokio::test]
async fn an_unsupported_content_type_is_an_invalid_request() {
    let env = Env::start().await;
    let reply = send(
        env.post("/oauth/token")
            .header(CONTENT_TYPE, "text/plain")
            .body("grant_type=authorization_code"),
    )
    .await;
    reply.expect_error(400, "invalid_request");
}

// ---------------------------------------------------------------------------------------
// Token responses and lifetimes

/// Checks what every token response must carry.
fn assert_token_response(reply: &Reply, scope: &str) {
    assert_eq!(reply.header("cache-control"), "no-store");
    assert_eq!(reply.header("pragma"), "no-cache");
    assert!(
        reply.header("content-type").starts_with("application/json"),
        "{:?}",
        reply.headers
    );
    assert_eq!(reply.body["token_type"], "Bearer");
    assert!(reply.text("access_token").starts_with("gat_"));
    assert!(reply.text("refresh_token").starts_with("grt_"));
    assert_eq!(reply.text("scope"), scope);
    assert_eq!(reply.text("workspace_id"), "acme");
    assert_eq!(reply.text("workspace_name"), "Acme");
}

#[tokio::test]
async fn token_responses_are_uncacheable_bearer_tokens_with_scope_refresh_token_and_workspace() {
    let env = Env::start().await;
    let first = env.tokens().await;
    assert_token_response(&first, SCOPES);
    assert!(first.body["expires_in"].is_i64(), "{}", first.body);
    assert_eq!(first.body["expires_in"], ACCESS_TTL);

    let refreshed = env
        .refresh(&first.text("refresh_token"))
        .await
        .expect_tokens();
    assert_token_response(&refreshed, SCOPES);
    assert_eq!(refreshed.body["expires_in"], ACCESS_TTL);
    assert_ne!(refreshed.text("access_token"), first.text("access_token"));
    assert_ne!(refreshed.text("refresh_token"), first.text("refresh_token"));
}

#[tokio::test]
async fn without_an_access_token_lifetime_tokens_have_no_expires_in_and_never_expire() {
    let env = Env::start_with(|settings| settings.access_token_ttl = None).await;
    let first = env.tokens().await;
    assert_token_response(&first, SCOPES);
    assert!(first.body.get("expires_in").is_none(), "{}", first.body);
    let refreshed = env
        .refresh(&first.text("refresh_token"))
        .await
        .expect_tokens();
    assert!(
        refreshed.body.get("expires_in").is_none(),
        "{}",
        refreshed.body
    );

    env.server.clock.advance(366 * 24 * 60 * 60);
    assert_eq!(env.api_status(&first.text("access_token")).await, 200);
    assert_eq!(env.api_status(&refreshed.text("access_token")).await, 200);
    let introspected = env
        .introspect_as(&env.client(), &refreshed.text("access_token"))
        .await;
    assert_eq!(introspected.body["active"], true);
    assert!(
        introspected.body.get("exp").is_none(),
        "{}",
        introspected.body
    );
}

#[tokio::test]
async fn an_access_token_stops_working_after_its_lifetime() {
    let env = Env::start().await;
    let first = env.tokens().await;
    let access = first.text("access_token");
    env.server.clock.advance(ACCESS_TTL - 100);
    assert_eq!(env.api_status(&access).await, 200);
    env.server.clock.advance(101);
    let refused = env.teammates_with("Bearer", &access).await;
    assert_eq!(refused.status, 401);
    assert!(refused.header("www-authenticate").contains("invalid_token"));
    let introspected = env.introspect_as(&env.client(), &access).await;
    assert_eq!(introspected.body, json!({"active": false}));
    // The refresh token outlives it.
    let next = env
        .refresh(&first.text("refresh_token"))
        .await
        .expect_tokens();
    assert_eq!(env.api_status(&next.text("access_token")).await, 200);
}

// ---------------------------------------------------------------------------------------
// Revocation

#[tokio::test]
async fn revoking_an_unknown_token_answers_200() {
    let env = Env::start().await;
    for token in ["gat_no-such-token", "grt_no-such-token", "whatever"] {
        let reply = env.revoke_as(&env.client(), token).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
}

#[tokio::test]
async fn revocation_requires_client_authentication() {
    let env = Env::start().await;
    let first = env.tokens().await;
    let access = first.text("access_token");
    let reply = send(
        env.post("/oauth/revoke")
            .form(&[("token", access.as_str())]),
    )
    .await;
    reply.expect_error(401, "invalid_client");
    let wrong = Client {
        secret: "gcs_wrong".into(),
        ..env.client()
    };
    env.revoke_as(&wrong, &access)
        .await
        .expect_error(401, "invalid_client");
    assert_eq!(env.api_status(&access).await, 200);
}

#[tokio::test]
async fn revoking_another_clients_token_answers_200_and_leaves_it_working() {
    let env = Env::start().await;
    let other = env.other_client().await;
    let first = env.tokens().await;
    let access = first.text("access_token");
    let refresh = first.text("refresh_token");

    assert_eq!(env.revoke_as(&other, &access).await.status, 200);
    assert_eq!(env.revoke_as(&other, &refresh).await.status, 200);

    assert_eq!(env.api_status(&access).await, 200);
    env.refresh(&refresh).await.expect_tokens();
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_the_grants_access_token_too() {
    let env = Env::start().await;
    let first = env.tokens().await;
    let access = first.text("access_token");
    let refresh = first.text("refresh_token");

    let reply = env.revoke_as(&env.client(), &refresh).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("cache-control"), "no-store");

    assert_eq!(env.api_status(&access).await, 401);
    env.refresh(&refresh)
        .await
        .expect_error(400, "invalid_grant");
}

#[tokio::test]
async fn revoking_an_access_token_ends_only_that_token() {
    let env = Env::start().await;
    let first = env.tokens().await;
    let access = first.text("access_token");
    // Basic authentication works at the revocation endpoint too.
    let reply = send(
        env.post("/oauth/revoke")
            .basic_auth(&env.fixture.client_id, Some(&env.fixture.client_secret))
            .form(&[
                ("token", access.as_str()),
                ("token_type_hint", "access_token"),
            ]),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(env.api_status(&access).await, 401);
    let next = env
        .refresh(&first.text("refresh_token"))
        .await
        .expect_tokens();
    assert_eq!(env.api_status(&next.text("access_token")).await, 200);
}

// ---------------------------------------------------------------------------------------
// Introspection

#[tokio::test]
async fn introspecting_a_live_access_token_shows_its_scope_client_expiry_and_workspace() {
    let env = Env::start().await;
    let first = env.tokens().await;
    let reply = env
        .introspect_as(&env.client(), &first.text("access_token"))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("cache-control"), "no-store");
    let body = &reply.body;
    assert_eq!(body["active"], true);
    assert_eq!(body["scope"], SCOPES);
    assert_eq!(body["client_id"], env.fixture.client_id.as_str());
    assert_eq!(body["workspace_id"], "acme");
    assert_eq!(body["token_type"], "access_token");
    let (exp, iat) = (body["exp"].as_i64(), body["iat"].as_i64());
    assert_eq!(exp.zip(iat).map(|(exp, iat)| exp - iat), Some(ACCESS_TTL));

    // A refresh token introspects as one, without an expiry.
    let reply = send(
        env.post("/oauth/introspect")
            .basic_auth(&env.fixture.client_id, Some(&env.fixture.client_secret))
            .form(&[("token", first.text("refresh_token"))]),
    )
    .await;
    assert_eq!(reply.body["active"], true, "{}", reply.body);
    assert_eq!(reply.body["token_type"], "refresh_token");
    assert_eq!(reply.body["workspace_id"], "acme");
    assert!(reply.body.get("exp").is_none());
}

#[tokio::test]
async fn introspecting_a_revoked_unknown_or_foreign_token_shows_only_inactive() {
    let env = Env::start().await;
    let other = env.other_client().await;
    let mine = env.tokens().await;
    let theirs_code = env.code_for(&other, SCOPES, &[]).await;
    let theirs = env
        .exchange_as(&other, &theirs_code, &[])
        .await
        .expect_tokens();

    let revoked = env.tokens().await;
    assert_eq!(
        env.revoke_as(&env.client(), &revoked.text("access_token"))
            .await
            .status,
        200
    );
    // A refresh token consumed by rotation is not live either.
    let consumed = mine.text("refresh_token");
    env.refresh(&consumed).await.expect_tokens();

    let inactive = json!({"active": false});
    for token in [
        revoked.text("access_token"),
        consumed,
        "gat_no-such-token".to_owned(),
        "grt_no-such-token".to_owned(),
        "not-a-token".to_owned(),
        theirs.text("access_token"),
        theirs.text("refresh_token"),
    ] {
        let reply = env.introspect_as(&env.client(), &token).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, inactive, "for {token}");
    }
    // The other client sees its own token as live.
    let reply = env
        .introspect_as(&other, &theirs.text("access_token"))
        .await;
    assert_eq!(reply.body["active"], true);
    assert_eq!(reply.body["client_id"], other.id.as_str());
}

#[tokio::test]
async fn introspection_requires_client_authentication() {
    let env = Env::start().await;
    let first = env.tokens().await;
    let access = first.text("access_token");
    let reply = send(
        env.post("/oauth/introspect")
            .form(&[("token", access.as_str())]),
    )
    .await;
    reply.expect_error(401, "invalid_client");
    assert!(reply.header("www-authenticate").starts_with("Basic"));
    let wrong = Client {
        secret: "gcs_wrong".into(),
        ..env.client()
    };
    let reply = env.introspect_as(&wrong, &access).await;
    reply.expect_error(401, "invalid_client");
    assert!(reply.body.get("active").is_none());
}

// ---------------------------------------------------------------------------------------
// Server metadata

#[tokio::test]
async fn server_metadata_names_the_issuer_and_absolute_endpoints_under_it() {
    let env = Env::start().await;
    let reply = send(
        env.http
            .get(env.server.url("/.well-known/oauth-authorization-server")),
    )
    .await;
    assert_eq!(reply.status, 200);
    let metadata = reply.body.as_object().expect("a JSON object");
    assert_eq!(metadata["issuer"], env.server.base_url.as_str());
    let endpoints: Vec<(&String, &Value)> = metadata
        .iter()
        .filter(|(name, _)| name.ends_with("_endpoint"))
        .collect();
    assert_eq!(endpoints.len(), 4, "{metadata:?}");
    let prefix = format!("{}/", env.server.base_url);
    for (name, value) in endpoints {
        let url = value.as_str().expect("a string");
        assert!(url.starts_with(&prefix), "{name}: {url}");
        assert!(url::Url::parse(url).is_ok(), "{name}: {url}");
    }
    assert_eq!(
        metadata["token_endpoint"],
        env.server.url("/oauth/token").as_str()
    );
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        json!(["S256"])
    );
    // The advertised endpoints are the ones that answer.
    let token = env.tokens().await;
    let introspection = metadata["introspection_endpoint"].as_str().expect("URL");
    let reply = send(env.http.post(introspection).form(&[
        ("token", token.text("access_token").as_str()),
        ("client_id", env.fixture.client_id.as_str()),
        ("client_secret", env.fixture.client_secret.as_str()),
    ]))
    .await;
    assert_eq!(reply.body["active"], true);
}

// ---------------------------------------------------------------------------------------
// The API's bearer checks

#[tokio::test]
async fn a_token_without_the_needed_scope_gets_403_insufficient_scope() {
    let env = Env::start().await;
    let code = env.code_for(&env.client(), "read_contact", &[]).await;
    let tokens = env.exchange(&code).await.expect_tokens();
    let reply = env
        .teammates_with("Bearer", &tokens.text("access_token"))
        .await;
    assert_eq!(reply.status, 403);
    let challenge = reply.header("www-authenticate");
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    assert!(
        challenge.contains("scope=\"read_teammates\""),
        "{challenge}"
    );
    assert_eq!(reply.body["errors"][0]["code"], "insufficient_scope");
    assert!(reply.body["errors"][0]["message"].is_string());
}

#[tokio::test]
async fn the_bearer_scheme_is_accepted_in_any_case() {
    let env = Env::start().await;
    let access = env.tokens().await.text("access_token");
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let reply = env.teammates_with(scheme, &access).await;
        assert_eq!(reply.status, 200, "{scheme}: {}", reply.body);
    }
    let missing = send(env.http.get(env.server.url("/api/teammates"))).await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.body["errors"][0]["code"], "unauthorized");
}

#[tokio::test]
async fn a_token_and_an_api_key_see_only_their_own_workspace() {
    let env = Env::start().await;
    let server = &env.server;
    // Workspace B belongs to Bob; the admin of A is also an admin of B, so the consent
    // page offers both and the test picks A.
    server.create_user("bob@example.com", "Bob Beta").await;
    let beta = server
        .create_workspace("bob@example.com", "Beta", "beta")
        .await;
    let admin = gistd::service::require_user(&server.db, &env.fixture.email)
        .await
        .expect("admin");
    gistd::storage::workspaces::insert_member(&server.db, beta, admin.id, "admin", 0)
        .await
        .expect("member added");

    let emails = |reply: &Reply| -> Vec<String> {
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body["teammates"]
            .as_array()
            .expect("teammates")
            .iter()
            .map(|teammate| teammate["email"].as_str().expect("email").to_owned())
            .collect()
    };

    let tokens = env.tokens().await;
    assert_eq!(tokens.text("workspace_id"), "acme");
    let seen = env
        .teammates_with("Bearer", &tokens.text("access_token"))
        .await;
    assert_eq!(emails(&seen), ["admin@example.com"]);

    let key_b = server.api_key(beta).await;
    let seen = env.teammates_with("Bearer", &key_b).await;
    assert_eq!(emails(&seen), ["bob@example.com", "admin@example.com"]);

    let key_a = server.api_key(env.fixture.workspace_id).await;
    let seen = env.teammates_with("Bearer", &key_a).await;
    assert_eq!(emails(&seen), ["admin@example.com"]);
}

#[tokio::test]
async fn a_request_with_more_than_a_hundred_parameters_is_refused() {
    let env = Env::start().await;
    let mut body = String::from("grant_type=refresh_token&refresh_token=x");
    for index in 0..50_000 {
        body.push_str(&format!("&a{index}=1"));
    }
    let response = reqwest::Client::new()
        .post(env.server.url("/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(json["error"], "invalid_request");
    assert!(
        json["error_description"]
            .as_str()
            .unwrap()
            .contains("more than 100")
    );
}
