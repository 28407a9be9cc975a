//! What every handler can reach.

use std::collections::HashSet;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use server_kit::db::Db;

use crate::validate::Validator;

#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub db: Db,
    pub validator: Arc<Validator>,
    pub stats: Arc<Counters>,
    /// This server's resource identifier, and the issuer it trusts (shared, not copied:
    /// the state is cloned for every request).
    pub audience: Arc<str>,
    pub issuer: Arc<str>,
}

/// Requests allowed and refused since start, and the users seen by this process.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub allowed: AtomicU64,
    pub refused: AtomicU64,
    seen: Mutex<HashSet<String>>,
}

impl AppState {
    /// True the first time this process sees `sub` (then it is written to `users_seen`).
    pub(crate) fn first_sight(&self, sub: &str) -> bool {
        self.stats
            .seen
            .lock()
            .map_or(true, |mut seen| seen.insert(sub.to_owned()))
    }
}
