//! The public client's side of the authorization code flow, as plain functions: build the
//! authorization request, check the callback, build the token, refresh and revocation
//! requests. No DOM and no HTTP: every client of the lab (the SPA, `oauth-lab`, the
//! benchmark and the servers' tests) sends these with its own HTTP stack.

use serde::{Deserialize, Serialize};

use crate::form::{form_decode, form_encode, param};
use crate::{AuthorizationCode, CodeVerifier, Nonce, ScopeSet, State};

/// What the client knows about itself and its servers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    pub client_id: String,
    /// This SPA's `/callback`, on the origin it is served from.
    pub redirect_uri: String,
    /// The authorization server's issuer identifier (RFC 9207: the `iss` we expect back).
    pub issuer: String,
}

impl ClientConfig {
    /// The lab's own public client (`demo-client`) at `issuer`.
    pub fn demo(issuer: &str) -> Self {
        Self {
            client_id: crate::demo::CLIENT_ID.to_owned(),
            redirect_uri: crate::demo::REDIRECT_URI.to_owned(),
            issuer: issuer.to_owned(),
        }
    }
}

/// What the client remembers across the redirect (the SPA: in `sessionStorage` only, never
/// `localStorage`), deleted as soon as the callback is handled. The verifier is the one
/// secret that must survive the page leaving for the authorization server; it stays a
/// [`CodeVerifier`], so it is never printed and is checked again when read back.
#[derive(Debug, Serialize, Deserialize)]
pub struct Pending {
    pub state: State,
    pub nonce: Nonce,
    pub code_verifier: CodeVerifier,
    pub scope: ScopeSet,
    /// What the app keeps with this request across the redirect (the Attacks page: which
    /// attack, which leg). The flow carries it and never reads it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<serde_json::Value>,
}

/// A fresh authorization request: the URL to send the browser to, and what to remember.
#[derive(Debug)]
pub struct AuthorizationRequest {
    pub url: String,
    pub pending: Pending,
}

impl Pending {
    /// A fresh request for `scope`: new `state`, `nonce` and PKCE verifier from the
    /// platform's CSPRNG (the browser's `crypto.getRandomValues` in the SPA).
    pub fn generate(scope: ScopeSet) -> Self {
        Self::with_verifier(CodeVerifier::generate(), scope)
    }

    /// A request for `scope` whose code `code_verifier` will redeem (new `state` and
    /// `nonce`): for a client that sends many requests under one verifier, as a benchmark
    /// or a test does.
    pub fn with_verifier(code_verifier: CodeVerifier, scope: ScopeSet) -> Self {
        Self {
            state: State::generate(),
            nonce: Nonce::generate(),
            code_verifier,
            scope,
            extra: None,
        }
    }
}

/// The parameters of the authorization request for `pending` (RFC 6749 §4.1.1, OIDC Core
/// §3.1.2.1 `nonce`, RFC 7636 §4.3 with the S256 challenge of the kept verifier), in the
/// order they are sent.
pub fn authorization_params(
    config: &ClientConfig,
    pending: &Pending,
) -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code".to_owned()),
        ("client_id", config.client_id.clone()),
        ("redirect_uri", config.redirect_uri.clone()),
        ("scope", pending.scope.to_string()),
        ("state", pending.state.secret().to_owned()),
        ("nonce", pending.nonce.secret().to_owned()),
        (
            "code_challenge",
            pending.code_verifier.challenge().as_str().to_owned(),
        ),
        ("code_challenge_method", "S256".to_owned()),
    ]
}

/// Builds a fresh authorization request for `scope` (see [`Pending::generate`] and
/// [`authorization_params`]).
pub fn authorization_request(
    config: &ClientConfig,
    authorization_endpoint: &str,
    scope: &ScopeSet,
) -> AuthorizationRequest {
    let pending = Pending::generate(scope.clone());
    let params = authorization_params(config, &pending);
    AuthorizationRequest {
        url: format!("{authorization_endpoint}?{}", form_encode(&params)),
        pending,
    }
}

