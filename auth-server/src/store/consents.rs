//! Remembered consent: the scopes a user approved for a client (`protocol/decision.rs` says
//! when it is used).

use server_kit::db::Db;
use server_kit::with_db;
use shared::ScopeSet;

use crate::error::Internal;
use crate::store::stored::stored_scopes;

/// The scopes `user_id` approved for `client_id` so far; empty if none.
pub(crate) async fn remembered_scope(
    db: &Db,
    user_id: &str,
    client_id: &str,
) -> Result<ScopeSet, Internal> {
    let scope: Option<String> = with_db!(db, pool => sqlx::query_scalar(
        "SELECT scope FROM consents WHERE user_id = $1 AND client_id = $2",
    )
    .bind(user_id)
    .bind(client_id)
    .fetch_optional(pool)
    .await)?;
    scope.map_or(Ok(ScopeSet::default()), |scope| stored_scopes(&scope))
}

/// Remembers that `user_id` approved `scope` for `client_id`, besides what was approved
/// before.
pub(crate) async fn remember_consent(
    db: &Db,
    user_id: &str,
    client_id: &str,
    scope: &ScopeSet,
) -> Result<(), Internal> {
    let all = remembered_scope(db, user_id, client_id).await?.union(scope);
    with_db!(db, pool => sqlx::query(
        "INSERT INTO consents (user_id, client_id, scope, granted_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id, client_id) DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at",
    )
    .bind(user_id)
    .bind(client_id)
    .bind(all.to_string())
    .bind(server_kit::unix_now())
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// A remembered consent as the clients page lists it.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct Consent {
    pub client_id: String,
    pub client_name: String,
    pub scope: String,
}

/// Every client `user_id` approved, most recent first.
pub(crate) async fn consents_of(db: &Db, user_id: &str) -> Result<Vec<Consent>, Internal> {
    Ok(with_db!(db, pool => sqlx::query_as(
        "SELECT consents.client_id, clients.name AS client_name, consents.scope
         FROM consents JOIN clients ON clients.client_id = consents.client_id
         WHERE consents.user_id = $1 ORDER BY consents.granted_at DESC, consents.client_id",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await)?)
}

/// Forgets the consent of `user_id` to `client_id` and revokes every grant the user gave
/// that client, so its access and refresh tokens stop working at once. False if there was
/// no such consent.
pub(crate) async fn withdraw_consent(
    db: &Db,
    user_id: &str,
    client_id: &str,
) -> Result<bool, Internal> {
    let now = server_kit::unix_now();
    let forgotten = with_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let forgotten = sqlx::query("DELETE FROM consents WHERE user_id = $1 AND client_id = $2")
            .bind(user_id)
            .bind(client_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        for table in ["access_tokens", "refresh_tokens"] {
            sqlx::query(&format!(
                "UPDATE {table} SET revoked_at = $1 WHERE revoked_at IS NULL AND grant_id IN
                     (SELECT id FROM grants WHERE user_id = $2 AND client_id = $3)"
            ))
            .bind(now)
            .bind(user_id)
            .bind(client_id)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "UPDATE grants SET revoked_at = $1 WHERE revoked_at IS NULL AND user_id = $2 AND client_id = $3",
        )
        .bind(now)
        .bind(user_id)
        .bind(client_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        forgotten
    });
    Ok(forgotten == 1)
}
