use std::process::ExitCode;

use auth_server::config::Config;
use auth_server::startup::{Application, SERVICE};
use clap::Parser as _;

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    server_kit::init_tracing();
    let outcome: Result<(), Box<dyn std::error::Error>> = async {
        Application::build(config)
            .await?
            .run_until_stopped()
            .await?;
        Ok(())
    }
    .await;
    server_kit::exit_code(SERVICE, outcome)
}
