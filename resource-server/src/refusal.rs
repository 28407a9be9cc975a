//! Why an access token was refused: one variant per check, with its sentence for
//! `error_description` and its label for the metrics.

/// Why a token was refused; the text goes into `error_description`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refusal {
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error(
        "the signature algorithm {0} is not allowed (only {1}, the algorithms of the keys the authorization server publishes)"
    )]
    AlgorithmNotAllowed(String, String),
    #[error("the token's typ is {0}, not at+jwt: it is not an access token (RFC 9068 section 4)")]
    NotAnAccessToken(String),
    #[error("the token names no key id (kid)")]
    NoKeyId,
    #[error("the token was signed with an unknown key")]
    UnknownKey,
    #[error(
        "the token says {0} but its key {1} is published for {2}: the algorithm comes from the key, never from the token"
    )]
    KeyAlgorithmMismatch(String, String, String),
    #[error(
        "the signature does not verify: the token was altered or not issued by the authorization server"
    )]
    BadSignature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet (nbf)")]
    NotYetValid,
    #[error("the token was issued by another server (iss)")]
    WrongIssuer,
    #[error("the token is meant for another resource server (aud)")]
    WrongAudience,
    #[error("the token lacks a required claim or has a malformed one")]
    BadClaims,
    #[error("the authorization server says the token is not active (revoked, expired or unknown)")]
    Inactive,
    #[error("the token was revoked at the authorization server")]
    Revoked,
    /// The cause is logged where it happened; the answer does not name internal addresses.
    #[error("cannot ask the authorization server about the token right now; try again shortly")]
    Unavailable,
}

impl Refusal {
    /// Which check failed, as a metrics label.
    pub(crate) fn reason(&self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::AlgorithmNotAllowed(..) => "algorithm_not_allowed",
            Self::NotAnAccessToken(_) => "not_an_access_token",
            Self::NoKeyId => "no_key_id",
            Self::UnknownKey => "unknown_key",
            Self::KeyAlgorithmMismatch(..) => "key_algorithm_mismatch",
            Self::BadSignature => "bad_signature",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
            Self::BadClaims => "bad_claims",
            Self::Inactive => "inactive",
            Self::Revoked => "revoked",
            Self::Unavailable => "unavailable",
        }
    }
}
