//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document, "CIMD"): a
//! client that registered nowhere names itself by a URL, and the document at that URL is its
//! registration. The MCP authorization rules make this the preferred way for an MCP client
//! to meet an authorization server it has never seen.
//!
//! At `/authorize` the document is fetched, checked and stored as the client's row (so the
//! consent page, the token endpoint and revocation find it like any other client), and kept
//! as long as its HTTP caching headers allow (at least a minute, at most a day); after that
//! the next authorization, or the next token request, fetches it again (§4.4): a document
//! withdrawn or changed so that it no longer passes ends the client at `/token` too. The
//! checks run in the order of [`client`]:
//!
//! 1. the URL is a client identifier URL (§3): https, a path, no dot segments, no fragment,
//!    no user or password;
//! 2. a new client counts against the registration limit of the browser's address (it is a
//!    row, as a dynamic registration is: RFC 7591 §3);
//! 3. the host resolves only to addresses anyone may reach (§7.6, RFC 6890): never a
//!    private, loopback, link-local or other special-use address, so a URL cannot make this
//!    server probe its own network (server-side request forgery). The one exception, as
//!    §7.6 allows: with `--client-metadata-documents lab` on a server that listens on loopback
//!    (the lab), a URL on a loopback host that resolves to loopback, over http or https, so a
//!    developer's client on this machine can serve its own document;
//! 4. the fetch goes to the addresses just checked (no second lookup that could answer
//!    differently), follows no redirect (§4), gives up after `fetch::FETCH_TIMEOUT`, reads at
//!    most `fetch::MAX_DOCUMENT_BYTES` (§7.7), and needs `200` with a JSON body (§4, §4.1);
//! 5. the document's `client_id` equals the URL (§4.1), it holds no `client_secret` and
//!    authenticates with `none` (§4.1: a document cannot establish a shared secret; this
//!    server has no `private_key_jwt`), and its metadata passes the rules every
//!    self-registered client meets (`client_metadata::check`, `check_name`).
//!
//! A client from a document is self-registered: the scope ceiling without `admin`, the
//! "unverified" mark and the document's host on the login and consent pages (§7.5), no
//! automatic error redirects. Errors are never cached (§4.4).

use serde::Deserialize;
use shared::ClientId;

use crate::config::ClientDocuments;
use crate::error::Internal;
use crate::model::Client;
use crate::protocol::client_metadata::{self, Metadata, Source};
use crate::protocol::throttle::{self, REGISTRATION_PER_ADDRESS};
use crate::state::AppState;
use crate::store::{self, DocumentClient};

mod address;
mod fetch;

use fetch::fetch;

/// Is `client_id` meant as a document URL? Ids this server generates never start with a
/// scheme (§7.10), so anything that does is a URL, to be used or refused as one.
pub(crate) fn is_document_url(client_id: &str) -> bool {
    client_id.starts_with("https://") || client_id.starts_with("http://")
}

