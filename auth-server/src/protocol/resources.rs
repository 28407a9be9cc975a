//! The protected resources this server issues tokens for (RFC 8707): each with its
//! identifier (the tokens' `aud`), a name for people, the scopes it understands, and the
//! lifetime and signature algorithm of its access tokens. They come from four places, looked up in this order:
//! the flags (`--default-resource`, `--resource`), the file `--resources-file`, the
//! operator's page (`/resources`), and, with `--any-loopback-resource`, any resource on
//! this machine, recorded the first time a client names it so the page shows it.

use serde::Deserialize;
use server_kit::db::Db;
use shared::ScopeSet;
use shared::jwt::SigningAlg;

use crate::error::Internal;
use crate::model::{Resource, Source, TokenPolicy};
use crate::store::{self, StoredResource};

/// The resources kept in the database (added by an operator, or seen on this machine), with
/// when each was last named.
pub(crate) async fn stored(db: &Db) -> Result<Vec<StoredResource>, Internal> {
    store::stored_resources(db).await
}

/// Keeps `resource` (an operator's, already checked by [`Described::check`]).
pub(crate) async fn save(db: &Db, resource: &Resource) -> Result<(), Internal> {
    store::save_resource(db, resource).await
}

/// Forgets the kept resource `identifier`. `false`: none is kept under it (a resource of
/// a flag or of the resources file is removed there).
pub(crate) async fn delete(db: &Db, identifier: &str) -> Result<bool, Internal> {
    store::delete_resource(db, identifier).await
}

/// The resources of the flags and the file, and whether any resource on this machine is
/// accepted.
#[derive(Debug)]
pub(crate) struct Registry {
    /// The default resource first.
    configured: Vec<Resource>,
    any_loopback: bool,
    /// `--access-token-ttl`: no resource's tokens live longer.
    max_ttl: i64,
}

impl Registry {
    pub(crate) fn new(configured: Vec<Resource>, any_loopback: bool, max_ttl: i64) -> Self {
        Self {
            configured,
            any_loopback,
            max_ttl,
        }
    }

    /// The resource tokens are for when a client names none.
    pub(crate) fn default_resource(&self) -> &Resource {
        &self.configured[0]
    }

    /// `--access-token-ttl`: the longest any resource's tokens live.
    pub(crate) fn max_ttl(&self) -> i64 {
        self.max_ttl
    }

    /// Whether any resource on this machine is accepted (`--any-loopback-resource`).
    pub(crate) fn any_loopback(&self) -> bool {
        self.any_loopback
    }

    /// The resources of the flags and the file, the default first.
    pub(crate) fn configured(&self) -> &[Resource] {
        &self.configured
    }

    /// RFC 8707 §2: the resource a client named, or the default. `None` when the server
    /// does not know it (`invalid_target`). Known: configured (flags, file), added by the
    /// operator, or, with `--any-loopback-resource`, any resource on this machine of at
    /// most [`MAX_IDENTIFIER_BYTES`] (recorded once a token is issued for it,
    /// [`Registry::issued_for`]: a request alone, which anyone can make, stores nothing).
    /// Compared exactly: a final `/` or another case is another resource.
    pub(crate) async fn find(
        &self,
        db: &Db,
        requested: Option<&str>,
    ) -> Result<Option<Resource>, Internal> {
        let Some(identifier) = requested else {
            return Ok(Some(self.default_resource().clone()));
        };
        if let Some(known) = self.configured.iter().find(|r| r.identifier == identifier) {
            return Ok(Some(known.clone()));
        }
        if let Some(stored) = store::find_resource(db, identifier).await? {
            return Ok(Some(stored.resource));
        }
        if self.any_loopback && is_loopback_resource(identifier) {
            return Ok(Some(Resource::named_by(identifier, Source::Seen)));
        }
        Ok(None)
    }

