use std::io::Write as _;
use std::process::ExitCode;

use auth_server::SERVICE;
use auth_server::config::Config;
use auth_server::startup::{Application, rotate_key};
use clap::{Parser, Subcommand};

/// The lab's authorization server. Without a command it serves; `rotate-key` publishes a
/// new signing key and exits.
#[derive(Debug, Parser)]
#[command(name = "auth-server", version)]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Publish a new signing key now (in the JWKS of every server on this database); it
    /// starts signing new tokens after --signing-delay seconds, so resource servers that
    /// cache the JWKS have seen it first. The old key stays published until its tokens expire.
    RotateKey {
        /// Seconds between publishing the key and signing with it.
        #[arg(long, default_value_t = 300)]
        signing_delay: u64,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    server_kit::init_tracing();
    let outcome: Result<(), Box<dyn std::error::Error>> = async {
        match cli.command {
            Some(Command::RotateKey { signing_delay }) => {
                let (kid, signs_from) =
                    rotate_key(&cli.config.database_url, signing_delay).await?;
                writeln!(
                    std::io::stdout(),
                    "published key {kid}; it signs new tokens from {signs_from} (in {signing_delay} s)"
                )?;
            }
            None => {
                Application::build(cli.config)
                    .await?
                    .run_until_stopped()
                    .await?;
            }
        }
        Ok(())
    }
    .await;
    server_kit::exit_code(SERVICE, outcome)
}
