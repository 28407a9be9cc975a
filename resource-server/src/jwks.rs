//! The authorization server's public keys (RFC 7517), cached. A token signed with a key
//! we have not seen (the server rotated its key) triggers one refetch, at most once per
//! [`MIN_REFETCH_INTERVAL`], so garbage `kid`s cannot make us hammer the server. The set is
//! also refetched periodically, and a key the server no longer publishes is dropped: after
//! a rotation meant to contain a leaked key, that key stops verifying tokens here too
//! (OIDC Core §10.1.1: verifiers follow the published set).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use serde::Deserialize;
use tokio::sync::{Mutex, RwLock};

const MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(10);

#[derive(Debug, Deserialize)]
struct JwkSet {
    keys: Vec<Jwk>,
}

#[derive(Debug, Deserialize)]
struct Jwk {
    kty: String,
    crv: Option<String>,
    x: Option<String>,
    kid: Option<String>,
}

pub(crate) struct KeySet {
    http: reqwest::Client,
    jwks_uri: String,
    keys: RwLock<HashMap<String, DecodingKey>>,
    last_refetch: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySet")
            .field("jwks_uri", &self.jwks_uri)
            .finish_non_exhaustive()
    }
}

impl KeySet {
    pub(crate) async fn load(http: reqwest::Client, jwks_uri: String) -> Result<Self, String> {
        let (keys, _) = fetch(&http, &jwks_uri).await?;
        tracing::info!(
            jwks_uri,
            keys = keys.len(),
            "loaded the authorization server's signing keys"
        );
        Ok(Self {
            http,
            jwks_uri,
            keys: RwLock::new(keys),
            last_refetch: Mutex::new(None),
        })
    }

    /// The key `kid`, refetching the key set once if it is unknown.
    pub(crate) async fn key(&self, kid: &str) -> Option<DecodingKey> {
        if let Some(key) = self.keys.read().await.get(kid) {
            return Some(key.clone());
        }
        let mut last = self.last_refetch.lock().await;
        if last.is_some_and(|at| at.elapsed() < MIN_REFETCH_INTERVAL) {
            return None;
        }
        *last = Some(Instant::now());
        match fetch(&self.http, &self.jwks_uri).await {
            Ok((keys, _)) => {
                tracing::info!(
                    kid,
                    keys = keys.len(),
                    "unknown key id: refetched the signing keys"
                );
                let found = keys.get(kid).cloned();
                *self.keys.write().await = keys;
                found
            }
            Err(why) => {
                tracing::warn!("cannot refetch the signing keys: {why}");
                None
            }
        }
    }

    /// Refetches the set now, replacing the keys held. Returns whether a key was dropped,
    /// and how long the server says the set may be cached (`Cache-Control: max-age`).
    pub(crate) async fn refresh(&self) -> Result<(bool, Option<Duration>), String> {
        let (keys, max_age) = fetch(&self.http, &self.jwks_uri).await?;
        let mut held = self.keys.write().await;
        let dropped: Vec<String> = held
            .keys()
            .filter(|kid| !keys.contains_key(*kid))
            .cloned()
            .collect();
        if !dropped.is_empty() {
            tracing::info!(?dropped, "signing keys no longer published: dropped");
        }
        *held = keys;
        Ok((!dropped.is_empty(), max_age))
    }
}

/// The Ed25519 keys of the set at `uri`, by `kid` (keys of other types are ignored, since
/// only EdDSA is accepted), and the `max-age` of its `Cache-Control`.
async fn fetch(
    http: &reqwest::Client,
    uri: &str,
) -> Result<(HashMap<String, DecodingKey>, Option<Duration>), String> {
    let response = http
        .get(uri)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("{uri}: {e}"))?;
    let max_age = response
        .headers()
        .get(reqwest::header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',')
                .find_map(|d| d.trim().strip_prefix("max-age="))
                .and_then(|secs| secs.parse().ok())
        })
        .map(Duration::from_secs);
    let set: JwkSet = response
        .json()
        .await
        .map_err(|e| format!("{uri} is not a JWK Set ({e})"))?;
    let keys = set
        .keys
        .into_iter()
        .filter(|k| k.kty == "OKP" && k.crv.as_deref() == Some("Ed25519"))
        .filter_map(|k| {
            let key = DecodingKey::from_ed_components(k.x.as_deref()?).ok()?;
            Some((k.kid?, key))
        })
        .collect();
    Ok((keys, max_age))
}
