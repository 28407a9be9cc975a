//! Builds the server from its configuration and runs it.

use std::net::SocketAddr;

use axum::Router;
use server_kit::Server;

use crate::config::Config;
use crate::routes;

pub const SERVICE: &str = "resource-server";

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Bind(#[from] server_kit::BindError),
}

/// A bound, ready-to-run resource server.
#[derive(Debug)]
pub struct Application {
    server: Server,
    router: Router,
}

impl Application {
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let server = Server::bind(config.addr, SERVICE).await?;
        Ok(Self {
            server,
            router: router(),
        })
    }

    /// The address actually bound (useful with `--addr 127.0.0.1:0`).
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.serve(self.router).await
    }
}

/// Every route of the resource server.
pub fn router() -> Router {
    routes::router()
}
