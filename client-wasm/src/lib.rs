//! The lab's browser client: a public OAuth 2.1 client (no secret: anyone can read a
//! browser's code) that protects its authorization code with PKCE, computed right here in the
//! browser with the `shared` crate, and shows every step of the flow.
//!
//! The OAuth logic is plain Rust in [`oauth`], testable natively and in the browser; the
//! components in [`components`] only show it. The URL is the source of truth: `/callback`
//! with `?code&state&iss` is the authorization response.

pub mod api;
pub mod attacks;
pub mod browser;
pub mod components;
pub mod config;
pub mod context;
pub mod flow_steps;
pub mod oauth;
pub mod timeline;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::attacks::Attacks;
use crate::components::dashboard::Dashboard;
use crate::components::pkce_panel::PkcePanel;
use crate::components::start::Start;
use crate::components::timeline::{FlowDiagram, Timeline};
use crate::components::tokens::TokenView;
use crate::context::{Lab, Page};

/// The whole application.
#[component]
pub fn App() -> impl IntoView {
    let lab = Lab::new();
    provide_context(lab);
    let location = window().location();
    if location.hash().is_ok_and(|hash| hash == "#attacks") {
        lab.page.set(Page::Attacks);
    }
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
        <nav class="tabs" aria-label="Pages">
            <a href="#flow" id="tab-flow" class:current=move || lab.page.get() == Page::Flow
                on:click=move |_| lab.page.set(Page::Flow)>"The flow"</a>
            <a href="#attacks" id="tab-attacks" class:current=move || lab.page.get() == Page::Attacks
                on:click=move |_| lab.page.set(Page::Attacks)>"Attacks"</a>
        </nav>
        <main>
            {move || lab.notice.get().map(|notice| view! { <p class="notice" role="alert">{notice}</p> })}
            // Both pages stay mounted; the tab only shows one.
            <div hidden=move || lab.page.get() != Page::Flow>
                <Start />
                <Dashboard />
                <FlowDiagram />
                <TokenView />
                <PkcePanel />
                <Timeline />
            </div>
            <div hidden=move || lab.page.get() != Page::Attacks>
                <Attacks />
            </div>
        </main>
    }
}
