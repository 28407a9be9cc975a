//! `GET`/`POST /userinfo` (OpenID Connect Core §5.3): the decision is
//! `protocol/userinfo.rs`; here its refusals become bearer-token errors (RFC 6750 §3).

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use server_kit::trace::Recorder;
use shared::bearer::REALM;
use shared::{BearerErrorCode, ErrorResponse, bearer_challenge};

use crate::error::{ApiError, Internal};
use crate::protocol::userinfo::{self, BearerRefusal, UserInfo};
use crate::state::AppState;

#[utoipa::path(
    method(get, post),
    path = "/userinfo",
    responses(
        (status = 200, description = "Claims about the user (OpenID Connect Core §5.3)", body = UserInfo),
        (status = 400, description = "A token in the URL, refused (OAuth 2.1 §5.2.2)", body = ErrorResponse<BearerErrorCode>),
        (status = 401, description = "No, or an invalid, bearer token (RFC 6750 §3)", body = ErrorResponse<BearerErrorCode>),
        (status = 403, description = "The token lacks the openid scope", body = ErrorResponse<BearerErrorCode>),
        server_kit::api_doc::LimitRefusals,
    )
)]
pub(crate) async fn userinfo(
    State(state): State<AppState>,
    trace: Recorder,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, UserInfoError> {
    let authorization = headers.get_all(header::AUTHORIZATION);
    let answer = userinfo::userinfo(
        &state,
        &trace,
        query.as_deref(),
        authorization.iter().map(HeaderValue::as_bytes),
        server_kit::unix_now(),
    )
    .await?;
    Ok(Json(answer?).into_response())
}

/// How `/userinfo` fails: a bearer-token error (RFC 6750 §3), or a failure on our side.
#[derive(Debug)]
pub(crate) enum UserInfoError {
    Refused(BearerRefusal),
    Internal(Internal),
}

impl From<BearerRefusal> for UserInfoError {
    fn from(refusal: BearerRefusal) -> Self {
        Self::Refused(refusal)
    }
}

impl<E: Into<Internal>> From<E> for UserInfoError {
    fn from(error: E) -> Self {
        Self::Internal(error.into())
    }
}

/// RFC 6750 §3.1: `invalid_request` is a 400, `invalid_token` a 401, `insufficient_scope`
/// a 403; a request without a token where one belongs, a 401.
impl IntoResponse for UserInfoError {
    fn into_response(self) -> Response {
        match self {
            Self::Refused(refusal) => {
                let status = match refusal.code {
                    _ if refusal.no_token => StatusCode::UNAUTHORIZED,
                    BearerErrorCode::InvalidRequest => StatusCode::BAD_REQUEST,
                    BearerErrorCode::InvalidToken => StatusCode::UNAUTHORIZED,
                    BearerErrorCode::InsufficientScope => StatusCode::FORBIDDEN,
                };
                (
                    status,
                    [(
                        header::WWW_AUTHENTICATE,
                        bearer_challenge(REALM, refusal.code, refusal.description, refusal.scope),
                    )],
                    Json(ErrorResponse::new(refusal.code, refusal.description)),
                )
                    .into_response()
            }
            Self::Internal(error) => ApiError::Internal(error).into_response(),
        }
    }
}
