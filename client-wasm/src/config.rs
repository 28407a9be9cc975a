//! The settings of this client: where its servers are, who it is, and where it keeps the
//! pending request across the redirect.

use leptos::prelude::window;
use shared::client::ClientConfig;
use shared::demo;

/// The lab's authorization server (the issuer) and resource server.
pub const ISSUER: &str = "http://localhost:8081";
pub const RESOURCE_SERVER: &str = "http://localhost:8082";
/// Another resource the authorization server knows (RFC 8707); nothing listens there.
pub const OTHER_RESOURCE: &str = "http://localhost:8083";

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
        issuer: ISSUER.to_owned(),
    }
}
