//! Test harness for whole `gistd` processes: a database (a SQLite file, or a fresh
//! PostgreSQL database), set-up through the real CLI, `gistd serve` started as a child
//! process on a free port and stopped by its process id with SIGKILL or SIGTERM, and a
//! cookie-keeping browser that logs in and consents through the HTML forms.

#![allow(dead_code)]

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_gistd");
/// The password of the test user.
pub const PASSWORD: &str = "correct horse battery staple";
/// The user who owns the workspace and the app.
pub const EMAIL: &str = "ada@example.com";
/// The workspace's slug.
pub const WORKSPACE: &str = "acme";
/// The redirect URI the app registers.
pub const REDIRECT_URI: &str = "http://127.0.0.1:3000/oauth/gist/callback";
/// How long a server may take to answer its first request after it was started.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Environment variables that would change what a command does; they are cleared so the
/// shell running the tests cannot leak into them.
const GISTD_VARIABLES: [&str; 9] = [
    "GISTD_DATABASE",
    "GISTD_LISTEN",
    "GISTD_BASE_URL",
    "GISTD_DEMO",
    "GISTD_ACCESS_TOKEN_TTL",
    "GISTD_API_RATE_LIMIT",
    "GISTD_API_RATE_WINDOW",
    "GISTD_LOG",
    "GISTD_JSON",
];

/// A database for one test, with a directory for the servers' logs.
pub struct Database {
    /// What `--database` gets.
    pub url: String,
    /// The SQLite file, for SQLite databases.
    pub sqlite_file: Option<PathBuf>,
    dir: tempfile::TempDir,
}

impl Database {
    /// A new SQLite file in a temporary directory.
    pub fn sqlite() -> Database {
        let dir = tempfile::tempdir().expect("temporary directory");
        let file = dir.path().join("gistd.db");
        Database {
            url: file.to_string_lossy().into_owned(),
            sqlite_file: Some(file),
            dir,
        }
    }

    /// A new, empty database on the PostgreSQL server named by `GISTD_TEST_POSTGRES`
    /// (e.g. `postgres://postgres@127.0.0.1:5432/test`). Without it the test is skipped
    /// (`None`, with a message): `.ci/run` runs the suite a second time with it set, and
    /// fails in CI when PostgreSQL is unreachable, so CI never skips these tests.
    pub async fn postgres(test: &str) -> Option<Database> {
        let admin_url = std::env::var("GISTD_TEST_POSTGRES").unwrap_or_default();
        if admin_url.is_empty() {
            eprintln!(
                "skipping {test}: set GISTD_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test \
                 to run it"
            );
            return None;
        }
        use sqlx::Connection;
        let name = format!("gistd_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .expect("PostgreSQL reachable");
        sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create the test database");
        let base = admin_url
            .rsplit_once('/')
            .map(|(base, _)| base)
            .unwrap_or(&admin_url);
        Some(Database {
            url: format!("{base}/{name}"),
            sqlite_file: None,
            dir: tempfile::tempdir().expect("temporary directory"),
        })
    }

    /// `sqlite` or `postgres`, for messages.
    pub fn backend(&self) -> &'static str {
        if self.sqlite_file.is_some() {
            "sqlite"
        } else {
            "postgres"
        }
    }

    /// The directory logs go to.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A `gistd` command on this database with a clean environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        for name in GISTD_VARIABLES {
            command.env_remove(name);
        }
        command
            .env("GISTD_LOG", "warn")
            .arg("--database")
            .arg(&self.url)
            .args(args);
        command
    }

    /// Runs `gistd --json args...` with `stdin`, and returns its JSON output; panics with
    /// its standard error if it fails.
    pub fn run_json(&self, args: &[&str], stdin: &str) -> Value {
        let mut child = self
            .command(args)
            .arg("--json")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("gistd starts");
        let mut input = child.stdin.take().expect("stdin");
        input.write_all(stdin.as_bytes()).expect("write stdin");
        drop(input);
        let output = child.wait_with_output().expect("gistd finishes");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "gistd {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_str(stdout.trim())
            .unwrap_or_else(|e| panic!("gistd {args:?} printed no JSON ({e}): {stdout}"))
    }

    /// Creates, through the CLI, the user [`EMAIL`], the workspace [`WORKSPACE`], an app
    /// with [`REDIRECT_URI`] and `scopes`, and the workspace's API key.
    pub fn set_up(&self, scopes: &str) -> Fixture {
        let password = format!("{PASSWORD}\n");
        let user_args = [
            "user",
            "create",
            "--email",
            EMAIL,
            "--name",
            "Ada Lovelace",
            "--password-stdin",
        ];
        self.run_json(&user_args, &password);
        let workspace_args = [
            "workspace",
            "create",
            "--owner",
            EMAIL,
            "--name",
            "Acme",
            "--slug",
            WORKSPACE,
        ];
        self.run_json(&workspace_args, "");
        let app_args = [
            "app",
            "create",
            "--owner",
            EMAIL,
            "--name",
            "Scale Test App",
            "--redirect-uri",
            REDIRECT_URI,
            "--scopes",
            scopes,
        ];
        let app = self.run_json(&app_args, "");
        let key = self.run_json(&["api-key", "create", "--workspace", WORKSPACE], "");
        let text = |value: &Value, field: &str| {
            value[field]
                .as_str()
                .unwrap_or_else(|| panic!("no {field} in {value}"))
                .to_owned()
        };
        Fixture {
            client_id: text(&app, "client_id"),
            client_secret: text(&app, "client_secret"),
            api_key: text(&key, "api_key"),
        }
    }
}

