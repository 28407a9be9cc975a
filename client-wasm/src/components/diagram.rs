use std::fmt::Write as _;

use leptos::prelude::*;

use shared::jwt;
use shared::trace::{Outcome, Trace, rule_link};
use wasm_bindgen::JsCast as _;

use crate::api::Exchange;
use crate::components::message::StepDetail;
use crate::components::tokens::Claims;
use crate::timeline::{Detail, Lane, Step};

/// Width of the drawing, in its own units (it scales to the page).
const WIDTH: usize = 1000;
/// Height of one message.
const ROW: usize = 34;
/// Where the first message is drawn.
const TOP: usize = 56;

fn lane_x(lane: Lane) -> usize {
    let index = Lane::ALL.iter().position(|l| *l == lane).unwrap_or(0);
    WIDTH / 8 + index * WIDTH / 4
}

/// The steps as a sequence diagram, drawn in SVG: a lane per party, an arrow per message
/// in time order; selecting an arrow (click, or Enter on it) opens its detail below. The
/// card list stays the text alternative (and what narrow screens show).
///
/// The drawing is one string of SVG (see [`svg`]): a view per line and label would cost the
/// SPA's size budget far more than the text it draws.
#[component]
pub fn Diagram(
    /// The steps drawn.
    #[prop(into)]
    steps: Signal<Vec<Step>>,
    /// Names the drawing and its arrows (`<id>-arrow-<n>`).
    id: &'static str,
) -> impl IntoView {
    let selected = RwSignal::new(None::<usize>);
    let pick = move |target: Option<web_sys::EventTarget>| {
        let arrow = target
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest("[data-index]").ok().flatten());
        if let Some(index) = arrow
            .and_then(|a| a.get_attribute("data-index"))
            .and_then(|i| i.parse().ok())
        {
            selected.set(Some(index));
        }
    };
    view! {
        <figure class="diagram" id=id>
            <div
                inner_html=move || svg(&steps.get(), id, selected.get())
                on:click=move |ev| pick(ev.target())
                on:keydown=move |ev| if ev.key() == "Enter" || ev.key() == " " { pick(ev.target()) }
            />
            <figcaption class="hint">"Select an arrow to see the message, what the server checked, and why the step exists."</figcaption>
        </figure>
        {move || {
            let index = selected.get()?;
            let step = steps.with(|steps| steps.get(index).cloned())?;
            Some(view! { <Selected step /> })
        }}
    }
}

/// The diagram of `steps` as SVG markup; every text from a message is escaped.
pub fn svg(steps: &[Step], id: &str, selected: Option<usize>) -> String {
    let height = TOP + steps.len() * ROW + 10;
    let mut svg = format!(
        r#"<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-label="Sequence diagram of the messages; the list of steps says the same in text">"#
    );
    for lane in Lane::ALL {
        let x = lane_x(lane);
        let _ = write!(
            svg,
            r#"<text class="lane" x="{x}" y="20" text-anchor="middle">{}</text><line class="lifeline" x1="{x}" x2="{x}" y1="30" y2="{height}"/>"#,
            lane.name()
        );
    }
    for (index, step) in steps.iter().enumerate() {
        let y = TOP + index * ROW;
        let (from, to) = (lane_x(step.from), lane_x(step.to));
        let label = escape(&step.label());
        let shape = if from == to {
            // A check of its own: a note beside the lane.
            format!(
                r#"<rect class="note" x="{}" y="{}" width="16" height="16"/><text x="{}" y="{}">{label}</text>"#,
                from - 8,
                y - 12,
                from + 16,
                y + 1
            )
        } else {
            let back = if to > from { to - 10 } else { to + 10 };
            format!(
                r#"<line x1="{from}" x2="{to}" y1="{y}" y2="{y}"/><polygon points="{to},{y} {back},{} {back},{}"/><text x="{}" y="{}" text-anchor="middle">{label}</text>"#,
                y - 5,
                y + 5,
                usize::midpoint(from, to),
                y - 5
            )
        };
        let class = match (step.refused(), selected == Some(index)) {
            (true, true) => "arrow refused selected",
            (true, false) => "arrow refused",
            (false, true) => "arrow selected",
            (false, false) => "arrow",
        };
        let _ = write!(
            svg,
            r#"<g class="{class}" id="{id}-arrow-{index}" data-index="{index}" tabindex="0" role="button" aria-label="{}"><rect class="hit" x="0" y="{}" width="{WIDTH}" height="{ROW}"/>{shape}</g>"#,
            escape(&step.title),
            y - ROW / 2
        );
    }
    svg + "</svg>"
}

/// `text` safe inside SVG or HTML text and attribute values: a server's words may echo
/// what an attacker sent (a redirect URI, a scope).
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The detail of the selected message.
#[component]
fn Selected(step: Step) -> impl IntoView {
    let exchange = match &step.detail {
        Detail::Http(exchange) => Some(Exchange::clone(exchange)),
        _ => None,
    };
    view! {
        <section class="selected" aria-live="polite">
            <h3>{step.title.clone()}</h3>
            <StepDetail detail=step.detail.clone() />
            {exchange.clone().map(|exchange| view! { <Jwts exchange /> })}
            {step.trace.clone().map(|trace| view! { <Checklist trace /> })}
            <p class="why">{step.why}" "<Rules rule=step.rule /></p>
            {exchange.map(|exchange| view! { <Curl exchange /> })}
        </section>
    }
}

