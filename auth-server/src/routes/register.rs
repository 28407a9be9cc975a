//! `POST /register`: dynamic client registration (RFC 7591).

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use shared::{AuthorizationErrorCode, ErrorResponse, GrantType, RegistrationErrorCode, ScopeSet};
use utoipa::ToSchema;

use crate::error::{ApiError, no_store};
use crate::protocol::client_metadata::{self, ApplicationType, Refusal, Registration};
use crate::protocol::throttle::{self, REGISTRATION_PER_ADDRESS};
use crate::routes::address::ClientAddress;
use crate::state::AppState;

/// The client metadata of RFC 7591 §2 this server reads; others are ignored (§3.1).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = ClientMetadata)]
pub(crate) struct Metadata {
    /// https, or http on a loopback host; no fragment.
    redirect_uris: Option<Vec<String>>,
    client_name: Option<String>,
    /// `none` (public), `client_secret_basic` or `client_secret_post`.
    token_endpoint_auth_method: Option<String>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
    scope: Option<String>,
    /// `web` (the default) or `native` (OIDC Dynamic Client Registration §2): a native
    /// application registers only loopback http redirect URIs.
    application_type: Option<String>,
}

/// RFC 7591 §3.2.1: the client as registered.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RegisteredClient {
    client_id: String,
    client_id_issued_at: i64,
    /// Shown once, for a confidential client.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    /// 0: the secret does not expire.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret_expires_at: Option<i64>,
    client_name: String,
    redirect_uris: Vec<String>,
    grant_types: Vec<&'static str>,
    response_types: [&'static str; 1],
    token_endpoint_auth_method: String,
    #[schema(value_type = String)]
    scope: ScopeSet,
    application_type: &'static str,
}

#[utoipa::path(
    post,
    path = "/register",
    request_body(content = Metadata, content_type = "application/json"),
    responses(
        (status = 201, description = "Registered (RFC 7591 §3.2.1)", body = RegisteredClient),
        (status = 400, description = "Refused (RFC 7591 §3.2.2)", body = ErrorResponse<RegistrationErrorCode>),
        (status = 403, description = "Registration is turned off: access_denied", body = ErrorResponse<AuthorizationErrorCode>),
        (status = 429, description = "Too many clients registered from this address: temporarily_unavailable; see Retry-After", body = ErrorResponse<AuthorizationErrorCode>),
        server_kit::api_doc::LimitRefusals,
    )
)]
pub(crate) async fn register(
    State(state): State<AppState>,
    address: ClientAddress,
    body: Result<Json<Metadata>, JsonRejection>,
) -> Result<Response, ApiError> {
    if !state.settings.dynamic_registration {
        let body = ErrorResponse::new(
            AuthorizationErrorCode::AccessDenied,
            "dynamic client registration is turned off on this server",
        );
        return Ok((StatusCode::FORBIDDEN, Json(body)).into_response());
    }
    let refused = |(code, description): Refusal| {
        tracing::info!(
            error = code.as_str(),
            reason = description,
            "register: refused"
        );
        (
            StatusCode::BAD_REQUEST,
            Json(ErrorResponse::new(code, description)),
        )
            .into_response()
    };
    let Ok(Json(metadata)) = body else {
        return Ok(refused((
            RegistrationErrorCode::InvalidClientMetadata,
            "the body must be a JSON object of client metadata".to_owned(),
        )));
    };
    let checked = match check(&metadata) {
        Ok(checked) => checked,
        Err(refusal) => return Ok(refused(refusal)),
    };
    if let Some(name) = metadata.client_name.as_deref()
        && let Err(refusal) = client_metadata::check_name(&state.db, name, "", true).await?
    {
        return Ok(refused(refusal));
    }
    // RFC 7591 §3: open registration may be rate-limited; every client is a row.
    if let Some(wait) = throttle::take(
        &state.db,
        &REGISTRATION_PER_ADDRESS,
        &[&address.as_string()],
    )
    .await?
    {
        tracing::warn!(ip = %address.0, "register: refused, too many registrations from this address");
        let description = format!(
            "more than {} {} within {} minutes; try again in {wait} s",
            REGISTRATION_PER_ADDRESS.max,
            REGISTRATION_PER_ADDRESS.what,
            REGISTRATION_PER_ADDRESS.window_secs / 60
        );
        let body = ErrorResponse::new(AuthorizationErrorCode::TemporarilyUnavailable, description);
        return Ok((
            StatusCode::TOO_MANY_REQUESTS,
            [(axum::http::header::RETRY_AFTER, wait.to_string())],
            Json(body),
        )
            .into_response());
    }

    let (client_id, secret) = client_metadata::create_client(
        &state.db,
        &Registration {
            name: metadata.client_name.as_deref(),
            confidential: checked.confidential,
            redirect_uris: &checked.redirect_uris,
            allowed_scopes: &checked.scope,
            grant_types: &checked.grant_types,
            application_type: checked.application_type,
            owner_user_id: None,
        },
    )
    .await?;
    let name = metadata
        .client_name
        .as_deref()
        .map_or_else(|| client_id.clone(), |n| n.trim().to_owned());
    tracing::info!(
        client = client_id,
        name,
        confidential = checked.confidential,
        scope = %checked.scope,
        "register: new client"
    );
    // RFC 7591 §3.2.1: 201 with the client's id, secret and metadata as registered.
    let body = RegisteredClient {
        client_id,
        client_id_issued_at: server_kit::unix_now(),
        client_secret_expires_at: secret.is_some().then_some(0),
        client_secret: secret,
        client_name: name,
        redirect_uris: checked.redirect_uris,
        grant_types: checked.grant_types.iter().map(|g| g.as_str()).collect(),
        response_types: ["code"],
        token_endpoint_auth_method: checked.auth_method,
        scope: checked.scope,
        application_type: checked.application_type.as_str(),
    };
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    no_store(&mut response);
    Ok(response)
}

