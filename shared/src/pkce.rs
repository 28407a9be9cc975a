//! Proof Key for Code Exchange (RFC 7636), S256 only, as OAuth 2.1 §4.1.1 requires.
//!
//! The client makes a secret `code_verifier`, sends only its SHA-256 hash (`code_challenge`)
//! in the front channel, and proves possession of the verifier when it redeems the code in
//! the back channel. Whoever steals the code from the redirect still lacks the verifier.
//!
//! This module is written by hand on purpose: it is the lesson the lab teaches.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

/// RFC 7636 §4.1: "with a minimum length of 43 characters and a maximum length of 128
/// characters".
pub const VERIFIER_MIN_LEN: usize = 43;
/// See [`VERIFIER_MIN_LEN`].
pub const VERIFIER_MAX_LEN: usize = 128;

/// Length of an S256 challenge: 32 bytes of SHA-256 in base64url without padding.
const S256_CHALLENGE_LEN: usize = 43;

/// RFC 7636 §4.1: `unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"`.
fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
}

/// Why a string is not a valid `code_verifier`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeVerifierError {
    #[error("code_verifier is {len} characters long; RFC 7636 §4.1 requires at least 43")]
    TooShort { len: usize },
    #[error("code_verifier is {len} characters long; RFC 7636 §4.1 allows at most 128")]
    TooLong { len: usize },
    #[error(
        "code_verifier has {character:?} at position {position}; RFC 7636 §4.1 allows only A-Z a-z 0-9 - . _ ~"
    )]
    InvalidCharacter { character: char, position: usize },
}

/// `code_verifier` (RFC 7636 §4.1): a high-entropy secret the client keeps until the token
/// request. Not `Clone`, so a copy cannot end up somewhere by accident; redacted in `Debug`.
/// A client that must keep it across a redirect stores it as a plain string, and reading it
/// back checks it again ([`CodeVerifier::parse`]).
#[derive(Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct CodeVerifier(String);

impl TryFrom<String> for CodeVerifier {
    type Error = CodeVerifierError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl CodeVerifier {
    /// RFC 7636 §4.1: "It is RECOMMENDED that the output of a suitable random number
    /// generator be used to create a 32-octet sequence. The octet sequence is then
    /// base64url-encoded to produce a 43-octet URL safe string to use as the code verifier."
    pub fn generate() -> Self {
        Self(crate::random::token())
    }

    /// Accepts exactly the strings RFC 7636 §4.1 allows: 43 to 128 unreserved characters.
    pub fn parse(value: &str) -> Result<Self, CodeVerifierError> {
        if let Some((position, character)) =
            value.chars().enumerate().find(|&(_, c)| !is_unreserved(c))
        {
            return Err(CodeVerifierError::InvalidCharacter {
                character,
                position,
            });
        }
        // Only ASCII is left, so the byte length is the character count.
        let len = value.len();
        if len < VERIFIER_MIN_LEN {
            return Err(CodeVerifierError::TooShort { len });
        }
        if len > VERIFIER_MAX_LEN {
            return Err(CodeVerifierError::TooLong { len });
        }
        Ok(Self(value.to_owned()))
    }

    /// The verifier itself, sent only in the token request (RFC 7636 §4.5).
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// RFC 7636 §4.2: `code_challenge = BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))`.
    pub fn challenge(&self) -> CodeChallenge {
        CodeChallenge(URL_SAFE_NO_PAD.encode(Sha256::digest(self.0.as_bytes())))
    }
}

impl fmt::Debug for CodeVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeVerifier([redacted])")
    }
}

/// Why a string is not a valid S256 `code_challenge`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeChallengeError {
    #[error("code_challenge must be 43 base64url characters (an S256 hash), got {len}")]
    WrongLength { len: usize },
    #[error("code_challenge must be base64url (A-Z a-z 0-9 - _), found {character:?}")]
    InvalidCharacter { character: char },
}

/// `code_challenge` (RFC 7636 §4.2), S256: public, sent in the front channel.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CodeChallenge(String);

impl CodeChallenge {
    /// Accepts what an S256 challenge can be: 43 base64url characters.
    pub fn parse(value: &str) -> Result<Self, CodeChallengeError> {
        if let Some(character) = value
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        {
            return Err(CodeChallengeError::InvalidCharacter { character });
        }
        if value.len() != S256_CHALLENGE_LEN {
            return Err(CodeChallengeError::WrongLength { len: value.len() });
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// RFC 7636 §4.6: the server "calculate[s] the code challenge from the received
    /// code_verifier and compar[es] it with the previously associated code_challenge".
    /// The comparison takes the same time wherever the two differ.
    pub fn verify(&self, verifier: &CodeVerifier) -> bool {
        verifier
            .challenge()
            .0
            .as_bytes()
            .ct_eq(self.0.as_bytes())
            .into()
    }
}

/// `code_challenge_method` (RFC 7636 §4.3). OAuth 2.1 §4.1.1 drops `plain`: with it the
/// challenge *is* the verifier, so anyone who sees the authorization request can redeem the
/// code. Only `S256` exists here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CodeChallengeMethod {
    S256,
}

/// Why a `code_challenge_method` is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeChallengeMethodError {
    #[error("code_challenge_method=plain is not allowed: OAuth 2.1 requires S256")]
    Plain,
    #[error("unknown code_challenge_method {0:?}: only S256 is supported")]
    Unknown(String),
}

impl CodeChallengeMethod {
    pub fn parse(value: &str) -> Result<Self, CodeChallengeMethodError> {
        match value {
            "S256" => Ok(Self::S256),
            "plain" => Err(CodeChallengeMethodError::Plain),
            other => Err(CodeChallengeMethodError::Unknown(other.to_owned())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::S256 => "S256",
        }
    }
}
