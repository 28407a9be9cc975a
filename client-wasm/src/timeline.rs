//! The flow's steps as the timeline shows them: one card per message, with why it exists.

use crate::api::Exchange;

/// What a timeline card shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    /// A front-channel step: the URL the browser went to or came back with.
    Url(String),
    /// A back-channel call, as it really went.
    Http(Exchange),
    /// The client refused to go on; why.
    Refused(String),
}

/// One card of the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub title: String,
    /// Two or three sentences: what happened and why the rule exists.
    pub why: &'static str,
    /// Where the rule comes from.
    pub rule: &'static str,
    pub detail: Detail,
}
