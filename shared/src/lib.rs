//! The OAuth 2.1 protocol core of the lab, shared by the authorization server, the resource
//! server and the browser client (it builds for native targets and `wasm32-unknown-unknown`).
//!
//! Everything both sides of a message must agree on lives here once: PKCE (RFC 7636), the
//! protocol values as newtypes named after their RFC parameters, scopes (RFC 6749 §3.3), the
//! error codes (RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1) and the wire types of the token
//! endpoint, the discovery document (RFC 8414) and the JWT access token (RFC 9068).
//!
//! It also holds the client's side of the flow, DOM-free, so every client of the lab (the
//! SPA, `oauth-lab`, the benchmark, the servers' tests) runs one implementation: the
//! authorization request and callback checks ([`client`]), form encoding ([`form`]), JWT
//! display and the ID token checks ([`jwt`]), and the demo accounts ([`demo`]).
//!
//! This crate has no server dependencies on purpose: no web framework, runtime or database.

pub mod bearer;
pub mod claims;
pub mod client;
pub mod demo;
pub mod digest;
pub mod error;
pub mod form;
pub mod jwt;
pub mod metadata;
pub mod pkce;
pub mod random;
pub mod scope;
pub mod text;
pub mod token;
pub mod trace;
pub mod values;

pub use claims::{AccessTokenClaims, Audience, IdTokenClaims};
pub use error::{
    AuthorizationErrorCode, BearerErrorCode, ErrorResponse, RegistrationErrorCode, TokenErrorCode,
    bearer_challenge,
};
pub use metadata::AuthorizationServerMetadata;
pub use pkce::{CodeChallenge, CodeChallengeMethod, CodeVerifier, CodeVerifierError};
pub use scope::{Scope, ScopeError, ScopeSet};
pub use token::{GrantType, TokenRequestForm, TokenResponse, TokenType};
pub use values::{
    AccessToken, AuthorizationCode, ClientId, Nonce, RedirectUri, RefreshToken, State,
    is_loopback_host,
};
