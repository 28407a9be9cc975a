//! The authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, OAuth 2.1 §4.1.1, OIDC Core
//! §3.1.2.1): read once into an [`AuthorizationRequest`], then checked in the order below,
//! which is the security argument. Nothing here knows how a refusal will be delivered:
//! `routes/authorize.rs` shows an [`Untrusted`] refusal as a page and sends a [`Refusal`]
//! back to the client; a pushed request (RFC 9126) or a device authorization would answer
//! both as JSON.
//!
//! 1-2 establish who is asking and where the answer goes. Until both are known to be
//! genuine, a refusal must not go to the redirect URI: that would make the server an open
//! redirector (RFC 6749 §4.1.2.1, RFC 9700 §4.11). 3-9 check what is asked for; their
//! refusals may go back to the client, with `state` and `iss`.

use server_kit::db::Db;
use server_kit::trace::{Check, Recorder};
use shared::pkce::CodeChallengeMethod;
use shared::{AuthorizationErrorCode, CodeChallenge, RedirectUri, ScopeSet};

use crate::config::ClientDocuments;
use crate::error::Internal;
use crate::model::{Client, Finding, finding};
use crate::protocol::client_document;
use crate::protocol::client_metadata::{self, redirect_uri_matches};
use crate::protocol::resources::Registry;
use crate::state::AppState;
use crate::store::{self, Session};

/// The scope a client gets when it asks for none (RFC 6749 §3.3 lets the server pick a
/// documented default).
const DEFAULT_SCOPE: &str = "read";

/// Longest `state`, `nonce` and `login_hint` accepted. They are opaque to the server and
/// stored with the pending request; unbounded, every anonymous request could store
/// kilobytes (CWE-770). 512 bytes hold any random value a client needs.
pub(crate) const MAX_OPAQUE_BYTES: usize = 512;

pub(crate) const PARAMETERS: Check = Check::new(
    "query",
    "RFC 6749 §4.1.1",
    "The query string is readable form-encoded parameters.",
);
pub(crate) const CLIENT: Check = Check::new(
    "client",
    "RFC 6749 §4.1.2.1",
    "client_id names a client registered here (or a client metadata document that passes its checks).",
);
pub(crate) const REDIRECT_URI: Check = Check::new(
    "redirect_uri_exact",
    "OAuth 2.1 §2.3.1",
    "redirect_uri is, character for character, one the client registered: errors may now go back to it.",
);
const NO_REPEATS: Check = Check::new(
    "no_repeated_parameter",
    "RFC 6749 §3.1",
    "No parameter appears twice.",
);
const LENGTHS: Check = Check::new(
    "lengths",
    "RFC 6749 §10.10",
    "state, nonce and login_hint are at most 512 bytes.",
);
const RESPONSE_TYPE: Check = Check::new(
    "response_type",
    "OAuth 2.1 §4.1.1",
    "response_type is code (the implicit grant is gone).",
);
const PKCE: Check = Check::new(
    "pkce_challenge",
    "RFC 7636 §4.3",
    "A code_challenge with method S256 came along: the token request will have to prove it.",
);
const SCOPE: Check = Check::new(
    "scope",
    "RFC 6749 §3.3",
    "Every scope is known, and the client may ask for what it keeps.",
);
const RESOURCE: Check = Check::new(
    "resource",
    "RFC 8707 §2",
    "The token will be for a resource this server knows, which understands the scopes asked for.",
);
const PROMPT: Check = Check::new(
    "prompt",
    "OIDC Core §3.1.2.1",
    "prompt, if any, holds none, login, consent or select_account (none alone).",
);
const MAX_AGE: Check = Check::new(
    "max_age",
    "OIDC Core §3.1.2.1",
    "max_age, if any, is a number of seconds.",
);

/// The request's parameters as name/value pairs, in order, repeats kept (so they can be
/// refused).
#[derive(Debug)]
pub(crate) struct AuthorizationRequest(Vec<(String, String)>);

