//! Grants: a user's consent to a client (or a client's own, for client credentials), from
//! which every code and token is issued; revoking it revokes them all.

use server_kit::db::Db;
use server_kit::with_db;
use shared::ScopeSet;

use crate::error::Internal;

/// A grant: one user's (or, for client credentials, one client's) authorization of a
/// client. Every code and token is issued from one; revoking it revokes them all.
#[derive(Debug, Clone, sqlx::FromRow)]
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

pub(crate) async fn insert_grant(db: &Db, grant: &Grant) -> Result<(), Internal> {
    with_db!(db, pool => sqlx::query(
        "INSERT INTO grants (id, client_id, user_id, scope, resource, auth_time, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&grant.id)
    .bind(&grant.client_id)
    .bind(&grant.user_id)
    .bind(&grant.scope)
    .bind(&grant.resource)
    .bind(grant.auth_time)
    .bind(server_kit::unix_now())
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    Ok(())
}

pub(crate) async fn find_grant(db: &Db, id: &str) -> Result<Option<Grant>, Internal> {
    Ok(with_db!(db, pool => sqlx::query_as(
        "SELECT id, client_id, user_id, scope, resource, auth_time, revoked_at FROM grants WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await)?)
}

/// Revokes a grant: every token issued from it stops being active.
pub(crate) async fn revoke_grant(db: &Db, grant_id: &str) -> Result<(), Internal> {
    let now = server_kit::unix_now();
    with_db!(db, pool => sqlx::query("UPDATE grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(grant_id)
        .execute(pool)
        .await.map(|done| done.rows_affected()))?;
    with_db!(db, pool => sqlx::query(
        "UPDATE access_tokens SET revoked_at = $1 WHERE grant_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(grant_id)
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    with_db!(db, pool => sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE grant_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(grant_id)
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    Ok(())
}
