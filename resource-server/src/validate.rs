//! Validating a JWT access token (RFC 9068 §4, RFC 8725). The checks run in the order of
//! [`Validator::validate`]; each refusal names the check that failed.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use server_kit::trace::{Check, Recorder};
use shared::AccessTokenClaims;
use shared::jwt::SigningAlg;

use crate::introspect::Introspector;
use crate::jwks::KeySet;
pub(crate) use crate::refusal::Refusal;
use crate::revocations::Revocations;

/// Clock skew tolerated for `exp` and `nbf`, in seconds ([`shared::jwt::LEEWAY_SECS`]).
const LEEWAY_SECS: u64 = shared::jwt::LEEWAY_SECS.unsigned_abs();

/// The JOSE header fields read before any key is touched.
#[derive(Debug, Deserialize)]
struct Header {
    alg: Option<String>,
    typ: Option<String>,
    kid: Option<String>,
}

/// Checks access tokens one of two ways (see `ValidationMode`).
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "one validator per process, behind an Arc"
)]
pub(crate) enum Validator {
    Jwt(JwtValidator),
    Introspect {
        introspector: Introspector,
        issuer: String,
    },
}

impl Validator {
    /// The claims of `token` if it passes every check for the resource `audience` (one of
    /// this server's resources: a token for the API is refused by the MCP endpoint and the
    /// other way round, RFC 8707 §2).
    pub(crate) async fn validate(
        &self,
        trace: &Recorder,
        token: &str,
        audience: &str,
    ) -> Result<Arc<AccessTokenClaims>, Refusal> {
        let claims = match self {
            Self::Jwt(validator) => {
                let claims = validator.validate(trace, token).await?;
                // RFC 7009 §2, RFC 9700 §4.2.4: a revocation reaches the resource, here by
                // the list the authorization server keeps (`revocations.rs`); checked on
                // every use, a token verified before included.
                let live = if validator.revocations.is_revoked(&claims.jti) {
                    Err(Refusal::Revoked)
                } else {
                    Ok(claims)
                };
                trace.check(&NOT_REVOKED, live)?
            }
            Self::Introspect {
                introspector,
                issuer,
            } => {
                let claims = trace.check(&INTROSPECTION, introspector.claims(token).await)?;
                // The authorization server vouches for the token; whether it is meant for
                // *this* server from *that* issuer is still ours to check (RFC 7662 §4).
                let same_issuer = if &claims.iss == issuer {
                    Ok(())
                } else {
                    Err(Refusal::WrongIssuer)
                };
                trace.check(&ISSUER, same_issuer)?;
                Arc::new(claims)
            }
        };
        // RFC 9068 §4: `aud` must name the resource called.
        let audience = if claims.aud.contains(audience) {
            Ok(claims)
        } else {
            Err(Refusal::WrongAudience)
        };
        trace.check(&AUDIENCE, audience)
    }
}

/// Local validation of a JWT access token against the published keys.
#[derive(Debug)]
pub(crate) struct JwtValidator {
    keys: KeySet,
    validation: Validation,
    verified: VerifiedTokens,
    revocations: Revocations,
}

