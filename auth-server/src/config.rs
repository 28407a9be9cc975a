//! Configuration, read once at start from flags or their environment variables.

use std::net::SocketAddr;

/// The authorization server's settings. `auth-server --help` lists them.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "auth-server",
    version,
    about = "The OAuth 2.1 lab's authorization server"
)]
pub struct Config {
    /// Address to listen on (use port 0 for any free port).
    #[arg(long, env = "AUTH_SERVER_ADDR", default_value = "127.0.0.1:8081")]
    pub addr: SocketAddr,
}
