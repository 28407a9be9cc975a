//! A protected resource (RFC 8707): its identifier (the tokens' `aud`), its name, the
//! scopes it understands and how its access tokens are made. Where resources come from and
//! how one is looked up is `protocol/resources.rs`.

use shared::ScopeSet;
use shared::jwt::SigningAlg;

/// Scopes about the user and the session, not about a resource: every resource accepts
/// tokens that carry them.
const IDENTITY_SCOPES: [&str; 4] = ["openid", "profile", "email", shared::scope::OFFLINE_ACCESS];

/// Where a resource was configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Flag,
    File,
    /// Added on the `/resources` page.
    Operator,
    /// A resource on this machine a client named (`--any-loopback-resource`).
    Seen,
}

impl Source {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Flag => "flag",
            Self::File => "resources file",
            Self::Operator => "operator",
            Self::Seen => "seen on this machine",
        }
    }
}

/// A protected resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resource {
    pub identifier: String,
    pub name: String,
    /// The scopes it understands, besides the identity ones; `None`: any this server knows.
    pub scopes: Option<ScopeSet>,
    /// Its access tokens' lifetime in seconds; `None`: `--access-token-ttl`. Never longer
    /// (a replaced signing key is retired after that long).
    pub access_token_ttl: Option<i64>,
    /// The algorithm its access tokens are signed with (RFC 9068 §2.1 leaves it to the
    /// server); `None`: EdDSA.
    pub access_token_alg: Option<SigningAlg>,
    pub source: Source,
}

/// How the access tokens for a resource are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TokenPolicy {
    /// Lifetime in seconds.
    pub ttl: i64,
    pub alg: SigningAlg,
}

impl Resource {
    /// A resource known by its identifier only.
    pub(crate) fn named_by(identifier: &str, source: Source) -> Self {
        Self {
            identifier: identifier.to_owned(),
            name: identifier.to_owned(),
            scopes: None,
            access_token_ttl: None,
            access_token_alg: None,
            source,
        }
    }

    /// The scopes of `requested` this resource does not understand, if any.
    pub(crate) fn not_understood(&self, requested: &ScopeSet) -> Option<ScopeSet> {
        let understood = self.scopes.as_ref()?;
        let missing: ScopeSet = requested
            .iter()
            .filter(|scope| {
                !IDENTITY_SCOPES.contains(&scope.as_str()) && !understood.contains(scope.as_str())
            })
            .cloned()
            .collect();
        (!missing.is_empty()).then_some(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::{Resource, Source};
    use shared::ScopeSet;

    #[test]
    fn a_resource_understands_its_scopes_and_every_identity_scope() {
        let resource = Resource {
            scopes: Some(ScopeSet::parse("read").expect("scopes")),
            ..Resource::named_by("http://localhost:3001/mcp", Source::File)
        };
        let asked = ScopeSet::parse("openid profile offline_access read").expect("scopes");
        assert_eq!(resource.not_understood(&asked), None);
        let asked = ScopeSet::parse("read write admin").expect("scopes");
        assert_eq!(
            resource.not_understood(&asked),
            Some(ScopeSet::parse("admin write").expect("scopes"))
        );
        let any = Resource::named_by("http://localhost:3001/mcp", Source::Seen);
        assert_eq!(any.not_understood(&asked), None);
    }
}
