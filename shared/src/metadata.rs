//! Authorization server metadata (RFC 8414 §2), served at
//! `/.well-known/oauth-authorization-server` and `/.well-known/openid-configuration`.
//! Clients and the resource server find every endpoint here instead of hard-coding URLs.

use serde::{Deserialize, Serialize};

/// The discovery document. Optional members are left out of the JSON when absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthorizationServerMetadata {
    /// RFC 8414 §2: "The authorization server's issuer identifier, which is a URL that uses
    /// the "https" scheme and has no query or fragment components" (`http` on loopback in
    /// this lab). Must equal the `iss` of every token and redirect (RFC 9207).
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<String>,
    pub scopes_supported: Vec<String>,
    pub response_types_supported: Vec<String>,
    pub grant_types_supported: Vec<String>,
    pub token_endpoint_auth_methods_supported: Vec<String>,
    pub code_challenge_methods_supported: Vec<String>,
    /// RFC 9207 §3: the server returns `iss` in every authorization response.
    pub authorization_response_iss_parameter_supported: bool,
    /// draft-ietf-oauth-client-id-metadata-document §5: a `client_id` may be the URL of a
    /// client metadata document.
    #[serde(default)]
    pub client_id_metadata_document_supported: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_token_signing_alg_values_supported: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subject_types_supported: Vec<String>,
}