struct Checked {
    redirect_uris: Vec<String>,
    grant_types: Vec<GrantType>,
    auth_method: String,
    confidential: bool,
    scope: ScopeSet,
    application_type: ApplicationType,
}

/// RFC 7591 §2 and §3.2.2, in order.
fn check(metadata: &Metadata) -> Result<Checked, Refusal> {
    let invalid = |why: &str| (RegistrationErrorCode::InvalidClientMetadata, why.to_owned());
    let auth_method = metadata
        .token_endpoint_auth_method
        .clone()
        .unwrap_or_else(|| "client_secret_basic".to_owned());
    let confidential = match auth_method.as_str() {
        "none" => false,
        "client_secret_basic" | "client_secret_post" => true,
        _ => {
            return Err(invalid(
                "token_endpoint_auth_method must be none, client_secret_basic or client_secret_post",
            ));
        }
    };
    let requested = metadata
        .grant_types
        .clone()
        .unwrap_or_else(|| vec!["authorization_code".to_owned()]);
    let mut grant_types = Vec::new();
    for grant in &requested {
        match GrantType::parse(grant) {
            Some(GrantType::ClientCredentials) if !confidential => {
                return Err(invalid("client_credentials needs a confidential client"));
            }
            // RFC 9700 §2.3: a self-registered client acts for the users who approve it.
            // Acting for itself, with no user to limit it, is for clients the operator
            // configured (the seeded service-client), never self-service.
            Some(GrantType::ClientCredentials) => {
                return Err(invalid(
                    "client_credentials is only for clients the operator configures, not for self-registered ones",
                ));
            }
            Some(grant) if !grant_types.contains(&grant) => grant_types.push(grant),
            Some(_) => {}
            None => {
                return Err(invalid(
                    "grant_types may hold authorization_code, refresh_token (OAuth 2.1 has no implicit or password grant)",
                ));
            }
        }
    }
    if metadata
        .response_types
        .as_ref()
        .is_some_and(|types| types.iter().any(|t| t != "code"))
    {
        return Err(invalid("response_types may only hold \"code\""));
    }
    let redirect_uris = metadata.redirect_uris.clone().unwrap_or_default();
    if grant_types.contains(&GrantType::AuthorizationCode) && redirect_uris.is_empty() {
        return Err((
            RegistrationErrorCode::InvalidRedirectUri,
            "the authorization code grant needs at least one redirect URI".to_owned(),
        ));
    }
    let application_type = ApplicationType::parse(metadata.application_type.as_deref())?;
    for uri in &redirect_uris {
        client_metadata::check_redirect_uri(uri)?;
        application_type.check_redirect_uri(uri)?;
    }
    // RFC 7591 §3.2.1: the server "MAY reject or replace any of the client's requested
    // metadata values"; scopes above the self-registration ceiling are left out, and the
    // response's `scope` says what the client got.
    let (scope, _) =
        client_metadata::within_ceiling(&client_metadata::check_scope(metadata.scope.as_deref())?);
    Ok(Checked {
        redirect_uris,
        grant_types,
        auth_method,
        confidential,
        scope,
        application_type,
    })
}
