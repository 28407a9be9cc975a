//! `POST /introspect` (RFC 7662) and `POST /lab/revocations`: what a resource server asks
//! about tokens (`protocol/introspection.rs`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use server_kit::trace::Recorder;
use shared::{ErrorResponse, TokenErrorCode};

use crate::error::ApiError;
use crate::protocol::introspection::{self, Introspection, NotPermitted, Revocations};
use crate::routes::api_doc;
use crate::routes::form::{TokenForm, authenticated_form};
use crate::routes::json_error::no_store;
use crate::state::AppState;

/// `POST /introspect` (RFC 7662 §2), for authenticated clients allowed to introspect (the
/// resource server). `{"active": false}` says nothing more, whatever the reason (§2.2).
#[utoipa::path(
    post,
    path = "/introspect",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "RFC 7662 §2.2", body = Introspection),
        api_doc::ClientRefusals,
        (status = 403, description = "This client may not introspect", body = ErrorResponse<TokenErrorCode>),
        server_kit::api_doc::LimitRefusals,
    )
)]
pub(crate) async fn introspect(
    State(state): State<AppState>,
    trace: Recorder,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (form, client, method) = authenticated_form(&state, &trace, &headers, body).await?;
    if let Err(refused) = introspection::may_introspect(&trace, &client, method) {
        return Ok(not_permitted(&refused));
    }
    let token = form.token(&trace)?;
    let answer = introspection::introspect(&state, &trace, token, server_kit::unix_now()).await?;
    tracing::info!(client = %client.client_id, active = answer.active, "introspect");
    let mut response = Json(answer).into_response();
    no_store(&mut response);
    Ok(response)
}

/// A client that may not introspect: `401 invalid_client` if it did not authenticate,
/// `403 unauthorized_client` if it is not registered to.
fn not_permitted(refused: &NotPermitted) -> Response {
    match refused {
        NotPermitted::NotAuthenticated => {
            ApiError::InvalidClient(refused.description().to_owned()).into_response()
        }
        NotPermitted::NotRegistered => {
            let body =
                ErrorResponse::new(TokenErrorCode::UnauthorizedClient, refused.description());
            (StatusCode::FORBIDDEN, Json(body)).into_response()
        }
    }
}

/// `POST /lab/revocations`: every access token revoked and not yet expired, for the clients
/// allowed to introspect (the resource servers). RFC 7009 §2 lets revocation take effect at
/// the resource only by introspection, and RFC 9700 §4.2.4 asks that it reach the resource;
/// a resource server that validates JWTs locally (fast, no request per token) follows
/// this list, every half second by default, and refuses a token it names (`not_revoked`
/// in its trace). Under `/lab/`, as the lab's own endpoints are, so its polls are in no
/// decision trace. The whole list each time, not what changed since a cursor: a list that
/// only grows with revocations (and shrinks as tokens expire) needs no cursor that
/// replicas committing out of order could skip, and a resource server that restarts has
/// it all again at its first call. The lab's own endpoint, not an RFC's.
#[utoipa::path(
    post,
    path = "/lab/revocations",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Every revoked access token not yet expired", body = Revocations),
        api_doc::ClientRefusals,
        (status = 403, description = "This client may not introspect", body = ErrorResponse<TokenErrorCode>),
        server_kit::api_doc::LimitRefusals,
    )
)]
pub(crate) async fn revocations(
    State(state): State<AppState>,
    trace: Recorder,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (_, client, method) = authenticated_form(&state, &trace, &headers, body).await?;
    if let Err(refused) = introspection::may_introspect(&trace, &client, method) {
        return Ok(not_permitted(&refused));
    }
    let revocations = introspection::revocations(&state.db, server_kit::unix_now()).await?;
    let mut response = Json::<Revocations>(revocations).into_response();
    no_store(&mut response);
    Ok(response)
}