/// The client whose id is the document URL `client_id`: the stored copy while it is fresh,
/// otherwise the document fetched and checked now. `Ok(Err(why))`: the document cannot be
/// used, and `why` says so in words for the page the user sees.
pub(crate) async fn client(
    state: &AppState,
    client_id: &str,
    address: &str,
) -> Result<Result<Client, String>, Internal> {
    let stored = store::find_client(&state.db, client_id).await?;
    if let Some(stored) = &stored
        && stored
            .document_expires_at
            .is_some_and(|expires| expires > server_kit::unix_now())
    {
        return Ok(Ok(stored.clone()));
    }
    let lab = state.settings.client_metadata_documents == ClientDocuments::Lab;
    // 1.
    let url = match check_url(client_id, lab) {
        Ok(url) => url,
        Err(why) => return Ok(Err(why)),
    };
    // 2.
    if stored.is_none()
        && let Some(wait) = throttle::take(&state.db, &REGISTRATION_PER_ADDRESS, &[address]).await?
    {
        return Ok(Err(format!(
            "More than {} {} within {} minutes: a new client metadata document is a registration too. Try again in {wait} s.",
            REGISTRATION_PER_ADDRESS.max,
            REGISTRATION_PER_ADDRESS.what,
            REGISTRATION_PER_ADDRESS.window_secs / 60
        )));
    }
    // 3-4.
    let fetched = match fetch(&url, lab, &state.settings.trusted_roots).await {
        Ok(fetched) => fetched,
        Err(why) => {
            tracing::info!(
                client = client_id,
                reason = why,
                "client metadata document: not usable"
            );
            return Ok(Err(why));
        }
    };
    // 5.
    let checked = match check_document(client_id, &fetched.body) {
        Ok(checked) => checked,
        Err(why) => {
            tracing::info!(
                client = client_id,
                reason = why,
                "client metadata document: refused"
            );
            return Ok(Err(why));
        }
    };
    let name = checked
        .name
        .unwrap_or_else(|| url.host_str().unwrap_or(client_id).to_owned());
    if let Err((_, why)) = client_metadata::check_name(&state.db, &name, client_id, true).await? {
        return Ok(Err(format!(
            "The document's client_name is refused: {why}."
        )));
    }
    let expires_at = server_kit::unix_now() + fetched.fresh_secs;
    let metadata = checked.metadata;
    store::upsert_document_client(
        &state.db,
        &DocumentClient {
            client_id,
            name: &name,
            redirect_uris: &metadata.redirect_uris,
            allowed_scopes: &metadata.scope,
            grant_types: &metadata.grant_types,
            application_type: metadata.application_type.as_str(),
            id_token_alg: metadata.id_token_alg,
            expires_at,
        },
    )
    .await?;
    tracing::info!(
        client = client_id,
        name,
        fresh_secs = fetched.fresh_secs,
        "client metadata document: fetched, checked and stored"
    );
    Ok(Ok(Client {
        client_id: ClientId::new(client_id),
        name,
        secret_hash: None,
        redirect_uris: metadata
            .redirect_uris
            .iter()
            .map(shared::RedirectUri::new)
            .collect(),
        allowed_scopes: metadata.scope,
        can_introspect: false,
        post_logout_redirect_uris: Vec::new(),
        grant_types: metadata.grant_types,
        self_registered: true,
        document_expires_at: Some(expires_at),
        id_token_alg: metadata.id_token_alg,
    }))
}

/// 1. §3: "Client identifier URLs MUST have an "https" scheme, MUST contain a path
///    component, MUST NOT contain single-dot or double-dot path segments, MUST NOT contain a
///    fragment component and MUST NOT contain a username or password". With `lab`, http on
///    a loopback host too. The URL must be written as a URL parser reads it, so the
///    document's `client_id` can be compared with it as a plain string (§4.1).
fn check_url(client_id: &str, lab: bool) -> Result<url::Url, String> {
    let refuse = |why: &str| {
        Err(format!(
            "The client_id {client_id:?} is not a usable client metadata document URL: {why}."
        ))
    };
    let Ok(url) = url::Url::parse(client_id) else {
        return refuse("it is not a URL");
    };
    let loopback = url.host_str().is_some_and(shared::is_loopback_host);
    match url.scheme() {
        "https" => {}
        "http" if lab && loopback => {}
        "http" if loopback => {
            return refuse(
                "it must be https; http on this machine is accepted only when the server runs with --client-metadata-documents lab (the lab's start command does)",
            );
        }
        _ => return refuse("it must be an https URL"),
    }
    if url.path() == "/" {
        return refuse("it must have a path, such as /client-metadata.json");
    }
    let raw_path = client_id.split_once("://").map_or("", |(_, rest)| {
        rest.split_once('/').map_or("", |(_, path)| path)
    });
    if raw_path.split(['/', '?']).any(|segment| {
        segment == "."
            || segment == ".."
            || segment.eq_ignore_ascii_case("%2e")
            || segment.eq_ignore_ascii_case("%2e%2e")
    }) {
        return refuse("it must not have . or .. path segments");
    }
    if url.fragment().is_some() || client_id.contains('#') {
        return refuse("it must not have a fragment");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return refuse("it must not hold a user name or password");
    }
    if url.as_str() != client_id {
        return refuse(&format!(
            "write it exactly as a URL parser reads it, {:?}",
            url.as_str()
        ));
    }
    Ok(url)
}

