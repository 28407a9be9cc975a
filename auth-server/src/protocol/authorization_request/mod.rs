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

mod checks;
mod request;

use server_kit::db::Db;
use server_kit::trace::{Check, Recorder};
use shared::{CodeChallenge, RedirectUri, ScopeSet};

use crate::error::Internal;
use crate::model::{Client, Finding, finding};
use crate::state::AppState;
use crate::store;

pub(crate) use checks::login_will_do;
use checks::{
    check_client, check_lengths, check_max_age, check_no_repeated_parameter, check_pkce,
    check_prompt, check_redirect_uri, check_resource, check_response_type, check_scope,
};
pub(crate) use request::{AuthorizationRequest, Prompt, Refusal, Untrusted};

pub(crate) const PARAMETERS: Check = Check::new(
    "query",
    "RFC 6749 §4.1.1",
    "The query string is readable form-encoded parameters.",
);
const CLIENT: Check = Check::new(
    "client",
    "RFC 6749 §4.1.2.1",
    "client_id names a client registered here (or a client metadata document that passes its checks).",
);
const REDIRECT_URI: Check = Check::new(
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

#[cfg(test)]
mod tests;
