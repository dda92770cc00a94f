//! Test harness: a real gistd on a free port with a fresh SQLite file, a controllable
//! clock, and a cookie-keeping HTTP client that fills in forms the way a browser does.

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

/// The password every test user gets.
pub const PASSWORD: &str = "correct horse battery staple";
/// The redirect URI test apps register.
pub const REDIRECT_URI: &str = "http://127.0.0.1:3000/oauth/gist/callback";

/// A running server.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The server's database.
    pub db: Db,
    /// The server's clock; `advance` it to expire things.
    pub clock: Arc<ManualClock>,
    settings: Settings,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts a server with default settings.
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// Starts a server after `configure` adjusts the settings.
    pub async fn start_with(configure: impl FnOnce(&mut Settings)) -> TestServer {
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
        Self::start_on(settings, Arc::new(ManualClock::default()), dir).await
    }

    /// Starts a second instance on this server's database, with the same settings and
    /// clock, as another machine behind a load balancer would be.
    pub async fn start_sibling(&self) -> TestServer {
        let dir = tempfile::tempdir().expect("temporary directory");
        Self::start_on(self.settings.clone(), self.clock.clone(), dir).await
    }

    async fn start_on(
        settings: Settings,
        clock: Arc<ManualClock>,
        dir: tempfile::TempDir,
    ) -> TestServer {
        let app = Application::build(settings.clone(), clock.clone())
            .await
            .expect("server starts");
        let base_url = app.base_url().to_owned();
        let db = app.db().clone();
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until_stopped(async {
            let _ = stopped.await;
        }));
        TestServer {
            base_url,
            db,
            clock,
            settings,
            shutdown: Some(shutdown),
            task: Some(task),
            _dir: dir,
        }
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// The server's current time, Unix seconds.
    pub fn clock_now(&self) -> i64 {
        use gistd::domain::clock::Clock;
        self.clock.now()
    }

    /// An absolute URL on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// A new browser-like client with its own cookie jar.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.base_url)
    }

    /// Creates a user with [`PASSWORD`].
    pub async fn create_user(&self, email: &str, name: &str) -> i64 {
        service::create_user(&self.db, now(), email, name, Secret::new(PASSWORD))
            .await
            .expect("user created")
    }

    /// Creates a workspace owned by `owner_email`.
    pub async fn create_workspace(&self, owner_email: &str, name: &str, slug: &str) -> i64 {
        let owner = service::require_user(&self.db, owner_email)
            .await
            .expect("owner exists");
        service::create_workspace(&self.db, now(), owner.id, name, Some(slug))
            .await
            .expect("workspace created")
            .id
    }

    /// Registers an app; returns `(client_id, client_secret)`.
    pub async fn create_app(
        &self,
        owner_email: &str,
        redirect_uris: &[&str],
        scopes: &str,
    ) -> (String, String) {
        let owner = service::require_user(&self.db, owner_email)
            .await
            .expect("owner exists");
        let uris = service::parse_redirect_uris(redirect_uris.iter().copied()).expect("valid URIs");
        let scopes = ScopeSet::parse(scopes).expect("valid scopes");
        let (app, secret) = service::create_app(
            &self.db,
            now(),
            owner.id,
            "Test App",
            "Reads things.",
            &uris,
            &scopes,
        )
        .await
        .expect("app created");
        (app.client_id, secret.expose().to_owned())
    }

    /// Creates (or regenerates) a workspace's API key.
    pub async fn api_key(&self, workspace_id: i64) -> String {
        service::regenerate_api_key(&self.db, now(), workspace_id)
            .await
            .expect("key")
            .expose()
            .to_owned()
    }

    /// A user `admin@example.com` owning workspace `acme`, and an app with
    /// [`REDIRECT_URI`] and the given scopes.
    pub async fn fixture(&self, scopes: &str) -> Fixture {
        let email = "admin@example.com";
        self.create_user(email, "Ada Admin").await;
        let workspace_id = self.create_workspace(email, "Acme", "acme").await;
        let (client_id, client_secret) = self.create_app(email, &[REDIRECT_URI], scopes).await;
        Fixture {
            email: email.to_owned(),
            workspace_id,
            client_id,
            client_secret,
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Creates an empty database for one test on the PostgreSQL server of `admin_url` (set
/// `GISTD_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test` to run the suite on
/// PostgreSQL) and returns its URL.
async fn fresh_postgres_database(admin_url: &str) -> String {
    use sqlx::Connection;
    let name = format!("gistd_test_{}", uuid::Uuid::new_v4().simple());
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

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// What [`TestServer::fixture`] made.
pub struct Fixture {
    /// The admin's email address.
    pub email: String,
    /// The workspace `acme`.
    pub workspace_id: i64,
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: String,
}

/// A cookie-keeping client that does not follow redirects.
pub struct Browser {
    pub client: reqwest::Client,
    base_url: String,
}

impl Browser {
    fn new(base_url: &str) -> Browser {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Browser {
            client,
            base_url: base_url.to_owned(),
        }
    }

    fn absolute(&self, url: &str) -> String {
        if url.starts_with("http") {
            url.to_owned()
        } else {
            format!("{}{}", self.base_url, url)
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

    /// POST a form.
    pub async fn post_form(&self, url: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.absolute(url))
            .form(fields)
            .send()
            .await
            .expect("POST")
    }

    /// Logs in through the log-in form; panics unless it succeeds.
    pub async fn login(&self, email: &str) {
        let response = self.try_login(email, PASSWORD).await;
        assert_eq!(response.status(), 303, "log-in should redirect");
    }

    /// Submits the log-in form and returns the response.
    pub async fn try_login(&self, email: &str, password: &str) -> reqwest::Response {
        let page = self.get("/login").await.text().await.expect("log-in page");
        let csrf = hidden_field(&page, "csrf").expect("csrf field");
        self.post_form(
            "/login",
            &[
                ("csrf", &csrf),
                ("email", email),
                ("password", password),
                ("next", "/"),
            ],
        )
        .await
    }

    /// Opens an authorization URL; returns the consent page's HTML, or panics.
    pub async fn consent_page(&self, authorize_url: &str) -> String {
        let response = self.get(authorize_url).await;
        let status = response.status();
        let body = response.text().await.expect("consent HTML");
        assert_eq!(status, 200, "expected the consent page, got {body}");
        body
    }

    /// Submits the consent form of `page` with `decision` (`allow` or `deny`) for
    /// `workspace`; returns the `Location` the server redirects to.
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

/// The `value` attribute of the element with `id` (secrets need no unescaping).
pub fn input_value(page: &str, id: &str) -> Option<String> {
    let start = page.find(&format!("id=\"{id}\""))?;
    let tag = &page[start..start + page[start..].find('>')?];
    let value = tag.find("value=\"")? + "value=\"".len();
    Some(tag[value..value + tag[value..].find('"')?].to_owned())
}

/// The CSRF token of the logged-in session (from the log-out form in the page header).
pub async fn session_csrf(browser: &Browser) -> String {
    let page = browser.get("/").await.text().await.expect("home page");
    hidden_field(&page, "csrf").expect("log-out form")
}

/// One query parameter of a URL.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let parsed = url::Url::parse(url).expect("absolute URL");
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
    Some(unescape_html(&html[start..end]))
}

fn unescape_html(text: &str) -> String {
    text.replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// The authorization URL for `client_id` with extra parameters.
pub fn authorize_url(
    server: &TestServer,
    client_id: &str,
    scope: &str,
    extra: &[(&str, &str)],
) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("response_type", "code");
    query.append_pair("client_id", client_id);
    query.append_pair("redirect_uri", REDIRECT_URI);
    query.append_pair("scope", scope);
    for (name, value) in extra {
        query.append_pair(name, value);
    }
    server.url(&format!("/oauth/authorize?{}", query.finish()))
}
