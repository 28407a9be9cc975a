//! The client's side of the flow (`shared::client`, `shared::jwt`), natively and in headless
//! Chromium.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use shared::client::{self as flow, CallbackRefusal, ClientConfig, Pending};
use shared::form::{form_decode, param};
use shared::{
    AuthorizationCode, CodeChallenge, CodeVerifier, Nonce, ScopeSet, State, TokenResponse, jwt,
};

fn config() -> ClientConfig {
    ClientConfig::demo("http://localhost:8081")
}

fn pending() -> Pending {
    Pending {
        state: State::new("the-state"),
        nonce: Nonce::new("n"),
        code_verifier: CodeVerifier::parse(&"v".repeat(43)).expect("a verifier"),
        scope: ScopeSet::parse("read").expect("a scope"),
        extra: None,
    }
}

#[test]
fn the_authorize_url_carries_every_parameter_encoded_and_an_s256_challenge_of_the_kept_verifier() {
    let scope = ScopeSet::parse("openid read").expect("scopes");
    let request = flow::authorization_request(&config(), "http://localhost:8081/authorize", &scope);
    let (endpoint, query) = request.url.split_once('?').expect("a query");
    assert_eq!(endpoint, "http://localhost:8081/authorize");
    assert!(
        query.contains("redirect_uri=http%3A%2F%2Flocalhost%3A8080%2Fcallback"),
        "{query}"
    );
    let params = form_decode(query);
    let get = |name: &str| param(&params, name).expect(name);
    assert_eq!(get("response_type"), "code");
    assert_eq!(get("client_id"), "demo-client");
    assert_eq!(get("scope"), "openid read");
    assert_eq!(get("code_challenge_method"), "S256");
    assert_eq!(get("state"), request.pending.state.secret());
    assert_eq!(get("nonce"), request.pending.nonce.secret());
    assert!(
        CodeChallenge::parse(get("code_challenge"))
            .expect("challenge")
            .verify(&request.pending.code_verifier)
    );
    assert!(
        !query.contains(request.pending.code_verifier.secret()),
        "the verifier never leaves the tab"
    );
}

/// The callback's checks, with the code they yield as text.
fn checked_code(query: &str, pending: Option<&Pending>) -> Result<String, CallbackRefusal> {
    flow::check_callback(query, pending, &config()).map(|code| code.secret().to_owned())
}

#[test]
fn a_callback_with_the_right_state_and_issuer_yields_the_code() {
    let query = "?code=abc&state=the-state&iss=http%3A%2F%2Flocalhost%3A8081";
    assert_eq!(checked_code(query, Some(&pending())), Ok("abc".to_owned()));
}

#[test]
fn a_callback_with_a_forged_state_is_refused() {
    let query = "?code=abc&state=forged&iss=http%3A%2F%2Flocalhost%3A8081";
    assert_eq!(
        checked_code(query, Some(&pending())),
        Err(CallbackRefusal::StateMismatch)
    );
}

#[test]
fn a_callback_without_a_pending_request_is_refused() {
    let query = "?code=abc&state=the-state&iss=http%3A%2F%2Flocalhost%3A8081";
    assert_eq!(
        checked_code(query, None),
        Err(CallbackRefusal::NothingPending)
    );
}

#[test]
fn a_callback_from_another_issuer_is_refused_as_a_mix_up() {
    let query = "?code=abc&state=the-state&iss=http%3A%2F%2Fevil.example";
    assert!(matches!(
        checked_code(query, Some(&pending())),
        Err(CallbackRefusal::IssuerMismatch { .. })
    ));
    let no_iss = "?code=abc&state=the-state";
    assert_eq!(
        checked_code(no_iss, Some(&pending())),
        Err(CallbackRefusal::MissingIssuer)
    );
}

#[test]
fn a_callback_with_an_error_explains_it() {
    let query = "?error=access_denied&state=the-state&iss=http%3A%2F%2Flocalhost%3A8081";
    let refusal = checked_code(query, Some(&pending())).expect_err("refused");
    assert!(
        matches!(&refusal, CallbackRefusal::ServerError { error, .. } if error == "access_denied")
    );
    assert!(refusal.to_string().contains("declined"), "{refusal}");
}

#[test]
fn a_callback_without_a_code_is_refused() {
    let query = "?state=the-state&iss=http%3A%2F%2Flocalhost%3A8081";
    assert_eq!(
        checked_code(query, Some(&pending())),
        Err(CallbackRefusal::MissingCode)
    );
}