/// What [`Database::set_up`] created.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: String,
    /// The workspace's API key.
    pub api_key: String,
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// An HTTP client for tests: no proxy, no redirects, no cookies, and a timeout, so a
/// request the server never answers fails the test instead of hanging it.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .expect("HTTP client")
}

/// A `gistd serve` child process. Dropping it kills the process, so a failing test leaves
/// no server behind.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The port it listens on.
    pub port: u16,
    child: Option<Child>,
    log_path: PathBuf,
}

impl Server {
    /// Starts `gistd serve` on `port` with `extra` arguments, its log in a file of
    /// `database`'s directory, and waits until it answers.
    pub async fn start(database: &Database, port: u16, extra: &[&str]) -> Server {
        let mut server = Self::spawn(database, port, extra);
        server.wait_until_ready().await;
        server
    }

    /// Starts `gistd serve` without waiting for it.
    pub fn spawn(database: &Database, port: u16, extra: &[&str]) -> Server {
        let base_url = format!("http://127.0.0.1:{port}");
        let listen = format!("127.0.0.1:{port}");
        let log_path = database.dir().join(format!(
            "serve-{port}-{}.log",
            uuid::Uuid::new_v4().simple()
        ));
        let log = std::fs::File::create(&log_path).expect("log file");
        let child = database
            .command(&["serve", "--listen", &listen, "--base-url", &base_url])
            .args(extra)
            .env("GISTD_LOG", "info,sqlx=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("gistd serve starts");
        Server {
            base_url,
            port,
            child: Some(child),
            log_path,
        }
    }

    /// Waits until the server answers its metadata document; panics with its log if it
    /// exits or does not answer in time.
    pub async fn wait_until_ready(&mut self) {
        let http = http_client();
        let url = self.url("/.well-known/oauth-authorization-server");
        let started = Instant::now();
        loop {
            if let Ok(response) = http.get(&url).send().await
                && response.status() == 200
            {
                return;
            }
            if let Some(status) = self.exit_status() {
                panic!(
                    "gistd exited ({status}) before answering; log:\n{}",
                    self.log()
                );
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "gistd did not answer within {START_TIMEOUT:?}; log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// An absolute URL on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).expect("running")
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The exit status, if the process has exited.
    fn exit_status(&mut self) -> Option<ExitStatus> {
        self.child.as_mut()?.try_wait().ok().flatten()
    }

    /// Kills the process with SIGKILL (by its id) and waits for it: a crash.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL");
            child.wait().expect("killed process reaped");
        }
    }

    /// Sends SIGTERM to the process by its id, without waiting.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status()
            .expect("the kill command runs");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Waits up to `bound` for the process to exit; returns its status, or `None` (after
    /// killing it) when it did not exit in time.
    pub async fn wait_for_exit(&mut self, bound: Duration) -> Option<ExitStatus> {
        let mut child = self.child.take()?;
        let started = Instant::now();
        while started.elapsed() < bound {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        None
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

/// Why a browser step failed.
#[derive(Debug)]
pub enum BrowserError {
    /// The request got no complete answer (the server is down or died mid-request).
    Unreachable(String),
    /// The server answered, but not as a working server should.
    Refused(String),
}

impl From<reqwest::Error> for BrowserError {
    fn from(error: reqwest::Error) -> Self {
        BrowserError::Unreachable(error.to_string())
    }
}

impl From<String> for BrowserError {
    fn from(message: String) -> Self {
        BrowserError::Refused(message)
    }
}

impl From<&str> for BrowserError {
    fn from(message: &str) -> Self {
        BrowserError::Refused(message.to_owned())
    }
}

/// A cookie-keeping client that fills in the log-in and consent forms as a browser does.
/// Cookies are kept per host, not per port, so one browser carries its session from one
/// gistd instance to another, as it would behind a load balancer.
pub struct Browser {
    http: reqwest::Client,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    /// A browser with an empty cookie jar.
    pub fn new() -> Browser {
        let http = reqwest::Client::builder()
            .no_proxy()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .expect("browser");
        Browser { http }
    }

    /// Logs in as [`EMAIL`] on the server at `base_url`.
    pub async fn log_in(&self, base_url: &str) -> Result<(), BrowserError> {
        let page = self.get_text(&format!("{base_url}/login")).await?;
        let csrf = hidden_field(&page, "csrf").ok_or("no csrf field on the log-in page")?;
        let fields = [
            ("csrf", csrf.as_str()),
            ("email", EMAIL),
            ("password", PASSWORD),
            ("next", "/"),
        ];
        let response = self
            .http
            .post(format!("{base_url}/login"))
            .form(&fields)
            .send()
            .await?;
        match response.status().as_u16() {
            303 => Ok(()),
            other => Err(format!("log-in answered {other}").into()),
        }
    }

    /// The authorization URL of `client_id` for `scope` on `base_url`.
    pub fn authorize_url(base_url: &str, client_id: &str, scope: &str) -> String {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", REDIRECT_URI)
            .append_pair("scope", scope)
            .append_pair("state", WORKSPACE)
            .finish();
        format!("{base_url}/oauth/authorize?{query}")
    }

    /// Opens the authorization URL on `show_on` and, when a consent page comes back,
    /// allows it on `decide_on`; returns the code. Consent given before skips the page.
    pub async fn authorize(
        &self,
        show_on: &str,
        decide_on: &str,
        client_id: &str,
        scope: &str,
    ) -> Result<String, BrowserError> {
        let url = Self::authorize_url(show_on, client_id, scope);
        let response = self.http.get(&url).send().await?;
        let redirect = match response.status().as_u16() {
            302 => location(&response)?,
            200 => {
                let page = response.text().await?;
                self.allow(decide_on, &page).await?
            }
            other => return Err(format!("authorize answered {other}").into()),
        };
        Ok(code_of(&redirect)?)
    }

    /// Submits the consent form of `page` with Allow; returns the redirect.
    async fn allow(&self, base_url: &str, page: &str) -> Result<String, BrowserError> {
        let csrf = hidden_field(page, "csrf").ok_or("no csrf on the consent page")?;
        let request = hidden_field(page, "authorization_request").ok_or("no request field")?;
        let fields = [
            ("csrf", csrf.as_str()),
            ("authorization_request", request.as_str()),
            ("workspace", WORKSPACE),
            ("decision", "allow"),
        ];
        let response = self
            .http
            .post(format!("{base_url}/oauth/authorize"))
            .form(&fields)
            .send()
            .await?;
        match response.status().as_u16() {
            303 => Ok(location(&response)?),
            other => Err(format!("consent answered {other}").into()),
        }
    }

    async fn get_text(&self, url: &str) -> Result<String, BrowserError> {
        let response = self.http.get(url).send().await?;
        if response.status() != 200 {
            return Err(format!("GET {url} answered {}", response.status()).into());
        }
        Ok(response.text().await?)
    }
}

/// The `code` of a redirect to the client.
fn code_of(redirect: &str) -> Result<String, String> {
    if !redirect.starts_with(REDIRECT_URI) {
        return Err(format!("redirected elsewhere: {redirect}"));
    }
    url::Url::parse(redirect)
        .map_err(|e| e.to_string())?
        .query_pairs()
        .find(|(key, _)| key == "code")
        .map(|(_, value)| value.into_owned())
        .ok_or_else(|| format!("no code in {redirect}"))
}

fn location(response: &reqwest::Response) -> Result<String, String> {
    response
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| "no Location header".to_owned())
}

/// The value of the hidden input `name` in an HTML page, unescaped.
fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = start + html[start..].find('"')?;
    Some(
        html[start..end]
            .replace("&#34;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#38;", "&")
            .replace("&amp;", "&"),
    )
}

/// An answer of the token endpoint.
#[derive(Debug)]
pub enum TokenAnswer {
    /// 200: the access and refresh tokens.
    Issued { access: String, refresh: String },
    /// 400 `invalid_grant`, with its description.
    InvalidGrant(String),
    /// Any other status, with the body.
    Other(u16, String),
}

/// `POST /oauth/token` with `fields` and the client's credentials in the body.
pub async fn token_request(
    http: &reqwest::Client,
    base_url: &str,
    fixture: &Fixture,
    fields: &[(&str, &str)],
) -> Result<TokenAnswer, reqwest::Error> {
    let mut form: Vec<(&str, &str)> = vec![
        ("client_id", &fixture.client_id),
        ("client_secret", &fixture.client_secret),
    ];
    form.extend_from_slice(fields);
    let response = http
        .post(format!("{base_url}/oauth/token"))
        .form(&form)
        .send()
        .await?;
    let status = response.status().as_u16();
    let body: Value = response.json().await?;
    let text = |field: &str| body[field].as_str().unwrap_or_default().to_owned();
    Ok(match (status, text("error").as_str()) {
        (200, _) => TokenAnswer::Issued {
            access: text("access_token"),
            refresh: text("refresh_token"),
        },
        (400, "invalid_grant") => TokenAnswer::InvalidGrant(text("error_description")),
        _ => TokenAnswer::Other(status, body.to_string()),
    })
}

/// Exchanges `code` on `base_url`.
pub async fn redeem(
    http: &reqwest::Client,
    base_url: &str,
    fixture: &Fixture,
    code: &str,
) -> Result<TokenAnswer, reqwest::Error> {
    let fields = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
    ];
    token_request(http, base_url, fixture, &fields).await
}

/// Rotates `refresh_token` on `base_url`.
pub async fn refresh(
    http: &reqwest::Client,
    base_url: &str,
    fixture: &Fixture,
    refresh_token: &str,
) -> Result<TokenAnswer, reqwest::Error> {
    let fields = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    token_request(http, base_url, fixture, &fields).await
}
