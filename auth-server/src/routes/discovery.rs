//! Discovery (RFC 8414) and the published keys (RFC 7517).

use axum::Json;
use axum::extract::State;
use shared::scope::KNOWN_SCOPES;
use shared::{AuthorizationServerMetadata, CodeChallengeMethod, GrantType};

use crate::config::ClientDocuments;
use crate::error::ApiError;
use crate::protocol::keys::{Jwks, SigningAlg, SigningKeys};
use crate::state::AppState;

/// `GET /.well-known/oauth-authorization-server`.
#[utoipa::path(
    get,
    path = "/.well-known/oauth-authorization-server",
    responses((status = 200, description = "RFC 8414 §3.2", body = AuthorizationServerMetadata))
)]
pub(crate) async fn metadata(State(state): State<AppState>) -> Json<AuthorizationServerMetadata> {
    let issuer = &state.settings.issuer;
    Json(AuthorizationServerMetadata {
        issuer: issuer.clone(),
        authorization_endpoint: format!("{issuer}/authorize"),
        token_endpoint: format!("{issuer}/token"),
        jwks_uri: format!("{issuer}/jwks.json"),
        registration_endpoint: state
            .settings
            .dynamic_registration
            .then(|| format!("{issuer}/register")),
        revocation_endpoint: Some(format!("{issuer}/revoke")),
        introspection_endpoint: Some(format!("{issuer}/introspect")),
        userinfo_endpoint: Some(format!("{issuer}/userinfo")),
        end_session_endpoint: Some(format!("{issuer}/logout")),
        scopes_supported: KNOWN_SCOPES
            .iter()
            .map(|(name, _)| (*name).to_owned())
            .collect(),
        response_types_supported: vec!["code".to_owned()],
        grant_types_supported: GrantType::ALL
            .iter()
            .map(|g| g.as_str().to_owned())
            .collect(),
        // Public clients identify with client_id alone (RFC 8414 §2: "none"); confidential
        // ones with their secret, in the Authorization header or the form.
        token_endpoint_auth_methods_supported: [
            "none",
            "client_secret_basic",
            "client_secret_post",
        ]
        .map(str::to_owned)
        .to_vec(),
        code_challenge_methods_supported: vec![CodeChallengeMethod::S256.as_str().to_owned()],
        authorization_response_iss_parameter_supported: true,
        client_id_metadata_document_supported: state.settings.client_metadata_documents
            != ClientDocuments::Off,
        // OIDC Discovery §3: RS256 MUST be listed; a client picks one with
        // `id_token_signed_response_alg` (OIDC Dynamic Client Registration §2).
        id_token_signing_alg_values_supported: SigningAlg::ALL
            .map(|alg| alg.as_str().to_owned())
            .to_vec(),
        subject_types_supported: vec!["public".to_owned()],
    })
}

/// `GET /.well-known/openid-configuration`: the same document, where OpenID Connect
/// clients look (OpenID Connect Discovery 1.0 §4).
#[utoipa::path(
    get,
    path = "/.well-known/openid-configuration",
    responses((status = 200, description = "OpenID Connect Discovery 1.0 §4", body = AuthorizationServerMetadata))
)]
pub(crate) async fn openid_configuration(
    state: State<AppState>,
) -> Json<AuthorizationServerMetadata> {
    metadata(state).await
}

/// `GET /jwks.json`: the public keys that verify this server's tokens.
#[utoipa::path(
    get,
    path = "/jwks.json",
    responses((status = 200, description = "The public keys (RFC 7517)", body = Jwks))
)]
pub(crate) async fn jwks(State(state): State<AppState>) -> Result<Json<Jwks>, ApiError> {
    Ok(Json(
        SigningKeys::published(&state.db, state.settings.key_retirement()).await?,
    ))
}