impl AuthorizationRequest {
    /// Reads form-encoded parameters (a query string, or a `POST` body).
    pub(crate) fn parse(raw: &str) -> Result<Self, Untrusted> {
        serde_urlencoded::from_str(raw).map(Self).map_err(|_| Untrusted {
            title: "Malformed request",
            description: "The query string of this authorization request cannot be read."
                .to_owned(),
            rule: "RFC 6749 §4.1.2.1: without a readable client_id and redirect_uri the server must not redirect.",
        })
    }

    /// The first value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `state`, if it is one the length check accepts.
    pub(crate) fn state(&self) -> Option<&str> {
        self.get("state").filter(|s| s.len() <= MAX_OPAQUE_BYTES)
    }

    fn is_repeated(&self, name: &str) -> bool {
        self.0.iter().filter(|(n, _)| n == name).count() > 1
    }

    fn first_repeated(&self) -> Option<&str> {
        self.0
            .iter()
            .map(|(n, _)| n.as_str())
            .find(|n| self.is_repeated(n))
    }
}

/// A refusal made before the client and its redirect URI are known to be genuine: it must
/// not be sent to the redirect URI (RFC 6749 §4.1.2.1).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Untrusted {
    /// What went wrong, in a few words.
    pub title: &'static str,
    pub description: String,
    /// The rule that keeps it from going back to the client.
    pub rule: &'static str,
}

impl Untrusted {
    pub(crate) fn new(title: &'static str, description: impl Into<String>) -> Self {
        Self {
            title,
            description: description.into(),
            rule: "RFC 6749 §4.1.2.1: when the client or its redirect URI cannot be trusted, the authorization server must not redirect the browser to it; it tells you here instead.",
        }
    }
}

/// In the words shown, for the decision trace.
impl std::fmt::Display for Untrusted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.title, self.description)
    }
}

/// A refusal of what is asked for (RFC 6749 §4.1.2.1): it may go back to the client.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub code: AuthorizationErrorCode,
    pub description: String,
}

impl Refusal {
    pub(crate) fn new(code: AuthorizationErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
        }
    }
}

/// In the words of the error sent back (`error: error_description`), for the decision trace.
impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description)
    }
}

/// What checks 1-2 establish.
#[derive(Debug)]
pub(crate) struct Identified {
    pub client: Client,
    pub redirect_uri: RedirectUri,
}

/// What checks 3-9 establish.
#[derive(Debug)]
pub(crate) struct Checked {
    pub challenge: CodeChallenge,
    pub scope: ScopeSet,
    /// The resource's identifier: the tokens' audience.
    pub resource: String,
    pub prompt: Prompt,
    pub max_age: Option<i64>,
}

/// 1-2, into the trace: who is asking, and where the answer goes. `address` is where the
/// request came from (a client metadata document is fetched on its behalf).
pub(crate) async fn identify(
    state: &AppState,
    trace: &Recorder,
    request: &AuthorizationRequest,
    address: &str,
) -> Result<Result<Identified, Untrusted>, Internal> {
    let client = match trace.check(&CLIENT, check_client(state, request, address).await?) {
        Ok(client) => client,
        Err(refusal) => return Ok(Err(refusal)),
    };
    Ok(trace
        .check(&REDIRECT_URI, check_redirect_uri(&client, request))
        .map(|redirect_uri| Identified {
            client,
            redirect_uri,
        }))
}

