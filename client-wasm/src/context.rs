//! The app's shared state: one small `Copy` context, as leptos examples do.

use leptos::prelude::*;
use shared::{AuthorizationServerMetadata, TokenResponse};

use crate::attacks::Attempt;
use crate::oauth::pkce::PkceSteps;
use crate::timeline::Step;

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
    pub pkce: RwSignal<Option<PkceSteps>>,
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
            pkce: RwSignal::new(None),
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
