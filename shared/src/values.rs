//! The protocol values, one newtype each, named after the RFC 6749 parameter they carry.
//!
//! Public values (`client_id`, `redirect_uri`) compare and print normally. Secret values
//! (`state`, `nonce`, `code`, tokens) print as `Name([redacted])`, have no `Display` and no
//! derived `PartialEq`: the only way to read one is [`secret`](State::secret), which makes
//! every place that handles the secret itself easy to find.

use std::fmt;

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;

/// `client_id` (RFC 6749 §2.2): the public identifier the authorization server issued to a
/// client. Not a secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientId(String);

impl ClientId {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `redirect_uri` (RFC 6749 §3.1.2). Two redirect URIs are equal only when they are the same
/// string, character for character: OAuth 2.1 §2.3.1 requires "exact string matching", so a
/// trailing slash, another port, an added query or a fragment all make a different URI. No
/// normalisation happens here, on purpose.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RedirectUri(String);

impl RedirectUri {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A host that is this machine: the loopback IP literals of RFC 8252 §7.3, and `localhost`.
/// RFC 8252 §8.3 calls `localhost` "NOT RECOMMENDED" (a hosts file could point it
/// elsewhere), but native and MCP clients use it all the time, and the lab is for them, so it
/// is treated like the literals (for redirect URIs and for resources on this machine).
pub fn is_loopback_host(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Declares a secret protocol value: transparent on the wire, redacted in `Debug`, no
/// `Display`, no `PartialEq`. `random` adds `generate()` for values the issuer makes from
/// 256 random bits.
macro_rules! secret_value {
    ($(#[$doc:meta])* $name:ident $(, $random:ident)?) => {
        $(#[$doc])*
        #[derive(Clone, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The secret itself. Every caller is a place where the secret is handled.
            pub fn secret(&self) -> &str {
                &self.0
            }

            /// Compares with `other` in time that does not depend on where they differ.
            pub fn constant_time_eq(&self, other: &str) -> bool {
                self.0.as_bytes().ct_eq(other.as_bytes()).into()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        $(secret_value!(@$random $name);)?
    };
    (@random $name:ident) => {
        impl $name {
            /// A fresh value from 256 random bits (43 base64url characters).
            pub fn generate() -> Self {
                Self(crate::random::token())
            }
        }
    };
}

secret_value!(
    /// `state` (RFC 6749 §4.1.1, §10.12): an unguessable value the client binds to the
    /// user's browser and checks on the redirect back, so an attacker cannot feed the client
    /// an authorization response it did not ask for (CSRF).
    State, random
);

secret_value!(
    /// `nonce` (OpenID Connect Core §3.1.2.1): echoed in the ID token so the client can tell
    /// the token was minted for this very login and is not a replay.
    Nonce, random
);

secret_value!(
    /// `code` (RFC 6749 §4.1.2): the short-lived, single-use authorization code.
    AuthorizationCode, random
);

secret_value!(
    /// `access_token` (RFC 6749 §1.4): in this lab a signed JWT (RFC 9068).
    AccessToken
);

secret_value!(
    /// `refresh_token` (RFC 6749 §1.5): an opaque random string, rotated on every use
    /// (OAuth 2.1 §4.3.1).
    RefreshToken, random
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let code = AuthorizationCode::new("very-secret-code");
        assert_eq!(format!("{code:?}"), "AuthorizationCode([redacted])");
        assert_eq!(format!("{:?}", State::generate()), "State([redacted])");
    }

    #[test]
    fn generated_values_are_43_unreserved_characters_and_differ() {
        let a = State::generate();
        let b = State::generate();
        assert_eq!(a.secret().len(), 43);
        assert!(!a.constant_time_eq(b.secret()));
        assert!(a.constant_time_eq(a.secret()));
    }

    #[test]
    fn redirect_uris_compare_as_exact_strings() {
        let registered = RedirectUri::new("http://localhost:8080/callback");
        assert_eq!(
            registered,
            RedirectUri::new("http://localhost:8080/callback")
        );
        for variant in [
            "http://localhost:8080/callback/",
            "http://localhost:8081/callback",
            "http://localhost:8080/callback?x=1",
            "http://localhost:8080/callback#frag",
            "HTTP://localhost:8080/callback",
        ] {
            assert_ne!(registered, RedirectUri::new(variant), "{variant}");
        }
    }
}
