//! `POST /revoke` (RFC 7009): a client ends a token it holds (`protocol/revocation.rs`).

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use server_kit::trace::Recorder;

use crate::error::ApiError;
use crate::protocol::revocation;
use crate::routes::api_doc;
use crate::routes::form::{TokenForm, authenticated_form};
use crate::routes::json_error::no_store;
use crate::state::AppState;

/// `POST /revoke`. RFC 7009 §2.2: "The authorization server responds with HTTP status code
/// 200 if the token has been revoked successfully or if the client submitted an invalid
/// token", so the answer never tells whether a token existed.
#[utoipa::path(
    post,
    path = "/revoke",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Revoked, or the token was not valid anyway (RFC 7009 §2.2)"),
        api_doc::ClientRefusals,
        server_kit::api_doc::LimitRefusals,
    )
)]
pub(crate) async fn revoke(
    State(state): State<AppState>,
    trace: Recorder,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (form, client, _) = authenticated_form(&state, &trace, &headers, body).await?;
    let token = form.token(&trace)?;
    let hint = form.token_type_hint.as_deref().unwrap_or("none");
    revocation::revoke(&state, &trace, &client, token, hint).await?;
    let mut response = StatusCode::OK.into_response();
    no_store(&mut response);
    Ok(response)
}
