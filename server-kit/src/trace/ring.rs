//! The ring: the kept traces of one server, bounded in count and age, in slots made once
//! and reused (the allocator-aware part), and the live stream each kept trace goes to.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::Method;
use shared::trace::Trace;
use tokio::sync::broadcast;

use super::id::TraceId;
use super::record::{Checked, MAX_TEXT, Record, cut};

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
pub(super) struct Kept {
    pub(super) id: TraceId,
    pub(super) at_ms: u64,
    pub(super) method: Method,
    pub(super) path: String,
    pub(super) status: u16,
    pub(super) checks: Vec<Checked>,
    pub(super) keys: Vec<(&'static str, String)>,
}

/// A finished request, as [`Open::close`] hands it to the ring.
pub(super) struct Finished<'a> {
    pub(super) id: TraceId,
    pub(super) at_ms: u64,
    pub(super) method: Method,
    pub(super) path: &'a str,
    pub(super) status: u16,
    pub(super) record: &'a mut Record,
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
    pub(super) live: broadcast::Sender<Arc<str>>,
    /// How many `/lab/events` streams are open: without one, nothing is sent (and the
    /// channel's lock is not taken per request).
    pub(super) listeners: AtomicUsize,
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
    pub(super) fn keep(&self, finished: Finished<'_>) {
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
    pub(super) fn find(&self, wanted: impl Fn(&Kept) -> bool) -> Vec<Trace> {
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
}

pub(super) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

pub(super) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
