//! The signing keys of tokens: one key per algorithm the server offers
//! ([`SigningAlg`]: EdDSA with Ed25519, RFC 8037; ES256 with P-256 and RS256 with a
//! 2048-bit RSA key, RFC 7518 §3), generated on first start, kept in the database, published
//! together as one JWK Set at `/jwks.json`. Which algorithm signs a token is the client's
//! (ID tokens, `id_token_signed_response_alg`) or the resource's (access tokens) choice.
//!
//! Rotation (`auth-server rotate-key`) replaces every algorithm's key: a new key is
//! published at once and signs only from `signs_from` on, so a resource server that cached
//! the JWKS meanwhile is never handed a token with a `kid` it has not seen. The key it
//! replaces stays published until every token it signed has expired.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use ed25519_dalek::{Signer as _, SigningKey};
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair,
};
use rsa::pkcs1::{DecodeRsaPublicKey as _, EncodeRsaPublicKey as _};
use rsa::traits::PublicKeyParts as _;
use serde::Serialize;
use server_kit::db::Db;
pub(crate) use shared::jwt::SigningAlg;
use utoipa::ToSchema;

use crate::error::Internal;
use crate::store::{self, KeyRow, PublicKeyRow};

/// The size of the RSA keys: RFC 7518 §3.3, "A key of size 2048 bits or larger MUST be
/// used".
const RSA_BITS: usize = 2048;

/// A public key as a JWK (RFC 7517 §4): `OKP`/`Ed25519` with `x` (RFC 8037 §2), `EC`/`P-256`
/// with `x` and `y`, `RSA` with `n` and `e` (RFC 7518 §6.2, §6.3). Always with its `alg`, so
/// a verifier takes the algorithm from the key, never from the token.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Jwk {
    kty: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    crv: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    x: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    y: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    n: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    e: Option<String>,
    kid: String,
    alg: &'static str,
    #[serde(rename = "use")]
    use_: &'static str,
}

impl Jwk {
    /// The JWK of a stored public key (the formats of migration 0009).
    fn of(alg: SigningAlg, kid: String, public: &[u8]) -> Result<Self, Internal> {
        let b64 = |bytes: &[u8]| Some(URL_SAFE_NO_PAD.encode(bytes));
        let mut jwk = Self {
            kty: "OKP",
            crv: None,
            x: None,
            y: None,
            n: None,
            e: None,
            kid,
            alg: alg.as_str(),
            use_: "sig",
        };
        match alg {
            SigningAlg::EdDSA => {
                jwk.crv = Some("Ed25519");
                jwk.x = b64(public);
            }
            SigningAlg::ES256 => {
                // SEC1 uncompressed: 0x04, then x and y of 32 bytes each.
                let (Some(0x04), 65) = (public.first(), public.len()) else {
                    return Err(Internal::new("a stored P-256 key is not a SEC1 point"));
                };
                jwk.kty = "EC";
                jwk.crv = Some("P-256");
                jwk.x = b64(&public[1..33]);
                jwk.y = b64(&public[33..]);
            }
            SigningAlg::RS256 => {
                let key = rsa::RsaPublicKey::from_pkcs1_der(public).map_err(Internal::new)?;
                jwk.kty = "RSA";
                jwk.n = b64(&key.n().to_bytes_be());
                jwk.e = b64(&key.e().to_bytes_be());
            }
        }
        Ok(jwk)
    }

    /// The key to verify with, of the key's own algorithm.
    fn decoding_key(&self) -> Result<DecodingKey, Internal> {
        let part = |value: &Option<String>| value.clone().unwrap_or_default();
        Ok(match self.kty {
            "OKP" => DecodingKey::from_ed_components(&part(&self.x))?,
            "EC" => DecodingKey::from_ec_components(&part(&self.x), &part(&self.y))?,
            _ => DecodingKey::from_rsa_components(&part(&self.n), &part(&self.e))?,
        })
    }
}

/// The JWK Set document (RFC 7517 §5).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Jwks {
    keys: Vec<Jwk>,
}

