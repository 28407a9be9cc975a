//! The face of [`ApiError`] on a JSON endpoint (RFC 6749 §5.2): `400` with a JSON body, or
//! `401` for `invalid_client`, or `500` `server_error`, always with `Cache-Control:
//! no-store`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use server_kit::metrics::Outcome;
use shared::{AuthorizationErrorCode, ErrorResponse, TokenErrorCode};

use crate::error::{ApiError, BUSY_RETRY_AFTER_SECS};

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = match self {
            Self::Protocol(body) => {
                tracing::info!(
                    error = body.error.as_str(),
                    reason = body.error_description.as_deref().unwrap_or(""),
                    "request refused"
                );
                let outcome = Outcome::Refused(body.error.as_str());
                outcome.tag((StatusCode::BAD_REQUEST, Json(body)).into_response())
            }
            // RFC 6749 §5.2: invalid_client "MAY return an HTTP 401 (Unauthorized) status
            // code to indicate which HTTP authentication schemes are supported".
            Self::InvalidClient(reason) => {
                tracing::warn!(reason, "client authentication failed");
                let body = ErrorResponse::new(TokenErrorCode::InvalidClient, reason);
                Outcome::Refused(TokenErrorCode::InvalidClient.as_str()).tag(
                    (
                        StatusCode::UNAUTHORIZED,
                        [(header::WWW_AUTHENTICATE, "Basic realm=\"oauth-lab\"")],
                        Json(body),
                    )
                        .into_response(),
                )
            }
            Self::Internal(error) if error.is_busy() => {
                tracing::warn!(%error, "request refused: the database is overloaded");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(header::RETRY_AFTER, BUSY_RETRY_AFTER_SECS.to_string())],
                    Json(ErrorResponse::new(
                        AuthorizationErrorCode::TemporarilyUnavailable,
                        "the authorization server is overloaded; try again in a moment",
                    )),
                )
                    .into_response()
            }
            Self::Internal(error) => {
                tracing::error!(%error, "request failed inside the server");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(ErrorResponse::new(
                        AuthorizationErrorCode::ServerError,
                        "the authorization server failed; see its log",
                    )),
                )
                    .into_response()
            }
        };
        no_store(&mut response);
        response
    }
}

/// RFC 6749 §5.1: responses carrying tokens (and their errors) "MUST include the HTTP
/// "Cache-Control" response header field with a value of "no-store"".
pub(crate) fn no_store(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

#[cfg(test)]
mod tests {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse as _;
    use server_kit::db::UnitError;

    use crate::error::{ApiError, Internal};

    #[test]
    fn an_overloaded_database_is_a_503_with_retry_after_and_a_failure_a_500() {
        let busy = ApiError::Internal(Internal::new(UnitError::Busy)).into_response();
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            busy.headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
            Some("1")
        );
        let failed = ApiError::Internal(Internal::new(UnitError::Stopped)).into_response();
        assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
