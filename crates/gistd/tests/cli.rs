//! The `gistd` command line, driven as an operator drives it: the real binary, a fresh
//! SQLite file per test, passwords on standard input, JSON on standard output, errors on
//! standard error with a non-zero exit code. One test starts `gistd serve --demo` as a
//! child process and talks to it over HTTP.

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_gistd");
const PASSWORD: &str = "correct horse battery staple";
const REDIRECT_URI: &str = "https://app.example.com/callback";

/// Environment variables that would change what a command does; tests clear them so
/// the operator's shell cannot leak into the results.
const GISTD_VARIABLES: [&str; 6] = [
    "GISTD_DATABASE",
    "GISTD_LISTEN",
    "GISTD_BASE_URL",
    "GISTD_DEMO",
    "GISTD_ACCESS_TOKEN_TTL",
    "GISTD_LOG",
];

/// What a finished command left behind.
struct Outcome {
    success: bool,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Outcome {
    /// The standard output, parsed as one JSON value; panics with both streams if the
    /// command failed or printed something else.
    fn json(&self) -> Value {
        assert!(self.success, "command failed: {}", self.stderr);
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }

    /// Asserts the command failed with a message containing `expected` on stderr and
    /// printed nothing on stdout.
    fn assert_refused(&self, expected: &str) {
        assert!(
            !self.success,
            "command should fail; stdout: {}",
            self.stdout
        );
        assert_ne!(self.code, Some(0));
        assert!(
            self.stderr.contains(expected),
            "stderr should mention {expected:?}, got: {}",
            self.stderr
        );
        assert!(
            self.stdout.trim().is_empty(),
            "nothing on stdout: {}",
            self.stdout
        );
    }
}

/// A temporary directory holding one SQLite database, and a way to run `gistd` on it.
struct Gistd {
    dir: tempfile::TempDir,
    database: PathBuf,
}

impl Gistd {
    fn new() -> Gistd {
        let dir = tempfile::tempdir().expect("temporary directory");
        let database = dir.path().join("gistd.db");
        Gistd { dir, database }
    }

    /// A `gistd` command on this database with a clean environment.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        for name in GISTD_VARIABLES {
            command.env_remove(name);
        }
        command
            .env("GISTD_LOG", "warn")
            .arg("--database")
            .arg(&self.database)
            .args(args);
        command
    }

    /// Runs `gistd args...`, feeding `stdin` to it, and waits for it to finish.
    fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Outcome {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("gistd starts");
        let mut input = child.stdin.take().expect("stdin");
        input.write_all(stdin.as_bytes()).expect("write stdin");
        drop(input);
        let output = child.wait_with_output().expect("gistd finishes");
        Outcome {
            success: output.status.success(),
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs `gistd args...` with empty standard input.
    fn run(&self, args: &[&str]) -> Outcome {
        self.run_with_stdin(args, "")
    }

    /// Creates the user `ada@example.com`.
    fn create_user(&self) {
        let outcome = self.run_with_stdin(
            &[
                "user",
                "create",
                "--email",
                "ada@example.com",
                "--name",
                "Ada Lovelace",
                "--password-stdin",
            ],
            &format!("{PASSWORD}\n"),
        );
        assert!(outcome.success, "user create: {}", outcome.stderr);
    }

    /// Starts `gistd serve args...` in the background, its log in a file, and reads the
    /// JSON line `--demo --json` prints first.
    fn spawn_server(&self, args: &[&str]) -> Server {
        self.spawn_server_with_env(args, &[])
    }

    /// Like [`Gistd::spawn_server`], with extra environment variables.
    fn spawn_server_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Server {
        let log_name = format!("serve-{}.log", unique_suffix());
        let log_path = self.dir.path().join(log_name);
        let log = std::fs::File::create(&log_path).expect("log file");
        let mut command = self.command(args);
        command.env("GISTD_LOG", "info").envs(env.iter().copied());
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("gistd serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut server = Server {
            child: Some(child),
            log_path,
            demo: Value::Null,
        };

        // Read the first line on a thread, so a server that never prints fails the test
        // after a timeout instead of hanging it.
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let read = BufReader::new(stdout).read_line(&mut line).map(|_| line);
            let _ = sender.send(read);
        });
        let line = match receiver.recv_timeout(Duration::from_secs(60)) {
            Ok(Ok(line)) => line,
            Ok(Err(error)) => panic!("cannot read stdout: {error}; log: {}", server.log()),
            Err(_) => panic!("no line on stdout within 60 s; log: {}", server.log()),
        };
        server.demo = serde_json::from_str(line.trim()).unwrap_or_else(|e| {
            panic!(
                "first stdout line is not JSON ({e}): {line:?}; log: {}",
                server.log()
            )
        });
        server
    }
}

