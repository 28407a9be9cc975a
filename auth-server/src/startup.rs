//! Builds the server from its configuration and runs it.

use std::net::SocketAddr;

use axum::Router;
use server_kit::Server;

use crate::config::Config;
use crate::routes;

pub const SERVICE: &str = "auth-server";

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Bind(#[from] server_kit::BindError),
}

/// A bound, ready-to-run authorization server.
#[derive(Debug)]
pub struct Application {
    server: Server,
}

impl Application {
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let server = Server::bind(config.addr, SERVICE, router()).await?;
        Ok(Self { server })
    }

    /// The address actually bound (useful with `--addr 127.0.0.1:0`).
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.run_until_stopped().await
    }
}

/// Every route of the authorization server.
pub fn router() -> Router {
    routes::router()
}
