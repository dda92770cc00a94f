//! Results: one table line per workload on standard output and one JSON line per
//! workload appended to the results file, so runs on different commits can be compared.

use crate::workload::Outcome;
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The server's figures around one workload; `None` where `/proc` could not tell (no
/// process id with `--target`, or another user's process).
#[derive(Debug, Clone, Copy, Default)]
pub struct ServerFigures {
    /// Peak resident memory during the workload, in KiB.
    pub peak_rss_kib: Option<u64>,
    /// Whether the peak was reset at the start of the workload; when not, it is the
    /// peak since the server started.
    pub peak_is_per_workload: bool,
    /// CPU time (user + system) the server used during the measured window, in seconds.
    pub cpu_seconds: Option<f64>,
    /// Resident memory after set-up, before the load, in KiB.
    pub idle_rss_before_kib: Option<u64>,
    /// Resident memory after a pause following the load, in KiB.
    pub idle_rss_after_kib: Option<u64>,
}

/// What is the same for every workload of one run.
#[derive(Debug, Clone)]
pub struct RunContext {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Workers, each with one connection.
    pub concurrency: usize,
    /// The measured window.
    pub duration: Duration,
    /// The untimed lead-in.
    pub warmup: Duration,
    /// Whether this program started the server (with the rate limit raised).
    pub self_started: bool,
    /// `git rev-parse --short HEAD`, when available.
    pub commit: Option<String>,
}

/// One workload's figures.
pub struct Row<'a> {
    /// The workload's name.
    pub workload: &'static str,
    /// What the workers measured.
    pub outcome: &'a Outcome,
    /// What the server used.
    pub server: ServerFigures,
    /// CPU this program used during the window, in seconds.
    pub generator_cpu_seconds: Option<f64>,
}

impl Row<'_> {
    fn ops_per_second(&self) -> f64 {
        let seconds = self.outcome.elapsed.as_secs_f64();
        if seconds > 0.0 {
            self.outcome.ops as f64 / seconds
        } else {
            0.0
        }
    }

    fn latency_ms(&self, quantile: f64) -> f64 {
        self.outcome.latency.value_at_quantile(quantile) as f64 / 1000.0
    }

    fn max_ms(&self) -> f64 {
        self.outcome.latency.max() as f64 / 1000.0
    }
}

/// The table's header.
pub fn print_header() {
    println!(
        "{:<11} {:>9} {:>8} {:>8} {:>8} {:>8} {:>7} {:>9} {:>7} {:>9} {:>9}",
        "workload",
        "ops/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "errors",
        "peak MiB",
        "cpu s",
        "idle0 MiB",
        "idle1 MiB"
    );
}

/// One table line, then the first errors, if any.
pub fn print_row(row: &Row<'_>) {
    let mib =
        |kib: Option<u64>| kib.map_or("-".to_owned(), |kib| format!("{:.1}", kib as f64 / 1024.0));
    let cpu = row
        .server
        .cpu_seconds
        .map_or("-".to_owned(), |seconds| format!("{seconds:.2}"));
    println!(
        "{:<11} {:>9.0} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>7} {:>9} {:>7} {:>9} {:>9}",
        row.workload,
        row.ops_per_second(),
        row.latency_ms(0.5),
        row.latency_ms(0.9),
        row.latency_ms(0.99),
        row.max_ms(),
        row.outcome.errors,
        mib(row.server.peak_rss_kib),
        cpu,
        mib(row.server.idle_rss_before_kib),
        mib(row.server.idle_rss_after_kib),
    );
    for message in &row.outcome.first_errors {
        println!("    error: {message}");
    }
}

/// The JSON line of one workload.
pub fn json_line(context: &RunContext, row: &Row<'_>) -> Value {
    let unix_seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let round = |value: f64| (value * 1000.0).round() / 1000.0;
    json!({
        "timestamp": rfc3339_utc(unix_seconds),
        "unix_time": unix_seconds,
        "commit": context.commit,
        "backend": context.backend,
        "workload": row.workload,
        "concurrency": context.concurrency,
        "duration_s": context.duration.as_secs_f64(),
        "warmup_s": context.warmup.as_secs_f64(),
        "self_started_server": context.self_started,
        "rate_limit_raised": context.self_started,
        "ops": row.outcome.ops,
        "elapsed_s": round(row.outcome.elapsed.as_secs_f64()),
        "ops_per_s": round(row.ops_per_second()),
        "latency_ms": {
            "p50": round(row.latency_ms(0.5)),
            "p90": round(row.latency_ms(0.9)),
            "p99": round(row.latency_ms(0.99)),
            "max": round(row.max_ms()),
            "mean": round(row.outcome.latency.mean() / 1000.0),
        },
        "errors": row.outcome.errors,
        "first_errors": row.outcome.first_errors,
        "server_peak_rss_kib": row.server.peak_rss_kib,
        "server_peak_rss_per_workload": row.server.peak_is_per_workload,
        "server_cpu_s": row.server.cpu_seconds.map(round),
        "server_idle_rss_before_kib": row.server.idle_rss_before_kib,
        "server_idle_rss_after_kib": row.server.idle_rss_after_kib,
        "generator_cpu_s": row.generator_cpu_seconds.map(round),
    })
}

/// Appends `line` to the results file, creating it and its folder when missing.
pub fn append_line(path: &Path, line: &Value) -> anyhow::Result<()> {
    if let Some(folder) = path.parent()
        && !folder.as_os_str().is_empty()
    {
        std::fs::create_dir_all(folder)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    writeln!(file, "{line}")?;
    Ok(())
}

/// `git rev-parse --short HEAD` in the current directory, if git and a repository are
/// there, with `+dirty` when tracked files differ from it: results of uncommitted work
/// must not pass for the commit's.
pub fn git_commit() -> Option<String> {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
    };
    let output = git(&["rev-parse", "--short", "HEAD"])?;
    let commit = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    if !output.status.success() || commit.is_empty() {
        return None;
    }
    // `git diff` only reads; `--quiet` exits 1 when something differs.
    let changed =
        git(&["diff", "--quiet", "HEAD", "--"]).is_some_and(|diff| diff.status.code() == Some(1));
    Some(if changed {
        format!("{commit}+dirty")
    } else {
        commit
    })
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a Unix time, by the days-to-civil-date conversion of the
/// proleptic Gregorian calendar (no date crate for one timestamp).
fn rfc3339_utc(unix_seconds: u64) -> String {
    let days = (unix_seconds / 86_400) as i64;
    let seconds_of_day = unix_seconds % 86_400;
    // Shift the epoch to 0000-03-01 so leap days fall at the end of each 400-year era.
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        seconds_of_day / 3600,
        seconds_of_day / 60 % 60,
        seconds_of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::rfc3339_utc;

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(1_798_761_599), "2026-12-31T23:59:59Z");
    }
}
