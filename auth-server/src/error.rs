//! How a decision fails, before anyone knows how the failure will be delivered: these
//! types hold no HTTP. `routes/` gives each its face (`routes/json_error.rs` for the JSON
//! endpoints, `pages::PageError` for the browser's pages).
//!
//! - [`ApiError`]: a refusal in the words of RFC 6749 §5.2 (the token, revocation and
//!   introspection endpoints), or a failed client authentication, or an [`Internal`].
//! - [`Internal`]: something broke on our side (database, signing). The cause goes to the
//!   log; the response says only that the server failed (never the internals).

use shared::{ErrorResponse, TokenErrorCode};

/// A private failure: logged with its cause, answered with a generic 500.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Internal(Box<dyn std::error::Error + Send + Sync>);

impl Internal {
    pub(crate) fn new(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self(cause.into())
    }

    /// The database had too much waiting already (`server_kit::db::UnitError::Busy`): not
    /// a failure, a moment's overload, answered `503` with `Retry-After`.
    pub(crate) fn is_busy(&self) -> bool {
        matches!(
            self.0.downcast_ref::<server_kit::db::UnitError>(),
            Some(server_kit::db::UnitError::Busy)
        )
    }
}

/// How long an overloaded server asks a client to wait, in seconds (`Retry-After`).
pub(crate) const BUSY_RETRY_AFTER_SECS: u32 = 1;

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
