//! The OAuth logic of the client, in plain Rust (no components, no DOM).

pub mod flow;
pub mod forge;
pub mod form;
pub mod jwt;
pub mod pkce;
