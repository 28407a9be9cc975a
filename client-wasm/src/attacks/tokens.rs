//! Attacks on an access token: the resource server must refuse every forgery and replay.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::jwt;

use crate::attacks::probe::{Expect, Probe, Send, record};
use crate::attacks::{Actor, Attack, Verdict};
use crate::browser::discover;
use crate::browser::now_secs;
use crate::config::resource_server;
use crate::context::Lab;
use crate::oauth::forge;
use crate::timeline::Detail;
use std::time::Duration;

use shared::jwt::LEEWAY_SECS;

/// Attacks on an access token: the resource server must refuse each forgery.
pub(super) async fn with_token(lab: Lab, attack: Attack, token: String) {
    let profile = format!("{}/api/profile", resource_server());
    let invalid_token = Expect::Refusal(401, "invalid_token");
    let attacker = |action: &str, send| Probe {
        actor: Actor::Attacker,
        action: action.to_owned(),
        send,
        expect: invalid_token,
    };
    match attack {
        Attack::TamperedToken => {
            if let Some(forged) = forge::with_added_scope(&token, "admin") {
                attacker(
                    "Add admin to the token's scope claim, keep the signature, and call the admin endpoint",
                    Send::Get(format!("{}/api/admin/stats", resource_server()), Some(forged)),
                )
                .tokens(lab, attack)
                .await;
            }
        }
        Attack::ForgedAlgorithm => {
            if let Some(unsigned) = forge::unsigned(&token) {
                attacker(
                    "Send the same claims with alg: none and no signature",
                    Send::Get(profile.clone(), Some(unsigned)),
                )
                .tokens(lab, attack)
                .await;
            }
            let Some(metadata) = discover(lab).await else {
                return;
            };
            let download = Probe {
                actor: Actor::Attacker,
                action: "Download the authorization server's public key: the JWKS is public"
                    .to_owned(),
                send: Send::Get(metadata.jwks_uri, None),
                expect: Expect::Success,
            };
            let jwks = download.exchange(lab, attack).await;
            let kid = jwt::decode(&token)
                .and_then(|d| d.header["kid"].as_str().map(str::to_owned))
                .unwrap_or_default();
            if let Some(forged) = forge::public_key_of(&jwks.response_body, &kid)
                .and_then(|key| forge::signed_hs256_with(&token, &key))
            {
                attacker(
                    "Sign the claims with HS256, using that public key as the HMAC secret",
                    Send::Get(profile, Some(forged)),
                )
                .tokens(lab, attack)
                .await;
            }
        }
        Attack::WrongAudience => {
            let audience = jwt::decode(&token)
                .map(|d| d.claims["aud"].to_string())
                .unwrap_or_default();
            attacker(
                &format!(
                    "Present this real token, aud = {audience}, to the resource server at {}",
                    resource_server()
                ),
                Send::Get(profile, Some(token)),
            )
            .tokens(lab, attack)
            .await;
        }
        Attack::TokenInUrl => {
            let in_url = Probe {
                actor: Actor::Attacker,
                action: "Send the access token in the query string, with no Authorization header"
                    .to_owned(),
                send: Send::Get(format!("{profile}?access_token={token}"), None),
                expect: Expect::Refusal(400, "invalid_request"),
            };
            in_url.tokens(lab, attack).await;
        }
        Attack::ExpiredToken => replay_after_expiry(lab, token),
        _ => {}
    }
}

/// Attack 11: waits until the token has expired (beyond the resource server's leeway),
/// then replays it.
fn replay_after_expiry(lab: Lab, token: String) {
    let attack = Attack::ExpiredToken;
    let exp = jwt::decode(&token)
        .and_then(|d| d.claims["exp"].as_i64())
        .unwrap_or_default();
    let wait = (exp + LEEWAY_SECS + 1 - now_secs()).max(0);
    let replay = Probe {
        actor: Actor::Attacker,
        action: "Replay a real access token after it has expired".to_owned(),
        send: Send::Get(format!("{}/api/profile", resource_server()), Some(token)),
        expect: Expect::Refusal(401, "invalid_token"),
    };
    record(
        lab,
        attack,
        Actor::Attacker,
        replay.action.clone(),
        Detail::Url(format!(
            "exp = {exp}; the resource server tolerates {LEEWAY_SECS} s of clock skew"
        )),
        Verdict::Waiting(format!(
            "the page replays the token in {wait} s; keep it open"
        )),
    );
    set_timeout(
        move || {
            spawn_local(async move {
                lab.attempts.update(|attempts| {
                    attempts.retain(|a| {
                        a.attack != attack || !matches!(a.verdict, Verdict::Waiting(_))
                    });
                });
                replay.exchange(lab, attack).await;
            });
        },
        Duration::from_secs(wait.unsigned_abs()),
    );
}
