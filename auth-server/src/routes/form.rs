//! Reading a form body the way the token, revocation and introspection endpoints must.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, header};
use shared::TokenErrorCode;

use crate::error::ApiError;

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
