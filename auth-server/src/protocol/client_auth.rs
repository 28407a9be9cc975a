//! Client authentication at the token, revocation and introspection endpoints
//! (RFC 6749 §2.3, OAuth 2.1 §2.4): `client_secret_basic`, `client_secret_post`, or, for a
//! public client, `client_id` alone ("none").

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use server_kit::trace::Check;
use shared::TokenErrorCode;
use subtle::ConstantTimeEq as _;

use crate::error::ApiError;
use crate::model::Client;
use crate::protocol::{client_document, client_metadata};
use crate::state::AppState;
use crate::store;

/// How the client authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// A public client: it only says who it is.
    None,
    SecretBasic,
    SecretPost,
}

/// The check [`authenticate`] makes, for the decision trace.
pub(crate) const CLIENT_AUTHENTICATED: Check = Check::new(
    "client_authenticated",
    "RFC 6749 §2.3.1",
    "The client is registered here and proved it with its secret, or is a public client that names itself by client_id alone.",
);

/// Identifies and authenticates the client of a request from its `Authorization` header
/// (the raw value, if any) and the form's `client_id` / `client_secret`.
pub(crate) async fn authenticate(
    state: &AppState,
    authorization: Option<&[u8]>,
    form_client_id: Option<&str>,
    form_client_secret: Option<&str>,
) -> Result<(Client, Method), ApiError> {
    let basic = basic_credentials(authorization)?;
    let (client_id, secret, method) = match (basic, form_client_secret) {
        // RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in
        // each request."
        (Some(_), Some(_)) => {
            return Err(ApiError::new(
                TokenErrorCode::InvalidRequest,
                "the client authenticated twice (Authorization header and client_secret)",
            ));
        }
        (Some((id, secret)), None) => {
            if form_client_id.is_some_and(|form_id| form_id != id) {
                return Err(ApiError::new(
                    TokenErrorCode::InvalidRequest,
                    "client_id differs from the Authorization header",
                ));
            }
            (id, Some(secret), Method::SecretBasic)
        }
        (None, Some(secret)) => (
            form_client_id.unwrap_or_default().to_owned(),
            Some(secret.to_owned()),
            Method::SecretPost,
        ),
        (None, None) => (
            form_client_id.unwrap_or_default().to_owned(),
            None,
            Method::None,
        ),
    };
    let failed = |description: &str| ApiError::InvalidClient(description.to_owned());
    if client_id.is_empty() {
        return Err(failed("no client_id and no client authentication"));
    }
    let mut client = store::find_client(&state.db, &client_id)
        .await?
        .ok_or_else(|| failed("unknown client"))?;
    // A client known by its metadata document is what the document says now: once the
    // stored copy has expired it is fetched again, and a document withdrawn, or changed so
    // that it no longer passes, ends the client here as at `/authorize` (no refresh token
    // outlives its client's document; `docs/security-review.md`, S3-12). The copy is
    // stored, so fetching it takes no unit of the registration limit (`address` unused).
    if client
        .document_expires_at
        .is_some_and(|expires| expires <= server_kit::unix_now())
    {
        client = client_document::client(state, &client_id, "")
            .await?
            .map_err(|why| {
                failed(&format!(
                    "the client's metadata document no longer passes: {why}"
                ))
            })?;
    }
    match (&client.secret_hash, secret) {
        (None, None) => Ok((client, Method::None)),
        (None, Some(_)) => Err(failed("this client is public and has no secret")),
        (Some(_), None) => Err(failed(
            "this confidential client must authenticate with its secret",
        )),
        (Some(stored), Some(secret)) => {
            let matches: bool = client_metadata::hash_secret(&secret)
                .as_bytes()
                .ct_eq(stored.as_bytes())
                .into();
            if matches {
                Ok((client, method))
            } else {
                Err(failed("wrong client secret"))
            }
        }
    }
}

/// `Authorization: Basic base64(client_id:client_secret)`, each part form-urlencoded first
/// (RFC 6749 §2.3.1).
fn basic_credentials(authorization: Option<&[u8]>) -> Result<Option<(String, String)>, ApiError> {
    let Some(value) = authorization else {
        return Ok(None);
    };
    let malformed = || {
        ApiError::InvalidClient(
            "the Authorization header is not valid Basic credentials".to_owned(),
        )
    };
    let value = std::str::from_utf8(value).map_err(|_| malformed())?;
    let (scheme, encoded) = value.split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(malformed());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let unescape = |part: &str| {
        url::form_urlencoded::parse(format!("x={part}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .ok_or_else(malformed)
    };
    Ok(Some((unescape(id)?, unescape(secret)?)))
}
