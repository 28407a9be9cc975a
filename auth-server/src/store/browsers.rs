//! Browsers a user has logged in with, by the SHA-256 of the token in their cookie.

use server_kit::db::Db;
use server_kit::with_db;

use crate::error::Internal;

/// Remembers that the browser holding the token hashed `token_hash` logged in as `user_id`.
pub(crate) async fn remember_browser(
    db: &Db,
    token_hash: &str,
    user_id: &str,
    expires_at: i64,
) -> Result<(), Internal> {
    with_db!(db, pool => sqlx::query(
        "INSERT INTO known_browsers (token_hash, user_id, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (token_hash) DO UPDATE SET user_id = $2, expires_at = $3",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(expires_at)
    .execute(pool)
    .await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// The user the browser holding the token hashed `token_hash` last logged in as, if that
/// has not expired.
pub(crate) async fn browser_user(db: &Db, token_hash: &str) -> Result<Option<String>, Internal> {
    Ok(with_db!(db, pool => sqlx::query_scalar(
        "SELECT user_id FROM known_browsers WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(server_kit::unix_now())
    .fetch_optional(pool)
    .await)?)
}
