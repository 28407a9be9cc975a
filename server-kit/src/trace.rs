//! Decision traces (`--lab-traces`): every check a server runs on a request, recorded by the
//! code that decides, kept in a bounded ring, and shown to the learner.
//!
//! - A handler takes a [`Recorder`] (an extractor) and passes every ordered check's result
//!   through [`Recorder::check`]: the check's outcome goes into the trace on its way to the
//!   caller, so the trace cannot say something the code did not do.
//! - [`traced`] wraps a router: each request gets a recorder; when the response is ready its
//!   trace gets an id (the `x-lab-trace` header, [`shared::trace::TRACE_HEADER`]), is
//!   narrated on the console one line per check, kept in the ring and sent to the live
//!   stream.
//! - [`Traces::routes`]: `GET /lab/traces/{id}`, `GET /lab/traces?state=…` (the
//!   front-channel steps of one authorization request), `GET /lab/traces` and
//!   `GET /lab/events` (Server-Sent Events).
//!
//! Without `--lab-traces` none of this is mounted: the routes are 404 and every
//! [`Recorder`] is off, so `check` only hands the result back.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::fmt::Display;
use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use shared::trace::{Outcome, TRACE_HEADER, Trace};
use tokio::sync::{broadcast, watch};
use tower_http::cors::CorsLayer;

/// One check of an endpoint's ordered list: a stable name, the rule it enforces and the
/// sentence it says when it passes. Declared beside the function that makes the check.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    pub name: &'static str,
    pub rule: &'static str,
    pub passes: &'static str,
}

impl Check {
    pub const fn new(name: &'static str, rule: &'static str, passes: &'static str) -> Self {
        Self { name, rule, passes }
    }
}

/// The first two checks of every endpoint that takes a bearer token (the resource server's
/// API and MCP endpoint, the authorization server's `/userinfo`).
pub mod bearer {
    use super::Check;

    /// OAuth 2.1 §5.2.2 (RFC 6750 §2.3 is gone): a token in the URL ends up in logs,
    /// history and Referer headers, so it is refused, not read.
    pub const NOT_IN_URL: Check = Check::new(
        "token_not_in_url",
        "OAuth 2.1 §5.2.2",
        "No access token in the URL, where logs, history and Referer would keep it.",
    );

    /// RFC 6750 §2.1: one `Authorization: Bearer <token>` header.
    pub const HEADER: Check = Check::new(
        "bearer_header",
        "RFC 6750 §2.1",
        "One Authorization: Bearer header carries the token.",
    );
}

/// What one request's checks record. Off (no `--lab-traces`, or a request outside
/// [`traced`]) it records nothing and costs a branch.
#[derive(Debug, Clone, Default)]
pub struct Recorder(Option<Arc<Mutex<Record>>>);

#[derive(Debug, Default)]
struct Record {
    checks: Vec<Checked>,
    /// Values the trace can be found by (`state`, the pending request's id); never shown.
    keys: Vec<(&'static str, String)>,
}

/// One check as recorded: the check itself (static), and what it found. A passed check
/// says its static sentence, so recording it allocates nothing; the wire form
/// ([`shared::trace::Check`]) is made only when a trace is read.
#[derive(Debug)]
struct Checked {
    check: &'static Check,
    outcome: Outcome,
    says: Cow<'static, str>,
}

impl Recorder {
    /// Records `check` as passed or refused by `result` (the refusal's own words, the ones
    /// the response carries), and hands `result` back.
    pub fn check<T, E: Display>(
        &self,
        check: &'static Check,
        result: Result<T, E>,
    ) -> Result<T, E> {
        if self.is_on() {
            match &result {
                Ok(_) => self.push(check, Outcome::Passed, Cow::Borrowed(check.passes)),
                Err(why) => self.push(check, Outcome::Refused, Cow::Owned(why.to_string())),
            }
        }
        result
    }

    /// [`check`](Self::check) for a refusal that is not `Display`: `says` words it.
    pub fn check_by<T, E>(
        &self,
        check: &'static Check,
        result: Result<T, E>,
        says: impl FnOnce(&E) -> String,
    ) -> Result<T, E> {
        if self.is_on() {
            match &result {
                Ok(_) => self.push(check, Outcome::Passed, Cow::Borrowed(check.passes)),
                Err(why) => self.push(check, Outcome::Refused, Cow::Owned(says(why))),
            }
        }
        result
    }

