//! The flow's steps as the app runs them: each does the real request and records a card.

use leptos::prelude::*;
use shared::client::{self as flow, CallbackRefusal, ClientConfig, Pending};
use shared::form::form_encode;
use shared::jwt;
use shared::{AuthorizationCode, ScopeSet, TokenResponse};

use crate::api::{self, Exchange};
use crate::attacks::AttackLeg;
use crate::attacks::runner;
use crate::browser::{discover, leave};
use crate::browser::{now_secs, session_storage};
use crate::config::{AUTHORIZE_URL_KEY, PENDING_KEY, client_config, resource_server};
use crate::context::{Lab, Tokens};
use crate::oauth::pkce::PkceSteps;
use crate::timeline::{Detail, Lane, Step};

/// Starts the flow: PKCE, state and nonce made here, remembered in sessionStorage only, then
/// the browser goes to the authorization endpoint.
pub async fn start(lab: Lab, scope: ScopeSet) {
    let Some(metadata) = discover(lab).await else {
        return;
    };
    let request =
        flow::authorization_request(&client_config(), &metadata.authorization_endpoint, &scope);
    leave(lab, &request.url, &request.pending);
}

/// Handles `/callback`: checks state and iss, exchanges the code, checks the ID token.
pub async fn callback(lab: Lab, query: String) {
    let config = client_config();
    let storage = session_storage();
    let pending: Option<Pending> = storage
        .as_ref()
        .and_then(|s| s.get_item(PENDING_KEY).ok().flatten())
        .and_then(|json| serde_json::from_str(&json).ok());
    let authorize_url = storage
        .as_ref()
        .and_then(|s| s.get_item(AUTHORIZE_URL_KEY).ok().flatten());
    front_channel(lab, &config, authorize_url, pending.as_ref()).await;
    lab.push(Step {
        title: "Front channel: the authorization server sent the browser back".to_owned(),
        why: "The redirect carries a short-lived, single-use code, the state this tab sent, and iss, the server that answered.",
        rule: "RFC 6749 §4.1.2, RFC 9207 §2",
        detail: Detail::Url(format!("{}{query}", config.redirect_uri)),
        from: Lane::Browser,
        to: Lane::Spa,
        trace: None,
    });
    // The pending request is single use, whatever happens next.
    if let Some(storage) = &storage {
        let _ = storage.remove_item(PENDING_KEY);
        let _ = storage.remove_item(AUTHORIZE_URL_KEY);
    }
    lab.pkce
        .set(pending.as_ref().map(|p| PkceSteps::of(&p.code_verifier)));
    let checked = flow::check_callback(&query, pending.as_ref(), &config);
    if let Some((leg, pending)) = pending.as_ref().and_then(|p| {
        let leg = serde_json::from_value::<AttackLeg>(p.extra.clone()?).ok()?;
        Some((leg, p))
    }) {
        runner::resume(lab, leg, pending, &query, checked).await;
        return;
    }
    let Some(code) = checked_code(lab, checked) else {
        return;
    };
    let Some(pending) = pending else { return };
    let Some(metadata) = discover(lab).await else {
        return;
    };
    let (exchange, tokens) = token_request(
        &metadata.token_endpoint,
        flow::token_request_body(&config, &code, &pending.code_verifier),
    )
    .await;
    lab.push(Step::call(
        "Back channel: the code and the PKCE verifier, traded for tokens",
        "The server hashes the verifier and compares it with the challenge it stored: only the tab that started the flow can redeem the code. The call goes straight from this page to the token endpoint (CORS).",
        "RFC 6749 §4.1.3, RFC 7636 §4.6",
        exchange,
        Lane::AuthorizationServer,
    ));
    let Some(tokens) = tokens else {
        lab.notice.set(Some(
            "The token request failed; its card in the timeline shows the server's answer."
                .to_owned(),
        ));
        return;
    };
    if let Some(id_token) = &tokens.id_token
        && !id_token_passes(lab, &config, &pending, id_token)
    {
        return;
    }
    lab.tokens.set(Some(Tokens {
        response: tokens,
        previous_refresh: None,
    }));
}

