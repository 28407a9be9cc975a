//! What the app does with the browser itself, for the flow and the attacks alike: read the
//! discovery document (once), remember the pending request in sessionStorage and leave for
//! the authorization server; the browser's storage and clock.

use leptos::prelude::*;
use shared::AuthorizationServerMetadata;
use shared::client::Pending;

use crate::api;
use crate::config::{AUTHORIZE_URL_KEY, PENDING_KEY, client_config};
use crate::context::Lab;
use crate::timeline::{Lane, Step};

/// Reads the discovery document (RFC 8414 §3): every endpoint comes from it.
pub async fn discover(lab: Lab) -> Option<AuthorizationServerMetadata> {
    if let Some(metadata) = lab.metadata.get_untracked() {
        return Some(metadata);
    }
    let exchange = api::get(
        &format!(
            "{}/.well-known/oauth-authorization-server",
            client_config().issuer
        ),
        None,
    )
    .await;
    let metadata = exchange
        .ok()
        .then(|| serde_json::from_str(&exchange.response_body).ok())
        .flatten();
    lab.push(Step::call(
        "Discovery: read the authorization server's metadata",
        "The client hard-codes only the issuer. Every endpoint, and the methods the server supports (S256, iss in the response), comes from this document.",
        "RFC 8414 §3",
        exchange,
        Lane::AuthorizationServer,
    ));
    if metadata.is_none() {
        lab.notice.set(Some(format!(
            "The authorization server at {} does not answer. Start the lab with: bash scripts/lab.sh",
            client_config().issuer
        )));
    }
    lab.metadata.set(metadata.clone());
    metadata
}

/// Remembers `pending` and the authorization request's URL (to show it after the
/// redirect), and sends the browser to it.
pub fn leave(lab: Lab, url: &str, pending: &Pending) {
    if remember(lab, pending)
        && session_storage().is_some_and(|s| s.set_item(AUTHORIZE_URL_KEY, url).is_ok())
    {
        let _ = window().location().set_href(url);
    }
}

/// Keeps `pending` in sessionStorage (never localStorage) for the callback; says so if the
/// browser will not.
pub fn remember(lab: Lab, pending: &Pending) -> bool {
    let stored = serde_json::to_string(pending).unwrap_or_default();
    let kept = session_storage().is_some_and(|s| s.set_item(PENDING_KEY, &stored).is_ok());
    if !kept {
        lab.notice.set(Some(
            "This browser gives no usable sessionStorage; the flow cannot remember its PKCE verifier."
                .to_owned(),
        ));
    }
    kept
}

/// sessionStorage, if the browser gives it.
pub fn session_storage() -> Option<web_sys::Storage> {
    window().session_storage().ok().flatten()
}

/// Whole seconds since the Unix epoch, from the browser's clock.
#[expect(
    clippy::cast_possible_truncation,
    reason = "whole seconds are meant; the value fits easily"
)]
pub fn now_secs() -> i64 {
    let millis = window()
        .performance()
        .map_or(0.0, |p| p.time_origin() + p.now());
    (millis / 1000.0) as i64
}
