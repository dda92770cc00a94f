//! The authorization endpoint, the consent page and the web pages around them, driven
//! through real HTTP and the HTML forms the way a browser would.

mod support;

use gistd::config::Settings;
use gistd::domain::clock::Clock;
use gistd::storage::{Db, workspaces};
use serde_json::Value;
use support::{
    Browser, Fixture, PASSWORD, REDIRECT_URI, TestServer, authorize_url, hidden_field, input_value,
    location, query_param, session_csrf,
};

/// A redirect URI registered next to [`REDIRECT_URI`] by [`redirect_fixture`].
const HTTPS_REDIRECT: &str = "https://app.example.com/cb";
/// A `localhost` redirect URI registered by [`redirect_fixture`]: not an IP literal, so
/// its port must match exactly.
const LOCALHOST_REDIRECT: &str = "http://localhost:3000/cb";

/// States that break naive encoding: separators, escapes, markup, non-ASCII, CR LF.
const AWKWARD_STATES: [&str; 12] = [
    "two words",
    "a+b",
    "a%2Bb",
    "x&y=z",
    "k=v==",
    "ünïcødé ✓ 日本語",
    "\"double\" 'single'",
    "<script>alert(1)</script>",
    "line\r\nSet-Cookie: x=y",
    "%",
    "  padded  ",
    "/?#[]@!$&'()*,;",
];

/// An authorization URL with exactly `params`, in order (so a test can omit or repeat
/// any of them).
fn raw_authorize_url(server: &TestServer, params: &[(&str, &str)]) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    server.url(&format!("/oauth/authorize?{query}"))
}

/// A fixture whose app also registers [`HTTPS_REDIRECT`] and [`LOCALHOST_REDIRECT`];
/// returns its client id.
async fn redirect_fixture(server: &TestServer) -> String {
    server.create_user("dev@example.com", "Dev").await;
    server
        .create_app(
            "dev@example.com",
            &[HTTPS_REDIRECT, LOCALHOST_REDIRECT, REDIRECT_URI],
            "read_teammates",
        )
        .await
        .0
}

/// Logs `email` in on a fresh browser.
async fn logged_in(server: &TestServer, email: &str) -> Browser {
    let browser = server.browser();
    browser.login(email).await;
    browser
}

/// Asserts an HTML error page with `status` and no redirect; returns its body.
async fn expect_error_page(response: reqwest::Response, status: u16, what: &str) -> String {
    assert_eq!(response.status(), status, "{what}");
    assert!(
        response.headers().get("location").is_none(),
        "{what}: must not redirect"
    );
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    assert!(
        content_type.starts_with("text/html"),
        "{what}: {content_type}"
    );
    let body = response.text().await.expect("page body");
    assert!(body.contains("<h1>"), "{what}: {body}");
    body
}

/// Asserts a 302 to the registered redirect URI; returns the `Location`.
fn expect_client_redirect(response: &reqwest::Response, what: &str) -> String {
    assert_eq!(response.status(), 302, "{what}");
    let target = location(response);
    assert!(target.starts_with(REDIRECT_URI), "{what}: {target}");
    target
}

/// Asserts the response cannot be framed.
fn assert_not_frameable(response: &reqwest::Response, what: &str) {
    let headers = response.headers();
    assert_eq!(
        headers
            .get("x-frame-options")
            .map(|v| v.to_str().expect("ASCII")),
        Some("DENY"),
        "{what}"
    );
    let csp = headers
        .get("content-security-policy")
        .map(|v| v.to_str().expect("ASCII").to_owned())
        .unwrap_or_default();
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
}

/// Whether the workspace radio button for `slug` is checked; `None` if it is absent.
fn workspace_radio(page: &str, slug: &str) -> Option<bool> {
    let start = page.find(&format!("id=\"ws-{slug}\""))?;
    let tag = &page[start..start + page[start..].find('>')?];
    Some(tag.contains(" checked"))
}

/// Opens the consent page and allows for `workspace`; returns the redirect.
async fn allow(browser: &Browser, url: &str, workspace: &str) -> String {
    let page = browser.consent_page(url).await;
    browser.decide(&page, "allow", workspace).await
}

/// Posts the token request `fields`, authenticated with `client_id` and `secret`.
async fn token_request(
    server: &TestServer,
    client_id: &str,
    secret: &str,
    fields: &[(&str, &str)],
) -> (u16, Value) {
    let mut form = vec![("client_id", client_id), ("client_secret", secret)];
    form.extend_from_slice(fields);
    let response = reqwest::Client::new()
        .post(server.url("/oauth/token"))
        .form(&form)
        .send()
        .await
        .expect("token endpoint answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

/// Exchanges `code` for the fixture's app.
async fn exchange(
    server: &TestServer,
    fixture: &Fixture,
    code: &str,
    redirect_uri: &str,
) -> (u16, Value) {
    token_request(
        server,
        &fixture.client_id,
        &fixture.client_secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
        ],
    )
    .await
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

/// Rows in `table`.
async fn count_rows(db: &Db, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar(&sql)
            .fetch_one(pool)
            .await
            .expect("count"),
        Db::Postgres(pool) => sqlx::query_scalar(&sql)
            .fetch_one(pool)
            .await
            .expect("count"),
    }
}

/// Adds an existing user to a workspace with `role`.
async fn add_member(server: &TestServer, workspace_id: i64, user_id: i64, role: &str) {
    workspaces::insert_member(&server.db, workspace_id, user_id, role, server.clock.now())
        .await
        .expect("member added");
}

/// Submits the sign-up form.
async fn sign_up(browser: &Browser, email: &str, name: &str, password: &str) -> reqwest::Response {
    let page = browser
        .get("/signup")
        .await
        .text()
        .await
        .expect("sign-up page");
    let csrf = hidden_field(&page, "csrf").expect("csrf field");
    browser
        .post_form(
            "/signup",
            &[
                ("csrf", &csrf),
                ("name", name),
                ("email", email),
                ("password", password),
                ("next", "/"),
            ],
        )
        .await
}

/// The `Set-Cookie` value that sets cookie `name`.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().expect("ASCII").to_owned())
        .find(|value| value.starts_with(&format!("{name}=")))
}

