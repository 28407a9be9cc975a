//! A local, offline jwt.io for the lab's tokens: check a JWT against the lab's published keys
//! the way the resource server does. Decoding and the claims' explanations are
//! `shared::jwt`, the same the SPA shows.

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use shared::jwt::{self, DecodedJwt, SigningAlg};

/// One line of the report: a check and its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

/// Checks `token` against `jwks` (a JWK Set document), `issuer` and `audience`.
pub fn check(token: &str, jwks: &Value, issuer: &str, audience: &str) -> Vec<Check> {
    let mut checks = Vec::new();
    let Some(DecodedJwt { header, .. }) = jwt::decode(token) else {
        checks.push(Check {
            name: "format",
            ok: false,
            detail: "not a compact JWT (header.payload.signature)".to_owned(),
        });
        return checks;
    };
    let keys = jwks["keys"].as_array().map_or(&[][..], Vec::as_slice);
    let published = |alg: SigningAlg| keys.iter().any(|k| k["alg"] == alg.as_str());
    let alg = header["alg"].as_str().unwrap_or_default();
    let allowed = SigningAlg::parse(alg).filter(|alg| published(*alg));
    let allow_list: Vec<&str> = SigningAlg::ALL
        .into_iter()
        .filter(|alg| published(*alg))
        .map(SigningAlg::as_str)
        .collect();
    checks.push(Check {
        name: "alg",
        ok: allowed.is_some(),
        detail: format!(
            "{alg} (accepted: {}, the algorithms of the published keys)",
            allow_list.join(", ")
        ),
    });
    let typ = header["typ"].as_str().unwrap_or_default();
    checks.push(Check {
        name: "typ",
        ok: jwt::is_access_token_typ(typ),
        detail: format!("{typ} (an access token is at+jwt or application/at+jwt)"),
    });
    let kid = header["kid"].as_str().unwrap_or_default();
    let key = keys
        .iter()
        .find(|k| k["kid"].as_str() == Some(kid))
        .and_then(|k| published_key(k, allowed?));
    let Some((key, algorithm)) = key else {
        checks.push(Check {
            name: "kid",
            ok: false,
            detail: format!("{kid:?} is not a published key of the token's algorithm"),
        });
        return checks;
    };
    checks.push(Check {
        name: "kid",
        ok: true,
        detail: format!("{kid} is published"),
    });
    // Each claim check on its own, so the report says which one fails.
    let mut signature_only = Validation::new(algorithm);
    signature_only.validate_exp = false;
    signature_only.validate_aud = false;
    signature_only.required_spec_claims.clear();
    let verified = jsonwebtoken::decode::<Value>(token, &key, &signature_only);
    checks.push(Check {
        name: "signature",
        ok: verified.is_ok(),
        detail: verified.as_ref().map_or_else(ToString::to_string, |_| {
            "verifies with the published key".to_owned()
        }),
    });
    let Ok(data) = verified else { return checks };
    let claims = data.claims;
    checks.push(Check {
        name: "iss",
        ok: claims["iss"].as_str() == Some(issuer),
        detail: format!("{} (expected {issuer})", claims["iss"]),
    });
    let aud_ok = match &claims["aud"] {
        Value::String(aud) => aud == audience,
        Value::Array(auds) => auds.iter().any(|a| a.as_str() == Some(audience)),
        _ => false,
    };
    checks.push(Check {
        name: "aud",
        ok: aud_ok,
        detail: format!("{} (expected to contain {audience})", claims["aud"]),
    });
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let exp = claims["exp"].as_i64().unwrap_or(0);
    checks.push(Check {
        name: "exp",
        ok: exp > now,
        detail: if exp > now {
            format!("valid for {} more seconds", exp - now)
        } else {
            format!("expired {} seconds ago", now - exp)
        },
    });
    checks
}

/// The key of the JWK `jwk` if it is published for `alg` (the algorithm comes from the key,
/// never from the token alone: RFC 8725 §3.1), with `jsonwebtoken`'s name for it.
fn published_key(jwk: &Value, alg: SigningAlg) -> Option<(DecodingKey, Algorithm)> {
    if jwk["alg"] != alg.as_str() {
        return None;
    }
    let jwk: Jwk = serde_json::from_value(jwk.clone()).ok()?;
    Some((
        DecodingKey::from_jwk(&jwk).ok()?,
        alg.as_str().parse().ok()?,
    ))
}