/// A distinct suffix per server started in one test.
fn unique_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or(0)
}

/// A `gistd serve` child process. Dropping it kills the process, so a failing test does
/// not leave a server behind.
struct Server {
    child: Option<Child>,
    log_path: PathBuf,
    demo: Value,
}

impl Server {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    fn demo(&self, field: &str) -> String {
        self.demo[field]
            .as_str()
            .unwrap_or_else(|| panic!("demo JSON has no {field}: {}", self.demo))
            .to_owned()
    }

    /// Asks the server to stop with SIGTERM (by its process id) and waits; returns
    /// whether it exited successfully. Where `kill` is unavailable the process is killed
    /// outright instead.
    fn stop(mut self) -> bool {
        let Some(mut child) = self.child.take() else {
            return false;
        };
        let terminated = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status()
            .is_ok_and(|status| status.success());
        if !terminated {
            let _ = child.kill();
        }
        for _ in 0..200 {
            if let Ok(Some(status)) = child.try_wait() {
                return terminated && status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("HTTP client")
}

/// The value of the hidden input `name` in an HTML page.
fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = start + html[start..].find('"')?;
    Some(html[start..end].to_owned())
}

#[test]
fn migrate_creates_the_database_and_can_run_again() {
    let gistd = Gistd::new();

    let first = gistd.run(&["migrate"]);
    assert!(first.success, "migrate: {}", first.stderr);
    assert_eq!(first.stdout.trim(), "Database is up to date.");
    assert!(gistd.database.exists(), "the SQLite file is created");

    let again = gistd.run(&["--json", "migrate"]);
    assert_eq!(again.json(), serde_json::json!({"migrated": true}));
}

#[test]
fn the_database_can_come_from_gistd_database() {
    let gistd = Gistd::new();
    let other = gistd.dir.path().join("from-env.db");
    let output = Command::new(BIN)
        .env_remove("GISTD_LOG")
        .env("GISTD_DATABASE", &other)
        .arg("migrate")
        .output()
        .expect("gistd runs");
    assert!(output.status.success());
    assert!(other.exists(), "GISTD_DATABASE names the file to use");
}

#[test]
fn set_up_commands_create_a_user_a_workspace_an_app_and_an_api_key() {
    let gistd = Gistd::new();

    let user = gistd.run_with_stdin(
        &[
            "--json",
            "user",
            "create",
            "--email",
            "  Ada@Example.com ",
            "--name",
            "Ada Lovelace",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    let user = user.json();
    assert!(user["id"].as_i64().is_some(), "{user}");
    assert_eq!(user["email"], "ada@example.com");

    let workspace = gistd
        .run(&[
            "workspace",
            "create",
            "--owner",
            "ada@example.com",
            "--name",
            "Acme Inc",
            "--slug",
            "acme",
            "--json",
        ])
        .json();
    assert_eq!(workspace["slug"], "acme");
    assert_eq!(workspace["name"], "Acme Inc");

    let unnamed = gistd
        .run(&[
            "--json",
            "workspace",
            "create",
            "--owner",
            "ada@example.com",
            "--name",
            "Second Shop, Ltd.",
        ])
        .json();
    assert_eq!(
        unnamed["slug"], "second-shop-ltd",
        "slug made from the name"
    );

    let app = gistd
        .run(&[
            "app",
            "create",
            "--owner",
            "ada@example.com",
            "--name",
            "My Integration",
            "--redirect-uri",
            REDIRECT_URI,
            "--redirect-uri",
            "http://127.0.0.1:3000/oauth/gist/callback",
            "--scopes",
            "read_teammates",
            "--json",
        ])
        .json();
    let client_id = app["client_id"].as_str().expect("client_id");
    let client_secret = app["client_secret"].as_str().expect("client_secret");
    assert_eq!(client_id.len(), 36, "a UUID: {client_id}");
    assert!(client_secret.starts_with("gcs_"), "{client_secret}");
    assert_eq!(client_secret.len(), 4 + 43, "256 bits, base64url");
    assert_eq!(app["scopes"], "read_teammates");
    assert_eq!(
        app["redirect_uris"],
        serde_json::json!([REDIRECT_URI, "http://127.0.0.1:3000/oauth/gist/callback"])
    );

    let key = gistd
        .run(&["api-key", "create", "--workspace", "acme", "--json"])
        .json();
    assert_eq!(key["workspace"], "acme");
    let first_key = key["api_key"].as_str().expect("api_key").to_owned();
    assert!(first_key.starts_with("gsk_"), "{first_key}");

    let again = gistd
        .run(&["api-key", "create", "--workspace", "acme", "--json"])
        .json();
    assert_ne!(again["api_key"].as_str(), Some(first_key.as_str()));
}

#[test]
fn text_output_shows_the_secret_once_and_says_so() {
    let gistd = Gistd::new();
    gistd.create_user();

    let created = gistd.run(&[
        "app",
        "create",
        "--owner",
        "ada@example.com",
        "--name",
        "Text App",
        "--redirect-uri",
        REDIRECT_URI,
        "--scopes",
        "read_contacts read_teammates",
    ]);
    assert!(created.success, "{}", created.stderr);
    assert!(created.stdout.contains("client_id:"), "{}", created.stdout);
    assert!(created.stdout.contains("client_secret: gcs_"));
    assert!(created.stdout.contains("shown only now"));
}

#[test]
fn the_quick_start_scope_spelling_is_stored_as_the_documented_slug() {
    let gistd = Gistd::new();
    gistd.create_user();

    let app = gistd
        .run(&[
            "--json",
            "app",
            "create",
            "--owner",
            "ada@example.com",
            "--name",
            "Alias App",
            "--redirect-uri",
            REDIRECT_URI,
            "--scopes",
            "read_teammates read_contacts",
        ])
        .json();
    assert_eq!(app["scopes"], "read_contact read_teammates");
}

#[test]
fn user_create_reads_the_password_from_stdin_and_checks_it() {
    let gistd = Gistd::new();
    let args = [
        "user",
        "create",
        "--email",
        "ada@example.com",
        "--name",
        "Ada",
        "--password-stdin",
    ];

    gistd
        .run_with_stdin(&args, "short\n")
        .assert_refused("at least 10 characters");
    gistd
        .run_with_stdin(&args, "")
        .assert_refused("at least 10 characters");

    let created = gistd.run_with_stdin(&args, &format!("{PASSWORD}\r\n"));
    assert!(created.success, "{}", created.stderr);
    assert!(
        created.stdout.starts_with("Created user "),
        "{}",
        created.stdout
    );

    gistd
        .run_with_stdin(&args, &format!("{PASSWORD}\n"))
        .assert_refused("already exists");
}

#[test]
fn user_create_insists_on_password_stdin() {
    let gistd = Gistd::new();
    let outcome = gistd.run(&[
        "user",
        "create",
        "--email",
        "ada@example.com",
        "--name",
        "Ada",
    ]);
    outcome.assert_refused("--password-stdin");
    assert_eq!(outcome.code, Some(2), "a usage error");
}

#[test]
fn user_create_refuses_an_invalid_email_address() {
    let gistd = Gistd::new();
    gistd
        .run_with_stdin(
            &[
                "user",
                "create",
                "--email",
                "ada",
                "--name",
                "Ada",
                "--password-stdin",
            ],
            PASSWORD,
        )
        .assert_refused("valid email address");
}

#[test]
fn workspace_create_refuses_an_unknown_owner_and_a_taken_slug() {
    let gistd = Gistd::new();
    gistd.create_user();
    let create = |owner: &str, slug: &str| {
        gistd.run(&[
            "workspace",
            "create",
            "--owner",
            owner,
            "--name",
            "Acme",
            "--slug",
            slug,
        ])
    };

    create("nobody@example.com", "acme")
        .assert_refused("No account has the email address nobody@example.com");
    assert!(create("ada@example.com", "acme").success);
    create("ada@example.com", "acme").assert_refused("already exists");
    create("ada@example.com", "a").assert_refused("3 to 40 characters");
}

#[test]
fn app_create_refuses_a_plain_http_redirect_uri() {
    let gistd = Gistd::new();
    gistd.create_user();
    gistd
        .run(&[
            "app",
            "create",
            "--owner",
            "ada@example.com",
            "--name",
            "App",
            "--redirect-uri",
            "http://app.example.com/callback",
            "--scopes",
            "read_teammates",
            "--json",
        ])
        .assert_refused("must use https");
}

#[test]
fn app_create_refuses_a_redirect_uri_with_a_fragment_or_no_scheme() {
    let gistd = Gistd::new();
    gistd.create_user();
    for (uri, expected) in [
        ("https://app.example.com/callback#top", "fragment"),
        ("app.example.com/callback", "not an absolute URL"),
        ("https://user@app.example.com/callback", "user information"),
    ] {
        gistd
            .run(&[
                "app",
                "create",
                "--owner",
                "ada@example.com",
                "--name",
                "App",
                "--redirect-uri",
                uri,
                "--scopes",
                "read_teammates",
            ])
            .assert_refused(expected);
    }
}

#[test]
fn app_create_refuses_an_unknown_scope() {
    let gistd = Gistd::new();
    gistd.create_user();
    gistd
        .run(&[
            "app",
            "create",
            "--owner",
            "ada@example.com",
            "--name",
            "App",
            "--redirect-uri",
            REDIRECT_URI,
            "--scopes",
            "read_teammates read_everything",
            "--json",
        ])
        .assert_refused("unknown scope `read_everything`");
}

#[test]
fn app_create_refuses_an_unknown_owner() {
    let gistd = Gistd::new();
    gistd
        .run(&[
            "app",
            "create",
            "--owner",
            "nobody@example.com",
            "--name",
            "App",
            "--redirect-uri",
            REDIRECT_URI,
            "--scopes",
            "read_teammates",
            "--json",
        ])
        .assert_refused("No account has the email address nobody@example.com");
}

#[test]
fn api_key_create_refuses_an_unknown_workspace() {
    let gistd = Gistd::new();
    gistd
        .run(&["api-key", "create", "--workspace", "nowhere", "--json"])
        .assert_refused("No workspace has the slug nowhere");
}

#[test]
fn serve_refuses_a_bad_lifetime_or_base_url_before_starting() {
    let gistd = Gistd::new();
    let outcome = gistd.run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--access-token-ttl",
        "2w",
    ]);
    outcome.assert_refused("--access-token-ttl");
    assert_eq!(outcome.code, Some(2));

    let outcome = gistd.run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--base-url",
        "https://gistd.example.com/sub",
    ]);
    outcome.assert_refused("--base-url");
    assert_eq!(outcome.code, Some(2));
}

