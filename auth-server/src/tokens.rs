//! Minting tokens: JWT access tokens (RFC 9068) and opaque refresh tokens, always from a
//! grant, so that revoking the grant revokes them.

use shared::{
    AccessToken, AccessTokenClaims, Audience, RefreshToken, ScopeSet, TokenResponse, TokenType,
};

use crate::error::Internal;
use crate::state::AppState;
use crate::store::{self, AccessTokenRecord, Grant, RefreshTokenRecord};

/// RFC 9068 §2.1: access tokens "MUST include this media type in the "typ" header
/// parameter ... "at+jwt"", so a resource server cannot mistake another JWT (an ID token,
/// say) for an access token.
pub(crate) const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// What to issue from a grant.
#[derive(Debug)]
pub(crate) struct Issue<'a> {
    pub grant: &'a Grant,
    /// The user's username, for the `preferred_username` claim.
    pub username: Option<&'a str>,
    /// The access token's scope: the grant's, or less (RFC 6749 §6 lets a refresh narrow it).
    pub scope: &'a ScopeSet,
    /// Issue a refresh token with this scope too (RFC 6749 §6: "the refresh token scope
    /// MUST be identical to that of the refresh token included by the client").
    pub refresh_scope: Option<&'a ScopeSet>,
}

/// Issues the tokens of `issue`: the successful token response.
pub(crate) async fn issue(state: &AppState, issue: &Issue<'_>) -> Result<TokenResponse, Internal> {
    let grant = issue.grant;
    let now = server_kit::unix_now();
    let ttl = state.settings.access_token_ttl;
    // RFC 9068 §2.2: `sub` is the user, or the client itself for client credentials.
    let sub = grant.user_id.as_deref().unwrap_or(&grant.client_id);
    let claims = AccessTokenClaims {
        iss: state.settings.issuer.clone(),
        sub: sub.to_owned(),
        aud: Audience::One(grant.resource.clone()),
        exp: now + ttl,
        iat: now,
        jti: shared::random::token(),
        client_id: grant.client_id.clone(),
        scope: issue.scope.clone(),
        auth_time: grant.auth_time,
        preferred_username: issue.username.map(str::to_owned),
    };
    let access_token = state.keys.sign(ACCESS_TOKEN_TYP, &claims)?;
    store::insert_access_token(
        &state.db,
        &AccessTokenRecord {
            jti: &claims.jti,
            grant_id: Some(&grant.id),
            client_id: &grant.client_id,
            sub,
            scope: issue.scope,
            audience: &grant.resource,
            expires_at: claims.exp,
        },
    )
    .await?;

    let refresh_token = match (issue.refresh_scope, grant.user_id.as_deref()) {
        (Some(refresh_scope), Some(user_id)) => {
            let token = RefreshToken::generate();
            store::insert_refresh_token(
                &state.db,
                &RefreshTokenRecord {
                    token_hash: &shared::digest::sha256_hex(token.secret().as_bytes()),
                    grant_id: &grant.id,
                    client_id: &grant.client_id,
                    user_id,
                    scope: refresh_scope,
                    expires_at: now + state.settings.refresh_token_ttl,
                },
            )
            .await?;
            Some(token)
        }
        _ => None,
    };

    Ok(TokenResponse {
        access_token: AccessToken::new(access_token),
        token_type: TokenType::Bearer,
        expires_in: u64::try_from(ttl).unwrap_or(0),
        scope: Some(issue.scope.clone()),
        refresh_token,
        id_token: None,
    })
}
