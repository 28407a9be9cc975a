//! RFC 9728: the resources this server protects, how to get a token for each, and the
//! well-known path its identifier gives (the routes are in `routes.rs`).

use std::sync::Arc;

use serde::Serialize;
use utoipa::ToSchema;

/// A resource this server protects: its identifier, which its tokens must name in `aud`
/// (RFC 9068 §4), and where its metadata is (RFC 9728 §3.1), named in every challenge.
#[derive(Debug, Clone)]
pub(crate) struct Protected {
    pub identifier: Arc<str>,
    pub metadata_url: Arc<str>,
    /// `resource_name` in the metadata.
    pub name: &'static str,
}

impl Protected {
    pub(crate) fn new(identifier: &str, name: &'static str) -> Self {
        Self {
            metadata_url: url(identifier).into(),
            identifier: identifier.into(),
            name,
        }
    }
}

pub(crate) const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// RFC 9728 §2: how to get a token for a resource.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ResourceMetadata {
    resource: String,
    authorization_servers: [String; 1],
    scopes_supported: [&'static str; 3],
    bearer_methods_supported: [&'static str; 1],
    resource_name: &'static str,
}

impl ResourceMetadata {
    pub(crate) fn of(resource: &Protected, issuer: &str) -> Self {
        Self {
            resource: resource.identifier.to_string(),
            authorization_servers: [issuer.to_owned()],
            scopes_supported: ["read", "write", "admin"],
            bearer_methods_supported: ["header"],
            resource_name: resource.name,
        }
    }
}

/// RFC 9728 §3.1: where the metadata of `resource` is: the well-known path is inserted
/// between the host and the path of the resource identifier, so `http://localhost:8082/mcp`
/// has it at `http://localhost:8082/.well-known/oauth-protected-resource/mcp`, and a
/// resource without a path at `/.well-known/oauth-protected-resource`.
pub(crate) fn url(resource: &str) -> String {
    let (origin, path) = split_origin(resource);
    format!("{origin}{WELL_KNOWN}{path}")
}

/// The path of [`url`], where the router serves it.
pub(crate) fn path(resource: &str) -> String {
    format!("{WELL_KNOWN}{}", split_origin(resource).1)
}

/// A resource identifier's origin (`scheme://host:port`) and its path, without a final `/`.
pub(crate) fn split_origin(resource: &str) -> (&str, &str) {
    let after_scheme = resource.find("://").map_or(0, |at| at + 3);
    let (origin, path) = resource.split_at(
        resource[after_scheme..]
            .find('/')
            .map_or(resource.len(), |at| after_scheme + at),
    );
    (origin, path.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::{path, url};

    #[test]
    fn the_metadata_url_inserts_the_well_known_path_between_host_and_path() {
        for (resource, expected) in [
            (
                "http://localhost:8082",
                "http://localhost:8082/.well-known/oauth-protected-resource",
            ),
            (
                "http://localhost:8082/",
                "http://localhost:8082/.well-known/oauth-protected-resource",
            ),
            (
                "http://localhost:8082/mcp",
                "http://localhost:8082/.well-known/oauth-protected-resource/mcp",
            ),
            (
                "https://api.example/v1/mcp/",
                "https://api.example/.well-known/oauth-protected-resource/v1/mcp",
            ),
        ] {
            assert_eq!(url(resource), expected, "{resource}");
        }
        assert_eq!(
            path("http://localhost:8082/mcp"),
            "/.well-known/oauth-protected-resource/mcp"
        );
    }
}
