//! Attacks that start from a real authorization code, fresh from the victim's
//! authorization: a stolen code (attack 1), a replayed code (attack 4), a replayed refresh
//! token (attack 5); the token attacks go on from the code's tokens.

use shared::client::{self as flow, ClientConfig, Pending};
use shared::form::form_encode;
use shared::{AuthorizationCode, CodeVerifier};

use crate::attacks::probe::{Expect, Probe, Send, keep};
use crate::attacks::tokens::with_token;
use crate::attacks::{Actor, Attack};
use crate::browser::discover;
use crate::config::{client_config, other_resource};
use crate::context::Lab;

/// Attacks that start with a real code, fresh from the victim's authorization.
pub(super) async fn with_code(
    lab: Lab,
    attack: Attack,
    code: &AuthorizationCode,
    pending: &Pending,
) {
    let Some(metadata) = discover(lab).await else {
        return;
    };
    let config = client_config();
    let victim = Victim {
        legitimate: flow::token_request_body(&config, code, &pending.code_verifier),
        code: code.secret().to_owned(),
        config,
        userinfo: metadata.userinfo_endpoint,
        token_endpoint: metadata.token_endpoint,
    };
    match attack {
        Attack::StolenCode => stolen_code(lab, &victim).await,
        Attack::CodeReplay => code_replay(lab, &victim).await,
        Attack::RefreshReplay => refresh_replay(lab, &victim).await,
        _ => {
            let remark = if attack == Attack::WrongAudience {
                format!(" (the request named resource={})", other_resource())
            } else {
                String::new()
            };
            let Some(tokens) = victim.redeem(&remark).tokens(lab, attack).await else {
                return;
            };
            let token = tokens.access_token.secret().to_owned();
            if attack != Attack::WrongAudience {
                keep(lab, Some(tokens));
            }
            with_token(lab, attack, token).await;
        }
    }
}

/// What the attacks that start from a code know of the victim's flow.
struct Victim {
    config: ClientConfig,
    token_endpoint: String,
    userinfo: Option<String>,
    code: String,
    /// The victim's own token request: the code and the right verifier.
    legitimate: String,
}

const INVALID_GRANT: Expect = Expect::Refusal(400, "invalid_grant");

impl Victim {
    /// The token request the client makes, with `remark` added to the card's title.
    fn redeem(&self, remark: &str) -> Probe {
        Probe {
            actor: Actor::Victim,
            action: format!("The victim redeems its code with its code_verifier{remark}"),
            send: Send::Form(self.token_endpoint.clone(), self.legitimate.clone()),
            expect: Expect::Success,
        }
    }

    /// A token request with `body`.
    fn token_request(&self, actor: Actor, action: &str, body: String, expect: Expect) -> Probe {
        Probe {
            actor,
            action: action.to_owned(),
            send: Send::Form(self.token_endpoint.clone(), body),
            expect,
        }
    }

    /// A refresh with `token`.
    fn refresh(&self, actor: Actor, action: &str, token: &str, expect: Expect) -> Probe {
        let body = flow::refresh_request_body(&self.config, token);
        self.token_request(actor, action, body, expect)
    }
}

/// Attack 1: the attacker redeems the code without the verifier, then with a guess; the
/// victim's own redemption still works.
async fn stolen_code(lab: Lab, victim: &Victim) {
    let attack = Attack::StolenCode;
    let config = &victim.config;
    let without_verifier = form_encode(&[
        ("grant_type", "authorization_code"),
        ("code", &victim.code),
        ("redirect_uri", &config.redirect_uri),
        ("client_id", &config.client_id),
    ]);
    let guess = CodeVerifier::generate();
    let guessed =
        flow::token_request_body(config, &AuthorizationCode::new(victim.code.clone()), &guess);
    for (action, body) in [
        (
            "Redeem the stolen code without a code_verifier",
            without_verifier,
        ),
        (
            "Redeem it with a code_verifier of the attacker's own",
            guessed,
        ),
    ] {
        victim
            .token_request(Actor::Attacker, action, body, INVALID_GRANT)
            .exchange(lab, attack)
            .await;
    }
    let tokens = victim
        .redeem(": the code still works for its owner")
        .tokens(lab, attack)
        .await;
    keep(lab, tokens);
}

/// Attack 4: the legitimate token request, sent a second time; then what the first gave.
async fn code_replay(lab: Lab, victim: &Victim) {
    let attack = Attack::CodeReplay;
    let Some(tokens) = victim.redeem("").tokens(lab, attack).await else {
        return;
    };
    victim
        .token_request(
            Actor::Attacker,
            "Present the same code again (the whole token request, copied)",
            victim.legitimate.clone(),
            INVALID_GRANT,
        )
        .exchange(lab, attack)
        .await;
    if let Some(userinfo) = &victim.userinfo {
        let first_access = Probe {
            actor: Actor::Check,
            action: "The access token from the first redemption, at /userinfo (which reads the authorization server's records)".to_owned(),
            send: Send::Get(userinfo.clone(), Some(tokens.access_token.secret().to_owned())),
            expect: Expect::Refusal(401, "invalid_token"),
        };
        first_access.exchange(lab, attack).await;
    }
    if let Some(token) = tokens.refresh_token {
        victim
            .refresh(
                Actor::Check,
                "The refresh token from the first redemption",
                token.secret(),
                INVALID_GRANT,
            )
            .exchange(lab, attack)
            .await;
    }
}

/// Attack 5: the victim refreshes, then the attacker presents the rotated-out copy.
async fn refresh_replay(lab: Lab, victim: &Victim) {
    let attack = Attack::RefreshReplay;
    let Some(stolen) = victim
        .redeem("")
        .tokens(lab, attack)
        .await
        .and_then(|t| t.refresh_token)
    else {
        return;
    };
    let Some(newest) = victim
        .refresh(
            Actor::Victim,
            "The victim refreshes: a new refresh token, and the old one (the attacker's copy) is rotated out",
            stolen.secret(),
            Expect::Success,
        )
        .tokens(lab, attack)
        .await
        .and_then(|t| t.refresh_token)
    else {
        return;
    };
    victim
        .refresh(
            Actor::Attacker,
            "Present the copied, rotated refresh token",
            stolen.secret(),
            INVALID_GRANT,
        )
        .exchange(lab, attack)
        .await;
    victim
        .refresh(
            Actor::Check,
            "The victim's newest refresh token: revoked with its whole family",
            newest.secret(),
            INVALID_GRANT,
        )
        .exchange(lab, attack)
        .await;
}