/// How often, at most, the signer looks in the database for a key whose time has come.
const RECHECK_SECS: i64 = 1;

/// A private key, decoded once: decoding a key for every token costs as much as the
/// signature (a measured lever, `docs/BENCHMARKS.md`).
enum PrivateKey {
    Ed(SigningKey),
    Es(EcdsaKeyPair),
    Rs(RsaKeyPair),
}

/// A key that signs.
struct Signer {
    kid: String,
    alg: SigningAlg,
    key: PrivateKey,
}

impl Signer {
    fn new(row: &KeyRow) -> Result<Self, Internal> {
        let rejected = |e: ring::error::KeyRejected| Internal::new(e.to_string());
        let key = match row.alg {
            SigningAlg::EdDSA => {
                PrivateKey::Ed(SigningKey::from_pkcs8_der(&row.private).map_err(Internal::new)?)
            }
            SigningAlg::ES256 => PrivateKey::Es(
                EcdsaKeyPair::from_pkcs8(
                    &ECDSA_P256_SHA256_FIXED_SIGNING,
                    &row.private,
                    &SystemRandom::new(),
                )
                .map_err(rejected)?,
            ),
            SigningAlg::RS256 => {
                PrivateKey::Rs(RsaKeyPair::from_pkcs8(&row.private).map_err(rejected)?)
            }
        };
        Ok(Self {
            kid: row.kid.clone(),
            alg: row.alg,
            key,
        })
    }

    /// The JWS signature of `message` (RFC 7518 §3.3, §3.4: ECDSA as `R || S`; RFC 8037
    /// §3.1).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Internal> {
        let failed = |_| Internal::new("signing failed");
        match &self.key {
            PrivateKey::Ed(key) => Ok(key.sign(message).to_bytes().to_vec()),
            PrivateKey::Es(key) => Ok(key
                .sign(&SystemRandom::new(), message)
                .map_err(failed)?
                .as_ref()
                .to_vec()),
            PrivateKey::Rs(key) => {
                let mut signature = vec![0; key.public().modulus_len()];
                key.sign(
                    &RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    message,
                    &mut signature,
                )
                .map_err(failed)?;
                Ok(signature)
            }
        }
    }
}

/// A new key pair of `alg`: the private key as PKCS#8 DER, the public key as stored
/// (migration 0009).
fn generate(alg: SigningAlg) -> Result<(Vec<u8>, Vec<u8>), Internal> {
    match alg {
        SigningAlg::EdDSA => {
            let key = SigningKey::from_bytes(&shared::random::bytes());
            let private = key.to_pkcs8_der().map_err(Internal::new)?;
            Ok((
                private.as_bytes().to_vec(),
                key.verifying_key().to_bytes().to_vec(),
            ))
        }
        SigningAlg::ES256 => {
            let random = SystemRandom::new();
            let private = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &random)
                .map_err(|_| Internal::new("cannot generate a P-256 key"))?;
            let pair = EcdsaKeyPair::from_pkcs8(
                &ECDSA_P256_SHA256_FIXED_SIGNING,
                private.as_ref(),
                &random,
            )
            .map_err(|e| Internal::new(e.to_string()))?;
            Ok((
                private.as_ref().to_vec(),
                pair.public_key().as_ref().to_vec(),
            ))
        }
        SigningAlg::RS256 => {
            let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, RSA_BITS)
                .map_err(Internal::new)?;
            let private = key.to_pkcs8_der().map_err(Internal::new)?;
            let public = key.to_public_key().to_pkcs1_der().map_err(Internal::new)?;
            Ok((private.as_bytes().to_vec(), public.as_bytes().to_vec()))
        }
    }
}

/// Generates a key of `alg`, stores it, and returns its row; it signs from `signs_from` on.
async fn create(db: &Db, alg: SigningAlg, signs_from: i64) -> Result<KeyRow, Internal> {
    // RSA key generation takes a noticeable fraction of a second: off the async workers.
    let (private, public) = tokio::task::spawn_blocking(move || generate(alg))
        .await
        .map_err(Internal::new)??;
    // The key id: a short hash of the public key, stable across restarts.
    let kid = shared::digest::sha256_hex(&public)[..16].to_owned();
    store::insert_key(db, &kid, alg, &private, &public, signs_from).await?;
    Ok(KeyRow { kid, alg, private })
}

