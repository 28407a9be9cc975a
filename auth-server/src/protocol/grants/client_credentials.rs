//! `grant_type=client_credentials` (RFC 6749 §4.4, OAuth 2.1 §4.2): a client the operator
//! configured asks for a token for itself.

use server_kit::trace::{Check, Recorder};
use shared::{ScopeSet, TokenErrorCode, TokenRequestForm};

use crate::error::{ApiError, Internal};
use crate::model::{Client, Grant};
use crate::protocol::tokens::{self, Issue};
use crate::state::AppState;
use crate::store::Spending;

/// RFC 6749 §4.4 / OAuth 2.1 §4.2: a confidential client asks for a token for itself
/// (service to service). No user, no refresh token (RFC 6749 §4.4.3: "A refresh token
/// SHOULD NOT be included").
pub(crate) async fn client_credentials(
    state: &AppState,
    trace: &Recorder,
    client: &Client,
    form: &TokenRequestForm,
) -> Result<shared::TokenResponse, ApiError> {
    // Registration refuses client_credentials to public clients; a stored row that says
    // otherwise is still refused.
    let confidential = if client.secret_hash.is_some() {
        Ok(())
    } else {
        Err(ApiError::new(
            TokenErrorCode::UnauthorizedClient,
            "a public client cannot use client_credentials: it has no credentials to prove who it is",
        ))
    };
    trace.check(&CONFIDENTIAL, confidential)?;
    let scope = trace.check(&SCOPE, check_scope(client, form))?;
    let resource = state
        .settings
        .resources
        .find(&state.db, form.resource.as_deref())
        .await?;
    let resource = trace.check(
        &RESOURCE,
        match resource {
            None => Err(ApiError::new(
                TokenErrorCode::InvalidTarget,
                "unknown resource",
            )),
            Some(resource) => match resource.not_understood(&scope) {
                Some(not_understood) => Err(ApiError::new(
                    TokenErrorCode::InvalidScope,
                    format!(
                        "the resource {} does not understand the scope {not_understood}",
                        resource.identifier
                    ),
                )),
                None => Ok(resource),
            },
        },
    )?;
    // RFC 6749 §4.4: no user authorized anything, so there is no grant to remember: no
    // refresh token hangs off it (§4.4.3) and nothing else can be issued under it. The
    // access-token row alone carries what revocation (RFC 7009), introspection (RFC 7662)
    // and the deletion of the client need, so no grant row is written (one statement less
    // per token).
    let grant = Grant::new(
        client.client_id.as_str(),
        None,
        &scope,
        &resource.identifier,
        None,
    );
    let response = tokens::issue(
        state,
        &Issue {
            grant: &grant,
            grant_stored: false,
            username: None,
            scope: &scope,
            refresh_scope: None,
            refresh_not_after: None,
        },
        Spending::Nothing,
    )
    .await?
    .ok_or_else(|| Internal::new("the store refused to write a token that spends nothing"))?;
    tracing::info!(client = %client.client_id, scope = %scope, "token: client credentials; issued an access token for the client itself");
    Ok(response)
}

const CONFIDENTIAL: Check = Check::new(
    "client_confidential",
    "OAuth 2.1 §4.2",
    "The client is confidential: it authenticated with a secret of its own.",
);
const SCOPE: Check = Check::new(
    "scope_allowed",
    "RFC 6749 §3.3",
    "Every scope asked for is one this client was registered with.",
);
const RESOURCE: Check = Check::new(
    "resource_known",
    "RFC 8707 §2",
    "The resource is one this server issues tokens for, and it understands every scope asked for.",
);

/// RFC 6749 §4.4.2: the scope asked for (or, without one, every scope of the client) is
/// within the client's registered scopes.
fn check_scope(client: &Client, form: &TokenRequestForm) -> Result<ScopeSet, ApiError> {
    let scope = match form.scope.as_deref() {
        Some(requested) => ScopeSet::parse(requested)
            .map_err(|e| ApiError::new(TokenErrorCode::InvalidScope, e.to_string()))?,
        None => client.allowed_scopes.clone(),
    };
    if scope.is_subset(&client.allowed_scopes) {
        Ok(scope)
    } else {
        Err(ApiError::new(
            TokenErrorCode::InvalidScope,
            format!("this client may ask only for: {}", client.allowed_scopes),
        ))
    }
}
