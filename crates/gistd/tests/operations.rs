//! What load balancers and operators rely on: the health checks, and background upkeep
//! that purges dead codes, sessions and tokens while every live one keeps working.

mod support;

use gistd::storage::Db;
use gistd::storage::upkeep::{self, Purged};
use serde_json::Value;
use std::time::{Duration, Instant};
use support::{Browser, Fixture, REDIRECT_URI, TestServer, authorize_url, location, query_param};

/// The scopes of the fixture's app.
const SCOPES: &str = "read_contact read_teammates";
/// One day, in seconds.
const DAY: i64 = 24 * 60 * 60;

/// A token response's access and refresh token.
struct Tokens {
    access: String,
    refresh: String,
}

/// The code an authorization by `browser` (logged in) redirects with; the consent page is
/// answered when it is shown.
async fn authorization_code(server: &TestServer, browser: &Browser, fixture: &Fixture) -> String {
    let url = authorize_url(server, &fixture.client_id, SCOPES, &[]);
    let response = browser.get(&url).await;
    let redirect = match response.status().as_u16() {
        200 => {
            let page = response.text().await.expect("consent page");
            browser.decide(&page, "allow", "acme").await
        }
        302 => location(&response),
        other => panic!("authorization answered {other}"),
    };
    query_param(&redirect, "code").expect("code in the redirect")
}

/// Posts to the token endpoint with the fixture's credentials; returns the status and JSON.
async fn token_request(server: &TestServer, fixture: &Fixture, form: &[(&str, &str)]) -> Value {
    let mut fields = form.to_vec();
    fields.push(("client_id", &fixture.client_id));
    fields.push(("client_secret", &fixture.client_secret));
    reqwest::Client::new()
        .post(server.url("/oauth/token"))
        .form(&fields)
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token JSON")
}

fn tokens_of(response: &Value) -> Tokens {
    Tokens {
        access: response["access_token"]
            .as_str()
            .expect("access token")
            .to_owned(),
        refresh: response["refresh_token"]
            .as_str()
            .expect("refresh token")
            .to_owned(),
    }
}

/// Exchanges `code` for tokens.
async fn redeem(server: &TestServer, fixture: &Fixture, code: &str) -> Tokens {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
    ];
    tokens_of(&token_request(server, fixture, &form).await)
}

/// Rotates `refresh` into a new pair.
async fn refresh(server: &TestServer, fixture: &Fixture, refresh: &str) -> Tokens {
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
    tokens_of(&token_request(server, fixture, &form).await)
}

/// The status of `GET /api/teammates` with `bearer`.
async fn api_status(server: &TestServer, bearer: &str) -> u16 {
    reqwest::Client::new()
        .get(server.url("/api/teammates"))
        .bearer_auth(bearer)
        .send()
        .await
        .expect("API request")
        .status()
        .as_u16()
}

/// Counts the rows of `table` matching `condition`.
async fn count(db: &Db, table: &str, condition: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE {condition}");
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await,
        Db::Postgres(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await,
    }
    .expect("count")
}

/// Runs one SQL statement with no parameters.
async fn execute(db: &Db, sql: &str) {
    match db {
        Db::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(drop),
        Db::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop),
    }
    .expect("statement");
}

