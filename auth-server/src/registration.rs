//! Rules for client metadata, shared by dynamic registration (RFC 7591) and the clients
//! pages: what a redirect URI may be, and which scopes a client may ask for.

use server_kit::db::Db;
use shared::{RegistrationErrorCode, ScopeSet};

use crate::client_auth;
use crate::error::Internal;
use crate::store::{self, NewClient};

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

/// Registers a client with a fresh id and, if `confidential`, a fresh secret (stored only
/// as its hash). Returns the id and the secret, which the caller shows once.
pub(crate) async fn create_client(
    db: &Db,
    name: Option<&str>,
    confidential: bool,
    redirect_uris: &[String],
    allowed_scopes: &ScopeSet,
    owner_user_id: Option<&str>,
) -> Result<(String, Option<String>), Internal> {
    let client_id = format!("client-{}", &shared::random::token()[..22]);
    let secret = confidential.then(shared::random::token);
    store::insert_client(
        db,
        &NewClient {
            client_id: &client_id,
            name: name.unwrap_or(&client_id),
            secret_hash: secret.as_deref().map(client_auth::hash_secret).as_deref(),
            redirect_uris,
            allowed_scopes,
            owner_user_id,
        },
    )
    .await?;
    Ok((client_id, secret))
}
