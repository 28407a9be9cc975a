//! The wire shapes of this server's JSON endpoints, for `GET /openapi.json` (the document
//! itself, `ApiDoc`, is in `routes/mod.rs` beside the router, from the handlers'
//! `#[utoipa::path]` annotations). The HTML pages
//! (`/authorize`, login, consent, the client pages) are for browsers and are not in it.
//! `scripts/test.sh` runs schemathesis against it: no 5xx, and no answer that breaks its
//! own schema.

use std::collections::BTreeMap;

use utoipa::{IntoResponses, ToSchema};

/// RFC 6749 §5.2 (and RFC 6750 §3, RFC 7591 §3.2.2): every refusal of a JSON endpoint.
#[derive(ToSchema)]
#[expect(dead_code, reason = "describes the wire format; never built")]
pub(crate) struct OAuthError {
    /// The error code, e.g. `invalid_request`, `invalid_client`, `invalid_grant`,
    /// `unsupported_grant_type`, `invalid_scope`, `invalid_target`, `invalid_token`.
    error: String,
    /// Why, for the developer.
    error_description: Option<String>,
}

/// RFC 6749 §4.1.3, §6, §4.4: the token request, as a form. Which fields apply depends on
/// `grant_type`.
#[derive(ToSchema)]
#[expect(dead_code, reason = "describes the wire format; never built")]
pub(crate) struct TokenRequest {
    /// `authorization_code`, `refresh_token` or `client_credentials`.
    grant_type: String,
    code: Option<String>,
    redirect_uri: Option<String>,
    /// RFC 7636: 43 to 128 unreserved characters.
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
    /// RFC 8707.
    resource: Option<String>,
}

/// RFC 6749 §5.1.
#[derive(ToSchema)]
#[expect(dead_code, reason = "describes the wire format; never built")]
pub(crate) struct TokenResponse {
    /// A JWT (RFC 9068) for the resource server.
    access_token: String,
    /// Always `Bearer`.
    token_type: String,
    expires_in: i64,
    scope: Option<String>,
    refresh_token: Option<String>,
    /// OpenID Connect: with the `openid` scope.
    id_token: Option<String>,
}

/// RFC 7009 §2.1 and RFC 7662 §2.1.
#[derive(ToSchema)]
#[expect(dead_code, reason = "describes the wire format; never built")]
pub(crate) struct TokenQuery {
    token: String,
    token_type_hint: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// RFC 7662 §2.2: `active`, and for an active token what it is.
#[derive(ToSchema)]
#[expect(dead_code, reason = "describes the wire format; never built")]
pub(crate) struct Introspection {
    active: bool,
    token_type: Option<String>,
    client_id: Option<String>,
    scope: Option<String>,
    sub: Option<String>,
    username: Option<String>,
    iss: Option<String>,
    /// A string or an array of strings.
    aud: Option<serde_json::Value>,
    exp: Option<i64>,
    iat: Option<i64>,
    jti: Option<String>,
}

/// OpenID Connect Core §5.3.2: claims by scope.
#[derive(ToSchema)]
#[expect(dead_code, reason = "describes the wire format; never built")]
pub(crate) struct UserInfo {
    sub: String,
    name: Option<String>,
    preferred_username: Option<String>,
    email: Option<String>,
    email_verified: Option<bool>,
}

/// RFC 7591 §3.2.1.
#[derive(ToSchema)]
#[expect(dead_code, reason = "describes the wire format; never built")]
pub(crate) struct RegisteredClient {
    client_id: String,
    client_id_issued_at: i64,
    /// Shown once, for a confidential client.
    client_secret: Option<String>,
    client_secret_expires_at: Option<i64>,
    client_name: String,
    redirect_uris: Vec<String>,
    grant_types: Vec<String>,
    response_types: Vec<String>,
    token_endpoint_auth_method: String,
    scope: String,
}

/// RFC 8414 §2 (also served as OpenID Connect Discovery 1.0).
#[derive(ToSchema)]
#[expect(dead_code, reason = "describes the wire format; never built")]
pub(crate) struct ServerMetadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    registration_endpoint: Option<String>,
    revocation_endpoint: Option<String>,
    introspection_endpoint: Option<String>,
    userinfo_endpoint: Option<String>,
    end_session_endpoint: Option<String>,
    scopes_supported: Vec<String>,
    response_types_supported: Vec<String>,
    grant_types_supported: Vec<String>,
    token_endpoint_auth_methods_supported: Vec<String>,
    code_challenge_methods_supported: Vec<String>,
    authorization_response_iss_parameter_supported: bool,
}

/// RFC 7517 §5, with Ed25519 keys (RFC 8037).
#[derive(ToSchema)]
#[expect(dead_code, reason = "describes the wire format; never built")]
pub(crate) struct KeySet {
    keys: Vec<BTreeMap<String, String>>,
}

/// The refusals of the endpoints a client authenticates to (RFC 6749 §5.2).
#[derive(IntoResponses)]
#[expect(dead_code, reason = "describes the wire format; never built")]
pub(crate) enum ClientRefusals {
    /// Refused: `invalid_request`, `invalid_grant`, `unsupported_grant_type`, ...
    #[response(status = 400)]
    Refused(OAuthError),
    /// Client authentication failed: `invalid_client`.
    #[response(status = 401)]
    Unauthenticated(OAuthError),
}
