//! `auth-server`: serves (`startup::run`), or with `rotate-key` publishes a new signing key.

use std::process::ExitCode;

use auth_server::SERVICE;
use auth_server::config::Cli;
use clap::Parser as _;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    server_kit::init_tracing();
    server_kit::exit_code(SERVICE, auth_server::startup::run(cli).await)
}
