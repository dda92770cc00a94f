//! The quick start end to end: a real gistd in this process and the quick-start router,
//! both on free ports, walked by a cookie-keeping client through welcome page, log-in,
//! consent and callback, as a person's browser would.

use gistd::app::Application;
use gistd::config::Settings;
use gistd::domain::clock::ManualClock;
use gistd::domain::scope::ScopeSet;
use gistd::domain::secret::Secret;
use gistd::service;
use std::sync::Arc;
use tokio::sync::oneshot;

const EMAIL: &str = "admin@example.com";
const PASSWORD: &str = "correct horse battery staple";
/// The registered redirect URI. gistd lets a loopback redirect URI's port vary
/// (RFC 8252 section 7.3), so the quick start on any free port matches it.
const REGISTERED_REDIRECT_URI: &str = "http://127.0.0.1:3000/oauth/gist/callback";

/// gistd with a user, a workspace `acme` (whose only teammate is the user) and an app,
/// and the quick start pointing at it.
struct Servers {
    gistd_url: String,
    quickstart_url: String,
    _stop: Vec<oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Servers {
    async fn start() -> Servers {
        let dir = tempfile::tempdir().expect("temporary directory");
        let settings = Settings {
            listen: "127.0.0.1:0".parse().expect("address"),
            database: dir.path().join("gistd.db").to_string_lossy().into_owned(),
            ..Settings::default()
        };
        let app = Application::build(settings, Arc::new(ManualClock::default()))
            .await
            .expect("gistd starts");
        let gistd_url = app.base_url().to_owned();
        let db = app.db().clone();
        let (stop_gistd, stopped) = oneshot::channel::<()>();
        tokio::spawn(app.run_until_stopped(async {
            let _ = stopped.await;
        }));

        let now = now();
        service::create_user(&db, now, EMAIL, "Ada Admin", Secret::new(PASSWORD))
            .await
            .expect("user created");
        let owner = service::require_user(&db, EMAIL).await.expect("owner");
        service::create_workspace(&db, now, owner.id, "Acme", Some("acme"))
            .await
            .expect("workspace created");
        let uris = service::parse_redirect_uris([REGISTERED_REDIRECT_URI]).expect("valid URI");
        let scopes = ScopeSet::parse(quickstart::SCOPES).expect("valid scopes");
        let (registered, secret) = service::create_app(
            &db,
            now,
            owner.id,
            "Quick Start",
            "Gist's quick start in Rust.",
            &uris,
            &scopes,
        )
        .await
        .expect("app created");

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("free port");
        let address = listener.local_addr().expect("address");
        let config = quickstart::Config {
            client_id: registered.client_id,
            client_secret: secret.expose().to_owned(),
            base_url: gistd_url.clone(),
            redirect_uri: quickstart::redirect_uri(address),
        };
        let router = quickstart::router(config).expect("router");
        let (stop_quickstart, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            axum_serve(listener, router, stopped).await;
        });

        Servers {
            gistd_url,
            quickstart_url: format!("http://{address}"),
            _stop: vec![stop_gistd, stop_quickstart],
            _dir: dir,
        }
    }
}

async fn axum_serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    stopped: oneshot::Receiver<()>,
) {
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        })
        .await
        .expect("quickstart serves");
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// A cookie-keeping client that follows no redirects, so each step can be checked.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .expect("Location header")
        .to_str()
        .expect("ASCII")
        .to_owned()
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let parsed = reqwest::Url::parse(url).expect("absolute URL");
    parsed
        .query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The value of the hidden input `name` in an HTML page, unescaped.
