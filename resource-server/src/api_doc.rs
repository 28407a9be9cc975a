//! The wire shapes of this server's endpoints, for `GET /openapi.json` (the document itself,
//! `ApiDoc`, is in `routes.rs` beside the router, from the handlers' `#[utoipa::path]`
//! annotations). Every endpoint
//! under `/api` takes `Authorization: Bearer <access token>`. `scripts/test.sh` runs
//! schemathesis against it: no 5xx, and no answer that breaks its own schema.

use utoipa::{IntoResponses, ToSchema};

/// A refusal. RFC 6750 §3 for everything about the token (the same error is in
/// `WWW-Authenticate`); a request without any token gets the challenge and no `error`
/// (RFC 6750 §3.1).
#[derive(ToSchema)]
#[expect(dead_code, reason = "describes the wire format; never built")]
pub(crate) struct ApiError {
    /// `invalid_request`, `invalid_token`, `insufficient_scope`, `invalid_input` or
    /// `temporarily_unavailable`.
    error: Option<String>,
    error_description: String,
    /// With `insufficient_scope`: the scope the endpoint needs.
    scope: Option<String>,
}

/// `GET /api/profile`.
#[derive(ToSchema)]
#[expect(dead_code, reason = "describes the wire format; never built")]
pub(crate) struct Profile {
    sub: String,
    username: Option<String>,
    scope: String,
    client_id: String,
    expires_at: i64,
    expires_in: i64,
}

/// `GET /api/admin/stats`.
#[derive(ToSchema)]
#[expect(dead_code, reason = "describes the wire format; never built")]
pub(crate) struct Stats {
    users_seen: i64,
    notes: i64,
    requests_allowed: u64,
    requests_refused: u64,
}

/// RFC 9728 §2.
#[derive(ToSchema)]
#[expect(dead_code, reason = "describes the wire format; never built")]
pub(crate) struct ResourceMetadata {
    resource: String,
    authorization_servers: Vec<String>,
    scopes_supported: Vec<String>,
    bearer_methods_supported: Vec<String>,
    resource_name: String,
}

/// `GET /health` before the authorization server has been found.
#[derive(ToSchema)]
#[expect(dead_code, reason = "describes the wire format; never built")]
pub(crate) struct NotReady {
    /// `starting`.
    status: String,
    service: String,
    /// The issuer whose discovery document and keys the server is waiting for.
    waiting_for: String,
    error_description: String,
}

/// The refusals of every `/api` endpoint (RFC 6750 §3).
#[derive(IntoResponses)]
#[expect(dead_code, reason = "describes the wire format; never built")]
pub(crate) enum BearerRefusals {
    /// A malformed request, or a token in the URL: `invalid_request`.
    #[response(status = 400)]
    Malformed(ApiError),
    /// No token (no `error`), or an invalid one: `invalid_token`.
    #[response(status = 401)]
    Unauthenticated(ApiError),
    /// The token lacks the scope: `insufficient_scope`.
    #[response(status = 403)]
    Forbidden(ApiError),
    /// Tokens cannot be checked right now (the authorization server has not been found
    /// yet, or does not answer): `temporarily_unavailable`.
    #[response(status = 503)]
    Unavailable(ApiError),
}
