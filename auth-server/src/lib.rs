//! The OAuth 2.1 authorization server of the lab. `main.rs` only wires configuration and
//! logging; everything else is here so the tests run the very same server.

pub mod config;
pub mod startup;

mod routes;
