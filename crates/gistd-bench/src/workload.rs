//! The workloads and the loop that runs them: each worker owns one keep-alive connection
//! and repeats its operation until the deadline, timing every operation.
//!
//! An operation counts only when every response in it has the expected status; anything
//! else is an error, counted (during the warm-up too) and kept for printing.

use crate::http_client::{self, Connection, form};
use crate::setup::{self, Fixture, Pkce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use hdrhistogram::Histogram;
use http::{HeaderMap, Method};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How many error messages a run keeps for printing.
const KEPT_ERRORS: usize = 5;
/// Contacts the API-key workload's list reads from.
pub const SEEDED_CONTACTS: usize = 100;
/// Longest latency the histogram records, in microseconds (a minute); slower operations
/// are clamped to it.
const MAX_RECORDED_MICROS: u64 = 60_000_000;

/// What to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Workload {
    /// Authorize (consent on record), exchange the code, call the API with the token.
    CodeFlow,
    /// Rotate a refresh token, each worker along its own chain.
    Refresh,
    /// `GET /api/teammates` with an access token.
    Resource,
    /// `GET /api/contacts?per_page=20` with the workspace API key.
    ApiKey,
    /// `POST /oauth/introspect` of an access token.
    Introspect,
    /// `POST /api/contacts` creating a new contact each time.
    Write,
    /// Every workload above, one after the other, on the same server.
    All,
}

impl Workload {
    /// The workloads a run of `self` consists of, in order.
    pub fn expand(self) -> Vec<Workload> {
        match self {
            Workload::All => vec![
                Workload::CodeFlow,
                Workload::Refresh,
                Workload::Resource,
                Workload::ApiKey,
                Workload::Introspect,
                Workload::Write,
            ],
            one => vec![one],
        }
    }

    /// The name used on the command line and in results.
    pub fn name(self) -> &'static str {
        match self {
            Workload::CodeFlow => "code-flow",
            Workload::Refresh => "refresh",
            Workload::Resource => "resource",
            Workload::ApiKey => "api-key",
            Workload::Introspect => "introspect",
            Workload::Write => "write",
            Workload::All => "all",
        }
    }
}

/// One worker's operation with everything it needs prepared: headers are built once,
/// so the measured loop only clones them.
pub enum Job {
    /// See [`Workload::CodeFlow`].
    CodeFlow {
        /// The run's credentials.
        fixture: Arc<Fixture>,
        /// `Cookie: gistd_session=...`.
        browser: HeaderMap,
    },
    /// See [`Workload::Refresh`].
    Refresh {
        /// Basic client credentials and the form content type.
        client: HeaderMap,
        /// The worker's current refresh token, replaced at each rotation.
        refresh_token: String,
    },
    /// See [`Workload::Resource`] and [`Workload::ApiKey`]: a GET with a bearer token.
    Get {
        /// The path and query.
        path: &'static str,
        /// `Authorization: Bearer ...`.
        bearer: HeaderMap,
    },
    /// See [`Workload::Introspect`].
    Introspect {
        /// Basic client credentials and the form content type.
        client: HeaderMap,
        /// `token=gat_...`.
        body: Bytes,
    },
    /// See [`Workload::Write`].
    Write {
        /// The API key and the JSON content type.
        bearer: HeaderMap,
        /// Makes the emails of this worker in this run unique.
        prefix: String,
        /// Contacts this worker created so far.
        created: u64,
    },
}

