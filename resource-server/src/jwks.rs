//! The authorization server's public keys (RFC 7517), cached. A token signed with a key
//! we have not seen (the server rotated its key) triggers one refetch, at most once per
//! [`MIN_REFETCH_INTERVAL`], so garbage `kid`s cannot make us hammer the server. The set is
//! also refetched periodically, and a key the server no longer publishes is dropped: after
//! a rotation meant to contain a leaked key, that key stops verifying tokens here too
//! (OIDC Core §10.1.1: verifiers follow the published set).
//!
//! Each key is held with its algorithm, and the algorithms of the keys held are the only
//! ones accepted: the allow-list follows what the issuer publishes, within the asymmetric
//! algorithms the lab knows ([`SigningAlg`]: never `none`, never HMAC, RFC 8725 §3.1).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use serde::Deserialize;
use shared::jwt::SigningAlg;
use tokio::sync::{Mutex, RwLock};

const MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(10);

#[derive(Debug, Deserialize)]
struct JwkSet {
    keys: Vec<Jwk>,
}

/// A JWK as published (RFC 7517 §4, RFC 7518 §6, RFC 8037 §2): only the members read.
#[derive(Debug, Deserialize)]
struct Jwk {
    kty: String,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
    n: Option<String>,
    e: Option<String>,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
}

/// A published key: what verifies, and the one algorithm it verifies.
#[derive(Clone)]
pub(crate) struct Key {
    pub decoding: DecodingKey,
    pub alg: SigningAlg,
}

impl Jwk {
    /// The key, if it is a signing key of an algorithm accepted here whose type fits its
    /// `alg` (an `alg` absent is read from the key type, the way the issuer's only
    /// algorithm of that type). Anything else is left out: an `oct` key (HMAC), an `RSA`
    /// key published for `PS256`, an encryption key.
    fn key(&self) -> Option<(String, Key)> {
        if self.use_.as_deref().is_some_and(|use_| use_ != "sig") {
            return None;
        }
        let alg = match (self.kty.as_str(), self.crv.as_deref()) {
            ("OKP", Some("Ed25519")) => SigningAlg::EdDSA,
            ("EC", Some("P-256")) => SigningAlg::ES256,
            ("RSA", None) => SigningAlg::RS256,
            _ => return None,
        };
        if self
            .alg
            .as_deref()
            .is_some_and(|named| named != alg.as_str())
        {
            return None;
        }
        let decoding = match alg {
            SigningAlg::EdDSA => DecodingKey::from_ed_components(self.x.as_deref()?),
            SigningAlg::ES256 => {
                DecodingKey::from_ec_components(self.x.as_deref()?, self.y.as_deref()?)
            }
            SigningAlg::RS256 => {
                DecodingKey::from_rsa_components(self.n.as_deref()?, self.e.as_deref()?)
            }
        }
        .ok()?;
        Some((self.kid.clone()?, Key { decoding, alg }))
    }
}

pub(crate) struct KeySet {
    http: reqwest::Client,
    jwks_uri: String,
    keys: RwLock<HashMap<String, Key>>,
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

    /// Whether the issuer publishes a key of `alg`: the algorithm allow-list.
    pub(crate) async fn publishes(&self, alg: SigningAlg) -> bool {
        self.keys.read().await.values().any(|key| key.alg == alg)
    }

    /// The algorithms of the keys held, for a refusal to name.
    pub(crate) async fn algorithms(&self) -> Vec<SigningAlg> {
        let mut algs: Vec<SigningAlg> = self.keys.read().await.values().map(|k| k.alg).collect();
        algs.sort_unstable();
        algs.dedup();
        algs
    }

    /// The key `kid`, refetching the key set once if it is unknown.
    pub(crate) async fn key(&self, kid: &str) -> Option<Key> {
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

/// The signing keys of the set at `uri` that this server accepts ([`Jwk::key`]), by `kid`,
/// and the `max-age` of its `Cache-Control`.
async fn fetch(
    http: &reqwest::Client,
    uri: &str,
) -> Result<(HashMap<String, Key>, Option<Duration>), String> {
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
    let keys = set.keys.iter().filter_map(Jwk::key).collect();
    Ok((keys, max_age))
}
