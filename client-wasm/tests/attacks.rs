//! The attacker's tools and the Attacks page's verdicts, natively and in headless Chromium.
//! The servers' refusals themselves are proved by the servers' tests and the browser
//! end-to-end tests; these prove the page forges what it says and reads answers right.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use client_wasm::api::Exchange;
use client_wasm::attacks::verdict::{
    expect_error_page, expect_error_redirect, expect_refusal, page_text,
};
use client_wasm::attacks::{Attack, Verdict};
use client_wasm::oauth::forge;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use shared::form::form_decode;
use shared::jwt;

/// A token shaped like the authorization server's (the signature is not checked here).
fn token() -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"EdDSA","typ":"at+jwt","kid":"k1"}"#);
    let claims = URL_SAFE_NO_PAD.encode(r#"{"sub":"u1","scope":"openid read","exp":1}"#);
    format!("{header}.{claims}.c2lnbmF0dXJl")
}

fn answer(status: u16, body: &str, headers: &[(&str, &str)]) -> Exchange {
    Exchange {
        method: "GET",
        url: "http://localhost:8082/api/profile".to_owned(),
        request_headers: Vec::new(),
        request_body: None,
        status: Some(status),
        response_headers: headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect(),
        response_body: body.to_owned(),
        trace: None,
    }
}

#[test]
fn a_tampered_token_has_the_added_scope_and_keeps_the_original_signature() {
    let forged = forge::with_added_scope(&token(), "admin").expect("a JWT");
    assert_eq!(forged.rsplit('.').next(), Some("c2lnbmF0dXJl"));
    let decoded = jwt::decode(&forged).expect("a JWT");
    assert_eq!(decoded.claims["scope"], "openid read admin");
    assert_eq!(decoded.claims["sub"], "u1");
    assert_eq!(decoded.header["alg"], "EdDSA");
}

#[test]
fn an_unsigned_token_says_alg_none_and_has_an_empty_signature() {
    let forged = forge::unsigned(&token()).expect("a JWT");
    assert!(forged.ends_with('.'));
    let decoded = jwt::decode(&forged).expect("a JWT with an empty signature");
    assert_eq!(decoded.header["alg"], "none");
    assert_eq!(decoded.header["typ"], "at+jwt");
    assert_eq!(decoded.claims["scope"], "openid read");
}

#[test]
fn the_hs256_forgery_is_a_valid_hmac_keyed_with_the_public_key() {
    let public_key = [7_u8; 32];
    let forged = forge::signed_hs256_with(&token(), &public_key).expect("a JWT");
    let (signing_input, signature) = forged.rsplit_once('.').expect("three parts");
    let mut mac = Hmac::<Sha256>::new_from_slice(&public_key).expect("any key length");
    mac.update(signing_input.as_bytes());
    mac.verify_slice(&URL_SAFE_NO_PAD.decode(signature).expect("base64url"))
        .expect("a real HMAC-SHA256 over the header and claims");
    let decoded = jwt::decode(&forged).expect("a JWT");
    assert_eq!(decoded.header["alg"], "HS256");
    assert_eq!(decoded.header["kid"], "k1");
}

#[test]
fn the_public_key_is_read_from_the_jwks_by_kid() {
    let x = URL_SAFE_NO_PAD.encode([9_u8; 32]);
    let jwks = format!(
        r#"{{"keys":[{{"kty":"OKP","kid":"other","x":"AAAA"}},{{"kty":"OKP","crv":"Ed25519","kid":"k1","x":"{x}"}}]}}"#
    );
    assert_eq!(forge::public_key_of(&jwks, "k1"), Some(vec![9_u8; 32]));
    assert_eq!(forge::public_key_of(&jwks, "missing"), None);
}

#[test]
fn request_parameters_are_replaced_removed_and_added() {
    let url = "http://as/authorize?code_challenge=abc&code_challenge_method=S256&state=s";
    let changed = forge::with_params(
        url,
        &[
            ("code_challenge_method", Some("plain")),
            ("state", None),
            ("resource", Some("http://localhost:8083")),
        ],
    );
    let (base, query) = changed.split_once('?').expect("a query");
    assert_eq!(base, "http://as/authorize");
    assert_eq!(
        form_decode(query),
        vec![
            ("code_challenge".to_owned(), "abc".to_owned()),
            ("code_challenge_method".to_owned(), "plain".to_owned()),
            ("resource".to_owned(), "http://localhost:8083".to_owned()),
        ]
    );
}

#[test]
fn a_refusal_with_the_expected_status_and_error_is_stopped() {
    let json = answer(
        400,
        r#"{"error":"invalid_grant","error_description":"PKCE failed"}"#,
        &[],
    );
    assert_eq!(
        expect_refusal(&json, 400, "invalid_grant"),
        Verdict::Stopped("400 invalid_grant: PKCE failed".to_owned())
    );
    let bearer = answer(
        401,
        "",
        &[(
            "www-authenticate",
            r#"Bearer realm="oauth-lab", error="invalid_token", error_description="expired""#,
        )],
    );
    assert!(matches!(
        expect_refusal(&bearer, 401, "invalid_token"),
        Verdict::Stopped(_)
    ));
}

#[test]
fn a_success_or_another_error_is_not_stopped() {
    let accepted = answer(200, r#"{"sub":"u1"}"#, &[]);
    assert!(matches!(
        expect_refusal(&accepted, 401, "invalid_token"),
        Verdict::NotStopped(_)
    ));
    let other = answer(400, r#"{"error":"invalid_request"}"#, &[]);
    assert!(matches!(
        expect_refusal(&other, 400, "invalid_grant"),
        Verdict::NotStopped(_)
    ));
}

#[test]
fn an_error_redirect_without_a_code_is_stopped_and_one_with_a_code_is_not() {
    let refused = "http://localhost:8080/callback?error=invalid_request&error_description=S256+only&state=s&iss=x";
    assert_eq!(
        expect_error_redirect(refused, "invalid_request"),
        Verdict::Stopped("redirected back with invalid_request: S256 only; no code".to_owned())
    );
    let issued = "http://localhost:8080/callback?code=abc&state=s&iss=x";
    assert!(matches!(
        expect_error_redirect(issued, "invalid_request"),
        Verdict::NotStopped(_)
    ));
}

#[test]
fn an_error_page_is_stopped_and_a_redirect_is_not() {
    let page = answer(
        400,
        "<html><main class=\"card\"><h1>Unknown redirect URI</h1><p>It isn&#39;t registered.</p></main></html>",
        &[],
    );
    assert_eq!(
        expect_error_page(&page),
        Verdict::Stopped(
            "400, an error page, no redirect: Unknown redirect URI It isn't registered.".to_owned()
        )
    );
    assert!(matches!(
        expect_error_page(&answer(0, "", &[])),
        Verdict::NotStopped(_)
    ));
    assert_eq!(page_text("<p>a</p>  <p>b</p>"), "a b");
}

#[test]
fn the_twelve_attacks_are_numbered_in_order_with_distinct_slugs() {
    let slugs: std::collections::HashSet<_> = Attack::ALL.iter().map(|a| a.slug()).collect();
    assert_eq!(slugs.len(), 12);
    assert_eq!(Attack::StolenCode.number(), 1);
    assert_eq!(Attack::TamperedToken.number(), 8);
    assert_eq!(Attack::TokenInUrl.number(), 12);
}
