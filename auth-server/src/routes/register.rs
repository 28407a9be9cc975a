//! `POST /register`: dynamic client registration (RFC 7591).

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use shared::{ErrorResponse, RegistrationErrorCode};

use crate::error::{Internal, no_store};
use crate::registration::{self, Refusal};
use crate::routes::api_doc;
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
}

#[utoipa::path(
    post,
    path = "/register",
    request_body(content = Metadata, content_type = "application/json"),
    responses(
        (status = 201, description = "Registered (RFC 7591 §3.2.1)", body = api_doc::RegisteredClient),
        (status = 400, description = "Refused (RFC 7591 §3.2.2)", body = api_doc::OAuthError),
        (status = 403, description = "Registration is turned off", body = api_doc::OAuthError),
        server_kit::api_doc::LimitRefusals,
    )
)]
pub(crate) async fn register(
    State(state): State<AppState>,
    body: Result<Json<Metadata>, JsonRejection>,
) -> Result<Response, Internal> {
    if !state.settings.dynamic_registration {
        return Ok((StatusCode::FORBIDDEN, Json(json!({"error": "access_denied", "error_description": "dynamic client registration is turned off on this server"}))).into_response());
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

    let (client_id, secret) = registration::create_client(
        &state.db,
        metadata.client_name.as_deref(),
        checked.confidential,
        &checked.redirect_uris,
        &checked.scope,
        None,
    )
    .await?;
    let name = metadata
        .client_name
        .clone()
        .unwrap_or_else(|| client_id.clone());
    tracing::info!(
        client = client_id,
        name,
        confidential = checked.confidential,
        "register: new client"
    );
    // RFC 7591 §3.2.1: 201 with the client's id, secret and metadata as registered.
    let mut body = json!({
        "client_id": client_id,
        "client_id_issued_at": server_kit::unix_now(),
        "client_name": name,
        "redirect_uris": checked.redirect_uris,
        "grant_types": checked.grant_types,
        "response_types": ["code"],
        "token_endpoint_auth_method": checked.auth_method,
        "scope": checked.scope,
    });
    if let Some(secret) = secret {
        body["client_secret"] = secret.into();
        body["client_secret_expires_at"] = 0.into();
    }
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    no_store(&mut response);
    Ok(response)
}

struct Checked {
    redirect_uris: Vec<String>,
    grant_types: Vec<String>,
    auth_method: String,
    confidential: bool,
    scope: shared::ScopeSet,
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
    let grant_types = metadata
        .grant_types
        .clone()
        .unwrap_or_else(|| vec!["authorization_code".to_owned()]);
    for grant in &grant_types {
        match grant.as_str() {
            "authorization_code" | "refresh_token" => {}
            "client_credentials" if confidential => {}
            "client_credentials" => {
                return Err(invalid("client_credentials needs a confidential client"));
            }
            _ => {
                return Err(invalid(
                    "grant_types may hold authorization_code, refresh_token, client_credentials (OAuth 2.1 has no implicit or password grant)",
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
    if grant_types.iter().any(|g| g == "authorization_code") && redirect_uris.is_empty() {
        return Err((
            RegistrationErrorCode::InvalidRedirectUri,
            "the authorization code grant needs at least one redirect URI".to_owned(),
        ));
    }
    for uri in &redirect_uris {
        registration::check_redirect_uri(uri)?;
    }
    let scope = registration::check_scope(metadata.scope.as_deref())?;
    Ok(Checked {
        redirect_uris,
        grant_types,
        auth_method,
        confidential,
        scope,
    })
}
