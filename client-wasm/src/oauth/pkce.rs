//! What the PKCE panel shows: one freshly generated verifier and the two steps of S256.

use shared::CodeVerifier;

/// A PKCE pair as text for display. The verifier is shown on purpose: this page is a lesson,
/// and this pair is never sent anywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkceSteps {
    /// `code_verifier`: 32 random bytes from `crypto.getRandomValues`, base64url.
    pub verifier: String,
    /// SHA-256 of the verifier, in hex.
    pub sha256_hex: String,
    /// `code_challenge`: the same SHA-256, base64url without padding (RFC 7636 §4.2).
    pub challenge: String,
}

impl PkceSteps {
    pub fn generate() -> Self {
        Self::of(&CodeVerifier::generate())
    }

    pub fn of(verifier: &CodeVerifier) -> Self {
        Self {
            verifier: verifier.secret().to_owned(),
            sha256_hex: shared::digest::sha256_hex(verifier.secret().as_bytes()),
            challenge: verifier.challenge().as_str().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_steps_of_the_rfc_7636_appendix_b_verifier_match_the_rfc() {
        let verifier = CodeVerifier::parse("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
            .expect("the RFC's verifier is valid");
        let steps = PkceSteps::of(&verifier);
        assert_eq!(
            steps.challenge,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(
            steps.sha256_hex,
            "13d31e961a1ad8ec2f16b10c4c982e0876a878ad6df144566ee1894acb70f9c3"
        );
    }
}
