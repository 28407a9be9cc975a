//! What every handler can reach.

use std::sync::Arc;

use server_kit::db::Db;

use crate::keys::SigningKeys;

/// Settings derived once from the configuration.
#[derive(Debug)]
pub(crate) struct Settings {
    pub issuer: String,
    /// The audience of tokens when the client names no resource.
    pub default_resource: String,
    /// Every resource a client may name with `resource` (RFC 8707), the default first.
    pub resources: Vec<String>,
    pub code_ttl: i64,
    pub access_token_ttl: i64,
    pub refresh_token_ttl: i64,
    pub dynamic_registration: bool,
}

impl Settings {
    /// RFC 8707 §2: the `resource` a client asked for, or the default. `None` when the
    /// server does not know it (`invalid_target`).
    pub(crate) fn resource(&self, requested: Option<&str>) -> Option<&str> {
        match requested {
            None => Some(&self.default_resource),
            Some(uri) => self
                .resources
                .iter()
                .map(String::as_str)
                .find(|known| *known == uri),
        }
    }

    /// How long a replaced signing key stays published: the lifetime of the tokens it
    /// signed (access and ID tokens live as long), plus a minute for clocks that disagree
    /// (a resource server allows 30 s).
    pub(crate) fn key_retirement(&self) -> i64 {
        self.access_token_ttl.saturating_add(60)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub db: Db,
    pub keys: Arc<SigningKeys>,
    pub settings: Arc<Settings>,
}
