//! The server under load: finding the `gistd` binary, giving it a fresh database,
//! starting and stopping it, running its set-up commands, and reading its memory and
//! CPU use from `/proc`.

use crate::http_client::Connection;
use anyhow::{Context, bail};
use serde_json::Value;
use sqlx::Connection as _;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Environment variables that would change what `gistd` does; cleared so the shell
/// running the benchmark cannot change the server it measures.
const GISTD_VARIABLES: [&str; 10] = [
    "GISTD_DATABASE",
    "GISTD_LISTEN",
    "GISTD_BASE_URL",
    "GISTD_DEMO",
    "GISTD_ACCESS_TOKEN_TTL",
    "GISTD_API_RATE_LIMIT",
    "GISTD_API_RATE_WINDOW",
    "GISTD_UPKEEP_INTERVAL",
    "GISTD_LOG",
    "GISTD_JSON",
];

/// The REST API rate limit the self-started server gets: high enough that no request is
/// ever refused with 429, so a workload measures the server's work, not its limiter.
pub const RAISED_RATE_LIMIT: &str = "1000000000";

/// How long a self-started server may take to answer its first request.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The `gistd` binary: `explicit` when given, else the release build beside this
/// program (both are built into the same `target/release`).
pub fn locate_binary(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = explicit {
        if !path.is_file() {
            bail!("--gistd-bin {} is not a file", path.display());
        }
        return Ok(path.to_owned());
    }
    let own = std::env::current_exe().context("cannot find this program's own path")?;
    let beside = own.with_file_name(format!("gistd{}", std::env::consts::EXE_SUFFIX));
    build_server_under_cargo(&own)?;
    if !beside.is_file() {
        bail!(
            "no gistd binary at {}: run `cargo build --release -p gistd` first \
             (or pass --gistd-bin PATH)",
            beside.display()
        );
    }
    Ok(beside)
}

/// Under `cargo run --release`, builds the release `gistd` first, so a fresh checkout needs
/// one command and a run never measures a server older than the source (a no-op build
/// takes well under a second).
fn build_server_under_cargo(own: &Path) -> anyhow::Result<()> {
    let (Some(cargo), Some(manifest_dir)) = (
        std::env::var_os("CARGO"),
        std::env::var_os("CARGO_MANIFEST_DIR"),
    ) else {
        return Ok(());
    };
    let release = own
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|dir| dir == "release");
    let mut command = std::process::Command::new(cargo);
    command
        .current_dir(manifest_dir)
        .args(["build", "--quiet", "-p", "gistd"]);
    if release {
        command.arg("--release");
    }
    let status = command
        .status()
        .context("cannot run cargo to build gistd")?;
    if !status.success() {
        bail!("building gistd failed ({status})");
    }
    Ok(())
}

/// The database the server runs on, and who cleans it up.
pub enum Database {
    /// A fresh SQLite file in a temporary directory, deleted with it.
    Sqlite {
        /// What `--database` gets.
        url: String,
        /// Holds the file (and the server log) until the run ends.
        dir: tempfile::TempDir,
    },
    /// A fresh PostgreSQL database, dropped at the end.
    Postgres {
        /// What `--database` gets.
        url: String,
        /// The URL it was created through (the user's `--database`).
        admin_url: String,
        /// Its name, `gistd_bench_<random>`.
        name: String,
        /// Holds the server log.
        dir: tempfile::TempDir,
    },
    /// The database of a server the user started (`--target`); left as it is.
    External {
        /// What `--database` gets.
        url: String,
        /// Holds nothing but keeps the shape of the other cases.
        dir: tempfile::TempDir,
    },
}

impl Database {
    /// A fresh SQLite file.
    pub fn sqlite() -> anyhow::Result<Database> {
        let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
        let url = dir.path().join("gistd.db").to_string_lossy().into_owned();
        Ok(Database::Sqlite { url, dir })
    }