/// One key per algorithm that `auth-server rotate-key` published.
#[derive(Debug)]
pub struct Rotated {
    /// When the new keys start signing (Unix time).
    pub signs_from: i64,
    /// Each algorithm's new key id.
    pub kids: Vec<(SigningAlg, String)>,
}

impl Rotated {
    /// The new key of `alg`.
    pub fn kid(&self, alg: SigningAlg) -> &str {
        self.kids
            .iter()
            .find(|(of, _)| *of == alg)
            .map_or("", |(_, kid)| kid)
    }
}

/// `auth-server rotate-key`: a new key for every algorithm, published from now on, signing
/// from `now + signing_delay` on.
pub(crate) async fn rotate(db: &Db, signing_delay: i64) -> Result<Rotated, Internal> {
    let signs_from = server_kit::unix_now().saturating_add(signing_delay);
    let mut kids = Vec::new();
    for alg in SigningAlg::ALL {
        let row = create(db, alg, signs_from).await?;
        tracing::info!(kid = row.kid, %alg, signs_from, "new signing key published");
        kids.push((alg, row.kid));
    }
    Ok(Rotated { signs_from, kids })
}

/// The keys that sign new tokens, one per algorithm: the newest of each whose `signs_from`
/// has passed, looked up again at most every [`RECHECK_SECS`] (so a rotation, or a key
/// added by another replica, takes over on time without a restart).
pub(crate) struct SigningKeys {
    signers: RwLock<HashMap<SigningAlg, Arc<Signer>>>,
    checked_at: AtomicI64,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<String> = self
            .signers
            .read()
            .map(|signers| signers.values().map(|s| s.kid.clone()).collect())
            .unwrap_or_default();
        f.debug_struct("SigningKeys")
            .field("kids", &kids)
            .finish_non_exhaustive()
    }
}

impl SigningKeys {
    /// Loads the signing keys from the database, generating and storing the first key of
    /// each algorithm that has none.
    pub(crate) async fn load_or_create(db: &Db) -> Result<Self, Internal> {
        let now = server_kit::unix_now();
        let mut signers = signers_at(db, now).await?;
        for alg in SigningAlg::ALL {
            if let std::collections::hash_map::Entry::Vacant(missing) = signers.entry(alg) {
                let row = create(db, alg, now).await?;
                tracing::info!(kid = row.kid, %alg, "generated a new signing key");
                missing.insert(Arc::new(Signer::new(&row)?));
            }
        }
        Ok(Self {
            signers: RwLock::new(signers),
            checked_at: AtomicI64::new(now),
        })
    }

    /// The key of `alg` that signs now.
    async fn signer(&self, db: &Db, alg: SigningAlg) -> Result<Arc<Signer>, Internal> {
        let now = server_kit::unix_now();
        let lock = || Internal::new("signing key lock");
        if now - self.checked_at.load(Ordering::Relaxed) >= RECHECK_SECS {
            self.checked_at.store(now, Ordering::Relaxed);
            let latest = store::signing_keys_at(db, now).await?;
            let mut signers = self.signers.write().map_err(|_| lock())?;
            for row in latest {
                if signers.get(&row.alg).is_none_or(|held| held.kid != row.kid) {
                    tracing::info!(kid = row.kid, alg = %row.alg, "a new signing key takes over");
                    signers.insert(row.alg, Arc::new(Signer::new(&row)?));
                }
            }
        }
        self.signers
            .read()
            .map_err(|_| lock())?
            .get(&alg)
            .cloned()
            .ok_or_else(|| Internal::new(format!("no {alg} signing key")))
    }

