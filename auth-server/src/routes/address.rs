//! Who sent the request, for the throttles of `protocol/throttle.rs`.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::state::AppState;

/// The address of the client that sent the request: the TCP peer, or, when the peer is a
/// configured `--trusted-proxy` (and the request carries its `--trusted-proxy-secret`, if
/// one is set), the last address in `X-Forwarded-For` that is not itself a trusted proxy
/// (the header is a list each proxy appends to; entries left of the first untrusted one
/// were written by the client and prove nothing).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientAddress(pub IpAddr);

impl ClientAddress {
    pub(crate) fn as_string(self) -> String {
        self.0.to_string()
    }
}

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |info| info.0.ip());
        let trusted = &state.settings.trusted_proxies;
        if !trusted.contains(&peer) || !carries_proxy_secret(parts, state) {
            return Ok(Self(peer));
        }
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        let client = forwarded
            .iter()
            .rev()
            .map(|entry| entry.parse::<IpAddr>().ok())
            .find(|ip| ip.is_none_or(|ip| !trusted.contains(&ip)));
        // An unreadable entry where the client should be: fall back to the proxy itself.
        Ok(Self(client.flatten().unwrap_or(peer)))
    }
}

/// The header the trusted proxy proves itself with.
const PROXY_SECRET_HEADER: &str = "x-lab-proxy-secret";

/// Whether the request carries the trusted proxy's secret, when one is configured: a local
/// process connecting straight to a replica from the proxy's own address (127.0.0.1) does
/// not know it, so it cannot pick its own `X-Forwarded-For` (`docs/security-review.md`,
/// S3-18). Compared in constant time.
fn carries_proxy_secret(parts: &Parts, state: &AppState) -> bool {
    use subtle::ConstantTimeEq as _;
    let Some(secret) = state.settings.trusted_proxy_secret.as_deref() else {
        return true;
    };
    parts
        .headers
        .get(PROXY_SECRET_HEADER)
        .is_some_and(|sent| sent.as_bytes().ct_eq(secret.as_bytes()).into())
}
