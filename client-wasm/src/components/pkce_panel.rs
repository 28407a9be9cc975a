use leptos::prelude::*;

use crate::oauth::pkce::PkceSteps;

/// Shows a PKCE pair computed in this browser, step by step, with a button for a fresh one.
#[component]
pub fn PkcePanel() -> impl IntoView {
    let (steps, set_steps) = signal(PkceSteps::generate());
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
                <dd><code id="pkce-verifier">{move || steps.get().verifier}</code></dd>
                <dt>"2. SHA-256 of the verifier (hex)"</dt>
                <dd><code id="pkce-sha256">{move || steps.get().sha256_hex}</code></dd>
                <dt>"3. code_challenge = base64url(SHA-256), method S256"</dt>
                <dd><code id="pkce-challenge">{move || steps.get().challenge}</code></dd>
            </dl>
            <button type="button" on:click=move |_| set_steps.set(PkceSteps::generate())>
                "Generate a new pair"
            </button>
        </section>
    }
}
