//! The HTTP endpoints, and which protections each group gets.

mod address;
mod api_doc;
mod authorize;
mod clients;
mod consent;
mod discovery;
mod form;
mod introspect;
mod json_error;
mod login;
mod logout;
pub(crate) mod page_flow;
pub(crate) mod redirect;
mod register;
mod report;
mod resources;
mod revoke;
mod security;
pub(crate) mod session;
mod signup;
mod token;
mod userinfo;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};
use tower_http::cors::CorsLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::pages;
use crate::state::AppState;

/// Every route. The JSON endpoints are added with `routes!`, so each is in
/// `GET /openapi.json` as its handler's `#[utoipa::path]` describes it; the pages are not.
pub(crate) fn router(state: AppState, cors: CorsLayer) -> Router {
    // Called from the SPA's script: CORS for the registered origins only. (The pages and
    // the confidential clients' endpoints have no CORS: the browser keeps other sites out.)
    let browser_api = OpenApiRouter::new()
        .routes(routes!(token::token))
        .routes(routes!(revoke::revoke))
        .routes(routes!(discovery::jwks))
        .routes(routes!(userinfo::userinfo))
        .routes(routes!(discovery::metadata))
        .routes(routes!(discovery::openid_configuration))
        .layer(cors.clone());
    // For confidential clients (servers), never for a browser: no CORS.
    let api = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health))
        .routes(routes!(introspect::introspect))
        .routes(routes!(introspect::revocations))
        .routes(routes!(register::register))
        .merge(browser_api);
    // The authorization endpoint is a page, and the SPA's origins may also read its answers
    // from script, never with cookies (no Allow-Credentials): the lab's Attacks page shows
    // that a forged redirect_uri gets an error page and no redirect. An anonymous answer
    // holds nothing a registered origin could not see by opening the URL.
    let authorization_endpoint = Router::new()
        .route(
            "/authorize",
            get(authorize::authorize).post(authorize::authorize_form),
        )
        .layer(middleware::map_response(security::page_headers))
        .layer(cors);
    // Pages the user sees: no CORS, no framing, no script.
    let pages = Router::new()
        .route("/login", post(login::login))
        .route("/consent", get(consent::show).post(consent::decide))
        .route("/logout", get(logout::logout).post(logout::logout))
        .route("/signup", get(signup::show).post(signup::create))
        .route("/clients", get(clients::list).post(clients::create))
        .route(
            "/clients/{client_id}",
            get(clients::edit).post(clients::update),
        )
        .route("/clients/{client_id}/delete", post(clients::delete))
        .route("/clients/{client_id}/report", get(report::report))
        .route("/consents/withdraw", post(clients::withdraw_consent))
        .route("/resources", get(resources::list).post(resources::save))
        .route("/resources/delete", post(resources::delete))
        .layer(middleware::map_response(security::page_headers));
    server_kit::api_doc::with_document(api)
        .route("/assets/style.css", get(pages::style_sheet))
        .merge(authorization_endpoint)
        .merge(pages)
        .with_state(state)
}

/// `GET /openapi.json`: this server's JSON endpoints as an OpenAPI 3.1 document (the paths
/// come from the router).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "OAuth 2.1 lab: authorization server",
        description = "The JSON endpoints of the lab's authorization server. Every refusal is an RFC 6749 §5.2 error object; limits answer 408, 413 or 431 with the same shape."
    ),
    components(schemas(server_kit::api_doc::LimitError))
)]
pub(crate) struct ApiDoc;

/// `GET /health`: answers as long as the process serves requests.
#[utoipa::path(
    get,
    path = "/health",
    responses((status = 200, description = "The server is up", body = server_kit::Health))
)]
async fn health() -> axum::Json<server_kit::Health> {
    server_kit::health(crate::SERVICE, env!("CARGO_PKG_VERSION"))
}
