//! What a message carried, shown the same way in the cards, the diagram's detail and the
//! attacks: a URL, a request and its response, a refusal; and secrets, masked.

use leptos::prelude::*;
use shared::jwt::mask;

use crate::api::Exchange;
use crate::timeline::Detail;

/// What a card shows: a URL, an HTTP exchange, or why the client refused.
#[component]
pub fn StepDetail(
    /// The detail shown.
    detail: Detail,
) -> impl IntoView {
    match detail {
        Detail::Url(url) => view! { <p><code class="url">{url}</code></p> }.into_any(),
        Detail::Http(exchange) => {
            let exchange = *exchange;
            view! { <HttpExchange exchange /> }.into_any()
        }
        Detail::Refused(why) => view! { <p class="refused">{why}</p> }.into_any(),
        Detail::Checked(what) => view! { <p class="ok">{what}</p> }.into_any(),
    }
}

/// A request and its response as they went.
#[component]
fn HttpExchange(
    /// The exchange to show.
    exchange: Exchange,
) -> impl IntoView {
    let status = exchange.status_text();
    let explanation = exchange.header("www-authenticate").map(str::to_owned);
    view! {
            <pre class="http">{format!("{} {}", exchange.method, exchange.url)}
    {exchange.request_headers.iter().map(|(n, v)| format!("\n{n}: {v}")).collect::<Vec<_>>().concat()}
    {exchange.request_body.map(|b| format!("\n\n{b}")).unwrap_or_default()}</pre>
            <p class="status">"→ " <strong class="http-status">{status}</strong></p>
            {explanation.map(|e| view! { <p class="refused">"WWW-Authenticate: "{e}</p> })}
            <pre class="http">{exchange.response_body}</pre>
        }
}

/// A secret, partly masked; a click shows it whole.
#[component]
pub fn Secret(
    /// The secret value.
    value: String,
) -> impl IntoView {
    let shown = RwSignal::new(false);
    let masked = mask(&value);
    view! {
        <p class="secret">
            <code>{move || if shown.get() { value.clone() } else { masked.clone() }}</code>" "
            <button type="button" class="link" on:click=move |_| shown.update(|s| *s = !*s)>
                {move || if shown.get() { "hide" } else { "reveal" }}
            </button>
        </p>
    }
}
