//! Runs every workload for a second against a self-started debug `gistd` and checks
//! that each did work and met no error. The release build the generator normally uses is
//! not made by `cargo test`, so the test passes `--gistd-bin` with the debug binary the
//! workspace's test run builds, and skips when that binary is absent.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

/// Where the workspace's debug `gistd` is: `CARGO_TARGET_DIR` when set, else the
/// workspace's `target/`.
fn debug_gistd() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target
        .join("debug")
        .join(format!("gistd{}", std::env::consts::EXE_SUFFIX))
}

#[test]
fn every_workload_completes_operations_without_errors() {
    let gistd = debug_gistd();
    if !gistd.is_file() {
        eprintln!(
            "skipping: no debug gistd at {} (build it with `cargo build -p gistd`)",
            gistd.display()
        );
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let out = dir.path().join("results.jsonl");

    let output = Command::new(env!("CARGO_BIN_EXE_gistd-bench"))
        .args([
            "all",
            "--duration",
            "1s",
            "--warmup",
            "200ms",
            "--concurrency",
            "4",
            "--idle-pause",
            "100ms",
        ])
        .arg("--gistd-bin")
        .arg(&gistd)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("gistd-bench runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "gistd-bench failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("rate limit is raised"),
        "the output should say the rate limit is raised:\n{stdout}"
    );

    let results = std::fs::read_to_string(&out).expect("results file");
    let lines: Vec<Value> = results
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    let workloads: Vec<&str> = lines
        .iter()
        .map(|line| line["workload"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        workloads,
        [
            "code-flow",
            "refresh",
            "resource",
            "api-key",
            "introspect",
            "write"
        ],
        "{stdout}"
    );
    for line in &lines {
        let ops = line["ops"].as_u64().unwrap_or_default();
        assert!(ops > 0, "no operation completed: {line}\n{stdout}");
        assert_eq!(line["errors"].as_u64(), Some(0), "errors: {line}\n{stdout}");
        assert_eq!(line["backend"], "sqlite");
        assert!(line["server_peak_rss_kib"].as_u64().is_some(), "{line}");
        assert!(line["server_cpu_s"].as_f64().is_some(), "{line}");
    }
}
