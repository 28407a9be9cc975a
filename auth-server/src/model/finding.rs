//! The server grades its clients: what a client did that OAuth 2.1 or the MCP authorization
//! rules ask it not to, seen from the server's side. Some of it the server refuses anyway
//! (no PKCE), some it lets pass because the protocol allows it (no `resource`: the token is
//! for the default resource); either way it is written down per client, with the clause,
//! and shown on the client's report (`GET /clients/{id}/report`, `oauth-lab clients report`).
//! A request anyone could make in a client's name counts too: the report says what the
//! server saw, not who sent it.

use serde::Serialize;

/// One thing a client did that the rules advise against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Finding {
    /// An authorization request without `code_challenge`.
    NoPkce,
    /// `code_challenge_method=plain`.
    PkcePlain,
    /// An authorization or token request without `resource`.
    NoResource,
    /// A `resource` that is not the resource's canonical URI (a fragment, a final `/`,
    /// upper case in the scheme or host).
    ResourceNotCanonical,
    /// A dynamic registration without `application_type`.
    NoApplicationType,
    /// An authorization code presented a second time.
    CodeReplayed,
    /// A refresh token presented again after it was rotated.
    RefreshTokenReplayed,
    /// An access token sent in a URL's query string.
    TokenInQuery,
}

impl Finding {
    /// Every finding, in the order a report lists them.
    pub(crate) const ALL: [Self; 8] = [
        Self::NoPkce,
        Self::PkcePlain,
        Self::NoResource,
        Self::ResourceNotCanonical,
        Self::NoApplicationType,
        Self::CodeReplayed,
        Self::RefreshTokenReplayed,
        Self::TokenInQuery,
    ];

    /// The name stored and shown (`no_pkce`, ...).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::NoPkce => "no_pkce",
            Self::PkcePlain => "pkce_plain",
            Self::NoResource => "no_resource",
            Self::ResourceNotCanonical => "resource_not_canonical",
            Self::NoApplicationType => "no_application_type",
            Self::CodeReplayed => "code_replayed",
            Self::RefreshTokenReplayed => "refresh_token_replayed",
            Self::TokenInQuery => "token_in_query",
        }
    }

    pub(crate) fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|finding| finding.name() == name)
    }

    /// The clause the client went against.
    pub(crate) fn clause(self) -> &'static str {
        match self {
            Self::NoPkce => {
                "OAuth 2.1 §4.1.1 and MCP authorization (Authorization Code Protection): clients MUST use PKCE"
            }
            Self::PkcePlain => {
                "OAuth 2.1 §4.1.1 and MCP authorization (Authorization Code Protection): S256 MUST be used when the client can"
            }
            Self::NoResource => {
                "MCP authorization (Resource Parameter Implementation), RFC 8707 §2: MCP clients MUST send resource in authorization and token requests"
            }
            Self::ResourceNotCanonical => {
                "MCP authorization (Canonical Server URI), RFC 8707 §2: resource is the server's canonical URI: no fragment, lower-case scheme and host, no final slash"
            }
            Self::NoApplicationType => {
                "MCP authorization (Dynamic Client Registration), OIDC Registration §2: a client says application_type (native for a desktop or CLI client; the default is web)"
            }
            Self::CodeReplayed => {
                "OAuth 2.1 §4.1.3, RFC 6749 §4.1.2: an authorization code is used once"
            }
            Self::RefreshTokenReplayed => {
                "OAuth 2.1 §4.3.1: a rotated refresh token is not used again (the server revoked the whole grant)"
            }
            Self::TokenInQuery => {
                "OAuth 2.1 §5.2.2 and MCP authorization (Token Requirements): access tokens go in the Authorization header, never in the URL"
            }
        }
    }
}

/// What an authorization request shows of its client, from its `code_challenge`,
/// `code_challenge_method` and `resource`; the request's own checks decide whether it goes
/// on.
pub(crate) fn of_authorization_request(
    code_challenge: Option<&str>,
    code_challenge_method: Option<&str>,
    resource: Option<&str>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    match (code_challenge, code_challenge_method) {
        (None, _) => findings.push(Finding::NoPkce),
        (Some(_), Some("plain")) => findings.push(Finding::PkcePlain),
        _ => {}
    }
    findings.extend(of_resource(resource));
    findings
}

/// What the `resource` of an authorization or token request shows.
pub(crate) fn of_resource(resource: Option<&str>) -> Option<Finding> {
    let Some(resource) = resource else {
        return Some(Finding::NoResource);
    };
    let (scheme, rest) = resource.split_once("://").unwrap_or(("", resource));
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let path = &rest[host.len()..];
    let not_canonical = resource.contains('#')
        || scheme.bytes().any(|b| b.is_ascii_uppercase())
        || host.bytes().any(|b| b.is_ascii_uppercase())
        || (path.len() > 1 && path.ends_with('/'));
    not_canonical.then_some(Finding::ResourceNotCanonical)
}

#[cfg(test)]
mod tests {
    use super::{Finding, of_authorization_request, of_resource};

    #[test]
    fn an_authorization_request_is_graded_on_pkce_and_resource() {
        let mcp = Some("http://localhost:8082/mcp");
        assert_eq!(of_authorization_request(Some("x"), Some("S256"), mcp), []);
        assert_eq!(of_authorization_request(Some("x"), None, mcp), []);
        assert_eq!(of_authorization_request(None, None, mcp), [Finding::NoPkce]);
        assert_eq!(
            of_authorization_request(Some("x"), Some("plain"), None),
            [Finding::PkcePlain, Finding::NoResource]
        );
    }

    #[test]
    fn a_resource_is_canonical_without_fragment_upper_case_host_or_final_slash() {
        for canonical in [
            "http://localhost:8082/mcp",
            "http://localhost:8082",
            "http://localhost:8082/",
            "https://mcp.example.com/Path",
        ] {
            assert_eq!(of_resource(Some(canonical)), None, "{canonical}");
        }
        for other in [
            "http://localhost:8082/mcp/",
            "http://localhost:8082/mcp#frag",
            "HTTP://localhost:8082/mcp",
            "http://LocalHost:8082/mcp",
        ] {
            assert_eq!(
                of_resource(Some(other)),
                Some(Finding::ResourceNotCanonical),
                "{other}"
            );
        }
        assert_eq!(of_resource(None), Some(Finding::NoResource));
    }

    #[test]
    fn every_finding_parses_back_from_its_name() {
        for finding in Finding::ALL {
            assert_eq!(Finding::parse(finding.name()), Some(finding));
        }
    }
}