/// 3-9, into the trace: what is asked for. The client's report records what this request
/// shows of it first, whether or not it goes on.
pub(crate) async fn check(
    state: &AppState,
    trace: &Recorder,
    request: &AuthorizationRequest,
    client: &Client,
) -> Result<Result<Checked, Refusal>, Internal> {
    record_findings(&state.db, client, request).await?;
    let (challenge, scope) = match check_form_and_scope(trace, request, client) {
        Ok(checked) => checked,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let resource = check_resource(&state.settings.resources, &state.db, request, &scope).await?;
    Ok(check_resource_and_prompt(
        trace, request, challenge, scope, resource,
    ))
}

/// 3-6.
fn check_form_and_scope(
    trace: &Recorder,
    request: &AuthorizationRequest,
    client: &Client,
) -> Result<(CodeChallenge, ScopeSet), Refusal> {
    trace.check(&NO_REPEATS, check_no_repeated_parameter(request))?;
    trace.check(&LENGTHS, check_lengths(request))?;
    trace.check(&RESPONSE_TYPE, check_response_type(request))?;
    let challenge = trace.check(&PKCE, check_pkce(request))?;
    let scope = trace.check(&SCOPE, check_scope(client, request))?;
    Ok((challenge, scope))
}

/// 7 (looked up by the caller), 8, 9.
fn check_resource_and_prompt(
    trace: &Recorder,
    request: &AuthorizationRequest,
    challenge: CodeChallenge,
    scope: ScopeSet,
    resource: Result<String, Refusal>,
) -> Result<Checked, Refusal> {
    let resource = trace.check(&RESOURCE, resource)?;
    let prompt = trace.check(&PROMPT, check_prompt(request))?;
    let max_age = trace.check(&MAX_AGE, check_max_age(request))?;
    Ok(Checked {
        challenge,
        scope,
        resource,
        prompt,
        max_age,
    })
}

/// The client's report (`model/finding.rs`): what this request shows of its PKCE and
/// `resource`, whether or not it goes on.
async fn record_findings(
    db: &Db,
    client: &Client,
    request: &AuthorizationRequest,
) -> Result<(), Internal> {
    let graded = finding::of_authorization_request(
        request.get("code_challenge"),
        request.get("code_challenge_method"),
        request.get("resource"),
    );
    for graded in graded {
        let detail = match graded {
            Finding::ResourceNotCanonical => request.get("resource").unwrap_or_default(),
            _ => "",
        };
        store::record_finding(db, client.client_id.as_str(), graded, detail).await?;
    }
    Ok(())
}

/// 1. `client_id` names a registered client, or is the URL of a client metadata document
///    that passes the checks of `protocol/client_document.rs`.
async fn check_client(
    state: &AppState,
    request: &AuthorizationRequest,
    address: &str,
) -> Result<Result<Client, Untrusted>, Internal> {
    if request.is_repeated("client_id") {
        return Ok(Err(Untrusted::new(
            "Invalid client",
            "client_id appears more than once.",
        )));
    }
    let Some(client_id) = request.get("client_id") else {
        return Ok(Err(Untrusted::new(
            "Invalid client",
            "The request has no client_id.",
        )));
    };
    if client_document::is_document_url(client_id) {
        if state.settings.client_metadata_documents == ClientDocuments::Off {
            return Ok(Err(Untrusted::new(
                "Unknown client",
                format!(
                    "\"{client_id}\" is a URL, but this server does not accept client metadata documents (it runs with --client-metadata-documents off)."
                ),
            )));
        }
        return Ok(client_document::client(state, client_id, address)
            .await?
            .map_err(|why| Untrusted::new("Client metadata document refused", why)));
    }
    Ok(store::find_client(&state.db, client_id)
        .await?
        .ok_or_else(|| {
            Untrusted::new(
                "Unknown client",
                format!("No client with the id \"{client_id}\" is registered here."),
            )
        }))
}

/// 2. `redirect_uri` is, character for character, one of the client's registered URIs:
///    OAuth 2.1 §2.3.1 and RFC 9700 §4.1.3 require exact string matching; only the port of
///    a self-registered client's loopback URI may differ (OAuth 2.1 §8.4.2, RFC 8252 §7.3:
///    `redirect_uri_matches`).
fn check_redirect_uri(
    client: &Client,
    request: &AuthorizationRequest,
) -> Result<RedirectUri, Untrusted> {
    if request.is_repeated("redirect_uri") {
        return Err(Untrusted::new(
            "Invalid redirect URI",
            "redirect_uri appears more than once.",
        ));
    }
    let Some(redirect_uri) = request.get("redirect_uri").map(RedirectUri::new) else {
        return Err(Untrusted::new(
            "Missing redirect URI",
            "The request has no redirect_uri; this server requires it in every authorization request.",
        ));
    };
    if client.redirect_uris.iter().any(|registered| {
        redirect_uri_matches(
            registered.as_str(),
            redirect_uri.as_str(),
            client.self_registered,
        )
    }) {
        Ok(redirect_uri)
    } else {
        Err(Untrusted::new(
            "Invalid redirect URI",
            format!(
                "\"{redirect_uri}\" is not registered for the client \"{}\". Redirect URIs must match a registered one exactly (for a self-registered client, only the port of an http://127.0.0.1, http://[::1] or http://localhost URI may differ).",
                client.client_id
            ),
        ))
    }
}

/// 3. RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once."
fn check_no_repeated_parameter(request: &AuthorizationRequest) -> Result<(), Refusal> {
    match request.first_repeated() {
        Some(name) => Err(Refusal::new(
            AuthorizationErrorCode::InvalidRequest,
            format!("the parameter {name} appears more than once"),
        )),
        None => Ok(()),
    }
}

/// 3b. `state`, `nonce` and `login_hint` are at most [`MAX_OPAQUE_BYTES`] long.
fn check_lengths(request: &AuthorizationRequest) -> Result<(), Refusal> {
    for name in ["state", "nonce", "login_hint"] {
        if request
            .get(name)
            .is_some_and(|v| v.len() > MAX_OPAQUE_BYTES)
        {
            return Err(Refusal::new(
                AuthorizationErrorCode::InvalidRequest,
                format!("{name} is longer than {MAX_OPAQUE_BYTES} bytes"),
            ));
        }
    }
    Ok(())
}

/// 4. OAuth 2.1 §4.1.1: `response_type` must be `code` (the implicit grant's `token` is gone).
fn check_response_type(request: &AuthorizationRequest) -> Result<(), Refusal> {
    match request.get("response_type") {
        Some("code") => Ok(()),
        Some(other) => Err(Refusal::new(
            AuthorizationErrorCode::UnsupportedResponseType,
            format!("response_type {other:?} is not supported; OAuth 2.1 has only \"code\""),
        )),
        None => Err(Refusal::new(
            AuthorizationErrorCode::InvalidRequest,
            "response_type is missing",
        )),
    }
}

/// 5. OAuth 2.1 §4.1.1 / RFC 9700 §2.1.1: every client uses PKCE, with S256.
fn check_pkce(request: &AuthorizationRequest) -> Result<CodeChallenge, Refusal> {
    let invalid =
        |description: String| Refusal::new(AuthorizationErrorCode::InvalidRequest, description);
    let challenge = request
        .get("code_challenge")
        .ok_or_else(|| invalid("code_challenge is required (PKCE, OAuth 2.1 §4.1.1)".to_owned()))?;
    let method = request
        .get("code_challenge_method")
        .ok_or_else(|| invalid("code_challenge_method is required and must be S256".to_owned()))?;
    CodeChallengeMethod::parse(method).map_err(|e| invalid(e.to_string()))?;
    CodeChallenge::parse(challenge).map_err(|e| invalid(e.to_string()))
}

/// 6. Every requested scope is known (RFC 6749 §3.3), and the client gets only those it
///    may have: those it was registered with, and `offline_access` (OIDC Core §11) for
///    every client. A self-registered client may also ask for anything within the
///    self-registration ceiling (never `admin`): an MCP client registers with the scope of
///    its first challenge and asks for more with the same registration when a tool needs it
///    (MCP authorization, scope challenge handling); the user's consent decides. Scopes
///    beyond that are left out, not refused (§3.3: the server "MAY fully or partially ignore
///    the scope requested"; MCP clients ask for every scope a resource lists), and the token
///    response says what was granted; a request left with nothing is `invalid_scope`.
fn check_scope(client: &Client, request: &AuthorizationRequest) -> Result<ScopeSet, Refusal> {
    let invalid =
        |description: String| Refusal::new(AuthorizationErrorCode::InvalidScope, description);
    let requested = ScopeSet::parse(request.get("scope").unwrap_or(DEFAULT_SCOPE))
        .map_err(|e| invalid(e.to_string()))?;
    if let Some(unknown) = requested.first_unknown() {
        return Err(invalid(format!("unknown scope {:?}", unknown.as_str())));
    }
    let mut allowed = client.allowed_scopes.with_offline_access();
    if client.self_registered {
        allowed = allowed.union(&client_metadata::ceiling());
    }
    let granted = requested.intersection(&allowed);
    if granted.is_empty() {
        return Err(invalid(format!("this client may ask only for: {allowed}")));
    }
    if granted != requested {
        tracing::info!(
            client = %client.client_id,
            asked = %requested,
            kept = %granted,
            "authorize: scopes this client may not have are left out"
        );
    }
    Ok(granted)
}

/// 7. RFC 8707 §2: `resource`, if present, names a resource this server knows; it becomes
///    the token's audience. Without it, tokens are for the default resource. Every scope
///    asked that is about a resource is one this resource understands (RFC 6749 §3.3).
async fn check_resource(
    resources: &Registry,
    db: &Db,
    request: &AuthorizationRequest,
    scope: &ScopeSet,
) -> Result<Result<String, Refusal>, Internal> {
    let requested = request.get("resource");
    let Some(resource) = resources.find(db, requested).await? else {
        return Ok(Err(Refusal::new(
            AuthorizationErrorCode::InvalidTarget,
            format!("unknown resource {:?}", requested.unwrap_or_default()),
        )));
    };
    if let Some(not_understood) = resource.not_understood(scope) {
        return Ok(Err(Refusal::new(
            AuthorizationErrorCode::InvalidScope,
            format!(
                "the resource {} does not understand the scope {not_understood}",
                resource.identifier
            ),
        )));
    }
    Ok(Ok(resource.identifier))
}

/// What `prompt` asks for (OIDC Core §3.1.2.1).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Prompt {
    /// `none`: no page at all; an answer at once or an error.
    pub none: bool,
    /// `login` or `select_account`: log in again (the login page is where another account
    /// is chosen).
    pub login: bool,
    /// `consent`: ask for consent even if it is remembered.
    pub consent: bool,
}

