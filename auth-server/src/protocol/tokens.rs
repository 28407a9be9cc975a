//! Minting tokens: JWT access tokens (RFC 9068), opaque refresh tokens and OpenID Connect ID
//! tokens, always from a grant, so that revoking the grant revokes them.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256, Sha512};
use shared::jwt::ACCESS_TOKEN_TYP;
use shared::{
    AccessToken, AccessTokenClaims, Audience, IdTokenClaims, RefreshToken, ScopeSet, TokenResponse,
    TokenType,
};

use crate::error::Internal;
use crate::model::Grant;
use crate::protocol::keys::{SigningAlg, SigningKeys};
use crate::state::AppState;
use crate::store::{self, AccessTokenRecord, NewTokens, RefreshTokenRecord, Spending};

/// OIDC Core §2 leaves the ID token's `typ` open; "JWT" is the common choice, and differs
/// from the access tokens' type, so neither passes for the other.
const ID_TOKEN_TYP: &str = "JWT";

/// What to issue from a grant.
#[derive(Debug)]
pub(crate) struct Issue<'a> {
    pub grant: &'a Grant,
    /// Whether `grant` is a stored row the tokens point to (and die with). A client's
    /// token for itself has none: see `grants/client_credentials.rs`.
    pub grant_stored: bool,
    /// The user's username, for the `preferred_username` claim.
    pub username: Option<&'a str>,
    /// The access token's scope: the grant's, or less (RFC 6749 §6 lets a refresh narrow it).
    pub scope: &'a ScopeSet,
    /// Issue a refresh token with this scope too (RFC 6749 §6: "the refresh token scope
    /// MUST be identical to that of the refresh token included by the client").
    pub refresh_scope: Option<&'a ScopeSet>,
    /// When the refresh token must expire at the latest: the expiry of the token it
    /// replaces. draft-ietf-oauth-browser-based-apps (refresh tokens): a rotated refresh
    /// token "MUST NOT extend the lifetime" beyond that of the initial one. Since each
    /// rotated token is capped by the one before, the whole family ends when the first
    /// token would have. `None` for the first token of a grant.
    pub refresh_not_after: Option<i64>,
}

/// Issues the tokens of `issue`: signs them, then spends `spending` and writes their rows in
/// one transaction, so a code or refresh token is never spent without its tokens stored,
/// nor tokens stored for one spent before. `None`: `spending` was already spent (a replay,
/// or a concurrent request that won), and nothing was issued.
pub(crate) async fn issue(
    state: &AppState,
    issue: &Issue<'_>,
    spending: Spending<'_>,
) -> Result<Option<TokenResponse>, Internal> {
    let grant = issue.grant;
    let now = server_kit::unix_now();
    let policy = state
        .settings
        .resources
        .token_policy(&state.db, &grant.resource)
        .await?;
    // RFC 9068 §2.2: `sub` is the user, or the client itself for client credentials.
    let sub = grant.user_id.as_deref().unwrap_or(&grant.client_id);
    // RFC 9068 §3 / RFC 8707: the token is for the grant's resource. With `openid` and for
    // the default resource (the client named none, or named the lab's own), it is also for
    // this server's UserInfo endpoint, which accepts only tokens meant for it. A token for
    // any other resource is not: that resource sees the token and could otherwise replay
    // it at UserInfo for the user's name and e-mail (RFC 9700 §4.10.2; S3-10 in
    // `docs/security-review.md`).
    let for_userinfo = issue.scope.contains("openid")
        && grant.resource == state.settings.resources.default_resource().identifier;
    let aud = if for_userinfo {
        Audience::Many(vec![
            grant.resource.clone(),
            state.settings.userinfo_audience(),
        ])
    } else {
        Audience::One(grant.resource.clone())
    };
    let claims = AccessTokenClaims {
        iss: state.settings.issuer.clone(),
        sub: sub.to_owned(),
        aud,
        exp: now + policy.ttl,
        iat: now,
        jti: shared::random::token(),
        client_id: grant.client_id.clone(),
        scope: issue.scope.clone(),
        auth_time: grant.auth_time,
        preferred_username: issue.username.map(str::to_owned),
    };
    let access_token = state
        .keys
        .sign(&state.db, policy.alg, ACCESS_TOKEN_TYP, &claims)
        .await?;
    let access = AccessTokenRecord {
        jti: claims.jti,
        grant_id: issue.grant_stored.then(|| grant.id.clone()),
        client_id: grant.client_id.clone(),
        sub: sub.to_owned(),
        scope: issue.scope.to_string(),
        audience: grant.resource.clone(),
        expires_at: claims.exp,
    };
    let (refresh_token, refresh) = match (issue.refresh_scope, grant.user_id.as_deref()) {
        (Some(refresh_scope), Some(user_id)) => {
            let token = RefreshToken::generate();
            let row = RefreshTokenRecord {
                token_hash: shared::digest::sha256_hex(token.secret().as_bytes()),
                grant_id: grant.id.clone(),
                client_id: grant.client_id.clone(),
                user_id: user_id.to_owned(),
                scope: refresh_scope.to_string(),
                expires_at: issue
                    .refresh_not_after
                    .map_or(now + state.settings.refresh_token_ttl, |not_after| {
                        not_after.min(now + state.settings.refresh_token_ttl)
                    }),
            };
            (Some(token), Some(row))
        }
        _ => (None, None),
    };
    if !store::write_tokens(&state.db, spending, NewTokens { access, refresh }).await? {
        return Ok(None);
    }
    state
        .settings
        .resources
        .issued_for(&state.db, &grant.resource)
        .await?;

    Ok(Some(TokenResponse {
        access_token: AccessToken::new(access_token),
        token_type: TokenType::Bearer,
        expires_in: u64::try_from(policy.ttl).unwrap_or(0),
        scope: Some(issue.scope.clone()),
        refresh_token,
        id_token: None,
    }))
}

