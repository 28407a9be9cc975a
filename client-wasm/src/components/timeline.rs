use leptos::prelude::*;
use shared::jwt::mask;

use crate::api::Exchange;
use crate::components::diagram::{Checklist, Diagram, Rules};
use crate::context::use_lab;
use crate::timeline::{Detail, Step};

/// The flow as it really went, as a sequence diagram (once there is something to draw).
#[component]
pub fn FlowDiagram() -> impl IntoView {
    let lab = use_lab();
    let steps = Signal::derive(move || lab.timeline.get());
    move || {
        (!lab.timeline.with(Vec::is_empty)).then(|| {
            view! {
                <section class="card diagram-card" aria-labelledby="diagram-title">
                    <h2 id="diagram-title">"The flow, as it went"</h2>
                    <Diagram steps id="flow-diagram" />
                </section>
            }
        })
    }
}

/// Every step as a card (the text alternative to the diagram, and what narrow screens
/// show): what went over the wire, what the server checked, and why the rule exists.
#[component]
pub fn Timeline() -> impl IntoView {
    let lab = use_lab();
    view! {
        <section class="card" aria-labelledby="timeline-title">
            <h2 id="timeline-title">"The flow, step by step"</h2>
            <ol class="timeline" id="timeline">
                {move || lab.timeline.get().into_iter().map(|step| view! { <Card step /> }).collect_view()}
            </ol>
        </section>
    }
}

/// One step.
#[component]
fn Card(
    /// The step to show.
    step: Step,
) -> impl IntoView {
    view! {
        <li class="step">
            <h3>{step.title}</h3>
            <StepDetail detail=step.detail />
            {step.trace.map(|trace| view! { <Checklist trace /> })}
            <p class="why">{step.why}" "<Rules rule=step.rule /></p>
        </li>
    }
}

/// What a card shows: a URL, an HTTP exchange, or why the client refused.
#[component]
pub fn StepDetail(
    /// The detail shown.
    detail: Detail,
) -> impl IntoView {
    match detail {
        Detail::Url(url) => view! { <p><code class="url">{url}</code></p> }.into_any(),
        Detail::Http(exchange) => view! { <HttpExchange exchange /> }.into_any(),
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