async fn get_json(url: &str) -> (u16, Value) {
    let response = reqwest::get(url).await.expect("GET");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

#[tokio::test]
async fn health_and_readiness_answer_ok_without_credentials() {
    let server = TestServer::start().await;

    let (status, body) = get_json(&server.url("/healthz")).await;
    assert_eq!((status, body), (200, serde_json::json!({"status": "ok"})));
    let (status, body) = get_json(&server.url("/readyz")).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ready")));
}

#[tokio::test]
async fn readiness_fails_with_a_reason_when_a_migration_is_missing() {
    let server = TestServer::start().await;
    execute(
        &server.db,
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
    )
    .await;

    let (status, body) = get_json(&server.url("/readyz")).await;
    assert_eq!(status, 503);
    assert_eq!(body["reason"], "migrations_pending");
    // The process is still up: a supervisor must not restart it for this.
    let (status, _) = get_json(&server.url("/healthz")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn readiness_fails_with_a_reason_when_the_database_is_gone() {
    let server = TestServer::start().await;
    server.db.close().await;

    let (status, body) = get_json(&server.url("/readyz")).await;
    assert_eq!(status, 503);
    assert_eq!(body["reason"], "database_unreachable");
    assert!(!body.to_string().contains("sqlx"), "no driver text: {body}");
    let (status, _) = get_json(&server.url("/healthz")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn upkeep_purges_exactly_the_dead_rows_and_every_live_token_keeps_working() {
    let server = TestServer::start().await;
    let fixture = server.fixture(SCOPES).await;
    let api_key = server.api_key(fixture.workspace_id).await;

    // A month ago: a grant that was refreshed once, a grant that was revoked, a code
    // never redeemed, a session, a failed log-in and a rate-limit window.
    let old_browser = server.browser();
    old_browser.login(&fixture.email).await;
    let code = authorization_code(&server, &old_browser, &fixture).await;
    let first = redeem(&server, &fixture, &code).await;
    let rotated = refresh(&server, &fixture, &first.refresh).await;
    let code = authorization_code(&server, &old_browser, &fixture).await;
    let revoked = redeem(&server, &fixture, &code).await;
    let status = reqwest::Client::new()
        .post(server.url("/oauth/revoke"))
        .form(&[
            ("token", revoked.refresh.as_str()),
            ("client_id", &fixture.client_id),
            ("client_secret", &fixture.client_secret),
        ])
        .send()
        .await
        .expect("revoke")
        .status();
    assert_eq!(status, 200);
    authorization_code(&server, &old_browser, &fixture).await;
    let failed = server
        .browser()
        .try_login("nobody@example.com", "not the password")
        .await;
    assert_eq!(failed.status(), 401, "the log-in fails");
    assert_eq!(api_status(&server, &api_key).await, 200);

    server.clock.advance(31 * DAY);

    // Now: the refreshed grant is refreshed again, a new grant starts in a new session,
    // and a code waits to be redeemed. (No API call yet: the first request of a new
    // rate-limit window would prune the workspace's old windows itself.)
    let browser = server.browser();
    browser.login(&fixture.email).await;
    let pending_code = authorization_code(&server, &browser, &fixture).await;
    let code = authorization_code(&server, &browser, &fixture).await;
    let live = redeem(&server, &fixture, &code).await;
    let continued = refresh(&server, &fixture, &rotated.refresh).await;

    let now = server.clock_now();
    let purged = upkeep::purge_expired(&server.db, now).await.expect("purge");
    assert_eq!(purged.grants, 1, "the grant revoked a month ago");
    assert_eq!(
        purged.codes, 3,
        "two codes redeemed and one abandoned a month ago"
    );
    assert_eq!(purged.sessions, 1, "the month-old session");
    assert_eq!(
        purged.access_tokens, 2,
        "the refreshed grant's first two access tokens"
    );
    assert_eq!(
        purged.refresh_tokens, 1,
        "the refresh token rotated a month ago"
    );
    assert_eq!(purged.rate_windows, 1, "the month-old rate-limit window");
    assert!(purged.login_throttle >= 1, "the month-old failed log-in");

    // Nothing dead is left, and the second run (or another instance's) finds nothing.
    let before = now - DAY;
    assert_eq!(
        count(&server.db, "grants", "revoked_at IS NOT NULL").await,
        0
    );
    let old_codes = format!("expires_at < {before}");
    assert_eq!(
        count(&server.db, "authorization_codes", &old_codes).await,
        0
    );
    assert_eq!(count(&server.db, "authorization_codes", "1 = 1").await, 2);
    let old_throttle = format!("window_started_at < {before}");
    assert_eq!(count(&server.db, "login_throttle", &old_throttle).await, 0);
    let again = upkeep::purge_expired(&server.db, now).await.expect("purge");
    assert_eq!(again, Purged::default());

    // Every live thing still works: the session, both grants' access tokens, the API
    // key, the waiting code, and both grants' refresh tokens.
    let home = browser.get("/").await.text().await.expect("home page");
    assert!(home.contains("Log out"), "the session is still live");
    assert_eq!(api_status(&server, &live.access).await, 200);
    assert_eq!(api_status(&server, &continued.access).await, 200);
    assert_eq!(api_status(&server, &api_key).await, 200);
    let from_pending = redeem(&server, &fixture, &pending_code).await;
    assert_eq!(api_status(&server, &from_pending.access).await, 200);
    let next = refresh(&server, &fixture, &live.refresh).await;
    assert_eq!(api_status(&server, &next.access).await, 200);
    let next = refresh(&server, &fixture, &continued.refresh).await;
    assert_eq!(api_status(&server, &next.access).await, 200);
    // And the dead ones are still refused.
    assert_eq!(api_status(&server, &revoked.access).await, 401);
    assert_eq!(api_status(&server, &first.access).await, 401);
}

#[tokio::test]
async fn a_consumed_code_replayed_before_its_row_is_purged_still_revokes_its_grant() {
    let server = TestServer::start().await;
    let fixture = server.fixture(SCOPES).await;
    let browser = server.browser();
    browser.login(&fixture.email).await;
    let code = authorization_code(&server, &browser, &fixture).await;
    let tokens = redeem(&server, &fixture, &code).await;

    // The code expired hours ago but less than a day ago: upkeep keeps it.
    server.clock.advance(12 * 60 * 60);
    let purged = upkeep::purge_expired(&server.db, server.clock_now())
        .await
        .expect("purge");
    assert_eq!(purged.codes, 0);

    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
    ];
    let replay = token_request(&server, &fixture, &form).await;
    assert_eq!(replay["error"], "invalid_grant");
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", tokens.refresh.as_str()),
    ];
    let refused = token_request(&server, &fixture, &form).await;
    assert_eq!(
        refused["error"], "invalid_grant",
        "the replay revoked the grant"
    );
}

#[tokio::test]
async fn the_server_runs_upkeep_on_its_interval() {
    let server =
        TestServer::start_with(|settings| settings.upkeep_interval_seconds = Some(1)).await;
    server.create_user("ada@example.com", "Ada").await;
    let failed = server
        .browser()
        .try_login("nobody@example.com", "not the password")
        .await;
    assert_eq!(failed.status(), 401);
    assert!(count(&server.db, "login_throttle", "1 = 1").await > 0);

    server.clock.advance(2 * DAY);
    let deadline = Instant::now() + Duration::from_secs(20);
    while count(&server.db, "login_throttle", "1 = 1").await > 0 {
        assert!(Instant::now() < deadline, "upkeep never ran");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.stop().await;
}
