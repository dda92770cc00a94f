//! Crashes and stops of a real `gistd serve` process under load.
//!
//! The crash test kills the server with SIGKILL several times while clients create
//! contacts and rotate refresh tokens, restarts it on the same database each time, and
//! then checks that every write the server acknowledged with a 2xx is there, that every
//! access token it issued works, and that the database is intact. It runs on SQLite, and
//! on PostgreSQL when `GISTD_TEST_POSTGRES` names a server (required in CI).
//!
//! The SIGTERM test checks that a graceful stop under load answers in full every request
//! whose connection was made before the signal was sent, that later ones are answered or
//! refused (a refused connection tells the client its request never arrived), and that
//! the process then exits 0.

mod process;

use process::{Browser, BrowserError, Database, Fixture, Server, TokenAnswer, free_port};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Scopes of the test app.
const SCOPES: &str = "read_teammates";
/// Server arguments: a rate limit the load cannot reach.
const SERVE_ARGS: [&str; 2] = ["--api-rate-limit", "1000000"];
/// Concurrent clients creating contacts.
const CONTACT_WORKERS: usize = 4;
/// Most contacts one worker creates, whatever the machine's speed.
const MAX_CONTACTS_PER_WORKER: usize = 2000;
/// How many times the server is killed under load.
const CRASHES: u64 = 3;
/// Pause between a failed request and the next, while the server restarts.
const BACKOFF: Duration = Duration::from_millis(20);
/// How long after its first unanswered refresh a client retries the same refresh
/// token. The server treats a second use of a refresh token within 5 seconds of its
/// rotation as the loser of a race (refused, nothing revoked) and a later one as a replay
/// (the grant is revoked); 3 seconds keeps the retry inside that window with a margin
/// for the server's whole-second clock.
const RETRY_SAME_REFRESH_FOR: Duration = Duration::from_secs(3);

/// What the clients saw, recorded as it happened.
#[derive(Default)]
struct Ledger {
    /// Contacts acknowledged with a 2xx: email and the id the server returned.
    contacts: Vec<(String, i64)>,
    /// Every access token received in a 200 from the token endpoint.
    access_tokens: Vec<String>,
    /// Writes that got no complete answer: the crash may or may not have kept them.
    unanswered: usize,
    /// Refresh chains ended by `invalid_grant` after an unanswered refresh: the refresh
    /// had landed, and its answer died with the process.
    chains_lost_to_crash: usize,
    /// Refresh chains given up because the server came back too late to retry safely.
    chains_abandoned: usize,
    /// Answers a working server must never give.
    failures: Vec<String>,
}

/// Shared between the load and the test.
#[derive(Clone)]
struct Load {
    base_url: String,
    fixture: Fixture,
    ledger: Arc<Mutex<Ledger>>,
    stop: Arc<AtomicBool>,
}

