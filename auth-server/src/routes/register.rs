//! `POST /register`: dynamic client registration (RFC 7591); the decision is
//! `protocol/registration.rs`, here its answers get their status.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use server_kit::trace::Recorder;
use shared::{AuthorizationErrorCode, ErrorResponse, RegistrationErrorCode};

use crate::error::ApiError;
use crate::protocol::client_metadata::Metadata;
use crate::protocol::registration::{self, NotRegistered, RegisteredClient};
use crate::routes::address::ClientAddress;
use crate::routes::json_error::no_store;
use crate::state::AppState;

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
    let metadata = body.ok().map(|Json(metadata)| metadata);
    let answer = registration::register(
        &state,
        &trace,
        &address.as_string(),
        metadata,
        server_kit::unix_now(),
    )
    .await?;
    let response = match answer {
        // RFC 7591 §3.2.1: 201 with the client's id, secret and metadata as registered.
        Ok(registered) => {
            let mut response = (StatusCode::CREATED, Json(registered)).into_response();
            no_store(&mut response);
            response
        }
        Err(NotRegistered::Closed) => {
            let body = ErrorResponse::new(
                AuthorizationErrorCode::AccessDenied,
                "dynamic client registration is turned off on this server",
            );
            (StatusCode::FORBIDDEN, Json(body)).into_response()
        }
        Err(NotRegistered::Invalid((code, description))) => {
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
        }
        Err(NotRegistered::Throttled { wait, description }) => {
            let body =
                ErrorResponse::new(AuthorizationErrorCode::TemporarilyUnavailable, description);
            (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, wait.to_string())],
                Json(body),
            )
                .into_response()
        }
    };
    Ok(response)
}
