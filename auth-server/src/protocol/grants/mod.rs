//! The grants of the token endpoint (RFC 6749 §4-6, OAuth 2.1 §4), one file each: the
//! ordered checks of each, over `shared` types and the store, with the time passed in so
//! every rule is unit-tested without a server. What they share is `common.rs`. The
//! endpoint (`routes/token.rs`) reads the request, authenticates the client and picks the
//! grant.

pub(crate) mod authorization_code;
pub(crate) mod client_credentials;
pub(crate) mod common;
pub(crate) mod refresh_token;
