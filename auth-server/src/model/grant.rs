//! A grant: a user's consent to a client (or a client's own, for client credentials), from
//! which every code and token is issued; revoking it revokes them all.

use shared::ScopeSet;

/// A grant: one user's (or, for client credentials, one client's) authorization of a
/// client. Every code and token is issued from one; revoking it revokes them all.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub id: String,
    pub client_id: String,
    pub user_id: Option<String>,
    pub scope: String,
    pub resource: String,
    pub auth_time: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl Grant {
    /// A new, unsaved grant with a fresh id.
    pub(crate) fn new(
        client_id: &str,
        user_id: Option<&str>,
        scope: &ScopeSet,
        resource: &str,
        auth_time: Option<i64>,
    ) -> Self {
        Self {
            id: shared::random::token(),
            client_id: client_id.to_owned(),
            user_id: user_id.map(str::to_owned),
            scope: scope.to_string(),
            resource: resource.to_owned(),
            auth_time,
            revoked_at: None,
        }
    }
}