impl JwtValidator {
    /// A validator of tokens from `issuer` meant for one of `audiences` (this server's
    /// resources; which one a request needs is checked per request, [`Validator::validate`]).
    pub(crate) fn new(keys: KeySet, issuer: &str, audiences: &[&str]) -> Self {
        // The algorithm is set per token, to its key's (`verify`).
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[issuer]);
        validation.set_audience(audiences);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS;
        Self {
            keys,
            validation,
            verified: VerifiedTokens::default(),
            revocations: Revocations::default(),
        }
    }

    /// The authorization server's list of revoked tokens (`revocations.rs`): read once
    /// before the first request is answered, then followed for as long as the server runs.
    pub(crate) fn revocations(&self) -> &Revocations {
        &self.revocations
    }

    /// Refetches the key set every `max` (or sooner, as its `Cache-Control` says), for as
    /// long as the server runs. When a key is dropped, the tokens verified with the keys
    /// held so far are forgotten and checked again.
    pub(crate) async fn refresh_keys_every(&self, max: Duration) {
        let mut wait = max;
        loop {
            tokio::time::sleep(wait).await;
            match self.keys.refresh().await {
                Ok((dropped, max_age)) => {
                    if dropped {
                        self.verified.clear();
                    }
                    wait = max_age.map_or(max, |age| age.clamp(Duration::from_secs(1), max));
                }
                Err(why) => {
                    tracing::warn!("cannot refetch the signing keys: {why}; keeping the ones held");
                    wait = max;
                }
            }
        }
    }

    async fn validate(
        &self,
        trace: &Recorder,
        token: &str,
    ) -> Result<Arc<AccessTokenClaims>, Refusal> {
        if let Some(claims) = self.verified.get(token) {
            trace.pass(&VERIFIED_BEFORE);
            return Ok(claims);
        }
        let claims = Arc::new(self.verify(trace, token).await?);
        self.verified.insert(token, &claims);
        Ok(claims)
    }

    async fn verify(&self, trace: &Recorder, token: &str) -> Result<AccessTokenClaims, Refusal> {
        let header = trace.check(&FORM, read_header(token))?;
        // 1. The algorithm comes from an allow-list, never from the token alone: the
        //    asymmetric algorithms of the keys the issuer publishes. `none`, every `HS*`
        //    (with which a public key could be abused as an HMAC secret) and anything new
        //    are refused (RFC 8725 §3.1, §2.1).
        let named = header.alg.unwrap_or_default();
        let alg = match SigningAlg::parse(&named) {
            Some(alg) if self.keys.publishes(alg).await => Ok(alg),
            _ => {
                let allowed = self.keys.algorithms().await;
                let allowed: Vec<&str> = allowed.iter().map(|alg| alg.as_str()).collect();
                Err(Refusal::AlgorithmNotAllowed(named, allowed.join(", ")))
            }
        };
        let alg = trace.check(&ALGORITHM, alg)?;
        // 2. RFC 9068 §4: "Resource servers MUST verify that the "typ" header value is
        //    "at+jwt" or "application/at+jwt" and reject tokens carrying any other value."
        let typ = header.typ.unwrap_or_default();
        let typ = if shared::jwt::is_access_token_typ(&typ) {
            Ok(())
        } else {
            Err(Refusal::NotAnAccessToken(typ))
        };
        trace.check(&TYP, typ)?;
        // 3. The key the authorization server published under this kid.
        let key = match header.kid {
            None => Err(Refusal::NoKeyId),
            Some(kid) => self
                .keys
                .key(&kid)
                .await
                .map(|key| (kid, key))
                .ok_or(Refusal::UnknownKey),
        };
        let (kid, key) = trace.check(&KEY, key)?;
        // 4. The key's algorithm is the token's (RFC 8725 §3.1: "each key MUST be used with
        //    exactly one algorithm"): a token cannot pick how its key is read.
        let same_alg = if key.alg == alg {
            Ok(())
        } else {
            Err(Refusal::KeyAlgorithmMismatch(
                alg.to_string(),
                kid,
                key.alg.to_string(),
            ))
        };
        trace.check(&KEY_ALGORITHM, same_alg)?;
        // 5. Signature, then iss, aud, exp, nbf (RFC 9068 §4), in one pass of the library:
        //    which check refused is read from its error.
        let mut validation = self.validation.clone();
        validation.algorithms = vec![alg.as_str().parse().map_err(|_| Refusal::Malformed)?];
        let decoded = jsonwebtoken::decode::<AccessTokenClaims>(token, &key.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|error| match error.kind() {
                ErrorKind::InvalidSignature => Refusal::BadSignature,
                ErrorKind::ExpiredSignature => Refusal::Expired,
                ErrorKind::ImmatureSignature => Refusal::NotYetValid,
                ErrorKind::InvalidIssuer => Refusal::WrongIssuer,
                ErrorKind::InvalidAudience => Refusal::WrongAudience,
                ErrorKind::MissingRequiredClaim(_) | ErrorKind::Json(_) => Refusal::BadClaims,
                _ => Refusal::Malformed,
            });
        if let Err(Refusal::BadSignature | Refusal::Malformed) = &decoded {
            return trace.check(&SIGNATURE, decoded);
        }
        trace.pass(&SIGNATURE);
        trace.check(&CLAIMS, decoded)
    }
}

