//! The SPA's own OAuth logic, in plain Rust (no components, no DOM): the PKCE walk-through
//! and the forged tokens of the attacks. The flow itself is `shared::client`, which every
//! client of the lab uses.

pub mod forge;
pub mod pkce;
