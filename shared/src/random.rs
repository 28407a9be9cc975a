//! Unguessable values from the platform's CSPRNG: the operating system on a server,
//! `crypto.getRandomValues` in the browser.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Bytes of entropy in every random protocol value: 256 bits, far above the 128 bits
/// RFC 6749 §10.10 asks for ("the probability of an attacker guessing generated tokens
/// ... MUST be less than or equal to 2^(-128) and SHOULD be less than or equal to 2^(-160)").
pub const RANDOM_BYTES: usize = 32;

/// `RANDOM_BYTES` fresh random bytes.
pub fn bytes() -> [u8; RANDOM_BYTES] {
    let mut bytes = [0u8; RANDOM_BYTES];
    // A platform without a working CSPRNG cannot do OAuth safely; there is no fallback.
    getrandom::fill(&mut bytes).expect("the platform's secure random number generator failed");
    bytes
}

/// 32 random bytes, base64url-encoded without padding: 43 characters, all of them in the
/// RFC 3986 "unreserved" set, so the value travels in URLs and forms unescaped.
pub fn token() -> String {
    URL_SAFE_NO_PAD.encode(bytes())
}
