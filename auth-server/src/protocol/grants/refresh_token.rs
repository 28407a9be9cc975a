//! `grant_type=refresh_token` (RFC 6749 §6, OAuth 2.1 §4.3): refresh tokens rotate on every
//! use, and a refresh token used twice revokes its whole family.

use shared::{ScopeSet, TokenErrorCode, TokenRequestForm, TokenResponse};

use crate::error::ApiError;
use crate::protocol::findings::Finding;
use crate::protocol::grants::check_same_resource;
use crate::protocol::tokens::{self, Issue};
use crate::state::AppState;
use crate::store::{self, Client, RefreshTokenRow, Spending};

/// The checks of a refresh, in order. Every failure but a malformed request is `invalid_grant`.
pub(crate) async fn refresh(
    state: &AppState,
    client: &Client,
    form: &TokenRequestForm,
) -> Result<TokenResponse, ApiError> {
    let invalid_grant =
        |description: &str| ApiError::new(TokenErrorCode::InvalidGrant, description);
    let token = form
        .refresh_token
        .as_deref()
        .ok_or_else(|| ApiError::new(TokenErrorCode::InvalidRequest, "refresh_token is missing"))?;
    let token_hash = shared::digest::sha256_hex(token.as_bytes());
    let row = store::find_refresh_token(&state.db, &token_hash)
        .await?
        .ok_or_else(|| invalid_grant("unknown refresh token"))?;

    // RFC 6749 §6: the refresh token is bound to the client it was issued to.
    if row.client_id != client.client_id.as_str() {
        return Err(invalid_grant(
            "the refresh token was issued to another client",
        ));
    }
    check_not_reused(state, &row).await?;
    let grant = store::find_grant(&state.db, &row.grant_id)
        .await?
        .ok_or_else(|| invalid_grant("the grant of this refresh token no longer exists"))?;
    check_same_resource(&grant, form)?;
    if row.revoked_at.is_some() || grant.revoked_at.is_some() {
        return Err(invalid_grant("the refresh token has been revoked"));
    }
    if server_kit::unix_now() >= row.expires_at {
        return Err(invalid_grant("the refresh token has expired"));
    }
    let scope = narrowed_scope(&row, form.scope.as_deref())?;

    let user_id = grant.user_id.clone().unwrap_or_default();
    let user = store::find_user(&state.db, &user_id)
        .await?
        .ok_or_else(|| invalid_grant("the user of this refresh token no longer exists"))?;
    // Rotation, atomically: the old token is marked used in the transaction that stores the
    // new tokens, so of two refreshes racing with the same token exactly one gets them. The
    // loser cannot be told apart from an attacker replaying a stolen token, so it is
    // treated as one: `invalid_grant`, and the family (the winner's new tokens too) is
    // revoked. A client must not refresh twice in parallel.
    let Some(response) = tokens::issue(
        state,
        &Issue {
            grant: &grant,
            grant_stored: true,
            username: Some(&user.username),
            scope: &scope,
            refresh_scope: Some(&row.scopes()?),
            refresh_not_after: Some(row.expires_at),
        },
        Spending::RefreshToken(&token_hash),
    )
    .await?
    else {
        return Err(reused(state, &row).await);
    };
    tracing::info!(client = row.client_id, scope = %scope, "token: refresh token rotated; the old one no longer works");
    Ok(response)
}

/// OAuth 2.1 §4.3.1 / RFC 9700 §4.14.2: a refresh token that was already rotated is being
/// used again, so either the client or an attacker holds a stolen copy. The server cannot
/// tell which, so the whole family dies: every refresh token and access token of the grant.
async fn check_not_reused(state: &AppState, row: &RefreshTokenRow) -> Result<(), ApiError> {
    if row.rotated_at.is_some() {
        return Err(reused(state, row).await);
    }
    Ok(())
}

async fn reused(state: &AppState, row: &RefreshTokenRow) -> ApiError {
    if let Err(error) = store::revoke_grant(&state.db, &row.grant_id).await {
        return error.into();
    }
    let finding = Finding::RefreshTokenReplayed;
    if let Err(error) = store::record_finding(&state.db, &row.client_id, finding, "").await {
        return error.into();
    }
    tracing::warn!(
        client = row.client_id,
        "token: a rotated refresh token was used again; revoked its whole family"
    );
    ApiError::new(
        TokenErrorCode::InvalidGrant,
        "refresh token already used: every token of this grant is now revoked",
    )
}

/// RFC 6749 §6: the requested scope "MUST NOT include any scope not originally granted by
/// the resource owner, and if omitted is treated as equal to the scope originally granted".
fn narrowed_scope(row: &RefreshTokenRow, requested: Option<&str>) -> Result<ScopeSet, ApiError> {
    let granted = row.scopes()?;
    let Some(requested) = requested else {
        return Ok(granted);
    };
    let requested = ScopeSet::parse(requested)
        .map_err(|e| ApiError::new(TokenErrorCode::InvalidScope, e.to_string()))?;
    if requested.is_subset(&granted) {
        Ok(requested)
    } else {
        Err(ApiError::new(
            TokenErrorCode::InvalidScope,
            format!("a refresh may narrow the scope, never widen it; granted: {granted}"),
        ))
    }
}