#[tokio::test]
async fn serve_demo_prints_working_credentials_as_json_then_serves() {
    let gistd = Gistd::new();
    let server = gistd.spawn_server(&["serve", "--demo", "--listen", "127.0.0.1:0", "--json"]);
    let base_url = server.demo("base_url");
    assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url}");
    assert!(
        !base_url.ends_with(":0"),
        "the real port is printed: {base_url}"
    );
    assert_eq!(server.demo("email"), "demo@gistd.test");
    assert_eq!(server.demo("workspace"), "demo");
    assert_eq!(
        server.demo("redirect_uri"),
        "http://127.0.0.1:3000/oauth/gist/callback"
    );
    let client_id = server.demo("client_id");
    let client_secret = server.demo("client_secret");
    assert!(client_secret.starts_with("gcs_"));
    let http = http_client();

    // The log-in page answers, and the printed password logs in.
    let response = http
        .get(format!("{base_url}/login"))
        .send()
        .await
        .expect("GET /login");
    assert_eq!(response.status(), 200);
    let page = response.text().await.expect("log-in page");
    let csrf = hidden_field(&page, "csrf").expect("csrf field");
    let password = server.demo("password");
    let response = http
        .post(format!("{base_url}/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "demo@gistd.test"),
            ("password", password.as_str()),
            ("next", "/"),
        ])
        .send()
        .await
        .expect("POST /login");
    assert_eq!(response.status(), 303, "the demo password logs in");

    // The metadata names this server.
    let metadata: Value = http
        .get(format!("{base_url}/.well-known/oauth-authorization-server"))
        .send()
        .await
        .expect("metadata")
        .json()
        .await
        .expect("metadata JSON");
    assert_eq!(metadata["issuer"], base_url.as_str());
    assert_eq!(
        metadata["token_endpoint"],
        format!("{base_url}/oauth/token")
    );

    // The printed client secret authenticates: a made-up code gets past client
    // authentication and is refused as a grant, not as a client.
    let response = http
        .post(format!("{base_url}/oauth/token"))
        .basic_auth(&client_id, Some(&client_secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "gac_not-a-real-code"),
            ("redirect_uri", "http://127.0.0.1:3000/oauth/gist/callback"),
        ])
        .send()
        .await
        .expect("token request");
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.expect("error JSON");
    assert_eq!(error["error"], "invalid_grant");

    // An API key made with the CLI while the server runs works at once.
    let key = gistd
        .run(&["--json", "api-key", "create", "--workspace", "demo"])
        .json();
    let key = key["api_key"].as_str().expect("api_key");
    let response = http
        .get(format!("{base_url}/api/teammates"))
        .bearer_auth(key)
        .send()
        .await
        .expect("GET /api/teammates");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("teammates JSON");
    let emails: Vec<&str> = body["teammates"]
        .as_array()
        .expect("teammates list")
        .iter()
        .filter_map(|teammate| teammate["email"].as_str())
        .collect();
    assert!(emails.contains(&"demo@gistd.test"), "{body}");

    let log = server.log();
    assert!(server.stop(), "serve exits cleanly on SIGTERM; log: {log}");
}

