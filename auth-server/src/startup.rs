//! Builds the server from its configuration and runs it.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::HeaderValue;
use server_kit::Server;

use crate::config::Config;
use crate::error::Internal;
use crate::keys::SigningKeys;
use crate::state::{AppState, Settings};
use crate::{clock, db, routes, security, seed};

pub const SERVICE: &str = "auth-server";

/// Why the server could not start, worded for the person who started it.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Bind(#[from] server_kit::BindError),
    #[error("cannot open the database {url}: {source}")]
    Database { url: String, source: sqlx::Error },
    #[error("--spa-origin {0:?} is not a valid origin (expected e.g. http://localhost:8080)")]
    SpaOrigin(String),
    #[error("cannot prepare the database (keys, demo data): {0}")]
    Prepare(#[from] Internal),
}

/// A bound, ready-to-run authorization server.
#[derive(Debug)]
pub struct Application {
    server: Server,
    router: Router,
    issuer: String,
}

impl Application {
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        if let Some(bad) = config
            .spa_origins
            .iter()
            .find(|o| HeaderValue::from_str(o).is_err() || url::Url::parse(o).is_err())
        {
            return Err(StartupError::SpaOrigin(bad.clone()));
        }
        let server = Server::bind(config.addr, SERVICE).await?;
        let issuer = config.issuer.map_or_else(
            || format!("http://localhost:{}", server.local_addr().port()),
            |issuer| issuer.trim_end_matches('/').to_owned(),
        );
        let db =
            db::connect(&config.database_url)
                .await
                .map_err(|source| StartupError::Database {
                    url: config.database_url.clone(),
                    source,
                })?;
        seed::seed(&db).await?;
        let keys = SigningKeys::load_or_create(&db).await?;
        let state = AppState {
            db,
            keys: Arc::new(keys),
            settings: Arc::new(Settings {
                issuer: issuer.clone(),
                default_resource: config.default_resource,
                code_ttl: clock::secs(config.code_ttl),
                access_token_ttl: clock::secs(config.access_token_ttl),
            }),
        };
        let router = routes::router(state, security::cors(&config.spa_origins));
        Ok(Self {
            server,
            router,
            issuer,
        })
    }

    /// The address actually bound (useful with `--addr 127.0.0.1:0`).
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// The issuer identifier this server puts in tokens, redirects and discovery.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        tracing::info!(issuer = self.issuer, "{SERVICE} ready");
        self.server.serve(self.router).await
    }
}