    /// A fresh database on the PostgreSQL server of `admin_url`.
    pub async fn postgres(admin_url: &str) -> anyhow::Result<Database> {
        let name = format!("gistd_bench_{:016x}", rand::random::<u64>());
        let mut admin = sqlx::PgConnection::connect(admin_url)
            .await
            .with_context(|| "cannot connect to PostgreSQL at the --database URL")?;
        sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .with_context(|| format!("cannot create the database {name}"))?;
        admin.close().await.ok();
        Ok(Database::Postgres {
            url: with_database_name(admin_url, &name),
            admin_url: admin_url.to_owned(),
            name,
            dir: tempfile::tempdir().context("cannot create a temporary directory")?,
        })
    }

    /// The database of a running server, used as it is.
    pub fn external(url: &str) -> anyhow::Result<Database> {
        Ok(Database::External {
            url: url.to_owned(),
            dir: tempfile::tempdir().context("cannot create a temporary directory")?,
        })
    }

    /// What `--database` gets.
    pub fn url(&self) -> &str {
        match self {
            Database::Sqlite { url, .. }
            | Database::Postgres { url, .. }
            | Database::External { url, .. } => url,
        }
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        if self.url().starts_with("postgres://") || self.url().starts_with("postgresql://") {
            "postgres"
        } else {
            "sqlite"
        }
    }

    fn dir(&self) -> &Path {
        match self {
            Database::Sqlite { dir, .. }
            | Database::Postgres { dir, .. }
            | Database::External { dir, .. } => dir.path(),
        }
    }

    /// Drops a PostgreSQL database this run created; the others need nothing (the
    /// temporary directory goes when `self` is dropped).
    pub async fn remove(self) -> anyhow::Result<()> {
        if let Database::Postgres {
            admin_url, name, ..
        } = &self
        {
            let mut admin = sqlx::PgConnection::connect(admin_url).await?;
            // FORCE ends connections a killed server may have left for a moment.
            sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin)
                .await
                .with_context(|| format!("cannot drop the database {name}"))?;
            admin.close().await.ok();
        }
        Ok(())
    }
}

/// `admin_url` with its database name replaced by `name`, keeping any query string.
fn with_database_name(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    let scheme_end = base.find("://").map_or(0, |index| index + 3);
    let server = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

/// Runs the `gistd` command line on a database.
pub struct Cli<'a> {
    /// The binary.
    pub binary: &'a Path,
    /// What `--database` gets.
    pub database: &'a str,
}

