//! The resource server's router: the API (`api.rs`), `/health`, and `/openapi.json`.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::RefusalBody;
use crate::state::AppState;
use crate::{SERVICE, api};

/// Every route, each described in `GET /openapi.json`.
pub(crate) fn router(state: AppState) -> Router {
    let api = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health))
        .merge(api::router());
    // A resource identifier with a path has its metadata under that path too (RFC 9728
    // §3.1), where the challenges point.
    let inserted = api::metadata_path(&state.audience);
    let router = server_kit::api_doc::with_document(api);
    let router = if inserted == api::WELL_KNOWN {
        router
    } else {
        router.route(&inserted, get(api::resource_metadata))
    };
    router.with_state(state)
}

/// `GET /openapi.json`: this server's endpoints as an OpenAPI 3.1 document (the paths come
/// from the router).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "OAuth 2.1 lab: resource server",
        description = "A protected API: every /api endpoint needs a bearer access token from the lab's authorization server, with the scope it names. Refusals follow RFC 6750 §3; limits answer 408, 413 or 431."
    ),
    components(schemas(RefusalBody, server_kit::api_doc::LimitError))
)]
pub(crate) struct ApiDoc;

/// `GET /health` before the authorization server has been found.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct NotReady {
    /// `starting`.
    status: &'static str,
    service: &'static str,
    /// The issuer whose discovery document and keys the server is waiting for.
    waiting_for: String,
    error_description: String,
}

/// `GET /health`: `200` once the authorization server has been found and tokens can be
/// checked; until then `503`, naming the issuer it is waiting for.
#[utoipa::path(
    get,
    path = "/health",
    responses(
        (status = 200, description = "The server is up and can check tokens", body = server_kit::Health),
        (status = 503, description = "Not ready: still looking for the authorization server", body = NotReady),
    )
)]
pub(crate) async fn health(State(state): State<AppState>) -> Response {
    if state.validator.get().is_some() {
        return server_kit::health(SERVICE, env!("CARGO_PKG_VERSION")).into_response();
    }
    let body = NotReady {
        status: "starting",
        service: SERVICE,
        waiting_for: state.issuer.to_string(),
        error_description: format!(
            "not ready: waiting for the authorization server at {} (its discovery document and keys)",
            state.issuer
        ),
    };
    (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
}