impl Load {
    fn record(&self, change: impl FnOnce(&mut Ledger)) {
        change(&mut self.ledger.lock().expect("ledger"));
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// Creates contacts one after another, each with a new email address.
async fn create_contacts(load: Load, worker: usize) {
    let http = process::http_client();
    for n in 0..MAX_CONTACTS_PER_WORKER {
        if load.stopping() {
            break;
        }
        let email = format!("worker{worker}-{n}@example.com");
        let sent = http
            .post(format!("{}/api/contacts", load.base_url))
            .bearer_auth(&load.fixture.api_key)
            .json(&json!({"email": email, "name": "Crash Test"}))
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(_) => {
                load.record(|ledger| ledger.unanswered += 1);
                tokio::time::sleep(BACKOFF).await;
                continue;
            }
        };
        let status = response.status();
        // A response counts as an acknowledgement only once its body arrived in full.
        let Ok(body) = response.json::<Value>().await else {
            load.record(|ledger| ledger.unanswered += 1);
            continue;
        };
        match body["contact"]["id"].as_i64() {
            Some(id) if status.is_success() => {
                load.record(|ledger| ledger.contacts.push((email, id)))
            }
            _ => load.record(|ledger| {
                ledger
                    .failures
                    .push(format!("POST /api/contacts answered {status}: {body}"))
            }),
        }
    }
}

/// Issues tokens: starts a grant with a code, then rotates its refresh token again and
/// again, recording every access token received.
///
/// After a crash the client cannot know whether its last refresh landed. It retries the
/// last refresh token it got in a 200: a 200 means the refresh had not landed; an
/// `invalid_grant` means it had and its answer was lost with the process, so the chain
/// ends there and a new one starts with a new code. A retry is only made within
/// [`RETRY_SAME_REFRESH_FOR`] of the unanswered request, so it is never taken for a
/// replay, which would revoke the grant and with it the access tokens already recorded.
async fn issue_tokens(load: Load) {
    let http = process::http_client();
    let browser = Browser::new();
    let mut logged_in = false;
    let mut refresh_token: Option<String> = None;
    let mut unanswered_since: Option<Instant> = None;
    while !load.stopping() {
        let step = if !logged_in {
            browser
                .log_in(&load.base_url)
                .await
                .map(|()| logged_in = true)
        } else if let Some(token) = refresh_token.clone() {
            let answer = process::refresh(&http, &load.base_url, &load.fixture, &token).await;
            match answer {
                Ok(TokenAnswer::Issued { access, refresh }) => {
                    load.record(|ledger| ledger.access_tokens.push(access));
                    refresh_token = Some(refresh);
                    unanswered_since = None;
                }
                Ok(TokenAnswer::InvalidGrant(_)) if unanswered_since.is_some() => {
                    load.record(|ledger| ledger.chains_lost_to_crash += 1);
                    refresh_token = None;
                    unanswered_since = None;
                }
                Ok(answer) => {
                    load.record(|ledger| {
                        ledger.failures.push(format!(
                            "a refresh with no crash since was refused: {answer:?}"
                        ))
                    });
                    refresh_token = None;
                }
                Err(_) => {
                    load.record(|ledger| ledger.unanswered += 1);
                    let since = *unanswered_since.get_or_insert_with(Instant::now);
                    if since.elapsed() > RETRY_SAME_REFRESH_FOR {
                        load.record(|ledger| ledger.chains_abandoned += 1);
                        refresh_token = None;
                        unanswered_since = None;
                    }
                }
            }
            Ok(())
        } else {
            start_chain(&load, &http, &browser, &mut refresh_token).await
        };
        match step {
            Ok(()) => {}
            Err(BrowserError::Unreachable(_)) => tokio::time::sleep(BACKOFF).await,
            Err(BrowserError::Refused(message)) => {
                load.record(|ledger| ledger.failures.push(message));
                tokio::time::sleep(BACKOFF).await;
            }
        }
    }
}

/// Gets a code (consent was given once, so the server redirects at once) and redeems it.
async fn start_chain(
    load: &Load,
    http: &reqwest::Client,
    browser: &Browser,
    refresh_token: &mut Option<String>,
) -> Result<(), BrowserError> {
    let base = &load.base_url;
    let code = browser
        .authorize(base, base, &load.fixture.client_id, SCOPES)
        .await?;
    match process::redeem(http, base, &load.fixture, &code).await? {
        TokenAnswer::Issued { access, refresh } => {
            load.record(|ledger| ledger.access_tokens.push(access));
            *refresh_token = Some(refresh);
            Ok(())
        }
        // A fresh code sent once: nothing but a 200 is right.
        answer => Err(format!("a fresh code was refused: {answer:?}").into()),
    }
}

/// Runs `check` on every item with a few requests in flight at once; returns the
/// failures.
async fn check_all<T, F, Fut>(items: Vec<T>, check: F) -> Vec<String>
where
    T: Send + 'static,
    F: Fn(reqwest::Client, T) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<String>> + Send,
{
    const IN_FLIGHT: usize = 8;
    let queue = Arc::new(Mutex::new(items));
    let check = Arc::new(check);
    let mut tasks = Vec::new();
    for _ in 0..IN_FLIGHT {
        let (queue, check) = (queue.clone(), check.clone());
        tasks.push(tokio::spawn(async move {
            let http = process::http_client();
            let mut failures = Vec::new();
            loop {
                let Some(item) = queue.lock().expect("queue").pop() else {
                    break;
                };
                if let Some(failure) = check(http.clone(), item).await {
                    failures.push(failure);
                }
            }
            failures
        }));
    }
    let mut failures = Vec::new();
    for task in tasks {
        failures.extend(task.await.expect("check task"));
    }
    failures
}

/// The crash test on `database`.
async fn survive_crashes(database: Database) {
    let fixture = database.set_up(SCOPES);
    let port = free_port();
    let mut server = Server::start(&database, port, &SERVE_ARGS).await;
    let load = Load {
        base_url: server.base_url.clone(),
        fixture: fixture.clone(),
        ledger: Arc::default(),
        stop: Arc::default(),
    };
    let mut workers = Vec::new();
    for worker in 0..CONTACT_WORKERS {
        workers.push(tokio::spawn(create_contacts(load.clone(), worker)));
    }
    workers.push(tokio::spawn(issue_tokens(load.clone())));

    for crash in 0..CRASHES {
        tokio::time::sleep(Duration::from_millis(800 + 300 * crash)).await;
        server.kill();
        server = Server::start(&database, port, &SERVE_ARGS).await;
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    load.stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.expect("load worker");
    }

    // One more crash with nothing in flight, then the checks on what it left.
    server.kill();
    if let Some(file) = &database.sqlite_file {
        assert_sqlite_intact(file).await;
    }
    let server = Server::start(&database, port, &SERVE_ARGS).await;

    let ledger = std::mem::take(&mut *load.ledger.lock().expect("ledger"));
    eprintln!(
        "{}: {} contacts and {} access tokens acknowledged, {} requests unanswered, \
         {} refresh chains lost to a crash, {} abandoned",
        database.backend(),
        ledger.contacts.len(),
        ledger.access_tokens.len(),
        ledger.unanswered,
        ledger.chains_lost_to_crash,
        ledger.chains_abandoned,
    );
    assert!(
        ledger.failures.is_empty(),
        "the server gave wrong answers under load: {:#?}\nlog:\n{}",
        ledger.failures,
        server.log()
    );
    assert!(
        ledger.contacts.len() > CONTACT_WORKERS && !ledger.access_tokens.is_empty(),
        "the load ran"
    );

    let base = server.base_url.clone();
    let key = fixture.api_key.clone();
    let missing = check_all(ledger.contacts, move |http, (email, id)| {
        let (base, key) = (base.clone(), key.clone());
        async move {
            let response = http
                .get(format!("{base}/api/contacts/{id}"))
                .bearer_auth(&key)
                .send()
                .await
                .ok()?;
            let status = response.status();
            let body: Value = response.json().await.unwrap_or_default();
            (status != 200 || body["contact"]["email"] != email.as_str())
                .then(|| format!("contact {id} ({email}): {status} {body}"))
        }
    })
    .await;
    assert!(
        missing.is_empty(),
        "acknowledged contacts lost: {missing:#?}"
    );

    let base = server.base_url.clone();
    let refused = check_all(ledger.access_tokens, move |http, token| {
        let base = base.clone();
        async move {
            let status = http
                .get(format!("{base}/api/teammates"))
                .bearer_auth(&token)
                .send()
                .await
                .map(|response| response.status().as_u16())
                .unwrap_or(0);
            (status != 200).then(|| format!("an issued access token got {status}"))
        }
    })
    .await;
    assert!(
        refused.is_empty(),
        "issued access tokens refused: {refused:#?}"
    );
}

/// Runs SQLite's integrity and foreign-key checks on the file a crash left behind.
async fn assert_sqlite_intact(file: &std::path::Path) {
    use sqlx::Connection;
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(file);
    let mut connection = sqlx::SqliteConnection::connect_with(&options)
        .await
        .expect("the crashed database opens");
    let integrity: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut connection)
        .await
        .expect("integrity check");
    assert_eq!(integrity, ["ok"], "SQLite integrity check");
    let dangling = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&mut connection)
        .await
        .expect("foreign key check");
    assert!(
        dangling.is_empty(),
        "{} rows break a foreign key",
        dangling.len()
    );
    connection.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_under_load_loses_no_acknowledged_write_on_sqlite() {
    survive_crashes(Database::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_under_load_loses_no_acknowledged_write_on_postgres() {
    let test = "sigkill_under_load_loses_no_acknowledged_write_on_postgres";
    if let Some(database) = Database::postgres(test).await {
        survive_crashes(database).await;
    }
}

/// How one request of the SIGTERM test ended. The texts are read through `Debug`, in
/// failure messages.
#[derive(Debug)]
#[allow(dead_code)]
enum Outcome {
    /// A complete response with this status.
    Answered(u16),
    /// The connection was refused: the server had stopped listening, so the request never
    /// reached it.
    Refused,
    /// The connection was made but no response came (a reset, or a close).
    Unanswered(String),
    /// The response began but did not arrive in full.
    Truncated(String),
}

/// A request of the SIGTERM test: raw HTTP/1.1 on a new connection, closed by the server
/// after its answer, so the test knows exactly when the connection was made.
fn raw_request(port: u16, key: &str, client: usize, n: usize) -> Vec<u8> {
    let (method, path, body) = if n & 1 == 0 {
        let body = json!({"email": format!("client{client}-{n}@example.com")}).to_string();
        ("POST", "/api/contacts", body)
    } else {
        ("GET", "/api/teammates", String::new())
    };
    format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Reads a whole HTTP/1.1 answer: complete when its body has the announced length.
fn read_answer(stream: &mut std::net::TcpStream) -> Outcome {
    use std::io::Read;
    let mut answer = Vec::new();
    let read = stream.read_to_end(&mut answer);
    let Some(end) = answer.windows(4).position(|window| window == b"\r\n\r\n") else {
        return match read {
            Err(error) if answer.is_empty() => Outcome::Unanswered(error.to_string()),
            _ if answer.is_empty() => Outcome::Unanswered("closed without answer".into()),
            _ => Outcome::Truncated(String::from_utf8_lossy(&answer).into_owned()),
        };
    };
    let head = String::from_utf8_lossy(&answer[..end]).into_owned();
    let body = answer.len() - end - 4;
    let status = head.split(' ').nth(1).and_then(|code| code.parse().ok());
    let length = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())?
    });
    match (status, length, read) {
        (Some(status), Some(length), _) if length == body => Outcome::Answered(status),
        (Some(status), None, Ok(_)) => Outcome::Answered(status),
        _ => Outcome::Truncated(head),
    }
}

