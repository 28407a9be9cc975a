//! What every handler can reach.

use std::sync::Arc;

use sqlx::SqlitePool;

use crate::keys::SigningKeys;

/// Settings derived once from the configuration.
#[derive(Debug)]
pub(crate) struct Settings {
    pub issuer: String,
    pub default_resource: String,
    pub code_ttl: i64,
    pub access_token_ttl: i64,
    pub refresh_token_ttl: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub db: SqlitePool,
    pub keys: Arc<SigningKeys>,
    pub settings: Arc<Settings>,
}
