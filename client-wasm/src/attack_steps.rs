//! The attacks, run for real against the running servers. Each function does what the
//! attacker does (and, where the attack needs one, what the victim does first) and records
//! a card per request, with the verdict read from the real answer (see `attacks.rs`).

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{
    AuthorizationCode, AuthorizationServerMetadata, CodeVerifier, ScopeSet, TokenResponse,
};

use crate::api::{self, Exchange};
use crate::attacks::{
    Actor, Attack, AttackLeg, Attempt, Needs, Verdict, expect_error_page, expect_error_redirect,
    expect_refusal, expect_success, page_text,
};
use crate::flow_steps::{self, discover, token_request};
use crate::lab::{
    Detail, Lab, OTHER_RESOURCE, Page, RESOURCE_SERVER, Tokens, client_config, now_secs,
};
use crate::oauth::flow::{self, CallbackRefusal, ClientConfig, Pending, form_encode};
use crate::oauth::{forge, jwt};

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
    let verifier = request.pending.code_verifier.clone();
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
    request.pending.attack = Some(leg);
    flow_steps::leave(lab, &url, &request.pending);
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
        Attack::MixUp => (request.pending.state.clone(), ATTACKER_ISSUER),
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
    request.pending.attack = Some(AttackLeg::first(attack));
    if flow_steps::remember(lab, &request.pending) {
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
        metadata,
    };
    match attack {
        Attack::StolenCode => stolen_code(lab, &victim).await,
        Attack::CodeReplay => code_replay(lab, &victim).await,
        Attack::RefreshReplay => refresh_replay(lab, &victim).await,
        Attack::WrongAudience => wrong_audience(lab, &victim).await,
        _ => {
            if let Some(tokens) = victim.redeem(lab, attack, "").await {
                let token = tokens.access_token.secret().to_owned();
                keep(lab, Some(tokens));
                with_token(lab, attack, token).await;
            }
        }
    }
}

/// The victim's side of an attack that needs a code.
struct Victim {
    metadata: AuthorizationServerMetadata,
    config: ClientConfig,
    code: String,
    /// The victim's own token request: the code and the right verifier.
    legitimate: String,
}

impl Victim {
    fn token_endpoint(&self) -> &str {
        &self.metadata.token_endpoint
    }

    /// The victim redeems its code, as the client always does.
    async fn redeem(&self, lab: Lab, attack: Attack, remark: &str) -> Option<TokenResponse> {
        let (exchange, tokens) =
            token_request(self.token_endpoint(), self.legitimate.clone()).await;
        record_step(
            lab,
            attack,
            Actor::Victim,
            format!("The victim redeems its code with its code_verifier{remark}"),
            exchange,
        );
        tokens
    }

    async fn refresh(&self, refresh_token: &str) -> Exchange {
        api::post_form(
            self.token_endpoint(),
            flow::refresh_request_body(&self.config, refresh_token),
        )
        .await
    }
}

/// Attack 1: the attacker redeems the code without the verifier, then with a guessed one.
async fn stolen_code(lab: Lab, victim: &Victim) {
    let attack = Attack::StolenCode;
    let config = &victim.config;
    let without_verifier = form_encode(&[
        ("grant_type", "authorization_code"),
        ("code", &victim.code),
        ("redirect_uri", &config.redirect_uri),
        ("client_id", &config.client_id),
    ]);
    refused(
        lab,
        attack,
        "Redeem the stolen code without a code_verifier",
        api::post_form(victim.token_endpoint(), without_verifier).await,
        (400, "invalid_grant"),
    );
    let guess = CodeVerifier::generate();
    refused(
        lab,
        attack,
        "Redeem it with a code_verifier of the attacker's own",
        api::post_form(
            victim.token_endpoint(),
            flow::token_request_body(config, &victim.code, guess.secret()),
        )
        .await,
        (400, "invalid_grant"),
    );
    let tokens = victim
        .redeem(lab, attack, ": the code still works for its owner")
        .await;
    keep(lab, tokens);
}

/// Attack 4: the legitimate token request, sent a second time.
async fn code_replay(lab: Lab, victim: &Victim) {
    let attack = Attack::CodeReplay;
    let Some(tokens) = victim.redeem(lab, attack, "").await else {
        return;
    };
    refused(
        lab,
        attack,
        "Present the same code again (the whole token request, copied)",
        api::post_form(victim.token_endpoint(), victim.legitimate.clone()).await,
        (400, "invalid_grant"),
    );
    if let Some(userinfo) = &victim.metadata.userinfo_endpoint {
        check(
            lab,
            attack,
            "The access token from the first redemption, at /userinfo (which reads the authorization server's records)",
            api::get(userinfo, Some(tokens.access_token.secret())).await,
            (401, "invalid_token"),
        );
    }
    if let Some(refresh) = tokens.refresh_token {
        check(
            lab,
            attack,
            "The refresh token from the first redemption",
            victim.refresh(refresh.secret()).await,
            (400, "invalid_grant"),
        );
    }
}