const FORM: Check = Check::new(
    "jwt_form",
    "RFC 7519 §7.2",
    "The token is a JWT: three base64url parts, with a readable JOSE header.",
);
const ALGORITHM: Check = Check::new(
    "algorithm_allowed",
    "RFC 8725 §3.1",
    "alg is one of the asymmetric algorithms of the keys the issuer publishes (never none, never HMAC).",
);
const TYP: Check = Check::new(
    "typ_at_jwt",
    "RFC 9068 §4",
    "typ is at+jwt: an access token, not an ID token or another JWT.",
);
const KEY: Check = Check::new(
    "key_published",
    "RFC 7515 §4.1.4",
    "kid names a key the authorization server publishes at its jwks_uri.",
);
const KEY_ALGORITHM: Check = Check::new(
    "key_algorithm",
    "RFC 8725 §3.1",
    "The key is published for the algorithm the token names: the algorithm comes from the key.",
);
const SIGNATURE: Check = Check::new(
    "signature",
    "RFC 9068 §4",
    "The signature verifies with the published key: the authorization server issued this token, unaltered.",
);
const CLAIMS: Check = Check::new(
    "claims",
    "RFC 9068 §4",
    "iss is the expected issuer, exp and nbf hold (30 s leeway), sub and aud are present.",
);
const VERIFIED_BEFORE: Check = Check::new(
    "verified_before",
    "RFC 9068 §4",
    "These exact bytes passed every check before (signature included) and have not expired: no need to verify again.",
);
const NOT_REVOKED: Check = Check::new(
    "not_revoked",
    "RFC 7009 §2",
    "The token is not on the authorization server's list of revoked tokens, as this server last read it (every half second).",
);
const INTROSPECTION: Check = Check::new(
    "introspection",
    "RFC 7662 §2.2",
    "The authorization server says the token is an active access token.",
);
const ISSUER: Check = Check::new(
    "issuer",
    "RFC 7662 §4",
    "The token was issued by the expected authorization server.",
);
const AUDIENCE: Check = Check::new(
    "audience",
    "RFC 8707 §2",
    "aud names the resource called: a token for another resource is refused here.",
);

/// Tokens that passed every check, kept until they expire. A JWT cannot change: the same
/// bytes verified once verify again, with the same key, issuer and audiences (which of them
/// a request needs is checked on every use). So a token seen
/// before skips the signature check (the expensive part); its expiry is checked again on
/// every use. Bounded: when full, expired entries go, and if none has expired, all go.
/// Read-mostly, so a read-write lock; the claims are shared, not copied, per request.
#[derive(Debug, Default)]
struct VerifiedTokens(RwLock<HashMap<String, Arc<AccessTokenClaims>>>);

/// At most this many verified tokens are kept (a few MB).
const VERIFIED_CAPACITY: usize = 10_000;

impl VerifiedTokens {
    fn clear(&self) {
        if let Ok(mut cache) = self.0.write() {
            cache.clear();
        }
    }

    fn get(&self, token: &str) -> Option<Arc<AccessTokenClaims>> {
        let now = server_kit::unix_now();
        let leeway = i64::try_from(LEEWAY_SECS).unwrap_or(0);
        let cache = self.0.read().ok()?;
        let claims = cache.get(token)?;
        // `nbf` passed at the first check, and time only moves on.
        (claims.exp + leeway > now).then(|| Arc::clone(claims))
    }

    fn insert(&self, token: &str, claims: &Arc<AccessTokenClaims>) {
        let Ok(mut cache) = self.0.write() else {
            return;
        };
        if cache.len() >= VERIFIED_CAPACITY {
            let now = server_kit::unix_now();
            cache.retain(|_, claims| claims.exp > now);
            if cache.len() >= VERIFIED_CAPACITY {
                cache.clear();
            }
        }
        cache.insert(token.to_owned(), Arc::clone(claims));
    }
}

fn read_header(token: &str) -> Result<Header, Refusal> {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refusal::Malformed);
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| Refusal::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| Refusal::Malformed)
}
