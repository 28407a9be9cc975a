//! The learner-facing vocabulary: a [`Check`] declared beside the code that makes it, and
//! the checks every bearer endpoint shares.

/// One check of an endpoint's ordered list: a stable name, the rule it enforces and the
/// sentence it says when it passes. Declared beside the function that makes the check.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    pub name: &'static str,
    pub rule: &'static str,
    pub passes: &'static str,
}

impl Check {
    pub const fn new(name: &'static str, rule: &'static str, passes: &'static str) -> Self {
        Self { name, rule, passes }
    }
}

/// The first two checks of every endpoint that takes a bearer token (the resource server's
/// API and MCP endpoint, the authorization server's `/userinfo`).
pub mod bearer {
    use crate::trace::check::Check;

    /// OAuth 2.1 §5.2.2 (RFC 6750 §2.3 is gone): a token in the URL ends up in logs,
    /// history and Referer headers, so it is refused, not read.
    pub const NOT_IN_URL: Check = Check::new(
        "token_not_in_url",
        "OAuth 2.1 §5.2.2",
        "No access token in the URL, where logs, history and Referer would keep it.",
    );

    /// RFC 6750 §2.1: one `Authorization: Bearer <token>` header.
    pub const HEADER: Check = Check::new(
        "bearer_header",
        "RFC 6750 §2.1",
        "One Authorization: Bearer header carries the token.",
    );
}
