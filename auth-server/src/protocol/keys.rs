//! The signing keys of tokens: Ed25519 (JWS `alg` EdDSA, RFC 8037), generated on first
//! start, kept in the database, published as a JWK Set at `/jwks.json`.
//!
//! Rotation (`auth-server rotate-key`): a new key is published at once and signs only from
//! `signs_from` on, so a resource server that cached the JWKS meanwhile is never handed a
//! token with a `kid` it has not seen. The key it replaces stays published until every
//! token it signed has expired.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use ed25519_dalek::{Signer as _, SigningKey};
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde::Serialize;
use server_kit::db::Db;
use utoipa::ToSchema;

use crate::error::Internal;
use crate::store::{self, KeyRow};

/// A public key as a JWK (RFC 7517, RFC 8037 §2 for `OKP`/`Ed25519`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Jwk {
    kty: &'static str,
    crv: &'static str,
    x: String,
    kid: String,
    alg: &'static str,
    #[serde(rename = "use")]
    use_: &'static str,
}

/// The JWK Set document (RFC 7517 §5).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Jwks {
    keys: Vec<Jwk>,
}

/// How often, at most, the signer looks in the database for a key whose time has come.
const RECHECK_SECS: i64 = 1;

/// A key that signs, decoded once: `jsonwebtoken::encode` decodes the PKCS#8 key again for
/// every token, and deriving an Ed25519 key's public half costs as much as a signature (a
/// measured lever, `docs/BENCHMARKS.md`).
struct Signer {
    kid: String,
    key: SigningKey,
}

impl Signer {
    fn new(kid: String, private_pkcs8: &[u8]) -> Result<Self, Internal> {
        Ok(Self {
            kid,
            key: SigningKey::from_pkcs8_der(private_pkcs8).map_err(Internal::new)?,
        })
    }
}

/// The key that signs new tokens: the newest whose `signs_from` has passed, looked up again
/// at most every [`RECHECK_SECS`] (so a rotation, or a key added by another replica, takes
/// over on time without a restart).
pub(crate) struct SigningKeys {
    signer: RwLock<Arc<Signer>>,
    checked_at: AtomicI64,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kid = self
            .signer
            .read()
            .map(|s| s.kid.clone())
            .unwrap_or_default();
        f.debug_struct("SigningKeys")
            .field("kid", &kid)
            .finish_non_exhaustive()
    }
}

/// Generates a key, stores it, and returns its row; it signs from `signs_from` on.
async fn create(db: &Db, signs_from: i64) -> Result<KeyRow, Internal> {
    let key = SigningKey::from_bytes(&shared::random::bytes());
    let private = key.to_pkcs8_der().map_err(Internal::new)?;
    let public = key.verifying_key().to_bytes().to_vec();
    // The key id: a short hash of the public key, stable across restarts.
    let kid = shared::digest::sha256_hex(&public)[..16].to_owned();
    store::insert_key(db, &kid, private.as_bytes(), &public, signs_from).await?;
    Ok((kid, private.as_bytes().to_vec(), public))
}

/// `auth-server rotate-key`: a new key, published from now on, signing from
/// `now + signing_delay` on. Returns its id and when it starts signing.
pub(crate) async fn rotate(db: &Db, signing_delay: i64) -> Result<(String, i64), Internal> {
    let signs_from = server_kit::unix_now().saturating_add(signing_delay);
    let (kid, _, _) = create(db, signs_from).await?;
    tracing::info!(kid, signs_from, "new signing key published");
    Ok((kid, signs_from))
}

impl SigningKeys {
    /// Loads the signing key from the database, generating and storing the first one if
    /// there is none.
    pub(crate) async fn load_or_create(db: &Db) -> Result<Self, Internal> {
        let now = server_kit::unix_now();
        let (kid, private, _) = if let Some(row) = store::signing_key_at(db, now).await? {
            row
        } else {
            let row = create(db, now).await?;
            tracing::info!(kid = row.0, "generated a new Ed25519 signing key");
            row
        };
        Ok(Self {
            signer: RwLock::new(Arc::new(Signer::new(kid, &private)?)),
            checked_at: AtomicI64::new(now),
        })
    }

