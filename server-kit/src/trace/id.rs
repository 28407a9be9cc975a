//! A trace's id, and its `x-lab-trace` header value, made without an allocation per
//! request.

use std::cell::RefCell;
use std::fmt::Display;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU32, Ordering};

use axum::http::HeaderValue;
use bytes::BytesMut;

/// A trace's id: a random prefix drawn once per process, and a counter. Unique, and says
/// nothing about the request (no random bytes drawn per request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TraceId(pub(super) u32);

impl TraceId {
    pub(super) const LEN: usize = 24;

    pub(super) fn next() -> Self {
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
    pub(super) fn header_value(self) -> Option<HeaderValue> {
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
    pub(super) fn parse(text: &str) -> Option<Self> {
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
