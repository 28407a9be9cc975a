//! An authorization request as read once, and how the checks refuse it: an [`Untrusted`]
//! refusal before the client and its redirect URI are known to be genuine, a [`Refusal`]
//! after.

use shared::AuthorizationErrorCode;

/// Longest `state`, `nonce` and `login_hint` accepted. They are opaque to the server and
/// stored with the pending request; unbounded, every anonymous request could store
/// kilobytes (CWE-770). 512 bytes hold any random value a client needs.
pub(crate) const MAX_OPAQUE_BYTES: usize = 512;

/// The request's parameters as name/value pairs, in order, repeats kept (so they can be
/// refused).
#[derive(Debug)]
pub(crate) struct AuthorizationRequest(Vec<(String, String)>);

impl AuthorizationRequest {
    /// Reads form-encoded parameters (a query string, or a `POST` body).
    pub(crate) fn parse(raw: &str) -> Result<Self, Untrusted> {
        serde_urlencoded::from_str(raw).map(Self).map_err(|_| Untrusted {
            title: "Malformed request",
            description: "The query string of this authorization request cannot be read."
                .to_owned(),
            rule: "RFC 6749 §4.1.2.1: without a readable client_id and redirect_uri the server must not redirect.",
        })
    }

    /// The first value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `state`, if it is one the length check accepts.
    pub(crate) fn state(&self) -> Option<&str> {
        self.get("state").filter(|s| s.len() <= MAX_OPAQUE_BYTES)
    }

    pub(super) fn is_repeated(&self, name: &str) -> bool {
        self.0.iter().filter(|(n, _)| n == name).count() > 1
    }

    pub(super) fn first_repeated(&self) -> Option<&str> {
        self.0
            .iter()
            .map(|(n, _)| n.as_str())
            .find(|n| self.is_repeated(n))
    }
}

/// A refusal made before the client and its redirect URI are known to be genuine: it must
/// not be sent to the redirect URI (RFC 6749 §4.1.2.1).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Untrusted {
    /// What went wrong, in a few words.
    pub title: &'static str,
    pub description: String,
    /// The rule that keeps it from going back to the client.
    pub rule: &'static str,
}

impl Untrusted {
    pub(crate) fn new(title: &'static str, description: impl Into<String>) -> Self {
        Self {
            title,
            description: description.into(),
            rule: "RFC 6749 §4.1.2.1: when the client or its redirect URI cannot be trusted, the authorization server must not redirect the browser to it; it tells you here instead.",
        }
    }
}

/// In the words shown, for the decision trace.
impl std::fmt::Display for Untrusted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.title, self.description)
    }
}

/// A refusal of what is asked for (RFC 6749 §4.1.2.1): it may go back to the client.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub code: AuthorizationErrorCode,
    pub description: String,
}

impl Refusal {
    pub(crate) fn new(code: AuthorizationErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
        }
    }
}

/// In the words of the error sent back (`error: error_description`), for the decision trace.
impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description)
    }
}

/// What `prompt` asks for (OIDC Core §3.1.2.1).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Prompt {
    /// `none`: no page at all; an answer at once or an error.
    pub none: bool,
    /// `login` or `select_account`: log in again (the login page is where another account
    /// is chosen).
    pub login: bool,
    /// `consent`: ask for consent even if it is remembered.
    pub consent: bool,
}
