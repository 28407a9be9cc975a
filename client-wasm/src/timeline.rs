//! The flow's steps as the page shows them: one arrow of the sequence diagram and one card
//! per message, with why it exists and what the server checked.

use shared::trace::Trace;

use crate::api::Exchange;

/// Who takes part in the flow: the lanes of the sequence diagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// The user's browser: it goes where it is sent (the front channel).
    Browser,
    /// This page: the OAuth client (the back channel is its `fetch` calls).
    Spa,
    AuthorizationServer,
    ResourceServer,
}

impl Lane {
    pub const ALL: [Self; 4] = [
        Self::Browser,
        Self::Spa,
        Self::AuthorizationServer,
        Self::ResourceServer,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Browser => "User's browser",
            Self::Spa => "This SPA (client)",
            Self::AuthorizationServer => "Authorization server",
            Self::ResourceServer => "Resource server",
        }
    }
}

/// What a card shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    /// A front-channel step: the URL the browser went to or came back with.
    Url(String),
    /// A back-channel call, as it really went.
    Http(Box<Exchange>),
    /// The client refused to go on; why.
    Refused(String),
    /// A check the client made itself, and what it found.
    Checked(String),
}

/// One step of the flow: an arrow of the diagram, and a card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub title: String,
    /// Two or three sentences: what happened and why the rule exists.
    pub why: &'static str,
    /// Where the rule comes from.
    pub rule: &'static str,
    pub detail: Detail,
    /// Who sent the message, and to whom (the same lane: a check of its own).
    pub from: Lane,
    pub to: Lane,
    /// What the server checked to answer it (with `--lab-traces` on the server).
    pub trace: Option<Trace>,
}

impl Step {
    /// A back-channel call of this page to the server `to`; the server's trace comes with
    /// the exchange.
    pub fn call(
        title: impl Into<String>,
        why: &'static str,
        rule: &'static str,
        exchange: Exchange,
        to: Lane,
    ) -> Self {
        Self {
            title: title.into(),
            why,
            rule,
            trace: exchange.trace.clone(),
            detail: Detail::Http(Box::new(exchange)),
            from: Lane::Spa,
            to,
        }
    }

    /// A check this page made itself.
    pub fn own_check(
        title: impl Into<String>,
        why: &'static str,
        rule: &'static str,
        detail: Detail,
    ) -> Self {
        Self {
            title: title.into(),
            why,
            rule,
            detail,
            from: Lane::Spa,
            to: Lane::Spa,
            trace: None,
        }
    }

    /// The arrow's label: method, path and status.
    pub fn label(&self) -> String {
        match (&self.detail, &self.trace) {
            (Detail::Http(exchange), _) => {
                format!(
                    "{} {} → {}",
                    exchange.method,
                    path_of(&exchange.url),
                    exchange.status_text()
                )
            }
            (_, Some(trace)) => format!("{} {} → {}", trace.method, trace.path, trace.status),
            (Detail::Url(url), None) => format!("GET {}", path_of(url)),
            (Detail::Refused(_) | Detail::Checked(_), None) => self.title.clone(),
        }
    }

    /// Whether the step ended in a refusal (the server's, or the client's own).
    pub fn refused(&self) -> bool {
        matches!(self.detail, Detail::Refused(_))
            || self
                .trace
                .as_ref()
                .is_some_and(|t| t.refused_by().is_some())
            || matches!(&self.detail, Detail::Http(exchange) if !exchange.ok())
    }
}

/// The path of `url`, without its query.
pub fn path_of(url: &str) -> &str {
    let (_, rest) = crate::api::split_origin(url);
    match rest.split('?').next() {
        Some("") | None => "/",
        Some(path) => path,
    }
}
