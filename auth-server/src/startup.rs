//! Builds the server from its configuration and runs it.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use server_kit::Server;
use server_kit::db::{Db, Migrations};
use server_kit::tls::LocalTls;

use crate::config::{Cli, ClientDocuments, Command, Config};
use crate::error::Internal;
use crate::model::{Resource, Source};
pub use crate::protocol::keys::Rotated;
use crate::protocol::keys::SigningKeys;
use crate::protocol::password::Passwords;
use crate::protocol::resources::{Registry, ResourcesFile, check_identifier};
use crate::state::{AppState, Settings};
use crate::{SERVICE, purge, routes, seed};

/// Why the server could not start, worded for the person who started it.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Bind(#[from] server_kit::BindError),
    #[error("cannot open the database {url}: {source}")]
    Database {
        url: String,
        source: server_kit::db::OpenError,
    },
    #[error(transparent)]
    SpaOrigin(#[from] server_kit::InvalidOrigin),
    #[error(
        "--client-metadata-documents lab lets this server fetch documents from this machine, which is safe only when it listens on loopback itself; --addr {0} does not. Listen on 127.0.0.1 or [::1], or use --client-metadata-documents on"
    )]
    LoopbackDocumentsOffLoopback(SocketAddr),
    #[error(
        "--trust-ca {path}: {why}; give a PEM file of one or more certificates (-----BEGIN CERTIFICATE-----)"
    )]
    TrustCa { path: String, why: String },
    #[error("{0}")]
    Resources(String),
    #[error("cannot prepare the database (keys, demo data): {0}")]
    Prepare(#[from] Internal),
    #[error("--tls: {0}")]
    Tls(#[from] server_kit::tls::TlsError),
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
        let cors = server_kit::cors(&config.spa_origins)?;
        if config.client_metadata_documents == ClientDocuments::Lab
            && !config.addr.ip().is_loopback()
        {
            return Err(StartupError::LoopbackDocumentsOffLoopback(config.addr));
        }
        let trusted_roots = config
            .trust_ca
            .as_deref()
            .map(trusted_roots)
            .transpose()?
            .unwrap_or_default();
        let resources = Registry::new(
            configured_resources(&config)?,
            config.any_loopback_resource,
            seconds(config.access_token_ttl),
        );
        let mut server = Server::bind(config.addr, SERVICE).await?;
        if config.tls {
            let dir = (config.tls_dir.clone())
                .unwrap_or_else(|| server_kit::tls::default_dir(&config.database_url));
            server = server.with_tls(&LocalTls::load_or_create(&dir)?);
        }
        let db = open_database(&config.database_url).await?;
        if config.issuer.is_none() && matches!(db, Db::Postgres(_)) {
            tracing::warn!(
                "no --issuer on a shared database: this replica names itself after its own \
                 port; give every replica the load balancer's URL as --issuer"
            );
        }
        let issuer = config.issuer.map_or_else(
            || {
                format!(
                    "{}://localhost:{}",
                    server.scheme(),
                    server.local_addr().port()
                )
            },
            |issuer| issuer.trim_end_matches('/').to_owned(),
        );
        seed::seed(
            &db,
            &config.service_client_secret,
            &config.resource_server_secret,
        )
        .await?;
        let keys = SigningKeys::load_or_create(&db).await?;
        let state = AppState {
            db,
            keys: Arc::new(keys),
            settings: Arc::new(Settings {
                issuer: issuer.clone(),
                resources,
                code_ttl: seconds(config.code_ttl),
                access_token_ttl: seconds(config.access_token_ttl),
                refresh_token_ttl: seconds(config.refresh_token_ttl),
                dynamic_registration: config.dynamic_registration,
                client_metadata_documents: config.client_metadata_documents,
                trusted_proxies: config.trusted_proxies,
                trusted_proxy_secret: config.trusted_proxy_secret,
                trusted_roots,
            }),
            passwords: Arc::new(Passwords::default()),
        };
        purge::start(
            state.db.clone(),
            Duration::from_secs(config.purge_interval.max(1)),
        );
        let limits = server_kit::Limits {
            timeout: Duration::from_secs(config.request_timeout),
            ..server_kit::Limits::DEFAULT
        };
        let router = routes::router(state, cors.clone());
        let (router, traces) =
            server_kit::trace::lab_traces(router, SERVICE, config.lab_traces, cors, &issuer);
        let router = server_kit::served(router, limits, traces);
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

/// A lifetime from the configuration as a signed offset to add to Unix times.
fn seconds(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// `auth-server rotate-key`: publishes a new signing key of every algorithm in the
/// database at `database_url` (every replica on it publishes them at once); they sign new
/// tokens from `signing_delay` seconds on. Returns their key ids and when they start signing.
pub async fn rotate_key(database_url: &str, signing_delay: u64) -> Result<Rotated, StartupError> {
    let db = open_database(database_url).await?;
    Ok(crate::protocol::keys::rotate(&db, seconds(signing_delay)).await?)
}

/// Opens (creating and migrating) the database at `url`.
async fn open_database(url: &str) -> Result<Db, StartupError> {
    let migrations = Migrations {
        sqlite: sqlx::migrate!("./migrations/sqlite"),
        postgres: sqlx::migrate!("./migrations/postgres"),
    };
    Db::open(url, &migrations)
        .await
        .map_err(|source| StartupError::Database {
            url: server_kit::db::redacted(url),
            source,
        })
}

/// What `main` runs: the server until it is stopped, or the command given.
pub async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    match cli.command {
        Some(Command::RotateKey { signing_delay }) => {
            let rotated = rotate_key(&cli.config.database_url, signing_delay).await?;
            let mut out = std::io::stdout();
            for (alg, kid) in &rotated.kids {
                writeln!(out, "published {alg} key {kid}")?;
            }
            writeln!(
                out,
                "they sign new tokens from {} (in {signing_delay} s)",
                rotated.signs_from
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

/// The certificates of the PEM file `path` (`--trust-ca`).
fn trusted_roots(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, StartupError> {
    let refuse = |why: String| StartupError::TrustCa {
        path: path.display().to_string(),
        why,
    };
    let pem = std::fs::read(path).map_err(|e| refuse(format!("cannot read it: {e}")))?;
    let roots = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| refuse(format!("not PEM certificates: {e}")))?;
    if roots.is_empty() {
        return Err(refuse("it holds no certificate".to_owned()));
    }
    Ok(roots)
}

/// The resources of the flags (the default first) and of `--resources-file`: a resource in
/// both takes its description from the file.
fn configured_resources(config: &Config) -> Result<Vec<Resource>, StartupError> {
    let max_ttl = seconds(config.access_token_ttl);
    let mut described = Vec::new();
    if let Some(path) = &config.resources_file {
        let refuse = |why: String| {
            StartupError::Resources(format!("--resources-file {}: {why}", path.display()))
        };
        let text =
            std::fs::read_to_string(path).map_err(|e| refuse(format!("cannot read it: {e}")))?;
        let file: ResourcesFile = serde_json::from_str(&text).map_err(|e| {
            refuse(format!(
                "{e}; it must be JSON like {{\"resources\": [{{\"resource\": \"http://localhost:3001/mcp\", \"name\": \"My MCP server\", \"scopes\": \"read write\", \"access_token_ttl\": 120}}]}}"
            ))
        })?;
        for resource in &file.resources {
            described.push(resource.check(Source::File, max_ttl).map_err(refuse)?);
        }
    }
    let mut configured = Vec::new();
    for identifier in std::iter::once(&config.default_resource).chain(&config.resources) {
        check_identifier(identifier).map_err(|why| {
            StartupError::Resources(format!("--default-resource or --resource {why}"))
        })?;
        let resource = described
            .iter()
            .find(|r| &r.identifier == identifier)
            .cloned()
            .unwrap_or_else(|| Resource::named_by(identifier, Source::Flag));
        configured.push(resource);
    }
    for resource in described {
        if !configured
            .iter()
            .any(|r| r.identifier == resource.identifier)
        {
            configured.push(resource);
        }
    }
    Ok(configured)
}