/// A client metadata document as JSON: RFC 7591 client metadata plus its own `client_id`.
#[derive(Debug, Deserialize)]
struct Document {
    client_id: Option<String>,
    client_secret: Option<serde_json::Value>,
    client_secret_expires_at: Option<serde_json::Value>,
    #[serde(flatten)]
    metadata: Metadata,
}

/// A document that passed [`check_document`].
struct CheckedDocument {
    name: Option<String>,
    metadata: client_metadata::Checked,
}

/// 5. §4.1: the document is a JSON object whose `client_id` is the URL it came from, with
///    no shared secret, and metadata every self-registered client must meet.
///
/// Until the document has named itself (its `client_id` is its URL), a refusal says which
/// rule it broke and nothing of what it holds: the body could be any service's answer
/// (with `--client-metadata-documents lab`, any service on this machine), and the page
/// must not show a web page that rebinds its name to this server what that service said
/// (`docs/security-review.md`, S3-14). The details go to the log.
fn check_document(url: &str, body: &[u8]) -> Result<CheckedDocument, String> {
    let mut document: Document = serde_json::from_slice(body).map_err(|e| {
        tracing::info!(client = url, cause = %e, "client metadata document: not client metadata");
        "The document is not a JSON object of client metadata (each member must have the type RFC 7591 §2 gives it)."
            .to_owned()
    })?;
    match document.client_id.as_deref() {
        Some(id) if id == url => {}
        Some(id) => {
            tracing::info!(client = url, document_client_id = ?id, "client metadata document: names another client_id");
            return Err(
                "The document's client_id is not its own URL; it must be exactly the URL it is served at (§4.1)."
                    .to_owned(),
            );
        }
        None => {
            return Err(
                "The document has no client_id; it must hold its own URL (§4.1).".to_owned(),
            );
        }
    }
    if document.client_secret.is_some() || document.client_secret_expires_at.is_some() {
        return Err(
            "The document holds a client_secret; a metadata document cannot establish a shared secret (§4.1)."
                .to_owned(),
        );
    }
    // §4.1: no method based on a shared secret. Without a `token_endpoint_auth_method`
    // the client is public (`none`): RFC 7591's default, `client_secret_basic`, is the one
    // a document may not use.
    match document.metadata.token_endpoint_auth_method.as_deref() {
        None | Some("none") => {
            document.metadata.token_endpoint_auth_method = Some("none".to_owned());
        }
        Some("private_key_jwt") => {
            return Err(
                "The document asks for private_key_jwt, which this server does not support; a client that identifies itself by a metadata document is public here (token_endpoint_auth_method none, with PKCE)."
                    .to_owned(),
            );
        }
        Some(other) => {
            return Err(format!(
                "The document asks for token_endpoint_auth_method {other:?}; a metadata document cannot establish a shared secret, so it must be none (§4.1)."
            ));
        }
    }
    let name = document.metadata.client_name.clone();
    // Checked once per fetch, not per request: the document's checks are in no trace.
    let unrecorded = server_kit::trace::Recorder::default();
    let metadata = client_metadata::check(&unrecorded, &document.metadata, Source::Document)
        .map_err(|(_, why)| format!("The document's metadata is refused: {why}."))?;
    Ok(CheckedDocument { name, metadata })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_identifier_url_must_be_https_with_a_path_and_nothing_hidden() {
        assert!(check_url("https://app.example/client.json", false).is_ok());
        assert!(check_url("https://app.example:8443/oauth/client?v=1", false).is_ok());
        for bad in [
            "http://app.example/client.json",
            "https://app.example/",
            "https://app.example",
            "https://app.example/a/../client.json",
            "https://app.example/./client.json",
            "https://app.example/%2e%2e/client.json",
            "https://app.example/client.json#top",
            "https://user:pass@app.example/client.json",
            "https://user@app.example/client.json",
            "https://APP.example/client.json",
            "http://127.0.0.1:9000/client.json",
            "ftp://app.example/client.json",
        ] {
            assert!(check_url(bad, false).is_err(), "{bad} is refused");
        }
        assert!(check_url("http://127.0.0.1:9000/client.json", true).is_ok());
        assert!(check_url("http://app.example/client.json", true).is_err());
    }
}
