//! Decision traces (`--lab-traces`): every check a server runs on a request, recorded by the
//! code that decides, kept in a bounded ring, and shown to the learner.
//!
//! - A handler takes a [`Recorder`] (an extractor) and passes every ordered check's result
//!   through [`Recorder::check`]: the check's outcome goes into the trace on its way to the
//!   caller, so the trace cannot say something the code did not do.
//! - [`crate::served`] traces a router (the [`Tracing`] layer): each request gets a recorder; when the response is ready its
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
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::fmt::Display;
use std::future::Future;
use std::io::IsTerminal as _;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::task::{Context, Poll, ready};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, Method, Request, StatusCode, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bytes::BytesMut;
use pin_project_lite::pin_project;
use serde::Deserialize;
use shared::trace::{OneLine, Outcome, TRACE_HEADER, Trace, paint};
use tokio::sync::{broadcast, watch};
use tokio::task::futures::TaskLocalFuture;
use tower::{Layer, Service};
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

/// What one request's checks record, into the request's own record (held by [`Tracing`]
/// while the handler runs, in a task-local: no allocation or lock to share it). Off (no
/// `--lab-traces`, a request outside [`Tracing`], or [`Recorder::default`]) it records
/// nothing and costs a branch.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    on: bool,
}

tokio::task_local! {
    /// The record of the traced request whose handler is running.
    static RECORD: RefCell<Record>;
}