/// Registers an app through the developer hub; returns `(client_id, client_secret)`.
async fn create_app_in_hub(browser: &Browser, name: &str, description: &str) -> (String, String) {
    let csrf = session_csrf(browser).await;
    let response = browser
        .post_form(
            "/developer/apps",
            &[
                ("csrf", &csrf),
                ("name", name),
                ("description", description),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.expect("app page");
    let client_id = input_value(&page, "client-id").expect("client_id shown");
    let secret = input_value(&page, "client-secret").expect("secret shown once");
    (client_id, secret)
}

/// Saves an app's settings through the developer hub form.
async fn save_app(
    browser: &Browser,
    client_id: &str,
    name: &str,
    redirect_uris: &str,
    scopes: &[&str],
) -> reqwest::Response {
    let csrf = session_csrf(browser).await;
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("name", name),
        ("description", "Does things."),
        ("redirect_uris", redirect_uris),
    ];
    form.extend(scopes.iter().map(|scope| ("scopes", *scope)));
    browser
        .post_form(&format!("/developer/apps/{client_id}"), &form)
        .await
}

// --- The client and its redirect URI -------------------------------------------------

#[tokio::test]
async fn an_unknown_or_missing_client_id_gets_an_error_page_and_never_a_redirect() {
    let server = TestServer::start().await;
    let fixture = server.fixture("read_teammates").await;
    let anonymous = server.browser();
    let user = logged_in(&server, &fixture.email).await;
    let unknown = "00000000-0000-4000-8000-000000000000";

    for browser in [&anonymous, &user] {
        for (what, params) in [
            ("unknown client_id", vec![("client_id", unknown)]),
            ("missing client_id", vec![]),
            ("empty client_id", vec![("client_id", "")]),
        ] {
            let mut params = params;
            params.extend([
                ("response_type", "code"),
                ("redirect_uri", REDIRECT_URI),
                ("scope", "read_teammates"),
                ("state", "s"),
            ]);
            let response = browser.get(&raw_authorize_url(&server, &params)).await;
            let body = expect_error_page(response, 400, what).await;
            assert!(body.contains("client_id"), "{what}: {body}");
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn a_redirect_uri_not_registered_exactly_gets_an_error_page_and_never_a_redirect() {
    let server = TestServer::start().await;
    let client_id = redirect_fixture(&server).await;
    let anonymous = server.browser();
    let user = logged_in(&server, "dev@example.com").await;
    server
        .create_workspace("dev@example.com", "Dev", "dev")
        .await;

    let tricks = [
        "https://app.example.com/cb/",
        "https://app.example.com/CB",
        "https://APP.example.com/cb",
        "https://app.example.com/cb?x=1",
        "https://app.example.com/cb#fragment",
        "https://app.example.com/cb%2F..%2Fevil",
        "https://app.example.com%2Fcb",
        "https://app.example.com%40evil.example/cb",
        "https://app.example.com@evil.example/cb",
        "https://good@app.example.com/cb",
        "https://app.example.com:8443/cb",
        "https://app.example.com:443/cb",
        "http://app.example.com/cb",
        "https://app.example.com.evil.example/cb",
        "http://localhost:4000/cb",
        "http://127.0.0.1:3000/oauth/gist/callback#fragment",
        "http://127.0.0.1:3000/oauth/gist/callback/",
        "http://127.0.0.1:3000/oauth/gist/callback/../callback",
        "http://127.0.0.1:3000@evil.example/oauth/gist/callback",
        "http://127.0.0.1.evil.example:3000/oauth/gist/callback",
        "https://127.0.0.1:3000/oauth/gist/callback",
        "http://127.0.0.1:30x0/oauth/gist/callback",
        "javascript:alert(1)",
        "/oauth/gist/callback",
    ];
    for browser in [&anonymous, &user] {
        for trick in tricks {
            let url = raw_authorize_url(
                &server,
                &[
                    ("response_type", "code"),
                    ("client_id", &client_id),
                    ("redirect_uri", trick),
                    ("scope", "read_teammates"),
                    ("state", "s"),
                ],
            );
            let body = expect_error_page(browser.get(&url).await, 400, trick).await;
            assert!(body.contains("redirect_uri"), "{trick}: {body}");
        }
        let missing = raw_authorize_url(
            &server,
            &[("client_id", &client_id), ("scope", "read_teammates")],
        );
        expect_error_page(browser.get(&missing).await, 400, "missing redirect_uri").await;
    }

    // The registered URIs themselves are accepted.
    for registered in [HTTPS_REDIRECT, LOCALHOST_REDIRECT, REDIRECT_URI] {
        let url = raw_authorize_url(
            &server,
            &[
                ("client_id", &client_id),
                ("redirect_uri", registered),
                ("scope", "read_teammates"),
            ],
        );
        user.consent_page(&url).await;
    }
    server.stop().await;
}

#[tokio::test]
async fn a_loopback_redirect_uri_may_use_another_port_and_the_code_is_bound_to_that_uri() {
    let server = TestServer::start().await;
    let fixture = server.fixture("read_teammates").await;
    let browser = logged_in(&server, &fixture.email).await;
    let other_port = "http://127.0.0.1:51234/oauth/gist/callback";
    let url = raw_authorize_url(
        &server,
        &[
            ("response_type", "code"),
            ("client_id", &fixture.client_id),
            ("redirect_uri", other_port),
            ("scope", "read_teammates"),
            ("state", "port"),
        ],
    );

    let redirect = allow(&browser, &url, "acme").await;
    assert!(
        redirect.starts_with(&format!("{other_port}?code=")),
        "{redirect}"
    );
    assert_eq!(query_param(&redirect, "state").as_deref(), Some("port"));
    let code = query_param(&redirect, "code").unwrap();
    let (status, body) = exchange(&server, &fixture, &code, REDIRECT_URI).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant");

    // Consent is on record now, so the next request is answered at once, again to the
    // exact URI it named.
    let response = browser.get(&url).await;
    assert_eq!(response.status(), 302);
    let redirect = location(&response);
    assert!(
        redirect.starts_with(&format!("{other_port}?code=")),
        "{redirect}"
    );
    let code = query_param(&redirect, "code").unwrap();
    let (status, body) = exchange(&server, &fixture, &code, other_port).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].as_str().unwrap().starts_with("gat_"));
    server.stop().await;
}

// --- Parameters ---------------------------------------------------------------------

#[tokio::test]
async fn an_unknown_or_unticked_scope_is_sent_back_as_invalid_scope_with_the_state() {
    let server = TestServer::start().await;
    let fixture = server.fixture("read_contact read_teammates").await;
    let anonymous = server.browser();
    let user = logged_in(&server, &fixture.email).await;

    for browser in [&anonymous, &user] {
        for scope in [
            "read_everything",
            "read_teammates read_everything",
            "write_tags",
            "read_teammates write_tags",
            "read_teammates%2Bread_contact",
            "READ_TEAMMATES",
        ] {
            let url = authorize_url(&server, &fixture.client_id, scope, &[("state", "s 1+2")]);
            let response = browser.get(&url).await;
            let redirect = expect_client_redirect(&response, scope);
            assert_eq!(
                query_param(&redirect, "error").as_deref(),
                Some("invalid_scope"),
                "{scope}"
            );
            assert_eq!(query_param(&redirect, "state").as_deref(), Some("s 1+2"));
            assert_eq!(
                query_param(&redirect, "iss").as_deref(),
                Some(server.base_url.as_str())
            );
            assert!(query_param(&redirect, "code").is_none());
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn read_contacts_is_accepted_as_an_alias_of_read_contact() {
    let server = TestServer::start().await;
    let fixture = server.fixture("read_contact").await;
    let browser = logged_in(&server, &fixture.email).await;

    let url = authorize_url(&server, &fixture.client_id, "read_contacts", &[]);
    let page = browser.consent_page(&url).await;
    assert!(page.contains("Look up individual contacts"), "{page}");
    let redirect = browser.decide(&page, "allow", "acme").await;
    let code = query_param(&redirect, "code").unwrap();
    let (status, body) = exchange(&server, &fixture, &code, REDIRECT_URI).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "read_contact");
    server.stop().await;
}

#[tokio::test]
async fn an_empty_scope_means_the_scopes_ticked_for_the_app() {
    let server = TestServer::start().await;
    let fixture = server.fixture("read_contact read_teammates").await;
    let browser = logged_in(&server, &fixture.email).await;

    let url = authorize_url(&server, &fixture.client_id, "", &[]);
    let page = browser.consent_page(&url).await;
    assert!(page.contains("Look up individual contacts"), "{page}");
    assert!(page.contains("See your teammates"), "{page}");
    let redirect = browser.decide(&page, "allow", "acme").await;
    let code = query_param(&redirect, "code").unwrap();
    let (status, body) = exchange(&server, &fixture, &code, REDIRECT_URI).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "read_contact read_teammates");

    // No scope parameter at all means the same.
    let url = raw_authorize_url(
        &server,
        &[
            ("client_id", &fixture.client_id),
            ("redirect_uri", REDIRECT_URI),
        ],
    );
    let response = browser.get(&url).await;
    let redirect = expect_client_redirect(&response, "no scope");
    assert!(query_param(&redirect, "code").is_some(), "{redirect}");
    server.stop().await;
}

#[tokio::test]
async fn response_type_may_be_omitted_but_only_code_is_supported() {
    let server = TestServer::start().await;
    let fixture = server.fixture("read_teammates").await;
    let browser = logged_in(&server, &fixture.email).await;

    let url = raw_authorize_url(
        &server,
        &[
            ("client_id", &fixture.client_id),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "read_teammates"),
            ("state", "no type"),
        ],
    );
    let redirect = allow(&browser, &url, "acme").await;
    assert!(query_param(&redirect, "code").is_some(), "{redirect}");
    assert_eq!(query_param(&redirect, "state").as_deref(), Some("no type"));

    for response_type in ["token", "code token", "id_token", "CODE"] {
        let url = raw_authorize_url(
            &server,
            &[
                ("response_type", response_type),
                ("client_id", &fixture.client_id),
                ("redirect_uri", REDIRECT_URI),
                ("scope", "read_teammates"),
                ("state", "st"),
            ],
        );
        let response = browser.get(&url).await;
        let redirect = expect_client_redirect(&response, response_type);
        assert_eq!(
            query_param(&redirect, "error").as_deref(),
            Some("unsupported_response_type"),
            "{response_type}"
        );
        assert_eq!(query_param(&redirect, "state").as_deref(), Some("st"));
        assert!(query_param(&redirect, "code").is_none());
        assert!(!redirect.contains('#'), "{redirect}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_repeated_parameter_is_invalid_request_and_a_repeated_client_is_an_error_page() {
    let server = TestServer::start().await;
    let fixture = server.fixture("read_contact read_teammates").await;
    let browser = logged_in(&server, &fixture.email).await;
    let id = fixture.client_id.as_str();

    for repeated in [
        "scope",
        "response_type",
        "state",
        "code_challenge",
        "prompt",
    ] {
        let mut params = vec![
            ("response_type", "code"),
            ("client_id", id),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "read_teammates"),
            ("state", "st"),
            (
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            ),
            ("code_challenge_method", "S256"),
            ("prompt", "consent"),
        ];
        let value = params.iter().find(|(name, _)| *name == repeated).unwrap().1;
        params.push((repeated, value));
        let response = browser.get(&raw_authorize_url(&server, &params)).await;
        let redirect = expect_client_redirect(&response, repeated);
        assert_eq!(
            query_param(&redirect, "error").as_deref(),
            Some("invalid_request"),
            "{repeated}"
        );
        assert!(query_param(&redirect, "code").is_none());
    }

    let other_app = server
        .create_app(
            &fixture.email,
            &["https://other.example/cb"],
            "read_teammates",
        )
        .await
        .0;
    for (what, params) in [
        (
            "client_id twice",
            vec![
                ("client_id", id),
                ("client_id", id),
                ("redirect_uri", REDIRECT_URI),
            ],
        ),
        (
            "redirect_uri twice",
            vec![
                ("client_id", id),
                ("redirect_uri", REDIRECT_URI),
                ("redirect_uri", REDIRECT_URI),
            ],
        ),
        (
            "two different clients after another repeated parameter",
            vec![
                ("scope", "read_teammates"),
                ("client_id", id),
                ("scope", "read_teammates"),
                ("client_id", &other_app),
                ("redirect_uri", REDIRECT_URI),
            ],
        ),
        (
            "two redirect URIs after another repeated parameter",
            vec![
                ("state", "a"),
                ("client_id", id),
                ("state", "a"),
                ("redirect_uri", REDIRECT_URI),
                ("redirect_uri", "https://evil.example/cb"),
            ],
        ),
    ] {
        let response = browser.get(&raw_authorize_url(&server, &params)).await;
        expect_error_page(response, 400, what).await;
    }
    server.stop().await;
}

// --- state ----------------------------------------------------------------------------

#[tokio::test]
async fn state_comes_back_byte_for_byte_on_success_error_and_deny() {
    let server = TestServer::start().await;
    let fixture = server.fixture("read_teammates").await;
    let browser = logged_in(&server, &fixture.email).await;

    for state in AWKWARD_STATES {
        let returned = |redirect: &str| {
            assert!(!redirect.contains(['\r', '\n', ' ']), "{redirect:?}");
            query_param(redirect, "state")
        };

        // An error sent back to the client.
        let url = authorize_url(&server, &fixture.client_id, "nope", &[("state", state)]);
        let redirect = expect_client_redirect(&browser.get(&url).await, state);
        assert_eq!(
            query_param(&redirect, "error").as_deref(),
            Some("invalid_scope")
        );
        assert_eq!(returned(&redirect).as_deref(), Some(state), "error");

        // Deny, then allow, on the consent page.
        let url = authorize_url(
            &server,
            &fixture.client_id,
            "read_teammates",
            &[("state", state), ("prompt", "consent")],
        );
        let page = browser.consent_page(&url).await;
        let redirect = browser.decide(&page, "deny", "acme").await;
        assert!(redirect.starts_with(REDIRECT_URI), "{redirect}");
        assert_eq!(
            query_param(&redirect, "error").as_deref(),
            Some("access_denied")
        );
        assert_eq!(returned(&redirect).as_deref(), Some(state), "deny");

        let redirect = allow(&browser, &url, "acme").await;
        assert!(query_param(&redirect, "code").is_some());
        assert_eq!(returned(&redirect).as_deref(), Some(state), "allow");

        // Consent already given: the code comes back at once.
        let url = authorize_url(
            &server,
            &fixture.client_id,
            "read_teammates",
            &[("state", state)],
        );
        let redirect = expect_client_redirect(&browser.get(&url).await, state);
        assert!(query_param(&redirect, "code").is_some());
        assert_eq!(
            returned(&redirect).as_deref(),
            Some(state),
            "skipped consent"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn state_survives_the_detour_through_the_log_in_page() {
    let server = TestServer::start().await;
    let fixture = server.fixture("read_teammates").await;

    for state in AWKWARD_STATES {
        let browser = server.browser();
        let url = authorize_url(
            &server,
            &fixture.client_id,
            "read_teammates",
            &[("state", state)],
        );
        let response = browser.get(&url).await;
        assert_eq!(response.status(), 302);
        let login = location(&response);
        assert!(login.starts_with("/login?next="), "{login}");
        let page = browser.get(&login).await.text().await.unwrap();
        let next = hidden_field(&page, "next").unwrap();
        let csrf = hidden_field(&page, "csrf").unwrap();
        let response = browser
            .post_form(
                "/login",
                &[
                    ("csrf", &csrf),
                    ("email", &fixture.email),
                    ("password", PASSWORD),
                    ("next", &next),
                ],
            )
            .await;
        assert_eq!(response.status(), 303);
        let back = location(&response);
        assert!(back.starts_with("/oauth/authorize?"), "{state:?}: {back}");
        let response = browser.get(&back).await;
        let redirect = if response.status() == 200 {
            let page = response.text().await.unwrap();
            browser.decide(&page, "allow", "acme").await
        } else {
            expect_client_redirect(&response, state)
        };
        assert_eq!(query_param(&redirect, "state").as_deref(), Some(state));
        assert!(query_param(&redirect, "code").is_some());
    }
    server.stop().await;
}

#[tokio::test]
async fn a_state_longer_than_2048_bytes_gets_a_clean_error_page() {
    let server = TestServer::start().await;
    let fixture = server.fixture("read_teammates").await;
    let anonymous = server.browser();
    let user = logged_in(&server, &fixture.email).await;

    for browser in [&anonymous, &user] {
        for state in ["x".repeat(2049), "é".repeat(1025), "y".repeat(10_000)] {
            let url = authorize_url(
                &server,
                &fixture.client_id,
                "read_teammates",
                &[("state", &state)],
            );
            expect_error_page(browser.get(&url).await, 400, "long state").await;
        }
    }
    let exactly = "z".repeat(2048);
    let url = authorize_url(
        &server,
        &fixture.client_id,
        "read_teammates",
        &[("state", &exactly)],
    );
    let redirect = allow(&user, &url, "acme").await;
    assert_eq!(query_param(&redirect, "state"), Some(exactly));
    server.stop().await;
}

// --- The consent page -----------------------------------------------------------------

#[tokio::test]
async fn denying_redirects_with_access_denied_and_grants_nothing() {
    let server = TestServer::start().await;
    let fixture = server.fixture("read_teammates").await;
    let browser = logged_in(&server, &fixture.email).await;
    let url = authorize_url(
        &server,
        &fixture.client_id,
        "read_teammates",
        &[("state", "keep me")],
    );

    let page = browser.consent_page(&url).await;
    let redirect = browser.decide(&page, "deny", "acme").await;
    assert!(
        redirect.starts_with(&format!("{REDIRECT_URI}?")),
        "{redirect}"
    );
    assert_eq!(
        query_param(&redirect, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(query_param(&redirect, "state").as_deref(), Some("keep me"));
    assert_eq!(
        query_param(&redirect, "iss").as_deref(),
        Some(server.base_url.as_str())
    );
    assert!(query_param(&redirect, "code").is_none());
    assert_eq!(count_rows(&server.db, "authorization_codes").await, 0);
    assert_eq!(count_rows(&server.db, "consents").await, 0);

    // Nothing was remembered: the next request asks again.
    browser.consent_page(&url).await;
    server.stop().await;
}

#[tokio::test]
async fn the_consent_form_without_the_right_csrf_token_is_refused_and_issues_no_code() {
    let server = TestServer::start().await;
    let fixture = server.fixture("read_teammates").await;
    let browser = logged_in(&server, &fixture.email).await;
    let url = authorize_url(
        &server,
        &fixture.client_id,
        "read_teammates",
        &[("state", "s")],
    );
    let page = browser.consent_page(&url).await;
    let csrf = hidden_field(&page, "csrf").unwrap();
    let request = hidden_field(&page, "authorization_request").unwrap();

    // Another session's token is as wrong as a made-up one.
    let other = logged_in(&server, &fixture.email).await;
    let other_csrf = session_csrf(&other).await;
    assert_ne!(other_csrf, csrf);
    for (what, token) in [
        ("missing", None),
        ("empty", Some("")),
        ("wrong", Some("not-the-token")),
        ("another session's", Some(other_csrf.as_str())),
        ("truncated", Some(&csrf[..csrf.len() - 1])),
    ] {
        let mut form = vec![
            ("authorization_request", request.as_str()),
            ("workspace", "acme"),
            ("decision", "allow"),
        ];
        if let Some(token) = token {
            form.push(("csrf", token));
        }
        let response = browser.post_form("/oauth/authorize", &form).await;
        assert_not_frameable(&response, what);
        expect_error_page(response, 403, what).await;
    }
    assert_eq!(count_rows(&server.db, "authorization_codes").await, 0);
    assert_eq!(count_rows(&server.db, "consents").await, 0);

    // The right token works.
    let redirect = browser.decide(&page, "allow", "acme").await;
    assert!(query_param(&redirect, "code").is_some());
    assert_eq!(count_rows(&server.db, "authorization_codes").await, 1);
    server.stop().await;
}

#[tokio::test]
async fn every_html_page_refuses_to_be_framed() {
    let server = TestServer::start().await;
    let fixture = server.fixture("read_teammates").await;
    let anonymous = server.browser();
    let user = logged_in(&server, &fixture.email).await;
    let consent = authorize_url(&server, &fixture.client_id, "read_teammates", &[]);
    let bad_client = raw_authorize_url(&server, &[("client_id", "nope")]);

    for path in ["/", "/login", "/signup", "/no/such/page", &bad_client] {
        let response = anonymous.get(path).await;
        assert_not_frameable(&response, path);
    }
    let app = format!("/developer/apps/{}", fixture.client_id);
    for path in [
        "/",
        "/developer",
        &app,
        "/workspaces/new",
        "/workspaces/acme",
        "/workspaces/acme/settings",
        "/workspaces/nope",
        &consent,
    ] {
        let response = user.get(path).await;
        assert_eq!(
            response.status(),
            if path == "/workspaces/nope" { 404 } else { 200 }
        );
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        assert_not_frameable(&response, path);
    }
    let response = user.post_form("/developer/apps", &[("name", "x")]).await;
    assert_eq!(response.status(), 403);
    assert_not_frameable(&response, "refused form");
    server.stop().await;
}

#[tokio::test]
async fn an_app_name_that_looks_like_markup_is_escaped_on_the_consent_page() {
    let server = TestServer::start().await;
    server.create_user("dev@example.com", "Dev").await;
    server
        .create_workspace("dev@example.com", "Dev", "dev")
        .await;
    let browser = logged_in(&server, "dev@example.com").await;
    let name = "<script>alert(1)</script>";
    let description = "<img src=x onerror=alert(2)> & \"quoted\"";
    let (client_id, _) = create_app_in_hub(&browser, name, description).await;
    let csrf = session_csrf(&browser).await;
    let response = browser
        .post_form(
            &format!("/developer/apps/{client_id}"),
            &[
                ("csrf", &csrf),
                ("name", name),
                ("description", description),
                ("redirect_uris", REDIRECT_URI),
                ("scopes", "read_teammates"),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    let hub = response.text().await.unwrap();
    assert!(!hub.contains("<script"), "{hub}");

    let url = authorize_url(&server, &client_id, "read_teammates", &[]);
    let page = browser.consent_page(&url).await;
    assert!(!page.contains("<script"), "{page}");
    assert!(!page.contains("<img"), "{page}");
    assert!(
        page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{page}"
    );
    assert!(
        page.contains("&#60;img src=x onerror=alert(2)&#62;"),
        "{page}"
    );
    server.stop().await;
}

#[tokio::test]
async fn an_app_name_with_a_right_to_left_override_is_refused() {
    let server = TestServer::start().await;
    server.create_user("dev@example.com", "Dev").await;
    let browser = logged_in(&server, "dev@example.com").await;
    let csrf = session_csrf(&browser).await;

    for (name, description) in [
        ("Evil\u{202E}ppA dooG", "Fine."),
        ("Good App", "Looks \u{202E}desrever"),
    ] {
        let response = browser
            .post_form(
                "/developer/apps",
                &[
                    ("csrf", &csrf),
                    ("name", name),
                    ("description", description),
                ],
            )
            .await;
        assert_eq!(response.status(), 400);
        let page = response.text().await.unwrap();
        assert!(page.contains("text-direction"), "{page}");
        assert!(!page.contains("client-secret"), "{page}");
    }
    let hub = browser.get("/developer").await.text().await.unwrap();
    assert!(hub.contains("You have no apps yet."), "{hub}");

    // Renaming an existing app is held to the same rule.
    let (client_id, _) = create_app_in_hub(&browser, "Good App", "").await;
    let response = save_app(&browser, &client_id, "Evil\u{202E}ppA", REDIRECT_URI, &[]).await;
    assert_eq!(response.status(), 400);
    let page = browser
        .get(&format!("/developer/apps/{client_id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains('\u{202E}'));
    assert!(page.contains("Good App"));
    server.stop().await;
}

#[tokio::test]
async fn a_state_naming_an_administered_workspace_preselects_it() {
    let server = TestServer::start().await;
    let fixture = server.fixture("read_teammates").await;
    let admin_id = gistd::service::require_user(&server.db, &fixture.email)
        .await
        .unwrap()
        .id;
    server
        .create_workspace(&fixture.email, "Beta", "beta")
        .await;
    server.create_user("other@example.com", "Other").await;
    let gamma = server
        .create_workspace("other@example.com", "Gamma", "gamma")
        .await;
    add_member(&server, gamma, admin_id, "member").await;
    let browser = logged_in(&server, &fixture.email).await;
    let page_for = |state: Option<&str>| {
        let extra: Vec<(&str, &str)> = state.map(|s| ("state", s)).into_iter().collect();
        authorize_url(&server, &fixture.client_id, "read_teammates", &extra)
    };

    for (state, acme, beta) in [
        (Some("beta"), false, true),
        (Some("acme"), true, false),
        (Some("gamma"), false, false),
        (Some("someone-else"), false, false),
        (None, false, false),
    ] {
        let page = browser.consent_page(&page_for(state)).await;
        assert_eq!(workspace_radio(&page, "acme"), Some(acme), "{state:?}");
        assert_eq!(workspace_radio(&page, "beta"), Some(beta), "{state:?}");
        // Only administered workspaces are offered.
        assert_eq!(workspace_radio(&page, "gamma"), None, "{state:?}");
    }

    // Consent on beta is remembered for beta only: a state naming beta skips the page and
    // the code is for beta; without a state the user must choose again.
    let redirect = allow(&browser, &page_for(Some("beta")), "beta").await;
    let code = query_param(&redirect, "code").unwrap();
    let (_, body) = exchange(&server, &fixture, &code, REDIRECT_URI).await;
    assert_eq!(body["workspace_id"], "beta");
    let response = browser.get(&page_for(Some("beta"))).await;
    let redirect = expect_client_redirect(&response, "beta again");
    let code = query_param(&redirect, "code").unwrap();
    let (_, body) = exchange(&server, &fixture, &code, REDIRECT_URI).await;
    assert_eq!(body["workspace_id"], "beta");
    browser.consent_page(&page_for(None)).await;
    browser.consent_page(&page_for(Some("acme"))).await;
    server.stop().await;
}

#[tokio::test]
async fn only_an_owner_or_admin_can_connect_a_workspace() {
    let server = TestServer::start().await;
    let fixture = server.fixture("read_teammates").await;
    let bob = server.create_user("bob@example.com", "Bob").await;
    server
        .create_workspace("bob@example.com", "Bob's", "bobs")
        .await;
    add_member(&server, fixture.workspace_id, bob, "member").await;
    let carol = server.create_user("carol@example.com", "Carol").await;
    add_member(&server, fixture.workspace_id, carol, "member").await;
    let url = authorize_url(
        &server,
        &fixture.client_id,
        "read_teammates",
        &[("state", "acme")],
    );

    // Bob is offered only his own workspace, and cannot forge a grant of acme.
    let browser = logged_in(&server, "bob@example.com").await;
    let page = browser.consent_page(&url).await;
    assert_eq!(workspace_radio(&page, "bobs"), Some(true));
    assert_eq!(workspace_radio(&page, "acme"), None);
    let csrf = hidden_field(&page, "csrf").unwrap();
    let request = hidden_field(&page, "authorization_request").unwrap();
    let response = browser
        .post_form(
            "/oauth/authorize",
            &[
                ("csrf", &csrf),
                ("authorization_request", &request),
                ("workspace", "acme"),
                ("decision", "allow"),
            ],
        )
        .await;
    expect_error_page(response, 403, "member of acme").await;
    assert_eq!(count_rows(&server.db, "authorization_codes").await, 0);
    assert_eq!(count_rows(&server.db, "consents").await, 0);

    // Carol administers nothing: a page says so and how to fix it.
    let browser = logged_in(&server, "carol@example.com").await;
    let response = browser.get(&url).await;
    let body = expect_error_page(response, 403, "administers none").await;
    assert!(body.contains("administer no workspace"), "{body}");
    assert!(body.contains("Create one"), "{body}");
    server.stop().await;
}

#[tokio::test]
async fn consent_already_given_is_skipped_unless_prompt_is_consent() {
    let server = TestServer::start().await;
    let fixture = server.fixture("read_contact read_teammates").await;
    let browser = logged_in(&server, &fixture.email).await;
    let narrow = authorize_url(&server, &fixture.client_id, "read_teammates", &[]);
    allow(&browser, &narrow, "acme").await;

    let response = browser.get(&narrow).await;
    let redirect = expect_client_redirect(&response, "skipped");
    let code = query_param(&redirect, "code").unwrap();
    let (status, body) = exchange(&server, &fixture, &code, REDIRECT_URI).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "read_teammates");

    let forced = authorize_url(
        &server,
        &fixture.client_id,
        "read_teammates",
        &[("prompt", "consent")],
    );
    browser.consent_page(&forced).await;

    // A wider request asks again; once allowed, either scope alone is skipped.
    let wide = authorize_url(
        &server,
        &fixture.client_id,
        "read_contact read_teammates",
        &[],
    );
    let page = browser.consent_page(&wide).await;
    assert!(page.contains("Look up individual contacts"));
    browser.decide(&page, "allow", "acme").await;
    for scope in [
        "read_contact",
        "read_teammates",
        "read_contact read_teammates",
    ] {
        let url = authorize_url(&server, &fixture.client_id, scope, &[]);
        let response = browser.get(&url).await;
        expect_client_redirect(&response, scope);
    }
    server.stop().await;
}

#[tokio::test]
async fn prompt_none_answers_without_a_page() {
    let server = TestServer::start().await;
    let fixture = server.fixture("read_teammates").await;
    let carol = server.create_user("carol@example.com", "Carol").await;
    add_member(&server, fixture.workspace_id, carol, "member").await;
    let url = authorize_url(
        &server,
        &fixture.client_id,
        "read_teammates",
        &[("prompt", "none"), ("state", "silent")],
    );

    let response = server.browser().get(&url).await;
    let redirect = expect_client_redirect(&response, "no session");
    assert_eq!(
        query_param(&redirect, "error").as_deref(),
        Some("login_required")
    );
    assert_eq!(query_param(&redirect, "state").as_deref(), Some("silent"));

    let browser = logged_in(&server, &fixture.email).await;
    let response = browser.get(&url).await;
    let redirect = expect_client_redirect(&response, "no consent");
    assert_eq!(
        query_param(&redirect, "error").as_deref(),
        Some("consent_required")
    );
    assert_eq!(query_param(&redirect, "state").as_deref(), Some("silent"));

    // A user who administers no workspace cannot have consented either.
    let response = logged_in(&server, "carol@example.com")
        .await
        .get(&url)
        .await;
    let redirect = expect_client_redirect(&response, "administers none");
    assert_eq!(
        query_param(&redirect, "error").as_deref(),
        Some("consent_required")
    );

    allow(
        &browser,
        &authorize_url(&server, &fixture.client_id, "read_teammates", &[]),
        "acme",
    )
    .await;
    let response = browser.get(&url).await;
    let redirect = expect_client_redirect(&response, "consented");
    assert!(query_param(&redirect, "code").is_some(), "{redirect}");
    assert_eq!(query_param(&redirect, "state").as_deref(), Some("silent"));
    server.stop().await;
}

// --- Accounts -------------------------------------------------------------------------

#[tokio::test]
async fn signing_up_logging_in_and_logging_out_work_through_the_forms() {
    let server = TestServer::start().await;
    let browser = server.browser();
    let password = "a long and new password";

    let response = sign_up(&browser, "new@example.com", "New Person", "short").await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("at least 10"));

    let response = sign_up(&browser, "New@Example.com", "New Person", password).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/");
    let cookie = set_cookie(&response, "gistd_session").expect("session cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let session = cookie["gistd_session=".len()..]
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert!(session.starts_with("gss_"), "{cookie}");
    let home = browser.get("/").await.text().await.unwrap();
    assert!(home.contains("New Person"), "{home}");

    let response = sign_up(&server.browser(), "new@example.com", "Again", password).await;
    assert_eq!(response.status(), 400);

    let csrf = session_csrf(&browser).await;
    let response = browser.post_form("/logout", &[("csrf", "wrong")]).await;
    assert_eq!(response.status(), 403);
    let response = browser.post_form("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(response.status(), 303);
    let cleared = set_cookie(&response, "gistd_session").expect("cookie cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let response = browser.get("/developer").await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/login?next=%2Fdeveloper");

    // The old session id is dead on the server, not only forgotten by the browser.
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(server.url("/developer"))
        .header("cookie", format!("gistd_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 303);

    let response = browser.try_login("NEW@example.com", password).await;
    assert_eq!(response.status(), 303);
    let cookie = set_cookie(&response, "gistd_session").expect("session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert!(!cookie.contains(&session), "a new session id");
    assert_eq!(browser.get("/developer").await.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_until_the_window_passes() {
    let server = TestServer::start().await;
    let fixture = server.fixture("read_teammates").await;
    let browser = server.browser();

    for attempt in 1..=5 {
        let response = browser.try_login(&fixture.email, "wrong password!").await;
        assert_eq!(response.status(), 401, "attempt {attempt}");
        let page = response.text().await.unwrap();
        assert!(page.contains("incorrect"), "{page}");
    }
    let response = browser.try_login(&fixture.email, PASSWORD).await;
    assert_eq!(response.status(), 429);
    assert!(set_cookie(&response, "gistd_session").is_none());
    let page = response.text().await.unwrap();
    assert!(page.contains("this account"), "{page}");
    assert!(page.contains("Try again in 15 minutes"), "{page}");

    // Other accounts are not affected.
    server.create_user("other@example.com", "Other").await;
    server.browser().login("other@example.com").await;

    server.clock.advance(10 * 60);
    let response = browser.try_login(&fixture.email, PASSWORD).await;
    assert_eq!(response.status(), 429);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Try again in 5 minutes")
    );

    server.clock.advance(5 * 60);
    browser.login(&fixture.email).await;
    server.stop().await;
}

#[tokio::test]
async fn twenty_failures_from_one_address_lock_every_account_from_it() {
    // The default limit, exercised as is: 20 failing log-ins take a second or two.
    assert_eq!(Settings::default().login_failures_per_address, 20);
    let server = TestServer::start().await;
    let fixture = server.fixture("read_teammates").await;
    let browser = server.browser();

    for attempt in 0..20 {
        let email = format!("nobody{attempt}@example.com");
        let response = browser.try_login(&email, "guess").await;
        assert_eq!(response.status(), 401, "attempt {attempt}");
    }
    let response = browser.try_login(&fixture.email, PASSWORD).await;
    assert_eq!(response.status(), 429);
    let page = response.text().await.unwrap();
    assert!(page.contains("your network address"), "{page}");
    assert!(page.contains("Try again in 15 minutes"), "{page}");

    server.clock.advance(15 * 60);
    browser.login(&fixture.email).await;
    server.stop().await;
}

#[tokio::test]
async fn the_log_in_and_sign_up_forms_without_the_csrf_token_are_refused() {
    let server = TestServer::start().await;
    let fixture = server.fixture("read_teammates").await;
    let browser = server.browser();
    let page = browser.get("/login").await.text().await.unwrap();
    let csrf = hidden_field(&page, "csrf").unwrap();
    let credentials = [("email", fixture.email.as_str()), ("password", PASSWORD)];

    for (what, token) in [("missing", None), ("wrong", Some("gcf_wrong"))] {
        let mut form = credentials.to_vec();
        form.extend(token.map(|token| ("csrf", token)));
        let response = browser.post_form("/login", &form).await;
        assert!(set_cookie(&response, "gistd_session").is_none());
        expect_error_page(response, 403, what).await;
        let mut form = vec![
            ("name", "X Y"),
            ("email", "x@example.com"),
            ("password", PASSWORD),
        ];
        form.extend(token.map(|token| ("csrf", token)));
        expect_error_page(browser.post_form("/signup", &form).await, 403, what).await;
    }

    // The token is bound to the browser's cookie: another browser cannot replay it.
    let mut form = credentials.to_vec();
    form.push(("csrf", &csrf));
    let response = server.browser().post_form("/login", &form).await;
    expect_error_page(response, 403, "no cookie").await;

    let response = browser.post_form("/login", &form).await;
    assert_eq!(response.status(), 303);
    server.stop().await;
}

// --- The developer hub ----------------------------------------------------------------

#[tokio::test]
async fn the_developer_hub_shows_a_new_apps_secret_once() {
    let server = TestServer::start().await;
    server.create_user("dev@example.com", "Dev").await;
    let browser = logged_in(&server, "dev@example.com").await;

    let (client_id, secret) = create_app_in_hub(&browser, "My Integration", "Syncs.").await;
    assert!(secret.starts_with("gcs_"), "{secret}");
    assert_eq!(secret.len(), 4 + 43);

    let page = browser
        .get(&format!("/developer/apps/{client_id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains(&secret), "the secret is shown only once");
    assert!(!page.contains("client-secret"));
    let hint = format!("gcs_…{}", &secret[secret.len() - 4..]);
    assert!(page.contains(&hint), "{page}");
    let hub = browser.get("/developer").await.text().await.unwrap();
    assert!(hub.contains("My Integration") && hub.contains(&client_id));
    assert!(!hub.contains(&secret));

    // The secret authenticates the app at the token endpoint.
    let (status, body) = token_request(
        &server,
        &client_id,
        &secret,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "grt_nope"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    server.stop().await;
}

#[tokio::test]
async fn redirect_urls_must_be_https_or_loopback_without_a_fragment_and_bad_ones_save_nothing() {
    let server = TestServer::start().await;
    server.create_user("dev@example.com", "Dev").await;
    let browser = logged_in(&server, "dev@example.com").await;
    let (client_id, _) = create_app_in_hub(&browser, "My Integration", "").await;
    let app_page = format!("/developer/apps/{client_id}");

    let response = save_app(&browser, &client_id, "My Integration", REDIRECT_URI, &[]).await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("Saved."));

    for (uris, message) in [
        ("http://app.example.com/cb", "must use https"),
        (
            "https://good.example/cb\nhttp://app.example.com/cb",
            "must use https",
        ),
        ("https://app.example.com/cb#frag", "fragment"),
        ("https://user@app.example.com/cb", "user information"),
        ("not a url", "spaces"),
    ] {
        let response = save_app(&browser, &client_id, "Renamed", uris, &["write_tags"]).await;
        assert_eq!(response.status(), 400, "{uris}");
        let page = response.text().await.unwrap();
        assert!(page.contains(message), "{uris}: {page}");

        let page = browser.get(&app_page).await.text().await.unwrap();
        assert!(page.contains(REDIRECT_URI), "{page}");
        assert!(!page.contains("good.example") && !page.contains("app.example.com"));
        assert!(!page.contains("Renamed"));
        assert!(!page.contains("value=\"write_tags\" checked"));
    }
    server.stop().await;
}

#[tokio::test]
async fn ticked_scopes_are_saved_and_bound_what_the_app_may_request() {
    let server = TestServer::start().await;
    server.create_user("dev@example.com", "Dev").await;
    server
        .create_workspace("dev@example.com", "Dev", "dev")
        .await;
    let browser = logged_in(&server, "dev@example.com").await;
    let (client_id, _) = create_app_in_hub(&browser, "My Integration", "").await;

    let scopes = ["read_contact", "read_teammates"];
    let response = save_app(
        &browser,
        &client_id,
        "My Integration",
        REDIRECT_URI,
        &scopes,
    )
    .await;
    assert_eq!(response.status(), 200);
    let page = browser
        .get(&format!("/developer/apps/{client_id}"))
        .await
        .text()
        .await
        .unwrap();
    for scope in scopes {
        assert!(
            page.contains(&format!("value=\"{scope}\" checked")),
            "{scope}"
        );
    }
    assert!(page.contains("value=\"write_tags\">"), "{page}");

    let url = authorize_url(&server, &client_id, "read_teammates read_contact", &[]);
    browser.consent_page(&url).await;
    let url = authorize_url(&server, &client_id, "write_tags", &[]);
    let redirect = expect_client_redirect(&browser.get(&url).await, "unticked");
    assert_eq!(
        query_param(&redirect, "error").as_deref(),
        Some("invalid_scope")
    );

    let response = save_app(
        &browser,
        &client_id,
        "X",
        REDIRECT_URI,
        &["read_everything"],
    )
    .await;
    assert_eq!(response.status(), 400);
    server.stop().await;
}

#[tokio::test]
async fn rotating_the_secret_stops_the_old_one_at_once() {
    let server = TestServer::start().await;
    server.create_user("dev@example.com", "Dev").await;
    let browser = logged_in(&server, "dev@example.com").await;
    let (client_id, old) = create_app_in_hub(&browser, "My Integration", "").await;
    let probe = [
        ("grant_type", "authorization_code"),
        ("code", "gac_not_a_real_code"),
        ("redirect_uri", REDIRECT_URI),
    ];
    let (status, _) = token_request(&server, &client_id, &old, &probe).await;
    assert_eq!(status, 400, "the old secret works before rotation");

    let csrf = session_csrf(&browser).await;
    let path = format!("/developer/apps/{client_id}/secret");
    assert_eq!(browser.post_form(&path, &[]).await.status(), 403);
    let response = browser.post_form(&path, &[("csrf", &csrf)]).await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    let new = input_value(&page, "client-secret").expect("new secret shown once");
    assert!(new.starts_with("gcs_") && new != old);

    let (status, body) = token_request(&server, &client_id, &old, &probe).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, body) = token_request(&server, &client_id, &new, &probe).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    server.stop().await;
}

#[tokio::test]
async fn another_user_cannot_see_or_change_an_app() {
    let server = TestServer::start().await;
    let fixture = server.fixture("read_teammates").await;
    server.create_user("mallory@example.com", "Mallory").await;
    let mallory = logged_in(&server, "mallory@example.com").await;
    let csrf = session_csrf(&mallory).await;
    let app = format!("/developer/apps/{}", fixture.client_id);

    expect_error_page(mallory.get(&app).await, 404, "view").await;
    let response = mallory
        .post_form(
            &app,
            &[
                ("csrf", &csrf),
                ("name", "Mine now"),
                ("redirect_uris", "https://mallory.example/cb"),
            ],
        )
        .await;
    expect_error_page(response, 404, "update").await;
    let response = mallory
        .post_form(&format!("{app}/secret"), &[("csrf", &csrf)])
        .await;
    expect_error_page(response, 404, "rotate").await;
    let hub = mallory.get("/developer").await.text().await.unwrap();
    assert!(!hub.contains(&fixture.client_id));

    let (status, _) = exchange(&server, &fixture, "gac_nope", REDIRECT_URI).await;
    assert_eq!(status, 400, "the owner's secret still works");
    let owner = logged_in(&server, &fixture.email).await;
    let page = owner.get(&app).await.text().await.unwrap();
    assert!(page.contains("Test App") && !page.contains("mallory"));
    server.stop().await;
}

// --- Workspace settings ---------------------------------------------------------------

#[tokio::test]
async fn the_workspace_api_key_is_shown_once_and_regenerating_it_stops_the_old_one() {
    let server = TestServer::start().await;
    let fixture = server.fixture("read_teammates").await;
    let browser = logged_in(&server, &fixture.email).await;

    let page = browser
        .get("/workspaces/acme/settings")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("no API key yet"), "{page}");
    let csrf = session_csrf(&browser).await;
    let response = browser
        .post_form("/workspaces/acme/api-key", &[("csrf", &csrf)])
        .await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    let key = input_value(&page, "api-key").expect("key shown once");
    assert!(key.starts_with("gsk_"), "{key}");
    assert_eq!(api_status(&server, &key).await, 200);

    let page = browser
        .get("/workspaces/acme/settings")
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains(&key));
    assert!(
        page.contains(&format!("gsk_…{}", &key[key.len() - 4..])),
        "{page}"
    );

    let response = browser
        .post_form("/workspaces/acme/api-key", &[("csrf", "wrong")])
        .await;
    assert_eq!(response.status(), 403);
    assert_eq!(api_status(&server, &key).await, 200);

    let response = browser
        .post_form("/workspaces/acme/api-key", &[("csrf", &csrf)])
        .await;
    let new_key = input_value(&response.text().await.unwrap(), "api-key").unwrap();
    assert_ne!(new_key, key);
    assert_eq!(api_status(&server, &key).await, 401);
    assert_eq!(api_status(&server, &new_key).await, 200);
    server.stop().await;
}

#[tokio::test]
async fn a_plain_member_cannot_open_or_use_workspace_settings() {
    let server = TestServer::start().await;
    let fixture = server.fixture("read_teammates").await;
    server.create_user("bob@example.com", "Bob").await;

    // The owner adds Bob as a member through the workspace page.
    let owner = logged_in(&server, &fixture.email).await;
    let csrf = session_csrf(&owner).await;
    let response = owner
        .post_form(
            "/workspaces/acme/members",
            &[
                ("csrf", &csrf),
                ("email", "bob@example.com"),
                ("role", "member"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);

    let bob = logged_in(&server, "bob@example.com").await;
    let page = bob.get("/workspaces/acme").await.text().await.unwrap();
    assert!(page.contains("Bob") && !page.contains("/workspaces/acme/settings"));
    expect_error_page(bob.get("/workspaces/acme/settings").await, 403, "settings").await;
    let csrf = session_csrf(&bob).await;
    let response = bob
        .post_form("/workspaces/acme/api-key", &[("csrf", &csrf)])
        .await;
    expect_error_page(response, 403, "api key").await;
    let response = bob
        .post_form(
            &format!(
                "/workspaces/acme/connected-apps/{}/revoke",
                fixture.client_id
            ),
            &[("csrf", &csrf)],
        )
        .await;
    expect_error_page(response, 403, "revoke").await;
    assert_eq!(count_rows(&server.db, "api_keys").await, 0);
    server.stop().await;
}

#[tokio::test]
async fn revoking_a_connected_app_stops_its_tokens_at_once() {
    let server = TestServer::start().await;
    let fixture = server.fixture("read_teammates").await;
    let browser = logged_in(&server, &fixture.email).await;
    let url = authorize_url(&server, &fixture.client_id, "read_teammates", &[]);

    let page = browser
        .get("/workspaces/acme/settings")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("No app has access"), "{page}");

    let redirect = allow(&browser, &url, "acme").await;
    let code = query_param(&redirect, "code").unwrap();
    let (status, tokens) = exchange(&server, &fixture, &code, REDIRECT_URI).await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(api_status(&server, access).await, 200);
    // A code issued but not yet exchanged when access is revoked.
    let response = browser.get(&url).await;
    let pending = query_param(&expect_client_redirect(&response, "pending"), "code").unwrap();

    let page = browser
        .get("/workspaces/acme/settings")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Test App") && page.contains(&fixture.client_id),
        "{page}"
    );
    assert!(page.contains("Revoke access"));
    assert!(page.contains("<code>read_teammates</code>"));

    let csrf = session_csrf(&browser).await;
    let revoke = format!(
        "/workspaces/acme/connected-apps/{}/revoke",
        fixture.client_id
    );
    assert_eq!(browser.post_form(&revoke, &[]).await.status(), 403);
    assert_eq!(api_status(&server, access).await, 200);
    let response = browser.post_form(&revoke, &[("csrf", &csrf)]).await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("no longer has access"), "{page}");
    assert!(page.contains("No app has access"), "{page}");

    assert_eq!(api_status(&server, access).await, 401);
    let (status, body) = token_request(
        &server,
        &fixture.client_id,
        &fixture.client_secret,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, body) = exchange(&server, &fixture, &pending, REDIRECT_URI).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "a code issued before the revocation must not bring access back"
    );

    // The consent is forgotten: the next authorization asks again.
    browser.consent_page(&url).await;
    server.stop().await;
}
