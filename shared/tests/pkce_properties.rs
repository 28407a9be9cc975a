//! Property tests for PKCE (native only: proptest does not target the browser).
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use shared::CodeVerifier;

proptest! {
    #[test]
    fn a_generated_verifier_always_parses_and_verifies(_seed in any::<u8>()) {
        let verifier = CodeVerifier::generate();
        let reparsed = CodeVerifier::parse(verifier.secret()).expect("a generated verifier is valid");
        prop_assert!(verifier.challenge().verify(&reparsed));
    }

    #[test]
    fn any_string_of_43_to_128_unreserved_characters_is_a_verifier(
        value in "[A-Za-z0-9._~-]{43,128}"
    ) {
        prop_assert!(CodeVerifier::parse(&value).is_ok());
    }

    #[test]
    fn a_changed_verifier_never_verifies(
        position in 0usize..43,
        replacement in "[A-Za-z0-9._~-]",
    ) {
        let verifier = CodeVerifier::generate();
        let mut chars: Vec<char> = verifier.secret().chars().collect();
        let new = replacement.chars().next().expect("one character");
        prop_assume!(chars[position] != new);
        chars[position] = new;
        let changed = CodeVerifier::parse(&chars.into_iter().collect::<String>())
            .expect("still 43 unreserved characters");
        prop_assert!(!verifier.challenge().verify(&changed));
    }
}
