//! How an endpoint fails: exactly two public faces, and one private failure.
//!
//! - [`ApiError`]: the JSON error body of every JSON endpoint (RFC 6749 §5.2): the token,
//!   revocation, introspection, registration, UserInfo and JWKS endpoints.
//! - `pages::PageError`: an HTML page, for the browser's pages.
//! - [`Internal`]: something broke on our side (database, signing). The cause goes to the
//!   log; the response says only that the server failed (never the internals). It has no
//!   response of its own: each handler's error type decides the face, so a JSON endpoint
//!   never answers a failure with a page.
//!
//! The authorization endpoint's errors (a page, or a redirect back to the client) are in
//! `routes::authorize`, where "may I redirect?" is decided.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use server_kit::metrics::Outcome;
use shared::{AuthorizationErrorCode, ErrorResponse, TokenErrorCode};

/// A private failure: logged with its cause, answered with a generic 500.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Internal(Box<dyn std::error::Error + Send + Sync>);

impl Internal {
    pub(crate) fn new(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self(cause.into())
    }
}

macro_rules! internal_from {
    ($($source:ty),+) => {$(
        impl From<$source> for Internal {
            fn from(cause: $source) -> Self {
                Self::new(cause)
            }
        }
    )+};
}
internal_from!(
    sqlx::Error,
    server_kit::db::UnitError,
    jsonwebtoken::errors::Error,
    bcrypt::BcryptError,
    tokio::task::JoinError,
    askama::Error
);

/// An error of a JSON endpoint (RFC 6749 §5.2): `400` with a JSON body, or `401` for
/// `invalid_client`, or `500` `server_error`, always with `Cache-Control: no-store`.
#[derive(Debug)]
pub(crate) enum ApiError {
    Protocol(ErrorResponse<TokenErrorCode>),
    /// Client authentication failed: `401 invalid_client` with `WWW-Authenticate: Basic`.
    InvalidClient(String),
    Internal(Internal),
}

impl ApiError {
    pub(crate) fn new(code: TokenErrorCode, description: impl Into<String>) -> Self {
        Self::Protocol(ErrorResponse::new(code, description))
    }
}

/// The refusal in the words the response carries (`error: error_description`), for the
/// decision trace; an internal failure is only `server_error`, as in the response.
impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Protocol(body) => match &body.error_description {
                Some(description) => write!(f, "{}: {description}", body.error.as_str()),
                None => f.write_str(body.error.as_str()),
            },
            Self::InvalidClient(reason) => write!(f, "invalid_client: {reason}"),
            Self::Internal(_) => f.write_str("server_error"),
        }
    }
}

impl<E: Into<Internal>> From<E> for ApiError {
    fn from(error: E) -> Self {
        Self::Internal(error.into())
    }
}

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