    /// The key that signs now.
    async fn signer(&self, db: &Db) -> Result<Arc<Signer>, Internal> {
        let now = server_kit::unix_now();
        let current = self
            .signer
            .read()
            .map_err(|_| Internal::new("signing key lock"))?
            .clone();
        if now - self.checked_at.load(Ordering::Relaxed) < RECHECK_SECS {
            return Ok(current);
        }
        self.checked_at.store(now, Ordering::Relaxed);
        match store::signing_key_at(db, now).await? {
            Some((kid, private, _)) if kid != current.kid => {
                tracing::info!(kid, "a new signing key takes over");
                let next = Arc::new(Signer::new(kid, &private)?);
                *self
                    .signer
                    .write()
                    .map_err(|_| Internal::new("signing key lock"))? = Arc::clone(&next);
                Ok(next)
            }
            _ => Ok(current),
        }
    }

    /// The keys to publish, read from the database on each call (a key added by a
    /// rotation or by another replica is published at once): every key that will sign, the
    /// one that signs, and each one it replaced until `retire_after` seconds after it was
    /// replaced (by then every token it signed has expired).
    pub(crate) async fn published(db: &Db, retire_after: i64) -> Result<Jwks, Internal> {
        let rows = store::public_keys(db).await?;
        let now = server_kit::unix_now();
        let mut replaced_at: Option<i64> = None;
        let mut keys = Vec::new();
        for (kid, public, signs_from) in rows {
            if replaced_at.is_none_or(|replaced| replaced.saturating_add(retire_after) > now) {
                keys.push(Jwk {
                    kty: "OKP",
                    crv: "Ed25519",
                    x: URL_SAFE_NO_PAD.encode(public),
                    kid,
                    alg: "EdDSA",
                    use_: "sig",
                });
            }
            // The next key (older: the rows come newest first) was replaced when this one
            // started signing.
            if signs_from <= now {
                replaced_at = Some(signs_from);
            }
        }
        Ok(Jwks { keys })
    }

    /// The claims of a JWT of type `typ` this server signed, if the signature verifies
    /// against one of the keys it publishes *now* (a key that has left the JWK Set, after a
    /// rotation that was meant to contain it, is trusted no longer: RFC 7517, OIDC Core
    /// §10.1.1) and `iss` is `issuer`. Audience and expiry are left to the caller, who
    /// checks them against what it stored.
    pub(crate) async fn verify_own<T: serde::de::DeserializeOwned>(
        db: &Db,
        issuer: &str,
        retire_after: i64,
        typ: &str,
        token: &str,
    ) -> Result<Option<T>, Internal> {
        let Ok(header) = jsonwebtoken::decode_header(token) else {
            return Ok(None);
        };
        if header.alg != Algorithm::EdDSA || header.typ.as_deref() != Some(typ) {
            return Ok(None);
        }
        let Some(kid) = header.kid else {
            return Ok(None);
        };
        let published = Self::published(db, retire_after).await?;
        let Some(jwk) = published.keys.into_iter().find(|k| k.kid == kid) else {
            return Ok(None);
        };
        let key = DecodingKey::from_ed_components(&jwk.x)?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[issuer]);
        validation.validate_aud = false;
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["iss", "sub", "exp"]);
        Ok(jsonwebtoken::decode::<T>(token, &key, &validation)
            .ok()
            .map(|data| data.claims))
    }

    /// Signs `claims` as a JWT with the header type `typ`, with the key that signs now: the
    /// JWS Compact Serialization (RFC 7515 §7.1), `BASE64URL(header) "." BASE64URL(claims)
    /// "." BASE64URL(signature)`, the signature Ed25519 over the first two parts (RFC 8037
    /// §3.1). Verified with `jsonwebtoken` here and by the resource server and the tests.
    pub(crate) async fn sign<T: Serialize>(
        &self,
        db: &Db,
        typ: &str,
        claims: &T,
    ) -> Result<String, Internal> {
        let signer = self.signer(db).await?;
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(typ.to_owned());
        header.kid = Some(signer.kid.clone());
        let part = |value: Vec<u8>| URL_SAFE_NO_PAD.encode(value);
        let mut jwt = part(serde_json::to_vec(&header).map_err(Internal::new)?);
        jwt.push('.');
        jwt.push_str(&part(serde_json::to_vec(claims).map_err(Internal::new)?));
        let signature = signer.key.sign(jwt.as_bytes());
        jwt.push('.');
        jwt.push_str(&URL_SAFE_NO_PAD.encode(signature.to_bytes()));
        Ok(jwt)
    }
}
