//! `GET /metrics` in the Prometheus (OpenMetrics) text format, for both servers: requests by
//! endpoint and outcome, latency histograms, refusals by reason, tokens issued by grant.
//!
//! Handlers say what happened by putting an [`Outcome`] in the response's extensions; the
//! middleware counts it. So the protocol code never touches the registry, and a response
//! counts exactly once.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock, RwLock};
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// What a response meant, beyond its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A refusal, with its reason (an RFC error code, or a finer one such as `expired`).
    Refused(&'static str),
    /// Tokens issued, by grant type.
    Issued(&'static str),
}

impl Outcome {
    /// Adds this outcome to `response`.
    pub fn tag(self, mut response: Response) -> Response {
        response.extensions_mut().insert(self);
        response
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    endpoint: &'static str,
    status: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RefusalLabels {
    endpoint: &'static str,
    reason: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct GrantLabels {
    grant: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct TableLabels {
    table: &'static str,
}

/// Expired rows deleted by a server's periodic purge, by table. Counted outside any request,
/// so the family is shared by every registry of the process.
static ROWS_PURGED: LazyLock<Family<TableLabels, Counter>> = LazyLock::new(Family::default);

/// Counts `rows` expired rows deleted from `table`.
pub fn rows_purged(table: &'static str, rows: u64) {
    ROWS_PURGED
        .get_or_create(&TableLabels { table })
        .inc_by(rows);
}

/// The metrics of one server.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<EndpointLabels, Histogram>,
    refusals: Family<RefusalLabels, Counter>,
    issued: Family<GrantLabels, Counter>,
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::default();
        registry.register(
            "http_requests",
            "Requests answered, by method, endpoint (route pattern) and status",
            requests.clone(),
        );
        // 100 µs to about 3 s.
        let latency = Family::<EndpointLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0001, 2.0, 16))
        });
        registry.register(
            "http_request_duration_seconds",
            "Time from the request's arrival to the response, by endpoint",
            latency.clone(),
        );
        let refusals = Family::default();
        registry.register(
            "refusals",
            "Requests refused, by endpoint and reason (the error code, or which check failed)",
            refusals.clone(),
        );
        let issued = Family::default();
        registry.register(
            "tokens_issued",
            "Token responses sent, by grant type",
            issued.clone(),
        );
        registry.register(
            "rows_purged",
            "Expired rows deleted by the periodic purge, by table",
            ROWS_PURGED.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            refusals,
            issued,
        }
    }

    fn record(
        &self,
        method: &'static str,
        endpoint: &'static str,
        response: &Response,
        seconds: f64,
    ) {
        self.requests
            .get_or_create(&RequestLabels {
                method,
                endpoint,
                status: response.status().as_u16(),
            })
            .inc();
        self.latency
            .get_or_create(&EndpointLabels { endpoint })
            .observe(seconds);
        match response.extensions().get::<Outcome>() {
            Some(&Outcome::Refused(reason)) => {
                self.refusals
                    .get_or_create(&RefusalLabels { endpoint, reason })
                    .inc();
            }
            Some(&Outcome::Issued(grant)) => {
                self.issued.get_or_create(&GrantLabels { grant }).inc();
            }
            None => {}
        }
    }

    fn render(&self) -> Response {
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &self.registry).is_err() {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Adds `GET /metrics` to `router`; what it shows is counted by [`count`], in
/// [`crate::served`].
pub(crate) fn measured(router: Router) -> (Router, Arc<Metrics>) {
    let metrics = Arc::new(Metrics::new());
    let scrape = Arc::clone(&metrics);
    let router = router.route("/metrics", get(move || async move { scrape.render() }));
    (router, metrics)
}

/// Counts every request it answers (a request no route matches counts under `unmatched`, so
/// a scan cannot grow the label set).
pub(crate) async fn count(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let endpoint = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |path| route_label(path.as_str()));
    let response = next.run(request).await;
    metrics.record(method, endpoint, &response, started.elapsed().as_secs_f64());
    response
}

/// The method as a label; a method no route takes is `other` (the set stays small).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// A route pattern as a label, made `'static` once per pattern and then looked up: the
/// patterns are the router's, a fixed set, so labels cost no allocation per request.
fn route_label(pattern: &str) -> &'static str {
    static ROUTES: LazyLock<RwLock<HashSet<&'static str>>> = LazyLock::new(RwLock::default);
    if let Some(known) = ROUTES
        .read()
        .ok()
        .and_then(|routes| routes.get(pattern).copied())
    {
        return known;
    }
    let Ok(mut routes) = ROUTES.write() else {
        return "unmatched";
    };
    if let Some(known) = routes.get(pattern) {
        return known;
    }
    let leaked: &'static str = Box::leak(pattern.to_owned().into_boxed_str());
    routes.insert(leaked);
    leaked
}
