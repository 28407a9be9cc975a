//! The API's errors: RFC 6750 §3 for everything about the bearer token, plain JSON for
//! everything else. The `WWW-Authenticate` challenge and the JSON body say the same thing,
//! one for programs, one for people.

use std::sync::Arc;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use server_kit::metrics::Outcome;
use shared::bearer::REALM;
use shared::{BearerErrorCode, bearer_challenge};
use utoipa::{IntoResponses, ToSchema};

/// `realm` of every challenge.

#[derive(Debug)]
pub(crate) enum ApiError {
    /// RFC 6750 §3.1: "If the request lacks any authentication information ..., the
    /// resource server SHOULD NOT include an error code or other error information."
    /// The MCP authorization rules (and RFC 9728 §5.1) add where to find out how to get a
    /// token, and the scope this endpoint needs.
    NoToken {
        resource_metadata: Arc<str>,
        scope: &'static str,
    },
    /// `400 invalid_request`: the token was sent the wrong way.
    BadRequest(String),
    /// `401 invalid_token`, saying which check failed.
    InvalidToken {
        description: String,
        /// Which check failed (for the metrics).
        reason: &'static str,
        resource_metadata: Arc<str>,
    },
    /// `403 insufficient_scope`, naming the scope needed (RFC 6750 §3.1; a client steps up
    /// by asking for it).
    InsufficientScope {
        scope: &'static str,
        resource_metadata: Arc<str>,
    },
    /// The request body is not what the endpoint takes.
    InvalidInput {
        status: StatusCode,
        description: String,
    },
    /// The token cannot be checked right now (the authorization server does not answer).
    Unavailable(String),
    /// Something failed inside this server; the cause is logged, not sent.
    Internal(String),
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        Self::Internal(error.to_string())
    }
}

impl ApiError {
    /// Why the request was refused, as a metrics label: the error code, or for
    /// `invalid_token` the check that failed.
    fn reason(&self) -> &'static str {
        match self {
            Self::NoToken { .. } => "no_token",
            Self::BadRequest(_) => "invalid_request",
            Self::InvalidToken { reason, .. } => reason,
            Self::InsufficientScope { .. } => "insufficient_scope",
            Self::InvalidInput { .. } => "invalid_input",
            Self::Unavailable(_) => "temporarily_unavailable",
            Self::Internal(_) => "server_error",
        }
    }
}

/// The body of every refusal. RFC 6750 §3 for everything about the token (the same error
/// is in `WWW-Authenticate`); a request without any token gets the challenge and no `error`
/// (RFC 6750 §3.1).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RefusalBody {
    /// `invalid_request`, `invalid_token`, `insufficient_scope`, `invalid_input`,
    /// `temporarily_unavailable` or `server_error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
    error_description: String,
    /// With `insufficient_scope`: the scope the endpoint needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'static str>,
}

impl RefusalBody {
    fn new(error: &'static str, description: String) -> Self {
        Self {
            error: Some(error),
            error_description: description,
            scope: None,
        }
    }
}

/// The refusals of every `/api` endpoint (RFC 6750 §3), for the OpenAPI document.
#[derive(IntoResponses)]
#[expect(dead_code, reason = "lists the refusals for the document; never built")]
pub(crate) enum BearerRefusals {
    /// A malformed request, or a token in the URL: `invalid_request`.
    #[response(status = 400)]
    Malformed(RefusalBody),
    /// No token (no `error`), or an invalid one: `invalid_token`.
    #[response(status = 401)]
    Unauthenticated(RefusalBody),
    /// The token lacks the scope: `insufficient_scope`.
    #[response(status = 403)]
    Forbidden(RefusalBody),
    /// Tokens cannot be checked right now (the authorization server has not been found
    /// yet, or does not answer): `temporarily_unavailable`.
    #[response(status = 503)]
    Unavailable(RefusalBody),
}

/// RFC 9728 §5.1: every challenge of a protected resource may say where its metadata is,
/// and the MCP authorization rules rely on it: a client that meets a 401 or 403 finds the
/// authorization server from there.
fn with_metadata(mut challenge: String, resource_metadata: &str) -> String {
    challenge.push_str(", resource_metadata=\"");
    challenge.push_str(resource_metadata);
    challenge.push('"');
    challenge
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let outcome = Outcome::Refused(self.reason());
        let (status, www_authenticate, body) = match self {
            Self::NoToken {
                resource_metadata,
                scope,
            } => (
                StatusCode::UNAUTHORIZED,
                Some(format!(
                    "Bearer realm=\"{REALM}\", resource_metadata=\"{resource_metadata}\", scope=\"{scope}\""
                )),
                RefusalBody {
                    error: None,
                    error_description:
                        "this endpoint needs an access token: send Authorization: Bearer <token>"
                            .to_owned(),
                    scope: None,
                },
            ),
            Self::BadRequest(description) => (
                StatusCode::BAD_REQUEST,
                Some(bearer_challenge(
                    REALM,
                    BearerErrorCode::InvalidRequest,
                    &description,
                    None,
                )),
                RefusalBody::new("invalid_request", description),
            ),
            Self::InvalidToken {
                description,
                resource_metadata,
                ..
            } => (
                StatusCode::UNAUTHORIZED,
                Some(with_metadata(
                    bearer_challenge(REALM, BearerErrorCode::InvalidToken, &description, None),
                    &resource_metadata,
                )),
                RefusalBody::new("invalid_token", description),
            ),
            Self::InsufficientScope {
                scope,
                resource_metadata,
            } => {
                let description = format!("this endpoint needs the scope {scope:?}");
                (
                    StatusCode::FORBIDDEN,
                    Some(with_metadata(
                        bearer_challenge(
                            REALM,
                            BearerErrorCode::InsufficientScope,
                            &description,
                            Some(scope),
                        ),
                        &resource_metadata,
                    )),
                    RefusalBody {
                        scope: Some(scope),
                        ..RefusalBody::new("insufficient_scope", description)
                    },
                )
            }
            Self::InvalidInput {
                status,
                description,
            } => (status, None, RefusalBody::new("invalid_input", description)),
            Self::Unavailable(description) => (
                StatusCode::SERVICE_UNAVAILABLE,
                None,
                RefusalBody::new("temporarily_unavailable", description),
            ),
            Self::Internal(cause) => {
                tracing::error!(cause, "request failed inside the resource server");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    None,
                    RefusalBody::new(
                        "server_error",
                        "the resource server failed; see its log".to_owned(),
                    ),
                )
            }
        };
        let mut response = outcome.tag((status, Json(body)).into_response());
        if let Some(value) = www_authenticate.and_then(|v| HeaderValue::from_str(&v).ok()) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}
