//! What every handler can reach.

use std::net::IpAddr;
use std::sync::Arc;

use server_kit::db::Db;

use crate::protocol::keys::SigningKeys;
use crate::protocol::password::Passwords;

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
    /// Proxies whose `X-Forwarded-For` names the client (`throttle::ClientAddress`).
    pub trusted_proxies: Vec<IpAddr>,
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

    /// The audience `/userinfo` requires: tokens that carry `openid` are issued for it
    /// beside their resource (RFC 9068 §4, RFC 8707), so a token meant for a resource
    /// server cannot be replayed here unless it was also meant for here.
    pub(crate) fn userinfo_audience(&self) -> String {
        format!("{}/userinfo", self.issuer)
    }

    /// Behind https the session cookie is `Secure` and named with the `__Host-` prefix
    /// (RFC 6265bis §4.1.3.2: sent only over https, only to this host, for every path).
    pub(crate) fn secure_cookies(&self) -> bool {
        self.issuer.starts_with("https://")
    }
}

#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub db: Db,
    pub keys: Arc<SigningKeys>,
    pub settings: Arc<Settings>,
    pub passwords: Arc<Passwords>,
}
