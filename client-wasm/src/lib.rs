//! The lab's browser client: a public OAuth 2.1 client (no secret: anyone can read a
//! browser's code) that protects its authorization code with PKCE, computed right here in the
//! browser with the `shared` crate.
//!
//! The OAuth logic is plain Rust in [`oauth`], testable natively and in the browser; the
//! components in [`components`] only show it.

pub mod components;
pub mod oauth;

use leptos::prelude::*;

use crate::components::pkce_panel::PkcePanel;

/// The whole application.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <header>
            <h1>"OAuth 2.1 lab"</h1>
            <p class="lede">
                "A public client doing the authorization code flow with PKCE, every step shown."
            </p>
        </header>
        <main>
            <PkcePanel />
        </main>
    }
}
