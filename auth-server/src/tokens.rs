//! Minting tokens: JWT access tokens (RFC 9068) and opaque refresh tokens.

use shared::{
    AccessToken, AccessTokenClaims, Audience, RefreshToken, ScopeSet, TokenResponse, TokenType,
};

use crate::error::Internal;
use crate::state::AppState;
use crate::store::{self, AccessTokenRecord, RefreshTokenRecord};

/// RFC 9068 §2.1: access tokens "MUST include this media type in the "typ" header
/// parameter ... "at+jwt"", so a resource server cannot mistake another JWT (an ID token,
/// say) for an access token.
const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// Lifetime of a refresh token.
const REFRESH_TOKEN_TTL_SECS: i64 = 24 * 60 * 60;

/// Who a token is for and what it allows.
#[derive(Debug)]
pub(crate) struct TokenGrant<'a> {
    pub grant_id: &'a str,
    pub client_id: &'a str,
    pub user_id: &'a str,
    pub username: &'a str,
    pub scope: &'a ScopeSet,
    pub resource: &'a str,
    pub auth_time: i64,
}

/// Issues an access token and a refresh token for `grant`: the successful token response.
pub(crate) async fn issue(
    state: &AppState,
    grant: &TokenGrant<'_>,
) -> Result<TokenResponse, Internal> {
    let now = server_kit::unix_now();
    let ttl = state.settings.access_token_ttl;
    let claims = AccessTokenClaims {
        iss: state.settings.issuer.clone(),
        sub: grant.user_id.to_owned(),
        aud: Audience::One(grant.resource.to_owned()),
        exp: now + ttl,
        iat: now,
        jti: shared::random::token(),
        client_id: grant.client_id.to_owned(),
        scope: grant.scope.clone(),
        auth_time: Some(grant.auth_time),
        preferred_username: Some(grant.username.to_owned()),
    };
    let access_token = state.keys.sign(ACCESS_TOKEN_TYP, &claims)?;
    store::insert_access_token(
        &state.db,
        &AccessTokenRecord {
            jti: &claims.jti,
            grant_id: Some(grant.grant_id),
            client_id: grant.client_id,
            sub: grant.user_id,
            scope: grant.scope,
            audience: grant.resource,
            expires_at: claims.exp,
        },
    )
    .await?;

    let refresh_token = RefreshToken::generate();
    store::insert_refresh_token(
        &state.db,
        &RefreshTokenRecord {
            token_hash: &shared::digest::sha256_hex(refresh_token.secret().as_bytes()),
            grant_id: grant.grant_id,
            client_id: grant.client_id,
            user_id: grant.user_id,
            scope: grant.scope,
            expires_at: now + REFRESH_TOKEN_TTL_SECS,
        },
    )
    .await?;

    Ok(TokenResponse {
        access_token: AccessToken::new(access_token),
        token_type: TokenType::Bearer,
        expires_in: u64::try_from(ttl).unwrap_or(0),
        scope: Some(grant.scope.clone()),
        refresh_token: Some(refresh_token),
        id_token: None,
    })
}