    /// The keys to publish, read from the database on each call (a key added by a
    /// rotation or by another replica is published at once): of each algorithm, every key
    /// that will sign, the one that signs, and each one it replaced until `retire_after`
    /// seconds after it was replaced (by then every token it signed has expired).
    pub(crate) async fn published(db: &Db, retire_after: i64) -> Result<Jwks, Internal> {
        let now = server_kit::unix_now();
        let mut replaced_at: HashMap<SigningAlg, i64> = HashMap::new();
        let mut keys = Vec::new();
        for PublicKeyRow {
            kid,
            alg,
            public,
            signs_from,
        } in store::public_keys(db).await?
        {
            if replaced_at
                .get(&alg)
                .is_none_or(|replaced| replaced.saturating_add(retire_after) > now)
            {
                keys.push(Jwk::of(alg, kid, &public)?);
            }
            // The next key of this algorithm (older: the rows come newest first) was
            // replaced when this one started signing.
            if signs_from <= now {
                replaced_at.insert(alg, signs_from);
            }
        }
        Ok(Jwks { keys })
    }

    /// The claims of a JWT of type `typ` this server signed, if the signature verifies
    /// against one of the keys it publishes *now* (a key that has left the JWK Set, after a
    /// rotation that was meant to contain it, is trusted no longer: RFC 7517, OIDC Core
    /// §10.1.1), with that key's own algorithm (RFC 8725 §3.1: the header's `alg` must be
    /// the key's), and `iss` is `issuer`. Audience and expiry are left to the caller, who
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
        if header.typ.as_deref() != Some(typ) {
            return Ok(None);
        }
        let Some(kid) = header.kid else {
            return Ok(None);
        };
        let published = Self::published(db, retire_after).await?;
        let Some(jwk) = published.keys.into_iter().find(|k| k.kid == kid) else {
            return Ok(None);
        };
        let alg = jwt_algorithm(SigningAlg::parse(jwk.alg).unwrap_or(SigningAlg::EdDSA));
        if header.alg != alg {
            return Ok(None);
        }
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[issuer]);
        validation.validate_aud = false;
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["iss", "sub", "exp"]);
        Ok(
            jsonwebtoken::decode::<T>(token, &jwk.decoding_key()?, &validation)
                .ok()
                .map(|data| data.claims),
        )
    }

    /// Signs `claims` as a JWT with the header type `typ`, with the key of `alg` that signs
    /// now: the JWS Compact Serialization (RFC 7515 §7.1), `BASE64URL(header) "."
    /// BASE64URL(claims) "." BASE64URL(signature)`, the signature over the first two parts.
    /// Verified with `jsonwebtoken` here and by the resource server and the tests.
    pub(crate) async fn sign<T: Serialize>(
        &self,
        db: &Db,
        alg: SigningAlg,
        typ: &str,
        claims: &T,
    ) -> Result<String, Internal> {
        let signer = self.signer(db, alg).await?;
        let mut header = Header::new(jwt_algorithm(signer.alg));
        header.typ = Some(typ.to_owned());
        header.kid = Some(signer.kid.clone());
        let part = |value: Vec<u8>| URL_SAFE_NO_PAD.encode(value);
        let mut jwt = part(serde_json::to_vec(&header).map_err(Internal::new)?);
        jwt.push('.');
        jwt.push_str(&part(serde_json::to_vec(claims).map_err(Internal::new)?));
        let signature = signer.sign(jwt.as_bytes())?;
        jwt.push('.');
        jwt.push_str(&URL_SAFE_NO_PAD.encode(signature));
        Ok(jwt)
    }
}

/// The signers of the newest key of each algorithm that signs at `now`.
async fn signers_at(db: &Db, now: i64) -> Result<HashMap<SigningAlg, Arc<Signer>>, Internal> {
    store::signing_keys_at(db, now)
        .await?
        .iter()
        .map(|row| Ok((row.alg, Arc::new(Signer::new(row)?))))
        .collect()
}

/// `jsonwebtoken`'s name for `alg`.
pub(crate) fn jwt_algorithm(alg: SigningAlg) -> Algorithm {
    match alg {
        SigningAlg::EdDSA => Algorithm::EdDSA,
        SigningAlg::ES256 => Algorithm::ES256,
        SigningAlg::RS256 => Algorithm::RS256,
    }
}
