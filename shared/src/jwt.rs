//! Reading a JWT on the client's side, to show it (the SPA's token view, `oauth-lab
//! inspect`). The client does not verify the access token's signature: the token is for the
//! resource server, which does (RFC 9068 §6: "the client MUST NOT inspect the content of the
//! access token" for decisions; we only display it). For the ID token, which *is* for the
//! client, the claims the flow depends on are checked in [`check_id_token`].

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::{IdTokenClaims, Nonce};

/// The `typ` of a JWT access token (RFC 9068 §2.1): "at+jwt", so a resource server cannot
/// mistake another JWT (an ID token, a client's own) for one.
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// RFC 9068 §4: "Resource servers MUST verify that the "typ" header value is "at+jwt" or
/// "application/at+jwt" and reject tokens carrying any other value" (compared without
/// regard to case, as media types are).
pub fn is_access_token_typ(typ: &str) -> bool {
    typ.eq_ignore_ascii_case(ACCESS_TOKEN_TYP) || typ.eq_ignore_ascii_case("application/at+jwt")
}

/// The clock skew every verifier of the lab tolerates on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECS: i64 = 30;

/// The JWS algorithms (RFC 7518 §3.1, RFC 8037 §3.1) the lab's authorization server signs
/// with, one key each, and the only ones its verifiers accept: asymmetric, so a verifier
/// holds no secret. Never `none` and never `HS*` (RFC 8725 §2.1, §3.1): with an HMAC
/// algorithm a published public key could be abused as the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SigningAlg {
    /// Ed25519 (RFC 8037): the lab's own default, small and fast.
    EdDSA,
    /// ECDSA with P-256 and SHA-256.
    ES256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 and a 2048-bit key: the one every OpenID Connect
    /// party supports (OIDC Core §15.1, Discovery §3).
    RS256,
}

impl SigningAlg {
    pub const ALL: [Self; 3] = [Self::EdDSA, Self::ES256, Self::RS256];

    /// The JOSE `alg` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EdDSA => "EdDSA",
            Self::ES256 => "ES256",
            Self::RS256 => "RS256",
        }
    }

    /// The algorithm named `alg`, if it is one of [`Self::ALL`] (compared exactly).
    pub fn parse(alg: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|known| known.as_str() == alg)
    }
}

impl std::fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A JWT split and decoded, for display.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedJwt {
    pub header: Value,
    pub claims: Value,
}

/// Decodes the header and claims of a compact JWS; `None` if it is not one.
pub fn decode(token: &str) -> Option<DecodedJwt> {
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let part = |text: &str| -> Option<Value> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(text).ok()?).ok()
    };
    Some(DecodedJwt {
        header: part(header)?,
        claims: part(claims)?,
    })
}

/// What a claim means, in one line.
pub fn explain_claim(name: &str) -> &'static str {
    match name {
        "iss" => "issuer: the authorization server that signed the token",
        "sub" => "subject: the user (or, for client credentials, the client)",
        "aud" => "audience: who the token is for; anyone else must refuse it",
        "exp" => "expiry, seconds since 1970: refused after this",
        "iat" => "issued at, seconds since 1970",
        "nbf" => "not before: refused until this time",
        "jti" => "a unique id, so this token can be told apart and revoked",
        "client_id" => "the client the token was issued to",
        "scope" => "what the token allows",
        "auth_time" => "when the user logged in",
        "nonce" => "the value this tab sent: proves the ID token was made for this login",
        "at_hash" => "half a hash of the access token: binds the two tokens together",
        "preferred_username" => "the user's username",
        _ => "",
    }
}

/// Why the client refuses an ID token (OIDC Core §3.1.3.7).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenRefusal {
    #[error("the ID token cannot be decoded")]
    Malformed,
    #[error("the ID token's nonce is not the one this tab sent: it was not made for this login")]
    NonceMismatch,
    #[error("the ID token is for another client (aud)")]
    WrongAudience,
    #[error("the ID token comes from another issuer (iss)")]
    WrongIssuer,
    #[error("the ID token has expired (exp)")]
    Expired,
}

/// OIDC Core §3.1.3.7, in its order: `iss` must be the issuer (item 2), `aud` must contain
/// this client (3), the token must not have expired at `now` (9, with [`LEEWAY_SECS`]),
/// and the `nonce` must be the one sent (11, the replay defence). The signature is not
/// checked here: the ID token came straight from the token endpoint, and item 6 accepts
/// that direct connection in place of a signature check (over TLS in production; in this
/// lab the connection never leaves the machine).
pub fn check_id_token(
    token: &str,
    issuer: &str,
    client_id: &str,
    nonce: &Nonce,
    now: i64,
) -> Result<IdTokenClaims, IdTokenRefusal> {
    let decoded = decode(token).ok_or(IdTokenRefusal::Malformed)?;
    let claims: IdTokenClaims =
        serde_json::from_value(decoded.claims).map_err(|_| IdTokenRefusal::Malformed)?;
    if claims.iss != issuer {
        return Err(IdTokenRefusal::WrongIssuer);
    }
    if !claims.aud.contains(client_id) {
        return Err(IdTokenRefusal::WrongAudience);
    }
    if claims.exp.saturating_add(LEEWAY_SECS) <= now {
        return Err(IdTokenRefusal::Expired);
    }
    if !claims
        .nonce
        .as_deref()
        .is_some_and(|sent| nonce.constant_time_eq(sent))
    {
        return Err(IdTokenRefusal::NonceMismatch);
    }
    Ok(claims)
}

/// A secret shown partly: the first 6 characters, then how many more are hidden.
pub fn mask(secret: &str) -> String {
    let shown: String = secret.chars().take(6).collect();
    let hidden = secret.chars().count().saturating_sub(6);
    if hidden == 0 {
        shown
    } else {
        format!("{shown}… ({hidden} more characters hidden)")
    }
}
