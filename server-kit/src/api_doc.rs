//! What both servers' OpenAPI documents share: the limits' refusals, and how the document
//! is made from the router and served.

use std::sync::Arc;

use axum::routing::get;
use axum::{Json, Router};
use utoipa::{IntoResponses, ToSchema};
use utoipa_axum::router::OpenApiRouter;

/// The body of a refusal by a request limit (and of the OAuth errors it imitates).
#[derive(Debug, ToSchema)]
pub struct LimitError {
    /// Always `invalid_request`.
    pub error: String,
    /// Which limit.
    pub error_description: String,
}

/// The answers of [`crate::served`], possible on every endpoint.
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

/// The routes of `api` (an `OpenApiRouter`: every route added with `utoipa_axum::routes!`
/// is described by its handler's `#[utoipa::path]`), and `GET /openapi.json` serving the
/// document they make: the path list is the router's, so a route cannot go undocumented or
/// a documented path be missing.
pub fn with_document<S>(api: OpenApiRouter<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let (router, document) = api.split_for_parts();
    let document = Arc::new(document);
    router.route(
        "/openapi.json",
        get(move || {
            let document = Arc::clone(&document);
            async move { Json(document) }
        }),
    )
}