    /// Records that a token was issued for the resource `identifier`, if it is one on this
    /// machine that only `--any-loopback-resource` made known: the registry grows by what
    /// users approved, never by anonymous requests (`docs/security-review.md`, S3-6).
    pub(crate) async fn issued_for(&self, db: &Db, identifier: &str) -> Result<(), Internal> {
        if !self.any_loopback
            || self.configured.iter().any(|r| r.identifier == identifier)
            || !is_loopback_resource(identifier)
        {
            return Ok(());
        }
        tracing::debug!(
            resource = identifier,
            "a token for a resource on this machine: recorded (--any-loopback-resource)"
        );
        store::saw_resource(db, identifier).await
    }

    /// How access tokens for the resource `identifier` are made: its own lifetime, capped
    /// by `--access-token-ttl`, or that; its own algorithm, or EdDSA.
    pub(crate) async fn token_policy(
        &self,
        db: &Db,
        identifier: &str,
    ) -> Result<TokenPolicy, Internal> {
        let (ttl, alg) = match self.configured.iter().find(|r| r.identifier == identifier) {
            Some(known) => (known.access_token_ttl, known.access_token_alg),
            None => store::find_resource(db, identifier)
                .await?
                .map_or((None, None), |stored| {
                    (
                        stored.resource.access_token_ttl,
                        stored.resource.access_token_alg,
                    )
                }),
        };
        Ok(TokenPolicy {
            ttl: ttl.map_or(self.max_ttl, |ttl| ttl.clamp(1, self.max_ttl)),
            alg: alg.unwrap_or(SigningAlg::EdDSA),
        })
    }
}

/// A resource as the file `--resources-file` and the operator's page describe it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Described {
    pub resource: String,
    pub name: Option<String>,
    /// Space-separated; absent: any scope this server knows.
    pub scopes: Option<String>,
    pub access_token_ttl: Option<u64>,
    /// `EdDSA` (the default), `ES256` or `RS256`.
    pub access_token_alg: Option<String>,
}

/// The file `--resources-file`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResourcesFile {
    pub resources: Vec<Described>,
}

/// The longest resource name.
const MAX_NAME_CHARS: usize = 100;

impl Described {
    /// The resource, or why it cannot be one: the identifier is an absolute http or https
    /// URI without a fragment (RFC 8707 §2), written as parsed; the scopes are known ones;
    /// the lifetime at most `max_ttl`.
    pub(crate) fn check(&self, source: Source, max_ttl: i64) -> Result<Resource, String> {
        let identifier = self.resource.trim();
        check_identifier(identifier)?;
        let name = self.name.as_deref().map_or(identifier, str::trim);
        if name.is_empty()
            || name.chars().count() > MAX_NAME_CHARS
            || name.chars().any(char::is_control)
        {
            return Err(format!(
                "the name of {identifier} must be 1 to {MAX_NAME_CHARS} characters, without control characters"
            ));
        }
        let scopes = match self.scopes.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(scopes) => {
                let scopes = ScopeSet::parse(scopes).map_err(|e| format!("{identifier}: {e}"))?;
                if let Some(unknown) = scopes.first_unknown() {
                    return Err(format!(
                        "{identifier}: unknown scope {:?}",
                        unknown.as_str()
                    ));
                }
                Some(scopes)
            }
        };
        let access_token_ttl = match self.access_token_ttl {
            None => None,
            Some(ttl) => match i64::try_from(ttl) {
                Ok(ttl) if (1..=max_ttl).contains(&ttl) => Some(ttl),
                _ => {
                    return Err(format!(
                        "{identifier}: access_token_ttl must be 1 to {max_ttl} seconds (--access-token-ttl)"
                    ));
                }
            },
        };
        let access_token_alg = match self.access_token_alg.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(alg) => Some(SigningAlg::parse(alg).ok_or_else(|| {
                format!(
                    "{identifier}: access_token_alg must be one of {}, not {alg:?}",
                    SigningAlg::ALL.map(SigningAlg::as_str).join(", ")
                )
            })?),
        };
        Ok(Resource {
            identifier: identifier.to_owned(),
            name: name.to_owned(),
            scopes,
            access_token_ttl,
            access_token_alg,
            source,
        })
    }
}

