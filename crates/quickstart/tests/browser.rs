//! The quick start in a real browser: headless Chromium, driven through chromedriver, walks
//! from the quick start's welcome page through gistd's log-in and consent pages back to the
//! quick start, clicking and typing as a person would. gistd runs in this process seeded
//! exactly as `gistd serve --demo` seeds it; the quick start runs as its real binary.
//!
//! Screenshots of each step land in `target/test-artifacts/browser/`. The consent
//! screenshot in the docs is a copy of `consent.png` from there:
//! `cp target/test-artifacts/browser/consent.png docs/images/consent.png`.
//!
//! Without Chromium or chromedriver (`/usr/bin/chromium`, `/usr/bin/chromedriver`, or the
//! paths in `GISTD_CHROMIUM` and `GISTD_CHROMEDRIVER`) the tests print why and pass, unless
//! `GISTD_REQUIRE_BROWSER=1`, which CI sets so that a missing browser cannot hide.

use fantoccini::{Client, ClientBuilder, Locator};
use gistd::app::Application;
use gistd::config::Settings;
use gistd::domain::clock::{Clock, SystemClock};
use gistd::service::{self, DemoCredentials};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// How long to wait for a page, an element or a server before the test fails.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a whole scenario may take, so a hang anywhere fails instead of stalling CI.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(120);
/// The desktop window, in CSS pixels.
const DESKTOP: (u32, u32) = (1280, 900);
/// A common phone's viewport, in CSS pixels.
const PHONE: (u32, u32) = (390, 844);
/// The demo workspace's teammates, as `seed_demo` creates them.
const DEMO_TEAMMATES: [(&str, &str); 3] = [
    ("Demo Admin", "demo@gistd.test"),
    ("Grace Hopper", "grace@gistd.test"),
    ("Alan Turing", "alan@gistd.test"),
];

#[tokio::test]
async fn allowing_access_in_a_browser_lists_the_demo_teammates() {
    let Some(programs) = BrowserPrograms::find() else {
        return;
    };
    let scenario = async {
        let servers = Servers::start().await;
        let browser = Browser::start(&programs, Viewport::Desktop).await;
        let page = &browser.client;

        open_the_log_in_page(page, &servers, "login.png").await;
        log_in_as_the_demo_user(page, &servers).await;
        see_the_consent_page(page, &servers, "consent.png").await;

        click_button(page, "Allow").await;
        wait_for_heading(page, "Connected to Gist").await;
        save_screenshot(page, "result.png").await;
        let rows = page
            .execute(
                "return Array.from(document.querySelectorAll('tbody tr'), \
                 row => Array.from(row.cells, cell => cell.textContent.trim()));",
                vec![],
            )
            .await
            .expect("script runs");
        for (name, email) in DEMO_TEAMMATES {
            let row = json!([name, email]);
            assert!(
                rows.as_array().is_some_and(|rows| rows.contains(&row)),
                "the callback page lists {name}: {rows}"
            );
        }

        browser.close().await;
    };
    tokio::time::timeout(SCENARIO_TIMEOUT, scenario)
        .await
        .expect("the scenario finishes in time");
}

#[tokio::test]
async fn denying_access_in_a_browser_shows_access_denied() {
    let Some(programs) = BrowserPrograms::find() else {
        return;
    };
    let scenario = async {
        let servers = Servers::start().await;
        let browser = Browser::start(&programs, Viewport::Desktop).await;
        let page = &browser.client;

        open_the_log_in_page(page, &servers, "denied-login.png").await;
        log_in_as_the_demo_user(page, &servers).await;
        see_the_consent_page(page, &servers, "denied-consent.png").await;

        click_button(page, "Deny").await;
        wait_for_heading(page, "Access not granted").await;
        save_screenshot(page, "denied.png").await;
        let url = page.current_url().await.expect("URL");
        assert!(
            url.as_str().starts_with(&servers.quickstart_url),
            "back on the quick start: {url}"
        );
        let result = text_of(page, "body").await;
        assert!(result.contains("access_denied"), "{result}");
        assert!(result.contains("Nothing was shared"), "{result}");

        browser.close().await;
    };
    tokio::time::timeout(SCENARIO_TIMEOUT, scenario)
        .await
        .expect("the scenario finishes in time");
}

