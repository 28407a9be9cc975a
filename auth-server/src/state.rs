//! What every handler can reach.

use std::net::IpAddr;
use std::sync::Arc;

use server_kit::db::Db;

use crate::config::ClientDocuments;
use crate::protocol::keys::SigningKeys;
use crate::protocol::password::Passwords;
use crate::protocol::resources::Registry;

/// Settings derived once from the configuration.
#[derive(Debug)]
pub(crate) struct Settings {
    pub issuer: String,
    /// The resources a client may name with `resource` (RFC 8707).
    pub resources: Registry,
    pub code_ttl: i64,
    pub access_token_ttl: i64,
    pub refresh_token_ttl: i64,
    pub dynamic_registration: bool,
    /// Which URL `client_id`s name a metadata document (`--client-metadata-documents`).
    pub client_metadata_documents: ClientDocuments,
    /// Proxies whose `X-Forwarded-For` names the client (`throttle::ClientAddress`).
    pub trusted_proxies: Vec<IpAddr>,
    /// What the trusted proxy proves itself with, if set (`--trusted-proxy-secret`).
    pub trusted_proxy_secret: Option<String>,
    /// Roots trusted when fetching client metadata documents, besides the public ones
    /// (`--trust-ca`).
    pub trusted_roots: Vec<reqwest::Certificate>,
}

impl Settings {
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
