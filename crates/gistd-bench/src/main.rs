//! `gistd-bench`: a load generator for gistd.
//!
//! By default it starts the release `gistd` beside it on a fresh database, sets up a
//! user, workspace, app, API key, browser session and consent, then runs each workload
//! for a fixed time with a fixed number of workers and reports throughput, latency, and
//! the server's memory and CPU. See `--help` for the options.

mod http_client;
mod report;
mod server;
mod setup;
mod workload;

use anyhow::{Context, bail};
use clap::Parser;
use http_client::Connection;
use report::{Row, RunContext, ServerFigures};
use server::{Cli, Database, ProcessProbe, Server};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use workload::{Window, Workload};

/// Load generator for gistd: runs OAuth and REST API workloads and reports ops/s,
/// latency percentiles, and the server's memory and CPU.
#[derive(Debug, Parser)]
#[command(name = "gistd-bench")]
struct Options {
    /// What to run.
    #[arg(value_enum)]
    workload: Workload,
    /// How long each workload is measured: a number with ms, s or m (seconds if bare).
    #[arg(long, default_value = "20s", value_parser = parse_duration)]
    duration: Duration,
    /// Untimed lead-in before each measurement, same format as --duration.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    warmup: Duration,
    /// Concurrent workers, each with one keep-alive connection.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=4096))]
    concurrency: u16,
    /// A running gistd to measure, e.g. http://127.0.0.1:8080, instead of starting one.
    /// Needs --database for the set-up commands.
    #[arg(long)]
    target: Option<String>,
    /// With --target: the database that server uses. Without: a postgres:// URL on whose
    /// server a fresh database gistd_bench_<random> is created and dropped at the end
    /// (the default is a fresh SQLite file in a temporary directory).
    #[arg(long)]
    database: Option<String>,
    /// With --target: the server's process id, to report its memory and CPU.
    #[arg(long)]
    server_pid: Option<u32>,
    /// The JSON-lines file results are appended to.
    #[arg(long, default_value = "target/bench-results.jsonl")]
    out: PathBuf,
    /// The gistd binary (default: the one beside this program).
    #[arg(long)]
    gistd_bin: Option<PathBuf>,
    /// Threads of the generator's runtime; it shares the machine with the server, so
    /// keep this small.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=8))]
    threads: u8,
    /// How long the server rests after each workload before its idle memory is read.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    idle_pause: Duration,
}

fn main() -> ExitCode {
    let options = Options::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(usize::from(options.threads))
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// `20s`, `500ms`, `1m` or a bare number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(index) => text.split_at(index),
        None => (text, "s"),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 20s, 500ms or 1m"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => return Err(format!("`{text}`: use ms, s or m")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|error| error.to_string())
}

