//! The tower layer that traces a router's requests: each gets a record while its handler
//! runs; when its response is ready, the trace gets its id, is narrated and kept.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use axum::http::{HeaderName, Method, Request, Uri};
use axum::response::Response;
use pin_project_lite::pin_project;
use shared::trace::TRACE_HEADER;
use tokio::task::futures::TaskLocalFuture;
use tower::{Layer, Service};

use super::id::TraceId;
use super::narrate::narrate;
use super::record::{Checked, RECORD, Record};
use super::ring::{Finished, Traces, now_ms};

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