/// RFC 8707 §2: "an absolute URI ... MUST NOT include a fragment component"; http or https,
/// written as a URL parser reads it (a bare origin may omit the final `/`).
pub(crate) fn check_identifier(identifier: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(identifier)
        .map_err(|e| format!("{identifier:?} is not an absolute URI: {e}"))?;
    let as_parsed = url.as_str() == identifier
        || (url.path() == "/" && url.as_str() == format!("{identifier}/"));
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{identifier}: a resource is an http or https URI"));
    }
    if url.fragment().is_some() {
        return Err(format!(
            "{identifier}: a resource has no fragment (RFC 8707 §2)"
        ));
    }
    if !as_parsed || !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "{identifier}: write the URI as a URL parser reads it, without user or password ({url})"
        ));
    }
    Ok(url)
}

/// An absolute `http` or `https` URI on 127.0.0.1, [::1] or localhost, written as a URL
/// parser reads it, without credentials or a fragment (RFC 8707 §2).
/// The longest identifier of a resource accepted by `--any-loopback-resource`: room for
/// any real URL of a local server, not for kilobytes someone wants stored.
const MAX_IDENTIFIER_BYTES: usize = 512;

fn is_loopback_resource(identifier: &str) -> bool {
    identifier.len() <= MAX_IDENTIFIER_BYTES
        && check_identifier(identifier)
            .is_ok_and(|url| url.host_str().is_some_and(shared::is_loopback_host))
}

#[cfg(test)]
mod tests {
    use super::{Described, check_identifier, is_loopback_resource};
    use crate::model::Source;
    use shared::jwt::SigningAlg;

    #[test]
    fn a_resource_identifier_is_an_absolute_http_uri_without_fragment_written_as_parsed() {
        for good in [
            "http://localhost:8082",
            "http://localhost:8082/mcp",
            "https://api.example/v1",
        ] {
            assert!(check_identifier(good).is_ok(), "{good}");
        }
        for bad in [
            "localhost:8082",
            "ftp://files.example/x",
            "http://localhost:8082/mcp#x",
            "HTTP://localhost:8082/mcp",
            "http://user:pw@localhost:8082/",
            "http://localhost:8082/a/../b",
        ] {
            assert!(check_identifier(bad).is_err(), "{bad}");
        }
        assert!(is_loopback_resource("http://127.0.0.1:3001/mcp"));
        assert!(is_loopback_resource("http://[::1]:3001"));
        assert!(!is_loopback_resource("http://api.example:3001/mcp"));
        assert!(!is_loopback_resource("http://localhost:3001/mcp#x"));
    }

    #[test]
    fn a_described_resource_is_checked_and_its_lifetime_capped_by_the_servers() {
        let described = |scopes: Option<&str>, ttl: Option<u64>| Described {
            resource: "http://localhost:3001/mcp".to_owned(),
            name: Some("My MCP server".to_owned()),
            scopes: scopes.map(str::to_owned),
            access_token_ttl: ttl,
            access_token_alg: None,
        };
        let resource = described(Some("read write"), Some(120))
            .check(Source::File, 300)
            .expect("valid");
        assert_eq!(resource.name, "My MCP server");
        assert_eq!(resource.access_token_ttl, Some(120));
        assert!(
            described(Some("read bogus"), None)
                .check(Source::File, 300)
                .is_err()
        );
        assert!(described(None, Some(301)).check(Source::File, 300).is_err());
        assert!(described(None, Some(0)).check(Source::File, 300).is_err());
    }

    #[test]
    fn a_resource_may_name_a_signing_algorithm_the_server_has_and_never_none_or_hmac() {
        let with_alg = |alg: &str| Described {
            resource: "http://localhost:3001/mcp".to_owned(),
            name: None,
            scopes: None,
            access_token_ttl: None,
            access_token_alg: Some(alg.to_owned()),
        };
        let resource = with_alg("RS256").check(Source::File, 300).expect("valid");
        assert_eq!(resource.access_token_alg, Some(SigningAlg::RS256));
        assert_eq!(
            with_alg("")
                .check(Source::File, 300)
                .map(|r| r.access_token_alg),
            Ok(None)
        );
        for refused in ["none", "HS256", "rs256", "PS256"] {
            assert!(
                with_alg(refused).check(Source::File, 300).is_err(),
                "{refused}"
            );
        }
    }
}
