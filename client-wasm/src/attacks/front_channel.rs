//! Attacks on the front channel, decided before any token exists: a forged callback (CSRF,
//! attack 3), a response from another issuer (mix-up, attack 7), a PKCE downgrade (attack
//! 2) and a changed redirect URI (attack 6).

use leptos::prelude::*;
use shared::client::{self as flow};
use shared::form::form_encode;
use shared::{AuthorizationCode, ScopeSet};

use crate::attacks::probe::{ATTACKER_ISSUER, Expect, Probe, Send, VICTIM_SCOPE, record};
use crate::attacks::verdict::expect_error_redirect;
use crate::attacks::{Actor, Attack, AttackLeg};
use crate::browser::{discover, remember};
use crate::config::client_config;
use crate::context::Lab;
use crate::oauth::forge;
use crate::timeline::Detail;

/// Attacks 3 and 7: this tab has a login under way (a real pending request), and the
/// browser lands on `/callback` with what the attacker made up. The client's own callback
/// handling decides.
pub(super) async fn forge_callback(lab: Lab, attack: Attack) {
    let Some(metadata) = discover(lab).await else {
        return;
    };
    let Ok(scope) = VICTIM_SCOPE.parse::<ScopeSet>() else {
        return;
    };
    let config = client_config();
    let mut request =
        flow::authorization_request(&config, &metadata.authorization_endpoint, &scope);
    let forged_state = "forged-by-the-attacker".to_owned();
    let (state, issuer) = match attack {
        Attack::MixUp => (request.pending.state.secret().to_owned(), ATTACKER_ISSUER),
        _ => (forged_state, config.issuer.as_str()),
    };
    // Stands for a code the attacker got for their own account: the client must refuse
    // before it sends it anywhere, so its value does not matter.
    let code = AuthorizationCode::generate();
    let url = format!(
        "{}?{}",
        config.redirect_uri,
        form_encode(&[("code", code.secret()), ("state", &state), ("iss", issuer)])
    );
    request.pending.extra = serde_json::to_value(AttackLeg::first(attack)).ok();
    if remember(lab, &request.pending) {
        let _ = window().location().set_href(&url);
    }
}

pub(super) fn downgrade_card(lab: Lab, leg_number: usize, answer: &str) {
    let action = if leg_number == 0 {
        "Ask for a code with code_challenge_method=plain (the challenge is the verifier itself)"
    } else {
        "Ask for a code with no code_challenge at all"
    };
    record(
        lab,
        Attack::PkceDowngrade,
        Actor::Attacker,
        action.to_owned(),
        Detail::Url(answer.to_owned()),
        expect_error_redirect(answer, "invalid_request"),
    );
}

/// Attack 6: the real authorization request, with the redirect URI changed three ways.
/// Read with `fetch` (the authorization server lets the lab's origin read `/authorize`
/// answers, without cookies), so the page can show that no redirect happened.
pub(super) async fn redirect_uri(lab: Lab) {
    let attack = Attack::RedirectUri;
    let Some(metadata) = discover(lab).await else {
        return;
    };
    let Ok(scope) = VICTIM_SCOPE.parse::<ScopeSet>() else {
        return;
    };
    let config = client_config();
    let request = flow::authorization_request(&config, &metadata.authorization_endpoint, &scope);
    let registered = config.redirect_uri;
    let variants = [
        ("an extra path", format!("{registered}/attacker")),
        ("another port", "http://localhost:8666/callback".to_owned()),
        ("the attacker's host", format!("{ATTACKER_ISSUER}/callback")),
    ];
    for (what, uri) in variants {
        let link = Probe {
            actor: Actor::Attacker,
            action: format!(
                "A link to the real authorization endpoint with redirect_uri = {uri} ({what})"
            ),
            send: Send::Unfollowed(forge::with_params(
                &request.url,
                &[("redirect_uri", Some(&uri))],
            )),
            expect: Expect::ErrorPage,
        };
        link.exchange(lab, attack).await;
    }
}
