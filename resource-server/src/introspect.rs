//! Token validation by introspection (RFC 7662): the authorization server says whether a
//! token is active, so a revocation is seen at once (or after the short positive cache).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::Deserialize;
use shared::AccessTokenClaims;
use tokio::sync::Mutex;

use crate::refusal::Refusal;

/// The interesting part of an introspection answer.
#[derive(Debug, Deserialize)]
struct Answer {
    active: bool,
    token_type: Option<String>,
    #[serde(flatten)]
    claims: Option<AccessTokenClaims>,
}

pub(crate) struct Introspector {
    http: reqwest::Client,
    endpoint: String,
    client_id: String,
    client_secret: String,
    cache_for: Duration,
    /// Positive answers by SHA-256 of the token, with when they were fetched.
    cache: Mutex<HashMap<String, (AccessTokenClaims, Instant)>>,
}

impl std::fmt::Debug for Introspector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Introspector")
            .field("endpoint", &self.endpoint)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl Introspector {
    pub(crate) fn new(
        http: reqwest::Client,
        endpoint: String,
        client_id: String,
        client_secret: String,
        cache_for: Duration,
    ) -> Self {
        Self {
            http,
            endpoint,
            client_id,
            client_secret,
            cache_for,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The claims of `token` if the authorization server calls it an active access token.
    /// Issuer and audience are still checked here, by the caller.
    pub(crate) async fn claims(&self, token: &str) -> Result<AccessTokenClaims, Refusal> {
        let key = shared::digest::sha256_hex(token.as_bytes());
        {
            let mut cache = self.cache.lock().await;
            cache.retain(|_, (_, at)| at.elapsed() < self.cache_for);
            if let Some((claims, _)) = cache.get(&key) {
                return Ok(claims.clone());
            }
        }
        let answer: Answer = self
            .http
            .post(&self.endpoint)
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .form(&[("token", token), ("token_type_hint", "access_token")])
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| unavailable(&e))?
            .json()
            .await
            .map_err(|e| unavailable(&e))?;
        if !answer.active {
            return Err(Refusal::Inactive);
        }
        // A refresh token is active too, but it is not an access token.
        if !answer
            .token_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("bearer"))
        {
            return Err(Refusal::NotAnAccessToken(
                answer.token_type.unwrap_or_default(),
            ));
        }
        let claims = answer.claims.ok_or(Refusal::BadClaims)?;
        if !self.cache_for.is_zero() {
            self.cache
                .lock()
                .await
                .insert(key, (claims.clone(), Instant::now()));
        }
        Ok(claims)
    }
}

/// The introspection endpoint failed: the cause goes to the log, never to the client (it
/// names an internal address).
fn unavailable(error: &reqwest::Error) -> Refusal {
    tracing::warn!(%error, "introspection failed");
    Refusal::Unavailable
}