/// The code of a callback that passed the client's checks (state, then iss), each step
/// narrated; `None` after a refusal, when no token request may be made.
fn checked_code(
    lab: Lab,
    checked: Result<AuthorizationCode, CallbackRefusal>,
) -> Option<AuthorizationCode> {
    match checked {
        Ok(code) => {
            lab.push(Step::own_check(
                "The client checked the response: state and iss",
                "Before it uses the code, the client checks that state is the one this tab sent (the response answers its own request) and iss the server it asked (no mix-up).",
                "RFC 6749 §10.12, RFC 9207 §2.4",
                Detail::Checked("state and iss match: the code may be used".to_owned()),
            ));
            Some(code)
        }
        Err(refusal) => {
            lab.push(Step::own_check(
                "The client refused the response: no token request was made",
                "A client must check state (is this the response to my request?) and iss (from the server I asked?) before it uses a code.",
                "RFC 6749 §10.12, RFC 9207 §2.4",
                Detail::Refused(refusal.to_string()),
            ));
            lab.notice.set(Some(refusal.to_string()));
            None
        }
    }
}

/// Whether the ID token passes the client's checks (OIDC Core §3.1.3.7), narrated.
fn id_token_passes(lab: Lab, config: &ClientConfig, pending: &Pending, id_token: &str) -> bool {
    let verdict = jwt::check_id_token(
        id_token,
        &config.issuer,
        &config.client_id,
        &pending.nonce,
        now_secs(),
    );
    lab.push(Step::own_check(
        "ID token checked: issuer, audience, expiry and nonce",
        "The ID token is for this client and still valid. Its nonce must be the one this tab sent, so an ID token from another login cannot be replayed here.",
        "OIDC Core §3.1.3.7",
        match &verdict {
            Ok(_) => Detail::Checked("iss and aud match, exp is ahead, nonce matches".to_owned()),
            Err(refusal) => Detail::Refused(refusal.to_string()),
        },
    ));
    if let Err(refusal) = verdict {
        lab.notice.set(Some(refusal.to_string()));
        return false;
    }
    true
}

/// Calls the resource server with the access token.
pub async fn call_api(lab: Lab, method: &'static str, path: &str, body: Option<String>) {
    let Some(token) = lab
        .tokens
        .get_untracked()
        .map(|t| t.response.access_token.secret().to_owned())
    else {
        return;
    };
    let url = format!("{}{path}", resource_server());
    let exchange: Exchange = match (method, body) {
        ("POST", Some(body)) => api::post_json(&url, &token, body).await,
        _ => api::get(&url, Some(&token)).await,
    };
    lab.push(Step::call(
        format!("Resource server: {method} {path}"),
        "The resource server checks the token itself: signature against the published keys, issuer, audience, expiry, then the scope this endpoint needs. A refusal says why in WWW-Authenticate.",
        "RFC 6750 §2.1, §3; RFC 9068 §4",
        exchange,
        Lane::ResourceServer,
    ));
}

/// Refreshes: the answer carries a new refresh token; the old one is dead from now on.
pub async fn refresh(lab: Lab) {
    let Some(current) = lab.tokens.get_untracked() else {
        return;
    };
    let Some(old) = current
        .response
        .refresh_token
        .as_ref()
        .map(|t| t.secret().to_owned())
    else {
        return;
    };
    let Some(metadata) = discover(lab).await else {
        return;
    };
    let (exchange, tokens) = token_request(
        &metadata.token_endpoint,
        flow::refresh_request_body(&client_config(), &old),
    )
    .await;
    lab.push(Step::call(
        "Back channel: refresh, with rotation",
        "Each refresh returns a new refresh token and kills the old one. If the old one is ever used again, someone has a copy: the server then revokes the whole family.",
        "OAuth 2.1 §4.3.1, RFC 9700 §4.14.2",
        exchange,
        Lane::AuthorizationServer,
    ));
    if let Some(tokens) = tokens {
        lab.tokens.set(Some(Tokens {
            response: tokens,
            previous_refresh: Some(old),
        }));
    }
}