#[tokio::test]
async fn gistd_pages_fit_a_phone_screen_without_sideways_scrolling() {
    let Some(programs) = BrowserPrograms::find() else {
        return;
    };
    let scenario = async {
        let servers = Servers::start().await;
        let browser = Browser::start(&programs, Viewport::Phone).await;
        let page = &browser.client;

        open_the_log_in_page(page, &servers, "phone-login.png").await;
        assert_fits_a_phone_screen(page, "log-in page").await;
        log_in_as_the_demo_user(page, &servers).await;
        see_the_consent_page(page, &servers, "phone-consent.png").await;
        assert_fits_a_phone_screen(page, "consent page").await;

        // Allowing gives the workspace settings a connected app, whose table is the widest
        // thing on that page.
        click_button(page, "Allow").await;
        wait_for_heading(page, "Connected to Gist").await;
        save_screenshot(page, "phone-result.png").await;

        let logged_in_pages = [
            (
                "developer hub",
                "/developer",
                "Developer hub",
                "phone-developer.png",
            ),
            (
                "workspace settings page",
                "/workspaces/demo/settings",
                "API key",
                "phone-settings.png",
            ),
        ];
        for (what, path, heading, screenshot) in logged_in_pages {
            go_to(page, &format!("{}{path}", servers.gistd_url)).await;
            wait_for_heading(page, heading).await;
            save_screenshot(page, screenshot).await;
            assert_fits_a_phone_screen(page, what).await;
        }

        browser.close().await;
    };
    tokio::time::timeout(SCENARIO_TIMEOUT, scenario)
        .await
        .expect("the scenario finishes in time");
}

/// Opens the quick start's welcome page and follows its log-in link to gistd's log-in
/// page, saving `screenshot` of it.
async fn open_the_log_in_page(page: &Client, servers: &Servers, screenshot: &str) {
    go_to(page, &servers.quickstart_url).await;
    wait_for_heading(page, "Gist quick start").await;

    let link = page
        .find(Locator::LinkText("Log in with Gist"))
        .await
        .expect("the welcome page has a log-in link");
    link.click().await.expect("click the log-in link");
    wait_for_heading(page, "Log in").await;
    let url = page.current_url().await.expect("URL");
    assert!(
        url.as_str()
            .starts_with(&format!("{}/login", servers.gistd_url)),
        "on gistd's log-in page: {url}"
    );
    save_screenshot(page, screenshot).await;
}

/// Logs in as the demo user by typing into the fields their labels name.
async fn log_in_as_the_demo_user(page: &Client, servers: &Servers) {
    let email = field_labelled(page, "Email address").await;
    email
        .send_keys(&servers.demo.email)
        .await
        .expect("type the email address");
    let password = field_labelled(page, "Password").await;
    password
        .send_keys(servers.demo.password.expose())
        .await
        .expect("type the password");
    click_button(page, "Log in").await;
}

/// Waits for the consent page after log-in, checks that it names the app and every scope
/// the quick start asks for, and saves `screenshot`.
async fn see_the_consent_page(page: &Client, servers: &Servers, screenshot: &str) {
    wait_for_heading(page, "wants to access your Gist workspace").await;
    let url = page.current_url().await.expect("URL");
    assert!(
        url.as_str().starts_with(&servers.gistd_url),
        "on gistd: {url}"
    );

    let heading = text_of(page, "h1").await;
    assert!(
        heading.contains(service::DEMO_APP_NAME),
        "the consent page names the app: {heading}"
    );
    let scopes = text_of(page, "ul.scopes").await;
    for scope in quickstart::SCOPES.split(' ') {
        assert!(
            scopes.contains(scope),
            "the consent page lists {scope}: {scopes}"
        );
    }
    assert!(
        scopes.contains("teammates"),
        "scopes in plain words: {scopes}"
    );
    let demo_workspace = page
        .find(Locator::Css("input[name=workspace][value=demo]"))
        .await
        .expect("the demo workspace is offered");
    assert_eq!(
        demo_workspace
            .prop("checked")
            .await
            .expect("property")
            .as_deref(),
        Some("true"),
        "the only workspace is preselected"
    );
    save_screenshot(page, screenshot).await;
}

async fn go_to(page: &Client, url: &str) {
    page.goto(url)
        .await
        .unwrap_or_else(|error| panic!("open {url}: {error}"));
}

/// Waits until the page's first `h1` contains `text`, which is how each step knows the
/// next page has loaded.
async fn wait_for_heading(page: &Client, text: &str) {
    let deadline = Instant::now() + STEP_TIMEOUT;
    let mut last_seen = String::new();
    while Instant::now() < deadline {
        if let Ok(heading) = page.find(Locator::Css("h1")).await
            && let Ok(seen) = heading.text().await
        {
            if seen.contains(text) {
                return;
            }
            last_seen = seen;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let url = page
        .current_url()
        .await
        .map(String::from)
        .unwrap_or_default();
    panic!("no heading {text:?} within {STEP_TIMEOUT:?}; saw {last_seen:?} at {url}");
}

/// The form field whose `<label>` reads `label`, found through the label's `for`, as a
/// screen reader would announce it.
async fn field_labelled(page: &Client, label: &str) -> fantoccini::elements::Element {
    let xpath = format!("//label[normalize-space()='{label}']");
    let label_element = page
        .wait()
        .at_most(STEP_TIMEOUT)
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|error| panic!("a label {label:?}: {error}"));
    let id = label_element
        .attr("for")
        .await
        .expect("attribute")
        .unwrap_or_else(|| panic!("the label {label:?} names its field"));
    page.find(Locator::Id(&id))
        .await
        .unwrap_or_else(|error| panic!("the field labelled {label:?}: {error}"))
}

async fn click_button(page: &Client, text: &str) {
    let xpath = format!("//button[normalize-space()='{text}']");
    let button = page
        .wait()
        .at_most(STEP_TIMEOUT)
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|error| panic!("a button {text:?}: {error}"));
    button
        .click()
        .await
        .unwrap_or_else(|error| panic!("click {text:?}: {error}"));
}