    /// Records `check` as passed, in its own sentence.
    pub fn pass(&self, check: &'static Check) {
        if self.is_on() {
            self.push(check, Outcome::Passed, Cow::Borrowed(check.passes));
        }
    }

    /// Records `check` as passed, in words made only when traces are on.
    pub fn passed(&self, check: &'static Check, says: impl FnOnce() -> String) {
        if self.is_on() {
            self.push(check, Outcome::Passed, Cow::Owned(says()));
        }
    }

    /// Records `check` as the one that refused the request.
    pub fn refused(&self, check: &'static Check, says: impl FnOnce() -> String) {
        if self.is_on() {
            self.push(check, Outcome::Refused, Cow::Owned(says()));
        }
    }

    /// Records that `check` does not apply to this request, and why.
    pub fn not_applicable(&self, check: &'static Check, why: &'static str) {
        if self.is_on() {
            self.push(check, Outcome::NotApplicable, Cow::Borrowed(why));
        }
    }

    /// Lets the trace be found by `name=value` (`GET /lab/traces?state=…`).
    pub fn key(&self, name: &'static str, value: &str) {
        if let Some(record) = &self.0
            && let Ok(mut record) = record.lock()
        {
            record.keys.push((name, value.to_owned()));
        }
    }

    /// The recorder of the request `parts` belong to (off outside [`traced`]).
    pub fn of(parts: &Parts) -> Self {
        parts.extensions.get::<Self>().cloned().unwrap_or_default()
    }

    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }

    fn push(&self, check: &'static Check, outcome: Outcome, says: Cow<'static, str>) {
        if let Some(record) = &self.0
            && let Ok(mut record) = record.lock()
        {
            record.checks.push(Checked {
                check,
                outcome,
                says,
            });
        }
    }

    fn take(&self) -> Record {
        self.0
            .as_ref()
            .and_then(|record| record.lock().ok().map(|mut r| std::mem::take(&mut *r)))
            .unwrap_or_default()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Recorder {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Self::of(parts))
    }
}

/// The first characters of `secret` and an ellipsis: enough to follow one value through a
/// trace or a log, too little to use it. At most a quarter of the value, and never more
/// than four characters.
pub fn mask(secret: &str) -> String {
    let shown = (secret.chars().count() / 4).min(4);
    let head: String = secret.chars().take(shown).collect();
    format!("{head}…")
}

/// How many traces the ring keeps, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RingLimits {
    pub count: usize,
    pub age: Duration,
}

impl RingLimits {
    /// A few learners' sessions: about 1 MB at most (docs/BENCHMARKS.md measures it).
    pub const DEFAULT: Self = Self {
        count: 1_000,
        age: Duration::from_secs(30 * 60),
    };
}

