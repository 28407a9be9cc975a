//! The HTTP endpoints.

use axum::Router;
use axum::routing::get;

pub(crate) fn router() -> Router {
    Router::new().route(
        "/health",
        get(|| async { server_kit::health(crate::startup::SERVICE, env!("CARGO_PKG_VERSION")) }),
    )
}