/// Logs out: revokes the refresh token (and with it the grant), forgets the tokens, and
/// ends the session on the authorization server.
pub async fn log_out(lab: Lab) {
    let Some(metadata) = discover(lab).await else {
        return;
    };
    let response = lab.tokens.get_untracked().map(|t| t.response);
    let id_token = response.as_ref().and_then(|r| r.id_token.clone());
    let refresh = response.and_then(|r| r.refresh_token);
    if let (Some(refresh), Some(endpoint)) = (refresh, metadata.revocation_endpoint.clone()) {
        let body =
            flow::revocation_request_body(&client_config(), refresh.secret(), "refresh_token");
        let exchange = api::post_form(&endpoint, body).await;
        lab.push(Step::call(
            "Back channel: revoke the refresh token",
            "Revoking the refresh token revokes its whole grant, access tokens included, so nothing issued to this login keeps working.",
            "RFC 7009 §2.1",
            exchange,
            Lane::AuthorizationServer,
        ));
    }
    lab.tokens.set(None);
    if let Some(end_session) = metadata.end_session_endpoint {
        let origin = window().location().origin().unwrap_or_default();
        // The ID token proves to the server that this application asked for the logout
        // (RP-Initiated Logout §2); without it the server asks the user to confirm.
        let mut params = vec![
            ("client_id", client_config().client_id),
            ("post_logout_redirect_uri", format!("{origin}/")),
        ];
        params.extend(id_token.map(|token| ("id_token_hint", token)));
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let query = form_encode(&pairs);
        let _ = window()
            .location()
            .set_href(&format!("{end_session}?{query}"));
    }
}

/// The front channel of the flow, as the authorization server decided it while the user
/// was away from this page: the authorization request (its URL, kept before leaving), the
/// login form and the consent, each with the server's checks (found by the request's
/// `state`, when the server records its decisions).
async fn front_channel(
    lab: Lab,
    config: &ClientConfig,
    authorize_url: Option<String>,
    pending: Option<&Pending>,
) {
    let mut traces = match pending {
        Some(pending) => api::front_channel_traces(&config.issuer, pending.state.secret()).await,
        None => Vec::new(),
    }
    .into_iter();
    if let Some(url) = authorize_url {
        lab.push(Step {
            title: "Front channel: the browser went to the authorization endpoint".to_owned(),
            why: "Only public values travel here: the code_challenge (a hash), state, nonce. The verifier stayed in this tab's sessionStorage.",
            rule: "RFC 6749 §4.1.1, RFC 7636 §4.3",
            detail: Detail::Url(url),
            from: Lane::Browser,
            to: Lane::AuthorizationServer,
            trace: traces.next(),
        });
    }
    for trace in traces {
        let (title, why, rule) = match (trace.method.as_str(), trace.path.as_str()) {
            ("POST", "/login") => (
                "Front channel: the login form, sent to the authorization server",
                "The user types the password into the authorization server's own page: this app never sees it, and only gets a code for what the user approves.",
                "RFC 6749 §1.1, RFC 9700 §2.4",
            ),
            ("GET", "/consent") => (
                "Front channel: the consent page",
                "The authorization server asks the user, on its own page, whether this client may have the scopes it asked for.",
                "RFC 6749 §4.1.1",
            ),
            _ => (
                "Front channel: the user's decision",
                "The server records the decision and answers with a redirect to the client's registered redirect URI: a single-use code, state and iss.",
                "RFC 6749 §4.1.2, RFC 9207 §2",
            ),
        };
        lab.push(Step {
            title: title.to_owned(),
            why,
            rule,
            detail: Detail::Checked(format!(
                "{} {} on the authorization server; this page saw none of it",
                trace.method, trace.path
            )),
            from: Lane::Browser,
            to: Lane::AuthorizationServer,
            trace: Some(trace),
        });
    }
}

/// `POST` a form to the token endpoint: the exchange as it went, and the token response if
/// the server sent one.
async fn token_request(token_endpoint: &str, body: String) -> (Exchange, Option<TokenResponse>) {
    let exchange = api::post_form(token_endpoint, body).await;
    let tokens = exchange
        .ok()
        .then(|| serde_json::from_str(&exchange.response_body).ok())
        .flatten();
    (exchange, tokens)
}