impl Cli<'_> {
    fn command(&self) -> Command {
        let mut command = Command::new(self.binary);
        for name in GISTD_VARIABLES {
            command.env_remove(name);
        }
        command
            .env("GISTD_LOG", "warn")
            .arg("--database")
            .arg(self.database);
        command
    }

    /// `gistd --json ARGS` with `stdin`; returns what it printed.
    pub fn run_json(&self, args: &[&str], stdin: &str) -> anyhow::Result<Value> {
        let mut child = self
            .command()
            .arg("--json")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot run {}", self.binary.display()))?;
        if let Some(mut input) = child.stdin.take() {
            input.write_all(stdin.as_bytes())?;
        }
        let output = child.wait_with_output()?;
        if !output.status.success() {
            bail!(
                "gistd {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        serde_json::from_str(stdout.trim())
            .with_context(|| format!("gistd {} printed no JSON: {stdout}", args.join(" ")))
    }
}

/// A `gistd serve` this program started; stopped when dropped.
pub struct Server {
    /// Where it listens.
    pub address: SocketAddr,
    child: Option<Child>,
    log_path: PathBuf,
}

impl Server {
    /// Starts `gistd serve` on a free loopback port with the rate limit raised and upkeep
    /// off (a purge in the middle of a run would show up as a latency spike that is not
    /// the workload's), and waits until it answers.
    pub async fn start(binary: &Path, database: &Database) -> anyhow::Result<Server> {
        let address = free_address()?;
        let log_path = database.dir().join(format!("serve-{}.log", address.port()));
        let log = std::fs::File::create(&log_path).context("cannot create the server log")?;
        let listen = address.to_string();
        let base_url = format!("http://{address}");
        let mut command = Cli {
            binary,
            database: database.url(),
        }
        .command();
        command.env_remove("GISTD_LOG");
        let child = command
            .args(["serve", "--listen", &listen, "--base-url", &base_url])
            .args(["--api-rate-limit", RAISED_RATE_LIMIT])
            .args(["--upkeep-interval", "never"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let mut server = Server {
            address,
            child: Some(child),
            log_path,
        };
        server.wait_until_ready().await?;
        Ok(server)
    }

    async fn wait_until_ready(&mut self) -> anyhow::Result<()> {
        let started = Instant::now();
        let no_headers = http::HeaderMap::new();
        loop {
            let mut connection = Connection::new(self.address);
            let answer = connection
                .send(
                    http::Method::GET,
                    "/healthz",
                    &no_headers,
                    bytes::Bytes::new(),
                )
                .await;
            if answer.is_ok_and(|answer| answer.status == 200) {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                bail!(
                    "gistd exited ({status}) before answering; log:\n{}",
                    self.log()
                );
            }
            if started.elapsed() > START_TIMEOUT {
                bail!(
                    "gistd did not answer within {START_TIMEOUT:?}; log:\n{}",
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Stops the server with SIGTERM (by its process id), and SIGKILL if it has not
    /// exited within a few seconds.
    pub async fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
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

/// A loopback address whose port was free a moment ago.
fn free_address() -> anyhow::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("no free port")?;
    Ok(listener.local_addr()?)
}

/// Memory and CPU figures of a process, read from `/proc`.
#[derive(Debug, Clone, Copy)]
pub struct ProcessProbe {
    pid: u32,
    ticks_per_second: f64,
}

impl ProcessProbe {
    /// A probe of process `pid`.
    pub fn new(pid: u32) -> ProcessProbe {
        ProcessProbe {
            pid,
            ticks_per_second: clock_ticks_per_second(),
        }
    }

    /// A probe of this program itself, to show how much CPU the generator took.
    pub fn own() -> ProcessProbe {
        ProcessProbe::new(std::process::id())
    }

    /// Resident memory now (`VmRSS`), in KiB.
    pub fn rss_kib(&self) -> Option<u64> {
        self.status_field("VmRSS:")
    }

    /// Peak resident memory (`VmHWM`), in KiB: since the last [`Self::reset_peak`], or
    /// since the process started.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        self.status_field("VmHWM:")
    }

    /// Resets the peak resident memory to the current one (Linux's `clear_refs` value
    /// 5), so each workload's peak is its own. Returns whether the kernel allowed it.
    pub fn reset_peak(&self) -> bool {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid), "5").is_ok()
    }

    /// User plus system CPU time so far, in seconds.
    pub fn cpu_seconds(&self) -> Option<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).ok()?;
        // The command name (field 2) may hold spaces; fields after it are plain numbers.
        let after_name = &stat[stat.rfind(')')? + 1..];
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
        let user: u64 = fields.get(11)?.parse().ok()?;
        let system: u64 = fields.get(12)?.parse().ok()?;
        Some((user + system) as f64 / self.ticks_per_second)
    }

    fn status_field(&self, name: &str) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        let line = status.lines().find(|line| line.starts_with(name))?;
        line[name.len()..].split_whitespace().next()?.parse().ok()
    }
}

/// `sysconf(_SC_CLK_TCK)` through `getconf`, since this crate uses no `unsafe`; 100,
/// Linux's value on every common platform, when that fails.
fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse::<f64>().ok())
        .filter(|ticks| *ticks > 0.0)
        .unwrap_or(100.0)
}

#[cfg(test)]
mod tests {
    use super::with_database_name;

    #[test]
    fn database_name_replaces_the_path_and_keeps_the_query() {
        assert_eq!(
            with_database_name("postgres://u:p@db:5432/admin?sslmode=disable", "b1"),
            "postgres://u:p@db:5432/b1?sslmode=disable"
        );
        assert_eq!(
            with_database_name("postgres://u@127.0.0.1", "b2"),
            "postgres://u@127.0.0.1/b2"
        );
    }
}
