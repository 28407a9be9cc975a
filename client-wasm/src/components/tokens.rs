use leptos::prelude::*;
use shared::jwt::{self, DecodedJwt};

use crate::browser::now_secs;
use crate::components::message::Secret;
use crate::context::use_lab;

/// The tokens, decoded, each claim explained.
#[component]
pub fn TokenView() -> impl IntoView {
    let lab = use_lab();
    view! {
        {move || lab.tokens.get().map(|tokens| {
            let access = tokens.response.access_token.secret().to_owned();
            let id_token = tokens.response.id_token.clone();
            let refresh = tokens.response.refresh_token.as_ref().map(|t| t.secret().to_owned());
            view! {
                <section class="card" aria-labelledby="tokens-title">
                    <h2 id="tokens-title">"Your tokens (in memory only)"</h2>
                    <h3>"Access token (a JWT for the resource server)"</h3>
                    <Secret value=access.clone() />
                    {jwt::decode(&access).map(|decoded| view! { <Claims decoded /> })}
                    {id_token.map(|token| view! {
                        <h3>"ID token (for this client: who logged in)"</h3>
                        <Secret value=token.clone() />
                        {jwt::decode(&token).map(|decoded| view! { <Claims decoded /> })}
                    })}
                    {refresh.map(|token| view! {
                        <h3>"Refresh token (opaque)"</h3>
                        <Secret value=token />
                    })}
                    {tokens.previous_refresh.map(|old| view! {
                        <div class="hint rotated">"Rotated: the previous refresh token is now dead on the server: "<Secret value=old /></div>
                    })}
                </section>
            }
        })}
    }
}

/// A decoded JWT: header, and each claim with what it means.
#[component]
pub fn Claims(
    /// The JWT to show.
    decoded: DecodedJwt,
) -> impl IntoView {
    let DecodedJwt { header, claims } = decoded;
    let expiry = claims["exp"].as_i64();
    let claims: Vec<(String, String)> = match claims {
        serde_json::Value::Object(object) => object
            .into_iter()
            .map(|(k, v)| (k, v.to_string()))
            .collect(),
        _ => Vec::new(),
    };
    view! {
        <p class="hint">"Header: " <code>{header.to_string()}</code></p>
        {expiry.map(|exp| view! { <Countdown exp /> })}
        <dl class="claims">
            {claims.into_iter().map(|(name, value)| view! {
                <dt><code>{name.clone()}</code>" = "<code>{value}</code></dt>
                <dd>{jwt::explain_claim(&name)}</dd>
            }).collect_view()}
        </dl>
    }
}

/// Seconds left until `exp`, ticking.
#[component]
fn Countdown(
    /// Expiry, seconds since the Unix epoch.
    exp: i64,
) -> impl IntoView {
    let left = RwSignal::new(exp - now_secs());
    if let Ok(handle) = set_interval_with_handle(
        move || left.set(exp - now_secs()),
        std::time::Duration::from_secs(1),
    ) {
        on_cleanup(move || handle.clear());
    }
    view! {
        <p class="expiry">
            {move || match left.get() {
                secs if secs > 0 => format!("Expires in {secs} s."),
                _ => "Expired: the resource server now refuses it; refresh to get a new one.".to_owned(),
            }}
        </p>
    }
}
