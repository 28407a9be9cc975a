use std::process::ExitCode;

use auth_server::config::Config;
use auth_server::startup::Application;
use clap::Parser as _;

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    server_kit::init_tracing();
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(error) => {
            tracing::error!("auth-server cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    match app.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("auth-server stopped with an error: {error}");
            ExitCode::FAILURE
        }
    }
}