/// Why the client refuses a callback, before any token request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackRefusal {
    #[error(
        "no authorization request is pending in this tab: the callback was not started here, or the page was reloaded after it"
    )]
    NothingPending,
    #[error(
        "the state does not match the one this tab sent: this response may have been forged (CSRF, RFC 6749 §10.12)"
    )]
    StateMismatch,
    #[error(
        "the response names the issuer {found:?}, not {expected:?}: it may come from another server (mix-up attack, RFC 9207)"
    )]
    IssuerMismatch { expected: String, found: String },
    #[error("the response has no iss parameter, which this server always sends (RFC 9207)")]
    MissingIssuer,
    #[error("the authorization server answered {error}: {description}")]
    ServerError { error: String, description: String },
    #[error("the response carries no authorization code")]
    MissingCode,
}

/// Plain words for the errors of RFC 6749 §4.1.2.1.
pub fn explain_error(error: &str) -> &'static str {
    match error {
        "access_denied" => "you (or the server) declined the request at the consent page",
        "invalid_scope" => "a requested scope is unknown or not allowed for this client",
        "invalid_request" => "the request was malformed (for example PKCE was missing)",
        "unsupported_response_type" => "the server only supports response_type=code",
        "unauthorized_client" => "this client may not use this flow",
        "invalid_target" => "the requested resource is unknown",
        "server_error" | "temporarily_unavailable" => {
            "the authorization server had a problem; try again"
        }
        _ => "see the description",
    }
}

/// Checks the callback's query (RFC 6749 §4.1.2, RFC 9207 §2.4) against what this tab sent.
/// Only a response that passes every check yields a code to redeem.
pub fn check_callback(
    query: &str,
    pending: Option<&Pending>,
    config: &ClientConfig,
) -> Result<AuthorizationCode, CallbackRefusal> {
    let params = form_decode(query);
    let get = |name: &str| param(&params, name);
    let pending = pending.ok_or(CallbackRefusal::NothingPending)?;
    if !get("state").is_some_and(|state| pending.state.constant_time_eq(state)) {
        return Err(CallbackRefusal::StateMismatch);
    }
    match get("iss") {
        Some(iss) if iss == config.issuer => {}
        Some(iss) => {
            return Err(CallbackRefusal::IssuerMismatch {
                expected: config.issuer.clone(),
                found: iss.to_owned(),
            });
        }
        None => return Err(CallbackRefusal::MissingIssuer),
    }
    if let Some(error) = get("error") {
        return Err(CallbackRefusal::ServerError {
            error: error.to_owned(),
            description: get("error_description")
                .map_or_else(|| explain_error(error).to_owned(), str::to_owned),
        });
    }
    get("code")
        .map(AuthorizationCode::new)
        .ok_or(CallbackRefusal::MissingCode)
}

/// The form body of the token request (RFC 6749 §4.1.3, RFC 7636 §4.5).
pub fn token_request_body(
    config: &ClientConfig,
    code: &AuthorizationCode,
    code_verifier: &CodeVerifier,
) -> String {
    form_encode(&[
        ("grant_type", "authorization_code"),
        ("code", code.secret()),
        ("redirect_uri", &config.redirect_uri),
        ("client_id", &config.client_id),
        ("code_verifier", code_verifier.secret()),
    ])
}

/// The form body of a refresh (RFC 6749 §6).
pub fn refresh_request_body(config: &ClientConfig, refresh_token: &str) -> String {
    form_encode(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", &config.client_id),
    ])
}

/// The form body of a revocation (RFC 7009 §2.1).
pub fn revocation_request_body(config: &ClientConfig, token: &str, hint: &str) -> String {
    form_encode(&[
        ("token", token),
        ("token_type_hint", hint),
        ("client_id", &config.client_id),
    ])
}