/// Builds one job per worker for `workload`, fetching through `connection` the tokens
/// each needs (a grant of its own per worker, so no two workers share a refresh chain).
pub async fn prepare_jobs(
    workload: Workload,
    fixture: &Arc<Fixture>,
    connection: &mut Connection,
    concurrency: usize,
) -> anyhow::Result<Vec<Job>> {
    let client = http_client::headers(&[
        ("authorization", &basic_credentials(fixture)),
        ("content-type", "application/x-www-form-urlencoded"),
    ])?;
    let api_key_bearer = format!("Bearer {}", fixture.api_key);
    let run = format!("{:08x}", rand::random::<u32>());
    let mut jobs = Vec::with_capacity(concurrency);
    for worker in 0..concurrency {
        let job = match workload {
            Workload::CodeFlow => Job::CodeFlow {
                fixture: fixture.clone(),
                browser: http_client::headers(&[("cookie", &fixture.session_cookie)])?,
            },
            Workload::Refresh => Job::Refresh {
                client: client.clone(),
                refresh_token: setup::new_token_pair(connection, fixture).await?.refresh,
            },
            Workload::Resource => {
                let access = setup::new_token_pair(connection, fixture).await?.access;
                Job::Get {
                    path: "/api/teammates",
                    bearer: http_client::headers(&[(
                        "authorization",
                        &format!("Bearer {access}"),
                    )])?,
                }
            }
            Workload::ApiKey => Job::Get {
                path: "/api/contacts?per_page=20",
                bearer: http_client::headers(&[("authorization", &api_key_bearer)])?,
            },
            Workload::Introspect => {
                let access = setup::new_token_pair(connection, fixture).await?.access;
                Job::Introspect {
                    client: client.clone(),
                    body: form(&[("token", &access)]),
                }
            }
            Workload::Write => Job::Write {
                bearer: http_client::headers(&[
                    ("authorization", &api_key_bearer),
                    ("content-type", "application/json"),
                ])?,
                prefix: format!("w{worker}-{run}"),
                created: 0,
            },
            Workload::All => anyhow::bail!("`all` is expanded before jobs are prepared"),
        };
        jobs.push(job);
    }
    Ok(jobs)
}

/// `Basic base64(client_id:client_secret)`, each part form-url-encoded first as RFC 6749
/// section 2.3.1 asks.
fn basic_credentials(fixture: &Fixture) -> String {
    let encode = |text: &str| form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    let pair = format!(
        "{}:{}",
        encode(&fixture.client_id),
        encode(&fixture.client_secret)
    );
    format!("Basic {}", STANDARD.encode(pair))
}

impl Job {
    /// Runs the operation once.
    async fn run_once(&mut self, connection: &mut Connection) -> Result<(), String> {
        match self {
            Job::CodeFlow { fixture, browser } => {
                let pkce = Pkce::generate();
                let path = setup::authorize_path(fixture, &pkce.challenge);
                let answer = connection
                    .send(Method::GET, &path, browser, Bytes::new())
                    .await?;
                expect_status(&answer, 302, "GET /oauth/authorize")?;
                let code = setup::code_of(answer.location())
                    .ok_or_else(|| format!("no code in the redirect {}", answer.location()))?;
                let tokens =
                    setup::exchange_code(connection, fixture, &code, &pkce.verifier).await?;
                let bearer = http_client::headers(&[(
                    "authorization",
                    &format!("Bearer {}", tokens.access),
                )])
                .map_err(|error| error.to_string())?;
                let answer = connection
                    .send(Method::GET, "/api/teammates", &bearer, Bytes::new())
                    .await?;
                expect_status(&answer, 200, "GET /api/teammates")
            }
            Job::Refresh {
                client,
                refresh_token,
            } => {
                let body = form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh_token),
                ]);
                let answer = connection
                    .send(Method::POST, "/oauth/token", client, body)
                    .await?;
                *refresh_token = setup::token_pair_of(&answer)?.refresh;
                Ok(())
            }
            Job::Get { path, bearer } => {
                let answer = connection
                    .send(Method::GET, path, bearer, Bytes::new())
                    .await?;
                expect_status(&answer, 200, path)
            }
            Job::Introspect { client, body } => {
                let answer = connection
                    .send(Method::POST, "/oauth/introspect", client, body.clone())
                    .await?;
                expect_status(&answer, 200, "POST /oauth/introspect")?;
                let active = answer
                    .body
                    .windows(b"\"active\":true".len())
                    .any(|window| window == b"\"active\":true");
                if active {
                    Ok(())
                } else {
                    Err(format!(
                        "introspection: not active: {}",
                        answer.body_excerpt()
                    ))
                }
            }
            Job::Write {
                bearer,
                prefix,
                created,
            } => {
                *created += 1;
                let body = format!(r#"{{"email":"{prefix}-{created}@bench.example.test"}}"#);
                let answer = connection
                    .send(Method::POST, "/api/contacts", bearer, Bytes::from(body))
                    .await?;
                expect_status(&answer, 200, "POST /api/contacts")
            }
        }
    }
}

