//! `POST /register`: dynamic client registration (RFC 7591).

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use server_kit::trace::{Check, Recorder};
use shared::{AuthorizationErrorCode, ErrorResponse, RegistrationErrorCode, ScopeSet};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::model::Finding;
use crate::protocol::client_metadata::{self, Metadata, Refusal, Registration, Source};
use crate::protocol::throttle::{self, REGISTRATION_PER_ADDRESS};
use crate::routes::address::ClientAddress;
use crate::routes::json_error::no_store;
use crate::state::AppState;
use crate::store;

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
    id_token_signed_response_alg: &'static str,
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
    trace: Recorder,
    address: ClientAddress,
    body: Result<Json<Metadata>, JsonRejection>,
) -> Result<Response, ApiError> {
    if !state.settings.dynamic_registration {
        let description = "dynamic client registration is turned off on this server";
        trace.refused(&OPEN, || format!("access_denied: {description}"));
        let body = ErrorResponse::new(AuthorizationErrorCode::AccessDenied, description);
        return Ok((StatusCode::FORBIDDEN, Json(body)).into_response());
    }
    trace.pass(&OPEN);
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
    let body = body.map(|Json(metadata)| metadata).map_err(|_| {
        (
            RegistrationErrorCode::InvalidClientMetadata,
            "the body must be a JSON object of client metadata".to_owned(),
        )
    });
    let metadata = match trace.check_by(&BODY, body, client_metadata::says) {
        Ok(metadata) => metadata,
        Err(refusal) => return Ok(refused(refusal)),
    };
    let checked = match client_metadata::check(&trace, &metadata, Source::Registration) {
        Ok(checked) => checked,
        Err(refusal) => return Ok(refused(refusal)),
    };
    match metadata.client_name.as_deref() {
        Some(name) => {
            let unique = client_metadata::check_name(&state.db, name, "", true).await?;
            if let Err(refusal) = trace.check_by(&NAME, unique, client_metadata::says) {
                return Ok(refused(refusal));
            }
        }
        None => trace.not_applicable(&NAME, "no client_name: the client is named by its id"),
    }
    // RFC 7591 §3: open registration may be rate-limited; every client is a row.
    if let Some(refusal) = throttled(&state, &address).await? {
        trace.refused(&RATE, || {
            "temporarily_unavailable: too many clients registered from this address lately"
                .to_owned()
        });
        return Ok(refusal);
    }
    trace.pass(&RATE);

    let (client_id, secret) = client_metadata::create_client(
        &state.db,
        &Registration {
            name: metadata.client_name.as_deref(),
            confidential: checked.confidential,
            redirect_uris: &checked.redirect_uris,
            allowed_scopes: &checked.scope,
            grant_types: &checked.grant_types,
            application_type: checked.application_type,
            id_token_alg: checked.id_token_alg,
            owner_user_id: None,
        },
    )
    .await?;
    if metadata.application_type.is_none() {
        let finding = Finding::NoApplicationType;
        store::record_finding(&state.db, &client_id, finding, "").await?;
    }
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
        id_token_signed_response_alg: checked.id_token_alg.as_str(),
    };
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    no_store(&mut response);
    Ok(response)
}

const OPEN: Check = Check::new(
    "registration_open",
    "RFC 7591 §3",
    "This server accepts dynamic client registration.",
);
const BODY: Check = Check::new(
    "json_body",
    "RFC 7591 §3.1",
    "The body is a JSON object of client metadata.",
);
const NAME: Check = Check::new(
    "client_name",
    "RFC 7591 §2",
    "client_name is a readable name that no other client has, so users can tell clients apart on the consent page.",
);
const RATE: Check = Check::new(
    "registration_rate",
    "RFC 7591 §3",
    "This address has not registered too many clients lately (every client is a row).",
);

/// `429` with `Retry-After` if `address` registered too many clients lately; else counts
/// this registration against it.
async fn throttled(
    state: &AppState,
    address: &ClientAddress,
) -> Result<Option<Response>, ApiError> {
    let Some(wait) = throttle::take(
        &state.db,
        &REGISTRATION_PER_ADDRESS,
        &[&address.as_string()],
    )
    .await?
    else {
        return Ok(None);
    };
    tracing::warn!(ip = %address.0, "register: refused, too many registrations from this address");
    let description = format!(
        "more than {} {} within {} minutes; try again in {wait} s",
        REGISTRATION_PER_ADDRESS.max,
        REGISTRATION_PER_ADDRESS.what,
        REGISTRATION_PER_ADDRESS.window_secs / 60
    );
    let body = ErrorResponse::new(AuthorizationErrorCode::TemporarilyUnavailable, description);
    Ok(Some(
        (
            StatusCode::TOO_MANY_REQUESTS,
            [(axum::http::header::RETRY_AFTER, wait.to_string())],
            Json(body),
        )
            .into_response(),
    ))
}