#[test]
fn the_token_request_is_a_form_with_the_code_and_the_verifier() {
    let verifier = CodeVerifier::parse(&"v".repeat(43)).expect("a verifier");
    let body = flow::token_request_body(&config(), &AuthorizationCode::new("the code"), &verifier);
    assert_eq!(
        body,
        format!(
            "grant_type=authorization_code&code=the+code&redirect_uri=http%3A%2F%2Flocalhost%3A8080%2Fcallback&client_id=demo-client&code_verifier={}",
            "v".repeat(43)
        )
    );
}

#[test]
fn the_pending_request_survives_storage_and_a_tampered_verifier_does_not() {
    let stored = serde_json::to_string(&pending()).expect("serializes");
    let back: Pending = serde_json::from_str(&stored).expect("reads back");
    assert_eq!(back.state.secret(), "the-state");
    assert_eq!(back.code_verifier.secret(), "v".repeat(43));
    let tampered = stored.replace(&"v".repeat(43), "short");
    assert!(serde_json::from_str::<Pending>(&tampered).is_err());
}

#[test]
fn a_token_response_parses_into_the_shared_type() {
    let json = r#"{"access_token":"a.b.c","token_type":"Bearer","expires_in":300,"scope":"read write","refresh_token":"r"}"#;
    let tokens: TokenResponse = serde_json::from_str(json).expect("parses");
    assert_eq!(tokens.expires_in, 300);
    assert_eq!(
        tokens.scope.map(|s| s.to_string()).as_deref(),
        Some("read write")
    );
    assert_eq!(
        format!("{:?}", tokens.access_token),
        "AccessToken([redacted])"
    );
}

/// An unsigned JWT with `claims` (only decoding is under test here).
fn jwt_with(claims: &serde_json::Value) -> String {
    use base64::Engine as _;
    let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    format!(
        "{}.{}.sig",
        b64(br#"{"alg":"EdDSA","typ":"at+jwt"}"#),
        b64(claims.to_string().as_bytes())
    )
}

#[test]
fn a_jwt_decodes_into_header_and_claims_and_garbage_does_not() {
    let decoded = jwt::decode(&jwt_with(
        &serde_json::json!({"sub": "alice", "scope": "read"}),
    ))
    .expect("decodes");
    assert_eq!(decoded.header["typ"], "at+jwt");
    assert_eq!(decoded.claims["sub"], "alice");
    assert!(jwt::decode("not.a-jwt").is_none());
    assert!(!jwt::explain_claim("aud").is_empty());
}

#[test]
fn an_id_token_is_checked_for_issuer_audience_expiry_and_nonce() {
    const NOW: i64 = 1_000_000;
    let claims = |exp: i64| {
        serde_json::json!({
            "iss": "http://localhost:8081", "sub": "alice", "aud": "demo-client",
            "exp": exp, "iat": NOW - 10, "nonce": "n"
        })
    };
    let check = |claims: &serde_json::Value, issuer: &str, client_id: &str, nonce: &str| {
        jwt::check_id_token(
            &jwt_with(claims),
            issuer,
            client_id,
            &Nonce::new(nonce),
            NOW,
        )
    };
    let good = claims(NOW + 300);
    let checked = check(&good, "http://localhost:8081", "demo-client", "n").expect("passes");
    assert_eq!(checked.sub, "alice");
    assert_eq!(
        check(&good, "http://localhost:8081", "demo-client", "other"),
        Err(jwt::IdTokenRefusal::NonceMismatch)
    );
    assert_eq!(
        check(&good, "http://localhost:8081", "someone-else", "n"),
        Err(jwt::IdTokenRefusal::WrongAudience)
    );
    assert_eq!(
        check(&good, "http://evil.example", "demo-client", "n"),
        Err(jwt::IdTokenRefusal::WrongIssuer)
    );
    let within_leeway = claims(NOW - jwt::LEEWAY_SECS + 1);
    assert!(check(&within_leeway, "http://localhost:8081", "demo-client", "n").is_ok());
    assert_eq!(
        check(
            &claims(NOW - jwt::LEEWAY_SECS),
            "http://localhost:8081",
            "demo-client",
            "n"
        ),
        Err(jwt::IdTokenRefusal::Expired)
    );
    let no_exp =
        serde_json::json!({"iss": "http://localhost:8081", "aud": "demo-client", "nonce": "n"});
    assert_eq!(
        check(&no_exp, "http://localhost:8081", "demo-client", "n"),
        Err(jwt::IdTokenRefusal::Malformed)
    );
}

#[test]
fn a_masked_secret_shows_six_characters_and_counts_the_rest() {
    assert_eq!(
        jwt::mask("abcdefghij"),
        "abcdef… (4 more characters hidden)"
    );
    assert_eq!(jwt::mask("abc"), "abc");
}