/// One request as kept in the ring, in the compact form recorded; [`Kept::trace`] makes
/// the [`Trace`] a reader gets.
#[derive(Debug)]
struct Kept {
    id: String,
    at_ms: u64,
    method: Method,
    path: String,
    status: u16,
    checks: Vec<Checked>,
    keys: Vec<(&'static str, String)>,
}

impl Kept {
    /// The trace as `server` answers it.
    fn trace(&self, server: &str) -> Trace {
        Trace {
            id: self.id.clone(),
            server: server.to_owned(),
            at_ms: self.at_ms,
            method: self.method.to_string(),
            path: self.path.clone(),
            status: self.status,
            checks: self
                .checks
                .iter()
                .map(|checked| shared::trace::Check {
                    name: checked.check.name.to_owned(),
                    outcome: checked.outcome,
                    says: checked.says.clone().into_owned(),
                    rule: checked.check.rule.to_owned(),
                })
                .collect(),
        }
    }
}

/// The traces of one server: the ring, and the live stream.
pub struct Traces {
    server: &'static str,
    limits: RingLimits,
    ring: Mutex<VecDeque<Arc<Kept>>>,
    live: broadcast::Sender<Arc<Kept>>,
    /// How many `/lab/events` streams are open: without one, nothing is sent (and the
    /// channel's lock is not taken per request).
    listeners: AtomicUsize,
}

impl std::fmt::Debug for Traces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Traces")
            .field("server", &self.server)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Traces {
    /// The traces of `server` (`auth-server`, `resource-server`).
    pub fn new(server: &'static str, limits: RingLimits) -> Arc<Self> {
        let (live, _) = broadcast::channel(256);
        Arc::new(Self {
            server,
            limits,
            ring: Mutex::new(VecDeque::with_capacity(limits.count)),
            live,
            listeners: AtomicUsize::new(0),
        })
    }

    /// How many traces the ring holds now.
    pub fn len(&self) -> usize {
        self.ring.lock().map_or(0, |ring| ring.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn keep(&self, kept: Kept) {
        let kept = Arc::new(kept);
        if let Ok(mut ring) = self.ring.lock() {
            let oldest = now_ms().saturating_sub(millis(self.limits.age));
            while ring
                .front()
                .is_some_and(|front| ring.len() >= self.limits.count || front.at_ms < oldest)
            {
                ring.pop_front();
            }
            ring.push_back(Arc::clone(&kept));
        }
        if self.listeners.load(Ordering::Relaxed) > 0 {
            // A listener that left meanwhile is not an error.
            let _ = self.live.send(kept);
        }
    }

    /// The traces still young enough, oldest first, that `wanted` keeps.
    fn find(&self, wanted: impl Fn(&Kept) -> bool) -> Vec<Trace> {
        let oldest = now_ms().saturating_sub(millis(self.limits.age));
        let kept: Vec<Arc<Kept>> = self.ring.lock().map_or_else(
            |_| Vec::new(),
            |ring| {
                ring.iter()
                    .filter(|kept| kept.at_ms >= oldest && wanted(kept))
                    .cloned()
                    .collect()
            },
        );
        kept.iter().map(|kept| kept.trace(self.server)).collect()
    }

    /// `GET /lab/traces/{id}`, `GET /lab/traces[?state=…|?request_id=…]`, `GET /lab/events`.
    pub fn routes(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/lab/traces", get(list))
            .route("/lab/traces/{id}", get(one))
            .route("/lab/events", get(events))
            .with_state(Arc::clone(self))
    }
}

/// With `on` (`--lab-traces`): `router` with the trace routes (CORS as `cors`, for the SPA),
/// every other request traced as `server`. Off: `router` as it is.
pub fn lab_traces(router: Router, server: &'static str, on: bool, cors: CorsLayer) -> Router {
    if !on {
        return router;
    }
    let traces = Traces::new(server, RingLimits::DEFAULT);
    traced(router.merge(traces.routes().layer(cors)), &traces)
}

/// Wraps `router` so that every request but the lab's own (`/lab/…`, `/metrics`,
/// `/health`) is traced into `traces`.
pub fn traced(router: Router, traces: &Arc<Traces>) -> Router {
    let traces = Arc::clone(traces);
    router.layer(middleware::from_fn(move |request: Request, next: Next| {
        record(Arc::clone(&traces), request, next)
    }))
}

async fn record(traces: Arc<Traces>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path.starts_with("/lab/") || path == "/metrics" || path == "/health" {
        return next.run(request).await;
    }
    let path = path.to_owned();
    let method = request.method().clone();
    let at_ms = now_ms();
    let recorder = Recorder(Some(Arc::default()));
    request.extensions_mut().insert(recorder.clone());
    let mut response = next.run(request).await;
    let Record { checks, keys } = recorder.take();
    let id = trace_id();
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(TRACE_HEADER, value);
    }
    let kept = Kept {
        id,
        at_ms,
        method,
        path,
        status: response.status().as_u16(),
        checks,
        keys,
    };
    narrate(&kept);
    traces.keep(kept);
    response
}

/// A random prefix drawn once per process, and a counter: unique, and says nothing about
/// the request (no random bytes drawn per request).
fn trace_id() -> String {
    static PREFIX: LazyLock<String> = LazyLock::new(|| {
        let mut word = [0u8; 8];
        word.copy_from_slice(&shared::random::bytes()[..8]);
        format!("{:016x}", u64::from_le_bytes(word))
    });
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("{}{:08x}", *PREFIX, NEXT.fetch_add(1, Ordering::Relaxed))
}

/// One console line per check, coloured when the console is a terminal.
fn narrate(trace: &Kept) {
    static COLOUR: LazyLock<bool> = LazyLock::new(|| std::io::stdout().is_terminal());
    if trace.checks.is_empty() || !tracing::enabled!(tracing::Level::INFO) {
        return;
    }
    let colour = |code: &str, text: &str| {
        if *COLOUR {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    };
    for check in &trace.checks {
        let mark = match check.outcome {
            Outcome::Passed => colour("32", check.outcome.mark()),
            Outcome::Refused => colour("1;31", check.outcome.mark()),
            Outcome::NotApplicable => colour("2", check.outcome.mark()),
        };
        tracing::info!(
            "{} {} {mark} {}: {} {}",
            trace.method,
            trace.path,
            check.check.name,
            check.says,
            colour("2", &format!("({})", check.check.rule)),
        );
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
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
    match traces.find(|kept| kept.id == id).pop() {
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

/// An open `/lab/events` stream, counted in [`Traces::listeners`] while it lives.
struct Listening(Arc<Traces>);

impl Listening {
    fn new(traces: &Arc<Traces>) -> Self {
        traces.listeners.fetch_add(1, Ordering::Relaxed);
        Self(Arc::clone(traces))
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        self.0.listeners.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn events(State(traces): State<Arc<Traces>>) -> Response {
    let listening = Listening::new(&traces);
    let listener = traces.live.subscribe();
    let server = traces.server;
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
                    Ok(kept) => {
                        let trace = kept.trace(server);
                        let event = Event::default().event("trace").json_data(&trace).ok()?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_masked_value_never_contains_the_whole_secret(secret in "\\PC{1,80}") {
            let masked = mask(&secret);
            prop_assert!(!masked.contains(&secret));
            prop_assert!(masked.chars().count() <= 5);
        }
    }

    fn kept(id: &str, at_ms: u64) -> Kept {
        Kept {
            id: id.to_owned(),
            at_ms,
            method: Method::GET,
            path: "/".to_owned(),
            status: 200,
            checks: Vec::new(),
            keys: Vec::new(),
        }
    }

    #[test]
    fn the_ring_keeps_at_most_its_count_and_drops_the_oldest_first() {
        let traces = Traces::new(
            "test",
            RingLimits {
                count: 10,
                age: Duration::from_secs(60),
            },
        );
        for n in 0..1_000 {
            traces.keep(kept(&n.to_string(), now_ms()));
        }
        assert_eq!(traces.len(), 10);
        let kept = traces.find(|_| true);
        assert_eq!(kept.first().map(|t| t.id.as_str()), Some("990"));
        assert_eq!(kept.last().map(|t| t.id.as_str()), Some("999"));
    }

    #[test]
    fn the_ring_forgets_traces_older_than_its_age() {
        let traces = Traces::new(
            "test",
            RingLimits {
                count: 10,
                age: Duration::from_secs(60),
            },
        );
        traces.keep(kept("old", now_ms() - 61_000));
        assert!(traces.find(|_| true).is_empty(), "too old to be shown");
        traces.keep(kept("new", now_ms()));
        assert_eq!(traces.len(), 1, "too old to be kept");
    }

    #[test]
    fn a_recorder_that_is_off_records_nothing_and_hands_the_result_back() {
        const CHECK: Check = Check::new("c", "RFC 6749 §3.1", "fine");
        let off = Recorder::default();
        assert_eq!(off.check(&CHECK, Err::<(), _>("no")), Err("no"));
        assert!(off.take().checks.is_empty());
        let on = Recorder(Some(Arc::default()));
        assert_eq!(on.check(&CHECK, Ok::<_, &str>(1)), Ok(1));
        on.check(&CHECK, Err::<(), _>("no")).ok();
        let outcomes: Vec<Outcome> = on.take().checks.iter().map(|c| c.outcome).collect();
        assert_eq!(outcomes, [Outcome::Passed, Outcome::Refused]);
    }
}
