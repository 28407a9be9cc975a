//! Runs the attacks for real against the running servers: where each starts, and how it
//! goes on at `/callback` after the victim's authorization. The families (`front_channel`,
//! `codes`, `tokens`) do the attacker's requests; each is a `probe`.

use leptos::prelude::*;
use shared::client::{self as flow, CallbackRefusal, Pending};
use shared::{AuthorizationCode, ScopeSet};

use crate::attacks::codes::with_code;
use crate::attacks::front_channel::{downgrade_card, forge_callback, redirect_uri};
use crate::attacks::probe::{ATTACKER_ISSUER, VICTIM_SCOPE, record};
use crate::attacks::tokens::with_token;
use crate::attacks::{Actor, Attack, AttackLeg, Needs, Verdict};
use crate::browser::{discover, leave};
use crate::config::{client_config, other_resource};
use crate::context::{Lab, Page};
use crate::oauth::forge;
use crate::timeline::Detail;

/// Runs `attack` from the start; its earlier cards are dropped.
pub async fn run(lab: Lab, attack: Attack) {
    lab.attempts
        .update(|attempts| attempts.retain(|a| a.attack != attack));
    let token = lab
        .tokens
        .get_untracked()
        .map(|t| t.response.access_token.secret().to_owned());
    match (attack.needs(), token) {
        (Needs::FreshAuthorization, _) | (Needs::AccessToken, None) => {
            leave_for_authorization(lab, AttackLeg::first(attack)).await;
        }
        (Needs::AccessToken, Some(token)) => with_token(lab, attack, token).await,
        (Needs::Nothing, _) => match attack {
            Attack::RedirectUri => redirect_uri(lab).await,
            _ => forge_callback(lab, attack).await,
        },
    }
}

/// Sends the browser to the authorization endpoint for the attack: the victim logs in and
/// approves (the PKCE-downgrade request is refused before that).
pub(super) async fn leave_for_authorization(lab: Lab, leg: AttackLeg) {
    let Some(metadata) = discover(lab).await else {
        return;
    };
    let Ok(scope) = VICTIM_SCOPE.parse::<ScopeSet>() else {
        return;
    };
    let mut request =
        flow::authorization_request(&client_config(), &metadata.authorization_endpoint, &scope);
    let verifier = request.pending.code_verifier.secret().to_owned();
    let url = match leg.attack {
        // `plain`: the challenge is the verifier itself.
        Attack::PkceDowngrade if leg.earlier.is_empty() => forge::with_params(
            &request.url,
            &[
                ("code_challenge", Some(&verifier)),
                ("code_challenge_method", Some("plain")),
            ],
        ),
        Attack::PkceDowngrade => forge::with_params(
            &request.url,
            &[("code_challenge", None), ("code_challenge_method", None)],
        ),
        Attack::WrongAudience => {
            forge::with_params(&request.url, &[("resource", Some(&other_resource()))])
        }
        _ => request.url.clone(),
    };
    request.pending.extra = serde_json::to_value(leg).ok();
    leave(lab, &url, &request.pending);
}

/// At `/callback`, an attack goes on where it left.
pub async fn resume(
    lab: Lab,
    leg: AttackLeg,
    pending: &Pending,
    query: &str,
    checked: Result<AuthorizationCode, CallbackRefusal>,
) {
    lab.page.set(Page::Attacks);
    let attack = leg.attack;
    let answer = format!("{}{query}", client_config().redirect_uri);
    match (attack, checked) {
        (Attack::CallbackCsrf | Attack::MixUp, checked) => {
            let verdict = match (attack, checked) {
                (Attack::CallbackCsrf, Err(refusal @ CallbackRefusal::StateMismatch))
                | (Attack::MixUp, Err(refusal @ CallbackRefusal::IssuerMismatch { .. })) => {
                    Verdict::Stopped(format!("refused before any token request: {refusal}"))
                }
                (_, Err(refusal)) => {
                    Verdict::NotStopped(format!("refused, but for another reason: {refusal}"))
                }
                (_, Ok(_)) => Verdict::NotStopped("the client accepted the response".to_owned()),
            };
            let action = if attack == Attack::MixUp {
                format!(
                    "The browser lands on /callback with this tab's state, but iss = {ATTACKER_ISSUER}"
                )
            } else {
                "The browser lands on /callback with the attacker's code and a state this tab never sent".to_owned()
            };
            record(
                lab,
                attack,
                Actor::Attacker,
                action,
                Detail::Url(answer),
                verdict,
            );
        }
        (Attack::PkceDowngrade, _) => {
            for (leg_number, earlier) in leg.earlier.iter().enumerate() {
                downgrade_card(lab, leg_number, earlier);
            }
            downgrade_card(lab, leg.earlier.len(), &answer);
            if leg.earlier.is_empty() {
                let mut next = leg;
                next.earlier.push(answer);
                leave_for_authorization(lab, next).await;
            }
        }
        (_, Ok(code)) => with_code(lab, attack, &code, pending).await,
        (_, Err(refusal)) => record(
            lab,
            attack,
            Actor::Victim,
            "Log in and approve, to get a code".to_owned(),
            Detail::Refused(refusal.to_string()),
            Verdict::Failed("no code came back, so the attack cannot go on".to_owned()),
        ),
    }
}
