//! Finding the authorization server: its metadata (RFC 8414) from its issuer identifier.

use std::time::Duration;

use shared::AuthorizationServerMetadata;

const FIRST_RETRY: Duration = Duration::from_millis(500);
const MAX_RETRY: Duration = Duration::from_secs(10);

/// Reads `<issuer>/.well-known/oauth-authorization-server`, retrying with backoff until the
/// authorization server answers (it may still be starting).
pub(crate) async fn discover(http: &reqwest::Client, issuer: &str) -> AuthorizationServerMetadata {
    let url = format!("{issuer}/.well-known/oauth-authorization-server");
    let mut wait = FIRST_RETRY;
    loop {
        match fetch(http, &url, issuer).await {
            Ok(metadata) => {
                tracing::info!(
                    issuer,
                    jwks_uri = metadata.jwks_uri,
                    "found the authorization server"
                );
                return metadata;
            }
            Err(why) => {
                tracing::warn!(
                    "waiting for the authorization server: {why}; trying again in {} ms (is auth-server running at {issuer}?)",
                    wait.as_millis()
                );
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(MAX_RETRY);
            }
        }
    }
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
