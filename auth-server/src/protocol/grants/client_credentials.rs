//! `grant_type=client_credentials` (RFC 6749 §4.4, OAuth 2.1 §4.2): a client the operator
//! configured asks for a token for itself.

use shared::{ScopeSet, TokenErrorCode, TokenRequestForm};

use crate::error::{ApiError, Internal};
use crate::protocol::tokens::{self, Issue};
use crate::state::AppState;
use crate::store::{Client, Grant, Spending};

/// RFC 6749 §4.4 / OAuth 2.1 §4.2: a confidential client asks for a token for itself
/// (service to service). No user, no refresh token (RFC 6749 §4.4.3: "A refresh token
/// SHOULD NOT be included").
pub(crate) async fn client_credentials(
    state: &AppState,
    client: &Client,
    form: &TokenRequestForm,
) -> Result<shared::TokenResponse, ApiError> {
    // Registration refuses client_credentials to public clients; a stored row that says
    // otherwise is still refused.
    if client.secret_hash.is_none() {
        return Err(ApiError::new(
            TokenErrorCode::UnauthorizedClient,
            "a public client cannot use client_credentials: it has no credentials to prove who it is",
        ));
    }
    let scope = match form.scope.as_deref() {
        Some(requested) => ScopeSet::parse(requested)
            .map_err(|e| ApiError::new(TokenErrorCode::InvalidScope, e.to_string()))?,
        None => client.allowed_scopes.clone(),
    };
    if !scope.is_subset(&client.allowed_scopes) {
        return Err(ApiError::new(
            TokenErrorCode::InvalidScope,
            format!("this client may ask only for: {}", client.allowed_scopes),
        ));
    }
    let resource = state
        .settings
        .resources
        .find(&state.db, form.resource.as_deref())
        .await?
        .ok_or_else(|| ApiError::new(TokenErrorCode::InvalidTarget, "unknown resource"))?;
    if let Some(not_understood) = resource.not_understood(&scope) {
        return Err(ApiError::new(
            TokenErrorCode::InvalidScope,
            format!(
                "the resource {} does not understand the scope {not_understood}",
                resource.identifier
            ),
        ));
    }
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