/// The rendered text of the first element matching `css`, as a person reads it.
async fn text_of(page: &Client, css: &str) -> String {
    page.find(Locator::Css(css))
        .await
        .unwrap_or_else(|error| panic!("an element {css}: {error}"))
        .text()
        .await
        .expect("text")
}

/// Fails when the page is wider than the phone's screen, which means the reader has to
/// scroll sideways to see part of it. The window must be phone-wide too: a mobile browser
/// zooms out on a page that does not declare itself mobile-ready, and hides overflow so.
async fn assert_fits_a_phone_screen(page: &Client, what: &str) {
    let widths = page
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .expect("script runs");
    let width = |index: usize| widths[index].as_u64().expect("a width in pixels");
    let (content, window) = (width(0), width(1));
    assert_eq!(
        window,
        u64::from(PHONE.0),
        "the {what} is laid out for a phone"
    );
    assert!(
        content <= window,
        "the {what} is {content} px wide in a {window} px window"
    );
}

/// Saves a screenshot of the window under `target/test-artifacts/browser/` and prints
/// where.
async fn save_screenshot(page: &Client, name: &str) {
    let png = page.screenshot().await.expect("screenshot");
    let path = artifacts_dir().join(name);
    std::fs::write(&path, png).unwrap_or_else(|error| panic!("write {path:?}: {error}"));
    report(&format!("screenshot: {}", path.display()));
}

fn artifacts_dir() -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is inside the target directory");
    let dir = target.join("test-artifacts").join("browser");
    std::fs::create_dir_all(&dir).unwrap_or_else(|error| panic!("create {dir:?}: {error}"));
    dir
}

/// Writes a line straight to standard error. The test harness captures `println!` and
/// `eprintln!` of passing tests, and a skip or a screenshot path has to be seen.
fn report(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Where Chromium and chromedriver are.
struct BrowserPrograms {
    chromium: PathBuf,
    chromedriver: PathBuf,
}

impl BrowserPrograms {
    /// The programs, or `None` after saying why the test is skipped. Panics instead when
    /// `GISTD_REQUIRE_BROWSER=1`.
    fn find() -> Option<BrowserPrograms> {
        let from_env = |name: &str, default: &str| {
            std::env::var_os(name)
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(default))
        };
        let programs = BrowserPrograms {
            chromium: from_env("GISTD_CHROMIUM", "/usr/bin/chromium"),
            chromedriver: from_env("GISTD_CHROMEDRIVER", "/usr/bin/chromedriver"),
        };
        let missing: Vec<String> = [&programs.chromium, &programs.chromedriver]
            .into_iter()
            .filter(|path| !path.is_file())
            .map(|path| path.display().to_string())
            .collect();
        if missing.is_empty() {
            return Some(programs);
        }

        let reason = format!(
            "the browser test needs {}, which is missing (install Debian's chromium and \
             chromium-driver, or point GISTD_CHROMIUM and GISTD_CHROMEDRIVER at them)",
            missing.join(" and ")
        );
        if std::env::var("GISTD_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("{reason}; GISTD_REQUIRE_BROWSER=1 forbids skipping it");
        }
        report(&format!("skipped: {reason}"));
        None
    }
}

/// A child process that is ended when this value is dropped, also when a test panics, so
/// no server outlives its test.
struct ChildProcess {
    name: &'static str,
    child: Child,
    /// chromedriver's address: asked to shut down first, so it also quits the Chromium
    /// it started, which killing chromedriver alone would leave running.
    chromedriver: Option<SocketAddr>,
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        if let Some(address) = self.chromedriver {
            ask_chromedriver_to_shut_down(address);
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        if let Err(error) = self.child.kill() {
            report(&format!("could not stop {}: {error}", self.name));
        }
        let _ = self.child.wait();
    }
}

/// chromedriver's `/shutdown` endpoint, called with a bare request because `Drop` cannot
/// await an HTTP client.
fn ask_chromedriver_to_shut_down(address: SocketAddr) {
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_secs(1)) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = "GET /shutdown HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_ok() {
        let _ = stream.read_to_end(&mut Vec::new());
    }
}

