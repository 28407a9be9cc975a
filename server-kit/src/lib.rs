//! Plumbing the authorization server and the resource server share. Nothing in here knows
//! OAuth; the protocol lives in `shared` and in the servers themselves.

use std::io;
use std::net::SocketAddr;

use axum::{Json, Router};
use serde::Serialize;
use tokio::net::TcpListener;

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
