//! Integration tests: the real authorization server and the real resource server on
//! 127.0.0.1:0, real tokens from the real flow, and forged tokens signed the ways an
//! attacker would try.

mod api;
mod bad_input;
mod helpers;
mod introspection;
mod mcp;
mod startup;
mod tls;
mod traces;
mod validation;