#[tokio::test]
async fn serve_demo_renews_the_password_and_secret_at_every_start() {
    let gistd = Gistd::new();
    let args = ["serve", "--demo", "--listen", "127.0.0.1:0", "--json"];

    let first = gistd.spawn_server(&args);
    let (first_id, first_secret, first_password) = (
        first.demo("client_id"),
        first.demo("client_secret"),
        first.demo("password"),
    );
    assert!(first.stop(), "first server stops");

    let second = gistd.spawn_server(&args);
    assert_eq!(second.demo("client_id"), first_id, "the same demo app");
    assert_ne!(second.demo("client_secret"), first_secret);
    assert_ne!(second.demo("password"), first_password);

    // The first run's secret no longer authenticates.
    let response = http_client()
        .post(format!("{}/oauth/token", second.demo("base_url")))
        .basic_auth(&first_id, Some(&first_secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .expect("token request");
    assert_eq!(response.status(), 401);
    assert!(second.stop(), "second server stops");
}

#[test]
fn gistd_demo_in_the_environment_accepts_one_for_true() {
    let gistd = Gistd::new();
    let server = gistd.spawn_server_with_env(
        &["serve", "--listen", "127.0.0.1:0", "--json"],
        &[("GISTD_DEMO", "1")],
    );
    assert_eq!(server.demo("email"), "demo@gistd.test");
    assert!(server.stop(), "the server stops");
}

#[test]
fn serve_stops_cleanly_on_sigterm_sent_right_after_the_demo_line() {
    // The signal handlers must be in place before the line is printed; a script that
    // stops the server as soon as it has read the line would otherwise kill it.
    let gistd = Gistd::new();
    for attempt in 0..5 {
        let server = gistd.spawn_server(&["serve", "--demo", "--listen", "127.0.0.1:0", "--json"]);
        assert!(server.stop(), "attempt {attempt}: clean exit on SIGTERM");
    }
}
