//! The resource server's router: the API (`api.rs`), the MCP endpoint (`mcp.rs`), their
//! metadata (`metadata.rs`), `/health`, and `/openapi.json`.

use axum::Json;
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
use crate::metadata::ResourceMetadata;
use crate::state::AppState;
use crate::{SERVICE, api, mcp, metadata};

/// Every route, each described in `GET /openapi.json`.
pub(crate) fn router(state: AppState) -> Router {
    let api = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health))
        .merge(api::router())
        .merge(metadata_router(&state));
    server_kit::api_doc::with_document(api)
        .merge(mcp::router(&state))
        .with_state(state)
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
    (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
}

/// The metadata of both resources, each where [`metadata::path`] puts it; the API's is documented in
/// `/openapi.json`.
fn metadata_router(state: &AppState) -> OpenApiRouter<AppState> {
    let router = OpenApiRouter::new();
    let router = if metadata::path(&state.api.identifier) == metadata::WELL_KNOWN {
        router.routes(routes!(api_metadata))
    } else {
        router.route(&metadata::path(&state.api.identifier), get(api_metadata))
    };
    // With `--audience <origin>/mcp` the API and the MCP endpoint are one resource.
    if metadata::path(&state.mcp.identifier) == metadata::path(&state.api.identifier) {
        return router;
    }
    router.route(
        &metadata::path(&state.mcp.identifier),
        get(|State(state): State<AppState>| async move {
            Json(ResourceMetadata::of(&state.mcp, &state.issuer))
        }),
    )
}

/// `GET /.well-known/oauth-protected-resource` (RFC 9728 §2): how to get a token for the
/// API (at the path [`metadata::path`] gives, when its identifier has a path).
#[utoipa::path(
    get,
    path = "/.well-known/oauth-protected-resource",
    responses((status = 200, description = "RFC 9728 §3.2", body = ResourceMetadata))
)]
pub(crate) async fn api_metadata(State(state): State<AppState>) -> Json<ResourceMetadata> {
    Json(ResourceMetadata::of(&state.api, &state.issuer))
}
