//! Grants: a user's consent to a client (or a client's own, for client credentials), from
//! which every code and token is issued; revoking it revokes them all.

use crate::error::Internal;
use crate::model::Grant;
use server_kit::db::Db;
use server_kit::with_db;

/// How a grant is stored.
#[derive(sqlx::FromRow)]
struct GrantRow {
    id: String,
    client_id: String,
    user_id: Option<String>,
    scope: String,
    resource: String,
    auth_time: Option<i64>,
    revoked_at: Option<i64>,
}

impl From<GrantRow> for Grant {
    fn from(row: GrantRow) -> Self {
        Self {
            id: row.id,
            client_id: row.client_id,
            user_id: row.user_id,
            scope: row.scope,
            resource: row.resource,
            auth_time: row.auth_time,
            revoked_at: row.revoked_at,
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
    let row: Option<GrantRow> = with_db!(db, pool => sqlx::query_as(
        "SELECT id, client_id, user_id, scope, resource, auth_time, revoked_at FROM grants WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(Grant::from))
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
