//! The processes a benchmark runs: the lab's release builds, and the bare axum baseline.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The baseline: a bare axum handler answering a constant.
pub async fn baseline(port: u16) -> Result<(), Box<dyn std::error::Error>> {
    let router = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, router).await?;
    Ok(())
}

/// Where the release builds are: beside this program.
pub fn release_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("target/release"))
}

/// A server process, killed when dropped.
pub struct Server {
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `program` and waits for `health`; returns it and the time from spawn to the
    /// first healthy answer.
    pub async fn start(program: &Path, args: &[String], health: &str) -> (Self, Duration) {
        let started = Instant::now();
        let child = Command::new(program)
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        let server = Self { child };
        let http = reqwest::Client::new();
        while started.elapsed() < Duration::from_secs(30) {
            if http
                .get(health)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return (server, started.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        panic!("{} did not become healthy at {health}", program.display());
    }

    /// CPU time the process has used so far (user and system), from `/proc`: what a load
    /// cost the server, however busy the machine was with the load generator.
    pub fn cpu_seconds(&self) -> f64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // After the command name (which may hold spaces), field 3 onwards; utime and stime
        // are fields 14 and 15, in clock ticks (USER_HZ: 100 on Linux, a fixed ABI).
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map_or("", |(_, rest)| rest)
            .split_whitespace()
            .collect();
        let ticks = |index: usize| -> f64 {
            fields
                .get(index)
                .and_then(|v| v.parse::<u32>().ok())
                .map_or(0.0, f64::from)
        };
        (ticks(11) + ticks(12)) / 100.0
    }

    /// Resident memory, from `/proc`.
    pub fn rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let kib: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_default();
        kib / 1024.0
    }
}
