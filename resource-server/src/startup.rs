//! Builds the server from its configuration and runs it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use server_kit::Server;
use server_kit::db::{Db, Migrations};

use crate::config::{Config, ValidationMode};
use crate::introspect::Introspector;
use crate::jwks::KeySet;
use crate::state::{AppState, Counters};
use crate::validate::{JwtValidator, Validator};
use crate::{api, api_doc, discovery};

pub const SERVICE: &str = "resource-server";

/// Why the server could not start, worded for the person who started it.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Bind(#[from] server_kit::BindError),
    #[error(transparent)]
    SpaOrigin(#[from] server_kit::InvalidOrigin),
    #[error("cannot open the database {url}: {source}")]
    Database {
        url: String,
        source: server_kit::db::OpenError,
    },
    #[error("cannot load the authorization server's signing keys: {0}")]
    Keys(String),
    #[error(
        "--validation introspect: the authorization server advertises no introspection_endpoint"
    )]
    NoIntrospection,
    #[error("cannot make an HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

/// A bound, ready-to-run resource server.
#[derive(Debug)]
pub struct Application {
    server: Server,
    router: Router,
}

impl Application {
    /// Binds, opens the database, and finds the authorization server (waiting for it if it
    /// is not up yet) before serving anything.
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let server = Server::bind(config.addr, SERVICE).await?;
        let cors = server_kit::cors(&config.spa_origins)?;
        let audience = config
            .audience
            .unwrap_or_else(|| format!("http://localhost:{}", server.local_addr().port()));
        let issuer = config.issuer.trim_end_matches('/').to_owned();
        let migrations = Migrations {
            sqlite: sqlx::migrate!("./migrations/sqlite"),
            postgres: sqlx::migrate!("./migrations/postgres"),
        };
        let db = Db::open(&config.database_url, &migrations)
            .await
            .map_err(|source| StartupError::Database {
                url: server_kit::db::redacted(&config.database_url),
                source,
            })?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()?;
        let metadata = discovery::discover(&http, &issuer).await;
        let validator = match config.validation {
            ValidationMode::Jwt => {
                let keys = KeySet::load(http, metadata.jwks_uri)
                    .await
                    .map_err(StartupError::Keys)?;
                Validator::Jwt(JwtValidator::new(keys, &issuer, &audience))
            }
            ValidationMode::Introspect => {
                let endpoint = metadata
                    .introspection_endpoint
                    .ok_or(StartupError::NoIntrospection)?;
                Validator::Introspect {
                    introspector: Introspector::new(
                        http,
                        endpoint,
                        config.client_id,
                        config.client_secret,
                        Duration::from_secs(config.introspection_cache_secs),
                    ),
                    issuer: issuer.clone(),
                    audience: audience.clone(),
                }
            }
        };
        tracing::info!(issuer, audience, validation = ?config.validation, "accepting access tokens from {issuer} meant for {audience}");
        let state = AppState {
            db,
            validator: Arc::new(validator),
            stats: Arc::new(Counters::default()),
            audience: audience.into(),
            issuer: issuer.into(),
        };
        let router = Router::new()
            .route("/health", get(health))
            .route(
                "/openapi.json",
                get(server_kit::api_doc::serve::<api_doc::ApiDoc>),
            )
            .merge(api::router())
            .layer(cors)
            .with_state(state);
        let limits = server_kit::Limits {
            timeout: Duration::from_secs(config.request_timeout),
            ..server_kit::Limits::DEFAULT
        };
        let router = server_kit::metrics::measured(server_kit::limited(router, limits));
        Ok(Self { server, router })
    }

    /// The address actually bound (useful with `--addr 127.0.0.1:0`).
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.serve(self.router).await
    }
}

/// `GET /health`: answers as long as the process serves requests.
#[utoipa::path(
    get,
    path = "/health",
    responses((status = 200, description = "The server is up", body = server_kit::Health))
)]
pub(crate) async fn health() -> axum::Json<server_kit::Health> {
    server_kit::health(SERVICE, env!("CARGO_PKG_VERSION"))
}
