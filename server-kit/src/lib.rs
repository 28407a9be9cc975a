//! Plumbing the authorization server and the resource server share. Nothing in here knows
//! OAuth; the protocol lives in `shared` and in the servers themselves.

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::str::FromStr as _;
use std::time::Duration;

use axum::http::{HeaderValue, Method, header};
use axum::{Json, Router};
use serde::Serialize;
use sqlx::SqlitePool;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use tokio::net::TcpListener;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Why a server could not start listening, worded for the person who started it.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error(
        "{addr} is already in use: is another copy of {service} (or another program) running? \
         Stop it, or start {service} on another address with --addr 127.0.0.1:PORT"
    )]
    AddrInUse {
        addr: SocketAddr,
        service: &'static str,
    },
    #[error("cannot listen on {addr}: {source}")]
    Other {
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
}

/// A bound address, ready to serve a router until Ctrl-C or SIGTERM. Binding comes first so
/// that a server can derive settings (its issuer URL, say) from the port actually bound.
#[derive(Debug)]
pub struct Server {
    service: &'static str,
    listener: TcpListener,
    local_addr: SocketAddr,
}

impl Server {
    /// Binds `addr` for `service`, turning "address in use" into a message that says what
    /// to do. Port 0 picks a free port; [`local_addr`](Self::local_addr) tells which.
    pub async fn bind(addr: SocketAddr, service: &'static str) -> Result<Self, BindError> {
        let to_bind_error = |source: io::Error| {
            if source.kind() == io::ErrorKind::AddrInUse {
                BindError::AddrInUse { addr, service }
            } else {
                BindError::Other { addr, source }
            }
        };
        let listener = TcpListener::bind(addr).await.map_err(to_bind_error)?;
        let local_addr = listener.local_addr().map_err(to_bind_error)?;
        Ok(Self {
            service,
            listener,
            local_addr,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves `router` until Ctrl-C or SIGTERM, then lets requests in flight finish.
    pub async fn serve(self, router: Router) -> io::Result<()> {
        tracing::info!("{} listening on http://{}", self.service, self.local_addr);
        // The peer address reaches handlers (`ConnectInfo`), e.g. to log failed logins.
        axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal(self.service))
        .await
    }
}

/// Resolves on Ctrl-C or SIGTERM, so `axum::serve(...).with_graceful_shutdown` lets
/// in-flight requests finish before the process exits.
async fn shutdown_signal(service: &'static str) {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("{service} is shutting down: finishing requests in flight");
}

/// The exit status of a server's `main`: success, or the reason it could not start or run,
/// logged for the person who started it.
pub fn exit_code<E: std::fmt::Display>(
    service: &str,
    outcome: Result<(), E>,
) -> std::process::ExitCode {
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{service} is not running: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Console logs for people: colored when the output is a terminal, `info` unless
/// `RUST_LOG` says otherwise.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .compact()
        .init();
}

/// Opens the SQLite database at `url`, creating the file (and its folder) if needed, in WAL
/// mode with foreign keys on; writers wait for each other instead of failing with
/// "database is locked". Then applies the server's embedded `migrations`.
pub async fn open_sqlite(url: &str, migrations: &Migrator) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    if let Some(dir) = Path::new(options.get_filename()).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?;
    migrations.run(&pool).await?;
    Ok(pool)
}

/// A `--spa-origin` that is not an origin.
#[derive(Debug, thiserror::Error)]
#[error("--spa-origin {0:?} is not a valid origin (expected e.g. http://localhost:8080)")]
pub struct InvalidOrigin(pub String);

/// CORS for the registered SPA origins only, without credentials (the SPA sends no cookies
/// to these servers). A preflight from any other origin gets no
/// `Access-Control-Allow-Origin`, so the browser blocks the call. `WWW-Authenticate` is
/// exposed so the SPA can show why a bearer token was refused (RFC 6750 §3).
pub fn cors(origins: &[String]) -> Result<CorsLayer, InvalidOrigin> {
    let origins = origins
        .iter()
        .map(|origin| {
            let valid = origin.starts_with("http://") || origin.starts_with("https://");
            HeaderValue::from_str(origin)
                .ok()
                .filter(|_| valid && !origin.ends_with('/'))
                .ok_or_else(|| InvalidOrigin(origin.clone()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
        .expose_headers([header::WWW_AUTHENTICATE]))
}

/// Wall-clock time as the protocols use it: whole seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The first four characters of a secret and an ellipsis, for log lines: enough to follow
/// one value through the log, too little to use it.
pub fn shorten(secret: &str) -> String {
    let head: String = secret.chars().take(4).collect();
    format!("{head}…")
}

/// The body of `GET /health`.
#[derive(Debug, Clone, Serialize)]
pub struct Health {
    pub status: &'static str,
    pub service: &'static str,
    pub version: &'static str,
}

/// `GET /health` for `service` at `version`: answers as long as the process serves requests.
pub fn health(service: &'static str, version: &'static str) -> Json<Health> {
    Json(Health {
        status: "ok",
        service,
        version,
    })
}
