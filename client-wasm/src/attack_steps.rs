//! The attacks, run for real against the running servers. Each function does what the
//! attacker does (and, where the attack needs one, what the victim does first) and records
//! a card per request, with the verdict read from the real answer (see `attacks.rs`).

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::client::{self as flow, CallbackRefusal, ClientConfig, Pending};
use shared::form::form_encode;
use shared::jwt;
use shared::{AuthorizationCode, CodeVerifier, ScopeSet, TokenResponse};

use crate::api::{self, Exchange};
use crate::attacks::{
    Actor, Attack, AttackLeg, Attempt, Needs, Verdict, expect_error_page, expect_error_redirect,
    expect_refusal, expect_success, page_text,
};
use crate::browser::now_secs;
use crate::browser::{discover, leave, remember};
use crate::config::{OTHER_RESOURCE, RESOURCE_SERVER, client_config};
use crate::context::{Lab, Page, Tokens};
use crate::oauth::forge;
use crate::timeline::Detail;

/// What the victim asks for when an attack needs an authorization.
const VICTIM_SCOPE: &str = "openid profile read write";

/// The issuer a mix-up response names.
const ATTACKER_ISSUER: &str = "https://attacker.example";

/// The resource server tolerates this much clock skew on `exp` (see resource-server).
const LEEWAY_SECS: i64 = 30;

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
async fn leave_for_authorization(lab: Lab, leg: AttackLeg) {
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
            forge::with_params(&request.url, &[("resource", Some(OTHER_RESOURCE))])
        }
        _ => request.url.clone(),
    };
    request.pending.extra = serde_json::to_value(leg).ok();
    leave(lab, &url, &request.pending);
}

/// Attacks 3 and 7: this tab has a login under way (a real pending request), and the
/// browser lands on `/callback` with what the attacker made up. The client's own callback
/// handling decides.
async fn forge_callback(lab: Lab, attack: Attack) {
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

/// At `/callback`, an attack goes on where it left.
pub async fn resume(
    lab: Lab,
    leg: AttackLeg,
    pending: &Pending,
    query: &str,
    checked: Result<String, CallbackRefusal>,
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

fn downgrade_card(lab: Lab, leg_number: usize, answer: &str) {
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

/// Attacks that start with a real code, fresh from the victim's authorization.
async fn with_code(lab: Lab, attack: Attack, code: &str, pending: &Pending) {
    let Some(metadata) = discover(lab).await else {
        return;
    };
    let config = client_config();
    let victim = Victim {
        legitimate: flow::token_request_body(&config, code, &pending.code_verifier),
        code: code.to_owned(),
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
                format!(" (the request named resource={OTHER_RESOURCE})")
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
    let guessed = flow::token_request_body(config, &victim.code, &guess);
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

/// Attacks on an access token: the resource server must refuse each forgery.
async fn with_token(lab: Lab, attack: Attack, token: String) {
    let profile = format!("{RESOURCE_SERVER}/api/profile");
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
                    Send::Get(format!("{RESOURCE_SERVER}/api/admin/stats"), Some(forged)),
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
                &format!("Present this real token, aud = {audience}, to the resource server at {RESOURCE_SERVER}"),
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
        send: Send::Get(format!("{RESOURCE_SERVER}/api/profile"), Some(token)),
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

/// Attack 6: the real authorization request, with the redirect URI changed three ways.
/// Read with `fetch` (the authorization server lets the lab's origin read `/authorize`
/// answers, without cookies), so the page can show that no redirect happened.
async fn redirect_uri(lab: Lab) {
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

/// How a request of an attack goes out.
enum Send {
    /// `GET url`, with a bearer token if given.
    Get(String, Option<String>),
    /// `GET url`, not following a redirect.
    Unfollowed(String),
    /// `POST url` with a form body.
    Form(String, String),
}

/// What the answer must be.
#[derive(Clone, Copy)]
enum Expect {
    /// A legitimate step: 2xx.
    Success,
    /// A refusal with this status and `error`.
    Refusal(u16, &'static str),
    /// An error page, and no redirect.
    ErrorPage,
}

/// One request of an attack, and what its answer must be.
struct Probe {
    actor: Actor,
    action: String,
    send: Send,
    expect: Expect,
}

impl Probe {
    /// Sends the request and records the card, with the verdict read from the answer.
    async fn exchange(self, lab: Lab, attack: Attack) -> Exchange {
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
            Detail::Http(exchange.clone()),
            verdict,
        );
        exchange
    }

    /// Sends the request and reads a token response from the answer, if it is one.
    async fn tokens(self, lab: Lab, attack: Attack) -> Option<TokenResponse> {
        let exchange = self.exchange(lab, attack).await;
        exchange
            .ok()
            .then(|| serde_json::from_str(&exchange.response_body).ok())
            .flatten()
    }
}

fn record(
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
fn keep(lab: Lab, tokens: Option<TokenResponse>) {
    if let Some(response) = tokens {
        lab.tokens.set(Some(Tokens {
            response,
            previous_refresh: None,
        }));
    }
}
