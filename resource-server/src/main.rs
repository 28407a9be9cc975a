use std::process::ExitCode;

use clap::Parser as _;
use resource_server::config::Config;
use resource_server::startup::Application;

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    server_kit::init_tracing();
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(error) => {
            tracing::error!("resource-server cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    match app.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("resource-server stopped with an error: {error}");
            ExitCode::FAILURE
        }
    }
}
