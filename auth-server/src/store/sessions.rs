//! Browser sessions, by the SHA-256 of their id (the id itself is only in the cookie).

use server_kit::db::Db;
use server_kit::with_db;
use subtle::ConstantTimeEq as _;

use crate::error::Internal;

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct Session {
    pub id_hash: String,
    pub csrf_token: String,
    pub user_id: Option<String>,
    pub auth_time: Option<i64>,
}

impl Session {
    /// Does the form's CSRF token equal this session's? Compared in constant time.
    pub(crate) fn csrf_matches(&self, submitted: Option<&str>) -> bool {
        submitted.is_some_and(|token| token.as_bytes().ct_eq(self.csrf_token.as_bytes()).into())
    }
}

/// The session `id_hash`, if it has not expired.
pub(crate) async fn find_session(db: &Db, id_hash: &str) -> Result<Option<Session>, Internal> {
    Ok(with_db!(db, pool => sqlx::query_as(
        "SELECT id_hash, csrf_token, user_id, auth_time FROM sessions WHERE id_hash = $1 AND expires_at > $2",
    )
    .bind(id_hash)
    .bind(server_kit::unix_now())
    .fetch_optional(pool)
    .await)?)
}

pub(crate) async fn insert_session(
    db: &Db,
    session: &Session,
    expires_at: i64,
) -> Result<(), Internal> {
    with_db!(db, pool => sqlx::query(
        "INSERT INTO sessions (id_hash, csrf_token, user_id, auth_time, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&session.id_hash)
    .bind(&session.csrf_token)
    .bind(&session.user_id)
    .bind(session.auth_time)
    .bind(expires_at)
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// Ends the session `id_hash`.
pub(crate) async fn delete_session(db: &Db, id_hash: &str) -> Result<(), Internal> {
    with_db!(db, pool => sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(pool)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}
