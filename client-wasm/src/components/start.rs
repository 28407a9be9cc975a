use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::ScopeSet;
use shared::scope::KNOWN_SCOPES;

use crate::context::use_lab;
use crate::flow_steps;

/// Picks the scopes and starts the authorization code flow.
#[component]
pub fn Start() -> impl IntoView {
    let lab = use_lab();
    let chosen = RwSignal::new(vec![
        "openid".to_owned(),
        "profile".to_owned(),
        "read".to_owned(),
        "write".to_owned(),
    ]);
    let start = move |_| {
        let scope: Result<ScopeSet, _> = chosen.get_untracked().join(" ").parse();
        match scope {
            Ok(scope) => spawn_local(flow_steps::start(lab, scope)),
            Err(_) => lab.notice.set(Some("Pick at least one scope.".to_owned())),
        }
    };
    view! {
        <section class="card" aria-labelledby="start-title">
            <h2 id="start-title">"1. Log in with the authorization server"</h2>
            {move || lab.tokens.get().is_none().then(|| view! {
                <p class="hint">"Tokens live in this page's memory only: a reload forgets them, by design. Log in again to get new ones."</p>
            })}
            <fieldset>
                <legend>"Scopes to ask for"</legend>
                {KNOWN_SCOPES.iter().map(|(name, description)| {
                    let name = (*name).to_owned();
                    let id = format!("scope-{name}");
                    let checked = chosen.get_untracked().contains(&name);
                    let toggle = {
                        let name = name.clone();
                        move |_| chosen.update(|c| if c.contains(&name) { c.retain(|s| s != &name) } else { c.push(name.clone()) })
                    };
                    view! {
                        <div class="scope">
                            <input type="checkbox" id=id.clone() checked=checked on:change=toggle />
                            <label for=id><code>{name.clone()}</code>" "{*description}</label>
                        </div>
                    }
                }).collect_view()}
            </fieldset>
            <button type="button" id="start-login" on:click=start>"Log in"</button>
        </section>
    }
}
