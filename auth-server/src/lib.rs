//! The OAuth 2.1 authorization server of the lab. `main.rs` only wires configuration and
//! logging; everything else is here so the tests run the very same server.

/// The service name in logs and `/health`.
pub const SERVICE: &str = "auth-server";

pub mod config;
pub mod startup;

mod error;
mod model;
mod pages;
mod protocol;
mod purge;
mod routes;
mod seed;
mod state;
mod store;
