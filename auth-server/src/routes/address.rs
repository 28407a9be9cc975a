//! Who sent the request, for the throttles of `protocol/throttle.rs`.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::state::AppState;

/// The address of the client that sent the request: the TCP peer, or, when the peer is a
/// configured `--trusted-proxy`, the last address in `X-Forwarded-For` that is not itself a
/// trusted proxy (the header is a list each proxy appends to; entries left of the first
/// untrusted one were written by the client and prove nothing).
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
        if !trusted.contains(&peer) {
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