/// The JWTs a response carries (a token response's access and ID tokens), decoded, each
/// claim explained.
#[component]
fn Jwts(exchange: Exchange) -> impl IntoView {
    let body: Option<serde_json::Value> = serde_json::from_str(&exchange.response_body).ok();
    let tokens: Vec<(&'static str, String)> = ["access_token", "id_token"]
        .into_iter()
        .filter_map(|name| Some((name, body.as_ref()?[name].as_str()?.to_owned())))
        .collect();
    tokens
        .into_iter()
        .filter_map(|(name, token)| {
            let decoded = jwt::decode(&token)?;
            Some(view! { <h4>{name}", decoded"</h4><Claims decoded /> })
        })
        .collect_view()
}

/// What the server checked for one request, in order: ✔ passed, ✘ refused (the request
/// stopped there), – did not apply; each with the rule it enforces.
#[component]
pub fn Checklist(trace: Trace) -> impl IntoView {
    view! {
        <div class="checklist">
            <p class="hint">{format!("What the {} checked ({} {} → {}):", trace.server, trace.method, trace.path, trace.status)}</p>
            {trace.checks.is_empty().then(|| view! { <p class="hint">"No checks: this endpoint answers anyone."</p> })}
            <ol>
                {trace.checks.into_iter().map(|check| {
                    let class = match check.outcome {
                        Outcome::Passed => "check passed",
                        Outcome::Refused => "check refused",
                        Outcome::NotApplicable => "check skipped",
                    };
                    let outcome = match check.outcome {
                        Outcome::Passed => "passed",
                        Outcome::Refused => "refused: the request stopped here",
                        Outcome::NotApplicable => "not applicable",
                    };
                    let name = check.name;
                    let data = name.clone();
                    view! {
                        <li class=class data-check=data>
                            <span class="mark" title=outcome>{check.outcome.mark()}</span>" "
                            <code>{name}</code>" "{check.says}" "<Rules rule=check.rule />
                        </li>
                    }
                }).collect_view()}
            </ol>
        </div>
    }
}

/// A rule like `RFC 7636 §4.6`, linked to its text.
#[component]
pub fn Rules(#[prop(into)] rule: String) -> impl IntoView {
    match rule_link(&rule) {
        Some(href) => {
            view! { <a class="rule" href=href target="_blank" rel="noopener">"("{rule}")"</a> }
                .into_any()
        }
        None => view! { <span class="rule">"("{rule}")"</span> }.into_any(),
    }
}

/// "Copy as curl": the exact request of a back-channel call, to run it again by hand.
#[component]
fn Curl(exchange: Exchange) -> impl IntoView {
    let command = curl_of(&exchange);
    let copied = RwSignal::new(false);
    let copy = {
        let command = command.clone();
        move |_| {
            let _ = window().navigator().clipboard().write_text(&command);
            copied.set(true);
        }
    };
    view! {
        <details class="curl">
            <summary>"As curl"</summary>
            <pre class="http">{command}</pre>
        </details>
        <button type="button" class="secondary" on:click=copy>
            {move || if copied.get() { "Copied" } else { "Copy as curl" }}
        </button>
    }
}

/// `exchange`'s request as a curl command line.
pub fn curl_of(exchange: &Exchange) -> String {
    let quote = |text: &str| format!("'{}'", text.replace('\'', r"'\''"));
    let mut lines = vec![format!(
        "curl -i -X {} {}",
        exchange.method,
        quote(&exchange.url)
    )];
    for (name, value) in &exchange.request_headers {
        lines.push(format!("  -H {}", quote(&format!("{name}: {value}"))));
    }
    if let Some(body) = &exchange.request_body {
        lines.push(format!("  --data-raw {}", quote(body)));
    }
    lines.join(" \\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_server_says_cannot_become_markup() {
        assert_eq!(
            escape(r#"<img src=x onerror="alert('x')">&"#),
            "&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;"
        );
    }

    #[test]
    fn a_request_becomes_a_curl_command_with_its_headers_and_body_quoted() {
        let exchange = Exchange {
            method: "POST",
            url: "http://localhost:8081/token".to_owned(),
            request_headers: vec![(
                "Content-Type".to_owned(),
                "application/x-www-form-urlencoded".to_owned(),
            )],
            request_body: Some("code=it's".to_owned()),
            status: Some(200),
            response_headers: Vec::new(),
            response_body: String::new(),
            trace: None,
        };
        assert_eq!(
            curl_of(&exchange),
            "curl -i -X POST 'http://localhost:8081/token' \\\n  -H 'Content-Type: application/x-www-form-urlencoded' \\\n  --data-raw 'code=it'\\''s'"
        );
    }
}
