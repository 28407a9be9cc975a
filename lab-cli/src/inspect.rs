//! A local, offline jwt.io for the lab's tokens: decode a JWT, explain each claim, and check
//! it against the lab's published keys the way the resource server does.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

/// One line of the report: a check and its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

/// What a claim means.
pub fn explain(claim: &str) -> &'static str {
    match claim {
        "iss" => "issuer: the authorization server that signed the token",
        "sub" => "subject: the user, or the client for client credentials",
        "aud" => "audience: who must accept the token (everyone else must refuse it)",
        "exp" => "expiry (seconds since 1970)",
        "iat" => "issued at (seconds since 1970)",
        "nbf" => "not valid before (seconds since 1970)",
        "jti" => "unique id of this token (for revocation and introspection)",
        "client_id" => "the client the token was issued to",
        "scope" => "what the token allows",
        "auth_time" => "when the user logged in",
        "preferred_username" => "the user's username",
        "nonce" => "the client's nonce (ID tokens)",
        "at_hash" => "half a hash of the access token issued with this ID token",
        _ => "",
    }
}

/// The header and claims of `token`, decoded without any check.
pub fn decode(token: &str) -> Option<(Value, Value)> {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let part =
        |text: &str| -> Option<Value> { serde_json::from_slice(&engine.decode(text).ok()?).ok() };
    Some((part(header)?, part(claims)?))
}

/// Checks `token` against `jwks` (a JWK Set document), `issuer` and `audience`.
pub fn check(token: &str, jwks: &Value, issuer: &str, audience: &str) -> Vec<Check> {
    let mut checks = Vec::new();
    let Some((header, _)) = decode(token) else {
        checks.push(Check {
            name: "format",
            ok: false,
            detail: "not a compact JWT (header.payload.signature)".to_owned(),
        });
        return checks;
    };
    let alg = header["alg"].as_str().unwrap_or_default();
    checks.push(Check {
        name: "alg",
        ok: alg == "EdDSA",
        detail: format!("{alg} (only EdDSA is accepted)"),
    });
    let typ = header["typ"].as_str().unwrap_or_default();
    checks.push(Check {
        name: "typ",
        ok: typ.eq_ignore_ascii_case("at+jwt"),
        detail: format!("{typ} (an access token is at+jwt)"),
    });
    let kid = header["kid"].as_str().unwrap_or_default();
    let key = jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["kid"].as_str() == Some(kid)))
        .and_then(|k| DecodingKey::from_ed_components(k["x"].as_str()?).ok());
    let Some(key) = key else {
        checks.push(Check {
            name: "kid",
            ok: false,
            detail: format!("{kid:?} is not a published key"),
        });
        return checks;
    };
    checks.push(Check {
        name: "kid",
        ok: true,
        detail: format!("{kid} is published"),
    });
    // Each claim check on its own, so the report says which one fails.
    let mut signature_only = Validation::new(Algorithm::EdDSA);
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
