//! RFC 7636 rules for PKCE. These tests run natively and, through `wasm-bindgen-test`, in
//! headless Chromium: the browser computes PKCE with this very code.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use shared::pkce::{CodeChallengeError, CodeChallengeMethodError};
use shared::{CodeChallenge, CodeChallengeMethod, CodeVerifier, CodeVerifierError};

/// RFC 7636 Appendix B.
const APPENDIX_B_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const APPENDIX_B_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

#[test]
fn the_rfc_7636_appendix_b_verifier_yields_its_published_challenge() {
    let verifier = CodeVerifier::parse(APPENDIX_B_VERIFIER).expect("the RFC's verifier is valid");
    assert_eq!(verifier.challenge().as_str(), APPENDIX_B_CHALLENGE);
    let challenge = CodeChallenge::parse(APPENDIX_B_CHALLENGE).expect("valid challenge");
    assert!(challenge.verify(&verifier));
}

#[test]
fn a_generated_verifier_is_43_unreserved_characters_and_verifies() {
    let verifier = CodeVerifier::generate();
    assert_eq!(verifier.secret().len(), 43);
    assert!(CodeVerifier::parse(verifier.secret()).is_ok());
    assert!(verifier.challenge().verify(&verifier));
}

#[test]
fn two_generated_verifiers_differ() {
    assert_ne!(
        CodeVerifier::generate().secret(),
        CodeVerifier::generate().secret()
    );
}

#[test]
fn a_verifier_of_42_characters_is_too_short() {
    assert_eq!(
        CodeVerifier::parse(&"a".repeat(42)).expect_err("refused"),
        CodeVerifierError::TooShort { len: 42 }
    );
}

#[test]
fn verifiers_of_43_and_128_characters_are_accepted() {
    assert!(CodeVerifier::parse(&"a".repeat(43)).is_ok());
    assert!(CodeVerifier::parse(&"Z".repeat(128)).is_ok());
}

#[test]
fn a_verifier_of_129_characters_is_too_long() {
    assert_eq!(
        CodeVerifier::parse(&"a".repeat(129)).expect_err("refused"),
        CodeVerifierError::TooLong { len: 129 }
    );
}

#[test]
fn every_unreserved_character_is_allowed_in_a_verifier() {
    let all = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    assert!(CodeVerifier::parse(all).is_ok());
}

#[test]
fn a_verifier_with_a_character_outside_the_unreserved_set_is_refused_and_named() {
    for bad in ['+', '/', '=', ' ', '%', 'é', '\0'] {
        let mut value = "a".repeat(50);
        value.insert(10, bad);
        assert_eq!(
            CodeVerifier::parse(&value).expect_err("refused"),
            CodeVerifierError::InvalidCharacter {
                character: bad,
                position: 10
            },
            "{bad:?}"
        );
    }
}

#[test]
fn the_verifier_error_message_says_what_is_wrong() {
    let message = CodeVerifier::parse("short")
        .expect_err("refused")
        .to_string();
    assert!(
        message.contains("5 characters") && message.contains("at least 43"),
        "{message}"
    );
}

#[test]
fn a_different_verifier_does_not_verify_against_the_challenge() {
    let challenge = CodeChallenge::parse(APPENDIX_B_CHALLENGE).expect("valid challenge");
    let other = CodeVerifier::parse(&"a".repeat(43)).expect("valid verifier");
    assert!(!challenge.verify(&other));
}

#[test]
fn a_challenge_must_be_43_base64url_characters() {
    assert_eq!(
        CodeChallenge::parse("abc").expect_err("refused"),
        CodeChallengeError::WrongLength { len: 3 }
    );
    let padded = format!("{}=", &APPENDIX_B_CHALLENGE[..42]);
    assert_eq!(
        CodeChallenge::parse(&padded).expect_err("refused"),
        CodeChallengeError::InvalidCharacter { character: '=' }
    );
}

#[test]
fn only_s256_is_a_challenge_method_and_plain_is_refused_by_name() {
    assert_eq!(
        CodeChallengeMethod::parse("S256"),
        Ok(CodeChallengeMethod::S256)
    );
    assert_eq!(
        CodeChallengeMethod::parse("plain"),
        Err(CodeChallengeMethodError::Plain)
    );
    assert!(CodeChallengeMethod::parse("s256").is_err());
}

#[test]
fn a_verifier_never_shows_in_debug_output() {
    let verifier = CodeVerifier::parse(APPENDIX_B_VERIFIER).expect("valid");
    assert_eq!(format!("{verifier:?}"), "CodeVerifier([redacted])");
}
