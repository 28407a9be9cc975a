//! The OAuth 2.1 resource server of the lab: it accepts a bearer token only after checking
//! it for real (signature against the authorization server's published keys, algorithm,
//! type, issuer, audience, lifetime, scope) and says which check failed when it refuses.
//! `main.rs` only wires configuration and logging; the tests run this very server.

/// The service name in logs and `/health`.
pub const SERVICE: &str = "resource-server";

pub mod config;
pub mod startup;

mod api;
mod bearer;
mod discovery;
mod error;
mod introspect;
mod jwks;
mod mcp;
mod metadata;
mod refusal;
mod revocations;
mod routes;
mod state;
mod store;
mod validate;
