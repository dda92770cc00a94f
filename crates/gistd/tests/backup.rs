//! `gistd backup` and `gistd restore`, driven as an operator drives them: the real
//! binary on SQLite files, a backup taken while a server is running, and a server started
//! on the restored file that accepts the tokens and API key issued before the backup.

mod support;

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use support::{Fixture, PASSWORD, REDIRECT_URI, TestServer, authorize_url, query_param};

const BIN: &str = env!("CARGO_BIN_EXE_gistd");

/// Runs `gistd --database DATABASE --json ARGS...` with `stdin`, without the caller's
/// `GISTD_*` variables.
fn gistd(database: &Path, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut command = Command::new(BIN);
    for (name, _) in std::env::vars() {
        if name.starts_with("GISTD_") {
            command.env_remove(name);
        }
    }
    let mut child = command
        .env("GISTD_LOG", "warn")
        .arg("--database")
        .arg(database)
        .arg("--json")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gistd starts");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.as_bytes()).expect("write stdin");
    drop(input);
    child.wait_with_output().expect("gistd finishes")
}

/// The JSON a successful command printed.
fn printed(output: &Output) -> Value {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "command failed: {stderr}");
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

/// Asserts a command failed and said `expected` on standard error.
fn assert_refused(output: &Output, expected: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "should fail: {stderr}");
    assert!(
        stderr.contains(expected),
        "stderr should say {expected:?}: {stderr}"
    );
}

/// Status of `GET /api/teammates` with `bearer`.
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

/// A server on the SQLite file `database`, whatever backend the suite runs on.
async fn server_on(database: &Path) -> TestServer {
    let database = database.to_string_lossy().into_owned();
    TestServer::start_with(|settings| settings.database = database).await
}

#[tokio::test]
async fn a_backup_taken_while_serving_restores_into_a_server_that_accepts_the_old_tokens() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let database = dir.path().join("gistd.db");
    let email = "ada@example.com";
    let password = format!("{PASSWORD}\n");
    let user = [
        "user",
        "create",
        "--email",
        email,
        "--name",
        "Ada",
        "--password-stdin",
    ];
    printed(&gistd(&database, &user, &password));
    let workspace = [
        "workspace",
        "create",
        "--owner",
        email,
        "--name",
        "Acme",
        "--slug",
        "acme",
    ];
    let workspace = printed(&gistd(&database, &workspace, ""));
    let app = [
        "app",
        "create",
        "--owner",
        email,
        "--name",
        "Backup test",
        "--redirect-uri",
        REDIRECT_URI,
        "--scopes",
        "read_teammates",
    ];
    let app = printed(&gistd(&database, &app, ""));
    let key = printed(&gistd(
        &database,
        &["api-key", "create", "--workspace", "acme"],
        "",
    ));
    let api_key = key["api_key"].as_str().expect("api key").to_owned();
    let fixture = Fixture {
        email: email.to_owned(),
        workspace_id: workspace["id"].as_i64().expect("workspace id"),
        client_id: app["client_id"].as_str().expect("client id").to_owned(),
        client_secret: app["client_secret"].as_str().expect("secret").to_owned(),
    };

    // A token issued by a running server, and a backup taken while it still runs.
    let server = server_on(&database).await;
    let browser = server.browser();
    browser.login(email).await;
    let page = browser
        .consent_page(&authorize_url(
            &server,
            &fixture.client_id,
            "read_teammates",
            &[],
        ))
        .await;
    let redirect = browser.decide(&page, "allow", "acme").await;
    let code = query_param(&redirect, "code").expect("code");
    let tokens: Value = reqwest::Client::new()
        .post(server.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", &fixture.client_id),
            ("client_secret", &fixture.client_secret),
        ])
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token JSON");
    let access = tokens["access_token"].as_str().expect("access token");
    let refresh = tokens["refresh_token"].as_str().expect("refresh token");
    assert_eq!(api_status(&server, access).await, 200);

    let backup = dir.path().join("backup.db");
    let to = backup.to_str().expect("UTF-8 path");
    printed(&gistd(&database, &["backup", "--to", to], ""));
    assert_refused(
        &gistd(&database, &["backup", "--to", to], ""),
        "already exists",
    );
    // Restoring over the database of a running server is refused, even with --force.
    let from = ["restore", "--from", to, "--force"];
    assert_refused(&gistd(&database, &from, ""), "in use");
    assert_eq!(api_status(&server, access).await, 200);
    server.stop().await;

    let restored = dir.path().join("restored.db");
    printed(&gistd(&restored, &["restore", "--from", to], ""));
    assert_refused(&gistd(&restored, &["restore", "--from", to], ""), "--force");
    printed(&gistd(&restored, &["restore", "--from", to, "--force"], ""));

    let server = server_on(&restored).await;
    let ready = reqwest::get(server.url("/readyz")).await.expect("readyz");
    assert_eq!(ready.status(), 200);
    assert_eq!(api_status(&server, access).await, 200);
    assert_eq!(api_status(&server, &api_key).await, 200);
    let refreshed: Value = reqwest::Client::new()
        .post(server.url("/oauth/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", &fixture.client_id),
            ("client_secret", &fixture.client_secret),
        ])
        .send()
        .await
        .expect("refresh request")
        .json()
        .await
        .expect("token JSON");
    let access = refreshed["access_token"].as_str().expect("refreshed token");
    assert_eq!(api_status(&server, access).await, 200);
    server.browser().login(email).await;
    server.stop().await;
}

#[test]
fn a_file_that_is_not_a_database_is_never_restored() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let database = dir.path().join("gistd.db");
    printed(&gistd(&database, &["migrate"], ""));
    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![7u8; 8192]).expect("write");

    let from = garbage.to_str().expect("UTF-8 path");
    let refused = gistd(&database, &["restore", "--from", from, "--force"], "");
    assert_refused(&refused, "not a usable gistd database");
    // The database is untouched and nothing is left beside it.
    printed(&gistd(&database, &["migrate"], ""));
    assert!(!dir.path().join("gistd.db-restoring").exists());
    let missing = dir.path().join("missing.db");
    let from = missing.to_str().expect("UTF-8 path");
    assert_refused(
        &gistd(&database, &["restore", "--from", from], ""),
        "does not exist",
    );
}

#[test]
fn backups_of_postgresql_point_to_pg_dump() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let to = dir.path().join("backup.db");
    let to = to.to_str().expect("UTF-8 path");
    // Refused before any connection is attempted, so no server needs to listen here.
    let database = Path::new("postgres://nobody@127.0.0.1:1/none");
    assert_refused(&gistd(database, &["backup", "--to", to], ""), "pg_dump");
    assert_refused(
        &gistd(database, &["restore", "--from", to], ""),
        "pg_restore",
    );
}
