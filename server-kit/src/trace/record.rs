//! Recording a request's checks: the [`Recorder`] each handler passes its checks' results
//! through, into the request's own record (a task-local the [`super::Tracing`] layer
//! opens), bounded in size whatever the request sends.

use std::borrow::Cow;
use std::cell::RefCell;
use std::convert::Infallible;
use std::fmt::Display;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use shared::trace::Outcome;

use super::check::Check;

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
    pub(super) static RECORD: RefCell<Record>;
}

#[derive(Debug, Default)]
pub(super) struct Record {
    pub(super) checks: Vec<Checked>,
    /// Values the trace can be found by (`state`, the pending request's id); never shown.
    pub(super) keys: Vec<(&'static str, String)>,
    /// Bytes of the checks' own words so far ([`SAYS_BUDGET`]).
    pub(super) said: usize,
}

/// The most bytes a kept path, lookup value or check's words may have; a longer one (a
/// 15 KB path, a refused 12 KB `state`) is kept cut, with a marker saying how much went.
/// With [`SAYS_BUDGET`] and [`SAYS_PAST_BUDGET`] it bounds each kept trace to a few
/// kilobytes, whatever a request sends (`docs/security-review.md`, S3-4).
pub(super) const MAX_TEXT: usize = 512;
/// The bytes of words a trace's checks may say in full; past them each says at most
/// [`SAYS_PAST_BUDGET`].
const SAYS_BUDGET: usize = 2048;
const SAYS_PAST_BUDGET: usize = 96;

/// `text` cut to at most `max` bytes (at a character's boundary) and marked, if longer.
pub(super) fn cut(text: &str, max: usize) -> Cow<'_, str> {
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
pub(super) struct Checked {
    pub(super) check: &'static Check,
    pub(super) outcome: Outcome,
    pub(super) says: Cow<'static, str>,
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
