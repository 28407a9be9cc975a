//! `grant_type=refresh_token` (RFC 6749 §6, OAuth 2.1 §4.3): refresh tokens rotate on every
//! use, and a refresh token used twice revokes its whole family.

use server_kit::trace::{Check, Recorder};
use shared::{ScopeSet, TokenErrorCode, TokenRequestForm, TokenResponse};

use crate::error::ApiError;
use crate::model::Client;
use crate::model::Finding;
use crate::protocol::grants::check_same_resource;
use crate::protocol::tokens::{self, Issue};
use crate::state::AppState;
use crate::store::{self, RefreshTokenRow, Spending};

/// The checks of a refresh, in order. Every failure but a malformed request is `invalid_grant`.
pub(crate) async fn refresh(
    state: &AppState,
    trace: &Recorder,
    client: &Client,
    form: &TokenRequestForm,
) -> Result<TokenResponse, ApiError> {
    let invalid_grant =
        |description: &str| ApiError::new(TokenErrorCode::InvalidGrant, description);
    let (token_hash, row) = trace.check(&KNOWN, find_refresh_token(state, form).await)?;
    // RFC 6749 §6: the refresh token is bound to the client it was issued to.
    let issued_to = if row.client_id == client.client_id.as_str() {
        Ok(())
    } else {
        Err(invalid_grant(
            "the refresh token was issued to another client",
        ))
    };
    trace.check(&ISSUED_TO, issued_to)?;
    let not_reused = check_not_reused(state, &row).await;
    trace.check(&NOT_REUSED, not_reused)?;
    let grant = store::find_grant(&state.db, &row.grant_id).await?;
    let user = match &grant {
        Some(grant) => {
            store::find_user(&state.db, grant.user_id.as_deref().unwrap_or_default()).await?
        }
        None => None,
    };
    let (grant, user) = trace.check(
        &GRANT_EXISTS,
        grant.zip(user).ok_or_else(|| {
            invalid_grant("the grant of this refresh token, or its user, no longer exists")
        }),
    )?;
    check_same_resource(trace, &grant, form)?;
    let not_revoked = if row.revoked_at.is_some() || grant.revoked_at.is_some() {
        Err(invalid_grant("the refresh token has been revoked"))
    } else {
        Ok(())
    };
    trace.check(&NOT_REVOKED, not_revoked)?;
    let not_expired = if server_kit::unix_now() < row.expires_at {
        Ok(())
    } else {
        Err(invalid_grant("the refresh token has expired"))
    };
    trace.check(&NOT_EXPIRED, not_expired)?;
    let scope = trace.check(&SCOPE, narrowed_scope(&row, form.scope.as_deref()))?;

    // Rotation, atomically: the old token is marked used in the transaction that stores the
    // new tokens, so of two refreshes racing with the same token exactly one gets them. The
    // loser cannot be told apart from an attacker replaying a stolen token, so it is
    // treated as one: `invalid_grant`, and the family (the winner's new tokens too) is
    // revoked. A client must not refresh twice in parallel.
    let issued = tokens::issue(
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
    .await?;
    let rotated = match issued {
        Some(response) => Ok(response),
        None => Err(reused(state, &row).await),
    };
    let response = trace.check(&ROTATED, rotated)?;
    tracing::info!(client = row.client_id, scope = %scope, "token: refresh token rotated; the old one no longer works");
    Ok(response)
}

const KNOWN: Check = Check::new(
    "refresh_token_known",
    "RFC 6749 §6",
    "The refresh token is one this server issued (it keeps only its hash).",
);
const ISSUED_TO: Check = Check::new(
    "refresh_token_issued_to_client",
    "RFC 6749 §6",
    "The refresh token was issued to the client that presents it.",
);
const NOT_REUSED: Check = Check::new(
    "refresh_token_not_reused",
    "OAuth 2.1 §4.3.1",
    "The refresh token has not been rotated away already (a reused one would revoke its whole family).",
);
const GRANT_EXISTS: Check = Check::new(
    "grant_exists",
    "RFC 6749 §6",
    "The user's approval behind the token, and the user, still exist.",
);
const NOT_REVOKED: Check = Check::new(
    "refresh_token_not_revoked",
    "RFC 7009 §2.2",
    "Neither the token nor its grant has been revoked.",
);
const NOT_EXPIRED: Check = Check::new(
    "refresh_token_not_expired",
    "RFC 6749 §6",
    "The refresh token is younger than its lifetime.",
);
const SCOPE: Check = Check::new(
    "scope_not_widened",
    "RFC 6749 §6",
    "The scope asked for is the granted one or narrower.",
);
const ROTATED: Check = Check::new(
    "refresh_token_rotated",
    "OAuth 2.1 §4.3.1",
    "The old refresh token was marked used in the same transaction that stored the new one.",
);

/// The refresh token's hash and row, if the form names one this server issued.
async fn find_refresh_token(
    state: &AppState,
    form: &TokenRequestForm,
) -> Result<(String, RefreshTokenRow), ApiError> {
    let token = form
        .refresh_token
        .as_deref()
        .ok_or_else(|| ApiError::new(TokenErrorCode::InvalidRequest, "refresh_token is missing"))?;
    let token_hash = shared::digest::sha256_hex(token.as_bytes());
    let row = store::find_refresh_token(&state.db, &token_hash)
        .await?
        .ok_or_else(|| ApiError::new(TokenErrorCode::InvalidGrant, "unknown refresh token"))?;
    Ok((token_hash, row))
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
