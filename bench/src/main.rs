//! `lab-bench`: the lab's servers in release mode, driven by `wrk` for a bounded time beside a
//! bare axum handler (and node-oidc-provider), in one run (`run.rs`). Use `scripts/bench.sh`.

/// Progress, on stderr (the report goes to stdout).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod browser;
mod database;
mod peer;
mod requests;
mod run;
mod server;
mod wrk;

use clap::Parser as _;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = run::Cli::parse();
    let runtime = tokio::runtime::Runtime::new()?;
    match cli.command {
        Some(run::Mode::Baseline { port }) => runtime.block_on(server::baseline(port)),
        None => runtime.block_on(run::bench(&cli)),
    }
}
