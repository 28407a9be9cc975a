//! The lab's trace routes (`GET /lab/traces`, `GET /lab/traces/{id}`, `GET /lab/events`),
//! mounted with `--lab-traces` and answered only to the server's own names.

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::{Arc, LazyLock};

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use tokio::sync::{broadcast, watch};
use tower_http::cors::CorsLayer;

use super::id::TraceId;
use super::ring::{Kept, RingLimits, Traces};

impl Traces {
    /// `GET /lab/traces/{id}`, `GET /lab/traces[?state=…|?request_id=…]`, `GET /lab/events`.
    pub fn routes(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/lab/traces", get(list))
            .route("/lab/traces/{id}", get(one))
            .route("/lab/events", get(events))
            .with_state(Arc::clone(self))
    }
}

/// With `on` (`--lab-traces`): `router` with the trace routes (CORS as `cors`, for the SPA;
/// only for requests whose `Host` is one of the server's own names, [`OwnHosts`]), and the
/// traces that [`crate::served`] records every other request of `server` into. Off:
/// `router` as it is, and nothing to record into.
pub fn lab_traces(
    router: Router,
    server: &'static str,
    on: bool,
    cors: CorsLayer,
    public_url: &str,
) -> (Router, Option<Arc<Traces>>) {
    if !on {
        return (router, None);
    }
    let traces = Traces::new(server, RingLimits::DEFAULT);
    let own = Arc::new(OwnHosts::of(public_url));
    let lab_routes = traces
        .routes()
        .layer(cors)
        .layer(axum::middleware::from_fn_with_state(own, only_own_host));
    (router.merge(lab_routes), Some(traces))
}

/// The names a server of the lab answers its lab routes by: the host of its public URL
/// (the issuer, the resource's identifier), and the loopback names. A web page whose own
/// name an attacker rebinds to 127.0.0.1 (DNS rebinding) reaches the server with its own
/// name in `Host`, so checking `Host` keeps the traces away from it, as the MCP transport
/// rules ask of a local server (`docs/security-review.md`, S3-3).
#[derive(Debug)]
pub struct OwnHosts(Vec<String>);

impl OwnHosts {
    pub fn of(public_url: &str) -> Self {
        let mut names: Vec<String> = ["localhost", "127.0.0.1", "[::1]"]
            .map(str::to_owned)
            .to_vec();
        if let Some(host) = public_url
            .parse::<Uri>()
            .ok()
            .and_then(|uri| uri.host().map(str::to_ascii_lowercase))
        {
            names.push(host);
        }
        Self(names)
    }

    /// Whether a `Host` header's value names this server (any port).
    pub fn allows(&self, host: &str) -> bool {
        let name = match host.strip_prefix('[') {
            Some(rest) => rest
                .split_once(']')
                .map(|(inside, _)| format!("[{inside}]")),
            None => Some(host.split(':').next().unwrap_or(host).to_owned()),
        };
        name.is_some_and(|name| self.0.iter().any(|own| own.eq_ignore_ascii_case(&name)))
    }
}

async fn only_own_host(
    State(own): State<Arc<OwnHosts>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let host = request
        .headers()
        .get(axum::http::header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    if own.allows(host) {
        return next.run(request).await;
    }
    (
        StatusCode::FORBIDDEN,
        Json(serde_json::json!({
            "error": "forbidden_host",
            "error_description": "the lab's traces answer only requests addressed to this server by its own name (Host), not a name that leads here by DNS rebinding",
        })),
    )
        .into_response()
}

/// The lookup keys of `GET /lab/traces`: the front-channel steps of one authorization
/// request are found by its `state`, or by the id of the pending request.
#[derive(Debug, Deserialize)]
struct Lookup {
    state: Option<String>,
    request_id: Option<String>,
}

async fn list(State(traces): State<Arc<Traces>>, Query(lookup): Query<Lookup>) -> Response {
    let wanted = |kept: &Kept| {
        let has = |name: &str, value: &Option<String>| {
            value.as_deref().is_none_or(|value| {
                kept.keys
                    .iter()
                    .any(|(key, held)| *key == name && held == value)
            })
        };
        has("state", &lookup.state) && has("request_id", &lookup.request_id)
    };
    Json(traces.find(wanted)).into_response()
}

async fn one(State(traces): State<Arc<Traces>>, Path(id): Path<String>) -> Response {
    let id = TraceId::parse(&id);
    match traces.find(|kept| Some(kept.id) == id).pop() {
        Some(trace) => Json(trace).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({
                "error": "not_found",
                "error_description": "no trace with this id (traces are kept for a while only)",
            })),
        )
            .into_response(),
    }
}

/// The most `/lab/events` streams open at once on one server: a few learners' tabs and
/// consoles. Each costs a write per traced request, so without a limit anyone who can
/// connect could make every request cost many (`docs/security-review.md`, S3-4).
pub const MAX_LISTENERS: usize = 16;

/// An open `/lab/events` stream, counted in [`Traces::listeners`] while it lives.
struct Listening(Arc<Traces>);

impl Listening {
    /// Counts a new stream, unless [`MAX_LISTENERS`] are open already.
    fn new(traces: &Arc<Traces>) -> Option<Self> {
        let before = traces.listeners.fetch_add(1, Ordering::Relaxed);
        let listening = Self(Arc::clone(traces));
        // Dropping it counts it out again.
        (before < MAX_LISTENERS).then_some(listening)
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        self.0.listeners.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn events(State(traces): State<Arc<Traces>>) -> Response {
    let Some(listening) = Listening::new(&traces) else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(axum::http::header::RETRY_AFTER, "30")],
            Json(serde_json::json!({
                "error": "temporarily_unavailable",
                "error_description": format!("{MAX_LISTENERS} live streams are open on this server already; close one and try again"),
            })),
        )
            .into_response();
    };
    let listener = traces.live.subscribe();
    let stopping = stopping();
    let stream = futures::stream::unfold(
        (listener, stopping, listening),
        move |(mut listener, mut stopping, listening)| async move {
            loop {
                let next = tokio::select! {
                    next = listener.recv() => next,
                    _ = stopping.wait_for(|stopping| *stopping) => return None,
                };
                match next {
                    Ok(trace) => {
                        let event = Event::default().event("trace").data(&*trace);
                        return Some((Ok::<_, Infallible>(event), (listener, stopping, listening)));
                    }
                    // A listener too slow for the stream misses some traces, not all.
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        },
    );
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// Set when the server is shutting down, so live streams end and let it stop.
static STOPPING: LazyLock<watch::Sender<bool>> = LazyLock::new(|| watch::Sender::new(false));

fn stopping() -> watch::Receiver<bool> {
    STOPPING.subscribe()
}

/// Ends every live stream (called on shutdown).
pub(crate) fn stop_streams() {
    STOPPING.send_replace(true);
}
