//! The settings of this client: where its servers are, who it is, and where it keeps the
//! pending request across the redirect.

use leptos::prelude::window;
use shared::client::ClientConfig;
use shared::demo;

use crate::timeline::Lane;

/// The lab's server on `port` of localhost, with the scheme this page was served with:
/// when the lab runs over https (`scripts/lab.sh --tls`), every server does.
fn lab_server(port: u16) -> String {
    let https = window().location().protocol().is_ok_and(|p| p == "https:");
    format!(
        "{}://localhost:{port}",
        if https { "https" } else { "http" }
    )
}

/// The lab's authorization server (the issuer).
pub fn issuer() -> String {
    lab_server(8081)
}

/// The lab's resource server.
pub fn resource_server() -> String {
    lab_server(8082)
}

/// Another resource the authorization server knows (RFC 8707); nothing listens there.
pub fn other_resource() -> String {
    lab_server(8083)
}

/// Which of the lab's parties `url` is at: the authorization server, the resource server,
/// or (anything else) this page.
pub fn lane_of(url: &str) -> Lane {
    if url.starts_with(&issuer()) {
        Lane::AuthorizationServer
    } else if url.starts_with(&resource_server()) {
        Lane::ResourceServer
    } else {
        Lane::Spa
    }
}

/// sessionStorage key of the pending authorization request.
pub const PENDING_KEY: &str = "oauth-lab.pending";
/// sessionStorage key of the authorization request's URL, to show it after the redirect.
pub const AUTHORIZE_URL_KEY: &str = "oauth-lab.authorize-url";

/// This client's configuration, on the origin the page is served from.
pub fn client_config() -> ClientConfig {
    let origin = window()
        .location()
        .origin()
        .unwrap_or_else(|_| "http://localhost:8080".to_owned());
    ClientConfig {
        client_id: demo::CLIENT_ID.to_owned(),
        redirect_uri: format!("{origin}/callback"),
        issuer: issuer(),
    }
}
