//! The claims of a JWT access token (RFC 9068 §2.2).

use serde::{Deserialize, Serialize};

use crate::scope::ScopeSet;

/// `aud` (RFC 7519 §4.1.3): "In the general case, the "aud" value is an array of
/// case-sensitive strings ... In the special case when the JWT has one audience, the "aud"
/// value MAY be a single case-sensitive string".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    /// RFC 9068 §4: the resource server "MUST validate that the "aud" claim contains a
    /// resource indicator value corresponding to an identifier the resource server expects
    /// for itself".
    pub fn contains(&self, resource: &str) -> bool {
        match self {
            Self::One(aud) => aud == resource,
            Self::Many(auds) => auds.iter().any(|aud| aud == resource),
        }
    }
}

/// RFC 9068 §2.2: the claims every access token of this lab carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    /// The issuer: the authorization server's issuer identifier.
    pub iss: String,
    /// The subject: the user's id, or the client's id for client credentials (§2.2).
    pub sub: String,
    /// The resource server(s) the token is meant for.
    pub aud: Audience,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// A unique id, so the token can be told apart, revoked and introspected.
    pub jti: String,
    /// The client the token was issued to.
    pub client_id: String,
    /// The granted scopes (RFC 9068 §2.2.3), left out when none were granted.
    #[serde(default, skip_serializing_if = "ScopeSet::is_empty")]
    pub scope: ScopeSet,
    /// When the user authenticated (RFC 9068 §2.2.1), seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// The user's username (an identity claim, RFC 9068 §2.2.2), so a resource server can
    /// greet the user without a second request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
}

/// The claims of an OpenID Connect ID token (OIDC Core §2), the client's proof of who
/// logged in. Unlike an access token it is *for the client*: `aud` is the client id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    /// The client id.
    pub aud: Audience,
    pub exp: i64,
    pub iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// Echo of the authorization request's `nonce` (OIDC Core §3.1.3.7): the client checks
    /// it to know the token was minted for this very login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Binds the ID token to the access token issued with it (OIDC Core §3.1.3.6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
}