fn hidden_field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("hidden field") + marker.len();
    let end = start + html[start..].find('"').expect("closing quote");
    html[start..end]
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// From the welcome page to gistd's answer: follows the log-in link, logs in, and
/// submits `decision` on the consent page. Returns the redirect back to the quick start.
async fn authorize(servers: &Servers, browser: &reqwest::Client, decision: &str) -> String {
    let welcome = browser
        .get(&servers.quickstart_url)
        .send()
        .await
        .expect("welcome page");
    assert_eq!(welcome.status(), 200);
    assert!(
        welcome
            .text()
            .await
            .expect("HTML")
            .contains("href=\"/auth/gist\"")
    );

    let start = browser
        .get(format!("{}/auth/gist", servers.quickstart_url))
        .send()
        .await
        .expect("start");
    assert!(start.status().is_redirection());
    let cookie = start
        .headers()
        .get("set-cookie")
        .expect("session cookie")
        .to_str()
        .expect("ASCII");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    let authorize_url = location(&start);
    assert!(authorize_url.starts_with(&format!("{}/oauth/authorize?", servers.gistd_url)));
    assert_eq!(
        query_param(&authorize_url, "scope").as_deref(),
        Some(quickstart::SCOPES)
    );
    assert_eq!(
        query_param(&authorize_url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    let redirect_uri = query_param(&authorize_url, "redirect_uri").expect("redirect_uri");
    assert_eq!(
        redirect_uri,
        format!("{}/oauth/gist/callback", servers.quickstart_url)
    );

    let first = browser.get(&authorize_url).send().await.expect("authorize");
    assert_eq!(first.status(), 302, "a visitor is sent to log in first");
    let login_url = format!("{}{}", servers.gistd_url, location(&first));
    let next = query_param(&login_url, "next").expect("where to return after log-in");
    let login_page = browser
        .get(format!("{}/login", servers.gistd_url))
        .send()
        .await
        .expect("log-in page")
        .text()
        .await
        .expect("HTML");
    let csrf = hidden_field(&login_page, "csrf");
    let fields = [
        ("csrf", csrf.as_str()),
        ("email", EMAIL),
        ("password", PASSWORD),
        ("next", next.as_str()),
    ];
    let logged_in = browser
        .post(format!("{}/login", servers.gistd_url))
        .form(&fields)
        .send()
        .await
        .expect("log in");
    assert_eq!(logged_in.status(), 303, "log-in should redirect");
    let back = format!("{}{}", servers.gistd_url, location(&logged_in));

    let consent = browser.get(&back).send().await.expect("consent page");
    assert_eq!(consent.status(), 200);
    let page = consent.text().await.expect("HTML");
    assert!(
        page.contains("Quick Start"),
        "the consent page names the app"
    );
    let csrf = hidden_field(&page, "csrf");
    let request = hidden_field(&page, "authorization_request");
    let fields = [
        ("csrf", csrf.as_str()),
        ("authorization_request", request.as_str()),
        ("workspace", "acme"),
        ("decision", decision),
    ];
    let decided = browser
        .post(format!("{}/oauth/authorize", servers.gistd_url))
        .form(&fields)
        .send()
        .await
        .expect("consent");
    assert_eq!(decided.status(), 303, "consent should redirect");
    let redirect = location(&decided);
    assert!(
        redirect.starts_with(&redirect_uri),
        "back to the quick start: {redirect}"
    );
    redirect
}

#[tokio::test]
async fn allowing_access_lists_the_teammates_on_the_callback_page() {
    let servers = Servers::start().await;
    let browser = browser();

    let redirect = authorize(&servers, &browser, "allow").await;
    let result = browser.get(&redirect).send().await.expect("callback");
    assert_eq!(result.status(), 200);
    let page = result.text().await.expect("HTML");
    assert!(
        page.contains("<td>Ada Admin</td><td>admin@example.com</td>"),
        "{page}"
    );
    assert!(
        !page.contains("gat_") && !page.contains("grt_"),
        "no token on the page"
    );

    let replay = browser
        .get(&redirect)
        .send()
        .await
        .expect("replayed callback");
    assert_eq!(replay.status(), 400, "a state is accepted once");
}

#[tokio::test]
async fn denying_access_shows_access_denied() {
    let servers = Servers::start().await;
    let browser = browser();

    let redirect = authorize(&servers, &browser, "deny").await;
    assert_eq!(
        query_param(&redirect, "error").as_deref(),
        Some("access_denied")
    );
    let result = browser.get(&redirect).send().await.expect("callback");
    assert_eq!(result.status(), 200);
    let page = result.text().await.expect("HTML");
    assert!(page.contains("access_denied"), "{page}");
    assert!(!page.contains("<table>"));
}

#[tokio::test]
async fn a_callback_with_a_wrong_or_missing_state_is_refused() {
    let servers = Servers::start().await;
    let browser = browser();
    let callback = format!("{}/oauth/gist/callback", servers.quickstart_url);

    let no_session = browser
        .get(format!("{callback}?code=gac_x&state=whatever"))
        .send()
        .await
        .expect("callback");
    assert_eq!(no_session.status(), 400, "no log-in in progress");

    let start = browser
        .get(format!("{}/auth/gist", servers.quickstart_url))
        .send()
        .await
        .expect("start");
    assert!(start.status().is_redirection());
    let wrong = browser
        .get(format!("{callback}?code=gac_x&state=not-the-one-sent"))
        .send()
        .await
        .expect("callback");
    assert_eq!(wrong.status(), 400, "wrong state");
    assert!(wrong.text().await.expect("HTML").contains("does not match"));
}

#[tokio::test]
async fn a_workspace_slug_is_sent_as_the_state_and_checked_against_the_session() {
    let servers = Servers::start().await;
    let browser = browser();

    let start = browser
        .get(format!(
            "{}/auth/gist?workspace=acme",
            servers.quickstart_url
        ))
        .send()
        .await
        .expect("start");
    let authorize_url = location(&start);
    assert_eq!(
        query_param(&authorize_url, "state").as_deref(),
        Some("acme")
    );

    // Another browser, without the session, cannot use the guessable slug.
    let stranger = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let forged = stranger
        .get(format!(
            "{}/oauth/gist/callback?code=gac_x&state=acme",
            servers.quickstart_url
        ))
        .send()
        .await
        .expect("callback");
    assert_eq!(forged.status(), 400);
}