/// Attack 5: the victim refreshes, then the attacker presents the rotated-out copy.
async fn refresh_replay(lab: Lab, victim: &Victim) {
    let attack = Attack::RefreshReplay;
    let Some(stolen) = victim
        .redeem(lab, attack, "")
        .await
        .and_then(|t| t.refresh_token)
    else {
        return;
    };
    let exchange = victim.refresh(stolen.secret()).await;
    let newest = exchange
        .ok()
        .then(|| serde_json::from_str::<TokenResponse>(&exchange.response_body).ok())
        .flatten()
        .and_then(|t| t.refresh_token);
    record_step(
        lab,
        attack,
        Actor::Victim,
        "The victim refreshes: a new refresh token, and the old one (the attacker's copy) is rotated out".to_owned(),
        exchange,
    );
    let Some(newest) = newest else {
        return;
    };
    refused(
        lab,
        attack,
        "Present the copied, rotated refresh token",
        victim.refresh(stolen.secret()).await,
        (400, "invalid_grant"),
    );
    check(
        lab,
        attack,
        "The victim's newest refresh token: revoked with its whole family",
        victim.refresh(newest.secret()).await,
        (400, "invalid_grant"),
    );
}

/// Attack 10: a real token for another resource, presented to this one.
async fn wrong_audience(lab: Lab, victim: &Victim) {
    let attack = Attack::WrongAudience;
    let remark = format!(" (the request named resource={OTHER_RESOURCE})");
    let Some(tokens) = victim.redeem(lab, attack, &remark).await else {
        return;
    };
    let token = tokens.access_token.secret();
    let audience = jwt::decode(token)
        .map(|d| d.claims["aud"].to_string())
        .unwrap_or_default();
    refused(
        lab,
        attack,
        &format!(
            "Present this real token, aud = {audience}, to the resource server at {RESOURCE_SERVER}"
        ),
        api::get(&format!("{RESOURCE_SERVER}/api/profile"), Some(token)).await,
        (401, "invalid_token"),
    );
}

/// Attacks on an access token: the resource server must refuse each forgery.
async fn with_token(lab: Lab, attack: Attack, token: String) {
    let profile = format!("{RESOURCE_SERVER}/api/profile");
    match attack {
        Attack::TamperedToken => {
            let Some(forged) = forge::with_added_scope(&token, "admin") else {
                return;
            };
            refused(
                lab,
                attack,
                "Add admin to the token's scope claim, keep the signature, and call the admin endpoint",
                api::get(&format!("{RESOURCE_SERVER}/api/admin/stats"), Some(&forged)).await,
                (401, "invalid_token"),
            );
        }
        Attack::ForgedAlgorithm => {
            if let Some(unsigned) = forge::unsigned(&token) {
                refused(
                    lab,
                    attack,
                    "Send the same claims with alg: none and no signature",
                    api::get(&profile, Some(&unsigned)).await,
                    (401, "invalid_token"),
                );
            }
            let Some(metadata) = discover(lab).await else {
                return;
            };
            let jwks = api::get(&metadata.jwks_uri, None).await;
            let kid = jwt::decode(&token)
                .and_then(|d| d.header["kid"].as_str().map(str::to_owned))
                .unwrap_or_default();
            let key = forge::public_key_of(&jwks.response_body, &kid);
            record_step(
                lab,
                attack,
                Actor::Attacker,
                "Download the authorization server's public key: the JWKS is public".to_owned(),
                jwks,
            );
            if let Some(forged) = key.and_then(|key| forge::signed_hs256_with(&token, &key)) {
                refused(
                    lab,
                    attack,
                    "Sign the claims with HS256, using that public key as the HMAC secret",
                    api::get(&profile, Some(&forged)).await,
                    (401, "invalid_token"),
                );
            }
        }
        Attack::TokenInUrl => {
            refused(
                lab,
                attack,
                "Send the access token in the query string, with no Authorization header",
                api::get(&format!("{profile}?access_token={token}"), None).await,
                (400, "invalid_request"),
            );
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
    let action = "Replay a real access token after it has expired".to_owned();
    record(
        lab,
        attack,
        Actor::Attacker,
        action.clone(),
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
                let exchange =
                    api::get(&format!("{RESOURCE_SERVER}/api/profile"), Some(&token)).await;
                lab.attempts.update(|attempts| {
                    attempts.retain(|a| {
                        a.attack != attack || !matches!(a.verdict, Verdict::Waiting(_))
                    });
                });
                refused(lab, attack, &action, exchange, (401, "invalid_token"));
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
        let url = forge::with_params(&request.url, &[("redirect_uri", Some(&uri))]);
        let mut exchange = api::get_unfollowed(&url).await;
        let verdict = expect_error_page(&exchange);
        exchange.response_body =
            format!("[the page's text] {}", page_text(&exchange.response_body));
        record(
            lab,
            attack,
            Actor::Attacker,
            format!("A link to the real authorization endpoint with redirect_uri = {uri} ({what})"),
            Detail::Http(exchange),
            verdict,
        );
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

/// A legitimate step.
fn record_step(lab: Lab, attack: Attack, actor: Actor, action: String, exchange: Exchange) {
    let verdict = expect_success(&exchange);
    record(lab, attack, actor, action, Detail::Http(exchange), verdict);
}

/// An attacker's request that the server must refuse with `(status, error)`.
fn refused(lab: Lab, attack: Attack, action: &str, exchange: Exchange, expected: (u16, &str)) {
    let verdict = expect_refusal(&exchange, expected.0, expected.1);
    record(
        lab,
        attack,
        Actor::Attacker,
        action.to_owned(),
        Detail::Http(exchange),
        verdict,
    );
}

/// A look at what the attack touched: it must be refused with `(status, error)` too.
fn check(lab: Lab, attack: Attack, action: &str, exchange: Exchange, expected: (u16, &str)) {
    let verdict = expect_refusal(&exchange, expected.0, expected.1);
    record(
        lab,
        attack,
        Actor::Check,
        action.to_owned(),
        Detail::Http(exchange),
        verdict,
    );
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
