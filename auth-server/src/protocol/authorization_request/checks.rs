//! The checks of an authorization request, one function per rule, numbered in the order
//! `mod.rs` runs them. Each returns its refusal; none knows how it will be delivered.

use server_kit::db::Db;
use shared::pkce::CodeChallengeMethod;
use shared::{AuthorizationErrorCode, CodeChallenge, RedirectUri, ScopeSet};

use crate::config::ClientDocuments;
use crate::error::Internal;
use crate::model::Client;
use crate::protocol::authorization_request::request::{
    AuthorizationRequest, MAX_OPAQUE_BYTES, Prompt, Refusal, Untrusted,
};
use crate::protocol::client_document;
use crate::protocol::client_metadata::{self, redirect_uri_matches};
use crate::protocol::resources::Registry;
use crate::state::AppState;
use crate::store::{self, Session};

/// The scope a client gets when it asks for none (RFC 6749 §3.3 lets the server pick a
/// documented default).
const DEFAULT_SCOPE: &str = "read";

/// 1. `client_id` names a registered client, or is the URL of a client metadata document
///    that passes the checks of `protocol/client_document/`.
pub(super) async fn check_client(
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
pub(super) fn check_redirect_uri(
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
pub(super) fn check_no_repeated_parameter(request: &AuthorizationRequest) -> Result<(), Refusal> {
    match request.first_repeated() {
        Some(name) => Err(Refusal::new(
            AuthorizationErrorCode::InvalidRequest,
            format!("the parameter {name} appears more than once"),
        )),
        None => Ok(()),
    }
}

/// 3b. `state`, `nonce` and `login_hint` are at most [`MAX_OPAQUE_BYTES`] long.
pub(super) fn check_lengths(request: &AuthorizationRequest) -> Result<(), Refusal> {
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
pub(super) fn check_response_type(request: &AuthorizationRequest) -> Result<(), Refusal> {
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
pub(super) fn check_pkce(request: &AuthorizationRequest) -> Result<CodeChallenge, Refusal> {
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
pub(super) fn check_scope(
    client: &Client,
    request: &AuthorizationRequest,
) -> Result<ScopeSet, Refusal> {
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
pub(super) async fn check_resource(
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

/// 8. OIDC Core §3.1.2.1: `prompt` is a space-separated list of `none`, `login`, `consent`
///    and `select_account`; `none` with any other value is an error.
pub(super) fn check_prompt(request: &AuthorizationRequest) -> Result<Prompt, Refusal> {
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
pub(super) fn check_max_age(request: &AuthorizationRequest) -> Result<Option<i64>, Refusal> {
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