/// A port that was free a moment ago, for a program that must be told its port.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// Waits until something accepts connections on `address`, failing early if `process`
/// has exited.
async fn wait_until_listening(address: SocketAddr, process: &mut ChildProcess) {
    let deadline = Instant::now() + STEP_TIMEOUT;
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(address).await.is_ok() {
            return;
        }
        if let Ok(Some(status)) = process.child.try_wait() {
            panic!("{} exited before listening: {status}", process.name);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "{} did not listen on {address} within {STEP_TIMEOUT:?}",
        process.name
    );
}

/// gistd in this process, seeded as `gistd serve --demo` seeds it, and the quick-start
/// binary configured with the demo app's credentials.
struct Servers {
    gistd_url: String,
    quickstart_url: String,
    demo: DemoCredentials,
    _quickstart: ChildProcess,
    _stop_gistd: oneshot::Sender<()>,
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
        let clock = Arc::new(SystemClock);
        let app = Application::build(settings, clock.clone())
            .await
            .expect("gistd starts");
        let gistd_url = app.base_url().to_owned();
        let demo = service::seed_demo(app.db(), clock.now())
            .await
            .expect("demo seeded");
        let (stop_gistd, stopped) = oneshot::channel::<()>();
        tokio::spawn(app.run_until_stopped(async {
            let _ = stopped.await;
        }));

        // The demo app registers port 3000; gistd lets a loopback redirect URI's port
        // vary (RFC 8252 section 7.3), so the quick start can take any free port.
        let address: SocketAddr = format!("127.0.0.1:{}", free_port())
            .parse()
            .expect("address");
        let child = Command::new(env!("CARGO_BIN_EXE_quickstart"))
            .env("GIST_CLIENT_ID", &demo.client_id)
            .env("GIST_CLIENT_SECRET", demo.client_secret.expose())
            .env("GIST_BASE_URL", &gistd_url)
            .env("QUICKSTART_LISTEN", address.to_string())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("the quickstart binary starts");
        let mut quickstart = ChildProcess {
            name: "quickstart",
            child,
            chromedriver: None,
        };
        wait_until_listening(address, &mut quickstart).await;

        Servers {
            gistd_url,
            quickstart_url: format!("http://{address}"),
            demo,
            _quickstart: quickstart,
            _stop_gistd: stop_gistd,
            _dir: dir,
        }
    }
}

/// The screen a browser session renders for.
#[derive(Clone, Copy)]
enum Viewport {
    /// A desktop window of `DESKTOP` size.
    Desktop,
    /// A phone of `PHONE` size. Headless Chromium keeps windows at least 500 px wide, so
    /// the phone is emulated (as DevTools' device mode does), which also makes Chromium
    /// honour the pages' viewport meta tag as a phone's browser would.
    Phone,
}

/// A fresh headless Chromium session with its own profile, behind its own chromedriver.
struct Browser {
    client: Client,
    _chromedriver: ChildProcess,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn start(programs: &BrowserPrograms, viewport: Viewport) -> Browser {
        let address: SocketAddr = format!("127.0.0.1:{}", free_port())
            .parse()
            .expect("address");
        let child = Command::new(&programs.chromedriver)
            .arg(format!("--port={}", address.port()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("start {:?}: {error}", programs.chromedriver));
        let mut chromedriver = ChildProcess {
            name: "chromedriver",
            child,
            chromedriver: Some(address),
        };
        wait_until_listening(address, &mut chromedriver).await;

        let profile = tempfile::tempdir().expect("profile directory");
        let (width, height) = DESKTOP;
        let args = [
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut chrome_options = json!({
            "binary": programs.chromium,
            "args": args,
        });
        if let Viewport::Phone = viewport {
            let (width, height) = PHONE;
            chrome_options["mobileEmulation"] = json!({
                "deviceMetrics": {
                    "width": width,
                    "height": height,
                    "pixelRatio": 1,
                    "mobile": true,
                    "touch": true,
                },
            });
        }
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": chrome_options,
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal");
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = tokio::time::timeout(
            STEP_TIMEOUT * 3,
            ClientBuilder::new(connector)
                .capabilities(capabilities)
                .connect(&format!("http://{address}")),
        )
        .await
        .expect("Chromium starts in time")
        .expect("chromedriver opens a Chromium session");

        Browser {
            client,
            _chromedriver: chromedriver,
            _profile: profile,
        }
    }

    /// Ends the session, which quits Chromium; on a panic, dropping the chromedriver
    /// process does the same.
    async fn close(self) {
        let Browser {
            client,
            _chromedriver,
            _profile,
        } = self;
        client.close().await.expect("the session ends");
    }
}
