//! The lab's browser client: a public OAuth 2.1 client (no secret: anyone can read a
//! browser's code) that protects its authorization code with PKCE, computed right here in the
//! browser with the `shared` crate, and shows every step of the flow.
//!
//! The OAuth logic is plain Rust in [`oauth`], testable natively and in the browser; the
//! components in [`components`] only show it. The URL is the source of truth: `/callback`
//! with `?code&state&iss` is the authorization response.

pub mod api;
pub mod components;
pub mod flow_steps;
pub mod lab;
pub mod oauth;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::dashboard::Dashboard;
use crate::components::pkce_panel::PkcePanel;
use crate::components::start::Start;
use crate::components::timeline::Timeline;
use crate::components::tokens::TokenView;
use crate::lab::Lab;

/// The whole application.
#[component]
pub fn App() -> impl IntoView {
    let lab = Lab::new();
    provide_context(lab);
    let location = window().location();
    if location.pathname().is_ok_and(|path| path == "/callback") {
        let query = location.search().unwrap_or_default();
        // The code must not stay in the address bar or the history.
        if let Ok(history) = window().history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/"));
        }
        spawn_local(flow_steps::callback(lab, query));
    }
    view! {
        <header>
            <h1>"OAuth 2.1 lab"</h1>
            <p class="lede">
                "A public client doing the authorization code flow with PKCE, every step shown."
            </p>
        </header>
        <main>
            {move || lab.notice.get().map(|notice| view! { <p class="notice" role="alert">{notice}</p> })}
            <Start />
            <Dashboard />
            <TokenView />
            <PkcePanel />
            <Timeline />
        </main>
    }
}
