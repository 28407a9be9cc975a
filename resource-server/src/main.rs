use std::process::ExitCode;

use clap::Parser as _;
use resource_server::SERVICE;
use resource_server::config::Config;
use resource_server::startup::Application;

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
