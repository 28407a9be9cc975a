//! What every handler can reach.

use std::net::IpAddr;
use std::sync::Arc;

use server_kit::db::Db;

use crate::config::ClientDocuments;
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
    /// Any resource on this machine is known too (`--any-loopback-resource`).
    pub any_loopback_resource: bool,
    pub code_ttl: i64,
    pub access_token_ttl: i64,
    pub refresh_token_ttl: i64,
    pub dynamic_registration: bool,
    /// Which URL `client_id`s name a metadata document (`--client-metadata-documents`).
    pub client_metadata_documents: ClientDocuments,
    /// Proxies whose `X-Forwarded-For` names the client (`throttle::ClientAddress`).
    pub trusted_proxies: Vec<IpAddr>,
}

impl Settings {
    /// RFC 8707 §2: the `resource` a client asked for, or the default. `None` when the
    /// server does not know it (`invalid_target`). Known: a configured resource, compared
    /// exactly, or with `--any-loopback-resource` any resource on this machine.
    pub(crate) fn resource<'a>(&'a self, requested: Option<&'a str>) -> Option<&'a str> {
        let Some(uri) = requested else {
            return Some(&self.default_resource);
        };
        if let Some(known) = self.resources.iter().find(|known| *known == uri) {
            return Some(known);
        }
        if self.any_loopback_resource && is_loopback_resource(uri) {
            tracing::info!(
                resource = uri,
                "a resource on this machine, accepted (--any-loopback-resource)"
            );
            return Some(uri);
        }
        None
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

/// An absolute `http` or `https` URI on 127.0.0.1, [::1] or localhost, written as a URL
/// parser reads it (a bare origin may omit the final `/`), without credentials or a fragment
/// (RFC 8707 §2: "MUST NOT include a fragment component").
fn is_loopback_resource(uri: &str) -> bool {
    let Ok(url) = url::Url::parse(uri) else {
        return false;
    };
    let as_parsed = url.as_str() == uri || (url.path() == "/" && url.as_str() == format!("{uri}/"));
    as_parsed
        && matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(shared::is_loopback_host)
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none()
}
