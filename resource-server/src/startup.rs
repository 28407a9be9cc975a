//! Builds the server from its configuration and runs it.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use server_kit::Server;
use server_kit::db::{Db, Migrations};
use server_kit::tls::LocalTls;

use crate::config::Config;
use crate::discovery::Connection;
use crate::metadata::Protected;
use crate::state::{AppState, Counters};
use crate::validate::Validator;
use crate::{SERVICE, discovery, mcp, metadata, routes};

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
    #[error("cannot make an HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    #[error("--tls: {0}")]
    Tls(#[from] server_kit::tls::TlsError),
    #[error("--tls: cannot read the certificate authority {path}: {why}")]
    TrustCa { path: String, why: String },
}

/// A bound, ready-to-run resource server.
#[derive(Debug)]
pub struct Application {
    server: Server,
    router: Router,
    ready: Ready,
}

/// Whether the resource server has found the authorization server and can check tokens.
#[derive(Debug, Clone)]
pub struct Ready(Arc<OnceLock<Validator>>);

impl Ready {
    /// Resolves once tokens can be checked (for tests and tools that start the server
    /// themselves; a process outside waits for `GET /health` to answer 200).
    pub async fn wait(&self) {
        while self.0.get().is_none() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Application {
    /// Binds and opens the database; the authorization server is found in the background
    /// (it may not be up yet), while the server already answers.
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let mut server = Server::bind(config.addr, SERVICE).await?;
        let cors = server_kit::cors(&config.spa_origins)?;
        let mut http = reqwest::Client::builder().timeout(Duration::from_secs(10));
        if config.tls {
            let dir = (config.tls_dir.clone())
                .unwrap_or_else(|| server_kit::tls::default_dir(&config.database_url));
            let tls = LocalTls::load_or_create(&dir)?;
            server = server.with_tls(&tls);
            // The authorization server serves the same certificate: trust its authority.
            let ca = reqwest::Certificate::from_pem(tls.ca_pem.as_bytes()).map_err(|e| {
                StartupError::TrustCa {
                    path: tls.ca_path.display().to_string(),
                    why: e.to_string(),
                }
            })?;
            http = http.add_root_certificate(ca);
        }
        let scheme = server.scheme();
        let audience = config
            .audience
            .unwrap_or_else(|| format!("{scheme}://localhost:{}", server.local_addr().port()));
        let issuer = config.issuer.map_or_else(
            || format!("{scheme}://localhost:8081"),
            |issuer| issuer.trim_end_matches('/').to_owned(),
        );
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
        let http = http.build()?;
        // The MCP endpoint is a resource of its own, on this server's origin.
        let mcp = format!("{}{}", metadata::split_origin(&audience).0, mcp::PATH);
        tracing::info!(issuer, audience, mcp, validation = ?config.validation, "accepting access tokens from {issuer} meant for {audience} (the API) or {mcp} (the MCP endpoint)");
        let state = AppState {
            db,
            validator: Arc::new(OnceLock::new()),
            stats: Arc::new(Counters::default()),
            issuer: issuer.clone().into(),
            api: Protected::new(&audience, "OAuth 2.1 lab resource server"),
            mcp: Protected::new(&mcp, "OAuth 2.1 lab MCP server"),
        };
        // The server answers from the first moment; until the authorization server has been
        // found, /health says what it is waiting for and the API answers 503.
        let ready = Ready(Arc::clone(&state.validator));
        // The lab routes answer requests addressed to this server's own name.
        let public_url = audience.clone();
        tokio::spawn(discovery::connect(
            Arc::clone(&state.validator),
            http,
            Connection {
                issuer,
                audiences: [audience, mcp],
                validation: config.validation,
                client_id: config.client_id,
                client_secret: config.client_secret,
                introspection_cache: Duration::from_secs(config.introspection_cache_secs),
                jwks_refresh: Duration::from_secs(config.jwks_refresh.max(1)),
                revocation_poll: Duration::from_millis(config.revocation_poll_ms.max(50)),
            },
        ));
        let router = routes::router(state).layer(cors.clone());
        let (router, traces) =
            server_kit::trace::lab_traces(router, SERVICE, config.lab_traces, cors, &public_url);
        let limits = server_kit::Limits {
            timeout: Duration::from_secs(config.request_timeout),
            ..server_kit::Limits::DEFAULT
        };
        let router = server_kit::served(router, limits, traces);
        Ok(Self {
            server,
            router,
            ready,
        })
    }

    /// Tells when the server can check tokens.
    pub fn ready(&self) -> Ready {
        self.ready.clone()
    }

    /// The address actually bound (useful with `--addr 127.0.0.1:0`).
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.serve(self.router).await
    }
}
