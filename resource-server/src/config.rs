//! Configuration, read once at start from flags or their environment variables.

use std::net::SocketAddr;

/// The resource server's settings. `resource-server --help` lists them.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "resource-server",
    version,
    about = "The OAuth 2.1 lab's resource server"
)]
pub struct Config {
    /// Address to listen on (use port 0 for any free port).
    #[arg(long, env = "RESOURCE_SERVER_ADDR", default_value = "127.0.0.1:8082")]
    pub addr: SocketAddr,
}
