//! Scopes (RFC 6749 §3.3): "a list of space-delimited, case-sensitive strings".
//!
//! ```text
//! scope       = scope-token *( SP scope-token )
//! scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The scopes this lab knows, each with the one line the consent page shows for it.
pub const KNOWN_SCOPES: &[(&str, &str)] = &[
    ("read", "Read your profile and your notes"),
    ("write", "Add notes on your behalf"),
    (
        "admin",
        "See the resource server's administration statistics",
    ),
    (
        "openid",
        "Sign you in to the application with your identity (OpenID Connect)",
    ),
    ("profile", "See your name and username"),
    ("email", "See your email address"),
    (
        OFFLINE_ACCESS,
        "Stay connected while you are away: the application may renew its access without asking you again",
    ),
];

/// OIDC Core §11: access that outlives the user's session. Every client may ask for it and
/// every user may grant it; a refresh token is issued to a client registered for the
/// `refresh_token` grant with or without it (OAuth 2.1 §4.3 lets the server decide; the MCP
/// authorization rules say a client MAY ask for it and MUST NOT assume a refresh token).
pub const OFFLINE_ACCESS: &str = "offline_access";

/// Why a string is not a valid scope or scope list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("the scope list is empty")]
    Empty,
    #[error(
        "the scope list has an empty scope-token (two spaces in a row, or a leading or trailing space)"
    )]
    EmptyToken,
    #[error(
        "scope {token:?} contains {character:?}, which RFC 6749 §3.3 does not allow in a scope-token"
    )]
    InvalidCharacter { token: String, character: char },
}

/// RFC 6749 §3.3: `%x21 / %x23-5B / %x5D-7E`, i.e. visible ASCII except `"` and `\`.
fn is_scope_char(c: char) -> bool {
    matches!(c, '\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')
}

/// One `scope-token`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope(String);

impl Scope {
    pub fn parse(token: &str) -> Result<Self, ScopeError> {
        if token.is_empty() {
            return Err(ScopeError::EmptyToken);
        }
        if let Some(character) = token.chars().find(|&c| !is_scope_char(c)) {
            return Err(ScopeError::InvalidCharacter {
                token: token.to_owned(),
                character,
            });
        }
        Ok(Self(token.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The consent page's plain-language line for a known scope.
    pub fn description(&self) -> Option<&'static str> {
        KNOWN_SCOPES
            .iter()
            .find(|(name, _)| *name == self.0)
            .map(|&(_, description)| description)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A set of scopes. Order does not matter and duplicates collapse (RFC 6749 §3.3: "The
/// strings are defined by the authorization server ... their order does not matter").
/// It prints in a stable, sorted order and travels on the wire as the space-delimited string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeSet(BTreeSet<Scope>);

impl ScopeSet {
    /// Parses the `scope` parameter. An empty string is refused: the ABNF asks for at least
    /// one token, and a client that wants the default scope omits the parameter instead.
    pub fn parse(value: &str) -> Result<Self, ScopeError> {
        if value.is_empty() {
            return Err(ScopeError::Empty);
        }
        value.split(' ').map(Scope::parse).collect()
    }

    /// The first scope this lab does not know (see [`KNOWN_SCOPES`]), if any.
    pub fn first_unknown(&self) -> Option<&Scope> {
        self.0.iter().find(|s| s.description().is_none())
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s.as_str() == scope)
    }

    /// True when every scope of `self` is also in `other`.
    pub fn is_subset(&self, other: &Self) -> bool {
        self.0.is_subset(&other.0)
    }

    /// The scopes in both sets.
    #[must_use]
    pub fn intersection(&self, other: &Self) -> Self {
        Self(self.0.intersection(&other.0).cloned().collect())
    }

    /// The scopes in either set.
    #[must_use]
    pub fn union(&self, other: &Self) -> Self {
        Self(self.0.union(&other.0).cloned().collect())
    }

    /// This set and [`OFFLINE_ACCESS`]: what a client may ask for, or a user may grant, when
    /// this is what it is allowed.
    #[must_use]
    pub fn with_offline_access(&self) -> Self {
        let mut scopes = self.0.clone();
        scopes.insert(Scope(OFFLINE_ACCESS.to_owned()));
        Self(scopes)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Scope> {
        self.0.iter()
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl FromStr for ScopeSet {
    type Err = ScopeError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::parse(value)
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, scope) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(scope.as_str())?;
        }
        Ok(())
    }
}

impl Serialize for ScopeSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ScopeSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        Self::parse(&value).map_err(serde::de::Error::custom)
    }
}