/// 8. OIDC Core §3.1.2.1: `prompt` is a space-separated list of `none`, `login`, `consent`
///    and `select_account`; `none` with any other value is an error.
fn check_prompt(request: &AuthorizationRequest) -> Result<Prompt, Refusal> {
    let invalid = |why: String| Refusal::new(AuthorizationErrorCode::InvalidRequest, why);
    let Some(value) = request.get("prompt") else {
        return Ok(Prompt::default());
    };
    let mut prompt = Prompt::default();
    let values: Vec<&str> = value.split(' ').collect();
    for value in &values {
        match *value {
            "none" => prompt.none = true,
            "login" | "select_account" => prompt.login = true,
            "consent" => prompt.consent = true,
            other => {
                return Err(invalid(format!(
                    "prompt may hold none, login, consent and select_account, not {other:?}"
                )));
            }
        }
    }
    if prompt.none && values.len() > 1 {
        return Err(invalid(
            "prompt=none cannot be combined with other values".to_owned(),
        ));
    }
    Ok(prompt)
}

/// 9. OIDC Core §3.1.2.1: `max_age`, the most seconds since the user last logged in.
fn check_max_age(request: &AuthorizationRequest) -> Result<Option<i64>, Refusal> {
    request
        .get("max_age")
        .map(|value| {
            value.parse::<u32>().map(i64::from).map_err(|_| {
                Refusal::new(
                    AuthorizationErrorCode::InvalidRequest,
                    format!("max_age must be a number of seconds, not {value:?}"),
                )
            })
        })
        .transpose()
}

/// 10, the user: whether the login of `session` will do for this request at `now`:
/// someone is logged in, the client asked for no new login, and it is no older than
/// `max_age` (`max_age=0`: never). Otherwise the server "MUST attempt to actively
/// re-authenticate" (OIDC Core §3.1.2.1).
pub(crate) fn login_will_do(
    session: &Session,
    prompt: &Prompt,
    max_age: Option<i64>,
    now: i64,
) -> bool {
    session.user_id.is_some()
        && !prompt.login
        && max_age
            .is_none_or(|max_age| max_age > 0 && now - session.auth_time.unwrap_or(0) <= max_age)
}

#[cfg(test)]
mod tests;
