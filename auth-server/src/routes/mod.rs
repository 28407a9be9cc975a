//! The HTTP endpoints, and which protections each group gets.

mod api_doc;
mod authorize;
mod clients;
mod consent;
mod discovery;
mod login;
mod logout;
mod refresh;
mod register;
mod revocation;
mod signup;
mod token;
mod userinfo;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};
use tower_http::cors::CorsLayer;

use crate::pages;
use crate::security;
use crate::state::AppState;

pub(crate) fn router(state: AppState, cors: CorsLayer) -> Router {
    // Called from the SPA's script: CORS for the registered origins only. (The pages and
    // the confidential clients' endpoints have no CORS: the browser keeps other sites out.)
    let browser_api = Router::new()
        .route("/token", post(token::token))
        .route("/revoke", post(revocation::revoke))
        .route("/jwks.json", get(discovery::jwks))
        .route(
            "/userinfo",
            get(userinfo::userinfo).post(userinfo::userinfo),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(discovery::metadata),
        )
        .route(
            "/.well-known/openid-configuration",
            get(discovery::openid_configuration),
        )
        .layer(cors.clone());
    // The authorization endpoint is a page, and the SPA's origins may also read its answers
    // from script, never with cookies (no Allow-Credentials): the lab's Attacks page shows
    // that a forged redirect_uri gets an error page and no redirect. An anonymous answer
    // holds nothing a registered origin could not see by opening the URL.
    let authorization_endpoint = Router::new()
        .route("/authorize", get(authorize::authorize))
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
        .layer(middleware::map_response(security::page_headers));
    Router::new()
        .route("/health", get(health))
        .route(
            "/openapi.json",
            get(server_kit::api_doc::serve::<api_doc::ApiDoc>),
        )
        .route("/assets/style.css", get(pages::style_sheet))
        // For confidential clients (servers), never for a browser: no CORS.
        .route("/introspect", post(revocation::introspect))
        .route("/register", post(register::register))
        .merge(browser_api)
        .merge(authorization_endpoint)
        .merge(pages)
        .with_state(state)
}

/// `GET /health`: answers as long as the process serves requests.
#[utoipa::path(
    get,
    path = "/health",
    responses((status = 200, description = "The server is up", body = server_kit::Health))
)]
async fn health() -> axum::Json<server_kit::Health> {
    server_kit::health(crate::startup::SERVICE, env!("CARGO_PKG_VERSION"))
}
