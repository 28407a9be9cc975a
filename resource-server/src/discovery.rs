//! Finding the authorization server: its metadata (RFC 8414) from its issuer identifier,
//! then its keys (or its introspection endpoint). Runs in the background from the start:
//! the server answers at once, with 503 until this is done.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use shared::AuthorizationServerMetadata;

use crate::config::ValidationMode;
use crate::introspect::Introspector;
use crate::jwks::KeySet;
use crate::revocations::Feed;
use crate::validate::{JwtValidator, Validator};

const FIRST_RETRY: Duration = Duration::from_millis(500);
/// The longest wait between attempts: the log says what it waits for at least this often.
const MAX_RETRY: Duration = Duration::from_secs(5);

/// What the resource server needs to know to connect to the authorization server.
#[derive(Debug)]
pub(crate) struct Connection {
    pub issuer: String,
    /// The identifiers of the resources this server protects.
    pub audiences: [String; 2],
    pub validation: ValidationMode,
    pub client_id: String,
    pub client_secret: String,
    pub introspection_cache: Duration,
    /// Refetch the JWK Set at least this often (JWT validation).
    pub jwks_refresh: Duration,
    /// Read the list of revoked tokens this often (JWT validation).
    pub revocation_poll: Duration,
}

/// Finds the authorization server and sets `ready` to the validator, retrying with backoff
/// (and saying so in the log) for as long as it takes.
pub(crate) async fn connect(
    ready: Arc<OnceLock<Validator>>,
    http: reqwest::Client,
    connection: Connection,
) {
    let mut wait = FIRST_RETRY;
    loop {
        match validator(&http, &connection).await {
            Ok(validator) => {
                let feed = Feed {
                    http: http.clone(),
                    endpoint: format!("{}/lab/revocations", connection.issuer),
                    client_id: connection.client_id.clone(),
                    client_secret: connection.client_secret.clone(),
                    every: connection.revocation_poll,
                };
                if let Validator::Jwt(validator) = &validator
                    && let Err(why) = validator.revocations().read(&feed).await
                {
                    tracing::warn!(
                        "cannot read the list of revoked tokens ({why}); a revoked token is accepted until it can"
                    );
                }
                tracing::info!(
                    issuer = connection.issuer,
                    "found the authorization server: ready"
                );
                if ready.set(validator).is_err() {
                    tracing::warn!("the validator was already set");
                }
                if let Some(Validator::Jwt(validator)) = ready.get() {
                    tokio::join!(
                        validator.refresh_keys_every(connection.jwks_refresh),
                        validator.revocations().follow(&feed),
                    );
                }
                return;
            }
            Err(why) => {
                tracing::warn!(
                    "not ready: waiting for the authorization server: {why}; trying again in {} ms (is auth-server running at {}?)",
                    wait.as_millis(),
                    connection.issuer
                );
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(MAX_RETRY);
            }
        }
    }
}

/// One attempt: discovery, then keys or the introspection endpoint.
async fn validator(http: &reqwest::Client, connection: &Connection) -> Result<Validator, String> {
    let issuer = &connection.issuer;
    let url = format!("{issuer}/.well-known/oauth-authorization-server");
    let metadata = fetch(http, &url, issuer).await?;
    Ok(match connection.validation {
        ValidationMode::Jwt => {
            let keys = KeySet::load(http.clone(), metadata.jwks_uri).await?;
            let audiences = connection.audiences.each_ref().map(String::as_str);
            Validator::Jwt(JwtValidator::new(keys, issuer, &audiences))
        }
        ValidationMode::Introspect => {
            let endpoint = metadata.introspection_endpoint.ok_or(
                "--validation introspect: the authorization server advertises no introspection_endpoint",
            )?;
            Validator::Introspect {
                introspector: Introspector::new(
                    http.clone(),
                    endpoint,
                    connection.client_id.clone(),
                    connection.client_secret.clone(),
                    connection.introspection_cache,
                ),
                issuer: issuer.clone(),
            }
        }
    })
}

async fn fetch(
    http: &reqwest::Client,
    url: &str,
    issuer: &str,
) -> Result<AuthorizationServerMetadata, String> {
    let response = http
        .get(url)
        .send()
        .await
        .map_err(|e| format!("{url} does not answer ({e})"))?;
    if !response.status().is_success() {
        return Err(format!("{url} answered {}", response.status()));
    }
    let metadata: AuthorizationServerMetadata = response
        .json()
        .await
        .map_err(|e| format!("{url} is not a metadata document ({e})"))?;
    // RFC 8414 §3.3: "The "issuer" value returned MUST be identical to the authorization
    // server's issuer identifier value into which the well-known URI string was inserted".
    if metadata.issuer != issuer {
        return Err(format!(
            "{url} names the issuer {:?}, expected {issuer:?}",
            metadata.issuer
        ));
    }
    Ok(metadata)
}
