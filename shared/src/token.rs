//! The token endpoint's request and response (RFC 6749 §4.1.3, §5.1, §6).

use serde::{Deserialize, Serialize};

use crate::scope::ScopeSet;
use crate::values::{AccessToken, RefreshToken};

/// The form body of `POST /token` as it arrives: flat, every parameter an optional string
/// named as in the RFC. The server dispatches on `grant_type` in code and turns the fields it
/// needs into validated types; a parameter sent twice fails to deserialize, which the server
/// answers with `invalid_request` (RFC 6749 §3.2: "Request and response parameters MUST NOT
/// be included more than once").
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenRequestForm {
    /// `authorization_code`, `refresh_token` or `client_credentials`.
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
    pub resource: Option<String>,
}

/// `grant_type` values this server supports. OAuth 2.1 removes the implicit grant (§10.1)
/// and the resource owner password credentials grant (§10.2), so they do not exist here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

impl GrantType {
    /// All grant types, in the order the discovery document lists them.
    pub const ALL: [Self; 3] = [
        Self::AuthorizationCode,
        Self::RefreshToken,
        Self::ClientCredentials,
    ];

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == value)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
        }
    }
}

/// `token_type` (RFC 6749 §7.1); OAuth 2.1 bearer tokens (RFC 6750).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TokenType {
    Bearer,
}

/// A successful token response (RFC 6749 §5.1), sent with `Cache-Control: no-store`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    /// A JWT (RFC 9068) for the resource server.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub access_token: AccessToken,
    pub token_type: TokenType,
    /// Lifetime of the access token in seconds.
    pub expires_in: u64,
    /// RFC 6749 §5.1: "OPTIONAL, if identical to the scope requested by the client;
    /// otherwise, REQUIRED." This server always sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub scope: Option<ScopeSet>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub refresh_token: Option<RefreshToken>,
    /// OpenID Connect Core §3.1.3.3, when the `openid` scope was granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}