/// An OpenID Connect ID token for the login behind `grant` (OIDC Core §3.1.3.3), issued
/// with `access_token` when the `openid` scope was granted, signed with the algorithm the
/// client registered (`alg`).
pub(crate) async fn id_token(
    state: &AppState,
    grant: &Grant,
    alg: SigningAlg,
    nonce: Option<&str>,
    access_token: &AccessToken,
) -> Result<String, Internal> {
    let now = server_kit::unix_now();
    let claims = IdTokenClaims {
        iss: state.settings.issuer.clone(),
        sub: grant.user_id.clone().unwrap_or_default(),
        aud: Audience::One(grant.client_id.clone()),
        exp: now + state.settings.access_token_ttl,
        iat: now,
        auth_time: grant.auth_time,
        nonce: nonce.map(str::to_owned),
        at_hash: Some(at_hash(alg, access_token)),
    };
    state.keys.sign(&state.db, alg, ID_TOKEN_TYP, &claims).await
}

/// The claims of an access token this server signed with a key it still publishes.
pub(crate) async fn verify_access_token(
    state: &AppState,
    token: &str,
) -> Result<Option<AccessTokenClaims>, Internal> {
    verify_own(state, ACCESS_TOKEN_TYP, token).await
}

/// The claims of an ID token this server signed with a key it still publishes (expired or
/// not: an `id_token_hint` names a past login).
pub(crate) async fn verify_id_token(
    state: &AppState,
    token: &str,
) -> Result<Option<IdTokenClaims>, Internal> {
    verify_own(state, ID_TOKEN_TYP, token).await
}

async fn verify_own<T: serde::de::DeserializeOwned>(
    state: &AppState,
    typ: &str,
    token: &str,
) -> Result<Option<T>, Internal> {
    let settings = &state.settings;
    SigningKeys::verify_own(
        &state.db,
        &settings.issuer,
        settings.key_retirement(),
        typ,
        token,
    )
    .await
}

/// OIDC Core §3.1.3.6: "the base64url encoding of the left-most half of the hash of the
/// octets of the ASCII representation of the access_token value, where the hash algorithm
/// used is the hash algorithm used in the alg Header Parameter": SHA-256 for ES256 and
/// RS256; for EdDSA with Ed25519, SHA-512 (the hash inside Ed25519, RFC 8032 §5.1).
fn at_hash(alg: SigningAlg, access_token: &AccessToken) -> String {
    let token = access_token.secret().as_bytes();
    let digest = match alg {
        SigningAlg::EdDSA => Sha512::digest(token).to_vec(),
        SigningAlg::ES256 | SigningAlg::RS256 => Sha256::digest(token).to_vec(),
    };
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}
