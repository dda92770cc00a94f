//! Test harness: a real gistd in this process on a free port with a fresh database
//! (SQLite, or PostgreSQL when `GISTD_TEST_POSTGRES` names an admin URL), an API key,
//! and a cookie-keeping browser for the log-in and consent forms. Adapted from
//! `crates/gistd/tests/support`.

#![allow(dead_code)]

use gistd::app::Application;
use gistd::config::Settings;
use gistd::domain::clock::ManualClock;
use gistd::domain::scope::ScopeSet;
use gistd::domain::secret::Secret;
use gistd::service;
use gistd::storage::Db;
use std::sync::Arc;
use tokio::sync::oneshot;

/// The password of the test user.
pub const PASSWORD: &str = "correct horse battery staple";
/// The test user's email address.
pub const EMAIL: &str = "admin@example.com";
/// The redirect URI of the test app.
pub const REDIRECT_URI: &str = "http://127.0.0.1:3000/oauth/gist/callback";

/// A running gistd with a user, a workspace `acme`, its API key and an app.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The server's database, to create what the API only reads.
    pub db: Db,
    /// The workspace's id.
    pub workspace_id: i64,
    /// The workspace's API key.
    pub api_key: String,
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: String,
    shutdown: Option<oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts a server with default settings and the app allowed `scopes`.
    pub async fn start(scopes: &str) -> TestServer {
        Self::start_with(scopes, |_| {}).await
    }

    /// Starts a server after `configure` adjusts the settings.
    pub async fn start_with(scopes: &str, configure: impl FnOnce(&mut Settings)) -> TestServer {
        let dir = tempfile::tempdir().expect("temporary directory");
        let database = match std::env::var("GISTD_TEST_POSTGRES") {
            Ok(admin_url) if !admin_url.is_empty() => fresh_postgres_database(&admin_url).await,
            _ => dir.path().join("gistd.db").to_string_lossy().into_owned(),
        };
        let mut settings = Settings {
            listen: "127.0.0.1:0".parse().expect("address"),
            database,
            ..Settings::default()
        };
        configure(&mut settings);
        let app = Application::build(settings, Arc::new(ManualClock::default()))
            .await
            .expect("server starts");
        let base_url = app.base_url().to_owned();
        let db = app.db().clone();
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(app.run_until_stopped(async {
            let _ = stopped.await;
        }));

        service::create_user(&db, now(), EMAIL, "Ada Admin", Secret::new(PASSWORD))
            .await
            .expect("user created");
        let owner = service::require_user(&db, EMAIL).await.expect("owner");
        let workspace_id = service::create_workspace(&db, now(), owner.id, "Acme", Some("acme"))
            .await
            .expect("workspace created")
            .id;
        let api_key = service::regenerate_api_key(&db, now(), workspace_id)
            .await
            .expect("key")
            .expose()
            .to_owned();
        let uris = service::parse_redirect_uris([REDIRECT_URI]).expect("valid URI");
        let scopes = ScopeSet::parse(scopes).expect("valid scopes");
        let (app, secret) = service::create_app(
            &db,
            now(),
            owner.id,
            "SDK Test App",
            "Exercises the SDK.",
            &uris,
            &scopes,
        )
        .await
        .expect("app created");

        TestServer {
            base_url,
            db,
            workspace_id,
            api_key,
            client_id: app.client_id,
            client_secret: secret.expose().to_owned(),
            shutdown: Some(shutdown),
            _dir: dir,
        }
    }

    /// The REST API's base URL.
    pub fn api_url(&self) -> String {
        format!("{}/api", self.base_url)
    }

    /// An SDK client with the workspace's API key.
    pub fn client(&self) -> gist_client::Client {
        gist_client::Client::new(&self.api_url(), &self.api_key).expect("client")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Creates an empty PostgreSQL database for one test and returns its URL.
async fn fresh_postgres_database(admin_url: &str) -> String {
    use sqlx::Connection;
    let name = format!("gist_client_test_{:016x}", rand_suffix());
    let mut admin = sqlx::PgConnection::connect(admin_url)
        .await
        .expect("PostgreSQL reachable");
    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create");
    let base = admin_url
        .rsplit_once('/')
        .map(|(base, _)| base)
        .unwrap_or(admin_url);
    format!("{base}/{name}")
}

/// A value unique enough to name a test database: the time in nanoseconds mixed with
/// a per-process counter.
fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as u64;
    nanos ^ (u64::from(std::process::id()) << 32) ^ COUNTER.fetch_add(1, Ordering::SeqCst)
}

/// Now, Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// A cookie-keeping client that does not follow redirects, as a browser would be used.
pub struct Browser {
    client: reqwest::Client,
    base_url: String,
}

impl Browser {
    /// A browser with an empty cookie jar.
    pub fn new(server: &TestServer) -> Browser {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Browser {
            client,
            base_url: server.base_url.clone(),
        }
    }

    fn absolute(&self, url: &str) -> String {
        match url.starts_with("http") {
            true => url.to_owned(),
            false => format!("{}{}", self.base_url, url),
        }
    }

    /// GET `url` (absolute, or a path on the server).
    pub async fn get(&self, url: &str) -> reqwest::Response {
        self.client
            .get(self.absolute(url))
            .send()
            .await
            .expect("GET")
    }

    /// POSTs a form.
    pub async fn post_form(&self, url: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.absolute(url))
            .form(fields)
            .send()
            .await
            .expect("POST")
    }

    /// Logs in through the log-in form with `next` as where to go afterwards; returns
    /// where the server sends the browser.
    pub async fn login(&self, next: &str) -> String {
        let page = self.get("/login").await.text().await.expect("log-in page");
        let csrf = hidden_field(&page, "csrf").expect("csrf field");
        let response = self
            .post_form(
                "/login",
                &[
                    ("csrf", &csrf),
                    ("email", EMAIL),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(response.status(), 303, "log-in should redirect");
        location(&response)
    }

    /// Submits the consent form of `page` with `decision` for `workspace`; returns the
    /// `Location` the server redirects to.
    pub async fn decide(&self, page: &str, decision: &str, workspace: &str) -> String {
        let csrf = hidden_field(page, "csrf").expect("csrf field");
        let request = hidden_field(page, "authorization_request").expect("request field");
        let response = self
            .post_form(
                "/oauth/authorize",
                &[
                    ("csrf", &csrf),
                    ("authorization_request", &request),
                    ("workspace", workspace),
                    ("decision", decision),
                ],
            )
            .await;
        assert_eq!(response.status(), 303, "consent should redirect");
        location(&response)
    }
}

/// The `Location` header of a response.
pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .expect("Location header")
        .to_str()
        .expect("ASCII")
        .to_owned()
}

/// One query parameter of a URL.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let parsed = reqwest::Url::parse(url).expect("absolute URL");
    parsed
        .query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The value of the hidden input `name` in an HTML page, unescaped.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
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