#[derive(Debug, Default)]
struct Record {
    checks: Vec<Checked>,
    /// Values the trace can be found by (`state`, the pending request's id); never shown.
    keys: Vec<(&'static str, String)>,
    /// Bytes of the checks' own words so far ([`SAYS_BUDGET`]).
    said: usize,
}

/// The most bytes a kept path, lookup value or check's words may have; a longer one (a
/// 15 KB path, a refused 12 KB `state`) is kept cut, with a marker saying how much went.
/// With [`SAYS_BUDGET`] and [`SAYS_PAST_BUDGET`] it bounds each kept trace to a few
/// kilobytes, whatever a request sends (`docs/security-review.md`, S3-4).
const MAX_TEXT: usize = 512;
/// The bytes of words a trace's checks may say in full; past them each says at most
/// [`SAYS_PAST_BUDGET`].
const SAYS_BUDGET: usize = 2048;
const SAYS_PAST_BUDGET: usize = 96;

/// `text` cut to at most `max` bytes (at a character's boundary) and marked, if longer.
fn cut(text: &str, max: usize) -> Cow<'_, str> {
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!(
        "{}… [{} more bytes not kept]",
        &text[..end],
        text.len() - end
    ))
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
                Ok(_) => Self::push(check, Outcome::Passed, Cow::Borrowed(check.passes)),
                Err(why) => Self::push(check, Outcome::Refused, Cow::Owned(why.to_string())),
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
                Ok(_) => Self::push(check, Outcome::Passed, Cow::Borrowed(check.passes)),
                Err(why) => Self::push(check, Outcome::Refused, Cow::Owned(says(why))),
            }
        }
        result
    }

    /// Records `check` as passed, in its own sentence.
    pub fn pass(&self, check: &'static Check) {
        if self.is_on() {
            Self::push(check, Outcome::Passed, Cow::Borrowed(check.passes));
        }
    }

    /// Records `check` as passed, in words made only when traces are on.
    pub fn passed(&self, check: &'static Check, says: impl FnOnce() -> String) {
        if self.is_on() {
            Self::push(check, Outcome::Passed, Cow::Owned(says()));
        }
    }

    /// Records `check` as the one that refused the request.
    pub fn refused(&self, check: &'static Check, says: impl FnOnce() -> String) {
        if self.is_on() {
            Self::push(check, Outcome::Refused, Cow::Owned(says()));
        }
    }

    /// Records that `check` does not apply to this request, and why.
    pub fn not_applicable(&self, check: &'static Check, why: &'static str) {
        if self.is_on() {
            Self::push(check, Outcome::NotApplicable, Cow::Borrowed(why));
        }
    }

    /// Lets the trace be found by `name=value` (`GET /lab/traces?state=…`).
    pub fn key(&self, name: &'static str, value: &str) {
        if self.on {
            // Outside a traced request's task there is nothing to record into.
            let _ = RECORD.try_with(|record| {
                record
                    .borrow_mut()
                    .keys
                    .push((name, cut(value, MAX_TEXT).into_owned()));
            });
        }
    }

    /// The recorder of the request being handled (off outside [`Tracing`]).
    pub fn current() -> Self {
        Self {
            on: RECORD.try_with(|_| ()).is_ok(),
        }
    }

    pub fn is_on(&self) -> bool {
        self.on
    }

    /// Called once [`is_on`](Self::is_on) said yes.
    fn push(check: &'static Check, outcome: Outcome, says: Cow<'static, str>) {
        // Outside a traced request's task there is nothing to record into.
        let _ = RECORD.try_with(|record| {
            let mut record = record.borrow_mut();
            // A check's own sentence is static; words made from the request are bounded.
            let says = match says {
                Cow::Owned(text) => {
                    let max = if record.said < SAYS_BUDGET {
                        MAX_TEXT
                    } else {
                        SAYS_PAST_BUDGET
                    };
                    let text = match cut(&text, max) {
                        Cow::Borrowed(_) => text,
                        Cow::Owned(shorter) => shorter,
                    };
                    record.said += text.len();
                    Cow::Owned(text)
                }
                Cow::Borrowed(text) => Cow::Borrowed(text),
            };
            record.checks.push(Checked {
                check,
                outcome,
                says,
            });
        });
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Recorder {
    type Rejection = Infallible;

    async fn from_request_parts(_: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Self::current())
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
    id: TraceId,
    at_ms: u64,
    method: Method,
    path: String,
    status: u16,
    checks: Vec<Checked>,
    keys: Vec<(&'static str, String)>,
}

/// A finished request, as [`Open::close`] hands it to the ring.
struct Finished<'a> {
    id: TraceId,
    at_ms: u64,
    method: Method,
    path: &'a str,
    status: u16,
    record: &'a mut Record,
}

impl Kept {
    /// A slot of the ring, with room for the longest list of checks an endpoint makes and a
    /// path of ordinary length.
    fn empty() -> Self {
        Self {
            id: TraceId(0),
            at_ms: 0,
            method: Method::GET,
            path: String::with_capacity(64),
            status: 0,
            checks: Vec::with_capacity(16),
            keys: Vec::new(),
        }
    }

    /// Writes `finished` into this slot, in the buffers it has; takes the record's checks
    /// and keys out of it.
    fn fill(&mut self, finished: Finished<'_>) {
        self.id = finished.id;
        self.at_ms = finished.at_ms;
        self.method = finished.method;
        self.status = finished.status;
        self.path.clear();
        self.path.push_str(&cut(finished.path, MAX_TEXT));
        self.checks.clear();
        self.checks.append(&mut finished.record.checks);
        self.keys.clear();
        self.keys.append(&mut finished.record.keys);
    }

    /// The trace as `server` answers it.
    fn trace(&self, server: &str) -> Trace {
        Trace {
            id: self.id.to_string(),
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
    ring: Mutex<Ring>,
    /// Each trace for the live stream, as the JSON every listener sends: serialized once.
    live: broadcast::Sender<Arc<str>>,
    /// How many `/lab/events` streams are open: without one, nothing is sent (and the
    /// channel's lock is not taken per request).
    listeners: AtomicUsize,
}

/// The kept traces, oldest first, and the slots free to take the next ones. Every slot is
/// made when the ring is and then reused: the ring's buffers are allocated together, once,
/// rather than scattered among the server's own short-lived allocations, which made the
/// allocator's bookkeeping cost every request about 1,500 instructions more
/// (`docs/BENCHMARKS.md`).
#[derive(Debug)]
struct Ring {
    kept: VecDeque<Kept>,
    free: Vec<Kept>,
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
            ring: Mutex::new(Ring {
                kept: VecDeque::with_capacity(limits.count),
                free: (0..limits.count).map(|_| Kept::empty()).collect(),
            }),
            live,
            listeners: AtomicUsize::new(0),
        })
    }

    /// How many traces the ring holds now.
    pub fn len(&self) -> usize {
        self.ring.lock().map_or(0, |ring| ring.kept.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keeps `finished` in the slot of the oldest trace past the ring's count or age (or a
    /// free one), and sends it to the live stream if anyone listens.
    fn keep(&self, finished: Finished<'_>) {
        // The request began a moment ago: near enough to now to age the ring by.
        let oldest = finished.at_ms.saturating_sub(millis(self.limits.age));
        let mut live = None;
        if let Ok(mut ring) = self.ring.lock() {
            let Ring { kept, free } = &mut *ring;
            while kept
                .front()
                .is_some_and(|front| kept.len() >= self.limits.count || front.at_ms < oldest)
            {
                free.extend(kept.pop_front());
            }
            let mut slot = free.pop().unwrap_or_else(Kept::empty);
            slot.fill(finished);
            if self.listeners.load(Ordering::Relaxed) > 0 {
                live = serde_json::to_string(&slot.trace(self.server))
                    .ok()
                    .map(Arc::<str>::from);
            }
            kept.push_back(slot);
        }
        if let Some(trace) = live {
            // A listener that left meanwhile is not an error.
            let _ = self.live.send(trace);
        }
    }

    /// The traces still young enough, oldest first, that `wanted` keeps.
    fn find(&self, wanted: impl Fn(&Kept) -> bool) -> Vec<Trace> {
        let oldest = now_ms().saturating_sub(millis(self.limits.age));
        self.ring.lock().map_or_else(
            |_| Vec::new(),
            |ring| {
                ring.kept
                    .iter()
                    .filter(|kept| kept.at_ms >= oldest && wanted(kept))
                    .map(|kept| kept.trace(self.server))
                    .collect()
            },
        )
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

/// Traces every request but the lab's own (`/lab/…`, `/metrics`, `/health`) into its
/// [`Traces`]; only with `--lab-traces` (without, [`crate::served`] adds no such layer). A
/// service of its own rather than `axum::middleware::from_fn`, which boxes every request's
/// future and clones the inner service for it: a traced request costs its record (in
/// [`RECORD`]), its id and the kept trace.
#[derive(Debug, Clone)]
pub(crate) struct Tracing(pub(crate) Arc<Traces>);

impl<S> Layer<S> for Tracing {
    type Service = TracedService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        TracedService {
            inner,
            traces: Arc::clone(&self.0),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct TracedService<S> {
    inner: S,
    traces: Arc<Traces>,
}

impl<S, B, E> Service<Request<B>> for TracedService<S>
where
    S: Service<Request<B>, Response = Response, Error = E>,
{
    type Response = Response;
    type Error = E;
    type Future = Recording<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), E>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let path = request.uri().path();
        if path.starts_with("/lab/") || path == "/metrics" || path == "/health" {
            return Recording::Untraced {
                inner: self.inner.call(request),
            };
        }
        let open = Open {
            traces: Arc::clone(&self.traces),
            method: request.method().clone(),
            uri: request.uri().clone(),
            at_ms: now_ms(),
        };
        let record = RefCell::new(Record {
            checks: SPARE.take(),
            keys: Vec::new(),
            said: 0,
        });
        Recording::Traced {
            inner: RECORD.scope(record, self.inner.call(request)),
            open: Some(open),
        }
    }
}

pin_project! {
    /// A request's response on its way; a traced one's handler runs with its record at hand
    /// ([`RECORD`]), and when the response is ready the trace is closed.
    #[project = RecordingProjection]
    pub(crate) enum Recording<F> {
        Traced {
            #[pin]
            inner: TaskLocalFuture<RefCell<Record>, F>,
            open: Option<Open>,
        },
        Untraced {
            #[pin]
            inner: F,
        },
    }
}

/// What a traced request's trace holds before its response.
struct Open {
    traces: Arc<Traces>,
    method: Method,
    /// Shares the request's bytes, and lets them go with the response.
    uri: Uri,
    at_ms: u64,
}

impl<F, E> Future for Recording<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            RecordingProjection::Untraced { inner } => inner.poll(cx),
            RecordingProjection::Traced { mut inner, open } => {
                let mut response = ready!(inner.as_mut().poll(cx))?;
                if let Some(open) = open.take() {
                    let record = inner.take_value().map(RefCell::into_inner);
                    open.close(record.unwrap_or_default(), &mut response);
                }
                Poll::Ready(Ok(response))
            }
        }
    }
}

impl Open {
    /// Gives `response` its trace id, narrates the trace and keeps it.
    fn close(self, mut record: Record, response: &mut Response) {
        static HEADER: HeaderName = HeaderName::from_static(TRACE_HEADER);
        let id = TraceId::next();
        if let Some(value) = id.header_value() {
            response.headers_mut().insert(&HEADER, value);
        }
        narrate(&self.method, self.uri.path(), &record.checks);
        self.traces.keep(Finished {
            id,
            at_ms: self.at_ms,
            method: self.method,
            path: self.uri.path(),
            status: response.status().as_u16(),
            record: &mut record,
        });
        // Emptied by the ring, with its room kept for this thread's next traced request.
        SPARE.set(record.checks);
    }
}

thread_local! {
    /// The buffer this thread's next traced request records its checks into.
    static SPARE: Cell<Vec<Checked>> = const { Cell::new(Vec::new()) };
}

/// A trace's id: a random prefix drawn once per process, and a counter. Unique, and says
/// nothing about the request (no random bytes drawn per request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TraceId(u32);

impl TraceId {
    const LEN: usize = 24;

    fn next() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(1);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// This process's prefix: 8 random bytes in 16 hex digits, written once.
    fn prefix() -> &'static [u8; 16] {
        static PREFIX: LazyLock<[u8; 16]> = LazyLock::new(|| {
            let mut prefix = [0u8; 16];
            hex_into(&mut prefix, &shared::random::bytes()[..8]);
            prefix
        });
        &PREFIX
    }

    /// The id as written: the prefix, then 8 hex digits of the counter.
    fn text(self) -> [u8; Self::LEN] {
        let mut text = [0u8; Self::LEN];
        text[..16].copy_from_slice(Self::prefix());
        hex_into(&mut text[16..], &self.0.to_be_bytes());
        text
    }

    /// The id as the `x-lab-trace` header's value. The values are cut from one buffer per
    /// thread, so a header costs no allocation of its own (a 4 KiB buffer serves 170).
    fn header_value(self) -> Option<HeaderValue> {
        thread_local! {
            static IDS: RefCell<BytesMut> = RefCell::new(BytesMut::new());
        }
        IDS.with_borrow_mut(|ids| {
            if ids.capacity() < Self::LEN {
                *ids = BytesMut::with_capacity(4096);
            }
            ids.extend_from_slice(&self.text());
            HeaderValue::from_maybe_shared(ids.split().freeze()).ok()
        })
    }

    /// The id `text` names, if it is one of this process's.
    fn parse(text: &str) -> Option<Self> {
        let (prefix, counter) = text.split_at_checked(16)?;
        (prefix.as_bytes() == Self::prefix() && counter.len() == 8)
            .then(|| u32::from_str_radix(counter, 16).ok().map(Self))
            .flatten()
    }
}

