//! The protocol: the rules of OAuth 2.1 and OpenID Connect as this server applies them,
//! with no web framework in sight (no axum: `scripts/check-cycles.py` checks). Inputs are
//! `shared` types, plain strings and the store; outputs are decisions and RFC errors. The
//! HTTP layer (`routes/`) reads requests, calls these, and answers.

pub(crate) mod accounts;
pub(crate) mod authorization_request;
pub(crate) mod client_auth;
pub(crate) mod client_document;
pub(crate) mod client_metadata;
pub(crate) mod clients;
pub(crate) mod decision;
pub(crate) mod grants;
pub(crate) mod introspection;
pub(crate) mod keys;
pub(crate) mod password;
pub(crate) mod pending;
pub(crate) mod registration;
pub(crate) mod report;
pub(crate) mod resources;
pub(crate) mod revocation;
pub(crate) mod session;
pub(crate) mod throttle;
pub(crate) mod tokens;
pub(crate) mod userinfo;
