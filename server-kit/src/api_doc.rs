//! What both servers' OpenAPI documents share: the limits' refusals, `/health`, and the
//! handler that serves the document.

use axum::Json;
use utoipa::{IntoResponses, OpenApi, ToSchema};

/// The body of a refusal by a request limit (and of the OAuth errors it imitates).
#[derive(Debug, ToSchema)]
pub struct LimitError {
    /// Always `invalid_request`.
    pub error: String,
    /// Which limit.
    pub error_description: String,
}

/// The answers of [`crate::limited`], possible on every endpoint.
#[derive(Debug, IntoResponses)]
pub enum LimitRefusals {
    /// The request was not complete in time.
    #[response(status = 408)]
    Timeout(LimitError),
    /// The body is over the limit (16 KB).
    #[response(status = 413)]
    BodyTooLarge(LimitError),
    /// The URL and headers are over the limit (16 KB).
    #[response(status = 431)]
    HeadersTooLarge(LimitError),
}

/// `GET /openapi.json`: the document `D` describes.
#[expect(clippy::unused_async, reason = "an axum handler")]
pub async fn serve<D: OpenApi>() -> Json<utoipa::openapi::OpenApi> {
    Json(D::openapi())
}
