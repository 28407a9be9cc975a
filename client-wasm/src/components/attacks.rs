use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::attacks::runner;
use crate::attacks::{Attack, Attempt, Needs, Verdict};
use crate::components::diagram::{Checklist, Diagram};
use crate::components::message::StepDetail;
use crate::context::use_lab;
use crate::timeline::Detail;

/// The Attacks page: each attack, a button that runs it against the real servers, and its
/// cards.
#[component]
pub fn Attacks() -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="attacks-title">
            <h2 id="attacks-title">"Attacks OAuth 2.1 stops"</h2>
            <p>
                "Each button performs the attack for real against the running servers. Every card shows what was sent "
                "and what came back; the verdict is read from that answer, so the page cannot claim a defence the servers did not make."
            </p>
            <p class="hint">
                "Some attacks need a victim with a fresh authorization: the page leaves for the authorization server, "
                "you log in (alice / password123) and approve, and the attack goes on when you are back."
            </p>
        </section>
        {Attack::ALL.into_iter().map(|attack| view! { <AttackCard attack /> }).collect_view()}
    }
}

/// One attack: what it is, the rule, the button, and the cards of its last run.
#[component]
fn AttackCard(
    /// The attack shown.
    attack: Attack,
) -> impl IntoView {
    let lab = use_lab();
    let text = attack.description();
    let attempts = move || {
        lab.attempts
            .get()
            .into_iter()
            .filter(|a| a.attack == attack)
            .collect::<Vec<_>>()
    };
    let leaves = match attack.needs() {
        Needs::FreshAuthorization => Some("leaves the page: log in and approve as the victim"),
        Needs::AccessToken => Some("uses this page's access token, or logs in first"),
        Needs::Nothing => None,
    };
    view! {
        <section class="card attack" id=format!("attack-{}", attack.slug())>
            <h2>{format!("{}. {}", attack.number(), text.title)}</h2>
            <p>{text.scenario}</p>
            <button type="button" id=format!("run-{}", attack.slug())
                on:click=move |_| spawn_local(runner::run(lab, attack))>
                "Run the attack"
            </button>
            {leaves.map(|why| view! { <span class="hint">" ("{why}")"</span> })}
            {move || (!attempts().is_empty()).then(|| {
                let steps = Signal::derive(move || attempts().iter().map(Attempt::step).collect::<Vec<_>>());
                view! { <Diagram steps id=attack.slug() /> }
            })}
            <ol class="timeline">
                {move || attempts().into_iter().map(|attempt| view! { <AttemptCard attempt /> }).collect_view()}
            </ol>
            <dl class="rule-box">
                <dt>"The rule that stops it"</dt>
                <dd>{text.rule}" "<span class="rule">"("{text.spec}")"</span></dd>
                <dt>"Without the rule"</dt>
                <dd>{text.without}</dd>
            </dl>
        </section>
    }
}

/// One request of an attack, and the verdict on its answer.
#[component]
fn AttemptCard(
    /// The attempt shown.
    attempt: Attempt,
) -> impl IntoView {
    let actor = attempt.actor.name();
    let (class, verdict) = match attempt.verdict {
        Verdict::Stopped(how) => ("verdict stopped", format!("Stopped: {how}")),
        Verdict::NotStopped(what) => ("verdict not-stopped", format!("NOT stopped: {what}")),
        Verdict::Done => ("verdict done", "Done".to_owned()),
        Verdict::Failed(why) => ("verdict failed", format!("Failed: {why}")),
        Verdict::Waiting(when) => ("verdict waiting", format!("Waiting: {when}")),
    };
    let trace = match &attempt.detail {
        Detail::Http(exchange) => exchange.trace.clone(),
        _ => None,
    };
    view! {
        <li class="step attempt">
            <h3><span class="actor">{actor}": "</span>{attempt.action}</h3>
            <StepDetail detail=attempt.detail />
            {trace.map(|trace| view! { <Checklist trace /> })}
            <p class=class>{verdict}</p>
        </li>
    }
}
