//! The error codes of OAuth 2.1, one enum per place they travel, each variant documented
//! with the RFC sentence that defines it.
//!
//! - [`AuthorizationErrorCode`]: sent back to the client in the redirect from the
//!   authorization endpoint (RFC 6749 §4.1.2.1), only once the client and its redirect URI
//!   are known to be genuine.
//! - [`TokenErrorCode`]: the JSON body of a failed token request (RFC 6749 §5.2).
//! - [`BearerErrorCode`]: the `WWW-Authenticate` challenge of a resource server
//!   (RFC 6750 §3.1).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Implements `as_str`, `Display`, `Serialize`, `Deserialize` and (feature `openapi`) the
/// OpenAPI schema from one table of variant ↔ wire code, so the strings exist exactly once.
macro_rules! error_code {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $code:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $code)] $variant,)+
        }

        impl $name {
            /// The code as it appears on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// In an OpenAPI document: a string, one of the wire codes.
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($code),+]))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}

error_code!(
    /// RFC 6749 §4.1.2.1: errors returned to the client's redirect URI.
    AuthorizationErrorCode {
        /// "The request is missing a required parameter, includes an invalid parameter value,
        /// includes a parameter more than once, or is otherwise malformed."
        InvalidRequest => "invalid_request",
        /// "The client is not authorized to request an authorization code using this method."
        UnauthorizedClient => "unauthorized_client",
        /// "The resource owner or authorization server denied the request."
        AccessDenied => "access_denied",
        /// "The authorization server does not support obtaining an authorization code using
        /// this method."
        UnsupportedResponseType => "unsupported_response_type",
        /// "The requested scope is invalid, unknown, or malformed."
        InvalidScope => "invalid_scope",
        /// "The authorization server encountered an unexpected condition that prevented it
        /// from fulfilling the request."
        ServerError => "server_error",
        /// "The authorization server is currently unable to handle the request due to a
        /// temporary overloading or maintenance of the server."
        TemporarilyUnavailable => "temporarily_unavailable",
        /// RFC 8707 §2: "The requested resource is invalid, missing, unknown, or malformed."
        InvalidTarget => "invalid_target",
        /// OIDC Core §3.1.2.6: `prompt=none`, and the user would have to log in.
        LoginRequired => "login_required",
        /// OIDC Core §3.1.2.6: `prompt=none`, and the user would have to consent.
        ConsentRequired => "consent_required",
    }
);

error_code!(
    /// RFC 6749 §5.2: errors in the JSON body of a failed token request.
    TokenErrorCode {
        /// "The request is missing a required parameter, includes an unsupported parameter
        /// value (other than grant type), repeats a parameter, includes multiple credentials,
        /// utilizes more than one mechanism for authenticating the client, or is otherwise
        /// malformed."
        InvalidRequest => "invalid_request",
        /// "Client authentication failed (e.g., unknown client, no client authentication
        /// included, or unsupported authentication method)."
        InvalidClient => "invalid_client",
        /// "The provided authorization grant (e.g., authorization code, resource owner
        /// credentials) or refresh token is invalid, expired, revoked, does not match the
        /// redirection URI used in the authorization request, or was issued to another
        /// client."
        InvalidGrant => "invalid_grant",
        /// "The authenticated client is not authorized to use this authorization grant type."
        UnauthorizedClient => "unauthorized_client",
        /// "The authorization grant type is not supported by the authorization server."
        UnsupportedGrantType => "unsupported_grant_type",
        /// "The requested scope is invalid, unknown, malformed, or exceeds the scope granted
        /// by the resource owner."
        InvalidScope => "invalid_scope",
        /// RFC 8707 §2: "The requested resource is invalid, missing, unknown, or malformed."
        InvalidTarget => "invalid_target",
    }
);

error_code!(
    /// RFC 7591 §3.2.2: errors of dynamic client registration.
    RegistrationErrorCode {
        /// "The value of one or more redirection URIs is invalid."
        InvalidRedirectUri => "invalid_redirect_uri",
        /// "The value of one of the client metadata fields is invalid and the server has
        /// rejected this request."
        InvalidClientMetadata => "invalid_client_metadata",
    }
);

error_code!(
    /// RFC 6750 §3.1: errors in a resource server's `WWW-Authenticate: Bearer` challenge.
    BearerErrorCode {
        /// "The request is missing a required parameter, includes an unsupported parameter or
        /// parameter value, repeats the same parameter, uses more than one method for
        /// including an access token, or is otherwise malformed." (HTTP 400)
        InvalidRequest => "invalid_request",
        /// "The access token provided is expired, revoked, malformed, or invalid for other
        /// reasons." (HTTP 401)
        InvalidToken => "invalid_token",
        /// "The request requires higher privileges than provided by the access token."
        /// (HTTP 403)
        InsufficientScope => "insufficient_scope",
    }
);

/// The `WWW-Authenticate` value of a bearer-token error (RFC 6750 §3):
/// `Bearer realm="…", error="…", error_description="…"[, scope="…"]`. Values are made
/// safe for a quoted-string: printable ASCII only, `"` and `\` replaced.
pub fn bearer_challenge(
    realm: &str,
    error: BearerErrorCode,
    description: &str,
    scope: Option<&str>,
) -> String {
    let quoted = |value: &str| -> String {
        value
            .chars()
            .map(|c| match c {
                '"' | '\\' => '\'',
                ' '..='~' => c,
                _ => '?',
            })
            .collect()
    };
    let scope = scope.map_or_else(String::new, |scope| {
        format!(", scope=\"{}\"", quoted(scope))
    });
    format!(
        "Bearer realm=\"{}\", error=\"{}\", error_description=\"{}\"{scope}",
        quoted(realm),
        error.as_str(),
        quoted(description)
    )
}

/// The error response body (RFC 6749 §5.2), also the query of an error redirect
/// (§4.1.2.1): `error`, and optionally a human-readable `error_description` and an
/// `error_uri`. The description is public: it never carries internal causes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorResponse<C> {
    pub error: C,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_uri: Option<String>,
}

impl<C> ErrorResponse<C> {
    pub fn new(error: C, description: impl Into<String>) -> Self {
        Self {
            error,
            error_description: Some(description.into()),
            error_uri: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_serialize_as_their_rfc_strings() {
        let body = ErrorResponse::new(TokenErrorCode::InvalidGrant, "code already used");
        let json = serde_json::to_value(&body).expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({"error": "invalid_grant", "error_description": "code already used"})
        );
        let back: ErrorResponse<TokenErrorCode> = serde_json::from_value(json).expect("parses");
        assert_eq!(back, body);
        assert_eq!(
            AuthorizationErrorCode::AccessDenied.to_string(),
            "access_denied"
        );
        assert_eq!(
            BearerErrorCode::InsufficientScope.as_str(),
            "insufficient_scope"
        );
    }
}
