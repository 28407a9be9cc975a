use leptos::prelude::*;

use crate::components::diagram::{Checklist, Diagram, Rules};
use crate::components::message::StepDetail;
use crate::context::use_lab;
use crate::timeline::Step;

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