/// Writes `bytes` into `out` in lower-case hex, two digits a byte.
fn hex_into(out: &mut [u8], bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (pair, byte) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0xf)];
    }
}

impl Display for TraceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(std::str::from_utf8(&self.text()).unwrap_or_default())
    }
}

/// One console line per check, coloured when the console is a terminal.
fn narrate(method: &Method, path: &str, checks: &[Checked]) {
    static COLOUR: LazyLock<bool> = LazyLock::new(|| std::io::stdout().is_terminal());
    if checks.is_empty() || !tracing::enabled!(tracing::Level::INFO) {
        return;
    }
    for check in checks {
        tracing::info!(
            "{method} {} {} {}: {} {}",
            OneLine(path),
            check.outcome.painted(*COLOUR),
            check.check.name,
            OneLine(&check.says),
            paint("2", &format!("({})", check.check.rule), *COLOUR),
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

    fn keep(traces: &Traces, id: u32, at_ms: u64) {
        traces.keep(Finished {
            id: TraceId(id),
            at_ms,
            method: Method::GET,
            path: "/",
            status: 200,
            record: &mut Record::default(),
        });
    }

    #[test]
    fn the_lab_routes_know_the_servers_own_names_and_loopback_and_no_other() {
        let own = OwnHosts::of("https://lab.example:8443");
        for host in [
            "localhost:8081",
            "127.0.0.1:8082",
            "[::1]:8081",
            "LOCALHOST",
            "lab.example:443",
        ] {
            assert!(own.allows(host), "{host}");
        }
        for host in [
            "rebind.attacker.example:8081",
            "localhost.attacker.example",
            "127.0.0.1.nip.io:8081",
            "[::2]:8081",
            "",
        ] {
            assert!(!own.allows(host), "{host}");
        }
    }

    #[test]
    fn a_long_path_or_refusal_is_kept_cut_and_marked() {
        let long = "a".repeat(15_000);
        let kept = cut(&long, MAX_TEXT);
        assert!(kept.len() < MAX_TEXT + 40, "{}", kept.len());
        assert!(kept.ends_with("… [14488 more bytes not kept]"), "{kept}");
        assert_eq!(
            cut("é".repeat(300).as_str(), 511).len() % 2,
            0,
            "cut at a boundary"
        );
        assert!(matches!(cut("/token", MAX_TEXT), Cow::Borrowed("/token")));
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
            keep(&traces, n, now_ms());
        }
        assert_eq!(traces.len(), 10);
        let kept = traces.find(|_| true);
        assert_eq!(
            kept.first().map(|t| t.id.clone()),
            Some(TraceId(990).to_string())
        );
        assert_eq!(
            kept.last().map(|t| t.id.clone()),
            Some(TraceId(999).to_string())
        );
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
        keep(&traces, 1, now_ms() - 61_000);
        assert!(traces.find(|_| true).is_empty(), "too old to be shown");
        keep(&traces, 2, now_ms());
        assert_eq!(traces.len(), 1, "too old to be kept");
    }

    #[test]
    fn a_trace_id_is_read_back_from_its_text_and_no_other_text_names_it() {
        let id = TraceId(0x1234_abcd);
        let text = id.to_string();
        assert_eq!(text.len(), TraceId::LEN);
        assert!(text.ends_with("1234abcd"));
        assert_eq!(TraceId::parse(&text), Some(id));
        assert_eq!(TraceId::parse(&format!("{text}0")), None, "too long");
        assert_eq!(
            TraceId::parse(&format!(
                "{:016x}1234abcd",
                u64::from_str_radix(&text[..16], 16).unwrap_or(0) ^ 1
            )),
            None,
            "another process"
        );
        assert_eq!(TraceId::parse("é"), None);
    }

    #[test]
    fn each_header_value_is_its_own_id_across_the_buffers_they_are_cut_from() {
        let values: Vec<(TraceId, HeaderValue)> = (0..1_000)
            .map(|n| {
                (
                    TraceId(n),
                    TraceId(n).header_value().expect("hex is a header value"),
                )
            })
            .collect();
        for (id, value) in values {
            assert_eq!(value.to_str().ok(), Some(id.to_string().as_str()));
        }
    }

    #[test]
    fn a_recorder_that_is_off_records_nothing_and_hands_the_result_back() {
        const CHECK: Check = Check::new("c", "RFC 6749 §3.1", "fine");
        let recorded = |recorder: fn() -> Recorder| {
            let record = RefCell::new(Record::default());
            RECORD.sync_scope(record, || {
                let recorder = recorder();
                assert_eq!(recorder.check(&CHECK, Ok::<_, &str>(1)), Ok(1));
                assert_eq!(recorder.check(&CHECK, Err::<(), _>("no")), Err("no"));
                RECORD.with(|record| record.take().checks)
            })
        };
        assert!(
            recorded(Recorder::default).is_empty(),
            "off in a traced request"
        );
        let outcomes: Vec<Outcome> = recorded(Recorder::current)
            .iter()
            .map(|checked| checked.outcome)
            .collect();
        assert_eq!(outcomes, [Outcome::Passed, Outcome::Refused]);
        assert!(!Recorder::current().is_on(), "outside a traced request");
    }
}
