//! The app's shared state (one small `Copy` context, as leptos examples do) and the settings
//! of this client.

use leptos::prelude::*;
use shared::{AuthorizationServerMetadata, TokenResponse};

use crate::attacks::Attempt;
use crate::oauth::flow::{ClientConfig, Pending};
use crate::timeline::Step;

/// The lab's authorization server (the issuer) and resource server.
pub const ISSUER: &str = "http://localhost:8081";
pub const RESOURCE_SERVER: &str = "http://localhost:8082";
pub const CLIENT_ID: &str = "demo-client";
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
        client_id: CLIENT_ID.to_owned(),
        redirect_uri: format!("{origin}/callback"),
        issuer: ISSUER.to_owned(),
    }
}

/// Tokens, kept in memory only: a reload forgets them, by design (nothing for a script
/// injected later to find in storage).
#[derive(Debug, Clone)]
pub struct Tokens {
    pub response: TokenResponse,
    /// The refresh token this one replaced, now dead, to show the rotation.
    pub previous_refresh: Option<String>,
}

/// The two pages of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// The authorization code flow, step by step.
    Flow,
    /// The attacks OAuth 2.1 stops, run for real.
    Attacks,
}

/// The app-wide context.
#[derive(Debug, Clone, Copy)]
pub struct Lab {
    pub timeline: RwSignal<Vec<Step>>,
    pub tokens: RwSignal<Option<Tokens>>,
    pub metadata: RwSignal<Option<AuthorizationServerMetadata>>,
    /// The PKCE pair of the current flow, for the PKCE panel.
    pub pending: RwSignal<Option<Pending>>,
    /// A message for the user (server down, refused callback, ...).
    pub notice: RwSignal<Option<String>>,
    pub page: RwSignal<Page>,
    /// The cards of the attacks run on this page.
    pub attempts: RwSignal<Vec<Attempt>>,
}

impl Lab {
    pub fn new() -> Self {
        Self {
            timeline: RwSignal::new(Vec::new()),
            tokens: RwSignal::new(None),
            metadata: RwSignal::new(None),
            pending: RwSignal::new(None),
            notice: RwSignal::new(None),
            page: RwSignal::new(Page::Flow),
            attempts: RwSignal::new(Vec::new()),
        }
    }

    pub fn push(&self, step: Step) {
        self.timeline.update(|steps| steps.push(step));
    }

    pub fn attempt(&self, attempt: Attempt) {
        self.attempts.update(|attempts| attempts.push(attempt));
    }
}

impl Default for Lab {
    fn default() -> Self {
        Self::new()
    }
}

/// The `Lab` context; every component below `App` has it.
pub fn use_lab() -> Lab {
    expect_context::<Lab>()
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
