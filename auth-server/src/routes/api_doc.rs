//! The answers several JSON endpoints share, for `GET /openapi.json` (the document itself,
//! `ApiDoc`, is in `routes/mod.rs` beside the router). Every body in the document is the
//! type the handler really sends (`shared::TokenResponse`, `protocol::introspection::Introspection`, ...);
//! only the sets of refusals are described here. The HTML pages (`/authorize`, login,
//! consent, the client pages) are for browsers and are not in it. `scripts/test.sh` runs
//! schemathesis against it: no 5xx, and no answer that breaks its own schema.

use shared::{ErrorResponse, TokenErrorCode};
use utoipa::IntoResponses;

/// The refusals of the endpoints a client authenticates to (RFC 6749 §5.2).
#[derive(IntoResponses)]
#[expect(dead_code, reason = "lists the refusals for the document; never built")]
pub(crate) enum ClientRefusals {
    /// Refused: `invalid_request`, `invalid_grant`, `unsupported_grant_type`, ...
    #[response(status = 400)]
    Refused(ErrorResponse<TokenErrorCode>),
    /// Client authentication failed: `invalid_client`.
    #[response(status = 401)]
    Unauthenticated(ErrorResponse<TokenErrorCode>),
}
