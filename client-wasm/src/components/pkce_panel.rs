use leptos::prelude::*;

use crate::context::use_lab;
use crate::oauth::pkce::PkceSteps;

/// PKCE step by step: the verifier of the current flow (or a sample one), its SHA-256, and
/// the challenge; after the exchange, the server's side of the check.
#[component]
pub fn PkcePanel() -> impl IntoView {
    let lab = use_lab();
    let (sample, set_sample) = signal(PkceSteps::generate());
    let steps = move || lab.pkce.get().unwrap_or_else(|| sample.get());
    view! {
        <section class="card" aria-labelledby="pkce-title">
            <h2 id="pkce-title">"PKCE, computed in your browser"</h2>
            <p>
                "The client keeps a random secret, the " <code>"code_verifier"</code>
                ", and sends only its SHA-256 hash, the " <code>"code_challenge"</code>
                ", with the authorization request. When it redeems the code it shows the verifier; "
                "someone who stole the code from the redirect does not have it (RFC 7636 §1, OAuth 2.1 §4.1.1)."
            </p>
            <dl class="steps">
                <dt>"1. code_verifier (32 random bytes, base64url)"</dt>
                <dd><code id="pkce-verifier">{move || steps().verifier}</code></dd>
                <dt>"2. SHA-256 of the verifier (hex)"</dt>
                <dd><code id="pkce-sha256">{move || steps().sha256_hex}</code></dd>
                <dt>"3. code_challenge = base64url(SHA-256), method S256"</dt>
                <dd><code id="pkce-challenge">{move || steps().challenge}</code></dd>
            </dl>
            {move || lab.tokens.get().is_some().then(|| view! {
                <p class="ok">"The token endpoint recomputed base64url(SHA-256(code_verifier)) from the verifier this tab sent; it matched the challenge it stored at /authorize, so it issued the tokens."</p>
            })}
            {move || lab.pkce.get().is_none().then(|| view! {
                <button type="button" on:click=move |_| set_sample.set(PkceSteps::generate())>
                    "Generate a new pair"
                </button>
            })}
        </section>
    }
}
