//! What every handler can reach.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use sqlx::SqlitePool;

use crate::validate::Validator;

#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub db: SqlitePool,
    pub validator: Arc<Validator>,
    pub stats: Arc<Counters>,
    /// This server's resource identifier, and the issuer it trusts.
    pub audience: String,
    pub issuer: String,
}

/// Requests allowed and refused since start.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub allowed: AtomicU64,
    pub refused: AtomicU64,
}
