//! `oauth-lab`: the lab from the command line (the commands are `lab_cli::cli`).

use std::process::ExitCode;

use clap::Parser as _;
use lab_cli::cli::{self, Cli};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    cli::run(Cli::parse()).await
}
