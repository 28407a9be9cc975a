//! The signing key of access tokens: Ed25519 (JWS `alg` EdDSA, RFC 8037), generated on first
//! start, kept in the database, published as a JWK Set at `/jwks.json`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Serialize;
use shared::AccessTokenClaims;
use sqlx::SqlitePool;

use crate::error::Internal;

/// A public key as a JWK (RFC 7517, RFC 8037 §2 for `OKP`/`Ed25519`).
#[derive(Debug, Clone, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Jwks {
    keys: Vec<Jwk>,
}

/// The key that signs new tokens: the newest in the database when the server started.
pub(crate) struct SigningKeys {
    kid: String,
    encoding: EncodingKey,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeys")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKeys {
    /// Loads the keys from the database, generating and storing the first one if there is none.
    pub(crate) async fn load_or_create(db: &SqlitePool) -> Result<Self, Internal> {
        let mut rows: Vec<(String, Vec<u8>, Vec<u8>)> = sqlx::query_as(
            "SELECT kid, private_pkcs8, public_key FROM signing_keys ORDER BY created_at DESC",
        )
        .fetch_all(db)
        .await?;
        if rows.is_empty() {
            let key = SigningKey::from_bytes(&shared::random::bytes());
            let private = key.to_pkcs8_der().map_err(Internal::new)?;
            let public = key.verifying_key().to_bytes().to_vec();
            // The key id: a short hash of the public key, stable across restarts.
            let kid = shared::digest::sha256_hex(&public)[..16].to_owned();
            sqlx::query(
                "INSERT INTO signing_keys (kid, private_pkcs8, public_key, created_at) VALUES (?, ?, ?, ?)",
            )
            .bind(&kid)
            .bind(private.as_bytes())
            .bind(&public)
            .bind(server_kit::unix_now())
            .execute(db)
            .await?;
            tracing::info!(kid, "generated a new Ed25519 signing key");
            rows.push((kid, private.as_bytes().to_vec(), public));
        }
        let (kid, private, _) = &rows[0];
        Ok(Self {
            kid: kid.clone(),
            encoding: EncodingKey::from_ed_der(private),
        })
    }

    /// Every public key in the database, read on each call: a key added by another replica,
    /// or by a key rotation, is published at once.
    pub(crate) async fn published(db: &SqlitePool) -> Result<Jwks, Internal> {
        let rows: Vec<(String, Vec<u8>)> =
            sqlx::query_as("SELECT kid, public_key FROM signing_keys ORDER BY created_at DESC")
                .fetch_all(db)
                .await?;
        Ok(Jwks {
            keys: rows
                .into_iter()
                .map(|(kid, public)| Jwk {
                    kty: "OKP",
                    crv: "Ed25519",
                    x: URL_SAFE_NO_PAD.encode(public),
                    kid,
                    alg: "EdDSA",
                    use_: "sig",
                })
                .collect(),
        })
    }

    /// The claims of an access token this server signed, if the signature verifies against
    /// one of its keys and `iss` is `issuer`. Expiry is left to the caller.
    pub(crate) async fn verify_own(
        db: &SqlitePool,
        issuer: &str,
        token: &str,
    ) -> Result<Option<AccessTokenClaims>, Internal> {
        let Ok(header) = jsonwebtoken::decode_header(token) else {
            return Ok(None);
        };
        if header.alg != Algorithm::EdDSA
            || header.typ.as_deref() != Some(crate::tokens::ACCESS_TOKEN_TYP)
        {
            return Ok(None);
        }
        let Some(kid) = header.kid else {
            return Ok(None);
        };
        let public: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT public_key FROM signing_keys WHERE kid = ?")
                .bind(&kid)
                .fetch_optional(db)
                .await?;
        let Some(public) = public else {
            return Ok(None);
        };
        let key = DecodingKey::from_ed_components(&URL_SAFE_NO_PAD.encode(public))?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[issuer]);
        validation.validate_aud = false;
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["iss", "sub", "exp"]);
        Ok(
            jsonwebtoken::decode::<AccessTokenClaims>(token, &key, &validation)
                .ok()
                .map(|data| data.claims),
        )
    }

    /// Signs `claims` as a JWT with the header type `typ`.
    pub(crate) fn sign<T: Serialize>(&self, typ: &str, claims: &T) -> Result<String, Internal> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(typ.to_owned());
        header.kid = Some(self.kid.clone());
        Ok(jsonwebtoken::encode(&header, claims, &self.encoding)?)
    }
}
