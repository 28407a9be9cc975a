//! One request of an attack: how it goes out, what its answer must be, and the card it
//! leaves; and what every attack family shares (the victim's scope, the attacker's issuer).

use leptos::prelude::*;
use shared::TokenResponse;

use crate::api::{self, Exchange};
use crate::attacks::verdict::{expect_error_page, expect_refusal, expect_success, page_text};
use crate::attacks::{Actor, Attack, Attempt, Verdict};
use crate::context::{Lab, Tokens};
use crate::timeline::Detail;

/// What the victim asks for when an attack needs an authorization.
pub(super) const VICTIM_SCOPE: &str = "openid profile read write";

/// The issuer a mix-up response names.
pub(super) const ATTACKER_ISSUER: &str = "https://attacker.example";

/// How a request of an attack goes out.
pub(super) enum Send {
    /// `GET url`, with a bearer token if given.
    Get(String, Option<String>),
    /// `GET url`, not following a redirect.
    Unfollowed(String),
    /// `POST url` with a form body.
    Form(String, String),
}

/// What the answer must be.
#[derive(Clone, Copy)]
pub(super) enum Expect {
    /// A legitimate step: 2xx.
    Success,
    /// A refusal with this status and `error`.
    Refusal(u16, &'static str),
    /// An error page, and no redirect.
    ErrorPage,
}

/// One request of an attack, and what its answer must be.
pub(super) struct Probe {
    pub(super) actor: Actor,
    pub(super) action: String,
    pub(super) send: Send,
    pub(super) expect: Expect,
}

impl Probe {
    /// Sends the request and records the card, with the verdict read from the answer.
    pub(super) async fn exchange(self, lab: Lab, attack: Attack) -> Exchange {
        let mut exchange = match self.send {
            Send::Get(url, bearer) => api::get(&url, bearer.as_deref()).await,
            Send::Unfollowed(url) => api::get_unfollowed(&url).await,
            Send::Form(url, body) => api::post_form(&url, body).await,
        };
        let verdict = match self.expect {
            Expect::Success => expect_success(&exchange),
            Expect::Refusal(status, error) => expect_refusal(&exchange, status, error),
            Expect::ErrorPage => {
                let verdict = expect_error_page(&exchange);
                exchange.response_body =
                    format!("[the page's text] {}", page_text(&exchange.response_body));
                verdict
            }
        };
        record(
            lab,
            attack,
            self.actor,
            self.action,
            Detail::Http(Box::new(exchange.clone())),
            verdict,
        );
        exchange
    }

    /// Sends the request and reads a token response from the answer, if it is one.
    pub(super) async fn tokens(self, lab: Lab, attack: Attack) -> Option<TokenResponse> {
        let exchange = self.exchange(lab, attack).await;
        exchange
            .ok()
            .then(|| serde_json::from_str(&exchange.response_body).ok())
            .flatten()
    }
}

pub(super) fn record(
    lab: Lab,
    attack: Attack,
    actor: Actor,
    action: String,
    detail: Detail,
    verdict: Verdict,
) {
    lab.attempt(Attempt {
        attack,
        actor,
        action,
        detail,
        verdict,
    });
}

/// The victim's tokens become the page's tokens (the Flow page can use them).
pub(super) fn keep(lab: Lab, tokens: Option<TokenResponse>) {
    if let Some(response) = tokens {
        lab.tokens.set(Some(Tokens {
            response,
            previous_refresh: None,
        }));
    }
}
