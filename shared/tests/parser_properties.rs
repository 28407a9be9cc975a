//! Property tests over every parser of `shared` (native only: proptest does not target the
//! browser). Arbitrary input never panics; what is accepted is exactly what the RFC grammar
//! allows; what is accepted prints back to what parses to the same value.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use shared::{
    CodeChallenge, CodeChallengeMethod, CodeVerifier, GrantType, ScopeSet, TokenRequestForm,
};

/// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
fn is_scope_char(c: char) -> bool {
    matches!(c, '\u{21}' | '\u{23}'..='\u{5B}' | '\u{5D}'..='\u{7E}')
}

/// RFC 7636 §4.1: unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~".
fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
}

proptest! {
    #[test]
    fn a_scope_parameter_is_accepted_exactly_when_it_follows_the_abnf(value in "\\PC{0,40}|[ !#-\\[\\]-~]{0,40}") {
        let valid = !value.is_empty()
            && value.split(' ').all(|token| !token.is_empty() && token.chars().all(is_scope_char));
        prop_assert_eq!(ScopeSet::parse(&value).is_ok(), valid, "{:?}", value);
    }

    #[test]
    fn a_parsed_scope_set_prints_as_sorted_unique_tokens_that_parse_to_the_same_set(
        tokens in proptest::collection::vec("[!#-\\[\\]-~]{1,12}", 1..8)
    ) {
        let parsed = ScopeSet::parse(&tokens.join(" ")).expect("valid tokens");
        let printed = parsed.to_string();
        prop_assert_eq!(ScopeSet::parse(&printed).expect("printed back"), parsed.clone());
        let mut expected = tokens.clone();
        expected.sort();
        expected.dedup();
        prop_assert_eq!(printed, expected.join(" "));
    }

    #[test]
    fn a_code_verifier_is_accepted_exactly_when_it_is_43_to_128_unreserved_characters(value in "\\PC{0,140}|[A-Za-z0-9._~-]{40,130}") {
        let valid = (43..=128).contains(&value.chars().count()) && value.chars().all(is_unreserved);
        prop_assert_eq!(CodeVerifier::parse(&value).is_ok(), valid, "{:?}", value);
    }

    #[test]
    fn parsing_a_challenge_or_a_method_never_panics(value in "\\PC{0,100}") {
        let _ = CodeChallenge::parse(&value);
        let _ = CodeChallengeMethod::parse(&value);
        prop_assert!(value == "S256" || CodeChallengeMethod::parse(&value).is_err());
    }

    #[test]
    fn only_the_three_oauth_2_1_grant_types_are_known(value in "\\PC{0,40}") {
        let known = ["authorization_code", "refresh_token", "client_credentials"];
        prop_assert_eq!(GrantType::parse(&value).is_some(), known.contains(&value.as_str()));
    }

    #[test]
    fn any_form_body_decodes_to_a_token_request_or_an_error_and_never_panics(
        body in proptest::collection::vec(any::<u8>(), 0..300)
    ) {
        let _ = serde_urlencoded::from_bytes::<TokenRequestForm>(&body);
    }
}