/// Whether `--database` names a PostgreSQL server.
fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The socket address of an `http://HOST:PORT` URL.
fn target_address(url: &str) -> anyhow::Result<SocketAddr> {
    let Some(rest) = url.strip_prefix("http://") else {
        bail!("--target must be an http:// URL (the generator speaks plain HTTP/1.1)");
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    let authority = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    authority
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve {authority}"))?
        .next()
        .with_context(|| format!("{authority} has no address"))
}

async fn run(options: Options) -> anyhow::Result<()> {
    let binary = server::locate_binary(options.gistd_bin.as_deref())?;
    let database = match (&options.target, options.database.as_deref()) {
        (Some(_), Some(url)) => Database::external(url)?,
        (Some(_), None) => bail!("--target needs --database, for the set-up commands"),
        (None, Some(url)) if is_postgres_url(url) => Database::postgres(url).await?,
        (None, Some(_)) => bail!(
            "without --target, --database takes only a postgres:// URL \
             (SQLite runs always use a fresh temporary file)"
        ),
        (None, None) => Database::sqlite()?,
    };

    let mut started_server = None;
    let (address, server_pid) = match &options.target {
        Some(url) => (target_address(url)?, options.server_pid),
        None => {
            let server = Server::start(&binary, &database).await?;
            let found = (server.address, server.pid());
            started_server = Some(server);
            found
        }
    };
    let result = measure(&options, &binary, &database, address, server_pid).await;

    if let Some(mut server) = started_server {
        if result.is_err() {
            eprintln!("server log:\n{}", server.log());
        }
        server.stop().await;
    }
    let removed = database.remove().await;
    result.and(removed)
}

async fn measure(
    options: &Options,
    binary: &std::path::Path,
    database: &Database,
    address: SocketAddr,
    server_pid: Option<u32>,
) -> anyhow::Result<()> {
    let context = RunContext {
        backend: database.backend(),
        concurrency: usize::from(options.concurrency),
        duration: options.duration,
        warmup: options.warmup,
        self_started: options.target.is_none(),
        commit: report::git_commit(),
    };
    println!(
        "gistd-bench: {} on {} at http://{address}, {} workers, {:?} each after {:?} warm-up",
        options.workload.name(),
        context.backend,
        context.concurrency,
        context.duration,
        context.warmup,
    );
    if context.self_started {
        println!(
            "note: the server's API rate limit is raised to {} requests per window, so the \
             workloads measure the server, not 429s",
            server::RAISED_RATE_LIMIT
        );
    } else {
        println!("note: --target server: its own rate limit applies; 429s count as errors");
    }

    let cli = Cli {
        binary,
        database: database.url(),
    };
    let mut setup_connection = Connection::new(address);
    let fixture = Arc::new(setup::create_fixture(&cli, &mut setup_connection).await?);
    let server_probe = server_pid.map(ProcessProbe::new);
    let own_probe = ProcessProbe::own();
    let mut contacts_seeded = false;

    report::print_header();
    for workload in options.workload.expand() {
        if workload == Workload::ApiKey && !contacts_seeded {
            setup::seed_contacts(&mut setup_connection, &fixture, workload::SEEDED_CONTACTS)
                .await?;
            contacts_seeded = true;
        }
        let jobs = workload::prepare_jobs(
            workload,
            &fixture,
            &mut setup_connection,
            context.concurrency,
        )
        .await?;

        let mut figures = ServerFigures {
            idle_rss_before_kib: server_probe.and_then(|probe| probe.rss_kib()),
            ..ServerFigures::default()
        };
        let window = Window::after(options.warmup, options.duration);
        let running = tokio::spawn(workload::run(jobs, address, window));
        tokio::time::sleep_until(window.measure_from.into()).await;
        figures.peak_is_per_workload = server_probe.is_some_and(|probe| probe.reset_peak());
        let server_cpu_before = server_probe.and_then(|probe| probe.cpu_seconds());
        let own_cpu_before = own_probe.cpu_seconds();

        let outcome = running.await??;
        figures.cpu_seconds = server_probe
            .and_then(|probe| probe.cpu_seconds())
            .zip(server_cpu_before)
            .map(|(after, before)| after - before);
        figures.peak_rss_kib = server_probe.and_then(|probe| probe.peak_rss_kib());
        let generator_cpu_seconds = own_probe
            .cpu_seconds()
            .zip(own_cpu_before)
            .map(|(after, before)| after - before);
        tokio::time::sleep(options.idle_pause).await;
        figures.idle_rss_after_kib = server_probe.and_then(|probe| probe.rss_kib());

        let row = Row {
            workload: workload.name(),
            outcome: &outcome,
            server: figures,
            generator_cpu_seconds,
        };
        report::print_row(&row);
        report::append_line(&options.out, &report::json_line(&context, &row))
            .with_context(|| format!("cannot append to {}", options.out.display()))?;
    }
    println!("results appended to {}", options.out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations_take_a_unit_or_default_to_seconds() {
        assert_eq!(parse_duration("20s"), Ok(Duration::from_secs(20)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("1h").is_err());
        assert!(parse_duration("fast").is_err());
    }
}
