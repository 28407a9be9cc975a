//! Reading a form body the way the token, revocation and introspection endpoints must;
//! the form of revocation and introspection, and the client it authenticates.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, header};
use serde::Deserialize;
use server_kit::trace::{Check, Recorder};
use shared::TokenErrorCode;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::model::Client;
use crate::protocol::client_auth;
use crate::state::AppState;

/// The form of revocation and introspection (RFC 7009 §2.1, RFC 7662 §2.1).
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct TokenForm {
    token: Option<String>,
    pub token_type_hint: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// RFC 7009 §2.1, RFC 7662 §2.1: a POST form, each parameter once.
const FORM: Check = Check::new(
    "form",
    "RFC 7009 §2.1",
    "A form body (application/x-www-form-urlencoded) with every parameter at most once.",
);
const TOKEN_PRESENT: Check = Check::new(
    "token_present",
    "RFC 7009 §2.1",
    "The form names the token.",
);

impl TokenForm {
    /// The form's `token`, into the trace.
    pub(crate) fn token(&self, trace: &Recorder) -> Result<&str, ApiError> {
        let token = self
            .token
            .as_deref()
            .ok_or_else(|| ApiError::new(TokenErrorCode::InvalidRequest, "token is missing"));
        trace.check(&TOKEN_PRESENT, token)
    }
}

/// The form of revocation or introspection, and the client it authenticates (RFC 6749
/// §2.3, as RFC 7009 §2.1 and RFC 7662 §2.1 ask), with how it did.
pub(crate) async fn authenticated_form(
    state: &AppState,
    trace: &Recorder,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(TokenForm, Client, client_auth::Method), ApiError> {
    let form: TokenForm = trace.check(&FORM, parse_form(headers, body))?;
    let authenticated = client_auth::authenticate(
        state,
        authorization(headers),
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )
    .await;
    let (client, method) = trace.check(&client_auth::CLIENT_AUTHENTICATED, authenticated)?;
    Ok((form, client, method))
}

/// RFC 6749 §3.2 (and RFC 7009 §2.1, RFC 7662 §2.1): the client "MUST use the HTTP "POST" method" with
/// `application/x-www-form-urlencoded`, and parameters "MUST NOT be included more than once".
pub(crate) fn parse_form<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    let invalid = |description: &str| ApiError::new(TokenErrorCode::InvalidRequest, description);
    if !is_form(headers) {
        return Err(invalid(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let body =
        body.map_err(|_| invalid("the request body cannot be read (it may be too large)"))?;
    serde_urlencoded::from_bytes(&body).map_err(|e| {
        ApiError::new(
            TokenErrorCode::InvalidRequest,
            format!("the form cannot be read: {e}"),
        )
    })
}

/// Whether the request's body is declared `application/x-www-form-urlencoded`.
pub(crate) fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';').next().is_some_and(|t| {
                t.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        })
}

/// The raw `Authorization` header of a request, for client authentication.
pub(crate) fn authorization(headers: &HeaderMap) -> Option<&[u8]> {
    headers
        .get(header::AUTHORIZATION)
        .map(axum::http::HeaderValue::as_bytes)
}
