//! What every handler can reach.

use std::collections::HashSet;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, OnceLock};

use server_kit::db::Db;

use crate::metadata::Protected;
use crate::validate::Validator;

#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub db: Db,
    /// Set once the authorization server has been found (`discovery::connect`).
    pub validator: Arc<OnceLock<Validator>>,
    pub stats: Arc<Counters>,
    /// The issuer this server trusts (shared, not copied: the state is cloned for every
    /// request).
    pub issuer: Arc<str>,
    /// The notes API under `/api`.
    pub api: Protected,
    /// The MCP endpoint, `/mcp` ([`crate::mcp`]): a resource of its own, so a token for one
    /// is refused by the other (RFC 8707).
    pub mcp: Protected,
}

/// Requests allowed and refused since start, and the users seen by this process.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub allowed: AtomicU64,
    pub refused: AtomicU64,
    seen: Mutex<HashSet<String>>,
}

/// At most this many subjects are remembered in memory; past it the memory starts over
/// (`users_seen` is written with `ON CONFLICT DO NOTHING`, so seeing someone "again" costs
/// one idempotent write). Subjects are users and operator-configured clients only: a
/// self-registered client cannot get a token of its own (`client_credentials`).
const SEEN_CAPACITY: usize = 10_000;

impl Counters {
    /// True the first time this process sees `sub` (then it is written to `users_seen`).
    pub(crate) fn first_sight(&self, sub: &str) -> bool {
        self.seen.lock().map_or(true, |mut seen| {
            if seen.len() >= SEEN_CAPACITY && !seen.contains(sub) {
                seen.clear();
            }
            seen.insert(sub.to_owned())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memory_of_subjects_seen_is_bounded() {
        let counters = Counters::default();
        for n in 0..=SEEN_CAPACITY {
            assert!(counters.first_sight(&format!("sub-{n}")));
        }
        assert!(counters.seen.lock().expect("lock").len() <= SEEN_CAPACITY);
        assert!(
            !counters.first_sight(&format!("sub-{SEEN_CAPACITY}")),
            "still remembered"
        );
    }
}
