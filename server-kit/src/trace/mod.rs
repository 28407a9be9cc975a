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

mod check;
mod id;
mod layer;
mod narrate;
mod record;
mod ring;
mod routes;

pub use check::{Check, bearer};
pub(crate) use layer::Tracing;
pub use record::Recorder;
pub use ring::{RingLimits, Traces};
pub(crate) use routes::stop_streams;
pub use routes::{MAX_LISTENERS, OwnHosts, lab_traces};

/// The first characters of `secret` and an ellipsis: enough to follow one value through a
/// trace or a log, too little to use it. At most a quarter of the value, and never more
/// than four characters.
pub fn mask(secret: &str) -> String {
    let shown = (secret.chars().count() / 4).min(4);
    let head: String = secret.chars().take(shown).collect();
    format!("{head}…")
}

#[cfg(test)]
mod tests;
