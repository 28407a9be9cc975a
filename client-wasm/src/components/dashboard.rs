use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::context::use_lab;
use crate::flow_steps;

/// With tokens in hand: call the resource server per scope, refresh, log out.
#[component]
pub fn Dashboard() -> impl IntoView {
    let lab = use_lab();
    let note = RwSignal::new(String::new());
    let call = move |method: &'static str, path: &'static str| {
        move |_| {
            let body = (method == "POST")
                .then(|| serde_json::json!({"text": note.get_untracked()}).to_string());
            spawn_local(flow_steps::call_api(lab, method, path, body));
        }
    };
    view! {
        {move || lab.tokens.get().map(|tokens| view! {
            <section class="card" aria-labelledby="use-title">
                <h2 id="use-title">"2. Use the tokens"</h2>
                <p>"Granted scopes: " <code id="granted-scope">{tokens.response.scope.map(|s| s.to_string()).unwrap_or_default()}</code></p>
                <div class="buttons">
                    <button type="button" id="call-profile" on:click=call("GET", "/api/profile")>"Profile (read)"</button>
                    <button type="button" id="call-notes" on:click=call("GET", "/api/notes")>"List notes (read)"</button>
                    <button type="button" id="call-admin" on:click=call("GET", "/api/admin/stats")>"Admin stats (admin)"</button>
                </div>
                <label for="note-text">"A note (1 to 1000 characters)"</label>
                <input id="note-text" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev)) />
                <button type="button" id="add-note" on:click=call("POST", "/api/notes")>"Add note (write)"</button>
                <details id="revocation-trade-off">
                    <summary>"When a token is revoked"</summary>
                    <p>"The resource server checks each token itself, by its signature and the authorization server's published keys: no request per call, so it is fast. A signature cannot say that a token was revoked, so the resource server also reads the authorization server's list of revoked tokens every half second and refuses what is on it (its check "<code>"not_revoked"</code>"). The other way, introspection ("<code>"--validation introspect"</code>"), asks the authorization server about every token: a revocation counts at once, for one more request per token (RFC 7009 §2, RFC 7662)."</p>
                </details>
                <div class="buttons">
                    <button type="button" id="refresh" class="secondary" on:click=move |_| spawn_local(flow_steps::refresh(lab))>"Refresh tokens"</button>
                    <button type="button" id="logout" class="secondary" on:click=move |_| spawn_local(flow_steps::log_out(lab))>"Log out"</button>
                </div>
            </section>
        })}
    }
}
