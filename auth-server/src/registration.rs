//! Rules for client metadata, shared by dynamic registration (RFC 7591) and the clients
//! pages: what a redirect URI may be, and which scopes a client may ask for.

use shared::{RegistrationErrorCode, ScopeSet};

/// Why metadata is refused.
pub(crate) type Refusal = (RegistrationErrorCode, String);

/// A redirect URI must be an absolute URL without a fragment (RFC 6749 §3.1.2) using
/// `https`, or `http` on a loopback host only (RFC 8252 §7.3, OAuth 2.1 §2.3.1): anything
/// else sends codes over the network in the clear.
pub(crate) fn check_redirect_uri(uri: &str) -> Result<(), Refusal> {
    let refuse = |why: &str| {
        (
            RegistrationErrorCode::InvalidRedirectUri,
            format!("{uri:?}: {why}"),
        )
    };
    let url = url::Url::parse(uri).map_err(|_| refuse("not an absolute URL"))?;
    if url.fragment().is_some() || uri.contains('#') {
        return Err(refuse("a redirect URI must not have a fragment"));
    }
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        "http" => Err(refuse(
            "http is allowed only on a loopback host (localhost, 127.0.0.1, [::1]); use https",
        )),
        _ => Err(refuse(
            "the scheme must be https (or http on a loopback host)",
        )),
    }
}

/// The scopes a client asks to be allowed: known ones only; `read` when none.
pub(crate) fn check_scope(scope: Option<&str>) -> Result<ScopeSet, Refusal> {
    let refuse = |why: String| (RegistrationErrorCode::InvalidClientMetadata, why);
    let scopes = ScopeSet::parse(scope.unwrap_or("read")).map_err(|e| refuse(e.to_string()))?;
    if let Some(unknown) = scopes.first_unknown() {
        return Err(refuse(format!("unknown scope {:?}", unknown.as_str())));
    }
    Ok(scopes)
}

/// A fresh client id.
pub(crate) fn new_client_id() -> String {
    format!("client-{}", &shared::random::token()[..22])
}