/// One client of the SIGTERM test: requests one after another, each on a new connection,
/// until the connection is refused. Records for each whether its connection was made
/// after SIGTERM was sent, and how it ended.
fn send_requests(
    port: u16,
    key: &str,
    client: usize,
    terminated: &AtomicBool,
) -> Vec<(bool, Outcome)> {
    use std::io::Write;
    const MAX_REQUESTS: usize = 300;
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut outcomes = Vec::new();
    for n in 0..MAX_REQUESTS {
        let connected = std::net::TcpStream::connect_timeout(&address, Duration::from_secs(5));
        // Read after the connection is made: false means the kernel had queued it before
        // the signal was sent.
        let after_sigterm = terminated.load(Ordering::SeqCst);
        let outcome = match connected {
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionRefused => {
                outcomes.push((after_sigterm, Outcome::Refused));
                break;
            }
            Err(error) => Outcome::Unanswered(error.to_string()),
            Ok(mut stream) => {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
                match stream.write_all(&raw_request(port, key, client, n)) {
                    Ok(()) => read_answer(&mut stream),
                    Err(error) => Outcome::Unanswered(error.to_string()),
                }
            }
        };
        outcomes.push((after_sigterm, outcome));
    }
    outcomes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_answers_every_request_that_reached_the_server() {
    const CLIENTS: usize = 64;
    let database = Database::sqlite();
    let fixture = database.set_up(SCOPES);
    let mut server = Server::start(&database, free_port(), &SERVE_ARGS).await;

    let terminated = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (port, key, terminated) =
                (server.port, fixture.api_key.clone(), terminated.clone());
            std::thread::spawn(move || send_requests(port, &key, client, &terminated))
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(700)).await;
    // The flag goes up before the signal leaves, so every connection made while it was
    // down reached the server's socket before the server heard of SIGTERM.
    terminated.store(true, Ordering::SeqCst);
    server.terminate();
    let exit = server.wait_for_exit(Duration::from_secs(20)).await;

    let (mut before, mut after, mut refused, mut reset_after) = (0, 0, 0, 0);
    let mut problems = Vec::new();
    for client in clients {
        for (after_sigterm, outcome) in client.join().expect("client thread") {
            match (after_sigterm, outcome) {
                (false, Outcome::Answered(200..=299)) => before += 1,
                (true, Outcome::Answered(200..=299)) => after += 1,
                (true, Outcome::Refused) => refused += 1,
                // Connected after SIGTERM, just as the server closed its socket: the
                // kernel had queued the connection and reset it at the close, so the
                // request never reached gistd. No listening socket can avoid this race;
                // a load balancer stops sending to an instance before stopping it.
                (true, Outcome::Unanswered(_)) => reset_after += 1,
                (after_sigterm, outcome) => {
                    let when = if after_sigterm { "after" } else { "before" };
                    problems.push(format!("connected {when} SIGTERM: {outcome:?}"));
                }
            }
        }
    }
    eprintln!(
        "connected before SIGTERM: {before} answered; after: {after} answered, \
         {refused} refused, {reset_after} reset at the close"
    );
    assert!(
        problems.is_empty(),
        "requests lost or failed: {problems:#?}\nlog:\n{}",
        server.log()
    );
    let status = exit.unwrap_or_else(|| panic!("no exit within 20 s; log:\n{}", server.log()));
    assert!(status.success(), "exit {status}; log:\n{}", server.log());
    assert!(before > CLIENTS, "the load ran");
}