fn expect_status(answer: &http_client::Answer, expected: u16, what: &str) -> Result<(), String> {
    if answer.status == expected {
        Ok(())
    } else {
        Err(format!(
            "{what} answered {} (expected {expected}): {}",
            answer.status,
            answer.body_excerpt()
        ))
    }
}

/// When a run measures.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// Workers start; operations before `measure_from` are not timed.
    pub measure_from: Instant,
    /// No operation starts at or after this.
    pub deadline: Instant,
}

impl Window {
    /// A window starting after `warmup` from now and lasting `duration`.
    pub fn after(warmup: Duration, duration: Duration) -> Window {
        let measure_from = Instant::now() + warmup;
        Window {
            measure_from,
            deadline: measure_from + duration,
        }
    }
}

/// What the workers of one run measured.
pub struct Outcome {
    /// Operations that started in the measured window and succeeded.
    pub ops: u64,
    /// Failed operations, warm-up included.
    pub errors: u64,
    /// The first few error messages.
    pub first_errors: Vec<String>,
    /// Latency of the counted operations, in microseconds.
    pub latency: Histogram<u64>,
    /// From the start of the window until the last worker finished.
    pub elapsed: Duration,
}

/// Runs `jobs`, one task per job on its own connection, in `window`.
pub async fn run(jobs: Vec<Job>, address: SocketAddr, window: Window) -> anyhow::Result<Outcome> {
    let kept_errors = Arc::new(Mutex::new(Vec::new()));
    let tasks: Vec<_> = jobs
        .into_iter()
        .map(|job| tokio::spawn(run_worker(job, address, window, kept_errors.clone())))
        .collect();

    let mut outcome = Outcome {
        ops: 0,
        errors: 0,
        first_errors: Vec::new(),
        latency: new_histogram()?,
        elapsed: Duration::ZERO,
    };
    for task in tasks {
        let worker = task.await??;
        outcome.ops += worker.ops;
        outcome.errors += worker.errors;
        outcome.latency.add(&worker.latency)?;
    }
    outcome.elapsed = Instant::now().saturating_duration_since(window.measure_from);
    outcome.first_errors = kept_errors
        .lock()
        .map(|errors| errors.clone())
        .unwrap_or_default();
    Ok(outcome)
}

struct WorkerTally {
    ops: u64,
    errors: u64,
    latency: Histogram<u64>,
}

fn new_histogram() -> anyhow::Result<Histogram<u64>> {
    Ok(Histogram::new_with_bounds(1, MAX_RECORDED_MICROS, 3)?)
}

async fn run_worker(
    mut job: Job,
    address: SocketAddr,
    window: Window,
    kept_errors: Arc<Mutex<Vec<String>>>,
) -> anyhow::Result<WorkerTally> {
    let mut connection = Connection::new(address);
    let mut tally = WorkerTally {
        ops: 0,
        errors: 0,
        latency: new_histogram()?,
    };
    loop {
        let started = Instant::now();
        if started >= window.deadline {
            break;
        }
        let result = job.run_once(&mut connection).await;
        match result {
            Ok(()) if started >= window.measure_from => {
                let micros = started.elapsed().as_micros();
                let micros = u64::try_from(micros).unwrap_or(MAX_RECORDED_MICROS);
                tally
                    .latency
                    .saturating_record(micros.clamp(1, MAX_RECORDED_MICROS));
                tally.ops += 1;
            }
            Ok(()) => {}
            Err(message) => {
                tally.errors += 1;
                if let Ok(mut kept) = kept_errors.lock()
                    && kept.len() < KEPT_ERRORS
                {
                    kept.push(message);
                }
                // A dead server fails at once; pausing keeps the generator from spinning.
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }
    Ok(tally)
}
