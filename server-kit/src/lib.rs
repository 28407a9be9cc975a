//! Plumbing the authorization server and the resource server share. Nothing in here knows
//! OAuth; the protocol lives in `shared` and in the servers themselves (`trace` records
//! their checks without knowing what they check).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt as _;
use axum::{Json, Router};
use serde::Serialize;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

pub mod api_doc;
pub mod db;
pub mod metrics;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tls;
pub mod trace;

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
    tls: Option<Arc<rustls::ServerConfig>>,
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
            tls: None,
        })
    }

    /// Serves https with `tls` instead of plain http (`--tls`, [`tls::LocalTls`]).
    #[must_use]
    pub fn with_tls(mut self, tls: &tls::LocalTls) -> Self {
        self.tls = Some(Arc::clone(&tls.config));
        self
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `https` when it serves with TLS ([`Server::with_tls`]), else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }

    /// Serves `router` until Ctrl-C or SIGTERM, then lets requests in flight finish.
    pub async fn serve(self, router: Router) -> io::Result<()> {
        // The peer address reaches handlers (`ConnectInfo`), e.g. to log failed logins.
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let stopped = shutdown_signal(self.service);
        tracing::info!(
            "{} listening on {}://{}",
            self.service,
            self.scheme(),
            self.local_addr
        );
        if let Some(config) = self.tls {
            // `tap_io` only makes axum hand the peer address on, as it does for TCP.
            let listener = tls::TlsListener::new(self.listener, config).tap_io(|_| {});
            axum::serve(listener, service)
                .with_graceful_shutdown(stopped)
                .await
        } else {
            axum::serve(self.listener, service)
                .with_graceful_shutdown(stopped)
                .await
        }
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
    trace::stop_streams();
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
        // rmcp writes each MCP session id at INFO; a session id is a handle on someone's
        // session, so it stays out of the log unless RUST_LOG asks for rmcp's own lines.
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,rmcp=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .compact()
        .init();
}

/// A `--spa-origin` that is not an origin.
#[derive(Debug, thiserror::Error)]
#[error("--spa-origin {0:?} is not a valid origin (expected e.g. http://localhost:8080)")]
pub struct InvalidOrigin(pub String);

/// CORS for the registered SPA origins only, without credentials (the SPA sends no cookies
/// to these servers). A preflight from any other origin gets no
/// `Access-Control-Allow-Origin`, so the browser blocks the call. `WWW-Authenticate` is
/// exposed so the SPA can show why a bearer token was refused (RFC 6750 §3), and the trace id
/// header so it can show what the server checked (`trace`, with `--lab-traces`).
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
        .expose_headers([
            header::WWW_AUTHENTICATE,
            header::HeaderName::from_static(shared::trace::TRACE_HEADER),
        ]))
}

/// Wall-clock time as the protocols use it: whole seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The body of `GET /health`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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

/// What one request may weigh and take, on both servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Larger bodies are refused with 413 before any handler reads them.
    pub body_bytes: usize,
    /// The request line's target and the headers together; more is refused with 431.
    pub header_bytes: usize,
    /// A request not answered by then (a client that stops sending its body, say) gets 408.
    pub timeout: Duration,
}

impl Limits {
    /// Every form and token request of the lab fits in a fraction of these.
    pub const DEFAULT: Self = Self {
        body_bytes: 16 * 1024,
        header_bytes: 16 * 1024,
        timeout: Duration::from_secs(10),
    };
}

/// Every lab server's routes with the middleware each of their requests passes, outermost
/// first: counted (`GET /metrics`, [`metrics`]), held to `limits`, and traced when `traces`
/// is given (`--lab-traces`, [`trace::lab_traces`]). Each limit's refusal says which limit was
/// hit: an OAuth-shaped JSON error (`invalid_request`, RFC 6749 §5.2) for programs, a short
/// page for browsers.
///
/// The middleware is one layer: axum wraps every route in each `Router::layer` separately
/// and clones what is under it per request, so a layer per concern would cost each request
/// a clone of the whole stack below it, once per concern.
pub fn served(router: Router, limits: Limits, traces: Option<Arc<trace::Traces>>) -> Router {
    let (router, counted) = metrics::measured(router);
    let stack = ServiceBuilder::new()
        .layer(middleware::from_fn_with_state(counted, metrics::count))
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            guard(limits, request, next)
        }))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.timeout,
        ))
        // One body limit for every route: a body announced larger is refused before it
        // is read, a chunked one as soon as it passes the limit (axum's extractors see
        // the limited body and answer 413 too).
        .map_response(IntoResponse::into_response)
        .layer(RequestBodyLimitLayer::new(limits.body_bytes));
    // Without `--lab-traces` there is no trace layer at all.
    match traces {
        Some(traces) => router.layer(stack.layer(trace::Tracing(traces))),
        None => router.layer(stack),
    }
}

async fn guard(limits: Limits, request: Request, next: Next) -> Response {
    let wants_html = request
        .headers()
        .get(header::ACCEPT)
        .is_some_and(|v| v.as_bytes().windows(9).any(|w| w == b"text/html"));
    let target = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    let size = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum::<usize>()
        + target;
    let response = if size > limits.header_bytes {
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE.into_response()
    } else {
        next.run(request).await
    };
    explain_limit(limits, wants_html, response)
}

/// The limit layers answer with an empty or plain-text body; this says which limit it was.
fn explain_limit(limits: Limits, wants_html: bool, response: Response) -> Response {
    let status = response.status();
    let description = match status {
        StatusCode::PAYLOAD_TOO_LARGE => format!(
            "the request body is larger than {} bytes",
            limits.body_bytes
        ),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => format!(
            "the URL and headers are larger than {} bytes",
            limits.header_bytes
        ),
        StatusCode::REQUEST_TIMEOUT => format!(
            "the request was not complete within {} s",
            limits.timeout.as_secs()
        ),
        _ => return response,
    };
    // A handler's own answer (JSON or a page) stays; the layers' empty or plain-text
    // answers are replaced.
    let explained = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| !v.as_bytes().starts_with(b"text/plain"));
    if explained {
        return response;
    }
    let no_store = [(header::CACHE_CONTROL, "no-store")];
    if wants_html {
        let page = format!(
            "<!DOCTYPE html><html lang=\"en\"><meta charset=\"utf-8\"><title>Request refused</title>\
             <h1>Request refused</h1><p>{description}.</p></html>"
        );
        return (status, no_store, axum::response::Html(page)).into_response();
    }
    let body = serde_json::json!({"error": "invalid_request", "error_description": description});
    (status, no_store, Json(body)).into_response()
}
